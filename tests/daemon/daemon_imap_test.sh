#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# accord daemon with push (issue 27): a Maildir ⇄ Dovecot pair on a one-hour
# schedule; a message appended on the server reaches the Maildir within the
# limit through IMAP IDLE (accord.push.v1), without polling; the view names
# push; and the pipeline with "push": false does not see it (the test can
# fail: without push nothing would come for an hour).
# Usage: daemon_imap_test.sh ACCORD DOVECOT_SCRIPT IMAPCTL
# ACCORD_DAEMON_LATENCY_S: the limit for a message to arrive (default 2, as issue 27 asks).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../report.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../../plugins/gmail-imap/tests/mail_lib.sh"  # mail_work, dovecot, ctl, imap, maildir
accord=$(realpath "$1") start_dovecot=$(realpath "$2") imapctl=$(realpath "$3")
limit=${ACCORD_DAEMON_LATENCY_S:-2}
mail_work daemon-imap
dpids=()
trap 'for p in "${dpids[@]}"; do kill "$p" 2>/dev/null; done; mail_cleanup' EXIT
dovecot dc
wait_for() {  # SECONDS COMMAND...: prints the seconds it took
  local limit=$1 start now
  shift
  start=$(date +%s.%N)
  while :; do
    if "$@"; then
      now=$(date +%s.%N)
      echo "$now - $start" | bc
      [ "$(echo "$now - $start <= $limit" | bc)" = 1 ]  # seen in time, not only at the next look
      return
    fi
    now=$(date +%s.%N)
    [ "$(echo "$now - $start > $limit" | bc)" = 1 ] && return 1
    sleep 0.1
  done
}
count_in() { find "$1" -path '*/.accord' -prune -o -type f \( -path '*/cur/*' -o -path '*/new/*' \) -print 2>/dev/null | wc -l; }
has() { [ "$(count_in "$1")" = "$2" ]; }
msg() {  # FILE ID: a small message
  printf 'From: Ann <ann@example.org>\nTo: ada@example.org\nSubject: Hello %s\nMessage-ID: <%s@example.org>\nDate: Sun, 06 Dec 2026 06:00:00 +0000\n\nBody %s\n' "$2" "$2" "$2" > "$1"
}
mailpipe() {  # FILE NAME DIR PUSH
  cat > "$1" <<JSON
{"name": "$2", "state": "$work/$2.sqlite", "left": $(maildir "$3"), "right": $(imap),
 "streams": [{"name": "mail", "left": "message", "right": "message", "schedule": {"every": "1h", "push": $4}}]}
JSON
}
msg m1.eml first
ctl append INBOX m1.eml > /dev/null
mailpipe push.json push md true
mailpipe nopush.json nopush md2 false
"$accord" daemon push.json > d.log 2>&1 &
dpids+=($!)
"$accord" daemon nopush.json > d2.log 2>&1 &
dpids+=($!)
if wait_for 60 has md 1 > /dev/null && wait_for 60 has md2 1 > /dev/null; then ok "the first runs at start: the server's message in both Maildirs"
else bad "first runs" "$(count_in md) $(count_in md2)" "$(cat d.log d2.log)"; fi
# the push waiter is in IDLE once the first run ended; give it a moment to get there
wait_for 30 grep -q "mail: .* written" d.log > /dev/null
sleep 2
msg m2.eml second
ctl append INBOX m2.eml > /dev/null
if t=$(wait_for "$limit" has md 2); then ok "a message appended on the server arrived in ${t} s through IDLE (limit $limit s, schedule 1 h)"
else bad "no message within $limit s" "$(count_in md)" "$(tail -5 d.log)"; fi
sleep 2
has md2 1 && ok "the pipeline with \"push\": false did not see it (its schedule is an hour)" || bad "push false ran" "$(count_in md2)" "$(tail -5 d2.log)"
runp status push.json
grep -q "mail: next run .*also on push" <<<"$out" && ok "status names push" || bad "status without push" "$out"
# and again: the waiter waits anew after each run
msg m3.eml third
ctl append INBOX m3.eml > /dev/null
if t=$(wait_for "$limit" has md 3); then ok "a second message arrived in ${t} s"
else bad "no second message within $limit s" "$(count_in md)" "$(tail -5 d.log)"; fi
exit $fail
