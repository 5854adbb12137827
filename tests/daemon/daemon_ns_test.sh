#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# accord daemon (issue 27) in namespaces of its own (needs root, unshare and
# iproute2, which install-deps.sh names; without them the test FAILs):
#   - "the network comes back": in a network namespace, a vCard folder ⇄ SQLite
#     pair on a one-hour schedule with its file watch off carries a new card
#     only when an address is added (netlink RTM_NEWADDR), not before;
#   - the journal: in a mount namespace, a tmpfs over /run/systemd/journal
#     holds a fake journal socket (journal_listener.py); with JOURNAL_STREAM
#     naming its stderr, as systemd sets it, the daemon logs there through
#     sd_journal_send (MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, ACCORD_PIPELINE)
#     and writes nothing to stderr.
# Usage: daemon_ns_test.sh ACCORD JOURNAL_LISTENER
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../report.sh"
accord=$(realpath "$1") listener=$(realpath "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-daemon-ns.XXXXXX")
dpid=""
cleanup() {
  [ -n "$dpid" ] && kill "$dpid" 2>/dev/null
  [ -s "$work/listener.pid" ] && kill "$(cat "$work/listener.pid")" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN= ACCORD_SECRETS=
card() { printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:%s\r\nFN:%s\r\nEND:VCARD\r\n' "$1" "$2"; }
names() { sqlite3 crm.sqlite "SELECT group_concat(json_extract(data, '\$.name.full')) FROM r_contact WHERE deleted = 0" 2>/dev/null; }
until_true() {  # SECONDS COMMAND...: until COMMAND succeeds (every 0.1 s)
  local n=$(($1 * 10))
  shift
  for _ in $(seq 1 "$n"); do "$@" && return 0; sleep 0.1; done
  return 1
}
has() { [ "$(names)" = "$1" ]; }
mkdir -p book
card ann "Ann Arbor" > book/ann.vcf
cat > p.json <<JSON
{"name": "contacts", "state": "$work/state.sqlite",
 "left": {"connector": "local", "config": {"backend": "vcard", "create": true, "path": "$work/book"}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "path": "$work/crm.sqlite"}},
 "streams": [{"name": "contacts", "left": "contact", "right": "contact", "schedule": {"every": "1h", "watch": false}}]}
JSON
# The daemon's own network and mount namespaces: lo up, a tmpfs over the
# journal's folder with the fake journal bound in it, stderr to a file that
# JOURNAL_STREAM names (device:inode, as systemd.exec(5) sets it).
unshare -m -n bash -c '
  set -e
  # the tmpfs first (nothing made on the machine outside the namespace)
  if [ -d /run/systemd ]; then mount -t tmpfs tmpfs /run/systemd; else mount -t tmpfs tmpfs /run; fi
  mkdir -p /run/systemd/journal
  ip link set lo up
  python3 "$1" /run/systemd/journal/socket journal.log > listener.out 2>&1 &
  echo $! > listener.pid
  for _ in $(seq 1 100); do grep -q ready listener.out && break; sleep 0.1; done
  exec 2> err.log
  JOURNAL_STREAM=$(stat -c %d:%i err.log) exec "$2" daemon p.json
' ns "$listener" "$accord" > out.log &
dpid=$!
if until_true 60 has "Ann Arbor"; then ok "the first run at start, in namespaces of its own"
else bad "no first run" "$(cat out.log err.log listener.out 2>&1)"; fi

# ---- the network comes back ---------------------------------------------------
card bo "Bo Brook" > book/bo.vcf
sleep 4
has "Ann Arbor" && ok "a new card waits (file watch off, schedule 1 h)" || bad "the card arrived without the network event" "$(names)"
nsenter -t "$dpid" -n ip addr add 10.77.0.1/32 dev lo || bad "nsenter/ip failed"
if until_true 15 has "Ann Arbor,Bo Brook"; then ok "an address added (a network came up): every pair checked, the card arrived"
else bad "no run after the network came up" "$(names)" "$(tail -5 journal.log)"; fi

# ---- the journal ----------------------------------------------------------------
jq_has() {  # PYTHON-EXPR over each entry e: some entry satisfies it
  python3 -c 'import json, sys
sys.exit(0 if any(eval(sys.argv[2], {"e": json.loads(l)}) for l in open(sys.argv[1]) if l.strip()) else 1)' journal.log "$1"
}
if jq_has 'e.get("MESSAGE") == "contacts: running contacts (network)" and e.get("PRIORITY") == "6" and e.get("SYSLOG_IDENTIFIER") == "accord" and e.get("ACCORD_PIPELINE") == "contacts"'; then
  ok "log lines go to the journal with PRIORITY, SYSLOG_IDENTIFIER and ACCORD_PIPELINE (the network run named)"
else bad "no journal entry for the network run" "$(cat journal.log 2>&1 | tail -8)"; fi
jq_has '"a network came up" in e.get("MESSAGE", "") and e.get("ACCORD_PIPELINE") == ""' && ok "the daemon's own lines too (no pipeline)" \
  || bad "no journal entry for the network event" "$(tail -8 journal.log)"
[ ! -s err.log ] && ok "nothing written to stderr when it is the journal's stream" || bad "stderr written" "$(head -5 err.log)"
kill -TERM "$dpid"
wait "$dpid"
rc=$?
dpid=""
[ $rc = 0 ] && ok "SIGTERM: exit 0" || bad "rc $rc"
exit $fail
