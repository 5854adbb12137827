#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The highlevel profile's email messages (issue 28, the CRM side of email ⇄
# CRM) against tests/peers/highlevel_fake.js, whose conversation routes check
# bodies against HighLevel's OpenAPI (ProcessMessageBodyDto, SendMessageBodyDto,
# CreateConversationDto, UploadFilesDto): the conformance kit on `message`; a
# message logged on a known contact, a reply threaded on it, one on a contact
# made by upsert; the listing back as canonical messages; a create killed
# (kill -9) after HighLevel took it, resent: found by its altId, not made
# twice; a message sent through `message_send`; the `user` stream; and each
# refusal of the fake (undeclared property, missing required field, unknown
# provider, wrong type, upload type and size).
#
# Usage: highlevel_messages_test.sh ACCORD CONFORMANCE PLUGIN PEERS_DIR
call="python3 $(cd "$(dirname "$0")" && pwd)/plugin_call.py"
. "$(dirname "$0")/lib.sh"

token=$(canary pit)
HL_TOKEN=$token HL_LOCATION=locTest1 HL_PROVIDER=provTest1 start_peer node "$peers/highlevel_fake.js"
hl() { curl -s -H "Authorization: Bearer $token" -H "Version: ${V:-2021-07-28}" -H 'Content-Type: application/json' "$@"; }
kids() { node -e 'const d=JSON.parse(process.argv[1]);console.log(eval(process.argv[2]))' "$(curl -s "$base/__dump_children")" "$1"; }
contact_id() { js "(d.find(c=>c.email==='$1')||{}).id||''"; }
cfg="{\"profile\": \"highlevel\", \"base_url\": \"$base\", \"auth\": {\"token\": \"$token\"},
      \"variables\": {\"location_id\": \"locTest1\", \"conversation_provider_id\": \"provTest1\"}}"
printf '%s\n' "$cfg" > kit.json
hl -XPOST -d '{"locationId": "locTest1", "email": "ann@example.org", "firstName": "Ann"}' "$base/contacts/upsert" > /dev/null
ann=$(contact_id ann@example.org)

# -- the conformance kit on `message` (HighLevel documents no update or
# delete of a message: the checks that update must be the only ones failing,
# each because update is unsupported. The sample has no Message-ID: each
# create's altId is then its idempotency key)
cat > msg.json <<JSON
{"create": {"subject": "Kit message", "from": [{"email": "ann@example.org"}],
            "to": [{"email": "me@corp.example"}], "bodyValues": {"text": {"value": "Kit body"}}, "direction": "inbound",
            "contactIds": ["$ann"]},
 "update": {"messageId": ["kit1@mail.example"], "subject": "Kit message, edited", "from": [{"email": "ann@example.org"}],
            "to": [{"email": "me@corp.example"}], "bodyValues": {"text": {"value": "Kit body"}}, "direction": "inbound",
            "contactIds": ["$ann"]}}
JSON
out=$("$conformance" "$plugin" --config kit.json --stream message --sample msg.json 2>&1); printf '%s\n' "$out" >> all.out
failed=$(printf '%s\n' "$out" | grep -E '^(FAIL|fail)' | grep -v 'has no update endpoint' | grep -c .)
for c in list idempotent-create cursor-resume cursor-expiry schemas; do
  printf '%s\n' "$out" | grep -Eiq "^(ok|pass)[^a-z]*$c" || failed=$((failed + 1))
done
[ "$failed" = 0 ] && printf '%s\n' "$out" | grep -q 'has no update endpoint' && ok conformance-kit-on-message \
  || bad conformance-kit-on-message "$out"
ctl __control '{"new_window": true}'  # (the kit's calls may have used most of the 100 requests per 10 s; the calls below run without the limiter)

