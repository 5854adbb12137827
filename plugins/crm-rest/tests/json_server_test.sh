#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# crm-rest against a real REST peer: json-server (npm) on a loopback port in a
# temporary folder, behind tests/peers/json_server_peer.js (bearer auth,
# server-set updatedAt, If-Match, injected faults). Checks the conformance
# kit, then a pipeline of vCards ⇄ json-server both ways: first sync, nothing
# to do, edits on each side, deletes each way, 429 waited out, a reset
# connection, a stalled answer, one failed create quarantined while the rest
# commit, an opaque sync-token feed (and its expiry), a refused token, and
# that the token never leaks.
#
# Usage: json_server_test.sh ACCORD CONFORMANCE PLUGIN PEERS_DIR
. "$(dirname "$0")/lib.sh"

if [ ! -x "$peers/node_modules/.bin/json-server" ]; then
  echo "FAIL json-server is not installed: run scripts/install-deps.sh (npm ci in tests/peers)"
  exit 1
fi

canary="tok-canary-$RANDOM$RANDOM-do-not-print"
cat > db.json <<'JSON'
{"contacts": [
  {"id": 9001, "firstName": "Grace", "lastName": "Hopper", "email": "grace@navy.example", "company": "US Navy", "updatedAt": "2026-01-01T00:00:00.000Z"},
  {"id": 9002, "firstName": "Alan", "lastName": "Turing", "email": "alan@bletchley.example", "updatedAt": "2026-01-02T00:00:00.000Z"},
  {"id": 9003, "firstName": "Person", "lastName": "Three", "email": "p3@example.org", "title": "CRM title", "updatedAt": "2026-01-03T00:00:00.000Z"}
 ],
 "notes": []}
JSON
PEER_TOKEN=$canary start_peer node "$peers/json_server_peer.js" db.json
api() { curl -s -H "Authorization: Bearer $canary" -H 'Content-Type: application/json' "$@"; }
faults() { curl -s -XPOST -H 'Content-Type: application/json' -d "$1" "$base/__faults" > /dev/null; }
ncontacts() { api "$base/contacts" | grep -c '"id"'; }

# -- the conformance kit, with bearer auth
printf '{"profile": "json-server", "base_url": "%s", "auth": {"type": "bearer", "token": "%s"}}\n' "$base" "$canary" > kit.json
out=$("$conformance" "$plugin" --config kit.json 2>&1); rc=$?; printf "%s\n" "$out" >> all.out
[ $rc = 0 ] && printf '%s' "$out" | grep -Eq "[0-9]+ passed, 0 failed" && ok conformance-kit-passes || bad conformance-kit-passes "$out"
out=$("$conformance" "$plugin" --config kit.json --stream note 2>&1); rc=$?; printf "%s\n" "$out" >> all.out
[ $rc = 0 ] && printf '%s' "$out" | grep -q "0 failed" && ok conformance-kit-passes-notes || bad conformance-kit-passes-notes "$out"

# a stream named like a canonical one must be that canonical form
printf '{"profile": "json-server", "base_url": "%s", "streams": {"note": {"canonical": null, "mapping": null}}}\n' "$base" > bad.json
out=$("$conformance" "$plugin" --config bad.json 2>&1); printf "%s\n" "$out" >> all.out
printf '%s' "$out" | grep -q 'config: /streams/note/canonical: a stream named "note" is the canonical note stream' \
  && ok canonical-stream-name-checked || bad canonical-stream-name-checked "$out"

# issue 20: a stream's definition goes through the manifest's config_schema
# (one schema, no second reader): a bad one is an error naming the file, the
# JSON pointer and the fix, as the pipeline's own keys are
badstream() {  # badstream NAME STREAMS_JSON EXPECTED_TEXT…
  local name=$1 streams=$2; shift 2
  mkdir -p badbook
  printf '{"name": "bad", "state": "bad.sqlite", "left": {"connector": "local", "config": {"backend": "vcard", "path": "badbook"}},
 "right": {"connector": "crm-rest", "config": {"profile": "json-server", "base_url": "%s", "streams": %s}},
 "streams": [{"left": "contact", "right": "contact"}]}\n' "$base" "$streams" > bad-$name.json
  runp validate bad-$name.json
  local want
  for want in "$@"; do printf '%s' "$out" | grep -qF -- "$want" || { bad "bad-stream-definition-$name" "rc=$rc" "$out" "(wanted: $want)"; return; }; done
  [ $rc != 0 ] && ok "bad-stream-definition-$name" || bad "bad-stream-definition-$name" "rc=$rc" "$out"
}
badstream unknown-key '{"contact": {"pagesize": 5}}' \
  'bad-unknown-key.json: /right/config/streams/contact/pagesize: unknown key "pagesize": did you mean "page_size"?'
