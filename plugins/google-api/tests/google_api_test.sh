#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# google-api end to end against tests/peers/google_fake.js (a strict fake of
# Google's People, Calendar, Tasks and OAuth endpoints, started here on
# loopback): the conformance kit on the contact, event and task streams (a
# full contact listing's "total"); vCards ⇄ Google
# contacts (first sync in batches, nothing to do the second time, an edit
# each way, an expired sync token recovered with no duplicate, a rotated
# refresh token written back, a 429 storm survived); an iCalendar folder
# with a weekly series, a moved and a cancelled occurrence ⇄ the primary
# calendar, both ways, exceptions intact, and an expired Calendar token;
# a VTODO folder ⇄ Google Tasks, and another task list refused as another store.
#
# Usage: google_api_test.sh ACCORD CONFORMANCE PLUGIN PEERS_DIR
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../../../tests/report.sh"  # ok, bad, runp
accord=$(realpath "$1") conformance=$(realpath "$2") plugin=$(realpath "$3") peers=$(realpath "$4")
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-google.XXXXXX")
peer_pid=
cleanup() { [ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
export HOME="$work" XDG_STATE_HOME="$work/.local/state" ACCORD_ADMIN=

secret="csecret-canary-$RANDOM$RANDOM"
refresh="refresh-canary-$RANDOM$RANDOM"
token="at-canary-$RANDOM$RANDOM"
GOOGLE_CLIENT_ID=cid GOOGLE_CLIENT_SECRET=$secret GOOGLE_REFRESH_TOKEN=$refresh GOOGLE_TOKEN=$token \
  GOOGLE_USER=ada@example.com node "$peers/google_fake.js" > peer.out 2> peer.err &
peer_pid=$!
for _ in $(seq 1 100); do grep -q '^port ' peer.out 2>/dev/null && break; sleep 0.1; done
port=$(awk '/^port /{print $2}' peer.out)
[ -n "$port" ] || { echo "FAIL the fake did not start"; cat peer.err; exit 1; }
base="http://127.0.0.1:$port"
ctl() { curl -s -XPOST -H 'Content-Type: application/json' -d "$1" "$base/__control" > /dev/null; }
# api METHOD PATH [JSON]: a request to the fake as another Google client would make it
api() { curl -s -X"$1" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' ${3:+-d "$3"} "$base$2"; }
# js EXPR over d (the account's /__dump) and s (/__stats)
# (through files: the dump outgrows what one argument may hold, 128 KiB, once the Gmail checks have run)
js() {
  curl -s "$base/__dump" > "$work/js-dump.json"
  curl -s "$base/__stats" > "$work/js-stats.json"
  node -e 'const fs=require("fs"),d=JSON.parse(fs.readFileSync(process.argv[1])),s=JSON.parse(fs.readFileSync(process.argv[2]));console.log(eval(process.argv[3]))' "$work/js-dump.json" "$work/js-stats.json" "$1"
}
# route NAME: how many requests the fake counted for a route (from /__stats alone, on stdin: the dump can be
# too big for an argument)
route() { curl -s "$base/__stats" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).by_route[process.argv[1]]||0)' "$1"; }
live_people() { js "Object.values(d.people.persons).filter(p=>!p.deleted).length"; }
requests() { js "s.requests"; }
urls="\"people_url\": \"$base\", \"calendar_url\": \"$base/calendar/v3\", \"tasks_url\": \"$base\", \"gmail_url\": \"$base\", \"drive_url\": \"$base/drive/v3\""

# -- the conformance kit on both streams (a page of 2 records, a refresh token given inline)
printf '{"account": "ada@example.com", "oauth2": {"token_url": "%s/token", "client_id": "cid", "client_secret": "%s", "refresh_token": "%s"}, %s, "page_size": 2}\n' \
  "$base" "$secret" "$refresh" "$urls" > kit.json
# Tasks keeps a due date without its time: the task sample's are dates
cat > task.json <<'JSON'
{"create": {"@type": "Task", "title": "Kit task", "description": "Steps", "due": "2026-03-05T00:00:00", "showWithoutTime": true, "progress": "needs-action"},
 "update": {"@type": "Task", "title": "Kit task, done", "due": "2026-03-06T00:00:00", "showWithoutTime": true, "progress": "completed"}}
JSON
# (--verbose: each answer is printed, "total" included; its full-listing check compares a total with what was listed)
for st in contact event task message note; do
  sample=""
  [ $st = task ] && sample="--sample task.json"
  out=$("$conformance" "$plugin" --config kit.json --stream $st $sample --verbose 2>&1); rc=$?; printf '%s\n' "$out" | tee kit-$st.out >> all.out
  [ $rc = 0 ] && printf '%s' "$out" | grep -Eq "1[0-9] passed, 0 failed" && ok conformance-kit-passes-$st \
    || bad conformance-kit-passes-$st "$(grep -v '^     ' kit-$st.out)"
done
# every calendar the account may write to in one stream (calendar_id "*"), with a second calendar: the kit on event
api POST /calendar/v3/calendars '{"summary": "Kit second"}' > /dev/null
sed 's/"page_size": 2}/"page_size": 2, "calendar_id": "*"}/' kit.json > kit-all.json
out=$("$conformance" "$plugin" --config kit-all.json --stream event 2>&1); rc=$?; printf '%s\n' "$out" >> all.out
[ $rc = 0 ] && printf '%s' "$out" | grep -Eq "1[0-9] passed, 0 failed" && ok conformance-kit-passes-all-calendars \
  || bad conformance-kit-passes-all-calendars "$(printf '%s' "$out" | grep -v '^     ')"
# People says a full listing's size (totalItems) on every page: the batches of a full listing carry it as "total";
# Calendar and Tasks say none: their batches carry none
full_totals=$(grep -c '"full":true.*"total":[0-9]\|"total":[0-9].*"full":true' kit-contact.out)
[ "$full_totals" -ge 1 ] && ! grep -q '"total":' kit-event.out kit-task.out \
  && ok full-contact-listing-says-total || bad full-contact-listing-says-total "full batches with a total: $full_totals" \
  "$(grep -m3 '"full":true' kit-contact.out | cut -c1-400)"

# -- vCards ⇄ Google contacts, the refresh token in the secrets file (rotated by Google, written back)
printf '{"google_secret": "%s", "google_refresh": "%s"}\n' "$secret" "$refresh" > secrets.json
chmod 600 secrets.json
export ACCORD_SECRETS="$work/secrets.json"
ctl '{"rotate_refresh_token": true}'
mkdir -p book cal
for i in $(seq 1 30); do
  printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:g%s\r\nFN:Kim Number%s\r\nN:Number%s;Kim;;;\r\nEMAIL;TYPE=work:g%s@example.org\r\nTEL;TYPE=cell:+4420700%04d\r\nTITLE:Analyst\r\nORG:Engines\r\nEND:VCARD\r\n' \
    "$i" "$i" "$i" "$i" "$i" > "book/g$i.vcf"
done
google_cfg="{\"account\": \"ada@example.com\", $urls,
  \"oauth2\": {\"token_url\": \"$base/token\", \"client_id\": \"cid\", \"client_secret\": {\"\$secret\": \"google_secret\"},
               \"refresh_token_secret\": \"google_refresh\"}}"
cat > p.json <<JSON
{"name": "google-contacts", "state": "state.sqlite",
 "left": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "book"}},
 "right": {"connector": "google-api", "config": $google_cfg},
 "streams": [{"name": "contacts", "left": "contact", "right": "contact",
              "match": [{"left": "/emails/*/address", "normalise": "email"}],
              "guards": {"max_delete_share": 0.5}}]}
JSON
# pref (Google's primary item, metadata.primary) is read only: validate says a change made in the vCards stays behind
val=$("$accord" validate p.json 2>&1)
printf '%s' "$val" | grep -qF "read only on the right side (google-api): /emails/*/pref, /phones/*/pref, /addresses/*/pref: what the left side changes there stays behind" \
  && ok validate-says-pref-is-read-only || bad validate-says-pref-is-read-only "$val"
r0=$(requests)
c0=$(js "s.by_route['people.createContact']||0")
runp run p.json
n=$(live_people)
[ $rc = 0 ] && [ "$n" = 30 ] && ok first-sync-creates-contacts || bad first-sync-creates-contacts "rc=$rc people=$n" "$out"
creates=$(( $(js "s.by_route['people.createContact']||0") - c0 ))
batches=$(js "s.by_route['people.batchCreateContacts']||0")
[ "$batches" -ge 1 ] && [ "$creates" -le 1 ] && ok creates-go-through-batchCreateContacts \
  || bad creates-go-through-batchCreateContacts "batch=$batches single=$creates requests=$(( $(requests) - r0 ))"
