#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gmail-imap with Gmail's labels ⇄ a local Maildir: a folder renamed is a
# label renamed (issue 22 item 3 on Gmail), against the Gmail fake, which
# renames a label on RENAME as Gmail does and logs every command (--log).
#  1. A label's folder renamed in the Maildir (mv .Work .Projects, each of
#     its messages carrying only that label) is one RENAME "Work" "Projects"
#     on Gmail: no STORE of X-GM-LABELS, no APPEND, no body fetched; every
#     message carries Projects and no Work; then nothing to do.
#  2. A label renamed on Gmail (RENAME from another client) moves the
#     Maildir's files into the new folder's directory: no body fetched, the
#     old directory gone, nothing created or deleted; then nothing to do.
#  3. A label that a message filed elsewhere keeps (INBOX + Keep: on a
#     Maildir it sits in INBOX) is not renamed: the messages of .Keep moved
#     to .Kept are relabelled one by one and the INBOX one keeps Keep; then
#     nothing to do.
#  4. A folder gone while selected (gmail_labels off: label folders as
#     folders), whose body FETCH the server answers NO [NONEXISTENT] (the
#     fake's gone_on_fetch): its message is skipped as gone, the other
#     folder's copied in the same call, exit 0, nothing quarantined; once the
#     folder answers again, the next run copies it; then nothing to do.
# Usage: gmail_rename_test.sh ACCORD FAKE IMAPCTL
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../../../tests/report.sh"  # ok, bad, runp (before any cd)
. "$(dirname "${BASH_SOURCE[0]}")/mail_lib.sh"                # mail_work, gmail_fake, ctl, imap, maildir, pipeline
accord=$(realpath "$1") fake=$(realpath "$2") imapctl=$(realpath "$3")
mail_work gmail-rename
gmail_fake "$fake" --log "$work/fake.log"
count() { find "$1" -path '*/.accord' -prune -o -type f \( -path '*/cur/*' -o -path '*/new/*' \) -print 2>/dev/null | wc -l; }
ALL="[Gmail]/All Mail"
sent() { grep "^ada " "$work/fake.log" 2>/dev/null | cut -d' ' -f3-; }  # what the connector sent since clear_log
clear_log() { : > "$work/fake.log"; }
n=20

mail() { printf 'Message-ID: <%s@x.test>\nFrom: a@x.test\nSubject: %s\nDate: Sat, 21 Nov 2026 09:00:00 +0000\n\nbody %s\n' "$1" "$1" "$1" > "$1.eml"; }
for i in $(seq 1 $n); do mail "w$i"; done
ctl append Work w1.eml                                   # the label made, then the rest (Work only, not INBOX)
ctl appendmany Work $(for i in $(seq 2 $n); do echo "w$i.eml"; done)
for i in 1 2 3; do mail "k$i"; ctl append Keep "k$i.eml"; done
mail inbox1; ctl append INBOX inbox1.eml
ctl store "$ALL" "<k1@x.test>" +X-GM-LABELS '\Inbox'    # INBOX + Keep: filed in INBOX on the Maildir
[ "$(ctl count Work)" = $n ] && [ "$(ctl count Keep)" = 3 ] || bad "the fake's labels: $(ctl count Work) Work, $(ctl count Keep) Keep"

pipeline p.json "$(imap)" "$(maildir m)"
# a label's folder is most of this mailbox: renaming it moves most records, which the update guard counts
sed -i 's/"max_delete_share": 0.9/"max_delete_share": 0.9, "max_update_share": 1.0/' p.json
runp run p.json
runp run p.json
[ $rc = 0 ] && grep -q "nothing to do" <<<"$out" && [ "$(count m/.Work)" = $n ] ||
  bad "the first runs ($(count m/.Work) files in .Work)" "$out"

# 1. renamed in the Maildir: one RENAME on Gmail
mv m/.Work m/.Projects
clear_log
runp run p.json; first=$out first_rc=$rc
cmds=$(sent)
runp run p.json
labels=$(ctl labels "$ALL")
if [ "$first_rc" = 0 ] && [ "$(grep -c '^RENAME ' <<<"$cmds")" = 1 ] && grep -q '^RENAME Work Projects$' <<<"$cmds" &&
   ! grep -Eq '^UID STORE .*X-GM-LABELS' <<<"$cmds" && ! grep -Eq '^APPEND|BODY(\.PEEK)?\[\]' <<<"$cmds" &&
   [ "$(grep -c ' Projects$' <<<"$labels")" = $n ] && ! grep -q ' Work' <<<"$labels" && [ "$(ctl count Projects)" = $n ] &&
   ! ctl folders | grep -q '"Work"' && grep -q "nothing to do" <<<"$out"; then
  ok "a label's folder renamed in the Maildir: one RENAME on Gmail, no label stored a message, no body"
