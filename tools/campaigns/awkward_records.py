#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# For tools/campaigns/first_sync_diff.sh: SQL rows for a local sqlite store's
# r_contact whose data texts are what a reader copying "canonical" text must
# tell apart: JSON in json::serialize's form (Boost's, through the probe) with
# one change now and then (-0, 1e5, \u00e9, \/, upper-case hex, a space, a key
# twice, integers past 64 bits, surrogate pairs), escapes, numbers of every
# form, duplicate keys, deep nesting, invalid UTF-8, whitespace. Every 10th
# record or so is one the host cannot read at all.
# Usage: awkward_records.py OUT.sql left|right N SEED PROBE
# Environment: CANON (share written as serialize writes, 0.5), MUTP (share of
# those then changed in one place, 0.5), BAD (share of unreadable records, 0.1).
import json, random, sys
out, side, n, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
import os
CANON = float(os.environ.get('CANON', '0.5')); MUTP = float(os.environ.get('MUTP', '0.5')); BAD = float(os.environ.get('BAD', '0.10'))
R = random.Random(seed * 7 + (side == "right"))

NUMS = ["0", "-0", "1", "-1", "1E5", "1e5", "1E+5", "1E05", "100000.0", "1E-1", "0.1", "1.5E0", "1.5", "15E-1",
        "-0E0", "-0.0", "0E0", "0.0", "1E0", "1.0", "5E-324", "4.9E-324", "1.7976931348623157E308", "1E308", "1E400", "-1E400",
        "18446744073709551615", "18446744073709551616", "9223372036854775807", "9223372036854775808",
        "-9223372036854775808", "-9223372036854775809", "123456789012345678901234567890", "1.2345678901234568E29",
        "2E-5", "2e-5", "1E21", "1E22", "1E-7", "1.0E-7", "12E0", "1.2E1", "-1.5E-300", "9007199254740993",
        "9.007199254740992E15", "9.007199254740993E15", "0.30000000000000004", "3.0000000000000004E-1",
        "-122.41941550000001", "-1.2241941550000001E2", "5E71", "5e71", "1E-400", "-0E-0", "0E-0", "1E00", "1.5e0"]
if BAD == 0: NUMS = [x for x in NUMS if x not in ('1E400', '-1E400', '1E308')]
BADNUMS = ["01", "1.", ".5", "-", "+1", "1E", "0x10", "NaN", "Infinity", "-01", "00"]
STRS = ['"plain"', '""', '"\\u00e9"', '"é"', '"\\u00E9"', '"\\u001f"', '"\\u001F"', '"\\u0008"', '"\\b"', '"\\t"',
        '"\\u0009"', '"\\/"', '"/"', '"\\ud83d\\ude00"', '"😀"', '"\\uD83D\\uDE00"', 
        '"\\u2028"', '"\u2028"', '"\x7f"', '"\\u007f"', '"\\u0000"', '"\\"q\\\\"', '"\\u0022"', '"\\u005c"',
        '"' + "x" * 5000 + '"', '"' + "\\n" * 3000 + '"', '"' + "é" * 3000 + '"', '"\\u0041"', '"A"']
BADSTRS = ['"\\ud800"', '"\\udc00x"', '"\\ud83dx"', '"a\tb"', '"\x01"', '"\udcff"', '"\udced\udca0\udc80"',
           '"\udcc0\udcaf"', '"\udcf4\udc90\udc80\udc80"', '"\\x41"', '"\\U0041"', '"\udce9"']
def num(): return R.choice(BADNUMS) if R.random() < 0.06 * BAD else R.choice(NUMS)
def s(): return R.choice(BADSTRS) if R.random() < 0.06 * BAD else R.choice(STRS)
def key(used):
    for _ in range(20):
        k = R.choice(['"k%d"' % R.randint(0, 9), '"\\u006b%d"' % R.randint(0, 9), '"é"', '"\\u00e9"', '""', '"a b"',
                      '"\\n"', '"/"', '"~"', '"x.y"', '"\\ud83d\\ude00"', '"😀"'])
        if k not in used or R.random() < 0.03: used.add(k); return k
    return '"z%d"' % R.randint(0, 10**9)
def val(d):
    r = R.random()
    if d > 0 and r < 0.15: return obj(d - 1)
    if d > 0 and r < 0.25: return "[" + ",".join(val(d - 1) for _ in range(R.randint(0, 4))) + "]"
    if r < 0.45: return num()
    if r < 0.85: return s()
    return R.choice(["true", "false", "null", "{}", "[]", "[[]]", "{\"a\":{}}", "[null]"])
