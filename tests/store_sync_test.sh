#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A local SQLite store's apply is on its disk when it answers (review s15
# F1). The store is WAL with synchronous=NORMAL, whose commits a power loss
# may drop; the host records an answered write as done, and the next batch's
# intents commit (synced) makes that record durable. A store that lost the
# write then holds the record's old data at an older version, which the next
# run reads as a person's edit back to it and carries to the other side: both
# people's edits lost. So the store's apply commit syncs its WAL: no write of
# the state may follow a write of the store's WAL before that WAL is synced.
# One JSON note folder on the left, a SQLite store on the right; strace
# follows the files' writes and syncs.
# Usage: store_sync_test.sh ACCORD
set -u
. "$(dirname "${BASH_SOURCE[0]}")/report.sh"  # ok, bad, runp (before any cd)
accord=$(realpath "$1")
need_strace
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-store-sync.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
cd "$work"
export HOME="$work" ACCORD_ADMIN= ACCORD_SECRETS=
mkdir -p left/note
printf '{"name": "s", "state": "st.sqlite",
 "left": {"connector": "local", "config": {"backend": "json", "path": "left"}},
 "right": {"connector": "local", "config": {"backend": "sqlite", "path": "right.sqlite"}},
 "streams": [{"left": "note", "right": "note", "guards": {"max_create_share": 1, "max_update_share": 1}}]}\n' > p.json
note() { printf '{"title": "%s", "body": "%s"}\n' "$1" "$2" > "left/note/$1.json"; }
for i in 1 2 3 4 5; do note a$i first; done
# In order: writes and syncs of the store's WAL ("store-w", "store-s") and
# writes of the state's files ("state-w")
events() {
  python3 - "$1" <<'PY'
import re, sys
for line in open(sys.argv[1]):
    m = re.search(r'(\w+)\(\d+<([^>]*)>', line)
    if not m:
        continue
    call, path = m.group(1), m.group(2)
    if path.endswith('/right.sqlite-wal'):
        if call in ('pwrite64', 'write', 'pwritev'):
            print('store-w')
        elif call in ('fsync', 'fdatasync'):
            print('store-s')
    elif re.search(r'/st\.sqlite(-wal|-journal)?$', path) and call in ('pwrite64', 'write', 'pwritev'):
        print('state-w')
PY
}
# every store WAL write synced before the state is written again
synced_before_state() {
  events "$1" | awk '$1 == "store-w" { pending = 1; n++ } $1 == "store-s" { pending = 0 }
                     $1 == "state-w" && pending { bad = 1 } END { exit !(n > 0 && !bad) }'
}
trace() { strace -f -y -e trace=pwrite64,write,pwritev,fsync,fdatasync -o "$@"; }
trace first.trace "$accord" run p.json > first.out 2>&1; rc=$?
[ $rc = 0 ] && [ "$(sqlite3 right.sqlite 'SELECT count(*) FROM r_note WHERE deleted = 0')" = 5 ] \
  && synced_before_state first.trace && ok the-creates-are-synced-before-the-state-records-them \
  || bad the-creates-are-synced-before-the-state-records-them "rc=$rc" "$(cat first.out)" "$(events first.trace | uniq -c)"
sleep 1.1
for i in 1 2 3; do note a$i second; done
trace second.trace "$accord" run p.json > second.out 2>&1; rc=$?
[ $rc = 0 ] && [ "$(sqlite3 right.sqlite "SELECT count(*) FROM r_note WHERE data LIKE '%second%'")" = 3 ] \
  && synced_before_state second.trace && ok the-updates-are-synced-before-the-state-records-them \
  || bad the-updates-are-synced-before-the-state-records-them "rc=$rc" "$(cat second.out)" "$(events second.trace | uniq -c)"
exit $fail
