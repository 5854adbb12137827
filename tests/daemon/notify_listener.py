#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A fake service manager's NOTIFY_SOCKET: binds a unix datagram socket at
PATH and appends each message it receives to OUT, one line per message
("<monotonic seconds> <message with newlines as |>"), until killed.

  notify_listener.py PATH OUT
"""
import os, socket, sys, time

path, out = sys.argv[1:3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
print("ready", flush=True)
with open(out, "a", buffering=1) as f:
    while True:
        data = s.recv(65536)
        f.write("%.3f %s\n" % (time.monotonic(), data.decode("utf-8", "replace").replace("\n", "|")))
