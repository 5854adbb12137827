#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# outlook-mapi's graph backend end to end against tests/peers/msgraph_fake.js
# (a strict fake of Microsoft Graph v1.0 and the identity platform, started
# here on loopback): the conformance kit on each graph stream; vCards ⇄
# Outlook contacts (first sync, nothing to do the second time, an edit each
# way, immutable ids asked on every request, a rotated refresh token written
# back, an expired delta token (410 syncStateNotFound) recovered with no
# duplicate, a 429 storm survived, a create killed after Outlook made it
# resumed without a duplicate, a refresh token expired for inactivity
# (AADSTS700082) said as "sign in again").
#
# Usage: outlook_graph_test.sh ACCORD CONFORMANCE PLUGIN PEERS_DIR
set -u
. "$(dirname "${BASH_SOURCE[0]}")/graph_fake.sh"  # ok, bad, runp; graph_work, graph_start; api, js
accord=$(realpath "$1") conformance=$(realpath "$2") plugin=$(realpath "$3") peers=$(realpath "$4")
graph_work outlook

refresh="refresh-canary-$RANDOM$RANDOM"
graph_start MSGRAPH_REFRESH_TOKEN="$refresh"
ctl() { curl -s -XPOST -H 'Content-Type: application/json' -d "$1" "$base/__control" > /dev/null; }
# the immutable id the fake gives an item of its dump (its key, base64url, behind a prefix)
idof() { js "const c=$1; 'AAkALg'+Buffer.from(c.key).toString('base64').replace(/\\+/g,'-').replace(/\\//g,'_')"; }
live_contacts() { js "Object.values(d.contacts).filter(c=>!c.deleted).length"; }
urls="\"graph_url\": \"$base/v1.0\", \"login_url\": \"$base\", \"tenant\": \"contoso.onmicrosoft.com\""

# -- the conformance kit on each graph stream (pages of 2 records, the refresh token given inline)
printf '{"account": "ada@contoso.com", "oauth2": {"client_id": "cid", "refresh_token": "%s"}, %s, "page_size": 2}\n' \
  "$refresh" "$urls" > kit.json
# the task sample carries what To Do keeps beyond the kit's own sample: a checklist, importance, categories
cat > task.json <<'JSON'
{"create": {"@type": "Task", "title": "Kit task", "description": "Steps", "due": "2026-03-05T17:00:00", "timeZone": "Europe/Paris",
            "progress": "needs-action", "priority": 1, "keywords": {"Kit": true},
            "microsoft.com:checklistItems": [{"title": "one", "checked": false}, {"title": "two", "checked": true}]},
 "update": {"@type": "Task", "title": "Kit task, done", "due": "2026-03-06T17:00:00", "timeZone": "Europe/Paris",
            "progress": "completed", "microsoft.com:checklistItems": [{"title": "two", "checked": true}, {"title": "three", "checked": false}]}}
JSON
# the message sample has no /raw: Outlook writes its own MIME for an imported message (its header fields and
# body travel; the bytes do not), and no /size for the same reason; times in UTC, as Graph keeps them
cat > message.json <<'JSON'
{"create": {"messageId": ["kit-graph@accord.test"], "subject": "Kit m\u00e9ssage", "from": [{"name": "Ada Lovelace", "email": "ada@example.org"}],
            "to": [{"email": "bob@example.org"}], "sentAt": "2026-03-01T09:00:00Z", "receivedAt": "2026-03-01T09:00:05Z",
            "mailboxIds": {"INBOX": true}, "keywords": {"$seen": true}, "categories": ["Kit"]},
 "update": {"mailboxIds": {"Kit folder": true}, "keywords": {"$seen": true, "$flagged": true}, "categories": ["Kit", "Blue"]}}
JSON
for st in contact event task message; do
  sample=""
  [ $st = task ] && sample="--sample task.json"
  [ $st = message ] && sample="--sample message.json"
  out=$("$conformance" "$plugin" --config kit.json --stream $st $sample --verbose 2>&1); rc=$?; printf '%s\n' "$out" | tee kit-$st.out >> all.out
  [ $rc = 0 ] && printf '%s' "$out" | grep -Eq "1[0-9] passed, 0 failed" && ok conformance-kit-passes-$st \
    || bad conformance-kit-passes-$st "$(grep -v '^     ' kit-$st.out | grep -v '^[<>]' | tail -20)"
  # find_only declared: the kit's check ran (not skipped) and passed on each stream a key is looked up on
  grep -q '^ok   find-only$' kit-$st.out && ok find-only-passes-$st || bad find-only-passes-$st "$(grep 'find-only' kit-$st.out)"
done

# -- vCards ⇄ Outlook contacts, the refresh token in the secrets file (rotated by Microsoft, written back)
printf '{"ms_refresh": "%s"}\n' "$refresh" > secrets.json
chmod 600 secrets.json
export ACCORD_SECRETS="$work/secrets.json"
mkdir -p book
for i in $(seq 1 12); do
  printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:o%s\r\nFN:Kim Number%s\r\nN:Number%s;Kim;;;\r\nEMAIL:o%s@example.org\r\nTEL;TYPE=work:+4420700%04d\r\nTITLE:Analyst\r\nORG:Engines\r\nEND:VCARD\r\n' \
    "$i" "$i" "$i" "$i" "$i" > "book/o$i.vcf"
