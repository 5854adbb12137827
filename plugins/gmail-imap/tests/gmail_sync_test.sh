#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gmail-imap in Gmail's dialect (X-GM-EXT-1), against the Gmail-dialect fake
# (tests/peers/gmail/gmail_imap_fake.py, IMAPS on a loopback port): the
# conformance kit; one record per message however many labels it has (Gmail
# → Maildir: every message once); labels as mailboxIds, \Important as
# $important, X-GM-THRID as threadId; Gmail ⇄ Gmail between two accounts
# keeps each message's labels; label changes both ways; a delete goes to the
# other account's Trash; nothing to do on re-runs; a config that asks for
# folders on Gmail is refused with the key named.
# Usage: gmail_sync_test.sh ACCORD CONFORMANCE GMAIL_PLUGIN FAKE GEN_MAIL IMAPCTL
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../../../tests/report.sh"  # ok, bad, runp (before any cd)
. "$(dirname "${BASH_SOURCE[0]}")/mail_lib.sh"                # maildir, pipeline
accord=$(realpath "$1") conformance=$(realpath "$2") plugin=$(realpath "$3")
fake=$(realpath "$4") gen=$(realpath "$5") imapctl=$(realpath "$6")
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-gmail.XXXXXX")
fpid=
cleanup() { [ -n "$fpid" ] && kill "$fpid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN=
pw="gmail-canary-$RANDOM$RANDOM" pw2="gmail-canary-$RANDOM$RANDOM"
printf '{"ada": "%s", "bob": "%s"}\n' "$pw" "$pw2" > secrets.json
chmod 600 secrets.json
export ACCORD_SECRETS="$work/secrets.json"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout key.pem -out cert.pem > /dev/null 2>&1
python3 "$fake" cert.pem key.pem "ada:$pw" "bob:$pw2" > fake.out 2>&1 &
fpid=$!
for _ in $(seq 1 100); do grep -q '^imaps ' fake.out && break; sleep 0.1; done
port=$(awk '/^imaps /{print $2}' fake.out)
[ -n "$port" ] || { echo "FAIL the Gmail fake did not start"; cat fake.out; exit 1; }
ca="$work/cert.pem"
ctl() { python3 "$imapctl" "$port" "$ca" "$@"; }
ada() { ctl ada "$pw" "$@"; }
bob() { ctl bob "$pw2" "$@"; }
ALL="[Gmail]/All Mail"
imap() { printf '{"connector": "gmail-imap", "config": {"url": "imaps://localhost:%s", "user": "%s", "password": {"$secret": "%s"}, "ca_file": "%s"%s}}' \
           "$port" "$1" "$1" "$ca" "${2:-}"; }
msgid() { sed -n 's/^Message-ID: *<\(.*\)>.*/\1/Ip' "$1" | head -1; }

# ---- the conformance kit ----------------------------------------------------
# (every check but paging, one batch here, and unreadable-record, no recipe for it)
printf '{"url": "imaps://localhost:%s", "user": "ada", "password": "%s", "ca_file": "%s"}' "$port" "$pw" "$ca" > kit.json
out=$("$conformance" "$plugin" --config kit.json --stream message 2>&1)
grep -q "14 passed, 0 failed, 4 skipped" <<<"$out" && ok "conformance kit (Gmail dialect, labels on)" || bad "kit" "$out"
printf '%s\n' "$out" > all.out

# ---- a mailbox with labels: 12 messages in INBOX, then relabelled ------------
python3 "$gen" 12 src --seed 5 --folders INBOX
files=($(find src -type f -path '*/cur/*' | sort))
for f in "${files[@]}"; do ada append INBOX "$f"; done
m=(); for f in "${files[@]}"; do m+=("$(msgid "$f")"); done
ada store "$ALL" "<${m[0]}>" +X-GM-LABELS 'Work'                       # INBOX + Work
ada store "$ALL" "<${m[1]}>" +X-GM-LABELS 'Work "Lists/dev"'           # INBOX + two labels
ada store "$ALL" "<${m[2]}>" -X-GM-LABELS '\Inbox'                     # archived: All Mail only
ada store "$ALL" "<${m[3]}>" +X-GM-LABELS '\Important'
ada store "$ALL" "<${m[4]}>" -X-GM-LABELS '\Inbox'
ada store "$ALL" "<${m[4]}>" +X-GM-LABELS 'Work'                       # Work only
cat > reply.eml <<MAIL
Message-ID: <reply-to-first@accord.test>
In-Reply-To: <${m[0]}>
References: <${m[0]}>
Date: Sat, 21 Nov 2026 09:00:00 +0000
From: Bob <bob@example.org>
To: ada@example.org
Subject: Re: the first one

Agreed.
MAIL
ada append "[Gmail]/Sent Mail" reply.eml
total=$(ada count "$ALL")

# ---- Gmail → Maildir: one file per message, not per label ---------------------
pipeline down.json "$(imap ada)" "$(maildir dst)"
runp run down.json
files_dst=$(find dst -path '*/.accord' -prune -o -type f \( -path '*/cur/*' -o -path '*/new/*' \) -print | wc -l)
dups=$(find dst -path '*/.accord' -prune -o -type f -print0 | xargs -0 grep -h -m1 -i '^Message-ID:' | sort | uniq -d | wc -l)
if [ $rc = 0 ] && [ "$files_dst" = "$total" ] && [ "$dups" = 0 ] && [ "$total" = 13 ]; then
  ok "Gmail → Maildir: $total messages (several with two or three labels), each once"
else bad "Gmail → Maildir" "files=$files_dst total=$total dups=$dups" "$out"; fi
in_dir() { grep -l "<$2>" "dst/$1"/cur/* "dst/$1"/new/* 2>/dev/null | head -1; }  # in_dir FOLDER_DIR MSGID
# (Gmail's special folders by their SPECIAL-USE flags, whatever the account's language,
# kept in Maildir++'s usual folders: .All Mail, .Sent; no directory named with a backslash)
if [ -n "$(in_dir "" "${m[0]}")" ] && [ -n "$(in_dir .Work "${m[4]}")" ] && [ -n "$(in_dir '.All Mail' "${m[2]}")" ] &&
   [ -n "$(in_dir .Sent reply-to-first@accord.test)" ] && ! ls -a dst | grep -qF '\'; then
  ok "each message in its first mailbox: INBOX, a label, All Mail (\\All) when archived, Sent Mail (\\Sent)"
else bad "Maildir folders" "$(cd dst && find . -type f | head -20)"; fi
runp run down.json
grep -q "nothing to do" <<<"$out" && ok "Gmail → Maildir: nothing to do again" || bad "down second run" "$out"
read -r n att differ < <(structure down.sqlite 2>differs.txt)
[ "$n" = 13 ] && [ "$differ" = 0 ] && ok "body structure and attachments alike from the Gmail fake and from the files ($att with attachments)" ||
  bad "body structure differs" "pairs=$n with-attachments=$att differing=$differ" "$(cat differs.txt)"

# threadId from X-GM-THRID, $important from \Important: as the state holds the records read
thread=$(python3 - down.sqlite "${m[0]}" "${m[1]}" "${m[3]}" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
recs = {}
for (data,) in db.execute("SELECT data FROM mirror WHERE side = 'left'"):
    d = json.loads(data)
    recs[d["messageId"][0]] = d
first, second, third = (recs[k] for k in sys.argv[2:5])
reply = recs["reply-to-first@accord.test"]
print("same" if reply.get("threadId") == first.get("threadId") and first.get("threadId") else "differ",
      "apart" if second.get("threadId") not in (None, first.get("threadId")) else "joined",
      "important" if third["keywords"].get("$important") else "plain",
      " ".join(first["mailboxIds"]), "|", " ".join(second["mailboxIds"]))
PY
)
if [ "$thread" = "same apart important INBOX Work | INBOX Lists/dev Work" ]; then
  ok "X-GM-THRID → threadId (a reply shares its thread), \\Important → \$important, labels → mailboxIds"
else bad "threadId/labels in the record" "$thread"; fi

# ---- Gmail ⇄ Gmail: labels travel ---------------------------------------------
pipeline mig.json "$(imap ada)" "$(imap bob)"
runp run mig.json
if [ $rc = 0 ] && [ "$(bob count "$ALL")" = "$total" ] && diff <(ada labels "$ALL") <(bob labels "$ALL") > labels.diff; then
  ok "Gmail ⇄ Gmail: every message once in the other account, with the same labels"
else bad "Gmail ⇄ Gmail" "bob has $(bob count "$ALL") of $total" "$(cat labels.diff)" "$out"; fi
[ "$(bob count Work)" = 3 ] && [ "$(bob count INBOX)" = "$(ada count INBOX)" ] && ok "label folders fill from the labels (Work: 3)" ||
  bad "label folders" "Work=$(bob count Work) INBOX=$(bob count INBOX)/$(ada count INBOX)"
runp run mig.json
grep -q "nothing to do" <<<"$out" && ok "Gmail ⇄ Gmail: nothing to do again" || bad "mig second run" "$out"

# label changes both ways
ada store "$ALL" "<${m[5]}>" +X-GM-LABELS 'Travel'
bob store "$ALL" "<${m[1]}>" -X-GM-LABELS '"Lists/dev"'
bob store "$ALL" "<${m[6]}>" +FLAGS '\Flagged'
runp run mig.json
if diff <(ada labels "$ALL") <(bob labels "$ALL") > labels.diff && grep -q "^${m[5]} .*Travel" <(bob labels "$ALL") &&
   ! grep -q "^${m[1]} .*Lists/dev" <(ada labels "$ALL") && grep -q 'Flagged' <<<"$(ada flags "$ALL" "<${m[6]}>")"; then
  ok "a label added on one side and one removed on the other, and a star, reach the other account"
else bad "label changes" "$(cat labels.diff)" "$out"; fi

# a message deleted in one account goes to the other's Trash
ada store "$ALL" "<${m[7]}>" +FLAGS '\Deleted'
python3 - "$port" "$ca" "$pw" "${m[7]}" <<'PY'
import imaplib, ssl, sys
port, ca, pw, mid = sys.argv[1:]
m = imaplib.IMAP4_SSL("localhost", int(port), ssl_context=ssl.create_default_context(cafile=ca))
m.login("ada", pw)
m.select('"[Gmail]/All Mail"')
uid = m.uid("SEARCH", None, "HEADER", "Message-ID", mid)[1][0].split()[0]
m.uid("MOVE", uid, '"[Gmail]/Trash"')
PY
runp run mig.json
if ! bob msgids "$ALL" | grep -qx "${m[7]}" && bob msgids "[Gmail]/Trash" | grep -qx "${m[7]}"; then
  ok "a message trashed in one account is moved to the other's Trash"
else bad "delete → Trash" "$out"; fi
runp run mig.json
grep -q "nothing to do" <<<"$out" && ok "and then nothing to do" || bad "after changes" "$out"

# ---- config: folders do not apply with labels on ------------------------------
pipeline bad.json "$(imap ada ', "folders": ["INBOX"]')" "$(maildir bad)"
runp run bad.json
[ $rc != 0 ] && grep -q 'gmail_labels' <<<"$out" && grep -q '"folders"' <<<"$out" &&
  ok "\"folders\" on Gmail with labels is refused, naming the key and the way out" || bad "folders on Gmail" "$out"
pipeline off.json "$(imap ada ', "gmail_labels": "off", "folders": ["Work"]')" "$(maildir off)"
runp run off.json
[ $rc = 0 ] && [ "$(find off -type f \( -path '*/cur/*' -o -path '*/new/*' \) | wc -l)" = "$(ada count Work)" ] &&
  ok "gmail_labels off: label folders sync as folders (Work: $(ada count Work))" || bad "labels off" "$out" "$(find off -type f)"

# ---- OAuth 2.0: access tokens renewed with a refresh token --------------------
# A second fake with a token endpoint that rotates refresh tokens (as
# Microsoft's does; Google's keeps them): cy signs in with XOAUTH2 only.
rt="1//cy-canary-$RANDOM$RANDOM" cs="cs-canary-$RANDOM$RANDOM" cypw="cy-canary-$RANDOM$RANDOM"
python3 "$fake" cert.pem key.pem --rotate --refresh "cy:$rt" "cy:$cypw" > fake2.out 2>&1 &
fpid2=$!
trap 'kill "$fpid2" 2>/dev/null; cleanup' EXIT
for _ in $(seq 1 100); do grep -q '^token ' fake2.out && break; sleep 0.1; done
port2=$(awk '/^imaps /{print $2}' fake2.out) tport=$(awk '/^token /{print $2}' fake2.out)
[ -n "$tport" ] || { bad "the second fake did not start" "$(cat fake2.out)"; }
printf '{"ada": "%s", "bob": "%s", "cy_client": "%s", "cy_refresh": "%s", "cy_stale": "ya29.stale"}\n' "$pw" "$pw2" "$cs" "$rt" > secrets.json
cy() { python3 "$imapctl" "$port2" "$ca" cy "$cypw" "$@"; }
endpoint() { curl -s --cacert "$ca" -X POST "https://localhost:$tport/$1" > /dev/null; }
oauth='"oauth2": {"token_url": "https://localhost:'$tport'/token", "client_id": "accord-test", "client_secret": {"$secret": "cy_client"}, "refresh_token_secret": "cy_refresh"}'
cyimap() { printf '{"connector": "gmail-imap", "config": {"url": "imaps://localhost:%s", "user": "cy", %s, "ca_file": "%s"%s}}' "$port2" "$oauth" "$ca" "${1:-}"; }
for f in "${files[@]:0:3}"; do cy append INBOX "$f"; done
pipeline oauth.json "$(cyimap)" "$(maildir cymail)"
runp run oauth.json
n=$(find cymail -type f \( -path '*/cur/*' -o -path '*/new/*' \) | wc -l)
rt2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cy_refresh"])' secrets.json)
[ $rc = 0 ] && [ "$n" = 3 ] && [ "$rt2" != "$rt" ] && [ -n "$rt2" ] &&
  ok "oauth2: an access token from the refresh token signs in (3 messages), and the rotated refresh token is written back to the secrets file" ||
  bad "oauth2 first run: rc=$rc messages=$n" "$out"
endpoint expire   # every access token issued so far stops working
cy append INBOX "${files[3]}"
pipeline oauth2.json "$(cyimap ', "oauth2_token": {"$secret": "cy_stale"}')" "$(maildir cymail)"
sed -i 's/"state": "oauth2.sqlite"/"state": "oauth.sqlite"/; s/"name": "oauth2"/"name": "oauth"/' oauth2.json  # the same pipeline, a stale token
runp run oauth2.json
n=$(find cymail -type f \( -path '*/cur/*' -o -path '*/new/*' \) | wc -l)
[ $rc = 0 ] && [ "$n" = 4 ] && ok "oauth2: a refused access token is renewed once and the run goes on (the new message arrives)" ||
  bad "oauth2 renewal: rc=$rc messages=$n" "$out"
runp run oauth.json
grep -q "nothing to do" <<<"$out" && ok "oauth2: the next run signs in with the rotated refresh token" || bad "oauth2 rotated" "$out"
endpoint revoke   # the user withdrew the app's access
runp run oauth.json
[ $rc != 0 ] && grep -q "invalid_grant" <<<"$out" && grep -q "sign in to the mail account again" <<<"$out" && grep -q "localhost:$tport/token" <<<"$out" &&
  ok "oauth2: a revoked refresh token stops the run, naming the endpoint, the service's answer and what to do" ||
  bad "oauth2 revoked: rc=$rc" "$out"
pipeline oauthbad.json "$(cyimap | sed 's|https://localhost|http://example.org|')" "$(maildir cybad)"
runp validate oauthbad.json
v_rc=$rc v_out=$out
runp run oauthbad.json
[ $v_rc = 3 ] && grep -q "oauth2/token_url" <<<"$v_out" && [ $rc != 0 ] && grep -q "token_url" <<<"$out" && grep -q "https://" <<<"$out" &&
  ok "oauth2: a token_url that would send the refresh token unencrypted off this machine is refused (validate and run)" ||
  bad "oauth2 http token_url" "$v_out" "$out"
rt3=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cy_refresh"])' secrets.json)
if grep -rqa -e "$rt" -e "$rt2" -e "$rt3" -e "$cs" -e "ya29.fake-" all.out ./*.sqlite 2>/dev/null; then bad "an OAuth2 token or the client secret appears in output or state"
else ok "no refresh token, access token or client secret appears in any output or state"; fi

if grep -rqa -e "$pw" -e "$pw2" all.out ./*.sqlite 2>/dev/null; then bad "a password appears in output or state"
else ok "the passwords appear in no output and no state"; fi
exit $fail
