#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Outlook's limit of 4 concurrent requests per app and mailbox (throttling-
# limits.md, "Outlook service limits"; a fifth is answered 429 "Application
# is over its MailboxConcurrency limit", which the strict fake
# tests/peers/msgraph_fake.js enforces) honoured across stream threads and
# across accord processes: two pipelines of three Outlook streams each
# (contacts, calendar, tasks into local JSON folders) run at the same time
# against one mailbox whose every answer comes 150 ms late: the fake sees
# at most 4 at once (and more than one: the runs overlap), throttles none,
# and both runs bring everything. (Measured on 2026-12-06: at most 2 at once;
# one instance sends one request at a time. The connector's own limiter,
# kit/account_slots.hpp, is tested with six processes by
# outlook_six_processes_test.sh. Not modelled: Graph dispatching up to 4
# entries of one $batch at once, which a Microsoft Q&A answer describes and
# no docs page does.)
#
# Usage: outlook_concurrency_test.sh ACCORD PEERS_DIR
set -u
. "$(dirname "${BASH_SOURCE[0]}")/graph_fake.sh"  # ok, bad, runp; graph_work, graph_start, graph_secrets, graph_config; post, api, js, jget, nothing
accord=$(realpath "$1") peers=$(realpath "$2")
graph_work outlook-concurrency
export XDG_RUNTIME_DIR="$work/run"
mkdir -m 700 "$work/run"
graph_start
graph_secrets
graph_config 2
for i in 1 2 3 4 5 6; do
  api POST /me/contacts "{\"givenName\":\"Con$i\",\"surname\":\"Current\",\"emailAddresses\":[{\"address\":\"c$i@example.org\"}]}" > /dev/null
  api POST /me/events "{\"subject\":\"Meet $i\",\"start\":{\"dateTime\":\"2026-03-0${i}T10:00:00\",\"timeZone\":\"UTC\"},\"end\":{\"dateTime\":\"2026-03-0${i}T11:00:00\",\"timeZone\":\"UTC\"}}" > /dev/null
done
tl=$(api GET /me/todo/lists | jget 'v.value.find(l=>l.wellknownListName==="defaultList").id')
for i in 1 2 3 4 5 6; do api POST "/me/todo/lists/$tl/tasks" "{\"title\":\"Task $i\"}" > /dev/null; done
post /__control '{"latency_ms": 150}' > /dev/null
for p in a b; do
  mkdir -p "$p"
  cat > $p.json <<JSON
{"name": "conc-$p", "state": "$p.sqlite",
 "left": {"connector": "local", "config": {"backend": "json", "path": "$p"}},
 "right": {"connector": "outlook-mapi", "config": {$graph, "calendar_window": {"start": "2026-01-01", "future_days": 400}}},
 "streams": [{"name": "contacts", "left": "contact", "right": "contact", "direction": "right-to-left"},
             {"name": "calendar", "left": "event", "right": "event", "direction": "right-to-left"},
             {"name": "tasks", "left": "task", "right": "task", "direction": "right-to-left"}]}
JSON
done
"$accord" run a.json > a.out 2>&1 & pa=$!
"$accord" run b.json > b.out 2>&1 & pb=$!
wait $pa; ra=$?
wait $pb; rb=$?
n() { find "$1" -name '*.json' | wc -l; }
[ $ra = 0 ] && [ $rb = 0 ] && [ "$(n a)" = 18 ] && [ "$(n b)" = 18 ] && ok both-runs-bring-everything \
  || bad both-runs-bring-everything "a: rc=$ra $(n a) files; b: rc=$rb $(n b) files" "$(cat a.out)" "$(cat b.out)"
max=$(js 's.max_inflight') thr=$(js 's.throttled')
[ "$max" -le 4 ] && [ "$thr" = 0 ] && ok at-most-4-requests-at-once-none-throttled \
  || bad at-most-4-requests-at-once-none-throttled "max_inflight=$max throttled=$thr"
echo "max_inflight=$max throttled=$thr"
[ "$max" -ge 2 ] && ok requests-did-run-side-by-side || bad requests-did-run-side-by-side "max_inflight=$max"
exit $fail
