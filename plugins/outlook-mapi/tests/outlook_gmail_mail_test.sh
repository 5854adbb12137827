#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The examples/outlook-google recipe's mail part (outlook-gmail-mail.pipeline.json)
# end to end against tests/peers/msgraph_fake.js and the Gmail-dialect IMAP fake
# (tests/peers/gmail/gmail_imap_fake.py, its token endpoint for OAuth 2.0), both
# on loopback: the pipeline as shipped, its URLs pointed at the fakes. Outlook's
# Inbox, Sent Items and a folder "Work" reach Gmail as INBOX, \Sent and the label
# Work; Gmail's INBOX and Sent Mail reach Outlook's Inbox and Sent Items; a Gmail
# message with two labels (INBOX and Work) is one Outlook message in one folder
# and keeps both labels on Gmail, the folder chosen by a fixed rule (mail_map.hpp
# folder_of); Gmail's archived mail is Outlook's Archive and back, archiving in
# either a move in the other (archived in Outlook, a message under INBOX and
# Work keeps Work on Gmail, as Gmail's own Archive leaves it; one archived from
# the folder Sub loses the label INBOX/Sub, one moved from Work to Personal loses
# Work and gains Personal, each keeping any label Outlook never showed: the
# update's "was" names what Outlook showed before); read and flag
# changes travel both ways; each
# message exists once on each side; a second run has nothing to do.
#
# Usage: outlook_gmail_mail_test.sh ACCORD PEERS_DIR RECIPE_DIR IMAPCTL
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../../../tests/report.sh"  # ok, bad, runp
accord=$(realpath "$1") peers=$(realpath "$2") recipe=$(realpath "$3") imapctl=$(realpath "$4")
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-outlook-gmail.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN=

ms_refresh="ms-rt-$RANDOM$RANDOM" ms_token="ms-at-$RANDOM$RANDOM"
g_secret="g-cs-$RANDOM$RANDOM" g_refresh="1//g-rt-$RANDOM$RANDOM" g_pw="g-pw-$RANDOM$RANDOM"
MSGRAPH_CLIENT_ID=00000000-0000-0000-0000-000000000000 MSGRAPH_USER=ada@contoso.com MSGRAPH_REFRESH_TOKEN=$ms_refresh \
  MSGRAPH_TOKEN=$ms_token node "$peers/msgraph_fake.js" > ms.out 2> ms.err &
pids+=($!)
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout key.pem -out cert.pem > /dev/null 2>&1
python3 "$peers/gmail/gmail_imap_fake.py" cert.pem key.pem --refresh "ada@example.com:$g_refresh" "ada@example.com:$g_pw" > g.out 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^port ' ms.out 2>/dev/null && grep -q '^token ' g.out 2>/dev/null && break; sleep 0.1; done
ms="http://127.0.0.1:$(awk '/^port /{print $2}' ms.out)"
gport=$(awk '/^imaps /{print $2}' g.out) tport=$(awk '/^token /{print $2}' g.out)
[ -n "$gport" ] && [ -n "$tport" ] || { echo "FAIL the fakes did not start"; cat ms.out ms.err g.out; exit 1; }
ca="$work/cert.pem" ALL="[Gmail]/All Mail"
msapi() { curl -s -X"$1" -H "Authorization: Bearer $ms_token" -H 'Prefer: IdType="ImmutableId"' -H 'Content-Type: application/json' ${3:+-d "$3"} "$ms/v1.0$2"; }
gm() { python3 "$imapctl" "$gport" "$ca" ada@example.com "$g_pw" "$@"; }
# js EXPR over m (the mailbox's dump)
js() { node -e 'const m=JSON.parse(process.argv[1]);console.log(eval(process.argv[2]))' "$(curl -s "$ms/__dump")" "$1"; }
idof() { js "const c=$1; 'AAkALg'+Buffer.from(c.key).toString('base64').replace(/\\+/g,'-').replace(/\\//g,'_')"; }
# the Outlook folder (display name) each message with this subject is in, sorted, comma-separated
ms_where() { js "Object.values(m.messages).filter(x=>!x.deleted&&x.data.subject==='$1').map(x=>(m.folders[x.parent]||{}).displayName).sort().join()"; }
mail() {  # mail FILE MSGID SUBJECT: a plain message
  printf 'Message-ID: <%s>\r\nDate: Sun, 01 Mar 2026 10:00:00 +0100\r\nFrom: Bob <bob@example.org>\r\nTo: ada@example.com\r\nSubject: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBody of %s\r\n' \
    "$2" "$3" "$3" > "$1"
}
deliver() { curl -s -XPOST -H 'Content-Type: application/json' -d "{\"folder\": \"$1\", \"mime\": \"$(base64 -w0 "$2")\"}" "$ms/__deliver" > /dev/null; }

