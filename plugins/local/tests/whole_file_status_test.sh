#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What a folder holds that cannot be read is listed by `accord status`, never
# skipped in silence (issue 21): a whole calendar with two events of one UID
# (the file, both lines, the UID, the fix) and a file that does not parse
# (the file, the line, the fix). Neither is written over; an update of
# another event of the same file changes that event's line alone; once the
# files are fixed, they are read and no longer listed.
# Usage: whole_file_status_test.sh ACCORD
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../../../tests/report.sh"  # ok, bad, runp
accord=$(realpath "$1")
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-whole-file.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN= ACCORD_SECRETS=

mkdir cal
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nX-WR-CALNAME:Home\r\nBEGIN:VEVENT\r\nUID:same\r\nDTSTART:20260101T100000Z\r\nSUMMARY:One\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:other\r\nDTSTART:20260101T100000Z\r\nSUMMARY:Fine\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:same\r\nDTSTART:20260102T100000Z\r\nSUMMARY:Two\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' > cal/dup.ics
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:b\r\nDTSTART:20260101T100000Z\r\nSUMMARY:Broken\r\nEND:VCALENDAR\r\n' > cal/broken.ics
cp cal/dup.ics dup.orig; cp cal/broken.ics broken.orig
printf '{"name": "w", "state": "w-state.sqlite",
 "left": {"connector": "local", "config": {"backend": "icalendar", "path": "cal"}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "path": "store.sqlite", "create": true}},
 "streams": [{"left": "event", "right": "event"}]}\n' > w.json

runp run w.json
runp status w.json
python3 - "$out" <<'PY' && ok status-lists-duplicate-uids-and-unparseable-files || bad status-lists-duplicate-uids-and-unparseable-files "$out"
import sys
out = sys.argv[1]
assert "unreadable records (skipped): 2" in out, out
assert '"dup.ics#same"' in out and "dup.ics: lines 5 and 15: 2 VEVENTs carry the UID \"same\"" in out, out
assert "give them UIDs of their own" in out, out
assert '"broken.ics"' in out and "broken.ics: cannot be read: line 7: END:VCALENDAR closes BEGIN:VEVENT" in out, out
assert "fix it or move it away" in out, out
PY
n=$(sqlite3 store.sqlite "SELECT count(*) FROM r_event WHERE deleted = 0")
[ "$n" = 1 ] && ok only-the-readable-event-copied || bad only-the-readable-event-copied "$n records in the store"

# the readable event edited on the right: dup.ics changes in that line alone
sqlite3 store.sqlite "UPDATE r_event SET data = json_set(data, '$.title', 'Finer') WHERE json_extract(data, '$.uid') = 'other'"
runp run w.json
sed 's/SUMMARY:Fine\r/SUMMARY:Finer\r/' dup.orig > dup.want
if [ "$rc" != 0 ] && [ "$rc" != 5 ]; then bad update-next-to-duplicates "exit $rc" "$out"
elif cmp -s dup.want cal/dup.ics && cmp -s broken.orig cal/broken.ics; then ok update-next-to-duplicates-keeps-both-copies
else bad update-next-to-duplicates-keeps-both-copies "$(diff dup.want cal/dup.ics; diff broken.orig cal/broken.ics)"; fi
runp status w.json
echo "$out" | grep -q "unreadable records (skipped): 2" && ok still-listed || bad still-listed "$out"

# fixed by hand: read, linked, no longer listed
sed '/UID:same/{n;s/20260102/20260103/}' cal/dup.ics | awk 'BEGIN{n=0} /^UID:same/{n++; if(n==2){print "UID:same-2\r"; next}} {print}' > dup.fixed
mv dup.fixed cal/dup.ics
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:b\r\nDTSTART:20260101T100000Z\r\nSUMMARY:Broken\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' > cal/broken.ics
runp run w.json
[ "$rc" = 0 ] && ok fixed-files-run-clean || bad fixed-files-run-clean "exit $rc" "$out"
runp status w.json
if echo "$out" | grep -q "unreadable records (skipped): 0"; then ok fixed-files-no-longer-listed
else bad fixed-files-no-longer-listed "$out"; fi
n=$(sqlite3 store.sqlite "SELECT count(*) FROM r_event WHERE deleted = 0")
[ "$n" = 4 ] && ok fixed-events-copied || bad fixed-events-copied "$n records in the store" "$(sqlite3 store.sqlite 'SELECT data FROM r_event')"
exit $fail