def obj(d):
    used = set()
    n = R.randint(15, 40) if R.random() < 0.04 else R.randint(0, 5)
    return "{" + ",".join(key(used) + ":" + val(max(d - 1, 0) if n > 5 else d) for _ in range(n)) + "}"
def ws(t):  # whitespace between tokens somewhere (not inside strings): a rough insertion after , : { [
    if R.random() < 0.85: return t
    o = []; inq = False; esc = False
    for ch in t:
        o.append(ch)
        if inq:
            if esc: esc = False
            elif ch == "\\": esc = True
            elif ch == '"': inq = False
        elif ch == '"': inq = True
        elif ch in ",:{[" and R.random() < 0.3: o.append(R.choice([" ", "\n", "\t", "\r\n"]))
    return "".join(o)
def deep(k):
    return '{"d":' + "[" * k + "1" + "]" * k + "}"

rows = []
for i in range(n):
    email = "p%d@example.org" % (i if side == "left" else i + n // 2)
    em = R.choice(['"%s"' % email] * 6 + ['"%s"' % email.replace("@", "\\u0040"), '"%s"' % email.upper(),
                                          '" %s "' % email])
    head = '"emails":{"e1":{"address":%s}}' % em
    body = obj(3)[1:-1]
    r = R.random() * 0.10 / BAD if BAD > 0 else 1
    if r < 0.03: data = deep(R.choice([20, 24, 26, 27, 40, 45]))[:-1] + "," + head + "}"
    elif r < 0.05: data = "{" + head + "," + '"name":' + s() + "," + '"name":' + s() + "}"  # duplicate key
    elif r < 0.07: data = "{" + head + "," + '"name":' + s() + "," + '"n\\u0061me":' + s() + "}"
    elif r < 0.08: data = "{" + head + ',"x":{"a":1,"a":1}}'
    elif r < 0.09: data = "{}"
    elif r < 0.10: data = R.choice(["[]", "null", "1", '"s"', '{"a":1,}', '{"a":1} ', '{"a" 1}'])
    else: data = "{" + head + ("," + body if body else "") + "}"
    rows.append(["%s-%05d" % (side[0], i), data])
# about half in json::serialize's form (Boost's, through the probe), half of those then changed in one place
import subprocess
pick = [k for k in range(n) if R.random() < CANON]
res = subprocess.run([sys.argv[5]],
                     input="\n".join(rows[k][1] for k in pick).encode("utf-8", "surrogateescape") + b"\n",
                     capture_output=True).stdout.decode("utf-8", "surrogateescape").split("\n")
MUT = [("é", "\\u00e9"), ("1E5", "1e5"), (":0", ":-0"), (",0", ",-0"), ("\\u001f", "\\u001F"), ("\\b", "\\u0008"),
       ("😀", "\\ud83d\\ude00"), ("/", "\\/"), (",", ", "), (":", " :"), ("0E0", "0.0"), ("1E0", "1.0"),
       ('"A"', '"\\u0041"'), ("E-", "E-0"), ("E", "e"), ("E2", "E+2"), ("1.5E0", "15E-1"), ("\x7f", "\\u007f"),
       ("\u2028", "\\u2028"), ("[]", "[ ]"), ("{}", "{ }"),
       ("18446744073709551615", "18446744073709551616"), ("9223372036854775807", "9223372036854775808"),
       ("-9223372036854775808", "-9223372036854775809"), ("}", "}\n")]
canon = mutated = 0
for k, c in zip(pick, res):
    if c.startswith("ERR") or not c: continue
    rows[k][1] = c; canon += 1
    if R.random() < MUTP:
        cands = [m for m in MUT if m[0] in c]
        if cands:
            a, b = R.choice(cands); at = [j for j in range(len(c)) if c.startswith(a, j)]
            j = R.choice(at); rows[k][1] = c[:j] + b + c[j + len(a):]; mutated += 1
    rows[k].append(1)
for row in rows:
    if len(row) == 2: row[1] = ws(row[1])
sys.stderr.write("%s: %d rows, %d canonical (%d then changed in one place)\n" % (side, n, canon, mutated))
with open(out, "w", encoding="utf-8", errors="surrogateescape") as f:
    f.write("BEGIN;\n")
    for k, (rid, data, *_) in enumerate(rows, 1):
        hexd = data.encode("utf-8", "surrogateescape").hex()
        f.write("INSERT INTO r_contact(id, seq, version, modified, deleted, data) VALUES ('%s', %d, '%d', '2026-01-01T00:00:00.000Z', 0, CAST(X'%s' AS TEXT));\n" % (rid, k, k, hexd))
    f.write("UPDATE meta SET value = '%d' WHERE key = 'seq';\nCOMMIT;\n" % len(rows))
