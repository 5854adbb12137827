#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Email ⇄ CRM (issue 28, docs/email-crm.md) end to end on local stores: a
# Maildir on the left, a JSON folder standing in for the CRM on the right
# (its `message`, `contact` and `user` streams, the last two read as lookup
# streams). What the rules let through reaches the CRM with the contact(s)
# it is logged on; what they leave out is said by `plan --explain`; the
# second run does nothing; nothing is ever deleted.
# Usage: email_crm_local_test.sh ACCORD PLUGIN_DIR
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/report.sh"  # ok, bad, runp
accord=$1 plugins=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-email-crm.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN= ACCORD_SECRETS=
accord() { "$accord" --plugin-dir "$plugins" "$@"; }

mkdir -p mail/cur mail/new mail/tmp crm/contact crm/user crm/message
echo '{"name": {"full": "Ann Client"}, "emails": {"e1": {"address": "Ann@Client.example"}}}' > crm/contact/c-ann.json
echo '{"name": {"full": "Bo Colleague"}, "emails": {"e1": {"address": "bo@corp.example"}}}' > crm/contact/c-bo.json
echo '{"name": "Bo Colleague", "email": "bo@corp.example"}' > crm/user/u-bo.json

n=0
# mail FROM TO [CC] [ID] [IN-REPLY-TO] [ATTACHMENT-NAME ATTACHMENT-BYTES]
mail() {
  n=$((n + 1))
  local from=$1 to=$2 cc=${3:-} id=${4:-m$n@mail.example} irt=${5:-} aname=${6:-} abytes=${7:-0}
  {
    printf 'From: %s\r\nTo: %s\r\n' "$from" "$to"
    [ -n "$cc" ] && printf 'Cc: %s\r\n' "$cc"
    printf 'Subject: message %s\r\nDate: Mon, 1 Jun 2026 10:%02d:00 +0000\r\nMessage-ID: <%s>\r\n' "$n" "$n" "$id"
    [ -n "$irt" ] && printf 'In-Reply-To: <%s>\r\nReferences: <%s>\r\n' "$irt" "$irt"
    printf 'MIME-Version: 1.0\r\n'
    if [ -n "$aname" ]; then
      printf 'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n'
      printf -- '--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=%s\r\n\r\n' "$aname"
      head -c "$abytes" /dev/zero | tr '\0' 'x'
      printf '\r\n--b--\r\n'
    else
      printf 'Content-Type: text/plain\r\n\r\nhello %s\r\n' "$n"
    fi
  } > "mail/cur/$(printf '%05d' $n).test:2,S"
}

pipeline() {  # pipeline FILE EMAIL_CRM_JSON
  cat > "$1" <<EOF
{"name": "mc", "state": "mc-state.sqlite",
 "left": {"connector": "local", "config": {"backend": "maildir", "path": "mail"}},
 "right": {"connector": "local", "config": {"backend": "json", "path": "crm"}},
 "streams": [{"name": "mail-crm", "left": "message", "right": "message",
   "lookup": [{"side": "right", "stream": "contact", "as": "contacts"},
              {"side": "right", "stream": "user", "as": "users"},
              {"side": "right", "stream": "message", "as": "messages"}],
   "guards": {"max_create_share": 1, "min_records": 1000},
   "email_crm": $2}]}
EOF
}
settings='{"mailbox": ["me@corp.example"], "capture_address": "log@crm.example",
  "exclude": {"crm_users": true, "addresses": ["no-reply@*"]},
  "attachments": {"max_bytes": 1000, "types": ["pdf", "txt"], "oversize": "skip_message"}}'
pipeline mc.json "$settings"

mail 'Ann <ann@client.example>' 'me@corp.example' '' ann1@mail.example        # 1 a known contact: logged
mail 'who@stranger.example' 'me@corp.example' '' stranger@mail.example         # 2 a stranger: not
mail 'bo@corp.example' 'me@corp.example' '' bo@mail.example                    # 3 a user (and a contact): never
mail 'me@corp.example' 'New Person <new@client.example>' 'log@crm.example' cap@mail.example  # 4 capture: logged, contact asked for
mail 'me@corp.example' 'other@client.example' '' unres@mail.example            # 5 unknown recipient, no capture: unresolved
mail 'ann@client.example' 'me@corp.example' '' big@mail.example '' big.pdf 5000  # 6 oversize attachment: skipped
mail 'no-reply@client.example' 'me@corp.example' '' noreply@mail.example       # 7 excluded address

