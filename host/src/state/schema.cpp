// SPDX-License-Identifier: Apache-2.0
// The state's schema: the migrations from each version to the next (append
// only), and the migration of an opened state to this program's version. A
// state newer than this program is refused, never written.
#include "state/state_store.hpp"

using accord::sql::Stmt;

namespace accord {

// Each migration takes the schema from version i to i+1. Append only.
static const char* kMigrations[] = {
    // 0 → 1
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT INTO meta VALUES ('generation', '0');"
    "CREATE TABLE runs(id INTEGER PRIMARY KEY, kind TEXT, started TEXT, finished TEXT, status TEXT, summary TEXT, error TEXT);"
    "CREATE TABLE cursors(pair TEXT, side TEXT, cursor TEXT NOT NULL, PRIMARY KEY(pair, side));"
    "CREATE TABLE mirror(pair TEXT, side TEXT, id TEXT, version TEXT, modified TEXT, data TEXT,"
    "  included INTEGER NOT NULL, deleted INTEGER NOT NULL, keys TEXT NOT NULL DEFAULT '',"
    "  PRIMARY KEY(pair, side, id));"
    // what changed since it was last planned: a small table, cheap to clear
    "CREATE TABLE dirty(pair TEXT, side TEXT, id TEXT, PRIMARY KEY(pair, side, id)) WITHOUT ROWID;"
    "CREATE TABLE links(pair TEXT, left_id TEXT, right_id TEXT, base_left TEXT, base_right TEXT, PRIMARY KEY(pair, left_id)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX links_right ON links(pair, right_id);"
    "CREATE TABLE journal(id INTEGER PRIMARY KEY, pair TEXT, side TEXT, op TEXT, target_id TEXT, source_id TEXT,"
    "  idem_key TEXT, data TEXT, created TEXT);"
    "CREATE TABLE quarantine(pair TEXT, side TEXT, id TEXT, error TEXT, attempts INTEGER, next_retry INTEGER,"
    "  PRIMARY KEY(pair, side, id));"
    "CREATE TABLE conflicts(id INTEGER PRIMARY KEY, pair TEXT, left_id TEXT, right_id TEXT, field TEXT,"
    "  left_value TEXT, right_value TEXT, created TEXT, decided TEXT, closed INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX conflicts_record ON conflicts(pair, left_id);",
    // 1 → 2: a record's data moves to a table of its own, referred to by
    // rowid, so that a first sync appends each record's data once, as it is
    // read, and then adds the narrow mirror rows in key order; two records
    // whose data are equal byte for byte (the same records on both sides)
    // share one row. `mirror` stays, as a view, for people and tests that
    // look at the state with sqlite3.
    "CREATE TABLE record_data(id INTEGER PRIMARY KEY, data TEXT NOT NULL, refs INTEGER NOT NULL);"
    "CREATE TABLE mirror_rows(pair TEXT, side TEXT, id TEXT, version TEXT, modified TEXT, data_id INTEGER NOT NULL,"
    "  included INTEGER NOT NULL, deleted INTEGER NOT NULL, keys TEXT NOT NULL DEFAULT '',"
    "  PRIMARY KEY(pair, side, id)) WITHOUT ROWID;"
    "INSERT INTO record_data(id, data, refs) SELECT rowid, coalesce(data, ''), 1 FROM mirror;"
    "INSERT INTO mirror_rows SELECT pair, side, id, version, modified, rowid, included, deleted, keys FROM mirror"
    "  ORDER BY pair, side, id;"
    "DROP TABLE mirror;"
    "CREATE VIEW mirror AS SELECT m.pair, m.side, m.id, m.version, m.modified, d.data, m.included, m.deleted, m.keys"
    "  FROM mirror_rows m JOIN record_data d ON d.id = m.data_id;",
    // 2 → 3: a link is found by its right id through a table of its own
    // instead of an index, so that a first sync appends its links there in
    // right-id order, sorted beside the rows going into links, instead of
    // SQLite sorting them all again to build the index.
    "CREATE TABLE link_rights(pair TEXT, right_id TEXT, left_id TEXT NOT NULL, PRIMARY KEY(pair, right_id)) WITHOUT ROWID;"
    "INSERT INTO link_rights SELECT pair, right_id, left_id FROM links ORDER BY pair, right_id;"
    "DROP INDEX links_right;",
    // 3 → 4: records a connector sent that the host could not read, and
    // skipped (`accord status` lists them until they are read well).
    "CREATE TABLE unreadable(pair TEXT, side TEXT, key TEXT, id TEXT NOT NULL, connector TEXT NOT NULL,"
    "  stream TEXT NOT NULL, pointer TEXT NOT NULL, reason TEXT NOT NULL, seen TEXT NOT NULL,"
    "  PRIMARY KEY(pair, side, key)) WITHOUT ROWID;",
    // 4 → 5: every write a run committed, for `accord log` and `accord
    // undo`: the record's data before it (a delete's, an update's) and after
    // it (a create's, an update's), each a reference to a record_data row
    // (shared with the mirror, counted in its refs: a first sync's creates
    // add a narrow row each, no second copy of their data). Kept for the last
    // history.keep_runs runs.
    "CREATE TABLE history(seq INTEGER PRIMARY KEY, run INTEGER NOT NULL, pair TEXT NOT NULL, side TEXT NOT NULL,"
    "  record_id TEXT NOT NULL, op TEXT NOT NULL, before_id INTEGER, after_id INTEGER, version TEXT NOT NULL,"
    "  other_id TEXT NOT NULL);"
    "CREATE INDEX history_run ON history(run);",
    // 5 → 6: a link's base kept by reference (LinkRow::Kept): the record_data
    // row a change was about to release, held by the link until the pair is
    // in accord again. A table of its own, so that the links rows are not
    // written by a change at all; a state of version 5 has none (its bases
    // are implicit or written out in links, as before).
    "CREATE TABLE link_bases(pair TEXT, left_id TEXT, side TEXT, data_id INTEGER NOT NULL,"
    "  PRIMARY KEY(pair, left_id, side)) WITHOUT ROWID;",
    // 6 → 7: the creates answered retry, which may have been made (their
    // answer lost): by target side and key, with their source and data, until
    // a try is answered ok (Journal::retried). Apart from the journal's
    // intents, which crash recovery reads.
    "CREATE TABLE retried_creates(pair TEXT, side TEXT, idem_key TEXT, source_id TEXT NOT NULL, data TEXT NOT NULL,"
    "  created TEXT NOT NULL, PRIMARY KEY(pair, side, idem_key)) WITHOUT ROWID;",
    // 7 → 8: a kept create says how many of its tries were answered retry
    // and the last answer (accord status lists them); `created` is the time
    // of the latest try that may have made its record (the connector is
    // told it: sent_at). The rows kept before count one try, their answer
    // unknown.
    "ALTER TABLE retried_creates ADD COLUMN tries INTEGER NOT NULL DEFAULT 1;"
    "ALTER TABLE retried_creates ADD COLUMN last_answer TEXT NOT NULL DEFAULT '';",
    // 8 → 9: why a kept create is not sent ("filter", "direction"; "" while
    // it is): a record its try made is never deleted once the filter let its
    // source go, even when that source is deleted later (review s10 N2).
    "ALTER TABLE retried_creates ADD COLUMN parked TEXT NOT NULL DEFAULT '';",
    // 9 → 10: when a kept create's first try that may have made its record
    // was sent (a lower bound; the connector is told it: first_sent_at), for
    // a store that can find that record only by its content and must not
    // take a user's older look-alike for it (review s11 F6). "": not known.
    "ALTER TABLE retried_creates ADD COLUMN first_sent TEXT NOT NULL DEFAULT '';",
    // 10 → 11: the filter each pair side's `included` flags were judged by
    // (record_filter.hpp's filter_mark), so that a run whose pipeline filter
    // differs judges every row of that side again (review s13 L1). A state of
    // version 10 has none: its next run judges every row once.
    "CREATE TABLE filter_marks(pair TEXT, side TEXT, mark TEXT NOT NULL, PRIMARY KEY(pair, side)) WITHOUT ROWID;",
    // 11 → 12: the run each intent is of, so that the writes of a run
    // stopped before it recorded them, which the next run confirms or
    // completes, go into that run's history (`accord log`, `accord undo`;
    // review s18 F2). An intent kept before: 0, not known (the resuming run's).
    "ALTER TABLE journal ADD COLUMN run INTEGER NOT NULL DEFAULT 0;",
};

const char* StateStore::migration(int from) {
  return from >= 0 && from < kStateSchemaVersion ? kMigrations[from] : nullptr;
}

Result<void> StateStore::migrate() {
  int version = 0;
  {
    Stmt v(db_, "PRAGMA user_version");
    if (v.step()) version = static_cast<int>(v.i64(0));
  }
  if (version > kStateSchemaVersion)
    return fail(db_.path() + ": the state was written by a newer accord (schema " + std::to_string(version) +
                ", this one knows " + std::to_string(kStateSchemaVersion) + "); upgrade accord");
  for (int v = version; v < kStateSchemaVersion; ++v) {
    sql::Transaction tx(db_);
    db_.exec(kMigrations[v]);
    db_.exec("PRAGMA user_version = " + std::to_string(v + 1));
    tx.commit();
  }
  return {};
}

}  // namespace accord
