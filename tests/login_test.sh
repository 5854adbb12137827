#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `accord login` (issue 27) against the fakes' authorization and token
# endpoints (tests/peers/google_fake.js, msgraph_fake.js), started here on
# loopback. curl plays the browser: it follows the printed address to the
# fake's authorization endpoint, whose redirect brings the code to accord's
# loopback listener. Checked: the refresh token lands in the secrets file
# (0600) and the fake honours it; PKCE verified by the fake (the code
# redeemed with another verifier is refused, then accord's own verifier is
# taken); a redirect with another state refused, nothing stored; a --port
# another program holds refused with what to do, nothing stored; the
# redirect address pasted on stdin (--no-browser); Microsoft's device flow;
# Google's device flow refused by name; the 7-day warning of an app in
# "Testing"; a refresh token revoked later: the run fails, `accord status`
# says "needs sign-in" with the exact command, which (run) makes the next
# run sync again, while another pipeline syncs on.
#
# Usage: login_test.sh ACCORD PEERS_DIR
set -u
. "$(dirname "${BASH_SOURCE[0]}")/report.sh"  # ok, bad, runp
accord=$(realpath "$1") peers=$(realpath "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-login.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN= ACCORD_SECRETS="$work/secrets.json"
unset DISPLAY WAYLAND_DISPLAY  # never a browser in a test

# start_fake NAME SCRIPT [ENV…]: the fake's base URL in $base
start_fake() {
  local name=$1 script=$2; shift 2
  env "$@" node "$peers/$script" > "$name.out" 2> "$name.err" &
  pids+=($!)
  for _ in $(seq 1 100); do grep -q '^port ' "$name.out" 2>/dev/null && break; sleep 0.1; done
  local port; port=$(awk '/^port /{print $2}' "$name.out")
  [ -n "$port" ] || { echo "FAIL the fake $name did not start"; cat "$name.err"; exit 1; }
  base="http://127.0.0.1:$port"
}
start_fake google google_fake.js GOOGLE_CLIENT_ID=gcid GOOGLE_CLIENT_SECRET=gsecret GOOGLE_USER=ada@example.com
g=$base
start_fake msgraph msgraph_fake.js MSGRAPH_CLIENT_ID=mcid MSGRAPH_REDIRECT_URIS=http://127.0.0.1,http://localhost
m=$base
printf '{"google_secret": "gsecret"}\n' > secrets.json
chmod 600 secrets.json

# login_bg LOG ARGS…: accord login in the background, stdout+stderr to LOG, its exit code to LOG.rc
login_bg() {
  local log=$1; shift
  ( "$accord" login "$@" > "$log" 2>&1; echo $? > "$log.rc" ) &
  pids+=($!)
}
# url_in LOG PREFIX: waits for the printed authorization address
url_in() {
  local u=
  for _ in $(seq 1 100); do u=$(grep -o "$2[^ ]*" "$1" 2>/dev/null | head -1); [ -n "$u" ] && break; sleep 0.1; done
  printf '%s' "$u"
}
# done_of LOG: waits for accord to end; its exit code
done_of() {
  for _ in $(seq 1 150); do [ -s "$1.rc" ] && break; sleep 0.1; done
  cat "$1.rc" 2>/dev/null || echo none
}
secret_of() { node -e 'const s=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(s[process.argv[2]]||"")' "${3:-secrets.json}" "$1"; }
# refresh_ok TOKEN_URL TOKEN FORM…: the fake takes the refresh token (HTTP 200)
refresh_ok() {
  local url=$1 tok=$2; shift 2
  [ "$(curl -s -o /dev/null -w '%{http_code}' -d grant_type=refresh_token --data-urlencode "refresh_token=$tok" "$@" "$url")" = 200 ]
}
gargs=(google --client-id gcid --client-secret-name google_secret --auth-url "$g/o/oauth2/v2/auth" --token-url "$g/token" --timeout 15)

# -- Google, the browser played by curl: the token in the secrets file, 0600, and honoured
login_bg g1.log "${gargs[@]}" --name google_refresh --streams contact,event
u=$(url_in g1.log "$g/o/oauth2")
page=$(curl -s -L "$u")
rc=$(done_of g1.log)
tok=$(secret_of google_refresh)
[ "$rc" = 0 ] && [ -n "$tok" ] && refresh_ok "$g/token" "$tok" -d client_id=gcid -d client_secret=gsecret \
  && ok google-browser-sign-in-stores-a-working-refresh-token || bad google-browser-sign-in-stores-a-working-refresh-token "rc=$rc tok=$tok" "$(cat g1.log)" "$page"
[ "$(stat -c %a secrets.json)" = 600 ] && [ "$(secret_of google_secret)" = gsecret ] \
  && ok secrets-file-stays-0600-and-keeps-the-others || bad secrets-file-stays-0600-and-keeps-the-others "$(stat -c %a secrets.json)" "$(cat secrets.json)"
case "$u" in
  *code_challenge_method=S256*redirect_uri=*|*redirect_uri=http%3A%2F%2F127.0.0.1%3A*code_challenge_method=S256*) ok url-asks-s256-and-a-127.0.0.1-redirect ;;
  *) bad url-asks-s256-and-a-127.0.0.1-redirect "$u" ;;
