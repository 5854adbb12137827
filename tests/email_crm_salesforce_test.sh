#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Email ⇄ CRM (issue 28, docs/email-crm.md) end to end with Salesforce: a
# Maildir on the left, tests/peers/salesforce_fake.js through crm-rest's
# salesforce `message` (EmailMessage and its EmailMessageRelations),
# `contact` and `user` streams on the right. A known contact's mail logged
# with a relation per recipient contact (the sender's only with "Update
# Email Messages"), a stranger's not, a user's never; its attachment carried
# (an Attachment record; with the permission a File and the sender
# related), once; the capture
# address making the contact once even when the run is killed after
# Salesforce took the message; a reply to a thread the CRM holds logged on
# its contact and threaded on its message; a second run doing nothing.
# Usage: email_crm_salesforce_test.sh ACCORD CONFORMANCE CRM_REST_PLUGIN PEERS_DIR
. "$(dirname "$0")/../plugins/crm-rest/tests/lib.sh"

refresh="rt-canary-$RANDOM$RANDOM"
SF_CLIENT_ID=accord-test SF_CLIENT_SECRET=cs SF_REFRESH_TOKEN=$refresh start_peer node "$peers/salesforce_fake.js"
make() { curl -s -XPOST -d "{\"object\": \"$1\", \"fields\": $2}" "$base/__create" | node -e 'let t="";process.stdin.on("data",c=>t+=c).on("end",()=>console.log(JSON.parse(t).id))'; }
ann=$(make Contact '{"FirstName": "Ann", "LastName": "Lee", "Email": "ann@client.example"}')
cy=$(make Contact '{"FirstName": "Cy", "LastName": "Dahl", "Email": "cy@client.example"}')
make Contact '{"FirstName": "Bo", "LastName": "Colleague", "Email": "bo@corp.example"}' > /dev/null
make User '{"FirstName": "Bo", "LastName": "Colleague", "Email": "bo@corp.example", "IsActive": true}' > /dev/null
make User '{"FirstName": "Me", "LastName": "Self", "Email": "me@corp.example", "IsActive": true}' > /dev/null
logged() { js "(d.EmailMessage||[]).map(m=>m.MessageIdentifier).sort().join(' ')"; }
# rels ID: the relations of the EmailMessage <ID>, "Type:RelationId" sorted
rels() { js "(()=>{const m=(d.EmailMessage||[]).find(x=>x.MessageIdentifier==='<$1>');if(!m)return 'none';return (d.EmailMessageRelation||[]).filter(r=>r.EmailMessageId===m.Id).map(r=>r.RelationType+':'+r.RelationId).sort().join(' ')})()"; }

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
 "right": {"connector": "crm-rest", "config": {"profile": "salesforce", "base_url": "$base/services/data/v59.0",
           "auth": {"client_id": "accord-test", "client_secret": "cs", "refresh_token": "$refresh"}}},
 "streams": [{"name": "mail-crm", "left": "message", "right": "message", "direction": "left-to-right",
   "operations": {"left-to-right": ["create"]},
   "lookup": [{"side": "right", "stream": "contact", "as": "contacts"},
              {"side": "right", "stream": "user", "as": "users"},
              {"side": "right", "stream": "message", "as": "messages"}],
   "guards": {"max_create_share": 1, "min_records": 1000},
   "email_crm": {"mailbox": ["me@corp.example"], "capture_address": "log@crm.example"}}]}
JSON

mail 'Ann <ann@client.example>' 'me@corp.example' 'cy@client.example' ann1@mail.example
mail 'who@stranger.example' 'me@corp.example' '' stranger@mail.example
mail 'bo@corp.example' 'me@corp.example' 'ann@client.example' bo@mail.example
runp run p.json
[ "$rc" = 0 ] && [ "$(logged)" = "<ann1@mail.example>" ] &&
  [ "$(rels ann1@mail.example)" = "CcAddress:$cy" ] &&
  ok known-contact-logged-with-a-relation-per-contact-stranger-and-user-not ||
  bad known-contact-logged-with-a-relation-per-contact-stranger-and-user-not "rc=$rc" "$(logged)" "$(rels ann1@mail.example)" "$out"

