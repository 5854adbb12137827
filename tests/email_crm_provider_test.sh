#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Mail sent from HighLevel reaches the contact through the mailbox: Accord as
# the location's Email conversation provider (docs/email-crm.md, "Mail sent
# from HighLevel"). HighLevel's fake posts the signed "Conversation Provider -
# Outbound Message" delivery (a test Ed25519 pair) to the Delivery URL
# (email_crm_provider_tool: daemon/provider_webhook + engine/email_crm_outbound),
# which sends it through a real SMTP server on 127.0.0.1 (smtp-server,
# tests/peers/smtp_sink.js), files the copy in Dovecot's \Sent and sets the
# message's status in HighLevel. Then: a redelivery sends nothing; a bad or
# missing signature is refused (401); a From that is not the mailbox's fails
# with HighLevel told; a kill after the send, before the status, sends nothing
# twice (recovery finds the copy in Sent, or knows it sent). Last, the
# examples/mail-crm recipe runs on the mailbox: the Sent copies are not logged
# in HighLevel again, and Ann's answer is logged in the thread of the email
# HighLevel sent.
# Usage: email_crm_provider_test.sh TOOL DOVECOT_SCRIPT PEERS_DIR ACCORD EXAMPLE
set -u
. "$(dirname "${BASH_SOURCE[0]}")/report.sh"
tool=$(realpath "$1") start_dovecot=$(realpath "$2") peers=$(realpath "$3") accord=$(realpath "$4") example=$(realpath "$5")
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-provider.XXXXXX")
chmod 0711 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  [ -f "$work/dc/run/master.pid" ] && kill "$(cat "$work/dc/run/master.pid")" 2>/dev/null
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1
pw="imap-canary-$RANDOM$RANDOM" pwb="imap-bob-$RANDOM$RANDOM"
info=$(DOVECOT_EXTRA=$'namespace inbox {\n  mailbox Sent {\n    special_use = \\Sent\n    auto = subscribe\n  }\n}' \
  bash "$start_dovecot" "$work/dc" "ada:$pw" "bob:$pwb" 2>&1) || { echo "FAIL Dovecot did not start"; echo "$info"; exit 1; }
imap_port=$(awk '/^imap /{print $2}' <<<"$info") imaps_port=$(awk '/^imaps /{print $2}' <<<"$info") ca=$(awk '/^ca /{print $2}' <<<"$info")
sent_count() {  # MESSAGE-ID: how many copies Dovecot's Sent holds
  curl -s --cacert "$ca" --ssl-reqd --user "ada:$pw" "imap://localhost:$imap_port/Sent" -X "UID SEARCH HEADER Message-ID \"<$1>\"" |
    awk '/^\* SEARCH/{print NF-2; f=1} END{if(!f) print "?"}'
}
# HighLevel's signing pair (the test's own: the real private key is HighLevel's)
openssl genpkey -algorithm ed25519 -out hl-private.pem 2>/dev/null
openssl pkey -in hl-private.pem -pubout -out hl-public.pem 2>/dev/null
token="pit-canary-$RANDOM$RANDOM"
HL_TOKEN=$token HL_LOCATION=locTest1 HL_PROVIDER=provTest1 HL_SIGNING_KEY=$work/hl-private.pem \
  node "$peers/highlevel_fake.js" > hl.out 2> hl.err &
pids+=($!)
mkdir -p sink
SINK_DIR=$work/sink SINK_USER=ada SINK_PASSWORD=$pw node "$peers/smtp_sink.js" > sink.out 2> sink.err &
sink_pid=$!
pids+=($sink_pid)
for _ in $(seq 1 100); do grep -q '^port ' hl.out 2>/dev/null && grep -q '^port ' sink.out 2>/dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$(awk '/^port /{print $2}' hl.out)"
smtp_port=$(awk '/^port /{print $2}' sink.out)
[ -n "$smtp_port" ] || { echo "FAIL the SMTP server did not start (npm ci in tests/peers)"; cat sink.err; exit 1; }
hl() { curl -s -H "Authorization: Bearer $token" -H "Version: 2021-07-28" -H 'Content-Type: application/json' "$@"; }
ann=$(hl -XPOST -d '{"locationId": "locTest1", "email": "ann@client.example", "firstName": "Ann"}' "$base/contacts/upsert" |
      node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).contact.id))')
