#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gmail-imap and local's maildir backend: a message with undeclared 8-bit
# bytes in its header (issue 22 item 1: Latin-1 From, Subject and attachment
# name, a broken RFC 2047 encoded word) arriving between two runs, on the
# IMAP side (Dovecot) and in the Maildir. Neither stops the pipeline: each
# run exits 0, both messages cross byte for byte, their header fields read as
# windows-1252 (the fallback), the broken word kept as it came; then nothing
# to do. With "fallback_charset": "iso-8859-2" the same bytes read as
# Latin-2.
# Usage: imap_eight_bit_test.sh ACCORD DOVECOT_SCRIPT IMAPCTL
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../../../tests/report.sh"  # ok, bad, runp (before any cd)
. "$(dirname "${BASH_SOURCE[0]}")/mail_lib.sh"                # mail_work, dovecot, ctl, imap, maildir, pipeline
accord=$(realpath "$1") start_dovecot=$(realpath "$2") imapctl=$(realpath "$3")
mail_work imap-8bit
dovecot dc
file_of() { grep -rl --exclude-dir=.accord "<$2>" "$1" | head -1; }

# latin1 FILE ID: a message whose header carries raw Latin-1 (0xE7 ç, 0xE9 é,
# 0x80 € in windows-1252) and a broken encoded word (bad base64)
latin1() {
  printf 'Message-ID: <%s>\nFrom: Fran\xe7ois M\xfcller <fm@x.test>\nTo: =?utf-8?B?not*base64?= <to@x.test>\nSubject: Caf\xe9 \x80 =?iso-8859-1?Q?d=E9j=E0?= vu\nDate: Mon, 1 Jun 2026 10:00:00 +0200\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nbody\n--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename="r\xe9sum\xe9.pdf"\n\nJVBERi0=\n--b--\n' "$2" > "$1"
}

mkdir -p m/{cur,new,tmp}
printf 'Message-ID: <plain@x.test>\nFrom: a@x.test\nSubject: plain\n\nbody\n' > m/cur/1700000001.p.host:2,S
pipeline p.json "$(maildir m)" "$(imap)"
runp run p.json
[ $rc = 0 ] && grep -q "applied 1 write" <<<"$out" && ok "a first run" || bad "the first run" "$out"

# between two runs: one arrives on the server, one in the Maildir
latin1 imap.eml imap8@x.test
ctl append INBOX imap.eml
latin1 m/new/1700000002.l.host latin8@x.test
runp run p.json
if [ $rc = 0 ] && [ -n "$(file_of m imap8@x.test)" ] && [ "$(ctl msgids INBOX | grep -c latin8@x.test)" = 1 ]; then
  ok "a message with raw Latin-1 headers on each side crosses (exit 0)"
else bad "raw Latin-1 headers stop the run" "$out"; fi
f=$(file_of m imap8@x.test)
[ -n "$f" ] && cmp -s "$f" imap.eml && ok "the server's message is in the Maildir byte for byte" ||
  bad "the server's message differs in the Maildir" "$(diff <(cat -v imap.eml) <(cat -v "${f:-/dev/null}"))"

# what the state holds of each side's listing: decoded by windows-1252
field() { sqlite3 p.sqlite "SELECT json_extract(data, '$2') FROM mirror WHERE side = '$1' AND json_extract(data, '\$.messageId[0]') = '$3'"; }
for side in left right; do
  for id in imap8@x.test latin8@x.test; do
    s=$(field $side '$.subject' $id) n=$(field $side '$.from[0].name' $id) a=$(field $side '$.attachments[0].name' $id)
    t=$(field $side '$.to[0].name' $id)
    if [ "$s" = "Café € déjà vu" ] && [ "$n" = "François Müller" ] && [ "$a" = "résumé.pdf" ] && [ "$t" = "=?utf-8?B?not*base64?=" ]; then
      ok "$side's listing of $id: header fields read as windows-1252, the broken word kept"
    else bad "$side's listing of $id" "subject [$s] from [$n] attachment [$a] to [$t]"; fi
  done
done
runp run p.json
[ $rc = 0 ] && grep -q "nothing to do" <<<"$out" && ok "then nothing to do" || bad "the run after" "$out"

# another fallback charset, configured: the same bytes as Latin-2 (0xE8 č)
printf 'Message-ID: <l2@x.test>\nFrom: a@x.test\nSubject: \xe8esky\n\nbody\n' > l2.eml
ctl append INBOX l2.eml
pipeline q.json "$(maildir q)" "$(imap ', "fallback_charset": "iso-8859-2"')"
runp run q.json
s=$(sqlite3 q.sqlite "SELECT json_extract(data, '\$.subject') FROM mirror WHERE side = 'right' AND json_extract(data, '\$.messageId[0]') = 'l2@x.test'")
[ $rc = 0 ] && [ "$s" = "česky" ] && ok "fallback_charset iso-8859-2 reads 0xE8 as č" || bad "fallback_charset" "subject [$s]" "$out"
pipeline bad.json "$(maildir q)" "$(imap ', "fallback_charset": "no-such-charset"')"
runp run bad.json
[ $rc != 0 ] && grep -q "fallback_charset" <<<"$out" && ok "an unknown fallback_charset is refused, named" ||
  bad "an unknown fallback_charset" "$out"
exit $fail