# what a run logged: Message-ID -> the record
logged() {
  python3 - crm/message <<'PY'
import json, os, sys
d = sys.argv[1]
out = {}
for f in sorted(os.listdir(d)):
    r = json.load(open(os.path.join(d, f)))
    for m in r.get("messageId", []):
        out[m] = r
json.dump(out, open("logged.json", "w"))
print(" ".join(sorted(out)))
PY
}

runp --plugin-dir "$plugins" validate mc.json
[ "$rc" = 0 ] && ok validate-email-crm-pipeline || bad validate-email-crm-pipeline "rc=$rc" "$out"

runp --plugin-dir "$plugins" run mc.json
have=$(logged)
[ "$rc" = 0 ] && [ "$have" = "ann1@mail.example cap@mail.example" ] &&
  ok known-contact-and-capture-logged-stranger-user-oversize-not || bad known-contact-and-capture-logged-stranger-user-oversize-not "rc=$rc" "logged: $have" "$out"

python3 - <<'PY' && ok logged-on-the-contact-with-direction || bad logged-on-the-contact-with-direction "$(cat logged.json)"
import json
l = json.load(open("logged.json"))
a, c = l["ann1@mail.example"], l["cap@mail.example"]
assert [c.removesuffix(".json") for c in a["contactIds"]] == ["c-ann"] and a["direction"] == "inbound", a
assert c["contactIds"] == [] and c["direction"] == "outbound", c
assert c["createContacts"] == [{"email": "new@client.example", "name": "New Person"}], c
assert "emailCrm" not in a
PY

explain() {  # explain MESSAGE-FILE-NUMBER: plan --explain of that Maildir message
  local id
  id=$(cd mail/cur && ls | grep "^$(printf '%05d' "$1")" | sed 's/:2,.*//')
  accord plan mc.json --explain "$id" 2>&1
}
for case in "2 no_contact" "3 exclude.crm_users" "5 no_contact.*unresolved" "6 attachments" "7 exclude.addresses"; do
  set -- $case
  e=$(explain "$1")
  grep -q "left out by the email_crm rule $2" <<<"$e" && ok "explain-says-rule-$2" || bad "explain-says-rule-$2" "$e"
done

runp --plugin-dir "$plugins" status mc.json
unres=$(cd mail/cur && ls | grep "^00005" | sed 's/:2,.*//')
grep -q "unresolved: 1 message sent to an unknown recipient" <<<"$out" && grep -q "$unres: sent to other@client.example" <<<"$out" &&
  ok status-lists-the-unresolved-message || bad status-lists-the-unresolved-message "$out"

runp --plugin-dir "$plugins" run mc.json
grep -q "nothing to do\|0 writes\|in accord" <<<"$out" && [ "$(logged)" = "ann1@mail.example cap@mail.example" ] &&
  ok second-run-does-nothing || bad second-run-does-nothing "rc=$rc" "$out"

# The unresolved message deleted from the mailbox leaves the list (it stayed
# there for ever: a deleted message is never read again).
rm mail/cur/"$unres"*
runp --plugin-dir "$plugins" run mc.json
runp --plugin-dir "$plugins" status mc.json
! grep -q "unresolved" <<<"$out" && ok deleted-unresolved-message-leaves-the-list ||
  bad deleted-unresolved-message-leaves-the-list "$out"