esac
# --streams contact,event: those two scopes, no Gmail, no Drive
case "$u" in
  *auth%2Fcontacts*auth%2Fcalendar.events*) case "$u" in *gmail*|*drive*) bad asks-only-the-streams-scopes "$u" ;; *) ok asks-only-the-streams-scopes ;; esac ;;
  *) bad asks-only-the-streams-scopes "$u" ;;
esac
grep -q "refresh_token_secret" g1.log && ! grep -q "$tok" g1.log \
  && ok prints-the-pipeline-snippet-never-the-token || bad prints-the-pipeline-snippet-never-the-token "$(cat g1.log)"

# -- PKCE verified by the fake: the code redeemed with another verifier is refused; accord's own is taken
login_bg g2.log "${gargs[@]}" --name pkce
u=$(url_in g2.log "$g/o/oauth2")
loc=$(curl -s -o /dev/null -w '%{redirect_url}' "$u")
code=$(node -e 'console.log(new URL(process.argv[1]).searchParams.get("code")||"")' "$loc")
redir=$(node -e 'const u=new URL(process.argv[1]);console.log(u.searchParams.get("redirect_uri"))' "$u")
planted=$(curl -s -d grant_type=authorization_code --data-urlencode "code=$code" --data-urlencode "redirect_uri=$redir" \
  -d client_id=gcid -d client_secret=gsecret -d code_verifier=planted-wrong-verifier-0123456789012345678901234 "$g/token")
curl -s -o /dev/null "$loc"
rc=$(done_of g2.log)
printf '%s' "$planted" | grep -q invalid_grant && [ "$rc" = 0 ] && [ -n "$(secret_of pkce)" ] \
  && ok pkce-wrong-verifier-refused-accords-taken || bad pkce-wrong-verifier-refused-accords-taken "planted: $planted" "rc=$rc" "$(cat g2.log)"

# -- a redirect with another state: refused, nothing stored
login_bg g3.log "${gargs[@]}" --name forged
u=$(url_in g3.log "$g/o/oauth2")
loc=$(curl -s -o /dev/null -w '%{redirect_url}' "$u")
forged=$(node -e 'const u=new URL(process.argv[1]);u.searchParams.set("state","forged-state");console.log(u.toString())' "$loc")
status=$(curl -s -o /dev/null -w '%{http_code}' "$forged")
rc=$(done_of g3.log)
[ "$rc" = 1 ] && [ "$status" = 400 ] && grep -q "state differs" g3.log && [ -z "$(secret_of forged)" ] \
  && ok wrong-state-refused-nothing-stored || bad wrong-state-refused-nothing-stored "rc=$rc page=$status" "$(cat g3.log)"

# -- a port in use: by default the system chooses a free one (never in use); --port N, when another
# program listens there, is refused at once with what to do, nothing stored
python3 -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(1); open("busy","w").write(str(s.getsockname()[1])); time.sleep(60)' &
pids+=($!)
for _ in $(seq 1 50); do [ -s busy ] && break; sleep 0.1; done
runp login "${gargs[@]}" --name busy --port "$(cat busy)"
[ "$rc" = 1 ] && printf '%s' "$out" | grep -q "127.0.0.1:$(cat busy).*another program uses that port.*--port" && [ -z "$(secret_of busy)" ] \
  && ok port-in-use-refused-with-the-fix || bad port-in-use-refused-with-the-fix "rc=$rc" "$out"

