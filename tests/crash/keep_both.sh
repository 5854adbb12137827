#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A keep-both conflict killed mid-apply (review s10 N5). One note, linked,
# edited on both sides; the run that keeps both versions (the left's wins the
# pair, the right's is kept as a new pair: a copy on each side, both created
# with one "keep-both" key) is SIGKILLed at a failpoint:
#   apply.after_write   both copies made, the right's original updated, nothing committed
#   apply.after_commit  all of it committed, nothing told
# then runs again until quiet. Each side must hold the note twice, once with
# the left's edit and once with the right's, nothing deleted, and a last run
# must have nothing to do; then an edit of the left's copy of the right's
# version must reach the right's copy (the copies are linked). Before the fix, recovery sent the left copy's create
# again as a create of the right's original (the source it names) and linked
# the two: the right's version on the left was overwritten with the left's,
# the left's original unlinked and copied to the right again (3 notes there).
# Stores: local JSON on the left; on the right the lost-answer fixture (with
# and without keys in its listings) and local JSON.
# Usage: keep_both.sh ACCORD LOST_ANSWER_PLUGIN_DIR
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../report.sh"  # ok, bad, runp (before any cd)
accord=$(realpath "$1") plugins=$(realpath "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-crash-keepboth.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME="$work" ACCORD_ADMIN= ACCORD_SECRETS=

# texts SIDE_DIR KIND: the bodies a side holds, sorted, one a line
texts() {
  if [ "$2" = local ]; then
    python3 -c 'import json,sys; [print(json.load(open(f))["body"]) for f in sys.argv[1:]]' "$1"/note/*.json | sort
  else
    python3 -c 'import json,sys; [print(r["data"]["body"]) for r in json.load(open(sys.argv[1]))["records"].values()]' \
      "$1/store.json" | sort
  fi
}

# round NAME RIGHT_KIND LIST_KEYS FAILPOINT
round() {
  local name=$1 kind=$2 keys=$3 fp=$4 dir="$work/$1"
  mkdir -p "$dir/left/note" "$dir/right" && cd "$dir" || return
  printf '{"title": "n0", "body": "base"}\n' > left/note/n0.json
  local right='{"connector": "lost-answer", "config": {"path": "right", "list_keys": '"$keys"'}}'
  [ "$kind" = local ] && right='{"connector": "local", "config": {"backend": "json", "path": "right"}}' && mkdir -p right/note
  printf '{"name": "kb", "state": "kb-state.sqlite",
 "left": {"connector": "local", "config": {"backend": "json", "path": "left"}},
 "right": %s,
 "streams": [{"left": "note", "right": "note", "conflict": {"policy": "keep-both"}}]}\n' "$right" > kb.json
  runp --plugin-dir "$plugins" run kb.json
  [ "$rc" = 0 ] || { bad "$name: first run" "$out"; return; }
  printf '{"title": "n0", "body": "LEFT EDIT"}\n' > left/note/n0.json
  if [ "$kind" = local ]; then
    f=$(ls right/note/*.json | head -1)
    python3 - "$f" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["body"] = "RIGHT EDIT"; json.dump(d, open(sys.argv[1], "w"))
PY
  else
    python3 - <<'PY'
import json
d = json.load(open("right/store.json"))
rid = sorted(d["records"], key=lambda k: int(k[1:]))[0]
d["seq"] += 1
d["records"][rid]["data"]["body"] = "RIGHT EDIT"
d["records"][rid]["version"] = rid + "." + str(d["seq"])
json.dump(d, open("right/store.json", "w"))
PY
  fi
  sleep 1.1  # (a newer modification time than the first run's)
  ACCORD_FAILPOINT=$fp runp --plugin-dir "$plugins" run kb.json
  local killed=$out all=""
  for i in 1 2 3; do
    runp --plugin-dir "$plugins" run kb.json
    all+="--- run after the kill ($i): $out"$'\n'
  done
  local want=$'LEFT EDIT\nRIGHT EDIT' l r
  l=$(texts left local) r=$(texts right "$kind")
  if [ "$l" = "$want" ] && [ "$r" = "$want" ] && [ ! -s right/deletes.log ] && grep -q "nothing to do" <<<"$out"; then
    ok "$name: each version once on each side, nothing deleted, then nothing to do"
  else
    bad "$name: each version once on each side, nothing deleted, then nothing to do" "left: $l" "right: $r" \
      "killed run: $killed" "$all" "deletes: $(cat right/deletes.log 2>/dev/null)"
  fi
  # the two copies are linked to each other: an edit of the left's copy reaches the right's copy
  for f in left/note/*.json; do
    grep -q "RIGHT EDIT" "$f" &&
      python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["body"]="KEPT EDIT"; json.dump(d, open(sys.argv[1],"w"))' "$f"
  done
  sleep 1.1
  runp --plugin-dir "$plugins" run kb.json
  want=$'KEPT EDIT\nLEFT EDIT' l=$(texts left local) r=$(texts right "$kind")
  if [ "$l" = "$want" ] && [ "$r" = "$want" ]; then
    ok "$name: the kept copies are linked to each other"
  else
    bad "$name: the kept copies are linked to each other" "left: $l" "right: $r" "$out"
  fi
  cd "$work" || return
}

for fp in apply.after_write apply.after_commit; do
  round "lost-answer-keys-$fp" lost-answer true "$fp"
  round "lost-answer-no-keys-$fp" lost-answer false "$fp"
  round "local-$fp" local - "$fp"
done
exit $fail