# What accord status tells the user to do about an unresolved message works:
# the recipient added as a contact in the CRM, the message flagged in the
# mailbox (so that it is read again): the next run logs it on that contact,
# and it leaves the list.
mail 'me@corp.example' 'late@client.example' '' late@mail.example
late=$(cd mail/cur && ls | grep "^$(printf '%05d' $n)" | sed 's/:2,.*//')
runp --plugin-dir "$plugins" run mc.json
runp --plugin-dir "$plugins" status mc.json
listed=$out
echo '{"name": {"full": "Lee Late"}, "emails": {"e1": {"address": "late@client.example"}}}' > crm/contact/c-late.json
mv mail/cur/"$late":2,S mail/cur/"$late":2,FS
runp --plugin-dir "$plugins" run mc.json
have=$(logged)
runp --plugin-dir "$plugins" status mc.json
grep -q "$late: sent to late@client.example" <<<"$listed" &&
  grep -q "what to do: to log it, add the recipient as a contact in the CRM, then flag or move the message" <<<"$listed" &&
  python3 -c 'import json, sys; l = json.load(open("logged.json")); sys.exit(l["late@mail.example"]["contactIds"] != ["c-late.json"] and [c.removesuffix(".json") for c in l["late@mail.example"]["contactIds"]] != ["c-late"])' &&
  ! grep -q "unresolved" <<<"$out" && ok unresolved-what-to-do-logs-it ||
  bad unresolved-what-to-do-logs-it "$listed" "logged: $have" "$out"

# A thread: a stranger answers Ann's logged message: logged on Ann.
mail 'who@stranger.example' 'me@corp.example' '' reply1@mail.example ann1@mail.example
runp --plugin-dir "$plugins" run mc.json
have=$(logged)
python3 - <<'PY' && ok reply-in-a-logged-thread-logged-on-its-contact || bad reply-in-a-logged-thread-logged-on-its-contact "$have" "$out"
import json
l = json.load(open("logged.json"))
assert l["reply1@mail.example"]["contactIds"] == l["ann1@mail.example"]["contactIds"], l.get("reply1@mail.example")
PY

# A thread started in the CRM: its message reaches the mailbox, a reply
# from the mailbox to someone who is no contact is logged on the thread's contact.
ann=$(python3 -c 'import json; print(json.load(open("logged.json"))["ann1@mail.example"]["contactIds"][0])')  # the CRM's id of Ann
raw=$(printf 'From: me@corp.example\r\nTo: ann@client.example\r\nSubject: offer\r\nMessage-ID: <crm1@crm.example>\r\nDate: Mon, 1 Jun 2026 11:00:00 +0000\r\n\r\nour offer\r\n' | base64 -w0)
cat > crm/message/crm1.json <<EOF
{"messageId": ["crm1@crm.example"], "from": [{"email": "me@corp.example"}], "to": [{"email": "ann@client.example"}],
 "subject": "offer", "sentAt": "2026-06-01T11:00:00+00:00", "contactIds": ["$ann"], "mailboxIds": {"INBOX": true},
 "raw": "$raw"}