# -- --no-browser: the address the browser was sent to, pasted on stdin (curl does not follow it)
mkfifo paste
( "$accord" login "${gargs[@]}" --name pasted --no-browser < paste > g4.log 2>&1; echo $? > g4.log.rc ) &
pids+=($!)
exec 7> paste
u=$(url_in g4.log "$g/o/oauth2")
loc=$(curl -s -o /dev/null -w '%{redirect_url}' "$u")
printf '%s\n' "$loc" >&7
rc=$(done_of g4.log)
exec 7>&-
tok=$(secret_of pasted)
[ "$rc" = 0 ] && [ -n "$tok" ] && refresh_ok "$g/token" "$tok" -d client_id=gcid -d client_secret=gsecret \
  && ok no-browser-takes-the-pasted-redirect || bad no-browser-takes-the-pasted-redirect "rc=$rc loc=$loc" "$(cat g4.log)"

# -- Google has no --device (its device flow refuses Gmail and Calendar scopes), said so
runp login "${gargs[@]}" --name dev --device
[ "$rc" = 2 ] && printf '%s' "$out" | grep -q "refuses the Gmail and Calendar scopes" \
  && ok google-device-flow-refused-by-name || bad google-device-flow-refused-by-name "rc=$rc" "$out"

# -- an app in "Testing": Google's answer carries refresh_token_expires_in (7 days): warned
curl -s -XPOST -H 'Content-Type: application/json' -d '{"testing_app": true}' "$g/__control" > /dev/null
login_bg g5.log "${gargs[@]}" --name testing
curl -s -L -o /dev/null "$(url_in g5.log "$g/o/oauth2")"
rc=$(done_of g5.log)
curl -s -XPOST -H 'Content-Type: application/json' -d '{"testing_app": false}' "$g/__control" > /dev/null
[ "$rc" = 0 ] && grep -q "expires in 7 days" g5.log && grep -q '"Testing"' g5.log \
  && ok testing-app-7-day-token-warned || bad testing-app-7-day-token-warned "rc=$rc" "$(cat g5.log)"

# -- consent declined at Google: the error said, nothing stored
curl -s -XPOST -H 'Content-Type: application/json' -d '{"authorize_error": "access_denied"}' "$g/__control" > /dev/null
login_bg g7.log "${gargs[@]}" --name declined
curl -s -L -o /dev/null "$(url_in g7.log "$g/o/oauth2")"
rc=$(done_of g7.log)
curl -s -XPOST -H 'Content-Type: application/json' -d '{"authorize_error": null}' "$g/__control" > /dev/null
[ "$rc" = 1 ] && grep -q "access_denied (consent was not given)" g7.log && [ -z "$(secret_of declined)" ] \
  && ok consent-declined-said-nothing-stored || bad consent-declined-said-nothing-stored "rc=$rc" "$(cat g7.log)"

# -- Microsoft: the browser flow (tenant in the path) and the device flow
margs=(microsoft --client-id mcid --login-url "$m" --tenant organizations --timeout 15)
login_bg m1.log "${margs[@]}" --name ms_refresh
u=$(url_in m1.log "$m/organizations/oauth2")
page=$(curl -s -L "$u")
rc=$(done_of m1.log)
tok=$(secret_of ms_refresh)
[ "$rc" = 0 ] && [ -n "$tok" ] && refresh_ok "$m/organizations/oauth2/v2.0/token" "$tok" -d client_id=mcid \
  && ok microsoft-browser-sign-in || bad microsoft-browser-sign-in "rc=$rc url=$u" "$(cat m1.log)" "$page"
