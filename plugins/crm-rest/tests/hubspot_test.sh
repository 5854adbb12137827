#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The hubspot profile end to end against tests/peers/hubspot_fake.js: a
# private app token and an OAuth2 refresh, listing by paging.next.after, the
# search on lastmodifieddate windowed past its result cap, the archived
# listing as the delete feed, batch upsert by idProperty, batch update,
# archive and read, one invalid record in a batch failing alone, a 429 with
# Retry-After, and vCards ⇄ HubSpot contacts both ways.
#
# Usage: hubspot_test.sh ACCORD CONFORMANCE PLUGIN PEERS_DIR
call="python3 $(cd "$(dirname "$0")" && pwd)/plugin_call.py"
. "$(dirname "$0")/lib.sh"

token=$(canary pat)
refresh=$(canary hs-refresh)
secret=$(canary hs-secret)
HS_TOKEN=$token HS_CLIENT_ID=accord-test HS_CLIENT_SECRET=$secret HS_REFRESH_TOKEN=$refresh start_peer node "$peers/hubspot_fake.js"
contact_id() { js "((d.contacts||[]).find(c=>c.properties.email==='$1')||{}).id||''"; }
ncontacts() { js "(d.contacts||[]).length"; }
requests() { js "s.requests"; }

# -- conformance kit: contacts with a private app token; companies (native) with OAuth2
printf '{"profile": "hubspot", "base_url": "%s", "auth": {"token": "%s"}, "rate_limit": {"requests_per_second": 0}}\n' "$base" "$token" > kit.json
out=$("$conformance" "$plugin" --config kit.json 2>&1); rc=$?; printf '%s\n' "$out" >> all.out
[ $rc = 0 ] && printf '%s' "$out" | grep -Eq "[0-9]+ passed, 0 failed" && ok conformance-kit-passes || bad conformance-kit-passes "$out"
printf '{"profile": "hubspot", "base_url": "%s", "auth": {"type": "oauth2", "token_url": "{origin}/oauth/v1/token", "client_id": "accord-test", "client_secret": "%s", "refresh_token": "%s"}}\n' \
  "$base" "$secret" "$refresh" > kit2.json
cat > company.json <<'JSON'
{"create": {"properties": {"name": "Analytical Engines", "domain": "engines.example", "city": "London"}},
 "update": {"properties": {"name": "Analytical Engines Ltd", "domain": "engines.example", "city": "Cambridge"}}}
JSON
out=$("$conformance" "$plugin" --config kit2.json --stream company --sample company.json 2>&1); rc=$?; printf '%s\n' "$out" >> all.out
[ $rc = 0 ] && printf '%s' "$out" | grep -Eq "[0-9]+ passed, 0 failed" && ok conformance-kit-passes-company-oauth2 || bad conformance-kit-passes-company-oauth2 "$out"

# meetings and tasks in JSCalendar form (HubSpot keeps instants: samples in UTC)
calendar_kit

secrets "{\"hubspot\": \"$token\"}"
vcards h 1 30 Number "TITLE:Analyst"
# the search pages 5 at a time and answers at most 10 per query (HubSpot: 100 and 10,000)
crm_pipeline "{\"profile\": \"hubspot\", \"base_url\": \"$base\", \"auth\": {\"token\": {\"\$secret\": \"hubspot\"}},
  \"rate_limit\": {\"requests_per_second\": 0}, \"streams\": {\"contact\": {\"page_size\": 5, \"changes\": {\"max_results\": 10}}}}" \
  '{"max_delete_share": 0.9, "max_update_share": 0.95}'
ctl __control '{"search_cap": 10}'

r0=$(requests)
runp run p.json
[ $rc = 0 ] && [ "$(ncontacts)" = 30 ] && ok first-sync-creates-contacts || bad first-sync-creates-contacts "rc=$rc n=$(ncontacts)" "$out"
# 30 creates: one batch upsert (and no read: the answers carry updatedAt),
# one empty listing, one archived listing
used=$(( $(requests) - r0 ))
[ "$used" -le 4 ] && ok creates-go-in-one-batch-upsert || bad creates-go-in-one-batch-upsert "requests=$used"
[ "$(js "(d.contacts||[]).filter(c=>/^accord-[0-9a-f]{16,}$/.test(c.properties.accord_id||'')).length")" = 30 ] \
  && ok creates-carry-accord-id || bad creates-carry-accord-id "$(curl -s "$base/__dump" | head -c 400)"
# listings give each record's key back beside its id (from accord_id), not in data
out=$($call "$plugin" "{\"profile\": \"hubspot\", \"base_url\": \"$base\", \"auth\": {\"token\": \"$token\"},
  \"rate_limit\": {\"requests_per_second\": 0}}" contact list 2>/dev/null)
node -e 'const a=JSON.parse(process.argv[1]);process.exit(a.length===30&&a.every(r=>/^accord-[0-9a-f]{16,}$/.test(r.idempotency_key||"")&&
  !JSON.stringify(r.data).includes("accord-"))?0:1)' "$out" 2>/dev/null \
  && ok listing-gives-idempotency-key-back || bad listing-gives-idempotency-key-back "$(printf '%s' "$out" | head -c 600)"
runp run p.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok second-run-nothing-to-do || bad second-run-nothing-to-do "$out"
# issue 23 item 7: plan says what reading costs and what is left of the
# private app's day (X-HubSpot-RateLimit-Daily-Remaining; search answers carry none)
runp plan p.json
printf '%s' "$out" | grep -Eq "crm-rest: contact: reading it took [0-9]+ requests? \(the changes since the last run\); the service allows [0-9]+ more today" \
  && ok plan-states-cost-against-daily-budget || bad plan-states-cost-against-daily-budget "rc=$rc" "$out"
