#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The examples/outlook-google recipe end to end against the two fakes
# (tests/peers/msgraph_fake.js and google_fake.js on loopback): the
# pipeline as shipped, its accounts and URLs pointed at the fakes. Outlook's
# contacts, a weekly series with a cancelled occurrence, a task and a note
# (a plain-text file in Drive's "Outlook Notes") reach Google; Google's edits
# come back; a note edited in Outlook reaches Drive; a second run has nothing to do; a
# disconnect mid-run (answers of writes Google did, lost) is resumed by the
# next runs with each record once on each side.
#
# Usage: outlook_google_test.sh ACCORD PEERS_DIR RECIPE_DIR
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../../../tests/report.sh"  # ok, bad, runp
accord=$(realpath "$1") peers=$(realpath "$2") recipe=$(realpath "$3")
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-outlook-google.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN=

ms_refresh="ms-rt-$RANDOM$RANDOM" ms_token="ms-at-$RANDOM$RANDOM"
g_secret="g-cs-$RANDOM$RANDOM" g_refresh="g-rt-$RANDOM$RANDOM" g_token="g-at-$RANDOM$RANDOM"
MSGRAPH_CLIENT_ID=00000000-0000-0000-0000-000000000000 MSGRAPH_USER=ada@contoso.com MSGRAPH_REFRESH_TOKEN=$ms_refresh \
  MSGRAPH_TOKEN=$ms_token node "$peers/msgraph_fake.js" > ms.out 2> ms.err &
pids+=($!)
GOOGLE_CLIENT_ID=1234-abc.apps.googleusercontent.com GOOGLE_CLIENT_SECRET=$g_secret GOOGLE_REFRESH_TOKEN=$g_refresh \
  GOOGLE_TOKEN=$g_token GOOGLE_USER=ada@example.com node "$peers/google_fake.js" > g.out 2> g.err &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^port ' ms.out 2>/dev/null && grep -q '^port ' g.out 2>/dev/null && break; sleep 0.1; done
ms="http://127.0.0.1:$(awk '/^port /{print $2}' ms.out)" g="http://127.0.0.1:$(awk '/^port /{print $2}' g.out)"
msapi() { curl -s -X"$1" -H "Authorization: Bearer $ms_token" -H 'Prefer: IdType="ImmutableId"' -H 'Content-Type: application/json' ${3:+-d "$3"} "$ms/v1.0$2"; }
gapi() { curl -s -X"$1" -H "Authorization: Bearer $g_token" -H 'Content-Type: application/json' ${3:+-d "$3"} "$g$2"; }
# js EXPR over m (the mailbox's dump) and d (the Google account's dump)
js() {
  node -e 'const m=JSON.parse(process.argv[1]),d=JSON.parse(process.argv[2]);console.log(eval(process.argv[3]))' \
    "$(curl -s "$ms/__dump")" "$(curl -s "$g/__dump")" "$1"
}

# the recipe as shipped, pointed at the fakes
printf '{"outlook_refresh_token": "%s", "google_refresh_token": "%s", "google_client_secret": "%s"}\n' "$ms_refresh" "$g_refresh" "$g_secret" > secrets.json
chmod 600 secrets.json
export ACCORD_SECRETS="$work/secrets.json"
node -e '
const f=require("fs"),p=JSON.parse(f.readFileSync(process.argv[1]));const [ms,g]=process.argv.slice(2);
Object.assign(p.left.config,{graph_url:ms+"/v1.0",login_url:ms,page_size:5});
Object.assign(p.right.config,{people_url:g,calendar_url:g+"/calendar/v3",tasks_url:g,drive_url:g+"/drive/v3"});p.right.config.oauth2.token_url=g+"/token";
p.left.config.calendar_window={start:"2025-06-01",future_days:730};
f.writeFileSync("outlook-google.pipeline.json",JSON.stringify(p,null,1))' "$recipe/outlook-google.pipeline.json" "$ms" "$g"

# Outlook's own data: two contacts, a weekly series with a cancelled occurrence, a task
msapi POST /me/contacts '{"givenName":"Kim","surname":"Lee","displayName":"Kim Lee","emailAddresses":[{"address":"kim@example.org"}],"jobTitle":"Analyst","companyName":"Engines"}' > /dev/null
msapi POST /me/contacts '{"givenName":"Ola","surname":"Berg","displayName":"Ola Berg","emailAddresses":[{"address":"ola@example.org"}],"mobilePhone":"+47 900 00 000"}' > /dev/null
sid=$(msapi POST /me/events '{"subject":"Standup","start":{"dateTime":"2026-01-05T09:00:00","timeZone":"Europe/Berlin"},"end":{"dateTime":"2026-01-05T09:15:00","timeZone":"Europe/Berlin"},
  "recurrence":{"pattern":{"type":"weekly","interval":1,"daysOfWeek":["monday"]},"range":{"type":"numbered","startDate":"2026-01-05","numberOfOccurrences":6}}}' \
  | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).id||"")')