[ "$(js "Object.values(d.people.persons).filter(p=>!p.deleted&&(p.data.clientData||[]).some(c=>c.key==='accord.idempotency_key')).length")" = 30 ] \
  && ok creates-carry-key-in-clientData || bad creates-carry-key-in-clientData "$(curl -s "$base/__dump" | head -c 600)"
rotated=$(node -e 'console.log(JSON.parse(require("fs").readFileSync("secrets.json")).google_refresh)')
[ -n "$rotated" ] && [ "$rotated" != "$refresh" ] && ok rotated-refresh-token-written-back || bad rotated-refresh-token-written-back "$rotated"
runp run p.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok second-run-nothing-to-do || bad second-run-nothing-to-do "$out"

# an edit each way: a title in a vCard, a phone number in Google
sed -i 's/^TITLE:Analyst/TITLE:Chief Analyst/' book/g7.vcf
rn=$(js "Object.values(d.people.persons).find(p=>!p.deleted&&(p.data.emailAddresses||[]).some(e=>e.value==='g9@example.org')).resourceName")
person=$(api GET "/v1/$rn?personFields=names,phoneNumbers,metadata")
edited=$(node -e 'const p=JSON.parse(process.argv[1]);p.phoneNumbers=[{value:"+44 1223 000999",type:"mobile"}];console.log(JSON.stringify(p))' "$person")
api PATCH "/v1/$rn:updateContact?updatePersonFields=phoneNumbers" "$edited" > edit.out
runp run p.json
[ $rc = 0 ] && grep -q "+44 1223 000999" book/g9.vcf && ok google-edit-reaches-vcard || bad google-edit-reaches-vcard "rc=$rc $(cat edit.out | head -c 300)" "$out" "$(cat book/g9.vcf)"
[ "$(js "Object.values(d.people.persons).filter(p=>!p.deleted&&(p.data.organizations||[]).some(o=>o.title==='Chief Analyst')).length")" = 1 ] \
  && ok vcard-edit-reaches-google || bad vcard-edit-reaches-google "$out"
runp run p.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok nothing-to-do-after-edits || bad nothing-to-do-after-edits "$out"

# contact groups as keywords: a vCard's CATEGORIES makes and joins a group; a group joined in Google reaches the vCard
sed -i 's/^TITLE:Analyst/CATEGORIES:Chess club\r\nTITLE:Analyst/' book/g11.vcf
runp run p.json
grp=$(js "(Object.entries(d.people.groups).find(([k,g])=>g.name==='Chess club')||[''])[0]")
rn11=$(js "Object.values(d.people.persons).find(p=>!p.deleted&&(p.data.emailAddresses||[]).some(e=>e.value==='g11@example.org')).resourceName")
[ $rc = 0 ] && [ -n "$grp" ] && [ "$(js "[...(d.people.groups['$grp'].members||[])].includes('$rn11')")" = true ] \
  && ok vcard-category-becomes-contact-group || bad vcard-category-becomes-contact-group "rc=$rc grp=$grp" "$out" "$(curl -s "$base/__dump" | node -e 'const d=JSON.parse(require("fs").readFileSync(0));console.log(JSON.stringify(d.people.groups).slice(0,600))')"
rn12=$(js "Object.values(d.people.persons).find(p=>!p.deleted&&(p.data.emailAddresses||[]).some(e=>e.value==='g12@example.org')).resourceName")
api POST "/v1/$grp/members:modify" "{\"resourceNamesToAdd\": [\"$rn12\"]}" > mod.out
runp run p.json
[ $rc = 0 ] && grep -q "^CATEGORIES:Chess club" book/g12.vcf && ok google-group-reaches-vcard-categories \
  || bad google-group-reaches-vcard-categories "rc=$rc $(head -c 300 mod.out)" "$out" "$(cat book/g12.vcf)"
runp run p.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok nothing-to-do-after-groups || bad nothing-to-do-after-groups "$out"

# an expired People sync token (400 FAILED_PRECONDITION, EXPIRED_SYNC_TOKEN): a full listing, no duplicate
ctl '{"expire_sync_tokens": ["people"]}'
sed -i 's/^TITLE:Analyst/TITLE:Engineer/' book/g3.vcf
runp run p.json
[ $rc = 0 ] && [ "$(live_people)" = 30 ] && [ "$(ls book/*.vcf | wc -l)" = 30 ] && \
  [ "$(js "Object.values(d.people.persons).filter(p=>!p.deleted&&(p.data.organizations||[]).some(o=>o.title==='Engineer')).length")" = 1 ] \
  && ok expired-sync-token-recovered-no-duplicate || bad expired-sync-token-recovered-no-duplicate "rc=$rc people=$(live_people) files=$(ls book | wc -l)" "$out"

# a 429 storm: runs end with RETRY and a later run finishes, nothing lost or doubled
sed -i 's/^TITLE:Analyst/TITLE:Storm/' book/g4.vcf
ctl '{"rate_limit": {"count": 3, "status": 429, "retry_after": 1}}'
tries=0 limited=0
for _ in 1 2 3 4 5 6; do
  runp run p.json; tries=$((tries + 1))
  printf '%s' "$out" | grep -qi "rate limit" && limited=1
  [ $rc = 0 ] && ! printf '%s' "$out" | grep -qi "rate limit" && break
  sleep 1
done
[ $rc = 0 ] && [ $limited = 1 ] && [ "$(live_people)" = 30 ] && \
  [ "$(js "Object.values(d.people.persons).filter(p=>!p.deleted&&(p.data.organizations||[]).some(o=>o.title==='Storm')).length")" = 1 ] \
  && ok rate-limit-storm-survived || bad rate-limit-storm-survived "rc=$rc limited=$limited tries=$tries people=$(live_people)" "$out"
ctl '{"rate_limit": {"count": 2, "status": 403, "reason": "userRateLimitExceeded", "retry_after": 1}}'
sed -i 's/^TITLE:Analyst/TITLE:Storm2/' book/g5.vcf
limited=0
for _ in 1 2 3 4 5 6; do
  runp run p.json
  printf '%s' "$out" | grep -qi "rate limit" && limited=1
  [ $rc = 0 ] && ! printf '%s' "$out" | grep -qi "rate limit" && break
  sleep 1
done
[ $rc = 0 ] && [ $limited = 1 ] && [ "$(js "Object.values(d.people.persons).filter(p=>!p.deleted&&(p.data.organizations||[]).some(o=>o.title==='Storm2')).length")" = 1 ] \
  && ok user-rate-limit-403-is-a-retry || bad user-rate-limit-403-is-a-retry "rc=$rc" "$out"

# a delete in Google reaches the folder
api DELETE "/v1/$rn:deleteContact" > /dev/null
runp run p.json
[ $rc = 0 ] && [ ! -e book/g9.vcf ] && [ "$(ls book/*.vcf | wc -l)" = 29 ] && ok google-delete-reaches-vcard || bad google-delete-reaches-vcard "rc=$rc" "$out"

# killed between the writes and their commit (SIGKILL at apply.after_write):
# the next run resends the creates, finds them by their keys in clientData
for i in $(seq 31 35); do
  printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:g%s\r\nFN:Kim Number%s\r\nEMAIL:g%s@example.org\r\nEND:VCARD\r\n' "$i" "$i" "$i" > "book/g$i.vcf"
done
# without match keys, so that only the idempotency key stands between the resend and a duplicate
cp p.json p-match.json
node -e 'const f=require("fs"),p=JSON.parse(f.readFileSync("p.json"));delete p.streams[0].match;f.writeFileSync("p.json",JSON.stringify(p))'
{ (ACCORD_FAILPOINT=apply.after_write "$accord" run p.json > kill.out 2>&1); } 2>/dev/null; krc=$?
n_killed=$(live_people)
runp run p.json
n=$(live_people)
cp p-match.json p.json
[ $krc != 0 ] && [ "$n_killed" = 34 ] && [ $rc = 0 ] && [ "$n" = 34 ] && [ "$(ls book/*.vcf | wc -l)" = 34 ] \
  && ok killed-after-write-resumes-no-duplicate || bad killed-after-write-resumes-no-duplicate "killed rc=$krc people=$n_killed; then rc=$rc people=$n" "$out"
runp run p.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok nothing-to-do-after-resume || bad nothing-to-do-after-resume "$out"

