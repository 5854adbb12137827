#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Calls a connector plugin's C entry points directly, the way the host does,
so that a test can check one call's exact answer (an apply result, the records
of a listing) without a pipeline around it. Test-only.

Usage:
  plugin_call.py PLUGIN.so CONFIG_JSON STREAM apply OPS_JSON   → the results array
  plugin_call.py PLUGIN.so CONFIG_JSON STREAM list             → every live record of a full listing, as an array
  plugin_call.py PLUGIN.so CONFIG_JSON STREAM read [CURSOR]    → one read_changes batch (records, cursor, more)
Prints the JSON answer on stdout; on a failed call "ERR <status> <message>" and exit 1.
Secrets named {"$secret": NAME} are read from ACCORD_SECRETS (a JSON object).
"""
import ctypes as C
import json
import os
import sys

LOG = C.CFUNCTYPE(None, C.c_void_p, C.c_int32, C.c_char_p)
PROGRESS = C.CFUNCTYPE(None, C.c_void_p, C.c_char_p, C.c_uint64, C.c_uint64)
SECRET = C.CFUNCTYPE(C.c_int32, C.c_void_p, C.c_char_p, C.c_void_p, C.c_uint64, C.POINTER(C.c_uint64))
CANCELLED = C.CFUNCTYPE(C.c_int32, C.c_void_p)
STORE = C.CFUNCTYPE(C.c_int32, C.c_void_p, C.c_char_p, C.c_char_p)


class Host(C.Structure):
    _fields_ = [("abi_major", C.c_uint32), ("abi_minor", C.c_uint32), ("struct_size", C.c_uint32),
                ("reserved0", C.c_uint32), ("host_ctx", C.c_void_p), ("log", LOG), ("progress", PROGRESS),
                ("secret", SECRET), ("is_cancelled", CANCELLED), ("store_secret", STORE)]


class Err(C.Structure):
    pass


SET = C.CFUNCTYPE(None, C.POINTER(Err), C.c_int32, C.c_char_p, C.c_int64)
Err._fields_ = [("host_ctx", C.c_void_p), ("set", SET)]

OUT = [C.POINTER(C.c_char_p), C.POINTER(C.c_uint64), C.POINTER(Err)]
CREATE = C.CFUNCTYPE(C.c_int32, C.POINTER(Host), C.c_char_p, C.POINTER(C.c_void_p), C.POINTER(Err))
DESTROY = C.CFUNCTYPE(None, C.c_void_p)
CALL = C.CFUNCTYPE(C.c_int32, C.c_void_p, C.c_char_p, C.c_char_p, *OUT)
CANCEL = C.CFUNCTYPE(None, C.c_void_p)


class Connector(C.Structure):
    _fields_ = [("abi_major", C.c_uint32), ("abi_minor", C.c_uint32), ("struct_size", C.c_uint32),
                ("reserved0", C.c_uint32), ("manifest_json", C.c_char_p), ("capabilities", C.c_uint64),
                ("create", CREATE), ("destroy", DESTROY), ("read_changes", CALL), ("fetch", CALL),
                ("apply", CALL), ("cancel", CANCEL), ("get_extension", C.c_void_p)]


def main():
    plugin, config, stream, verb = sys.argv[1:5]
    secrets = {}
    if os.environ.get("ACCORD_SECRETS"):
        with open(os.environ["ACCORD_SECRETS"]) as f:
            secrets = json.load(f)
    failure = {}

    def resolve(v):
        if isinstance(v, dict):
            if set(v) == {"$secret"}:
                return secrets[v["$secret"]]
            return {k: resolve(x) for k, x in v.items()}
        if isinstance(v, list):
            return [resolve(x) for x in v]
        return v

    config = json.dumps(resolve(json.loads(config)))

    def on_set(_self, status, message, _retry):
        failure["status"], failure["message"] = status, (message or b"").decode()

    def on_secret(_ctx, name, buf, size, out_len):
        v = secrets.get(name.decode())
        if v is None:
            return 2
        b = v.encode()
        out_len[0] = len(b)
        if len(b) + 1 > size:
            return 1
        C.memmove(buf, b + b"\0", len(b) + 1)
        return 0

    cbs = [LOG(lambda c, l, m: sys.stderr.write("log: %s\n" % m.decode())), PROGRESS(lambda *a: None),
           SECRET(on_secret), CANCELLED(lambda c: 0), STORE(lambda c, n, v: 2)]
    host = Host(1, 1, C.sizeof(Host), 0, None, *cbs)
    err = Err(None, SET(on_set))
    lib = C.CDLL(os.path.abspath(plugin))
    entry = lib.accord_connector_entry
    entry.restype = C.POINTER(Connector)
    conn = entry().contents

    def check(rc):
        if rc != 0:
            print("ERR %d %s" % (failure.get("status", rc), failure.get("message", "")))
            sys.exit(1)

    inst = C.c_void_p()
    check(conn.create(C.byref(host), config.encode(), C.byref(inst), C.byref(err)))
    out, n = C.c_char_p(), C.c_uint64()
    if verb == "apply":
        # "@FILE": the ops read from FILE (a message with large attachments
        # is longer than one command-line argument may be)
        ops = open(sys.argv[5][1:]).read() if sys.argv[5].startswith("@") else sys.argv[5]
        check(conn.apply(inst, stream.encode(), ops.encode(), C.byref(out), C.byref(n), C.byref(err)))
        print(C.string_at(out, n.value).decode())
    elif verb == "list":
        records, cursor = [], ""
        while True:
            check(conn.read_changes(inst, stream.encode(), cursor.encode(), C.byref(out), C.byref(n), C.byref(err)))
            batch = json.loads(C.string_at(out, n.value).decode())
            records += batch["records"]
            cursor = batch["cursor"]
            if not batch.get("more"):
                break
        print(json.dumps(records))
    elif verb == "read":
        cursor = sys.argv[5] if len(sys.argv) > 5 else ""
        check(conn.read_changes(inst, stream.encode(), cursor.encode(), C.byref(out), C.byref(n), C.byref(err)))
        print(C.string_at(out, n.value).decode())
    else:
        sys.exit("unknown verb " + verb)
    conn.destroy(inst)


if __name__ == "__main__":
    main()
