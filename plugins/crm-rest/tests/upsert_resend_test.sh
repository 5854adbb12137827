#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A resent create of a stream that creates by upsert looks first (review s13
# L4): vCards ⇄ the HighLevel fake, whose contacts are made by /contacts/upsert
# (matched by email). The upsert of a new contact is done and its answer lost
# (the fake's /__fault, for each of that run's tries), so the
# create is kept and resent by the next run; meanwhile the user edits that
# contact in HighLevel. The resend must find the contact and write nothing
# over it: the edit stays in HighLevel and reaches the vCard; one contact.
#
# Usage: upsert_resend_test.sh ACCORD CONFORMANCE PLUGIN PEERS_DIR
. "$(dirname "$0")/lib.sh"
token=$(canary hl)
HL_TOKEN=$token HL_LOCATION=locTest1 start_peer node "$peers/highlevel_fake.js"
secrets "{\"highlevel\": \"$token\"}"
plugin_dir=$(dirname "$plugin")
# (no match key: the contact the lost try made is not matched by its email
# but held, as the record that create may have made, until the resend settles it)
cat > p.json <<JSON
{"name": "crm", "state": "state.sqlite",
 "left": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "book"}},
 "right": {"connector": "crm-rest", "config": {"profile": "highlevel", "base_url": "$base",
   "auth": {"token": {"\$secret": "highlevel"}}, "variables": {"location_id": "locTest1"},
   "rate_limit": {"requests_per_second": 0}, "timeouts": {"stall_seconds": 3},
   "streams": {"contact": {"changes": {"full_listing_hours": 0}}}}},
 "streams": [{"name": "contacts", "left": "contact", "right": "contact",
              "guards": {"max_delete_share": 1, "max_create_share": 1, "max_update_share": 1}}]}
JSON
run() { runp --plugin-dir "$plugin_dir" run p.json; }
# contact EMAIL FIELD: that contact's field in the fake
contact() { js "(d.filter(c => c.email === '$1')[0] || {})['$2']"; }
vcards g 1 2 One
run
[ $rc = 0 ] && [ "$(js 'd.length')" = 2 ] && ok first-sync || bad first-sync "rc=$rc" "$out"

vcards g 3 3 Three
ctl __fault '{"drop_answer_after_commit": 3, "method": "POST", "path": "/contacts/upsert"}'
run
[ "$(js 'd.length')" = 3 ] && [ "$(curl -s "$base/__fault")" = '{"dropped":3}' ] && ok upsert-done-its-answer-lost \
  || bad upsert-done-its-answer-lost "rc=$rc" "$out" "$(curl -s "$base/__fault")" "$(curl -s "$base/__dump")"
id=$(contact g3@example.org id)
curl -s -XPOST -H 'Content-Type: application/json' \
  -d "{\"id\": \"$id\", \"fields\": {\"lastName\": \"EditedInHighLevel\", \"phone\": \"+15550100\"}}" "$base/__edit" > /dev/null
sleep 6  # (the lost answer's retry-after)
run; first=$out
run
[ "$(js 'd.length')" = 3 ] && [ "$(contact g3@example.org lastName)" = EditedInHighLevel ] \
  && [ "$(contact g3@example.org phone)" = +15550100 ] && ok resend-writes-nothing-over-the-edit \
  || bad resend-writes-nothing-over-the-edit "rc=$rc" "$first" "$out" "$(curl -s "$base/__dump")"
grep -q 'EditedInHighLevel' book/g3.vcf && [ "$(ls book | wc -l)" = 3 ] && ok the-edit-reaches-the-vcard \
  || bad the-edit-reaches-the-vcard "$first" "$out" "$(ls book)" "$(cat book/g3.vcf)"
run
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok then-nothing-to-do || bad then-nothing-to-do "rc=$rc" "$out"
printf '%s\n' "$first" | grep -q "resend" || echo "note: the first run after the edit: $first"
exit $fail
