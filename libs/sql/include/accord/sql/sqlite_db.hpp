// SPDX-License-Identifier: Apache-2.0
// RAII over the SQLite C API, shared by the host's state store and the local
// connector: a connection and prepared statements. Errors throw accord::Error
// (a busy database is ACCORD_RETRY). Not thread-safe: one thread per Db.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace accord::sql {

class Db;

// Rows held in memory, read by one statement as the table-valued function
// accord_feed(?N) (the feed bound with Stmt::bind_feed): many rows written by
// one INSERT … SELECT … FROM accord_feed(?N), without a statement step, reset
// and bindings per row. Its columns are c0 … c7; a feed fills the ones the
// statement reads, through the helpers below. Text must stay as it is until
// the statement is reset.
class Feed {
 public:
  static constexpr int kColumns = 8;
  virtual ~Feed() = default;
  virtual size_t rows() const = 0;
  virtual void column(size_t row, int col, sqlite3_context* out) const = 0;

  static void text(sqlite3_context* out, std::string_view v) {
    sqlite3_result_text(out, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  static void integer(sqlite3_context* out, int64_t v) { sqlite3_result_int64(out, v); }
};

// A feed of n rows whose columns a function fills: fn(row, col, out).
template <class Fn>
class FeedOf : public Feed {
 public:
  FeedOf(size_t n, Fn fn) : n_(n), fn_(std::move(fn)) {}
  size_t rows() const override { return n_; }
  void column(size_t row, int col, sqlite3_context* out) const override { fn_(row, col, out); }

 private:
  size_t n_;
  Fn fn_;
};

// A prepared statement borrowed from its Db's cache for the Stmt's lifetime:
// constructing one again with the same SQL costs no parsing.
class Stmt {
 public:
  Stmt(Db& db, std::string_view sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& bind(int i, std::string_view v);
  Stmt& bind(int i, int64_t v);
  Stmt& bind_null(int i);
  // Binds text without copying it: it must stay as it is until the
  // statement is stepped and reset (bulk inserts of text already in memory).
  Stmt& bind_static(int i, std::string_view v);
  // The feed must outlive the statement's run.
  Stmt& bind_feed(int i, const Feed& feed);
  Stmt& bind(int i, const std::optional<std::string>& v) { return v ? bind(i, std::string_view(*v)) : bind_null(i); }
  Stmt& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  bool step();  // true while a row is available
  void run() { while (step()) {} reset(); }
  void reset();
  int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }
  std::string_view text(int col) const;
  bool is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

 private:
  sqlite3_stmt* s_ = nullptr;
  Db* db_;
  // its SQL's idle list in the Db's cache, where it goes back when done:
  // found once (the map's nodes stay put), not hashed again by the text
  std::vector<sqlite3_stmt*>* idle_;
};

class Db {
 public:
  // Opens (creating) the database at path, in WAL mode with a busy timeout.
  explicit Db(const std::string& path);
  // Opens an existing database read-only through an SQLite URI
  // ("file:/x.sqlite?mode=ro", "…?immutable=1"): its journal mode left as
  // it is, no checkpoint when closed, nothing created by the open itself.
  struct ReadOnlyUri {};
  Db(const std::string& uri, ReadOnlyUri);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  void exec(const std::string& sql);
  sqlite3* raw() const { return db_.get(); }
  [[noreturn]] void fail(const std::string& what) const;
  const std::string& path() const { return path_; }
  // Asks for the file's journal mode ("wal", "delete", ...) and returns the
  // mode it has afterwards: unchanged where SQLite cannot switch (leaving WAL
  // wants no other connection on the file; :memory: is always "memory");
  // nullopt on SQLITE_BUSY or SQLITE_LOCKED, which can come at once, without
  // the busy handler. Throws on other errors. Outside a transaction.
  std::optional<std::string> journal_mode(const char* mode);
  // journal_mode("wal"), waiting up to 10 s where the file is busy; false
  // where it could not.
  bool wal() noexcept;

 private:
  struct Close {
    void operator()(sqlite3* d) const noexcept { sqlite3_close_v2(d); }
  };
  friend class Stmt;
  std::unique_ptr<sqlite3, Close> db_;
  std::string path_;
  // prepared, not in use, by their SQL (looked up by a string_view: no copy)
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, std::vector<sqlite3_stmt*>, SqlHash, std::equal_to<>> idle_;
};

// BEGIN IMMEDIATE (or DEFERRED) … COMMIT, rolled back when left by an
// exception. DEFERRED takes no lock until a table of the database is written:
// for work on TEMP tables only.
class Transaction {
 public:
  enum Mode { kImmediate, kDeferred };
  explicit Transaction(Db& db, Mode mode = kImmediate) : db_(db) {
    db_.exec(mode == kImmediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
  }
  ~Transaction() {
    if (!done_) sqlite3_exec(db_.raw(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    db_.exec("COMMIT");
    done_ = true;
  }

 private:
  Db& db_;
  bool done_ = false;
};

// A Transaction whose commit is on the disk when commit() returns, whatever
// power loss follows: synchronous=FULL for it alone (in WAL the log is synced
// at its commit; the connection's other commits keep their level). For a
// commit another store is told of as done: the state's intents before a
// batch's writes go out (review s13 L6), a local store's apply before it
// answers (review s15 F1: an answered write a power loss then dropped was read
// back next run as a person's edit to the old value).
class DurableTransaction {
 public:
  explicit DurableTransaction(Db& db) : full_(db), tx_(db, Transaction::kImmediate) {}
  DurableTransaction(const DurableTransaction&) = delete;
  DurableTransaction& operator=(const DurableTransaction&) = delete;
  void commit() { tx_.commit(); }

 private:
  struct Full {  // (the level may change outside a transaction only)
    explicit Full(Db& db);
    ~Full();
    Db& db;
    int64_t was = 2;
  };
  Full full_;  // made before the transaction, let go after it
  Transaction tx_;
};

// While it lives, the file keeps SQLite's rollback journal instead of WAL
// where this connection has it to itself (otherwise it stays in WAL and this
// does nothing). A load into new pages then writes each page once, to the
// database, where WAL writes it to the log and then again at the checkpoint;
// the journal holds only the few pages that were there before. Synchronous is
// FULL meanwhile, the rollback journal's safe setting. Make it outside any
// transaction, and let it go after the transactions it serves: the file is in
// WAL again when it goes (or at the next open, where the process died first;
// SQLite rolls an unfinished transaction back from the journal then).
class BulkWrites {
 public:
  explicit BulkWrites(Db& db);
  ~BulkWrites();
  BulkWrites(const BulkWrites&) = delete;
  BulkWrites& operator=(const BulkWrites&) = delete;
  bool active() const { return active_; }

 private:
  Db& db_;
  bool active_ = false;
};

}  // namespace accord::sql
