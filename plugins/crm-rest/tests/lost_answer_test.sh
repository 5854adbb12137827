#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Answers lost after the CRM committed a write (issue 17, item 3), against
# json-server (tests/peers/json_server_peer.js) and the Salesforce fake: the
# peer does the write and closes the connection without answering (once, or
# for the try after it too), stops itself (SIGSTOP) after the commit and is
# continued, or dies and is started again on its port. A create is never sent
# again blindly (libcurl re-sends a request on a reused connection it finds
# dead): the record is looked for by its idempotency key first, so there is
# exactly one record in the CRM afterwards and the next run has nothing to
# do. A create whose answer is lost and that cannot be looked for is answered
# "retry", never "ok" with a guessed id. Listings give each record's
# idempotency key back (the external-id field).
#
# Usage: lost_answer_test.sh ACCORD CONFORMANCE PLUGIN PEERS_DIR
call="python3 $(cd "$(dirname "$0")" && pwd)/plugin_call.py"
. "$(dirname "$0")/lib.sh"

if [ ! -x "$peers/node_modules/.bin/json-server" ]; then
  echo "FAIL json-server is not installed: run scripts/install-deps.sh (npm ci in tests/peers)"
  exit 1
fi

# ---- json-server, one plugin call at a time
cat > db.json <<'JSON'
{"contacts": [{"id": 1, "firstName": "Warm", "lastName": "Up", "email": "warm@example.org", "updatedAt": "2026-01-01T00:00:00.000Z"}],
 "notes": []}
JSON
PEER_SAVE=1 start_peer node "$peers/json_server_peer.js" db.json
faults() { curl -s -XPOST -H 'Content-Type: application/json' -d "$1" "$base/__faults" > /dev/null; }
# keyed KEY: how many contacts carry the idempotency key KEY
keyed() { curl -s "$base/contacts?accord_id=$1" | node -e 'let s="";process.stdin.on("data",c=>s+=c).on("end",()=>console.log(JSON.parse(s).length))'; }
idof() { curl -s "$base/contacts?accord_id=$1" | node -e 'let s="";process.stdin.on("data",c=>s+=c).on("end",()=>{const a=JSON.parse(s);console.log(a.length?a[0].id:"")})'; }
field() { node -e 'const a=JSON.parse(process.argv[1]);const r=a[Number(process.argv[2])]||{};console.log(r[process.argv[3]]===undefined?"":r[process.argv[3]])' "$1" "$2" "$3"; }
cfg="{\"profile\": \"json-server\", \"base_url\": \"$base\", \"timeouts\": {\"stall_seconds\": 3}}"
# ops KEY: an update of the warm-up record (so that the create goes on a
# connection used before, the one libcurl re-sends on) and a create with KEY
ops() {
  printf '[{"op": "update", "id": "1", "data": {"name": {"full": "Warm Up"}, "emails": {"e1": {"address": "warm@example.org"}}}},
           {"op": "create", "idempotency_key": "%s", %s"data": {"name": {"full": "Lost %s"}, "emails": {"e1": {"address": "%s@example.org"}}}}]' \
    "$1" "${2:-}" "$1" "$1"
}

faults '{"drop_answer_after_commit": 1, "method": "POST"}'
out=$($call "$plugin" "$cfg" contact apply "$(ops lost-one)" 2>>peer.err); printf '%s\n' "$out" >> all.out
[ "$(keyed lost-one)" = 1 ] && [ "$(field "$out" 1 status)" = ok ] && [ "$(field "$out" 1 id)" = "$(idof lost-one)" ] \
  && ok create-answer-lost-once-makes-one-record || bad create-answer-lost-once-makes-one-record "records=$(keyed lost-one)" "$out"

faults '{"drop_answer_after_commit": 2, "method": "POST"}'
out=$($call "$plugin" "$cfg" contact apply "$(ops lost-two)" 2>>peer.err); printf '%s\n' "$out" >> all.out
[ "$(keyed lost-two)" = 1 ] && [ "$(field "$out" 1 status)" = ok ] && [ "$(field "$out" 1 id)" = "$(idof lost-two)" ] \
  && ok create-answer-lost-twice-makes-one-record || bad create-answer-lost-twice-makes-one-record "records=$(keyed lost-two)" "$out"

