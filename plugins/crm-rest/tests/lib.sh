# SPDX-License-Identifier: Apache-2.0
# Shared by the crm-rest peer tests: a work folder, result lines, running
# accord, starting a peer on a loopback port (it prints "port N") and
# stopping it at exit. Sourced by each test with the test's own arguments:
# ACCORD CONFORMANCE PLUGIN PEERS_DIR.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../../../tests/report.sh"  # ok, bad, runp (before any cd)
accord=$(realpath "$1") conformance=$(realpath "$2") plugin=$(realpath "$3") peers=$(realpath "$4")
# canary WHAT: a fresh secret that must never appear in any output or state
canary() { echo "$1-canary-$RANDOM$RANDOM"; }
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-crm.XXXXXX")
peer_pid=
cleanup() { [ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN=
alltext() { cat all.out peer.out peer.err 2>/dev/null; }
# start_peer COMMAND… : runs it in the background, sets $port and $base
start_peer() {
  "$@" > peer.out 2> peer.err &
  peer_pid=$!
  for _ in $(seq 1 100); do grep -q '^port ' peer.out 2>/dev/null && break; sleep 0.1; done
  port=$(awk '/^port /{print $2}' peer.out)
  [ -n "$port" ] || { echo "FAIL the peer did not start: $*"; cat peer.err; exit 1; }
  base="http://127.0.0.1:$port"
}
# ctl PATH JSON: a test-only control request to the peer
ctl() { curl -s -XPOST -H 'Content-Type: application/json' -d "$2" "$base/$1" > /dev/null; }
# js EXPR: evaluates EXPR (JavaScript) over d, the peer's /__dump, and s, its /__stats
js() {
  local d s
  d=$(curl -s "$base/__dump") s=$(curl -s "$base/__stats")
  node -e 'const d=JSON.parse(process.argv[1]),s=JSON.parse(process.argv[2]);console.log(eval(process.argv[3]))' "$d" "$s" "$1"
}
# vcards PREFIX FROM TO SURNAME [EXTRA_LINE]: book/PREFIXi.vcf for i in FROM..TO,
# "Kim SURNAMEi" <PREFIXi@example.org>, with EXTRA_LINE (e.g. TITLE:Analyst)
vcards() {
  mkdir -p book
  local i extra=""
  [ -n "${5:-}" ] && extra="$5"$'\r\n'
  for i in $(seq "$2" "$3"); do
    printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:%s%s\r\nFN:Kim %s%s\r\nN:%s%s;Kim;;;\r\nEMAIL:%s%s@example.org\r\n%sEND:VCARD\r\n' \
      "$1" "$i" "$4" "$i" "$4" "$i" "$1" "$i" "$extra" > "book/$1$i.vcf"
  done
}
# secrets JSON: the secrets file (0600), and ACCORD_SECRETS pointing at it
secrets() { printf '%s\n' "$1" > secrets.json && chmod 600 secrets.json; export ACCORD_SECRETS="$work/secrets.json"; }
# crm_pipeline CRM_CONFIG_JSON [GUARDS_JSON]: p.json, vCards in book ⇄ the
# crm-rest contact stream, matched by email, state in state.sqlite
crm_pipeline() {
  cat > p.json <<JSON
{"name": "crm", "state": "state.sqlite",
 "left": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "book"}},
 "right": {"connector": "crm-rest", "config": $1},
 "streams": [{"name": "contacts", "left": "contact", "right": "contact",
              "match": [{"left": "/emails/*/address", "normalise": "email"}],
              "guards": ${2:-{\"max_delete_share\": 0.9\}}}]}
JSON
}
# calendar_kit: the conformance kit (with kit.json) on the event and task
# streams, with JSCalendar samples in UTC (CRMs keep instants, not zones)
calendar_kit() {
  cat > event.json <<'JSON'
{"create": {"@type": "Event", "title": "Kit meeting", "start": "2026-03-01T10:00:00", "timeZone": "Etc/UTC", "duration": "PT1H",
            "description": "Agenda"},
 "update": {"@type": "Event", "title": "Kit meeting, moved", "start": "2026-03-02T11:30:00", "timeZone": "Etc/UTC", "duration": "PT30M",
            "description": "Moved"}}
JSON
  cat > task.json <<'JSON'
{"create": {"@type": "Task", "title": "Kit task", "due": "2026-03-05T00:00:00", "timeZone": "Etc/UTC", "progress": "needs-action"},
 "update": {"@type": "Task", "title": "Kit task", "due": "2026-03-06T00:00:00", "timeZone": "Etc/UTC", "progress": "completed"}}
JSON
  local st
  for st in event task; do
    out=$("$conformance" "$plugin" --config kit.json --stream $st --sample $st.json 2>&1); rc=$?; printf '%s\n' "$out" >> all.out
    [ $rc = 0 ] && printf '%s' "$out" | grep -Eq "[0-9]+ passed, 0 failed" && ok conformance-kit-passes-$st || bad conformance-kit-passes-$st "$out"
  done
}
# oversize_runs: the email ⇄ CRM tests' "an oversize attachment handled by
# each setting" (tests/email_crm_*_test.sh): for drop_attachment and
# skip_message, a Maildir mail-HOW holding one message from Ann
# (big-HOW@mail.example) with small.txt (40 B) and big.pdf (5000 B), a
# pipeline p-HOW.json (p.json with its own state and an attachments rule of
# 1000 bytes and that setting), run once; its output in run-HOW.out
oversize_runs() {
  local how
  for how in drop_attachment skip_message; do
    mkdir -p "mail-$how/cur" "mail-$how/new" "mail-$how/tmp"
    {
      printf 'From: Ann <ann@client.example>\r\nTo: me@corp.example\r\nSubject: big %s\r\n' "$how"
      printf 'Date: Mon, 1 Jun 2026 12:00:00 +0000\r\nMessage-ID: <big-%s@mail.example>\r\nMIME-Version: 1.0\r\n' "$how"
      printf 'Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\ntwo files\r\n'
      printf -- '--b1\r\nContent-Type: text/plain; name=small.txt\r\nContent-Disposition: attachment; filename=small.txt\r\n'
      printf 'Content-Transfer-Encoding: base64\r\n\r\n%s\r\n' "$(head -c 40 /dev/zero | tr '\0' s | base64 -w0)"
      printf -- '--b1\r\nContent-Type: application/pdf; name=big.pdf\r\nContent-Disposition: attachment; filename=big.pdf\r\n'
      printf 'Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--b1--\r\n' "$(head -c 5000 /dev/zero | tr '\0' b | base64 -w0)"
    } > "mail-$how/cur/00001.test:2,S"
    sed -e "s/\"state.sqlite\"/\"state-$how.sqlite\"/" -e "s/\"path\": \"mail\"/\"path\": \"mail-$how\"/" \
        -e "s/\"capture_address\": \"log@crm.example\"/\"capture_address\": \"log@crm.example\", \"attachments\": {\"max_bytes\": 1000, \"oversize\": \"$how\"}/" \
        p.json > "p-$how.json"
    runp run "p-$how.json"
    printf '%s\n' "$out" > "run-$how.out"
  done
}
