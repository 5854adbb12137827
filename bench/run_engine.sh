#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Engine benchmark: local sqlite on both sides, N contacts each, N matching
# pairs (the same people, matched by email). Prints:
#   - the first sync (match and link everything): wall time and peak RSS;
#   - a second run with nothing changed: wall time;
#   - a run after 1% changed on each side, and the run after it with
#     nothing changed again;
#   - the peak RSS of every run (GNU time's maximum resident set size);
#   - the floor under the first sync, measured here and now: SQLite alone
#     writing the same state (bench/sqlite_floor.sh), and the first sync's
#     time as a multiple of it;
#   - the floor under the 1% run, the same way: SQLite alone writing what
#     that run must write, on a copy of the state it started from, for the
#     records that changed (bench/sqlite_floor_incremental.sh), and the 1%
#     run's time as a multiple of it.
#   This machine's speed varies from hour to hour (a shared VM); the ratios
#   are what compare across runs.
# Usage: [ROUNDS=k] [AGAINST=BUILD_DIR2] bench/run_engine.sh [N] [BUILD_DIR]
#   (N defaults to 1000000). ROUNDS=k runs the first sync k times, each on a
#   fresh state and each followed at once by its floor, and prints every
#   round's ratio: this disk's speed moves by half within minutes, so one
#   first sync against a floor measured minutes later says little.
#   AGAINST=BUILD_DIR2 also runs that build's first sync in each round, on its
#   own state and the same stores, the two builds' order swapped every round,
#   so that two builds compare in the same minutes (and prints their phases).
set -euo pipefail
n=${1:-1000000}
build=${2:-build}
here=$(cd "$(dirname "$0")" && pwd)
accord="$(cd "$build" && pwd)/bin/accord"
bench="$(cd "$build" && pwd)/bin/bench_foundation"
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-engine-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); N = $n"
"$bench" populate left.sqlite "$n"
"$bench" populate right.sqlite "$n"
cat > p.json <<'JSON'
{"name": "bench", "state": "state.sqlite",
 "left": {"connector": "local", "config": {"backend": "sqlite", "path": "left.sqlite", "batch_size": 5000}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "path": "right.sqlite", "batch_size": 5000}},
 "streams": [{"left": "contact", "right": "contact", "match": [{"left": "/emails/*/address", "normalise": "email"}],
              "guards": {"max_update_share": 1}}]}
JSON
# ratio LABEL SECONDS FLOOR: the run against its floor; a floor the timer
# cannot see (under its millisecond, a small smoke run) is said, not divided by
ratio() {
  awk -v what="$1" -v a="$2" -v f="$3" 'BEGIN {
    if (f > 0) printf "%s: %.2f x (%.2f s / %.3f s)\n", what, a / f, a, f
    else printf "%s: not measurable (%.2f s against a floor under the timer'"'"'s millisecond)\n", what, a }'
}
timed() {  # timed LABEL: runs accord run, prints wall time and peak RSS
  local label=$1
  if ! ACCORD_TRACE=1 /usr/bin/time -f "%e %M" -o t.txt "${run_accord:-$accord}" run "${run_pipeline:-p.json}" > out.txt 2> trace.txt; then
    cat out.txt trace.txt >&2
    exit 1
  fi
  read -r secs kib < t.txt
  last_secs=$secs
  last_mib=$((kib / 1024))
  printf '%s: %.2f s, peak RSS %d MiB (%s)\n' "$label" "$secs" $((kib / 1024)) "$(grep -E 'linked|nothing to do|applied' out.txt | tr -s ' ' | paste -sd ';' -)"
}
phases() {  # the last run's phases, as ACCORD_TRACE tells them (time since its start)
  grep -E '^\[ *[0-9.]+ s\]' trace.txt | sed 's/^/    /' || true
}
floor_of() {  # floor_of TEXT: the total seconds of a floor script's line
  sed -n 's/.*total \([0-9.]*\) s.*/\1/p' <<< "$1"
}
# target LABEL VALUE LIMIT UNIT: a figure beside the issue's target for it
target() {
  awk -v what="$1" -v v="$2" -v l="$3" -v u="$4" 'BEGIN {
    printf "  %s: %s %s (target <= %s %s: %s)\n", what, v, u, l, u, (v + 0 <= l + 0 ? "met" : "not met") }'
}
# the stores just written (about 0.9 GB at a million) reach the disk first,
# so that their writeback does not run during the first sync
sync
rounds=${ROUNDS:-1}
against=${AGAINST:-}
if [ -n "$against" ]; then
  against_accord="$(cd "$against" && pwd)/bin/accord"
  sed 's/"state.sqlite"/"state-against.sqlite"/' p.json > p-against.json