# -- a message logged on a known contact, a reply threaded on it, and one
# from a stranger whose contact is made (upsert) on the way
ops='[{"op": "create", "idempotency_key": "k1", "data": {"messageId": ["<m1@mail.example>"], "subject": "Quote",
        "from": [{"name": "Ann", "email": "ann@example.org"}], "to": [{"email": "me@corp.example"}],
        "cc": [{"email": "cc@example.org"}], "sentAt": "2026-11-30T09:00:00Z",
        "bodyValues": {"text": {"value": "Can you send the quote?"}}, "direction": "inbound", "contactIds": ["'$ann'"]}},
      {"op": "create", "idempotency_key": "k2", "data": {"messageId": ["m2@mail.example"], "inReplyTo": ["m1@mail.example"],
        "subject": "Re: Quote", "from": [{"email": "me@corp.example"}], "to": [{"email": "ann@example.org"}],
        "bodyValues": {"html": {"value": "<p>Attached.</p>"}}, "direction": "outbound", "contactIds": ["'$ann'"],
        "crmNote": "Accord left out quote.exe (type not allowed)"}},
      {"op": "create", "idempotency_key": "k3", "data": {"messageId": ["m3@mail.example"], "subject": "Hello",
        "from": [{"email": "me@corp.example"}], "to": [{"email": "bo@example.org"}], "bodyValues": {"text": {"value": "Hi Bo"}},
        "attachments": [{"partId": "2", "type": "application/pdf", "name": "offer.pdf", "size": 900}],
        "direction": "outbound", "createContacts": [{"email": "bo@example.org", "name": "Bo Berg"}]}}]'
out=$($call "$plugin" "$cfg" message apply "$ops" 2>>peer.err); printf '%s\n' "$out" >> all.out
m1=$(kids "(d.emails.find(e=>e.altId==='m1@mail.example')||{}).id||''")
[ "$(printf '%s' "$out" | grep -o '"status":"ok"' | wc -l)" = 3 ] && [ -n "$m1" ] \
  && [ "$(kids "d.emails.find(e=>e.altId==='m1@mail.example').cc.join()")" = "cc@example.org" ] \
  && [ "$(kids "d.emails.find(e=>e.altId==='m1@mail.example').direction")" = inbound ] \
  && [ "$(kids "d.emails.find(e=>e.altId==='m1@mail.example').dateAdded")" = "2026-11-30T09:00:00.000Z" ] \
  && ok logged-on-a-known-contact || bad logged-on-a-known-contact "$out" "$(curl -s "$base/__dump_children")"
[ "$(kids "d.emails.find(e=>e.altId==='m2@mail.example').replyToMessageId")" = "$m1" ] \
  && [ "$(kids "d.emails.find(e=>e.altId==='m2@mail.example').threadId")" = "$m1" ] \
  && kids "d.emails.find(e=>e.altId==='m2@mail.example').body" | grep -q 'Accord left out quote.exe' \
  && [ "$(kids "d.messages.find(m=>m.meta.email.messageIds.includes('$m1')).meta.email.messageIds.length")" = 2 ] \
  && ok reply-threaded-on-its-message || bad reply-threaded-on-its-message "$(curl -s "$base/__dump_children")"
bo=$(contact_id bo@example.org)
[ -n "$bo" ] && [ "$(js "d.find(c=>c.email==='bo@example.org').name||d.find(c=>c.email==='bo@example.org').firstName")" != "" ] \
  && [ "$(kids "d.emails.find(e=>e.altId==='m3@mail.example').contactId")" = "$bo" ] \
  && kids "d.emails.find(e=>e.altId==='m3@mail.example').body" | grep -q 'Attachments not carried to the CRM: offer.pdf' \
  && ok contact-made-by-upsert-and-logged-on || bad contact-made-by-upsert-and-logged-on "$(js 'JSON.stringify(d)')"

# -- a message to several contacts (match_multiple "all", and an unknown
# recipient made by upsert beside them): HighLevel keeps a message in one
# contact's conversation, so it is logged in each one's; the first
# contact's is the record, the others copies (their altId says whose), left
# out of the listing; sent again (resend), nothing is logged twice
ops4='[{"op": "create", "idempotency_key": "k4", "data": {"messageId": ["m4@mail.example"], "subject": "To all",
        "from": [{"email": "me@corp.example"}], "to": [{"email": "ann@example.org"}, {"email": "bo@example.org"}],
        "cc": [{"email": "cy@example.org"}], "bodyValues": {"text": {"value": "Hello all"}}, "direction": "outbound",
        "contactIds": ["'$ann'", "'$bo'"], "createContacts": [{"email": "cy@example.org"}]}}]'