# the recipe as shipped, pointed at the fakes
printf '{"outlook_refresh_token": "%s", "gmail_refresh_token": "%s", "google_client_secret": "%s"}\n' "$ms_refresh" "$g_refresh" "$g_secret" > secrets.json
chmod 600 secrets.json
export ACCORD_SECRETS="$work/secrets.json"
node -e '
const f=require("fs"),p=JSON.parse(f.readFileSync(process.argv[1]));const [ms,gport,tport,ca]=process.argv.slice(2);
Object.assign(p.left.config,{graph_url:ms+"/v1.0",login_url:ms,page_size:5});
Object.assign(p.right.config,{url:"imaps://localhost:"+gport,ca_file:ca});p.right.config.oauth2.token_url="https://localhost:"+tport+"/token";
f.writeFileSync("mail.pipeline.json",JSON.stringify(p,null,1))' "$recipe/outlook-gmail-mail.pipeline.json" "$ms" "$gport" "$tport" "$ca"

# Outlook: a message in the Inbox, one in Sent Items, one in a folder Work of its own
workf=$(msapi POST /me/mailFolders '{"displayName": "Work"}' | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).id||"")')
mail o1.eml o-inbox@example.org "Outlook inbox"; deliver inbox o1.eml
mail o2.eml o-sent@example.org "Outlook sent"; deliver sentitems o2.eml
mail o3.eml o-work@example.org "Outlook work"; deliver "$workf" o3.eml
[ "$(ms_where 'Outlook work')" = Work ] || { echo "FAIL the fake did not take the folder Work"; js "JSON.stringify(Object.values(m.folders).map(f=>f.displayName))"; exit 1; }
# Gmail: one in INBOX, one in Sent Mail, one with two labels (INBOX and Work)
mail g1.eml g-inbox@example.com "Gmail inbox"; gm append INBOX g1.eml
mail g2.eml g-sent@example.com "Gmail sent"; gm append "[Gmail]/Sent Mail" g2.eml
mail g3.eml g-two@example.com "Gmail two labels"; gm append INBOX g3.eml
gm store "$ALL" "<g-two@example.com>" +X-GM-LABELS 'Work'
# one message on both sides already (the same Message-ID): paired, not copied
mail b.eml both@example.org "Outlook and Gmail both"; deliver inbox b.eml; gm append INBOX b.eml
gm labels "$ALL" > labels0.txt
grep -q '^g-two@example.com .*INBOX.*Work' labels0.txt || grep -q '^g-two@example.com .*Work.*Inbox' labels0.txt ||
  { echo "FAIL the Gmail fake did not take two labels"; cat labels0.txt; exit 1; }

runp run mail.pipeline.json
gm labels "$ALL" > labels1.txt
lab() { sed -n "s/^$1 //p" labels1.txt; }
[ $rc = 0 ] && [[ "$(lab o-inbox@example.org)" == *Inbox* ]] && [[ "$(lab o-sent@example.org)" == *Sent* ]] && [ "$(lab o-work@example.org)" = Work ] \
  && [ "$(gm count INBOX)" = 4 ] && [ "$(gm count Work)" = 2 ] \
  && ok "outlook-inbox-sent-and-folder-reach-gmail-as-INBOX-Sent-Mail-and-label" || bad outlook-folders-reach-gmail "rc=$rc" "$(cat labels1.txt)" "$out"
[ "$(ms_where 'Gmail inbox')" = Inbox ] && [ "$(ms_where 'Gmail sent')" = "Sent Items" ] \
  && ok gmail-inbox-and-sent-mail-reach-outlook-inbox-and-sent-items || bad gmail-folders-reach-outlook "inbox=$(ms_where 'Gmail inbox') sent=$(ms_where 'Gmail sent')" "$out"
# a message with two labels: one Outlook message, in one folder (the first of its labels, INBOX); Gmail keeps both labels
two=$(ms_where 'Gmail two labels')
[ "$two" = Inbox ] && [[ "$(lab g-two@example.com)" == *Inbox*Work* || "$(lab g-two@example.com)" == *Work*Inbox* ]] \
  && ok "two-labels-one-outlook-message-in-its-first-folder-gmail-keeps-both" || bad two-labels "outlook folders: '$two'" "gmail: $(lab g-two@example.com)" "$out"