# People writes that show in listings only later (Google: "propagation delay"): the run that made them
# and the runs before and after they show have nothing to do and copy nothing back
ctl '{"propagation_delay_ms": 3000}'
for i in 36 37; do
  printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:g%s\r\nFN:Kim Number%s\r\nEMAIL:g%s@example.org\r\nEND:VCARD\r\n' "$i" "$i" "$i" > "book/g$i.vcf"
done
runp run p.json; rc1=$rc
runp run p.json; out1=$out rc2=$rc
sleep 3.5
runp run p.json
[ $rc1 = 0 ] && [ $rc2 = 0 ] && [ $rc = 0 ] && printf '%s' "$out1" | grep -q "nothing to do" && printf '%s' "$out" | grep -q "nothing to do" \
  && [ "$(live_people)" = 36 ] && [ "$(ls book/*.vcf | wc -l)" = 36 ] \
  && ok propagation-delay-copies-nothing-twice || bad propagation-delay-copies-nothing-twice "rc=$rc1/$rc2/$rc people=$(live_people) files=$(ls book | wc -l)" "$out1" "$out"
ctl '{"propagation_delay_ms": 0}'

# -- an iCalendar folder with a weekly series, a moved and a cancelled occurrence ⇄ the primary calendar
cat > cal/standup.ics <<'ICS'
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:standup-1@example.org
DTSTART;TZID=Europe/Berlin:20260105T090000
DTEND;TZID=Europe/Berlin:20260105T091500
SUMMARY:Standup
RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10
EXDATE;TZID=Europe/Berlin:20260119T090000
END:VEVENT
BEGIN:VEVENT
UID:standup-1@example.org
RECURRENCE-ID;TZID=Europe/Berlin:20260112T090000
DTSTART;TZID=Europe/Berlin:20260113T100000
DTEND;TZID=Europe/Berlin:20260113T101500
SUMMARY:Standup (moved)
END:VEVENT
END:VCALENDAR
ICS
cat > all-day.ics <<'ICS'
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:holiday-1@example.org
DTSTART;VALUE=DATE:20260501
DTEND;VALUE=DATE:20260502
SUMMARY:Holiday
END:VEVENT
END:VCALENDAR
ICS
mv all-day.ics cal/
cat > c.json <<JSON
{"name": "google-calendar", "state": "cstate.sqlite",
 "left": {"connector": "local", "config": {"backend": "icalendar", "create": true, "path": "cal"}},
 "right": {"connector": "google-api", "config": $google_cfg},
 "streams": [{"name": "calendar", "left": "event", "right": "event", "match": [{"left": "/uid"}]}]}
JSON
runp run c.json
events() { js "Object.values(Object.values(d.calendar.calendars).find(c=>c.primary).events).filter(e=>!e.deleted&&e.status!=='cancelled')"; }
master=$(js "JSON.stringify(Object.values(Object.values(d.calendar.calendars).find(c=>c.primary).events).find(e=>e.iCalUID==='standup-1@example.org'&&!e.recurringEventId&&!e.deleted)||{})")
moved=$(js "JSON.stringify(Object.values(Object.values(d.calendar.calendars).find(c=>c.primary).events).find(e=>e.iCalUID==='standup-1@example.org'&&e.recurringEventId&&!e.deleted)||{})")
[ $rc = 0 ] && printf '%s' "$master" | grep -q 'RRULE:FREQ=WEEKLY' && printf '%s' "$master" | grep -q 'EXDATE' \
  && printf '%s' "$moved" | grep -q 'Standup (moved)' && printf '%s' "$moved" | grep -q '2026-01-13T09:00:00' \
  && ok series-with-exceptions-reaches-google || bad series-with-exceptions-reaches-google "rc=$rc" "$out" "master: $master" "moved: $moved"
