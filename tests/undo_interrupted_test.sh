#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# History and undo of an interrupted run (review s18 F2): a run killed after
# its writes landed and before it recorded them (ACCORD_FAILPOINT=
# apply.after_write) is resumed by the next, which finds its updates and
# deletes done and sends its creates again; every one of those writes is in
# the killed run's history (accord log --run N), and accord undo N undoes
# them. And what undo leaves undone, it says truly: a record changed since
# is left for you with what to do (undo the later run it names first, or
# put back by hand what accord log shows), never "accord conflicts list"
# (the conflicts table holds none of them); a record deleted since, or
# there again, needs nothing undone (a note, exit 0).
# Usage: undo_interrupted_test.sh ACCORD
set -u
. "$(dirname "${BASH_SOURCE[0]}")/report.sh"  # ok, bad, runp (before any cd)
accord=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-undo-killed.XXXXXX")
trap '[ -n "${KEEPW:-}" ] || rm -rf "$work"' EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN= ACCORD_SECRETS=
card() { printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:%s\r\nFN:%s\r\nEMAIL:%s@example.org\r\nEND:VCARD\r\n' "$1" "$2" "$1"; }
snap() { for f in "$1"/*.vcf; do [ -e "$f" ] && grep -E '^(FN|EMAIL)' "$f" | tr -d '\r' | paste -sd'|' -; done | sort; }
on_right() { grep -l "$1@" R/*.vcf | head -1; }
history_of() { sqlite3 state.sqlite "SELECT side || ' ' || op FROM history WHERE run = $1 ORDER BY seq" | sort | uniq -c | sed 's/^ *//' | paste -sd, -; }
killed() { (ACCORD_FAILPOINT=apply.after_write "$accord" "$@" > kill.out 2>&1; echo $? > kill.rc) 2> /dev/null; }
newest_run() { sqlite3 state.sqlite "SELECT max(id) FROM runs"; }
mkdir L R
for i in 1 2 3 4 5 6; do card "p$i" "Person $i" > "L/p$i.vcf"; done
printf '{"name": "k", "state": "state.sqlite",
 "left": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "L"}},
 "right": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "R"}},
 "streams": [{"left": "contact", "right": "contact", "match": [{"left": "/emails/*/address", "normalise": "email"}],
              "guards": {"min_records": 100}}]}\n' > p.json
"$accord" run p.json > /dev/null                                             # run 1: six copies on the right

# -- A: run 2's updates and deletes land, then it is killed before recording them
sed -i 's/FN:Person 1/FN:Person One/' L/p1.vcf
sed -i 's/FN:Person 2/FN:Person Two/' L/p2.vcf
rm L/p3.vcf
snap R > R.before
killed run p.json                                                            # run 2
[ "$(cat kill.rc)" = 137 ] && grep -q "FN:Person One" "$(on_right p1)" && [ -z "$(on_right p3)" ] \
  && [ "$(sqlite3 state.sqlite 'SELECT count(*) FROM journal')" = 3 ] \
  && ok killed-after-its-writes-landed || bad killed-after-its-writes-landed "rc=$(cat kill.rc)" "$(cat kill.out)"
runp run p.json                                                              # run 3: finds them done
[ $rc = 0 ] && [ "$(history_of 3)" = "" ] && [ "$(history_of 2)" = "1 right delete,2 right update" ] \
  && printf '%s' "$out" | grep -q "of the interrupted run 2 found done" \
  && ok resumed-writes-in-the-killed-runs-history || bad resumed-writes-in-the-killed-runs-history "rc=$rc run 2: $(history_of 2); run 3: $(history_of 3)" "$out"
runp log p.json --run 2
printf '%s' "$out" | grep -q 'right update p1.vcf' && printf '%s' "$out" | grep -q 'name: {"full":"Person 1"} → {"full":"Person One"}' \
  && printf '%s' "$out" | grep -q 'right delete' \
  && ok log-shows-the-killed-runs-writes || bad log-shows-the-killed-runs-writes "rc=$rc" "$out"
snap L > L.after
runp undo p.json 2                                                           # run 4
[ $rc = 0 ] && snap R | cmp -s - R.before && snap L | cmp -s - L.after \
  && ok undo-of-the-killed-run || bad undo-of-the-killed-run "rc=$rc" "$out" "$(snap R | diff R.before -)"
runp run p.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok undone-killed-run-is-quiet || bad undone-killed-run-is-quiet "rc=$rc" "$out"

# -- B: a killed run's creates, sent again by the next run, are the killed run's
card n1 "New One" > L/n1.vcf
card n2 "New Two" > L/n2.vcf
snap R > R.before
killed run p.json
k=$(newest_run)
made=$(ls R | wc -l)
runp run p.json
r=$(newest_run)
[ "$(cat kill.rc)" = 137 ] && [ $rc = 0 ] && [ "$(history_of $k)" = "2 right create" ] && [ "$(history_of $r)" = "" ] \
  && [ "$(ls R | wc -l)" = "$made" ] && [ "$made" = $(( $(wc -l < R.before) + 2 )) ] \
  && ok resent-creates-in-the-killed-runs-history || bad resent-creates-in-the-killed-runs-history "kill rc=$(cat kill.rc) rc=$rc run $k: $(history_of $k); run $r: $(history_of $r)" "$out"
