#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The SIGKILL campaign (tests/crash/lib.sh) over google-api's event stream:
# an iCalendar folder ⇄ the primary Google calendar on the strict Google fake
# (tests/peers/google_fake.js, one per round on a free loopback port), both
# ways, matched by UID (events made on either side carry one), the create's
# event id derived from the idempotency key (a second insert of it: 409, the
# event is read instead), left wins a conflict. 30 events in the folder
# (every tenth a weekly series), 15 in Google (numbered from 101: titles never meet); between phases each side edits
# titles, deletes and creates (Google's as its users do, through its API).
# Events compare by title and whether they recur.
#
# Usage: crash_events.sh ACCORD PEERS_DIR   (CRASH_KILLS, CRASH_SEED: lib.sh)
set -u
here=$(dirname "$(realpath "${BASH_SOURCE[0]}")")
. "$here/../../../tests/report.sh"
accord=$(realpath "$1") peers=$(realpath "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-crash-events.XXXXXX")
trap 'for f in "$work"/*/peer.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done; rm -rf "$work"' EXIT
cd "$work"
. "$here/../../../tests/crash/lib.sh"
token="tok-$RANDOM$RANDOM"
printf '{"gtok": "%s"}\n' "$token" > secrets.json
chmod 600 secrets.json
export ACCORD_SECRETS="$work/secrets.json" HOME="$work" XDG_STATE_HOME="$work/.local/state" ACCORD_ADMIN=

# calendar DIR ACTION ARGS: Google's side as its users change it (Node's fetch on the fake's Calendar API)
cat > calendar.js <<'JS'
const [base, token, action, ...args] = process.argv.slice(2);
const C = '/calendar/v3/calendars/primary/events';
const api = async (m, p, body) => {
  const r = await fetch(base + p, {method: m, headers: {Authorization: 'Bearer ' + token, 'Content-Type': 'application/json'}, body});
  if (!r.ok) throw new Error(m + ' ' + p + ': ' + r.status + ' ' + await r.text());
  return r.status === 204 ? null : r.json();
};
const create = n => api('POST', C, JSON.stringify({summary: 'Google ' + n,
  start: {dateTime: '2026-05-' + String(1 + n % 28).padStart(2, '0') + 'T09:00:00Z'},
  end: {dateTime: '2026-05-' + String(1 + n % 28).padStart(2, '0') + 'T10:00:00Z'}}));
(async () => {
  if (action === 'seed') for (let n = +args[0]; n <= +args[1]; n++) await create(n);
  if (action === 'edit') {
    const r = +args[0];
    let page, all = [];
    do {
      const l = await api('GET', C + '?maxResults=2500' + (page ? '&pageToken=' + page : ''));
      all = all.concat(l.items || []);
      page = l.nextPageToken;
    } while (page);
    for (const e of all) {
      const n = +((e.summary || '').match(/(\d+)$/) || [0, 0])[1];
      if (n % 5 === r) await api('PATCH', C + '/' + e.id, JSON.stringify({summary: 'edited in Google ' + r + ' ' + n}));
      else if (n % 11 === r + 2) await api('DELETE', C + '/' + e.id);
    }
    for (let n = 1000 * r + 700; n <= 1000 * r + 704; n++) await create(n);
  }
})().catch(e => { console.error(String(e)); process.exit(1); });
JS
calendar() { node "$work/calendar.js" "$(cat "$1/base")" "$token" "${@:2}"; }
event() {  # event N SUMMARY (every tenth a weekly series)
  local day rule=""; day=$(printf '%02d' $((1 + $1 % 28)))
  [ $(($1 % 10)) = 0 ] && rule=$'RRULE:FREQ=WEEKLY;COUNT=5\r\n'
  printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//crash//EN\r\nBEGIN:VEVENT\r\nUID:crash-%s@example.org\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:202604%sT100000Z\r\nDTEND:202604%sT110000Z\r\nSUMMARY:%s\r\n%sEND:VEVENT\r\nEND:VCALENDAR\r\n' \
    "$1" "$day" "$day" "$2" "$rule"
}

mkdir -p init/cal
for i in $(seq 1 30); do event "$i" "Meeting $i" > "init/cal/e$i.ics"; done

