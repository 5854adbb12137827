#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The salesforce profile end to end against tests/peers/salesforce_fake.js:
# OAuth2 refresh (and its failure), SOQL on SystemModstamp paged by
# nextRecordsUrl, the getDeleted feed, upsert by the Accord_Id__c external id,
# sObject Collections (one bad record in a collection fails alone),
# REQUEST_LIMIT_EXCEEDED, and vCards ⇄ Salesforce Contacts both ways.
#
# Usage: salesforce_test.sh ACCORD CONFORMANCE PLUGIN PEERS_DIR
. "$(dirname "$0")/lib.sh"

refresh="rt-canary-$RANDOM$RANDOM"
secret="cs-canary-$RANDOM$RANDOM"
SF_CLIENT_ID=accord-test SF_CLIENT_SECRET=$secret SF_REFRESH_TOKEN=$refresh start_peer node "$peers/salesforce_fake.js"
dump() { curl -s "$base/__dump"; }
contact_id() {  # the Id of the Contact with email $1
  dump | node -e 'let s="";process.stdin.on("data",c=>s+=c).on("end",()=>{const d=JSON.parse(s);const r=(d.Contact||[]).find(c=>c.Email===process.argv[1]);console.log(r?r.Id:"")})' "$1"
}
requests() { curl -s "$base/__stats" | node -e 'let s="";process.stdin.on("data",c=>s+=c).on("end",()=>console.log(JSON.parse(s).requests))'; }
ncontacts() { dump | node -e 'let s="";process.stdin.on("data",c=>s+=c).on("end",()=>console.log((JSON.parse(s).Contact||[]).length))'; }

# -- conformance kit (contact), with a refresh token only: the first call refreshes
printf '{"profile": "salesforce", "base_url": "%s/services/data/v59.0", "auth": {"client_id": "accord-test", "client_secret": "%s", "refresh_token": "%s"}}\n' \
  "$base" "$secret" "$refresh" > kit.json
out=$("$conformance" "$plugin" --config kit.json 2>&1); rc=$?; printf '%s\n' "$out" >> all.out
[ $rc = 0 ] && printf '%s' "$out" | grep -Eq "[0-9]+ passed, 0 failed" && ok conformance-kit-passes || bad conformance-kit-passes "$out"
# the Lead stream: native fields, as a CRM's own object
cat > lead.json <<'JSON'
{"create": {"FirstName": "Ada", "LastName": "Lovelace", "Company": "Analytical Engines", "Email": "ada@example.org",
            "Status": "Open - Not Contacted", "LeadSource": "Web"},
 "update": {"FirstName": "Ada", "LastName": "King", "Company": "Analytical Engines", "Email": "ada.king@example.org",
            "Status": "Working - Contacted", "LeadSource": "Web"}}
JSON
out=$("$conformance" "$plugin" --config kit.json --stream lead --sample lead.json 2>&1); rc=$?; printf '%s\n' "$out" >> all.out
[ $rc = 0 ] && printf '%s' "$out" | grep -Eq "[0-9]+ passed, 0 failed" && ok conformance-kit-passes-lead || bad conformance-kit-passes-lead "$out"

# events and tasks in JSCalendar form (the CRM keeps instants: samples in UTC)
calendar_kit

secrets "{\"sf_secret\": \"$secret\", \"sf_refresh\": \"$refresh\"}"
vcards s 1 12 Number "TITLE:Engineer"
crm_pipeline "{\"profile\": \"salesforce\", \"base_url\": \"$base/services/data/v59.0\",
  \"auth\": {\"client_id\": \"accord-test\", \"client_secret\": {\"\$secret\": \"sf_secret\"}, \"refresh_token\": {\"\$secret\": \"sf_refresh\"}}}"
ctl __control '{"page_size": 5}'   # so that listings take several nextRecordsUrl pages

r0=$(requests)
runp run p.json
[ $rc = 0 ] && [ "$(ncontacts)" = 12 ] && ok first-sync-creates-contacts-by-upsert || bad first-sync-creates-contacts-by-upsert "rc=$rc n=$(ncontacts)" "$out"
# 12 creates in one upsert collection and one collection read, not 24 requests
# (one listing page of the empty org, one getDeleted: 4 in all)
used=$(( $(requests) - r0 ))
[ "$used" -le 5 ] && ok creates-go-in-one-collection || bad creates-go-in-one-collection "requests=$used"
dump | grep -q '"Accord_Id__c":"' && ok creates-carry-external-id || bad creates-carry-external-id "$(dump | head -c 400)"
runp run p.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok second-run-nothing-to-do || bad second-run-nothing-to-do "$out"

