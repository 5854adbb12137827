#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Undo and history (issue 18): a run of creates, updates and deletes on both
# sides, undone, leaves both sides as they were before it; undoing the undo
# gives the run back; a record edited after the run is a conflict, left as
# it is; accord log shows each write's fields before and after; plan
# --explain shows how one record is decided; undo goes through the guards;
# history.keep_runs forgets older runs.
# Usage: undo_test.sh ACCORD
set -u
. "$(dirname "${BASH_SOURCE[0]}")/report.sh"  # ok, bad, runp (before any cd)
accord=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-undo.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN= ACCORD_SECRETS=
card() { printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:%s\r\nFN:%s\r\nEMAIL:%s@example.org\r\nEND:VCARD\r\n' "$1" "$2" "$1"; }
# a side's records as a person sees them: each card's name and address, sorted
snap() { for f in "$1"/*.vcf; do [ -e "$f" ] && grep -E '^(FN|EMAIL)' "$f" | tr -d '\r' | paste -sd'|' -; done | sort; }
on_right() { grep -l "$1@" R/*.vcf | head -1; }
mkdir L R
for i in 1 2 3 4 5 6 7 8; do card "p$i" "Person $i" > "L/p$i.vcf"; done
printf '{"name": "u", "state": "state.sqlite", %s
 "left": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "L"}},
 "right": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "R"}},
 "streams": [{"left": "contact", "right": "contact", "match": [{"left": "/emails/*/address", "normalise": "email"}],
              "guards": {"min_records": 100}}]}\n' "${KEEP:-}" > p.json
"$accord" run p.json > /dev/null

# -- creates, updates and deletes on both sides, synced by run 2
card n1 "New Left" > L/n1.vcf
sed -i 's/FN:Person 1/FN:Person One/' L/p1.vcf
rm L/p2.vcf
card m1 "New Right" > R/m1.vcf
sed -i 's/FN:Person 3/FN:Person Three/' "$(on_right p3)"
rm "$(on_right p4)"
snap L > L.before
snap R > R.before
runp run p.json
snap L > L.after
snap R > R.after
cmp -s L.after R.after && ! cmp -s L.before L.after && ! cmp -s R.before R.after \
  && ok run-two-synced-both-sides || bad run-two-synced-both-sides "rc=$rc" "$out"

# -- log: each write with its fields before and after
runp log p.json --run 2
printf '%s' "$out" | grep -q 'right update p1.vcf' && printf '%s' "$out" | grep -q 'name: {"full":"Person 1"} → {"full":"Person One"}' \
  && printf '%s' "$out" | grep -q 'left delete' && printf '%s' "$out" | grep -q 'right create' \
  && ok log-shows-before-and-after || bad log-shows-before-and-after "rc=$rc" "$out"
runp --json log p.json --record p3.vcf
[ "$(printf '%s\n' "$out" | grep -c '"op":"update"')" = 1 ] && printf '%s' "$out" | grep -q '"before":{"full":"Person 3"},"after":{"full":"Person Three"}' \
  && ok log-of-one-record || bad log-of-one-record "rc=$rc" "$out"

# -- undo --dry-run shows the inverse plan and writes nothing
runp undo p.json 2 --dry-run
[ $rc = 0 ] && printf '%s' "$out" | grep -q "left: 1 to create, 1 to update, 1 to delete" \
  && printf '%s' "$out" | grep -q "right: 1 to create, 1 to update, 1 to delete" \
  && snap L | cmp -s - L.after && snap R | cmp -s - R.after \
  && ok undo-dry-run-plans-writes-nothing || bad undo-dry-run-plans-writes-nothing "rc=$rc" "$out"

# -- undo: both sides as they were before run 2
runp undo p.json 2
snap L | cmp -s - L.before && snap R | cmp -s - R.before && [ $rc = 0 ] \
  && ok undo-restores-both-sides || bad undo-restores-both-sides "rc=$rc" "$out" "$(snap L | diff - L.before)" "$(snap R | diff - R.before)"
runp run p.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && snap L | cmp -s - L.before && snap R | cmp -s - R.before \
  && ok undone-state-is-quiet || bad undone-state-is-quiet "rc=$rc" "$out"

# -- undo of the undo (run 3): run 2 back
runp undo p.json 3
snap L | cmp -s - L.after && snap R | cmp -s - R.after && [ $rc = 0 ] \
  && ok undo-of-undo-restores-the-run || bad undo-of-undo-restores-the-run "rc=$rc" "$out" "$(snap L | diff - L.after)"
runp run p.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok redone-state-is-quiet || bad redone-state-is-quiet "rc=$rc" "$out"

# -- a record changed after the run is a conflict, not overwritten
sed -i 's/FN:Person 5/FN:Person Five/' L/p5.vcf
sed -i 's/FN:Person 6/FN:Person Six/' L/p6.vcf
runp run p.json
run=$("$accord" --json status p.json | grep '"type":"run"' | head -1 | sed 's/.*"id":\([0-9]*\).*/\1/')
sed -i 's/FN:Person Five/FN:Person 5 edited by hand/' "$(on_right p5)"
runp undo p.json "$run"
[ $rc = 5 ] && grep -q "FN:Person 5 edited by hand" "$(on_right p5)" && grep -q "FN:Person 6" "$(on_right p6)" \
  && printf '%s' "$out" | grep -q "conflict.*changed since run $run" \
  && ok edited-since-is-a-conflict || bad edited-since-is-a-conflict "rc=$rc run=$run" "$out"

