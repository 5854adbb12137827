#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `accord status` lists the creates answered retry that may have been made
# (kept by their keys and sent again as resends before each read): pair,
# stream, target side, source, key, since (the first try), tries and the
# last answer, in text and in --json ("retried_create"); a record of the
# target side read while one waits says it may be held; a create settled is
# no longer listed. The target is the lost-answer fixture
# (host/tests/lost_answer_connector.cpp), which lists records without keys.
# Usage: retried_status_test.sh ACCORD LOST_ANSWER_PLUGIN_DIR
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/report.sh"  # ok, bad, runp
accord=$1 plugins=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-retried-status.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN= ACCORD_SECRETS=
accord() { "$accord" --plugin-dir "$plugins" "$@"; }
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

mkdir -p left/note right
for n in 0 1 2; do printf '{"title": "n%s"}\n' "$n" > "left/note/n$n.json"; done
printf '{"name": "r", "state": "r-state.sqlite",
 "left": {"connector": "local", "config": {"backend": "json", "path": "left"}},
 "right": {"connector": "lost-answer", "config": {"path": "right", "list_keys": false}},
 "streams": [{"left": "note", "right": "note"}]}\n' > r.json

# run 1: the first create's answer is lost after the fixture stored it
echo 1 > right/lose
before=$(now)
accord run r.json > run1.out 2>&1
after=$(date -u -d @$(( $(date -u +%s) + 1 )) +%Y-%m-%dT%H:%M:%SZ)  # (the kept time: when the apply call returned, rounded up)
accord status r.json > status1.out 2>&1
accord --json status r.json > status1.json 2>&1
python3 - "$before" "$after" 1 "the answer was lost" status1.out status1.json <<'PY' \
  && ok status-lists-a-create-answered-retry || bad status-lists-a-create-answered-retry "$(cat run1.out status1.out status1.json)"
import json, re, sys
before, after, tries, answer, text, js = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
lines = open(text).read().splitlines()
i = lines.index("creates answered retry, looked for by their keys before they are sent again: 1")
line = lines[i + 1]
m = re.fullmatch(r"  (\S+) note → right: left (.+?), key (\S+), since (\S+), (\d+) tr(?:y|ies), last answer: (.*)", line)
assert m, line
assert before <= m.group(4) <= after, (before, m.group(4), after)
assert int(m.group(5)) == tries and answer in m.group(6), line
objs = [json.loads(l) for l in open(js) if l.strip().startswith("{")]
kept = [o for o in objs if o.get("type") == "retried_create"]
assert len(kept) == 1, objs
k = kept[0]
assert k["stream"] == "note" and k["side"] == "right" and k["key"] == m.group(3), k
assert k["since"] == m.group(4) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", k["since"]), k
assert k["tries"] == tries and answer in k["last_answer"] and k["source_id"] and k["pair"] == m.group(1), k
status = [o for o in objs if o.get("type") == "status"][0]
assert status["retried_creates"] == 1, status
open("since", "w").write(k["since"])
PY

# run 2: the resend's look-up fails too: two tries, the same first time;
# the record the lost write made, read now without its key, may be held
touch right/fail-lookups
sleep 1.3
accord run r.json > run2.out 2>&1
accord status r.json > status2.out 2>&1
accord --json status r.json > status2.json 2>&1
python3 - "$(cat since)" "$(cat since)" 2 "the look-up failed" status2.out status2.json <<'PY' \
  && ok status-counts-the-tries-and-keeps-the-first-time || bad status-counts-the-tries-and-keeps-the-first-time "$(cat run2.out status2.out status2.json)"
import json, re, sys
since, tries, answer, text = sys.argv[1], int(sys.argv[3]), sys.argv[4], sys.argv[5]
out = open(text).read()
assert f"since {since}, {tries} tries, last answer: " in out and answer in out, out
assert "held if it may be the record a create answered retry made (left " in out, out
PY
grep -q "held: the right record" run2.out && ok run-says-what-it-held || bad run-says-what-it-held "$(cat run2.out)"

# run 3: the resend finds the record: settled, no longer listed
rm right/fail-lookups
sleep 1.3
accord run r.json > run3.out 2>&1
accord status r.json > status3.out 2>&1
accord --json status r.json > status3.json 2>&1
if ! grep -q "creates answered retry" status3.out && ! grep -q '"retried_create"' status3.json \
  && [ "$(ls left/note | wc -l)" = 3 ]; then
  ok a-settled-create-is-no-longer-listed
else
  bad a-settled-create-is-no-longer-listed "$(ls left/note)" "$(cat run3.out status3.out)"
fi
exit $fail