# -- edits each side; an expired session is renewed on the way
id4=$(contact_id s4@example.org)
ctl __edit "{\"object\": \"Contact\", \"id\": \"$id4\", \"fields\": {\"Title\": \"Director\"}}"
sed -i 's/^TITLE:.*/TITLE:Principal Engineer/' book/s5.vcf
ctl __control '{"expire_tokens": true}'
runp run p.json
[ $rc = 0 ] && grep -q "Director" book/s4.vcf && dump | grep -q '"Title":"Principal Engineer"' \
  && ok edits-arrive-after-token-refresh || bad edits-arrive-after-token-refresh "rc=$rc" "$out" "$(cat book/s4.vcf)"

# -- deletes: from the getDeleted feed (no full listing), and the other way
id6=$(contact_id s6@example.org)
ctl __delete "{\"object\": \"Contact\", \"id\": \"$id6\"}"
rm book/s7.vcf
runp run p.json
[ $rc = 0 ] && [ ! -f book/s6.vcf ] && [ -z "$(contact_id s7@example.org)" ] && [ "$(ncontacts)" = 10 ] \
  && ok deletes-both-ways-via-deleted-feed || bad deletes-both-ways-via-deleted-feed "rc=$rc n=$(ncontacts)" "$out"

# -- one bad record in a collection: it alone is quarantined, the others commit
vcards s 31 33 Batch
ctl __control '{"poison": "Batch32"}'
runp run p.json
st=$("$accord" status p.json 2>&1); printf '%s\n' "$st" >> all.out
[ $rc = 5 ] && [ -n "$(contact_id s31@example.org)" ] && [ -n "$(contact_id s33@example.org)" ] && [ -z "$(contact_id s32@example.org)" ] \
  && printf '%s' "$st" | grep -qi "quarantine" && ok bad-record-in-collection-quarantined-alone \
  || bad bad-record-in-collection-quarantined-alone "rc=$rc" "$out" "$st"
ctl __control '{"poison": null}'

# -- the org's API limit: RETRY with a long wait; the run stops, says why, and the next one goes on
ctl __control '{"limit_exceeded": 1}'
sed -i 's/^TITLE:.*/TITLE:After the limit/' book/s8.vcf
runp run p.json
[ $rc != 0 ] && printf '%s' "$out" | grep -q "API request limit is used up" && ok request-limit-exceeded-reported \
  || bad request-limit-exceeded-reported "rc=$rc" "$out"
runp run p.json
[ $rc = 0 ] && dump | grep -q '"Title":"After the limit"' && ok next-run-after-limit-continues || bad next-run-after-limit-continues "rc=$rc" "$out"

# -- issue 23 item 7: the org's daily API budget, read from Sforce-Limit-Info
# (api-usage=<used>/<limit>): plan says what reading each stream costs and
# what is left today; a stream whose reading would not fit in what is left
# waits for a later run (RETRY) instead of being refused half way
# (REQUEST_LIMIT_EXCEEDED), and the next run, with the budget back, goes on
runp plan p.json
printf '%s' "$out" | grep -Eq "crm-rest: contact: reading it took [0-9]+ requests? \(the changes since the last run\); the service allows [0-9]+ more today" \
  && ok plan-states-cost-against-daily-budget || bad plan-states-cost-against-daily-budget "rc=$rc" "$out"
ctl __control '{"api_left": 1}'
sed -i 's/^TITLE:.*/TITLE:Over the budget/' book/s10.vcf
runp run p.json
over=$(js s.over_limit)
[ $rc != 0 ] && printf '%s' "$out" | grep -q "contact: reading it costs about [0-9]* requests .* allows 0 more today; it is left for a later run" \
  && [ "$over" = 0 ] && ! dump | grep -q '"Title":"Over the budget"' && ok reading-that-would-not-fit-waits-for-later-run \
  || bad reading-that-would-not-fit-waits-for-later-run "rc=$rc over_limit=$over" "$out"
ctl __control '{"api_limit": 100000}'
runp run p.json
[ $rc = 0 ] && dump | grep -q '"Title":"Over the budget"' && ok next-run-within-budget-goes-on || bad next-run-within-budget-goes-on "rc=$rc" "$out"

# -- what the planned writes cost (the batch's "budget": sObject Collections
# take 200 records a request): plan says it per side; a run whose writes do
# not fit in what is left today is refused before anything is written, and
# goes on once the budget is back
vcards w 1 250 Costly
runp plan p.json
printf '%s' "$out" | grep -q "cost on the right (crm-rest): the writes take about 2 requests (250 creates: 2 requests (batches of up to 200)), the read about [0-9]*; the service allows [0-9]* more today" \
  && ok plan-states-what-the-writes-cost || bad plan-states-what-the-writes-cost "rc=$rc" "$out"
