#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Found by crash.maildir_imap (issue 17 campaign): a message moved to
# another folder in the Maildir, whose move on IMAP (an update that gives
# the message a new id there) is killed between the write and its commit
# (ACCORD_FAILPOINT=apply.after_write, as a SIGKILL there), ends up twice on
# both sides after the next run.
# Usage: tests/crash/repro/imap_move_killed_twice.sh build/bin/accord
set -u
root=$(cd "$(dirname "$0")/../../.." && pwd) accord=$(realpath "$1")
w=$(mktemp -d); chmod 0711 "$w"; cd "$w"; export HOME=$w ACCORD_ADMIN=
trap 'kill $(cat dc/run/master.pid) 2>/dev/null; rm -rf "$w"' EXIT
info=$(bash "$root/tests/peers/dovecot/start_dovecot.sh" "$w/dc" ada:pw)
port=$(awk '/^imaps /{print $2}' <<<"$info")
echo '{"pw": "pw"}' > s.json; chmod 600 s.json; export ACCORD_SECRETS=$w/s.json
mkdir -p mail/cur mail/new mail/tmp mail/.Work/cur mail/.Work/new mail/.Work/tmp
for i in 1 2 3; do printf 'Message-ID: <m%s@x.test>\nFrom: a@x.test\nSubject: m%s\n\nbody\n' $i $i > "mail/cur/17000000$i.m$i.host:2,S"; done
cat > p.json <<JSON
{"name": "p", "state": "state.sqlite", "left": {"connector": "local", "config": {"backend": "maildir", "create": true, "path": "mail"}},
 "right": {"connector": "gmail-imap", "config": {"url": "imaps://localhost:$port", "user": "ada", "password": {"\$secret": "pw"}, "ca_file": "$w/dc/cert.pem"}},
 "streams": [{"left": "message", "right": "message"}]}
JSON
"$accord" run p.json | tail -1; "$accord" run p.json | tail -1
mv mail/cur/170000002.m2.host:2,S mail/.Work/cur/                           # moved in the Maildir
ACCORD_FAILPOINT=apply.after_write "$accord" run p.json > /dev/null 2>&1; echo "killed run: exit $?"
"$accord" run p.json | tail -6; echo "exit ${PIPESTATUS[0]}"
"$accord" run p.json | tail -3
echo "Maildir:"; grep -rl --exclude-dir=.accord 'm2@x.test' mail
echo "IMAP:"; for f in INBOX Work; do printf '%s: ' $f; python3 "$root/plugins/gmail-imap/tests/imapctl.py" "$port" "$w/dc/cert.pem" ada pw msgids $f | tr '\n' ' '; echo; done
