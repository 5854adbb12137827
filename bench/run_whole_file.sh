#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A whole calendar file of N events (one .ics, as Google, Outlook and Apple
# export; issue 21) ⇄ the local sqlite store: the first sync, a one-event
# change made in the file (copied to sqlite), and a one-event change made in
# sqlite (written into the file, the rest of it byte for byte). Beside each,
# the floor measured in the same run: libical parsing the same file alone
# (bench_ical_floor), and the ratio. Prints wall time and peak RSS.
# Usage: bench/run_whole_file.sh [N] [BUILD_DIR]   (N defaults to 5000)
set -euo pipefail
n=${1:-5000}
build=${2:-build}
accord="$(cd "$build" && pwd)/bin/accord"
floor_bin="$(cd "$build" && pwd)/bin/bench_ical_floor"
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-whole-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
mkdir cal
python3 - "$n" > cal/all.ics <<'PY'
import sys
n = int(sys.argv[1])
out = ["BEGIN:VCALENDAR", "PRODID:-//Google Inc//Google Calendar 70.9054//EN", "VERSION:2.0", "CALSCALE:GREGORIAN",
       "METHOD:PUBLISH", "X-WR-CALNAME:Bench", "X-WR-TIMEZONE:Europe/Berlin",
       "BEGIN:VTIMEZONE", "TZID:Europe/Berlin", "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200",
       "TZNAME:CEST", "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
       "BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET", "DTSTART:19701025T030000",
       "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD", "END:VTIMEZONE"]
for i in range(n):
    d, h = i % 28 + 1, i % 10 + 8
    out += ["BEGIN:VEVENT", f"DTSTART;TZID=Europe/Berlin:202603{d:02d}T{h:02d}0000",
            f"DTEND;TZID=Europe/Berlin:202603{d:02d}T{h:02d}3000", "DTSTAMP:20260101T120000Z",
            f"UID:bench-{i}@google.com", "CREATED:20251201T100000Z", "LAST-MODIFIED:20251201T100000Z",
            f"SUMMARY:Meeting {i}", f"LOCATION:Room {i % 40}", f"DESCRIPTION:Agenda of meeting {i}\\, see the notes.",
            "SEQUENCE:0", "STATUS:CONFIRMED", "TRANSP:OPAQUE"]
    if i % 10 == 0:
        out += [f"ATTENDEE;CN=Person {i};PARTSTAT=ACCEPTED:mailto:p{i}@example.org",
                "BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:This is an event reminder", "TRIGGER:-P0DT0H10M0S", "END:VALARM"]
    out.append("END:VEVENT")
out.append("END:VCALENDAR")
sys.stdout.write("\r\n".join(out) + "\r\n")
PY
cat > p.json <<'JSON'
{"name": "bench", "state": "state.sqlite",
 "left": {"connector": "local", "config": {"backend": "icalendar", "path": "cal", "batch_size": 1000}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "path": "right.sqlite", "create": true, "batch_size": 1000}},
 "streams": [{"left": "event", "right": "event", "guards": {"max_update_share": 1}}]}
JSON
echo "== $n events in one .ics: $(du -k cal/all.ics | cut -f1) KiB"
floor=$("$floor_bin" cal/all.ics)
floor_s=$(echo "$floor" | awk '{print $(NF - 1)}')
echo "$floor"
sync
timed() {  # timed LABEL: an accord run, its time, peak RSS and ratio to the floor
  /usr/bin/time -v -o t.txt "$accord" run p.json > out.txt 2>&1 || { cat out.txt; exit 1; }
  local s
  s=$(awk -F': ' '/Elapsed/ {n = split($2, a, ":"); print (n == 3 ? a[1] * 3600 + a[2] * 60 + a[3] : a[1] * 60 + a[2])}' t.txt)
  printf '%s: %s s, peak RSS %d MiB (%s x the libical floor of %s s)\n' "$1" "$s" \
    "$(awk -F': ' '/Maximum resident/ {print int($2 / 1024)}' t.txt)" "$(awk -v a="$s" -v b="$floor_s" 'BEGIN {printf "%.1f", a / b}')" "$floor_s"
  grep -E "applied|nothing to do" out.txt | sed 's/^/   /'
}
timed "first sync, file -> sqlite"
cp cal/all.ics before.ics
perl -0pi -e 's/SUMMARY:Meeting '$((n / 2))'\r/SUMMARY:Meeting '$((n / 2))' (moved)\r/' cal/all.ics
timed "one event changed in the file"
third=$((n / 3))
sqlite3 right.sqlite "UPDATE r_event SET data = json_set(data, '\$.title', 'Meeting $third (room change)') WHERE json_extract(data, '\$.uid') = 'bench-$third@google.com'"
cp cal/all.ics before.ics
timed "one event changed in sqlite, written into the file"
changed=$(diff <(tr -d '\r' < before.ics) <(tr -d '\r' < cal/all.ics) | grep -c '^>' || true)
echo "   lines of the file written anew: $changed"
timed "again, nothing changed"
