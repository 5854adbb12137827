#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A Gmail-dialect IMAP server for the gmail-imap tests (Dovecot has no X-GM-*).

It keeps Gmail's model: a message exists once, with a set of labels, and the
folders are views of it: "[Gmail]/All Mail" holds every message not in the
trash or spam, INBOX those labelled \\Inbox, "[Gmail]/Sent Mail" \\Sent, a user
label's folder those carrying that label, "[Gmail]/Starred" the \\Flagged ones.
Each folder numbers its messages with its own UIDs. The extensions: FETCH
X-GM-MSGID, X-GM-THRID and X-GM-LABELS, STORE [+-]X-GM-LABELS, SEARCH
X-GM-MSGID/X-GM-THRID/X-GM-LABELS; CONDSTORE without QRESYNC, UIDPLUS, MOVE,
ESEARCH, LIST-STATUS, SPECIAL-USE; TLS only (IMAPS), as imap.gmail.com.
Threads: a message whose In-Reply-To or References names a known message
joins that message's thread.

OAuth 2.0 as Google has it: SASL XOAUTH2 with an access token this fake
issued and has not expired, and a token endpoint (HTTPS, same certificate)
that renews access tokens with the refresh_token grant (RFC 6749 section 6),
answering Google's errors. Test controls on the same endpoint: POST /expire
(every access token issued so far stops working), POST /revoke (every
refresh token does). --rotate: each renewal also issues a new refresh token
and retires the old (Microsoft's and HighLevel's way; Google keeps them).

Names as Gmail sends them: folder names and user labels in modified UTF-7
(RFC 3501 5.1.3: "Reisen f&APw-r Urlaub"), quoted where they need it; system
labels quoted ("\\\\Inbox" "\\\\Sent"), as Gmail's X-GM-LABELS has them; the special
folders localised as the account's language says ("[Gmail]/All Mail" in
English, "[Google Mail]/Alle Nachrichten" in German: --control's "language"),
found by their SPECIAL-USE attributes; a language change renames them and
keeps their UIDVALIDITY and UIDs. An expunge does what Gmail's setting "When a
message is marked as deleted and expunged from the last visible IMAP folder"
says (--control's "expunge": "archive", Gmail's default, leaves it in All
Mail without its labels; "trash" moves it to the Trash; "delete" deletes it
for good); from a label's folder it removes that label.

Gmail's limits: 15 connections per account at once (more: NO [ALERT] Too many
simultaneous connections), LITERAL- after sign-in, one message per Message-ID
(an APPEND of a message the account holds is answered with a UID and
dropped), and through --control FILE a test's switches (see control()).

Usage: gmail_imap_fake.py CERT KEY [--rotate] [--max-connections N] [--control FILE] [--log FILE]
                          [--refresh USER:REFRESH_TOKEN]... USER:PASSWORD [...]