config() {  # FILE [SERVER_FILES_SENT]
  node -e 'const fs=require("fs");const [f,j,s,i,pw,ca,b,t,k,sfs]=process.argv.slice(1);
    fs.writeFileSync(f, JSON.stringify({journal: j, smtp_url: "smtp://127.0.0.1:"+s, imap_url: "imap://localhost:"+i, user: "ada",
      password: pw, ca_file: ca, mailbox: ["ada@corp.example"], highlevel_base: b, highlevel_token: t, location_id: "locTest1",
      conversation_provider_id: "provTest1", public_key_pem: fs.readFileSync(k, "utf8"), server_files_sent: sfs === "1"}))' \
    "$1" "$work/state.sqlite" "${3:-$smtp_port}" "$imap_port" "$pw" "$ca" "$base" "$token" "$work/hl-public.pem" "${2:-0}"
}
config provider.json
serve() {  # [CRASH_POINT] [CONFIG]: the Delivery URL in $url
  "$tool" "${2:-provider.json}" serve ${1:-} > tool.out 2>> tool.err &
  tool_pid=$!
  pids+=($tool_pid)
  for _ in $(seq 1 100); do grep -q '^port ' tool.out 2>/dev/null && break; sleep 0.1; done
  url="http://127.0.0.1:$(awk '/^port /{print $2}' tool.out)/highlevel/outbound"
}
ended() {  # PID: waits at most 60 s for it to end; its exit code in $died (999: still running, then killed)
  died=999
  for _ in $(seq 1 600); do kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null; died=$?; return; }; sleep 0.1; done
  kill "$1" 2>/dev/null
}
field() { node -e 'const d=JSON.parse(process.argv[1]);console.log(eval(process.argv[2]))' "$1" "$2"; }
send() {  # JSON-EXTRA: HighLevel's user sends an email to Ann; the fake's answer in $sent
  sent=$(curl -s -XPOST -d '{"contactId": "'$ann'", "subject": "Quote for Ann", "html": "<p>Here is the quote.</p>",
    "emailFrom": "Ada <ada@corp.example>", "deliveryUrl": "'$url'"'"${1:-}"'}' "$base/__provider_send")
}
statuses() { curl -s "$base/__stats" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{
  console.log(JSON.parse(s).statusUpdates.filter(u=>u.messageId===process.argv[1]).map(u=>u.status).join(" "))})' "$1"; }
