#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The pst backend end to end: the `accord` program loads the outlook-mapi
# plugin and imports pst-extractor's real sample files (tests/peers, npm)
# into local folders, as a user importing an archive would: the Outlook.com
# .ost's appointments into an iCalendar folder (its weekly, daily and yearly
# series as RRULEs), enron.pst's messages into a Maildir (each one file,
# attachments whole); a second run has nothing to do; a write back to the
# data file is refused with the backend's message and changes nothing.
# Missing samples fail the test with the command that installs them.
# usage: pst_import_test.sh ACCORD SAMPLES_DIR
set -u
here=$(dirname "$(realpath "${BASH_SOURCE[0]}")")
. "$here/../../../../tests/report.sh"  # ok, bad, runp
accord=$(realpath "$1") samples=$(realpath -m "$2")
for f in enron.pst pstextractortest@outlook.com.ost; do
  if [ ! -f "$samples/$f" ]; then
    echo "FAIL the sample $samples/$f is missing: install the test peers with scripts/install-deps.sh" \
         "(or: cd tests/peers && npm ci), which brings the npm package pst-extractor and its test data"
    exit 1
  fi
done
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-pst.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN=
ost="$samples/pstextractortest@outlook.com.ost"
cp "$ost" copy.ost  # the test's own copy: its bytes are compared after the refused write
sum_before=$(sha256sum copy.ost | cut -d' ' -f1)

cat > events.json <<JSON
{"name": "ost-events", "state": "events.sqlite",
 "left": {"connector": "outlook-mapi", "config": {"backend": "pst", "path": "$work/copy.ost"}},
 "right": {"connector": "local", "config": {"backend": "icalendar", "path": "cal", "create": true}},
 "streams": [{"name": "events", "left": "event", "right": "event", "direction": "left-to-right"}]}
JSON
runp run events.json
if [ "$rc" = 0 ] && [ "$(ls cal | wc -l)" = 169 ]; then ok "169 appointments of the .ost imported, one .ics each"
else bad "the appointments were not imported (rc=$rc, $(ls cal 2>/dev/null | wc -l) files)" "$out"; fi
weekly=$(grep -l "SUMMARY:repeats every monday for 10 weeks" cal/* 2>/dev/null)
if [ -n "$weekly" ] && grep -q "^RRULE:FREQ=WEEKLY;.*COUNT=10" "$weekly" && grep -q "BYDAY=MO" "$weekly" &&
   grep -q "^DTSTART;TZID=America/Los_Angeles:20210809T100000" "$weekly"; then
  ok "the weekly series arrives as RRULE COUNT=10 BYDAY=MO from 2021-08-09 10:00 in its zone"
else bad "the weekly series is not an RRULE in its zone" "$(cat $weekly 2>/dev/null | grep -v '^TZ\|^RRULE:FREQ=YEARLY;UNTIL' | head -60)"; fi
daily=$(grep -l "SUMMARY:repeats for 3 days" cal/* 2>/dev/null)
if [ -n "$daily" ] && grep -q "^RRULE:FREQ=DAILY;COUNT=3" "$daily"; then ok "the daily series arrives as RRULE FREQ=DAILY;COUNT=3"
else bad "the daily series is not an RRULE" "$(grep -h RRULE $daily 2>/dev/null)"; fi
runp run events.json
if [ "$rc" = 0 ] && grep -qi "nothing to do\|no changes\|0 writes" <<<"$out"; then ok "a second run has nothing to do"
else bad "the second run did something (rc=$rc)" "$out"; fi

# a write back is refused with the backend's message, and the file is untouched
# the same pipeline and state, now both ways: its links hold
sed 's/"left-to-right"/"both"/' events.json > both.json
f=$(grep -l "SUMMARY:just a regular meeting" cal/*.ics | head -1)
sed -i 's/^SUMMARY:just a regular meeting\r$/SUMMARY:just a regular meeting (edited)\r/' "$f"
runp run both.json
if grep -q "never writes" <<<"$out"; then ok "an edit made in the folder is refused by the pst side, saying why"
else bad "no refusal from the pst side (rc=$rc)" "$out"; fi
if [ "$(sha256sum copy.ost | cut -d' ' -f1)" = "$sum_before" ]; then ok "the data file is byte for byte as before"
else bad "the data file changed"; fi

cat > mail.json <<JSON
{"name": "enron-mail", "state": "mail.sqlite",
 "left": {"connector": "outlook-mapi", "config": {"backend": "pst", "path": "$samples/enron.pst"}},
 "right": {"connector": "local", "config": {"backend": "maildir", "path": "mail", "create": true}},
 "streams": [{"name": "mail", "left": "message", "right": "message", "direction": "left-to-right"}]}
JSON
runp run mail.json
n=$(find mail -type f -path '*/cur/*' -o -type f -path '*/new/*' | wc -l)
if [ "$rc" = 0 ] && [ "$n" = 71 ]; then ok "enron.pst's 71 messages imported into the Maildir"
else bad "the messages were not imported (rc=$rc, $n files)" "$out"; fi
msg=$(grep -rl "^Subject: New OBA's" mail 2>/dev/null | head -1)
if [ -n "$msg" ] && [ "$(grep -c '^Content-Disposition: attachment' "$msg")" -ge 10 ]; then
  ok "a message keeps its ten Word attachments"
else bad "the message with attachments lost them" "$(head -40 "$msg" 2>/dev/null)"; fi
exit $fail
