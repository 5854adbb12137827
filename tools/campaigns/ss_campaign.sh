#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Crash campaign, local sqlite store <-> local sqlite store (README.md).
# N contacts a side (half of them matching by email), batches of B records (so
# the spill and many apply calls are used), three phases: 0 the first sync,
# 1 edits on both sides (updates, same-field conflicts, deletes, creates),
# 2 more of them. Each phase of each round is interrupted K times at random
# moments, then run to the end:
#   -m kill   SIGKILL
#   -m power  a power loss: the run is stopped (SIGSTOP), killed, and every
#             SQLite file is put back to its content at its last fsync/
#             fdatasync of that run (fsyncsnap.so, LD_PRELOAD), -shm files
#             removed. Phase 0 is killed plainly unless -P.
#   -m none   only the uninterrupted reference
# Each round's end state is compared with the reference's: each side's live
# records (data), no duplicate by email, journal and quarantine empty, and one
# more run has nothing to do. Each phase's writes are in the history of its
# runs (the interrupted ones' too) exactly as the reference's one run has them
# (side, op, count), and every record_data row's refs equal the references to it.
# Usage: ss_campaign.sh [-b BUILD] [-m kill|power|none] [-n N] [-B BATCH] [-k KILLS]
#                       [-r ROUNDS] [-s SEED] [-P] [-K]
set -u
campaign=ss_campaign
. "$(dirname "$0")/common.sh"
MODE=kill N=4000 B=500 K=4 rounds=2 SEED=$((RANDOM * 32768 + RANDOM)) power0=""
while getopts "b:m:n:B:k:r:s:PKh" o; do
  case $o in
    b) build=$OPTARG ;; m) MODE=$OPTARG ;; n) N=$OPTARG ;; B) B=$OPTARG ;; k) K=$OPTARG ;;
    r) rounds=$OPTARG ;; s) SEED=$OPTARG ;; P) power0=1 ;; K) keep=1 ;;
    *) sed -n '3,23p' "$0"; exit 2 ;;
  esac
done
case $MODE in kill | power | none) ;; *) echo "-m kill, power or none"; exit 2 ;; esac
campaign_build "$build"
command -v sqlite3 > /dev/null || { echo "no sqlite3 shell: scripts/install-deps.sh installs it"; exit 2; }
campaign_work
[ "$MODE" = power ] && build_fsyncsnap
RANDOM=$SEED
echo "ss_campaign -m $MODE -n $N -B $B -k $K -r $rounds -s $SEED${power0:+ -P} ($accord, work $work)"

# records: JSON folder files, seeded into a sqlite store by a one-way pipeline
gen() {  # gen DIR FROM TO TAG
  python3 - "$@" <<'PY'
import json, os, sys
d, a, b, tag = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
os.makedirs(d + "/contact", exist_ok=True)
for i in range(a, b):
    rec = {"@type": "Card", "uid": "urn:uuid:%s-%d" % (tag, i),
           "name": {"full": "Person %d" % i, "components": [{"kind": "given", "value": "Person"}, {"kind": "surname", "value": str(i)}]},
           "emails": {"e1": {"address": "p%d@example.org" % i}},
           "phones": {"p1": {"number": "+1 555 %07d" % i}},
           "notes": {"n1": {"note": "seeded %s %d" % (tag, i)}}}
    with open("%s/contact/%s%d.json" % (d, tag, i), "w") as f:
        json.dump(rec, f)
PY
}
seed() {  # seed DIR NAME STORE : DIR/NAME (a JSON folder) created in DIR/STORE
  cat > "$1/$2.json" <<JSON
{"name": "$2", "state": "$2-state.sqlite",
 "left": {"connector": "local", "config": {"backend": "json", "create": true, "path": "$2"}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "path": "$3"}},
 "streams": [{"left": "contact", "right": "contact", "direction": "left-to-right",
   "guards": {"max_create_share": 1000}}]}
JSON
  (cd "$1" && "$accord" run "$2.json" > "$2.out" 2>&1) || { bad "seeding $1/$2 failed: $(tail -5 "$1/$2.out")"; exit 1; }
  rm -rf "${1:?}/$2" "$1/$2-state.sqlite"*
}

mkdir -p init
gen init/sl 0 "$N" L; seed init sl left.sqlite
gen init/sr $((N / 2)) $((N + N / 2)) R; seed init sr right.sqlite
cat > init/p.json <<JSON
{"name": "ss", "state": "state.sqlite",
 "left": {"connector": "local", "config": {"backend": "sqlite", "path": "left.sqlite", "batch_size": $B}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "path": "right.sqlite", "batch_size": $B}},
 "streams": [{"left": "contact", "right": "contact", "match": [{"left": "/emails/*/address", "normalise": "email"}],
   "conflict": {"policy": "left-wins"},
   "guards": {"max_update_share": 1, "max_delete_share": 1, "max_create_share": 1000}}]}
