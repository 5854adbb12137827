#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""layout.dependencies: the tree keeps the architecture's direction
(ARCHITECTURE.md, Layout): plugins -> sdk + libs, host -> sdk + libs, libs ->
sdk + other libs, sdk -> nothing of Accord.

Reads the build's compile_commands.json (every translation unit and its
include roots) and the sources themselves:
  - no production source of a plugin (plugins/*/src), a lib (libs/*/src,
    libs/*/include), the SDK or an example compiles with an include root
    under host/, and none of a plugin's with another plugin's folder;
  - no lib compiles with an include root under plugins/;
  - `grep -r host/src plugins` finds nothing (issue 20's "Done when");
  - no header or source under libs/, sdk/ or examples/ names a host folder in
    an #include.
Plugin tests may link the host (gmail-imap's session test loads the plugin
through the host's loader): they are not production code.

Usage: layout_test.py SOURCE_DIR BUILD_DIR
"""
import json
import os
import re
import shlex
import sys


def include_roots(entry):
    args = entry.get("arguments") or shlex.split(entry.get("command", ""))
    roots, i = [], 0
    while i < len(args):
        a = args[i]
        for flag in ("-I", "-isystem", "-iquote"):
            if a == flag and i + 1 < len(args):
                roots.append(args[i + 1])
                i += 1
                break
            if a.startswith(flag) and len(a) > len(flag):
                roots.append(a[len(flag):])
                break
        i += 1
    return [os.path.normpath(os.path.join(entry.get("directory", ""), r)) for r in roots]


def main():
    src, build = (os.path.realpath(p) for p in sys.argv[1:3])
    faults = []
    with open(os.path.join(build, "compile_commands.json")) as fh:
        entries = json.load(fh)
    seen = 0
    for e in entries:
        f = os.path.realpath(os.path.join(e.get("directory", ""), e["file"]))
        if not f.startswith(src + os.sep):
            continue
        rel = os.path.relpath(f, src)
        parts = rel.split(os.sep)
        production = (parts[0] in ("sdk", "examples")
                      or (parts[0] == "libs" and len(parts) > 2 and parts[2] in ("src", "include"))
                      or (parts[0] == "plugins" and len(parts) > 2 and parts[2] == "src"))
        if not production:
            continue
        seen += 1
        for root in include_roots(e):
            if not root.startswith(src + os.sep):
                continue
            r = os.path.relpath(root, src).split(os.sep)
            if r[0] == "host":
                faults.append(f"{rel}: compiled with the host's include root {os.path.relpath(root, src)}")
            elif parts[0] == "libs" and r[0] == "plugins":
                faults.append(f"{rel}: a lib compiled with a plugin's include root {os.path.relpath(root, src)}")
            elif parts[0] == "plugins" and r[0] == "plugins" and len(r) > 1 and r[1] != parts[1]:
                faults.append(f"{rel}: compiled with another plugin's include root {os.path.relpath(root, src)}")
    if seen == 0:
        faults.append("compile_commands.json lists no source of sdk/, libs/, plugins/ or examples/")

    include = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]')
    host_dirs = ("plugins/", "pipeline/", "engine/", "state/", "daemon/", "cli/", "common/", "mapping/")
    for top in ("plugins", "libs", "sdk", "examples"):
        for dirpath, dirnames, filenames in os.walk(os.path.join(src, top)):
            dirnames[:] = [d for d in dirnames if d not in ("node_modules", "corpus", "collections")]
            for name in filenames:
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, src)
                try:
                    with open(path, encoding="utf-8", errors="replace") as fh:
                        text = fh.read()
                except OSError:
                    continue
                if top == "plugins" and "host/src" in text:
                    faults.append(f"{rel}: names host/src")
                if top == "plugins" or not name.endswith((".c", ".h", ".cpp", ".hpp")):
                    continue
                for n, line in enumerate(text.splitlines(), 1):
                    m = include.match(line)
                    if m and (m.group(1).startswith("host/") or m.group(1).startswith(host_dirs)):
                        faults.append(f"{rel}:{n}: includes the host's {m.group(1)}")

    for f in faults:
        print("FAIL", f)
    print(f"layout: {seen} production sources checked, {len(faults)} faults")
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
