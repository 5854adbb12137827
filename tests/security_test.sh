#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The security rules a user meets (issue 19): plain http only to this
# machine, checked by validate; no header from a secret with a line break;
# no secret in any message, log line or stored error, even when the server
# echoes it; saved plans readable by their owner only. The only server is a
# loopback fake started here (a few lines of Python); the URLs that name
# another host are refused before any lookup.
# Usage: security_test.sh ACCORD
set -u
accord=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-security.XXXXXX")
fake_pid=
trap '[ -n "$fake_pid" ] && kill $fake_pid 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
export HOME="$work/home" ACCORD_ADMIN= ACCORD_SECRETS="$work/secrets.json"
mkdir -p home contacts
printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:x\r\nFN:Ex Ample\r\nEMAIL:x@example.org\r\nEND:VCARD\r\n' > contacts/x.vcf
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; [ -n "${2:-}" ] && printf '%s\n' "$2"; fail=1; }

# A fake CRM on 127.0.0.1 that refuses every request and echoes what it was
# sent (the Authorization header, the token request's body), as some do.
cat > fake.py <<'PY'
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def answer(self):
        n = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(n).decode('utf-8', 'replace')
        if self.path.startswith('/token'):
            status, out = 400, {"error": "invalid_grant", "error_description": "bad request: " + body}
        else:
            status, out = 401, {"message": "invalid token: " + (self.headers.get('Authorization') or '')}
        data = json.dumps(out).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = answer
    def log_message(self, *a): pass
s = http.server.HTTPServer(('127.0.0.1', 0), H)
open(sys.argv[1], 'w').write(str(s.server_address[1]))
s.serve_forever()
PY
python3 fake.py port &
fake_pid=$!
for _ in $(seq 50); do [ -s port ] && break; sleep 0.1; done
port=$(cat port)

pipeline() {  # pipeline BASE_URL AUTH_JSON
  cat <<JSON
{"name": "sec", "state": "state.sqlite",
 "left": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "contacts"}},
 "right": {"connector": "crm-rest", "config": {"profile": "json-server", "base_url": "$1", "auth": $2}},
 "streams": [{"name": "contacts", "left": "contact", "right": "contact"}]}
JSON
}
bearer='{"type": "bearer", "token": {"$secret": "crm"}}'
printf '{"crm": "tok-7c1d5e9a", "cs": "cs-4b8f2e61", "rt": "rt-9a3c7d15", "nl": "tok-1\\r\\nX-Injected: yes"}\n' > secrets.json
chmod 600 secrets.json

# 1. validate refuses plain http to anywhere but this machine, however written
for url in 'http://127.0.0.1@10.1.2.3/' 'http://127.0.0.1%2f@10.1.2.3/' 'http://127.0.0.1\\@10.1.2.3/' \
           'http://127.0.0.1:x@10.1.2.3/' 'http://127.0.0.1.evil.example' 'http://10.1.2.3'; do
  pipeline "$url" "$bearer" > p.json
  out=$("$accord" validate p.json 2>&1); rc=$?
  if [ "$rc" = 3 ] && printf '%s' "$out" | grep -q '/right/config/base_url'; then ok "validate refuses base_url $url"
  else bad "validate accepted base_url $url (exit $rc)" "$out"; fi
done
pipeline "http://127.0.0.1:$port" '{"type": "oauth2", "token_url": "http://127.0.0.1.evil.example/token", "client_id": "c", "refresh_token": {"$secret": "rt"}}' > p.json
out=$("$accord" validate p.json 2>&1); rc=$?
if [ "$rc" = 3 ] && printf '%s' "$out" | grep -q '/right/config/auth/token_url'; then ok "validate refuses token_url 127.0.0.1.evil.example"
else bad "validate accepted token_url http://127.0.0.1.evil.example (exit $rc)" "$out"; fi
for url in "http://127.0.0.1:$port" "http://localhost:$port" "http://[::1]:$port" "https://crm.example.com"; do
  pipeline "$url" "$bearer" > p.json
  out=$("$accord" validate p.json 2>&1) && ok "validate accepts $url" || bad "validate refused $url" "$out"
done

# 4. a secret with a line break never becomes a header: refused at validate
pipeline "http://127.0.0.1:$port" '{"type": "bearer", "token": {"$secret": "nl"}}' > p.json
out=$("$accord" validate p.json 2>&1); rc=$?
if [ "$rc" = 3 ] && printf '%s' "$out" | grep -q 'line break'; then ok "validate refuses a secret with a line break"
else bad "validate accepted a token with CR/LF (exit $rc)" "$out"; fi
if printf '%s' "$out" | grep -q 'X-Injected'; then bad "the refusal shows the secret" "$out"; fi
pipeline "http://127.0.0.1:$port" '{"type": "bearer", "token": {"$secret": "nl"}}' | sed 's/"auth":/"headers": {"X-A": "a\\nb"}, "auth":/' > p.json
out=$("$accord" validate p.json 2>&1); rc=$?
if [ "$rc" = 3 ] && [ "$(printf '%s\n' "$out" | grep -c 'p.json: /right/config/')" = 2 ]; then ok "validate refuses a header value with a line break, one error a line"
else bad "validate: want two errors on two lines (exit $rc)" "$out"; fi

