// SPDX-License-Identifier: Apache-2.0
#include <accord/sql/sqlite_db.hpp>

#include <cerrno>

#include <accord/connector.hpp>

#include <chrono>
#include <new>
#include <thread>

namespace accord::sql {

// accord_feed: an eponymous virtual table (a table-valued function) over a
// Feed passed as a pointer, SQLite's way of handing a statement memory it
// does not own (sqlite3_bind_pointer).
namespace {

constexpr const char* kFeedType = "accord_feed";
constexpr int kFeedArg = Feed::kColumns;  // the hidden column the feed is bound to

struct FeedCursor {
  sqlite3_vtab_cursor base{};
  const Feed* feed = nullptr;
  size_t at = 0;
};

int feed_connect(sqlite3* db, void*, int, const char* const*, sqlite3_vtab** out, char**) {
  int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(c0, c1, c2, c3, c4, c5, c6, c7, feed HIDDEN)");
  if (rc != SQLITE_OK) return rc;
  *out = static_cast<sqlite3_vtab*>(sqlite3_malloc(sizeof(sqlite3_vtab)));
  if (!*out) return SQLITE_NOMEM;
  **out = sqlite3_vtab{};
  return SQLITE_OK;
}

int feed_disconnect(sqlite3_vtab* vt) {
  sqlite3_free(vt);
  return SQLITE_OK;
}

int feed_best_index(sqlite3_vtab*, sqlite3_index_info* info) {
  // Only with the feed given: accord_feed(?N).
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (c.iColumn == kFeedArg && c.op == SQLITE_INDEX_CONSTRAINT_EQ && c.usable) {
      info->aConstraintUsage[i].argvIndex = 1;
      info->aConstraintUsage[i].omit = 1;
      info->estimatedCost = 1;
      return SQLITE_OK;
    }
  }
  return SQLITE_CONSTRAINT;
}

int feed_open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  auto* c = new (std::nothrow) FeedCursor;
  if (!c) return SQLITE_NOMEM;
  *out = &c->base;
  return SQLITE_OK;
}

int feed_close(sqlite3_vtab_cursor* cur) {
  delete reinterpret_cast<FeedCursor*>(cur);
  return SQLITE_OK;
}

int feed_filter(sqlite3_vtab_cursor* cur, int, const char*, int argc, sqlite3_value** argv) {
  auto* c = reinterpret_cast<FeedCursor*>(cur);
  c->feed = argc > 0 ? static_cast<const Feed*>(sqlite3_value_pointer(argv[0], kFeedType)) : nullptr;
  c->at = 0;
  return SQLITE_OK;
}

int feed_next(sqlite3_vtab_cursor* cur) {
  ++reinterpret_cast<FeedCursor*>(cur)->at;
  return SQLITE_OK;
}

int feed_eof(sqlite3_vtab_cursor* cur) {
  auto* c = reinterpret_cast<FeedCursor*>(cur);
  return !c->feed || c->at >= c->feed->rows();
}

int feed_column(sqlite3_vtab_cursor* cur, sqlite3_context* out, int col) {
  auto* c = reinterpret_cast<FeedCursor*>(cur);
  if (col < Feed::kColumns) c->feed->column(c->at, col, out);
  return SQLITE_OK;
}

int feed_rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* out) {
  *out = static_cast<sqlite3_int64>(reinterpret_cast<FeedCursor*>(cur)->at);
  return SQLITE_OK;
}

sqlite3_module feed_module() {
  sqlite3_module m{};
  m.xConnect = feed_connect;  // no xCreate: eponymous only
  m.xBestIndex = feed_best_index;
  m.xDisconnect = feed_disconnect;
  m.xDestroy = feed_disconnect;
  m.xOpen = feed_open;
  m.xClose = feed_close;
  m.xFilter = feed_filter;
  m.xNext = feed_next;
  m.xEof = feed_eof;
  m.xColumn = feed_column;
  m.xRowid = feed_rowid;
  return m;
}

const sqlite3_module kFeedModule = feed_module();

}  // namespace

Db::Db(const std::string& path) : path_(path) {
  sqlite3* d = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &d, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  db_.reset(d);
  if (rc != SQLITE_OK) fail("cannot open");
  sqlite3_busy_timeout(d, 60000);
  // Switching a new file to WAL while another connection opens it can answer
  // SQLITE_BUSY at once, without the busy handler (two stream pairs opening
  // one folder's index together): wait and try again.
  if (!wal()) fail("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=NORMAL");
  // 8 MiB of pages per connection: a connection reading or writing its file
  // once in key order (a store's listing, a Maildir's index) gains nothing
  // from more (the system's file cache holds the pages anyway), and each
  // MiB of it stays resident for the run (issue 24: a first pull of 20,000
  // messages filled two connections' 32 MiB caches)
  exec("PRAGMA cache_size=-8192");
  if (sqlite3_create_module_v2(d, kFeedType, &kFeedModule, nullptr, nullptr) != SQLITE_OK) fail("accord_feed");
}