# nothing twice: each Message-ID once in All Mail and once in Outlook (the one on both sides paired)
dups_g=$(gm msgids "$ALL" | sort | uniq -d | wc -l) n_g=$(gm count "$ALL")
dups_m=$(js "Object.values(m.messages).filter(x=>!x.deleted&&/^(Outlook|Gmail) /.test(x.data.subject)).map(x=>x.data.subject).sort().filter((s,i,a)=>a[i-1]===s).length")
n_m=$(js "Object.values(m.messages).filter(x=>!x.deleted&&/^(Outlook|Gmail) /.test(x.data.subject)).length")
[ "$n_g" = 7 ] && [ "$dups_g" = 0 ] && [ "$n_m" = 7 ] && [ "$dups_m" = 0 ] && ok no-duplicates-either-side || bad duplicates "gmail=$n_g dups=$dups_g outlook=$n_m dups=$dups_m"
runp run mail.pipeline.json
[ $rc = 0 ] && grep -q "nothing to do" <<<"$out" && ok second-run-nothing-to-do || bad second-run-nothing-to-do "$out"

# read and flag: flagged and read in Outlook, starred and read in Gmail
h=$(idof "Object.values(m.messages).find(x=>!x.deleted&&x.data.subject==='Gmail inbox')")
msapi PATCH "/me/messages/$h" '{"isRead": true, "flag": {"flagStatus": "flagged"}}' > /dev/null
gm store INBOX "<o-inbox@example.org>" +FLAGS '\Seen \Flagged'
runp run mail.pipeline.json
gflags=$(gm flags INBOX "<g-inbox@example.com>")
[ $rc = 0 ] && [[ "$gflags" == *'\Seen'* ]] && [[ "$gflags" == *'\Flagged'* ]] \
  && ok outlook-read-and-flag-reach-gmail || bad outlook-read-and-flag-reach-gmail "rc=$rc flags=$gflags" "$out"
[ "$(js "const x=Object.values(m.messages).find(x=>!x.deleted&&x.data.subject==='Outlook inbox');x.data.isRead===true&&x.data.flag.flagStatus==='flagged'")" = true ] \
  && ok gmail-read-and-star-reach-outlook || bad gmail-read-and-star-reach-outlook "$out" "$(js "JSON.stringify(Object.values(m.messages).find(x=>x.data.subject==='Outlook inbox').data)" | head -c 300)"
runp run mail.pipeline.json
[ $rc = 0 ] && grep -q "nothing to do" <<<"$out" && ok nothing-to-do-after-flags || bad nothing-to-do-after-flags "$out"
gm labels "$ALL" > labels1.txt
[[ "$(lab g-two@example.com)" == *Inbox*Work* || "$(lab g-two@example.com)" == *Work*Inbox* ]] && [ "$(ms_where 'Gmail two labels')" = Inbox ] \
  && ok two-labels-still-both-after-runs || bad two-labels-still-both-after-runs "$(lab g-two@example.com)"

# a move in Outlook (Inbox → Work) is a label change on Gmail: INBOX off, Work on; the message with two labels
# moved out of Outlook's Inbox into Work keeps Work only; a label added on Gmail to a message Outlook has in its
# Inbox leaves it there (Outlook keeps one folder; the plan says the label stays behind) and Gmail keeps both
o=$(idof "Object.values(m.messages).find(x=>!x.deleted&&x.data.subject==='Outlook inbox')")
msapi POST "/me/messages/$o/move" "{\"destinationId\": \"$workf\"}" > /dev/null
t=$(idof "Object.values(m.messages).find(x=>!x.deleted&&x.data.subject==='Gmail two labels')")
msapi POST "/me/messages/$t/move" "{\"destinationId\": \"$workf\"}" > /dev/null
gm store "$ALL" "<g-inbox@example.com>" +X-GM-LABELS 'Work'
runp run mail.pipeline.json
gm labels "$ALL" > labels1.txt
[ $rc = 0 ] && [ "$(lab o-inbox@example.org)" = 'Work \\Starred' ] && [ "$(lab g-two@example.com)" = Work ] \
  && ok outlook-moves-are-gmail-label-changes || bad outlook-moves-are-gmail-label-changes "rc=$rc" "$(cat labels1.txt)" "$out"
