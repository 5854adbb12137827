#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# `accord validate` catches what fails later (issue 19), and validate, plan
# and conflicts list create nothing: no folder, no .accord/index.sqlite, no
# state. Each check: the exit code, a message naming the file, the JSON
# pointer and the fix, and the files and folders before and after.
# Usage: validate_test.sh ACCORD
set -u
accord=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-validate.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export HOME="$work/home" ACCORD_ADMIN= ACCORD_SECRETS=
mkdir -p home book
printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:x\r\nFN:Ex Ample\r\nEMAIL:x@example.org\r\nEND:VCARD\r\n' > book/x.vcf
fail=0
# every file and folder (the index and the state included), with contents
snapshot() { find . -path ./home -prune -o -print | sort; find . -path ./home -prune -o -type f -print | sort | xargs md5sum 2>/dev/null; }

pipeline() {  # pipeline LEFT_CONFIG RIGHT_CONFIG LEFT_STREAM RIGHT_STREAM [PAIR_EXTRA]
  cat <<JSON
{"name": "t", "state": "state/t.sqlite",
 "left": {"connector": "local", "config": $1},
 "right": {"connector": "local", "config": $2},
 "streams": [{"left": "$3", "right": "$4"${5:-}}]}
JSON
}

check() {  # check NAME WANT_EXIT PATTERN VERB ARGS…: and nothing on disk changed
  name=$1 want=$2 pat=$3
  shift 3
  before=$(snapshot)
  out=$("$accord" "$@" 2>&1)
  rc=$?
  after=$(snapshot)
  if [ "$rc" != "$want" ]; then echo "FAIL $name: exit $rc, want $want"; echo "$out"; fail=1; return; fi
  if ! printf '%s\n' "$out" | grep -qF -- "$pat"; then echo "FAIL $name: output lacks: $pat"; echo "$out"; fail=1; return; fi
  if [ "$before" != "$after" ]; then
    echo "FAIL $name: files changed"; printf '%s\n' "$before" > b.txt; printf '%s\n' "$after" | diff b.txt - ; rm -f b.txt; fail=1; return
  fi
  echo "ok   $name"
}

book='{"backend": "vcard", "path": "book"}'
crm='{"backend": "sqlite", "path": "crm.sqlite"}'

# -- the connectors, opened read-only --------------------------------------
pipeline "$book" "$crm" event event > stream.json
check stream-the-backend-lacks 3 'stream.json: /streams/0/left: the left side (local) cannot keep stream "event" with this configuration: this folder backend has no stream "event" (it has: contact)' validate stream.json

pipeline "$book" '{"backend": "vcard", "path": "nothere/deep"}' contact contact > missing.json
check missing-folder-validate 3 'missing.json: /right/config: the folder '"$work"'/nothere/deep does not exist; create it, or set "create": true in right.config' validate missing.json
check missing-folder-plan 3 "missing.json: /right/config: the folder $work/nothere/deep does not exist; create it, or set \"create\": true in right.config" plan missing.json
check missing-folder-run 3 "missing.json: /right/config: the folder $work/nothere/deep does not exist" run missing.json

pipeline "$book" '{"backend": "sqlite", "path": "nothere/crm.sqlite"}' contact contact > missing-sqlite.json
check missing-sqlite-folder 3 "/right/config: the folder $work/nothere does not exist" validate missing-sqlite.json