else bad "renamed in the Maildir: rc $first_rc" "--- commands:" "$(cut -d' ' -f1-2 <<<"$cmds" | sort | uniq -c)" \
         "$(grep -E '^(RENAME|UID STORE)' <<<"$cmds" | head -5)" "--- labels:" "$labels" "--- first:" "$first" "--- then:" "$out"; fi

# 2. renamed on Gmail: the Maildir's files move, no body fetched
ctl rename Projects Archived
clear_log
runp run p.json; first=$out first_rc=$rc
cmds=$(sent)
runp run p.json
if [ "$first_rc" = 0 ] && ! grep -Eq 'BODY(\.PEEK)?\[\]' <<<"$cmds" && [ "$(count m/.Archived)" = $n ] && [ ! -e m/.Projects ] &&
   ! grep -Eq '[1-9][0-9]* to (create|delete)' <<<"$first" && grep -q "nothing to do" <<<"$out"; then
  ok "a label renamed on Gmail: the Maildir's folder follows, no body fetched, the old directory gone"
else bad "renamed on Gmail: rc $first_rc, $(count m/.Archived) files in .Archived, .Projects $( [ -e m/.Projects ] && echo left || echo gone)" \
         "$first" "--- then:" "$out"; fi

# 3. a label a message filed in INBOX keeps: relabelled one by one, no RENAME
[ "$(count m/.Keep)" = 2 ] || bad "the Keep label's folder holds $(count m/.Keep) files, not 2"
mv m/.Keep m/.Kept
clear_log
runp run p.json; first=$out first_rc=$rc
cmds=$(sent)
runp run p.json
labels=$(ctl labels "$ALL")
if [ "$first_rc" = 0 ] && ! grep -q '^RENAME ' <<<"$cmds" && grep -q '^k1@x.test .*Keep' <<<"$labels" &&
   grep -q '^k2@x.test Kept$' <<<"$labels" && grep -q '^k3@x.test Kept$' <<<"$labels" && grep -q "nothing to do" <<<"$out"; then
  ok "a label a message in INBOX keeps: no RENAME, the moved messages relabelled, the other keeps it"
else bad "a label kept by another message: rc $first_rc" "$(grep -E '^(RENAME|UID STORE)' <<<"$cmds")" "--- labels:" "$labels" \
         "--- first:" "$first" "--- then:" "$out"; fi

# 4. a body FETCH answered NO [NONEXISTENT]: that folder's messages skipped as gone
mail gone1; ctl append Gone1 gone1.eml
mail stays1; ctl append Stays1 stays1.eml
pipeline off.json "$(imap ', "gmail_labels": "off", "folders": ["Gone1", "Stays1"]')" "$(maildir off)"
echo '{"gone_on_fetch": "Gone1"}' > control.json   # (Gone1 listed first: Stays1 is fetched first, then Gone1)
runp run off.json; first=$out first_rc=$rc
echo '{}' > control.json
runp run off.json; second=$out second_rc=$rc
runp run off.json
if [ "$first_rc" = 0 ] && grep -q "applied 1 write, 1 skipped (gone from their source" <<<"$first" &&
   [ "$(sqlite3 off.sqlite 'SELECT count(*) FROM quarantine')" = 0 ] && [ "$second_rc" = 0 ] &&
   [ "$(count off/.Gone1)" = 1 ] && [ "$(count off/.Stays1)" = 1 ] && [ "$(count off)" = 2 ] && grep -q "nothing to do" <<<"$out"; then
  ok "a folder's body FETCH answered NO [NONEXISTENT]: its message skipped as gone, the other copied; the next run copies it"
else bad "fetch answered NONEXISTENT: rc $first_rc then $second_rc, $(count off/.Gone1) in .Gone1, $(count off/.Stays1) in .Stays1" \
         "$first" "--- then:" "$second" "--- then:" "$out"; fi
exit $fail