in_sink() { grep -l "^Message-ID: <$1>" sink/*.eml 2>/dev/null | wc -l; }

serve
send
mid=$(field "$sent" d.messageId) eid=$(field "$sent" d.emailMessageId)
msgid="accord-hl.$mid.$eid@corp.example"
[ "$(field "$sent" d.status)" = 200 ] && [ "$(in_sink "$msgid")" = 1 ] &&
  grep -q '"to":\["ann@client.example"\]' sink/0001.env && grep -q '"user":"ada"' sink/0001.env &&
  ok sent-through-the-mailbox-once || bad sent-through-the-mailbox-once "$sent" "$(ls sink)" "$(cat sink/*.env)" "$(cat tool.err)"
[ "$(sent_count "$msgid")" = 1 ] && ok copy-in-sent || bad copy-in-sent "$(sent_count "$msgid")" "$(cat tool.err)"
[ "$(statuses "$mid")" = delivered ] &&
  [ "$(curl -s "$base/__dump_children" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).emails.find(e=>e.id===process.argv[1]).status))' "$eid")" = delivered ] &&
  ok status-delivered-in-highlevel || bad status-delivered-in-highlevel "$(statuses "$mid")" "$(cat tool.err)"

# HighLevel delivers the same message again (its retry): nothing is sent twice
raw=$(field "$sent" d.raw) sig=$(field "$sent" d.signature)
again=$(curl -s -w ' %{http_code}' -XPOST -H 'Content-Type: application/json' -H "X-GHL-Signature: $sig" --data-binary "$raw" "$url")
[ "${again##* }" = 200 ] && [ "$(in_sink "$msgid")" = 1 ] && [ "$(sent_count "$msgid")" = 1 ] && [ "$(statuses "$mid")" = delivered ] &&
  ok redelivery-sends-nothing || bad redelivery-sends-nothing "$again" "$(in_sink "$msgid")" "$(sent_count "$msgid")" "$(statuses "$mid")"

# attachments: the user attaches files in HighLevel (uploaded to the
# location: "Upload file attachments", the fake's /conversations/messages/upload),
# and the delivery names them by URL ("attachments": the URLs, the page's
# Email example): each fetched and attached; the contact gets them byte for
# byte, with their names (a space and a non-ASCII letter in one)
conv=$(curl -s "$base/__dump_children" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).conversations.find(c=>c.contactId===process.argv[1]).id))' "$ann")
head -c 300000 /dev/urandom > photo.png
{ printf '%%PDF-1.4\n'; head -c 70000 /dev/urandom; printf '\n%%%%EOF\n'; } > quote.pdf
printf 'line one\r\nline two\n\x00\xff end' > notes.txt
up=$(curl -s -H "Authorization: Bearer $token" -H "Version: 2021-04-15" -F locationId=locTest1 -F conversationId="$conv" -F contactId="$ann" \
  -F "fileAttachment=@photo.png;filename=photo.png" -F "fileAttachment=@quote.pdf;filename=Quote vé 2.pdf" \
  -F "fileAttachment=@notes.txt;filename=notes.txt" "$base/conversations/messages/upload")
urls=$(node -e 'const u=JSON.parse(process.argv[1]).uploadedFiles;console.log(JSON.stringify(Object.values(u)))' "$up")
send ', "subject": "With attachments", "attachments": '"$urls"
mida=$(field "$sent" d.messageId) eida=$(field "$sent" d.emailMessageId)
ida="accord-hl.$mida.$eida@corp.example"
emla=$(grep -l "^Message-ID: <$ida>" sink/*.eml 2>/dev/null)
attached=$(python3 - "$emla" <<'PY' 2>&1
import email, email.policy, hashlib, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
out = []
for p in m.iter_attachments():
    out.append("%s %s %s" % (p.get_filename(), p.get_content_type(), hashlib.sha256(p.get_payload(decode=True)).hexdigest()))
body = m.get_body(("html",)).get_content()
raw = open(sys.argv[1], "rb").read()
# SMTP without SMTPUTF8: the whole mail in 7 bits (the parts are base64; a
# name as RFC 2231 says)
ascii = all(b < 128 for b in raw)
print("|".join(sorted(out)) + "|" + ("quote" if "Here is the quote." in body else "no-body") + ("" if ascii else "|8-bit-headers"))
PY
)
want=$(for f in "photo.png image/png photo.png" "quote.pdf application/pdf Quote vé 2.pdf" "notes.txt text/plain notes.txt"; do
  set -- $f; n=${f#* * }; echo "$n $2 $(sha256sum "$1" | cut -d' ' -f1)"; done | sort | paste -sd'|')"|quote"
[ "$(field "$sent" d.status)" = 200 ] && [ -n "$emla" ] && [ "$attached" = "$want" ] && [ "$(statuses "$mida")" = delivered ] &&
  [ "$(sent_count "$ida")" = 1 ] && ok attachments-reach-the-contact-intact ||
  bad attachments-reach-the-contact-intact "$sent" "want $want" "got  $attached" "$(statuses "$mida")" "$(tail -5 tool.err)"

# a bad signature, none, and a body changed after signing: 401, nothing sent, logged
before=$(ls sink/*.eml | wc -l)
send ', "sign": "bad"'
bad_status=$(field "$sent" d.status)
send ', "sign": "none"'
none_status=$(field "$sent" d.status)
tampered=$(curl -s -w ' %{http_code}' -XPOST -H "X-GHL-Signature: $sig" --data-binary "${raw/Quote/Bill}" "$url")
[ "$bad_status" = 401 ] && [ "$none_status" = 401 ] && [ "${tampered##* }" = 401 ] && [ "$(ls sink/*.eml | wc -l)" = "$before" ] &&
  grep -q "refused a delivery (401)" tool.err && ok bad-signature-refused ||
  bad bad-signature-refused "$bad_status $none_status $tampered" "$(ls sink)" "$(tail -5 tool.err)"

# a From that is not the mailbox's: not sent, HighLevel told "failed" with why
sent=$(curl -s -XPOST -d '{"contactId": "'$ann'", "subject": "x", "html": "<p>x</p>", "emailFrom": "Eve <eve@elsewhere.example>",
  "deliveryUrl": "'$url'"}' "$base/__provider_send")
fmid=$(field "$sent" d.messageId)
[ "$(ls sink/*.eml | wc -l)" = "$before" ] && [ "$(statuses "$fmid")" = failed ] &&
  curl -s "$base/__stats" | grep -q "not this mailbox" && ok foreign-from-failed-and-told ||
  bad foreign-from-failed-and-told "$sent" "$(statuses "$fmid")"

# killed right after "sent" is written (before the Sent copy and the status):
# the recovery files the copy and tells HighLevel; the mail is not sent again
kill "$tool_pid"; wait "$tool_pid" 2>/dev/null
serve after_sent
send ', "subject": "Kill after sent"'
mid2=$(field "$sent" d.messageId) eid2=$(field "$sent" d.emailMessageId)
id2="accord-hl.$mid2.$eid2@corp.example"
ended "$tool_pid"
"$tool" provider.json recover > recover.out 2>> tool.err
[ "$died" = 9 ] && [ "$(in_sink "$id2")" = 1 ] && [ "$(sent_count "$id2")" = 1 ] && [ "$(statuses "$mid2")" = delivered ] &&
  ok kill-after-sent-not-sent-twice ||
  bad kill-after-sent-not-sent-twice "died=$died sink=$(in_sink "$id2") sent=$(sent_count "$id2") status=$(statuses "$mid2")" "$(tail -5 tool.err)"

# Two stream pairs' providers in one pipeline share its state file as their
# journal (the daemon: one Outbound per pair, owner = the pair's name):
# mailbox A (ada) and mailbox B (bob). B is killed right after "sent"; A's
# recover (the daemon's start runs the providers in order) leaves B's row
# alone; B's recover files B's copy in B's Sent; the mail went out once,
# through B's SMTP (review s12 F1: A filed Bob's mail in Ada's Sent)
mkdir -p sinkb
SINK_DIR=$work/sinkb SINK_USER=bob SINK_PASSWORD=$pwb node "$peers/smtp_sink.js" > sinkb.out 2> sinkb.err &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^port ' sinkb.out 2>/dev/null && break; sleep 0.1; done
pair_conf() {  # FILE OWNER USER PASSWORD ADDRESS SMTP_PORT: a pair's provider, the journal pairs.sqlite
  node -e 'const fs=require("fs");const c=JSON.parse(fs.readFileSync("provider.json"));const [f,o,u,p,a,s]=process.argv.slice(1);
    Object.assign(c, {journal: process.cwd()+"/pairs.sqlite", user: u, password: p, mailbox: [a], smtp_url: "smtp://127.0.0.1:"+s});
    if (o) c.owner = o; fs.writeFileSync(f, JSON.stringify(c))' "$@"
}
pair_conf pairA.json mail-a ada "$pw" ada@corp.example "$smtp_port"
pair_conf pairB.json mail-b bob "$pwb" bob@corp.example "$(awk '/^port /{print $2}' sinkb.out)"
pair_conf pairFile.json "" ada "$pw" ada@corp.example "$smtp_port"
pair_conf pairFileB.json "" bob "$pwb" bob@corp.example "$(awk '/^port /{print $2}' sinkb.out)"
sent_in() {  # USER TEXT: how many mails in that Dovecot user's Sent hold it
  grep -rl "$2" "$work/dc/home/$1/Maildir/.Sent/" 2>/dev/null | wc -l; }
serve after_sent pairB.json
send ', "subject": "Bob private quote", "emailFrom": "Bob <bob@corp.example>"'
midb=$(field "$sent" d.messageId)
ended "$tool_pid"
"$tool" pairA.json recover > recoverA.out 2>> tool.err
a_took="A: $(cat recoverA.out), Ada's Sent $(sent_in ada 'Bob private quote'), Bob's $(sent_in bob 'Bob private quote')"
"$tool" pairB.json recover > recoverB.out 2>> tool.err
[ "$died" = 9 ] && [ "$a_took" = "A: recovered 0, Ada's Sent 0, Bob's 0" ] && [ "$(cat recoverB.out)" = "recovered 1" ] &&
  [ "$(sent_in bob 'Bob private quote')" = 1 ] && [ "$(sent_in ada 'Bob private quote')" = 0 ] &&
  [ "$(grep -l 'Bob private quote' sinkb/*.eml 2>/dev/null | wc -l)" = 1 ] && [ "$(grep -l 'Bob private quote' sink/*.eml | wc -l)" = 0 ] &&
  [ "$(statuses "$midb")" = delivered ] && ok pairs-providers-finish-only-their-own ||
  bad pairs-providers-finish-only-their-own "died=$died; $a_took; B: $(cat recoverB.out), Ada's Sent $(sent_in ada 'Bob private quote'), Bob's $(sent_in bob 'Bob private quote'); status $(statuses "$midb")" "$(tail -5 tool.err)"
# a journal of before the column owner (the --provider file's rows): a pair's
# provider leaves its row, and so does a --provider file of another mailbox
# naming the same journal; the --provider file's one of that mailbox finishes it
serve after_sent pairFile.json
send ', "subject": "Older journal row"'
midf=$(field "$sent" d.messageId)
ended "$tool_pid"
python3 -c 'import sqlite3, sys; d = sqlite3.connect(sys.argv[1]); d.execute("ALTER TABLE email_crm_provider_outbound DROP COLUMN owner"); d.commit()' \
  pairs.sqlite 2>/dev/null
"$tool" pairA.json recover > recoverA.out 2>> tool.err
"$tool" pairFileB.json recover > recoverFB.out 2>> tool.err
a_took="A: $(cat recoverA.out), file B: $(cat recoverFB.out), Ada's Sent $(sent_in ada 'Older journal row'), Bob's $(sent_in bob 'Older journal row')"
"$tool" pairFile.json recover > recoverF.out 2>> tool.err
[ "$died" = 9 ] && [ "$a_took" = "A: recovered 0, file B: recovered 0, Ada's Sent 0, Bob's 0" ] && [ "$(cat recoverF.out)" = "recovered 1" ] &&
  [ "$(sent_in ada 'Older journal row')" = 1 ] && [ "$(grep -l 'Older journal row' sink/*.eml | wc -l)" = 1 ] &&
  [ "$(statuses "$midf")" = delivered ] && ok older-rows-only-the-provider-files ||
  bad older-rows-only-the-provider-files "died=$died; $a_took; file: $(cat recoverF.out), Ada's Sent $(sent_in ada 'Older journal row'); status $(statuses "$midf")" "$(tail -5 tool.err)"
# two tries read one "sending" row (a delivery's handler and a recover in
# another process): one takes it (told 0 -> 1 in one UPDATE), the other
# sends nothing; the mail goes out once
serve pause:before_claim pairA.json
send ', "subject": "Claimed once"' > /dev/null &
send_pid=$!
for _ in $(seq 1 50); do grep -q "Claimed once" <(sqlite3 pairs.sqlite "SELECT mail FROM email_crm_provider_outbound" 2>/dev/null) && break; sleep 0.1; done
"$tool" pairA.json recover > recoverC.out 2>> tool.err
wait "$send_pid"
kill "$tool_pid"; wait "$tool_pid" 2>/dev/null
[ "$(grep -l 'Claimed once' sink/*.eml | wc -l)" = 1 ] && [ "$(sent_in ada 'Claimed once')" = 1 ] && ok a-sending-row-claimed-once ||
  bad a-sending-row-claimed-once "sent $(grep -l 'Claimed once' sink/*.eml | wc -l) times, recover: $(cat recoverC.out)" "$(tail -5 tool.err)"

# killed right after the SMTP transaction, before "sent" is written, on a
# server that does NOT file submitted mail (the default): whether it went
# cannot be known, so it is never sent again (at most once): "unknown", the
# copy filed in Sent (flagged), HighLevel told failed "may have been sent";
# later recovers send nothing (review F2)
journal_of() { python3 -c 'import sqlite3, sys
for r in sqlite3.connect(sys.argv[1]).execute("SELECT state, told FROM email_crm_provider_outbound WHERE hl_message_id = ?", (sys.argv[2],)): print(*r)' state.sqlite "$1" 2>&1; }
hl_error() { curl -s "$base/__stats" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{
  console.log(JSON.parse(s).statusUpdates.filter(u=>u.messageId===process.argv[1]).map(u=>(u.error||{}).message||"").join(" | "))})' "$1"; }
flagged() { curl -s --cacert "$ca" --ssl-reqd --user "ada:$pw" "imap://localhost:$imap_port/Sent" -X "UID SEARCH FLAGGED HEADER Message-ID \"<$1>\"" |
    awk '/^\* SEARCH/{print NF-2; f=1} END{if(!f) print "?"}'; }
kill "$tool_pid" 2>/dev/null; wait "$tool_pid" 2>/dev/null
serve after_smtp
send ', "subject": "Kill after smtp, plain server"'
mid5=$(field "$sent" d.messageId) eid5=$(field "$sent" d.emailMessageId)
id5="accord-hl.$mid5.$eid5@corp.example"
ended "$tool_pid"
for i in 1 2 3; do "$tool" provider.json recover > recover.out 2>> tool.err; done
[ "$died" = 9 ] && [ "$(in_sink "$id5")" = 1 ] && [ "$(journal_of "$mid5")" = "unknown 1" ] && [ "$(sent_count "$id5")" = 1 ] &&
  [ "$(flagged "$id5")" = 1 ] && [ "$(statuses "$mid5")" = failed ] && hl_error "$mid5" | grep -q "may have been sent" &&
  grep -q "$mid5.*may have been sent" tool.err && ok kill-after-smtp-plain-server-at-most-once ||
  bad kill-after-smtp-plain-server-at-most-once "died=$died sink=$(in_sink "$id5") journal=$(journal_of "$mid5") sent=$(sent_count "$id5")" \
    "flagged=$(flagged "$id5") status=$(statuses "$mid5") error=$(hl_error "$mid5")" "$(tail -8 tool.err)"
# the server takes the mail and its final reply is lost (connection closed
# after the final dot): "unknown" at once, never sent again by the recovers
# (review F5: it went out again at every 5-minute recover)
mkdir -p sink-drop
SINK_DIR=$work/sink-drop SINK_USER=ada SINK_PASSWORD=$pw SINK_DROP_REPLY=1 node "$peers/smtp_sink.js" > sink-drop.out 2> sink-drop.err &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^port ' sink-drop.out 2>/dev/null && break; sleep 0.1; done
config provider-drop.json 0 "$(awk '/^port /{print $2}' sink-drop.out)"
kill "$tool_pid" 2>/dev/null; wait "$tool_pid" 2>/dev/null
serve "" provider-drop.json
send ', "subject": "Reply lost"'
mid6=$(field "$sent" d.messageId) eid6=$(field "$sent" d.emailMessageId)
id6="accord-hl.$mid6.$eid6@corp.example"
answer6=$(field "$sent" d.answer)
for i in 1 2 3; do "$tool" provider-drop.json recover > recover.out 2>> tool.err; done
dropped=$(grep -l "^Message-ID: <$id6>" sink-drop/*.eml 2>/dev/null | wc -l)
[ "$dropped" = 1 ] && [ "$(journal_of "$mid6")" = "unknown 1" ] && [ "$(sent_count "$id6")" = 1 ] && [ "$(statuses "$mid6")" = failed ] &&
  ok reply-lost-not-sent-again || bad reply-lost-not-sent-again "taken=$dropped journal=$(journal_of "$mid6") sent=$(sent_count "$id6")" \
    "status=$(statuses "$mid6")" "answer=$answer6" "$(tail -8 tool.err)"
kill "$tool_pid" 2>/dev/null; wait "$tool_pid" 2>/dev/null
serve
# a delivery validly signed (HighLevel signs every app's and location's
# webhooks with one key) for ANOTHER location: refused 403, logged, nothing
# sent nor journalled (review F3); one of this location naming a message
# HighLevel does not have (forged or replayed with a new id): the same
before=$(ls sink/*.eml | wc -l)
forged() {  # LOCATION MESSAGEID: posts it signed with the test key; "BODY CODE" in $forged_answer
  node -e 'console.log(JSON.stringify({contactId:"c-other",locationId:process.argv[1],messageId:process.argv[2],emailMessageId:"emOTHER1",
    type:"Email",emailTo:["victim-contact@else.example"],emailFrom:"ada@corp.example",attachments:[],html:"<p>pay here</p>",
    subject:"Invoice",userId:"usOther"}))' "$1" "$2" | tr -d '\n' > forged.json
  local s; s=$(node -e 'const c=require("crypto"),f=require("fs");console.log(c.sign(null,f.readFileSync("forged.json"),c.createPrivateKey(f.readFileSync("hl-private.pem"))).toString("base64"))')
  forged_answer=$(curl -s -w ' %{http_code}' -XPOST -H "X-GHL-Signature: $s" --data-binary @forged.json "$url")
}
forged locOTHER msOTHER000000000001; other=$forged_answer
forged locTest1 msNOTINHIGHLEVEL0001; unknown_id=$forged_answer
[ "${other##* }" = 403 ] && [ "${unknown_id##* }" = 403 ] && [ "$(ls sink/*.eml | wc -l)" = "$before" ] &&
  [ -z "$(journal_of msOTHER000000000001)$(journal_of msNOTINHIGHLEVEL0001)" ] &&
  grep -q "msOTHER000000000001.*locOTHER" tool.err && grep -q "msNOTINHIGHLEVEL0001" tool.err &&
  ok other-location-refused || bad other-location-refused "$other" "$unknown_id" "$(ls sink)" "$(tail -4 tool.err)"

# killed right after the SMTP transaction, before "sent" is written: the
# message is still "sending"; a server that files submitted mail in Sent
# itself (as Gmail does; the sink does it here) has the copy: found by its
# Message-ID, not sent again
kill "$sink_pid"; wait "$sink_pid" 2>/dev/null
SINK_DIR=$work/sink SINK_USER=ada SINK_PASSWORD=$pw SINK_SENT_MAILDIR=$work/dc/home/ada/Maildir/.Sent \
  node "$peers/smtp_sink.js" > sink.out 2> sink.err &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^port ' sink.out 2>/dev/null && break; sleep 0.1; done
smtp_port=$(awk '/^port /{print $2}' sink.out)
config provider-files.json 1
serve after_smtp provider-files.json
send ', "subject": "Kill after smtp"'
mid3=$(field "$sent" d.messageId) eid3=$(field "$sent" d.emailMessageId)
id3="accord-hl.$mid3.$eid3@corp.example"
ended "$tool_pid"
"$tool" provider-files.json recover > recover.out 2>> tool.err
[ "$died" = 9 ] && [ "$(in_sink "$id3")" = 1 ] && [ "$(sent_count "$id3")" = 1 ] && [ "$(statuses "$mid3")" = delivered ] &&
  grep -q "in Sent already" tool.err && ok kill-after-smtp-found-in-sent-not-sent-twice ||
  bad kill-after-smtp-found-in-sent-not-sent-twice "died=$died sink=$(in_sink "$id3") sent=$(sent_count "$id3") status=$(statuses "$mid3")" "$(tail -8 tool.err)"
# The recipe on this mailbox (Dovecot in Gmail's place): the three mails in
# Sent are HighLevel's own (rule crm_sent), not logged a second time; Ann's
# answer to the first, In-Reply-To its Accord Message-ID, is logged in Ann's
# conversation in that email's thread (crm-rest threads on the emailMessageId
# the Message-ID names).
export HOME=$work ACCORD_ADMIN= ACCORD_SECRETS=$work/secrets.json
printf '{"gmail_app_password": "%s", "highlevel_token": "%s"}\n' "$pw" "$token" > secrets.json
chmod 600 secrets.json
python3 - "$example" "$imaps_port" "$ca" "$base" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["state"] = "mail-crm.sqlite"
p["left"]["config"].update({"url": "imaps://localhost:" + sys.argv[2], "user": "ada", "ca_file": sys.argv[3]})
p["right"]["config"]["base_url"] = sys.argv[4]
p["right"]["config"]["variables"] = {"location_id": "locTest1", "conversation_provider_id": "provTest1"}
p["streams"][0]["email_crm"].pop("provider", None)  # (the provider file first; the pipeline's own below)
json.dump(p, open("mail-crm.pipeline.json", "w"), indent=1)
PY
printf 'From: Ann <ann@client.example>\r\nTo: ada@corp.example\r\nSubject: Re: Quote for Ann\r\nMessage-ID: <ann-answer@client.example>\r\nIn-Reply-To: <%s>\r\nReferences: <%s>\r\nDate: %s\r\n\r\nThanks, looks good\r\n' \
  "$msgid" "$msgid" "$(date -u -R)" > answer.eml
curl -s --cacert "$ca" --ssl-reqd --user "ada:$pw" "imap://localhost:$imap_port/INBOX" -T answer.eml
before=$(field "$(curl -s "$base/__dump_children")" d.emails.length)
runp run mail-crm.pipeline.json
dump=$(curl -s "$base/__dump_children")
got=$(field "$dump" "JSON.stringify(d.emails.filter(e=>e.altId==='ann-answer@client.example').map(e=>[e.conversationId,e.threadId,e.replyToMessageId]))")
want=$(field "$dump" "JSON.stringify([[d.emails.find(e=>e.id==='$eid').conversationId,d.emails.find(e=>e.id==='$eid').threadId,'$eid']])")
[ "$rc" = 0 ] && [ "$got" = "$want" ] && ok answer-logged-in-the-thread-highlevel-sent ||
  bad answer-logged-in-the-thread-highlevel-sent "rc=$rc" "want $want" "got  $got" "$out"
[ "$(field "$dump" "d.emails.filter(e=>(e.altId||'').startsWith('accord-hl.')).length")" = 0 ] &&
  [ "$(field "$dump" d.emails.length)" = $((before + 1)) ] &&
  ok sent-copies-not-logged-again || bad sent-copies-not-logged-again "$(field "$dump" "JSON.stringify(d.emails.map(e=>[e.altId,e.subject]))")"
runp run mail-crm.pipeline.json
[ "$rc" = 0 ] && ! grep -q "to create" <<<"$out" && ok recipe-second-run-does-nothing || bad recipe-second-run-does-nothing "rc=$rc" "$out"
# accord daemon --provider FILE: the same Delivery URL served by the daemon
# beside the pipeline, its secrets from the secrets file, its journal in the
# pipeline's own state file (the engine's runs and the provider side by side)
node -e 'const fs=require("fs");const c=JSON.parse(fs.readFileSync("provider-files.json"));c.journal=process.cwd()+"/mail-crm.sqlite";
  Object.assign(c, {listen: "127.0.0.1:0", password: {"$secret": "gmail_app_password"}, highlevel_token: {"$secret": "highlevel_token"},
                    public_key: c.public_key_pem});
  delete c.public_key_pem; fs.writeFileSync("provider-daemon.json", JSON.stringify(c))'
"$accord" daemon mail-crm.pipeline.json --provider provider-daemon.json > daemon.out 2> daemon.err &
daemon_pid=$!
pids+=($daemon_pid)
for _ in $(seq 1 600); do grep -q "Delivery URL: " daemon.out daemon.err 2>/dev/null && break; sleep 0.1; done
url=$(grep -ho "Delivery URL: http[^ ]*" daemon.out daemon.err | head -1 | cut -d' ' -f3)
send ', "subject": "Through the daemon"'
mid4=$(field "$sent" d.messageId) eid4=$(field "$sent" d.emailMessageId)
id4="accord-hl.$mid4.$eid4@corp.example"
[ -n "$url" ] && [ "$(field "$sent" d.status)" = 200 ] && [ "$(in_sink "$id4")" = 1 ] && [ "$(statuses "$mid4")" = delivered ] &&
  ok daemon-serves-the-delivery-url || bad daemon-serves-the-delivery-url "url=$url" "$sent" "$(tail -5 daemon.err)" "$(tail -5 daemon.out)"
kill "$daemon_pid"; ended "$daemon_pid"
[ "$died" = 0 ] && ok daemon-stops-cleanly || bad daemon-stops-cleanly "exit $died" "$(tail -5 daemon.err)"
# a provider file without location_id: the daemon does not start (a Delivery
# URL that would send any location's deliveries)
node -e 'const fs=require("fs");const c=JSON.parse(fs.readFileSync("provider-daemon.json"));delete c.location_id;
  fs.writeFileSync("provider-noloc.json", JSON.stringify(c))'
timeout 30 "$accord" daemon mail-crm.pipeline.json --provider provider-noloc.json > noloc.out 2>&1
noloc_rc=$?
[ "$noloc_rc" != 0 ] && [ "$noloc_rc" != 124 ] && grep -q '"location_id" is required' noloc.out && ok provider-file-needs-the-location ||
  bad provider-file-needs-the-location "rc=$noloc_rc" "$(tail -5 noloc.out)"
runp run mail-crm.pipeline.json
journal() { python3 -c 'import sqlite3, sys
for r in sqlite3.connect(sys.argv[1]).execute("SELECT hl_message_id, state FROM email_crm_provider_outbound"): print(*r)' mail-crm.sqlite 2>&1; }
[ "$rc" = 0 ] && ! grep -q "to create" <<<"$out" && [ "$(journal)" = "$mid4 done" ] &&
  ok state-file-shared-with-the-journal || bad state-file-shared-with-the-journal "rc=$rc" "$out" "$(journal | head -3)"

# The provider's settings in the pipeline (email_crm.provider): the same
# keys as the file's, the journal the pipeline's state file, the mailbox
# email_crm.mailbox; checked by accord validate (no secret read), served by
# `accord daemon PIPELINE` without --provider
node -e 'const fs=require("fs");const p=JSON.parse(fs.readFileSync("mail-crm.pipeline.json"));
  const c=JSON.parse(fs.readFileSync("provider-daemon.json"));delete c.journal;delete c.mailbox;
  p.streams[0].email_crm.provider=c;fs.writeFileSync("mail-crm-p.pipeline.json",JSON.stringify(p,null,1));
  c.journal="elsewhere.sqlite";c.smtp_host="x";p.streams[0].email_crm.provider=c;fs.writeFileSync("bad-p.pipeline.json",JSON.stringify(p,null,1))'
runp validate mail-crm-p.pipeline.json
good_rc=$rc
runp validate bad-p.pipeline.json
[ "$good_rc" = 0 ] && [ "$rc" != 0 ] && grep -q "/streams/0/email_crm/provider" <<<"$out" &&
  grep -q 'journal\|smtp_host' <<<"$out" && ok pipeline-provider-checked-by-validate ||
  bad pipeline-provider-checked-by-validate "good rc=$good_rc, bad rc=$rc" "$out"
"$accord" daemon mail-crm-p.pipeline.json > daemon-p.out 2> daemon-p.err &
daemon_pid=$!
pids+=($daemon_pid)
for _ in $(seq 1 600); do grep -q "Delivery URL: " daemon-p.out daemon-p.err 2>/dev/null && break; sleep 0.1; done
url=$(grep -ho "Delivery URL: http[^ ]*" daemon-p.out daemon-p.err | head -1 | cut -d' ' -f3)
send ', "subject": "Through the pipeline'"'"'s provider"'
mid7=$(field "$sent" d.messageId) eid7=$(field "$sent" d.emailMessageId)
id7="accord-hl.$mid7.$eid7@corp.example"
kill "$daemon_pid"; ended "$daemon_pid"
[ -n "$url" ] && [ "$(field "$sent" d.status)" = 200 ] && [ "$(in_sink "$id7")" = 1 ] && [ "$(statuses "$mid7")" = delivered ] &&
  [ "$(journal | grep -c "^$mid7 done")" = 1 ] && grep -q "journal $work/mail-crm.sqlite" daemon-p.err && [ "$died" = 0 ] &&
  [ "$(sqlite3 mail-crm.sqlite "SELECT owner FROM email_crm_provider_outbound WHERE hl_message_id = '$mid7'")" = mail-crm ] &&
  ok pipeline-carries-the-provider || bad pipeline-carries-the-provider "url=$url died=$died" "$sent" "$(journal)" "$(tail -n 5 daemon-p.err)"

# accord status lists the messages whose end is unknown (the journal in the
# pipeline's state file), with what the user does: the reply to the mail
# lost, so "unknown"
node -e 'const fs=require("fs");const c=JSON.parse(fs.readFileSync("provider-drop.json"));c.journal=process.cwd()+"/mail-crm.sqlite";
  fs.writeFileSync("provider-drop-p.json", JSON.stringify(c))'
serve "" provider-drop-p.json
send ', "subject": "Reply lost, status"'
mid8=$(field "$sent" d.messageId) eid8=$(field "$sent" d.emailMessageId)
kill "$tool_pid" 2>/dev/null; wait "$tool_pid" 2>/dev/null
runp status mail-crm-p.pipeline.json
st_text=$out
runp status mail-crm-p.pipeline.json --json
[ "$(journal | grep -c "^$mid8 unknown")" = 1 ] &&
  grep -q "HighLevel message $mid8 to .*ann@client.example.*(unknown.*may have been sent.*flagged copy <accord-hl.$mid8.$eid8@corp.example>.*send it again from HighLevel" <<<"$st_text" &&
  ! grep -q "HighLevel message $mid7" <<<"$st_text" &&
  grep -q '"type":"provider_outbound","highlevel_message_id":"'"$mid8"'"' <<<"$out" &&
  ok status-lists-the-unknown-message || bad status-lists-the-unknown-message "$(journal)" "$st_text" "$out"
exit $fail
