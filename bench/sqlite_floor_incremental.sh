#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The floor under the engine benchmark's 1% run: SQLite alone (the sqlite3
# shell, no accord) writing what that run must leave in the state, on a copy
# of the very state the run started from, for the very records that changed
# (WAL, synchronous NORMAL, the state's 32 MiB page cache, as a run has it).
# For each record that changed on one side and the record it is linked to:
#   - fold: the changed record's new data appended, its mirror row pointed at
#     it, its old data row's reference dropped; committed;
#   - intents: a journal row per write; committed (before any remote write);
#   - results: the target's new data appended, its mirror row pointed at it,
#     a history row (before: its old data, kept; after: the new), the intents
#     removed; committed.
# Nothing else: no dirty rows, no link rewritten, no cursor (what the engine
# does beyond this is what the floor does not). The new data (the benchmark's
# change, as json_set makes it) is computed before the clock starts.
# Prints the seconds of each step and their sum.
# Usage: bench/sqlite_floor_incremental.sh STATE LEFT_IDS RIGHT_IDS
#   STATE: the state before the 1% run (copied here, left as it is);
#   LEFT_IDS, RIGHT_IDS: the ids changed on each side, one a line.
set -euo pipefail
state=$1 left_ids=$2 right_ids=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/accord-sqlite-floor-1pct.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$state" "$work/floor.sqlite"
for f in "$state-wal" "$state-shm"; do [ -e "$f" ] && cp "$f" "$work/floor.sqlite${f#"$state"}"; done
n=$(( $(wc -l < "$left_ids") + $(wc -l < "$right_ids") ))
{
  echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-32768;"
  echo "CREATE TEMP TABLE changed(side TEXT, id TEXT);"
  sed "s/'/''/g; s/.*/INSERT INTO changed VALUES ('left', '&');/" "$left_ids"
  sed "s/'/''/g; s/.*/INSERT INTO changed VALUES ('right', '&');/" "$right_ids"
  cat <<'SQL'
CREATE TEMP TABLE pair_name AS SELECT pair FROM links LIMIT 1;
CREATE TEMP TABLE c0 AS
  SELECT c.side, c.id,
         CASE c.side WHEN 'left' THEN 'right' ELSE 'left' END AS oside,
         CASE c.side WHEN 'left' THEN (SELECT right_id FROM links l WHERE l.pair = p.pair AND l.left_id = c.id)
                     ELSE (SELECT left_id FROM link_rights r WHERE r.pair = p.pair AND r.right_id = c.id) END AS oid,
         p.pair AS pair
  FROM changed c, pair_name p;
CREATE TEMP TABLE chg AS
  SELECT c.*, ms.data_id AS src_old, mt.data_id AS tgt_old,
         json_set(ds.data, CASE c.side WHEN 'left' THEN '$.name.full' ELSE '$.phones.p1.number' END,
                  CASE c.side WHEN 'left' THEN 'Changed on the left' ELSE '+1 555 9999' END) AS src_new,
         json_set(dt.data, CASE c.side WHEN 'left' THEN '$.name.full' ELSE '$.phones.p1.number' END,
                  CASE c.side WHEN 'left' THEN 'Changed on the left' ELSE '+1 555 9999' END) AS tgt_new,
         (SELECT max(id) FROM record_data) + 2 * row_number() OVER () - 1 AS src_new_id,
         (SELECT max(id) FROM record_data) + 2 * row_number() OVER () AS tgt_new_id,
         (SELECT coalesce(max(id), 0) FROM journal) + row_number() OVER () AS intent
  FROM c0 c
  JOIN mirror_rows ms ON ms.pair = c.pair AND ms.side = c.side AND ms.id = c.id
  JOIN mirror_rows mt ON mt.pair = c.pair AND mt.side = c.oside AND mt.id = c.oid
  JOIN record_data ds ON ds.id = ms.data_id
  JOIN record_data dt ON dt.id = mt.data_id;
SELECT 'changes ' || count(*) FROM chg;
.timer on
BEGIN;
INSERT INTO record_data(id, data, refs) SELECT src_new_id, src_new, 1 FROM chg ORDER BY src_new_id;
UPDATE mirror_rows SET data_id = c.src_new_id, version = 'v2', modified = '2026-12-06T00:00:00.000Z'
  FROM chg c WHERE mirror_rows.pair = c.pair AND mirror_rows.side = c.side AND mirror_rows.id = c.id;
UPDATE record_data SET refs = refs - 1 WHERE id IN (SELECT src_old FROM chg);
DELETE FROM record_data WHERE refs <= 0 AND id IN (SELECT src_old FROM chg);
COMMIT;
BEGIN;
INSERT INTO journal(id, pair, side, op, target_id, source_id, idem_key, data, created)
  SELECT intent, pair, oside, 'update', oid, id, '', tgt_new, '2026-12-06T00:00:00Z' FROM chg ORDER BY intent;
COMMIT;
BEGIN;
INSERT INTO record_data(id, data, refs) SELECT tgt_new_id, tgt_new, 2 FROM chg ORDER BY tgt_new_id;
UPDATE mirror_rows SET data_id = c.tgt_new_id, version = 'v2', modified = '2026-12-06T00:00:00.000Z'
  FROM chg c WHERE mirror_rows.pair = c.pair AND mirror_rows.side = c.oside AND mirror_rows.id = c.oid;
INSERT INTO history(run, pair, side, record_id, op, before_id, after_id, version, other_id)
  SELECT 1, pair, oside, oid, 'update', tgt_old, tgt_new_id, 'v2', id FROM chg;
DELETE FROM journal WHERE id IN (SELECT intent FROM chg);
COMMIT;
SQL
} | sqlite3 "$work/floor.sqlite" > "$work/times.txt"
awk -v n="$n" '/^changes / {c = $2} /^Run Time/ {t[++k] = $4} END {
  if (c != n) { printf "sqlite_floor_incremental: %d of %d changed records found in the state\n", c, n > "/dev/stderr"; exit 1 }
  fold = t[1] + t[2] + t[3] + t[4] + t[5] + t[6]; intents = t[7] + t[8] + t[9]; results = t[10] + t[11] + t[12] + t[13] + t[14] + t[15]
  printf "SQLite alone, the state the 1%% run writes for %d changed records: fold %.2f s, intents %.2f s, results %.2f s, total %.3f s\n",
    n, fold, intents, results, fold + intents + results }' "$work/times.txt"
