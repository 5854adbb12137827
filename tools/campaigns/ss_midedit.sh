#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Edits made in a local sqlite store WHILE a run writes to it (README.md).
# N contacts a side, all matching by email; a first sync. Then the left side
# edits name.full of every record (a run of N updates left->right, in batches
# of B: spilled items) and the right side the phones of every third record
# (merges writing both sides). During that run, at a random moment in its
# middle 80%, the sqlite3 shell edits the RIGHT store: titles of number%17==0
# set to "Mid", phones of number%19==0 set to "+1 777". The run ends, one more
# run, and a third must have nothing to do (the run edited under may exit 5,
# its raced writes refused and planned again). Checked on both sides: every
# mid-run edit is there, every pre-run edit is there, every name is "Left
# edit", N records with N distinct emails, and the two sides hold the same.
# Usage: ss_midedit.sh [-b BUILD] [-n N] [-B BATCH] [-p POLICY] [-r ROUNDS] [-s SEED] [-K]
set -u
campaign=ss_midedit
. "$(dirname "$0")/common.sh"
N=4000 B=500 POLICY=newest rounds=3 SEED=$((RANDOM * 32768 + RANDOM))
while getopts "b:n:B:p:r:s:Kh" o; do
  case $o in
    b) build=$OPTARG ;; n) N=$OPTARG ;; B) B=$OPTARG ;; p) POLICY=$OPTARG ;;
    r) rounds=$OPTARG ;; s) SEED=$OPTARG ;; K) keep=1 ;;
    *) sed -n '3,16p' "$0"; exit 2 ;;
  esac
done
campaign_build "$build"
command -v sqlite3 > /dev/null || { echo "no sqlite3 shell: scripts/install-deps.sh installs it"; exit 2; }
campaign_work
RANDOM=$SEED
echo "ss_midedit -n $N -B $B -p $POLICY -r $rounds -s $SEED ($accord, work $work)"
gen() {
  python3 - "$@" <<'PY'
import json, os, sys
d, a, b, tag = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
os.makedirs(d + "/contact", exist_ok=True)
for i in range(a, b):
    rec = {"@type": "Card", "uid": "urn:uuid:%s-%d" % (tag, i),
           "name": {"full": "Person %d" % i},
           "emails": {"e1": {"address": "p%d@example.org" % i}},
           "phones": {"p1": {"number": "+1 555 %07d" % i}}}
    with open("%s/contact/%s%d.json" % (d, tag, i), "w") as f:
        json.dump(rec, f)
PY
}
seed() {
  cat > "$1/$2.json" <<JSON
{"name": "$2", "state": "$2-state.sqlite",
 "left": {"connector": "local", "config": {"backend": "json", "create": true, "path": "$2"}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "path": "$3"}},
 "streams": [{"left": "contact", "right": "contact", "direction": "left-to-right", "guards": {"max_create_share": 1000}}]}
JSON
  (cd "$1" && "$accord" run "$2.json" > "$2.out" 2>&1) || { bad "seeding $1/$2 failed: $(tail -5 "$1/$2.out")"; exit 1; }
  rm -rf "${1:?}/$2" "$1/$2-state.sqlite"*
}
mkdir -p init
gen init/sl 0 "$N" L; seed init sl left.sqlite
gen init/sr 0 "$N" R; seed init sr right.sqlite
cat > init/p.json <<JSON
{"name": "mid", "state": "state.sqlite",
 "left": {"connector": "local", "config": {"backend": "sqlite", "path": "left.sqlite", "batch_size": $B}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "path": "right.sqlite", "batch_size": $B}},
 "streams": [{"left": "contact", "right": "contact", "match": [{"left": "/emails/*/address", "normalise": "email"}],
   "conflict": {"policy": "$POLICY"},
   "guards": {"max_update_share": 1, "max_delete_share": 1, "max_create_share": 1000}}]}
