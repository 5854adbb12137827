#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The examples/mail-crm recipe as written, run with Dovecot in Gmail's place
# and HighLevel's fake (tests/peers/highlevel_fake.js) in HighLevel's: only
# the endpoints, the account and the ids are replaced. A contact's mail is
# logged on that contact, a stranger's and a user's not, an attachment of a
# type HighLevel does not take is dropped with a note, and the second run
# does nothing. Then the recipe edited as its README says: "oversize":
# "skip_message" (a message with a 3.2 MB PDF not logged at all), "connected":
# false (nothing logged, nothing deleted) and the mailbox changed (another
# server: its mail logged, the old mailbox's new mail not, nothing deleted),
# each followed by a run that does nothing.
# Usage: email_crm_example_test.sh ACCORD DOVECOT_SCRIPT IMAPCTL PEERS_DIR EXAMPLE
set -u
. "$(dirname "${BASH_SOURCE[0]}")/report.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../plugins/gmail-imap/tests/mail_lib.sh"  # mail_work, dovecot, ctl
accord=$(realpath "$1") start_dovecot=$(realpath "$2") imapctl=$(realpath "$3") peers=$(realpath "$4") example=$(realpath "$5")
mail_work email-crm-example
dovecot dc
token="pit-canary-$RANDOM$RANDOM"
HL_TOKEN=$token HL_LOCATION=locTest1 HL_PROVIDER=provTest1 node "$peers/highlevel_fake.js" > peer.out 2> peer.err &
fake_pid=$!  # (mail_cleanup stops it)
for _ in $(seq 1 100); do grep -q '^port ' peer.out 2>/dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$(awk '/^port /{print $2}' peer.out)"
hl() { curl -s -H "Authorization: Bearer $token" -H "Version: 2021-07-28" -H 'Content-Type: application/json' "$@"; }
kids() { node -e 'const d=JSON.parse(process.argv[1]);console.log(eval(process.argv[2]))' "$(curl -s "$base/__dump_children")" "$1"; }
hl -XPOST -d '{"locationId": "locTest1", "email": "ann@client.example", "firstName": "Ann"}' "$base/contacts/upsert" > /dev/null
hl -XPOST -d '{"locationId": "locTest1", "email": "bo@corp.example", "firstName": "Bo"}' "$base/contacts/upsert" > /dev/null
curl -s -XPOST -d '{"name": "Bo Colleague", "email": "bo@corp.example"}' "$base/__user" > /dev/null
printf '{"ada": "%s", "gmail_app_password": "%s", "highlevel_token": "%s"}\n' "$pw" "$pw" "$token" > secrets.json

python3 - "$example" "$port" "$ca" "$base" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["state"] = "mail-crm.sqlite"
p["left"]["config"].update({"url": "imaps://localhost:" + sys.argv[2], "user": "ada", "ca_file": sys.argv[3]})
p["right"]["config"]["base_url"] = sys.argv[4]
p["right"]["config"]["variables"] = {"location_id": "locTest1", "conversation_provider_id": "provTest1"}
json.dump(p, open("mail-crm.pipeline.json", "w"), indent=1)
PY
now=$(date -u -R)
m() {  # FILE FROM ID [ATTACHMENT-NAME]
  if [ -n "${4:-}" ]; then
    printf 'From: %s\nTo: ada@corp.example\nSubject: %s\nMessage-ID: <%s>\nDate: %s\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee attached\n--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=%s\n\nMZ\n--b--\n' "$2" "$3" "$3" "$now" "$4" > "$1"
  else
    printf 'From: %s\nTo: ada@corp.example\nSubject: %s\nMessage-ID: <%s>\nDate: %s\n\nhello\n' "$2" "$3" "$3" "$now" > "$1"
  fi
  ctl append INBOX "$1" > /dev/null
}
m 1.eml 'Ann <ann@client.example>' ann1@mail.example
m 2.eml 'who@stranger.example' stranger@mail.example
m 3.eml 'bo@corp.example' bo@mail.example
m 4.eml 'ann@client.example' tool@mail.example tool.exe

runp validate mail-crm.pipeline.json
[ "$rc" = 0 ] && ok example-validates || bad example-validates "$out"
runp run mail-crm.pipeline.json
logged=$(kids "d.emails.map(e=>e.altId).sort().join(' ')")
[ "$rc" = 0 ] && [ "$logged" = "ann1@mail.example tool@mail.example" ] &&
  ok example-logs-the-contacts-mail-only || bad example-logs-the-contacts-mail-only "rc=$rc" "$logged" "$out" "$(tail -5 peer.err)"
