#!/usr/bin/env bash
# The floor under the engine benchmark's first sync: SQLite alone (the sqlite3
# shell, no accord) inserting N contacts' worth of mirror rows for each of two
# sides, sorted by id, into a table shaped like the state's mirror, in one
# transaction, and committing it (WAL, the state's 32 MiB page cache).
# Prints the seconds of each step and their sum.
# Usage: bench/sqlite_floor.sh [N]   (N defaults to 1000000)
set -euo pipefail
n=${1:-1000000}
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-sqlite-floor.XXXXXX")
trap 'rm -rf "$work"' EXIT
sqlite3 "$work/floor.sqlite" > "$work/times.txt" <<SQL
PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-32768;
CREATE TABLE mirror(pair TEXT, side TEXT, id TEXT, version TEXT, modified TEXT, data TEXT, included INTEGER NOT NULL,
  deleted INTEGER NOT NULL, keys TEXT NOT NULL DEFAULT '', PRIMARY KEY(pair, side, id));
CREATE TEMP TABLE src AS SELECT lower(hex(randomblob(8))) AS id, value AS v,
  printf('{"@type":"Card","uid":"urn:uuid:bench-%d","name":{"full":"Person %d","components":[{"kind":"given","value":"Person"},{"kind":"surname","value":"%d"}]},"emails":{"e1":{"address":"person%d@example.org"}},"phones":{"p1":{"number":"+1 555 %d"}}}', value, value, value, value, value) AS data
  FROM generate_series(1, $n);
.timer on
BEGIN;
INSERT INTO mirror SELECT 'contact', 'left', id, v, '2026-11-21T00:00:00Z', data, 1, 0, 'person' || v || '@example.org' FROM src ORDER BY id;
INSERT INTO mirror SELECT 'contact', 'right', id, v, '2026-11-21T00:00:00Z', data, 1, 0, 'person' || v || '@example.org' FROM src ORDER BY id;
COMMIT;
SQL
awk -v n="$n" '/^Run Time/ {t[++k] = $4} END {
  printf "SQLite alone, %d + %d mirror rows: left %.2f s, right %.2f s, commit %.2f s, total %.2f s\n", n, n, t[2], t[3], t[4], t[2] + t[3] + t[4] }' "$work/times.txt"