out=$($call "$plugin" "$cfg" message apply "$ops4" 2>>peer.err); printf '%s\n' "$out" >> all.out
cy=$(contact_id cy@example.org)
m4() { kids "d.emails.filter(e=>(e.altId||'').startsWith('m4@mail.example')).map(e=>e.altId+'='+e.contactId).sort().join(' ')"; }
have4=$(m4)
[ -n "$cy" ] && [ "$have4" = "$(kids "['m4@mail.example=$ann','m4@mail.example contact:$bo=$bo','m4@mail.example contact:$cy=$cy'].sort().join(' ')")" ] \
  && printf '%s' "$out" | grep -q "\"contactIds\":\[\"$ann\",\"$bo\",\"$cy\"\]" \
  && ok several-contacts-logged-in-each-conversation || bad several-contacts-logged-in-each-conversation "$have4" "$out"
out=$($call "$plugin" "$cfg" message apply "$(printf '%s' "$ops4" | sed 's/"op": "create"/"op": "create", "resend": true/')" 2>>peer.err)
[ "$(m4)" = "$have4" ] && printf '%s' "$out" | grep -q '"status":"ok"' \
  && ok several-contacts-resent-not-logged-twice || bad several-contacts-resent-not-logged-twice "$(m4)" "$out"
out=$($call "$plugin" "$cfg" message list 2>>peer.err)
printf '%s' "$out" > listed4.json
[ "$(node -e 'console.log(require("./listed4.json").filter(r=>r.data.messageId&&r.data.messageId[0].startsWith("m4@")).length)')" = 1 ] \
  && ok several-contacts-listed-as-one-record || bad several-contacts-listed-as-one-record "$out"

# -- attachments: each one's bytes out of /raw, uploaded as multipart/form-data
# (UploadFilesDto, files under fileAttachment) into the contact's
# conversation, the message carrying their URLs in /attachments; the one the
# rules left out (/omitAttachments) is named in the body, not uploaded
python3 - <<'PY'
import base64, json
pdf = bytes(range(256)) * 40  # binary, 10 KiB
mime = ("From: me@corp.example\r\nTo: ann@example.org\r\nMessage-ID: <m5@mail.example>\r\nSubject: Offer\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n"
        "--b1\r\nContent-Type: text/plain\r\n\r\nThe offer.\r\n"
        "--b1\r\nContent-Type: application/pdf; name=offer.pdf\r\nContent-Disposition: attachment; filename=offer.pdf\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(pdf).decode().replace("\n", "\r\n") +
        "--b1\r\nContent-Type: application/octet-stream; name=tool.exe\r\nContent-Disposition: attachment; filename=tool.exe\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\nTVo=\r\n--b1--\r\n").encode()
open("offer.pdf.bin", "wb").write(pdf)
op = [{"op": "create", "idempotency_key": "k5", "data": {"messageId": ["m5@mail.example"], "subject": "Offer",
       "from": [{"email": "me@corp.example"}], "to": [{"email": "ann@example.org"}], "direction": "outbound",
       "bodyValues": {"text": {"value": "The offer."}}, "raw": base64.b64encode(mime).decode(),
       "attachments": [{"partId": "2", "name": "offer.pdf", "type": "application/pdf", "size": 13000},
                       {"partId": "3", "name": "tool.exe", "type": "application/octet-stream", "size": 6}],
       "omitAttachments": ["3"], "crmNote": "Accord left out 1 attachment: tool.exe (type .exe not carried).",
       "contactIds": ["ANN"]}}]