case "$u" in *offline_access*Contacts.ReadWrite*) ok microsoft-asks-offline-access ;; *) bad microsoft-asks-offline-access "$u" ;; esac
# outlook-mapi's default scope (graph_backend.cpp): messages and the master category list too, or its refresh is refused
case "$u" in *Mail.ReadWrite*MailboxSettings.ReadWrite*) ok microsoft-asks-mail-and-categories ;; *) bad microsoft-asks-mail-and-categories "$u" ;; esac
# --streams note: Outlook notes (Graph v1.0 /me/notes) ask for ShortNotes.ReadWrite (and the categories)
login_bg m6.log "${margs[@]}" --name ms_notes --streams note
u=$(url_in m6.log "$m/organizations/oauth2")
curl -s -L -o /dev/null "$u"
rc=$(done_of m6.log)
case "$rc $u" in "0 "*offline_access*ShortNotes.ReadWrite*MailboxSettings.ReadWrite*) ok microsoft-notes-scope ;;
  *) bad microsoft-notes-scope "rc=$rc url=$u" "$(cat m6.log)" ;; esac
# an app registered with http://localhost: --redirect-host localhost (the listener is on 127.0.0.1 all the same)
login_bg m5.log "${margs[@]}" --name ms_localhost --redirect-host localhost
u=$(url_in m5.log "$m/organizations/oauth2")
loc=$(curl -s -o /dev/null -w '%{redirect_url}' "$u")
curl -s -o /dev/null "${loc/localhost/127.0.0.1}"  # as a browser that tries localhost's IPv4 address
rc=$(done_of m5.log)
case "$u" in *redirect_uri=http%3A%2F%2Flocalhost%3A*) r=1 ;; *) r=0 ;; esac
[ "$r" = 1 ] && [ "$rc" = 0 ] && [ -n "$(secret_of ms_localhost)" ] \
  && ok redirect-host-localhost || bad redirect-host-localhost "rc=$rc url=$u loc=$loc" "$(cat m5.log)"
curl -s -XPOST -H 'Content-Type: application/json' -d '{"device_interval": 1}' "$m/__control" > /dev/null
token_polls() { curl -s "$m/__stats" | node -e 'let t="";process.stdin.on("data",d=>t+=d).on("end",()=>console.log(JSON.parse(t).by_route["oauth.token"]||0))'; }
polls=$(token_polls)
login_bg m2.log "${margs[@]}" --name ms_device --device
ucode=
for _ in $(seq 1 100); do ucode=$(grep -o 'enter the code [A-Z0-9]*' m2.log 2>/dev/null | awk '{print $4}'); [ -n "$ucode" ] && break; sleep 0.1; done
# the user approves only after accord has polled once and been told authorization_pending
for _ in $(seq 1 50); do [ "$(token_polls)" -gt "$polls" ] && break; sleep 0.1; done
curl -s -XPOST -H 'Content-Type: application/json' -d "{\"user_code\": \"$ucode\", \"action\": \"approve\"}" "$m/__device" > /dev/null
rc=$(done_of m2.log)
tok=$(secret_of ms_device)
[ -n "$ucode" ] && [ "$rc" = 0 ] && [ -n "$tok" ] && refresh_ok "$m/organizations/oauth2/v2.0/token" "$tok" -d client_id=mcid \
  && ok microsoft-device-flow || bad microsoft-device-flow "code=$ucode rc=$rc" "$(cat m2.log)"
login_bg m3.log "${margs[@]}" --name ms_declined --device
ucode=
for _ in $(seq 1 100); do ucode=$(grep -o 'enter the code [A-Z0-9]*' m3.log 2>/dev/null | awk '{print $4}'); [ -n "$ucode" ] && break; sleep 0.1; done
curl -s -XPOST -H 'Content-Type: application/json' -d "{\"user_code\": \"$ucode\", \"action\": \"deny\"}" "$m/__device" > /dev/null
rc=$(done_of m3.log)
[ "$rc" = 1 ] && grep -q declined m3.log && [ -z "$(secret_of ms_declined)" ] \
  && ok microsoft-device-declined-nothing-stored || bad microsoft-device-declined-nothing-stored "rc=$rc" "$(cat m3.log)"

# -- generic (a CRM's endpoints from the command line), at a fixed --port as CRMs that match the redirect exactly want
free=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
login_bg x1.log generic --client-id mcid --name crm_refresh --port "$free" --scope "offline_access https://graph.microsoft.com/Contacts.ReadWrite" \
  --auth-url "$m/common/oauth2/v2.0/authorize" --token-url "$m/common/oauth2/v2.0/token" --timeout 15