Db::Db(const std::string& uri, ReadOnlyUri) : path_(uri) {
  sqlite3* d = nullptr;
  int rc = sqlite3_open_v2(uri.c_str(), &d, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
  db_.reset(d);
  if (rc != SQLITE_OK) fail("cannot open to read");
  sqlite3_busy_timeout(d, 60000);
  sqlite3_db_config(d, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  exec("PRAGMA cache_size=-8192");  // (as above)
  if (sqlite3_create_module_v2(d, kFeedType, &kFeedModule, nullptr, nullptr) != SQLITE_OK) fail("accord_feed");
}

std::optional<std::string> Db::journal_mode(const char* mode) {
  std::string sql = std::string("PRAGMA journal_mode=") + mode;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &s, nullptr) != SQLITE_OK) fail(sql);
  int rc = sqlite3_step(s);
  std::optional<std::string> now;
  if (rc == SQLITE_ROW) now = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW && rc != SQLITE_BUSY && rc != SQLITE_LOCKED) fail(sql);
  return now;
}

bool Db::wal() noexcept {
  for (int attempt = 0; attempt <= 500; ++attempt) {
    try {
      if (journal_mode("wal")) return true;
    } catch (const std::exception&) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

BulkWrites::BulkWrites(Db& db) : db_(db) {
  auto mode = db_.journal_mode("delete");
  active_ = mode && *mode == "delete";
  if (active_) db_.exec("PRAGMA synchronous=FULL");
}

BulkWrites::~BulkWrites() {
  // Where WAL cannot come back (a reader holds the file for longer than the
  // retries), the file stays in the rollback journal, FULL: as safe, and WAL
  // again at the next open.
  if (active_ && db_.wal()) sqlite3_exec(db_.raw(), "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
}

Db::~Db() {
  for (auto& [sql, stmts] : idle_)
    for (sqlite3_stmt* s : stmts) sqlite3_finalize(s);
}

void Db::fail(const std::string& what) const {
  std::string msg = db_ ? sqlite3_errmsg(db_.get()) : "out of memory";
  int code = db_ ? sqlite3_errcode(db_.get()) : SQLITE_NOMEM;
  // A full disk says what to do, whatever step met it (a PRAGMA making the
  // WAL file, a commit): SQLite's own words ("disk I/O error") do not.
  int sys = db_ && (code == SQLITE_FULL || code == SQLITE_IOERR || code == SQLITE_CANTOPEN)
                ? sqlite3_system_errno(db_.get()) : 0;
  if (code == SQLITE_FULL || sys == ENOSPC || sys == EDQUOT)
    throw accord::Error(ACCORD_ERROR, path_ + ": the disk is full (" + what +
                                          "): free some space on it, then run again; nothing is lost, the next run "
                                          "goes on from where this one stopped", 0);
  // A locked database is transient: the host retries.
  int32_t status = (code == SQLITE_BUSY || code == SQLITE_LOCKED) ? ACCORD_RETRY : ACCORD_ERROR;
  throw accord::Error(status, path_ + ": " + what + ": " + msg, status == ACCORD_RETRY ? 1000 : 0);
}

void Db::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "unknown error";
    sqlite3_free(err);
    fail(sql.substr(0, 40) + "…: " + m);
  }
}

Stmt::Stmt(Db& db, std::string_view sql) : db_(&db) {
  auto it = db.idle_.find(sql);
  if (it == db.idle_.end()) it = db.idle_.emplace(std::string(sql), std::vector<sqlite3_stmt*>()).first;
  idle_ = &it->second;
  if (!idle_->empty()) {
    s_ = idle_->back();
    idle_->pop_back();
    return;
  }
  if (sqlite3_prepare_v3(db.raw(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &s_,
                         nullptr) != SQLITE_OK)
    db.fail("prepare " + std::string(sql.substr(0, 60)));
}

Stmt::~Stmt() {
  if (!s_) return;
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
  try {
    idle_->push_back(s_);
  } catch (...) {
    sqlite3_finalize(s_);
  }
}

Stmt& Stmt::bind(int i, std::string_view v) {
  if (sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT) != SQLITE_OK)
    db_->fail("bind");
  return *this;
}
Stmt& Stmt::bind_static(int i, std::string_view v) {
  if (sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC) != SQLITE_OK) db_->fail("bind");
  return *this;
}
Stmt& Stmt::bind_feed(int i, const Feed& feed) {
  if (sqlite3_bind_pointer(s_, i, const_cast<Feed*>(&feed), kFeedType, nullptr) != SQLITE_OK) db_->fail("bind");
  return *this;
}
Stmt& Stmt::bind(int i, int64_t v) {
  if (sqlite3_bind_int64(s_, i, v) != SQLITE_OK) db_->fail("bind");
  return *this;
}
Stmt& Stmt::bind_null(int i) {
  if (sqlite3_bind_null(s_, i) != SQLITE_OK) db_->fail("bind");
  return *this;
}

bool Stmt::step() {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3_reset(s_);
  db_->fail("step");
}

void Stmt::reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

std::string_view Stmt::text(int col) const {
  const unsigned char* t = sqlite3_column_text(s_, col);
  return t ? std::string_view(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(s_, col)))
           : std::string_view();
}

DurableTransaction::Full::Full(Db& d) : db(d) {
  {
    Stmt s(db, "PRAGMA synchronous");
    if (s.step()) was = s.i64(0);
  }
  if (was < 2) db.exec("PRAGMA synchronous=FULL");
}

DurableTransaction::Full::~Full() {
  if (was < 2) sqlite3_exec(db.raw(), ("PRAGMA synchronous=" + std::to_string(was)).c_str(), nullptr, nullptr, nullptr);
}

}  // namespace accord::sql
