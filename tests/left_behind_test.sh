#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Losses said per record (issue 21): where the other side does not keep a
# field a record carries, `plan` says under that record's write which of its
# fields stay behind (and --json gives them as the op's "left_behind"); the
# pair's "fields that cannot travel" says it per field; `status` sums up the
# last run's ("sync issues").
# Usage: left_behind_test.sh ACCORD FIXTURE_DIR
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/report.sh"  # ok, bad, runp
accord=$1 fixtures=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-left-behind.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN= ACCORD_SECRETS=
accord() { "$accord" --plugin-dir "$fixtures" "$@"; }

# two journal entries (notes): one with CREATED, one without; memory-c keeps
# a note's title, body and categories, not its uid or times
mkdir notes
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VJOURNAL\r\nUID:j1\r\nSUMMARY:Minutes\r\nDESCRIPTION:All well\r\nCREATED:20260101T100000Z\r\nEND:VJOURNAL\r\nEND:VCALENDAR\r\n' > notes/j1.ics
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VJOURNAL\r\nUID:j2\r\nSUMMARY:Agenda\r\nCATEGORIES:Work\r\nEND:VJOURNAL\r\nEND:VCALENDAR\r\n' > notes/j2.ics
printf '{"name": "n", "state": "n-state.sqlite",
 "left": {"connector": "local", "config": {"backend": "icalendar", "path": "notes"}},
 "right": {"connector": "memory-c", "config": {}},
 "streams": [{"left": "note", "right": "note"}]}\n' > n.json

out=$(accord plan n.json 2>&1); rc=$?
python3 - "$out" <<'PY' && ok plan-says-per-record-what-stays-behind || bad plan-says-per-record-what-stays-behind "rc=$rc" "$out"
import sys
lines = sys.argv[1].splitlines()
def after(label):
    i = next(i for i, l in enumerate(lines) if l.strip().startswith("+ right create " + label))
    return lines[i + 1] if i + 1 < len(lines) else ""
minutes, agenda = after("Minutes"), after("Agenda")
assert "stays behind" in minutes and "/uid" in minutes and "/created" in minutes, minutes
assert "stays behind" in agenda and "/uid" in agenda and "/created" not in agenda, agenda
assert "/categories" not in agenda and "/title" not in minutes, (minutes, agenda)
PY

accord --json plan n.json > plan.json 2> plan.err; rc=$?
python3 - plan.json <<'PY' && ok json-plan-op-has-left-behind || bad json-plan-op-has-left-behind "rc=$rc" "$(cat plan.json plan.err)"
import json, sys
ops = {e["label"]: e for e in map(json.loads, open(sys.argv[1])) if e["type"] == "op"}
assert sorted(ops["Minutes"]["left_behind"]) == ["/created", "/uid"], ops["Minutes"]
assert ops["Agenda"]["left_behind"] == ["/uid"], ops["Agenda"]
PY

# status sums up the last run's sync issues: per pair, how many records left
# which fields behind
accord run n.json > run.out 2>&1; rc=$?
out=$(accord status n.json 2>&1)
printf '%s' "$out" | grep -q '^sync issues of run #1 ' \
  && printf '%s' "$out" | grep -q '^  note: 2 records: /created (1), /uid (2)$' \
  && ok status-sums-up-sync-issues || bad status-sums-up-sync-issues "rc=$rc" "$out" "$(cat run.out)"
accord --json status n.json > st.json
python3 - st.json <<'PY' && ok json-status-left-behind || bad json-status-left-behind "$(cat st.json)"
import json, sys
lb = [e for e in map(json.loads, open(sys.argv[1])) if e["type"] == "left_behind"]
assert len(lb) == 1 and lb[0]["pair"] == "note" and lb[0]["records"] == 2, lb
assert lb[0]["fields"] == {"/created": 1, "/uid": 2} and lb[0]["run"] == 1, lb
PY

# nothing stays behind between two sides that keep the same fields: no line
mkdir copy
printf '{"name": "c", "state": "c-state.sqlite",
 "left": {"connector": "local", "config": {"backend": "icalendar", "path": "notes"}},
 "right": {"connector": "local", "config": {"backend": "icalendar", "path": "copy"}},
 "streams": [{"left": "note", "right": "note"}]}\n' > c.json
out=$(accord plan c.json 2>&1); rc=$?
printf '%s' "$out" | grep -q "right create Minutes" && ! printf '%s' "$out" | grep -q "stays behind" \
  && ok same-fields-nothing-stays-behind || bad same-fields-nothing-stays-behind "rc=$rc" "$out"

# a run's report lists the creates it shows and counts the rest (issue 22:
# RunOptions::list_creates): 30 notes, 25 shown, all 30 counted, made and
# summed up in the sync issues, the 5 unlisted included; --all lists each
mkdir many
for k in $(seq 1 30); do
  printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VJOURNAL\r\nUID:m%s\r\nSUMMARY:Note %s\r\nEND:VJOURNAL\r\nEND:VCALENDAR\r\n' "$k" "$k" > many/m$k.ics
done
printf '{"name": "m", "state": "m-state.sqlite",
 "left": {"connector": "local", "config": {"backend": "icalendar", "path": "many"}},
 "right": {"connector": "memory-c", "config": {}},
 "streams": [{"left": "note", "right": "note"}]}\n' > m.json
out=$(accord run m.json 2>&1); rc=$?
st=$(accord status m.json 2>&1)
[ "$rc" = 0 ] && printf '%s' "$out" | grep -q '^  right: 30 to create, 0 to update, 0 to delete$' \
  && [ "$(printf '%s' "$out" | grep -c '^    + right create Note ')" = 25 ] \
  && printf '%s' "$out" | grep -q '^    … and 5 more (--all shows every one)$' \
  && printf '%s' "$out" | grep -q '^  applied 30 writes$' \
  && printf '%s' "$st" | grep -q '^  note: 30 records: /uid (30)$' \
  && ok run-lists-what-it-shows-and-counts-every-write || bad run-lists-what-it-shows-and-counts-every-write "rc=$rc" "$out" "$st"
rm -rf m-state.sqlite*
out=$(accord run m.json --all 2>&1); rc=$?
[ "$rc" = 0 ] && [ "$(printf '%s' "$out" | grep -c '^    + right create Note ')" = 30 ] && ! printf '%s' "$out" | grep -q 'more (--all' \
  && ok run-all-lists-every-write || bad run-all-lists-every-write "rc=$rc" "$out"
rm -rf m-state.sqlite*
accord --json run m.json > mrun.json 2> mrun.err; rc=$?
python3 - mrun.json <<'PY' && ok json-run-tells-every-write-and-counts || bad json-run-tells-every-write-and-counts "rc=$rc" "$(cat mrun.json mrun.err)"
import json, sys
ev = list(map(json.loads, open(sys.argv[1])))
ops = [e for e in ev if e["type"] == "op"]
assert len(ops) == 30 and all(o["status"] == "ok" and o["op"] == "create" for o in ops), ops
pair = [e for e in ev if e["type"] == "pair"][0]
assert pair["counts"]["right_create"] == 30 and pair["applied"] == 30, pair
PY
exit $fail
