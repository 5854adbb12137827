#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Found by crash.sqlite_json_server, crash.sqlite_salesforce and
# crash.vcard_sqlite (issue 17 campaign), in their uninterrupted runs: a
# create's mirror row is what was sent, until a later read lists the copy
# with the version the create answered. If the copy is edited in the target
# before that read (another version), the sent form is the base and every
# difference of the target's own form is taken for the user's edit and
# written over the source: here uid and nicknames vanish from the sqlite
# source (crm-rest drops what it has no field for, adds kind/version); with
# a vCard target, an address's countryCode. With "settle" (a quiet run
# between the create and the edit) only the title travels; a create killed
# and resumed is read back at once and does not show it either, so
# interrupted and uninterrupted runs end differently.
# Usage: tests/crash/repro/normal_form_travels_back.sh build/bin/accord tests/peers [settle]
set -u
accord=$1 peers=$2
w=$(mktemp -d); cd "$w"; export HOME=$w ACCORD_ADMIN= ACCORD_SECRETS=
echo '{"contacts": [], "notes": []}' > db.json
node "$peers/json_server_peer.js" db.json > peer.out & pp=$!; trap 'kill $pp; rm -rf "$w"' EXIT
for _ in $(seq 50); do grep -q port peer.out && break; sleep 0.1; done; base=http://127.0.0.1:$(awk '{print $2}' peer.out)
mkdir -p seed/contact
echo '{"@type": "Card", "uid": "urn:uuid:s-1", "name": {"components": [{"kind": "given", "value": "Sam"}, {"kind": "surname", "value": "One"}]},
 "nicknames": {"n1": {"name": "Sammy"}}, "emails": {"e1": {"address": "s1@example.org"}}, "titles": {"t1": {"name": "Analyst"}}}' > seed/contact/s1.json
echo '{"name": "seed", "state": "seed.sqlite", "left": {"connector": "local", "config": {"backend": "json", "create": true, "path": "seed"}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "path": "left.sqlite"}}, "streams": [{"left": "contact", "right": "contact", "direction": "left-to-right"}]}' > seed.json
echo "{\"name\": \"p\", \"state\": \"state.sqlite\", \"left\": {\"connector\": \"local\", \"config\": {\"backend\": \"sqlite\", \"path\": \"left.sqlite\"}},
 \"right\": {\"connector\": \"crm-rest\", \"config\": {\"profile\": \"json-server\", \"base_url\": \"$base\"}}, \"streams\": [{\"left\": \"contact\", \"right\": \"contact\"}]}" > p.json
"$accord" run seed.json > /dev/null
"$accord" run p.json | tail -1                       # creates the contact in the CRM
[ "${3:-}" = settle ] && "$accord" run p.json | tail -1   # a quiet run: nothing to do
id=$(curl -s "$base/contacts" | node -e 'let s="";process.stdin.on("data",c=>s+=c).on("end",()=>console.log(JSON.parse(s)[0].id))')
curl -s -XPATCH -H 'Content-Type: application/json' -d '{"title": "Lead"}' "$base/contacts/$id" > /dev/null   # a CRM user edits the title
"$accord" run p.json | tail -8
sqlite3 left.sqlite "SELECT data FROM r_contact WHERE deleted = 0"
