#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Found by crash.maildir_imap (issue 17 campaign), in its uninterrupted run:
# a message that a run APPENDed to IMAP and that is expunged before the next
# run is never reported deleted. The cursor was taken when the first run
# read (before its APPENDs); the next run asks VANISHED only for UIDs below
# that cursor's UIDNEXT and keeps only UIDs the cursor knew, and its search
# for new UIDs finds live ones only (plugins/gmail-imap/src/listing.cpp, begin_folder).
# Flagged in the Maildir meanwhile, its update fails ("the message is gone
# … the next run sees the delete"), is quarantined, and every later run
# exits 5 again; not flagged, it simply stays in the Maildir. A quiet run
# between the create and the expunge hides it.
# Usage: tests/crash/repro/imap_expunge_unseen.sh build/bin/accord
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
{"name": "p", "state": "state.sqlite", "left": {"connector": "local", "config": {"backend": "maildir", "create": true, "path": "mail"}},
 "right": {"connector": "gmail-imap", "config": {"url": "imaps://localhost:$port", "user": "ada", "password": {"\$secret": "pw"}, "ca_file": "$w/dc/cert.pem"}},
 "streams": [{"left": "message", "right": "message", "conflict": {"policy": "left-wins"}}]}
JSON
"$accord" run p.json | tail -1
ctl() { python3 "$root/plugins/gmail-imap/tests/imapctl.py" "$port" "$w/dc/cert.pem" ada pw "$@"; }
ctl expunge INBOX '<m2@x.test>'                                   # deleted on IMAP
mv mail/cur/170000002.m2.host:2,S mail/cur/170000002.m2.host:2,FS  # flagged in the Maildir
"$accord" run p.json | tail -4; echo "exit ${PIPESTATUS[0]}"
sqlite3 state.sqlite "SELECT error FROM quarantine"
sqlite3 state.sqlite "UPDATE quarantine SET next_retry = 0"      # retry now, as a later run would
"$accord" run p.json | tail -3; echo "exit ${PIPESTATUS[0]}"
