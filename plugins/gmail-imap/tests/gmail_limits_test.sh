#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gmail-imap against Gmail's limits, as the Gmail fake has them (issue 22 item
# 8): all 15 connections of the account in use (NO [ALERT] Too many
# simultaneous connections) is a RETRY, not a refused password; a body FETCH
# or an APPEND answered NO [OVERQUOTA] (the daily download and upload
# limits) stops the batch as a RETRY and the next run carries everything;
# an APPEND of a message Gmail already holds (same Message-ID: Gmail answers
# a UID and drops it) is linked to the one it holds, and the next run has
# nothing to do; a message over 4096 octets crosses a LITERAL- server.
# Usage: gmail_limits_test.sh ACCORD FAKE IMAPCTL
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../../../tests/report.sh"  # ok, bad, runp (before any cd)
. "$(dirname "${BASH_SOURCE[0]}")/mail_lib.sh"                # mail_work, gmail_fake, ctl, imap, maildir, pipeline
accord=$(realpath "$1") fake=$(realpath "$2") imapctl=$(realpath "$3")
mail_work gmail-limits
rt="1//ada-canary-$RANDOM$RANDOM"
gmail_fake "$fake" --refresh "ada:$rt" --log "$work/commands.log"
for _ in $(seq 1 100); do grep -q '^token ' fake.out && break; sleep 0.1; done
tport=$(awk '/^token /{print $2}' fake.out)
count() { find "$1" -path '*/.accord' -prune -o -type f \( -path '*/cur/*' -o -path '*/new/*' \) -print 2>/dev/null | wc -l; }
ALL="[Gmail]/All Mail"

for i in 1 2 3; do
  printf 'Message-ID: <g%s@x.test>\nFrom: a@x.test\nSubject: g%s\n\n%s\n' $i $i "$(head -c 6000 /dev/zero | tr '\0' 'x')" > g$i.eml
  ctl append INBOX g$i.eml
done
pipeline down.json "$(imap)" "$(maildir down)"

# ---- every connection of the account in use elsewhere -----------------------
# Gmail's back-off for it (60 s) is longer than the host waits within a run:
# the run ends at once, saying when to run again, and writes nothing
echo '{"held": 15}' > control.json
t0=$(date +%s)
runp run down.json
took=$(( $(date +%s) - t0 ))
if [ $rc != 0 ] && grep -q "refuses another connection" <<<"$out" && grep -q "it asks to wait 60 s: run again then" <<<"$out" &&
   ! grep -q "check the user name" <<<"$out" && ! grep -q $'\r' <<<"$out" && [ $took -lt 20 ] && [ "$(count down)" = 0 ]; then
  ok "Too many simultaneous connections is a retry later (the run ends in ${took} s, asking to run again in 60 s), not a refused password"
else bad "too many connections (exit $rc, ${took} s)" "$out"; fi