JSON
first() { (cd "$1" && "$accord" run p.json > first.out 2>&1) || { bad "first sync failed: $(tail -5 "$1/first.out")"; exit 1; }; }
num="CAST(substr(json_extract(data, '\$.emails.e1.address'), 2, instr(json_extract(data, '\$.emails.e1.address'), '@') - 2) AS INTEGER)"
pre_edits() {
  sqlite3 "$1/left.sqlite" "UPDATE r_contact SET data = json_set(data, '\$.name.full', 'Left edit') WHERE deleted = 0"
  sqlite3 "$1/right.sqlite" "UPDATE r_contact SET data = json_set(data, '\$.phones.p1.number', '+1 333') WHERE deleted = 0 AND $num % 3 = 0"
}
# how long the edit run takes, on a copy
d=$work/t; cp -r init "$d"; first "$d"; pre_edits "$d"
t0=$(date +%s%N); (cd "$d" && "$accord" run p.json > run.out 2>&1); span=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "the edit run takes $span ms"
rm -rf "$d"
for ((round = 1; round <= rounds; round++)); do
  before=$fails
  d=$work/r$round; cp -r init "$d"; first "$d"; pre_edits "$d"
  rand_within $((span * 8 / 10)); delay=$(( span / 10 + rnd ))
  (cd "$d" && exec "$accord" run p.json) > "$d/run1.out" 2>&1 &
  running=$!
  msleep "$delay"
  sqlite3 "$d/right.sqlite" ".timeout 20000" "UPDATE r_contact SET data = json_set(data, '\$.titles', json('{\"t1\": {\"name\": \"Mid\"}}')) WHERE deleted = 0 AND $num % 17 = 0;
     UPDATE r_contact SET data = json_set(data, '\$.phones.p1.number', '+1 777') WHERE deleted = 0 AND $num % 19 = 0;" ||
    bad "round $round: the mid-run edit failed"
  alive=$(kill -0 $running 2>/dev/null && echo "the run still going" || echo "the run over by then")
  wait $running; rc1=$?; running=""
  (cd "$d" && "$accord" run p.json) > "$d/run2.out" 2>&1; rc2=$?
  (cd "$d" && "$accord" run p.json) > "$d/run3.out" 2>&1; rc3=$?
  # the run edited under: exit 5 when the writes the edit raced were refused and left to the next run
  { [ $rc1 = 0 ] || { [ $rc1 = 5 ] && grep -q "planned again by the next run" "$d/run1.out"; }; } ||
    bad "round $round: the run edited under exited $rc1: $(tail -n 3 "$d/run1.out")"
  [ "$rc2$rc3" = 00 ] || bad "round $round: the next runs exited $rc2 $rc3: $(tail -n 3 "$d/run2.out" "$d/run3.out")"
  grep -q "nothing to do" "$d/run3.out" || bad "round $round: the third run has something to do: $(tail -3 "$d/run3.out")"
  for side in left right; do
    t=$(sqlite3 "$d/$side.sqlite" "SELECT count(*) FROM r_contact WHERE deleted = 0 AND $num % 17 = 0 AND json_extract(data, '\$.titles.t1.name') IS NOT 'Mid'")
    p=$(sqlite3 "$d/$side.sqlite" "SELECT count(*) FROM r_contact WHERE deleted = 0 AND $num % 19 = 0 AND json_extract(data, '\$.phones.p1.number') IS NOT '+1 777'")
    p3=$(sqlite3 "$d/$side.sqlite" "SELECT count(*) FROM r_contact WHERE deleted = 0 AND $num % 3 = 0 AND $num % 19 <> 0 AND json_extract(data, '\$.phones.p1.number') IS NOT '+1 333'")
    nm=$(sqlite3 "$d/$side.sqlite" "SELECT count(*) FROM r_contact WHERE deleted = 0 AND json_extract(data, '\$.name.full') IS NOT 'Left edit'")
    tot=$(sqlite3 "$d/$side.sqlite" "SELECT count(*), count(DISTINCT json_extract(data, '\$.emails.e1.address')) FROM r_contact WHERE deleted = 0")
    [ "$t$p$p3$nm" = 0000 ] && [ "$tot" = "$N|$N" ] ||
      bad "round $round ($side, edit at ${delay}ms, $alive): mid-run titles lost $t, mid-run phones lost $p, pre-run phones lost $p3, names not edited $nm, records|distinct emails $tot"
  done
  canon() { sqlite3 "$d/$1.sqlite" "SELECT data FROM r_contact WHERE deleted = 0" |
    python3 -c 'import json, sys; print("\n".join(sorted(json.dumps(json.loads(l), sort_keys=True) for l in sys.stdin)))'; }
  cmp -s <(canon left) <(canon right) || bad "round $round: the two sides hold different records"
  echo "$([ $fails = "$before" ] && echo "ok  " || echo "    ") round $round: edit at ${delay}ms ($alive), exits $rc1 $rc2 $rc3; run 1: $(grep -E '^ *applied' "$d/run1.out" | tail -n 1 | sed 's/^ *//')"
  [ $fails = "$before" ] && [ -z "$keep" ] && rm -rf "$d"
done
campaign_done