done
graph_cfg="{\"account\": \"ada@contoso.com\", $urls, \"page_size\": 5,
  \"oauth2\": {\"client_id\": \"cid\", \"refresh_token_secret\": \"ms_refresh\"}}"
cat > p.json <<JSON
{"name": "outlook-contacts", "state": "state.sqlite",
 "left": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "book"}},
 "right": {"connector": "outlook-mapi", "config": $graph_cfg},
 "streams": [{"name": "contacts", "left": "contact", "right": "contact",
              "match": [{"left": "/emails/*/address", "normalise": "email"}],
              "guards": {"max_delete_share": 0.5}}]}
JSON
runp run p.json
n=$(live_contacts)
[ $rc = 0 ] && [ "$n" = 12 ] && ok first-sync-creates-contacts || bad first-sync-creates-contacts "rc=$rc contacts=$n" "$out"
[ "$(js "Object.values(d.contacts).filter(c=>!c.deleted&&c.data.jobTitle==='Analyst'&&c.data.companyName==='Engines'&&(c.data.businessPhones||[]).length===1).length")" = 12 ] \
  && ok contacts-carry-title-company-phone || bad contacts-carry-title-company-phone "$(js "JSON.stringify(Object.values(d.contacts)[0]).slice(0,800)")"
[ "$(js "Object.values(d.contacts).filter(c=>!c.deleted&&JSON.stringify(c.svep||{}).includes('AccordIdempotencyKey')).length")" = 12 ] \
  && ok creates-carry-key-in-extended-property || bad creates-carry-key-in-extended-property "$(js "JSON.stringify(Object.values(d.contacts)[0]).slice(0,800)")"
rotated=$(node -e 'console.log(JSON.parse(require("fs").readFileSync("secrets.json")).ms_refresh)')
[ -n "$rotated" ] && [ "$rotated" != "$refresh" ] && ok rotated-refresh-token-written-back || bad rotated-refresh-token-written-back "$rotated"
runp run p.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok second-run-nothing-to-do || bad second-run-nothing-to-do "$out"

# an edit each way: a title in a vCard, a phone number in Outlook
sed -i 's/^TITLE:Analyst/TITLE:Chief Analyst/' book/o7.vcf
cid=$(idof "Object.values(d.contacts).find(c=>!c.deleted&&(c.data.emailAddresses||[]).some(e=>e.address==='o9@example.org'))")
api PATCH "/me/contacts/$cid" '{"mobilePhone": "+44 1223 000999"}' > edit.out
runp run p.json
[ $rc = 0 ] && grep -q "+44 1223 000999" book/o9.vcf && ok outlook-edit-reaches-vcard || bad outlook-edit-reaches-vcard "rc=$rc $(head -c 300 edit.out)" "$out" "$(cat book/o9.vcf)"
[ "$(js "Object.values(d.contacts).filter(c=>!c.deleted&&c.data.jobTitle==='Chief Analyst').length")" = 1 ] \
  && ok vcard-edit-reaches-outlook || bad vcard-edit-reaches-outlook "$out"
runp run p.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok nothing-to-do-after-edits || bad nothing-to-do-after-edits "$out"

# categories ⇄ vCard CATEGORIES
sed -i 's/^TITLE:Analyst/CATEGORIES:Chess club\r\nTITLE:Analyst/' book/o11.vcf
runp run p.json
[ $rc = 0 ] && [ "$(js "Object.values(d.contacts).filter(c=>!c.deleted&&(c.data.categories||[]).includes('Chess club')).length")" = 1 ] \
  && ok vcard-category-reaches-outlook || bad vcard-category-reaches-outlook "rc=$rc" "$out"

# immutable ids asked for (Prefer: IdType="ImmutableId"): every record id the kit saw is one (the fake
# gives regular ids, which change on a move, another prefix)
ids=$(grep -o '"id":"[^"]*"' kit-contact.out | sort -u | cut -d'"' -f4)
[ -n "$ids" ] && ! printf '%s\n' "$ids" | grep -qv '^AAkALg' && ok immutable-ids-asked-for \
  || bad immutable-ids-asked-for "$(printf '%s\n' "$ids" | grep -v '^AAkALg' | head -5)"

# an expired delta token (410 syncStateNotFound): a full listing, no duplicate
ctl '{"expire_delta_tokens": true}'
sed -i 's/^TITLE:Analyst/TITLE:Engineer/' book/o3.vcf
runp run p.json
[ $rc = 0 ] && [ "$(live_contacts)" = 12 ] && [ "$(ls book/*.vcf | wc -l)" = 12 ] && \
  [ "$(js "Object.values(d.contacts).filter(c=>!c.deleted&&c.data.jobTitle==='Engineer').length")" = 1 ] \
  && ok expired-delta-token-recovered-no-duplicate || bad expired-delta-token-recovered-no-duplicate "rc=$rc contacts=$(live_contacts) files=$(ls book | wc -l)" "$out"

