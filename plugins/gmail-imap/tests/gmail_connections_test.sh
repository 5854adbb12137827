#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gmail-imap's max_connections (issue 22 item 8: "keep the connection count
# low and configurable"; Gmail allows 15 IMAP connections per account): the
# count holds over every instance on the account at once, in one process (a
# pipeline's two stream threads) and in several (three accord runs started
# together), counted by the Gmail fake (--peak: the most connections of the
# account signed in at once). Every command is slowed (the fake's "delay")
# so that the runs overlap; the runs that wait for a connection still finish.
# Usage: gmail_connections_test.sh ACCORD FAKE IMAPCTL
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../../../tests/report.sh"  # ok, bad, runp (before any cd)
. "$(dirname "${BASH_SOURCE[0]}")/mail_lib.sh"                # mail_work, gmail_fake, ctl, imap, maildir
accord=$(realpath "$1") fake=$(realpath "$2") imapctl=$(realpath "$3")
mail_work gmail-connections
gmail_fake "$fake" --peak "$work/peak.json"
count() { find "$1" -path '*/.accord' -prune -o -type f \( -path '*/cur/*' -o -path '*/new/*' \) -print 2>/dev/null | wc -l; }
peak() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("ada", 0))' "$work/peak.json" 2>/dev/null || echo 0; }

for s in a1 a2 b1 b2; do
  printf 'Message-ID: <%s@x.test>\nFrom: a@x.test\nSubject: %s\n\nbody %s\n' $s $s $s > $s.eml
  ctl append INBOX $s.eml
done

# pipelines MAX: "multi" (two streams, a thread each: a1 a2 and b1 b2, into
# one Maildir), "p2" and "p3" (every message, each into its own Maildir), all
# on ada's account with max_connections MAX; fresh states and Maildirs
pipelines() {
  rm -rf multi p2 p3 ./*.sqlite* peak.json
  local left
  left=$(imap ", \"max_connections\": $1")
  cat > multi.json <<JSON
{"name": "multi", "state": "multi.sqlite", "left": $left, "right": $(maildir multi),
 "streams": [{"name": "a", "left": "message", "right": "message", "direction": "left-to-right",
              "filter": {"left": [{"field": "/subject", "in": ["a1", "a2"]}]}},
             {"name": "b", "left": "message", "right": "message", "direction": "left-to-right",
              "filter": {"left": [{"field": "/subject", "in": ["b1", "b2"]}]}}]}
JSON
  for p in p2 p3; do
    cat > $p.json <<JSON
{"name": "$p", "state": "$p.sqlite", "left": $left, "right": $(maildir $p),
 "streams": [{"name": "mail", "left": "message", "right": "message", "direction": "left-to-right"}]}
JSON
  done
}
# all three at once; each one's exit code in rc_NAME, output in NAME.out
together() {
  local p pids=()
  for p in multi p2 p3; do
    ( "$accord" run $p.json > $p.out 2>&1; echo $? > $p.rc ) &
    pids+=($!)
  done
  wait "${pids[@]}"
  cat multi.out p2.out p3.out >> all.out
}
finished() { [ "$(cat multi.rc)" = 0 ] && [ "$(cat p2.rc)" = 0 ] && [ "$(cat p3.rc)" = 0 ] &&
             [ "$(count multi)" = 4 ] && [ "$(count p2)" = 4 ] && [ "$(count p3)" = 4 ]; }

echo '{"delay": 0.04}' > control.json

# ---- one connection: four sessions (two threads, two more processes) wait their turn
pipelines 1
t0=$(date +%s)
together
took=$(( $(date +%s) - t0 ))
if finished && [ "$(peak)" = 1 ]; then
  ok "max_connections 1: the fake saw at most 1 connection at once; the two streams and three runs all finished (${took} s)"
else bad "max_connections 1: peak $(peak), exit codes $(cat multi.rc p2.rc p3.rc | tr '\n' ' '), messages $(count multi) $(count p2) $(count p3)" \
       "$(cat multi.out p2.out p3.out)"; fi

# ---- two: never more, and the runs still finish
pipelines 2
together
if finished && [ "$(peak)" -le 2 ]; then
  ok "max_connections 2: at most $(peak) at once, every run finished"
else bad "max_connections 2: peak $(peak), exit codes $(cat multi.rc p2.rc p3.rc | tr '\n' ' ')" "$(cat multi.out p2.out p3.out)"; fi

# ---- a connection that cannot be had within io_timeout_seconds is a retry
# (the host waits as it asks and tries again within the run), never more
# connections than allowed. Events, not times: p3 signs in and the fake then
# holds its commands (control "hold") until p2 has ended, so p3's connection
# and its one slot stay taken for the whole of p2's run however slow the
# machine; p2 can only wait for it, give up after io_timeout_seconds (1 s),
# wait as asked and give up again, and end asking to be run again. (Before,
# p3 was only slowed, 0.2 s a command: under load p2 could start after p3 had
# let its slot go, and found one free.)
pipelines 1
sed -i 's/"max_connections": 1/"max_connections": 1, "io_timeout_seconds": 1/' p2.json
sed -i 's/"max_connections": 1/"max_connections": 1, "io_timeout_seconds": 600/' p3.json  # held as long as p2 runs
touch hold
printf '{"hold": "%s"}\n' "$work/hold" > control.json
( "$accord" run p3.json > p3.out 2>&1; echo $? > p3.rc ) &
holder=$!
for _ in $(seq 1 1200); do [ "$(peak)" = 1 ] && break; sleep 0.1; done   # p3 signed in (up to 120 s)
if [ "$(peak)" = 1 ]; then
  runp run p2.json
  held_peak=$(peak) held_count=$(count p2)
else
  out="p3 never signed in" rc=x held_peak=$(peak) held_count=x
fi
rm -f hold
wait $holder
if grep -q "connections to ada this machine may open (max_connections) stayed in use by other runs for 1 s" <<<"$out" &&
   [ "$rc" != 0 ] && [ "$rc" != x ] && grep -q "run again" <<<"$out" && [ "$held_peak" = 1 ] && [ "$held_count" = 0 ] &&
   [ "$(cat p3.rc)" = 0 ] && [ "$(count p3)" = 4 ] && [ "$(peak)" = 1 ]; then
  ok "a run that finds every connection taken for io_timeout_seconds waits as a retry naming max_connections, then ends for a later run; the holder finishes"
else bad "waiting for a connection: exit $rc, peak $held_peak while held, $(peak) after; p2 wrote $held_count; p3 exit $(cat p3.rc 2>/dev/null), $(count p3) messages" \
       "$out" "--- p3:" "$(cat p3.out)"; fi
echo '{}' > control.json
runp run p2.json
[ $rc = 0 ] && [ "$(count p2)" = 4 ] && ok "…and p2 holds every message after its next run" || bad "after the wait: $(count p2)" "$out"

grep -q "$pw" all.out && bad "the password appears in the output"
exit $fail