fi
round_floor=
for ((round = 1; round <= rounds; round++)); do
  if ((rounds > 1)) || [ -n "$against" ]; then
    echo "-- round $round of $rounds"
    rm -f state.sqlite state.sqlite-wal state.sqlite-shm state.sqlite-journal
  fi
  # the other build first in odd rounds, second in even ones
  for who in $( ((round % 2)) && echo "against ours" || echo "ours against"); do
    if [ "$who" = against ]; then
      [ -n "$against" ] || continue
      rm -f state-against.sqlite state-against.sqlite-wal state-against.sqlite-shm state-against.sqlite-journal
      run_accord=$against_accord run_pipeline=p-against.json timed "first sync, $n matching pairs, AGAINST $against"
      against_secs=$last_secs
      phases
      rm -f state-against.sqlite state-against.sqlite-wal state-against.sqlite-shm state-against.sqlite-journal
    else
      timed "first sync, $n matching pairs"
      first_secs=$last_secs
      first_mib=$last_mib
      if ((rounds > 1)) || [ -n "$against" ]; then phases; fi
    fi
  done
  if ((rounds > 1)) || [ -n "$against" ]; then
    floor=$(bash "$here/sqlite_floor.sh" "$n")
    echo "$floor"
    round_floor=$(floor_of "$floor")
    ratio "round $round: first sync / SQLite floor" "$first_secs" "$round_floor"
    if [ -n "$against" ]; then
      ratio "round $round: AGAINST's first sync / SQLite floor" "$against_secs" "$round_floor"
    fi
  fi
done
timed "second run, nothing changed"
k=$((n / 100))
# (the ids changed on each side, and the state before the run, for its floor)
change() {  # change STORE PATH VALUE IDS_FILE: k records' field set to VALUE
  sqlite3 "$1" "CREATE TEMP TABLE pick AS SELECT id FROM r_contact ORDER BY random() LIMIT $k;
    UPDATE r_contact SET data = json_set(data, '$2', '$3') WHERE id IN (SELECT id FROM pick);
    SELECT id FROM pick;" > "$4"
}
change left.sqlite '$.name.full' 'Changed on the left' left_changed.txt
change right.sqlite '$.phones.p1.number' '+1 555 9999' right_changed.txt
cp state.sqlite state-before-1pct.sqlite
for f in state.sqlite-wal state.sqlite-shm; do [ -e "$f" ] && cp "$f" "state-before-1pct.${f#state.}"; done
timed "after 1% changed on each side ($k + $k records)"
pct_secs=$last_secs
pct_mib=$last_mib
phases
timed "again, nothing changed"
again_secs=$last_secs
if [ -n "$round_floor" ]; then
  floor_total=$round_floor  # the last round's, measured right after its first sync
else
  floor=$(bash "$here/sqlite_floor.sh" "$n")
  echo "$floor"
  floor_total=$(floor_of "$floor")
fi
first_floor=$floor_total
ratio "first sync / SQLite floor" "$first_secs" "$floor_total"
floor=$(bash "$here/sqlite_floor_incremental.sh" state-before-1pct.sqlite left_changed.txt right_changed.txt)
echo "$floor"
floor_total=$(floor_of "$floor")
ratio "1% run / its SQLite floor" "$pct_secs" "$floor_total"
pct_floor=$floor_total
# the issue's targets (#24), stated for a million pairs; at another N they
# are for direction only
echo "targets (issue 24, for N = 1000000; here N = $n):"
target "first sync peak RSS" "$first_mib" 512 MiB
target "1% run peak RSS (under 1000000 changes)" "$pct_mib" 128 MiB
target "1% run" "$pct_secs" 3 s
target "again, nothing changed" "$again_secs" 0.1 s
if [ -n "$first_floor" ] && awk -v f="$first_floor" 'BEGIN { exit !(f > 0) }'; then
  target "first sync / its floor" "$(awk -v a="$first_secs" -v f="$first_floor" 'BEGIN { printf "%.2f", a / f }')" 1.2 x
fi
# the 1% run's target restated against its floor (proposed in issue 24: its
# 3 s is under the floor's own 3.1-3.2 s at a million on a quiet machine)
if [ -n "$pct_floor" ] && awk -v f="$pct_floor" 'BEGIN { exit !(f > 0) }'; then
  target "1% run / its floor (proposed)" "$(awk -v a="$pct_secs" -v f="$pct_floor" 'BEGIN { printf "%.2f", a / f }')" 1.5 x
fi
