#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What the host does with a connector that lies on the wire (the liar
# fixture, tests/fixtures/liar_connector.c): a record it cannot read is
# skipped, reported (connector, stream, id, JSON pointer, reason) and listed
# by `accord status` until it is read right; the rest commit; a batch that is
# not JSON stops the pair naming the plugin; wrong apply results fail only
# their own ops. The host never crashes (exit codes above 128, sanitizers).
# Usage: bad_records_test.sh ACCORD LIAR_DIR
set -u
. "$(dirname "${BASH_SOURCE[0]}")/report.sh"  # ok, bad, runp (before any cd)
accord=$1 liar=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-liar.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN= ACCORD_SECRETS=
count() { sqlite3 "$1" "SELECT count(*) FROM r_$2 WHERE deleted = 0" 2>/dev/null || echo 0; }
titles() { sqlite3 "$1" "SELECT json_extract(data, '\$.title') FROM r_note WHERE deleted = 0 ORDER BY 1" 2>/dev/null | tr '\n' '|'; }
# from_liar NAME MODE: the liar on the left, copied into NAME.sqlite
from_liar() {
  printf '{"name": "%s", "state": "%s-state.sqlite",
 "left": {"connector": "liar", "config": {"mode": "%s"}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "path": "%s.sqlite"}},
 "streams": [{"left": "note", "right": "note", "direction": "left-to-right"}]}\n' "$1" "$1" "$2" "$1" > "$1.json"
}
# to_liar NAME MODE: three notes from a json folder written to the liar
to_liar() {
  printf '{"name": "%s", "state": "%s-state.sqlite",
 "left": {"connector": "local", "config": {"backend": "json", "create": true, "path": "src"}},
 "right": {"connector": "liar", "config": {"mode": "%s"}},
 "streams": [{"left": "note", "right": "note", "direction": "left-to-right"}]}\n' "$1" "$1" "$2" > "$1.json"
}
alive() { [ "$1" -lt 128 ]; }

# -- one bad record among good ones: the good ones commit, each bad one is named
from_liar r read
runp --plugin-dir "$liar" run r.json
alive $rc && [ $rc = 5 ] && [ "$(count r.sqlite note)" = 4 ] \
  && [ "$(titles r.sqlite)" = "first again|fourth|huge|second|" ] \
  && ok good-records-commit-past-bad-ones || bad good-records-commit-past-bad-ones "rc=$rc" "$(titles r.sqlite)" "$out"
line() { printf '%s\n' "$out" | grep -F "$1" | grep -F "liar note" | grep -qF "$2"; }
line '"latin"' '/records/1/data/title' && line '"latin"' 'invalid UTF-8' \
  && ok invalid-utf8-named-by-record-and-pointer || bad invalid-utf8-named-by-record-and-pointer "$out"
line '/records/2/id' 'must be a string' && line '/records/3' 'no id' && line '"arr"' '/records/4/data' \
  && line '"delstr"' '/records/5/deleted' && line '"vnum"' '/records/6/version' && line '/records/7' 'must be a JSON object' \
  && line '"deep"' '/records/1' \
  && ok wrong-types-named-by-record-and-pointer || bad wrong-types-named-by-record-and-pointer "$out"
printf '%s\n' "$out" | grep -F 'liar note' | grep -F '/records/2/id' | grep -qF 'invalid UTF-8' \
  && ok id-not-utf8-reported || bad id-not-utf8-reported "$out"
runp --plugin-dir "$liar" status r.json
printf '%s\n' "$out" | grep -q "unreadable records (skipped): 9" && printf '%s\n' "$out" | grep -F '"latin"' | grep -qF 'invalid UTF-8' \
  && ok status-lists-unreadable || bad status-lists-unreadable "$out"
runp --plugin-dir "$liar" --json status r.json
printf '%s\n' "$out" | grep '"type":"unreadable"' | grep -F '"id":"latin"' | grep -qF '"pointer":"/records/1/data/title"' \
  && ok status-json-lists-unreadable || bad status-json-lists-unreadable "$out"

# -- the same records told right: they sync, and leave the list
from_liar r read-fixed
runp --plugin-dir "$liar" run r.json
st=$("$accord" --plugin-dir "$liar" status r.json 2>&1)
alive $rc && [ $rc = 0 ] && [ "$(titles r.sqlite)" = "Café crème|first again|fourth|huge|second|" ] \
  && printf '%s\n' "$st" | grep -q "unreadable records (skipped): 0" \
  && ok fixed-record-syncs-and-leaves-the-list || bad fixed-record-syncs-and-leaves-the-list "rc=$rc" "$(titles r.sqlite)" "$out" "$st"