pipeline "$book" '{"backend": "vcard", "path": "new/deep", "create": true}' contact contact > create.json
check create-validate-creates-nothing 0 'create.json: valid' validate create.json
check create-plan-creates-nothing 0 '+ right create Ex Ample' plan create.json
check conflicts-list-creates-no-state 0 'no open conflicts' conflicts list create.json
"$accord" run create.json > /dev/null 2>&1
if [ -f new/deep/*.vcf ] && [ -f state/t.sqlite ]; then echo "ok   create-run-creates-the-folder"
else echo "FAIL create-run-creates-the-folder: $(find new state 2>&1)"; fail=1; fi
# the folder goes after a run: with "create", a plan reads it as empty and the
# guard refuses to delete what was there; without, the plan says it is missing
rm -rf new
check gone-folder-with-create-refused 6 'refused: the right side listed no records' plan create.json
sed 's/, "create": true//' create.json > gone.json
# (at a later run too, the fix names the pipeline's key, not "the config")
check gone-folder-plan-says-missing 1 "the folder $work/new/deep does not exist; create it, or set \"create\": true in right.config" plan gone.json
rm -rf new state book/.accord

# a folder without its index: planned from a scan, and no index made
pipeline "$book" "$crm" contact contact > fresh.json
check plan-without-index-makes-none 0 '+ right create Ex Ample' plan fresh.json
check validate-without-index-makes-none 0 'fresh.json: valid' validate fresh.json
# a saved plan of a first sync (read-only, its index in memory) still applies
"$accord" plan --out fresh.plan fresh.json > /dev/null 2>&1
out=$("$accord" apply fresh.plan 2>&1)
if printf '%s\n' "$out" | grep -q 'applied 1 write'; then echo "ok   saved-first-plan-applies"
else echo "FAIL saved-first-plan-applies"; echo "$out"; fail=1; fi
# after that run: the index exists; a plan leaves it as it is (no -wal, no -shm)
printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:y\r\nFN:Why Not\r\nEND:VCARD\r\n' > book/y.vcf
check plan-leaves-index-and-state-alone 0 '+ right create Why Not' plan fresh.json
rm -rf state book/.accord crm.sqlite fresh.plan book/y.vcf

# -- filters ---------------------------------------------------------------
pipeline "$book" "$crm" contact contact ', "filter": {"left": [{"date": {"field": "/updated", "after": "2026-02-30"}}]}' > nodate.json
check filter-date-no-such-day 3 'nodate.json: /streams/0/filter/left/0/date/after: "2026-02-30": there is no such day' validate nodate.json
pipeline "$book" "$crm" contact contact ', "filter": {"right": [{"date": {"field": "/updated", "before": "last week"}}]}' > notdate.json
check filter-date-not-a-date 3 'notdate.json: /streams/0/filter/right/0/date/before: "last week" is not a date: write a date (2026-01-31)' validate notdate.json
pipeline "$book" "$crm" contact contact ', "filter": {"left": [{"date": {"field": "/updated", "after": "now-30d", "before": "now+2h"}}]}' > okdate.json
check filter-date-relative-ok 0 'okdate.json: valid' validate okdate.json
pipeline "$book" "$crm" contact contact ', "filter": {"left": [{"date": {"field": "/updated", "after": "2026-05-01", "before": "2026-01-01"}}]}' > swapped.json
check filter-date-swapped 3 'swapped.json: /streams/0/filter/left/0/date: "before" (2026-01-01) is not later than "after" (2026-05-01): no record would pass; swap them' validate swapped.json
pipeline "$book" "$crm" contact contact ', "filter": {"left": [{"field": "/emial", "exists": true}]}' > filterptr.json
check filter-pointer-unknown 3 'filterptr.json: /streams/0/filter/left/0/field: no connector of this pair fills /emial in a jscontact record' validate filterptr.json
pipeline "$book" "$crm" contact contact ', "filter": {"left": [{"date": {"field": "/updatd", "after": "2026-01-01"}}]}' > filterdate.json
check filter-date-pointer-did-you-mean 3 'did you mean /updated?' validate filterdate.json

# -- schema errors in words ------------------------------------------------
pipeline '{"backend": "vcard", "path": "book", "batch_size": "10"}' "$crm" contact contact > type.json
check schema-expected-type 3 'type.json: /left/config/batch_size: is a string ("10"); expected a whole number (no quotes)' validate type.json
pipeline '{"backend": "vcards", "path": "book"}' "$crm" contact contact > enum.json
check schema-enum-allowed-values 3 'enum.json: /left/config/backend: is "vcards", which is not allowed here: did you mean "vcard"? (allowed: "sqlite", "vcard", "icalendar", "json", "maildir")' validate enum.json
pipeline "$book" "$crm" contact contact ', "direction": "sideways"' > direction.json
check schema-enum-no-guess 3 'direction.json: /streams/0/direction: is "sideways", which is not allowed here (allowed: "both", "left-to-right", "right-to-left")' validate direction.json
pipeline "$book" "$crm" contact contact ', "mapin": []' > key.json
check schema-unknown-key-did-you-mean 3 'key.json: /streams/0/mapin: unknown key "mapin": did you mean "mapping"?' validate key.json
pipeline '{"backend": "vcard", "path": "book", "batchsize": 5}' "$crm" contact contact > cfgkey.json
check schema-unknown-config-key 3 'cfgkey.json: /left/config/batchsize: unknown key "batchsize": did you mean "batch_size"?' validate cfgkey.json
pipeline "$book" "$crm" contact contact > plain.json
sed 's/"left": {"connector": "local", /"left": {/' plain.json > required.json
check schema-required-key 3 'required.json: /left: needs "connector", which is missing' validate required.json
sed 's/"streams": \[.*\]}/"streams": []}/' plain.json > nostreams.json
check schema-empty-list 3 'nostreams.json: /streams: is an empty list; it needs at least 1 item' validate nostreams.json

# a UTF-8 byte order mark (Notepad) is read past; UTF-16 is named
printf '\357\273\277' > bom.json; cat plain.json >> bom.json
check bom-accepted 0 'bom.json: valid' validate bom.json
printf '\377\376{}' > utf16.json
check utf16-named 3 'utf16.json: is UTF-16 (it starts with a UTF-16 byte order mark): save it as UTF-8' validate utf16.json
mkdir -p pipes && cp plain.json pipes/
check directory-named 3 'pipes: is a folder, not a JSON file: give the file'"'"'s path (the folder holds plain.json)' validate pipes
check directory-named-plan 3 'pipes: is a folder, not a JSON file' plan pipes
check no-such-file 3 "nope.json: no such file: check the path (it is taken from $work)" validate nope.json

[ "$fail" = 0 ] && echo "all validate checks passed"
exit $fail