# the peer dies after the commit: the record cannot be looked for, so the
# create is answered "retry" (never "ok" with a guessed id); the host's resend
# ("resend": true) finds it once the peer is back
faults '{"exit_after_commit": 1, "method": "POST"}'
out=$($call "$plugin" "$cfg" contact apply "$(ops lost-dead)" 2>>peer.err); printf '%s\n' "$out" >> all.out
wait "$peer_pid" 2>/dev/null
PEER_SAVE=1 PEER_PORT=$port start_peer node "$peers/json_server_peer.js" db.json
[ "$(field "$out" 1 status)" = retry ] && [ "$(keyed lost-dead)" = 1 ] \
  && ok create-answer-lost-and-peer-gone-answers-retry || bad create-answer-lost-and-peer-gone-answers-retry "records=$(keyed lost-dead)" "$out"
out=$($call "$plugin" "$cfg" contact apply "$(ops lost-dead '"resend": true, ')" 2>>peer.err); printf '%s\n' "$out" >> all.out
[ "$(keyed lost-dead)" = 1 ] && [ "$(field "$out" 1 status)" = ok ] && [ "$(field "$out" 1 id)" = "$(idof lost-dead)" ] \
  && ok resend-after-restart-finds-the-record || bad resend-after-restart-finds-the-record "records=$(keyed lost-dead)" "$out"

# listings give the key back beside the id (not inside data); a record no
# create of ours made has none
out=$($call "$plugin" "$cfg" contact list 2>>peer.err); printf '%s\n' "$out" >> all.out
node -e 'const a=JSON.parse(process.argv[1]);const k=r=>(a.find(x=>x.data&&x.data.emails&&x.data.emails.e1.address===r)||{});
  process.exit(k("lost-one@example.org").idempotency_key==="lost-one" && k("warm@example.org").idempotency_key===undefined &&
    !a.some(x=>x.data&&x.data.accord_id!==undefined) ? 0 : 1)' "$out" \
  && ok listing-gives-idempotency-key-back || bad listing-gives-idempotency-key-back "$out"

# ---- json-server, a pipeline: vCards → the CRM
kill "$peer_pid"; wait "$peer_pid" 2>/dev/null
printf '{"contacts": [], "notes": []}\n' > db.json
PEER_SAVE=1 start_peer node "$peers/json_server_peer.js" db.json
cfg="{\"profile\": \"json-server\", \"base_url\": \"$base\", \"timeouts\": {\"stall_seconds\": 3}}"
crm_pipeline "$cfg"
vcards a 1 3 Before
runp run p.json
[ $rc = 0 ] || bad pipeline-setup "rc=$rc" "$out"
ncontacts() { curl -s "$base/contacts" | node -e 'let s="";process.stdin.on("data",c=>s+=c).on("end",()=>console.log(JSON.parse(s).length))'; }
byemail() { curl -s "$base/contacts?email=$1" | node -e 'let s="";process.stdin.on("data",c=>s+=c).on("end",()=>console.log(JSON.parse(s).length))'; }

