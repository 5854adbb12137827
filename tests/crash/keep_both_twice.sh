#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Two keep-both conflicts on one linked record (review s11 F4). One note,
# linked; edited on both sides (LEFT 1 / RIGHT 1): the left's edit wins the
# pair, the right's is kept as a new pair of copies; then the original is
# edited on both sides again (LEFT 2 / RIGHT 2). Each side must end with
# LEFT 2, RIGHT 1 and RIGHT 2, each once, nothing deleted, then a quiet run.
# The second conflict's run goes through whole, or is SIGKILLed at
#   apply.after_write   its copies made, the original updated, nothing committed
#   apply.after_commit  all of it committed, nothing told
# Before the fix both conflicts' copies were created with one key (derived
# from the right's id alone): a store honouring idempotent create answered
# the second conflict's creates with the first's copies, and "RIGHT 2" was
# kept nowhere (each side ended LEFT 2|RIGHT 1).
# Stores: local JSON on the left; on the right local JSON, and the lost-answer
# fixture with keys in its listings.
# Usage: keep_both_twice.sh ACCORD LOST_ANSWER_PLUGIN_DIR
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../report.sh"  # ok, bad, runp (before any cd)
accord=$(realpath "$1") plugins=$(realpath "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-crash-keepboth2.XXXXXX")
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

# edit_right KIND FROM TO: the right's note holding body FROM now holds TO
edit_right() {
  if [ "$1" = local ]; then
    python3 - "$2" "$3" <<'PY'
import glob, json, sys
for f in glob.glob("right/note/*.json"):
    d = json.load(open(f))
    if d["body"] == sys.argv[1]:
        d["body"] = sys.argv[2]; json.dump(d, open(f, "w")); break
PY
  else
    python3 - "$2" "$3" <<'PY'
import json, sys
d = json.load(open("right/store.json"))
for rid, r in d["records"].items():
    if r["data"]["body"] == sys.argv[1]:
        d["seq"] += 1
        r["data"]["body"] = sys.argv[2]
        r["version"] = rid + "." + str(d["seq"])
        break
json.dump(d, open("right/store.json", "w"))
PY
  fi
}

# quiet: runs until "nothing to do" (at most 3 runs); the runs' output in $all
quiet() {
  all=""
  for i in 1 2 3; do
    runp --plugin-dir "$plugins" run kb.json
    all+="--- run ($i): $out"$'\n'
    grep -q "nothing to do" <<<"$out" && return 0
  done
  return 1
}

# round NAME RIGHT_KIND FAILPOINT ("" for none)
round() {
  local name=$1 kind=$2 fp=$3 dir="$work/$1"
  mkdir -p "$dir/left/note" "$dir/right" && cd "$dir" || return
  printf '{"title": "n0", "body": "base"}\n' > left/note/n0.json
  local right='{"connector": "lost-answer", "config": {"path": "right", "list_keys": true}}'
  [ "$kind" = local ] && right='{"connector": "local", "config": {"backend": "json", "path": "right"}}' && mkdir -p right/note
  printf '{"name": "kb", "state": "kb-state.sqlite",
 "left": {"connector": "local", "config": {"backend": "json", "path": "left"}},
 "right": %s,
 "streams": [{"left": "note", "right": "note", "conflict": {"policy": "keep-both"}}]}\n' "$right" > kb.json
  runp --plugin-dir "$plugins" run kb.json
  [ "$rc" = 0 ] || { bad "$name: first run" "$out"; cd "$work"; return; }
  # conflict 1
  sleep 1.1  # (a newer modification time than the last run's)
  printf '{"title": "n0", "body": "LEFT 1"}\n' > left/note/n0.json
  edit_right "$kind" base "RIGHT 1"
  quiet
  local want=$'LEFT 1\nRIGHT 1' l r
  l=$(texts left local) r=$(texts right "$kind")
  if [ "$l" != "$want" ] || [ "$r" != "$want" ]; then
    bad "$name: first conflict" "left: $l" "right: $r" "$all"
    cd "$work" || return
    return
  fi
  # conflict 2, on the same original
  sleep 1.1
  printf '{"title": "n0", "body": "LEFT 2"}\n' > left/note/n0.json
  edit_right "$kind" "LEFT 1" "RIGHT 2"
  local killed=""
  if [ -n "$fp" ]; then
    ACCORD_FAILPOINT=$fp runp --plugin-dir "$plugins" run kb.json
    killed="killed run: $out"
  fi
  quiet
  local calm=$?
  want=$'LEFT 2\nRIGHT 1\nRIGHT 2' l=$(texts left local) r=$(texts right "$kind")
  if [ "$l" = "$want" ] && [ "$r" = "$want" ] && [ ! -s right/deletes.log ] && [ "$calm" = 0 ]; then
    ok "$name: each side holds LEFT 2, RIGHT 1 and RIGHT 2 once, nothing deleted, then nothing to do"
  else
    bad "$name: each side holds LEFT 2, RIGHT 1 and RIGHT 2 once, nothing deleted, then nothing to do" \
      "left: $l" "right: $r" "$killed" "$all" "deletes: $(cat right/deletes.log 2>/dev/null)"
  fi
  cd "$work" || return
}

for kind in local lost-answer; do
  round "$kind" "$kind" ""
  for fp in apply.after_write apply.after_commit; do round "$kind-$fp" "$kind" "$fp"; done
done
exit $fail
