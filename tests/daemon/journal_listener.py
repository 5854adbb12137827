#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A fake systemd journal: binds the native protocol's unix datagram socket
at PATH (sd_journal_send writes to /run/systemd/journal/socket; the test
mounts a tmpfs there in a mount namespace of its own) and appends each entry
to OUT as one JSON object per line, until killed. The native protocol
(systemd's JOURNAL_NATIVE_PROTOCOL): fields "KEY=value\\n", or, for a value
holding a newline, "KEY\\n" + its length (64-bit little endian) + the value +
"\\n". Prints "ready" once bound.

  journal_listener.py PATH OUT
"""
import json, os, socket, struct, sys

path, out = sys.argv[1:3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
print("ready", flush=True)


def parse(data):
    fields, i = {}, 0
    while i < len(data):
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            i = nl + 1
        else:
            k = line
            (n,) = struct.unpack("<Q", data[nl + 1:nl + 9])
            v = data[nl + 9:nl + 9 + n]
            i = nl + 9 + n + 1
        fields[k.decode()] = v.decode("utf-8", "replace")
    return fields


with open(out, "a", buffering=1) as f:
    while True:
        f.write(json.dumps(parse(s.recv(1 << 20))) + "\n")