JSON

num="CAST(substr(json_extract(data, '\$.emails.e1.address'), 2, instr(json_extract(data, '\$.emails.e1.address'), '@') - 2) AS INTEGER)"
edit() {  # edit DIR PHASE: the same edits in every round, chosen by the email's number
  local d=$1 r=$2
  sqlite3 "$d/left.sqlite" "UPDATE r_contact SET data = json_set(data, '\$.name.full', 'Left edit $r') WHERE deleted = 0 AND $num % 7 = $r;
    UPDATE r_contact SET data = json_set(data, '\$.notes.n1.note', 'left note $r') WHERE deleted = 0 AND $num % 11 = $r;
    UPDATE r_contact SET deleted = 1, data = NULL WHERE deleted = 0 AND $num % 29 = $r;"
  sqlite3 "$d/right.sqlite" "UPDATE r_contact SET data = json_set(data, '\$.phones.p1.number', '+1 999 $r') WHERE deleted = 0 AND $num % 5 = $r;
    UPDATE r_contact SET data = json_set(data, '\$.notes.n1.note', 'right note $r') WHERE deleted = 0 AND $num % 11 = $r;
    UPDATE r_contact SET data = json_set(data, '\$.titles', json('{\"t1\": {\"name\": \"Title $r\"}}')) WHERE deleted = 0 AND $num % 13 = $r;
    UPDATE r_contact SET deleted = 1, data = NULL WHERE deleted = 0 AND $num % 31 = $r;"
  gen "$d/nl$r" $((100000 * r)) $((100000 * r + N / 20)) "NL$r"; seed "$d" "nl$r" left.sqlite
  gen "$d/nr$r" $((100000 * r + 50000)) $((100000 * r + 50000 + N / 20)) "NR$r"; seed "$d" "nr$r" right.sqlite
}
contents() { sqlite3 "$1/$2.sqlite" "SELECT data FROM r_contact WHERE deleted = 0" | sort; }
dups() { sqlite3 "$1/$2.sqlite" "SELECT count(*) - count(DISTINCT json_extract(data, '\$.emails.e1.address')) FROM r_contact WHERE deleted = 0"; }
run_end() { (cd "$1" && "$accord" run p.json) > "$1/last.out" 2>&1; rc=$?; cat "$1/last.out" >> "$1/runs.log"; }

# the reference: each phase run once, uninterrupted (its time bounds the kill moments)
mkdir ref; cp -r init/. ref/
declare -a ms
for phase in 0 1 2; do
  [ $phase -gt 0 ] && edit ref $phase
  h0=$(runs_so_far ref/state.sqlite)
  t0=$(date +%s%N); run_end ref; ms[phase]=$(( ($(date +%s%N) - t0) / 1000000 ))
  history_since ref/state.sqlite "$h0" > ref/history.$phase
  [ $rc = 0 ] || bad "reference phase $phase exit $rc: $(tail -5 ref/last.out)"
done
run_end ref; grep -q "nothing to do" ref/last.out || bad "the reference does not settle: $(tail -5 ref/last.out)"
contents ref left > ref/left.c; contents ref right > ref/right.c
echo "reference: phases ${ms[*]} ms; left $(wc -l < ref/left.c), right $(wc -l < ref/right.c) records; duplicates $(dups ref left)/$(dups ref right)"
# the two sides hold the same records (members compared in any order: a store keeps its own order)
canon() { python3 -c 'import json, sys; print("\n".join(sorted(json.dumps(json.loads(l), sort_keys=True) for l in open(sys.argv[1]))))' "$1"; }
cmp -s <(canon ref/left.c) <(canon ref/right.c) || bad "the two sides differ in the reference: $(diff <(canon ref/left.c) <(canon ref/right.c) | grep -c '^<') records"
[ "$MODE" = none ] && { campaign_done; exit; }

