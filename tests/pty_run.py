#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Runs a command on a pseudo-terminal PTY_COLS columns wide (80 unless set)
and prints, raw, what it wrote there; exits with the command's exit code
(128 + N for a signal). For tests of what a person sees on a terminal."""
import os, sys, struct, fcntl, termios, select
cols = int(os.environ.get("PTY_COLS", "80"))
master, slave = os.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
pid = os.fork()
if pid == 0:
    os.close(master)
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for f in (0, 1, 2): os.dup2(slave, f)
    os.execvp(sys.argv[1], sys.argv[1:])
os.close(slave)
out = b""
while True:
    try:
        r, _, _ = select.select([master], [], [], 60)
        if not r: break
        d = os.read(master, 65536)
    except OSError:
        break
    if not d: break
    out += d
_, st = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
code = os.waitstatus_to_exitcode(st)
sys.exit(128 - code if code < 0 else code)
