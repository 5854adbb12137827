#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The quickstart: an exported address book (50 vCards) and a CRM on this
# machine (an SQLite store with its own field names, a custom field, and 8
# contacts of its own, 5 of them also in the address book) kept in accord.
# Shows the plan, applies it, edits one record on each side, syncs again (both
# edits arrive), and a last run has nothing to do. Everything happens in
# build/quickstart/, which you can look at afterwards.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
accord="$root/build/bin/accord"
work="$root/build/quickstart"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
rm -rf "$work"
mkdir -p "$work"
cp -r "$here/contacts" "$here/crm-seed" "$here/quickstart.pipeline.json" "$here/crm-seed.pipeline.json" "$work/"
cd "$work"

step "the CRM on this machine gets its own 8 contacts (crm-seed/ → crm.sqlite)"
"$accord" run crm-seed.pipeline.json > /dev/null
sqlite3 -header -column crm.sqlite \
  "SELECT json_extract(data,'\$.Name') AS Name, json_extract(data,'\$.Email') AS Email,
          json_extract(data,'\$.Title') AS Title, json_extract(data,'\$.Rating') AS Rating FROM r_crm_contact"

step "accord validate quickstart.pipeline.json"
"$accord" validate quickstart.pipeline.json

step "accord plan quickstart.pipeline.json (nothing is written)"
"$accord" plan quickstart.pipeline.json

step "accord run quickstart.pipeline.json"
"$accord" run quickstart.pipeline.json

step "edit one record on each side"
echo "address book: Sofia Rossi's title becomes Chief Creative Officer (sed on her .vcf)"
sed -i 's/^TITLE:Creative Director/TITLE:Chief Creative Officer/' contacts/12-sofia-rossi.vcf
echo "CRM: Grace Hopper's title becomes Chief Navigator (sqlite3 UPDATE)"
sqlite3 crm.sqlite "UPDATE r_crm_contact SET data = json_set(data, '\$.Title', 'Chief Navigator')
                    WHERE json_extract(data, '\$.Email') = 'grace.hopper@navy.example'"

step "accord run quickstart.pipeline.json (both edits travel)"
"$accord" run quickstart.pipeline.json
grep -q '^TITLE:Chief Navigator' contacts/02-grace-hopper.vcf
test "$(sqlite3 crm.sqlite "SELECT json_extract(data,'\$.Title') FROM r_crm_contact
        WHERE json_extract(data,'\$.Email') = 'sofia.rossi@design.example'")" = "Chief Creative Officer"
echo "checked: the address book has Grace's new title, the CRM has Sofia's"

step "accord run quickstart.pipeline.json (nothing to do)"
"$accord" run quickstart.pipeline.json | tee last-run.txt
grep -q "nothing to do" last-run.txt

step "accord status quickstart.pipeline.json"
"$accord" status quickstart.pipeline.json
echo
echo "The address book is in $work/contacts, the CRM in $work/crm.sqlite, the state in $work/state/."
