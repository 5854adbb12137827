#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The SIGKILL campaign (lib.sh) over a whole calendar file ⇄ the local sqlite
# store (issue 21 item 4): one .ics of 60 events (a VTIMEZONE, calendar
# lines, a series with a moved instance kept at the end of the file, as
# Outlook exports it) on the left, its events copied to sqlite, then edits on
# both sides: the right's updates and deletes are written into the whole
# file member by member, its creates go to files of their own; the left's
# are edits of the whole file. Besides lib.sh's seeded random kills, one
# round kills the run at each failpoint of the whole-file write path:
#   local.member.before_write   the member's new file text made, nothing written
#   atomic_write.before_rename  the whole temporary file there, the file untouched
#   local.member.after_write    the file replaced, the index not told
#   local.create.after_write    a created event's file there, the index not told
#   apply.after_write           the host: a batch written, not committed
# After each round: every event once on each side, both sides equal to the
# uninterrupted run's, the calendar's own lines and zone still in the file,
# no temporary file, nothing to do on one more run.
#
# Usage: whole_file.sh ACCORD   (CRASH_KILLS, CRASH_SEED: lib.sh)
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../report.sh"  # ok, bad, runp (before any cd)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
accord=$(realpath "$1")
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-crash-whole.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN= ACCORD_SECRETS=

# vevent N TITLE: a VEVENT of uid e-N, at N hours into March 2026, Berlin time
vevent() {
  printf 'BEGIN:VEVENT\r\nUID:e-%s\r\nDTSTAMP:20260101T120000Z\r\nDTSTART;TZID=Europe/Berlin:202603%02dT%02d0000\r\nDTEND;TZID=Europe/Berlin:202603%02dT%02d3000\r\nSUMMARY:%s\r\nLOCATION:Room %s\r\nX-MS-OLK-CONFTYPE:0\r\nEND:VEVENT\r\n' \
    "$1" $(( $1 % 28 + 1 )) $(( $1 % 12 + 8 )) $(( $1 % 28 + 1 )) $(( $1 % 12 + 8 )) "$2" "$1"
}
mkdir -p init/cal
{
  printf 'BEGIN:VCALENDAR\r\nPRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r\nVERSION:2.0\r\nMETHOD:PUBLISH\r\nX-WR-CALNAME:Work\r\nX-MS-OLK-FORCEINSPECTOROPEN:TRUE\r\n'
  printf 'BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:16011028T030000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:16010325T020000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n'
  printf 'BEGIN:VEVENT\r\nUID:series-1\r\nDTSTAMP:20260101T120000Z\r\nDTSTART;TZID=Europe/Berlin:20260302T090000\r\nDTEND;TZID=Europe/Berlin:20260302T093000\r\nRRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10\r\nSUMMARY:Standup\r\nEND:VEVENT\r\n'
  for i in $(seq 1 60); do vevent "$i" "Event $i"; done
  printf 'BEGIN:VEVENT\r\nUID:series-1\r\nDTSTAMP:20260101T120000Z\r\nRECURRENCE-ID;TZID=Europe/Berlin:20260309T090000\r\nDTSTART;TZID=Europe/Berlin:20260309T110000\r\nDTEND;TZID=Europe/Berlin:20260309T113000\r\nSUMMARY:Standup (moved)\r\nEND:VEVENT\r\n'
  printf 'END:VCALENDAR\r\n'
} > init/cal/cal.ics
cat > init/p.json <<JSON
{"name": "crash", "state": "state.sqlite",
 "left": {"connector": "local", "config": {"backend": "icalendar", "path": "cal"}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "path": "right.sqlite", "create": true}},
 "streams": [{"name": "events", "left": "event", "right": "event",
              "conflict": {"policy": "left-wins"}, "guards": {"max_delete_share": 1, "max_update_share": 1, "max_create_share": 100}}]}
JSON

prepare() { cp -r "$work/init/." "$1/"; }

# edit DIR ROUND: the left's whole file edited (titles, a removed event, new
# events in it); on the right titles and locations changed (some of the same
# events: conflicts, left wins), deletes, and 5 creates
edit() {
  local d=$1 r=$2 n
  perl -0pi -e 'my $r = '"$r"';
    s/^SUMMARY:Event (\d+)\r$/"SUMMARY:" . ($1 % 8 == $r ? "Left $r $1" : "Event $1") . "\r"/gme;
    s/BEGIN:VEVENT\r\nUID:e-(\d+)\r\n.*?END:VEVENT\r\n/($1 % 17 == $r + 3) ? "" : $&/gse;' "$d/cal/cal.ics"
  for ((n = 100 * r; n < 100 * r + 4; n++)); do
    perl -0pi -e 's/END:VCALENDAR\r\n$//' "$d/cal/cal.ics"
    { vevent "$n" "New left $n"; printf 'END:VCALENDAR\r\n'; } >> "$d/cal/cal.ics"
  done
  sqlite3 "$d/right.sqlite" "UPDATE r_event SET data = json_set(data, '\$.title', 'Right $r ' || json_extract(data, '\$.uid'))
                               WHERE deleted = 0 AND (abs(CAST(substr(json_extract(data, '\$.uid'), 3) AS INTEGER)) % 6 = $r);
                             UPDATE r_event SET data = json_set(data, '\$.locations', json('{\"l1\": {\"name\": \"Hall $r\"}}'))
                               WHERE deleted = 0 AND json_extract(data, '\$.uid') = 'series-1';
                             UPDATE r_event SET deleted = 1, data = NULL WHERE deleted = 0
                               AND (abs(CAST(substr(json_extract(data, '\$.uid'), 3) AS INTEGER)) % 13 = $r + 1)"
  mkdir -p "$d/seed$r/event"
  for ((n = 100 * r + 50; n < 100 * r + 55; n++)); do
    printf '{"@type": "Event", "uid": "r-%s", "title": "Right new %s", "start": "2026-04-%02dT10:00:00", "timeZone": "Europe/Berlin", "duration": "PT1H"}\n' \
      "$n" "$n" $(( n % 28 + 1 )) > "$d/seed$r/event/r$n.json"
  done
  seed_sqlite "$d" "seed$r" event
}

