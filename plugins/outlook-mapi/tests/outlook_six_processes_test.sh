#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# outlook-mapi's own limiter: Outlook allows 4 concurrent requests per app
# and mailbox (throttling-limits.md, "Outlook service limits"; the fifth is
# answered 429 "Application is over its MailboxConcurrency limit", which
# tests/peers/msgraph_fake.js enforces). Six accord processes, each a
# pipeline of the same mailbox's contacts into a JSON folder of its own, run
# at once against a fake whose every answer comes 200 ms late: the fake sees
# at most 4 requests at once and throttles none, every run brings every
# contact, and the runs did overlap (3 or more at once).
#
# Usage: outlook_six_processes_test.sh ACCORD PEERS_DIR
set -u
. "$(dirname "${BASH_SOURCE[0]}")/graph_fake.sh"  # ok, bad, runp; graph_work, graph_start, graph_secrets, graph_config; post, api, js, jget, nothing
accord=$(realpath "$1") peers=$(realpath "$2")
graph_work outlook-six
export XDG_RUNTIME_DIR="$work/run"
mkdir -m 700 "$work/run"
graph_start
graph_secrets
graph_config 2
for i in 1 2 3 4 5 6 7 8; do
  api POST /me/contacts "{\"givenName\":\"Six$i\",\"surname\":\"Proc\",\"emailAddresses\":[{\"address\":\"s$i@example.org\"}]}" > /dev/null
done
post /__control '{"latency_ms": 200}' > /dev/null
pids=()
for p in a b c d e f; do
  mkdir -p "$p"
  cat > $p.json <<JSON
{"name": "six-$p", "state": "$p.sqlite",
 "left": {"connector": "local", "config": {"backend": "json", "path": "$p"}},
 "right": {"connector": "outlook-mapi", "config": {$graph}},
 "streams": [{"name": "contacts", "left": "contact", "right": "contact", "direction": "right-to-left"}]}
JSON
done
for p in a b c d e f; do "$accord" run $p.json > $p.out 2>&1 & pids+=($!); done
rcs=""
for pid in "${pids[@]}"; do wait $pid; rcs="$rcs $?"; done
n() { find "$1" -name '*.json' | wc -l; }
all=1
for p in a b c d e f; do [ "$(n $p)" = 8 ] || all=0; done
[ "$rcs" = " 0 0 0 0 0 0" ] && [ $all = 1 ] && ok six-runs-bring-everything \
  || bad six-runs-bring-everything "rcs:$rcs files: $(for p in a b c d e f; do printf '%s=%s ' $p "$(n $p)"; done)" "$(cat a.out)" "$(cat f.out)"
max=$(js 's.max_inflight') thr=$(js 's.throttled')
echo "max_inflight=$max throttled=$thr"
[ "$max" -le 4 ] && [ "$thr" = 0 ] && ok at-most-4-requests-at-once-none-throttled \
  || bad at-most-4-requests-at-once-none-throttled "max_inflight=$max throttled=$thr"
[ "$max" -ge 3 ] && ok the-runs-did-overlap || bad the-runs-did-overlap "max_inflight=$max"
exit $fail
