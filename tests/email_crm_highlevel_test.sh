#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Email ⇄ CRM (issue 28, docs/email-crm.md) end to end: a Maildir on the
# left, HighLevel (tests/peers/highlevel_fake.js through crm-rest's
# `message`, `contact` and `user` streams) on the right. A known contact's
# mail logged on that contact and a stranger's not; a user's mail never; the
# capture address making the contact once even when the run is killed after
# HighLevel took the message; a reply to a thread the CRM holds logged on its
# contact; a second run doing nothing.
# Usage: email_crm_highlevel_test.sh ACCORD CONFORMANCE CRM_REST_PLUGIN PEERS_DIR
. "$(dirname "$0")/../plugins/crm-rest/tests/lib.sh"

token=$(canary pit)
HL_TOKEN=$token HL_LOCATION=locTest1 HL_PROVIDER=provTest1 start_peer node "$peers/highlevel_fake.js"
hl() { curl -s -H "Authorization: Bearer $token" -H "Version: ${V:-2021-07-28}" -H 'Content-Type: application/json' "$@"; }
kids() { node -e 'const d=JSON.parse(process.argv[1]);console.log(eval(process.argv[2]))' "$(curl -s "$base/__dump_children")" "$1"; }
contact_id() { js "(d.find(c=>c.email==='$1')||{}).id||''"; }
emails() { kids "d.emails.map(e=>e.altId).sort().join(' ')"; }
hl -XPOST -d '{"locationId": "locTest1", "email": "ann@client.example", "firstName": "Ann"}' "$base/contacts/upsert" > /dev/null
hl -XPOST -d '{"locationId": "locTest1", "email": "bo@corp.example", "firstName": "Bo"}' "$base/contacts/upsert" > /dev/null
curl -s -XPOST -d '{"name": "Bo Colleague", "email": "bo@corp.example"}' "$base/__user" > /dev/null
ann=$(contact_id ann@client.example)

mkdir -p mail/cur mail/new mail/tmp
n=0
mail() {  # mail FROM TO CC ID [IN-REPLY-TO]
  n=$((n + 1))
  {
    printf 'From: %s\r\nTo: %s\r\n' "$1" "$2"
    [ -n "$3" ] && printf 'Cc: %s\r\n' "$3"
    printf 'Subject: message %s\r\nDate: Mon, 1 Jun 2026 10:%02d:00 +0000\r\nMessage-ID: <%s>\r\n' "$n" "$n" "$4"
    [ -n "${5:-}" ] && printf 'In-Reply-To: <%s>\r\n' "$5"
    printf 'MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nhello %s\r\n' "$n"
  } > "mail/cur/$(printf '%05d' $n).test:2,S"
}
cat > p.json <<JSON
{"name": "mc", "state": "state.sqlite",
 "left": {"connector": "local", "config": {"backend": "maildir", "path": "mail"}},
 "right": {"connector": "crm-rest", "config": {"profile": "highlevel", "base_url": "$base", "auth": {"token": "$token"},
           "variables": {"location_id": "locTest1", "conversation_provider_id": "provTest1"}}},
 "streams": [{"name": "mail-crm", "left": "message", "right": "message", "direction": "left-to-right",
   "operations": {"left-to-right": ["create"]},
   "lookup": [{"side": "right", "stream": "contact", "as": "contacts"},
              {"side": "right", "stream": "user", "as": "users"},
              {"side": "right", "stream": "message", "as": "messages"}],
   "guards": {"max_create_share": 1, "min_records": 1000},
   "email_crm": {"mailbox": ["me@corp.example"], "capture_address": "log@crm.example"}}]}
JSON

mail 'Ann <ann@client.example>' 'me@corp.example' '' ann1@mail.example
mail 'who@stranger.example' 'me@corp.example' '' stranger@mail.example
mail 'bo@corp.example' 'me@corp.example' '' bo@mail.example
runp run p.json
[ "$rc" = 0 ] && [ "$(emails)" = "ann1@mail.example" ] && [ "$(kids "d.emails.find(e=>e.altId==='ann1@mail.example').contactId")" = "$ann" ] &&
  ok known-contact-logged-stranger-and-user-not || bad known-contact-logged-stranger-and-user-not "rc=$rc" "$(emails)" "$out"

runp run p.json
[ "$rc" = 0 ] && [ "$(emails)" = "ann1@mail.example" ] && ! grep -q "to create" <<<"$out" &&
  ok second-run-does-nothing || bad second-run-does-nothing "$out"

# The capture address: the unknown recipient becomes a contact, once, even
# when the run is killed after HighLevel took the message (before the state
# knew it).
mail 'me@corp.example' 'New Person <new@client.example>' 'log@crm.example' cap@mail.example
ACCORD_FAILPOINT=apply.after_write "$accord" run p.json > killed.out 2>&1
runp run p.json
new=$(js "d.filter(c=>c.email==='new@client.example').length")
[ "$new" = 1 ] && [ "$(kids "d.emails.filter(e=>e.altId==='cap@mail.example').length")" = 1 ] &&
  [ "$(kids "d.emails.find(e=>e.altId==='cap@mail.example').contactId")" = "$(contact_id new@client.example)" ] &&
  ok capture-makes-the-contact-once-killed-midway || bad capture-makes-the-contact-once-killed-midway "contacts=$new" "$(emails)" "$(cat killed.out)" "$out"

# A thread the CRM holds (logged there, not from this mailbox): a reply from
# the mailbox to someone who is no contact is logged on the thread's contact.
conv=$(V=2021-04-15 hl -XPOST -d '{"locationId": "locTest1", "contactId": "'$ann'"}' "$base/conversations" |
       node -e 'let t="";process.stdin.on("data",c=>t+=c).on("end",()=>console.log(JSON.parse(t).conversation.id))')
V=2021-04-15 hl -XPOST -d '{"type": "Email", "contactId": "'$ann'", "conversationId": "'$conv'", "conversationProviderId": "provTest1",
  "direction": "outbound", "altId": "crm1@crm.example", "subject": "offer", "html": "<p>our offer</p>",
  "emailFrom": "me@corp.example", "emailTo": "ann@client.example"}' "$base/conversations/messages/inbound" > crm1.out
mail 'me@corp.example' 'assistant@else.example' '' reply1@mail.example crm1@crm.example
runp run p.json
[ "$(kids "(d.emails.find(e=>e.altId==='reply1@mail.example')||{}).contactId")" = "$ann" ] &&
  ok reply-to-a-crm-thread-logged-on-its-contact || bad reply-to-a-crm-thread-logged-on-its-contact "$(cat crm1.out)" "$(emails)" "$out"

exit $fail