open("ops5.json", "w").write(json.dumps(op))
PY
sed -i "s/\"ANN\"/\"$ann\"/" ops5.json
out=$($call "$plugin" "$cfg" message apply "$(cat ops5.json)" 2>>peer.err); printf '%s\n' "$out" >> all.out
url=$(kids "(d.emails.find(e=>e.altId==='m5@mail.example')||{attachments:[]}).attachments.join(' ')")
n5=$(kids "(d.emails.find(e=>e.altId==='m5@mail.example')||{attachments:[]}).attachments.length")
curl -s -o got.pdf "$url"
body5=$(kids "(d.emails.find(e=>e.altId==='m5@mail.example')||{}).body")
[ "$n5" = 1 ] && cmp -s got.pdf offer.pdf.bin && grep -q 'tool.exe' <<<"$body5" && ! grep -q 'not carried to the CRM: offer.pdf' <<<"$body5" \
  && ok attachment-uploaded-and-carried-by-url || bad attachment-uploaded-and-carried-by-url "n=$n5 url=$url" "$body5" "$out"

# -- an attachment in a quoted-printable part (a text file as many
# mailers send it; here with bytes past ASCII, an "=" of its own and a soft
# line break): decoded and uploaded, not named in the body
python3 - <<'PY'
import base64, json, quopri
data = ("name;amount\r\nJos\u00e9 M\u00fcller;=12\r\n" + "x" * 90 + "\r\n").encode("latin-1")
qp = quopri.encodestring(data).decode()  # (CRLF kept as it is in data)
assert "=\r\n" in qp and "=3D" in qp
mime = ("From: me@corp.example\r\nTo: ann@example.org\r\nMessage-ID: <mqp@mail.example>\r\nSubject: Figures\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n"
        "--b1\r\nContent-Type: text/plain\r\n\r\nThe figures.\r\n"
        "--b1\r\nContent-Type: text/plain; charset=iso-8859-1; name=figures.txt\r\nContent-Disposition: attachment; filename=figures.txt\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n" + qp + "\r\n--b1--\r\n").encode()
open("figures.txt.bin", "wb").write(data)
op = [{"op": "create", "idempotency_key": "kqp", "data": {"messageId": ["mqp@mail.example"], "subject": "Figures",
       "from": [{"email": "me@corp.example"}], "to": [{"email": "ann@example.org"}], "direction": "outbound",
       "bodyValues": {"text": {"value": "The figures."}}, "raw": base64.b64encode(mime).decode(),
       "attachments": [{"partId": "2", "name": "figures.txt", "type": "text/plain", "size": len(qp)}], "contactIds": ["ANN"]}}]
open("opsqp.json", "w").write(json.dumps(op))
PY
sed -i "s/\"ANN\"/\"$ann\"/" opsqp.json
ctl __control '{"new_window": true}'
out=$($call "$plugin" "$cfg" message apply "$(cat opsqp.json)" 2>>peer.err); printf '%s\n' "$out" >> all.out
url=$(kids "(d.emails.find(e=>e.altId==='mqp@mail.example')||{attachments:[]}).attachments.join(' ')")
bodyqp=$(kids "(d.emails.find(e=>e.altId==='mqp@mail.example')||{}).body")
rm -f gotqp.bin; [ -n "$url" ] && curl -s -o gotqp.bin "$url"
[ -n "$url" ] && cmp -s gotqp.bin figures.txt.bin && ! grep -q 'not carried to the CRM' <<<"$bodyqp" \
  && ok quoted-printable-attachment-decoded-and-uploaded || bad quoted-printable-attachment-decoded-and-uploaded "url=$url" "$bodyqp" "$out"