u=$(url_in x1.log "$m/common/oauth2")
curl -s -L -o /dev/null "$u"
rc=$(done_of x1.log)
case "$u" in *redirect_uri=http%3A%2F%2F127.0.0.1%3A$free%2F*) r=1 ;; *) r=0 ;; esac
[ "$r" = 1 ] && [ "$rc" = 0 ] && [ -n "$(secret_of crm_refresh)" ] && grep -q '"token_url"' x1.log \
  && ok generic-provider-at-a-fixed-port || bad generic-provider-at-a-fixed-port "rc=$rc url=$u" "$(cat x1.log)"
runp login generic --client-id x --name y
[ "$rc" = 2 ] && printf '%s' "$out" | grep -q -- "--auth-url" && ok generic-needs-its-endpoints || bad generic-needs-its-endpoints "rc=$rc" "$out"

# -- a refresh token revoked later: the run fails, status says "needs sign-in" and the command; running
# it (curl as the browser again) makes the next run sync; another pipeline syncs on meanwhile
mkdir -p book other-a other-b
printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:k1\r\nFN:Kim One\r\nN:One;Kim;;;\r\nEMAIL:k1@example.org\r\nEND:VCARD\r\n' > book/k1.vcf
printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:o1\r\nFN:Ola One\r\nEMAIL:o1@example.org\r\nEND:VCARD\r\n' > other-a/o1.vcf
urls="\"people_url\": \"$g\", \"calendar_url\": \"$g/calendar/v3\", \"tasks_url\": \"$g\", \"gmail_url\": \"$g\", \"drive_url\": \"$g/drive/v3\""
cat > p.json <<JSON
{"name": "google-contacts", "state": "state.sqlite",
 "left": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "book"}},
 "right": {"connector": "google-api", "config": {"account": "ada@example.com", $urls,
   "oauth2": {"token_url": "$g/token", "client_id": "gcid", "client_secret": {"\$secret": "google_secret"},
              "refresh_token_secret": "google_refresh"}}},
 "streams": [{"name": "contacts", "left": "contact", "right": "contact"}]}
JSON
cat > q.json <<JSON
{"name": "folders", "state": "q.sqlite",
 "left": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "other-a"}},
 "right": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "other-b"}},
 "streams": [{"name": "contacts", "left": "contact", "right": "contact"}]}
JSON
runp run p.json
[ "$rc" = 0 ] && ok signed-in-pipeline-syncs || bad signed-in-pipeline-syncs "rc=$rc" "$out"
curl -s -XPOST -H 'Content-Type: application/json' -d '{"revoke_refresh_token": true}' "$g/__control" > /dev/null
printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:k2\r\nFN:Kim Two\r\nN:Two;Kim;;;\r\nEMAIL:k2@example.org\r\nEND:VCARD\r\n' > book/k2.vcf
runp run p.json
[ "$rc" != 0 ] && printf '%s' "$out" | grep -q invalid_grant && ok revoked-token-fails-the-run || bad revoked-token-fails-the-run "rc=$rc" "$out"
runp run q.json
[ "$rc" = 0 ] && [ -f other-b/o1.vcf ] && ok other-pipeline-keeps-syncing || bad other-pipeline-keeps-syncing "rc=$rc" "$out"
runp status q.json
printf '%s' "$out" | grep -q "needs sign-in" && bad other-pipeline-needs-no-sign-in "$out" || ok other-pipeline-needs-no-sign-in
runp status p.json
want="accord login google --secrets $work/secrets.json --name google_refresh --client-id gcid --client-secret-name google_secret --token-url $g/token"
printf '%s' "$out" | grep -q "needs sign-in: the right side (google-api)" && printf '%s' "$out" | grep -qF "$want" \
  && ok status-says-needs-sign-in-with-the-command || bad status-says-needs-sign-in-with-the-command "want: $want" "$out"
