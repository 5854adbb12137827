#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Cross-build differential of a first sync's reading (README.md): two local
# sqlite stores of N contacts a side whose data texts are awkward for a reader
# that copies text it judges canonical (awkward_records.py: serialize's form
# with one change now and then, escapes, numbers of every form, keys twice,
# depth, invalid UTF-8, whitespace, records the host cannot read), half of
# them matching by email. Build A and build B each run the same first sync
# (and one more run) on copies; compared byte for byte: both runs' output,
# both stores' rows, the state's mirror (data, keys), links between the
# original records, unreadable and quarantine rows, record_data totals.
# Each round is one seed in four mixes (share canonical / changed / broken /
# batch size): 1/0/0/10, 1/0.05/0/7, 0.5/0.5/0.1/300, 0.9/0.02/0.01/50.
# Usage: first_sync_diff.sh -a BUILD_A [-b BUILD_B] [-n N] [-r ROUNDS] [-s SEED] [-K]
set -u
campaign=first_sync_diff
. "$(dirname "$0")/common.sh"
N=2000 rounds=1 SEED=$((RANDOM * 32768 + RANDOM)) base=""
while getopts "a:b:n:r:s:Kh" o; do
  case $o in
    a) base=$OPTARG ;; b) build=$OPTARG ;; n) N=$OPTARG ;; r) rounds=$OPTARG ;; s) SEED=$OPTARG ;; K) keep=1 ;;
    *) sed -n '3,15p' "$0"; exit 2 ;;
  esac
done
[ -n "$base" ] || { echo "give the build to compare with: -a BUILD_A"; exit 2; }
other=$build
campaign_build "$base"; accord_a=$accord
campaign_build "$other"; accord_b=$accord
command -v sqlite3 > /dev/null || { echo "no sqlite3 shell: scripts/install-deps.sh installs it"; exit 2; }
command -v c++ > /dev/null || { echo "no C++ compiler: scripts/install-deps.sh installs g++"; exit 2; }
campaign_work
echo "first_sync_diff -n $N -r $rounds -s $SEED ($accord_a against $accord_b, work $work)"
c++ -std=c++17 -O1 -o "$work/probe" "$here/serialize_probe.cpp" || { echo "serialize_probe.cpp did not build (Boost.JSON headers?)"; exit 2; }
# an empty local sqlite store (its schema), made by build A from a JSON folder of one record
mkdir -p t/j/contact && echo '{"a":1}' > t/j/contact/x.json
cat > t/s.json <<'JSON'
{"name": "s", "state": "s.sqlite",
 "left": {"connector": "local", "config": {"backend": "json", "path": "j"}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "path": "empty.sqlite"}},
 "streams": [{"left": "contact", "right": "contact", "direction": "left-to-right"}]}
JSON
(cd t && "$accord_a" run s.json > s.out 2>&1) || { echo "could not make a store: $(tail -3 t/s.out)"; exit 2; }
sqlite3 t/empty.sqlite "DELETE FROM r_contact; UPDATE meta SET value = '0' WHERE key = 'seq'; VACUUM"
# dump DIR X: what is compared, into X.*
dump() {
  local d=$1 x=$2 s q
  for s in left right; do
    sqlite3 "$d/$s.sqlite" "SELECT CASE WHEN id GLOB '[lr]-*' THEN id ELSE 'new' END, deleted, hex(data), problem FROM r_contact" | sort > "$x.$s"
  done
  q="SELECT side, CASE WHEN id GLOB '[lr]-*' THEN id ELSE 'new' END, hex(data), included, deleted, hex(keys) FROM mirror"
  sqlite3 "$d/state.sqlite" "$q" | sort > "$x.mirror"
  sqlite3 "$d/state.sqlite" "SELECT pair, side, key, id, connector, stream, pointer, reason FROM unreadable;
    SELECT pair, side, id, error, attempts FROM quarantine; SELECT 'data', count(*), sum(refs), sum(length(data)) FROM record_data;
    SELECT 'links', count(*) FROM links; SELECT left_id, right_id FROM links WHERE left_id GLOB 'l-*' AND right_id GLOB 'r-*'" |
    sort > "$x.misc"
}
for ((round = 1; round <= rounds; round++)); do
  seed=$((SEED + round - 1))
  for mix in "1 0 0 10" "1 0.05 0 7" "0.5 0.5 0.1 300" "0.9 0.02 0.01 50"; do
    set -- $mix
    d="$work/r$round-$4"; mkdir -p "$d/init"
    for s in left right; do
      CANON=$1 MUTP=$2 BAD=$3 python3 "$here/awkward_records.py" "$d/$s.sql" $s "$N" "$seed" "$work/probe" 2> /dev/null ||
        { bad "round $round: awkward_records.py failed"; continue 2; }
      cp t/empty.sqlite "$d/init/$s.sqlite"; sqlite3 "$d/init/$s.sqlite" < "$d/$s.sql"
    done
    cat > "$d/init/p.json" <<JSON
{"name": "fd", "state": "state.sqlite",
 "left": {"connector": "local", "config": {"backend": "sqlite", "path": "left.sqlite", "batch_size": $4}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "path": "right.sqlite", "batch_size": $4}},
 "streams": [{"left": "contact", "right": "contact", "match": [{"left": "/emails/*/address", "normalise": "email"}],
   "conflict": {"policy": "newest"}, "guards": {"max_update_share": 1, "max_delete_share": 1, "max_create_share": 1000}}]}
JSON
    for x in a b; do
      a=$accord_a; [ $x = b ] && a=$accord_b
      rm -rf "$d/st"; cp -r "$d/init" "$d/st"
      (cd "$d/st" && { "$a" run p.json; echo "exit $?"; "$a" run p.json; echo "exit $?"; }) > "$d/run.$x" 2>&1
      sed -i -E 's/[0-9]+(\.[0-9]+)? ?(s|ms)\b/T/g; s/[0-9a-f]{16}/ID/g' "$d/run.$x"
      dump "$d/st" "$d/$x"
    done
    before=$fails
    for t in run left right mirror misc; do
      fa="$d/a.$t" fb="$d/b.$t"; [ $t = run ] && fa="$d/run.a" fb="$d/run.b"
      cmp -s "$fa" "$fb" || bad "round $round mix $*: $t differs ($(diff "$fa" "$fb" | grep -c '^<') lines only with A, $(diff "$fa" "$fb" | grep -c '^>') only with B)"
    done
    if [ "$fails" = "$before" ]; then
      echo "ok   round $round (seed $seed) mix $*: $(grep -m1 'first sync' "$d/run.a" | sed 's/^ *//')"
      [ -n "$keep" ] || rm -rf "$d"
    else
      echo "     kept $d"
    fi
  done
done
campaign_done
