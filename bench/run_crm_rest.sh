#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# crm-rest benchmark against json-server and the vendor fakes (Salesforce,
# HubSpot) on loopback (tests/peers). Prints, for N contacts (default 10,000):
#   - initial push: local sqlite → json-server (one POST per record, with its
#     idempotency lookup): records/s, requests per record, peak RSS;
#   - initial pull: json-server → a fresh local sqlite (Link-header pages of
#     100): records/s, requests per record;
#   - a re-run with nothing changed: wall time and requests;
# and, in the same script, the floor for each: curl fetching the same pages
# (pull) and one node process POSTing N records on a kept-alive connection (push);
# then, against each vendor fake, initial push with the profile's batch
# endpoints and without them ("batch": null), and initial pull. The fakes
# have no rate limit, so the profiles' client-side limits are switched off.
# Usage: bench/run_crm_rest.sh [N] [BUILD_DIR]
set -euo pipefail
n=${1:-10000}
build=${2:-build}
root="$(cd "$(dirname "$0")/.." && pwd)"
accord="$(cd "$build" && pwd)/bin/accord"
bench="$(cd "$build" && pwd)/bin/bench_foundation"
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-crm-bench.XXXXXX")
peer=
trap '{ [ -n "$peer" ] && kill $peer 2>/dev/null; } || true; rm -rf "$work"' EXIT
cd "$work"
echo "== machine: $(nproc) cores; N = $n; peer: json-server 0.17.4 (node $(node --version))"
start_peer() {
  echo '{"contacts": [], "notes": []}' > "$1"
  node "$root/tests/peers/json_server_peer.js" "$1" > "$1.out" 2>/dev/null &
  peer=$!
  for _ in $(seq 1 100); do grep -q '^port ' "$1.out" 2>/dev/null && break; sleep 0.1; done
  port=$(awk '/^port /{print $2}' "$1.out")
}
stats_self=1  # json-server's peer counts the /__stats request itself; the fakes do not
stats() { curl -s "http://127.0.0.1:$port/__stats" | tr -d ' \n' | sed -E 's/.*"(requests|served)":([0-9]+).*/\2/'; }
timed() {  # timed LABEL PIPELINE RECORDS
  local before after secs kib
  before=$(stats)
  /usr/bin/time -f "%e %M" -o t.txt "$accord" run "$2" > out.txt
  after=$(stats)
  read -r secs kib < t.txt
  awk -v l="$1" -v s="$secs" -v k="$kib" -v r="$3" -v q=$((after - before - stats_self)) \
    'BEGIN { printf "%s: %.2f s, %s records/s, %.2f requests/record (%d requests), peak RSS %d MiB\n", l, s, (r > 0 ? sprintf("%.0f", r / s) : "-"), (r > 0 ? q / r : 0), q, k / 1024 }'
}

start_peer db.json
"$bench" populate crm-src.sqlite "$n" > /dev/null
cat > push.json <<JSON
{"name": "push", "state": "push-state.sqlite",
 "left": {"connector": "local", "config": {"backend": "sqlite", "path": "crm-src.sqlite", "batch_size": 5000}},
 "right": {"connector": "crm-rest", "config": {"profile": "json-server", "base_url": "http://127.0.0.1:$port"}},
 "streams": [{"left": "contact", "right": "contact", "direction": "left-to-right"}]}
JSON
cat > pull.json <<JSON
{"name": "pull", "state": "pull-state.sqlite",
 "left": {"connector": "crm-rest", "config": {"profile": "json-server", "base_url": "http://127.0.0.1:$port"}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "path": "pulled.sqlite", "batch_size": 5000}},
 "streams": [{"left": "contact", "right": "contact", "direction": "left-to-right"}]}
JSON
timed "accord initial push, $n contacts" push.json "$n"
timed "accord initial pull, $n contacts" pull.json "$n"
timed "accord re-run (pull), nothing changed" pull.json 0
pulled=$(sqlite3 pulled.sqlite "SELECT count(*) FROM r_contact WHERE deleted = 0")
echo "   (pulled $pulled records)"

