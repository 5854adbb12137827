#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# outlook-mapi's graph backend against tests/peers/msgraph_fake.js, what
# session 8 added (issue 26): creates (contacts, events, tasks) and task
# updates through $batch, with a lost batch answer, a 429 and a 412 inside a
# batch; the default scope with Mail.ReadWrite and MailboxSettings.ReadWrite
# (and a refresh token signed in for the old default still renewing); a
# message version of before session 7 compared equal; alerts relative to the
# end; an exception's own attendees.
#
# Usage: outlook_graph_writes_test.sh ACCORD PEERS_DIR
set -u
. "$(dirname "${BASH_SOURCE[0]}")/graph_fake.sh"  # ok, bad, runp; graph_work, graph_start, graph_secrets, graph_config; post, api, js, jget, nothing
accord=$(realpath "$1") peers=$(realpath "$2")
graph_work outlook-writes

graph_start
graph_secrets "$(printf ', "bea_refresh": "rt-bea-%s", "cy_refresh": "rt-cy-%s"' "$RANDOM" "$RANDOM")"
graph_config 5
batches() { js "s.by_route['\$batch']||0"; }
G=https://graph.microsoft.com

# -- the default scope: a refresh token signed in for it (accord login microsoft's default) renews with it and
# reaches the master category list (MailboxSettings.ReadWrite); before, the default lacked it: 403, uncoloured
secret() { node -e 'console.log(JSON.parse(require("fs").readFileSync("secrets.json"))[process.argv[1]])' "$1"; }
post /__account "{\"email\": \"bea@contoso.com\", \"refresh_token\": \"$(secret bea_refresh)\", \"scope\": \"offline_access $G/Contacts.ReadWrite $G/Calendars.ReadWrite $G/Tasks.ReadWrite $G/Mail.ReadWrite $G/MailboxSettings.ReadWrite\"}" > /dev/null
post /__account "{\"email\": \"cy@contoso.com\", \"refresh_token\": \"$(secret cy_refresh)\", \"scope\": \"offline_access $G/Contacts.ReadWrite $G/Calendars.ReadWrite $G/Tasks.ReadWrite\"}" > /dev/null
signin() { printf '"account": "%s@contoso.com", "graph_url": "%s/v1.0", "login_url": "%s", "oauth2": {"client_id": "cid", "refresh_token_secret": "%s_refresh"}' "$1" "$base" "$base" "$1"; }
mkdir -p bb cb
printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:bea-1\r\nFN:Dee Board\r\nN:Board;Dee;;;\r\nEMAIL:dee@example.org\r\nCATEGORIES:Board\r\nEND:VCARD\r\n' > bb/dee.vcf
printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:cy-1\r\nFN:Eve Narrow\r\nN:Narrow;Eve;;;\r\nEMAIL:eve@example.org\r\nEND:VCARD\r\n' > cb/eve.vcf
for who in bea cy; do
  cat > $who.json <<JSON
{"name": "outlook-$who", "state": "$who.sqlite",
 "left": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "${who:0:1}b"}},
 "right": {"connector": "outlook-mapi", "config": {$(signin $who)}},
 "streams": [{"name": "contacts", "left": "contact", "right": "contact"}]}
JSON
done
runp run bea.json
[ $rc = 0 ] && [ "$(js "JSON.stringify([Object.values(d.contacts).filter(c=>!c.deleted&&c.data.surname==='Board').length,Object.values(d.categories||{}).some(c=>c.displayName==='Board'&&/^preset/.test(c.color))])" bea@contoso.com)" = "[1,true]" ] \
  && ! printf '%s' "$out" | grep -q "MailboxSettings" \
  && ok default-scope-reaches-master-category-list || bad default-scope-reaches-master-category-list "rc=$rc" "$out" "$(js "JSON.stringify(d.categories)" bea@contoso.com)"
# a refresh token signed in for contact, event and task only (the old default): Microsoft refuses the wider
# scope (AADSTS65001); the connector renews for the narrow one and says how to grant the rest
runp run cy.json
[ $rc = 0 ] && [ "$(js "Object.values(d.contacts).filter(c=>!c.deleted&&c.data.surname==='Narrow').length" cy@contoso.com)" = 1 ] \
  && printf '%s' "$out" | grep -q "sign in again with accord login microsoft" \
  && ok narrow-refresh-token-renews-and-says-so || bad narrow-refresh-token-renews-and-says-so "rc=$rc" "$out"

