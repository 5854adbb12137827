#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The mistakes a new user makes, refused with a message that says what to do:
# an emptied small store, another pipeline's state or a store changed under
# its state, one store on both sides (also through a symbolic link), a run
# that would create more than half of a side again, an edited saved plan;
# and --force=NAME overriding only the guard it names.
# Usage: guards_test.sh ACCORD
set -u
. "$(dirname "${BASH_SOURCE[0]}")/report.sh"  # ok, bad, runp (before any cd)
accord=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-guards.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN= ACCORD_SECRETS=
card() { printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:%s\r\nFN:%s\r\nEMAIL:%s@example.org\r\nEND:VCARD\r\n' "$1" "$2" "$1"; }
count() { sqlite3 "$1" "SELECT count(*) FROM r_contact WHERE deleted = 0"; }
pipeline() {  # FILE NAME BOOK CRM [EXTRA STREAM KEYS]
  printf '{"name": "%s", "state": "%s-state.sqlite",
 "left": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "%s"}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "path": "%s"}},
 "streams": [{"left": "contact", "right": "contact", "match": [{"left": "/emails/*/address", "normalise": "email"}]%s}]}\n' \
    "$2" "$2" "$3" "$4" "${5:-}" > "$1"
}

# -- an emptied small store: three vCards moved away do not delete three contacts
mkdir -p small
for i in 1 2 3; do card "s$i" "Small $i" > "small/s$i.vcf"; done
pipeline small.json small small small.sqlite
"$accord" run small.json > /dev/null
mkdir -p away && mv small/*.vcf away/
runp run small.json
[ $rc = 6 ] && [ "$(count small.sqlite)" = 3 ] && printf '%s' "$out" | grep -q "would delete all 3 records on the right side" \
  && printf '%s' "$out" | grep -q -- "--force=empty" \
  && ok emptied-small-store-refused || bad emptied-small-store-refused "rc=$rc $(count small.sqlite)" "$out"
runp run small.json --force=empty
[ $rc = 0 ] && [ "$(count small.sqlite)" = 0 ] && printf '%s' "$out" | grep -q "forced past a guard" \
  && ok emptied-store-forced-by-name || bad emptied-store-forced-by-name "rc=$rc $(count small.sqlite)" "$out"

# -- another pipeline's state is refused, naming it; so is a store changed under its state
mkdir -p book other
for i in $(seq 1 12); do card "p$i" "Person $i" > "book/p$i.vcf"; done
for i in $(seq 1 4); do card "o$i" "Other $i" > "other/o$i.vcf"; done
pipeline a.json a book a.sqlite
pipeline b.json b other b.sqlite
"$accord" run a.json > /dev/null
"$accord" run b.json > /dev/null
runp --state a-state.sqlite run b.json
[ $rc = 6 ] && printf '%s' "$out" | grep -q 'is the state of pipeline "a", not of "b"' && [ "$(count a.sqlite)" = 12 ] \
  && [ "$(ls book | wc -l)" = 12 ] && ok other-pipelines-state-refused || bad other-pipelines-state-refused "rc=$rc" "$out"
runp --state a-state.sqlite plan b.json
[ $rc = 6 ] && printf '%s' "$out" | grep -q 'is the state of pipeline "a"' && ok other-pipelines-state-refused-by-plan || bad other-pipelines-state-refused-by-plan "rc=$rc" "$out"
mkdir -p moved && cp other/*.vcf moved/
pipeline a2.json a moved a.sqlite
mv a2.json a.json
runp run a.json
[ $rc = 6 ] && printf '%s' "$out" | grep -q "was made with the left side's store" && printf '%s' "$out" | grep -q -- "--force=store" \
  && [ "$(count a.sqlite)" = 12 ] && ok changed-store-refused || bad changed-store-refused "rc=$rc $(count a.sqlite)" "$out"

# -- one store on both sides, also through a symbolic link: validate says so
ln -s book booklink
printf '{"name": "same", "left": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "book"}},
 "right": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "booklink"}},
 "streams": [{"left": "contact", "right": "contact"}]}\n' > same.json
runp validate same.json
[ $rc != 0 ] && printf '%s' "$out" | grep -q "same store" && ok same-store-both-sides-refused || bad same-store-both-sides-refused "rc=$rc" "$out"

# -- a match key no connector fills never matches (every record copied again): validate says so, with the fix
printf '{"name": "typo", "left": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "book"}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "path": "typo.sqlite"}},
 "streams": [{"left": "contact", "right": "contact", "match": [{"left": "/emial/*/address", "normalise": "email"}]}]}\n' > typo.json
