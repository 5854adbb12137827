#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A record nested as deep as the host reads (its data 31 levels: the record
# 32 from its own object, docs/sdk.md) is written like any other, and does
# not stop the records written with it: the ops that carry it nest two
# levels deeper than its data, and a saved plan a few more. Once, such a
# record failed every write of its apply batch ("ops must be a JSON array":
# the kit parsed ops at the records' depth), and a saved plan holding it
# could not be applied ("not valid JSON: too deep"). Review s18 F0.
# Usage: deep_records_test.sh ACCORD
set -u
. "$(dirname "${BASH_SOURCE[0]}")/report.sh"  # ok, bad, runp (before any cd)
accord=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-deep.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN= ACCORD_SECRETS=
# nested LEVELS TEXT: a record's data nested LEVELS deep, "full" holding TEXT at the bottom
nested() {
  local k=$(($1 - 2)) open close
  open=$(printf '%*s' "$k" '' | tr ' ' '[') close=$(printf '%*s' "$k" '' | tr ' ' ']')
  printf '{"title":"deep","name":{"full":%s"%s"%s}}' "$open" "$2" "$close"
}
mkdir -p src/item
for i in 1 2 3 4 5; do printf '{"title":"note %s"}' "$i" > "src/item/n$i.json"; done
nested 31 first > src/item/deep.json
cat > p.json <<'JSON'
{"name": "deep", "state": "state.sqlite",
 "left": {"connector": "local", "config": {"backend": "json", "path": "src"}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "create": true, "path": "dst.sqlite"}},
 "streams": [{"left": "item", "right": "item", "direction": "left-to-right",
              "mapping": [{"left": "/title", "right": "/title"}, {"left": "/name", "right": "/name"},
                          {"left": "/more", "right": "/more"}]}]}
JSON
data_of() { sqlite3 dst.sqlite "SELECT data FROM r_item WHERE deleted = 0 AND json_extract(data, '\$.title') = '$1'"; }
same() { python3 -c 'import json, sys; sys.exit(json.loads(sys.argv[1]) != json.loads(sys.argv[2]))' "$1" "$2" 2> /dev/null; }

# -- created with the others, in one batch
runp run p.json
[ $rc = 0 ] && [ "$(sqlite3 dst.sqlite 'SELECT count(*) FROM r_item WHERE deleted = 0')" = 6 ] \
  && same "$(data_of deep)" "$(cat src/item/deep.json)" \
  && ok the-deepest-record-is-created-with-the-others || bad the-deepest-record-is-created-with-the-others "rc=$rc" "$out" \
       "$(sqlite3 dst.sqlite 'SELECT data FROM r_item')"

# -- updated through a saved plan
nested 31 second > src/item/deep.json
printf '{"title":"note 1","more":1}' > src/item/n1.json
runp plan p.json --out plan.json
rc_plan=$rc
runp apply plan.json
[ $rc_plan = 0 ] && [ $rc = 0 ] && same "$(data_of deep)" "$(cat src/item/deep.json)" \
  && same "$(data_of 'note 1')" '{"title":"note 1","more":1}' \
  && ok a-saved-plan-holding-the-deepest-record-applies || bad a-saved-plan-holding-the-deepest-record-applies \
       "plan rc=$rc_plan, apply rc=$rc" "$out" "$(data_of deep)"

# -- one level deeper than the host reads: that record alone is refused, named
nested 32 third > src/item/deep.json
printf '{"title":"note 2","more":2}' > src/item/n2.json
runp run p.json
same "$(data_of 'note 2')" '{"title":"note 2","more":2}' && printf '%s\n' "$out" | grep -q 'nested deeper than 32 levels' \
  && same "$(data_of deep)" "$(nested 31 second)" \
  && ok a-record-deeper-than-the-host-reads-is-refused-alone || bad a-record-deeper-than-the-host-reads-is-refused-alone \
       "rc=$rc" "$out" "$(data_of deep)"
exit $fail