# 3. the server's echo of the token is never shown nor stored
leaks() {  # leaks WHAT FILE...: fails when any secret value is in the output or the state
  for s in tok-7c1d5e9a cs-4b8f2e61 rt-9a3c7d15; do
    if grep -q -a "$s" out.txt state.sqlite* 2>/dev/null; then bad "$1: $s shown or stored" "$(grep -a "$s" out.txt | head -3)"; return; fi
  done
  ok "$1: no secret shown or stored"
}
pipeline "http://127.0.0.1:$port" "$bearer" > p.json
"$accord" run p.json > out.txt 2>&1
grep -q 'invalid token' out.txt || bad "the 401 answer is not reported" "$(cat out.txt)"
leaks "a 401 echoing the bearer token"
"$accord" --json run p.json > out.txt 2>&1
leaks "a 401 echoing the bearer token, --json"
"$accord" status p.json >> out.txt 2>&1
leaks "status after a 401"
rm -f state.sqlite*
pipeline "http://127.0.0.1:$port" "{\"type\": \"oauth2\", \"token_url\": \"http://127.0.0.1:$port/token\", \"client_id\": \"c\", \"client_secret\": {\"\$secret\": \"cs\"}, \"refresh_token\": {\"\$secret\": \"rt\"}}" > p.json
"$accord" run p.json > out.txt 2>&1
grep -q 'invalid_grant' out.txt || bad "the refused refresh is not reported" "$(cat out.txt)"
leaks "a refused OAuth refresh echoing its request"

# 5. a saved plan holds records' data: readable by its owner only
printf '{"name": "plan", "state": "plan.sqlite", "left": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "contacts"}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "path": "crm.sqlite"}},
 "streams": [{"left": "contact", "right": "contact"}]}\n' > plan.json
(umask 022; "$accord" plan plan.json --out saved.plan > out.txt 2>&1)
mode=$(stat -c %a saved.plan 2>/dev/null)
[ "$mode" = 600 ] && ok "a saved plan is 0600" || bad "a saved plan is $mode" "$(cat out.txt)"

# 2. record data never reaches the terminal raw: an ESC sequence, a line
# break that would forge a plan line, a C1 CSI; --json is valid UTF-8 JSON
mkdir -p evil
printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:e1\r\nFN:Eve\\n    + right create FORGED\r\nEND:VCARD\r\n' > evil/e1.vcf
printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:e2\r\nFN:Mal\033]0;pwned\007\033[2J\302\233H\r\nEND:VCARD\r\n' > evil/e2.vcf
printf '{"name": "evil", "state": "evil.sqlite", "left": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "evil"}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "path": "evil-crm.sqlite"}},
 "streams": [{"left": "contact", "right": "contact"}]}\n' > evil.json
"$accord" plan evil.json > out.txt 2>&1
if grep -q "$(printf '\033')" out.txt || grep -q "$(printf '\302\233')" out.txt || grep -q "$(printf '\007')" out.txt; then
  bad "plan printed a raw control character" "$(cat -v out.txt)"
elif grep -q '^ *+ right create FORGED' out.txt; then bad "a line break in a name forged a plan line" "$(cat out.txt)"
elif ! grep -qF 'Mal\e]0;pwned\x07\e[2J\u{9b}H' out.txt; then bad "the escaped name is not shown" "$(cat -v out.txt)"
else ok "plan escapes record data"; fi
"$accord" --json plan evil.json > out.txt 2>&1
if python3 -c '
import json, sys
for line in open(sys.argv[1], "rb"): json.loads(line.decode("utf-8"))
' out.txt; then ok "--json plan is valid UTF-8 JSON"; else bad "--json plan is not valid UTF-8 JSON" "$(cat -v out.txt)"; fi
"$accord" run evil.json > /dev/null 2>&1
"$accord" log evil.json > out.txt 2>&1
if grep -q "$(printf '\033')" out.txt || grep -q "$(printf '\007')" out.txt; then bad "log printed a raw control character" "$(cat -v out.txt)"
else ok "log escapes record data"; fi
"$accord" status evil.json > out.txt 2>&1
if grep -q "$(printf '\033')" out.txt; then bad "status printed a raw control character" "$(cat -v out.txt)"
else ok "status escapes record data"; fi
mkdir -p oddplugins && chmod 700 oddplugins
printf 'not a library' > "oddplugins/libaccord-odd$(printf '\377\033[31m').so"
"$accord" --plugin-dir oddplugins --json plugins > out.txt 2>&1
if python3 -c '
import json, sys
for line in open(sys.argv[1], "rb"): json.loads(line.decode("utf-8"))
' out.txt; then ok "--json plugins is valid UTF-8 JSON with a file name that is not"; else bad "--json plugins is not valid UTF-8 JSON" "$(cat -v out.txt)"; fi
"$accord" --plugin-dir oddplugins plugins > out.txt 2>&1
if grep -q "$(printf '\033')" out.txt; then bad "plugins printed a raw control character" "$(cat -v out.txt)"
else ok "plugins escapes a refused file's name"; fi

exit $fail
