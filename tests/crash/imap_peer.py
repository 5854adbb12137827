#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The crash campaign's hands on an IMAP server (imaplib, TLS with the test
CA), in bulk (plugins/gmail-imap/tests/imapctl.py does one message a call);
messages are chosen by the number in their Message-ID (<gen-17-…>,
<new-2-3@…>), never by UID:

  imap_peer.py PORT CA USER PASS contents         "folder <msgid> flags size", sorted
  imap_peer.py PORT CA USER PASS duplicates       how many Message-IDs are there more than once
  imap_peer.py PORT CA USER PASS append FOLDER FILE...
  imap_peer.py PORT CA USER PASS edit ROUND       flags, expunges, 5 new messages in INBOX
"""
import imaplib, re, ssl, sys

port, ca, user, pw, verb = sys.argv[1:6]
args = sys.argv[6:]
m = imaplib.IMAP4_SSL("localhost", int(port), ssl_context=ssl.create_default_context(cafile=ca))
m.login(user, pw)


def q(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def folders():
    out = []
    for d in m.list()[1]:
        name = re.search(rb' "(?:[^"]*)" (.*)$', d).group(1).decode()
        out.append(name[1:-1] if name.startswith('"') else name)
    return sorted(out)


def messages(folder):
    """(uid, msgid, flags, size) of each message of folder"""
    m.select(q(folder))
    typ, data = m.uid("FETCH", "1:*", "(FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    for item in data:
        if not isinstance(item, tuple):
            continue
        meta = item[0].decode()
        uid = re.search(r"UID (\d+)", meta).group(1)
        flags = sorted(f for f in re.search(r"FLAGS \(([^)]*)\)", meta).group(1).split() if f != "\\Recent")
        size = re.search(r"RFC822.SIZE (\d+)", meta).group(1)
        mid = re.search(rb"<([^>]+)>", item[1])
        yield uid, mid.group(1).decode() if mid else "", flags, size


def number(mid):
    n = re.match(r"gen-(\d+)-|(?:new|imap)-\d+-(\d+)@", mid)
    return int(n.group(1) or n.group(2)) if n else None


def crlf(path):
    return open(path, "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


if verb == "contents":
    lines = []
    for f in folders():
        lines += ["%s <%s> %s %s" % (f, mid, " ".join(fl), size) for _, mid, fl, size in messages(f)]
    print("\n".join(sorted(lines)))
elif verb == "duplicates":
    ids = [mid for f in folders() for _, mid, _, _ in messages(f)]
    print(len(ids) - len(set(ids)))
elif verb == "append":
    for path in args[1:]:
        m.append(q(args[0]), None, None, crlf(path))
elif verb == "edit":
    r = int(args[0])
    for f in folders():
        gone = []
        for uid, mid, fl, _ in list(messages(f)):
            n = number(mid)
            if n is None:
                continue
            if n % 11 == r + 5:
                gone.append(uid)
                continue
            if n % 4 == r:
                m.uid("STORE", uid, "+FLAGS.SILENT", "(\\Answered)")
            if n % 6 == r:
                m.uid("STORE", uid, "-FLAGS.SILENT" if "\\Seen" in fl else "+FLAGS.SILENT", "(\\Seen)")
        if gone:
            m.uid("STORE", ",".join(gone), "+FLAGS.SILENT", "(\\Deleted)")
            m.expunge()
    for k in range(5):
        msg = ("Message-ID: <imap-%d-%d@crash.test>\r\nDate: Sat, 21 Nov 2026 09:0%d:00 +0000\r\n"
               "From: Carol <carol@example.org>\r\nTo: ada@example.org\r\nSubject: written on IMAP, round %d, %d\r\n\r\n"
               "Body %d of round %d.\r\n" % (r, k, k, r, k, k, r))
        m.append("INBOX", None, None, msg.encode())
else:
    sys.exit("unknown verb " + verb)
m.logout()
