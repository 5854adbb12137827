#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# outlook_find_only_test.sh from a folder of vCards (3.0, each with a UID),
# the way users keep contacts, plus the case where the kept create's source
# stays. Registered DISABLED (CMakeLists.txt) until the fix lands: on a clean
# build of 2fea775 (the reviewer's, /tmp/review14/src) it fails:
#   - source kept: the contact the lost try made is not held while its
#     create waits; the run that reads Outlook copies it to the folder as a
#     second card (the person twice), and every later run refuses the
#     resend ("already linked", exit 5);
#   - source deleted: the contact comes back to the folder as a new card
#     (the user's delete undone; nothing lost).
# /uid is not the cause (Outlook's contact manifest does not name it; both
# comparisons skip it). The one member that differs in Outlook's terms is a
# vCard email's parameters: {"address": …, "vCardParams": {"type":
# "internet"}} against Outlook's {"address": …} (its manifest names only
# "/emails/*/address"), which journal.cpp's hold (held_for_retried, "none
# differing") and as_created compare as whole members. It passes (10 of 10)
# with the shared build of 05:28, which holds the resend helper's
# then-uncommitted judgement by the store's own check (accord.check.v1):
# enable it with that commit. What it wants:
#   - source kept: held, then linked by the resend: each person once on each
#     side, no run failing;
#   - the contact as the create made it, its source deleted, is deleted in
#     Outlook: the user's delete holds, nothing is copied back;
#   - a contact edited in Outlook since is kept and comes back to the folder
#     with its edit (the edit wins; nothing lost).
#
# Usage: outlook_find_only_vcard_test.sh ACCORD PEERS_DIR   (KEEP=DIR: the work folder is copied there)
set -u
. "$(dirname "${BASH_SOURCE[0]}")/graph_fake.sh"  # ok, bad, runp; graph_work, graph_start, graph_secrets, post, api, js
accord=$(realpath "$1") peers=$(realpath "$2")
watcher=
graph_work outlook-find-only-vcard
export XDG_STATE_HOME="$work/.local/state"
fail=0

