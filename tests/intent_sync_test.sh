#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The intents of a batch are on the disk before its writes go out (review s13
# L6): the state is WAL with synchronous=NORMAL, whose commits a power loss may
# drop; an intent dropped after its create went out would make the next run
# send it again as a fresh create. So the intents' commit syncs the WAL
# (synchronous=FULL for that transaction): a run killed right after its first
# batch's writes has synced the state's WAL at least once, and a run's WAL syncs
# grow with its batches, not its records. Two local JSON note stores; strace
# counts the syncs (fsync, fdatasync) of the state's files.
# Usage: intent_sync_test.sh ACCORD
set -u
. "$(dirname "${BASH_SOURCE[0]}")/report.sh"  # ok, bad, runp (before any cd)
accord=$(realpath "$1")
need_strace
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-intent-sync.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN= ACCORD_SECRETS=
mkdir -p left/note right/note
printf '{"name": "i", "state": "st.sqlite",
 "left": {"connector": "local", "config": {"backend": "json", "path": "left"}},
 "right": {"connector": "local", "config": {"backend": "json", "path": "right"}},
 "streams": [{"left": "note", "right": "note", "guards": {"max_create_share": 1}}]}\n' > p.json
note() { printf '{"title": "%s", "body": "b"}\n' "$1" > "left/note/$1.json"; }
for i in 1 2 3; do note a$i; done
runp run p.json
[ $rc = 0 ] && [ "$(ls right/note | wc -l)" = 3 ] && ok first-sync || bad first-sync "rc=$rc" "$out"
# In order: the state's WAL writes and syncs ("pwrite64 wal", "fdatasync wal")
# and the writes into the right store ("store")
events() {
  python3 - "$1" <<'PY'
import re, sys
for line in open(sys.argv[1]):
    m = re.search(r'(\w+)\(\d+<([^>]*)>', line)
    if m and m.group(2).endswith('/st.sqlite-wal') and m.group(1) in ('pwrite64', 'fsync', 'fdatasync'):
        print(m.group(1), 'wal')
    elif '/right/note/' in line:
        print('store')
PY
}
# whether the state's WAL was synced after its last write before the first
# write into the right store (the intents' frames on the disk before it)
synced_before_write() { events "$1" | awk '$1 == "store" { exit !(last ~ /sync/) } { last = $1 }'; }
wal_syncs() { events "$1" | grep -cE '^f(data)?sync wal'; }
trace() { strace -f -y -e trace=pwrite64,write,fsync,fdatasync,openat,rename -o "$@"; }
sleep 1.1
for i in 4 5 6 7 8; do note a$i; done
(ACCORD_FAILPOINT=apply.after_write trace killed.trace "$accord" run p.json > killed.out 2>&1) 2> /dev/null; krc=$?
[ $krc != 0 ] && [ "$(ls right/note | wc -l)" = 8 ] && synced_before_write killed.trace \
  && ok the-intents-are-synced-before-the-first-write \
  || bad the-intents-are-synced-before-the-first-write "killed rc=$krc" "$(cat killed.out)" "$(events killed.trace | tail -30)"
[ "$(sqlite3 st.sqlite "SELECT count(*) FROM journal")" = 5 ] && ok the-intents-stay-for-the-next-run \
  || bad the-intents-stay-for-the-next-run "$(sqlite3 st.sqlite 'SELECT * FROM journal')"
runp run p.json
[ $rc = 0 ] && [ "$(ls right/note | wc -l)" = 8 ] && ok next-run-settles-them-once || bad next-run-settles-them-once "rc=$rc" "$out" "$(ls right/note)"
# a batch of 2 creates and one of 30: the state's WAL is synced as often in
# both (a sync a batch, not a record)
sleep 1.1
for i in 10 11; do note a$i; done
trace two.trace "$accord" run p.json > two.out 2>&1; rc2=$?
sleep 1.1
for i in $(seq 20 49); do note a$i; done
trace thirty.trace "$accord" run p.json > thirty.out 2>&1; rc=$?
n2=$(wal_syncs two.trace) n30=$(wal_syncs thirty.trace)
[ $rc2 = 0 ] && [ $rc = 0 ] && [ "$(ls right/note | wc -l)" = 40 ] && [ "$n2" -ge 1 ] && [ "$n30" = "$n2" ] \
  && synced_before_write thirty.trace && ok a-batch-syncs-once-not-per-record \
  || bad a-batch-syncs-once-not-per-record "rc=$rc2/$rc, WAL syncs: $n2 for 2 creates, $n30 for 30" "$(cat thirty.out)" "$(events thirty.trace)"
exit $fail