badstream enum '{"contact": {"list": {"paging": {"style": "cursr"}}}}' \
  'bad-enum.json: /right/config/streams/contact/list/paging/style: is "cursr", which is not allowed here: did you mean "cursor"?'
badstream pointer '{"note": {"mapping": [{"canonical": "/title", "native": "title"}]}}' \
  'bad-pointer.json: /right/config/streams/note/mapping/0/native: does not have the expected form: a JSON pointer into the native record'
badstream range '{"note": {"page_size": 0}}' 'bad-range.json: /right/config/streams/note/page_size: is 0; the least allowed is 1'
badstream after-merge '{"note": {"list": {"paging": {"style": "cursor"}}}}' \
  'bad-after-merge.json: /right/config: /streams/note/list/paging/next: paging style cursor needs the pointer to the next page in the answer'
# and without the host (the conformance kit loads the plugin alone): the
# connector checks the merged definitions through the same schema
printf '{"profile": "json-server", "base_url": "%s", "streams": {"note": {"lsit": {"path": "/notes"}}}}\n' "$base" > bad-kit.json
out=$("$conformance" "$plugin" --config bad-kit.json 2>&1); printf "%s\n" "$out" >> all.out
printf '%s' "$out" | grep -qF 'config: /streams/note/lsit: unknown key "lsit": did you mean "list"?' \
  && ok bad-stream-definition-checked-by-connector || bad bad-stream-definition-checked-by-connector "$out"

# -- a pipeline: vCards ⇄ json-server
mkdir -p book
for i in $(seq 1 12); do
  printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:p%s\r\nFN:Person %s\r\nN:%s;Person;;;\r\nEMAIL:p%s@example.org\r\nTEL:+4420794600%02d\r\nEND:VCARD\r\n' \
    "$i" "$i" "$(printf 'Number%s' "$i")" "$i" "$i" > "book/p$i.vcf"
done
# p3 also lives in the CRM (matched by email; the CRM's title comes over)
printf '{"crm": "%s"}\n' "$canary" > secrets.json && chmod 600 secrets.json
export ACCORD_SECRETS="$work/secrets.json"
write_pipeline() {  # $1 file, $2 full_listing_hours, $3 stall seconds
  cat > "$1" <<JSON
{"name": "crm", "state": "state.sqlite",
 "left": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "book"}},
 "right": {"connector": "crm-rest", "config": {"profile": "json-server", "base_url": "$base",
            "auth": {"type": "bearer", "token": {"\$secret": "crm"}},
            "timeouts": {"stall_seconds": ${3:-30}},
            "streams": {"contact": {"page_size": 5, "changes": {"full_listing_hours": $2}}}}},
 "streams": [{"name": "contacts", "left": "contact", "right": "contact",
              "match": [{"left": "/emails/*/address", "normalise": "email"}],
              "guards": {"max_delete_share": 0.9}}]}
JSON
}
write_pipeline p.json 24
write_pipeline p-full.json 0
write_pipeline p-stall.json 24 1

