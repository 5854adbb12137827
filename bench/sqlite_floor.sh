#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The floor under the engine benchmark's first sync: SQLite alone (the sqlite3
# shell, no accord) writing what the first sync of N matching pairs leaves in
# the state (schema 3), in one transaction, and committing it (as a lone
# pair's first sync does: the rollback journal, synchronous FULL, the state's
# 32 MiB page cache):
#   - N record_data rows (both sides hold the same contacts: one row each),
#     appended;
#   - 2 x N mirror_rows, each side's in id order;
#   - N links in left-id order, then N link_rights in right-id order;
#   - the commit.
# Prints the seconds of each step and their sum.
# Usage: bench/sqlite_floor.sh [N]   (N defaults to 1000000)
set -euo pipefail
n=${1:-1000000}
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-sqlite-floor.XXXXXX")
trap 'rm -rf "$work"' EXIT
sqlite3 "$work/floor.sqlite" > "$work/times.txt" <<SQL
PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL; PRAGMA cache_size=-32768;
CREATE TABLE record_data(id INTEGER PRIMARY KEY, data TEXT NOT NULL, refs INTEGER NOT NULL);
CREATE TABLE mirror_rows(pair TEXT, side TEXT, id TEXT, version TEXT, modified TEXT, data_id INTEGER NOT NULL,
  included INTEGER NOT NULL, deleted INTEGER NOT NULL, keys TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(pair, side, id)) WITHOUT ROWID;
CREATE TABLE links(pair TEXT, left_id TEXT, right_id TEXT, base_left TEXT, base_right TEXT,
  PRIMARY KEY(pair, left_id)) WITHOUT ROWID;
CREATE TABLE link_rights(pair TEXT, right_id TEXT, left_id TEXT NOT NULL, PRIMARY KEY(pair, right_id)) WITHOUT ROWID;
CREATE TEMP TABLE src AS SELECT value AS v, lower(hex(randomblob(8))) AS l, lower(hex(randomblob(8))) AS r,
  printf('{"@type":"Card","uid":"urn:uuid:bench-%d","name":{"full":"Person %d","components":[{"kind":"given","value":"Person"},{"kind":"surname","value":"%d"}]},"emails":{"e1":{"address":"person%d@example.org"}},"phones":{"p1":{"number":"+1 555 %d"}}}', value, value, value, value, value) AS data
  FROM generate_series(1, $n);
CREATE TEMP TABLE by_left AS SELECT * FROM src ORDER BY l;
CREATE TEMP TABLE by_right AS SELECT * FROM src ORDER BY r;
.timer on
BEGIN;
INSERT INTO record_data(id, data, refs) SELECT v, data, 2 FROM src;
INSERT INTO mirror_rows SELECT 'contact', 'left', l, v, '2026-11-21T16:15:19.915Z', v, 1, 0, 'person' || v || '@example.org' || char(31) FROM by_left;
INSERT INTO mirror_rows SELECT 'contact', 'right', r, v, '2026-11-21T16:15:19.915Z', v, 1, 0, 'person' || v || '@example.org' || char(31) FROM by_right;
INSERT INTO links SELECT 'contact', l, r, '', '' FROM by_left;
INSERT INTO link_rights SELECT 'contact', r, l FROM by_right;
COMMIT;
SQL
awk -v n="$n" '/^Run Time/ {t[++k] = $4} END {
  printf "SQLite alone, the state a first sync of %d pairs writes: data %.2f s, mirror rows %.2f s + %.2f s, links %.2f s + %.2f s, commit %.2f s, total %.3f s\n",
    n, t[2], t[3], t[4], t[5], t[6], t[7], t[2] + t[3] + t[4] + t[5] + t[6] + t[7] }' "$work/times.txt"
