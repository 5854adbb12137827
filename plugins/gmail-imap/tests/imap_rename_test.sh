#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gmail-imap ⇄ local maildir: a renamed folder (issue 22 item 3), against a
# real Dovecot whose rawlog records every command the connector sends.
#  1. A folder of 1,000 messages renamed on the server (RFC 3501 RENAME: the
#     same UIDVALIDITY and UIDs) is renamed in the Maildir: every file moved
#     into the new folder's directory, the old directory gone, no message
#     body fetched (no FETCH BODY[]/BODY.PEEK[] in the rawlog), nothing
#     created or deleted on either side; then nothing to do.
#  2. That folder renamed in the Maildir (mv .A .B) is one IMAP RENAME on
#     the server: no APPEND, no MOVE, no EXPUNGE; then nothing to do. Again,
#     killed after the RENAME and before the run committed: the next run
#     neither copies nor deletes anything. 50 of its messages filed into a
#     new folder in the Maildir are one UID MOVE (not a RENAME).
#  3. A folder deleted on the server while another is made with the same
#     UIDVALIDITY but other messages is no rename: its messages are deleted,
#     the other's copied, and the run is not refused.
#  4. A cursor an earlier version wrote, without the folders' signatures:
#     one run signs them (a header each), a rename is then followed as in 1.
# Usage: imap_rename_test.sh ACCORD DOVECOT_SCRIPT IMAPCTL GEN_MAIL [N]
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../../../tests/report.sh"  # ok, bad, runp (before any cd)
. "$(dirname "${BASH_SOURCE[0]}")/mail_lib.sh"                # mail_work, dovecot, ctl, imap, maildir, pipeline
accord=$(realpath "$1") start_dovecot=$(realpath "$2") imapctl=$(realpath "$3") gen_mail=$(realpath "$4")
n=${5:-1000}
mail_work imap-rename
mkdir -p "$work/rawlog"
chmod 0777 "$work/rawlog"
rawlog="$work/rawlog" dovecot dc
count() { find "$1" -path '*/.accord' -prune -o -type f \( -path '*/cur/*' -o -path '*/new/*' \) -print 2>/dev/null | wc -l; }
# what the connector sent since the last clear_log, client side only
sent() { cat "$work"/rawlog/*.in 2>/dev/null | tr -d '\r' | sed -E 's/^[0-9]+\.[0-9]+ //'; }  # (rawlog's time stamps off)
clear_log() { rm -f "$work"/rawlog/*; }
bodies() { sent | grep -Eic 'BODY(\.PEEK)?\[\]' || true; }

# the folder, straight into Dovecot's Maildir, then indexed by Dovecot
python3 "$gen_mail" "$n" "$work/gen" --seed 7 --folders Big > /dev/null
mkdir -p "$work/dc/home/ada/Maildir"
mv "$work/gen/.Big" "$work/dc/home/ada/Maildir/.Big"
[ "$(id -u)" = 0 ] && chown -R nobody:nogroup "$work/dc/home"
[ "$(ctl count Big)" = "$n" ] || bad "the generated folder holds $(ctl count Big) messages, not $n"
for i in 1 2 3; do  # and a few in INBOX, which stay where they are
  printf 'Message-ID: <inbox%s@x.test>\nFrom: a@x.test\nSubject: inbox %s\n\nbody\n' $i $i > "inbox$i.eml"
  ctl append INBOX "inbox$i.eml"
done

pipeline p.json "$(maildir m)" "$(imap)"
# the folder is nearly the whole mailbox here: its first copy is nearly every record (the create guard
# would refuse), and its rename moves nearly every record (moves count as updates: the update guard would refuse)
sed -i 's/"max_delete_share": 0.9/"max_delete_share": 0.9, "max_create_share": 1.0, "max_update_share": 1.0/' p.json
runp run p.json
runp run p.json
[ $rc = 0 ] && grep -q "nothing to do" <<<"$out" && [ "$(count m/.Big)" = "$n" ] ||
  bad "the first runs ($(count m/.Big) files in .Big)" "$out"

# 1. renamed on the server
before=$(ctl status Big)
ctl rename Big Renamed
[ "$(ctl status Renamed)" = "$before" ] || bad "Dovecot's RENAME changed the folder's status: $before, now $(ctl status Renamed)"
clear_log
runp run p.json; first=$out first_rc=$rc
fetched=$(bodies)
# the new folder is examined and searched once: the look that found the
# rename is the listing's (issue 22: twice, EXAMINE and UID SEARCH 1:*)
examined=$(sent | grep -Eic '^[^ ]+ (EXAMINE|SELECT) "?Renamed"?$' || true)
searched=$(sent | grep -Eic '^[^ ]+ UID SEARCH (RETURN \([A-Z ]*\) )?UID 1:\* UNDELETED$' || true)
[ "$examined" = 1 ] && [ "$searched" = 1 ] && ok "the renamed folder examined and searched once" ||
  bad "the renamed folder examined $examined times, searched $searched times" "$(sent)"
runp run p.json
if [ "$first_rc" = 0 ] && [ "$fetched" = 0 ] && [ "$(count m/.Renamed)" = "$n" ] && [ ! -e m/.Big ] &&
   ! grep -Eq '[1-9][0-9]* to (create|delete)' <<<"$first" && grep -q "nothing to do" <<<"$out"; then
  ok "a folder of $n messages renamed on the server: renamed in the Maildir, no body fetched, the old directory gone"
else bad "renamed on the server: rc $first_rc, $fetched bodies fetched, $(count m/.Renamed) files in .Renamed, .Big $( [ -e m/.Big ] && echo left || echo gone)" \
         "$first" "--- then:" "$out"; fi

# 2. renamed in the Maildir
mv m/.Renamed m/.Local
# planned as moves only, every one of them: the state holds each message as
# the Maildir lists it, not as the server did (the pull's own writes are not
# read back, accord.after_commit.v1), so no other field looks edited
# (the plan under the default update guard, which names how many only move)
sed 's/, "max_update_share": 1.0//' p.json > guard.json
runp plan guard.json
grep -q "($n of them only move records" <<<"$out" && ok "a Maildir rename is planned as $n moves and nothing else" ||
  bad "a Maildir rename planned as more than moves" "$out"
clear_log
runp run p.json; first=$out first_rc=$rc
cmds=$(sent)
runp run p.json
folders=$(ctl folders)
if [ "$first_rc" = 0 ] && grep -Eqi '^[^ ]+ RENAME "?Renamed"? "?Local"?$' <<<"$cmds" &&
   ! grep -Eqi '^[^ ]+ (UID )?(APPEND|MOVE|COPY|EXPUNGE)' <<<"$cmds" && ! grep -Eqi 'BODY(\.PEEK)?\[\]' <<<"$cmds" &&
   [ "$(ctl count Local)" = "$n" ] && ! grep -q '"Renamed"\|Renamed$' <<<"$folders" && grep -q "nothing to do" <<<"$out"; then
  ok "a folder renamed in the Maildir: one IMAP RENAME, nothing appended, moved or expunged"
else bad "renamed in the Maildir: rc $first_rc, $(ctl count Local 2>&1) in Local on the server" \
         "--- commands:" "$(grep -Eio '^[^ ]+ (UID )?[A-Z]+' <<<"$cmds" | awk '{print $2, $3}' | sort | uniq -c)" \
         "$(grep -i rename <<<"$cmds")" "--- folders:" "$folders" "--- then:" "$out" "--- first:" "$first"; fi

# 2b. renamed in the Maildir again, the run killed after its writes (the
# RENAME done, nothing committed): the next run finds the messages again
# under the new name (the server's folder a rename of the old), copies and
# deletes nothing
mv m/.Local m/.Killed
{ ACCORD_FAILPOINT=apply.after_write "$accord" run p.json > kill.out 2>&1; } 2>/dev/null
runp run p.json; first=$out first_rc=$rc
runp run p.json
if [ "$first_rc" = 0 ] && [ "$(ctl count Killed)" = "$n" ] && [ "$(count m/.Killed)" = "$n" ] &&
   ! grep -Eq '[1-9][0-9]* to (create|delete)' <<<"$first" && grep -q "nothing to do" <<<"$out"; then
  ok "a Maildir rename killed after its RENAME: resumed with nothing copied or deleted"
else bad "a Maildir rename killed after its write: rc $first_rc, $(ctl count Killed 2>&1) on the server, $(count m/.Killed) files" \
         "$(cat kill.out)" "--- resumed:" "$first" "--- then:" "$out"; fi

# 2c. 50 of the folder's messages filed into a new folder in the Maildir
# (not a rename: the rest stay): one UID MOVE of the 50, not one a message
mkdir -p m/.Bulk/cur m/.Bulk/new m/.Bulk/tmp
for f in $(ls m/.Killed/cur | head -50); do mv "m/.Killed/cur/$f" m/.Bulk/cur/; done
clear_log
runp run p.json; first=$out first_rc=$rc
cmds=$(sent)
runp run p.json
moves=$(grep -Eic '^[^ ]+ UID MOVE ' <<<"$cmds" || true)
# (two commands at most: the first may be answered TRYCREATE, the folder is made, the MOVE sent again)
if [ "$first_rc" = 0 ] && [ "$moves" -ge 1 ] && [ "$moves" -le 2 ] && [ "$(ctl count Bulk)" = 50 ] && [ "$(ctl count Killed)" = $((n - 50)) ] &&
   ! grep -Eqi '^[^ ]+ RENAME ' <<<"$cmds" && grep -q "nothing to do" <<<"$out"; then
  ok "50 messages filed into a new folder in the Maildir: one UID MOVE, no RENAME"
else bad "50 messages filed in bulk: rc $first_rc, $moves UID MOVEs, $(ctl count Bulk 2>&1) in Bulk, $(ctl count Killed) in Killed" \
         "$(grep -Eio '^[^ ]+ (UID )?[A-Z]+' <<<"$cmds" | awk '{print $2, $3}' | sort | uniq -c)" "--- then:" "$out"; fi

# 3. not a rename: a folder gone and another with the same UIDVALIDITY but none of its messages
doveadm() { if [ "$(id -u)" = 0 ]; then setpriv --reuid=nobody --regid=nogroup --clear-groups doveadm -c "$work/dc/dovecot.conf" "$@"
            else command doveadm -c "$work/dc/dovecot.conf" "$@"; fi; }
printf 'Message-ID: <one@x.test>\nFrom: a@x.test\nSubject: one\n\nbody\n' > one.eml
printf 'Message-ID: <two@x.test>\nFrom: a@x.test\nSubject: two\n\nbody\n' > two.eml
ctl append Small one.eml
runp run p.json
uv=$(ctl status Small | grep -o 'UIDVALIDITY [0-9]*' | cut -d' ' -f2)
ctl delete Small
ctl append Other two.eml
doveadm mailbox update -u ada --uid-validity "$uv" Other || bad "doveadm could not set Other's UIDVALIDITY"
runp run p.json; first=$out first_rc=$rc
if [ "$first_rc" = 0 ] && [ "$(count m/.Other)" = 1 ] && [ "$(count m/.Small)" = 0 ]; then
  ok "a folder gone and another made with its UIDVALIDITY but other messages: no rename taken, nothing refused"
else bad "not a rename: rc $first_rc, $(count m/.Other) in .Other, $(count m/.Small) in .Small" "$first"; fi
# 4. a cursor an earlier version wrote (no folder signatures): the next run
# signs each folder once (one fetch of a header), then a rename on the
# server is recognised as above
python3 - p.sqlite <<'PY'
import re, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for rowid, c in db.execute("SELECT rowid, cursor FROM cursors").fetchall():
    if isinstance(c, str) and '"sig"' in c:
        db.execute("UPDATE cursors SET cursor = ? WHERE rowid = ?", (re.sub(r',"sig":"[^"]*"', "", c), rowid))
db.commit()
PY
sqlite3 p.sqlite "SELECT cursor FROM cursors" | grep -q '"sig"' && bad "the signatures were not taken out"
runp run p.json
[ $rc = 0 ] && grep -q "nothing to do" <<<"$out" || bad "an earlier version's cursor: the run" "$out"
ctl rename Killed Killed2
clear_log
runp run p.json; first=$out first_rc=$rc
fetched=$(bodies)
if [ "$first_rc" = 0 ] && [ "$fetched" = 0 ] && [ "$(count m/.Killed2)" = $((n - 50)) ] && [ ! -e m/.Killed ] &&
   ! grep -Eq '[1-9][0-9]* to (create|delete)' <<<"$first"; then
  ok "an earlier version's cursor: signed once, then a rename on the server is followed, no body fetched"
else bad "an earlier version's cursor, renamed: rc $first_rc, $fetched bodies, $(count m/.Killed2) in .Killed2" "$first"; fi
exit $fail