# one line an event (master or instance), without what names the run
contents() {
  if [ "$2" = left ]; then
    cat "$1"/cal/*.ics | tr -d '\r' | awk '/^BEGIN:VEVENT/ { e = ""; inside = 1; next }
      /^END:VEVENT/ { print e; inside = 0; next }
      inside && /^(UID|SUMMARY|DTSTART|RECURRENCE-ID|LOCATION|RRULE)[;:]/ { e = e (e == "" ? "" : "|") $0 }' | sort
  else
    sqlite3 "$1/right.sqlite" "SELECT json_extract(data, '\$.uid'), json_extract(data, '\$.title'), json_extract(data, '\$.start'),
                               json_extract(data, '\$.locations'), json_extract(data, '\$.recurrenceOverrides')
                               FROM r_event WHERE deleted = 0" | sort
  fi
}
duplicates() {
  if [ "$2" = left ]; then  # a master UID twice in the folder
    cat "$1"/cal/*.ics | tr -d '\r' | awk '/^BEGIN:VEVENT/ { uid = ""; rid = 0 } /^UID:/ { uid = $0 }
      /^RECURRENCE-ID/ { rid = 1 } /^END:VEVENT/ && !rid { print uid }' | sort | uniq -d | wc -l
  else
    sqlite3 "$1/right.sqlite" "SELECT count(*) - count(DISTINCT json_extract(data, '\$.uid')) FROM r_event WHERE deleted = 0"
  fi
}
leftovers() { find "$1/cal" -name '.*.tmp-*' | sed "s|^$work/||"; }
# the whole file keeps its own lines, its zone and the moved instance
lost() {
  local f=$1/cal/cal.ics line
  for line in 'PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN' 'METHOD:PUBLISH' 'X-WR-CALNAME:Work' \
              'X-MS-OLK-FORCEINSPECTOROPEN:TRUE' 'TZID:Europe/Berlin' 'SUMMARY:Standup (moved)'; do
    tr -d '\r' < "$f" | grep -qxF "$line" || echo "left: cal.ics lost $line"
  done
  local n
  n=$(sqlite3 "$1/right.sqlite" "SELECT count(*) FROM r_event WHERE deleted = 0 AND (json_extract(data, '\$.title') IS NULL OR json_extract(data, '\$.start') IS NULL)")
  [ "$n" = 0 ] || echo "right: $n events without title or start"
}

campaign whole_file

# One round a failpoint of the whole-file write path: each phase's run is
# killed there (where a write of that kind happens), then runs to its end.
for fp in local.member.before_write atomic_write.before_rename local.member.after_write local.create.after_write apply.after_write; do
  round_name="whole_file failpoint $fp" round_fail=0
  dir="$work/fp-$fp" hits=0
  mkdir -p "$dir"; prepare "$dir"
  for ((phase = 0; phase < crash_phases; phase++)); do
    [ $phase -gt 0 ] && edit "$dir" $phase
    { (cd "$dir" && ACCORD_FAILPOINT=$fp exec "$accord" run p.json) > "$dir/kill.out" 2>&1; } 2>/dev/null
    st=$?
    cat "$dir/kill.out" >> "$dir/runs.log"
    case $st in
      137) hits=$((hits + 1)) ;;
      0) ;;
      *) bad "$round_name: the run exited $st (phase $phase)" "$(tail -20 "$dir/kill.out")"; round_fail=1 ;;
    esac
    run_to_end "$dir"
    [ "$rc" = 0 ] || { bad "$round_name: the run after the kill exited $rc (phase $phase)" "$(tail -20 "$dir/last.out")"; round_fail=1; }
  done
  [ "$hits" -gt 0 ] || { bad "$round_name: no run reached the failpoint"; round_fail=1; }
  check_round "$dir"
  [ "$round_fail" = 0 ] && ok "$round_name: killed there in $hits of $crash_phases phases; every event once, both sides as the uninterrupted run's"
  [ "$round_fail" != 0 ] && [ -n "${CRASH_KEEP:-}" ] && cp -r "$dir" "$CRASH_KEEP/"
done
exit $fail