# -- HighLevel's upload limits (its "Upload file attachments" page: 5 files a
# request, 5 MB a file; the answer keyed by file name): a message of 7
# attachments is logged with all 7 (two requests); two attachments of one
# name both arrive (the second as "image001 (2).png"); one over 5 MB is named
# in the body, not uploaded, the other one uploaded; one of a type HighLevel
# refuses (415) is named, the others of its request uploaded one by one
python3 - <<'PY'
import base64, json, os
def message(mid, files):
    parts = ""
    for i, (name, data) in enumerate(files):
        parts += ("--b1\r\nContent-Type: application/octet-stream; name=\"%s\"\r\n"
                  "Content-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" % (name, name)
                  + base64.encodebytes(data).decode().replace("\n", "\r\n"))
    mime = ("From: me@corp.example\r\nTo: ann@example.org\r\nMessage-ID: <%s>\r\nSubject: Files\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nFiles.\r\n" % mid
            + parts + "--b1--\r\n").encode()
    os.makedirs(mid, exist_ok=True)
    for i, (name, data) in enumerate(files): open("%s/%d" % (mid, i), "wb").write(data)
    return {"op": "create", "idempotency_key": mid, "data": {"messageId": [mid], "subject": "Files",
            "from": [{"email": "me@corp.example"}], "to": [{"email": "ann@example.org"}], "direction": "outbound",
            "bodyValues": {"text": {"value": "Files."}}, "raw": base64.b64encode(mime).decode(),
            "attachments": [{"partId": str(i + 2), "name": n, "type": "application/octet-stream", "size": len(d)}
                            for i, (n, d) in enumerate(files)], "contactIds": ["ANN"]}}
seven = [("part%d.pdf" % i, bytes([i]) * (100 + i)) for i in range(7)]
same = [("image001.png", b"\x89PNG first"), ("image001.png", b"\x89PNG second"), ("IMAGE001.png", b"\x89PNG third")]
big = [("small.pdf", b"%PDF small"), ("big.pdf", b"\0" * 5000001)]
typed = [("a.pdf", b"%PDF a"), ("b.exe", b"MZ"), ("c.txt", b"c")]
for mid, files in [("att6@mail.example", seven), ("att7@mail.example", same), ("att8@mail.example", big), ("att9@mail.example", typed),
                   ("att10@mail.example", [("lost.pdf", b"%PDF lost")])]:
    open("ops-" + mid + ".json", "w").write(json.dumps([message(mid, files)]))
PY
sed -i "s/\"ANN\"/\"$ann\"/" ops-att*.json
# check MID N_UPLOADED NAMED…: the email's URLs serve the message's first
# N_UPLOADED files (in order, less those NAMED), and its body names each NAMED
check_files() {
  curl -s "$base/__dump_children" > children.json
  python3 - "$@" <<'PY'
import json, sys, urllib.request
mid, n, named = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
e = next((x for x in json.load(open("children.json"))["emails"] if x.get("altId") == mid), None)
if e is None: sys.exit("not logged")
urls = e.get("attachments") or []
import os
want = [open("%s/%d" % (mid, i), "rb").read() for i in range(len(os.listdir(mid)))]
got = [urllib.request.urlopen(u).read() for u in urls]
keep = [w for i, w in enumerate(want) if i not in [int(x.split(":")[0]) for x in named]]
if got != keep[:n] or len(got) != n: sys.exit("uploaded %d of %d: %s" % (len(got), n, urls))
body = e.get("body") or ""
for x in named:
    if x.split(":")[1] not in body or "not carried to the CRM" not in body: sys.exit("body does not name %s: %s" % (x, body))
if not named and "not carried" in body: sys.exit("body names a carried one: " + body)
PY
}
out=$($call "$plugin" "$cfg" message apply @ops-att6@mail.example.json 2>>peer.err); printf '%s\n' "$out" >> all.out
r=$(check_files att6@mail.example 7 2>&1) && ok seven-attachments-all-logged || bad seven-attachments-all-logged "$r" "$out"
out=$($call "$plugin" "$cfg" message apply @ops-att7@mail.example.json 2>>peer.err); printf '%s\n' "$out" >> all.out
r=$(check_files att7@mail.example 3 2>&1) && ok same-name-attachments-all-arrive || bad same-name-attachments-all-arrive "$r" "$out"
out=$($call "$plugin" "$cfg" message apply @ops-att8@mail.example.json 2>>peer.err); printf '%s\n' "$out" >> all.out
r=$(check_files att8@mail.example 1 1:big.pdf 2>&1) && ! grep -q 'ERR' <<<"$out" && ok oversize-attachment-named-not-uploaded \
  || bad oversize-attachment-named-not-uploaded "$r" "$out"
