#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# outlook-mapi's graph backend says per record, in `accord plan`, what
# Outlook would not keep of an event (accord.check.v1, issue 21): an
# iCalendar folder planned into the strict Graph fake
# (tests/peers/msgraph_fake.js, on loopback). A series with an override of
# RANGE=THISANDFUTURE (RFC 5545 3.2.13: that instance and every later one):
# Graph's exception is one occurrence, so the plan names the record and the
# override's kept RECURRENCE-ID line (its iCalProps), in text and in --json.
# A series with an ordinary override (an EXDATE, another zone) and a plain
# event with a reminder name nothing beyond what the manifest says; an invitation's attendees are named when event_attendees is not
# "write" and kept when it is; the plan writes nothing to Outlook.
#
# Usage: outlook_plan_losses_test.sh ACCORD PEERS_DIR
set -u
. "$(dirname "${BASH_SOURCE[0]}")/graph_fake.sh"  # ok, bad, runp; graph_work, graph_start, graph_secrets, graph_config; post, api, js, jget, nothing
accord=$(realpath "$1") peers=$(realpath "$2")
graph_work outlook-plan
export XDG_STATE_HOME="$work/.local/state"

graph_start
graph_secrets
events() {
  curl -s -H "Authorization: Bearer $token" "$base/v1.0/me/events?\$select=id" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).value.length))'
}