Prints "imaps PORT" (and "token PORT" when a refresh token was given) once it
listens on 127.0.0.1, then serves until killed.
"""
import calendar
import http.server
import json
import os
import re
import secrets
import socket
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse

# Gmail's capabilities, less those this fake does not implement (IDLE, QUOTA, COMPRESS)
# (after sign-in Gmail offers LITERAL-, RFC 7888: non-synchronizing literals of
# at most 4096 octets; a longer one is refused with BAD and the connection
# closed, as the RFC says a server may)
CAPS = ("IMAP4rev1 UNSELECT NAMESPACE ID XLIST CHILDREN X-GM-EXT-1 UIDPLUS "
        "ENABLE MOVE CONDSTORE ESEARCH LIST-EXTENDED LIST-STATUS LITERAL- SPECIAL-USE")
PRE_AUTH_CAPS = "IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=XOAUTH2 ID"
ALL, TRASH, SPAM, STARRED = "[Gmail]/All Mail", "[Gmail]/Trash", "[Gmail]/Spam", "[Gmail]/Starred"
SYSTEM = {  # folder → (special-use attribute, the label that puts a message there)
    "INBOX": (None, "\\Inbox"),
    "[Gmail]/Sent Mail": ("\\Sent", "\\Sent"),
    "[Gmail]/Drafts": ("\\Drafts", "\\Draft"),
    "[Gmail]/Important": ("\\Important", "\\Important"),
    ALL: ("\\All", None),
    STARRED: ("\\Flagged", None),
    TRASH: ("\\Trash", None),
    SPAM: ("\\Junk", None),
}
LOCK = threading.Lock()


def label_of(folder):
    """The label that puts a message in a folder (None: All Mail, Starred, Trash, Spam)."""
    return SYSTEM[folder][1] if folder in SYSTEM else folder


class Msg:
    def __init__(self, gid, raw, flags, date):
        self.gid, self.thrid, self.raw = gid, gid, raw
        self.flags, self.labels, self.date = set(flags), set(), date
        self.modseq, self.trashed, self.gone = 0, False, False

    def header(self, name):
        m = re.search(rb"(?im)^" + name.encode() + rb":[ \t]*(.*(?:\r\n[ \t].*)*)", self.head())
        return m.group(1).decode("latin-1").strip() if m else ""

    def head(self):
        end = self.raw.find(b"\r\n\r\n")
        return self.raw if end < 0 else self.raw[: end + 2]


class Folder:
    def __init__(self, name, validity):
        self.name, self.validity, self.uidnext = name, validity, 1
        self.uids = {}  # gid → uid
        self.removed_modseq = 0


class Account:
    def __init__(self):
        self.msgs = []  # in arrival order
        self.modseq = 1
        self.labels = []  # user labels, in creation order
        self.folders = {}
        self.next_gid = 1_600_000_000_000_000_000

    def bump(self):
        self.modseq += 1
        return self.modseq

    def names(self):
        return list(SYSTEM) + self.labels

    def member(self, folder, m):
        if m.gone:
            return False
        if folder == TRASH:
            return m.trashed
        if m.trashed:
            return False
        if folder == SPAM:
            return False
        if folder == ALL:
            return True
        if folder == STARRED:
            return "\\Flagged" in m.flags
        if folder in SYSTEM:
            return SYSTEM[folder][1] in m.labels
        return folder in m.labels

    def view(self, name):
        """The folder with its UIDs brought up to date; [(uid, msg)] by UID."""
        f = self.folders.get(name)
        if f is None:
            f = self.folders[name] = Folder(name, 600 + len(self.folders))
        live = {m.gid: m for m in self.msgs if self.member(name, m)}
        for gid in [g for g in f.uids if g not in live]:
            del f.uids[gid]
            f.removed_modseq = self.bump()
        for m in self.msgs:
            if m.gid in live and m.gid not in f.uids:
                f.uids[m.gid] = f.uidnext
                f.uidnext += 1
        by_gid = {m.gid: m for m in self.msgs}
        return f, sorted(((u, by_gid[g]) for g, u in f.uids.items()), key=lambda x: x[0])

    def add(self, raw, flags, date, folder):
        m = Msg(self.next_gid, raw, flags, date)
        self.next_gid += 1 + len(self.msgs) % 7
        for ref in re.findall(r"<[^>]+>", m.header("In-Reply-To") + " " + m.header("References")):
            for other in self.msgs:
                if other.header("Message-ID") == ref:
                    m.thrid = other.thrid
        m.modseq = self.bump()
        self.place(m, folder)
        self.msgs.append(m)
        return m

    def place(self, m, folder):
        """Puts a message in a folder: a label, or the trash."""
        if folder == TRASH:
            m.trashed = True
        elif label_of(folder):
            m.labels.add(label_of(folder))

    def labels_of(self, m):
        out = sorted(m.labels, key=lambda l: (not l.startswith("\\"), l))
        if "\\Flagged" in m.flags:
            out.append("\\Starred")
        return out

    def set_labels(self, m, how, labels):
        labels = {l for l in labels if l != "\\Starred"}
        for l in labels:
            if not l.startswith("\\") and l not in self.labels:
                self.labels.append(l)
        if how == "+":
            m.labels |= labels
        elif how == "-":
            m.labels -= labels
        else:
            m.labels = set(labels)
        m.modseq = self.bump()


ACCOUNTS = {}
PASSWORDS = {}
REFRESH = {}        # refresh token -> user
ACCESS = {}         # access token -> user (those still valid)
ROTATE = [False]
MAX_CONNECTIONS = [15]   # Gmail: 15 IMAP connections per account at once
SIGNED_IN = {}           # user -> connections signed in now
PEAK = [None, {}]        # --peak FILE: the most connections of each user signed in at once, as JSON {"user": N}
                         # (since the file was last removed)
LOG = [None]             # --log FILE: every command a client sends, one a line ("USER TAG COMMAND ARGS"),
                         # and each request to the token endpoint ("- - TOKEN GRANT_TYPE")
CONTROL = [None]         # --control FILE: a test's switches, read on each command (JSON):
#   {"held": N}            N more connections of the account are in use elsewhere
#   {"delay": S}           every command waits S seconds before it is answered (runs overlap)
#   {"hold": FILE}         while FILE exists, a signed-in connection's commands wait before they are
#                          answered (sign-in itself is not held): the connection, and the client's
#                          slot for it, stays in use until the test removes FILE (an event, not a time)
#   {"overquota": "fetch"} a body FETCH (BODY[…]) answers NO [OVERQUOTA], as Gmail over its
#                          daily download limit; "append": APPEND does (the upload limit)
#   {"bye": "fetch"}       a body FETCH ends the connection with Gmail's BYE for its bandwidth
#                          limits ("* BYE Account exceeded command or bandwidth limits")
#   {"gone_on_fetch": F}   a body FETCH while folder F is selected answers NO [NONEXISTENT], as
#                          a server may for a folder renamed or deleted since it was selected
#   {"language": "de"}     the special folders' names in German ("en": English, the default)
#   {"expunge": "archive"} Gmail's setting for an expunge from the last visible folder:
#                          "archive" (the default), "trash" or "delete" (forever)


# The special folders' names by language (Gmail's own, as its web settings
# show them in each language); the fake keeps them by their English names.
LANGUAGES = {
    "de": {"[Gmail]": "[Google Mail]", ALL: "[Google Mail]/Alle Nachrichten", "[Gmail]/Sent Mail": "[Google Mail]/Gesendet",
           "[Gmail]/Drafts": "[Google Mail]/Entwürfe", "[Gmail]/Important": "[Google Mail]/Wichtig",
           STARRED: "[Google Mail]/Markiert", TRASH: "[Google Mail]/Papierkorb", SPAM: "[Google Mail]/Spam"},
}


def localised(name):
    """A folder's name in the account's language now."""
    return LANGUAGES.get(control().get("language", "en"), {}).get(name, name)


def english(name):
    """The fake's own name of a folder named in the account's language."""
    for k, v in LANGUAGES.get(control().get("language", "en"), {}).items():
        if v == name:
            return k
    return name


def mutf7_encode(s):
    """Modified UTF-7 (RFC 3501 5.1.3)."""
    import base64
    out, run = "", ""
    def flush():
        nonlocal out, run
        if run:
            out += "&" + base64.b64encode(run.encode("utf-16-be")).decode().rstrip("=").replace("/", ",") + "-"
            run = ""
    for ch in s:
        if 0x20 <= ord(ch) <= 0x7e:
            flush()
            out += "&-" if ch == "&" else ch
        else:
            run += ch
    flush()
    return out


def mutf7_decode(s):
    import base64
    def one(m):
        b = m.group(1)
        if not b:
            return "&"
        b = b.replace(",", "/")
        return base64.b64decode(b + "=" * (-len(b) % 4)).decode("utf-16-be")
    return re.sub(r"&([A-Za-z0-9+,]*)-", one, s)


def wire_label(l):
    """A label as X-GM-LABELS sends it: system ones quoted ("\\\\Inbox"), others in modified UTF-7."""
    if l.startswith("\\"):
        return '"' + l.replace("\\", "\\\\") + '"'
    return quote(mutf7_encode(l))


def logged(a):
    """A command's argument as --log writes it: a literal as {size}, a string as it reads."""
    if isinstance(a, bytes):
        return "{%d}" % len(a)
    if isinstance(a, tuple):
        return '"%s"' % a[1]
    if isinstance(a, list):
        return "(" + " ".join(logged(x) for x in a) + ")"
    return str(a)