# what 150 planned creates cost: HubSpot's batch create takes 100 a request
vcards costw 1 150 Costly
runp plan p.json
printf '%s' "$out" | grep -Eq "cost on the right \(crm-rest\): the writes take about 2 requests \(150 creates: 2 requests \(batches of up to 100\)\), the read about [0-9]+; the service allows [0-9]+ more today" \
  && ok plan-states-what-the-writes-cost || bad plan-states-what-the-writes-cost "rc=$rc" "$out"
rm -f book/costw*.vcf

# -- 25 edits in HubSpot: more than one search answers; the search is windowed, never paged past its cap
for i in $(seq 1 25); do
  ctl __edit "{\"type\": \"contacts\", \"id\": \"$(contact_id h$i@example.org)\", \"properties\": {\"jobtitle\": \"Lead $i\"}}"
done
sed -i 's/^TITLE:.*/TITLE:Chief Analyst/' book/h30.vcf
ctl __control '{"rate_limited": 2}'   # and two 429s with Retry-After: 1 on the way
runp run p.json
arrived=$(grep -l "^TITLE:Lead " book/*.vcf | wc -l)
[ $rc = 0 ] && [ "$arrived" = 25 ] && [ "$(js s.search_400)" = 0 ] && [ "$(js "(d.contacts||[]).filter(c=>c.properties.jobtitle==='Chief Analyst').length")" = 1 ] \
  && ok windowed-search-brings-every-edit || bad windowed-search-brings-every-edit "rc=$rc arrived=$arrived search_400=$(js s.search_400)" "$out"
runp run p.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok nothing-to-do-after-windowed-search || bad nothing-to-do-after-windowed-search "$out"

# -- deletes both ways: HubSpot's archived listing, and a batch archive
ctl __delete "{\"type\": \"contacts\", \"id\": \"$(contact_id h2@example.org)\"}"
rm book/h3.vcf book/h4.vcf
runp run p.json
[ $rc = 0 ] && [ ! -f book/h2.vcf ] && [ -z "$(contact_id h3@example.org)" ] && [ -z "$(contact_id h4@example.org)" ] && [ "$(ncontacts)" = 27 ] \
  && ok deletes-both-ways || bad deletes-both-ways "rc=$rc n=$(ncontacts)" "$out"
runp run p.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok old-tombstones-not-reported-again || bad old-tombstones-not-reported-again "$out"

# -- one invalid record in a batch: it alone is quarantined, with HubSpot's reason
vcards h 41 43 Batch
sed -i 's/^EMAIL:.*/EMAIL:h42-at-nowhere/' book/h42.vcf
runp run p.json
st=$("$accord" status p.json 2>&1); printf '%s\n' "$st" >> all.out
[ $rc = 5 ] && [ -n "$(contact_id h41@example.org)" ] && [ -n "$(contact_id h43@example.org)" ] && [ "$(ncontacts)" = 29 ] \
  && printf '%s' "$st" | grep -q "INVALID_EMAIL" && ok invalid-record-in-batch-quarantined-alone \
  || bad invalid-record-in-batch-quarantined-alone "rc=$rc n=$(ncontacts)" "$out" "$st"

# -- issue 23 item 9: engagements answer hs_createdate, read only: a native
# note read and written back must not send it (READ_ONLY_VALUE)
cat > hsnote.json <<'JSON'
{"create": {"properties": {"hs_note_body": "Called about the renewal", "hs_timestamp": "2026-03-01T10:00:00.000Z"}},
 "update": {"properties": {"hs_note_body": "Called about the renewal, twice", "hs_timestamp": "2026-03-01T10:00:00.000Z"}}}
JSON
out=$("$conformance" "$plugin" --config kit.json --stream hubspot_note --sample hsnote.json 2>&1); rc=$?; printf '%s\n' "$out" >> all.out
[ $rc = 0 ] && printf '%s' "$out" | grep -Eq "[0-9]+ passed, 0 failed" && ok engagement-createdate-not-written-back \
  || bad engagement-createdate-not-written-back "$out"

# -- issue 23 item 8: a permanent delete (GDPR, or an archived record past 90
# days) leaves no tombstone: the scheduled absence check finds it
sed -i 's/"changes": {"max_results": 10}/"changes": {"max_results": 10, "absence_check_hours": 0}/' p.json
runp run p.json
ctl __purge "{\"type\": \"contacts\", \"id\": \"$(contact_id h5@example.org)\"}"
runp run p.json
[ $rc -le 5 ] && [ ! -f book/h5.vcf ] && ok permanent-delete-found-by-absence-check || bad permanent-delete-found-by-absence-check "rc=$rc" "$out"

# -- a refused token
printf '{"hubspot": "wrong-%s"}\n' "$RANDOM" > secrets.json
runp run p.json
[ $rc = 1 ] && printf '%s' "$out" | grep -q "credentials were refused" && ok refused-token-says-what-to-do || bad refused-token-says-what-to-do "rc=$rc" "$out"

if alltext | grep -q -e "$token" -e "$refresh" -e "$secret" || grep -aq -e "$token" -e "$refresh" -e "$secret" state.sqlite*; then
  bad secrets-never-leak "a canary secret appeared"
else
  ok secrets-never-leak
fi
exit $fail
