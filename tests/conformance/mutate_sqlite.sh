#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# A --mutate hook for the local connector's sqlite backend: `mutate_sqlite.sh
# DB unreadable STREAM` puts a row whose data is not JSON into the stream's
# table (as any SQLite tool could); `… repair STREAM` deletes it. Needs the
# sqlite3 command.
set -eu
db=$1 action=$2 stream=$3
case $action in
  unreadable) sqlite3 "$db" "INSERT INTO \"r_$stream\"(id, seq, version, modified, data)
      VALUES ('accord-conformance-unreadable', (SELECT CAST(value AS INTEGER) + 1 FROM meta WHERE key = 'seq'),
              'x', '2026-01-01T00:00:00Z', '{\"title\": not-json}');
      UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'seq';" ;;
  repair) sqlite3 "$db" "DELETE FROM \"r_$stream\" WHERE id = 'accord-conformance-unreadable'" ;;
  *) echo "mutate_sqlite.sh: unknown action $action" >&2; exit 2 ;;
esac