vcards b 1 1 Lost
faults '{"drop_answer_after_commit": 1, "method": "POST"}'
runp run p.json
n1=$(byemail b1@example.org) rc1=$rc out1=$out
runp run p.json
[ "$rc1" = 0 ] && [ "$n1" = 1 ] && [ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" \
  && ok pipeline-create-answer-lost-once-one-record || bad pipeline-create-answer-lost-once-one-record "rc=$rc1 records=$n1" "$out1" "$out"

vcards c 1 1 Lost
faults '{"drop_answer_after_commit": 2, "method": "POST"}'
runp run p.json
n1=$(byemail c1@example.org) rc1=$rc out1=$out
runp run p.json
[ "$rc1" = 0 ] && [ "$n1" = 1 ] && [ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" && ! printf '%s' "$out" | grep -qi "ambiguous" \
  && ok pipeline-create-answers-lost-twice-one-record-synced || bad pipeline-create-answers-lost-twice-one-record-synced "rc=$rc1 records=$n1" "$out1" "$out"

# the peer stops (SIGSTOP) after the commit and is continued while the
# record is being looked for: one record, found, nothing left to do
vcards d 1 1 Stopped
faults '{"stop_after_commit": 1, "method": "POST"}'
"$accord" run p.json > run.out 2>&1 &
run_pid=$!
for _ in $(seq 1 100); do [ "$(awk '{print $3}' "/proc/$peer_pid/stat" 2>/dev/null)" = T ] && break; sleep 0.1; done
stopped=$(awk '{print $3}' "/proc/$peer_pid/stat" 2>/dev/null)
sleep 4.5
kill -CONT "$peer_pid"
wait "$run_pid"; rc1=$?
cat run.out >> all.out
n1=$(byemail d1@example.org)
runp run p.json
[ "$stopped" = T ] && [ "$rc1" = 0 ] && [ "$n1" = 1 ] && [ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" \
  && ok peer-stopped-after-commit-and-continued-one-record || bad peer-stopped-after-commit-and-continued-one-record \
    "stopped=$stopped rc=$rc1 records=$n1" "$(cat run.out)" "$out"

# the peer dies on receiving the create (before its commit) and is started
# again: that run reports the record failed, the next one makes it, once
vcards e 1 1 Killed
faults '{"exit_before_commit": 1, "method": "POST"}'
runp run p.json
rc1=$rc out1=$out
wait "$peer_pid" 2>/dev/null
PEER_SAVE=1 PEER_PORT=$port start_peer node "$peers/json_server_peer.js" db.json
sleep 6  # the failed create's retry_after (5 s)
runp run p.json
n1=$(byemail e1@example.org)
[ "$rc1" != 0 ] && [ $rc = 0 ] && [ "$n1" = 1 ] && [ "$(ncontacts)" = 7 ] \
  && ok peer-killed-and-restarted-record-made-once || bad peer-killed-and-restarted-record-made-once "rc=$rc1/$rc records=$n1 all=$(ncontacts)" "$out1" "$out"
# the peer dies after the commit, unanswered, and is started again: that run
# reports the record failed (it could not be looked for), the next one finds
# it (listed with its key, or looked up on the resend): still one record
vcards f 1 1 Dead
faults '{"exit_after_commit": 1, "method": "POST"}'
runp run p.json
rc1=$rc out1=$out
wait "$peer_pid" 2>/dev/null
PEER_SAVE=1 PEER_PORT=$port start_peer node "$peers/json_server_peer.js" db.json
n0=$(byemail f1@example.org)
sleep 6  # the failed create's retry_after (5 s)
runp run p.json
rc2=$rc out2=$out
runp run p.json
[ "$rc1" != 0 ] && [ "$n0" = 1 ] && [ "$rc2" = 0 ] && [ "$(byemail f1@example.org)" = 1 ] && [ "$(ncontacts)" = 8 ] && [ $rc = 0 ] \
  && printf '%s' "$out" | grep -q "nothing to do" && ok peer-dead-after-commit-and-restarted-one-record \
  || bad peer-dead-after-commit-and-restarted-one-record "rc=$rc1/$rc2/$rc committed=$n0 records=$(byemail f1@example.org) all=$(ncontacts)" "$out1" "$out2" "$out"
kill "$peer_pid"; wait "$peer_pid" 2>/dev/null; peer_pid=

# ---- the Salesforce fake: creates upsert on Accord_Id__c (in a collection,
# and one by one), so a lost answer is sent again safely
rm -rf book state.sqlite*
refresh="rt-$RANDOM" secret="cs-$RANDOM"
SF_CLIENT_ID=accord-test SF_CLIENT_SECRET=$secret SF_REFRESH_TOKEN=$refresh start_peer node "$peers/salesforce_fake.js"
secrets "{\"sf_secret\": \"$secret\", \"sf_refresh\": \"$refresh\"}"
sfcount() { curl -s "$base/__dump" | node -e 'let s="";process.stdin.on("data",c=>s+=c).on("end",()=>{const d=JSON.parse(s);console.log((d.Contact||[]).filter(c=>c.Email===process.argv[1]).length)})' "$1"; }
sf="\"profile\": \"salesforce\", \"base_url\": \"$base/services/data/v59.0\", \"timeouts\": {\"stall_seconds\": 3},
  \"auth\": {\"client_id\": \"accord-test\", \"client_secret\": {\"\$secret\": \"sf_secret\"}, \"refresh_token\": {\"\$secret\": \"sf_refresh\"}}"
crm_pipeline "{$sf}"
vcards s 1 2 Before
runp run p.json
[ $rc = 0 ] || bad sf-pipeline-setup "rc=$rc" "$out"
vcards t 1 2 Lost
ctl __fault '{"drop_answer_after_commit": 1, "method": "PATCH", "path": "/services/data/"}'
runp run p.json
rc1=$rc out1=$out
runp run p.json
[ "$rc1" = 0 ] && [ "$(sfcount t1@example.org)" = 1 ] && [ "$(sfcount t2@example.org)" = 1 ] && [ $rc = 0 ] \
  && printf '%s' "$out" | grep -q "nothing to do" && ok sf-collection-answer-lost-one-record-each \
  || bad sf-collection-answer-lost-one-record-each "rc=$rc1 t1=$(sfcount t1@example.org) t2=$(sfcount t2@example.org)" "$out1" "$out"
# the fake stops (SIGSTOP) after doing an upsert collection and is continued
# after the client gave up on it: the collection is sent again (an upsert on
# the key is idempotent) and finds the records the first made
vcards y 1 2 Stopped
ctl __fault '{"stop_after_commit": 1, "method": "PATCH", "path": "/services/data/"}'
"$accord" run p.json > run.out 2>&1 &
run_pid=$!
for _ in $(seq 1 100); do [ "$(awk '{print $3}' "/proc/$peer_pid/stat" 2>/dev/null)" = T ] && break; sleep 0.1; done
stopped=$(awk '{print $3}' "/proc/$peer_pid/stat" 2>/dev/null)
sleep 4.5
kill -CONT "$peer_pid"
wait "$run_pid"; rc1=$?
cat run.out >> all.out
runp run p.json
[ "$stopped" = T ] && [ "$rc1" = 0 ] && [ "$(sfcount y1@example.org)" = 1 ] && [ "$(sfcount y2@example.org)" = 1 ] && [ $rc = 0 ] \
  && printf '%s' "$out" | grep -q "nothing to do" && ok sf-stopped-after-commit-and-continued-one-record-each \
  || bad sf-stopped-after-commit-and-continued-one-record-each "stopped=$stopped rc=$rc1 y1=$(sfcount y1@example.org) y2=$(sfcount y2@example.org)" \
    "$(cat run.out)" "$out"
# one by one (no collections): the single upsert's answer is lost
crm_pipeline "{$sf, \"streams\": {\"contact\": {\"batch\": null}}}"
vcards u 1 1 Lost
ctl __fault '{"drop_answer_after_commit": 1, "method": "PATCH", "path": "/services/data/"}'
runp run p.json
rc1=$rc out1=$out
runp run p.json
[ "$rc1" = 0 ] && [ "$(sfcount u1@example.org)" = 1 ] && [ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" \
  && ok sf-upsert-answer-lost-one-record || bad sf-upsert-answer-lost-one-record "rc=$rc1 n=$(sfcount u1@example.org)" "$out1" "$out"
# creates that do not upsert (a plain POST is not idempotent): a collection
# create, then one by one; the record is found by its external id
crm_pipeline "{$sf, \"streams\": {\"contact\": {\"upsert\": null, \"batch\": {\"upsert\": null,
  \"create\": {\"method\": \"POST\", \"path\": \"/composite/sobjects\", \"body\": {\"allOrNone\": false, \"records\": \"{items}\"},
              \"item_set\": {\"/attributes\": {\"type\": \"{object}\"}}, \"results\": \"\", \"match\": \"order\",
              \"ok\": \"/success\", \"error\": \"/errors/0/message\", \"id\": \"/id\"}}}}}"
vcards v 1 2 Lost
ctl __fault '{"drop_answer_after_commit": 1, "method": "POST", "path": "/services/data/"}'
runp run p.json
rc1=$rc out1=$out
runp run p.json
[ "$rc1" = 0 ] && [ "$(sfcount v1@example.org)" = 1 ] && [ "$(sfcount v2@example.org)" = 1 ] && [ $rc = 0 ] \
  && printf '%s' "$out" | grep -q "nothing to do" && ok sf-create-collection-answer-lost-one-record-each \
  || bad sf-create-collection-answer-lost-one-record-each "rc=$rc1 v1=$(sfcount v1@example.org) v2=$(sfcount v2@example.org)" "$out1" "$out"
crm_pipeline "{$sf, \"streams\": {\"contact\": {\"upsert\": null, \"batch\": null}}}"
vcards w 1 1 Lost
ctl __fault '{"drop_answer_after_commit": 1, "method": "POST", "path": "/services/data/"}'
runp run p.json
rc1=$rc out1=$out
runp run p.json
[ "$rc1" = 0 ] && [ "$(sfcount w1@example.org)" = 1 ] && [ $rc = 0 ] && printf '%s' "$out" | grep -q "nothing to do" \
  && ok sf-create-answer-lost-one-record || bad sf-create-answer-lost-one-record "rc=$rc1 n=$(sfcount w1@example.org)" "$out1" "$out"
# a create done whose version could not be read afterwards (the GET after
# the POST fails) is done all the same: "ok" with its id, not a failure that
# would make it again
ctl __fault '{"fail": 1, "status": 500, "method": "GET", "path": "/services/data/v59.0/sobjects/Contact/"}'
out=$($call "$plugin" "{$sf, \"streams\": {\"contact\": {\"upsert\": null, \"batch\": null}}}" contact apply \
  '[{"op": "create", "idempotency_key": "accord-x1", "data": {"name": {"components": [{"kind": "given", "value": "Vera"}, {"kind": "surname", "value": "Sionless"}]}, "emails": {"e1": {"address": "x1@example.org"}}}}]' 2>/dev/null)
printf '%s\n' "$out" >> all.out
sfid() { curl -s "$base/__dump" | node -e 'let s="";process.stdin.on("data",c=>s+=c).on("end",()=>{const d=JSON.parse(s);const r=(d.Contact||[]).find(c=>c.Email===process.argv[1]);console.log(r?r.Id:"")})' "$1"; }
[ "$(sfcount x1@example.org)" = 1 ] && [ "$(field "$out" 0 status)" = ok ] && [ "$(field "$out" 0 id)" = "$(sfid x1@example.org)" ] \
  && ok sf-create-done-without-version-is-ok || bad sf-create-done-without-version-is-ok "n=$(sfcount x1@example.org)" "$out"
dropped=$(curl -s "$base/__fault")
[ "$dropped" = '{"dropped":5}' ] && ok sf-faults-took-effect || bad sf-faults-took-effect "$dropped"
# listings give the key back (Accord_Id__c)
out=$($call "$plugin" "{$sf}" contact list 2>/dev/null); printf '%s\n' "$out" >> all.out
node -e 'const a=JSON.parse(process.argv[1]);process.exit(a.length>0&&a.every(r=>typeof r.idempotency_key==="string"&&r.idempotency_key.length>0&&!("Accord_Id__c" in r.data))?0:1)' "$out" \
  && ok sf-listing-gives-idempotency-key-back || bad sf-listing-gives-idempotency-key-back "$out"
exit $fail
