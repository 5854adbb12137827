#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gmail-imap: a folder renumbered (its UIDVALIDITY changed: doveadm mailbox
# update --uid-validity) that holds messages without a Message-ID (issue 22
# item 4). Each message is found again by its size, internal date and a
# digest of its header fields (the manifest's identity), so the run
# neither refuses nor copies or deletes anything; two copies of one
# message without a Message-ID pair up too. A state an earlier version made
# (no headerDigest in its records or cursor; made here by taking them out)
# gets them from one listing of every message's header fields, which writes
# nothing, and is then renumbered the same way. Against a real Dovecot.
# Usage: imap_renumbered_no_msgid_test.sh ACCORD DOVECOT_SCRIPT IMAPCTL
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../../../tests/report.sh"  # ok, bad, runp (before any cd)
. "$(dirname "${BASH_SOURCE[0]}")/mail_lib.sh"                # mail_work, dovecot, ctl, imap, maildir, pipeline
accord=$(realpath "$1") start_dovecot=$(realpath "$2") imapctl=$(realpath "$3")
mail_work imap-renumbered
dovecot dc
count() { find "$1" -path '*/.accord' -prune -o -type f \( -path '*/cur/*' -o -path '*/new/*' \) -print 2>/dev/null | wc -l; }
on_server() { ctl count INBOX; }
# doveadm as Dovecot's own user, on this Dovecot's config
doveadm() { if [ "$(id -u)" = 0 ]; then setpriv --reuid=nobody --regid=nogroup --clear-groups doveadm -c "$work/dc/dovecot.conf" "$@"
            else command doveadm -c "$work/dc/dovecot.conf" "$@"; fi; }

mkdir -p m/{cur,new,tmp}
printf 'Message-ID: <with@x.test>\nFrom: a@x.test\nSubject: with an id\n\nbody\n' > m/cur/1700000001.w.host:2,S
printf 'From: a@x.test\nSubject: no id\nDate: Mon, 1 Jun 2026 10:00:00 +0000\n\nno Message-ID here\n' > m/cur/1700000002.n.host:2,S
printf 'From: b@x.test\nSubject: another without\n\nnone here either\n' > m/cur/1700000003.o.host:2,S
ctl append INBOX m/cur/1700000002.n.host:2,S                 # a second copy of one, written by another client
pipeline p.json "$(maildir m)" "$(imap)"
runp run p.json
runp run p.json
[ $rc = 0 ] && grep -q "nothing to do" <<<"$out" || bad "the first runs" "$out"
files=$(count m) msgs=$(on_server)

doveadm mailbox update -u ada --uid-validity 4242 INBOX || bad "doveadm could not renumber INBOX"
ctl store INBOX '<with@x.test>' +FLAGS '\Flagged'                # and a change at the same time
runp run p.json; first=$out first_rc=$rc
runp run p.json
if [ "$first_rc" = 0 ] && grep -q "renumbered" <<<"$first" && [ "$(count m)" = "$files" ] && [ "$(on_server)" = "$msgs" ] &&
   ! grep -Eq '[1-9][0-9]* to (create|delete)' <<<"$first" && grep -q "nothing to do" <<<"$out" &&
   ls m/cur | grep -q 'w.host:2,FS\|:2,FS$'; then
  ok "a renumbered folder with messages without a Message-ID: each found again ($msgs on the server, $files files), nothing copied or deleted"
else bad "renumbered with messages without a Message-ID ($(count m) files, $(on_server) on the server)" "$first" "--- then:" "$out"; fi

# a state as an earlier version left it: no digests
python3 - p.sqlite <<'PY'
import re, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
strip = lambda v: re.sub(r',?"headerDigest":"[0-9a-f]*"', "", re.sub(r',"hd":1\b|"hd":1,', "", v)) if isinstance(v, str) else v
for t, key in (("record_data", "id"), ("cursors", "rowid")):
    for row in db.execute("SELECT %s, * FROM %s" % (key, t)).fetchall():
        for i, c in enumerate(d[0] for d in db.execute("SELECT * FROM %s" % t).description):
            if isinstance(row[i + 1], str) and strip(row[i + 1]) != row[i + 1]:
                db.execute("UPDATE %s SET %s = ? WHERE %s = ?" % (t, c, key), (strip(row[i + 1]), row[0]))
db.commit()
PY
[ "$(sqlite3 p.sqlite "SELECT count(*) FROM record_data WHERE data LIKE '%headerDigest%'")" = 0 ] &&
  ! sqlite3 p.sqlite "SELECT cursor FROM cursors" | grep -q '"hd"' || bad "the digests were not taken out"
runp run p.json; first=$out first_rc=$rc
if [ "$first_rc" = 0 ] && grep -q "nothing to do" <<<"$first" &&
   [ "$(sqlite3 p.sqlite "SELECT count(*) FROM mirror WHERE side = 'right' AND data LIKE '%headerDigest%'")" = "$msgs" ]; then
  ok "an earlier version's state: one listing gives every record its digest, writing nothing"
else bad "an earlier version's state: the digests" "$first"; fi
doveadm mailbox update -u ada --uid-validity 4343 INBOX || bad "doveadm could not renumber INBOX again"
runp run p.json; first=$out first_rc=$rc
runp run p.json
if [ "$first_rc" = 0 ] && grep -q "renumbered" <<<"$first" && [ "$(count m)" = "$files" ] && [ "$(on_server)" = "$msgs" ] &&
   grep -q "nothing to do" <<<"$out"; then
  ok "…and is then renumbered without a refusal"
else bad "an earlier version's state renumbered" "$first" "--- then:" "$out"; fi

# one of the two copies alike expunged as the folder is renumbered again: two
# old records share their identity with one new, which cannot be told apart;
# the refusal says so, not that they "match no record" (review s19 N1)
twin=$(doveadm search -u ada mailbox INBOX subject "no id" | awk 'NR == 1 {print $2}')
doveadm expunge -u ada mailbox INBOX uid "$twin" || bad "doveadm could not expunge a copy"
doveadm mailbox update -u ada --uid-validity 4444 INBOX || bad "doveadm could not renumber INBOX a third time"
runp run p.json
if [ $rc != 0 ] && grep -q "2 share their /size, /receivedAt, /headerDigest with a different number of records" <<<"$out" &&
   ! grep -q "match no record" <<<"$out" && [ "$(count m)" = "$files" ]; then
  ok "one of two copies alike gone as the folder is renumbered: refused, saying they cannot be told apart; nothing written"
else bad "renumbered with one of two copies gone ($(count m) files)" "$out"; fi
exit $fail