mkdir -p cal
ics() { printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n%bEND:VCALENDAR\r\n' "$2" > "cal/$1.ics"; }
ics series 'BEGIN:VEVENT\r\nUID:s1@example.org\r\nDTSTART:20260105T100000Z\r\nDTEND:20260105T110000Z\r\nRRULE:FREQ=WEEKLY;COUNT=10\r\nSUMMARY:Series\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:s1@example.org\r\nRECURRENCE-ID;RANGE=THISANDFUTURE:20260119T100000Z\r\nDTSTART:20260119T120000Z\r\nDTEND:20260119T130000Z\r\nSUMMARY:Series moved\r\nEND:VEVENT\r\n'
ics weekly 'BEGIN:VEVENT\r\nUID:w1@example.org\r\nDTSTART;TZID=Europe/Berlin:20260105T140000\r\nDTEND;TZID=Europe/Berlin:20260105T150000\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\nEXDATE;TZID=Europe/Berlin:20260126T140000\r\nSUMMARY:Weekly\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:w1@example.org\r\nRECURRENCE-ID;TZID=Europe/Berlin:20260112T140000\r\nDTSTART;TZID=Europe/Berlin:20260112T160000\r\nDTEND;TZID=Europe/Berlin:20260112T170000\r\nSUMMARY:Weekly moved\r\nEND:VEVENT\r\n'
ics dentist 'BEGIN:VEVENT\r\nUID:d1@example.org\r\nDTSTART:20260311T080000Z\r\nDTEND:20260311T090000Z\r\nSUMMARY:Dentist\r\nDESCRIPTION:Bring the card\r\nLOCATION:Main St 1\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Dentist\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\nEND:VEVENT\r\n'
ics lunch 'BEGIN:VEVENT\r\nUID:l1@example.org\r\nDTSTART:20260312T120000Z\r\nDTEND:20260312T130000Z\r\nSUMMARY:Lunch\r\nORGANIZER:mailto:ada@contoso.com\r\nATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:bob@example.org\r\nEND:VEVENT\r\n'
pipeline() {  # $1: the file, $2: more graph config
  cat > "$1" <<JSON
{"name": "o", "state": "${1%.json}.sqlite",
 "left": {"connector": "local", "config": {"backend": "icalendar", "path": "cal"}},
 "right": {"connector": "outlook-mapi", "config": {"account": "ada@contoso.com", "graph_url": "$base/v1.0",
   "access_token": {"\$secret": "ada_token"}$2}},
 "streams": [{"left": "event", "right": "event", "match": [{"left": "/uid"}]}]}
JSON
}
pipeline o.json ""
pipeline w.json ', "event_attendees": "write"'
before=$(events)

runp plan o.json
python3 - "$out" <<'PY' && ok plan-says-outlook-keeps-one-instance-of-a-thisandfuture-override || bad plan-says-outlook-keeps-one-instance-of-a-thisandfuture-override "rc=$rc" "$out"
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
runp plan --json o.json
ops_of() { python3 -c '
import json, sys
ops = [json.loads(l) for l in sys.argv[1].splitlines() if l.startswith("{")]
print(json.dumps({o["label"]: o.get("left_behind", []) for o in ops if o.get("type") == "op"}))' "$1"; }
lb=$(ops_of "$out")
python3 - "$lb" <<'PY' && ok plan-json-carries-the-lost-range || bad plan-json-carries-the-lost-range "$lb" "$out"
import json, sys
lb = json.loads(sys.argv[1])
assert "/recurrenceOverrides/2026-01-19T10:00:00/iCalProps" in lb["Series"], lb["Series"]
assert not any(p.startswith("/recurrenceOverrides/") for p in lb["Weekly"]), lb["Weekly"]
PY
python3 - "$lb" <<'PY' && ok plan-names-nothing-for-an-ordinary-event || bad plan-names-nothing-for-an-ordinary-event "$lb"
import json, sys
lb = json.loads(sys.argv[1])
# only what the manifest says already: the uid Graph makes its own, an alarm's DESCRIPTION (iCalProps)
assert sorted(lb["Dentist"]) == ["/alerts/a1/iCalProps", "/uid"], lb["Dentist"]
assert lb["Weekly"] == ["/uid"], lb["Weekly"]
PY
python3 - "$lb" <<'PY' && ok plan-says-attendees-stay-behind-unless-written || bad plan-says-attendees-stay-behind-unless-written "$lb"
import json, sys
lb = json.loads(sys.argv[1])
assert "/participants" in lb["Lunch"], lb["Lunch"]
PY
runp plan --json w.json
lb=$(ops_of "$out")
python3 - "$lb" <<'PY' && ok plan-keeps-attendees-written || bad plan-keeps-attendees-written "$lb"
import json, sys
lb = json.loads(sys.argv[1])
assert not any(p.startswith("/participants") for p in lb["Lunch"]), lb["Lunch"]
PY
[ "$(events)" = "$before" ] && [ "$before" = 0 ] && ok plan-writes-nothing-to-outlook || bad plan-writes-nothing-to-outlook "before=$before after=$(events)"

# contacts: Outlook keeps three emails and no role (ROLE: a title of kind "role"): the plan names the fourth
# email and the role; a card with a name, an email, a phone, an address, a department, a birthday and a
# note names none of them
mkdir -p book
printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:c1\r\nFN:Ann Lee\r\nN:Lee;Ann;;;\r\nEMAIL:a1@x.org\r\nEMAIL:a2@x.org\r\nEMAIL:a3@x.org\r\nEMAIL:a4@x.org\r\nORG:Corp\r\nTITLE:Engineer\r\nROLE:Chair\r\nEND:VCARD\r\n' > book/ann.vcf
printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:c2\r\nFN:Bo Kim\r\nN:Kim;Bo;;;\r\nEMAIL:bo@example.org\r\nTEL;TYPE=work:+1 555 0200\r\nADR;TYPE=home:;;1 Main St;Springfield;;12345;USA\r\nORG:Corp;Sales\r\nBDAY:19800214\r\nNOTE:hi\r\nEND:VCARD\r\n' > book/bo.vcf
sed -e 's/"icalendar", "path": "cal"/"vcard", "path": "book"/' -e 's/"left": "event", "right": "event", "match": \[{"left": "\/uid"}\]/"left": "contact", "right": "contact"/' \
  -e 's/o.sqlite/p.sqlite/' o.json > p.json
runp plan --json p.json
lb=$(ops_of "$out")
python3 - "$lb" <<'PY' && ok plan-says-what-outlook-contacts-would-drop-per-record || bad plan-says-what-outlook-contacts-would-drop-per-record "$lb" "$out"
import json, sys
lb = json.loads(sys.argv[1])
ann, bo = lb["Ann Lee"], lb["Bo Kim"]
assert "/emails/e4" in ann and "/titles/t2" in ann, ann
assert not [p for p in bo if p.split("/")[1] in ("name", "emails", "phones", "addresses", "organizations", "anniversaries", "notes")], bo
PY