# a 429 storm: runs end with RETRY and a later run finishes, nothing lost or doubled
sed -i 's/^TITLE:Analyst/TITLE:Storm/' book/o4.vcf
ctl '{"rate_limit": {"count": 3, "status": 429, "retry_after": 1}}'
limited=0
for _ in 1 2 3 4 5 6; do
  runp run p.json
  printf '%s' "$out" | grep -qi "rate limit" && limited=1
  [ $rc = 0 ] && ! printf '%s' "$out" | grep -qi "rate limit" && break
  sleep 1
done
[ $rc = 0 ] && [ $limited = 1 ] && [ "$(live_contacts)" = 12 ] && \
  [ "$(js "Object.values(d.contacts).filter(c=>!c.deleted&&c.data.jobTitle==='Storm').length")" = 1 ] \
  && ok rate-limit-storm-survived || bad rate-limit-storm-survived "rc=$rc limited=$limited contacts=$(live_contacts)" "$out"

# a delete in Outlook reaches the folder
api DELETE "/me/contacts/$cid" > /dev/null
runp run p.json
[ $rc = 0 ] && [ ! -e book/o9.vcf ] && [ "$(ls book/*.vcf | wc -l)" = 11 ] && ok outlook-delete-reaches-vcard || bad outlook-delete-reaches-vcard "rc=$rc" "$out"

# killed between the writes and their commit (SIGKILL at apply.after_write): the next run resends
# the creates, finds them by the key in their extended property ($filter), makes no duplicate
for i in $(seq 31 34); do
  printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:o%s\r\nFN:Kim Number%s\r\nEMAIL:o%s@example.org\r\nEND:VCARD\r\n' "$i" "$i" "$i" > "book/o$i.vcf"
done
cp p.json p-match.json
node -e 'const f=require("fs"),p=JSON.parse(f.readFileSync("p.json"));delete p.streams[0].match;f.writeFileSync("p.json",JSON.stringify(p))'
n0=$(live_contacts)
{ (ACCORD_FAILPOINT=apply.after_write "$accord" run p.json > kill.out 2>&1); } 2>/dev/null; krc=$?
n_killed=$(live_contacts)
runp run p.json
n=$(live_contacts)
cp p-match.json p.json
[ $krc != 0 ] && [ "$n_killed" = $((n0 + 4)) ] && [ $rc = 0 ] && [ "$n" = $((n0 + 4)) ] && [ "$(ls book/*.vcf | wc -l)" = $((n0 + 4)) ] \
  && ok killed-after-write-resumes-no-duplicate || bad killed-after-write-resumes-no-duplicate "killed rc=$krc contacts=$n_killed; then rc=$rc contacts=$n" "$out" "$(cat kill.out | tail -5)"
runp run p.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok nothing-to-do-after-resume || bad nothing-to-do-after-resume "$out"


# -- an iCalendar folder with a weekly series, a moved and a cancelled occurrence ⇄ the primary calendar
mkdir -p cal
cat > cal/standup.ics <<'ICS'
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:standup-1@example.org
DTSTART;TZID=Europe/Berlin:20260105T090000
DTEND;TZID=Europe/Berlin:20260105T091500
SUMMARY:Standup
CATEGORIES:Team
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
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:holiday-1@example.org\r\nDTSTART;VALUE=DATE:20260501\r\nDTEND;VALUE=DATE:20260502\r\nSUMMARY:Holiday\r\nCLASS:PRIVATE\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' > cal/all-day.ics
cal_cfg="{\"account\": \"ada@contoso.com\", $urls, \"page_size\": 5, \"calendar_window\": {\"start\": \"2025-06-01\", \"future_days\": 730},
  \"oauth2\": {\"client_id\": \"cid\", \"refresh_token_secret\": \"ms_refresh\"}}"
cat > c.json <<JSON
{"name": "outlook-calendar", "state": "cstate.sqlite",
 "left": {"connector": "local", "config": {"backend": "icalendar", "create": true, "path": "cal"}},
 "right": {"connector": "outlook-mapi", "config": $cal_cfg},
 "streams": [{"name": "calendar", "left": "event", "right": "event"}]}
JSON
runp run c.json
master=$(js "JSON.stringify(Object.values(d.events).find(e=>!e.deleted&&e.data.subject==='Standup')||{})")
[ $rc = 0 ] && printf '%s' "$master" | grep -q '"type":"weekly"' && printf '%s' "$master" | grep -q '"numberOfOccurrences":10' \
  && [ "$(js "const m=Object.values(d.events).find(e=>!e.deleted&&e.data.subject==='Standup');[...(m.cancelled||[])].length+':'+Object.keys(m.exceptions||{}).length")" = "1:1" ] \
  && ok series-with-exceptions-reaches-outlook || bad series-with-exceptions-reaches-outlook "rc=$rc" "$out" "master: $(printf '%s' "$master" | head -c 1500)"
[ "$(js "Object.values(d.events).filter(e=>!e.deleted&&e.data.subject==='Holiday'&&e.data.isAllDay&&e.data.sensitivity==='private').length")" = 1 ] \
  && ok all-day-private-event-reaches-outlook || bad all-day-private-event-reaches-outlook "$(js "JSON.stringify(Object.values(d.events).map(e=>e.data))" | head -c 1500)"
