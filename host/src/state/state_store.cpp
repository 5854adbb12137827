#include "state/state_store.hpp"

#include "common/utc_time.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <unordered_map>

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
};

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
  Stmt s(db_, "SELECT id, version, modified, data, included,"
              " EXISTS (SELECT 1 FROM dirty d WHERE d.pair = m.pair AND d.side = m.side AND d.id = m.id), deleted, keys"
              " FROM mirror m WHERE pair=?1 AND side=?2 AND id=?3");
  s.bind(1, pair).bind(2, side_name(side)).bind(3, id);
  if (s.step()) return mirror_from(s, 0);
  return std::nullopt;
}

std::optional<MirrorRow> StateStore::mirror_data(const std::string& pair, Side side, const std::string& id) {
  Stmt s(db_, "SELECT id, version, modified, data, included, 0, deleted, keys FROM mirror WHERE pair=?1 AND side=?2 AND id=?3");
  s.bind(1, pair).bind(2, side_name(side)).bind(3, id);
  if (s.step()) return mirror_from(s, 0);
  return std::nullopt;
}

void StateStore::put_mirror(const std::string& pair, Side side, const MirrorRow& r) {
  Stmt s(db_, "INSERT OR REPLACE INTO mirror(pair, side, id, version, modified, data, included, deleted, keys)"
              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  s.bind(1, pair).bind(2, side_name(side)).bind(3, r.id).bind(4, r.version).bind(5, r.modified).bind(6, r.data);
  s.bind(7, int64_t{r.included}).bind(8, int64_t{r.deleted}).bind(9, r.keys).run();
  if (r.dirty) {
    set_dirty(pair, side, r.id);
  } else {
    clear_dirty(pair, side, r.id);
  }
}

void StateStore::drop_mirror(const std::string& pair, Side side, const std::string& id) {
  Stmt s(db_, "DELETE FROM mirror WHERE pair=?1 AND side=?2 AND id=?3");
  s.bind(1, pair).bind(2, side_name(side)).bind(3, id).run();
  clear_dirty(pair, side, id);
}

void StateStore::rekey(const std::string& pair, Side side, const std::string& old_id, const std::string& new_id) {
  drop_mirror(pair, side, old_id);
  const char* col = side == Side::kLeft ? "left_id" : "right_id";
  for (std::string table : {"links", "conflicts"}) {
    Stmt s(db_, "UPDATE " + table + " SET " + col + " = ?3 WHERE pair=?1 AND " + col + " = ?2");
    s.bind(1, pair).bind(2, old_id).bind(3, new_id).run();
  }
  Stmt q(db_, "UPDATE OR REPLACE quarantine SET id = ?4 WHERE pair=?1 AND side=?2 AND id=?3");
  q.bind(1, pair).bind(2, side_name(side)).bind(3, old_id).bind(4, new_id).run();
}

static MirrorRef ref_from(Stmt& s) {
  return MirrorRef{std::string(s.text(0)), s.i64(1) != 0, s.i64(2) != 0, s.i64(3) != 0, std::string(s.text(4))};
}

std::vector<MirrorRef> StateStore::dirty(const std::string& pair, Side side) {
  // CROSS JOIN: the dirty rows lead (SQLite otherwise may walk the whole
  // mirror of the side and look each row up in dirty: O(records), not O(changes))
  Stmt s(db_, "SELECT m.id, m.deleted, m.included, 1, m.keys FROM dirty d"
              " CROSS JOIN mirror m ON m.pair = d.pair AND m.side = d.side AND m.id = d.id"
              " WHERE d.pair=?1 AND d.side=?2 ORDER BY m.modified, m.id");
  s.bind(1, pair).bind(2, side_name(side));
  std::vector<MirrorRef> out;
  while (s.step()) out.push_back(ref_from(s));
  return out;
}

std::vector<MirrorRef> StateStore::unlinked(const std::string& pair, Side side) {
  std::string col = side == Side::kLeft ? "left_id" : "right_id";
  Stmt s(db_, "SELECT id, deleted, included,"
              " EXISTS (SELECT 1 FROM dirty d WHERE d.pair = m.pair AND d.side = m.side AND d.id = m.id), keys FROM mirror m"
              " WHERE pair=?1 AND side=?2 AND deleted = 0 AND included = 1"
              " AND NOT EXISTS (SELECT 1 FROM links l WHERE l.pair = m.pair AND l." + col + " = m.id) ORDER BY id");
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
  Stmt s(db_, "SELECT 1 FROM mirror WHERE pair=?1 AND side=?2 LIMIT 1");
  s.bind(1, pair).bind(2, side_name(side));
  return s.step();
}

int64_t StateStore::count_live(const std::string& pair, Side side) {
  Stmt s(db_, "SELECT count(*) FROM mirror WHERE pair=?1 AND side=?2 AND deleted = 0");
  s.bind(1, pair).bind(2, side_name(side));
  return s.step() ? s.i64(0) : 0;
}

std::optional<LinkRow> StateStore::link_by(const std::string& pair, Side side, const std::string& id) {
  Stmt s(db_, std::string("SELECT left_id, right_id, base_left, base_right FROM links WHERE pair=?1 AND ") +
                  (side == Side::kLeft ? "left_id" : "right_id") + " = ?2");
  s.bind(1, pair).bind(2, id);
  if (!s.step()) return std::nullopt;
  return LinkRow{std::string(s.text(0)), std::string(s.text(1)), std::string(s.text(2)), std::string(s.text(3))};
}

void StateStore::put_link(const std::string& pair, const LinkRow& l) {
  // REPLACE removes a row that holds either id (primary key or the unique
  // right index): a record is linked once
  Stmt s(db_, "INSERT OR REPLACE INTO links(pair, left_id, right_id, base_left, base_right) VALUES (?1, ?2, ?3, ?4, ?5)");
  s.bind(1, pair).bind(2, l.left_id).bind(3, l.right_id).bind(4, l.base_left).bind(5, l.base_right).run();
}

void StateStore::add_links(const std::string& pair, const std::vector<std::pair<std::string_view, std::string_view>>& links) {
  // Many at once: the index by right id is built again in one sort after
  // the rows go in, instead of taking each right id at a random place (a
  // first sync of a million pairs: 10 s -> 8 s). It covers every pair's
  // links, so only where this pair brings many.
  bool rebuild = links.size() >= 50000;
  if (rebuild) db_.exec("DROP INDEX links_right");
  Stmt s(db_, "INSERT INTO links(pair, left_id, right_id, base_left, base_right) VALUES (?1, ?2, ?3, '', '')");
  for (const auto& [l, r] : links) s.bind(1, pair).bind(2, l).bind(3, r).run();
  if (rebuild) db_.exec("CREATE UNIQUE INDEX links_right ON links(pair, right_id)");
}

void StateStore::drop_link(const std::string& pair, const std::string& left_id) {
  Stmt s(db_, "DELETE FROM links WHERE pair=?1 AND left_id=?2");
  s.bind(1, pair).bind(2, left_id).run();
}

bool StateStore::any_links(const std::string& pair) {
  Stmt s(db_, "SELECT 1 FROM links WHERE pair=?1 LIMIT 1");
  s.bind(1, pair);
  return s.step();
}

bool StateStore::any_clean(const std::string& pair) {
  Stmt s(db_, "SELECT 1 FROM mirror m WHERE pair=?1 AND NOT EXISTS"
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
             " data TEXT, included INTEGER, keys TEXT, form1 INTEGER, form2 INTEGER)");
    stage_reset_side(side);
  }
}

