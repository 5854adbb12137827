#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# outlook-mapi's graph backend against tests/peers/msgraph_fake.js, what
# session 9 added (issue 26): updates of recurring series through $batch, step
# by step for all of them (versions, masters, instances, occurrences, read
# back), and task updates and deletes when several To Do lists are synced
# (the tasks' lists looked up together, the writes and the checklists read
# through $batch). What the fake saw is counted: the requests sent on their
# own (stats.plain, by route) and the $batch requests; per-entry 412, 429.
#
# Usage: outlook_graph_batch_test.sh ACCORD PEERS_DIR
set -u
. "$(dirname "${BASH_SOURCE[0]}")/graph_fake.sh"  # ok, bad, runp; graph_work, graph_start, graph_secrets, graph_config; post, api, js, jget, nothing
accord=$(realpath "$1") peers=$(realpath "$2")
graph_work outlook-batch

graph_start
graph_secrets
graph_config 5
# what the fake saw since `mark`: requests of a route sent on their own, $batch requests
mark() { curl -s "$base/__stats" > mark.json; }
since() { node -e 'const f=require("fs"),a=JSON.parse(f.readFileSync("mark.json")),b=JSON.parse(f.readFileSync(process.argv[2]));const r=process.argv[1];console.log(r==="$batch"?(b.by_route["$batch"]||0)-(a.by_route["$batch"]||0):r==="http"?b.http-a.http:(b.plain[r]||0)-(a.plain[r]||0))' "$1" <(curl -s "$base/__stats"); }
counts() { for r in "$@"; do printf '%s=%s ' "$r" "$(since "$r")"; done; }

# -- three weekly series, each with a changed occurrence (made one by one: a create with overrides)
mkdir -p cal
series() {  # N SUFFIX [EXDATE]: a weekly series from June N, its second occurrence moved two hours later
  local ex=""
  [ -n "${3:-}" ] && ex="EXDATE:202606$(($1 + 14))T090000Z"$'\r\n'
  printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:series-%s@example.org\r\nDTSTART:2026060%sT090000Z\r\nDTEND:2026060%sT100000Z\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\n%sSUMMARY:Series %s%s\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:series-%s@example.org\r\nRECURRENCE-ID:202606%02dT090000Z\r\nDTSTART:202606%02dT110000Z\r\nDTEND:202606%02dT120000Z\r\nSUMMARY:Series %s moved%s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' \
    $1 $1 $1 "$ex" $1 "$2" $1 $(($1 + 7)) $(($1 + 7)) $(($1 + 7)) $1 "$2" > cal/s$1.ics
}
for n in 1 2 3; do series $n ""; done
cat > c.json <<JSON
{"name": "outlook-series", "state": "cstate.sqlite",
 "left": {"connector": "local", "config": {"backend": "icalendar", "create": true, "path": "cal"}},
 "right": {"connector": "outlook-mapi", "config": {$graph, "calendar_window": {"start": "2026-01-01", "future_days": 730}}},
 "streams": [{"name": "calendar", "left": "event", "right": "event"}]}
JSON
runp run c.json
made="$out"
# every series and its exception subject, as the fake holds them: "Series 1 v2/Series 1 moved v2,…"
held() { js "Object.values(d.events).filter(e=>!e.deleted&&/^Series/.test(e.data.subject)).map(e=>e.data.subject+'/'+Object.values(e.exceptions||{}).map(x=>x.data.subject).join('+')+'/'+(e.cancelled||[]).length).sort().join(',')"; }
[ $rc = 0 ] && [ "$(held)" = "Series 1/Series 1 moved/0,Series 2/Series 2 moved/0,Series 3/Series 3 moved/0" ] \
  && ok series-made || bad series-made "rc=$rc $(held)" "$made"
runp run c.json
nothing series-made-nothing-to-do

# -- the three series changed (the master and the changed occurrence each): five $batch requests, none sent alone
for n in 1 2 3; do series $n " v2"; done
mark
runp run c.json
seen=$(counts '$batch' event.update event.instances event.get)
[ $rc = 0 ] && [ "$(held)" = "Series 1 v2/Series 1 moved v2/0,Series 2 v2/Series 2 moved v2/0,Series 3 v2/Series 3 moved v2/0" ] \
  && [ "$seen" = '$batch=5 event.update=0 event.instances=0 event.get=0 ' ] \
  && ok series-updates-batched || bad series-updates-batched "rc=$rc $seen http=$(since http)" "$(held)" "$out"
runp run c.json
nothing series-updates-batched-nothing-to-do