runp undo p.json $k --force=all
[ $rc = 0 ] && snap R | cmp -s - R.before && ok undo-of-the-killed-runs-creates || bad undo-of-the-killed-runs-creates "rc=$rc" "$out"
"$accord" run p.json > /dev/null

# -- C: what undo leaves undone, and why, is true; the conflicts table holds none
sed -i 's/FN:Person 4/FN:Person Four/' L/p4.vcf
sed -i 's/FN:Person 5/FN:Person Five/' L/p5.vcf
sed -i 's/FN:Person 6/FN:Person Six/' L/p6.vcf
runp run p.json
run=$("$accord" --json status p.json | grep '"type":"run"' | head -1 | sed 's/.*"id":\([0-9]*\).*/\1/')
sed -i 's/FN:Person Four/FN:Person 4 by hand/' "$(on_right p4)"                # edited since, on the right
p5=$(basename "$(on_right p5)")
sed -i 's/FN:Person Five/FN:Person 5 again/' L/p5.vcf                          # written since by a later run
runp run p.json
later=$("$accord" --json status p.json | grep '"type":"run"' | head -1 | sed 's/.*"id":\([0-9]*\).*/\1/')
rm "$(on_right p6)"                                                          # deleted since, on the right
runp undo p.json "$run"
listed=$("$accord" conflicts list p.json)
[ $rc = 5 ] && ! printf '%s' "$out" | grep -q "conflicts list" && printf '%s' "$listed" | grep -q "no open conflicts" \
  && printf '%s' "$out" | grep -q "conflict.*changed since run $run wrote it (edited there since: accord log .* --record" \
  && printf '%s' "$out" | grep -q "conflict.*changed since run $run wrote it (run $later wrote it since: undo run $later first)" \
  && printf '%s' "$out" | grep -q "not undone, nothing to undo there: the right record .* was deleted since run $run" \
  && ! printf '%s' "$out" | grep -q "conflict.*was deleted" \
  && grep -q "FN:Person 4 by hand" "$(on_right p4)" && grep -q "FN:Person 5 again" "R/$p5" \
  && ok undo-says-truly-what-it-left || bad undo-says-truly-what-it-left "rc=$rc run=$run later=$later" "$out" "$listed"
# the advice holds: the later run undone first, then this one gives the record back
runp undo p.json "$later"
runp undo p.json "$run"
[ $rc = 5 ] && grep -q "FN:Person 5$(printf '\r')\?$" "R/$p5" && ! printf '%s' "$out" | grep -q "run $later wrote it since" \
  && ok undo-the-later-run-first || bad undo-the-later-run-first "rc=$rc" "$out" "$(cat "R/$p5")"
# only records deleted since: nothing is left for you (exit 0)
sed -i 's/FN:Person 1$/FN:Person Uno/' L/p1.vcf 2> /dev/null; sed -i 's/FN:Person One/FN:Person Uno/' L/p1.vcf
runp run p.json
run=$("$accord" --json status p.json | grep '"type":"run"' | head -1 | sed 's/.*"id":\([0-9]*\).*/\1/')
rm "$(on_right p1)"
runp undo p.json "$run"
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to undo there: the right record .* was deleted since run $run" \
  && ! printf '%s' "$out" | grep -q "conflict" \
  && ok deleted-since-needs-nothing-undone || bad deleted-since-needs-nothing-undone "rc=$rc run=$run" "$out"
# -- the advice holds where a store's versions are not its content's (a
#    sqlite store counts them): the later run undone, the record holds what
#    the run left, at another version, and is undone
mkdir L4
for i in 1 2; do card "q$i" "Person $i" > "L4/q$i.vcf"; done
printf '{"name": "d", "state": "d-state.sqlite",
 "left": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "L4"}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "create": true, "path": "r4.sqlite"}},
 "streams": [{"left": "contact", "right": "contact", "match": [{"left": "/emails/*/address", "normalise": "email"}],
              "guards": {"min_records": 100}}]}\n' > d.json
"$accord" run d.json > /dev/null
sed -i 's/FN:Person 1/FN:Person A/' L4/q1.vcf
runp run d.json
a=$(sqlite3 d-state.sqlite "SELECT max(id) FROM runs")
sed -i 's/FN:Person A/FN:Person B/' L4/q1.vcf
runp run d.json
b=$(sqlite3 d-state.sqlite "SELECT max(id) FROM runs")
runp undo d.json "$a"
first=$rc
printf '%s' "$out" | grep -q "run $b wrote it since: undo run $b first" || first="$first (no advice)"
runp undo d.json "$b"
runp undo d.json "$a"
[ "$first" = 5 ] && [ $rc = 0 ] && "$accord" log d.json --run "$(sqlite3 d-state.sqlite "SELECT max(id) FROM runs")" | grep -q '"Person A"} → {"full":"Person 1"}' \
  && ok undo-after-the-later-runs-undo || bad undo-after-the-later-runs-undo "first undo: $first, last: $rc" "$out"

[ "$(sqlite3 state.sqlite "SELECT count(*) FROM record_data d WHERE refs != (SELECT count(*) FROM mirror_rows m WHERE m.data_id = d.id) + (SELECT count(*) FROM history h WHERE h.before_id = d.id) + (SELECT count(*) FROM history h WHERE h.after_id = d.id) + (SELECT count(*) FROM link_bases b WHERE b.data_id = d.id)")" = 0 ] \
  && ok data-references-counted || bad data-references-counted "$(sqlite3 state.sqlite 'SELECT id, refs FROM record_data')"

exit $fail