runp validate typo.json
[ $rc = 3 ] && printf '%s' "$out" | grep -q "/streams/0/match/0/left: no connector of this pair fills /emial" \
  && printf '%s' "$out" | grep -q "did you mean /emails/\*/address" && [ "$(printf '%s' "$out" | grep -c "fills /emial")" = 1 ] \
  && ok misspelt-match-key-refused || bad misspelt-match-key-refused "rc=$rc" "$out"

# -- no place for the state (HOME unset, no "state"): refused, not a state in the working directory
printf '{"name": "homeless", "left": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "book"}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "path": "homeless.sqlite"}},
 "streams": [{"left": "contact", "right": "contact"}]}\n' > homeless.json
out=$(env -u HOME -u XDG_STATE_HOME "$accord" run homeless.json 2>&1); rc=$?
[ $rc = 3 ] && printf '%s' "$out" | grep -q "no place for the state" && [ ! -e accord/homeless.sqlite ] && [ ! -e homeless.sqlite ] \
  && ok no-state-place-refused || bad no-state-place-refused "rc=$rc" "$out"

# -- a first sync that would create more than half of a side that has records (no match key matches)
mkdir -p many
for i in $(seq 1 30); do card "m$i" "Many $i" > "many/m$i.vcf"; done
for i in $(seq 5 20); do card "q$i" "Q $i" > "other/q$i.vcf"; done
"$accord" run b.json > /dev/null  # b.sqlite: 20 records
cp b.sqlite many.sqlite
pipeline many.json many many many.sqlite
runp run many.json
[ $rc = 6 ] && printf '%s' "$out" | grep -q "creates of [0-9]* records linked to nothing on the .* side is more than the guard allows" \
  && printf '%s' "$out" | grep -q -- "--force=creates" && [ "$(count many.sqlite)" = 20 ] && [ "$(ls many | wc -l)" = 30 ] \
  && ok mass-creates-refused || bad mass-creates-refused "rc=$rc $(count many.sqlite)" "$out"
# --force names what it overrides: the others stay on
runp run many.json --force=deletes,updates
[ $rc = 6 ] && [ "$(count many.sqlite)" = 20 ] && ok force-names-only-what-it-overrides \
  || bad force-names-only-what-it-overrides "rc=$rc $(count many.sqlite)" "$out"
runp run many.json --force=nonsense
[ $rc = 2 ] && printf '%s' "$out" | grep -q "no such guard" && ok force-unknown-guard-refused || bad force-unknown-guard-refused "rc=$rc" "$out"

# -- a filter narrowed after a sync: the records it now leaves out are parked (linked, nothing written
# either way: docs/pipelines.md, Filters), deleted on neither side
mkdir -p nb
for i in $(seq 1 12); do card "n$i" "Narrow $i" > "nb/n$i.vcf"; done
pipeline narrow.json narrow nb narrow.sqlite
"$accord" run narrow.json > /dev/null
for i in 1 2 3 4; do sed -i "s/^FN:Narrow $i\r\$/FN:Narrow $i\r\nCATEGORIES:Don't sync with CRM\r/" "nb/n$i.vcf"; done
pipeline narrow.json narrow nb narrow.sqlite ', "filter": {"left": {"preset": "automatic", "name": "CRM"}}'
runp run narrow.json; first=$out
runp run narrow.json; again=$out
[ "$(count narrow.sqlite)" = 12 ] && [ "$(ls nb/*.vcf | wc -l)" = 12 ] && printf '%s' "$again" | grep -q "nothing to do" \
  && [ "$(sqlite3 narrow-state.sqlite "SELECT count(*) FROM links")" = 12 ] && [ "$(printf '%s' "$first" | grep -c "parked ")" = 4 ] \
  && ok narrowed-filter-deletes-nothing || bad narrowed-filter-deletes-nothing "$(count narrow.sqlite) $(ls nb | wc -l)" "$first" "$again"

# -- a saved plan whose ops were edited is refused; the plan as made applies
for i in 13 14; do card "p$i" "Person $i" > "book/p$i.vcf"; done
pipeline c.json c book c.sqlite
"$accord" run c.json > /dev/null
rm book/p13.vcf book/p14.vcf
"$accord" plan c.json --out plan.json > /dev/null
python3 - plan.json <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
for pair in p["pairs"].values():
    pair["ops"] = pair["ops"][:1]
json.dump(p, open(sys.argv[1] + ".edited", "w"))
PY
runp apply plan.json.edited
[ $rc != 0 ] && printf '%s' "$out" | grep -q "were edited after it was made" && [ "$(count c.sqlite)" = 14 ] \
  && ok edited-plan-refused || bad edited-plan-refused "rc=$rc $(count c.sqlite)" "$out"
runp apply plan.json
[ $rc = 0 ] && [ "$(count c.sqlite)" = 12 ] && ok plan-as-made-applies || bad plan-as-made-applies "rc=$rc $(count c.sqlite)" "$out"

exit $fail