# -- a 412 on one master inside the batch: that series' CONFLICT alone, the other two written; the next run writes it
for n in 1 2 3; do series $n " v3"; done
post /__control '{"rate_limit": {"count": 1, "status": 412, "code": "ErrorIrresolvableConflict", "message": "The change key passed in the request does not match the current change key for the item.", "method": "PATCH", "path": "/v1.0/me/events/"}}' > /dev/null
runp run c.json
first="$out" n_first=$(js "Object.values(d.events).filter(e=>!e.deleted&&/^Series \\d v3\$/.test(e.data.subject)).length")
runp run c.json
[ "$n_first" = 2 ] && printf '%s' "$first" | grep -qi "conflict" && [ $rc = 0 ] \
  && [ "$(held)" = "Series 1 v3/Series 1 moved v3/0,Series 2 v3/Series 2 moved v3/0,Series 3 v3/Series 3 moved v3/0" ] \
  && ok series-412-in-batch-is-that-series-conflict || bad series-412-in-batch-is-that-series-conflict "first=$n_first rc=$rc $(held)" "$first" "$out"

# -- an occurrence cancelled in two series, one DELETE throttled inside the batch (429, Retry-After 1): that series
# is tried again, the other done; the next run cancels it, once
series 1 " v3" x
series 2 " v3" x
post /__control '{"rate_limit": {"count": 1, "status": 429, "retry_after": 1, "method": "DELETE", "path": "/v1.0/me/events/"}}' > /dev/null
runp run c.json
first="$out" n_first=$(held)
sleep 1
runp run c.json
[ "$n_first" != "$(held)" ] && printf '%s' "$first" | grep -qi "rate limit" && [ $rc = 0 ] \
  && [ "$(held)" = "Series 1 v3/Series 1 moved v3/1,Series 2 v3/Series 2 moved v3/1,Series 3 v3/Series 3 moved v3/0" ] \
  && ok series-occurrence-throttled-in-batch-retried || bad series-occurrence-throttled-in-batch-retried "first=$n_first rc=$rc $(held)" "$first" "$out"
runp run c.json
nothing series-throttled-nothing-to-do

# -- tasks in two To Do lists: updates and deletes find their tasks' lists together, and write through $batch
errands=$(api POST /me/todo/lists '{"displayName": "Errands"}' | jget "v.id")
for n in 1 2 3; do api POST "/me/todo/lists/$errands/tasks" "{\"title\": \"Errand $n\"}" > /dev/null; done
mkdir -p todo
for n in A B; do
  printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTODO\r\nUID:job-%s@example.org\r\nSUMMARY:Job %s\r\nEND:VTODO\r\nEND:VCALENDAR\r\n' $n $n > todo/job$n.ics
done
cat > t.json <<JSON
{"name": "outlook-tasks", "state": "tstate.sqlite",
 "left": {"connector": "local", "config": {"backend": "icalendar", "create": true, "path": "todo"}},
 "right": {"connector": "outlook-mapi", "config": {$graph, "task_lists": ["defaultList", "Errands"]}},
 "streams": [{"name": "tasks", "left": "task", "right": "task"}]}
JSON
runp run t.json
tasks() { js "Object.values(d.tasks).filter(t=>!t.deleted).map(t=>(t.parent==='$errands'?'E:':'D:')+t.data.title).sort().join(',')"; }
[ $rc = 0 ] && [ "$(tasks)" = "D:Job A,D:Job B,E:Errand 1,E:Errand 2,E:Errand 3" ] && [ "$(grep -l "SUMMARY:Errand" todo/*.ics | wc -l)" = 3 ] \
  && ok tasks-in-two-lists-synced || bad tasks-in-two-lists-synced "rc=$rc $(tasks)" "$out"