runp run p.json
[ "$rc" = 0 ] && [ "$(logged)" = "<ann1@mail.example>" ] && ! grep -q "to create" <<<"$out" &&
  ok second-run-does-nothing || bad second-run-does-nothing "$out"

# An attachment: carried within the attachments rule, as an Attachment
# record on the message (no "Update Email Messages"); then, with the
# permission (variables.update_email_messages, the fake's user granted it),
# a File published to the message and the sender related. Nothing twice.
mailatt() {  # mailatt ID [MAILDIR]
  n=$((n + 1))
  {
    printf 'From: Ann <ann@client.example>\r\nTo: me@corp.example\r\nSubject: message %s\r\n' "$n"
    printf 'Date: Mon, 1 Jun 2026 11:%02d:00 +0000\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\n' "$n" "$1"
    printf 'Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nthe offer\r\n'
    printf -- '--b1\r\nContent-Type: application/pdf; name=offer.pdf\r\nContent-Disposition: attachment; filename=offer.pdf\r\n'
    printf 'Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--b1--\r\n' "$(printf '%%PDF-1.4 offer' | base64 -w0)"
  } > "${2:-mail}/cur/$(printf '%05d' $n).test:2,S"
}
mid() { js "((d.EmailMessage||[]).find(m=>m.MessageIdentifier==='<$1>')||{}).Id"; }
mailatt att1@mail.example
runp run p.json
att1=$(mid att1@mail.example)
[ "$rc" = 0 ] && [ -n "$att1" ] &&
  [ "$(js "(d.Attachment||[]).filter(a=>a.ParentId==='$att1').map(a=>a.Name+' '+Buffer.from(a.Body,'base64')).join()")" = "offer.pdf %PDF-1.4 offer" ] &&
  ok attachment-carried-on-the-message || bad attachment-carried-on-the-message "rc=$rc" "$att1" "$out"

# The capture address: the unknown recipient becomes a contact, once, even
# when the run is killed after Salesforce took the message (before the
# state knew it); the resend finds it by its MessageIdentifier.
mail 'me@corp.example' 'New Person <new@client.example>' 'log@crm.example' cap@mail.example
ACCORD_FAILPOINT=apply.after_write "$accord" run p.json > killed.out 2>&1
after_kill=$(js "(d.EmailMessage||[]).filter(m=>m.MessageIdentifier==='<cap@mail.example>').length")
runp run p.json
new=$(js "(d.Contact||[]).filter(c=>c.Email==='new@client.example').length")
newid=$(js "((d.Contact||[]).find(c=>c.Email==='new@client.example')||{}).Id")
[ "$after_kill" = 1 ] && [ "$new" = 1 ] && [ "$(js "(d.EmailMessage||[]).filter(m=>m.MessageIdentifier==='<cap@mail.example>').length")" = 1 ] &&
  [ "$(rels cap@mail.example)" = "ToAddress:$newid" ] &&
  ok capture-makes-the-contact-once-killed-midway ||
  bad capture-makes-the-contact-once-killed-midway "after kill: $after_kill" "contacts=$new" "$(logged)" "$(rels cap@mail.example)" "$(cat killed.out)" "$out"

# A thread the CRM holds (logged there, not from this mailbox): a reply from
# the mailbox to someone who is no contact is logged on the thread's
# contact, threaded on the CRM's message.
tok=$(curl -s -XPOST -d "grant_type=refresh_token&client_id=accord-test&client_secret=cs&refresh_token=$refresh" "$base/services/oauth2/token" |
      node -e 'let t="";process.stdin.on("data",c=>t+=c).on("end",()=>console.log(JSON.parse(t).access_token))')
curl -s -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' -XPOST "$base/services/data/v59.0/composite" -d '{"allOrNone": true,
  "compositeRequest": [
   {"method": "POST", "url": "/services/data/v59.0/sobjects/EmailMessage", "referenceId": "m", "body": {"Status": "3", "Incoming": false,
    "Subject": "offer", "HtmlBody": "<p>our offer</p>", "FromAddress": "me@corp.example", "ToIds": ["'$ann'"],
    "MessageIdentifier": "<crm1@crm.example>", "ThreadIdentifier": "<crm1@crm.example>", "MessageDate": "2026-06-01T09:00:00Z"}}]}' > crm1.out