kids "d.emails.find(e=>e.altId==='tool@mail.example').body" | grep -q "tool.exe" &&
  ok example-drops-the-exe-with-a-note || bad example-drops-the-exe-with-a-note "$(kids "JSON.stringify(d.emails.find(e=>e.altId==='tool@mail.example'))")"
runp run mail-crm.pipeline.json
[ "$rc" = 0 ] && ! grep -q "to create" <<<"$out" && ok example-second-run-does-nothing || bad example-second-run-does-nothing "$out"

# Behaviour 1 the other way: a thread started in the mailbox (Ann's ann1,
# logged above), replied to from HighLevel ("Send a new message", as the
# `message_send` stream sends: replyMessageId and threadId of ann1). Ann's
# answer reaches the mailbox; its In-Reply-To is the Message-ID HighLevel
# gave its reply, which HighLevel's API never shows (GetEmailMessageResponseDto
# has no such field), and its References name ann1 as well: it is logged in
# ann1's thread of Ann's conversation, beside HighLevel's reply.
ann=$(kids "d.emails.find(e=>e.altId==='ann1@mail.example').contactId")
thread=$(kids "d.emails.find(e=>e.altId==='ann1@mail.example').threadId")
conv=$(kids "d.emails.find(e=>e.altId==='ann1@mail.example').conversationId")
curl -s -H "Authorization: Bearer $token" -H "Version: 2021-04-15" -H 'Content-Type: application/json' -XPOST \
  -d '{"type": "Email", "subType": "Email", "status": "pending", "contactId": "'$ann'", "replyMessageId": "'$thread'",
       "threadId": "'$thread'", "subject": "Re: ann1@mail.example", "html": "<p>thanks, Ann</p>", "emailFrom": "ada@corp.example"}' \
  "$base/conversations/messages" > crm-reply.out
printf 'From: Ann <ann@client.example>\nTo: ada@corp.example\nSubject: Re: ann1@mail.example\nMessage-ID: <ann2@mail.example>\nIn-Reply-To: <hl-sent-1@mail.leadconnector.example>\nReferences: <ann1@mail.example> <hl-sent-1@mail.leadconnector.example>\nDate: %s\n\nthanks to you\n' "$now" > ann2.eml
ctl append INBOX ann2.eml > /dev/null
runp run mail-crm.pipeline.json
got=$(kids "JSON.stringify(d.emails.filter(e=>e.altId==='ann2@mail.example').map(e=>[e.conversationId,e.threadId]))")
[ "$rc" = 0 ] && [ "$got" = "[[\"$conv\",\"$thread\"]]" ] && [ "$(kids "d.emails.filter(e=>e.threadId==='$thread').length")" = 3 ] &&
  ok crm-reply-to-a-mailbox-thread-answer-logged-in-that-thread ||
  bad crm-reply-to-a-mailbox-thread-answer-logged-in-that-thread "rc=$rc" "want [[\"$conv\",\"$thread\"]], got $got" "$(cat crm-reply.out)" "$out"
runp run mail-crm.pipeline.json
[ "$rc" = 0 ] && ! grep -q "to create" <<<"$out" && [ "$(kids "d.emails.filter(e=>e.altId==='ann2@mail.example').length")" = 1 ] &&
  ok crm-reply-second-run-does-nothing || bad crm-reply-second-run-does-nothing "rc=$rc" "$out"

# Behaviour 1 as far as HighLevel's API allows it: a thread started in
# HighLevel ("Send a new message" to Ann, From ada@corp.example). The sent
# email does not reach the mailbox (docs/email-crm.md, Limits: HighLevel's
# API gives neither the email's MIME nor the Message-ID it went out with);
# Ann's answer does, by mail, and is logged in Ann's conversation, and
# ada's reply from the mailbox joins the answer's thread there.
curl -s -H "Authorization: Bearer $token" -H "Version: 2021-04-15" -H 'Content-Type: application/json' -XPOST \
  -d '{"type": "Email", "subType": "Email", "status": "pending", "contactId": "'$ann'", "subject": "our offer",
       "html": "<p>our offer</p>", "emailFrom": "ada@corp.example"}' "$base/conversations/messages" > crm-send.out