# a state made by another run: the lists of the tasks are not known to this one
runp run t.json
nothing tasks-in-two-lists-nothing-to-do
for f in $(grep -l "SUMMARY:Errand [12]" todo/*.ics) todo/jobA.ics; do sed -i 's/^\(SUMMARY:.*\)\r$/\1 done\r/' "$f"; done
rm "$(grep -l "SUMMARY:Errand 3" todo/*.ics)"
mark
runp run t.json
seen=$(counts todoTask.get todoTask.update todoTask.delete checklistItem.list)
[ $rc = 0 ] && [ "$(tasks)" = "D:Job A done,D:Job B,E:Errand 1 done,E:Errand 2 done" ] \
  && [ "$seen" = 'todoTask.get=0 todoTask.update=0 todoTask.delete=0 checklistItem.list=0 ' ] \
  && ok task-writes-in-two-lists-batched || bad task-writes-in-two-lists-batched "rc=$rc $seen batches=$(since '$batch') http=$(since http)" "$(tasks)" "$out"
runp run t.json
nothing task-writes-in-two-lists-nothing-to-do
# a 412 on one task's PATCH inside the batch: that task's CONFLICT, the other written; the next run writes it
for f in $(grep -l "SUMMARY:Errand [12] done" todo/*.ics); do sed -i 's/^\(SUMMARY:.*\) done\r$/\1 redone\r/' "$f"; done
post /__control '{"rate_limit": {"count": 1, "status": 412, "code": "ErrorIrresolvableConflict", "message": "The change key passed in the request does not match the current change key for the item.", "method": "PATCH", "path": "/v1.0/me/todo/lists/"}}' > /dev/null
runp run t.json
first="$out" n_first=$(tasks)
runp run t.json
[ "$n_first" != "$(tasks)" ] && printf '%s' "$first" | grep -qi "conflict" && [ $rc = 0 ] \
  && [ "$(tasks)" = "D:Job A done,D:Job B,E:Errand 1 redone,E:Errand 2 redone" ] \
  && ok task-412-in-two-lists-is-that-tasks-conflict || bad task-412-in-two-lists-is-that-tasks-conflict "first=$n_first rc=$rc $(tasks)" "$first" "$out"

# -- messages imported from a Maildir: the creates go through $batch (none sent alone); a batch whose answer is lost
# after Outlook made the messages: each found by its key, none made twice
mkdir -p md/cur md/new md/tmp
mail() {  # N: a message "Batch N"
  printf 'Message-ID: <batch-%s@example.org>\r\nDate: Mon, 02 Mar 2026 09:0%s:00 +0000\r\nFrom: Ada <ada@example.org>\r\nTo: bob@example.org\r\nSubject: Batch %s\r\nContent-Type: text/plain\r\n\r\nHi %s.\r\n' $1 $1 $1 $1 > "md/cur/500$1.b$1:2,S"
}
for n in 1 2 3; do mail $n; done
cat > m.json <<JSON
{"name": "outlook-mail", "state": "mstate.sqlite",
 "left": {"connector": "local", "config": {"backend": "maildir", "create": true, "path": "md"}},
 "right": {"connector": "outlook-mapi", "config": {$graph}},
 "streams": [{"name": "mail", "left": "message", "right": "message", "match": [{"left": "/messageId"}]}]}
JSON
msgs() { js "Object.values(d.messages).filter(m=>!m.deleted&&/^Batch/.test(m.data.subject||'')&&!m.data.isDraft).length"; }
mark
runp run m.json
seen=$(counts message.create)
[ $rc = 0 ] && [ "$(msgs)" = 3 ] && [ "$seen" = 'message.create=0 ' ] && [ "$(since '$batch')" -ge 1 ] \
  && ok message-creates-batched || bad message-creates-batched "rc=$rc $seen batches=$(since '$batch') msgs=$(msgs)" "$out"
runp run m.json
nothing message-creates-batched-nothing-to-do
for n in 4 5; do mail $n; done
post /__fault '{"drop_answer_after_commit": 1, "method": "POST", "path": "/v1.0/$batch"}' > /dev/null
runp run m.json
first="$out" n_first=$(msgs)
runp run m.json
[ "$n_first" = 5 ] && [ $rc = 0 ] && [ "$(msgs)" = 5 ] && [ "$(ls md/cur | wc -l)" = 5 ] \
  && ok message-create-batch-answer-lost-no-duplicate || bad message-create-batch-answer-lost-no-duplicate "first=$n_first now=$(msgs) rc=$rc" "$first" "$out"
runp run m.json
nothing message-create-batch-lost-nothing-to-do
# two messages with a 2 MB attachment each: a $batch keeps its bodies under 3 MB, so each goes alone
for n in 6 7; do
  { printf 'Message-ID: <batch-%s@example.org>\r\nDate: Mon, 02 Mar 2026 09:0%s:00 +0000\r\nFrom: Ada <ada@example.org>\r\nTo: bob@example.org\r\nSubject: Batch %s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nBig %s.\r\n--b\r\nContent-Type: application/octet-stream; name="big%s.bin"\r\nContent-Disposition: attachment; filename="big%s.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n' $n $n $n $n $n $n
    head -c 2000000 /dev/urandom | base64 -w 76 | sed 's/$/\r/'
    printf -- '--b--\r\n'; } > "md/cur/500$n.b$n:2,S"
done
mark
runp run m.json
seen=$(counts message.create)
[ $rc = 0 ] && [ "$(msgs)" = 7 ] && [ "$seen" = 'message.create=2 ' ] \
  && ok message-creates-over-the-batch-budget-go-alone || bad message-creates-over-the-batch-budget-go-alone "rc=$rc $seen batches=$(since '$batch') msgs=$(msgs)" "$out"

exit ${fail:-0}