prepare() {
  local d=$1
  cp -r "$work/init/." "$d/"
  mkdir -p "$d/peer"
  (cd "$d/peer" && GOOGLE_TOKEN=$token GOOGLE_USER=ada@example.com exec node "$peers/google_fake.js" > peer.out 2> peer.err) &
  echo $! > "$d/peer.pid"
  for _ in $(seq 1 100); do grep -q '^port ' "$d/peer/peer.out" 2>/dev/null && break; sleep 0.1; done
  local port; port=$(awk '/^port /{print $2}' "$d/peer/peer.out")
  [ -n "$port" ] || { echo "FAIL the fake did not start"; cat "$d/peer/peer.err"; exit 1; }
  echo "http://127.0.0.1:$port" > "$d/base"
  cat > "$d/p.json" <<JSON
{"name": "crash", "state": "state.sqlite",
 "left": {"connector": "local", "config": {"backend": "icalendar", "path": "cal"}},
 "right": {"connector": "google-api", "config": {"account": "ada@example.com", "access_token": {"\$secret": "gtok"},
   "calendar_url": "$(cat "$d/base")/calendar/v3", "page_size": 7}},
 "streams": [{"name": "events", "left": "event", "right": "event", "match": [{"left": "/uid"}], "conflict": {"policy": "left-wins"},
              "guards": {"max_delete_share": 1, "max_update_share": 1, "max_create_share": 100}}]}
JSON
  calendar "$d" seed 101 115 || { echo "FAIL seeding Google"; exit 1; }
}
release() { kill "$(cat "$1/peer.pid")" 2>/dev/null; wait "$(cat "$1/peer.pid")" 2>/dev/null; rm -f "$1/peer.pid"; }

# an event file's title, unfolded and unescaped enough for these titles
summary_of() { tr -d '\r' < "$1" | sed -n 's/^SUMMARY[^:]*://p' | head -1; }
edit() {
  local d=$1 r=$2 f n s
  for f in "$d"/cal/*.ics; do
    s=$(summary_of "$f")
    n=$(printf '%s' "$s" | sed -n 's/.* \([0-9][0-9]*\)$/\1/p')
    [ -n "$n" ] || continue
    if [ $((n % 7)) = "$r" ]; then sed -i "s/^SUMMARY\([^:]*\):.*/SUMMARY\1:edited in the folder $r $n\r/" "$f"
    elif [ $((n % 13)) = $((r + 1)) ]; then rm "$f"; fi
  done
  for n in $(seq $((1000 * r + 500)) $((1000 * r + 504))); do event "$n" "Made in the folder $n" > "$d/cal/new$n.ics"; done
  calendar "$d" edit "$r" || { echo "FAIL editing Google"; exit 1; }
}

# contents DIR SIDE: each event's [title, recurs], sorted
contents() {
  if [ "$2" = left ]; then
    for f in "$1"/cal/*.ics; do
      printf '["%s",%s]\n' "$(summary_of "$f")" "$(grep -q '^RRULE' "$f" && echo true || echo false)"
    done | sort
  else
    curl -s "$(cat "$1/base")/__dump" | node -e '
      const d=JSON.parse(require("fs").readFileSync(0));
      const cal=Object.values(d.calendar.calendars).find(c=>c.primary);
      for (const e of Object.values(cal.events))
        if (!e.deleted&&e.status!=="cancelled"&&!e.recurringEventId)
          console.log(JSON.stringify([e.data.summary||"", !!(e.data.recurrence||[]).length]));' | sort
  fi
}
duplicates() {
  local titles
  titles=$(contents "$1" "$2" | node -e 'require("fs").readFileSync(0,"utf8").split("\n").filter(Boolean).forEach(l=>console.log(JSON.parse(l)[0]))')
  echo $(( $(printf '%s\n' "$titles" | grep -c .) - $(printf '%s\n' "$titles" | grep . | sort -u | wc -l) ))
}
leftovers() { find "$1/cal" -name '.*.tmp-*' -o -name '*.tmp' | sed "s|^$work/||"; }
lost() { :; }

campaign google_events
exit $fail