# the floors, on the same server: raw page fetches, raw POSTs
s=$(date +%s.%N)
pages=$(( (n + 99) / 100 ))
for p in $(seq 1 $pages); do curl -s "http://127.0.0.1:$port/contacts?_sort=updatedAt,id&_order=asc,asc&_page=$p&_limit=100" > /dev/null; done
e=$(date +%s.%N)
awk -v s="$s" -v e="$e" -v n="$n" -v p="$pages" 'BEGIN { printf "curl, the same %d pages one after another: %.2f s, %.0f records/s\n", p, e - s, n / (e - s) }'
kill $peer; wait $peer 2>/dev/null || true
start_peer db2.json
s=$(date +%s.%N)
node -e '
const http = require("http");
const agent = new http.Agent({keepAlive: true, maxSockets: 1});
const n = +process.argv[1], port = +process.argv[2];
let i = 0;
function next() {
  if (i++ >= n) { agent.destroy(); return; }
  const body = JSON.stringify({firstName: "F" + i, lastName: "L" + i, email: "p" + i + "@example.org"});
  const req = http.request({host: "127.0.0.1", port, path: "/contacts", method: "POST", agent,
    headers: {"Content-Type": "application/json", "Content-Length": Buffer.byteLength(body)}}, res => { res.resume(); res.on("end", next); });
  req.end(body);
}
next();' "$n" "$port"
e=$(date +%s.%N)
awk -v s="$s" -v e="$e" -v n="$n" 'BEGIN { printf "node, %d POSTs on one kept-alive connection: %.2f s, %.0f records/s\n", n, e - s, n / (e - s) }'
kill $peer; wait $peer 2>/dev/null || true

# -- the vendor fakes: with and without batch endpoints
stats_self=0
vendor() {  # vendor NAME PROFILE FAKE BASE_PATH AUTH_JSON
  local name=$1 profile=$2 fake=$3 path=$4 auth=$5
  for mode in batch single; do
    SF_CLIENT_ID=bench SF_CLIENT_SECRET=bench SF_REFRESH_TOKEN=bench HS_TOKEN=bench \
      node "$root/tests/peers/$fake" > "$name-$mode.out" 2>/dev/null &
    peer=$!
    for _ in $(seq 1 100); do grep -q '^port ' "$name-$mode.out" 2>/dev/null && break; sleep 0.1; done
    port=$(awk '/^port /{print $2}' "$name-$mode.out")
    local extra='"rate_limit": {"requests_per_second": 0}'
    [ $mode = single ] && extra="$extra"', "streams": {"contact": {"batch": null}}'
    local cfg="{\"profile\": \"$profile\", \"base_url\": \"http://127.0.0.1:$port$path\", \"auth\": $auth, $extra}"
    rm -f "$name-$mode"-*.sqlite*
    cat > "$name-push-$mode.json" <<JSON
{"name": "$name-push-$mode", "state": "$name-$mode-push-state.sqlite",
 "left": {"connector": "local", "config": {"backend": "sqlite", "path": "crm-src.sqlite", "batch_size": 5000}},
 "right": {"connector": "crm-rest", "config": $cfg},
 "streams": [{"left": "contact", "right": "contact", "direction": "left-to-right"}]}
JSON
    timed "$name initial push, $n contacts, $( [ $mode = batch ] && echo "with batch endpoints" || echo "one request per record")" "$name-push-$mode.json" "$n"
    if [ $mode = batch ]; then
      cat > "$name-pull.json" <<JSON
{"name": "$name-pull", "state": "$name-pull-state.sqlite",
 "left": {"connector": "crm-rest", "config": $cfg},
 "right": {"connector": "local", "config": {"backend": "sqlite", "path": "$name-pulled.sqlite", "batch_size": 5000}},
 "streams": [{"left": "contact", "right": "contact", "direction": "left-to-right"}]}
JSON
      timed "$name initial pull, $n contacts" "$name-pull.json" "$n"
      echo "   (pulled $(sqlite3 "$name-pulled.sqlite" "SELECT count(*) FROM r_contact WHERE deleted = 0") records)"
    fi
    kill $peer; wait $peer 2>/dev/null || true
  done
}
vendor salesforce salesforce salesforce_fake.js /services/data/v59.0 \
  '{"client_id": "bench", "client_secret": "bench", "refresh_token": "bench"}'
vendor hubspot hubspot hubspot_fake.js "" '{"token": "bench"}'