runp --json status p.json
printf '%s' "$out" | grep -q '"type":"sign_in"' && ok json-status-has-sign-in || bad json-status-has-sign-in "$out"
# the command as status printed it, with the test's endpoint for the browser part
cmd=$(printf '%s' "$out" | node -e 'let t="";process.stdin.on("data",d=>t+=d).on("end",()=>{for(const l of t.split("\n")){try{const o=JSON.parse(l);if(o.type==="sign_in")console.log(o.command)}catch(e){}}})')
read -r -a words <<< "${cmd#accord login }"
login_bg g6.log "${words[@]}" --auth-url "$g/o/oauth2/v2/auth" --timeout 15
curl -s -L -o /dev/null "$(url_in g6.log "$g/o/oauth2")"
rc=$(done_of g6.log)
runp run p.json
n=$(curl -s "$g/__dump" | node -e 'let t="";process.stdin.on("data",d=>t+=d).on("end",()=>{const d=JSON.parse(t);console.log(Object.values(d.people.persons).filter(p=>!p.deleted).length)})')
[ "$rc" = 0 ] && [ "$n" = 2 ] && ok signing-in-again-lets-the-run-sync || bad signing-in-again-lets-the-run-sync "login rc=$rc people=$n" "$(cat g6.log)" "$out"
runp status p.json
printf '%s' "$out" | grep -q "needs sign-in" && bad status-clears-after-a-good-run "$out" || ok status-clears-after-a-good-run

# -- the same for Microsoft (outlook-mapi, tenant organizations): the command carries the tenant, the scopes the
# connector refreshes with and the login origin; run as status printed it, the next run syncs again
mkdir -p mbook
printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:m1\r\nFN:Mo One\r\nN:One;Mo;;;\r\nEMAIL:m1@example.org\r\nEND:VCARD\r\n' > mbook/m1.vcf
cat > o.json <<JSON
{"name": "outlook-contacts", "state": "o.sqlite",
 "left": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "mbook"}},
 "right": {"connector": "outlook-mapi", "config": {"account": "ada@contoso.example", "tenant": "organizations",
   "graph_url": "$m/v1.0", "login_url": "$m", "oauth2": {"client_id": "mcid", "refresh_token_secret": "ms_refresh"}}},
 "streams": [{"name": "contacts", "left": "contact", "right": "contact"}]}
JSON
runp run o.json
[ "$rc" = 0 ] && ok microsoft-signed-in-pipeline-syncs || bad microsoft-signed-in-pipeline-syncs "rc=$rc" "$out"
curl -s -XPOST -H 'Content-Type: application/json' -d '{"revoke_refresh_tokens": true}' "$m/__control" > /dev/null
printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:m2\r\nFN:Mo Two\r\nN:Two;Mo;;;\r\nEMAIL:m2@example.org\r\nEND:VCARD\r\n' > mbook/m2.vcf
runp run o.json
runp --json status o.json
cmd=$(printf '%s' "$out" | node -e 'let t="";process.stdin.on("data",d=>t+=d).on("end",()=>{for(const l of t.split("\n")){try{const o=JSON.parse(l);if(o.type==="sign_in")console.log(o.command)}catch(e){}}})')
case "$cmd" in
  "accord login microsoft --secrets $work/secrets.json --name ms_refresh --client-id mcid --tenant organizations --scope 'offline_access "*"MailboxSettings.ReadWrite' --login-url $m")
    ok microsoft-status-command-has-tenant-scope-origin ;;
  *) bad microsoft-status-command-has-tenant-scope-origin "$cmd" "$out" ;;
esac
eval "set -- ${cmd#accord login }"
login_bg m4.log "$@" --timeout 15
curl -s -L -o /dev/null "$(url_in m4.log "$m/organizations/oauth2")"
rc=$(done_of m4.log)
runp run o.json
n=$(curl -s "$m/__dump" | node -e 'let t="";process.stdin.on("data",d=>t+=d).on("end",()=>{const d=JSON.parse(t);console.log(Object.values(d.contacts).filter(c=>!c.deleted).length)})')
[ "$rc" = 0 ] && [ "$n" = 2 ] && ok microsoft-signing-in-again-lets-the-run-sync || bad microsoft-signing-in-again-lets-the-run-sync "login rc=$rc contacts=$n" "$(cat m4.log)" "$out"

# no token, code or secret in anything accord printed
for f in *.log all.out; do
  for s in gsecret $(node -e 'const s=JSON.parse(require("fs").readFileSync("secrets.json"));for(const [k,v] of Object.entries(s))if(k!=="google_secret")console.log(v)'); do
    grep -qF "$s" "$f" && bad "no-secret-printed ($f)" "$(grep -F "$s" "$f" | head -3)"
  done
done
exit $fail