[ "$(ms_where 'Gmail inbox')" = Inbox ] && [ "$(lab g-inbox@example.com)" = 'Work \\Inbox \\Starred' ] && grep -q 'stays behind.*/mailboxIds/Work' <<<"$out" \
  && ok gmail-label-added-outlook-keeps-its-folder-gmail-both-labels || bad gmail-label-added "outlook: $(ms_where 'Gmail inbox')" "$(cat labels1.txt)" "$out"
runp run mail.pipeline.json
[ $rc = 0 ] && grep -q "nothing to do" <<<"$out" && ok nothing-to-do-after-moves || bad nothing-to-do-after-moves "$out"

# archives: Gmail's archived mail (All Mail only, mailboxIds \All) is Outlook's Archive (Graph's well-known
# folder "archive") and back: archiving in either is a move in the other. An Inbox subfolder is the label INBOX/Sub.
mail g4.eml g-arch@example.com "Gmail archived"; gm append INBOX g4.eml
gm store "$ALL" "<g-arch@example.com>" -X-GM-LABELS '\Inbox'
mail o4.eml o-arch@example.org "Outlook archived"; deliver archive o4.eml
subf=$(msapi POST /me/mailFolders/inbox/childFolders '{"displayName": "Sub"}' | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).id||"")')
mail o5.eml o-sub@example.org "Outlook sub"; deliver "$subf" o5.eml
# one more under INBOX and the label Work (archived in Outlook below: Gmail's archive takes INBOX off, keeps Work)
mail g6.eml g-iw@example.com "Gmail inbox work"; gm append INBOX g6.eml
gm store "$ALL" "<g-iw@example.com>" +X-GM-LABELS 'Work'
runp run mail.pipeline.json
gm labels "$ALL" > labels1.txt
[ "$(ms_where 'Gmail inbox work')" = Inbox ] && [[ "$(lab g-iw@example.com)" == *Work*Inbox* ]] \
  && ok gmail-inbox-and-work-is-outlook-inbox || bad gmail-inbox-and-work-is-outlook-inbox "outlook: $(ms_where 'Gmail inbox work')" "$(cat labels1.txt)"
[ $rc = 0 ] && [ "$(ms_where 'Gmail archived')" = Archive ] && ok gmail-archived-mail-reaches-outlook-archive || bad gmail-archived-mail-reaches-outlook-archive "rc=$rc $(ms_where 'Gmail archived')" "$out"
[ $rc = 0 ] && grep -q '^o-arch@example.org $' labels1.txt && [ "$(lab o-sub@example.org)" = INBOX/Sub ] \
  && ok outlook-archive-is-gmail-archived-inbox-subfolder-a-label || bad outlook-archive-and-subfolder "$(cat labels1.txt)" "$out"
runp run mail.pipeline.json
[ $rc = 0 ] && grep -q "nothing to do" <<<"$out" && ok nothing-to-do-after-archives || bad nothing-to-do-after-archives "$out"
# archived in Gmail after it was synced (Sent Mail's label taken off, the Inbox's too): moved to Outlook's Archive
gm store "$ALL" "<g-sent@example.com>" -X-GM-LABELS '\Sent'
gm store "$ALL" "<g-inbox@example.com>" -X-GM-LABELS '\Inbox Work'
runp run mail.pipeline.json
[ $rc = 0 ] && [ "$(ms_where 'Gmail sent')" = Archive ] && [ "$(ms_where 'Gmail inbox')" = Archive ] \
  && ok gmail-archived-after-sync-moves-to-outlook-archive || bad gmail-archived-after-sync "rc=$rc sent=$(ms_where 'Gmail sent') inbox=$(ms_where 'Gmail inbox')" "$out"
