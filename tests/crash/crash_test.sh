#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Kills `accord run` with SIGKILL at random (seeded) moments over a sync of
# 10,000 records, resumes each time, and checks that the end state equals an
# uninterrupted run's: every record once on each side, nothing lost, and the
# journal empty.
#
# Usage: crash_test.sh ACCORD BENCH_FOUNDATION [KILLS_PER_PHASE] (seed: CRASH_SEED)
set -euo pipefail
accord=$1 bench=$2 kills=${3:-10}
seed=${CRASH_SEED:-$(date +%s)}
RANDOM=$seed
echo "crash test: seed $seed (replay with CRASH_SEED=$seed), $kills kills per phase"
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-crash.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Left: 10,000 contacts; right: empty. No match keys: only the journal and
# idempotent creates stand between a killed run and duplicates.
mkdir -p "$work/init"
"$bench" populate "$work/init/left.sqlite" 10000 > /dev/null
cat > "$work/init/p.json" <<'JSON'
{"name": "crash", "state": "state.sqlite",
 "left": {"connector": "local", "config": {"backend": "sqlite", "path": "left.sqlite"}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "path": "right.sqlite"}},
 "streams": [{"left": "contact", "right": "contact", "conflict": {"policy": "left-wins"},
              "guards": {"max_delete_share": 1, "max_update_share": 1}}]}
JSON

# The same edits on both copies, by uid (record ids differ between runs).
# uids are urn:uuid:bench-N: N starts at character 16.
# 1,000 names edited on the left, 1,000 phones and 100 names (conflicting with
# the left's, left wins) on the right, 300 records deleted on the right (a
# tombstone, as the store's trigger makes of an outside edit).
edit() {
  local n="CAST(substr(json_extract(data, '\$.uid'), 16) AS INTEGER)"
  sqlite3 "$1/left.sqlite" "UPDATE r_contact SET data = json_set(data, '\$.name.full', 'Edited left ' || $n)
                            WHERE deleted = 0 AND $n % 10 = 1"
  sqlite3 "$1/right.sqlite" "UPDATE r_contact SET data = json_set(data, '\$.phones.p1.number', '+1 555 0000')
                             WHERE deleted = 0 AND $n % 10 = 2"
  sqlite3 "$1/right.sqlite" "UPDATE r_contact SET data = json_set(data, '\$.name.full', 'Edited right')
                             WHERE deleted = 0 AND $n % 100 = 1"
  sqlite3 "$1/right.sqlite" "UPDATE r_contact SET deleted = 1, data = NULL WHERE deleted = 0 AND $n % 100 = 5"
}

contents() {  # the records of one side, without ids, sorted
  sqlite3 "$1" "SELECT data FROM r_contact WHERE deleted = 0 ORDER BY json_extract(data, '\$.uid')"
}

run_to_end() { (cd "$1" && "$accord" run p.json > /dev/null); }

# Reference: uninterrupted.
cp -r "$work/init" "$work/ref"
t0=$(date +%s%N); run_to_end "$work/ref"; t1=$(date +%s%N)
edit "$work/ref"
t2=$(date +%s%N); run_to_end "$work/ref"; t3=$(date +%s%N)
phase_ms=( $(( (t1 - t0) / 1000000 )) $(( (t3 - t2) / 1000000 )) )
echo "uninterrupted: first sync ${phase_ms[0]} ms, after edits ${phase_ms[1]} ms"

# Crashing: kill at random moments within each phase's duration, resume.
cp -r "$work/init" "$work/crash"
total=0
for phase in 0 1; do
  [ "$phase" = 1 ] && edit "$work/crash"
  for ((k = 0; k < kills; k++)); do
    # a resumed run has less left to do: spread the kills over the phase
    delay_ms=$(( RANDOM % (2 * phase_ms[phase] / kills + 1) ))
    (cd "$work/crash" && exec "$accord" run p.json > /dev/null 2>&1) &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    if kill -9 "$pid" 2>/dev/null; then total=$((total + 1)); fi
    wait "$pid" 2>/dev/null || true
  done
  run_to_end "$work/crash"
done
echo "killed $total runs with SIGKILL"

fail=0
for side in left right; do
  if ! diff <(contents "$work/ref/$side.sqlite") <(contents "$work/crash/$side.sqlite") > "$work/diff-$side"; then
    echo "FAIL the $side side differs from the uninterrupted run:"; head -5 "$work/diff-$side"; fail=1
  fi
  dups=$(sqlite3 "$work/crash/$side.sqlite" "SELECT count(*) - count(DISTINCT json_extract(data, '\$.uid')) FROM r_contact WHERE deleted = 0")
  n=$(sqlite3 "$work/crash/$side.sqlite" "SELECT count(*) FROM r_contact WHERE deleted = 0")
  [ "$dups" = 0 ] || { echo "FAIL $dups duplicate records on the $side side"; fail=1; }
  [ "$n" = 9900 ] || { echo "FAIL the $side side holds $n records, not 9900"; fail=1; }
done
journal=$(sqlite3 "$work/crash/state.sqlite" "SELECT count(*) FROM journal")
[ "$journal" = 0 ] || { echo "FAIL $journal journal entries left"; fail=1; }
[ "$total" -ge $((kills * 2 * 3 / 4)) ] || { echo "FAIL only $total of $((kills * 2)) runs were still running when killed"; fail=1; }
[ "$fail" = 0 ] && echo "ok: both sides equal the uninterrupted run, 9900 records each, no duplicates, journal empty"
exit $fail