occ=$(msapi GET "/me/events/$sid/instances?startDateTime=2026-01-12T00:00:00Z&endDateTime=2026-01-13T00:00:00Z" | node -e 'console.log((JSON.parse(require("fs").readFileSync(0)).value||[])[0].id)')
msapi DELETE "/me/events/$occ" > /dev/null
tl=$(msapi GET /me/todo/lists | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).value.find(l=>l.wellknownListName==="defaultList").id)')
msapi POST "/me/todo/lists/$tl/tasks" '{"title":"File the report","dueDateTime":{"dateTime":"2026-04-02T00:00:00","timeZone":"UTC"}}' > /dev/null
nid=$(msapi POST /me/notes '{"subject":"Parking","body":{"contentType":"text","content":"Level 3\nbay 12"}}' | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).id||"")')
# the Drive notes: name → content, of the live files in the folder "Outlook Notes"
dnotes() { js "(()=>{const f=Object.values(d.drive.files);const dir=f.find(x=>x.name==='Outlook Notes'&&!x.trashed);return f.filter(x=>dir&&!x.trashed&&(x.parents||[]).includes(dir.id)).map(x=>x.name+'='+Buffer.from(x.content.data||x.content,x.content.data?undefined:'base64').toString().replace(/\n/g,'|')).sort().join(',')})()"; }

runp run outlook-google.pipeline.json
[ $rc = 0 ] && [ "$(js "Object.values(d.people.persons).filter(p=>!p.deleted).length")" = 2 ] \
  && [ "$(js "Object.values(d.people.persons).filter(p=>!p.deleted&&(p.data.organizations||[]).some(o=>o.title==='Analyst')).length")" = 1 ] \
  && ok outlook-contacts-reach-google || bad outlook-contacts-reach-google "rc=$rc" "$out"
gev=$(js "JSON.stringify(Object.values(Object.values(d.calendar.calendars).find(c=>c.primary).events).filter(e=>!e.deleted&&(e.data||{}).summary==='Standup').map(e=>e.data))")
[ $rc = 0 ] && printf '%s' "$gev" | grep -q 'RRULE:FREQ=WEEKLY' && printf '%s' "$gev" | grep -q 'COUNT=6' && printf '%s' "$gev" | grep -q 'EXDATE' \
  && ok outlook-series-reaches-google-with-its-cancelled-occurrence || bad outlook-series-reaches-google-with-its-cancelled-occurrence "rc=$rc $gev" "$out"
[ "$(js "Object.values(d.tasks.lists).flatMap(l=>Object.values(l.tasks)).filter(t=>!t.deleted&&t.title==='File the report'&&/^2026-04-02/.test(t.due||'')).length")" = 1 ] \
  && ok outlook-task-reaches-google || bad outlook-task-reaches-google "$out"
[ "$(dnotes)" = "Parking=Level 3|bay 12" ] && ok outlook-note-reaches-drive || bad outlook-note-reaches-drive "$(dnotes)" "$out"
runp run outlook-google.pipeline.json
[ $rc = 0 ] && [ "$(printf '%s' "$out" | grep -c "nothing to do")" = 4 ] && ok second-run-nothing-to-do || bad second-run-nothing-to-do "$out"

