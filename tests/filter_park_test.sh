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

exit $fail