graph_start
# Outlook's live contacts named Create*, "surname|jobTitle", sorted, one a line
outlook() {
  curl -s "$base/__dump" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const d=JSON.parse(s);
    for (const n of Object.values(d.contacts).filter(c=>!c.deleted&&/^Create/.test(c.data.surname||"")).map(c=>c.data.surname+"|"+(c.data.jobTitle||"")).sort()) console.log(n)})'
}
# the id of Outlook's live contact with this surname
outlook_id() {
  curl -s "$base/__dump" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const d=JSON.parse(s);
    const c=Object.values(d.contacts).find(c=>!c.deleted&&c.data.surname===process.argv[1]);
    console.log(c?"AAkALg"+Buffer.from(c.key).toString("base64").replace(/\+/g,"-").replace(/\//g,"_"):"")})' "$1"
}
# the folder's cards (JSContact, local json), "surname|title", sorted, one a line
folder() {
  for f in book/*.vcf; do
    n=$(sed -n 's/^N:\([^;]*\);.*/\1/p' "$f" | tr -d '\r' | head -1) t=$(sed -n 's/^TITLE:\(.*\)/\1/p' "$f" | tr -d '\r' | head -1)
    echo "$n|$t"
  done | sort
}
# a card of what Outlook keeps (no uid: Outlook sets none), so that the contact a create made reads back as it was sent
card() {
  printf 'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:urn:uuid:0000000%s-1111-2222-3333-444444444444\r\nFN:Nia Create%s\r\nN:Create%s;Nia;;;\r\nEMAIL;TYPE=INTERNET:nc%s@example.org\r\nEND:VCARD\r\n' $1 $1 $1 $1 > book/nc$1.vcf
}
# The batch of creates of the next run: done, its answer lost (the fake
# stops itself after committing it); then the first look-up by key answered 503.
lose_the_batch() {
  post /__fault '{"stop_after_commit": 1, "method": "POST", "path": "/v1.0/$batch"}' > /dev/null
  ( while [ "$(awk '{print $3}' /proc/$peer_pid/stat 2>/dev/null)" != T ]; do sleep 0.05; done
    post /__control '{"rate_limit": {"count": 1, "status": 503, "retry_after": 0, "method": "GET", "path": "/v1.0/me/contactFolders/"}}' > /dev/null &
    sleep 0.5; kill -CONT $peer_pid; wait ) & watcher=$!
  runp run p.json
  wait $watcher; watcher=
}
# a run whose resend's look-up is answered 503 (the create stays kept) reads the folder's delete
read_the_delete() {
  sleep 6  # past the retry's wait (5 s)
  post /__control '{"rate_limit": {"count": 1, "status": 503, "retry_after": 0, "method": "GET", "path": "/v1.0/me/contactFolders/"}}' > /dev/null
  runp run p.json
  echo "$out" | grep -q "sent again as resends, before reading: 1 create answered retry by an earlier run (1 failed)" \
    || bad "the resend did not fail as planned" "$out"
  [ "$(sqlite3 s.sqlite "SELECT count(*) FROM retried_creates")" = 1 ] || bad "the create is no longer kept" "$out"
  sleep 6
}
# the surname of the one create kept as answered retry
kept() { sqlite3 s.sqlite "SELECT data FROM retried_creates" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{
  const m=/Create[0-9]+/.exec(s); console.log(m?m[0]:"")})'; }

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

# -- 0. the kept create's source kept: the run that reads Outlook while the resend fails holds the contact the
# lost try made (it may be the create's), the next resend links it: one card and one contact per person, no error
# (review s13: on HEAD 64adf24 it was not held and came back as a second card; every later run then refused the
# resend, "already linked")
for i in 1 2 3; do card 0$i; done
lose_the_batch
k0=$(kept)
[ -n "$k0" ] && ok "a create of a lost batch is kept, its source kept ($k0)" || bad "no create of the first lost batch is kept" "$out"
read_the_delete
held=$out
runp run p.json
r1=$rc again=$out
runp run p.json
want0=$(for i in 01 02 03 1 2 3; do echo "Create$i|"; done | sort)
[ "$(outlook)" = "$want0" ] && [ "$(folder)" = "$want0" ] && [ "$r1" = 0 ] && [ "$rc" = 0 ] \
  && [ "$(sqlite3 s.sqlite "SELECT count(*) FROM retried_creates")" = 0 ] \
  && ok "the contact the lost try made is held, then linked: each person once on each side" \
  || bad "a person is twice in the folder or in Outlook, or a run failed" "outlook: $(outlook)" "folder: $(folder)" "$held" "$again" "$out"

# -- 1. the kept create's source deleted; Outlook's contact as the create made it
for i in 4 5 6; do card $i; done
lose_the_batch
k=$(kept)
[ -n "$k" ] && ok "a create of the lost batch is kept, answered retry ($k)" || bad "no create is kept as answered retry" "$out"
# deleted in the folder and read by a run whose resend of the create fails again (its
# look-up answered 503): the host knows the source is gone and will not send the create
# again; the next run (before it reads) asks Outlook only whether the key's contact exists
rm -f "book/nc${k#Create}.vcf"
read_the_delete
runp run p.json
[ "$rc" = 0 ] || bad "the run after the delete exited $rc" "$out"
echo "$out" | grep -q "left create" && bad "the run copied a record back to the folder" "$out"
want=$(for i in 01 02 03 1 2 3 4 5 6; do [ "Create$i" = "$k" ] || echo "Create$i|"; done | sort)
[ "$(outlook)" = "$want" ] && ok "the contact the lost try made is deleted in Outlook, as its source was" \
  || bad "Outlook holds other than the five people left" "$(outlook)" "$out"
[ "$(folder)" = "$want" ] && ok "the deleted card stays deleted in the folder (nothing copied back)" \
  || bad "the folder holds other than the five people left" "$(folder)" "$out"

# -- 2. the kept create's source deleted; its contact edited in Outlook since
for i in 7 8 9; do card $i; done
lose_the_batch
k2=$(kept)
[ -n "$k2" ] && ok "a second lost batch keeps one create ($k2)" || bad "no create of the second batch is kept" "$out"
id=$(outlook_id "$k2")
api PATCH "/me/contacts/$id" '{"jobTitle": "Edited in Outlook"}' > /dev/null
rm -f "book/nc${k2#Create}.vcf"
read_the_delete
for r in 1 2; do
  runp run p.json
  [ "$rc" = 0 ] || bad "run $r after the second delete exited $rc" "$out"
done
want2=$(for i in 01 02 03 1 2 3 4 5 6 7 8 9; do [ "Create$i" = "$k" ] && continue
  if [ "Create$i" = "$k2" ]; then echo "Create$i|Edited in Outlook"; else echo "Create$i|"; fi; done | sort)
[ "$(outlook)" = "$want2" ] && ok "the contact edited in Outlook is kept there (the edit wins)" \
  || bad "Outlook lost or doubled a contact" "$(outlook)"
[ "$(folder)" = "$want2" ] && ok "the edited contact comes back to the folder with its edit, once" \
  || bad "the folder does not hold each person once" "$(folder)" "$out"
runp run p.json
nothing "then nothing to do"
n=$(sqlite3 s.sqlite "SELECT count(*) FROM retried_creates")
[ "$n" = 0 ] && ok "no create is left kept as answered retry" || bad "$n creates still kept as answered retry"
exit $fail