# -- plan --explain: one record's link, per-field decision, filter, keys, quarantine
sed -i 's/FN:Person 7/FN:Person Seven/' L/p7.vcf
runp plan p.json --explain p7.vcf
printf '%s' "$out" | grep -q "link: left p7.vcf ⇄ right" && printf '%s' "$out" | grep -q "filter: passes the left filter" \
  && printf '%s' "$out" | grep -q '/name.*changed on the left only: copied to the right' \
  && printf '%s' "$out" | grep -q "match key" && printf '%s' "$out" | grep -q "quarantine: none" \
  && ok explain-shows-the-decision || bad explain-shows-the-decision "rc=$rc" "$out"
card q2 "Twin" > L/q2.vcf
card q2 "Twin" > R/q2b.vcf
runp --json plan p.json --explain q2.vcf
printf '%s' "$out" | grep -q '"type":"explain"' && printf '%s' "$out" | grep -q '"link":null' \
  && printf '%s' "$out" | grep -q '"value":"q2@example.org","unlinked_candidates_on_the_right":\["q2b.vcf"\]' \
  && ok explain-of-an-unlinked-record || bad explain-of-an-unlinked-record "rc=$rc" "$out"

# -- undo goes through the same guards: undoing the run that filled a side would empty it
mkdir L2 R2
for i in 1 2 3; do card "g$i" "Guarded $i" > "L2/g$i.vcf"; done
sed -e 's/"name": "u"/"name": "g"/' -e 's/state.sqlite/g-state.sqlite/' -e 's/"L"/"L2"/' -e 's/"R"/"R2"/' p.json > g.json
"$accord" run g.json > /dev/null
runp undo g.json 1
[ $rc = 6 ] && [ "$(ls R2 | wc -l)" = 3 ] && printf '%s' "$out" | grep -q "would delete all 3 records on the right side"   && ok undo-refused-by-a-guard || bad undo-refused-by-a-guard "rc=$rc $(ls R2 | wc -l)" "$out"
runp undo g.json 1 --force=empty
[ $rc = 0 ] && [ "$(ls R2 | wc -l)" = 0 ] && [ "$(ls L2 | wc -l)" = 3 ] && printf '%s' "$out" | grep -q "forced past a guard"   && ok undo-forced-by-name || bad undo-forced-by-name "rc=$rc $(ls R2 | wc -l)" "$out"
runp undo g.json 9
[ $rc = 3 ] && printf '%s' "$out" | grep -q "keeps no write of it" && ok undo-of-an-unknown-run || bad undo-of-an-unknown-run "rc=$rc" "$out"

# -- a killed undo: its re-creates are sent again by the next run with their
#    keys (no duplicates) and linked to the records they were linked to
mkdir L3 R3
for i in 1 2 3; do card "h$i" "Killed $i" > "L3/h$i.vcf"; done
sed -e 's/"name": "u"/"name": "h"/' -e 's/state.sqlite/h-state.sqlite/' -e 's/"L"/"L3"/' -e 's/"R"/"R3"/' p.json > h.json
"$accord" run h.json > /dev/null                       # run 1: three copies on the right
"$accord" undo h.json 1 --force=empty > /dev/null      # run 2: deleted again
(ACCORD_FAILPOINT=apply.after_write "$accord" undo h.json 2 > /dev/null 2>&1; true) 2> /dev/null  # run 3: made again, killed before recording it
runp run h.json
links=$("$accord" --json status h.json | grep '"type":"pair"' | sed 's/.*"links":\([0-9]*\).*/\1/')
again=$("$accord" run h.json)
[ $rc = 0 ] && [ "$(ls R3 | wc -l)" = 3 ] && [ "$links" = 3 ] && printf '%s' "$again" | grep -q "nothing to do" \
  && snap L3 | cmp -s - <(snap R3) && ok killed-undo-resumed-linked || bad killed-undo-resumed-linked "rc=$rc links=$links $(ls R3)" "$out" "$again"

# -- retention: history.keep_runs forgets older runs, and says so
KEEP='"history": {"keep_runs": 2},' 
printf '{"name": "u", "state": "state.sqlite", %s
 "left": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "L"}},
 "right": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "R"}},
 "streams": [{"left": "contact", "right": "contact", "match": [{"left": "/emails/*/address", "normalise": "email"}],
              "guards": {"min_records": 100}}]}\n' "$KEEP" > p.json
"$accord" run p.json > /dev/null
runp undo p.json 2
[ $rc = 3 ] && printf '%s' "$out" | grep -q "keeps no write of it" && [ -z "$("$accord" log p.json --run 2 | grep update)" ] \
  && [ "$(sqlite3 state.sqlite 'SELECT count(*) FROM history WHERE run < (SELECT max(id) - 1 FROM runs)')" = 0 ] \
  && ok keep-runs-forgets-older-runs || bad keep-runs-forgets-older-runs "rc=$rc" "$out"
[ "$(sqlite3 state.sqlite "SELECT count(*) FROM record_data d WHERE refs != (SELECT count(*) FROM mirror_rows m WHERE m.data_id = d.id) + (SELECT count(*) FROM history h WHERE h.before_id = d.id) + (SELECT count(*) FROM history h WHERE h.after_id = d.id)")" = 0 ] \
  && ok data-references-counted || bad data-references-counted "$(sqlite3 state.sqlite 'SELECT id, refs FROM record_data')"

exit $fail
