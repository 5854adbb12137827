#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Google fake (google_fake.js) itself, by curl: what it promises the
# google-api connector's tests, each promise a check that fails when the
# fake drops it: the token endpoint (refresh grant, rotation, invalid_grant,
# the JWT-bearer grant verified with the service account's key, made here
# with openssl), 401s in both envelopes, strict bodies and query parameters,
# People (sync tokens bound to the first call and expiring as
# EXPIRED_SYNC_TOKEN, paging, tombstones, etags, batch caps, propagation
# delay, contact groups), Calendar (client ids and 409, If-Match and 412,
# sync and 410, recurrence with a moved and a cancelled instance), Tasks,
# Gmail and Drive, and injected 429/403 with Retry-After.
#
# Usage: google_fake_test.sh [PEERS_DIR]
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../report.sh"
peers=$(realpath "${1:-$(dirname "${BASH_SOURCE[0]}")}")
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-gfake.XXXXXX")
peer_pid=
cleanup() { [ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"

GOOGLE_CLIENT_ID=cid GOOGLE_CLIENT_SECRET=csecret GOOGLE_REFRESH_TOKEN=rt0 GOOGLE_TOKEN=at0 GOOGLE_USER=ada@example.com \
  node "$peers/google_fake.js" > peer.out 2> peer.err &
peer_pid=$!
for _ in $(seq 1 100); do grep -q '^port ' peer.out 2>/dev/null && break; sleep 0.1; done
port=$(awk '/^port /{print $2}' peer.out)
[ -n "$port" ] || { echo "FAIL the fake did not start"; cat peer.err; exit 1; }
base="http://127.0.0.1:$port"

# req METHOD PATH [BODY [HEADER…]]: the answer's status in $code, its body in $out (token at0 unless $tok is set)
req() {
  local m=$1 p=$2 b=${3:-}; shift 3 2>/dev/null || shift $#
  local args=(-s -o resp.body -D resp.head -w '%{http_code}' -X "$m" -H "Authorization: Bearer ${tok:-at0}")
  [ -n "$b" ] && args+=(-H 'Content-Type: application/json' --data-binary "$b")
  for h in "$@"; do args+=(-H "$h"); done
  code=$(curl "${args[@]}" "$base$p")
  out=$(head -c 2000 resp.body)
}
# j EXPR: EXPR (JavaScript) over d, the last answer's JSON
j() { node -e 'const t=require("fs").readFileSync("resp.body","utf8");const d=JSON.parse(t||"null");const r=eval(process.argv[1]);console.log(typeof r==="string"?r:JSON.stringify(r))' "$1"; }
# expect WHAT STATUS [EXPR]: the last answer had STATUS and EXPR (JavaScript over d) is true
expect() {
  if [ "$code" = "$2" ] && { [ -z "${3:-}" ] || [ "$(j "!!($3)")" = true ]; }; then ok "$1"; return; fi
  if [ "$code" = 000 ]; then bad "$1" "no answer: is the fake still running? $(kill -0 "$peer_pid" 2>&1 && echo yes)" "$(tail -20 peer.err)"
  else bad "$1" "status $code" "$(printf '%s' "$out" | head -c 1500)"; fi
}
ctl() { curl -s -XPOST -H 'Content-Type: application/json' -d "$2" "$base/$1" > /dev/null; }
form() { code=$(curl -s -o resp.body -w '%{http_code}' -XPOST -H 'Content-Type: application/x-www-form-urlencoded' --data "$1" "$base/token"); out=$(cat resp.body); }

# ---------------------------------------------------------------- OAuth
form 'grant_type=refresh_token&client_id=cid&client_secret=csecret&refresh_token=rt0'
expect token-refresh-grant 200 'd.token_type==="Bearer" && d.expires_in>0 && /^ya29\./.test(d.access_token) && d.refresh_token===undefined'
fresh=$(j d.access_token)
tok=$fresh req GET '/v1/people/me/connections?personFields=names'
expect refreshed-token-works 200
form 'grant_type=refresh_token&client_id=cid&client_secret=csecret&refresh_token=nope'
expect unknown-refresh-token-is-invalid_grant 400 'd.error==="invalid_grant" && typeof d.error_description==="string"'
form 'grant_type=refresh_token&client_id=cid&client_secret=wrong&refresh_token=rt0'
expect wrong-client-secret-is-invalid_client 401 'd.error==="invalid_client"'
ctl __control '{"rotate_refresh_token": true}'
form 'grant_type=refresh_token&client_id=cid&client_secret=csecret&refresh_token=rt0'
expect rotation-returns-a-new-refresh-token 200 'typeof d.refresh_token==="string" && d.refresh_token!=="rt0"'
rt1=$(j d.refresh_token)
form 'grant_type=refresh_token&client_id=cid&client_secret=csecret&refresh_token=rt0'
expect rotated-refresh-token-is-revoked 400 'd.error==="invalid_grant"'
form "grant_type=refresh_token&client_id=cid&client_secret=csecret&refresh_token=$rt1"
expect new-refresh-token-works 200
ctl __control '{"rotate_refresh_token": false}'

tok= req GET '/v1/people/me/connections?personFields=names' '' 'Authorization:'
code=$(curl -s -o resp.body -w '%{http_code}' "$base/v1/people/me/connections?personFields=names"); out=$(head -c 2000 resp.body)
expect people-401-without-token 401 'd.error.status==="UNAUTHENTICATED" && d.error.details[0].reason==="CREDENTIALS_MISSING" && !d.error.errors'
tok=bogus req GET '/calendar/v3/users/me/calendarList'
expect calendar-401-bad-token-legacy-envelope 401 'd.error.errors[0].reason==="authError" && d.error.errors[0].location==="Authorization" && d.error.status==="UNAUTHENTICATED"'
ctl __control '{"token_lifetime": 1}'
form "grant_type=refresh_token&client_id=cid&client_secret=csecret&refresh_token=$rt1"
short=$(j d.access_token)
sleep 1.2
tok=$short req GET '/v1/people/me/connections?personFields=names'
expect expired-access-token-401 401 'd.error.details[0].reason==="ACCESS_TOKEN_EXPIRED"'
ctl __control '{"token_lifetime": 3599}'

# JWT-bearer grant: a service account's RS256 assertion for a user of the domain
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sa.key 2>/dev/null
openssl pkey -in sa.key -pubout -out sa.pub 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out other.key 2>/dev/null
node -e 'const fs=require("fs");process.stdout.write(JSON.stringify({client_email:"sync@proj.iam.gserviceaccount.com",public_key_pem:fs.readFileSync("sa.pub","utf8")}))' > sa.json
curl -s -XPOST -H 'Content-Type: application/json' --data-binary @sa.json "$base/__service_account" > /dev/null
ctl __account '{"email": "bob@example.com"}'
# jwt KEY SUB [AUD] [LIFETIME]: a signed assertion, made with openssl
jwt() {
  local now h c s
  now=$(date +%s)
  b64() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
  h=$(printf '{"alg":"RS256","typ":"JWT"}' | b64)
  c=$(printf '{"iss":"sync@proj.iam.gserviceaccount.com","sub":"%s","scope":"https://www.googleapis.com/auth/calendar","aud":"%s","iat":%d,"exp":%d}' \
      "$2" "${3:-$base/token}" "$now" $((now + ${4:-3600})) | b64)
  s=$(printf '%s.%s' "$h" "$c" | openssl dgst -sha256 -sign "$1" | b64)
  printf '%s.%s.%s' "$h" "$c" "$s"
}
form "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=$(jwt sa.key bob@example.com)"
expect jwt-bearer-grant 200 'd.token_type==="Bearer" && /^ya29\./.test(d.access_token)'
bobtok=$(j d.access_token)
tok=$bobtok req GET '/calendar/v3/users/me/calendarList'
expect jwt-token-acts-as-sub 200 'd.items[0].id==="bob@example.com"'
form "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=$(jwt other.key bob@example.com)"
expect jwt-wrong-key-refused 400 'd.error==="invalid_grant"'
form "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=$(jwt sa.key bob@example.com "$base/token" 7200)"
expect jwt-over-an-hour-refused 400 'd.error==="invalid_grant"'
form "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=$(jwt sa.key bob@example.com https://elsewhere/token)"
expect jwt-wrong-audience-refused 400 'd.error==="invalid_grant"'

# ---------------------------------------------------------------- People
req GET '/v1/people/me/connections'
expect people-personFields-required 400 'd.error.status==="INVALID_ARGUMENT" && /personFields/.test(d.error.message)'
req GET '/v1/people/me/connections?personFields=names,bogus'
expect people-bad-personFields-path 400 '/bogus/.test(d.error.message)'
req GET '/v1/people/me/connections?personFields=names&colour=red'
expect people-unknown-query-parameter 400 '/Unknown name "colour"/.test(d.error.message)'
req POST '/v1/people:createContact?personFields=names' '{"names": [{"givenName": "Ada", "nickname": "x"}]}'
expect people-undeclared-property-refused 400 '/Unknown name "nickname" at .person.names\[0\]./.test(d.error.message) && d.error.status==="INVALID_ARGUMENT"'
req POST '/v1/people:createContact?personFields=names' '{"names": [{"givenName": "A"}, {"givenName": "B"}]}'
expect people-singleton-names 400
req POST '/v1/people:createContact?personFields=names' '{"names": "Ada"}'
expect people-wrong-type-refused 400 'd.error.status==="INVALID_ARGUMENT"'

req POST '/v1/people:createContact?personFields=names,emailAddresses,clientData,metadata,memberships' \
  '{"names": [{"givenName": "Ada", "familyName": "Lovelace"}], "emailAddresses": [{"value": "ada@example.org", "type": "home"}], "clientData": [{"key": "accord.idempotency_key", "value": "k-1"}]}'
expect people-create 200 '/^people\/c\d+$/.test(d.resourceName) && d.names[0].displayName==="Ada Lovelace" && d.clientData[0].value==="k-1" && d.metadata.sources[0].type==="CONTACT" && d.memberships[0].contactGroupMembership.contactGroupResourceName==="contactGroups/myContacts"'
ada=$(j d.resourceName); adaPerson=$(cat resp.body)
req GET "/v1/people/me/connections?personFields=names,clientData&requestSyncToken=true"
expect people-full-sync 200 'd.connections.length===1 && d.connections[0].clientData[0].key==="accord.idempotency_key" && typeof d.nextSyncToken==="string" && d.totalItems===1'
sync1=$(j d.nextSyncToken)
req GET "/v1/people/me/connections?personFields=names&requestSyncToken=true&syncToken=$sync1"
expect people-sync-token-bound-to-first-call 400 'd.error.status==="INVALID_ARGUMENT"'
req GET "/v1/people/me/connections?personFields=names,clientData&requestSyncToken=true&syncToken=$sync1"
expect people-sync-nothing-changed 200 '!d.connections && typeof d.nextSyncToken==="string"'

# update: etag in the body; a stale one is 400 FAILED_PRECONDITION
upd=$(node -e 'const p=JSON.parse(process.argv[1]);p.names=[{givenName:"Augusta Ada",familyName:"King"}];console.log(JSON.stringify(p))' "$adaPerson")
req PATCH "/v1/$ada:updateContact" "$upd"
expect people-update-needs-updatePersonFields 400 '/updatePersonFields/.test(d.error.message)'
req PATCH "/v1/$ada:updateContact?updatePersonFields=names&personFields=names,metadata" "$upd"
expect people-update 200 'd.names[0].givenName==="Augusta Ada"'
req PATCH "/v1/$ada:updateContact?updatePersonFields=names" "$upd"
expect people-stale-etag-failedPrecondition 400 'd.error.status==="FAILED_PRECONDITION" && /etag/.test(d.error.message)'
req PATCH "/v1/$ada:updateContact?updatePersonFields=names" '{"names": [{"givenName": "X"}]}'
expect people-update-needs-metadata-sources 400 'd.error.status==="INVALID_ARGUMENT"'

# batches
contacts() { node -e 'const n=+process.argv[1];console.log(JSON.stringify({contacts:Array.from({length:n},(_,i)=>({contactPerson:{names:[{givenName:"P"+i}],emailAddresses:[{value:"p"+i+"@example.org"}]}})),readMask:"names,emailAddresses"}))' "$1"; }
req POST '/v1/people:batchCreateContacts' "$(contacts 201)"
expect people-batch-create-cap-200 400
req POST '/v1/people:batchCreateContacts' '{"contacts": [{"contactPerson": {"names": [{"givenName": "Q"}]}}]}'
expect people-batch-create-readMask-required 400 '/readMask/.test(d.error.message)'
req POST '/v1/people:batchCreateContacts' "$(contacts 200)"
expect people-batch-create-200 200 'd.createdPeople.length===200 && d.createdPeople.every(r=>r.httpStatusCode===200 && /^people\//.test(r.person.resourceName))'
names=$(j 'd.createdPeople.map(r=>r.person.resourceName)')
req GET "/v1/people/me/connections?personFields=names,clientData&requestSyncToken=true&pageSize=1000&syncToken=$sync1"
expect people-sync-sees-creates 200 'd.connections.length===201 && d.nextSyncToken'
sync2=$(j d.nextSyncToken)
# paging: every other parameter must match the first call's
req GET '/v1/people/me/connections?personFields=names&pageSize=150&requestSyncToken=true'
expect people-page-1 200 'd.connections.length===150 && d.nextPageToken && !d.nextSyncToken'
pt=$(j d.nextPageToken)
req GET "/v1/people/me/connections?personFields=names,emailAddresses&pageSize=150&requestSyncToken=true&pageToken=$pt"
expect people-page-token-bound-to-first-call 400
req GET "/v1/people/me/connections?personFields=names&pageSize=150&requestSyncToken=true&pageToken=$pt"
expect people-page-2-last-has-sync-token 200 'd.connections.length===51 && !d.nextPageToken && d.nextSyncToken'
req GET '/v1/people/me/connections?personFields=names&pageSize=2&prettyPrint=false'
[ "$(wc -l < resp.body)" = 0 ] && ok prettyPrint-false-compact || bad prettyPrint-false-compact "$(head -c 300 resp.body)"
req GET '/v1/people/me/connections?personFields=names&pageSize=1001'
expect people-pageSize-max-1000 400

dels=$(node -e 'console.log(JSON.stringify({resourceNames:JSON.parse(process.argv[1]).slice(0,3)}))' "$names")
req POST '/v1/people:batchDeleteContacts' "$(node -e 'console.log(JSON.stringify({resourceNames:Array.from({length:501},(_,i)=>"people/c"+i)}))')"
expect people-batch-delete-cap-500 400
req POST '/v1/people:batchDeleteContacts' "$dels"
expect people-batch-delete 200 'JSON.stringify(d)==="{}"'
req DELETE "/v1/$ada:deleteContact"
expect people-delete 200
req GET "/v1/$ada?personFields=names"
expect people-deleted-is-404 404 'd.error.status==="NOT_FOUND"'
req GET '/v1/people/me?personFields=emailAddresses,metadata'
expect people-me-is-the-profile 200 'd.emailAddresses[0].value==="ada@example.com" && d.metadata.sources[0].type==="PROFILE"'
req GET "/v1/people/me/connections?personFields=names,clientData&requestSyncToken=true&pageSize=1000&syncToken=$sync2"
expect people-sync-tombstones 200 'd.connections.length===4 && d.connections.every(p=>p.metadata.deleted===true && !p.names)'
sync3=$(j d.nextSyncToken)

# batch update: a map of resource names to persons, updateMask and readMask
two=$(node -e 'console.log(JSON.stringify(JSON.parse(process.argv[1]).slice(3,5)))' "$names")
getmany=$(node -e 'console.log(JSON.parse(process.argv[1]).map(n=>"resourceNames="+n).join("&"))' "$two")
req GET "/v1/people:batchGet?personFields=names,metadata&$getmany"
expect people-batch-get 200 'd.responses.length===2 && d.responses.every(r=>r.person.metadata.sources[0].etag)'
bu=$(j '({contacts:Object.fromEntries(d.responses.map(r=>[r.person.resourceName,Object.assign({},r.person,{names:[{givenName:"Changed"}]})])),updateMask:"names",readMask:"names"})')
req POST '/v1/people:batchUpdateContacts' "$bu"
expect people-batch-update 200 'Object.values(d.updateResult).length===2 && Object.values(d.updateResult).every(r=>r.person.names[0].givenName==="Changed")'
req POST '/v1/people:batchUpdateContacts' "$bu"
expect people-batch-update-stale-etag 400 'd.error.status==="FAILED_PRECONDITION"'

# expiry: EXPIRED_SYNC_TOKEN as 400 FAILED_PRECONDITION with ErrorInfo
ctl __control '{"expire_sync_tokens": ["people"]}'
req GET "/v1/people/me/connections?personFields=names,clientData&requestSyncToken=true&pageSize=1000&syncToken=$sync3"
expect people-expired-sync-token 400 'd.error.status==="FAILED_PRECONDITION" && d.error.details.some(x=>x["@type"]==="type.googleapis.com/google.rpc.ErrorInfo" && x.reason==="EXPIRED_SYNC_TOKEN")'
req GET '/v1/people/me/connections?personFields=names&requestSyncToken=true&pageSize=1000'
expect people-full-sync-after-expiry 200 'd.connections.length===197 && d.nextSyncToken'
sync4=$(j d.nextSyncToken)

# propagation delay: a write shows in sync results only later
ctl __control '{"propagation_delay_ms": 1500}'
req POST '/v1/people:createContact?personFields=names' '{"names": [{"givenName": "Late"}]}'
expect people-create-during-delay 200
req GET "/v1/people/me/connections?personFields=names&requestSyncToken=true&pageSize=1000&syncToken=$sync4"
expect people-write-not-yet-in-sync 200 '!d.connections && d.nextSyncToken'
sync5=$(j d.nextSyncToken)
sleep 1.6
req GET "/v1/people/me/connections?personFields=names&requestSyncToken=true&pageSize=1000&syncToken=$sync5"
expect people-write-shows-later 200 'd.connections && d.connections.length===1 && d.connections[0].names[0].givenName==="Late"'
ctl __control '{"propagation_delay_ms": 0}'

# contact groups
req POST '/v1/contactGroups' '{"contactGroup": {"name": "Family"}}'
expect groups-create 200 '/^contactGroups\//.test(d.resourceName) && d.groupType==="USER_CONTACT_GROUP"'
grp=$(j d.resourceName)
req POST '/v1/contactGroups' '{"contactGroup": {"name": "Family"}}'
expect groups-duplicate-name-409 409
member=$(node -e 'console.log(JSON.parse(process.argv[1])[3])' "$names")
req POST "/v1/$grp/members:modify" "{\"resourceNamesToAdd\": [\"$member\", \"people/c1\"]}"
expect groups-members-modify 200 'd.notFoundResourceNames[0]==="people/c1"'
req GET "/v1/$grp?maxMembers=10"
expect groups-get-members 200 'd.memberCount===1 && d.memberResourceNames[0]==="'"$member"'"'
req GET '/v1/contactGroups?groupFields=name,memberCount'
expect groups-list 200 'd.contactGroups.length===3 && d.nextSyncToken'
req GET "/v1/$member?personFields=memberships"
expect person-memberships 200 'd.memberships.length===2'
req GET '/v1/people:searchContacts?query=p1&readMask=names'
expect people-search-contacts 200 'd.results.length===10 && d.results.every(r=>/^P1/.test(r.person.names[0].givenName))'
req GET '/v1/people:searchContacts?query=p1'
expect people-search-needs-readMask 400
req GET '/v1/contactGroups?groupFields=name'
gsync=$(j d.nextSyncToken)
req DELETE "/v1/$grp"
expect groups-delete 200
req GET "/v1/contactGroups?groupFields=name&syncToken=$gsync"
expect groups-sync-tombstone 200 'd.contactGroups.length===1 && d.contactGroups[0].metadata.deleted===true'
ctl __control '{"expire_sync_tokens": ["contactGroups"]}'
req GET "/v1/contactGroups?groupFields=name&syncToken=$(j d.nextSyncToken)"
expect groups-expired-sync-token 400 'd.error.details[0].reason==="EXPIRED_SYNC_TOKEN"'

# ---------------------------------------------------------------- Calendar
cal=/calendar/v3/calendars/primary/events
req GET '/calendar/v3/users/me/calendarList'
expect calendar-list 200 'd.items.length===1 && d.items[0].primary===true && d.items[0].accessRole==="owner"'
ev='{"id": "accordevent0001", "summary": "Standup", "start": {"dateTime": "2026-03-02T09:00:00+01:00"}, "end": {"dateTime": "2026-03-02T09:15:00+01:00"}}'
req POST "$cal" '{"id": "UPPERCASE1", "summary": "x", "start": {"date": "2026-03-02"}, "end": {"date": "2026-03-03"}}'
expect calendar-id-base32hex-only 400 'd.error.errors[0].reason==="invalid"'
req POST "$cal" '{"id": "wxyz12345", "summary": "x", "start": {"date": "2026-03-02"}, "end": {"date": "2026-03-03"}}'
expect calendar-id-no-w-to-z 400 'd.error.errors[0].reason==="invalid"'
req POST "$cal" '{"id": "ab1", "summary": "x", "start": {"date": "2026-03-02"}, "end": {"date": "2026-03-03"}}'
expect calendar-id-at-least-5 400
req POST "$cal" '{"summary": "x", "start": {"date": "2026-03-02"}}'
expect calendar-end-required 400 'd.error.errors[0].reason==="required"'
req POST "$cal" '{"summary": "x", "colour": 1, "start": {"date": "2026-03-02"}, "end": {"date": "2026-03-03"}}'
expect calendar-undeclared-property 400 '/colour/.test(d.error.message)'
req POST "$cal" "$ev"
expect calendar-insert-client-id 200 'd.id==="accordevent0001" && d.iCalUID==="accordevent0001@google.com" && d.status==="confirmed" && /^"\d+"$/.test(d.etag)'
etag1=$(j d.etag)
req POST "$cal" "$ev"
expect calendar-duplicate-409 409 'd.error.errors[0].reason==="duplicate" && d.error.code===409'
req GET "$cal?maxResults=10"
expect calendar-events-list 200 'd.kind==="calendar#events" && d.items.length===1 && d.nextSyncToken'
csync=$(j d.nextSyncToken)
req PUT "$cal/accordevent0001" '{"summary": "Standup!", "start": {"dateTime": "2026-03-02T09:00:00+01:00"}, "end": {"dateTime": "2026-03-02T09:30:00+01:00"}}' "If-Match: $etag1"
expect calendar-update-if-match 200 'd.summary==="Standup!" && d.etag!=='"'$etag1'"
req PATCH "$cal/accordevent0001" '{"summary": "Stale"}' "If-Match: $etag1"
expect calendar-stale-etag-412 412 'd.error.errors[0].reason==="conditionNotMet"'
req GET "$cal?maxResults=10&syncToken=$csync"
expect calendar-sync-sees-update 200 'd.items.length===1 && d.items[0].summary==="Standup!"'
csync2=$(j d.nextSyncToken)
req GET "$cal?maxResults=10&syncToken=$csync2&singleEvents=false&fields=items(id),nextSyncToken"
expect calendar-sync-default-and-fields-do-not-bind 200 'd.items.length===0 && d.nextSyncToken'
req GET "$cal?syncToken=$csync2&timeMin=2026-01-01T00:00:00Z"
expect calendar-sync-refuses-timeMin 400
req GET "$cal?syncToken=$csync2&singleEvents=true"
expect calendar-sync-token-bound-to-first-call 400
req DELETE "$cal/accordevent0001"
expect calendar-delete-204 204
req DELETE "$cal/accordevent0001"
expect calendar-delete-again-410 410 'd.error.errors[0].reason==="deleted"'
req GET "$cal?maxResults=10&syncToken=$csync2"
expect calendar-sync-tombstone-only-id 200 'd.items.length===1 && JSON.stringify(Object.keys(d.items[0]).sort())==="[\"etag\",\"id\",\"kind\",\"status\"]" && d.items[0].status==="cancelled"'
csync3=$(j d.nextSyncToken)
req GET "$cal?showDeleted=true&fields=items(id,status),nextSyncToken"
expect calendar-partial-response 200 'JSON.stringify(Object.keys(d).sort())==="[\"items\",\"nextSyncToken\"]" && JSON.stringify(Object.keys(d.items[0]).sort())==="[\"id\",\"status\"]"'
req GET "$cal?maxResults=10"
expect calendar-deleted-hidden-without-showDeleted 200 'd.items.length===0'
req POST "$cal" "$ev"
expect calendar-deleted-id-still-409 409

# a weekly series in Europe/Paris, one instance moved, one cancelled
series='{"id": "recurringseries01", "summary": "Weekly", "start": {"dateTime": "2026-03-02T10:00:00", "timeZone": "Europe/Paris"}, "end": {"dateTime": "2026-03-02T11:00:00", "timeZone": "Europe/Paris"}, "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=6;BYDAY=MO"]}'
req POST "$cal" '{"summary": "r", "start": {"dateTime": "2026-03-02T10:00:00+01:00"}, "end": {"dateTime": "2026-03-02T11:00:00+01:00"}, "recurrence": ["RRULE:FREQ=WEEKLY"]}'
expect calendar-recurring-needs-timeZone 400
req POST "$cal" "$series"
expect calendar-insert-series 200 'd.recurrence[0]==="RRULE:FREQ=WEEKLY;COUNT=6;BYDAY=MO"'
req GET "$cal/recurringseries01/instances"
# 2026-03-30 is after the change to summer time: 10:00 Paris is 08:00Z, not 09:00Z
expect calendar-instances 200 'd.items.length===6 && d.items[0].id==="recurringseries01_20260302T090000Z" && d.items[4].id==="recurringseries01_20260330T080000Z" && d.items.every(i=>i.recurringEventId==="recurringseries01" && i.originalStartTime.dateTime)'
inst=$(j 'd.items[1]')
moved=$(node -e 'const i=JSON.parse(process.argv[1]);i.start={dateTime:"2026-03-10T15:00:00+01:00",timeZone:"Europe/Paris"};i.end={dateTime:"2026-03-10T16:00:00+01:00",timeZone:"Europe/Paris"};i.summary="Weekly (moved)";console.log(JSON.stringify(i))' "$inst")
req PUT "$cal/recurringseries01_20260309T090000Z" "$moved"
expect calendar-move-instance 200 'd.id==="recurringseries01_20260309T090000Z" && d.recurringEventId==="recurringseries01" && d.originalStartTime.dateTime.startsWith("2026-03-09T10:00:00") && d.start.dateTime.startsWith("2026-03-10T15:00")'
req DELETE "$cal/recurringseries01_20260316T090000Z"
expect calendar-cancel-instance 204
req GET "$cal/recurringseries01_20260323T090000Z"
expect calendar-get-computed-instance 200 'd.recurringEventId==="recurringseries01" && d.start.dateTime.startsWith("2026-03-23T10:00:00")'
req GET "$cal/recurringseries01_20260324T090000Z"
expect calendar-no-such-instance-404 404
req GET "$cal?iCalUID=recurringseries01@google.com&singleEvents=false"
expect calendar-series-with-exceptions 200 'd.items.length===3 && d.items.some(i=>i.status==="cancelled" && i.recurringEventId==="recurringseries01" && i.originalStartTime) && d.items.some(i=>i.summary==="Weekly (moved)")'
req GET "$cal?singleEvents=true&orderBy=startTime&timeMin=2026-03-01T00:00:00Z&timeMax=2026-05-01T00:00:00Z"
expect calendar-single-events 200 'd.items.length===5 && d.items[1].summary==="Weekly (moved)" && !d.items.some(i=>i.status==="cancelled")'
req GET "$cal?maxResults=1&syncToken=$csync3"
expect calendar-sync-paged 200 'd.items.length===1 && d.nextPageToken && !d.nextSyncToken'
req GET "$cal?maxResults=1&syncToken=$csync3&pageToken=$(j d.nextPageToken)"
expect calendar-sync-page-2 200 'd.items.length===1'
ctl __control '{"expire_sync_tokens": ["calendar"]}'
req GET "$cal?syncToken=$csync3"
expect calendar-expired-sync-410 410 'd.error.errors[0].reason==="fullSyncRequired" && d.error.code===410'
req GET "$cal?syncToken=CPDAlvWDx70CEPDAlvWDx70CGAU"
expect calendar-unknown-sync-token-410 410 'd.error.errors[0].domain==="calendar"'

# ---------------------------------------------------------------- Tasks
req GET '/tasks/v1/users/@me/lists'
expect tasks-default-list 200 'd.kind==="tasks#taskLists" && d.items.length===1 && d.items[0].title==="My Tasks"'
tl=$(j 'd.items[0].id')
T=/tasks/v1/lists/$tl/tasks
req POST "$T" '{"title": "Buy milk", "due": "2026-03-05T17:45:00.000Z", "notes": "semi-skimmed"}'
expect tasks-insert-due-date-only 200 'd.kind==="tasks#task" && d.due==="2026-03-05T00:00:00.000Z" && d.status==="needsAction" && /^0+\d+$/.test(d.position)'
t1=$(j d.id)
req POST "$T" '{"title": "x", "priority": 1}'
expect tasks-undeclared-property 400 '/priority/.test(d.error.message) && d.error.errors[0]'
req POST "$T" '{"title": "x", "status": "done"}'
expect tasks-status-enum 400
req POST "$T" '{"title": "Second"}'
t2=$(j d.id)
req POST "$T?parent=$t1" '{"title": "Sub"}'
expect tasks-insert-subtask 200 'd.parent==="'"$t1"'"'
t3=$(j d.id)
req POST "$T/$t2/move?previous=$t1&parent=$t1"
expect tasks-move-under-parent-after-sibling 400
req POST "$T/$t2/move?parent=$t1&previous=$t3"
expect tasks-move 200 'd.parent==="'"$t1"'"'
req GET "$T"
expect tasks-list-order 200 'd.items.map(t=>t.title).join()==="Buy milk,Sub,Second" && d.items[2].position>d.items[1].position'
sleep 0.05; before=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ); sleep 0.05
req PATCH "$T/$t1" '{"status": "completed"}'
expect tasks-complete 200 'd.status==="completed" && d.completed && d.due==="2026-03-05T00:00:00.000Z"'
req DELETE "$T/$t2"
expect tasks-delete-204 204
req GET "$T?updatedMin=$before"
expect tasks-updatedMin-hides-deleted 200 'd.items.length===1 && d.items[0].id==="'"$t1"'"'
req GET "$T?updatedMin=$before&showDeleted=true&showHidden=true"
expect tasks-updatedMin-showDeleted 200 'd.items.length===2 && d.items.some(t=>t.deleted===true && t.id==="'"$t2"'")'
req POST "/tasks/v1/lists/$tl/clear"
expect tasks-clear 204
req GET "$T"
expect tasks-cleared-completed-hidden 200 '!d.items.some(t=>t.id==="'"$t1"'")'
req GET "$T?showHidden=true"
expect tasks-showHidden 200 'd.items.some(t=>t.id==="'"$t1"'" && t.hidden===true)'
req GET "$T?maxResults=101"
expect tasks-maxResults-100 400
req POST '/tasks/v1/users/@me/lists' '{"title": "Work"}'
expect tasks-list-insert 200 'd.kind==="tasks#taskList" && d.title==="Work"'
tl2=$(j d.id)
req POST "$T/$t3/move?destinationTasklist=$tl2"
expect tasks-move-to-another-list 200 '!d.parent'
req GET "/tasks/v1/lists/$tl2/tasks"
expect tasks-moved-task-in-new-list 200 'd.items.length===1 && d.items[0].id==="'"$t3"'"'
req GET "/tasks/v1/lists/$tl2/tasks/$t1"
expect tasks-not-in-that-list-404 404

# ---------------------------------------------------------------- Gmail
G=/gmail/v1/users/me
req GET "$G/profile"
expect gmail-profile 200 'd.emailAddress==="ada@example.com" && /^\d+$/.test(d.historyId)'
h0=$(j d.historyId)
req POST "$G/labels" '{"name": "Accord"}'
expect gmail-label-needs-visibilities 400 'd.error.errors[0].reason==="required"'
req POST "$G/labels" '{"name": "Accord", "labelListVisibility": "labelShow", "messageListVisibility": "show"}'
expect gmail-label-create 200 '/^Label_/.test(d.id) && d.type==="user"'
lab=$(j d.id)
req POST "$G/labels" '{"name": "accord", "labelListVisibility": "labelShow", "messageListVisibility": "show"}'
expect gmail-label-name-taken-409 409
mail=$(printf 'From: Bob <bob@example.com>\r\nTo: ada@example.com\r\nSubject: Hello\r\nMessage-ID: <m1@example.com>\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n\r\nHi Ada\r\n' | base64 -w0 | tr '+/' '-_')
req POST "$G/messages/import?internalDateSource=dateHeader" "{\"raw\": \"$mail\", \"labelIds\": [\"INBOX\", \"UNREAD\", \"$lab\"]}"
expect gmail-import-json 200 'd.id && d.threadId===d.id && d.labelIds.length===3'
m1=$(j d.id)
req POST "$G/messages/import" "{\"raw\": \"$mail\", \"labelIds\": [\"NOPE\"]}"
expect gmail-import-unknown-label 400
printf 'From: Ada <ada@example.com>\r\nTo: bob@example.com\r\nSubject: Re: Hello\r\nMessage-ID: <m2@example.com>\r\nIn-Reply-To: <m1@example.com>\r\n\r\nHi Bob\r\n' > m2.eml
code=$(curl -s -o resp.body -w '%{http_code}' -H 'Authorization: Bearer at0' -H 'Content-Type: message/rfc822' --data-binary @m2.eml "$base/upload$G/messages/import?uploadType=media"); out=$(cat resp.body)
expect gmail-import-media-upload-threads 200 'd.threadId==="'"$m1"'"'
m2=$(j d.id)
req GET "$G/messages?q=rfc822msgid:m1@example.com"
expect gmail-search-rfc822msgid 200 'd.messages.length===1 && d.messages[0].id==="'"$m1"'" && d.resultSizeEstimate===1'
req GET "$G/messages?labelIds=$lab"
expect gmail-list-by-label 200 'd.messages.length===1'
req GET "$G/messages?maxResults=1"
expect gmail-list-paged 200 'd.messages.length===1 && d.nextPageToken && d.messages[0].id==="'"$m2"'"'
req GET "$G/messages?maxResults=1&pageToken=$(j d.nextPageToken)"
expect gmail-list-page-2 200 'd.messages.length===1 && !d.nextPageToken && d.messages[0].id==="'"$m1"'"'
req GET "$G/messages/$m1?format=raw"
expect gmail-get-raw 200 'Buffer.from(d.raw,"base64url").toString().includes("Subject: Hello") && d.internalDate===String(Date.parse("2026-03-02T10:00:00Z"))'
req GET "$G/messages/$m1?format=metadata&metadataHeaders=Subject&metadataHeaders=Message-ID"
expect gmail-get-metadata 200 'd.payload.headers.length===2 && d.payload.headers[0].value==="Hello" && !d.raw'
req GET "$G/messages/$m1?format=html"
expect gmail-format-enum 400
req POST "$G/messages/batchModify" "$(node -e 'console.log(JSON.stringify({ids:Array.from({length:1001},(_,i)=>"x"+i),addLabelIds:["STARRED"]}))')"
expect gmail-batchModify-cap-1000 400
req POST "$G/messages/batchModify" "{\"ids\": [\"$m1\", \"$m2\"], \"addLabelIds\": [\"STARRED\"], \"removeLabelIds\": [\"UNREAD\"]}"
expect gmail-batchModify 204
req POST "$G/messages/$m2/trash"
expect gmail-trash 200 'd.labelIds.includes("TRASH")'
req GET "$G/messages"
expect gmail-list-leaves-trash-out 200 'd.messages.length===1'
req GET "$G/history?startHistoryId=$h0"
expect gmail-history 200 'd.history.some(h=>h.messagesAdded) && d.history.some(h=>h.labelsAdded && h.labelsAdded[0].labelIds.includes("STARRED")) && d.history.some(h=>h.labelsRemoved) && +d.historyId>+"'"$h0"'"'
h1=$(j d.historyId)
req GET "$G/history?startHistoryId=$h0&historyTypes=messageAdded&maxResults=1"
expect gmail-history-types-paged 200 'd.history.length===1 && d.history[0].messagesAdded && d.nextPageToken'
req DELETE "$G/messages/$m2"
expect gmail-delete 204
req GET "$G/history?startHistoryId=$h1"
expect gmail-history-messageDeleted 200 'd.history.length===1 && d.history[0].messagesDeleted[0].message.id==="'"$m2"'"'
req GET "$G/history"
expect gmail-history-startHistoryId-required 400
ctl __control '{"expire_sync_tokens": ["gmail"]}'
req GET "$G/history?startHistoryId=$h1"
expect gmail-old-startHistoryId-404 404 'd.error.errors[0].reason==="notFound" && d.error.code===404'
req GET "$G/profile"
req GET "$G/history?startHistoryId=$(j d.historyId)"
expect gmail-fresh-historyId-after-expiry 200
# internalDateSource's defaults (discovery): import dateHeader, insert receivedTime
mail4=$(printf 'From: Bob <bob@example.com>\r\nSubject: Old\r\nMessage-ID: <m4@example.com>\r\nDate: Sun, 1 Mar 2026 08:00:00 +0000\r\n\r\nOld\r\n' | base64 -w0 | tr '+/' '-_')
req POST "$G/messages/import" "{\"raw\": \"$mail4\"}"
req GET "$G/messages/$(j d.id)?format=minimal"
expect gmail-import-dates-by-header-by-default 200 'd.internalDate===String(Date.parse("2026-03-01T08:00:00Z"))'
req POST "$G/messages" "{\"raw\": \"$mail4\"}"
req GET "$G/messages/$(j d.id)?format=minimal"
expect gmail-insert-dates-by-receipt-by-default 200 'Number(d.internalDate)>Date.parse("2026-03-02T00:00:00Z")'

# Gmail's per-user quota: 15,000 units a minute, each method its units (messages.get 5)
ctl __control '{"gmail_quota_per_minute": 12}'
tok=$bobtok req GET "$G/labels"; tok=$bobtok req GET "$G/labels"; tok=$bobtok req GET "$G/messages"
tok=$bobtok req GET "$G/messages"
expect gmail-quota-list-5-units 200
tok=$bobtok req GET "$G/labels"
expect gmail-quota-userRateLimitExceeded 403 'd.error.errors[0].reason==="userRateLimitExceeded" && d.error.errors[0].domain==="usageLimits"'
grep -qi '^Retry-After: [1-9]' resp.head && ok gmail-quota-retry-after || bad gmail-quota-retry-after "$(cat resp.head)"
ctl __control '{"gmail_quota_per_minute": 15000}'

# ---------------------------------------------------------------- Drive
D=/drive/v3
req GET "$D/changes/startPageToken"
expect drive-start-page-token 200 'd.kind==="drive#startPageToken" && /^\d+$/.test(d.startPageToken)'
spt=$(j d.startPageToken)
req POST "$D/files" '{"name": "Outlook Notes", "mimeType": "application/vnd.google-apps.folder"}'
expect drive-create-folder 200 'd.id && d.mimeType==="application/vnd.google-apps.folder" && JSON.stringify(Object.keys(d).sort())==="[\"id\",\"kind\",\"mimeType\",\"name\"]"'
folder=$(j d.id)
req POST "$D/files" '{"name": "x", "colour": "red"}'
expect drive-undeclared-property 400 '/colour/.test(d.error.message)'
req POST "$D/files" '{"name": "x", "appProperties": {"k": 1}}'
expect drive-appProperties-strings 400
printf -- '--b1\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{"name": "Note 1.txt", "mimeType": "text/plain", "parents": ["%s"], "appProperties": {"accord_key": "n-1"}}\r\n--b1\r\nContent-Type: text/plain\r\n\r\nFirst note\r\n--b1--\r\n' "$folder" > note.mp
code=$(curl -s -o resp.body -w '%{http_code}' -H 'Authorization: Bearer at0' -H 'Content-Type: multipart/related; boundary=b1' --data-binary @note.mp "$base/upload$D/files?uploadType=multipart&fields=id,name,appProperties,parents,size"); out=$(cat resp.body)
expect drive-multipart-create 200 'd.name==="Note 1.txt" && d.appProperties.accord_key==="n-1" && d.parents[0]==="'"$folder"'" && d.size==="10"'
note=$(j d.id)
req GET "$D/files/$note?alt=media"
[ "$(cat resp.body)" = "First note" ] && ok drive-download-content || bad drive-download-content "$(cat resp.body)"
req GET "$D/files/$note"
expect drive-default-fields-only 200 '!d.appProperties && d.name==="Note 1.txt"'
req GET "$D/files?q=appProperties+has+%7B+key%3D%27accord_key%27+and+value%3D%27n-1%27+%7D+and+trashed+%3D+false&fields=files(id,appProperties)"
expect drive-list-by-appProperties 200 'd.files.length===1 && d.files[0].id==="'"$note"'"'
req GET "$D/files?q=%27$folder%27+in+parents"
expect drive-list-in-folder 200 'd.files.length===1'
code=$(curl -s -o resp.body -w '%{http_code}' -XPATCH -H 'Authorization: Bearer at0' -H 'Content-Type: text/plain' --data-binary 'Second version' "$base/upload$D/files/$note?uploadType=media&fields=version,size"); out=$(cat resp.body)
expect drive-media-update 200 'd.size==="14" && d.version==="2"'
req PATCH "$D/files/$note?fields=appProperties,name" '{"name": "Note one.txt", "appProperties": {"accord_key": null, "other": "x"}}'
expect drive-update-appProperties-merge 200 'd.name==="Note one.txt" && d.appProperties.other==="x" && d.appProperties.accord_key===undefined'
req PATCH "$D/files/$note?fields=modifiedTime" '{"modifiedTime": "2026-02-01T10:00:00.000Z"}'
expect drive-modifiedTime-written 200 'd.modifiedTime==="2026-02-01T10:00:00.000Z"'
req PATCH "$D/files/$note?fields=modifiedTime" '{"modifiedTime": "yesterday"}'
expect drive-modifiedTime-must-be-a-time 400
req PATCH "$D/files/$note" '{"parents": ["root"]}'
expect drive-parents-not-writable-in-update 403 'd.error.errors[0].reason==="fieldNotWritable"'
req GET "$D/changes?pageToken=$spt&fields=*"
expect drive-changes 200 'd.changes.length===2 && d.newStartPageToken && d.changes.some(c=>c.fileId==="'"$note"'" && c.file.name==="Note one.txt")'
spt2=$(j d.newStartPageToken)
req DELETE "$D/files/$note"
expect drive-delete 204
req GET "$D/changes?pageToken=$spt2"
expect drive-changes-removed 200 'd.changes.length===1 && d.changes[0].removed===true && !d.changes[0].file'
req GET "$D/changes"
expect drive-changes-pageToken-required 400
req GET "$D/files/$note"
expect drive-deleted-404 404 'd.error.errors[0].reason==="notFound" && d.error.errors[0].location==="fileId"'

# ---------------------------------------------------------------- rate limits
ctl __control '{"rate_limit": {"count": 1, "status": 429, "reason": "rateLimitExceeded", "retry_after": 2, "path": "/calendar/"}}'
req GET "$cal"
expect calendar-429-rateLimitExceeded 429 'd.error.errors[0].reason==="rateLimitExceeded" && d.error.errors[0].domain==="usageLimits"'
grep -qi '^Retry-After: 2' resp.head && ok retry-after-header || bad retry-after-header "$(cat resp.head)"
req GET "$cal"
expect rate-limit-passes-after-count 200
ctl __control '{"rate_limit": {"count": 1, "status": 403, "reason": "userRateLimitExceeded", "retry_after": 1}}'
req GET "$cal"
expect calendar-403-userRateLimitExceeded 403 'd.error.errors[0].reason==="userRateLimitExceeded"'
ctl __control '{"rate_limit": {"count": 1, "status": 503, "path": "/tasks/"}}'
req GET '/tasks/v1/users/@me/lists'
expect tasks-injected-503-backendError 503 'd.error.errors[0].reason==="backendError" && d.error.status==="UNAVAILABLE"'
ctl __control '{"rate_limit": {"count": 1, "status": 429, "retry_after": 1}}'
req GET '/v1/people/me/connections?personFields=names'
expect people-429-resource-exhausted 429 'd.error.status==="RESOURCE_EXHAUSTED" && d.error.details[0].reason==="RATE_LIMIT_EXCEEDED"'

exit $fail