# The same with OAuth 2.0 and an access token that is good: the refusal is
# the account's limit, not the token's, so no new token is asked for (before,
# the refusal read as AUTH_REQUIRED and the token was renewed first)
tok=$(curl -s --cacert "$ca" -d "grant_type=refresh_token&refresh_token=$rt&client_id=accord-test&client_secret=cs" \
        "https://localhost:$tport/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
printf '{"ada": "%s", "ada_client": "cs", "ada_refresh": "%s", "ada_access": "%s"}\n' "$pw" "$rt" "$tok" > secrets.json
oauth='"oauth2": {"token_url": "https://localhost:'$tport'/token", "client_id": "accord-test", "client_secret": {"$secret": "ada_client"}, "refresh_token_secret": "ada_refresh"}, "oauth2_token": {"$secret": "ada_access"}'
oimap=$(printf '{"connector": "gmail-imap", "config": {"url": "imaps://localhost:%s", "user": "ada", %s, "ca_file": "%s"}}' "$port" "$oauth" "$ca")
pipeline oauth.json "$oimap" "$(maildir odown)"
echo '{}' > control.json
runp run oauth.json
o_rc=$rc o_out=$out
tokens_before=$(grep -c ' TOKEN ' commands.log)
echo '{"held": 15}' > control.json
runp run oauth.json
if [ "$o_rc" = 0 ] && [ "$(count odown)" = 3 ] && [ $rc != 0 ] && grep -q "refuses another connection" <<<"$out" &&
   ! grep -q "check the user name" <<<"$out" && [ "$(grep -c ' TOKEN ' commands.log)" = "$tokens_before" ]; then
  ok "with OAuth 2.0 too: a retry later, and no new access token asked for (the token was not refused)"
else bad "too many connections with OAuth: exit $rc, token requests $tokens_before → $(grep -c ' TOKEN ' commands.log)" "$o_out" "---" "$out"; fi

# ---- the daily download limit: NO [OVERQUOTA] on a body FETCH ----------------
echo '{"overquota": "fetch"}' > control.json
runp run down.json
if [ $rc != 0 ] && grep -q "over a limit" <<<"$out" && [ "$(count down)" = 0 ]; then
  ok "NO [OVERQUOTA] on FETCH stops the run (no message half-copied)"
else bad "overquota fetch: $(count down) messages" "$out"; fi
echo '{}' > control.json
runp run down.json
[ $rc = 0 ] && [ "$(count down)" = 3 ] && ok "the next run carries every message (over 4096 octets each)" || bad "after overquota: $(count down)" "$out"
runp run down.json
grep -q "nothing to do" <<<"$out" && ok "then nothing to do" || bad "after overquota, again" "$out"

# ---- the upload limit: NO [OVERQUOTA] on APPEND -------------------------------
mkdir -p up/{cur,new,tmp}
for i in 4 5; do
  printf 'Message-ID: <u%s@x.test>\nFrom: a@x.test\nSubject: u%s\n\n%s\n' $i $i "$(head -c 5000 /dev/zero | tr '\0' 'y')" > up/cur/170000000$i.u$i.host:2,S
done
cat > up.json <<JSON
{"name": "up", "state": "up.sqlite", "left": $(maildir up), "right": $(imap),
 "streams": [{"name": "mail", "left": "message", "right": "message", "direction": "left-to-right"}]}
JSON
echo '{"overquota": "append"}' > control.json
runp run up.json
if [ $rc != 0 ] && grep -q "over a limit" <<<"$out" && [ "$(grep -c "over a limit" <<<"$out")" -le 2 ] && ! ctl msgids "$ALL" | grep -q "^u"; then
  ok "NO [OVERQUOTA] on APPEND stops the batch as a retry"
else bad "overquota append" "$out"; fi
# held back an hour (the limit is daily), not the minute of a failed write
wait_s=$(sqlite3 up.sqlite "SELECT min(next_retry) - strftime('%s','now') FROM quarantine")
[ "${wait_s:-0}" -ge 3000 ] && ok "…and the messages wait an hour before the next try" || bad "overquota back-off: ${wait_s}s" "$out"
echo '{}' > control.json
sqlite3 up.sqlite "UPDATE quarantine SET next_retry = 0"   # the hour has passed
runp run up.json
[ $rc = 0 ] && [ "$(ctl msgids "$ALL" | grep -c '^u')" = 2 ] && ok "the next run uploads them (LITERAL-: over 4096 octets)" || bad "after overquota append" "$out"

# ---- an APPEND Gmail drops: the Message-ID it already holds -------------------
printf 'Message-ID: <dup@x.test>\nFrom: a@x.test\nSubject: the copy Gmail has\n\nolder body\n' > dup-gmail.eml
ctl append INBOX dup-gmail.eml
printf 'Message-ID: <dup@x.test>\nFrom: a@x.test\nSubject: the same message, another copy\n\nnewer, longer body\n' > up/cur/1700000009.dup.host:2,S
runp run up.json
first_rc=$rc first=$out
runp run up.json
if [ $first_rc = 0 ] && ! grep -q "gone again" <<<"$first" && grep -q "nothing to do" <<<"$out" &&
   [ "$(ctl msgids "$ALL" | grep -c '^dup@x.test$')" = 1 ]; then
  ok "an APPEND Gmail de-duplicates is linked to the message Gmail holds; the next run has nothing to do"
else bad "append de-dup" "$first" "--- then:" "$out"; fi

# ---- …and the message Gmail holds keeps every label it has --------------------
# (an mbsync-made Maildir holds one copy per label: the copy in .Work is the
# message Gmail has in INBOX and under Keep; its create adds Work, takes none off)
printf 'Message-ID: <lab@x.test>\nFrom: a@x.test\nSubject: labelled\n\nbody\n' > lab.eml
ctl append INBOX lab.eml
ctl store "$ALL" lab@x.test +X-GM-LABELS Keep
mkdir -p up/.Work/{cur,new,tmp}
cp lab.eml "up/.Work/cur/1700000010.lab.host:2,S"
runp run up.json
labels=$(ctl labels "$ALL" | grep '^lab@x.test ')
if [ $rc = 0 ] && [ "$labels" = 'lab@x.test Keep Work \\Inbox' ]; then
  ok "an APPEND Gmail de-duplicates adds its labels and takes none off the message Gmail holds"
else bad "append de-dup labels: $labels (want Keep Work \\\\Inbox, as imapctl prints Gmail's quoted system label)" "$out"; fi
exit $fail