EOF
runp --plugin-dir "$plugins" run mc.json
grep -lq "crm1@crm.example" mail/cur/* mail/new/* 2>/dev/null && ok crm-thread-reaches-the-mailbox || bad crm-thread-reaches-the-mailbox "$out"
mail 'me@corp.example' 'assistant@else.example' '' reply2@mail.example crm1@crm.example
runp --plugin-dir "$plugins" run mc.json
have=$(logged)
python3 - <<'PY' && ok reply-to-a-crm-thread-logged || bad reply-to-a-crm-thread-logged "$have" "$out"
import json
l = json.load(open("logged.json"))
assert l["reply2@mail.example"]["contactIds"] == l["ann1@mail.example"]["contactIds"], l.get("reply2@mail.example")
PY

# drop_attachment: the oversize message is logged without it, with a note.
pipeline mc.json "${settings/skip_message/drop_attachment}"
mail 'ann@client.example' 'me@corp.example' '' big2@mail.example '' big2.pdf 5000
runp --plugin-dir "$plugins" run mc.json
have=$(logged)
python3 - <<'PY' && ok oversize-drop-attachment-logged-with-a-note || bad oversize-drop-attachment-logged-with-a-note "$have" "$out"
import json
l = json.load(open("logged.json"))
r = l["big2@mail.example"]
assert r["omitAttachments"] == ["2"], r.get("omitAttachments")
assert "big2.pdf (" in r["crmNote"] and "over 1000" in r["crmNote"], r.get("crmNote")
PY

# Disconnected: nothing more is logged, nothing is deleted on either side.
before=$(ls crm/message | wc -l) mails=$(ls mail/cur mail/new | wc -l)
pipeline mc.json "${settings/\"mailbox\"/\"connected\": false, \"mailbox\"}"
mail 'ann@client.example' 'me@corp.example' '' after@mail.example
runp --plugin-dir "$plugins" run mc.json
[ "$rc" = 0 ] && [ "$(ls crm/message | wc -l)" = "$before" ] && [ "$(ls mail/cur mail/new | wc -l)" = "$((mails + 1))" ] &&
  ok disconnected-logs-nothing-deletes-nothing || bad disconnected-logs-nothing-deletes-nothing "rc=$rc" "$out"

# Mailbox changed: the old mailbox's messages are gone from the pair's view
# (another Maildir), nothing is deleted in the CRM; the new one's are logged.
mkdir -p mail2/cur mail2/new mail2/tmp
sed -i 's|"path": "mail"|"path": "mail2"|' mc.json
pipeline mc.json "${settings/me@corp.example/me2@corp.example}"
sed -i 's|"path": "mail"}|"path": "mail2"}|' mc.json
n=100
printf 'From: ann@client.example\r\nTo: me2@corp.example\r\nSubject: new box\r\nMessage-ID: <newbox@mail.example>\r\nDate: Mon, 1 Jun 2026 12:00:00 +0000\r\n\r\nhi\r\n' > "mail2/cur/00100.test:2,S"
before=$(ls crm/message | wc -l)
runp --plugin-dir "$plugins" run mc.json --force
have=$(logged)
[ "$rc" = 0 ] && grep -q "newbox@mail.example" <<<"$have" && [ "$(ls crm/message | wc -l)" = "$((before + 1))" ] &&
  ok mailbox-changed-new-logged-old-kept || bad mailbox-changed-new-logged-old-kept "rc=$rc" "$have" "$out"


# A pair without email_crm rules whose records happen to carry a field named
# "emailCrm" (any store may): --explain never calls them left out by a rule.
mkdir -p plain-a/contact plain-b/contact
echo '{"name": {"full": "Cy"}, "emailCrm": {"rule": "users", "why": "a field of its own"}}' > plain-a/contact/cy.json
cat > plain.json <<EOF
{"name": "plain", "state": "plain-state.sqlite",
 "left": {"connector": "local", "config": {"backend": "json", "path": "plain-a"}},
 "right": {"connector": "local", "config": {"backend": "json", "path": "plain-b"}},
 "streams": [{"left": "contact", "right": "contact"}]}
EOF
runp --plugin-dir "$plugins" run plain.json  # the mirror holds the record now
runp --plugin-dir "$plugins" plan plain.json --explain cy.json
! grep -q "email_crm rule" <<<"$out" && grep -q "left record" <<<"$out" &&
  ok explain-without-email-crm-names-no-rule || bad explain-without-email-crm-names-no-rule "rc=$rc" "$out"

# A lookup side whose connector refuses the lookups' own instance (the
# faulty fixture's one-instance fault: a store that locks its folder) fails
# the run with the side, the connector and the pipeline's key named, as a
# refusal of the pair's own instance does (review s6 finding 7).
mkdir -p notes-a/note notes-b
cat > lk.json <<EOF
{"name": "lk", "state": "lk-state.sqlite",
 "left": {"connector": "local", "config": {"backend": "json", "path": "notes-a"}},
 "right": {"connector": "faulty", "config": {"path": "notes-b", "fault": "one-instance"}},
 "streams": [{"left": "note", "right": "note", "lookup": [{"side": "right", "stream": "note", "as": "notes"}]}]}
EOF
runp --plugin-dir "$plugins" --plugin-dir "$plugins/faulty" run lk.json
[ "$rc" != 0 ] && grep -q 'right connector faulty: the folder .*/notes-b is open in another instance; give each one a "path" of its own in right.config' <<<"$out" &&
  ok a-lookup-instance-refused-names-connector-and-key || bad a-lookup-instance-refused-names-connector-and-key "rc=$rc" "$out"

exit $fail
