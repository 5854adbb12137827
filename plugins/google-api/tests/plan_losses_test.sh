#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# google-api says per record, in `accord plan`, what Google Calendar would
# not keep of an event (accord.check.v1, issue 21): an iCalendar folder's
# series with an override of RANGE=THISANDFUTURE (RFC 5545 3.2.13: that
# instance and every later one) planned into the primary calendar of the
# strict Google fake (tests/peers/google_fake.js, on loopback). Google's
# exception is one occurrence, so the range stays behind: the plan names the
# record and the override's kept RECURRENCE-ID line (its iCalProps); an
# event without one names no such path; the plan writes nothing to Google.
#
# Usage: plan_losses_test.sh ACCORD PEERS_DIR
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../../../tests/report.sh"  # ok, bad, runp
accord=$(realpath "$1") peers=$(realpath "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-google-plan.XXXXXX")
peer_pid=
cleanup() { [ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
token="tok-$RANDOM$RANDOM"
printf '{"gtok": "%s"}\n' "$token" > secrets.json
chmod 600 secrets.json
export ACCORD_SECRETS="$work/secrets.json" HOME="$work" XDG_STATE_HOME="$work/.local/state" ACCORD_ADMIN=

GOOGLE_TOKEN=$token GOOGLE_USER=ada@example.com node "$peers/google_fake.js" > peer.out 2> peer.err &
peer_pid=$!
for _ in $(seq 1 100); do grep -q '^port ' peer.out 2>/dev/null && break; sleep 0.1; done
port=$(awk '/^port /{print $2}' peer.out)
[ -n "$port" ] || { echo "FAIL the fake did not start"; cat peer.err; exit 1; }
base="http://127.0.0.1:$port"

mkdir -p cal
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:s1@example.org\r\nDTSTART:20260105T100000Z\r\nDTEND:20260105T110000Z\r\nRRULE:FREQ=WEEKLY;COUNT=10\r\nSUMMARY:Series\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:s1@example.org\r\nRECURRENCE-ID;RANGE=THISANDFUTURE:20260119T100000Z\r\nDTSTART:20260119T120000Z\r\nDTEND:20260119T130000Z\r\nSUMMARY:Series moved\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' > cal/series.ics
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:w1@example.org\r\nDTSTART:20260105T140000Z\r\nDTEND:20260105T150000Z\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\nSUMMARY:Weekly\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:w1@example.org\r\nRECURRENCE-ID:20260112T140000Z\r\nDTSTART:20260112T160000Z\r\nDTEND:20260112T170000Z\r\nSUMMARY:Weekly moved\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' > cal/weekly.ics
# Google makes the account the organizer of what it inserts: an invitation's attendee is kept, its
# organizer's name is not
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:l1@example.org\r\nDTSTART:20260311T120000Z\r\nDTEND:20260311T130000Z\r\nSUMMARY:Lunch\r\nORGANIZER;CN=Ada:mailto:ada@example.com\r\nATTENDEE;CN=Bob;PARTSTAT=ACCEPTED:mailto:bob@example.org\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' > cal/lunch.ics
cat > c.json <<JSON
{"name": "g", "state": "g-state.sqlite",
 "left": {"connector": "local", "config": {"backend": "icalendar", "path": "cal"}},
 "right": {"connector": "google-api", "config": {"account": "ada@example.com", "access_token": {"\$secret": "gtok"},
   "calendar_url": "$base/calendar/v3", "people_url": "$base", "tasks_url": "$base", "gmail_url": "$base", "drive_url": "$base/drive/v3"}},
 "streams": [{"left": "event", "right": "event", "match": [{"left": "/uid"}]}]}
JSON
events() {
  curl -s "$base/__dump" | node -e 'const d=JSON.parse(require("fs").readFileSync(0));console.log(Object.values(d.calendar.calendars).flatMap(c=>Object.values(c.events||{})).length)'
}
before=$(events)

runp plan c.json
python3 - "$out" <<'PY' && ok plan-says-google-keeps-one-instance-of-a-thisandfuture-override || bad plan-says-google-keeps-one-instance-of-a-thisandfuture-override "rc=$rc" "$out"
import re, sys
lines = sys.argv[1].splitlines()
def said(label):
    i = next(i for i, l in enumerate(lines) if re.match(r"\s*\+ right create " + re.escape(label) + r"\b", l))
    j, out = i + 1, []
    while j < len(lines) and not re.match(r"\s*[-+~!] ", lines[j]):
        out.append(lines[j])
        j += 1
    return " ".join(out)
series, weekly = said("Series"), said("Weekly")
assert re.search(r"stays behind.*/recurrenceOverrides/2026-01-19T10:00:00/iCalProps", series), series
assert "/recurrenceOverrides/" not in weekly, weekly
PY
runp plan --json c.json
python3 - "$out" <<'PY' && ok plan-json-carries-the-lost-range || bad plan-json-carries-the-lost-range "rc=$rc" "$out"
import json, sys
ops = [json.loads(l) for l in sys.argv[1].splitlines() if l.startswith("{")]
ops = {o["label"]: o for o in ops if o.get("type") == "op"}
assert "/recurrenceOverrides/2026-01-19T10:00:00/iCalProps" in ops["Series"].get("left_behind", []), ops["Series"]
assert not any(p.startswith("/recurrenceOverrides/") for p in ops["Weekly"].get("left_behind", [])), ops["Weekly"]
PY
python3 - "$out" <<'PY' && ok plan-says-google-organizes-what-it-inserts || bad plan-says-google-organizes-what-it-inserts "rc=$rc" "$out"
import json, sys
ops = [json.loads(l) for l in sys.argv[1].splitlines() if l.startswith("{")]
lunch = {o["label"]: o for o in ops if o.get("type") == "op"}["Lunch"].get("left_behind", [])
assert "/participants/p1/name" in lunch and not any(p.startswith("/participants/p2") for p in lunch), lunch
PY
[ "$(events)" = "$before" ] && [ "$before" = 0 ] && ok plan-writes-nothing-to-google || bad plan-writes-nothing-to-google "before=$before after=$(events)"

# contacts: a vCard's role (ROLE: a JSContact title of kind "role") has no
# place in a Person: the plan names that title; a card with a name,
# emails, a phone, an address, an organization with its department and a
# birthday names none of them
mkdir -p book
printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:c1\r\nFN:Ann Lee\r\nN:Lee;Ann;;;\r\nEMAIL;TYPE=work:ann@corp.example\r\nTEL;TYPE=cell:+1 555 0100\r\nORG:Corp\r\nTITLE:Engineer\r\nROLE:Chair\r\nEND:VCARD\r\n' > book/ann.vcf
printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:c2\r\nFN:Bo Kim\r\nN:Kim;Bo;;;\r\nEMAIL;TYPE=home:bo@example.org\r\nEMAIL:bo@corp.example\r\nTEL;TYPE=work:+1 555 0200\r\nADR;TYPE=home:;;1 Main St;Springfield;;12345;USA\r\nORG:Corp;Sales\r\nBDAY:19800214\r\nEND:VCARD\r\n' > book/bo.vcf
sed -e 's/"icalendar", "path": "cal"/"vcard", "path": "book"/' -e 's/"left": "event", "right": "event", "match": \[{"left": "\/uid"}\]/"left": "contact", "right": "contact"/' \
  -e 's/g-state.sqlite/p-state.sqlite/' c.json > p.json
runp plan --json p.json
python3 - "$out" <<'PY' && ok plan-says-what-google-contacts-would-drop-per-record || bad plan-says-what-google-contacts-would-drop-per-record "rc=$rc" "$out"
import json, sys
ops = [json.loads(l) for l in sys.argv[1].splitlines() if l.startswith("{")]
ops = {o["label"]: o for o in ops if o.get("type") == "op"}
ann, bo = ops["Ann Lee"].get("left_behind", []), ops["Bo Kim"].get("left_behind", [])
assert "/titles/t2" in ann, ann  # the role, whole (the manifest alone says only its kind)
assert not [p for p in bo if p.split("/")[1] in ("name", "emails", "phones", "addresses", "organizations", "anniversaries")], bo
PY