# in Google: a contact's title and the task completed; they reach Outlook
rn=$(js "Object.values(d.people.persons).find(p=>!p.deleted&&(p.data.emailAddresses||[]).some(e=>e.value==='kim@example.org')).resourceName")
person=$(gapi GET "/v1/$rn?personFields=names,organizations,metadata")
edited=$(node -e 'const p=JSON.parse(process.argv[1]);p.organizations=[{name:"Engines",title:"Chief Analyst"}];console.log(JSON.stringify(p))' "$person")
gapi PATCH "/v1/$rn:updateContact?updatePersonFields=organizations" "$edited" > /dev/null
gt=$(js "Object.values(d.tasks.lists).flatMap(l=>Object.values(l.tasks)).find(t=>!t.deleted&&t.title==='File the report').id")
gapi PATCH "/tasks/v1/lists/@default/tasks/$gt" '{"status": "completed"}' > /dev/null
msapi PATCH "/me/notes/$nid" '{"body":{"contentType":"html","content":"<html><body><p>Level 4</p><p>bay 2</p></body></html>"}}' > /dev/null
runp run outlook-google.pipeline.json
[ $rc = 0 ] && [ "$(dnotes)" = "Parking=Level 4|bay 2" ] && ok an-outlook-note-edit-reaches-drive || bad an-outlook-note-edit-reaches-drive "$(dnotes)" "$out"
[ $rc = 0 ] && [ "$(js "Object.values(m.contacts).filter(c=>!c.deleted&&c.data.jobTitle==='Chief Analyst').length")" = 1 ] \
  && [ "$(js "Object.values(m.tasks).filter(t=>!t.deleted&&t.data.title==='File the report'&&t.data.status==='completed').length")" = 1 ] \
  && ok google-edits-reach-outlook || bad google-edits-reach-outlook "rc=$rc" "$out"
runp run outlook-google.pipeline.json
[ $rc = 0 ] && [ "$(printf '%s' "$out" | grep -c "nothing to do")" = 4 ] && ok nothing-to-do-after-edits || bad nothing-to-do-after-edits "$out"

# a disconnect mid-run: new in Outlook, three contacts, an event and a task; Google does the first two writes
# (POSTs) and the connection drops before each answer (tests/peers/fake_http.js /__fault). The runs after it
# resume: each record ends once on Google, nothing is copied back to Outlook.
for n in Una Vic Wes; do
  msapi POST /me/contacts "{\"givenName\":\"$n\",\"surname\":\"Drop\",\"displayName\":\"$n Drop\",\"emailAddresses\":[{\"address\":\"$n@example.org\"}]}" > /dev/null
done
msapi POST /me/events '{"subject":"Board","start":{"dateTime":"2026-02-03T14:00:00","timeZone":"UTC"},"end":{"dateTime":"2026-02-03T15:00:00","timeZone":"UTC"}}' > /dev/null
msapi POST "/me/todo/lists/$tl/tasks" '{"title":"Call the bank"}' > /dev/null
curl -s -XPOST -H 'Content-Type: application/json' -d '{"drop_answer_after_commit": 2, "method": "POST"}' "$g/__fault" > /dev/null
runp run outlook-google.pipeline.json
first="rc=$rc $out"
dropped=$(curl -s "$g/__fault" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).dropped)')
for k in 1 2 3 4; do
  runp run outlook-google.pipeline.json
  [ $rc = 0 ] && [ "$(printf '%s' "$out" | grep -c "nothing to do")" = 4 ] && break
  sleep 6
done
[ "$dropped" -ge 2 ] && [ $rc = 0 ] && [ "$(printf '%s' "$out" | grep -c "nothing to do")" = 4 ] \
  && ok disconnect-mid-run-resumed || bad disconnect-mid-run-resumed "dropped=$dropped rc=$rc" "$first" "$out"
[ "$(js "Object.values(d.people.persons).filter(p=>!p.deleted).length")" = 5 ] \
  && [ "$(js "Object.values(d.people.persons).filter(p=>!p.deleted&&(p.data.names||[]).some(x=>x.familyName==='Drop')).length")" = 3 ] \
  && [ "$(js "Object.values(Object.values(d.calendar.calendars).find(c=>c.primary).events).filter(e=>!e.deleted&&(e.data||{}).summary==='Board').length")" = 1 ] \
  && [ "$(js "Object.values(d.tasks.lists).flatMap(l=>Object.values(l.tasks)).filter(t=>!t.deleted&&t.title==='Call the bank').length")" = 1 ] \
  && ok disconnect-no-duplicate-on-google || bad disconnect-no-duplicate-on-google \
    "$(js "JSON.stringify(Object.values(d.people.persons).filter(p=>!p.deleted).map(p=>(p.data.names||[]).map(x=>x.displayName)))")"
[ "$(js "Object.values(m.contacts).filter(c=>!c.deleted).length")" = 5 ] && [ "$(js "Object.values(m.events).filter(e=>!e.deleted&&e.data.subject==='Board').length")" = 1 ] \
  && [ "$(js "Object.values(m.tasks).filter(t=>!t.deleted&&t.data.title==='Call the bank').length")" = 1 ] \
  && ok disconnect-nothing-copied-back-to-outlook || bad disconnect-nothing-copied-back-to-outlook "$(js "JSON.stringify(Object.values(m.contacts).filter(c=>!c.deleted).map(c=>c.data.displayName))")"
exit $fail