out=$($call "$plugin" "$cfg" message apply @ops-att9@mail.example.json 2>>peer.err); printf '%s\n' "$out" >> all.out
r=$(check_files att9@mail.example 2 1:b.exe 2>&1) && ok refused-type-named-others-uploaded || bad refused-type-named-others-uploaded "$r" "$out"

# -- listed back as canonical messages (the thread's emails read one by one)
out=$($call "$plugin" "$cfg" message list 2>>peer.err); printf '%s\n' "$out" >> all.out
printf '%s' "$out" > listed.json
n=$(node -e 'const l=require("./listed.json").filter(r=>/^m[123]@/.test(r.data.messageId[0]));const m=l.find(r=>r.data.messageId[0]==="m1@mail.example");
  console.log(l.length, m.data.from[0].email, m.data.cc[0].email, m.data.contactIds[0], m.data.bodyValues.text.value,
    l.find(r=>r.data.messageId[0]==="m2@mail.example").data.threadId===m.id.split("/")[1])' 2>&1)
[ "$n" = "3 ann@example.org cc@example.org $ann Can you send the quote? true" ] && ok listed-as-canonical-messages \
  || bad listed-as-canonical-messages "$n" "$out"

# -- kill -9 after HighLevel took the create, before its answer: the resend
# (the host's "resend": true after a crash) finds it by its altId
curl -s -XPOST -d '{"stop_after_commit": 1, "method": "POST", "path": "/conversations/messages/inbound"}' "$base/__fault" > /dev/null
op='[{"op": "create", "idempotency_key": "k9", "data": {"messageId": ["m9@mail.example"], "subject": "Killed",
      "from": [{"email": "ann@example.org"}], "to": [{"email": "me@corp.example"}], "bodyValues": {"text": {"value": "once"}},
      "direction": "inbound", "contactIds": ["'$ann'"]}}]'
$call "$plugin" "$cfg" message apply "$op" > killed.out 2>>peer.err &
cpid=$!
for _ in $(seq 1 100); do [ "$(ps -o stat= -p "$peer_pid" | cut -c1)" = T ] && break; sleep 0.1; done
kill -9 "$cpid"; wait "$cpid" 2>/dev/null
kill -CONT "$peer_pid"
made=$(kids "d.emails.filter(e=>e.altId==='m9@mail.example').length")
resend=$(printf '%s' "$op" | sed 's/"op": "create"/"op": "create", "resend": true/')
out=$($call "$plugin" "$cfg" message apply "$resend" 2>>peer.err); printf '%s\n' "$out" >> all.out
id9=$(kids "d.emails.find(e=>e.altId==='m9@mail.example').id")
[ "$made" = 1 ] && [ "$(kids "d.emails.filter(e=>e.altId==='m9@mail.example').length")" = 1 ] \
  && printf '%s' "$out" | grep -q "\"status\":\"ok\",\"id\":\"[a-z0-9]*/$id9\"" \
  && ok killed-create-resent-found-by-altid || bad killed-create-resent-found-by-altid "made=$made" "$out" "$(cat killed.out)"
# and a lost answer in the same run: looked for, not sent twice
curl -s -XPOST -d '{"drop_answer_after_commit": 1, "method": "POST", "path": "/conversations/messages/inbound"}' "$base/__fault" > /dev/null
op10=$(printf '%s' "$op" | sed 's/m9@/m10@/; s/k9/k10/')
out=$($call "$plugin" "$cfg" message apply "$op10" 2>>peer.err); printf '%s\n' "$out" >> all.out
[ "$(kids "d.emails.filter(e=>e.altId==='m10@mail.example').length")" = 1 ] && printf '%s' "$out" | grep -q '"status":"ok"' \
  && ok lost-answer-found-by-altid || bad lost-answer-found-by-altid "$out"