def control():
    if not CONTROL[0]:
        return {}
    try:
        with open(CONTROL[0]) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


class Bad(Exception):
    pass


def quote(s):
    if isinstance(s, bytes):
        s = s.decode()
    if re.fullmatch(r"[A-Za-z0-9_\-.\\$]+", s) and s.upper() != "NIL":
        return s
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---- BODYSTRUCTURE (RFC 3501 7.4.2), from the raw message --------------------

def _qs(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _head_body(raw):
    if raw.startswith(b"\r\n"):
        return b"", raw[2:]
    i = raw.find(b"\r\n\r\n")
    return (raw, b"") if i < 0 else (raw[:i + 2], raw[i + 4:])


def _header(head, name):
    m = re.search(rb"(?im)^" + re.escape(name.encode()) + rb"[ \t]*:(.*(?:\r\n[ \t].*)*)", head)
    return m.group(1).replace(b"\r\n", b"").decode("utf-8", "replace").strip() if m else ""


def _params(value):
    """'type/sub; a=b; c="d;e"' -> ('type/sub', [('a', 'b'), ('c', 'd;e')])"""
    pieces, cur, quoted, i = [], "", False, 0
    while i < len(value):
        c = value[i]
        if quoted and c == "\\" and i + 1 < len(value):
            cur += value[i + 1]
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        elif c == ";" and not quoted:
            pieces.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    pieces.append(cur)
    params = [(n.strip().lower(), v.strip()) for n, eq, v in (p.partition("=") for p in pieces[1:]) if eq]
    return "".join(pieces[0].split()).lower(), params


def _plist(params):
    return "(" + " ".join(_qs(n) + " " + _qs(v) for n, v in params) + ")" if params else "NIL"


def bodystructure(raw, digest=False, cut=False):
    """cut: the part ended at a multipart delimiter (the CRLF before it is the delimiter's)"""
    head, body = _head_body(raw)
    typ, params = _params(_header(head, "Content-Type"))
    if "/" not in typ:
        typ, params = ("message/rfc822", []) if digest else ("text/plain", [("charset", "us-ascii")])
    main, sub = typ.split("/", 1)
    boundary = dict(params).get("boundary", "")
    if main == "multipart" and boundary:
        parts, start, at, delim = [], None, 0, b"--" + boundary.encode()
        while at <= len(body):
            eol = body.find(b"\r\n", at)
            line = body[at:] if eol < 0 else body[at:eol]
            if line.startswith(delim):
                if start is not None:
                    parts.append(body[start:max(at - 2, start)])
                if line[len(delim):].startswith(b"--"):
                    start = None
                    break
                start = len(body) if eol < 0 else eol + 2
            if eol < 0:
                break
            at = eol + 2
        if start is not None:
            parts.append(body[start:])
        return "(" + "".join(bodystructure(p, sub == "digest", True) for p in parts) + " " + _qs(sub) + " " + _plist(params) + " NIL NIL NIL)"
    if main == "multipart":
        main, sub = "text", "plain"
    cid = _header(head, "Content-ID")
    enc = _header(head, "Content-Transfer-Encoding") or "7bit"
    size = len(body)
    if typ == "message/rfc822" and cut and b"\r\n\r\n" not in body and not body.startswith(b"\r\n"):
        size += 2  # a message that is all header: Dovecot counts the CRLF before the delimiter in it
    fields = "%s %s NIL %s %d" % (_plist(params), _qs(cid) if cid else "NIL", _qs(enc), size)
    dtype, dparams = _params(_header(head, "Content-Disposition"))
    dsp = "(%s %s)" % (_qs(dtype), _plist(dparams)) if dtype else "NIL"
    if main == "text":
        return "(%s %s %s %d NIL %s NIL NIL)" % (_qs(main), _qs(sub), fields, body.count(b"\n"), dsp)
    if typ == "message/rfc822":
        return "(%s %s %s NIL %s %d NIL %s NIL NIL)" % (_qs(main), _qs(sub), fields, bodystructure(body), body.count(b"\n"), dsp)
    return "(%s %s %s NIL %s NIL NIL)" % (_qs(main), _qs(sub), fields, dsp)


def seq_set(text, maxval):
    out = set()
    for part in text.split(","):
        a, _, b = part.partition(":")
        lo = maxval if a == "*" else int(a)
        hi = lo if not b else (maxval if b == "*" else int(b))
        lo, hi = min(lo, hi), max(lo, hi)
        if hi - lo > 10_000_000:
            raise Bad("set too large")
        out.update(range(lo, hi + 1))
    return out


def imap_date(t):
    return time.strftime("%d-%b-%Y %H:%M:%S +0000", time.gmtime(t))


def parse_date(s):
    d, mon, y, hh, mm, ss, sign, oh, om = re.fullmatch(
        r"\s*(\d{1,2})-(\w{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)", s).groups()
    t = calendar.timegm(time.strptime("%s-%s-%s %s:%s:%s" % (d, mon, y, hh, mm, ss), "%d-%b-%Y %H:%M:%S"))
    return t - (int(oh) * 3600 + int(om) * 60) * (1 if sign == "+" else -1)


class Conn(socketserver.StreamRequestHandler):
    def setup(self):
        super().setup()
        self.user = None
        self.acct = None
        self.sel = None
        self.readonly = False
        self.condstore = False

    # ---- reading a command, literals included ----
    def read_command(self):
        line = self.rfile.readline()
        if not line:
            return None
        data = b""
        while True:
            m = re.search(rb"\{(\d+)(\+?)\}\r\n$", line)
            if not m:
                data += line
                break
            n = int(m.group(1))
            data += line[: m.start()]
            if m.group(2) and n > 4096 and self.acct is not None:
                # LITERAL- (RFC 7888 section 4): refused, and the connection closed
                self.line("* BYE [TOOBIG] non-synchronizing literal over 4096 octets (LITERAL-)")
                return None
            if not m.group(2):
                self.send(b"+ go ahead\r\n")
            data += b"{LIT:%d}" % len(self.literals)
            self.literals.append(self.rfile.read(n))
            line = self.rfile.readline()
        return data.rstrip(b"\r\n")

    def tokens(self, text):
        """Atoms, "quoted" strings, literals and (lists), as Python values."""
        pos = 0
        stack = [[]]
        while pos < len(text):
            c = text[pos]
            if c == " ":
                pos += 1
            elif c == "(":
                stack.append([])
                pos += 1
            elif c == ")":
                inner = stack.pop()
                stack[-1].append(inner)
                pos += 1
            elif c == '"':
                pos += 1
                s = ""
                while text[pos] != '"':
                    if text[pos] == "\\":
                        pos += 1
                    s += text[pos]
                    pos += 1
                pos += 1
                stack[-1].append(("q", s))
            elif text.startswith("{LIT:", pos):
                end = text.index("}", pos)
                stack[-1].append(self.literals[int(text[pos + 5:end])])
                pos = end + 1
            else:
                start = pos
                depth = 0
                while pos < len(text) and (depth or text[pos] not in " ()"):
                    if text[pos] == "[":
                        depth += 1
                    elif text[pos] == "]":
                        depth -= 1
                    pos += 1
                stack[-1].append(text[start:pos])
        return stack[0]

    @staticmethod
    def s(v):
        if isinstance(v, tuple):
            return v[1]
        if isinstance(v, bytes):
            return v.decode()
        return v

    def send(self, b):
        self.wfile.write(b)
        self.wfile.flush()

    def line(self, text):
        self.send(text.encode() + b"\r\n")

    def handle(self):
        self.line("* OK [CAPABILITY %s] Gimap ready for requests from 127.0.0.1" % PRE_AUTH_CAPS)
        while True:
            self.literals = []
            try:
                raw = self.read_command()
            except (ConnectionError, ssl.SSLError, OSError):
                return
            if raw is None:
                return
            text = raw.decode("utf-8", "replace")
            tag, _, rest = text.partition(" ")
            toks = self.tokens(rest)
            if not toks:
                self.line(tag + " BAD empty command")
                continue
            cmd = toks[0].upper()
            args = toks[1:]
            if cmd == "UID" and args:
                cmd = "UID " + args[0].upper()
                args = args[1:]
            if LOG[0]:  # --log FILE: the command as sent, without its literals' bytes
                with open(LOG[0], "a") as f:
                    f.write("%s %s %s\n" % (self.user, tag, " ".join(
                        [cmd] + [logged(a) for a in args])))
            if control().get("delay"):
                time.sleep(float(control()["delay"]))
            while self.acct is not None and control().get("hold") and os.path.exists(control()["hold"]):
                time.sleep(0.05)
            try:
                with LOCK:
                    done = self.dispatch(tag, cmd, args)
                if done == "bye":
                    return
            except Bad as e:
                self.line("%s BAD %s" % (tag, e))
            except (ConnectionError, ssl.SSLError, OSError):
                return
            except Exception as e:  # a fake's bug: say it, keep serving
                self.line("%s BAD internal error: %r" % (tag, e))

    def dispatch(self, tag, cmd, args):
        fn = getattr(self, "c_" + cmd.replace(" ", "_").lower(), None)
        if fn is None:
            raise Bad("unknown command " + cmd)
        if self.acct is None and cmd not in ("CAPABILITY", "LOGIN", "AUTHENTICATE", "ID", "NOOP", "LOGOUT"):
            raise Bad("sign in first")
        return fn(tag, args)

    # ---- commands ----
    def c_capability(self, tag, args):
        self.line("* CAPABILITY " + (CAPS if self.acct else PRE_AUTH_CAPS))
        self.line(tag + " OK Success")

    def c_noop(self, tag, args):
        self.line(tag + " OK Success")

    def c_id(self, tag, args):
        self.line('* ID ("name" "GImap" "vendor" "Google, Inc.")')
        self.line(tag + " OK Success")

    def c_logout(self, tag, args):
        self.line("* BYE LOGOUT Requested")
        self.line(tag + " OK 73 good day (Success)")
        return "bye"

    def signin(self, tag, user, pw):
        if PASSWORDS.get(user) != pw:
            self.line(tag + " NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)")
            return
        self.admit(tag, user)

    def admit(self, tag, user):
        """Signs in, unless the account's connections are all in use."""
        if SIGNED_IN.get(user, 0) + int(control().get("held", 0)) >= MAX_CONNECTIONS[0]:
            self.line(tag + " NO [ALERT] Too many simultaneous connections. (Failure)")
            return
        SIGNED_IN[user] = SIGNED_IN.get(user, 0) + 1
        if PEAK[0] and not os.path.exists(PEAK[0]):  # removed by the test: counted from now
            PEAK[1] = {}
        if PEAK[0] and SIGNED_IN[user] > PEAK[1].get(user, 0):
            PEAK[1][user] = SIGNED_IN[user]
            with open(PEAK[0] + ".tmp", "w") as f:
                json.dump(PEAK[1], f)
            os.replace(PEAK[0] + ".tmp", PEAK[0])
        self.user = user
        self.acct = ACCOUNTS[user]
        self.line("* CAPABILITY " + CAPS)
        self.line(tag + " OK " + user + " authenticated (Success)")

    def finish(self):
        with LOCK:
            if self.acct is not None:
                SIGNED_IN[self.user] -= 1
                self.acct = None
        super().finish()

    def c_login(self, tag, args):
        self.signin(tag, self.s(args[0]), self.s(args[1]))

    def c_authenticate(self, tag, args):
        import base64
        mech = args[0].upper()
        if mech not in ("PLAIN", "XOAUTH2"):
            self.line(tag + " NO [AUTHENTICATIONFAILED] mechanism not offered here")
            return
        if len(args) > 1:
            resp = self.s(args[1])
        else:
            self.send(b"+ \r\n")
            resp = self.rfile.readline().decode().strip()
        if mech == "PLAIN":
            parts = base64.b64decode(resp).split(b"\0")
            self.signin(tag, parts[1].decode(), parts[2].decode())
            return
        # XOAUTH2: base64("user=" U "\x01auth=Bearer " TOKEN "\x01\x01")
        fields = dict(f.split("=", 1) for f in base64.b64decode(resp).decode().split("\x01") if "=" in f)
        user, auth = fields.get("user", ""), fields.get("auth", "")
        good = auth.startswith("Bearer ") and ACCESS.get(auth[7:]) == user  # (commands run under LOCK)
        if good:
            self.admit(tag, user)
            return
        # Google's way: a challenge carrying the error, an empty answer, then NO
        err = b'{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}'
        self.send(b"+ " + base64.b64encode(err) + b"\r\n")
        self.rfile.readline()
        self.line(tag + " NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)")

    def c_enable(self, tag, args):
        on = [a.upper() for a in args if a.upper() == "CONDSTORE"]
        if on:
            self.condstore = True
            self.line("* ENABLED CONDSTORE")
        else:
            self.line("* ENABLED")
        self.line(tag + " OK Success")

    def c_namespace(self, tag, args):
        self.line('* NAMESPACE (("" "/")) NIL NIL')
        self.line(tag + " OK Success")

    def status_items(self, name, items):
        f, msgs = self.acct.view(name)
        vals = {"MESSAGES": len(msgs), "UIDNEXT": f.uidnext, "UIDVALIDITY": f.validity,
                "UNSEEN": sum(1 for _, m in msgs if "\\Seen" not in m.flags),
                "HIGHESTMODSEQ": max([m.modseq for _, m in msgs] + [f.removed_modseq, 1])}
        return " ".join("%s %d" % (i.upper(), vals[i.upper()]) for i in items if i.upper() in vals)

    def c_list(self, tag, args):
        self.c_xlist(tag, args, "LIST")

    def c_xlist(self, tag, args, verb="XLIST"):
        special_only = False
        if args and isinstance(args[0], list):  # LIST-EXTENDED selection options
            special_only = "SPECIAL-USE" in [str(o).upper() for o in args[0]]
            args = args[1:]
        ref, pat = self.s(args[0]), self.s(args[1])
        status = None
        if len(args) > 3 and str(args[2]).upper() == "RETURN":
            ret = args[3]
            for i, x in enumerate(ret):
                if isinstance(x, str) and x.upper() == "STATUS":
                    status = ret[i + 1]
        if pat == "":
            self.line('* %s (\\Noselect) "/" ""' % verb)
            self.line(tag + " OK Success")
            return
        rx = "^" + re.escape(ref + pat).replace("\\*", ".*").replace("%", "[^/]*") + "$"
        names = ["INBOX", "[Gmail]"] + [n for n in self.acct.names() if n != "INBOX"]
        for n in names:
            wire = mutf7_encode(localised(n))
            if not re.match(rx, wire, re.I if n == "INBOX" else 0):
                continue
            if n == "[Gmail]":
                self.line('* %s (\\HasChildren \\Noselect) "/" %s' % (verb, quote(wire)))
                continue
            attrs = ["\\HasNoChildren"]
            if n in SYSTEM and SYSTEM[n][0]:
                attrs.append(SYSTEM[n][0])
            elif special_only:
                continue
            self.line('* %s (%s) "/" %s' % (verb, " ".join(attrs), quote(wire)))
            if status:
                self.line("* STATUS %s (%s)" % (quote(wire), self.status_items(n, status)))
        self.line(tag + " OK Success")

    def c_status(self, tag, args):
        name = self.folder_name(args[0])
        self.line("* STATUS %s (%s)" % (quote(mutf7_encode(localised(name))), self.status_items(name, args[1])))
        self.line(tag + " OK Success")

    def folder_name(self, v):
        name = self.internal(v)
        if name.upper() == "INBOX":
            return "INBOX"
        if name not in self.acct.names():
            raise Bad("[NONEXISTENT] Unknown Mailbox: %s (Failure)" % name)
        return name

    def internal(self, v):
        """The fake's own name of a folder a command names (modified UTF-7, localised)."""
        name = english(mutf7_decode(self.s(v)))
        return "INBOX" if name.upper() == "INBOX" else name

    def c_create(self, tag, args):
        name = self.internal(args[0])
        if name in self.acct.names() or name.startswith("[Gmail]"):
            self.line(tag + " NO [ALREADYEXISTS] Folder name conflicts with existing folder name. (Failure)")
            return
        self.acct.labels.append(name)
        self.line(tag + " OK Success")

    def c_rename(self, tag, args):
        """RENAME, as Gmail does it: renaming a label's folder renames the label
        on every message carrying it (Google's table of how an IMAP client's
        actions show in Gmail: a folder is a label), its nested labels ("A/x")
        with it, as RFC 3501 6.3.5 renames inferior names; the folder keeps its
        UIDVALIDITY and UIDs. Each relabelled message's MODSEQ moves on, as any
        change of its labels does (the strict reading: the client must not
        take its own rename for another client's change). A system folder
        (INBOX, [Gmail]/…) cannot be renamed nor a label take a system name,
        and a name in use is refused as CREATE refuses it."""
        old, new = self.internal(args[0]), self.internal(args[1])
        if old == "INBOX" or old in SYSTEM or old.startswith("[Gmail]") or new.upper() == "INBOX" or \
                new in SYSTEM or new.startswith("[Gmail]"):
            self.line(tag + " NO [CANNOT] System folders cannot be renamed. (Failure)")
            return
        if old not in self.acct.labels:
            self.line(tag + " NO [NONEXISTENT] Unknown Mailbox: %s (Failure)" % old)
            return
        renames = {l: new + l[len(old):] for l in self.acct.labels if l == old or l.startswith(old + "/")}
        if any(n in self.acct.names() for n in renames.values()):
            self.line(tag + " NO [ALREADYEXISTS] Folder name conflicts with existing folder name. (Failure)")
            return
        self.acct.labels = [renames.get(l, l) for l in self.acct.labels]
        for m in self.acct.msgs:
            if m.labels & renames.keys():
                m.labels = {renames.get(l, l) for l in m.labels}
                m.modseq = self.acct.bump()
        for o, n in renames.items():
            if o in self.acct.folders:
                f = self.acct.folders.pop(o)
                f.name = n
                self.acct.folders[n] = f
        if self.sel in renames:
            self.sel = renames[self.sel]
        self.line(tag + " OK Success")

    def c_select(self, tag, args, readonly=False):
        try:
            name = self.folder_name(args[0])
        except Bad as e:
            self.sel = None
            self.line("%s NO %s" % (tag, e))
            return
        if len(args) > 1 and isinstance(args[1], list) and "CONDSTORE" in [str(a).upper() for a in args[1]]:
            self.condstore = True
        f, msgs = self.acct.view(name)
        self.sel, self.readonly = name, readonly
        self.line("* FLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen $NotPhishing $Phishing)")
        self.line("* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen $NotPhishing $Phishing \\*)] Flags permitted.")
        self.line("* OK [UIDVALIDITY %d] UIDs valid." % f.validity)
        self.line("* %d EXISTS" % len(msgs))
        self.line("* 0 RECENT")
        self.line("* OK [UIDNEXT %d] Predicted next UID." % f.uidnext)
        self.line("* OK [HIGHESTMODSEQ %d]" % max([m.modseq for _, m in msgs] + [f.removed_modseq, 1]))
        self.line("%s OK [%s] %s selected. (Success)" % (tag, "READ-ONLY" if readonly else "READ-WRITE", mutf7_encode(localised(name))))

    def c_examine(self, tag, args):
        self.c_select(tag, args, True)

    def c_unselect(self, tag, args):
        self.sel = None
        self.line(tag + " OK Returned to authenticated state. (Success)")

    def c_close(self, tag, args):
        if self.sel and not self.readonly:
            self.expunge(None)
        self.sel = None
        self.line(tag + " OK Returned to authenticated state. (Success)")

    def selected(self):
        if self.sel is None:
            raise Bad("select a folder first")
        return self.acct.view(self.sel)

    def pick(self, setspec, uid):
        """[(seq, uid, msg)] a sequence or UID set names."""
        f, msgs = self.selected()
        if not msgs:
            return []
        if uid:
            want = seq_set(setspec, msgs[-1][0])
            if setspec.endswith("*") and msgs:
                want.add(msgs[-1][0])
            return [(i + 1, u, m) for i, (u, m) in enumerate(msgs) if u in want]
        want = seq_set(setspec, len(msgs))
        return [(i + 1, u, m) for i, (u, m) in enumerate(msgs) if i + 1 in want]

    # ---- FETCH ----
    def c_fetch(self, tag, args, uid=False):
        items = args[1] if isinstance(args[1], list) else [args[1]]
        items = [i.upper() if isinstance(i, str) else i for i in items]
        changedsince = None
        if len(args) > 2 and isinstance(args[2], list):
            mods = args[2]
            for i, x in enumerate(mods):
                if str(x).upper() == "CHANGEDSINCE":
                    changedsince = int(mods[i + 1])
                if str(x).upper() == "VANISHED":
                    raise Bad("VANISHED needs QRESYNC, which this server does not offer")
        body = any(str(i).startswith("BODY[") or str(i).startswith("BODY.PEEK[") and "HEADER" not in str(i) for i in items)
        if control().get("bye") == "fetch" and body:
            self.line("* BYE Account exceeded command or bandwidth limits. (Failure)")
            return "bye"
        if body and self.sel is not None and control().get("gone_on_fetch") == self.sel:
            self.line(tag + " NO [NONEXISTENT] Unknown Mailbox: %s (Failure)" % self.sel)
            return
        if control().get("overquota") == "fetch" and any(str(i).startswith("BODY[") or str(i).startswith("BODY.PEEK[") and "HEADER" not in str(i) for i in items):
            self.line(tag + " NO [OVERQUOTA] Account exceeded command or bandwidth limits. (Failure)")
            return
        if uid and "UID" not in items:
            items.insert(0, "UID")
        if changedsince is not None or (self.condstore and "FLAGS" in items):
            if "MODSEQ" not in items:
                items.append("MODSEQ")
        for seq, u, m in self.pick(args[0], uid):
            if changedsince is not None and m.modseq <= changedsince:
                continue
            parts = []
            for it in items:
                parts.append(self.fetch_item(it, u, m))
                if it.startswith("BODY[") and not self.readonly and "\\Seen" not in m.flags:
                    m.flags.add("\\Seen")
                    m.modseq = self.acct.bump()
            self.send(("* %d FETCH (" % seq).encode() + b" ".join(parts) + b")\r\n")
        self.line(tag + " OK Success")

    def c_uid_fetch(self, tag, args):
        return self.c_fetch(tag, args, True)

    def fetch_item(self, it, u, m):
        if it == "UID":
            return b"UID %d" % u
        if it == "FLAGS":
            return ("FLAGS (%s)" % " ".join(sorted(m.flags))).encode()
        if it == "MODSEQ":
            return b"MODSEQ (%d)" % m.modseq
        if it == "INTERNALDATE":
            return ('INTERNALDATE "%s"' % imap_date(m.date)).encode()
        if it == "RFC822.SIZE":
            return b"RFC822.SIZE %d" % len(m.raw)
        if it == "BODYSTRUCTURE":
            return ("BODYSTRUCTURE " + bodystructure(m.raw)).encode()
        if it == "X-GM-MSGID":
            return b"X-GM-MSGID %d" % m.gid
        if it == "X-GM-THRID":
            return b"X-GM-THRID %d" % m.thrid
        if it == "X-GM-LABELS":
            return ("X-GM-LABELS (%s)" % " ".join(wire_label(l) for l in self.acct.labels_of(m))).encode()
        # a partial fetch, <start.length> (RFC 3501 6.4.5; Gmail offers it):
        # answered as BODY[...]<start> with those bytes
        mm = re.fullmatch(r"BODY(?:\.PEEK)?\[(.*)\](?:<(\d+)\.(\d+)>)?", it)
        if mm:
            sect = mm.group(1)
            if sect == "":
                body, name = m.raw, "BODY[]"
            elif sect == "HEADER":
                body, name = m.head() + b"\r\n", "BODY[HEADER]"
            elif sect.startswith("HEADER.FIELDS"):
                fields = re.findall(r"[A-Za-z0-9-]+", sect[len("HEADER.FIELDS"):])
                lines = re.findall(rb"(?m)^[^ \t\r\n][^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*", m.head())
                keep = [l for l in lines if l.split(b":", 1)[0].decode("latin-1").upper() in [f.upper() for f in fields]]
                body = b"".join(keep) + b"\r\n"
                name = "BODY[HEADER.FIELDS (%s)]" % " ".join(f.upper() for f in fields)
            else:
                raise Bad("section not offered by this fake: " + sect)
            if mm.group(2) is not None:
                start = int(mm.group(2))
                body, name = body[start:start + int(mm.group(3))], name + "<%d>" % start
            return name.encode() + b" {%d}\r\n" % len(body) + body
        raise Bad("fetch item not offered by this fake: " + str(it))

    # ---- STORE ----
    def c_store(self, tag, args, uid=False):
        if self.readonly:
            self.line(tag + " NO read-only folder")
            return
        setspec, rest = args[0], args[1:]
        unchanged = None
        if isinstance(rest[0], list):
            mods = rest[0]
            unchanged = int(mods[1]) if str(mods[0]).upper() == "UNCHANGEDSINCE" else None
            rest = rest[1:]
        what, vals = rest[0].upper(), rest[1] if isinstance(rest[1], list) else [rest[1]]
        vals = [self.s(v) for v in vals]
        silent = what.endswith(".SILENT")
        what = what.replace(".SILENT", "")
        how = what[0] if what[0] in "+-" else "="
        item = what.lstrip("+-")
        modified = []
        for seq, u, m in self.pick(setspec, uid):
            if unchanged is not None and m.modseq > unchanged:
                modified.append(u if uid else seq)
                continue
            if item == "FLAGS":
                new = set(vals)
                m.flags = m.flags | new if how == "+" else m.flags - new if how == "-" else new
                m.modseq = self.acct.bump()
            elif item == "X-GM-LABELS":
                self.acct.set_labels(m, how, [v if v.startswith("\\") else mutf7_decode(v) for v in vals])
            else:
                raise Bad("store item not offered: " + item)
            if not silent:
                shown = "FLAGS (%s)" % " ".join(sorted(m.flags)) if item == "FLAGS" else \
                    "X-GM-LABELS (%s)" % " ".join(wire_label(l) for l in self.acct.labels_of(m))
                self.line("* %d FETCH (%s%s MODSEQ (%d))" % (seq, "UID %d " % u if uid else "", shown, m.modseq))
        if modified:
            self.line("%s OK [MODIFIED %s] Conditional STORE failed" % (tag, ",".join(map(str, modified))))
        else:
            self.line(tag + " OK Success")

    def c_uid_store(self, tag, args):
        self.c_store(tag, args, True)

    # ---- SEARCH ----
    def c_search(self, tag, args, uid=False):
        esearch = False
        if args and str(args[0]).upper() == "RETURN":
            esearch = True
            args = args[2:]
        f, msgs = self.selected()
        hits = [(i + 1, u, m) for i, (u, m) in enumerate(msgs)]
        i = 0
        while i < len(args):
            k = str(self.s(args[i])).upper()
            if k == "ALL":
                i += 1
            elif k == "UID":
                want = seq_set(self.s(args[i + 1]), msgs[-1][0] if msgs else 0)
                hits = [h for h in hits if h[1] in want]
                i += 2
            elif k == "HEADER":
                name, val = self.s(args[i + 1]), self.s(args[i + 2]).lower()
                hits = [h for h in hits if val in h[2].header(name).lower()]
                i += 3
            elif k in ("X-GM-MSGID", "X-GM-THRID"):
                n = int(self.s(args[i + 1]))
                hits = [h for h in hits if (h[2].gid if k == "X-GM-MSGID" else h[2].thrid) == n]
                i += 2
            elif k == "X-GM-LABELS":
                lab = self.s(args[i + 1])
                lab = lab if lab.startswith("\\") else mutf7_decode(lab)
                hits = [h for h in hits if lab in h[2].labels]
                i += 2
            elif k in ("DELETED", "UNDELETED"):
                hits = [h for h in hits if ("\\Deleted" in h[2].flags) == (k == "DELETED")]
                i += 1
            elif k in ("KEYWORD", "UNKEYWORD"):  # RFC 3501 6.4.4; keywords compare without case
                kw = str(self.s(args[i + 1])).upper()
                hits = [h for h in hits if (kw in {f.upper() for f in h[2].flags}) == (k == "KEYWORD")]
                i += 2
            elif re.fullmatch(r"[0-9*:,]+", k):
                want = seq_set(k, len(msgs))
                hits = [h for h in hits if h[0] in want]
                i += 1
            else:
                raise Bad("search key not offered by this fake: " + k)
        nums = [h[1] if uid else h[0] for h in hits]
        if esearch:
            self.line('* ESEARCH (TAG "%s")%s%s' % (tag, " UID" if uid else "",
                                                   " ALL " + ",".join(map(str, nums)) if nums else ""))
        else:
            self.line("* SEARCH" + "".join(" %d" % n for n in nums))
        self.line(tag + " OK SEARCH completed (Success)")

    def c_uid_search(self, tag, args):
        self.c_search(tag, args, True)

    # ---- APPEND, MOVE, COPY, EXPUNGE ----
    def c_append(self, tag, args):
        name = self.internal(args[0])
        if name not in self.acct.names():
            self.line(tag + " NO [TRYCREATE] Folder doesn't exist. (Failure)")
            return
        flags, date = [], int(time.time())
        for a in args[1:-1]:
            if isinstance(a, list):
                flags = [self.s(x) for x in a]
            elif isinstance(a, tuple):
                date = parse_date(a[1])
        if control().get("overquota") == "append":
            self.line(tag + " NO [OVERQUOTA] Account exceeded command or bandwidth limits. (Failure)")
            return
        mid = Msg(0, args[-1], [], 0).header("Message-ID")
        if mid and any(not o.gone and not o.trashed and o.header("Message-ID") == mid for o in self.acct.msgs):
            # Gmail keeps one message per Message-ID: the APPEND is answered
            # with a UID of its own, and no message is added
            f, msgs = self.acct.view(name)
            f.uidnext += 1
            self.line("%s OK [APPENDUID %d %d] (Success)" % (tag, f.validity, f.uidnext - 1))
            return
        m = self.acct.add(args[-1], flags, date, name)
        f, msgs = self.acct.view(name)
        self.line("%s OK [APPENDUID %d %d] (Success)" % (tag, f.validity, f.uids[m.gid]))

    def c_uid_copy(self, tag, args, move=False):
        dest = self.internal(args[1]) if self.internal(args[1]) in self.acct.names() else None
        if dest is None:
            self.line(tag + " NO [TRYCREATE] Folder doesn't exist. (Failure)")
            return
        picked = self.pick(args[0], True)
        for _, u, m in picked:
            self.acct.place(m, dest)
            if move and label_of(self.sel):
                m.labels.discard(label_of(self.sel))
            m.modseq = self.acct.bump()
        df, dmsgs = self.acct.view(dest)
        src = ",".join(str(u) for _, u, _ in picked)
        dst = ",".join(str(df.uids[m.gid]) for _, _, m in picked if m.gid in df.uids)
        code = "[COPYUID %d %s %s] " % (df.validity, src, dst) if picked and dst else ""
        if move:
            self.line("* OK %s(Success)" % code)
            self.view_expunges()
            self.line(tag + " OK Success")
        else:
            self.line("%s OK %s(Success)" % (tag, code))

    def c_uid_move(self, tag, args):
        self.c_uid_copy(tag, args, True)

    def view_expunges(self):
        """EXPUNGE responses for what left the selected folder."""
        f = self.acct.folders[self.sel]
        before = sorted(f.uids.values())
        _, msgs = self.acct.view(self.sel)
        after = {u for u, _ in msgs}
        for i in reversed(range(len(before))):
            if before[i] not in after:
                self.line("* %d EXPUNGE" % (i + 1))

    def expunge(self, only):
        f, msgs = self.selected()
        for u, m in msgs:
            if "\\Deleted" in m.flags and (only is None or u in only):
                m.flags.discard("\\Deleted")
                m.modseq = self.acct.bump()
                setting = control().get("expunge", "archive")
                if self.sel in (TRASH, SPAM) or (self.sel == ALL and setting == "delete"):
                    m.gone = True
                elif self.sel == ALL and setting == "trash":
                    m.trashed = True
                elif self.sel == ALL:  # archived: in All Mail still, without its labels
                    m.labels.clear()
                elif self.sel == STARRED:
                    m.flags.discard("\\Flagged")
                else:
                    m.labels.discard(label_of(self.sel))
        self.view_expunges()

    def c_expunge(self, tag, args):
        self.expunge(None)
        self.line(tag + " OK Success")

    def c_uid_expunge(self, tag, args):
        f, msgs = self.selected()
        self.expunge(seq_set(self.s(args[0]), msgs[-1][0] if msgs else 0))
        self.line(tag + " OK Success")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, ctx):
        super().__init__(("127.0.0.1", 0), Conn)
        self.ctx = ctx

    def get_request(self):
        sock, addr = self.socket.accept()
        return self.ctx.wrap_socket(sock, server_side=True), addr


