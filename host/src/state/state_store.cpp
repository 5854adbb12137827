// SPDX-License-Identifier: Apache-2.0
#include "state/state_store.hpp"

#include "common/beside.hpp"
#include "common/digest.hpp"
#include <accord/time/utc_time.hpp>

#include <accord/net/redact.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>

namespace fs = std::filesystem;
using accord::sql::Stmt;

namespace accord {

std::string now_rfc3339() { return utc::format(static_cast<int64_t>(std::time(nullptr))); }

static int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Result<std::unique_ptr<StateStore>> StateStore::open(const fs::path& path) {
  std::error_code ec;
  if (path != ":memory:" && path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  if (ec) return fail(path.parent_path().string() + ": cannot create the state folder: " + ec.message());
  // It holds every record's data: made readable by its owner only (SQLite
  // gives its journal and WAL files the same mode).
  if (path != ":memory:") {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);
  }
  try {
    std::unique_ptr<StateStore> s(new StateStore(path));
    if (auto m = s->migrate(); !m) return std::unexpected(m.error());
    return s;
  } catch (const std::exception& e) {
    return fail(std::string("state ") + e.what());
  }
}

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

int64_t StateStore::generation() {
  Stmt s(db_, "SELECT value FROM meta WHERE key = 'generation'");
  return s.step() ? std::stoll(std::string(s.text(0))) : 0;
}
std::optional<std::string> StateStore::identity() {
  Stmt s(db_, "SELECT value FROM meta WHERE key = 'identity'");
  if (s.step()) return std::string(s.text(0));
  return std::nullopt;
}

void StateStore::set_identity(const std::string& json) {
  Stmt s(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES ('identity', ?1)");
  s.bind(1, json).run();
}

void StateStore::bump_generation() {
  db_.exec("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'");
}

std::optional<std::string> StateStore::cursor(const std::string& pair, Side side) {
  Stmt s(db_, "SELECT cursor FROM cursors WHERE pair = ?1 AND side = ?2");
  s.bind(1, pair).bind(2, side_name(side));
  if (s.step()) return std::string(s.text(0));
  return std::nullopt;
}
void StateStore::set_cursor(const std::string& pair, Side side, const std::string& cursor) {
  Stmt s(db_, "INSERT OR REPLACE INTO cursors(pair, side, cursor) VALUES (?1, ?2, ?3)");
  s.bind(1, pair).bind(2, side_name(side)).bind(3, cursor).run();
}

static MirrorRow mirror_from(Stmt& s, int off) {
  MirrorRow r;
  r.id = s.text(off);
  r.version = s.text(off + 1);
  r.modified = s.text(off + 2);
  r.data = s.text(off + 3);
  r.included = s.i64(off + 4) != 0;
  r.dirty = s.i64(off + 5) != 0;
  r.deleted = s.i64(off + 6) != 0;
  r.keys = s.text(off + 7);
  return r;
}

std::optional<MirrorRow> StateStore::mirror(const std::string& pair, Side side, const std::string& id) {
  Stmt s(db_, "SELECT m.id, m.version, m.modified, d.data, m.included,"
              " EXISTS (SELECT 1 FROM dirty x WHERE x.pair = m.pair AND x.side = m.side AND x.id = m.id), m.deleted, m.keys"
              " FROM mirror_rows m JOIN record_data d ON d.id = m.data_id WHERE m.pair=?1 AND m.side=?2 AND m.id=?3");
  s.bind(1, pair).bind(2, side_name(side)).bind(3, id);
  if (s.step()) return mirror_from(s, 0);
  return std::nullopt;
}

std::optional<MirrorRow> StateStore::mirror_data(const std::string& pair, Side side, const std::string& id) {
  Stmt s(db_, "SELECT m.id, m.version, m.modified, d.data, m.included, 0, m.deleted, m.keys"
              " FROM mirror_rows m JOIN record_data d ON d.id = m.data_id WHERE m.pair=?1 AND m.side=?2 AND m.id=?3");
  s.bind(1, pair).bind(2, side_name(side)).bind(3, id);
  if (s.step()) return mirror_from(s, 0);
  return std::nullopt;
}

int64_t StateStore::add_data(std::string_view data) {
  Stmt s(db_, "INSERT INTO record_data(data, refs) VALUES (?1, 1)");
  s.bind_static(1, data).run();
  return sqlite3_last_insert_rowid(db_.raw());
}

void StateStore::release_data(int64_t data_id) {
  // A load shares nothing it remembered from before a release: a row gone
  // may have its id taken by other data.
  loaded_.clear();
  Stmt d(db_, "DELETE FROM record_data WHERE id = ?1 AND refs <= 1");
  d.bind(1, data_id).run();
  if (sqlite3_changes(db_.raw()) > 0) return;
  Stmt u(db_, "UPDATE record_data SET refs = refs - 1 WHERE id = ?1");
  u.bind(1, data_id).run();
}

int64_t StateStore::put_mirror(const std::string& pair, Side side, const MirrorRow& r) {
  // The row's data keeps its data row when it did not change.
  int64_t data_id = 0;
  {
    Stmt old(db_, "SELECT m.data_id, d.data FROM mirror_rows m JOIN record_data d ON d.id = m.data_id"
                  " WHERE m.pair=?1 AND m.side=?2 AND m.id=?3");
    old.bind(1, pair).bind(2, side_name(side)).bind(3, r.id);
    if (old.step()) {
      int64_t was = old.i64(0);
      bool same = old.text(1) == r.data;
      old.reset();
      if (same) data_id = was;
      else release_data(was);
    }
  }
  if (!data_id) data_id = add_data(r.data);
  Stmt s(db_, "INSERT OR REPLACE INTO mirror_rows(pair, side, id, version, modified, data_id, included, deleted, keys)"
              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  s.bind(1, pair).bind(2, side_name(side)).bind(3, r.id).bind(4, r.version).bind(5, r.modified).bind(6, data_id);
  s.bind(7, int64_t{r.included}).bind(8, int64_t{r.deleted}).bind(9, r.keys).run();
  if (r.dirty) {
    set_dirty(pair, side, r.id);
  } else {
    clear_dirty(pair, side, r.id);
  }
  return data_id;
}

int64_t StateStore::hold_mirror_data(const std::string& pair, Side side, const std::string& id) {
  Stmt s(db_, "SELECT data_id FROM mirror_rows WHERE pair=?1 AND side=?2 AND id=?3");
  s.bind(1, pair).bind(2, side_name(side)).bind(3, id);
  if (!s.step()) return 0;
  int64_t data_id = s.i64(0);
  s.reset();
  hold_data(data_id);
  return data_id;
}

void StateStore::hold_data(int64_t data_id) {
  Stmt u(db_, "UPDATE record_data SET refs = refs + 1 WHERE id = ?1");
  u.bind(1, data_id).run();
}

void StateStore::add_history(const HistoryRow& h, int64_t before_id, int64_t after_id) {
  if (after_id) hold_data(after_id);  // before_id is held already (hold_mirror_data)
  Stmt s(db_, "INSERT INTO history(run, pair, side, record_id, op, before_id, after_id, version, other_id)"
              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  s.bind(1, h.run).bind(2, h.pair).bind(3, h.side).bind(4, h.record_id).bind(5, h.op);
  if (before_id) s.bind(6, before_id); else s.bind_null(6);
  if (after_id) s.bind(7, after_id); else s.bind_null(7);
  s.bind(8, h.version).bind(9, h.other_id).run();
}

std::vector<HistoryRow> StateStore::history(std::optional<int64_t> run, const std::string& pair, const std::string& record) {
  std::string sql =
      "SELECT h.seq, h.run, h.pair, h.side, h.record_id, h.op, h.version, h.other_id, b.data, a.data, h.before_id IS NOT NULL,"
      " h.after_id IS NOT NULL FROM history h LEFT JOIN record_data b ON b.id = h.before_id"
      " LEFT JOIN record_data a ON a.id = h.after_id WHERE 1";
  if (run) sql += " AND h.run = ?1";
  if (!pair.empty()) sql += " AND h.pair = ?2";
  if (!record.empty()) sql += " AND (h.record_id = ?3 OR h.other_id = ?3)";
  Stmt s(db_, sql + " ORDER BY h.seq");
  if (run) s.bind(1, *run);
  if (!pair.empty()) s.bind(2, pair);
  if (!record.empty()) s.bind(3, record);
  std::vector<HistoryRow> out;
  while (s.step()) {
    HistoryRow& h = out.emplace_back();
    h.seq = s.i64(0), h.run = s.i64(1);
    h.pair = s.text(2), h.side = s.text(3), h.record_id = s.text(4), h.op = s.text(5), h.version = s.text(6);
    h.other_id = s.text(7);
    if (s.i64(10)) h.before = std::string(s.text(8));
    if (s.i64(11)) h.after = std::string(s.text(9));
  }
  return out;
}

bool StateStore::has_history(int64_t run) {
  Stmt s(db_, "SELECT 1 FROM history WHERE run = ?1 LIMIT 1");
  s.bind(1, run);
  return s.step();
}

int64_t StateStore::prune_history(int keep_runs) {
  // The runs before the keep_runs-th newest go, with their references.
  int64_t oldest_kept = 0;
  {
    Stmt s(db_, "SELECT id FROM runs ORDER BY id DESC LIMIT 1 OFFSET ?1");
    s.bind(1, int64_t{std::max(keep_runs, 1) - 1});
    if (!s.step()) return 0;
    oldest_kept = s.i64(0);
  }
  std::vector<int64_t> held;
  {
    Stmt s(db_, "SELECT coalesce(before_id, 0), coalesce(after_id, 0) FROM history WHERE run < ?1");
    s.bind(1, oldest_kept);
    while (s.step())
      for (int c = 0; c < 2; ++c)
        if (int64_t id = s.i64(c)) held.push_back(id);
  }
  for (int64_t id : held) release_data(id);
  Stmt d(db_, "DELETE FROM history WHERE run < ?1");
  d.bind(1, oldest_kept).run();
  return sqlite3_changes(db_.raw());
}

void StateStore::drop_mirror(const std::string& pair, Side side, const std::string& id) {
  {
    Stmt old(db_, "SELECT data_id FROM mirror_rows WHERE pair=?1 AND side=?2 AND id=?3");
    old.bind(1, pair).bind(2, side_name(side)).bind(3, id);
    if (!old.step()) return;
    int64_t was = old.i64(0);
    old.reset();
    release_data(was);
  }
  Stmt s(db_, "DELETE FROM mirror_rows WHERE pair=?1 AND side=?2 AND id=?3");
  s.bind(1, pair).bind(2, side_name(side)).bind(3, id).run();
  clear_dirty(pair, side, id);
}

void StateStore::rekey(const std::string& pair, Side side, const std::string& old_id, const std::string& new_id) {
  drop_mirror(pair, side, old_id);
  const char* col = side == Side::kLeft ? "left_id" : "right_id";
  if (auto link = link_by(pair, side, old_id)) {  // put_link unlinks old_id as it links new_id
    (side == Side::kLeft ? link->left_id : link->right_id) = new_id;
    put_link(pair, *link);
  }
  {
    Stmt s(db_, std::string("UPDATE conflicts SET ") + col + " = ?3 WHERE pair=?1 AND " + col + " = ?2");
    s.bind(1, pair).bind(2, old_id).bind(3, new_id).run();
  }
  Stmt q(db_, "UPDATE OR REPLACE quarantine SET id = ?4 WHERE pair=?1 AND side=?2 AND id=?3");
  q.bind(1, pair).bind(2, side_name(side)).bind(3, old_id).bind(4, new_id).run();
}

static MirrorRef ref_from(Stmt& s) {
  MirrorRef r;
  r.id = s.text(0);
  r.deleted = s.i64(1) != 0;
  r.included = s.i64(2) != 0;
  r.dirty = s.i64(3) != 0;
  r.keys = s.text(4);
  return r;
}

std::vector<MirrorRef> StateStore::dirty(const std::string& pair, Side side) {
  // CROSS JOIN: the dirty rows lead (SQLite otherwise may walk the whole
  // mirror of the side and look each row up in dirty: O(records), not O(changes))
  Stmt s(db_, "SELECT m.id, m.deleted, m.included, 1, m.keys FROM dirty d"
              " CROSS JOIN mirror_rows m ON m.pair = d.pair AND m.side = d.side AND m.id = d.id"
              " WHERE d.pair=?1 AND d.side=?2 ORDER BY m.modified, m.id");
  s.bind(1, pair).bind(2, side_name(side));
  std::vector<MirrorRef> out;
  while (s.step()) out.push_back(ref_from(s));
  return out;
}

std::vector<MirrorRef> StateStore::unlinked(const std::string& pair, Side side) {
  std::string linked = side == Side::kLeft ? "SELECT 1 FROM links l WHERE l.pair = m.pair AND l.left_id = m.id"
                                            : "SELECT 1 FROM link_rights r WHERE r.pair = m.pair AND r.right_id = m.id";
  Stmt s(db_, "SELECT id, deleted, included,"
              " EXISTS (SELECT 1 FROM dirty d WHERE d.pair = m.pair AND d.side = m.side AND d.id = m.id), keys FROM mirror_rows m"
              " WHERE pair=?1 AND side=?2 AND deleted = 0 AND included = 1"
              " AND NOT EXISTS (" + linked + ") ORDER BY id");
  s.bind(1, pair).bind(2, side_name(side));
  std::vector<MirrorRef> out;
  while (s.step()) out.push_back(ref_from(s));
  return out;
}

void StateStore::clear_dirty(const std::string& pair, Side side, const std::string& id) {
  Stmt s(db_, "DELETE FROM dirty WHERE pair=?1 AND side=?2 AND id=?3");
  s.bind(1, pair).bind(2, side_name(side)).bind(3, id).run();
}

bool StateStore::any(const std::string& pair, Side side) {
  Stmt s(db_, "SELECT 1 FROM mirror_rows WHERE pair=?1 AND side=?2 LIMIT 1");
  s.bind(1, pair).bind(2, side_name(side));
  return s.step();
}

int64_t StateStore::count_live(const std::string& pair, Side side) {
  Stmt s(db_, "SELECT count(*) FROM mirror_rows WHERE pair=?1 AND side=?2 AND deleted = 0");
  s.bind(1, pair).bind(2, side_name(side));
  return s.step() ? s.i64(0) : 0;
}

std::optional<LinkRow> StateStore::link_by(const std::string& pair, Side side, const std::string& id) {
  Stmt s(db_, side == Side::kLeft ? "SELECT left_id, right_id, base_left, base_right FROM links WHERE pair=?1 AND left_id = ?2"
                                  : "SELECT l.left_id, l.right_id, l.base_left, l.base_right FROM link_rights r"
                                    " JOIN links l ON l.pair = r.pair AND l.left_id = r.left_id WHERE r.pair=?1 AND r.right_id = ?2");
  s.bind(1, pair).bind(2, id);
  if (!s.step()) return std::nullopt;
  return LinkRow{std::string(s.text(0)), std::string(s.text(1)), std::string(s.text(2)), std::string(s.text(3))};
}

void StateStore::put_link(const std::string& pair, const LinkRow& l) {
  // A record is linked once: the links either id had go first.
  Stmt old_right(db_, "DELETE FROM link_rights WHERE pair=?1 AND right_id = (SELECT right_id FROM links WHERE pair=?1 AND left_id=?2)");
  old_right.bind(1, pair).bind(2, l.left_id).run();
  Stmt old_left(db_, "DELETE FROM links WHERE pair=?1 AND left_id = (SELECT left_id FROM link_rights WHERE pair=?1 AND right_id=?2)");
  old_left.bind(1, pair).bind(2, l.right_id).run();
  Stmt s(db_, "INSERT OR REPLACE INTO links(pair, left_id, right_id, base_left, base_right) VALUES (?1, ?2, ?3, ?4, ?5)");
  s.bind(1, pair).bind(2, l.left_id).bind(3, l.right_id).bind(4, l.base_left).bind(5, l.base_right).run();
  Stmt r(db_, "INSERT OR REPLACE INTO link_rights(pair, right_id, left_id) VALUES (?1, ?2, ?3)");
  r.bind(1, pair).bind(2, l.right_id).bind(3, l.left_id).run();
}

void StateStore::add_links(const std::string& pair, const std::vector<std::pair<std::string_view, std::string_view>>& links) {
  // Each table takes its rows in its own key order, so that they are
  // appended, not scattered: a second thread sorts the right ids while the
  // links go in. The ids lie where the records were read, out of either
  // order: each is fetched ahead.
  auto feed_of = [&](auto at, bool right_first) {
    return sql::FeedOf(links.size(), [&links, at, right_first](size_t row, int col, sqlite3_context* out) {
      const auto& l = links[at(row)];
      if (col == 0) {
        if (row + 16 < links.size()) __builtin_prefetch(&links[at(row + 16)]);
        if (row + 8 < links.size()) {
          __builtin_prefetch(links[at(row + 8)].first.data());
          __builtin_prefetch(links[at(row + 8)].second.data());
        }
      }
      sql::Feed::text(out, (col == 0) != right_first ? l.first : l.second);
    });
  };
  std::vector<uint32_t> by_right;
  run_beside([&] { by_right = text_order(links.size(), [&](uint32_t i) { return links[i].second; }); },
             [&] {
               auto feed = feed_of([](size_t row) { return row; }, false);
               Stmt s(db_, "INSERT INTO links(pair, left_id, right_id, base_left, base_right)"
                           " SELECT ?1, c0, c1, '', '' FROM accord_feed(?2)");
               s.bind_static(1, pair).bind_feed(2, feed).run();
             });
  auto feed = feed_of([&by_right](size_t row) { return by_right[row]; }, true);
  Stmt s(db_, "INSERT INTO link_rights(pair, right_id, left_id) SELECT ?1, c0, c1 FROM accord_feed(?2)");
  s.bind_static(1, pair).bind_feed(2, feed).run();
}

void StateStore::drop_link(const std::string& pair, const std::string& left_id) {
  Stmt r(db_, "DELETE FROM link_rights WHERE pair=?1 AND right_id = (SELECT right_id FROM links WHERE pair=?1 AND left_id=?2)");
  r.bind(1, pair).bind(2, left_id).run();
  Stmt s(db_, "DELETE FROM links WHERE pair=?1 AND left_id=?2");
  s.bind(1, pair).bind(2, left_id).run();
}

bool StateStore::any_links(const std::string& pair) {
  Stmt s(db_, "SELECT 1 FROM links WHERE pair=?1 LIMIT 1");
  s.bind(1, pair);
  return s.step();
}

bool StateStore::any_clean(const std::string& pair) {
  Stmt s(db_, "SELECT 1 FROM mirror_rows m WHERE pair=?1 AND NOT EXISTS"
              " (SELECT 1 FROM dirty d WHERE d.pair = m.pair AND d.side = m.side AND d.id = m.id) LIMIT 1");
  s.bind(1, pair);
  return s.step();
}

// Each side stages into a table of its own, so that reading one side's
// records back never pages through the other's.
static std::string staged_table(Side side) { return side == Side::kLeft ? "temp.staged_left" : "temp.staged_right"; }

void StateStore::stage_reset() {
  for (Side side : {Side::kLeft, Side::kRight}) {
    std::string t = staged_table(side);
    db_.exec("CREATE TEMP TABLE IF NOT EXISTS " + t.substr(5) + "(id TEXT, version TEXT, modified TEXT, deleted INTEGER,"
             " data TEXT, included INTEGER, keys TEXT)");
    stage_reset_side(side);
  }
}

void StateStore::stage(Side side, const Staged& c) {
  Stmt s(db_, "INSERT INTO " + staged_table(side) + "(id, version, modified, deleted, data, included, keys)"
              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  s.bind(1, c.id).bind(2, c.version).bind(3, c.modified).bind(4, int64_t{c.deleted});
  s.bind(5, c.data).bind(6, int64_t{c.included}).bind(7, c.keys).run();
}

void StateStore::for_each_staged(Side side, const std::function<void(Staged&)>& fn) {
  Stmt s(db_, "SELECT id, version, modified, deleted, data, included, keys FROM " + staged_table(side) + " ORDER BY rowid");
  while (s.step()) {
    Staged c{std::string(s.text(0)), std::string(s.text(1)), std::string(s.text(2)), std::string(s.text(4)),
             std::string(s.text(6)), s.i64(3) != 0, s.i64(5) != 0};
    fn(c);
  }
}

void StateStore::stage_reset_side(Side side) {
  // Appended in the order read, unindexed: an index on ids in random order
  // would cost a page write per record; mirror_ids_not_staged builds it, in
  // one sort, when a full listing of a known side needs it.
  std::string t = staged_table(side);
  db_.exec("DROP INDEX IF EXISTS " + t + "_id");
  db_.exec("DELETE FROM " + t);
}

std::vector<std::string> StateStore::mirror_ids_not_staged(const std::string& pair, Side side) {
  std::string t = staged_table(side);
  db_.exec("CREATE INDEX IF NOT EXISTS " + t + "_id ON " + t.substr(5) + "(id)");
  Stmt s(db_, "SELECT id FROM mirror_rows m WHERE pair=?1 AND side=?2 AND deleted = 0"
              " AND NOT EXISTS (SELECT 1 FROM " + t + " t WHERE t.id = m.id)"
              " AND NOT EXISTS (SELECT 1 FROM unreadable u WHERE u.pair = m.pair AND u.side = m.side AND u.key = m.id)");
  s.bind(1, pair).bind(2, side_name(side));
  std::vector<std::string> out;
  while (s.step()) out.emplace_back(s.text(0));
  return out;
}

std::vector<int64_t> StateStore::load_data(const std::vector<std::string_view>& data) {
  // Equal data, read from the other side (or twice from one), is kept once.
  // A digest of 128 bits stands for the bytes, as the engine's pair-form
  // digests do; a hit is taken out of the map, which so holds only what
  // waits for its twin. New rows take the ids after the table's last and go
  // in through one statement; shared rows gain their reference together.
  int64_t next = 1;
  {
    Stmt last(db_, "SELECT coalesce(max(id), 0) + 1 FROM record_data");
    if (last.step()) next = last.i64(0);
  }
  std::vector<int64_t> ids(data.size());
  std::vector<uint32_t> fresh;  // positions of the data that take a row
  std::vector<int64_t> shared;  // rows gaining a reference
  // the digests first: each one's slot, somewhere in a large table, is
  // fetched a few data ahead
  std::vector<Digest> keys(data.size());
  for (uint32_t i = 0; i < data.size(); ++i) keys[i] = hash::digest128(data[i]);
  for (uint32_t i = 0; i < data.size(); ++i) {
    if (i + 8 < data.size()) loaded_.prefetch(keys[i + 8]);
    const Digest& key = keys[i];
    if (int64_t twin = loaded_.take(key)) {
      ids[i] = twin;
      shared.push_back(twin);
      continue;
    }
    ids[i] = next++;
    fresh.push_back(i);
    loaded_.put(key, ids[i]);
  }
  sql::FeedOf rows(fresh.size(), [&](size_t row, int col, sqlite3_context* out) {
    if (col == 0) sql::Feed::integer(out, ids[fresh[row]]);
    else sql::Feed::text(out, data[fresh[row]]);
  });
  Stmt add(db_, "INSERT INTO record_data(id, data, refs) SELECT c0, c1, 1 FROM accord_feed(?1)");
  add.bind_feed(1, rows).run();
  if (!shared.empty()) {
    std::sort(shared.begin(), shared.end());
    sql::FeedOf more(shared.size(), [&](size_t row, int, sqlite3_context* out) { sql::Feed::integer(out, shared[row]); });
    Stmt u(db_, "UPDATE record_data SET refs = refs + 1 WHERE id IN (SELECT c0 FROM accord_feed(?1))");
    u.bind_feed(1, more).run();
  }
  return ids;
}

std::vector<uint32_t> id_order(const std::vector<MirrorRef>& refs) {
  return text_order(refs.size(), [&](uint32_t i) { return std::string_view(refs[i].id); });
}

std::vector<uint32_t> StateStore::drop_superseded(std::vector<MirrorRef>& refs) {
  // Of an id read twice, the later copy (last of its run in id order) stays;
  // the earlier one and its data go. refs stay in the order read.
  std::vector<uint32_t> order = id_order(refs);
  std::vector<char> superseded(refs.size(), 0);
  size_t dropped = 0;
  for (size_t k = 0; k + 1 < order.size(); ++k)
    if (refs[order[k + 1]].id == refs[order[k]].id) {
      release_data(refs[order[k]].data_id);
      superseded[order[k]] = 1;
      ++dropped;
    }
  if (!dropped) return order;
  std::vector<uint32_t> moved_to(refs.size());
  size_t kept = 0;
  for (size_t i = 0; i < refs.size(); ++i) {
    moved_to[i] = static_cast<uint32_t>(kept);
    if (superseded[i]) continue;
    if (kept != i) refs[kept] = std::move(refs[i]);
    ++kept;
  }
  refs.resize(kept);
  std::vector<uint32_t> out;
  out.reserve(kept);
  for (uint32_t at : order)
    if (!superseded[at]) out.push_back(moved_to[at]);
  return out;
}

void StateStore::load_rows(const std::string& pair, Side side, std::vector<MirrorRef>& refs,
                           const std::vector<uint32_t>& order) {
  // In id order: the mirror grows at its end instead of being written all
  // over. What planning no longer needs (version, modified) goes after.
  sql::FeedOf feed(order.size(), [&](size_t row, int col, sqlite3_context* out) {
    const MirrorRef& r = refs[order[row]];
    switch (col) {
      case 0:
        // visited out of the order they lie in memory: fetched ahead
        if (row + 16 < order.size()) __builtin_prefetch(&refs[order[row + 16]]);
        if (row + 8 < order.size()) {
          const MirrorRef& a = refs[order[row + 8]];
          __builtin_prefetch(a.id.data());
          __builtin_prefetch(a.keys.data());
          __builtin_prefetch(a.modified.data());
        }
        return sql::Feed::text(out, r.id);
      case 1: return sql::Feed::text(out, r.version);
      case 2: return sql::Feed::text(out, r.modified);
      case 3: return sql::Feed::integer(out, r.data_id);
      case 4: return sql::Feed::integer(out, r.included);
      default: return sql::Feed::text(out, r.keys);
    }
  });
  Stmt s(db_, "INSERT INTO mirror_rows(pair, side, id, version, modified, data_id, included, deleted, keys)"
              " SELECT ?1, ?2, c0, c1, c2, c3, c4, 0, c5 FROM accord_feed(?3)");
  s.bind_static(1, pair).bind_static(2, side_name(side)).bind_feed(3, feed).run();
  for (MirrorRef& r : refs) {
    std::string().swap(r.version);
    std::string().swap(r.modified);
  }
}

void StateStore::load_done() { loaded_.clear(); }

int64_t StateStore::Waiting::take(const Digest& d) {
  if (slots_.empty()) return 0;
  for (size_t i = at(d);; i = (i + 1) & (slots_.size() - 1)) {
    Slot& s = slots_[i];
    if (s.id == 0) return 0;
    if (s.id > 0 && s.d == d) {
      int64_t id = s.id;
      s.id = -1;  // the probe runs on past it
      return id;
    }
  }
}

void StateStore::Waiting::put(const Digest& d, int64_t id) {
  if ((used_ + 1) * 10 > slots_.size() * 7) {  // at most 70% used: grown (and the taken dropped)
    std::vector<Slot> old;
    old.swap(slots_);
    size_t live = 0;
    for (const Slot& s : old) live += s.id > 0;
    size_t size = 1024;
    while (size * 7 < (live + 1) * 20) size *= 2;  // at most 35% full after
    slots_.assign(size, Slot{});
    used_ = 0;
    for (const Slot& s : old)
      if (s.id > 0) put(s.d, s.id);
  }
  size_t i = at(d);
  while (slots_[i].id > 0) i = (i + 1) & (slots_.size() - 1);
  if (slots_[i].id == 0) ++used_;
  slots_[i] = {d, id};
}

void StateStore::set_dirty(const std::string& pair, Side side, const std::string& id) {
  Stmt d(db_, "INSERT OR IGNORE INTO dirty(pair, side, id) VALUES (?1, ?2, ?3)");
  d.bind(1, pair).bind(2, side_name(side)).bind(3, id).run();
}

void StateStore::mark_dirty(const std::string& pair, Side side, std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());  // in key order: appended, not scattered
  for (const auto& id : ids) set_dirty(pair, side, id);
}

int64_t StateStore::count_links(const std::string& pair) {
  Stmt s(db_, "SELECT count(*) FROM links WHERE pair=?1");
  s.bind(1, pair);
  return s.step() ? s.i64(0) : 0;
}

int64_t StateStore::journal_add(const JournalRow& r) {
  Stmt s(db_, "INSERT INTO journal(pair, side, op, target_id, source_id, idem_key, data, created)"
              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  s.bind(1, r.pair).bind(2, r.side).bind(3, r.op).bind(4, r.target_id).bind(5, r.source_id).bind(6, r.idem_key);
  s.bind(7, r.data).bind(8, now_rfc3339()).run();
  return sqlite3_last_insert_rowid(db_.raw());
}
void StateStore::journal_done(int64_t id) {
  Stmt s(db_, "DELETE FROM journal WHERE id=?1");
  s.bind(1, id).run();
}
std::vector<JournalRow> StateStore::journal(const std::string& pair) {
  Stmt s(db_, "SELECT id, pair, side, op, target_id, source_id, idem_key, data FROM journal WHERE pair=?1 ORDER BY id");
  s.bind(1, pair);
  std::vector<JournalRow> out;
  while (s.step())
    out.push_back({s.i64(0), std::string(s.text(1)), std::string(s.text(2)), std::string(s.text(3)),
                   std::string(s.text(4)), std::string(s.text(5)), std::string(s.text(6)), std::string(s.text(7))});
  return out;
}
int64_t StateStore::journal_size() {
  Stmt s(db_, "SELECT count(*) FROM journal");
  return s.step() ? s.i64(0) : 0;
}

void StateStore::quarantine(const std::string& pair, Side side, const std::string& id, const std::string& error,
                            int64_t retry_after_s) {
  int64_t attempts = 0;
  {
    Stmt q(db_, "SELECT attempts FROM quarantine WHERE pair=?1 AND side=?2 AND id=?3");
    q.bind(1, pair).bind(2, side_name(side)).bind(3, id);
    if (q.step()) attempts = q.i64(0);
  }
  ++attempts;
  // exponential backoff: 1, 2, 4 … minutes, at most a day; or what the server asked
  int64_t wait = retry_after_s > 0 ? retry_after_s : std::min<int64_t>(60LL << std::min<int64_t>(attempts - 1, 10), 86400);
  Stmt s(db_, "INSERT OR REPLACE INTO quarantine(pair, side, id, error, attempts, next_retry) VALUES (?1,?2,?3,?4,?5,?6)");
  s.bind(1, pair).bind(2, side_name(side)).bind(3, id).bind(4, net::redact(error)).bind(5, attempts).bind(6, now_s() + wait).run();
}

std::set<std::string> StateStore::quarantined(const std::string& pair, Side side, bool only_waiting) {
  Stmt s(db_, "SELECT id, next_retry FROM quarantine WHERE pair=?1 AND side=?2");
  s.bind(1, pair).bind(2, side_name(side));
  std::set<std::string> out;
  int64_t now = now_s();
  while (s.step())
    if (!only_waiting || s.i64(1) > now) out.emplace(s.text(0));
  return out;
}

void StateStore::release(const std::string& pair, Side side, const std::string& id) {
  Stmt s(db_, "DELETE FROM quarantine WHERE pair=?1 AND side=?2 AND id=?3");
  s.bind(1, pair).bind(2, side_name(side)).bind(3, id).run();
}

int64_t StateStore::release_settled(const std::string& pair) {
  // A failed write leaves its source dirty; anything that settles it clears that.
  Stmt s(db_, "DELETE FROM quarantine WHERE pair=?1 AND NOT EXISTS"
              " (SELECT 1 FROM dirty d WHERE d.pair = quarantine.pair AND d.side = quarantine.side AND d.id = quarantine.id)");
  s.bind(1, pair).run();
  return sqlite3_changes(db_.raw());
}

std::vector<StateStore::QuarantineRow> StateStore::quarantine_list() {
  Stmt s(db_, "SELECT pair, side, id, error, attempts, next_retry FROM quarantine ORDER BY pair, side, id");
  std::vector<QuarantineRow> out;
  while (s.step())
    out.push_back({std::string(s.text(0)), std::string(s.text(1)), std::string(s.text(2)), std::string(s.text(3)),
                   utc::format(s.i64(5)), s.i64(4)});
  return out;
}

void StateStore::note_unreadable(const std::string& pair, Side side, const std::vector<UnreadableRow>& rows,
                                 const std::vector<std::string>& readable, bool full) {
  if (full) {
    Stmt d(db_, "DELETE FROM unreadable WHERE pair=?1 AND side=?2");
    d.bind(1, pair).bind(2, side_name(side)).run();
  }
  for (const auto& key : readable) {
    Stmt d(db_, "DELETE FROM unreadable WHERE pair=?1 AND side=?2 AND key=?3");
    d.bind(1, pair).bind(2, side_name(side)).bind(3, key).run();
  }
  std::string now = now_rfc3339();
  for (const auto& r : rows) {
    Stmt s(db_, "INSERT OR REPLACE INTO unreadable(pair, side, key, id, connector, stream, pointer, reason, seen)"
                " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)");
    s.bind(1, pair).bind(2, side_name(side)).bind(3, r.key).bind(4, r.id).bind(5, r.connector).bind(6, r.stream);
    s.bind(7, r.pointer).bind(8, r.reason).bind(9, now).run();
  }
}

std::set<std::string> StateStore::unreadable_keys(const std::string& pair, Side side) {
  Stmt s(db_, "SELECT key FROM unreadable WHERE pair=?1 AND side=?2");
  s.bind(1, pair).bind(2, side_name(side));
  std::set<std::string> out;
  while (s.step()) out.emplace(s.text(0));
  return out;
}

std::vector<UnreadableRow> StateStore::unreadable_list() {
  Stmt s(db_, "SELECT pair, side, key, id, connector, stream, pointer, reason, seen FROM unreadable"
              " ORDER BY pair, side, key");
  std::vector<UnreadableRow> out;
  while (s.step()) {
    UnreadableRow& r = out.emplace_back();
    r.pair = s.text(0), r.side = s.text(1), r.key = s.text(2), r.id = s.text(3), r.connector = s.text(4);
    r.stream = s.text(5), r.pointer = s.text(6), r.reason = s.text(7), r.seen = s.text(8);
  }
  return out;
}

void StateStore::add_conflict(const ConflictRow& c) {
  // one open conflict per field of a pair of records
  Stmt q(db_, "SELECT id FROM conflicts WHERE pair=?1 AND left_id=?2 AND field=?3 AND closed = 0");
  q.bind(1, c.pair).bind(2, c.left_id).bind(3, c.field);
  if (q.step()) {
    Stmt u(db_, "UPDATE conflicts SET left_value=?2, right_value=?3, right_id=?4 WHERE id=?1");
    u.bind(1, q.i64(0)).bind(2, c.left_value).bind(3, c.right_value).bind(4, c.right_id).run();
    return;
  }
  Stmt s(db_, "INSERT INTO conflicts(pair, left_id, right_id, field, left_value, right_value, created, decided)"
              " VALUES (?1,?2,?3,?4,?5,?6,?7,'')");
  s.bind(1, c.pair).bind(2, c.left_id).bind(3, c.right_id).bind(4, c.field).bind(5, c.left_value);
  s.bind(6, c.right_value).bind(7, now_rfc3339()).run();
}

std::vector<ConflictRow> StateStore::conflicts(bool open_only) {
  Stmt s(db_, std::string("SELECT id, pair, left_id, right_id, field, left_value, right_value, created, decided FROM conflicts") +
                  (open_only ? " WHERE closed = 0" : "") + " ORDER BY id");
  std::vector<ConflictRow> out;
  while (s.step())
    out.push_back({s.i64(0), std::string(s.text(1)), std::string(s.text(2)), std::string(s.text(3)), std::string(s.text(4)),
                   std::string(s.text(5)), std::string(s.text(6)), std::string(s.text(7)), std::string(s.text(8))});
  return out;
}

std::map<std::string, Side> StateStore::decisions(const std::string& pair, const std::string& left_id) {
  Stmt s(db_, "SELECT field, decided FROM conflicts WHERE pair=?1 AND left_id=?2 AND closed = 0 AND decided != ''");
  s.bind(1, pair).bind(2, left_id);
  std::map<std::string, Side> out;
  while (s.step()) out[std::string(s.text(0))] = s.text(1) == "left" ? Side::kLeft : Side::kRight;
  return out;
}

Result<void> StateStore::decide(int64_t id, Side winner) {
  Stmt s(db_, "UPDATE conflicts SET decided = ?2 WHERE id = ?1 AND closed = 0");
  s.bind(1, id).bind(2, side_name(winner)).run();
  if (sqlite3_changes(db_.raw()) == 0) return fail("no open conflict " + std::to_string(id) + " (see accord conflicts list)");
  // the record must be looked at again by the next run
  Stmt d(db_, "INSERT OR IGNORE INTO dirty(pair, side, id) SELECT pair, 'left', left_id FROM conflicts WHERE id = ?1");
  d.bind(1, id).run();
  return {};
}

void StateStore::close_conflicts(const std::string& pair, const std::string& left_id, const std::vector<std::string>& still_open) {
  Stmt s(db_, "SELECT id, field FROM conflicts WHERE pair=?1 AND left_id=?2 AND closed = 0");
  s.bind(1, pair).bind(2, left_id);
  std::vector<int64_t> done;
  while (s.step())
    if (std::find(still_open.begin(), still_open.end(), std::string(s.text(1))) == still_open.end()) done.push_back(s.i64(0));
  for (int64_t id : done) {
    Stmt u(db_, "UPDATE conflicts SET closed = 1 WHERE id = ?1");
    u.bind(1, id).run();
  }
}

int64_t StateStore::begin_run(const std::string& kind) {
  Stmt s(db_, "INSERT INTO runs(kind, started, status) VALUES (?1, ?2, 'running')");
  s.bind(1, kind).bind(2, now_rfc3339()).run();
  return sqlite3_last_insert_rowid(db_.raw());
}

void StateStore::end_run(int64_t id, const std::string& status, const std::string& summary, const std::string& error) {
  Stmt s(db_, "UPDATE runs SET finished=?2, status=?3, summary=?4, error=?5 WHERE id=?1");
  s.bind(1, id).bind(2, now_rfc3339()).bind(3, status).bind(4, summary).bind(5, net::redact(error)).run();
}

std::vector<StateStore::RunRow> StateStore::runs(int limit) {
  Stmt s(db_, "SELECT id, kind, started, coalesce(finished,''), status, coalesce(summary,''), coalesce(error,'')"
              " FROM runs ORDER BY id DESC LIMIT ?1");
  s.bind(1, int64_t{limit});
  std::vector<RunRow> out;
  while (s.step())
    out.push_back({s.i64(0), std::string(s.text(1)), std::string(s.text(2)), std::string(s.text(3)),
                   std::string(s.text(4)), std::string(s.text(5)), std::string(s.text(6))});
  return out;
}

Result<PipelineLock> PipelineLock::acquire(const fs::path& state_path, const std::string& pipeline) {
  fs::path lock = state_path.string() + ".lock";
  std::error_code ec;
  fs::create_directories(lock.parent_path(), ec);
  int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return fail(lock.string() + ": cannot open the lock file: " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[64] = {0};
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "another process";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    return fail("pipeline \"" + pipeline + "\" is being synced by " + holder + " (lock " + lock.string() +
                "); wait for it to finish");
  }
  std::string me = "pid " + std::to_string(::getpid()) + " since " + now_rfc3339() + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, me.data(), me.size(), 0) < 0) {
    // the lock holds even if the note cannot be written
  }
  return PipelineLock(fd);
}

PipelineLock::~PipelineLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace accord