# an upload whose answer is lost is sent again at once (a second upload
# harms nothing): the message is logged with its attachment in the same run
curl -s -XPOST -d '{"drop_answer_after_commit": 1, "method": "POST", "path": "/conversations/messages/upload"}' "$base/__fault" > /dev/null
out=$($call "$plugin" "$cfg" message apply @ops-att10@mail.example.json 2>>peer.err); printf '%s\n' "$out" >> all.out
r=$(check_files att10@mail.example 1 2>&1) && grep -q '"status":"ok"' <<<"$out" && ok lost-upload-answer-sent-again \
  || bad lost-upload-answer-sent-again "$r" "$out"

# -- sent by HighLevel (message_send: SendMessageBodyDto, type Email), a reply in the thread
sops='[{"op": "create", "idempotency_key": "s1", "data": {"messageId": ["s1@mail.example"], "inReplyTo": ["m1@mail.example"],
        "subject": "Re: Quote", "from": [{"email": "me@corp.example"}], "to": [{"email": "ann@example.org"}],
        "bodyValues": {"html": {"value": "<p>Sent by HighLevel</p>"}}, "direction": "outbound", "contactIds": ["'$ann'"]}}]'
out=$($call "$plugin" "$cfg" message_send apply "$sops" 2>>peer.err); printf '%s\n' "$out" >> all.out
[ "$(kids "d.emails.filter(e=>e.body==='<p>Sent by HighLevel</p>'&&e.replyToMessageId==='$m1'&&e.direction==='outbound').length")" = 1 ] \
  && printf '%s' "$out" | grep -q '"status":"ok"' && ok sent-through-send-message || bad sent-through-send-message "$out"
out=$($call "$plugin" "$cfg" message_send apply "$(printf '%s' "$sops" | sed 's/"op": "create"/"op": "create", "resend": true/')" 2>>peer.err)
[ "$(kids "d.emails.filter(e=>e.body==='<p>Sent by HighLevel</p>').length")" = 1 ] && printf '%s' "$out" | grep -q '"status":"ok"' \
  && ok send-resent-not-sent-twice || bad send-resent-not-sent-twice "$out"

# -- users, read only, for the rule that never logs a user's mail
curl -s -XPOST -d '{"name": "Uma User", "email": "uma@corp.example"}' "$base/__user" > /dev/null
ctl __control '{"new_window": true}'  # (a new process: it has not heard the burst window of the steps before)
out=$($call "$plugin" "$cfg" user list 2>>peer.err); printf '%s\n' "$out" >> all.out
printf '%s' "$out" | grep -q '"email": "uma@corp.example"' && ok users-listed || bad users-listed "$out"
out=$($call "$plugin" "$cfg" user apply '[{"op": "create", "idempotency_key": "u", "data": {"email": "x@corp.example"}}]' 2>>peer.err)
printf '%s' "$out" | grep -q '"status":"unsupported"' && ok users-read-only || bad users-read-only "$out"

# -- without the provider: refused before anything is made
nprov=$(printf '%s' "$cfg" | sed 's/, "conversation_provider_id": "provTest1"//')
before=$(kids "d.emails.length")
out=$($call "$plugin" "$nprov" message apply "$op10" 2>>peer.err)
printf '%s' "$out" | grep -q 'conversation_provider_id' && [ "$(kids "d.emails.length")" = "$before" ] \
  && ok provider-missing-said || bad provider-missing-said "$out"

# -- the fake refuses what HighLevel refuses (each with its documented envelope)
V=2021-04-15
cv=$(kids "d.conversations.find(c=>c.contactId==='$ann').id")
r=$(hl -XPOST -d "{\"type\": \"Email\", \"conversationId\": \"$cv\", \"contactId\": \"$ann\", \"conversationProviderId\": \"provTest1\", \"threadId\": \"x\"}" "$base/conversations/messages/inbound")
printf '%s' "$r" | grep -q '"statusCode":422,"message":\["property threadId should not exist"\],"error":"Unprocessable Entity"' \
  && ok fake-refuses-undeclared-property || bad fake-refuses-undeclared-property "$r"