# -- a batch that is not JSON: the pair stops, naming the plugin and the stream
from_liar g garbage
runp --plugin-dir "$liar" run g.json
alive $rc && [ $rc = 1 ] && printf '%s\n' "$out" | grep -q "connector liar (note) answered a batch that is not JSON" \
  && ok garbage-batch-stops-pair-naming-plugin || bad garbage-batch-stops-pair-naming-plugin "rc=$rc" "$out"

# -- apply results: too few, too many, wrong types, no JSON
mkdir -p src/note
for n in a b c d e; do printf '{"title": "%s", "body": "fine"}\n' "$n" > src/note/$n.json; done
to_liar few apply-few
runp --plugin-dir "$liar" run few.json
alive $rc && [ $rc = 5 ] && printf '%s\n' "$out" | grep -q "applied 4 writes, 1 failed" \
  && printf '%s\n' "$out" | grep -q "liar answered 4 results for 5 ops" \
  && ok too-few-results-fail-only-the-missing || bad too-few-results-fail-only-the-missing "rc=$rc" "$out"
to_liar many apply-many
runp --plugin-dir "$liar" run many.json
alive $rc && [ $rc = 0 ] && printf '%s\n' "$out" | grep -q "applied 5 writes" \
  && printf '%s\n' "$out" | grep -q "liar (note) answered 7 results for 5 ops" \
  && ok too-many-results-noted || bad too-many-results-noted "rc=$rc" "$out"
to_liar wrong apply-wrong
runp --plugin-dir "$liar" run wrong.json
alive $rc && [ $rc = 5 ] && printf '%s\n' "$out" | grep -q "applied 1 write, 4 failed" \
  && printf '%s\n' "$out" | grep -q "/0/status" && printf '%s\n' "$out" | grep -q "/1: .*must be a JSON object" \
  && printf '%s\n' "$out" | grep -q "/2/id" \
  && ok wrong-result-types-fail-their-ops || bad wrong-result-types-fail-their-ops "rc=$rc" "$out"
to_liar ag apply-garbage
runp --plugin-dir "$liar" run ag.json
alive $rc && [ $rc = 1 ] && printf '%s\n' "$out" | grep -q "connector liar (note) answered apply results that are not JSON" \
  && ok garbage-results-stop-pair-naming-plugin || bad garbage-results-stop-pair-naming-plugin "rc=$rc" "$out"
# -- fetch: a body in Latin-1 fails only the create that wanted it, naming where;
# the record the answer leaves out (f3) is gone from the source since it was
# listed: its create is skipped, neither failed nor quarantined
printf '{"name": "fe", "state": "fe-state.sqlite",
 "left": {"connector": "liar", "config": {"mode": "fetch"}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "path": "fe.sqlite"}},
 "streams": [{"left": "mail", "right": "note", "direction": "left-to-right"}]}\n' > fe.json
runp --plugin-dir "$liar" run fe.json
alive $rc && [ $rc = 5 ] && printf '%s\n' "$out" | grep -q "applied 1 write, 1 failed (1 quarantined; see accord status), 1 skipped (gone from their source since it was read" \
  && [ "$(sqlite3 fe-state.sqlite "SELECT group_concat(id) FROM quarantine")" = f2 ] \
  && [ "$(sqlite3 fe.sqlite "SELECT json_extract(data, '\$.body') FROM r_note")" = fetched ] \
  && printf '%s\n' "$out" | grep -q "could not read the record's body from the left side (liar mail at /records/1/data/body: invalid UTF-8" \
  && ok fetched-body-unreadable-fails-its-create-only || bad fetched-body-unreadable-fails-its-create-only "rc=$rc" "$out"
# and the run's history keeps the skip: accord status says it of that run
# (its summary's "gone"), in text and in --json's run event
runp --plugin-dir "$liar" status fe.json
printf '%s\n' "$out" | grep -E '^  #[0-9]+ run .* partial' | grep -q "1 skipped (gone from their source since it was read" \
  && ok status-shows-a-runs-skipped-creates || bad status-shows-a-runs-skipped-creates "$out"
runp --plugin-dir "$liar" --json status fe.json
printf '%s\n' "$out" | python3 -c '
import json, sys
runs = [e for e in map(json.loads, sys.stdin) if e["type"] == "run"]
assert len(runs) == 1 and runs[0]["gone"] == 1 and runs[0]["status"] == "partial", runs
' && ok status-json-shows-a-runs-skipped-creates || bad status-json-shows-a-runs-skipped-creates "$out"
exit $fail
