#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes a generated mailbox as a Maildir++ tree: N messages of realistic
MIME (plain text, multipart/alternative, some with a base64 attachment),
about 4 KiB on average, spread over INBOX and a few folders, some seen or
flagged, dates over two years. Deterministic for a given seed.

Usage: gen_mail.py N DIR [--seed S] [--folders INBOX,Work,Lists/dev]
"""
import argparse, base64, os, random, time

WORDS = ("the quarterly report shows revenue growth across all regions while costs "
         "stayed flat meeting agenda budget review project timeline customer feedback "
         "please find attached draft proposal deadline next week thanks regards "
         "update status invoice shipment contract renewal onboarding support ticket").split()
NAMES = ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra", "Barbara Liskov",
         "Donald Knuth", "Frances Allen", "Ken Thompson", "Margaret Hamilton", "André Weil"]

def para(r, n):
    return " ".join(r.choice(WORDS) for _ in range(n)).capitalize() + "."

def body_text(r, size):
    out = []
    while sum(len(x) for x in out) < size:
        out.append(para(r, r.randint(8, 25)))
    lines, line = [], ""
    for w in " ".join(out).split():
        if len(line) + len(w) > 72:
            lines.append(line); line = w
        else:
            line = (line + " " + w).strip()
    lines.append(line)
    return "\n".join(lines)

def addr(name):
    return name.split()[0].lower().replace("é", "e") + "@example.org"

def encoded(name):
    try:
        name.encode("ascii")
        return '"%s"' % name
    except UnicodeEncodeError:
        return "=?UTF-8?B?%s?=" % base64.b64encode(name.encode()).decode()

def message(r, i, when):
    sender, to = r.sample(NAMES, 2)
    subject = "%s %s #%d" % (r.choice(WORDS).capitalize(), r.choice(WORDS), i)
    date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(when))
    head = ["Return-Path: <%s>" % addr(sender),
            "Message-ID: <gen-%d-%d@accord.bench>" % (i, r.randint(0, 1 << 30)),
            "Date: " + date,
            "From: %s <%s>" % (encoded(sender), addr(sender)),
            "To: %s <%s>" % (encoded(to), addr(to)),
            "Subject: " + subject,
            "MIME-Version: 1.0"]
    if i > 1 and r.random() < 0.3:
        head.append("In-Reply-To: <gen-%d-0@accord.bench>" % r.randint(1, i - 1))
    kind = r.random()
    text = body_text(r, int(r.lognormvariate(7.3, 0.6)))
    if kind < 0.55:
        head += ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
        body = text
    elif kind < 0.9:
        b = "alt-%d" % i
        head.append('Content-Type: multipart/alternative; boundary="%s"' % b)
        html = "<html><body><p>" + text.replace("\n", " ") + "</p></body></html>"
        body = ("--%s\nContent-Type: text/plain; charset=utf-8\n\n%s\n--%s\nContent-Type: text/html; charset=utf-8\n\n%s\n--%s--"
                % (b, text, b, html, b))
    else:
        b = "mix-%d" % i
        head.append('Content-Type: multipart/mixed; boundary="%s"' % b)
        blob = bytes(r.getrandbits(8) for _ in range(r.randint(2000, 12000)))
        att = base64.encodebytes(blob).decode()
        body = ("--%s\nContent-Type: text/plain; charset=utf-8\n\n%s\n--%s\nContent-Type: application/pdf; name=\"report-%d.pdf\"\n"
                "Content-Disposition: attachment; filename=\"report-%d.pdf\"\nContent-Transfer-Encoding: base64\n\n%s--%s--"
                % (b, text, b, i, i, att, b))
    return "\n".join(head) + "\n\n" + body + "\n"

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("dir")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--folders", default="INBOX,Work,Lists/dev,Archive/2025")
    a = ap.parse_args()
    r = random.Random(a.seed)
    folders = a.folders.split(",")
    start = int(time.time()) - 2 * 365 * 86400
    for f in folders:
        d = a.dir if f == "INBOX" else os.path.join(a.dir, "." + f.replace("/", "."))
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
    for i in range(1, a.n + 1):
        when = start + i * (2 * 365 * 86400 // max(a.n, 1))
        f = folders[0] if r.random() < 0.6 else r.choice(folders)
        d = a.dir if f == "INBOX" else os.path.join(a.dir, "." + f.replace("/", "."))
        flags = ("F" if r.random() < 0.05 else "") + ("S" if r.random() < 0.7 else "")
        name = "%d.M%dP%d.gen:2,%s" % (when, i, os.getpid(), flags)
        p = os.path.join(d, "cur", name)
        with open(p, "w", encoding="utf-8") as fh:
            fh.write(message(r, i, when))
        os.utime(p, (when, when))

if __name__ == "__main__":
    main()
