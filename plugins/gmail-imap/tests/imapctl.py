#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A test's hands on the IMAP server (Python's imaplib, TLS with the test CA):

  imapctl.py PORT CA USER PASS count FOLDER          messages in FOLDER
  imapctl.py PORT CA USER PASS msgids FOLDER         Message-IDs, one per line, sorted
  imapctl.py PORT CA USER PASS flags FOLDER MSGID    the flags of that message
  imapctl.py PORT CA USER PASS store FOLDER MSGID +FLAGS|-FLAGS FLAG
  imapctl.py PORT CA USER PASS expunge FOLDER MSGID  \\Deleted + EXPUNGE
  imapctl.py PORT CA USER PASS append FOLDER FILE    APPEND the file (LF → CRLF; the folder made when missing)
  imapctl.py PORT CA USER PASS folders               every folder, one per line
  imapctl.py PORT CA USER PASS touch FOLDER N        toggles \\Flagged on N messages (benchmarks)
  imapctl.py PORT CA USER PASS appendmany FOLDER FILE...  APPENDs each file
  imapctl.py PORT CA USER PASS labels FOLDER         Gmail: "<msgid> label label…" per message, sorted
  imapctl.py PORT CA USER PASS rename FROM TO        RENAME (RFC 3501 6.3.5)
  imapctl.py PORT CA USER PASS delete FOLDER        DELETE (the folder and its messages)
  imapctl.py PORT CA USER PASS status FOLDER         "UIDVALIDITY n UIDNEXT n MESSAGES n"
  imapctl.py PORT CA USER PASS expungemany FOLDER N  \\Deleted + EXPUNGE on N messages spread over the folder (benchmarks)
  imapctl.py PORT CA USER PASS raw FOLDER MSGID      the message's bytes (BODY.PEEK[]) on stdout
"""
import imaplib, re, ssl, sys

port, ca, user, pw, verb = sys.argv[1:6]
args = sys.argv[6:]
ctx = ssl.create_default_context(cafile=ca)
m = imaplib.IMAP4_SSL("localhost", int(port), ssl_context=ctx)
m.login(user, pw)

def q(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'

def each_message(folder, items=""):
    """(the FETCH line, Message-ID) of each message in folder that has one."""
    m.select(q(folder), readonly=True)
    typ, data = m.uid("FETCH", "1:*", "(%sBODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])" % (items + " " if items else ""))
    for item in data:
        if isinstance(item, tuple):
            mm = re.search(rb"<([^>]+)>", item[1])
            if mm:
                yield item[0], mm.group(1).decode()

def uid_of(folder, msgid):
    m.select(q(folder))
    typ, data = m.uid("SEARCH", None, "HEADER", "Message-ID", msgid)
    uids = data[0].split()
    if len(uids) != 1:
        sys.exit("expected one message %s in %s, found %d" % (msgid, folder, len(uids)))
    return uids[0].decode()

if verb == "count":
    typ, data = m.select(q(args[0]), readonly=True)
    print(int(data[0]))
elif verb == "msgids":
    print("\n".join(sorted(mid for _, mid in each_message(args[0]))))
elif verb == "flags":
    uid = uid_of(args[0], args[1])
    typ, data = m.uid("FETCH", uid, "(FLAGS)")
    print(re.search(rb"FLAGS \(([^)]*)\)", data[0]).group(1).decode())
elif verb == "store":
    uid = uid_of(args[0], args[1])
    m.uid("STORE", uid, args[2], "(" + args[3] + ")")
elif verb == "expunge":
    uid = uid_of(args[0], args[1])
    m.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
    m.expunge()
elif verb == "append":
    data = open(args[1], "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    typ, resp = m.append(q(args[0]), None, None, data)
    if typ != "OK" and b"TRYCREATE" in resp[0]:  # a folder not there yet: made first
        m.create(q(args[0]))
        typ, resp = m.append(q(args[0]), None, None, data)
    if typ != "OK":
        sys.exit("APPEND failed: %r" % resp)
elif verb == "touch":
    m.select(q(args[0]))
    typ, data = m.uid("SEARCH", None, "ALL")
    uids = data[0].split()
    step = max(1, len(uids) // int(args[1]))
    for u in uids[::step][: int(args[1])]:
        m.uid("STORE", u, "+FLAGS.SILENT", "(\\Flagged)")
elif verb == "appendmany":
    for f in args[1:]:
        data = open(f, "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        m.append(q(args[0]), None, None, data)
elif verb == "labels":
    out = []
    for meta, mid in each_message(args[0], "X-GM-LABELS"):
        labels = re.search(rb"X-GM-LABELS \(([^)]*)\)", meta).group(1).decode()
        names = re.findall(r'"((?:[^"\\]|\\.)*)"|(\S+)', labels)
        out.append(mid + " " + " ".join(sorted(a or b for a, b in names)))
    print("\n".join(sorted(out)))
elif verb == "rename":
    typ, resp = m.rename(q(args[0]), q(args[1]))
    if typ != "OK":
        sys.exit("RENAME failed: %r" % resp)
elif verb == "delete":
    typ, resp = m.delete(q(args[0]))
    if typ != "OK":
        sys.exit("DELETE failed: %r" % resp)
elif verb == "status":
    typ, data = m.status(q(args[0]), "(UIDVALIDITY UIDNEXT MESSAGES)")
    print(re.search(rb"\(([^)]*)\)", data[0]).group(1).decode())
elif verb == "expungemany":
    m.select(q(args[0]))
    typ, data = m.uid("SEARCH", None, "ALL")
    uids = data[0].split()
    step = max(1, len(uids) // int(args[1]))
    for u in uids[::step][: int(args[1])]:
        m.uid("STORE", u, "+FLAGS.SILENT", "(\\Deleted)")
    m.expunge()
elif verb == "raw":
    uid = uid_of(args[0], args[1])
    typ, data = m.uid("FETCH", uid, "(BODY.PEEK[])")
    sys.stdout.buffer.write(next(d[1] for d in data if isinstance(d, tuple)))
elif verb == "folders":
    typ, data = m.list()
    for d in data:
        print(d.decode())
else:
    sys.exit("unknown verb " + verb)
m.logout()