rd=$(printf '%s' "$out" | sed -n 's/.*, the read about \([0-9]*\);.*/\1/p' | head -1)
n0=$(ncontacts)
ctl __control "{\"api_left\": $((rd + 2))}"
runp plan p.json
printf '%s' "$out" | grep -q "warning: on the right (crm-rest) the read and the writes (.*) exceed the [0-9]* the service allows" \
  && ok plan-warns-writes-over-budget || bad plan-warns-writes-over-budget "rc=$rc" "$out"
ctl __control "{\"api_left\": $((rd + 1))}"  # the read fits, then 1 is left for 2 writes
runp run p.json
[ $rc != 0 ] && [ "$(ncontacts)" = "$n0" ] && printf '%s' "$out" | grep -q "refused: the writes on the right side take about 2 requests .*nothing was written.*--force=budget" \
  && ok run-over-budget-refused-nothing-written || bad run-over-budget-refused-nothing-written "rc=$rc n=$(ncontacts) was $n0" "$out"
ctl __control '{"api_limit": 100000}'
runp run p.json
# (counted by name: the quarantined Batch32 may come back in the same run)
[ $rc = 0 ] && [ "$(js "d.Contact.filter(c=>/^Costly/.test(c.LastName)).length")" = 250 ] && ok writes-within-budget-go-on || bad writes-within-budget-go-on "rc=$rc n=$(ncontacts)" "$out"

# -- an iCalendar folder ⇄ Salesforce Events: a London summer time meeting is
# stored as its UTC instants; an edit in Salesforce comes back
mkdir -p cal
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:ev1@example.org\r\nDTSTAMP:20260601T000000Z\r\nDTSTART;TZID=Europe/London:20260701T100000\r\nDTEND;TZID=Europe/London:20260701T113000\r\nSUMMARY:Quarterly review\r\nLOCATION:Room 4\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' > cal/ev1.ics
cat > cal.json <<JSON
{"name": "sf-cal", "state": "state-cal.sqlite",
 "left": {"connector": "local", "config": {"backend": "icalendar", "create": true, "path": "cal"}},
 "right": {"connector": "crm-rest", "config": {"profile": "salesforce", "base_url": "$base/services/data/v59.0",
   "auth": {"client_id": "accord-test", "client_secret": {"\$secret": "sf_secret"}, "refresh_token": {"\$secret": "sf_refresh"}}}},
 "streams": [{"name": "events", "left": "event", "right": "event"}]}
JSON
runp run cal.json
ev=$(js "JSON.stringify((d.Event||[]).map(e=>[e.Subject,Date.parse(e.StartDateTime),Date.parse(e.EndDateTime),e.Location]))")
[ $rc = 0 ] && [ "$ev" = "[[\"Quarterly review\",$(date -ud 2026-07-01T09:00:00Z +%s)000,$(date -ud 2026-07-01T10:30:00Z +%s)000,\"Room 4\"]]" ] \
  && ok event-pushed-as-utc-instants || bad event-pushed-as-utc-instants "rc=$rc ev=$ev" "$out"
evid=$(js "(d.Event||[])[0].Id")
ctl __edit "{\"object\": \"Event\", \"id\": \"$evid\", \"fields\": {\"EndDateTime\": \"2026-07-01T11:00:00.000+0000\", \"Subject\": \"Quarterly review (long)\"}}"
runp run cal.json
[ $rc = 0 ] && grep -q "SUMMARY:Quarterly review (long)" cal/ev1.ics && grep -Eq "DURATION:PT2H|DTEND.*(T110000Z|T120000)" cal/ev1.ics \
  && ok event-edit-in-crm-arrives || bad event-edit-in-crm-arrives "rc=$rc" "$out" "$(cat cal/ev1.ics)"
runp run cal.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok events-settle || bad events-settle "$out"

# -- issue 23 item 3: a listing resumed from a cursor whose nextRecordsUrl
# expired meanwhile (INVALID_QUERY_LOCATOR: locators live two days) starts
# the listing again instead of failing on the dead locator for good
ctl __control '{"page_size": 3}'
call="python3 $(cd "$(dirname "$0")" && pwd)/plugin_call.py"
sfcfg="{\"profile\": \"salesforce\", \"base_url\": \"$base/services/data/v59.0\", \"auth\": {\"client_id\": \"accord-test\", \"client_secret\": \"$secret\", \"refresh_token\": \"$refresh\"}}"
first=$($call "$plugin" "$sfcfg" contact read 2>/dev/null)
cur=$(node -e 'const b=JSON.parse(process.argv[1]);if(!b.more)process.exit(1);console.log(b.cursor)' "$first" 2>/dev/null)
ctl __control '{"expire_locators": true}'
out=$($call "$plugin" "$sfcfg" contact read "$cur" 2>/dev/null); rc=$?
[ -n "$cur" ] && [ $rc = 0 ] && node -e 'const b=JSON.parse(process.argv[1]);process.exit(b.records.length>0?0:1)' "$out" 2>/dev/null \
  && ok expired-query-locator-restarts-listing || bad expired-query-locator-restarts-listing "rc=$rc" "$(printf '%s' "$first" | head -c 300)" "$out"