# -- contact creates through $batch: four new vCards, one $batch; each carries its key
mkdir -p book
for i in 1 2 3 4; do
  printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:nc%s\r\nFN:Nia Create%s\r\nN:Create%s;Nia;;;\r\nEMAIL:nc%s@example.org\r\nEND:VCARD\r\n' $i $i $i $i > book/nc$i.vcf
done
cat > p.json <<JSON
{"name": "outlook-contacts", "state": "pstate.sqlite",
 "left": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "book"}},
 "right": {"connector": "outlook-mapi", "config": {$graph}},
 "streams": [{"name": "contacts", "left": "contact", "right": "contact"}]}
JSON
live() { js "Object.values(d.contacts).filter(c=>!c.deleted&&/^Create/.test(c.data.surname||'')).length"; }
keyed() { js "Object.values(d.contacts).filter(c=>!c.deleted&&/^Create/.test(c.data.surname||'')&&Object.keys(c.svep||{}).some(k=>/accordidempotencykey/i.test(k))).length"; }
b0=$(batches) r0=$(js "s.by_route['contact.create']||0")
runp run p.json
[ $rc = 0 ] && [ "$(live)" = 4 ] && [ "$(keyed)" = 4 ] && [ "$(js "(s.by_route['\$batch']||0)-$b0")" = 1 ] \
  && ok contact-creates-batched || bad contact-creates-batched "rc=$rc live=$(live) keyed=$(keyed) batches=$(js "(s.by_route['\$batch']||0)-$b0")" "$out" "$(js "JSON.stringify(s.by_route)")"
runp run p.json
nothing contact-creates-batched-nothing-to-do
# the batch's answer lost after Outlook made the contacts: each is found by its key, none made twice
for i in 5 6 7; do
  printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:nc%s\r\nFN:Nia Create%s\r\nN:Create%s;Nia;;;\r\nEMAIL:nc%s@example.org\r\nEND:VCARD\r\n' $i $i $i $i > book/nc$i.vcf
done
post /__fault '{"drop_answer_after_commit": 1, "method": "POST", "path": "/v1.0/$batch"}' > /dev/null
runp run p.json
first="$out" n_first=$(live)
runp run p.json
[ "$n_first" = 7 ] && [ $rc = 0 ] && [ "$(live)" = 7 ] && [ "$(ls book/*.vcf | wc -l)" = 7 ] \
  && ok contact-create-batch-answer-lost-no-duplicate || bad contact-create-batch-answer-lost-no-duplicate "first=$n_first now=$(live) rc=$rc" "$first" "$out"
runp run p.json
nothing contact-create-batch-lost-nothing-to-do
# one entry of a batch of creates throttled (429 with its own Retry-After): the others made, it the next run, once
for i in 8 9 10; do
  printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:nc%s\r\nFN:Nia Create%s\r\nN:Create%s;Nia;;;\r\nEMAIL:nc%s@example.org\r\nEND:VCARD\r\n' $i $i $i $i > book/nc$i.vcf
done
post /__control '{"rate_limit": {"count": 1, "status": 429, "retry_after": 1, "method": "POST", "path": "/v1.0/me/contactFolders/"}}' > /dev/null
runp run p.json
first="$out" n_first=$(live)
sleep 1
runp run p.json
[ "$n_first" = 9 ] && printf '%s' "$first" | grep -qi "rate limit" && [ $rc = 0 ] && [ "$(live)" = 10 ] \
  && ok contact-create-throttled-entry-retried-once || bad contact-create-throttled-entry-retried-once "first=$n_first now=$(live) rc=$rc" "$first" "$out"

# -- event creates through $batch (single events and a series without overrides), transactionId on each;
# an alert relative to the end becomes the reminder before the start; one after the start is said to be lost
mkdir -p cal
for n in 1 2; do
  printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:new-%s@example.org\r\nDTSTART:2026041%sT080000Z\r\nDTEND:2026041%sT090000Z\r\nSUMMARY:New %s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' $n $n $n $n > cal/new$n.ics
done
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:weekly-1@example.org\r\nDTSTART;TZID=Europe/Berlin:20260406T100000\r\nDTEND;TZID=Europe/Berlin:20260406T110000\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\nSUMMARY:New weekly\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER;RELATED=END:-PT75M\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' > cal/weekly.ics
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:late-1@example.org\r\nDTSTART:20260420T080000Z\r\nDTEND:20260420T090000Z\r\nSUMMARY:Late alarm\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER;RELATED=END:PT10M\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' > cal/late.ics
cat > c.json <<JSON
{"name": "outlook-calendar", "state": "cstate.sqlite",
 "left": {"connector": "local", "config": {"backend": "icalendar", "create": true, "path": "cal"}},
 "right": {"connector": "outlook-mapi", "config": {$graph, "calendar_window": {"start": "2025-06-01", "future_days": 730}}},
 "streams": [{"name": "calendar", "left": "event", "right": "event"}]}
