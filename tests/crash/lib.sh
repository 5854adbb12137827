# SPDX-License-Identifier: Apache-2.0
# The SIGKILL campaign of issue 17, shared by one script per kind of store
# pair (sourced after report.sh; the script has set $accord and $work and
# cd'd into $work). Every round starts from the same stores, syncs them
# (phase 0), edits both sides and syncs (phases 1 and 2: updates, deletes and
# creates each side), and kills `accord run` with SIGKILL at seeded random
# moments of each phase: a delay within the phase's measured duration, or
# ACCORD_FAILPOINT=apply.after_write (the process dies between a batch's
# writes and their commit). After each round: both sides equal an
# uninterrupted run's, nothing twice on either side, journal and quarantine
# empty, no temporary files, the last run exited 0 and one more has nothing
# to do. A killed run's successor that exits other than 0 or by the kill
# fails the round too. It never weakens a check to make a round pass.
#
# A kind's script defines, then calls `campaign NAME`:
#   prepare DIR       the starting stores and DIR/p.json (with a peer of its
#                     own when a side is remote; DIR is new and empty)
#   edit DIR ROUND    the same edits on both sides (ROUND 1 or 2), chosen by
#                     uid / email / Message-ID, never by the run's own ids
#   contents DIR SIDE that side's records without ids or timestamps, sorted
#   duplicates DIR SIDE  how many records are there more than once
#   leftovers DIR     temporary files left behind, one a line
#   lost DIR          fields some records lost (what and how many), one a line
#   release DIR       (optional) stops what prepare started
#
# Knobs: CRASH_KILLS (kills in all, default 50; a long run by hand: 1000),
# CRASH_SEED (replays the plan: which phases, which delays, which
# failpoints), CRASH_KILLS_PER_ROUND (default 12). Each round prints its own
# seed: CRASH_SEED=S CRASH_KILLS=12 replays that round alone; CRASH_KEEP=DIR
# keeps the folders of a failed round there.
crash_kills=${CRASH_KILLS:-50}
crash_per_round=${CRASH_KILLS_PER_ROUND:-12}
crash_seed=${CRASH_SEED:-$(( ($(date +%s%N) / 1000) % 1000000 ))}
crash_phases=3

# seed_sqlite DIR NAME STREAM [MAPPING]: the records DIR/NAME/STREAM/*.json
# (a JSON folder) created in DIR/right.sqlite or DIR/left.sqlite (SIDE) by a
# one-way pipeline of their own (own folder, own state): a store's creates
# made through the product, as an application of its own would make them.
# MAPPING: ', "mapping": [...]' for a custom stream.
seed_sqlite() {
  cat > "$1/$2.json" <<JSON
{"name": "$2", "state": "$2-state.sqlite",
 "left": {"connector": "local", "config": {"backend": "json", "create": true, "path": "$2"}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "path": "$seed_store"}},
 "streams": [{"left": "$3", "right": "$3", "direction": "left-to-right"${4:-}}]}
JSON
  (cd "$1" && "$accord" run "$2.json" > "$2.out" 2>&1) || { echo "FAIL seeding $1/$2"; cat "$1/$2.out"; exit 1; }
}
seed_store=right.sqlite

# run_to_end DIR: an uninterrupted run; its output in DIR/last.out, $rc
run_to_end() {
  (cd "$1" && exec "$accord" run p.json) > "$1/last.out" 2>&1
  rc=$?
  cat "$1/last.out" >> "$1/runs.log"
}
ms_now() { echo $(( $(date +%s%N) / 1000000 )); }
sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }
state_count() { sqlite3 "$1/state.sqlite" "SELECT count(*) FROM $2" 2>/dev/null || echo "?"; }

# kill_once DIR PHASE: one interrupted run, at a moment drawn from $RANDOM;
# sets $killed (1 when the kill landed) and $finished (1 when the run ended
# on its own with 0: the phase has nothing left to do)
kill_once() {
  local dir=$1 phase=$2 moment pid st journal
  killed=0 finished=0
  if (( RANDOM % 5 == 0 )); then
    moment=failpoint
    { (cd "$dir" && ACCORD_FAILPOINT=apply.after_write exec "$accord" run p.json) > "$dir/kill.out" 2>&1; } 2>/dev/null
    st=$?
  else
    local span=$(( 2 * phase_ms[phase] * crash_phases / crash_per_round + 1 ))
    local delay=$(( (RANDOM * 32768 + RANDOM) % span ))
    moment="${delay}ms"
    (cd "$dir" && exec "$accord" run p.json) > "$dir/kill.out" 2>&1 &
    pid=$!
    sleep_ms "$delay"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    st=$?
  fi
  cat "$dir/kill.out" >> "$dir/runs.log"
  journal=$(state_count "$dir" journal)
  case $st in
    137) killed=1; echo "  phase $phase: killed at $moment, journal $journal" >> "$dir/kills.log" ;;
    0) finished=1; echo "  phase $phase: at $moment the run had ended (0)" >> "$dir/kills.log" ;;
    *) echo "  phase $phase: at $moment the run exited $st" >> "$dir/kills.log"
       bad "$round_name: a run after a kill exited $st (phase $phase, moment $moment)" "$(tail -20 "$dir/kill.out")"
       round_fail=1 ;;
  esac
  [ "$killed" = 1 ] && [ "$journal" != 0 ] && [ "$journal" != "?" ] && mid_write=$((mid_write + 1))
  return 0
}

