#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A $batch of contact creates whose answer is lost after Outlook made them,
# while the look-up by key that follows fails too (the same outage, a 503):
# that create is answered RETRY, "maybe written" (docs/sdk.md, apply). The
# host keeps its key and sends it again, as a resend, before the next run
# reads: the look-up finds the contact the lost batch made and links it. So
# each person ends once in Outlook and once in the vCard folder (review s8,
# finding 1: before, the next try went blind, a second Outlook contact, and
# the first came back to the folder as a new card). The strict Graph fake
# (tests/peers/msgraph_fake.js, on loopback) stops itself after committing
# the batch (/__fault stop_after_commit) until the look-up's 503 is armed.
#
# Usage: outlook_lost_batch_test.sh ACCORD PEERS_DIR   (KEEP=DIR: the work folder is copied there)
set -u
. "$(dirname "${BASH_SOURCE[0]}")/graph_fake.sh"  # ok, bad, runp; graph_work, graph_start, graph_secrets, graph_config; post, api, js, jget, nothing
accord=$(realpath "$1") peers=$(realpath "$2")
watcher=
graph_work outlook-lost
export XDG_STATE_HOME="$work/.local/state"
fail=0

graph_start
# Outlook's live contacts named Create*, sorted, one a line
outlook() {
  curl -s "$base/__dump" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const d=JSON.parse(s);
    for (const n of Object.values(d.contacts).filter(c=>!c.deleted&&/^Create/.test(c.data.surname||"")).map(c=>c.data.surname).sort()) console.log(n)})'
}
# the folder's cards by FN, sorted, one a line
folder() { cat book/*.vcf | tr -d '\r' | sed -n 's/^FN:Nia //p' | sort; }
card() { printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:nc%s\r\nFN:Nia Create%s\r\nN:Create%s;Nia;;;\r\nEMAIL:nc%s@example.org\r\nEND:VCARD\r\n' $1 $1 $1 $1 > book/nc$1.vcf; }

graph_secrets
mkdir -p book
for i in 1 2 3; do card $i; done
cat > p.json <<JSON
{"name": "oc", "state": "s.sqlite",
 "left": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "book"}},
 "right": {"connector": "outlook-mapi", "config": {"account": "ada@contoso.com", "graph_url": "$base/v1.0", "access_token": {"\$secret": "ada_token"}, "timeouts": {"stall_seconds": 30}}},
 "streams": [{"name": "contacts", "left": "contact", "right": "contact"}]}
JSON
runp run p.json
[ "$rc" = 0 ] || bad "the first run exited $rc" "$out"
for i in 4 5 6 7 8 9; do card $i; done
# the batch of six creates: done, its answer lost (the fake stops itself);
# then the first look-up by key answered 503
post /__fault '{"stop_after_commit": 1, "method": "POST", "path": "/v1.0/$batch"}' > /dev/null
( while [ "$(awk '{print $3}' /proc/$peer_pid/stat 2>/dev/null)" != T ]; do sleep 0.05; done
  post /__control '{"rate_limit": {"count": 1, "status": 503, "retry_after": 0, "method": "GET", "path": "/v1.0/me/contactFolders/"}}' > /dev/null &
  sleep 0.5; kill -CONT $peer_pid; wait ) & watcher=$!
runp run p.json
wait $watcher; watcher=
if echo "$out" | grep -q "retry"; then
  ok "a create of the lost batch was answered retry (its look-up failed)"
else
  bad "no create was answered retry: the look-up did not fail as planned (exit $rc)" "$out"
fi
runp status p.json
echo "$out" | grep -q "creates answered retry, looked for by their keys before they are sent again: 1" &&
  ok "accord status counts the create answered retry" || bad "accord status does not count the create answered retry" "$out"
want=$(for i in 1 2 3 4 5 6 7 8 9; do echo "Create$i"; done)
[ "$(outlook)" = "$want" ] || bad "after the lost batch Outlook holds other than Create1..9 once each" "$(outlook)"
# past the retry's wait (5 s), then until nothing is left to do
sleep 6
for k in 1 2 3; do
  runp run p.json
  [ "$rc" = 0 ] || bad "run $k after the lost batch exited $rc" "$out"
  echo "$out" | grep -q "left create" && bad "run $k copied a record back to the folder" "$out"
done
echo "$out" | grep -q "nothing to do" || bad "the last run had something to do" "$out"
[ "$(outlook)" = "$want" ] && ok "Outlook holds each person once" || bad "Outlook holds other than Create1..9 once each" "$(outlook)"
[ "$(folder)" = "$want" ] && ok "the folder holds each person once" || bad "the folder holds other than Create1..9 once each" "$(folder)" "$(ls book)"
n=$(sqlite3 s.sqlite "SELECT count(*) FROM retried_creates")
[ "$n" = 0 ] && ok "no create is left waiting as answered retry" || bad "$n creates still kept as answered retry"
exit $fail