JSON
b0=$(batches)
runp run c.json
ev() { js "JSON.stringify(Object.values(d.events).find(e=>!e.deleted&&e.data.subject===$1)||null)"; }
[ $rc = 0 ] && [ "$(js "(s.by_route['\$batch']||0)-$b0")" = 1 ] \
  && [ "$(js "Object.values(d.events).filter(e=>!e.deleted&&/^New|^Late/.test(e.data.subject)&&/^accord-/.test(e.data.transactionId||'')).length")" = 4 ] \
  && ok event-creates-batched-with-transaction-id || bad event-creates-batched-with-transaction-id "rc=$rc batches=$(js "(s.by_route['\$batch']||0)-$b0")" "$out" "$(js "JSON.stringify(Object.values(d.events).map(e=>[e.data.subject,e.data.transactionId]))")"
[ "$(ev "'New weekly'" | jget "v.data.isReminderOn+':'+v.data.reminderMinutesBeforeStart")" = "true:15" ] \
  && ok end-relative-alert-becomes-reminder-before-start || bad end-relative-alert-becomes-reminder-before-start "$(ev "'New weekly'" | head -c 1500)"
[ "$(ev "'Late alarm'" | jget "String(v.data.isReminderOn)")" = false ] && printf '%s' "$out" | grep -q "falls after the start: Outlook keeps one reminder" \
  && ok after-start-alert-said-lost || bad after-start-alert-said-lost "$out" "$(ev "'Late alarm'" | head -c 800)"
runp run c.json
nothing event-creates-batched-nothing-to-do
# a create alone (no batch of one): what Outlook cannot keep is said once
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:late-2@example.org\r\nDTSTART:20260421T080000Z\r\nDTEND:20260421T090000Z\r\nSUMMARY:Late alarm 2\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:PT5M\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' > cal/late2.ics
runp run c.json
[ $rc = 0 ] && [ "$(printf '%s\n' "$out" | grep -c "falls after the start")" = 1 ] \
  && ok lone-create-loss-said-once || bad lone-create-loss-said-once "rc=$rc" "$out"