void StateStore::stage(Side side, const Staged& c) {
  Stmt s(db_, "INSERT INTO " + staged_table(side) + "(id, version, modified, deleted, data, included, keys, form1, form2)"
              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  s.bind(1, c.id).bind(2, c.version).bind(3, c.modified).bind(4, int64_t{c.deleted});
  s.bind(5, c.data).bind(6, int64_t{c.included}).bind(7, c.keys);
  s.bind(8, static_cast<int64_t>(c.form[0])).bind(9, static_cast<int64_t>(c.form[1])).run();
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
  Stmt s(db_, "SELECT id FROM mirror m WHERE pair=?1 AND side=?2 AND deleted = 0"
              " AND NOT EXISTS (SELECT 1 FROM " + t + " t WHERE t.id = m.id)");
  s.bind(1, pair).bind(2, side_name(side));
  std::vector<std::string> out;
  while (s.step()) out.emplace_back(s.text(0));
  return out;
}

int64_t StateStore::fold_staged(const std::string& pair, Side side) {
  // sorted by id: the mirror's key index grows at its end instead of being
  // written all over
  Stmt s(db_, "INSERT OR REPLACE INTO mirror(pair, side, id, version, modified, data, included, deleted, keys)"
              " SELECT ?1, ?2, id, version, modified, data, included, 0, keys FROM " + staged_table(side) +
              " WHERE deleted = 0 ORDER BY id, rowid");
  s.bind(1, pair).bind(2, side_name(side)).run();
  Stmt n(db_, "SELECT count(*) FROM mirror WHERE pair=?1 AND side=?2");
  n.bind(1, pair).bind(2, side_name(side));
  return n.step() ? n.i64(0) : 0;
}

std::vector<MirrorRef> StateStore::staged_refs(Side side, bool may_repeat) {
  Stmt s(db_, "SELECT id, included, keys, form1, form2, rowid FROM " + staged_table(side) + " WHERE deleted = 0"
              " ORDER BY modified, id");
  std::vector<MirrorRef> out;
  std::vector<int64_t> staged_at;
  while (s.step()) {
    MirrorRef& r = out.emplace_back(MirrorRef{std::string(s.text(0)), false, s.i64(1) != 0, true, std::string(s.text(2))});
    r.form[0] = static_cast<uint64_t>(s.i64(3));
    r.form[1] = static_cast<uint64_t>(s.i64(4));
    if (may_repeat) staged_at.push_back(s.i64(5));
  }
  if (!may_repeat) return out;
  std::unordered_map<std::string_view, size_t> latest;
  std::vector<bool> superseded(out.size());
  for (size_t i = 0; i < out.size(); ++i) {
    auto [at, fresh] = latest.try_emplace(out[i].id, i);
    if (fresh) continue;
    size_t& j = at->second;
    if (staged_at[i] > staged_at[j]) superseded[j] = true, j = i;
    else superseded[i] = true;
  }
  size_t k = 0;
  for (size_t i = 0; i < out.size(); ++i)
    if (!superseded[i]) out[k++] = std::move(out[i]);
  out.resize(k);
  return out;
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
  s.bind(1, pair).bind(2, side_name(side)).bind(3, id).bind(4, error).bind(5, attempts).bind(6, now_s() + wait).run();
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

std::vector<StateStore::QuarantineRow> StateStore::quarantine_list() {
  Stmt s(db_, "SELECT pair, side, id, error, attempts, next_retry FROM quarantine ORDER BY pair, side, id");
  std::vector<QuarantineRow> out;
  while (s.step())
    out.push_back({std::string(s.text(0)), std::string(s.text(1)), std::string(s.text(2)), std::string(s.text(3)),
                   utc::format(s.i64(5)), s.i64(4)});
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
  s.bind(1, id).bind(2, now_rfc3339()).bind(3, status).bind(4, summary).bind(5, error).run();
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