printf 'From: Ann <ann@client.example>\nTo: ada@corp.example\nSubject: Re: our offer\nMessage-ID: <ann3@mail.example>\nIn-Reply-To: <hl-sent-2@mail.leadconnector.example>\nReferences: <hl-sent-2@mail.leadconnector.example>\nDate: %s\n\nlooks good\n' "$now" > ann3.eml
ctl append INBOX ann3.eml > /dev/null
printf 'From: ada@corp.example\nTo: Ann <ann@client.example>\nSubject: Re: our offer\nMessage-ID: <ada3@mail.example>\nIn-Reply-To: <ann3@mail.example>\nReferences: <hl-sent-2@mail.leadconnector.example> <ann3@mail.example>\nDate: %s\n\nsigned copy follows\n' "$now" > ada3.eml
ctl append INBOX ada3.eml > /dev/null
runp run mail-crm.pipeline.json
got=$(kids "JSON.stringify(['ann3@mail.example','ada3@mail.example'].map(a=>d.emails.filter(e=>e.altId===a).map(e=>[e.conversationId,e.direction])))")
t3=$(kids "(d.emails.find(e=>e.altId==='ann3@mail.example')||{}).threadId")
[ "$rc" = 0 ] && [ "$got" = "[[[\"$conv\",\"inbound\"]],[[\"$conv\",\"outbound\"]]]" ] &&
  [ -n "$t3" ] && [ "$(kids "(d.emails.find(e=>e.altId==='ada3@mail.example')||{}).threadId")" = "$t3" ] &&
  ok crm-started-thread-answer-and-mailbox-reply-logged-in-its-conversation ||
  bad crm-started-thread-answer-and-mailbox-reply-logged-in-its-conversation "rc=$rc" "conversation $conv: $got" "$(cat crm-send.out)" "$out"
runp run mail-crm.pipeline.json
[ "$rc" = 0 ] && ! grep -q "to create" <<<"$out" && ok crm-started-thread-second-run-does-nothing || bad crm-started-thread-second-run-does-nothing "rc=$rc" "$out"

# The recipe edited as its README says: set(POINTER-SEGMENTS… VALUE) in the pipeline.
edit() { python3 - "$@" <<'PY'
import json, sys
p = json.load(open("mail-crm.pipeline.json"))
for arg in sys.argv[1:]:
    path, value = arg.split("=", 1)
    keys = path.split("/")
    o = p
    for k in keys[:-1]:
        o = o[int(k)] if k.isdigit() else o[k]
    o[keys[-1]] = json.loads(value)
json.dump(p, open("mail-crm.pipeline.json", "w"), indent=1)
PY
}
count() { kids "d.emails.length"; }
alts() { kids "d.emails.filter(e=>e.altId).map(e=>e.altId).sort().join(' ')"; }
inbox() { ctl status INBOX 2>/dev/null | grep -o 'MESSAGES [0-9]*' | awk '{print $2}'; }

# Behaviour 5 with the recipe's "oversize": "drop_attachment": Ann's message
# with a 3.2 MB PDF (a type HighLevel takes, over its 3 MiB) and a small text
# is logged with the text only (uploaded), the PDF named in a note in the
# HighLevel email; the next run does nothing.
{ printf 'From: ann@client.example\nTo: ada@corp.example\nSubject: big, dropped\nMessage-ID: <bigdrop@mail.example>\nDate: %s\nMIME-Version: 1.0\n' "$now"
  printf 'Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nthe contract and notes\n--b\n'
  printf 'Content-Type: application/pdf\nContent-Disposition: attachment; filename=contract-big.pdf\nContent-Transfer-Encoding: base64\n\n'
  head -c 3200000 /dev/urandom | base64
  printf -- '--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename=notes.txt\n\nsmall notes\n--b--\n'; } > 6.eml
ctl append INBOX 6.eml > /dev/null
runp run mail-crm.pipeline.json
dropped=$(kids "(e=>e?[/contract-big\\.pdf/.test(e.body), e.attachments.length, e.attachments.some(u=>/notes\\.txt/.test(u))].join(' '):'none')(d.emails.find(e=>e.altId==='bigdrop@mail.example'))")
runp run mail-crm.pipeline.json
[ "$dropped" = "true 1 true" ] && [ "$rc" = 0 ] && ! grep -q "to create" <<<"$out" &&
  ok drop-attachment-oversize-logged-with-a-note || bad drop-attachment-oversize-logged-with-a-note "$dropped" "rc=$rc" "$out"