runp run c.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok calendar-second-run-nothing-to-do || bad calendar-second-run-nothing-to-do "$out"
# in Google: one more occurrence cancelled, and the title of another changed
mid=$(printf '%s' "$master" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).id)')
api DELETE "/calendar/v3/calendars/primary/events/${mid}_20260126T080000Z" > del.out
inst=$(api GET "/calendar/v3/calendars/primary/events/${mid}_20260202T080000Z")
inst2=$(node -e 'const e=JSON.parse(process.argv[1]);e.summary="Retro instead";console.log(JSON.stringify(e))' "$inst")
api PUT "/calendar/v3/calendars/primary/events/${mid}_20260202T080000Z" "$inst2" > put.out
runp run c.json
f=cal/$(grep -l "standup-1@example.org" cal/*.ics | head -1 | xargs basename)
[ $rc = 0 ] && grep -q "20260126T090000" "$f" && grep -q "SUMMARY:Retro instead" "$f" && grep -q "RECURRENCE-ID;TZID=Europe/Berlin:20260202T090000" "$f" \
  && grep -q "SUMMARY:Standup (moved)" "$f" && ok google-exceptions-reach-ics || bad google-exceptions-reach-ics "rc=$rc $(head -c 300 del.out) $(head -c 300 put.out)" "$out" "$(grep -v '^ \|TZOFFSET\|TZNAME\|^DTSTART:1\|^RRULE:FREQ=YEARLY\|^RDATE' "$f")"
runp run c.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok calendar-nothing-to-do-after-edits || bad calendar-nothing-to-do-after-edits "$out"
# the moved occurrence taken out of the file and the cancelled one given back: Google's exceptions are put back
node -e '
const f=require("fs"),p=process.argv[1];let t=f.readFileSync(p,"utf8");
t=t.replace(/BEGIN:VEVENT\r?\n(?:(?!END:VEVENT)[\s\S])*?RECURRENCE-ID;TZID=Europe\/Berlin:20260112T090000[\s\S]*?END:VEVENT\r?\n/,"");
t=t.replace(/^EXDATE;TZID=Europe\/Berlin:20260126T090000\r?\n/m,"");
f.writeFileSync(p,t)' "$f"
runp run c.json
runp run c.json; out2=$out
exc=$(js "JSON.stringify(Object.values(Object.values(d.calendar.calendars).find(c=>c.primary).events).filter(e=>e.recurringEventId==='$mid'&&!e.deleted).map(e=>[e.id,e.status,(e.data||{}).start]))")
# in Google: the occurrence of the 12th back at its time, the 26th's no longer cancelled
put_back=$(js "const ev=Object.values(Object.values(d.calendar.calendars).find(c=>c.primary).events);
  const a=ev.find(e=>e.id==='${mid}_20260112T080000Z'), b=ev.find(e=>e.id==='${mid}_20260126T080000Z');
  (!a||(!a.deleted&&a.status!=='cancelled'&&Date.parse(a.data.start.dateTime)===Date.parse('2026-01-12T08:00:00Z')))&&
  (!b||(!b.deleted&&b.status!=='cancelled'))")
[ $rc = 0 ] && [ "$put_back" = true ] && ! grep -q "RECURRENCE-ID;TZID=Europe/Berlin:20260112T090000" "$f" && ! grep -q "20260126T090000" "$f" \
  && grep -q "SUMMARY:Retro instead" "$f" && printf '%s' "$out2" | grep -q "nothing to do" \
  && ok exceptions-taken-out-are-put-back-in-google || bad exceptions-taken-out-are-put-back-in-google "rc=$rc exceptions=$exc" "$out2" "$(grep -v '^ \|TZOFFSET\|TZNAME\|^DTSTART:1\|^RRULE:FREQ=YEARLY\|^RDATE' "$f")"
# an event create killed after Google made it: resent with the same id (409), read back and linked
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:review-1@example.org\r\nDTSTART:20260310T140000Z\r\nDTEND:20260310T150000Z\r\nSUMMARY:Review\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' > cal/review.ics
{ (ACCORD_FAILPOINT=apply.after_write "$accord" run c.json > kill.out 2>&1); } 2>/dev/null; krc=$?
runp run c.json
nrev=$(js "Object.values(Object.values(d.calendar.calendars).find(c=>c.primary).events).filter(e=>!e.deleted&&e.iCalUID==='review-1@example.org').length")
[ $krc != 0 ] && [ $rc = 0 ] && [ "$nrev" = 1 ] && [ "$(ls cal/*.ics | wc -l)" = 3 ] \
  && ok event-create-killed-resumes-no-duplicate || bad event-create-killed-resumes-no-duplicate "killed rc=$krc rc=$rc events=$nrev files=$(ls cal | wc -l)" "$out"
rm cal/review.ics
runp run c.json
[ $rc = 0 ] && [ "$(js "Object.values(Object.values(d.calendar.calendars).find(c=>c.primary).events).filter(e=>!e.deleted&&e.status!=='cancelled'&&e.iCalUID==='review-1@example.org').length")" = 0 ] \
  && ok ics-delete-reaches-google || bad ics-delete-reaches-google "rc=$rc" "$out"
# an expired Calendar sync token (410 fullSyncRequired): a full listing, no duplicate
ctl '{"expire_sync_tokens": ["calendar"]}'
sed -i 's/^SUMMARY:Holiday/SUMMARY:Bank holiday/' cal/all-day.ics
runp run c.json
nev=$(js "Object.values(Object.values(d.calendar.calendars).find(c=>c.primary).events).filter(e=>!e.deleted&&!e.recurringEventId&&e.status!=='cancelled').length")
[ $rc = 0 ] && [ "$nev" = 2 ] && [ "$(ls cal/*.ics | wc -l)" = 2 ] \
  && [ "$(js "Object.values(Object.values(d.calendar.calendars).find(c=>c.primary).events).filter(e=>!e.deleted&&(e.data||{}).summary==='Bank holiday').length")" = 1 ] \
  && ok calendar-expired-token-recovered-no-duplicate || bad calendar-expired-token-recovered-no-duplicate "rc=$rc events=$nev files=$(ls cal | wc -l)" "$out"

# -- an iCalendar VTODO folder ⇄ Google Tasks (@default): due dates, completion, both ways
mkdir -p todo
for i in 1 2 3; do
  printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTODO\r\nUID:todo-%s@example.org\r\nSUMMARY:Chore %s\r\nDESCRIPTION:step %s\r\nDUE;VALUE=DATE:2026040%s\r\nSTATUS:NEEDS-ACTION\r\nEND:VTODO\r\nEND:VCALENDAR\r\n' "$i" "$i" "$i" "$i" > "todo/t$i.ics"
done
cat > t.json <<JSON
{"name": "google-tasks", "state": "tstate.sqlite",
 "left": {"connector": "local", "config": {"backend": "icalendar", "create": true, "path": "todo"}},
 "right": {"connector": "google-api", "config": $google_cfg},
 "streams": [{"name": "tasks", "left": "task", "right": "task"}]}
JSON
live_tasks() { js "Object.values(d.tasks.lists).filter(l=>!l.deleted).flatMap(l=>Object.values(l.tasks)).filter(t=>!t.deleted&&/^Chore/.test(t.title||'')).length"; }
runp run t.json
[ $rc = 0 ] && [ "$(live_tasks)" = 3 ] && [ "$(js "Object.values(d.tasks.lists).flatMap(l=>Object.values(l.tasks)).filter(t=>!t.deleted&&t.title==='Chore 2'&&t.due==='2026-04-02T00:00:00.000Z'&&t.notes==='step 2').length")" = 1 ] \
  && ok vtodos-reach-google-tasks || bad vtodos-reach-google-tasks "rc=$rc tasks=$(live_tasks)" "$out"
runp run t.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok tasks-second-run-nothing-to-do || bad tasks-second-run-nothing-to-do "$out"
# completed in Google; retitled in the file
tid=$(js "Object.values(d.tasks.lists).flatMap(l=>Object.values(l.tasks)).find(t=>!t.deleted&&t.title==='Chore 1').id")
api PATCH "/tasks/v1/lists/@default/tasks/$tid" '{"status": "completed"}' > patch.out
sed -i 's/^SUMMARY:Chore 3/SUMMARY:Chore 3 (urgent)/' todo/t3.ics
runp run t.json
[ $rc = 0 ] && grep -q "^STATUS:COMPLETED" todo/t1.ics && [ "$(js "Object.values(d.tasks.lists).flatMap(l=>Object.values(l.tasks)).filter(t=>!t.deleted&&t.title==='Chore 3 (urgent)').length")" = 1 ] \
  && ok task-edits-travel-both-ways || bad task-edits-travel-both-ways "rc=$rc $(head -c 200 patch.out)" "$out" "$(cat todo/t1.ics)"
runp run t.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok tasks-nothing-to-do-after-edits || bad tasks-nothing-to-do-after-edits "$out"
# a create killed after Google made it: found again by title, notes and due date, no duplicate
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTODO\r\nUID:todo-4@example.org\r\nSUMMARY:Chore 4\r\nDUE;VALUE=DATE:20260404\r\nEND:VTODO\r\nEND:VCALENDAR\r\n' > todo/t4.ics
{ (ACCORD_FAILPOINT=apply.after_write "$accord" run t.json > kill.out 2>&1); } 2>/dev/null; krc=$?
runp run t.json
[ $krc != 0 ] && [ $rc = 0 ] && [ "$(live_tasks)" = 4 ] && [ "$(ls todo/*.ics | wc -l)" = 4 ] \
  && ok task-create-killed-resumes-no-duplicate || bad task-create-killed-resumes-no-duplicate "killed rc=$krc rc=$rc tasks=$(live_tasks) files=$(ls todo | wc -l)" "$out"
# deleted in Google: a tombstone, the file goes
api DELETE "/tasks/v1/lists/@default/tasks/$tid" > /dev/null
runp run t.json
[ $rc = 0 ] && [ ! -e todo/t1.ics ] && [ "$(ls todo/*.ics | wc -l)" = 3 ] && ok google-task-delete-reaches-file || bad google-task-delete-reaches-file "rc=$rc" "$out"

# another task list is another store: the state made with @default is refused, nothing is read or written
lid=$(api POST "/tasks/v1/users/@me/lists" '{"title": "Errands"}' | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).id||"")')
sed 's/"account": "ada@example.com",/"account": "ada@example.com", "task_list": "'"$lid"'",/' t.json > t2.json
runp run t2.json
[ -n "$lid" ] && grep -q "\"task_list\": \"$lid\"" t2.json && [ $rc != 0 ] && printf '%s' "$out" | grep -qi "store" \
  && [ "$(js "Object.values(d.tasks.lists['$lid'].tasks||{}).length")" = 0 ] && [ "$(ls todo/*.ics | wc -l)" = 3 ] \
  && ok another-task-list-is-another-store || bad another-task-list-is-another-store "rc=$rc list=$lid" "$out"

# a task's parent (Tasks' parent, changed by move) as JSCalendar relatedTo, with a JSON folder (which keeps it):
# a subtask made in Google arrives under its parent's uid (the task id); a task the folder puts under that uid
# is made there (insert's parent), one moved under it later is moved (tasks.move); a parent that is the folder's
# own uid cannot be found in Google (Tasks keeps no other store's UID): that task stays at the top level
tl="/tasks/v1/lists/$lid/tasks"
trip=$(api POST "$tl" '{"title": "Trip"}' | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).id)')
api POST "$tl?parent=$trip" '{"title": "Pack"}' > /dev/null
tj_cfg=$(printf '%s' "$google_cfg" | sed 's/^{/{"task_list": "'"$lid"'", /')
cat > tj.json <<JSON
{"name": "google-task-tree", "state": "tjstate.sqlite",
 "left": {"connector": "local", "config": {"backend": "json", "create": true, "path": "tj"}},
 "right": {"connector": "google-api", "config": $tj_cfg},
 "streams": [{"name": "tasks", "left": "task", "right": "task"}]}
JSON
mkdir -p tj/task
runp run tj.json
tjfile() { grep -l "\"title\": *\"$1\"" tj/task/*.json 2>/dev/null | head -1; }
gparent() { js "(Object.values(d.tasks.lists['$lid'].tasks).find(t=>!t.deleted&&t.title==='$1')||{}).parent||''"; }
pack=$(tjfile Pack)
[ $rc = 0 ] && [ -n "$pack" ] && node -e 'const o=JSON.parse(require("fs").readFileSync(process.argv[1]));process.exit(o.relatedTo&&o.relatedTo[process.argv[2]]&&o.relatedTo[process.argv[2]].relation.parent?0:1)' "$pack" "$trip" \
  && ok google-subtask-arrives-with-relatedTo-parent || bad google-subtask-arrives-with-relatedTo-parent "rc=$rc trip=$trip file=$pack $(cat "$pack" 2>/dev/null)" "$out"
rel() { printf '{"@type": "Relation", "relation": {"parent": true}}'; }
printf '{"@type": "Task", "title": "Book hotel", "progress": "needs-action", "relatedTo": {"%s": %s}}\n' "$trip" "$(rel)" > tj/task/hotel.json
printf '{"@type": "Task", "title": "Tickets", "progress": "needs-action"}\n' > tj/task/tickets.json
printf '{"@type": "Task", "title": "Orphan", "progress": "needs-action", "relatedTo": {"folder-own-uid@example.org": %s}}\n' "$(rel)" > tj/task/orphan.json
runp run tj.json
[ $rc = 0 ] && [ "$(gparent 'Book hotel')" = "$trip" ] && [ "$(gparent Tickets)" = "" ] && [ "$(gparent Orphan)" = "" ] \
  && [ "$(js "Object.values(d.tasks.lists['$lid'].tasks).filter(t=>!t.deleted&&t.title==='Orphan').length")" = 1 ] \
  && ok folder-task-made-under-its-parent || bad folder-task-made-under-its-parent "rc=$rc hotel=$(gparent 'Book hotel') tickets=$(gparent Tickets) orphan=$(gparent Orphan) trip=$trip" "$out"
m0=$(js "s.by_route['tasks.tasks.move']||0")
node -e 'const fs=require("fs"),f=process.argv[1],o=JSON.parse(fs.readFileSync(f));o.relatedTo={[process.argv[2]]:{"@type":"Relation",relation:{parent:true}}};fs.writeFileSync(f,JSON.stringify(o))' "$(tjfile Tickets)" "$trip"
runp run tj.json
[ $rc = 0 ] && [ "$(gparent Tickets)" = "$trip" ] && [ $(( $(js "s.by_route['tasks.tasks.move']||0") - m0 )) = 1 ] \
  && ok folder-task-moved-under-a-parent || bad folder-task-moved-under-a-parent "rc=$rc tickets=$(gparent Tickets) moves=$(( $(js "s.by_route['tasks.tasks.move']||0") - m0 ))" "$out"
runp run tj.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok task-tree-nothing-to-do || bad task-tree-nothing-to-do "$out"

# -- every calendar the account may write to in one stream (calendar_id "*"): ids "<calendar>/<event>"
jid() { node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).id)'; }
masters() {  # live series and single events of the calendar named $1 ("" for the primary)
  js "Object.values(Object.values(d.calendar.calendars).find(c=>'$1'?c.summary==='$1':c.primary).events).filter(e=>!e.deleted&&e.status!=='cancelled'&&!e.recurringEventId).length"
}
work_cal=$(api POST /calendar/v3/calendars '{"summary": "Work", "timeZone": "Europe/Berlin"}' | jid)
board=$(api POST "/calendar/v3/calendars/$work_cal/events" '{"summary": "Board meeting", "start": {"dateTime": "2026-03-10T10:00:00+01:00", "timeZone": "Europe/Berlin"}, "end": {"dateTime": "2026-03-10T11:00:00+01:00", "timeZone": "Europe/Berlin"}}' | jid)
all_cfg=$(printf '%s' "$google_cfg" | sed 's/^{/{"calendar_id": "*", /')
cat > all.json <<JSON
{"name": "google-all-calendars", "state": "allstate.sqlite",
 "left": {"connector": "local", "config": {"backend": "icalendar", "create": true, "path": "allcal"}},
 "right": {"connector": "google-api", "config": $all_cfg},
 "streams": [{"name": "calendars", "left": "event", "right": "event", "match": [{"left": "/uid"}]}]}
JSON
runp run all.json
n_primary=$(masters "")
[ $rc = 0 ] && [ "$(ls allcal/*.ics | wc -l)" = $((n_primary + 1)) ] && grep -lq 'SUMMARY:Board meeting' allcal/*.ics \
  && ok all-calendars-reach-one-folder || bad all-calendars-reach-one-folder "rc=$rc files=$(ls allcal | wc -l) primary=$n_primary" "$out"
runp run all.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok all-calendars-second-run-nothing-to-do || bad all-calendars-second-run-nothing-to-do "$out"
# a new event from the folder goes to the primary calendar; one edited in Work reaches its file
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:lunch-1@example.org\r\nDTSTART:20260311T120000Z\r\nDTEND:20260311T130000Z\r\nSUMMARY:Lunch\r\nATTENDEE;CN=Bob;PARTSTAT=ACCEPTED:mailto:bob@example.org\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT30M\r\nDESCRIPTION:Lunch\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' > allcal/lunch.ics
ev=$(api GET "/calendar/v3/calendars/$work_cal/events/$board")
api PUT "/calendar/v3/calendars/$work_cal/events/$board" "$(node -e 'const e=JSON.parse(process.argv[1]);e.summary="Board meeting (room 2)";console.log(JSON.stringify(e))' "$ev")" > /dev/null
runp run all.json
[ $rc = 0 ] && [ "$(masters "")" = $((n_primary + 1)) ] && [ "$(masters Work)" = 1 ] && grep -lq 'SUMMARY:Board meeting (room 2)' allcal/*.ics \
  && ok all-calendars-writes-each-way || bad all-calendars-writes-each-way "rc=$rc primary=$(masters "") work=$(masters Work)" "$out"
# attendees and reminders: the file's ATTENDEE and VALARM reach Google; a reminder changed in Google reaches the file
lunch() { js "JSON.stringify((Object.values(Object.values(d.calendar.calendars).find(c=>c.primary).events).find(e=>!e.deleted&&e.iCalUID==='lunch-1@example.org')||{}).data$1)"; }
[ "$(lunch .attendees)" = '[{"email":"bob@example.org","displayName":"Bob","responseStatus":"accepted"}]' ] \
  && [ "$(lunch .reminders)" = '{"useDefault":false,"overrides":[{"method":"popup","minutes":30}]}' ] \
  && ok attendees-and-reminders-reach-google || bad attendees-and-reminders-reach-google "$(lunch '')"
lunch_id=$(js "Object.values(Object.values(d.calendar.calendars).find(c=>c.primary).events).find(e=>!e.deleted&&e.iCalUID==='lunch-1@example.org').id")
ev=$(api GET "/calendar/v3/calendars/primary/events/$lunch_id")
api PUT "/calendar/v3/calendars/primary/events/$lunch_id" "$(node -e 'const e=JSON.parse(process.argv[1]);e.reminders={useDefault:false,overrides:[{method:"popup",minutes:10}]};console.log(JSON.stringify(e))' "$ev")" > /dev/null
runp run all.json
[ $rc = 0 ] && grep -q '^TRIGGER:-PT10M' allcal/lunch.ics && grep -q '^ATTENDEE.*bob@example.org' allcal/lunch.ics \
  && ok google-reminder-reaches-valarm || bad google-reminder-reaches-valarm "rc=$rc" "$out" "$(cat allcal/lunch.ics)"
runp run all.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok nothing-to-do-after-reminders || bad nothing-to-do-after-reminders "$out"
# a calendar made later is read whole on the next run
later_cal=$(api POST /calendar/v3/calendars '{"summary": "Later"}' | jid)
api POST "/calendar/v3/calendars/$later_cal/events" '{"summary": "Offsite", "start": {"date": "2026-04-01"}, "end": {"date": "2026-04-02"}}' > /dev/null
runp run all.json
[ $rc = 0 ] && grep -lq 'SUMMARY:Offsite' allcal/*.ics && ok new-calendar-read-whole || bad new-calendar-read-whole "rc=$rc" "$out"
# every calendar's sync token expired (410): a full listing of them all, nothing copied twice
ctl '{"expire_sync_tokens": ["calendar"]}'
n_files=$(ls allcal/*.ics | wc -l)
runp run all.json
[ $rc = 0 ] && [ "$(ls allcal/*.ics | wc -l)" = "$n_files" ] && [ "$(masters "")" = $((n_primary + 1)) ] && [ "$(masters Work)" = 1 ] && [ "$(masters Later)" = 1 ] \
  && ok all-calendars-expired-no-duplicate || bad all-calendars-expired-no-duplicate "rc=$rc files=$(ls allcal/*.ics | wc -l) was $n_files" "$out"
# an event create killed after Google made it: the resend's id (from its key) answers 409 and is linked
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:dinner-1@example.org\r\nDTSTART:20260312T190000Z\r\nDTEND:20260312T210000Z\r\nSUMMARY:Dinner\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' > allcal/dinner.ics
{ (ACCORD_FAILPOINT=apply.after_write "$accord" run all.json > kill.out 2>&1); } 2>/dev/null; krc=$?
dinners() { js "Object.values(d.calendar.calendars).flatMap(c=>Object.values(c.events)).filter(e=>!e.deleted&&e.status!=='cancelled'&&e.data.summary==='Dinner').length"; }
k_dinners=$(dinners)
runp run all.json
[ $krc != 0 ] && [ "$k_dinners" = 1 ] && [ $rc = 0 ] && [ "$(dinners)" = 1 ] && [ "$(ls allcal/*.ics | wc -l)" = $((n_files + 1)) ] \
  && ok all-calendars-create-killed-resumes-no-duplicate || bad all-calendars-create-killed-resumes-no-duplicate "killed rc=$krc dinners=$k_dinners then rc=$rc dinners=$(dinners)" "$out"

# -- Gmail labels ⇄ Maildir folders
G=/gmail/v1/users/me
live_mail() { js "Object.values(d.gmail.messages).filter(m=>!m.labelIds.includes('TRASH')).length"; }
copies() { js "Object.values(d.gmail.messages).filter(m=>Buffer.from(m.raw,'base64url').toString().includes('Message-ID: <$1>')).length"; }
eml() {  # eml ID SUBJECT: a message's raw form, base64url
  printf 'Message-ID: <%s>\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\nFrom: Bob <bob@example.org>\r\nTo: ada@example.com\r\nSubject: %s\r\n\r\nBody of %s\r\n' "$1" "$2" "$1" | base64 -w0 | tr '+/' '-_'
}
work_label=$(api POST "$G/labels" '{"name": "Work", "labelListVisibility": "labelShow", "messageListVisibility": "show"}' | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).id)')
api POST "$G/messages/import" "{\"raw\": \"$(eml gm1@example.org 'Unread in the inbox')\", \"labelIds\": [\"INBOX\", \"UNREAD\"]}" > /dev/null
api POST "$G/messages/import" "{\"raw\": \"$(eml gm2@example.org 'Read, at work')\", \"labelIds\": [\"INBOX\", \"$work_label\"]}" > /dev/null
api POST "$G/messages/import" "{\"raw\": \"$(eml gm3@example.org 'Sent by Ada')\", \"labelIds\": [\"SENT\"]}" > /dev/null
api POST "$G/messages/import" "{\"raw\": \"$(eml gm4@example.org 'Archived')\"}" > /dev/null
mkdir -p mail
cat > m.json <<JSON
{"name": "google-mail", "state": "mail.sqlite",
 "left": {"connector": "local", "config": {"backend": "maildir", "create": true, "path": "mail"}},
 "right": {"connector": "google-api", "config": $google_cfg},
 "streams": [{"name": "mail", "left": "message", "right": "message"}]}
JSON
runp run m.json
[ $rc = 0 ] && [ "$(cat mail/cur/* mail/new/* 2>/dev/null | grep -c '^Message-ID')" = 2 ] \
  && [ "$(cat mail/.Work/cur/* mail/.Work/new/* 2>/dev/null | grep -c '^Message-ID')" = 0 ] \
  && grep -lq 'gm3@example.org' mail/.Sent/cur/* && grep -lq 'gm4@example.org' "mail/.All Mail/cur/"* \
  && ok gmail-labels-become-maildir-folders || bad gmail-labels-become-maildir-folders "rc=$rc" "$out" "$(find mail -type f | grep -v .accord)"
# the unread message has no S flag, the read one has
f1=$(grep -l 'gm1@example.org' mail/cur/* mail/new/* 2>/dev/null | head -1); f2=$(grep -l 'gm2@example.org' mail/cur/* mail/new/* 2>/dev/null | head -1)
case "$f1" in *:2,*S*) bad gmail-unread-reaches-maildir "$f1" ;; *) case "$f2" in *:2,*S*) ok gmail-unread-reaches-maildir ;; *) bad gmail-unread-reaches-maildir "$f2" ;; esac ;; esac
runp run m.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok gmail-second-run-nothing-to-do || bad gmail-second-run-nothing-to-do "$out"
# a message put into the Maildir's Work folder reaches Gmail with the Work label, once
mkdir -p mail/.Work/cur mail/.Work/new mail/.Work/tmp
printf 'Message-ID: <local1@example.org>\r\nDate: Tue, 3 Mar 2026 09:00:00 +0000\r\nFrom: Ada <ada@example.com>\r\nSubject: From the Maildir\r\n\r\nHello\r\n' > "mail/.Work/cur/1772528400.local1.host:2,S"
runp run m.json
[ $rc = 0 ] && [ "$(copies local1@example.org)" = 1 ] \
  && [ "$(js "Object.values(d.gmail.messages).filter(m=>m.messageId==='<local1@example.org>'&&m.labelIds.includes('$work_label')&&!m.labelIds.includes('UNREAD')).length")" = 1 ] \
  && ok maildir-folder-becomes-gmail-label || bad maildir-folder-becomes-gmail-label "rc=$rc copies=$(copies local1@example.org)" "$out"
# starred and read in Gmail: the Maildir file gets F and S
gm1=$(js "Object.values(d.gmail.messages).find(m=>m.messageId==='<gm1@example.org>').id")
api POST "$G/messages/$gm1/modify" '{"addLabelIds": ["STARRED"], "removeLabelIds": ["UNREAD"]}' > /dev/null
runp run m.json
f1=$(grep -l 'gm1@example.org' mail/cur/* mail/new/* 2>/dev/null | head -1)
[ $rc = 0 ] && case "$f1" in *:2,FS) true ;; *) false ;; esac && ok gmail-star-reaches-maildir-flags || bad gmail-star-reaches-maildir-flags "rc=$rc file=$f1" "$out"
# archived in the Maildir (moved to All Mail): INBOX taken off in Gmail
f2=$(grep -l 'gm2@example.org' mail/cur/* 2>/dev/null | head -1)
mv "$f2" "mail/.All Mail/cur/$(basename "$f2")"
runp run m.json
[ $rc = 0 ] && [ "$(js "Object.values(d.gmail.messages).find(m=>m.messageId==='<gm2@example.org>').labelIds.includes('INBOX')")" = false ] \
  && ok maildir-move-changes-gmail-labels || bad maildir-move-changes-gmail-labels "rc=$rc" "$out" "$(js "JSON.stringify(Object.values(d.gmail.messages).find(m=>m.messageId==='<gm2@example.org>').labelIds)")"
# Gmail forgot the history (a too-old startHistoryId: 404): a full listing, nothing copied twice
ctl '{"expire_sync_tokens": ["gmail"]}'
n_mail=$(live_mail)
runp run m.json
[ $rc = 0 ] && [ "$(live_mail)" = "$n_mail" ] && [ "$(find mail -path '*/cur/*' -type f | wc -l)" = "$n_mail" ] \
  && ok gmail-history-expired-full-listing-no-duplicate || bad gmail-history-expired-full-listing-no-duplicate "rc=$rc gmail=$(live_mail) was $n_mail files=$(find mail -path '*/cur/*' -type f | wc -l)" "$out"
# killed between Gmail's import and the commit (SIGKILL at apply.after_write): the resend searches
# rfc822msgid: and finds the first import
printf 'Message-ID: <local2@example.org>\r\nDate: Tue, 3 Mar 2026 10:00:00 +0000\r\nFrom: Ada <ada@example.com>\r\nSubject: Killed\r\n\r\nOnce\r\n' > "mail/cur/1772532000.local2.host:2,S"
{ (ACCORD_FAILPOINT=apply.after_write "$accord" run m.json > kill.out 2>&1); } 2>/dev/null; krc=$?
k_copies=$(copies local2@example.org)
runp run m.json
[ $krc != 0 ] && [ "$k_copies" = 1 ] && [ $rc = 0 ] && [ "$(copies local2@example.org)" = 1 ] \
  && [ "$(grep -l 'local2@example.org' -r mail --include='*' | grep -vc .accord)" = 1 ] \
  && ok gmail-import-killed-resumes-no-duplicate || bad gmail-import-killed-resumes-no-duplicate "killed rc=$krc copies=$k_copies; then rc=$rc copies=$(copies local2@example.org)" "$out" "$(cat kill.out | tail -5)"
# trashed in Gmail: the file goes
gm3=$(js "Object.values(d.gmail.messages).find(m=>m.messageId==='<gm3@example.org>').id")
api POST "$G/messages/$gm3/trash" > /dev/null
runp run m.json
[ $rc = 0 ] && ! grep -rlq 'gm3@example.org' mail/.Sent/cur && ok gmail-trash-deletes-file || bad gmail-trash-deletes-file "rc=$rc" "$out"
# deleted in the Maildir: moved to Gmail's trash
rm "$(grep -l 'local1@example.org' mail/.Work/cur/* | head -1)"
runp run m.json
[ $rc = 0 ] && [ "$(js "Object.values(d.gmail.messages).find(m=>m.messageId==='<local1@example.org>').labelIds.includes('TRASH')")" = true ] \
  && ok maildir-delete-trashes-in-gmail || bad maildir-delete-trashes-in-gmail "rc=$rc" "$out"
# two messages archived in the Maildir in one run: one batchModify takes INBOX off both, and what it answers
# is Gmail's record (no fields Gmail does not keep): the next run has nothing to do
for f in $(grep -l 'gm1@example.org\|local2@example.org' mail/cur/*); do mv "$f" "mail/.All Mail/cur/$(basename "$f")"; done
b0=$(js "s.by_route['gmail.users.messages.batchModify']||0")
runp run m.json
b1=$(js "s.by_route['gmail.users.messages.batchModify']||0")
[ $rc = 0 ] && [ $((b1 - b0)) = 1 ] && [ "$(js "Object.values(d.gmail.messages).filter(m=>['<gm1@example.org>','<local2@example.org>'].includes(m.messageId)&&!m.labelIds.includes('INBOX')).length")" = 2 ] \
  && ok maildir-archives-go-through-batchModify || bad maildir-archives-go-through-batchModify "rc=$rc batchModify=$((b1 - b0))" "$out"
runp run m.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok gmail-nothing-to-do-at-the-end || bad gmail-nothing-to-do-at-the-end "$out"

# the client-side budget of Gmail quota units (gmail_units_per_minute): a first listing that would spend more
# than 50 units within a minute stops with RETRY, having sent no request beyond it (profile 1 + labels 1 +
# list 5 + 8 gets of 5 = 47: the 9th get is not sent)
for i in $(seq 1 10); do api POST "$G/messages/import" "{\"raw\": \"$(eml "bulk$i@example.org" "Bulk $i")\", \"labelIds\": [\"INBOX\"]}" > /dev/null; done
mkdir -p mail2
rm -rf "$XDG_STATE_HOME/accord/google-api"  # the account's budget ledger: as a minute after the runs above
sed "s/mail.sqlite/mail2.sqlite/; s/\"path\": \"mail\"/\"path\": \"mail2\"/; s/{\"account\"/{\"gmail_units_per_minute\": 50, \"account\"/" m.json > m2.json
g0=$(js "s.by_route['gmail.users.messages.get']||0")
runp run m2.json
gets=$(( $(js "s.by_route['gmail.users.messages.get']||0") - g0 ))
[ $rc != 0 ] && printf '%s' "$out" | grep -q "budget of 50 Gmail quota units" && [ "$gets" = 8 ] \
  && ok gmail-budget-holds-requests-back || bad gmail-budget-holds-requests-back "rc=$rc gets=$gets" "$out"

# the budget is kept across runs (a ledger per account under $XDG_STATE_HOME): a run right after, of another
# pipeline of the same account, finds the minute's 47 units spent and sends no message request at all
mkdir -p mail4
sed "s/mail2/mail4/g" m2.json > m4.json
g0=$(js "s.by_route['gmail.users.messages.get']||0"); l0=$(js "s.by_route['gmail.users.messages.list']||0")
runp run m4.json
gets=$(( $(js "s.by_route['gmail.users.messages.get']||0") - g0 )); lists=$(( $(js "s.by_route['gmail.users.messages.list']||0") - l0 ))
[ $rc != 0 ] && printf '%s' "$out" | grep -q "budget of 50 Gmail quota units" && [ "$gets" = 0 ] && [ "$lists" = 0 ] \
  && [ -n "$(ls "$HOME"/.local/state/accord/google-api/gmail-units-* 2>/dev/null)" ] \
  && ok gmail-budget-kept-across-runs || bad gmail-budget-kept-across-runs "rc=$rc gets=$gets lists=$lists" "$out"

# a first listing goes oldest first (as GWSMO), across pages (page_size 3: the listing cuts the mailbox into
# date windows): nine messages dated 1 to 9 January imported out of order; the messages are read (format=metadata)
# by date, oldest first, each once, and all of them reach the Maildir
for d in 5 2 8 1 9 3 7 4 6; do
  raw=$(printf 'Message-ID: <jan%s@example.org>\r\nDate: Fri, %s Jan 2026 08:00:00 +0000\r\nFrom: Bob <bob@example.org>\r\nSubject: January %s\r\n\r\nBody\r\n' "$d" "$d" "$d" | base64 -w0 | tr '+/' '-_')
  api POST "$G/messages/import" "{\"raw\": \"$raw\", \"labelIds\": [\"INBOX\"]}" > /dev/null
done
mkdir -p mail3
sed "s/mail.sqlite/mail3.sqlite/; s/\"path\": \"mail\"/\"path\": \"mail3\"/; s/{\"account\"/{\"page_size\": 3, \"account\"/" m.json > m3.json
n_gets=$(js "(s.gmail_gets||[]).length")
runp run m3.json
order=$(js "(s.gmail_gets||[]).slice($n_gets).filter(g=>g.endsWith(' metadata')).map(g=>g.split(' ')[0]).join(',')")
dates_ok=$(js "(ids=>{const t=ids.split(',').map(i=>+d.gmail.messages[i].internalDate);return t.every((x,k)=>!k||t[k-1]<=x)&&new Set(ids.split(',')).size===t.length})('$order')")
[ $rc = 0 ] && [ "$dates_ok" = true ] && [ "$(find mail3 -path '*/cur/*' -type f | wc -l)" = "$(live_mail)" ] \
  && ok gmail-first-listing-oldest-first || bad gmail-first-listing-oldest-first "rc=$rc in order and once: $dates_ok files=$(find mail3 -path '*/cur/*' -type f | wc -l) gmail=$(live_mail)" \
  "$(js "'$order'.split(',').map(i=>new Date(+d.gmail.messages[i].internalDate).toISOString().slice(0,10)).join(' ')")" "$out"
runp run m3.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok gmail-oldest-first-then-nothing-to-do || bad gmail-oldest-first-then-nothing-to-do "$out"

# -- notes ⇄ a JSON folder, as plain-text files in Drive's "Outlook Notes"
live_notes() { js "Object.values(d.drive.files).filter(f=>!f.trashed&&f.mimeType==='text/plain').length"; }
note_body() { js "(f=>f?Buffer.from(f.content.data).toString():'')(Object.values(d.drive.files).find(f=>!f.trashed&&f.name==='$1'))"; }
mkdir -p notes/note
printf '{"title": "Shopping", "body": "milk\\neggs", "categories": ["home"]}\n' > notes/note/n1.json
printf '{"title": "Ideas", "body": "a sync tool"}\n' > notes/note/n2.json
cat > n.json <<JSON
{"name": "google-notes", "state": "notes.sqlite",
 "left": {"connector": "local", "config": {"backend": "json", "path": "notes"}},
 "right": {"connector": "google-api", "config": $google_cfg},
 "streams": [{"name": "notes", "left": "note", "right": "note"}]}
JSON
runp run n.json
folder=$(js "(Object.values(d.drive.files).find(f=>f.name==='Outlook Notes'&&f.mimeType==='application/vnd.google-apps.folder')||{}).id")
[ $rc = 0 ] && [ -n "$folder" ] && [ "$(live_notes)" = 2 ] && [ "$(note_body Shopping)" = "$(printf 'milk\neggs')" ] \
  && [ "$(js "Object.values(d.drive.files).filter(f=>!f.trashed&&f.parents.includes('$folder')&&/^accord-/.test(f.appProperties.accord_key||'')).length")" = 2 ] \
  && ok notes-become-drive-text-files || bad notes-become-drive-text-files "rc=$rc folder=$folder notes=$(live_notes)" "$out"
runp run n.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok notes-second-run-nothing-to-do || bad notes-second-run-nothing-to-do "$out"
# edited in Drive (a new version of the content): the JSON file follows
nid=$(js "Object.values(d.drive.files).find(f=>f.name==='Ideas').id")
curl -s -o /dev/null -XPATCH -H "Authorization: Bearer $token" -H 'Content-Type: text/plain' --data-binary 'a sync tool, two ways' "$base/upload/drive/v3/files/$nid?uploadType=media"
runp run n.json
[ $rc = 0 ] && grep -q 'a sync tool, two ways' notes/note/n2.json && ok drive-edit-reaches-json-note || bad drive-edit-reaches-json-note "rc=$rc" "$out" "$(cat notes/note/n2.json)"
# a note created in Drive's folder comes to the JSON folder
printf -- '--b1\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{"name": "From Drive", "mimeType": "text/plain", "parents": ["%s"]}\r\n--b1\r\nContent-Type: text/plain\r\n\r\nwritten in Drive\r\n--b1--\r\n' "$folder" > up.mp
curl -s -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: multipart/related; boundary=b1' --data-binary @up.mp "$base/upload/drive/v3/files?uploadType=multipart"
runp run n.json
[ $rc = 0 ] && grep -lq 'written in Drive' notes/note/*.json && ok drive-note-reaches-json-folder || bad drive-note-reaches-json-folder "rc=$rc" "$out" "$(ls notes/note)"
# killed between Drive's create and the commit: the resend finds the note by its key in appProperties
printf '{"title": "Killed note", "body": "once"}\n' > notes/note/n3.json
{ (ACCORD_FAILPOINT=apply.after_write "$accord" run n.json > kill.out 2>&1); } 2>/dev/null; krc=$?
k_notes=$(js "Object.values(d.drive.files).filter(f=>!f.trashed&&f.name==='Killed note').length")
runp run n.json
[ $krc != 0 ] && [ "$k_notes" = 1 ] && [ $rc = 0 ] && [ "$(js "Object.values(d.drive.files).filter(f=>!f.trashed&&f.name==='Killed note').length")" = 1 ] \
  && [ "$(grep -l 'Killed note' notes/note/*.json | wc -l)" = 1 ] \
  && ok note-create-killed-resumes-no-duplicate || bad note-create-killed-resumes-no-duplicate "killed rc=$krc notes=$k_notes then rc=$rc" "$out"
# deleted in the JSON folder: trashed in Drive; trashed in Drive: the file goes
rm notes/note/n1.json
runp run n.json
[ $rc = 0 ] && [ "$(js "Object.values(d.drive.files).find(f=>f.name==='Shopping').trashed")" = true ] \
  && ok json-delete-trashes-drive-note || bad json-delete-trashes-drive-note "rc=$rc" "$out"
api PATCH "/drive/v3/files/$nid" '{"trashed": true}' > /dev/null
runp run n.json
[ $rc = 0 ] && [ ! -e notes/note/n2.json ] && ok drive-trash-deletes-json-note || bad drive-trash-deletes-json-note "rc=$rc" "$out" "$(ls notes/note)"

# -- People's batch endpoints for updates and deletes (≤ 200 and ≤ 500 a request): three titles edited and three
# cards deleted in one run go as one batchUpdateContacts and one batchDeleteContacts, none one by one
mkdir -p book2
for i in $(seq 1 6); do
  printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:bb%s\r\nFN:Bo Batch%s\r\nN:Batch%s;Bo;;;\r\nEMAIL;TYPE=work:bb%s@example.org\r\nTITLE:Clerk\r\nEND:VCARD\r\n' "$i" "$i" "$i" "$i" > "book2/b$i.vcf"
done
sed 's/"state": "state.sqlite"/"state": "state2.sqlite"/; s/"path": "book"/"path": "book2"/; s/"max_delete_share": 0.5/"max_delete_share": 1/' p.json > pb.json
runp run pb.json
for i in 1 2 3; do sed -i 's/^TITLE:Clerk/TITLE:Head clerk/' "book2/b$i.vcf"; done
rm book2/b4.vcf book2/b5.vcf book2/b6.vcf
u0=$(route people.batchUpdateContacts); x0=$(route people.batchDeleteContacts)
u1=$(route people.updateContact); x1=$(route people.deleteContact)
runp run pb.json
[ $rc = 0 ] && [ $(( $(route people.batchUpdateContacts) - u0 )) = 1 ] && [ $(( $(route people.batchDeleteContacts) - x0 )) = 1 ] \
  && [ "$(route people.updateContact)" = "$u1" ] && [ "$(route people.deleteContact)" = "$x1" ] \
  && [ "$(js "Object.values(d.people.persons).filter(p=>!p.deleted&&(p.data.organizations||[]).some(o=>o.title==='Head clerk')).length")" = 3 ] \
  && [ "$(js "Object.values(d.people.persons).filter(p=>!p.deleted&&(p.data.emailAddresses||[]).some(e=>/^bb[456]@/.test(e.value))).length")" = 0 ] \
  && ok updates-and-deletes-go-through-people-batches || bad updates-and-deletes-go-through-people-batches \
     "rc=$rc batchUpdate=$(( $(route people.batchUpdateContacts) - u0 )) batchDelete=$(( $(route people.batchDeleteContacts) - x0 )) single update $u1 -> $(route people.updateContact) delete $x1 -> $(route people.deleteContact)" \
     "$(js "JSON.stringify(Object.values(d.people.persons).filter(p=>(p.data.emailAddresses||[]).some(e=>/^bb/.test(e.value))).map(p=>[p.deleted,p.data.emailAddresses[0].value,p.data.organizations]))")" "$out"

# -- a Workspace service account with domain-wide delegation (the JWT-bearer grant, RS256): acting for
# another user of the domain, bob, whose notes it writes; a user the delegation does not cover is refused
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sa.pem 2>/dev/null
openssl pkey -in sa.pem -pubout -out sa.pub 2>/dev/null
sa_email=sync@accord-test.iam.gserviceaccount.com
node -e 'const fs=require("fs");console.log(JSON.stringify({client_email:process.argv[1],public_key_pem:fs.readFileSync("sa.pub","utf8")}))' "$sa_email" > sa.reg
curl -s -XPOST -H 'Content-Type: application/json' --data-binary @sa.reg "$base/__service_account" > /dev/null
curl -s -XPOST -H 'Content-Type: application/json' -d '{"email": "bob@example.com"}' "$base/__account" > /dev/null
node -e 'const fs=require("fs");const s=JSON.parse(fs.readFileSync("secrets.json"));s.google_sa=JSON.stringify({type:"service_account",project_id:"accord-test",private_key_id:"k1",private_key:fs.readFileSync("sa.pem","utf8"),client_email:process.argv[1],client_id:"1234",token_uri:"https://oauth2.googleapis.com/token"});fs.writeFileSync("secrets.json",JSON.stringify(s))' "$sa_email"
sa_cfg() { printf '{"account": "%s", %s, "service_account": {"key": {"$secret": "google_sa"}, "token_url": "%s/token"}}' "$1" "$urls" "$base"; }
mkdir -p bobnotes/note
printf '{"title": "Bob says", "body": "written for bob"}\n' > bobnotes/note/b1.json
cat > sa.json <<JSON
{"name": "google-sa", "state": "sa.sqlite",
 "left": {"connector": "local", "config": {"backend": "json", "path": "bobnotes"}},
 "right": {"connector": "google-api", "config": $(sa_cfg bob@example.com)},
 "streams": [{"name": "notes", "left": "note", "right": "note"}]}
JSON
t0=$(js "s.tokens_issued")
runp run sa.json
bob_notes=$(curl -s "$base/__dump?user=bob@example.com" | node -e 'const d=JSON.parse(require("fs").readFileSync(0));console.log(Object.values(d.drive.files).filter(f=>!f.trashed&&f.name==="Bob says").length)')
[ $rc = 0 ] && [ "$bob_notes" = 1 ] && [ "$(js "Object.values(d.drive.files).filter(f=>f.name==='Bob says').length")" = 0 ] && [ "$(js "s.tokens_issued")" -gt "$t0" ] \
  && ok service-account-acts-for-the-user || bad service-account-acts-for-the-user "rc=$rc bob's notes=$bob_notes" "$out"
sed "s/bob@example.com/eve@example.com/; s/sa.sqlite/sa-eve.sqlite/" sa.json > sa-eve.json
runp run sa-eve.json
[ $rc != 0 ] && printf '%s' "$out" | grep -q "Domain-wide delegation" && ok service-account-refused-for-unknown-user-says-why \
  || bad service-account-refused-for-unknown-user-says-why "rc=$rc" "$out"
if grep -aq "BEGIN PRIVATE KEY\|$(sed -n 2p sa.pem | cut -c1-40)" all.out peer.err *.sqlite 2>/dev/null; then bad service-account-key-never-leaks; else ok service-account-key-never-leaks; fi

# nothing secret in any output or state
if cat all.out peer.err *.sqlite 2>/dev/null | grep -aqE "$secret|$refresh|$rotated"; then bad secrets-never-leak "a secret was printed or stored"; else ok secrets-never-leak; fi
exit $fail