ctl __control '{"page_size": 5}'

# -- issue 23 item 4: one-by-one upserts (no collections) leave the
# external-id field out of the body: it is in the path
cp p.json p-single.json
sed -i 's/"state": "state.sqlite"/"state": "state-single.sqlite"/; s#"path": "book"#"path": "book-single"#' p-single.json
sed -i 's#"refresh_token": {"\$secret": "sf_refresh"}}#"refresh_token": {"\$secret": "sf_refresh"}}, "streams": {"contact": {"batch": null}}#' p-single.json
mkdir -p book-single && (mkdir -p tmpv && cd tmpv && vcards u 1 2 Single && mv book/*.vcf ../book-single/)
runp run p-single.json
[ $rc = 0 ] && [ -n "$(contact_id u1@example.org)" ] && [ -n "$(contact_id u2@example.org)" ] \
  && dump | grep -q '"Email":"u1@example.org"[^}]*"Accord_Id__c":"' && ok single-upsert-keeps-key-out-of-body \
  || bad single-upsert-keeps-key-out-of-body "rc=$rc" "$out" "$(grep -c . p-single.json)"

# -- issue 23 item 2: the delete log purged past the stream's watermark
# (getDeleted answers INVALID_REPLICATION_DATE): the stream is not jammed; the
# connector says CURSOR_EXPIRED and the host lists everything and diffs
runp run p.json
ctl __control '{"purge_delete_log": true}'
sleep 1
ctl __delete "{\"object\": \"Contact\", \"id\": \"$(contact_id s9@example.org)\"}"
runp run p.json
[ $rc = 0 ] && [ ! -f book/s9.vcf ] && ok purged-delete-log-falls-back-to-full-listing \
  || bad purged-delete-log-falls-back-to-full-listing "rc=$rc" "$out"
runp run p.json
[ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ok after-purge-next-run-settles || bad after-purge-next-run-settles "rc=$rc" "$out"

# -- the fake refuses what Salesforce refuses: a field the object does not
# have (400 INVALID_FIELD, in a write and in a SOQL query), a system field
# (INVALID_FIELD_FOR_INSERT_UPDATE), with Salesforce's [{message, errorCode}]
sftok=$(curl -s -d "grant_type=refresh_token&client_id=accord-test&client_secret=$secret&refresh_token=$refresh" "$base/services/oauth2/token" \
  | node -e 'let s="";process.stdin.on("data",c=>s+=c).on("end",()=>console.log(JSON.parse(s).access_token))')
sf() { curl -s -H "Authorization: Bearer $sftok" -H 'Content-Type: application/json' "$@"; }
a=$(sf -XPOST -d '{"LastName": "Strict", "Shoe_Size__c": "9"}' "$base/services/data/v59.0/sobjects/Contact/")
b=$(sf -XPATCH -d '{"SystemModstamp": "2026-01-01T00:00:00.000+0000"}' "$base/services/data/v59.0/sobjects/Contact/$(contact_id s1@example.org)")
c=$(sf "$base/services/data/v59.0/query?q=SELECT+Id,Rating+FROM+Contact+ORDER+BY+SystemModstamp,+Id")
printf '%s' "$a" | grep -q '"errorCode":"INVALID_FIELD"' && printf '%s' "$b" | grep -q '"errorCode":"INVALID_FIELD_FOR_INSERT_UPDATE"' \
  && printf '%s' "$c" | grep -q '"errorCode":"INVALID_FIELD"' && ok fake-refuses-unknown-and-system-fields \
  || bad fake-refuses-unknown-and-system-fields "$a" "$b" "$c"

# -- a revoked refresh token: AUTH_REQUIRED, telling the user to sign in again
printf '{"sf_secret": "%s", "sf_refresh": "revoked"}\n' "$secret" > secrets.json
runp run p.json
[ $rc = 1 ] && printf '%s' "$out" | grep -q "sign in to the CRM again" && ok refresh-failure-says-sign-in-again \
  || bad refresh-failure-says-sign-in-again "rc=$rc" "$out"

if alltext | grep -q -e "$refresh" -e "$secret" || grep -aq -e "$refresh" -e "$secret" state.sqlite*; then
  bad secrets-never-leak "a canary secret appeared"
else
  ok secrets-never-leak
fi
exit $fail