runp run mail.pipeline.json
[ $rc = 0 ] && grep -q "nothing to do" <<<"$out" && ok nothing-to-do-after-gmail-archived || bad nothing-to-do-after-gmail-archived "$out"
# and back: Gmail's archived message put in the Inbox again leaves Outlook's Archive for its Inbox; in Outlook,
# a message archived (Inbox → Archive) loses Gmail's INBOX, and one taken out of Archive into Work gets the label.
# Archiving in Outlook a message Gmail has under INBOX and Work takes INBOX off and keeps Work, as Gmail's own
# Archive does (review s10 O1: every label was taken off)
iw=$(idof "Object.values(m.messages).find(x=>!x.deleted&&x.data.subject==='Gmail inbox work')")
msapi POST "/me/messages/$iw/move" '{"destinationId": "archive"}' > /dev/null
# One moved into Archive from Inbox/Sub loses the label INBOX/Sub: the update's "was" names the folder it left
# (issue 26; before it, the write named only \Archive and Gmail kept INBOX/Sub)
sb=$(idof "Object.values(m.messages).find(x=>!x.deleted&&x.data.subject==='Outlook sub')")
msapi POST "/me/messages/$sb/move" '{"destinationId": "archive"}' > /dev/null
gm store "$ALL" "<g-arch@example.com>" +X-GM-LABELS '\Inbox'
b=$(idof "Object.values(m.messages).find(x=>!x.deleted&&x.data.subject==='Outlook and Gmail both')")
msapi POST "/me/messages/$b/move" '{"destinationId": "archive"}' > /dev/null
a=$(idof "Object.values(m.messages).find(x=>!x.deleted&&x.data.subject==='Outlook archived')")
msapi POST "/me/messages/$a/move" "{\"destinationId\": \"$workf\"}" > /dev/null
runp run mail.pipeline.json
gm labels "$ALL" > labels1.txt
[ $rc = 0 ] && [ "$(ms_where 'Gmail archived')" = Inbox ] && [[ "$(lab g-arch@example.com)" == *Inbox* ]] \
  && ok gmail-unarchived-leaves-outlook-archive-for-inbox || bad gmail-unarchived "rc=$rc $(ms_where 'Gmail archived')" "$(cat labels1.txt)" "$out"
[ $rc = 0 ] && grep -q '^both@example.org $' labels1.txt && [ "$(lab o-arch@example.org)" = Work ] \
  && ok outlook-archive-and-unarchive-are-gmail-label-changes || bad outlook-archive-and-unarchive "$(cat labels1.txt)" "$out"
[ $rc = 0 ] && [ "$(lab g-iw@example.com)" = Work ] && [ "$(ms_where 'Gmail inbox work')" = Archive ] \
  && ok outlook-archive-takes-off-inbox-only-gmail-keeps-work || bad outlook-archive-takes-off-inbox-only-gmail-keeps-work "gmail: '$(lab g-iw@example.com)' outlook: $(ms_where 'Gmail inbox work')" "$out"
[ $rc = 0 ] && grep -q '^o-sub@example.org $' labels1.txt && [ "$(ms_where 'Outlook sub')" = Archive ] \
  && ok outlook-archive-from-a-label-folder-takes-that-label-off || bad outlook-archive-from-a-label-folder-takes-that-label-off "gmail: '$(lab o-sub@example.org)' outlook: $(ms_where 'Outlook sub')" "$out"
runp run mail.pipeline.json
[ $rc = 0 ] && grep -q "nothing to do" <<<"$out" && ok nothing-to-do-after-unarchive || bad nothing-to-do-after-unarchive "$out"
# starred on Gmail afterwards: the star reaches Outlook, the message stays in Archive, Gmail keeps Work
gm store "$ALL" "<g-iw@example.com>" +FLAGS '\Flagged'
runp run mail.pipeline.json
gm labels "$ALL" > labels1.txt
[ $rc = 0 ] && [ "$(ms_where 'Gmail inbox work')" = Archive ] && [[ "$(lab g-iw@example.com)" == Work* ]] && [[ "$(lab g-iw@example.com)" != *Inbox* ]] \
  && [ "$(js "Object.values(m.messages).find(x=>!x.deleted&&x.data.subject==='Gmail inbox work').data.flag.flagStatus")" = flagged ] \
  && ok archived-with-work-starred-on-gmail-stays-in-outlook-archive || bad archived-with-work-starred "rc=$rc outlook: $(ms_where 'Gmail inbox work')" "gmail: $(lab g-iw@example.com)" "$out"
runp run mail.pipeline.json
[ $rc = 0 ] && grep -q "nothing to do" <<<"$out" && ok nothing-to-do-after-star || bad nothing-to-do-after-star "$out"