# check_round DIR: the end state against the reference
check_round() {
  local dir=$1 side n left
  if [ "$rc" != 0 ]; then bad "$round_name: the last run exited $rc" "$(tail -20 "$dir/last.out")"; round_fail=1; fi
  run_to_end "$dir"
  if [ "$rc" != 0 ] || ! grep -q "nothing to do" "$dir/last.out"; then
    bad "$round_name: one more run has something to do (exit $rc)" "$(tail -20 "$dir/last.out")"; round_fail=1
  fi
  for side in left right; do
    contents "$dir" $side > "$dir/$side.contents"
    if ! diff "$work/ref/$side.contents" "$dir/$side.contents" > "$dir/$side.diff"; then
      bad "$round_name: the $side side differs from the uninterrupted run (< reference, > this round)" "$(head -12 "$dir/$side.diff")"
      round_fail=1
    fi
    n=$(duplicates "$dir" $side)
    [ "$n" = 0 ] || { bad "$round_name: $n duplicate records on the $side side"; round_fail=1; }
  done
  n=$(state_count "$dir" journal)
  [ "$n" = 0 ] || { bad "$round_name: $n journal entries left" "$(sqlite3 "$dir/state.sqlite" "SELECT pair, side, op, target_id, source_id FROM journal LIMIT 5")"; round_fail=1; }
  n=$(state_count "$dir" quarantine)
  [ "$n" = 0 ] || { bad "$round_name: $n records quarantined" "$(sqlite3 "$dir/state.sqlite" "SELECT side, id, error FROM quarantine LIMIT 5")"; round_fail=1; }
  left=$(lost "$dir")
  [ -z "$left" ] || { bad "$round_name: fields lost" "$left"; round_fail=1; }
  left=$(leftovers "$dir")
  [ -z "$left" ] || { bad "$round_name: temporary files left" "$left"; round_fail=1; }
}

# campaign NAME: the reference, then rounds until CRASH_KILLS kills landed
campaign() {
  local name=$1 phase total=0 rounds=0 attempts=0 t0 round_seed k
  echo "crash campaign $name: seed $crash_seed (replay with CRASH_SEED=$crash_seed), $crash_kills kills, $crash_per_round a round"
  # the reference: the same phases, uninterrupted, timed
  mkdir -p "$work/ref"
  prepare "$work/ref"
  phase_ms=()
  for ((phase = 0; phase < crash_phases; phase++)); do
    [ $phase -gt 0 ] && edit "$work/ref" $phase
    t0=$(ms_now); run_to_end "$work/ref"; phase_ms[phase]=$(( $(ms_now) - t0 ))
    # a product bug too; the rounds go on, to find what else a kill does
    [ "$rc" = 0 ] || bad "$name: the uninterrupted run failed (phase $phase, exit $rc)" "$(tail -20 "$work/ref/last.out")"
  done
  run_to_end "$work/ref"
  grep -q "nothing to do" "$work/ref/last.out" || bad "$name: the uninterrupted run does not settle" "$(tail -20 "$work/ref/last.out")"
  contents "$work/ref" left > "$work/ref/left.contents"
  contents "$work/ref" right > "$work/ref/right.contents"
  echo "uninterrupted: phases of ${phase_ms[*]} ms; left $(wc -l < "$work/ref/left.contents") records, right $(wc -l < "$work/ref/right.contents")"
  for side in left right; do
    n=$(duplicates "$work/ref" $side)
    [ "$n" = 0 ] || bad "$name: the uninterrupted run leaves $n duplicates on the $side side"
  done
  n=$(lost "$work/ref")
  [ -z "$n" ] || bad "$name: the uninterrupted run loses fields" "$n"
  declare -F release > /dev/null && release "$work/ref"
  [ -n "${CRASH_KEEP:-}" ] && rm -rf "$CRASH_KEEP/ref" && cp -r "$work/ref" "$CRASH_KEEP/"

  while [ $total -lt "$crash_kills" ]; do
    rounds=$((rounds + 1))
    round_seed=$(( crash_seed + (rounds - 1) * 7919 ))  # round 1's is the campaign's: a round replays alone
    RANDOM=$round_seed
    round_name="$name round $rounds (CRASH_SEED=$round_seed CRASH_KILLS=$crash_per_round)"
    local dir="$work/round$rounds" round_kills=0
    round_fail=0 mid_write=0
    mkdir -p "$dir"
    prepare "$dir"
    echo "round $rounds: seed $round_seed" > "$dir/kills.log"
    for ((phase = 0; phase < crash_phases; phase++)); do
      [ $phase -gt 0 ] && edit "$dir" $phase
      k=$(( crash_per_round / crash_phases + (phase < crash_per_round % crash_phases ? 1 : 0) ))
      for ((i = 0; i < k; i++)); do
        kill_once "$dir" $phase
        attempts=$((attempts + 1))
        round_kills=$((round_kills + killed))
        [ "$finished" = 1 ] && break
      done
      run_to_end "$dir"
      if [ "$rc" != 0 ]; then
        bad "$round_name: the run after the kills of phase $phase exited $rc" "$(tail -20 "$dir/last.out")"; round_fail=1
      fi
    done
    check_round "$dir"
    total=$((total + round_kills))
    if [ "$round_fail" = 0 ]; then
      echo "ok   round $rounds (seed $round_seed): $round_kills kills, $mid_write of them with writes in the journal"
    else
      echo "     the round's kills:"; cat "$dir/kills.log"
      [ -n "${CRASH_KEEP:-}" ] && cp -r "$dir" "$CRASH_KEEP/" && echo "     kept in $CRASH_KEEP/$(basename "$dir")"
    fi
    declare -F release > /dev/null && release "$dir"
    # a round's stores are not needed again (and remote peers' folders are big)
    [ "$round_fail" = 0 ] && rm -rf "$dir"
  done
  echo "killed $total runs with SIGKILL in $rounds rounds ($attempts attempts)"
  [ $total -ge "$crash_kills" ] && [ "$fail" = 0 ] && ok "$name: $rounds rounds, $total kills, every end state equals the uninterrupted run's"
}