stores="state left right"
syncs_seen=0 powered=0
killed_once() {  # killed_once DIR PHASE
  local d=$1 phase=$2 delay st snap f s n
  rand_within "${ms[phase]}"; delay=$rnd
  if [ "$MODE" = power ] && { [ "$phase" -gt 0 ] || [ -n "$power0" ]; }; then
    snap="$d/snap"; rm -rf "$snap"; mkdir -p "$snap"
    local files=""
    for s in $stores; do files+=" $s.sqlite $s.sqlite-wal $s.sqlite-journal"; done
    for f in $files; do [ -e "$d/$f" ] && cp "$d/$f" "$snap/$f"; done
    (cd "$d" && SNAP_WATCH="$(realpath "$d")/" SNAP_OUT="$(realpath "$snap")" LD_PRELOAD="$fsyncsnap" exec "$accord" run p.json) > "$d/kill.out" 2>&1 &
    running=$!
    msleep "$delay"
    kill -STOP $running 2>/dev/null
    sleep 0.05
    kill -9 $running 2>/dev/null; wait $running 2>/dev/null; st=$?; running=""
    # ext4-like: a file gone at the stop stays gone (its unlink is durable once
    # any later fsync commits the file system's journal); a file there gets its
    # content at its last sync, else its content before the run (else none)
    for f in $files; do
      if [ -e "$d/$f" ]; then rm -f "$d/$f"; [ -e "$snap/$f" ] && cp "$snap/$f" "$d/$f"; fi
    done
    rm -f "$d"/*.sqlite-shm
    n=$( (cat "$snap/.log" 2>/dev/null || true) | wc -l)
    syncs_seen=$((syncs_seen + n)) powered=$((powered + 1))
    echo "phase $phase: power loss at ${delay}ms (exit $st), $n syncs before it" >> "$d/kills.log"
    rm -rf "$snap"
  else
    (cd "$d" && exec "$accord" run p.json) > "$d/kill.out" 2>&1 &
    running=$!
    msleep "$delay"
    kill -9 $running 2>/dev/null; wait $running 2>/dev/null; st=$?; running=""
    echo "phase $phase: killed at ${delay}ms (exit $st)" >> "$d/kills.log"
  fi
  cat "$d/kill.out" >> "$d/runs.log"
  if [ $st != 137 ] && [ $st != 0 ]; then bad "round $round phase $phase: a run exited $st: $(tail -3 "$d/kill.out")"; fi
}

for ((round = 1; round <= rounds; round++)); do
  d="$work/r$round"; mkdir -p "$d"; cp -r init/. "$d/"
  before=$fails
  for phase in 0 1 2; do
    [ $phase -gt 0 ] && edit "$d" $phase
    h0=$(runs_so_far "$d/state.sqlite")
    for ((k = 0; k < K; k++)); do killed_once "$d" $phase; done
    run_end "$d"
    [ $rc = 0 ] || bad "round $round phase $phase: the run after the kills exited $rc: $(tail -5 "$d/last.out")"
    # (the state keeps the writes of its last 10 runs: K + 1 of them here)
    if [ $((K + 1)) -le 10 ] && ! history_since "$d/state.sqlite" "$h0" | cmp -s - ref/history.$phase; then
      bad "round $round phase $phase: the history of its runs differs from the reference's: $(history_since "$d/state.sqlite" "$h0" | tr '\n' ',') against $(tr '\n' ',' < ref/history.$phase)"
    fi
  done
  run_end "$d"
  grep -q "nothing to do" "$d/last.out" || bad "round $round: one more run has something to do: $(tail -5 "$d/last.out")"
  for side in left right; do
    contents "$d" $side > "$d/$side.c"
    if ! cmp -s ref/$side.c "$d/$side.c"; then
      bad "round $round: $side differs from the reference: $(diff ref/$side.c "$d/$side.c" | grep -c '^<') records only in the reference, $(diff ref/$side.c "$d/$side.c" | grep -c '^>') only here"
    fi
    n=$(dups "$d" $side); [ "$n" = 0 ] || bad "round $round: $n duplicates on $side"
  done
  j=$(sqlite3 "$d/state.sqlite" "SELECT count(*) FROM journal"); q=$(sqlite3 "$d/state.sqlite" "SELECT count(*) FROM quarantine")
  [ "$j$q" = 00 ] || bad "round $round: journal $j, quarantine $q rows left"
  read -r mis dang < <(refs_check "$d/state.sqlite")
  [ "$mis$dang" = 00 ] || bad "round $round: record_data: $mis rows whose refs differ from their references, $dang references to no row"
  if [ $fails = "$before" ]; then
    echo "ok   round $round ($(grep -c . "$d/kills.log") interruptions, at $(grep -oE '[0-9]+ms' "$d/kills.log" | tr '\n' ' '))"
    [ -n "$keep" ] || rm -rf "$d"
  else
    echo "     round $round kept in $d; its interruptions:"; cat "$d/kills.log"
  fi
done
if [ "$MODE" = power ] && [ "$powered" -gt 0 ] && [ "$syncs_seen" = 0 ]; then
  bad "fsyncsnap.so saw no fsync in $powered runs: the power losses lost nothing (is LD_PRELOAD honoured?)"
fi
[ "$MODE" = power ] && echo "power losses: $powered, $syncs_seen syncs copied before them"
campaign_done