class TokenEndpoint(http.server.BaseHTTPRequestHandler):
    """Google's token endpoint, as far as the refresh_token grant goes."""

    def log_message(self, *a):
        pass

    def answer(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        form = urllib.parse.parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
        one = lambda k: form.get(k, [""])[0]
        with LOCK:
            if self.path == "/expire":
                ACCESS.clear()
                return self.answer(200, {})
            if self.path == "/revoke":
                REFRESH.clear()
                return self.answer(200, {})
            if self.path != "/token":
                return self.answer(404, {"error": "not_found"})
            if LOG[0]:  # --log: a token request too, as "- - TOKEN GRANT_TYPE"
                with open(LOG[0], "a") as f:
                    f.write("- - TOKEN %s\n" % one("grant_type"))
            if one("grant_type") != "refresh_token":
                return self.answer(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type: " + one("grant_type")})
            if not one("client_id") or not one("client_secret"):
                return self.answer(401, {"error": "invalid_client", "error_description": "The OAuth client was not found."})
            user = REFRESH.get(one("refresh_token"))
            if user is None:
                return self.answer(400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
            access = "ya29.fake-" + secrets.token_urlsafe(24)
            ACCESS[access] = user
            out = {"access_token": access, "expires_in": 3599, "scope": "https://mail.google.com/", "token_type": "Bearer"}
            if ROTATE[0]:
                del REFRESH[one("refresh_token")]
                fresh = "1//fake-" + secrets.token_urlsafe(24)
                REFRESH[fresh] = user
                out["refresh_token"] = fresh
            return self.answer(200, out)


def main():
    cert, key = sys.argv[1:3]
    args = sys.argv[3:]
    while args:
        a = args.pop(0)
        if a == "--rotate":
            ROTATE[0] = True
        elif a == "--max-connections":
            MAX_CONNECTIONS[0] = int(args.pop(0))
        elif a == "--log":
            LOG[0] = args.pop(0)
        elif a == "--peak":
            PEAK[0] = args.pop(0)
        elif a == "--control":
            CONTROL[0] = args.pop(0)
        elif a == "--refresh":
            user, _, rt = args.pop(0).partition(":")
            REFRESH[rt] = user
        else:
            user, _, pw = a.partition(":")
            PASSWORDS[user] = pw
            ACCOUNTS[user] = Account()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv = Server(ctx)
    print("imaps %d" % srv.server_address[1], flush=True)
    if REFRESH:
        tok = http.server.ThreadingHTTPServer(("127.0.0.1", 0), TokenEndpoint)
        tok.socket = ctx.wrap_socket(tok.socket, server_side=True)
        threading.Thread(target=tok.serve_forever, daemon=True).start()
        print("token %d" % tok.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
