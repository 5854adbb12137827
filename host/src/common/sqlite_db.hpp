// RAII over the SQLite C API, shared by the host's state store and the local
// connector: a connection and prepared statements. Errors throw accord::Error
// (a busy database is ACCORD_RETRY). Not thread-safe: one thread per Db.
#pragma once

#include <sqlite3.h>

#include <cstdint>
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
  std::string sql_;
};

class Db {
 public:
  // Opens (creating) the database at path, in WAL mode with a busy timeout.
  explicit Db(const std::string& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  void exec(const std::string& sql);
  sqlite3* raw() const { return db_.get(); }
  [[noreturn]] void fail(const std::string& what) const;
  const std::string& path() const { return path_; }

 private:
  struct Close {
    void operator()(sqlite3* d) const noexcept { sqlite3_close_v2(d); }
  };
  friend class Stmt;
  std::unique_ptr<sqlite3, Close> db_;
  std::string path_;
  std::unordered_map<std::string, std::vector<sqlite3_stmt*>> idle_;  // prepared, not in use
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

}  // namespace accord::sql