# two labels, which folder wins (mail_map.hpp folder_of): INBOX, \Sent, \Drafts, then the folder the message is
# in now when Gmail still names it, then the others by byte order, whatever order a record holds them in.
# A label added on Gmail ("Alpha", which sorts before "Work") to the message Outlook has in Work moves nothing;
# a new Gmail message with the labels Zeta and Beta (no INBOX) goes into Beta.
gm store "$ALL" "<o-work@example.org>" +X-GM-LABELS 'Alpha'
mail g5.eml g-zb@example.com "Gmail zeta beta"; gm append INBOX g5.eml
gm store "$ALL" "<g-zb@example.com>" +X-GM-LABELS 'Zeta Beta'
gm store "$ALL" "<g-zb@example.com>" -X-GM-LABELS '\Inbox'
runp run mail.pipeline.json
gm labels "$ALL" > labels1.txt
[ $rc = 0 ] && [ "$(ms_where 'Outlook work')" = Work ] && [ "$(lab o-work@example.org)" = 'Alpha Work' ] \
  && ok label-added-on-gmail-moves-nothing-in-outlook || bad label-added-on-gmail-moves-nothing-in-outlook "rc=$rc outlook: $(ms_where 'Outlook work')" "$(cat labels1.txt)" "$out"
[ $rc = 0 ] && [ "$(ms_where 'Gmail zeta beta')" = Beta ] && [ "$(lab g-zb@example.com)" = 'Beta Zeta' ] \
  && ok two-new-labels-first-by-byte-order || bad two-new-labels "rc=$rc outlook: $(ms_where 'Gmail zeta beta')" "$(cat labels1.txt)" "$out"
runp run mail.pipeline.json
[ $rc = 0 ] && grep -q "nothing to do" <<<"$out" && ok nothing-to-do-after-two-labels || bad nothing-to-do-after-two-labels "$out"

# moves in Outlook of messages Gmail has under a label Outlook does not show (issue 26, the update's "was"):
# Work → Personal takes Work off and puts Personal on, Alpha stays; Beta → Archive takes Beta off, Zeta stays
persf=$(msapi POST /me/mailFolders '{"displayName": "Personal"}' | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).id||"")')
ow=$(idof "Object.values(m.messages).find(x=>!x.deleted&&x.data.subject==='Outlook work')")
msapi POST "/me/messages/$ow/move" "{\"destinationId\": \"$persf\"}" > /dev/null
zb=$(idof "Object.values(m.messages).find(x=>!x.deleted&&x.data.subject==='Gmail zeta beta')")
msapi POST "/me/messages/$zb/move" '{"destinationId": "archive"}' > /dev/null
runp run mail.pipeline.json
gm labels "$ALL" > labels1.txt
[ $rc = 0 ] && [ "$(lab o-work@example.org)" = 'Alpha Personal' ] && [ "$(ms_where 'Outlook work')" = Personal ] \
  && ok outlook-move-work-to-personal-is-that-label-change-only || bad outlook-move-work-to-personal-is-that-label-change-only "rc=$rc gmail: '$(lab o-work@example.org)' outlook: $(ms_where 'Outlook work')" "$out"
[ $rc = 0 ] && [ "$(lab g-zb@example.com)" = Zeta ] && [ "$(ms_where 'Gmail zeta beta')" = Archive ] \
  && ok outlook-archive-from-beta-takes-beta-off-keeps-zeta || bad outlook-archive-from-beta-takes-beta-off-keeps-zeta "rc=$rc gmail: '$(lab g-zb@example.com)' outlook: $(ms_where 'Gmail zeta beta')" "$out"
runp run mail.pipeline.json
[ $rc = 0 ] && grep -q "nothing to do" <<<"$out" && ok nothing-to-do-at-the-end || bad nothing-to-do-at-the-end "$out"
# nothing twice, at the end: 12 messages on Gmail (All Mail), 12 in Outlook
dups_g=$(gm msgids "$ALL" | sort | uniq -d | wc -l) n_g=$(gm count "$ALL")
dups_m=$(js "Object.values(m.messages).filter(x=>!x.deleted&&/^(Outlook|Gmail) /.test(x.data.subject)).map(x=>x.data.subject).sort().filter((s,i,a)=>a[i-1]===s).length")
n_m=$(js "Object.values(m.messages).filter(x=>!x.deleted&&/^(Outlook|Gmail) /.test(x.data.subject)).length")
[ "$n_g" = 12 ] && [ "$dups_g" = 0 ] && [ "$n_m" = 12 ] && [ "$dups_m" = 0 ] && ok no-duplicates-at-the-end || bad no-duplicates-at-the-end "gmail=$n_g dups=$dups_g outlook=$n_m dups=$dups_m"
exit $fail
