#!/usr/bin/env bash
# issue 17 campaign: a message expunged on IMAP while the Maildir flags it is
# not seen deleted by the next run: the flag's update fails ("the message is
# gone … the next run sees the delete"), is quarantined, the run exits 5.
# Usage (from the repository root): repro/imap_expunge_unseen.sh ACCORD
set -u
root=$(cd "$(dirname "$0")/../../.." && pwd) accord=$(realpath "$1")
w=$(mktemp -d); chmod 0711 "$w"; cd "$w"; export HOME=$w ACCORD_ADMIN=
trap 'kill $(cat dc/run/master.pid) 2>/dev/null; rm -rf "$w"' EXIT
info=$(bash "$root/tests/peers/dovecot/start_dovecot.sh" "$w/dc" ada:pw)
port=$(awk '/^imaps /{print $2}' <<<"$info")
echo '{"pw": "pw"}' > s.json; chmod 600 s.json; export ACCORD_SECRETS=$w/s.json
mkdir -p mail/cur mail/new mail/tmp
for i in 1 2 3; do printf 'Message-ID: <m%s@x.test>\nFrom: a@x.test\nSubject: m%s\n\nbody\n' $i $i > "mail/cur/17000000$i.m$i.host:2,S"; done
cat > p.json <<JSON
{"name": "p", "state": "state.sqlite", "left": {"connector": "local", "config": {"backend": "maildir", "path": "mail"}},
 "right": {"connector": "gmail-imap", "config": {"url": "imaps://localhost:$port", "user": "ada", "password": {"\$secret": "pw"}, "ca_file": "$w/dc/cert.pem"}},
 "streams": [{"left": "message", "right": "message", "conflict": {"policy": "left-wins"}}]}
JSON
"$accord" run p.json | tail -1
ctl() { python3 "$root/plugins/gmail-imap/tests/imapctl.py" "$port" "$w/dc/cert.pem" ada pw "$@"; }
ctl expunge INBOX '<m2@x.test>'                                   # deleted on IMAP
mv mail/cur/170000002.m2.host:2,S mail/cur/170000002.m2.host:2,FS  # flagged in the Maildir
"$accord" run p.json; echo "exit $?"
sqlite3 state.sqlite "SELECT error FROM quarantine"
