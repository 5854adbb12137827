# SPDX-License-Identifier: Apache-2.0
# Shared by the gmail-imap shell tests (sourced; they set $work first).
# maildir DIR: a local maildir endpoint on $work/DIR
maildir() { printf '{"connector": "local", "config": {"backend": "maildir", "create": true, "path": "%s"}}' "$work/$1"; }
# pipeline FILE LEFT_JSON RIGHT_JSON: a both-ways message pipeline, state FILE.sqlite
pipeline() {
  cat > "$1" <<JSON
{"name": "${1%.json}", "state": "${1%.json}.sqlite", "left": $2, "right": $3,
 "streams": [{"name": "mail", "left": "message", "right": "message", "direction": "both",
              "guards": {"max_delete_share": 0.9}}]}
JSON
}
# structure STATE: "pairs with-attachments differing": linked messages, how many
# have attachments, and how many differ in bodyStructure or attachments between
# the two sides' own listings (as the state holds them)
structure() {
  local pairs="FROM links l JOIN mirror a ON a.pair = l.pair AND a.side = 'left' AND a.id = l.left_id
    JOIN mirror b ON b.pair = l.pair AND b.side = 'right' AND b.id = l.right_id"
  local differs="(json_extract(a.data, '\$.bodyStructure') IS NOT json_extract(b.data, '\$.bodyStructure')
    OR json_extract(a.data, '\$.attachments') IS NOT json_extract(b.data, '\$.attachments'))"
  sqlite3 -separator ' ' "$1" "SELECT count(*), coalesce(sum(json_extract(a.data, '\$.hasAttachment')), 0), coalesce(sum($differs), 0) $pairs"
  sqlite3 "$1" "SELECT json_extract(a.data, '\$.bodyStructure'), json_extract(b.data, '\$.bodyStructure') $pairs WHERE $differs LIMIT 2" >&2
}
# same_files FROM TO: each message of the Maildir tree FROM (by Message-ID) is
# in TO byte for byte; says which one differs (bad) when not (the test defines
# msgids and file_of)
same_files() {
  local id
  for id in $(msgids "$1"); do
    cmp -s "$(file_of "$1" "$id")" "$(file_of "$2" "$id")" || { bad "message $id differs between $1 and $2"; return 1; }
  done
}

# The Dovecot prelude of the tests that start their own (they set
# $start_dovecot and, for ctl, $imapctl):
# mail_work NAME: the test's own folder $work (mode 0711: Dovecot runs as
# another user and must reach inside), cd'd into, removed on exit with the
# Dovecots started in it; HOME there, no admin layer; ada's password in $pw
# and in the secrets file as "ada".
mail_work() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/accord-$1.XXXXXX")
  chmod 0711 "$work"
  trap mail_cleanup EXIT
  cd "$work" || exit 1
  export HOME="$work" ACCORD_ADMIN=
  pw="imap-canary-$RANDOM$RANDOM"
  printf '{"ada": "%s"}\n' "$pw" > secrets.json
  chmod 600 secrets.json
  export ACCORD_SECRETS="$work/secrets.json"
}
mail_cleanup() {
  local d
  [ -n "${fake_pid:-}" ] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null
  for d in "$work"/dc*; do [ -f "$d/run/master.pid" ] && kill "$(cat "$d/run/master.pid")" 2>/dev/null; done
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
# dovecot NAME [DIALECT]: a Dovecot for ada in $work/NAME (NAME starts with
# "dc"), in the DIALECT the connector reads differently: QRESYNC (Dovecot's
# own, the default), CONDSTORE (CONDSTORE only, as Gmail), plain (neither),
# nomove (neither, nor MOVE: a move is COPY, \Deleted and UID EXPUNGE).
# With $rawlog set, Dovecot logs every session's commands there.
# Sets $port (IMAPS) and $ca; then ctl runs imapctl.py against it and
# `imap [', "key": value…']` prints its gmail-imap endpoint.
imap_caps="IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE NAMESPACE UIDPLUS LIST-EXTENDED CHILDREN ESEARCH LIST-STATUS MOVE LITERAL+"
dovecot() {
  local extra="" info
  case ${2:-QRESYNC} in
    QRESYNC) ;;
    CONDSTORE) extra="imap_capability = $imap_caps CONDSTORE" ;;
    plain) extra="imap_capability = $imap_caps" ;;
    nomove) extra="imap_capability = ${imap_caps/ MOVE/}" ;;
    *) echo "FAIL no dialect $2"; exit 1 ;;
  esac
  # rawlog=DIR: Dovecot writes each session's commands (*.in) and answers
  # (*.out) there (the directory writable by Dovecot's user)
  if [ -n "${rawlog:-}" ]; then extra+=$'\n'"protocol imap {"$'\n'"  rawlog_dir = $rawlog"$'\n'"}"; fi
  info=$(DOVECOT_EXTRA="$extra" bash "$start_dovecot" "$work/$1" "ada:$pw" 2>&1) ||
    { echo "FAIL Dovecot did not start (scripts/install-deps.sh installs dovecot-imapd)"; echo "$info"; exit 1; }
  port=$(awk '/^imaps /{print $2}' <<<"$info")
  ca=$(awk '/^ca /{print $2}' <<<"$info")
}
ctl() { python3 "$imapctl" "$port" "$ca" ada "$pw" "$@"; }
imap() {
  printf '{"connector": "gmail-imap", "config": {"url": "imaps://localhost:%s", "user": "ada", "password": {"$secret": "ada"}, "ca_file": "%s"%s}}' \
    "$port" "$ca" "${1:-}"
}
# gmail_fake FAKE [ARGS…]: the Gmail fake (tests/peers/gmail) for ada in
# $work, its switches in $work/control.json (now {}); sets $port and $ca
# as dovecot does, and stops it on exit.
gmail_fake() {
  local fake=$1; shift
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$work/key.pem" -out "$work/cert.pem" > /dev/null 2>&1
  echo '{}' > "$work/control.json"
  python3 "$fake" "$work/cert.pem" "$work/key.pem" --control "$work/control.json" "$@" "ada:$pw" > "$work/fake.out" 2>&1 &
  fake_pid=$!
  for _ in $(seq 1 100); do grep -q '^imaps ' "$work/fake.out" && break; sleep 0.1; done
  port=$(awk '/^imaps /{print $2}' "$work/fake.out") ca=$work/cert.pem
  [ -n "$port" ] || { echo "FAIL the Gmail fake did not start"; cat "$work/fake.out"; exit 1; }
}
