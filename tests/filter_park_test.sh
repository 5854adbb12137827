#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A two-way pair whose record leaves its side's filter is parked, not
# unlinked (review s11 L5, s12 L10): nothing flows either way while it is
# out, the other side's edits create nothing, and back in the filter the pair
# merges both sides' edits since, with no twin. Two local JSON note stores, a
# category filter on the left (as the "manual" preset's).
# Usage: filter_park_test.sh ACCORD
set -u
. "$(dirname "${BASH_SOURCE[0]}")/report.sh"  # ok, bad, runp (before any cd)
accord=$(realpath "$1")
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-filter.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN= ACCORD_SECRETS=

# pipe DIR CATEGORY: DIR/p.json, two-way, left notes kept to those categorised CATEGORY
pipe() {
  printf '{"name": "f", "state": "st.sqlite",
 "left": {"connector": "local", "config": {"backend": "json", "path": "left"}},
 "right": {"connector": "local", "config": {"backend": "json", "path": "right"}},
 "streams": [{"left": "note", "right": "note", "filter": {"left": [{"category": {"contains": "%s"}}]}}]}\n' "$2" > "$1/p.json"
}
# pipef DIR FILTER: the same with the left filter's predicates given ("" for none)
pipef() {
  printf '{"name": "f", "state": "st.sqlite",
 "left": {"connector": "local", "config": {"backend": "json", "path": "left"}},
 "right": {"connector": "local", "config": {"backend": "json", "path": "right"}},
 "streams": [{"left": "note", "right": "note"%s}]}\n' "${2:+, \"filter\": {\"left\": $2\}}" > "$1/p.json"
}
# note FILE TITLE BODY CATEGORY...: writes a note
note() {
  local f=$1 t=$2 b=$3; shift 3
  python3 -c 'import json,sys; json.dump({"title": sys.argv[2], "body": sys.argv[3], "categories": sys.argv[4:]}, open(sys.argv[1], "w"))' \
    "$f" "$t" "$b" "$@"
}
# set FILE KEY VALUE: one member of a note changed (a JSON value)
set_() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d[sys.argv[2]]=json.loads(sys.argv[3]); json.dump(d, open(sys.argv[1], "w"))' "$@"; }
# notes DIR SIDE: that side's notes, one "title|body|categories" a line, sorted
notes() {
  for f in "$1/$2"/note/*.json; do
    [ -e "$f" ] || continue
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("title"), d.get("body"), ",".join(d.get("categories") or []), sep="|")' "$f"
  done | sort
}
# right_of DIR TITLE: the right note file titled TITLE
right_of() { grep -l "\"title\": \"$2\"" "$1"/right/note/*.json | head -1; }
run() { cd "$1"; runp run p.json; cd "$work"; }
tick() { sleep 1.1; }  # (a JSON store's version is its file's modification time)

# -- A: a record leaves the filter, both sides edited while it is out, back in
mkdir -p a/left/note a/right/note
pipe a Sync
note a/left/note/a.json A alpha Sync
run a; tick
[ $rc = 0 ] && [ "$(notes a right)" = "A|alpha|Sync" ] && ok a-first-sync || bad a-first-sync "rc=$rc" "$out"
set_ a/left/note/a.json categories '[]'  # de-selected
run a; tick
[ $rc = 0 ] && printf '%s' "$out" | grep -q "parked a.json" && [ "$(notes a right)" = "A|alpha|Sync" ] \
  && ok a-deselected-is-parked-nothing-written || bad a-deselected-is-parked-nothing-written "rc=$rc" "$out" "$(notes a right)"
set_ "$(right_of a A)" body '"alpha EDITED ON THE RIGHT"'
run a; tick
[ $rc = 0 ] && [ "$(notes a left)" = "A|alpha|" ] && [ "$(notes a right)" = "A|alpha EDITED ON THE RIGHT|Sync" ] \
  && ok a-right-edit-while-parked-creates-no-twin \
  || bad a-right-edit-while-parked-creates-no-twin "rc=$rc" "$out" "left: $(notes a left)" "right: $(notes a right)"
(cd a && "$accord" plan p.json --explain a.json > explain.out 2>&1)
grep -q "parked: the left record is out of the left filter" a/explain.out && ok a-explain-says-parked \
  || bad a-explain-says-parked "$(cat a/explain.out)"
set_ a/left/note/a.json title '"A left"'  # an edit of the out record: stays on the left
run a; tick
[ $rc = 0 ] && [ "$(notes a right)" = "A|alpha EDITED ON THE RIGHT|Sync" ] \
  && ok a-left-edit-while-parked-stays-left || bad a-left-edit-while-parked-stays-left "rc=$rc" "$out" "$(notes a right)"
set_ a/left/note/a.json categories '["Sync"]'  # selected again
run a; tick
want="A left|alpha EDITED ON THE RIGHT|Sync"
[ $rc = 0 ] && [ "$(notes a left)" = "$want" ] && [ "$(notes a right)" = "$want" ] \
  && ok a-back-in-merges-both-sides-edits-one-record-each \
  || bad a-back-in-merges-both-sides-edits-one-record-each "rc=$rc" "$out" "left: $(notes a left)" "right: $(notes a right)"
set_ "$(right_of a 'A left')" body '"resumed"'  # and it syncs again
run a; tick
[ $rc = 0 ] && [ "$(notes a left)" = "A left|resumed|Sync" ] && ok a-resumed-pair-syncs || bad a-resumed-pair-syncs "rc=$rc" "$out" "$(notes a left)"
run a
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok a-then-nothing-to-do || bad a-then-nothing-to-do "rc=$rc" "$out"

# -- B: the pipeline's filter changed Sync -> Other -> Sync, records edited meanwhile
mkdir -p b/left/note b/right/note
pipe b Sync
note b/left/note/s.json S "s body" Sync
note b/left/note/o.json O "o body" Other
run b; tick
[ $rc = 0 ] && [ "$(notes b right)" = "S|s body|Sync" ] && ok b-first-sync || bad b-first-sync "rc=$rc" "$out"
pipe b Other
set_ b/left/note/s.json body '"s body 2"'
set_ b/left/note/o.json body '"o body 2"'
run b; tick
[ $rc = 0 ] && [ "$(notes b right)" = "$(printf 'O|o body 2|Other\nS|s body|Sync')" ] \
  && ok b-other-parks-s-creates-o || bad b-other-parks-s-creates-o "rc=$rc" "$out" "$(notes b right)"
set_ "$(right_of b S)" title '"S right"'  # the parked one's copy edited: nothing created
run b; tick
[ $rc = 0 ] && [ "$(notes b left | wc -l)" = 2 ] && ok b-parked-copy-edit-creates-nothing || bad b-parked-copy-edit-creates-nothing "rc=$rc" "$out" "$(notes b left)"
pipe b Sync
set_ b/left/note/s.json body '"s body 3"'
set_ b/left/note/o.json body '"o body 3"'
run b; tick
set_ "$(right_of b O)" title '"O right"'  # now O's copy is the parked one's
run b; tick
wantl=$(printf 'O|o body 3|Other\nS right|s body 3|Sync')
wantr=$(printf 'O right|o body 2|Other\nS right|s body 3|Sync')
[ $rc = 0 ] && [ "$(notes b left)" = "$wantl" ] && [ "$(notes b right)" = "$wantr" ] \
  && ok b-sync-other-sync-leaves-no-record-twice \
  || bad b-sync-other-sync-leaves-no-record-twice "rc=$rc" "$out" "left: $(notes b left)" "right: $(notes b right)"

# -- C: a record deleted while its pair is parked: nothing deleted on the other side
for gone in out in; do
  d=c$gone
  mkdir -p $d/left/note $d/right/note
  pipe $d Sync
  note $d/left/note/a.json A alpha Sync
  run $d; tick
  set_ $d/left/note/a.json categories '[]'
  run $d; tick
  if [ $gone = out ]; then rm $d/left/note/a.json; else rm "$(right_of $d A)"; fi
  run $d; tick
  if [ $gone = out ]; then ok=$([ "$(notes $d right)" = "A|alpha|Sync" ] && echo y)
  else ok=$([ "$(notes $d left)" = "A|alpha|" ] && echo y); fi
  [ $rc = 0 ] && [ "${ok:-}" = y ] && printf '%s' "$out" | grep -q "nothing deleted on the" \
    && ok c-$gone-record-deleted-while-parked-deletes-nothing-else \
    || bad c-$gone-record-deleted-while-parked-deletes-nothing-else "rc=$rc" "$out" "left: $(notes $d left)" "right: $(notes $d right)"
  run $d
  [ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok c-$gone-then-nothing-to-do || bad c-$gone-then-nothing-to-do "rc=$rc" "$out"
done

# -- D: the run that resumes a parked pair killed after its first write, or
# after its commit: the next run finishes it, one record each side, merged
for fp in apply.after_write apply.after_commit; do
  d=d-$fp
  mkdir -p $d/left/note $d/right/note
  pipe $d Sync
  note $d/left/note/a.json A alpha Sync
  run $d; tick
  set_ $d/left/note/a.json categories '[]'
  run $d; tick
  set_ "$(right_of $d A)" body '"edited right"'
  set_ $d/left/note/a.json title '"A left"'
  run $d; tick
  set_ $d/left/note/a.json categories '["Sync"]'
  (cd $d && ACCORD_FAILPOINT=$fp "$accord" run p.json > killed.out 2>&1) 2>/dev/null; krc=$?
  tick
  run $d; tick
  want="A left|edited right|Sync"
  [ $krc != 0 ] && [ $rc = 0 ] && [ "$(notes $d left)" = "$want" ] && [ "$(notes $d right)" = "$want" ] \
    && ok d-resume-killed-at-$fp-finishes-once \
    || bad d-resume-killed-at-$fp-finishes-once "killed rc=$krc rc=$rc" "$(cat $d/killed.out)" "$out" "left: $(notes $d left)" "right: $(notes $d right)"
  run $d
  [ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok d-$fp-then-nothing-to-do || bad d-$fp-then-nothing-to-do "rc=$rc" "$out"
done

# -- E: the pipeline's filter changed Sync -> Other -> Sync (review s13 L1): a
# record read under "Other" was parked; with the filter back, every record is
# judged again, so the pair resumes in that run (not when it next changes),
# with both sides' edits merged; status counts parked pairs
for fields in same apart; do
  d=e-$fields
  mkdir -p $d/left/note $d/right/note
  pipe $d Sync
  note $d/left/note/n00.json n00 b00 Sync
  run $d; tick
  set_ $d/left/note/n00.json body '"b00 L1"'
  run $d; tick
  pipe $d Other
  set_ $d/left/note/n00.json body '"b00 L1 L2"'
  run $d; tick
  (cd $d && "$accord" status p.json > status1.out 2>&1)
  grep -q "parked: 1 linked pair" $d/status1.out && ok e-$fields-status-counts-the-parked-pair \
    || bad e-$fields-status-counts-the-parked-pair "$(cat $d/status1.out)"
  pipe $d Sync
  (cd $d && "$accord" status p.json > status2.out 2>&1)
  grep -q "filter changed since the last run" $d/status2.out && ok e-$fields-status-says-the-filter-changed \
    || bad e-$fields-status-says-the-filter-changed "$(cat $d/status2.out)"
  if [ $fields = same ]; then set_ "$(right_of $d n00)" body '"b00 L1 R3"'
  else set_ "$(right_of $d n00)" title '"n00 R3"'; fi
  run $d; tick
  l=$(notes $d left) r=$(notes $d right)
  want=$([ $fields = apart ] && echo "n00 R3|b00 L1 L2|Sync" || echo "$l")
  [ $rc = 0 ] && [ "$l" = "$r" ] && [ "$l" = "$want" ] && [ "$(printf '%s\n' "$l" | wc -l)" = 1 ] \
    && ok e-$fields-filter-back-converges-in-one-run \
    || bad e-$fields-filter-back-converges-in-one-run "rc=$rc" "$out" "left: $l" "right: $r"
  (cd $d && "$accord" status p.json > status3.out 2>&1)
  ! grep -q "parked:\|filter changed" $d/status3.out && ok e-$fields-then-nothing-parked \
    || bad e-$fields-then-nothing-parked "$(cat $d/status3.out)"
  run $d
  [ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok e-$fields-then-nothing-to-do || bad e-$fields-then-nothing-to-do "rc=$rc" "$out"
done

# -- F: the filter widened: a record left out at the first sync (never linked)
# is an ordinary new record in the run that widens it: created once
mkdir -p f/left/note f/right/note
pipe f Sync
note f/left/note/s.json S "s body" Sync
note f/left/note/o.json O "o body" Other
run f; tick
[ $rc = 0 ] && [ "$(notes f right)" = "S|s body|Sync" ] && ok f-first-sync-leaves-o-out || bad f-first-sync-leaves-o-out "rc=$rc" "$out"
pipef f ""
run f; tick
want=$(printf 'O|o body|Other\nS|s body|Sync')
[ $rc = 0 ] && [ "$(notes f right)" = "$want" ] && [ "$(notes f left)" = "$want" ] \
  && ok f-widened-filter-creates-the-record-once || bad f-widened-filter-creates-the-record-once "rc=$rc" "$out" "left: $(notes f left)" "right: $(notes f right)"
run f
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok f-then-nothing-to-do || bad f-then-nothing-to-do "rc=$rc" "$out"

# -- G: the filter narrowed: the linked pair now out of it is parked in that
# run (the other side's edit no longer reaches the out record), and resumes
# when the filter is widened again
mkdir -p g/left/note g/right/note
pipe g Sync
note g/left/note/k.json K "k body" Sync Keep
note g/left/note/t.json T "t body" Sync
run g; tick
pipef g '[{"category": {"contains": "Keep"}}]'
run g; tick
(cd g && "$accord" status p.json > status.out 2>&1)
[ $rc = 0 ] && grep -q "parked: 1 linked pair" g/status.out && ok g-narrowed-filter-parks-the-pair-now \
  || bad g-narrowed-filter-parks-the-pair-now "rc=$rc" "$out" "$(cat g/status.out)"
set_ "$(right_of g T)" body '"t EDITED ON THE RIGHT"'
run g; tick
[ $rc = 0 ] && [ "$(notes g left)" = "$(printf 'K|k body|Sync,Keep\nT|t body|Sync')" ] && [ "$(notes g right | wc -l)" = 2 ] \
  && ok g-parked-out-record-is-not-written || bad g-parked-out-record-is-not-written "rc=$rc" "$out" "left: $(notes g left)" "right: $(notes g right)"
pipe g Sync
run g; tick
[ $rc = 0 ] && [ "$(notes g left)" = "$(printf 'K|k body|Sync,Keep\nT|t EDITED ON THE RIGHT|Sync')" ] && [ "$(notes g right | wc -l)" = 2 ] \
  && ok g-widened-again-resumes-with-the-edit || bad g-widened-again-resumes-with-the-edit "rc=$rc" "$out" "left: $(notes g left)" "right: $(notes g right)"

# -- H: the run that judges every record again killed while it judges, or
# after its first write: the next run finishes it once, then nothing to do
for fp in fold.rejudge_batch apply.after_write; do
  d=h-$fp
  mkdir -p $d/left/note $d/right/note
  pipe $d Sync
  note $d/left/note/n00.json n00 b00 Sync
  note $d/left/note/o.json O "o body" Other
  run $d; tick
  pipe $d Other
  set_ $d/left/note/n00.json body '"b00 L2"'
  run $d; tick
  pipe $d Sync
  set_ "$(right_of $d n00)" title '"n00 R3"'
  (cd $d && ACCORD_FAILPOINT=$fp "$accord" run p.json > killed.out 2>&1) 2>/dev/null; krc=$?
  tick
  run $d; tick
  want=$(printf 'O|o body|Other\nn00 R3|b00 L2|Sync')
  [ $krc != 0 ] && [ $rc = 0 ] && [ "$(notes $d left)" = "$want" ] && [ "$(notes $d right)" = "$want" ] \
    && ok h-rejudge-killed-at-$fp-finishes-once \
    || bad h-rejudge-killed-at-$fp-finishes-once "killed rc=$krc rc=$rc" "$(cat $d/killed.out)" "$out" "left: $(notes $d left)" "right: $(notes $d right)"
  run $d
  [ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok h-$fp-then-nothing-to-do || bad h-$fp-then-nothing-to-do "rc=$rc" "$out"
done


# -- I: a state with no filter mark (written before schema 11: the mark's row
# taken out here) whose records Accord copied into the filtered side without
# the filter's category: upgrading parks none of them, the other side's
# edits keep flowing (review s14 F2)
mkdir -p i/left/note i/right/note
pipe i Sync
note i/left/note/a.json A alpha Sync
for n in 0 1 2; do note i/right/note/r$n.json R$n r Work; done
run i; tick
[ $rc = 0 ] && [ "$(ls i/left/note | wc -l)" = 4 ] && ok i-copied-to-the-filtered-side || bad i-copied-to-the-filtered-side "rc=$rc" "$out"
sqlite3 i/st.sqlite "DELETE FROM filter_marks" || bad i-mark-taken-out "no filter_marks table"
for n in 0 1 2; do set_ "i/right/note/r$n.json" body '"r edited"'; done
run i; tick
if [ $rc = 0 ] && ! printf '%s' "$out" | grep -q parked && [ "$(notes i left)" = "$(printf 'A|alpha|Sync\nR0|r edited|Work\nR1|r edited|Work\nR2|r edited|Work')" ]; then
  ok i-no-mark-parks-nothing-and-edits-flow
else
  bad i-no-mark-parks-nothing-and-edits-flow "rc=$rc" "$out" "$(notes i left)"
fi
run i
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok i-then-nothing-to-do || bad i-then-nothing-to-do "rc=$rc" "$out"

exit $fail