runp run p.json
n=$(ncontacts)
vc=$(ls book/*.vcf | wc -l)
[ $rc = 0 ] && [ "$n" = 14 ] && [ "$vc" = 14 ] && ok first-sync-both-ways || bad first-sync-both-ways "rc=$rc contacts=$n vcards=$vc" "$out"
api "$base/contacts?email=p3@example.org" | grep -q '"lastName": "Number3"' && grep -q "CRM title" book/p3.vcf \
  && ok matched-record-merged || bad matched-record-merged "$(api "$base/contacts?email=p3@example.org")" "$(cat book/p3.vcf)"
grep -l "Grace" book/*.vcf > /dev/null && ok crm-record-became-vcard || bad crm-record-became-vcard "$(ls book)"

runp run p.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok second-run-nothing-to-do || bad second-run-nothing-to-do "$out"
# issue 23 item 7: plan says what reading each stream costs (json-server
# states no daily budget, so none is said)
runp plan p.json
printf '%s' "$out" | grep -Eq "crm-rest: contact: reading it took [0-9]+ requests? \(the changes since the last run\)$" \
  && ok plan-states-each-streams-cost || bad plan-states-each-streams-cost "rc=$rc" "$out"

# -- an edit on each side, both arrive
sed -i 's/^TEL:.*/TEL:+442079460777/' book/p5.vcf
id7=$(api "$base/contacts?email=p7@example.org" | awk -F': ' '/"id"/{gsub(/[ ,]/,"",$2); print $2; exit}')
api -XPATCH -d '{"company": "Edited in the CRM"}' "$base/contacts/$id7" > /dev/null
runp run p.json
api "$base/contacts?email=p5@example.org" | grep -q '"phone": "+442079460777"' && grep -q "Edited in the CRM" book/p7.vcf && [ $rc = 0 ] \
  && ok edits-each-side-arrive || bad edits-each-side-arrive "rc=$rc" "$out" "$(cat book/p7.vcf)"
runp run p.json
printf '%s' "$out" | grep -q "nothing to do" && ok edits-settle || bad edits-settle "$out"

# -- issue 20: a CRM value of another type than its canonical field's
# (json-server keeps whatever it is sent: "email": 42) is said, per record,
# naming the record, the field and what was expected; a number travels as
# its text, and the next run has nothing to do (nothing written back)
api -XPOST -d '{"firstName": "Num", "lastName": "Bers", "email": 42}' "$base/contacts" > /dev/null
idn=$(api "$base/contacts?lastName=Bers" | awk -F': ' '/"id"/{gsub(/[ ,]/,"",$2); print $2; exit}')
runp run p.json
[ $rc = 0 ] && printf '%s' "$out" | grep -qF "crm-rest: contact record $idn: /email is 42 (integer), where /emails/*/address wants string: it travels as the text \"42\"" \
  && grep -lq "^EMAIL.*:42" book/*.vcf && ok mistyped-crm-value-warned-and-travels-as-text || bad mistyped-crm-value-warned-and-travels-as-text "rc=$rc id=$idn" "$out"
runp run p.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && [ "$(api "$base/contacts/$idn" | grep -c '"email": 42')" = 1 ] \
  && ok mistyped-crm-value-settles || bad mistyped-crm-value-settles "rc=$rc" "$out" "$(api "$base/contacts/$idn")"

# -- deletes: vCard removed → the CRM record goes; a CRM delete is seen by a full listing
rm book/p2.vcf
runp run p.json
api "$base/contacts?email=p2@example.org" | grep -q '"id"' && bad delete-left-reaches-crm "rc=$rc" "$out" || ok delete-left-reaches-crm
id9=$(api "$base/contacts?email=p9@example.org" | awk -F': ' '/"id"/{gsub(/[ ,]/,"",$2); print $2; exit}')
api -XDELETE "$base/contacts/$id9" > /dev/null
runp run p.json
[ -f book/p9.vcf ] && ok crm-delete-waits-for-full-listing || bad crm-delete-waits-for-full-listing "$out"
runp run p-full.json
[ $rc = 0 ] && [ ! -f book/p9.vcf ] && [ "$(ls book/*.vcf | wc -l)" = 13 ] && ok crm-delete-by-absence-in-full-listing \
  || bad crm-delete-by-absence-in-full-listing "rc=$rc" "$out" "$(ls book)"

# -- limits and faults
faults '{"status": [429, 429], "retry_after": "1"}'
runp run p.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "asked to wait 1 s" && ok rate-limit-429-waited-out || bad rate-limit-429-waited-out "rc=$rc" "$out"

sed -i 's/^TEL:.*/TEL:+442079460888/' book/p6.vcf
faults '{"reset": 1}'
runp run p.json
[ $rc = 0 ] && api "$base/contacts?email=p6@example.org" | grep -q '"phone": "+442079460888"' \
  && ok connection-reset-mid-run-recovers || bad connection-reset-mid-run-recovers "rc=$rc" "$out"

faults '{"stall_ms": 4000}'
start=$(date +%s)
runp run p-stall.json
took=$(( $(date +%s) - start ))
[ $rc = 0 ] && [ "$took" -lt 4 ] && ok stalled-answer-abandoned-and-retried || bad stalled-answer-abandoned-and-retried "rc=$rc took=${took}s" "$out"

for i in 21 22 23; do
  printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:n%s\r\nFN:New %s\r\nN:New%s;Some;;;\r\nEMAIL:n%s@example.org\r\nEND:VCARD\r\n' "$i" "$i" "$i" "$i" > "book/n$i.vcf"
done
faults '{"status": [500], "method": "POST"}'
runp run p.json
made=$(for i in 21 22 23; do api "$base/contacts?email=n$i@example.org" | grep -c '"id"'; done | awk "{s+=\$1} END {print s}")
st=$("$accord" status p.json 2>&1); printf '%s\n' "$st" >> all.out
[ $rc = 5 ] && [ "$made" = 2 ] && printf '%s' "$st" | grep -qi "quarantine" && ok one-failed-create-quarantined-rest-commit \
  || bad one-failed-create-quarantined-rest-commit "rc=$rc made=$made" "$out" "$st"

# -- an opaque sync-token feed (the peer's /__changes, shaped like Google's and
# Microsoft's delta APIs), configured over the profile: a second address book
cat > p-sync.json <<JSON
{"name": "crm-sync", "state": "state-sync.sqlite",
 "left": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "book2"}},
 "right": {"connector": "crm-rest", "config": {"profile": "json-server", "base_url": "$base",
   "auth": {"type": "bearer", "token": {"\$secret": "crm"}},
   "streams": {"contact": {"page_size": 5,
     "list": {"path": "/__changes/contacts", "query": {"limit": "{limit}"}, "records": "/items",
              "paging": {"style": "cursor", "param": "page_token", "next": "/next_page_token"}},
     "changes": {"mode": "sync_token", "token": "/next_sync_token", "deleted": "/deleted",
                 "request": {"path": "/__changes/contacts", "query": {"limit": "{limit}", "sync_token": "{sync_token}"},
                             "records": "/items", "paging": {"style": "cursor", "param": "page_token", "next": "/next_page_token"}}}}}}},
 "streams": [{"name": "contacts", "left": "contact", "right": "contact",
              "match": [{"left": "/emails/*/address", "normalise": "email"}], "guards": {"max_delete_share": 0.9}}]}