crm1=$(js "((d.EmailMessage||[]).find(m=>m.MessageIdentifier==='<crm1@crm.example>')||{}).Id")
mail 'me@corp.example' 'assistant@else.example' '' reply1@mail.example crm1@crm.example
runp run p.json
[ -n "$crm1" ] && [ "$(rels reply1@mail.example)" = "ToAddress:$ann" ] &&
  [ "$(js "(d.EmailMessage.find(m=>m.MessageIdentifier==='<reply1@mail.example>')||{}).ReplyToEmailMessageId")" = "$crm1" ] &&
  [ "$(js "(d.EmailMessage.find(m=>m.MessageIdentifier==='<reply1@mail.example>')||{}).ThreadIdentifier")" = "<crm1@crm.example>" ] &&
  ok reply-to-a-crm-thread-logged-on-its-contact-and-threaded ||
  bad reply-to-a-crm-thread-logged-on-its-contact-and-threaded "$(cat crm1.out)" "$(logged)" "$(rels reply1@mail.example)" "$out"

runp run p.json
[ "$rc" = 0 ] && ! grep -q "to create" <<<"$out" && [ "$(js "(d.EmailMessage||[]).length")" = 5 ] &&
  [ "$(js "(d.Attachment||[]).length+' '+(d.ContentVersion||[]).length")" = "1 0" ] &&
  ok last-run-does-nothing || bad last-run-does-nothing "$out" "$(logged)"

# (a pipeline of its own: the state keeps the store's settings it was made with)
mkdir -p mail2/cur mail2/new mail2/tmp
sed -e 's|"auth": {|"variables": {"update_email_messages": "true"}, "auth": {|' -e 's|state.sqlite|state2.sqlite|' -e 's|"path": "mail"|"path": "mail2"|' p.json > pp.json
curl -s -XPOST -d '{"update_email_messages": true}' "$base/__control" > /dev/null
mailatt att2@mail.example mail2
runp run pp.json
att2=$(mid att2@mail.example)
[ "$rc" = 0 ] && [ -n "$att2" ] && [ "$(rels att2@mail.example)" = "FromAddress:$ann" ] &&
  [ "$(js "(d.ContentVersion||[]).filter(v=>v.FirstPublishLocationId==='$att2').map(v=>v.PathOnClient).join()")" = "offer.pdf" ] &&
  [ "$(js "(d.Attachment||[]).length")" = 1 ] && [ "$(js "(d.EmailMessage||[]).length")" = 6 ] &&
  ok with-the-permission-a-file-and-the-sender-related || bad with-the-permission-a-file-and-the-sender-related "rc=$rc" "$(rels att2@mail.example)" "$out"
curl -s -XPOST -d '{"update_email_messages": false}' "$base/__control" > /dev/null

# An attachment over the rule's size, by each setting, through Salesforce
# (issue 28's tests: "an oversize attachment handled by each setting"), a
# Maildir and state of their own: drop_attachment logs the message with the
# small file as an Attachment record and the big one named in its body;
# skip_message logs nothing of that message.
oversize_runs
got=$(js "(()=>{const m=(d.EmailMessage||[]).find(x=>x.MessageIdentifier==='<big-drop_attachment@mail.example>');if(!m)return 'no message';
  return (d.Attachment||[]).filter(a=>a.ParentId===m.Id).map(a=>a.Name).sort().join(' ')+'|'+/big\.pdf/.test(m.TextBody||'')})()")
[ "$got" = "small.txt|true" ] && [ "$(js "(d.EmailMessage||[]).filter(m=>m.MessageIdentifier==='<big-skip_message@mail.example>').length")" = 0 ] &&
  ok oversize-attachment-by-each-setting || bad oversize-attachment-by-each-setting "$got" "$(cat run-drop_attachment.out)" "$(cat run-skip_message.out)"

! alltext | grep -q "$refresh" && ! grep -aq "$refresh" state.sqlite && ok no-token-in-output-or-state || bad no-token-in-output-or-state
exit $fail
