#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A lost create on a stream whose CRM keeps no key (HighLevel's notes; here
# json-server's note stream set the same way: "external_id": "", a lookup
# listing every note) is found by its content, and a user's own note with
# the same words must never be taken for it (review s11 F6: it was linked to
# the source, and deleted with it). Only the one look-alike made in the
# try's time is taken (kit::made_by_try: from the first try's send, the
# host's first_sent_at on a resend, to its return, each less/plus 300 s);
# an older one is the user's; with several, or one without a creation time,
# none is taken and the create waits (accord status lists it); nothing is
# deleted or made twice. Left (local JSON) → right (crm-rest), through the
# host, answers lost after json-server committed the POST.
#
# Usage: content_lookup_test.sh ACCORD CONFORMANCE PLUGIN PEERS_DIR
. "$(dirname "$0")/lib.sh"

if [ ! -x "$peers/node_modules/.bin/json-server" ]; then
  echo "FAIL json-server is not installed: run scripts/install-deps.sh (npm ci in tests/peers)"
  exit 1
fi
faults() { curl -s -XPOST -H 'Content-Type: application/json' -d "$1" "$base/__faults" > /dev/null; }
# notes: the CRM's notes, compact, by id
notes() { curl -s "$base/notes?_sort=id" | node -e 'let s="";process.stdin.on("data",c=>s+=c).on("end",()=>console.log(JSON.parse(s).map(n=>n.id+":"+n.title+(n.owner?"/"+n.owner:"")).join(",")))'; }
link() { sqlite3 st.sqlite 'select right_id from links' 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }
week_ago=$(date -u -d '7 days ago' +%Y-%m-%dT%H:%M:%S.000Z)
now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)

# case NAME USER_NOTE_JSON: a fresh CRM holding the user's note 1 (owner bob,
# pinned; "Call back"/"no answer"), a fresh left with a.json of the same words
case_start() {
  [ -n "$peer_pid" ] && { kill "$peer_pid" 2>/dev/null; wait "$peer_pid" 2>/dev/null; }
  rm -rf left st.sqlite* db.json
  mkdir -p left/note
  printf '{"contacts": [], "notes": [%s]}\n' "$1" > db.json
  PEER_SAVE=1 start_peer node "$peers/json_server_peer.js" db.json
  printf '{"title": "Call back", "body": "no answer"}\n' > left/note/a.json
  cat > p.json <<J
{"name": "cr", "state": "st.sqlite",
 "left": {"connector": "local", "config": {"backend": "json", "path": "left"}},
 "right": {"connector": "crm-rest", "config": {"profile": "json-server", "base_url": "$base", "timeouts": {"stall_seconds": 3},
           "streams": {"contact": null, "note": {"external_id": "", "lookup": {"path": "/notes"}}}}},
 "streams": [{"left": "note", "right": "note", "direction": "left-to-right", "guards": {"max_delete_share": 1, "max_create_share": 1}}]}
J
}
users_note() {
  printf '{"id": 1, "title": "Call back", "body": "no answer", "owner": "bob", "pinned": true, "updatedAt": "%s"%s}' \
    "${1:-$week_ago}" "${2:+, \"createdAt\": \"$2\"}"
}

# 1. the user's note made a week before: the note the lost POST made is taken
case_start "$(users_note "$week_ago" "$week_ago")"
faults '{"drop_answer_after_commit": 1, "method": "POST"}'
runp run p.json
[ "$(link)" = 2 ] && [ "$(notes)" = "1:Call back/bob,2:Call back" ] \
  && ok lost-answer-takes-the-note-it-made-not-the-users-older-one \
  || bad lost-answer-takes-the-note-it-made-not-the-users-older-one "link=$(link) notes=$(notes)" "$out"
rm left/note/a.json
runp run p.json
[ "$(notes)" = "1:Call back/bob" ] && ok deleting-the-source-deletes-its-note-never-the-users \
  || bad deleting-the-source-deletes-its-note-never-the-users "notes=$(notes)" "$out"

# 2. the peer dies after the commit: nothing can be looked up in that call;
# the next run's resend (first_sent_at: when the first try was sent) takes
# the note made then, not the user's older one
case_start "$(users_note "$week_ago" "$week_ago")"
faults '{"exit_after_commit": 1, "method": "POST"}'
runp run p.json
wait "$peer_pid" 2>/dev/null
PEER_SAVE=1 PEER_PORT=$port start_peer node "$peers/json_server_peer.js" db.json
[ -z "$(link)" ] && [ "$(notes)" = "1:Call back/bob,2:Call back" ] && ok a-dead-peer-leaves-the-create-kept \
  || bad a-dead-peer-leaves-the-create-kept "link=$(link) notes=$(notes)" "$out"
runp run p.json
[ "$(link)" = 2 ] && [ "$(notes)" = "1:Call back/bob,2:Call back" ] \
  && ok the-resend-takes-the-note-made-since-its-first-try \
  || bad the-resend-takes-the-note-made-since-its-first-try "link=$(link) notes=$(notes)" "$out"
rm left/note/a.json
runp run p.json
[ "$(notes)" = "1:Call back/bob" ] && ok after-a-resend-deleting-the-source-keeps-the-users-note \
  || bad after-a-resend-deleting-the-source-keeps-the-users-note "notes=$(notes)" "$out"

# 3. the user's note made in the same minutes: two look-alikes, neither taken
case_start "$(users_note "$now" "$now")"
faults '{"drop_answer_after_commit": 1, "method": "POST"}'
runp run p.json
first="$out"
runp run p.json
[ -z "$(link)" ] && [ "$(notes)" = "1:Call back/bob,2:Call back" ] \
  && printf '%s\n' "$first" "$out" | grep -q "which one, if any, its lost try made cannot be told" \
  && ok two-look-alikes-made-in-the-trys-time-neither-taken-nothing-made-twice \
  || bad two-look-alikes-made-in-the-trys-time-neither-taken-nothing-made-twice "link=$(link) notes=$(notes)" "$first" "$out"
runp status p.json
printf '%s\n' "$out" | grep -q "Call back" && ok status-lists-the-waiting-create || bad status-lists-the-waiting-create "$out"
rm left/note/a.json
runp run p.json
[ "$(notes)" = "1:Call back/bob,2:Call back" ] && ok with-two-look-alikes-deleting-the-source-deletes-neither \
  || bad with-two-look-alikes-deleting-the-source-deletes-neither "notes=$(notes)" "$out"

# 4. the user's note without a creation time (the CRM does not say when it
# was made): it cannot be told apart, none is taken
case_start "$(users_note "$week_ago")"
faults '{"drop_answer_after_commit": 1, "method": "POST"}'
runp run p.json
first="$out"
runp run p.json
[ -z "$(link)" ] && [ "$(notes)" = "1:Call back/bob,2:Call back" ] \
  && printf '%s\n' "$first" "$out" | grep -q "gives no time when" \
  && ok an-undated-look-alike-is-never-taken || bad an-undated-look-alike-is-never-taken "link=$(link) notes=$(notes)" "$first" "$out"
rm left/note/a.json
runp run p.json
[ "$(notes)" = "1:Call back/bob,2:Call back" ] && ok with-an-undated-look-alike-deleting-the-source-deletes-nothing \
  || bad with-an-undated-look-alike-deleting-the-source-deletes-nothing "notes=$(notes)" "$out"

exit $fail