JSON
mkdir -p book2
runp run p-sync.json
[ $rc = 0 ] && [ "$(ls book2/*.vcf | wc -l)" = "$(ncontacts)" ] && ok sync-token-first-listing || bad sync-token-first-listing "rc=$rc n=$(ncontacts)" "$out"
id4=$(api "$base/contacts?email=p4@example.org" | awk -F': ' '/"id"/{gsub(/[ ,]/,"",$2); print $2; exit}')
id10=$(api "$base/contacts?email=p10@example.org" | awk -F': ' '/"id"/{gsub(/[ ,]/,"",$2); print $2; exit}')
api -XPATCH -d '{"company": "Seen through the token"}' "$base/contacts/$id4" > /dev/null
api -XDELETE "$base/contacts/$id10" > /dev/null
runp run p-sync.json
[ $rc = 0 ] && grep -lq "Seen through the token" book2/*.vcf && ! grep -lq "p10@example.org" book2/*.vcf \
  && [ "$(ls book2/*.vcf | wc -l)" = "$(ncontacts)" ] && printf '%s' "$out" | grep -Eq "(changed|changes) on the left, 2 on the right" \
  && ok sync-token-brings-edit-and-delete || bad sync-token-brings-edit-and-delete "rc=$rc n=$(ncontacts)" "$out"
curl -s -XPOST "$base/__expire_sync_tokens" > /dev/null
id5=$(api "$base/contacts?email=p5@example.org" | awk -F': ' '/"id"/{gsub(/[ ,]/,"",$2); print $2; exit}')
api -XPATCH -d '{"company": "After the token expired"}' "$base/contacts/$id5" > /dev/null
runp run p-sync.json
[ $rc = 0 ] && grep -lq "After the token expired" book2/*.vcf && [ "$(ls book2/*.vcf | wc -l)" = "$(ncontacts)" ] \
  && ok expired-sync-token-relists-without-duplicates || bad expired-sync-token-relists-without-duplicates "rc=$rc n=$(ncontacts)" "$out"
runp run p-sync.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok sync-token-settles || bad sync-token-settles "$out"

# -- a refused token: AUTH_REQUIRED, with what to do
printf '{"crm": "wrong-%s"}\n' "$RANDOM" > secrets.json
sed -i 's/^TEL:.*/TEL:+442079460999/' book/p8.vcf
runp run p.json
[ $rc = 1 ] && printf '%s' "$out" | grep -q "credentials were refused" && ok refused-token-says-what-to-do || bad refused-token-says-what-to-do "rc=$rc" "$out"
printf '{"crm": "%s"}\n' "$canary" > secrets.json

# -- the token never leaks: not in any output, nor in the state
if alltext | grep -q "$canary" || grep -aq "$canary" state.sqlite* || grep -rq "$canary" book; then
  bad token-never-leaks "the canary token appeared"
else
  ok token-never-leaks
fi
exit $fail