runp run c.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok calendar-second-run-nothing-to-do || bad calendar-second-run-nothing-to-do "$out"
# in Outlook: one more occurrence cancelled, and the title of another changed
mid=$(idof "Object.values(d.events).find(e=>!e.deleted&&e.data.subject==='Standup')")
occ=$(api GET "/me/events/$mid/instances?startDateTime=2026-01-25T00:00:00Z&endDateTime=2026-02-03T00:00:00Z" | node -e '
  const v=JSON.parse(require("fs").readFileSync(0)).value||[];console.log(v.map(x=>x.id+" "+x.originalStart).join("\n"))')
o26=$(printf '%s\n' "$occ" | grep ' 2026-01-26' | cut -d' ' -f1) o02=$(printf '%s\n' "$occ" | grep ' 2026-02-02' | cut -d' ' -f1)
api DELETE "/me/events/$o26" > del.out
api PATCH "/me/events/$o02" '{"subject": "Retro instead"}' > put.out
runp run c.json
f=cal/$(grep -l "standup-1@example.org" cal/*.ics | head -1 | xargs basename)
[ $rc = 0 ] && grep -q "20260126T090000" "$f" && grep -q "SUMMARY:Retro instead" "$f" && grep -q "RECURRENCE-ID;TZID=Europe/Berlin:20260202T090000" "$f" \
  && grep -q "SUMMARY:Standup (moved)" "$f" && ok outlook-exceptions-reach-ics || bad outlook-exceptions-reach-ics "rc=$rc occ=$occ $(head -c 300 del.out) $(head -c 300 put.out)" "$out" "$(grep -v '^ \|TZOFFSET\|TZNAME\|^DTSTART:1\|^RRULE:FREQ=YEARLY\|^RDATE' "$f")"
runp run c.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok calendar-nothing-to-do-after-edits || bad calendar-nothing-to-do-after-edits "$out"
# a title changed in the file reaches Outlook; an event deleted in Outlook leaves the folder
sed -i 's/^SUMMARY:Holiday/SUMMARY:Bank holiday/' cal/all-day.ics
runp run c.json
[ $rc = 0 ] && [ "$(js "Object.values(d.events).filter(e=>!e.deleted&&e.data.subject==='Bank holiday').length")" = 1 ] \
  && ok ics-edit-reaches-outlook || bad ics-edit-reaches-outlook "rc=$rc" "$out"
# an event create killed after Outlook made it: resent, found by its key, no duplicate
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:review-1@example.org\r\nDTSTART:20260310T140000Z\r\nDTEND:20260310T150000Z\r\nSUMMARY:Review\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' > cal/review.ics
{ (ACCORD_FAILPOINT=apply.after_write "$accord" run c.json > kill.out 2>&1); } 2>/dev/null; krc=$?
runp run c.json
nrev=$(js "Object.values(d.events).filter(e=>!e.deleted&&e.data.subject==='Review').length")
[ $krc != 0 ] && [ $rc = 0 ] && [ "$nrev" = 1 ] && [ "$(ls cal/*.ics | wc -l)" = 3 ] \
  && ok event-create-killed-resumes-no-duplicate || bad event-create-killed-resumes-no-duplicate "killed rc=$krc rc=$rc events=$nrev files=$(ls cal | wc -l)" "$out"
rid=$(idof "Object.values(d.events).find(e=>!e.deleted&&e.data.subject==='Review')")
api DELETE "/me/events/$rid" > /dev/null
runp run c.json
[ $rc = 0 ] && [ "$(ls cal/*.ics | wc -l)" = 2 ] && ok outlook-event-delete-reaches-ics || bad outlook-event-delete-reaches-ics "rc=$rc" "$out"
# an expired delta token (410): a full listing of every event, no duplicate
ctl '{"expire_delta_tokens": true}'
sed -i 's/^SUMMARY:Bank holiday/SUMMARY:Bank holiday (observed)/' cal/all-day.ics
runp run c.json
[ $rc = 0 ] && [ "$(js "Object.values(d.events).filter(e=>!e.deleted).length")" = 2 ] && [ "$(ls cal/*.ics | wc -l)" = 2 ] \
  && [ "$(js "Object.values(d.events).filter(e=>!e.deleted&&e.data.subject==='Bank holiday (observed)').length")" = 1 ] \
  && ok calendar-expired-token-recovered-no-duplicate || bad calendar-expired-token-recovered-no-duplicate "rc=$rc" "$out"

# the window moves with time: a later end wanted (here: future_days raised, as the days passing do) and the
# next run follows calendarView/delta over the new window (the cursor's window says so); an event made in
# Outlook in the new part reaches the files, nothing is doubled, and the run after has nothing to do
win_end() { sqlite3 cstate.sqlite "select cursor from cursors" | grep -o '"win":\["[^"]*","[^"]*"' | cut -d'"' -f6; }
end0=$(win_end)
sed -i 's/"future_days": 730/"future_days": 1200/' c.json
far=$(date -u -d "+1000 days" +%Y-%m-%d)
api POST /me/events "{\"subject\": \"Far ahead\", \"start\": {\"dateTime\": \"${far}T09:00:00\", \"timeZone\": \"UTC\"}, \"end\": {\"dateTime\": \"${far}T10:00:00\", \"timeZone\": \"UTC\"}}" > /dev/null
runp run c.json
end1=$(win_end)
[ $rc = 0 ] && [ "$end1" = "$(date -u -d "+1200 days" +%Y-%m-%d)T00:00:00" ] && [ "$end0" != "$end1" ] && grep -lq "SUMMARY:Far ahead" cal/*.ics \
  && [ "$(ls cal/*.ics | wc -l)" = 3 ] && ok calendar-window-moves-with-time || bad calendar-window-moves-with-time "rc=$rc end $end0 -> $end1" "$out"
runp run c.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok calendar-nothing-to-do-after-window-move || bad calendar-nothing-to-do-after-window-move "$out"
# an event moved in Outlook past the window's end: calendarView/delta answers @removed for an event changed
# outside the window (event-delta.md, the fake's outOfWindow); it is read again, not taken as deleted: its file
# stays and follows with the new date, and the run after has nothing to do
fid=$(idof "Object.values(d.events).find(e=>!e.deleted&&e.data.subject==='Far ahead')")
beyond=$(date -u -d "+1500 days" +%Y-%m-%d)
api PATCH "/me/events/$fid" "{\"start\": {\"dateTime\": \"${beyond}T09:00:00\", \"timeZone\": \"UTC\"}, \"end\": {\"dateTime\": \"${beyond}T10:00:00\", \"timeZone\": \"UTC\"}}" > /dev/null
runp run c.json
ff=$(grep -l "SUMMARY:Far ahead" cal/*.ics 2>/dev/null)
[ $rc = 0 ] && [ "$(ls cal/*.ics | wc -l)" = 3 ] && [ -n "$ff" ] && grep -q "^DTSTART.*${beyond//-/}" $ff \
  && ok event-moved-out-of-window-not-deleted || bad event-moved-out-of-window-not-deleted "rc=$rc files=$(ls cal | wc -l)" "$out" "$(cat $ff 2>/dev/null | grep DTSTART)"
runp run c.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok calendar-nothing-to-do-after-out-of-window || bad calendar-nothing-to-do-after-out-of-window "$out"

# -- an iCalendar VTODO folder ⇄ the default To Do list: due dates, completion, both ways
mkdir -p todo
for i in 1 2 3; do
  printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTODO\r\nUID:todo-%s@example.org\r\nSUMMARY:Chore %s\r\nDESCRIPTION:step %s\r\nDUE;TZID=Europe/Berlin:2026040%sT170000\r\nSTATUS:NEEDS-ACTION\r\nEND:VTODO\r\nEND:VCALENDAR\r\n' "$i" "$i" "$i" "$i" > "todo/t$i.ics"
done
cat > t.json <<JSON
{"name": "outlook-tasks", "state": "tstate.sqlite",
 "left": {"connector": "local", "config": {"backend": "icalendar", "create": true, "path": "todo"}},
 "right": {"connector": "outlook-mapi", "config": $graph_cfg},
 "streams": [{"name": "tasks", "left": "task", "right": "task"}]}
JSON
live_tasks() { js "Object.values(d.tasks).filter(t=>!t.deleted&&/^Chore/.test(t.data.title||'')).length"; }
runp run t.json
[ $rc = 0 ] && [ "$(live_tasks)" = 3 ] && [ "$(js "Object.values(d.tasks).filter(t=>!t.deleted&&t.data.title==='Chore 2'&&/^2026-04-02T17:00/.test(t.data.dueDateTime.dateTime)&&t.data.body.content==='step 2').length")" = 1 ] \
  && ok vtodos-reach-todo || bad vtodos-reach-todo "rc=$rc tasks=$(live_tasks)" "$out" "$(js "JSON.stringify(Object.values(d.tasks).map(t=>t.data))" | head -c 1200)"
runp run t.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok tasks-second-run-nothing-to-do || bad tasks-second-run-nothing-to-do "$out"
tl=$(js "Object.values(d.lists).find(l=>l.wellknownListName==='defaultList'||l.wellKnown==='defaultList').id")
tid=$(idof "Object.values(d.tasks).find(t=>!t.deleted&&t.data.title==='Chore 1')")
api PATCH "/me/todo/lists/$tl/tasks/$tid" '{"status": "completed"}' > patch.out
sed -i 's/^SUMMARY:Chore 3/SUMMARY:Chore 3 (urgent)/' todo/t3.ics
runp run t.json
[ $rc = 0 ] && grep -q "^STATUS:COMPLETED" todo/t1.ics && [ "$(js "Object.values(d.tasks).filter(t=>!t.deleted&&t.data.title==='Chore 3 (urgent)').length")" = 1 ] \
  && ok task-edits-travel-both-ways || bad task-edits-travel-both-ways "rc=$rc $(head -c 300 patch.out)" "$out" "$(cat todo/t1.ics)"
runp run t.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok tasks-nothing-to-do-after-edits || bad tasks-nothing-to-do-after-edits "$out"
# a create killed after To Do made it: found again by its linkedResource's externalId, no duplicate
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTODO\r\nUID:todo-4@example.org\r\nSUMMARY:Chore 4\r\nEND:VTODO\r\nEND:VCALENDAR\r\n' > todo/t4.ics
{ (ACCORD_FAILPOINT=apply.after_write "$accord" run t.json > kill.out 2>&1); } 2>/dev/null; krc=$?
runp run t.json
[ $krc != 0 ] && [ $rc = 0 ] && [ "$(live_tasks)" = 4 ] && [ "$(ls todo/*.ics | wc -l)" = 4 ] \
  && [ "$(js "Object.values(d.tasks).filter(t=>!t.deleted&&JSON.stringify(t.links||{}).includes('Accord')).length")" = 4 ] \
  && ok task-create-killed-resumes-no-duplicate || bad task-create-killed-resumes-no-duplicate "killed rc=$krc rc=$rc tasks=$(live_tasks) files=$(ls todo | wc -l)" "$out"
# deleted in To Do: the file goes
api DELETE "/me/todo/lists/$tl/tasks/$tid" > /dev/null
runp run t.json
[ $rc = 0 ] && [ ! -e todo/t1.ics ] && [ "$(ls todo/*.ics | wc -l)" = 3 ] && ok todo-delete-reaches-file || bad todo-delete-reaches-file "rc=$rc" "$out"

# two contact folders: Contacts and "Friends" (named by its display name) read as one stream; a new contact
# goes to the first; a delete in either folder reaches the files
fr=$(api POST /me/contactFolders '{"displayName": "Friends"}' | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).id||"")')
api POST "/me/contactFolders/$fr/contacts" '{"givenName": "Fay", "surname": "Friend", "displayName": "Fay Friend", "emailAddresses": [{"address": "fay@example.org"}]}' > fay.out
mkdir -p book2
multi_cfg="{\"account\": \"ada@contoso.com\", $urls, \"page_size\": 5, \"contact_folders\": [\"contacts\", \"Friends\"],
  \"oauth2\": {\"client_id\": \"cid\", \"refresh_token_secret\": \"ms_refresh\"}}"
cat > m.json <<JSON
{"name": "outlook-two-folders", "state": "mstate.sqlite",
 "left": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "book2"}},
 "right": {"connector": "outlook-mapi", "config": $multi_cfg},
 "streams": [{"name": "contacts", "left": "contact", "right": "contact"}]}
JSON
runp run m.json
nall=$(live_contacts)
[ $rc = 0 ] && [ -n "$fr" ] && [ "$(ls book2/*.vcf | wc -l)" = "$nall" ] && grep -lq "fay@example.org" book2/*.vcf \
  && ok two-contact-folders-read-as-one-stream || bad two-contact-folders-read-as-one-stream "rc=$rc folder=$fr files=$(ls book2 | wc -l) contacts=$nall $(head -c 300 fay.out)" "$out"
printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:m1\r\nFN:Max Multi\r\nEMAIL:max@example.org\r\nEND:VCARD\r\n' > book2/m1.vcf
runp run m.json
[ $rc = 0 ] && [ "$(js "Object.values(d.contacts).filter(c=>!c.deleted&&(c.data.emailAddresses||[]).some(e=>e.address==='max@example.org')&&c.parent===Object.values(d.contactFolders).find(f=>f.wellKnown==='contacts').id).length")" = 1 ] \
  && ok new-contact-goes-to-the-first-folder || bad new-contact-goes-to-the-first-folder "rc=$rc" "$out"
fay=$(idof "Object.values(d.contacts).find(c=>!c.deleted&&c.data.displayName==='Fay Friend')")
api DELETE "/me/contacts/$fay" > /dev/null
runp run m.json
[ $rc = 0 ] && ! grep -lq "fay@example.org" book2/*.vcf && ok delete-in-second-folder-reaches-files || bad delete-in-second-folder-reaches-files "rc=$rc" "$out"

# -- a Maildir ⇄ Outlook's mail folders: messages imported as received mail (not drafts: PR_MESSAGE_FLAGS at
# create), a > 3 MB attachment through an upload session, flags, read state and categories each way, a move
# between folders, a delete, mail delivered to Outlook reaching the Maildir, a create killed after Outlook made
# it resumed without a duplicate (the key in an extended property, found by $filter)
mkdir -p md/cur md/new md/tmp md/.Work/cur md/.Work/new md/.Work/tmp
for i in 1 2 3; do
  printf 'Message-ID: <m%s@example.org>\r\nDate: Sun, 01 Mar 2026 10:0%s:00 +0100\r\nFrom: Ada <ada@example.org>\r\nTo: bob@example.org\r\nSubject: Hello %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBody %s\r\n' \
    "$i" "$i" "$i" "$i" > "md/cur/100$i.m$i:2,S"
done
python3 - <<'PY'
import base64, random
big = bytes(random.Random(7).getrandbits(8) for _ in range(3 * 1024 * 1024 + 5000))
b64 = base64.encodebytes(big).decode().replace('\n', '\r\n')
m = ('Message-ID: <big@example.org>\r\nDate: Mon, 02 Mar 2026 10:00:00 +0000\r\nFrom: Ada <ada@example.org>\r\nTo: bob@example.org\r\n'
     'Subject: Big one\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n'
     '<p>See attached</p>\r\n--b1\r\nContent-Type: application/octet-stream; name="data.bin"\r\nContent-Disposition: attachment; filename="data.bin"\r\n'
     'Content-Transfer-Encoding: base64\r\n\r\n' + b64 + '--b1\r\nContent-Type: text/plain; name="small.txt"\r\nContent-Disposition: attachment; '
     'filename="small.txt"\r\n\r\nsmall file\r\n--b1--\r\n')
open('md/.Work/cur/2001.big:2,', 'w').write(m)
PY
mail_cfg="{\"account\": \"ada@contoso.com\", $urls, \"page_size\": 5, \"oauth2\": {\"client_id\": \"cid\", \"refresh_token_secret\": \"ms_refresh\"}}"
cat > ml.json <<JSON
{"name": "outlook-mail", "state": "mailstate.sqlite",
 "left": {"connector": "local", "config": {"backend": "maildir", "create": true, "path": "md"}},
 "right": {"connector": "outlook-mapi", "config": $mail_cfg},
 "streams": [{"name": "mail", "left": "message", "right": "message", "match": [{"left": "/messageId"}],
              "guards": {"max_delete_share": 0.9}}]}
JSON
msg() { js "JSON.stringify(Object.values(d.messages).find(m=>m.data.subject==='$1')||null)"; }
folder_id() { js "(Object.values(d.folders).find(f=>f.displayName==='$1')||{}).id"; }
runp run ml.json
inbox=$(folder_id Inbox) workf=$(folder_id Work)
[ $rc = 0 ] && [ "$(js "Object.values(d.messages).filter(m=>/^Hello [123]$/.test(m.data.subject)&&m.parent==='$inbox'&&m.data.isDraft===false&&m.data.isRead===true).length")" = 3 ] \
  && ok maildir-messages-imported-not-drafts || bad maildir-messages-imported-not-drafts "rc=$rc" "$out" "$(msg 'Hello 1' | head -c 600)"
[ "$(js "const m=Object.values(d.messages).find(m=>m.data.subject==='Big one');m&&m.parent==='$workf'&&m.data.isDraft===false&&m.data.isRead===false&&
  Object.values(m.attachments).map(a=>a.name+':'+Buffer.from(a.bytes,'base64').length).sort().join(',')")" = "data.bin:3150728,small.txt:10" ] \
  && [ "$(js "s.by_route['attachment.createUploadSession']>=1")" = true ] \
  && ok large-attachment-through-upload-session || bad large-attachment-through-upload-session "$(msg 'Big one' | head -c 600)" "$(js "JSON.stringify(s.by_route)")"
runp run ml.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok mail-second-run-nothing-to-do || bad mail-second-run-nothing-to-do "$out"
# in Outlook: Hello 1 flagged, unread and categorised; Hello 2 moved to Work; Hello 3 deleted
h1=$(idof "Object.values(d.messages).find(m=>m.data.subject==='Hello 1')")
h2=$(idof "Object.values(d.messages).find(m=>m.data.subject==='Hello 2')")
h3=$(idof "Object.values(d.messages).find(m=>m.data.subject==='Hello 3')")
api PATCH "/me/messages/$h1" '{"isRead": false, "flag": {"flagStatus": "flagged"}, "categories": ["Blue category"]}' > /dev/null
api POST "/me/messages/$h2/move" "{\"destinationId\": \"$workf\"}" > /dev/null
api DELETE "/me/messages/$h3" > /dev/null
runp run ml.json
f1=$(ls md/cur | grep m1 || true)
[ $rc = 0 ] && [ -n "$f1" ] && case "$f1" in *:2,F) true ;; *) false ;; esac && ok outlook-flag-and-unread-reach-maildir || bad outlook-flag-and-unread-reach-maildir "rc=$rc $f1" "$out"
[ $rc = 0 ] && ls md/.Work/cur | grep -q m2 && ! ls md/cur | grep -q m2 && ok outlook-move-reaches-maildir || bad outlook-move-reaches-maildir "$(ls -R md | head -20)" "$out"
[ $rc = 0 ] && ! ls -R md | grep -q m3 && ok outlook-delete-reaches-maildir || bad outlook-delete-reaches-maildir "$(ls -R md | head -20)"
# in the Maildir: Hello 1 read again and unflagged; Hello 2 back to the INBOX
mv "md/cur/$f1" "md/cur/${f1%:2,*}:2,S"
f2=$(ls md/.Work/cur | grep m2)
mv "md/.Work/cur/$f2" "md/cur/$f2"
runp run ml.json
[ $rc = 0 ] && [ "$(js "const m=Object.values(d.messages).find(m=>m.data.subject==='Hello 1');m.data.isRead===true&&m.data.flag.flagStatus==='notFlagged'&&(m.data.categories||[]).join()==='Blue category'")" = true ] \
  && ok maildir-flags-reach-outlook-categories-kept || bad maildir-flags-reach-outlook-categories-kept "rc=$rc $(msg 'Hello 1' | head -c 800)" "$out"
[ "$(js "Object.values(d.messages).find(m=>m.data.subject==='Hello 2').parent==='$inbox'")" = true ] \
  && ok maildir-move-reaches-outlook || bad maildir-move-reaches-outlook "$(msg 'Hello 2' | head -c 400)" "$out"
# delivered to Outlook's Inbox: reaches the Maildir with its body
printf 'Message-ID: <delivered@example.net>\r\nDate: Tue, 03 Mar 2026 08:00:00 +0000\r\nFrom: Carl <carl@example.net>\r\nTo: ada@contoso.com\r\nSubject: Delivered\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nDelivered body line\r\n' > delivered.eml
curl -s -XPOST -H 'Content-Type: application/json' -d "{\"folder\": \"inbox\", \"mime\": \"$(base64 -w0 delivered.eml)\"}" "$base/__deliver" > /dev/null
runp run ml.json
[ $rc = 0 ] && grep -lq "Delivered body line" md/new/* md/cur/* 2>/dev/null && ok delivered-mail-reaches-maildir || bad delivered-mail-reaches-maildir "rc=$rc $(ls -R md | head)" "$out"
# flags set on three messages in the Maildir: one $batch of PATCHes; the first entry throttled inside the batch
# (429 with its own Retry-After): that message is retried by the next run, the other two are done
for f in md/cur/1001.m1:2,S md/cur/1002.m2:2,S; do mv "$f" "${f%:2,S}:2,FS"; done
mv md/.Work/cur/2001.big:2, md/.Work/cur/2001.big:2,F
b0=$(js "s.by_route['\$batch']||0")
ctl '{"rate_limit": {"count": 1, "status": 429, "retry_after": 1, "path": "/v1.0/me/messages/"}}'
runp run ml.json
first="$out" flagged_first=$(js "Object.values(d.messages).filter(m=>/^(Hello [12]|Big one)$/.test(m.data.subject)&&m.data.flag.flagStatus==='flagged').length")
sleep 1
runp run ml.json
[ "$(js "(s.by_route['\$batch']||0)-$b0")" -ge 1 ] && [ "$flagged_first" = 2 ] && printf '%s' "$first" | grep -qi "rate limit" && [ $rc = 0 ] && \
  [ "$(js "Object.values(d.messages).filter(m=>/^(Hello [12]|Big one)$/.test(m.data.subject)&&m.data.flag.flagStatus==='flagged').length")" = 3 ] \
  && ok batch-updates-with-a-throttled-entry || bad batch-updates-with-a-throttled-entry "batches=$(js "s.by_route['\$batch']") first=$flagged_first rc=$rc" "$first" "$out"
# killed after Outlook made the messages, before the run committed: no duplicate on resume
for i in 5 6 7; do
  printf 'Message-ID: <k%s@example.org>\r\nDate: Wed, 04 Mar 2026 10:00:00 +0000\r\nFrom: Ada <ada@example.org>\r\nSubject: Killed %s\r\n\r\nBody\r\n' "$i" "$i" > "md/cur/300$i.k$i:2,S"
done
cp ml.json ml-match.json
node -e 'const f=require("fs"),p=JSON.parse(f.readFileSync("ml.json"));delete p.streams[0].match;f.writeFileSync("ml.json",JSON.stringify(p))'
{ (ACCORD_FAILPOINT=apply.after_write "$accord" run ml.json > mkill.out 2>&1); } 2>/dev/null; krc=$?
n_killed=$(js "Object.values(d.messages).filter(m=>/^Killed/.test(m.data.subject)).length")
runp run ml.json
n=$(js "Object.values(d.messages).filter(m=>/^Killed/.test(m.data.subject)).length")
cp ml-match.json ml.json
[ $krc != 0 ] && [ "$n_killed" -ge 1 ] && [ $rc = 0 ] && [ "$n" = 3 ] && [ "$(ls md/cur | grep -c '\.k[567]:')" = 3 ] \
  && ok mail-create-killed-resumes-no-duplicate || bad mail-create-killed-resumes-no-duplicate "killed rc=$krc messages=$n_killed; then rc=$rc messages=$n" "$out" "$(tail -5 mkill.out)"
runp run ml.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok mail-nothing-to-do-after-resume || bad mail-nothing-to-do-after-resume "$out"

# a refresh token expired for inactivity (AADSTS700082): AUTH_REQUIRED, saying to sign in again
ctl '{"expire_refresh_tokens": true, "expire_tokens": true}'
sed -i 's/^TITLE:Analyst/TITLE:Late/' book/o5.vcf
runp run p.json
[ $rc != 0 ] && printf '%s' "$out" | grep -q "AADSTS700082" && printf '%s' "$out" | grep -qi "sign in" \
  && ok expired-refresh-token-asks-to-sign-in || bad expired-refresh-token-asks-to-sign-in "rc=$rc" "$out"

# nothing secret in any output or state
if cat all.out peer.err *.sqlite 2>/dev/null | grep -aqE "$refresh|$rotated|$token"; then bad secrets-never-leak "a secret was printed or stored"; else ok secrets-never-leak; fi
exit $fail
