#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# google-api benchmark against the strict Google fake (tests/peers/google_fake.js)
# on loopback. For N contacts and N events (default 10,000 each) it prints:
#   - contacts pushed: a vCard folder → Google, with People's batch endpoints
#     (batchCreateContacts, 200 a request) and one request per record;
#   - a re-run, which reads back its own writes (Google lists them as changes
#     since the sync token the push started from), then one with nothing changed;
#   - contacts pulled: Google → a fresh vCard folder;
#   - events pushed: an iCalendar folder → the primary calendar (Calendar has
#     no batch endpoint: one insert each), a re-run with nothing changed, and
#     events pulled into a fresh folder (each re-run as for contacts);
# each as wall time, records/s, requests per record and peak RSS; and, in the
# same run, the floor: curl fetching the same listing pages from the fake
# (People's connections 1,000 a page, Calendar's events 2,500 a page).
# The machine is shared: figures are for direction only unless it is quiet.
# Usage: bench/run_google_api.sh [N] [BUILD_DIR]
set -euo pipefail
n=${1:-10000}
build=${2:-build}
root="$(cd "$(dirname "$0")/.." && pwd)"
accord="$(cd "$build" && pwd)/bin/accord"
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-google-bench.XXXXXX")
peer=
trap '{ [ -n "$peer" ] && kill $peer 2>/dev/null; } || true; rm -rf "$work"' EXIT
cd "$work"
export HOME="$work" XDG_STATE_HOME="$work/state"
token="bench-$RANDOM$RANDOM"
printf '{"gtok": "%s"}\n' "$token" > secrets.json
chmod 600 secrets.json
export ACCORD_SECRETS="$work/secrets.json"
echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); N = $n; peer: google_fake.js (node $(node --version))"
start_peer() {
  (GOOGLE_TOKEN=$token GOOGLE_USER=ada@example.com exec node "$root/tests/peers/google_fake.js" > "$1.out" 2>/dev/null) &
  peer=$!
  for _ in $(seq 1 100); do grep -q '^port ' "$1.out" 2>/dev/null && break; sleep 0.1; done
  port=$(awk '/^port /{print $2}' "$1.out")
  base="http://127.0.0.1:$port"
}
stop_peer() { kill $peer 2>/dev/null; wait $peer 2>/dev/null || true; peer=; }
requests() { curl -s "$base/__stats" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).requests)'; }
timed() {  # timed LABEL PIPELINE RECORDS
  local before after secs kib
  before=$(requests)
  /usr/bin/time -f "%e %M" -o t.txt "$accord" run "$2" > out.txt
  after=$(requests)
  read -r secs kib < t.txt
  awk -v l="$1" -v s="$secs" -v k="$kib" -v r="$3" -v q=$((after - before)) \
    'BEGIN { printf "%s: %.2f s, %s records/s, %.2f requests/record (%d requests), peak RSS %d MiB\n", l, s, (r > 0 && s > 0 ? sprintf("%.0f", r / s) : "-"), (r > 0 ? q / r : 0), q, k / 1024 }'
}
floor() {  # floor LABEL URL ITEMS_KEY: curl over every page of a listing
  local s e pages
  s=$(date +%s.%N)
  pages=$(node -e '
    const [url, token, key] = process.argv.slice(1);
    const { execFileSync } = require("child_process");
    let page, pages = 0, items = 0;
    do {
      const out = execFileSync("curl", ["-s", "-H", "Authorization: Bearer " + token, url + (page ? "&pageToken=" + page : "")], {maxBuffer: 1 << 30});
      const j = JSON.parse(out); pages++; items += (j[key] || []).length; page = j.nextPageToken;
    } while (page);
    console.log(pages + " " + items);' "$2" "$token" "$3")
  e=$(date +%s.%N)
  awk -v l="$1" -v s="$s" -v e="$e" -v p="$pages" 'BEGIN { split(p, a, " "); printf "%s: curl, the same %d pages (%d records): %.2f s, %.0f records/s\n", l, a[1], a[2], e - s, a[2] / (e - s) }'
}
google() { printf '{"account": "ada@example.com", "access_token": {"$secret": "gtok"}, "people_url": "%s", "calendar_url": "%s/calendar/v3"%s}' "$base" "$base" "${1:-}"; }
pipeline() {  # pipeline FILE STATE LEFT_CONFIG RIGHT_CONFIG STREAM DIRECTION
  cat > "$1" <<JSON
{"name": "${1%.json}", "state": "$2",
 "left": {"connector": "local", "config": $3},
 "right": {"connector": "google-api", "config": $4},
 "streams": [{"left": "$5", "right": "$5", "direction": "$6",
              "guards": {"max_delete_share": 1, "max_update_share": 1, "max_create_share": 1000000}}]}
JSON
}

mkdir -p book cal
for i in $(seq 1 "$n"); do
  printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:b%s\r\nFN:Kim Bench%s\r\nN:Bench%s;Kim;;;\r\nEMAIL;TYPE=work:b%s@example.org\r\nTEL;TYPE=cell:+4420700%05d\r\nTITLE:Analyst\r\nEND:VCARD\r\n' "$i" "$i" "$i" "$i" "$i" > "book/b$i.vcf"
  printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\nUID:e%s@example.org\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:2026%02d%02dT%02d0000Z\r\nDURATION:PT1H\r\nSUMMARY:Meeting %s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' \
    "$i" $((1 + i % 12)) $((1 + i % 28)) $((8 + i % 10)) "$i" > "cal/e$i.ics"
done

# -- contacts
for mode in batch single; do
  start_peer "contacts-$mode"
  extra=""; [ $mode = single ] && extra=', "batch": false'
  pipeline "push-$mode.json" "push-$mode.sqlite" '{"backend": "vcard", "path": "book"}' "$(google "$extra")" contact left-to-right
  timed "contacts pushed, $n, $( [ $mode = batch ] && echo "People's batch endpoints" || echo "one request per record")" "push-$mode.json" "$n"
  if [ $mode = batch ]; then
    timed "contacts re-run, its own writes read back" "push-$mode.json" 0
    timed "contacts re-run, nothing changed" "push-$mode.json" 0
    mkdir -p pulled-book
    pipeline pull-contacts.json pull-contacts.sqlite '{"backend": "vcard", "create": true, "path": "pulled-book"}' "$(google)" contact right-to-left
    timed "contacts pulled, $n" pull-contacts.json "$n"
    echo "   (pulled $(ls pulled-book | wc -l) vCards)"
    timed "contacts pull re-run, nothing changed" pull-contacts.json 0
    floor "contacts floor" "$base/v1/people/me/connections?personFields=names,emailAddresses,phoneNumbers,organizations,metadata&pageSize=1000" connections
  fi
  stop_peer
done

# -- events
start_peer events
pipeline push-events.json push-events.sqlite '{"backend": "icalendar", "path": "cal"}' "$(google)" event left-to-right
timed "events pushed, $n (one insert each: Calendar has no batch endpoint)" push-events.json "$n"
timed "events re-run, its own writes read back" push-events.json 0
timed "events re-run, nothing changed" push-events.json 0
mkdir -p pulled-cal
pipeline pull-events.json pull-events.sqlite '{"backend": "icalendar", "create": true, "path": "pulled-cal"}' "$(google)" event right-to-left
timed "events pulled, $n" pull-events.json "$n"
echo "   (pulled $(ls pulled-cal | wc -l) events)"
timed "events pull re-run, nothing changed" pull-events.json 0
floor "events floor" "$base/calendar/v3/calendars/primary/events?maxResults=2500" items
stop_peer