# Behaviour 5 with "oversize": "skip_message", as HighLevel does: Ann's
# message with a 3.2 MB PDF (a type HighLevel takes, over its 3 MiB) is not
# logged at all, --explain names the attachments rule, and the next run does
# nothing.
edit 'streams/0/email_crm/attachments/oversize="skip_message"'
{ printf 'From: ann@client.example\nTo: ada@corp.example\nSubject: big\nMessage-ID: <big@mail.example>\nDate: %s\nMIME-Version: 1.0\n' "$now"
  printf 'Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nthe contract\n--b\n'
  printf 'Content-Type: application/pdf\nContent-Disposition: attachment; filename=contract.pdf\nContent-Transfer-Encoding: base64\n\n'
  head -c 3200000 /dev/urandom | base64; printf -- '--b--\n'; } > 5.eml
ctl append INBOX 5.eml > /dev/null
before=$(count)
runp run mail-crm.pipeline.json
[ "$rc" = 0 ] && [ "$(count)" = "$before" ] && [ -z "$(kids "(d.emails.find(e=>e.altId==='big@mail.example')||{}).id||''")" ] &&
  ok skip-message-oversize-not-logged || bad skip-message-oversize-not-logged "rc=$rc" "$(kids "d.emails.map(e=>e.altId).join(' ')")" "$out"
runp run mail-crm.pipeline.json
[ "$rc" = 0 ] && [ "$(count)" = "$before" ] && ! grep -q "to create" <<<"$out" &&
  ok skip-message-second-run-does-nothing || bad skip-message-second-run-does-nothing "rc=$rc" "$out"

# Behaviour 6, disconnected ("connected": false, as the README says): Ann's
# new mail is not logged, nothing is deleted in HighLevel or the mailbox; the
# next run does nothing either.
edit 'streams/0/email_crm/connected=false'
m 6.eml 'Ann <ann@client.example>' offline@mail.example
before=$(count) box=$(inbox)
runp run mail-crm.pipeline.json
[ "$rc" = 0 ] && [ "$(count)" = "$before" ] && [ "$(inbox)" = "$box" ] && [ -n "$box" ] &&
  ok disconnected-logs-nothing-deletes-nothing || bad disconnected-logs-nothing-deletes-nothing "rc=$rc" "emails $before -> $(count)" "inbox $box -> $(inbox)" "$out"
runp run mail-crm.pipeline.json
[ "$rc" = 0 ] && [ "$(count)" = "$before" ] && [ "$(inbox)" = "$box" ] && ! grep -q "to create\|to delete" <<<"$out" &&
  ok disconnected-second-run-does-nothing || bad disconnected-second-run-does-nothing "rc=$rc" "$out"

# Behaviour 6, mailbox changed (connected again, "left" set to another
# mailbox, on another server; the same address, so "mailbox" stays): the new mailbox's mail is logged, the
# old mailbox's new mail is not, nothing logged before is deleted; the next
# run does nothing.
old_port=$port old_ca=$ca
dovecot dc2
m 7.eml 'Ann <ann@client.example>' newbox@mail.example
new_port=$port new_ca=$ca port=$old_port ca=$old_ca
m 8.eml 'Ann <ann@client.example>' oldbox@mail.example
before=$(alts)
edit 'streams/0/email_crm/connected=true' "left/config/url=\"imaps://localhost:$new_port\"" "left/config/ca_file=\"$new_ca\""
runp run mail-crm.pipeline.json --force
after=$(alts)
[ "$rc" = 0 ] && [ "$after" = "$(tr ' ' '\n' <<<"$before newbox@mail.example" | sort | xargs)" ] &&
  ok mailbox-changed-new-logged-old-stopped-nothing-deleted || bad mailbox-changed-new-logged-old-stopped-nothing-deleted "rc=$rc" "before: $before" "after: $after" "$out"
runp run mail-crm.pipeline.json
[ "$rc" = 0 ] && [ "$(alts)" = "$after" ] && ! grep -q "to create\|to delete" <<<"$out" &&
  ok mailbox-changed-second-run-does-nothing || bad mailbox-changed-second-run-does-nothing "rc=$rc" "$out"
exit $fail