# -- an exception's own attendees and reminder (Outlook → file): a weekly series with Bob; one occurrence
# also invites Cy and reminds 30 minutes before
api POST /me/events '{"subject": "Review series", "start": {"dateTime": "2026-05-04T09:00:00", "timeZone": "UTC"}, "end": {"dateTime": "2026-05-04T10:00:00", "timeZone": "UTC"}, "recurrence": {"pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]}, "range": {"type": "numbered", "startDate": "2026-05-04", "numberOfOccurrences": 4}}, "attendees": [{"type": "required", "emailAddress": {"address": "bob@example.org", "name": "Bob"}}]}' > series.out
sid=$(jget "v.id" < series.out)
occ=$(api GET "/me/events/$sid/instances?startDateTime=2026-05-10T00:00:00Z&endDateTime=2026-05-12T00:00:00Z" | jget "v.value[0].id")
api PATCH "/me/events/$occ" '{"attendees": [{"type": "required", "emailAddress": {"address": "bob@example.org", "name": "Bob"}}, {"type": "optional", "emailAddress": {"address": "cy@example.org", "name": "Cy"}}], "reminderMinutesBeforeStart": 30}' > occ.out
runp run c.json
f=$(grep -l "SUMMARY:Review series" cal/*.ics 2>/dev/null | head -1)
# the VEVENTs of the file, unfolded: the override's (RECURRENCE-ID) or the master's
vevents() { tr -d '\r' < "$f" | sed -e ':a' -e 'N' -e '$!ba' -e 's/\n //g' | awk -v want="$1" '/^BEGIN:VEVENT/{v="";inv=1} inv{v=v $0 "\n"} /^END:VEVENT/{if ((v ~ /RECURRENCE-ID/) == (want == "override")) printf "%s", v; inv=0}'; }
ov=$( [ -n "$f" ] && vevents override)
[ $rc = 0 ] && printf '%s' "$ov" | grep -qi "cy@example.org" && printf '%s' "$ov" | grep -q "TRIGGER.*-PT30M" \
  && ! vevents master | grep -qi "cy@example.org" && vevents master | grep -q "TRIGGER:-PT15M" \
  && ok exception-attendees-and-reminder-reach-ics || bad exception-attendees-and-reminder-reach-ics "rc=$rc file=$f" "$out" "$(cat "$f" 2>/dev/null | head -60)" "$(head -c 600 occ.out)"
runp run c.json
nothing exception-attendees-nothing-to-do

# the other way (event_attendees "write"): a file's series whose override invites Fay and reminds 20 minutes
# before reaches that occurrence in Outlook, the series' other occurrences keep the series' attendees
mkdir -p cw
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:plan-1@example.org\r\nDTSTART:20260601T090000Z\r\nDTEND:20260601T100000Z\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\nSUMMARY:Plan series\r\nORGANIZER:mailto:ada@contoso.com\r\nATTENDEE;ROLE=REQ-PARTICIPANT:mailto:bob@example.org\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:plan-1@example.org\r\nRECURRENCE-ID:20260608T090000Z\r\nDTSTART:20260608T090000Z\r\nDTEND:20260608T100000Z\r\nSUMMARY:Plan series\r\nORGANIZER:mailto:ada@contoso.com\r\nATTENDEE;ROLE=REQ-PARTICIPANT:mailto:bob@example.org\r\nATTENDEE;ROLE=OPT-PARTICIPANT:mailto:fay@example.org\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT20M\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' > cw/plan.ics
sed -e 's/cstate.sqlite/cwstate.sqlite/; s/"path": "cal"/"path": "cw"/' -e 's/"calendar_window"/"event_attendees": "write", "calendar_window"/' c.json > cw.json
runp run cw.json
psid=$(js "(Object.values(d.events).find(e=>!e.deleted&&e.data.subject==='Plan series')||{}).id")
pm=$(js "const e=Object.values(d.events).find(e=>!e.deleted&&e.data.subject==='Plan series');'AAkALg'+Buffer.from(e.key).toString('base64').replace(/\\+/g,'-').replace(/\\//g,'_')")
api GET "/me/events/$pm/instances?startDateTime=2026-05-31T00:00:00Z&endDateTime=2026-06-20T00:00:00Z" > inst.out
[ $rc = 0 ] && [ "$(jget "v.value.map(o=>o.start.dateTime.slice(0,10)+':'+o.attendees.map(a=>a.emailAddress.address).join('+')+':'+o.reminderMinutesBeforeStart).join(',')" < inst.out)" = \
  "2026-06-01:bob@example.org:15,2026-06-08:bob@example.org+fay@example.org:20,2026-06-15:bob@example.org:15" ] \
  && ok exception-attendees-and-reminder-reach-outlook || bad exception-attendees-and-reminder-reach-outlook "rc=$rc id=$psid" "$out" "$(head -c 2500 inst.out)"
runp run cw.json
nothing exception-attendees-written-nothing-to-do

# -- task creates and updates through $batch; a 412 inside the batch is that task's CONFLICT, the other written
mkdir -p todo
for n in 1 2 3; do
  printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTODO\r\nUID:job-%s@example.org\r\nSUMMARY:Job %s\r\nEND:VTODO\r\nEND:VCALENDAR\r\n' $n $n > todo/t$n.ics
done
cat > t.json <<JSON
{"name": "outlook-tasks", "state": "tstate.sqlite",
 "left": {"connector": "local", "config": {"backend": "icalendar", "create": true, "path": "todo"}},
 "right": {"connector": "outlook-mapi", "config": {$graph}},
 "streams": [{"name": "tasks", "left": "task", "right": "task"}]}
JSON
jobs_like() { js "Object.values(d.tasks).filter(t=>!t.deleted&&$1.test(t.data.title)).length"; }
b0=$(batches)
runp run t.json
[ $rc = 0 ] && [ "$(js "(s.by_route['\$batch']||0)-$b0")" = 1 ] && [ "$(jobs_like "/^Job [123]\$/")" = 3 ] \
  && [ "$(js "Object.values(d.tasks).filter(t=>!t.deleted&&/^Job/.test(t.data.title)&&[...Object.values(t.links||{})].some(l=>l.applicationName==='Accord'&&l.externalId)).length")" = 3 ] \
  && ok task-creates-batched-with-key || bad task-creates-batched-with-key "rc=$rc batches=$(js "(s.by_route['\$batch']||0)-$b0")" "$out" "$(js "JSON.stringify(Object.values(d.tasks).map(t=>[t.data.title,t.links]))" | head -c 1500)"
runp run t.json
nothing task-creates-batched-nothing-to-do
sed -i 's/^SUMMARY:Job \([12]\)/SUMMARY:Job \1 done/' todo/t1.ics todo/t2.ics
# (two $batch requests: the PATCHes, then the tasks' checklists read together; nothing sent on its own)
b0=$(batches) p0=$(js "(s.plain['todoTask.update']||0)+(s.plain['checklistItem.list']||0)")
runp run t.json
[ $rc = 0 ] && [ "$(js "(s.by_route['\$batch']||0)-$b0")" = 2 ] && [ "$(jobs_like "/^Job [12] done\$/")" = 2 ] \
  && [ "$(js "(s.plain['todoTask.update']||0)+(s.plain['checklistItem.list']||0)-$p0")" = 0 ] \
  && ok task-updates-batched || bad task-updates-batched "rc=$rc batches=$(js "(s.by_route['\$batch']||0)-$b0") plain=$(js "JSON.stringify(s.plain)")" "$out"
runp run t.json
nothing task-updates-batched-nothing-to-do
sed -i 's/^SUMMARY:Job \([12]\) done/SUMMARY:Job \1 redone/' todo/t1.ics todo/t2.ics
post /__control '{"rate_limit": {"count": 1, "status": 412, "code": "ErrorIrresolvableConflict", "message": "The change key passed in the request does not match the current change key for the item.", "method": "PATCH", "path": "/v1.0/me/todo/lists/"}}' > /dev/null
runp run t.json
first="$out" n_first=$(jobs_like "/^Job [12] redone\$/")
runp run t.json
[ "$n_first" = 1 ] && printf '%s' "$first" | grep -qi "conflict" && [ $rc = 0 ] && [ "$(jobs_like "/^Job [12] redone\$/")" = 2 ] \
  && ok task-update-412-in-batch-is-that-tasks-conflict || bad task-update-412-in-batch-is-that-tasks-conflict "first=$n_first now=$(jobs_like "/^Job [12] redone\$/") rc=$rc" "$first" "$out"

# -- a message version of before session 7 (the etag alone) compares equal where nothing changed: a message
# Outlook lists again unchanged (delta_replay) leaves the state's row as it was
mkdir -p md/cur md/new md/tmp
for i in 1 2; do
  printf 'Message-ID: <old-%s@example.org>\r\nDate: Mon, 02 Mar 2026 09:00:00 +0000\r\nFrom: Ada <ada@example.org>\r\nTo: bob@example.org\r\nSubject: Old form %s\r\nContent-Type: text/plain\r\n\r\nHi.\r\n' $i $i > "md/cur/400$i.o$i:2,S"
done
cat > ml.json <<JSON
{"name": "outlook-mail", "state": "mailstate.sqlite",
 "left": {"connector": "local", "config": {"backend": "maildir", "create": true, "path": "md"}},
 "right": {"connector": "outlook-mapi", "config": {$graph}},
 "streams": [{"name": "mail", "left": "message", "right": "message", "match": [{"left": "/messageId"}]}]}
JSON
runp run ml.json
m1=$(js "(Object.values(d.messages).find(m=>m.data.subject==='Old form 1')||{}).id")
api PATCH "/me/messages/$(js "const m=Object.values(d.messages).find(m=>m.data.subject==='Old form 1');'AAkALg'+Buffer.from(m.key).toString('base64').replace(/\\+/g,'-').replace(/\\//g,'_')")" '{"flag": {"flagStatus": "flagged"}}' > flag.out
runp run ml.json
# the state as a run before session 7 left it: every message's version its etag alone
sqlite3 mailstate.sqlite "update mirror_rows set version=substr(version,1,instr(version,';')-1) where side='right' and instr(version,';')>0"
before=$(sqlite3 mailstate.sqlite "select id||'='||version from mirror where side='right' order by id")
post /__control '{"delta_replay": true}' > /dev/null
runp run ml.json
post /__control '{"delta_replay": false}' > /dev/null
after=$(sqlite3 mailstate.sqlite "select id||'='||version from mirror where side='right' order by id")
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && [ -n "$before" ] && [ "$before" = "$after" ] && ! printf '%s' "$after" | grep -q ';' \
  && ok old-message-version-form-compares-equal || bad old-message-version-form-compares-equal "rc=$rc m1=$m1" "$out" "before: $before" "after: $after" "$(head -c 300 flag.out)"

exit ${fail:-0}