r=$(hl -XPOST -d "{\"type\": \"Email\", \"contactId\": \"$ann\", \"conversationProviderId\": \"provTest1\"}" "$base/conversations/messages/inbound")
printf '%s' "$r" | grep -q '"statusCode":422.*conversationId should not be empty' && ok fake-refuses-missing-required \
  || bad fake-refuses-missing-required "$r"
r=$(hl -XPOST -d "{\"type\": \"Email\", \"conversationId\": \"$cv\", \"contactId\": \"$ann\", \"conversationProviderId\": \"nope\"}" "$base/conversations/messages/inbound")
printf '%s' "$r" | grep -q '"statusCode":400' && ok fake-refuses-unknown-provider || bad fake-refuses-unknown-provider "$r"
r=$(hl -XPOST -d "{\"type\": \"Email\", \"conversationId\": \"$cv\", \"contactId\": \"$ann\", \"conversationProviderId\": \"provTest1\", \"emailCc\": \"a@b\"}" "$base/conversations/messages/inbound")
printf '%s' "$r" | grep -q '"statusCode":422.*emailCc must be a' && ok fake-refuses-wrong-type || bad fake-refuses-wrong-type "$r"
r=$(hl -XPOST -d "{\"type\": \"Email\", \"contactId\": \"$ann\"}" "$base/conversations/messages")
printf '%s' "$r" | grep -q '"statusCode":422.*subType should not be empty.*' && printf '%s' "$r" | grep -q 'status should not be empty' \
  && ok fake-refuses-send-without-required || bad fake-refuses-send-without-required "$r"
r=$(hl -H 'Version: 2021-07-28' -XPOST -d "{\"locationId\": \"locTest1\", \"contactId\": \"$ann\"}" "$base/conversations/")
printf '%s' "$r" | grep -q 'is not supported by this endpoint' && ok fake-refuses-wrong-version || bad fake-refuses-wrong-version "$r"
up() { curl -s -o upload.out -w '%{http_code}' -H "Authorization: Bearer $token" -H 'Version: 2021-04-15' "$@" "$base/conversations/messages/upload"; }
printf 'hello' > note.txt; printf 'MZ' > tool.exe; head -c 5000001 /dev/zero > big.pdf
code=$(up -F conversationId="$cv" -F contactId="$ann" -F locationId=locTest1 -F attachmentUrls= -F fileAttachment=@note.txt)
[ "$code" = 200 ] && grep -q '"uploadedFiles":{"note.txt":"http' upload.out && ok fake-upload-takes-a-file || bad fake-upload-takes-a-file "$code $(cat upload.out)"
code=$(up -F conversationId="$cv" -F contactId="$ann" -F locationId=locTest1 -F attachmentUrls= -F fileAttachment=@tool.exe)
[ "$code" = 415 ] && grep -q '"status":415' upload.out && ok fake-upload-refuses-type || bad fake-upload-refuses-type "$code $(cat upload.out)"
code=$(up -F conversationId="$cv" -F contactId="$ann" -F locationId=locTest1 -F attachmentUrls= -F fileAttachment=@big.pdf)
[ "$code" = 413 ] && grep -q '"status":413' upload.out && ok fake-upload-refuses-size || bad fake-upload-refuses-size "$code $(cat upload.out)"
six=(); for i in 1 2 3 4 5 6; do six+=(-F fileAttachment=@note.txt); done
code=$(up -F conversationId="$cv" -F contactId="$ann" -F locationId=locTest1 -F attachmentUrls= "${six[@]}")
[ "$code" = 400 ] && grep -q '"status":400' upload.out && ok fake-upload-refuses-six-files || bad fake-upload-refuses-six-files "$code $(cat upload.out)"
code=$(up -F contactId="$ann" -F locationId=locTest1 -F fileAttachment=@note.txt)
[ "$code" = 422 ] && grep -q 'conversationId should not be empty' upload.out && ok fake-upload-refuses-missing-field \
  || bad fake-upload-refuses-missing-field "$code $(cat upload.out)"

grep -q -- "$token" <(alltext | grep -v '^port') && bad token-never-printed || ok token-never-printed
exit $fail
