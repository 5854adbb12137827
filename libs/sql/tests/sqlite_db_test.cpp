// SPDX-License-Identifier: Apache-2.0
// The SQLite wrapper: two connections opening one new file at once (two
// stream pairs of a pipeline opening one folder's index) both get a WAL
// database, with no "database is locked"; a Feed's rows go in through one
// INSERT … SELECT; bulk writes take the rollback journal only where the file
// is theirs alone, give WAL back, and a process killed among them leaves the
// file as it was before.
#include <accord/sql/sqlite_db.hpp>
#include <accord/sql/wal_checkpoint.hpp>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;

TEST(SqliteDbTest, ConcurrentOpensOfANewFileAllSucceed) {
  fs::path dir = fs::temp_directory_path() / ("accord-sqlite-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  int failures = 0;
  std::string last_error;
  for (int round = 0; round < 50; ++round) {
    fs::path file = dir / ("index" + std::to_string(round) + ".sqlite");
    std::vector<std::thread> threads;
    std::vector<std::string> errors(4);
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        try {
          accord::sql::Db db(file.string());
          db.exec("CREATE TABLE IF NOT EXISTS t (x)");
        } catch (const std::exception& e) {
          errors[t] = e.what();
        }
      });
    for (auto& th : threads) th.join();
    for (const auto& e : errors)
      if (!e.empty()) {
        ++failures;
        last_error = e;
      }
  }
  fs::remove_all(dir);
  EXPECT_EQ(failures, 0) << last_error;
}

namespace {
struct Pairs : accord::sql::Feed {
  std::vector<std::pair<std::string, int64_t>> rows_;
  size_t rows() const override { return rows_.size(); }
  void column(size_t row, int col, sqlite3_context* out) const override {
    if (col == 0) text(out, rows_[row].first);
    else if (col == 1) integer(out, rows_[row].second);
    else sqlite3_result_null(out);
  }
};
}  // namespace

TEST(SqliteDbTest, AFeedsRowsGoInThroughOneStatement) {
  accord::sql::Db db(":memory:");
  db.exec("CREATE TABLE t(k TEXT PRIMARY KEY, n INTEGER, rest) WITHOUT ROWID");
  Pairs feed;
  feed.rows_ = {{"b", 2}, {"a", 1}, {std::string("c\0d", 3), 3}};
  {
    accord::sql::Stmt s(db, "INSERT INTO t(k, n, rest) SELECT c0, c1, c2 FROM accord_feed(?1)");
    s.bind_feed(1, feed).run();
  }
  std::vector<std::pair<std::string, int64_t>> got;
  accord::sql::Stmt q(db, "SELECT k, n, rest IS NULL FROM t ORDER BY k");
  while (q.step()) {
    EXPECT_EQ(q.i64(2), 1);
    got.emplace_back(std::string(q.text(0)), q.i64(1));
  }
  std::vector<std::pair<std::string, int64_t>> want = {{"a", 1}, {"b", 2}, {std::string("c\0d", 3), 3}};
  EXPECT_EQ(got, want);

  // an empty feed inserts nothing; a row that breaks a constraint fails the
  // statement as a whole
  Pairs none;
  accord::sql::Stmt e(db, "INSERT INTO t(k, n) SELECT c0, c1 FROM accord_feed(?1)");
  e.bind_feed(1, none).run();
  Pairs clash;
  clash.rows_ = {{"z", 9}, {"a", 7}};
  EXPECT_THROW(e.bind_feed(1, clash).run(), std::exception);
  accord::sql::Stmt n(db, "SELECT count(*), sum(n) FROM t");
  ASSERT_TRUE(n.step());
  EXPECT_EQ(n.i64(0), 3);
  EXPECT_EQ(n.i64(1), 6);
}

TEST(SqliteDbTest, AFeedIsReadOnlyWithItsArgument) {
  accord::sql::Db db(":memory:");
  EXPECT_THROW(accord::sql::Stmt(db, "SELECT c0 FROM accord_feed"), std::exception);
}

namespace {
std::string mode_of(accord::sql::Db& db) {
  accord::sql::Stmt s(db, "PRAGMA journal_mode");
  return s.step() ? std::string(s.text(0)) : "";
}
struct TempDir {
  fs::path path = fs::temp_directory_path() / ("accord-bulk-" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};
}  // namespace

TEST(SqliteDbTest, BulkWritesTakeTheRollbackJournalAndGiveWalBack) {
  TempDir dir;
  accord::sql::Db db((dir.path / "s.sqlite").string());
  db.exec("CREATE TABLE t(x)");
  ASSERT_EQ(mode_of(db), "wal");
  {
    accord::sql::BulkWrites bulk(db);
    EXPECT_TRUE(bulk.active());
    EXPECT_EQ(mode_of(db), "delete");
    accord::sql::Transaction tx(db);
    db.exec("INSERT INTO t VALUES (1)");
    tx.commit();
  }
  EXPECT_EQ(mode_of(db), "wal");
  accord::sql::Db other((dir.path / "s.sqlite").string());
  accord::sql::Stmt n(other, "SELECT count(*) FROM t");
  ASSERT_TRUE(n.step());
  EXPECT_EQ(n.i64(0), 1);
}

TEST(SqliteDbTest, BulkWritesStayInWalBesideAnotherConnection) {
  TempDir dir;
  accord::sql::Db db((dir.path / "s.sqlite").string());
  accord::sql::Db reader((dir.path / "s.sqlite").string());
  db.exec("CREATE TABLE t(x)");
  {
    accord::sql::Stmt r(reader, "SELECT count(*) FROM t");  // the reader has looked at the file
    ASSERT_TRUE(r.step());
  }
  accord::sql::BulkWrites bulk(db);
  EXPECT_FALSE(bulk.active());
  EXPECT_EQ(mode_of(db), "wal");
  EXPECT_EQ(mode_of(reader), "wal");
}

TEST(SqliteDbTest, AProcessKilledAmongBulkWritesLeavesTheFileAsItWas) {
  TempDir dir;
  std::string file = (dir.path / "s.sqlite").string();
  const char* rows = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 49152)";
  {
    accord::sql::Db db(file);
    db.exec("CREATE TABLE t(x BLOB)");
    db.exec(std::string(rows) + " INSERT INTO t SELECT randomblob(1024) FROM n");
  }
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // 48 MiB of pages that were there before, changed, and as many new: more
    // than the 32 MiB page cache, so that changed pages reach the database
    // file before the kill
    accord::sql::Db db(file);
    accord::sql::BulkWrites bulk(db);
    if (!bulk.active()) ::_exit(3);
    accord::sql::Transaction tx(db);
    db.exec("UPDATE t SET x = zeroblob(1024)");
    db.exec(std::string(rows) + " INSERT INTO t SELECT zeroblob(1024) FROM n");
    ::raise(SIGKILL);
    ::_exit(4);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child exited with " << WEXITSTATUS(status);
  accord::sql::Db db(file);
  EXPECT_EQ(mode_of(db), "wal");
  accord::sql::Stmt check(db, "PRAGMA integrity_check");
  ASSERT_TRUE(check.step());
  EXPECT_EQ(check.text(0), "ok");
  accord::sql::Stmt counts(db, "SELECT count(*), sum(x = zeroblob(1024)) FROM t");
  ASSERT_TRUE(counts.step());
  EXPECT_EQ(counts.i64(0), 49152);
  EXPECT_EQ(counts.i64(1), 0) << "changed rows of the killed transaction were left in the file";
}

// WalCheckpoint: a commit that leaves `start` pages in the log has them
// copied into the database by the thread, not by the commit; one that leaves
// more than `most` copies them itself (the log stays bounded); the log of
// many commits stays bounded; a process killed while the thread copies
// leaves every commit readable; BulkWrites leaves WAL beside a paused one.
namespace {
int64_t size_of(const fs::path& p) {
  std::error_code ec;
  auto n = fs::file_size(p, ec);
  return ec ? 0 : static_cast<int64_t>(n);
}
void add_pages(accord::sql::Db& db, int pages) {  // (one commit, about that many pages of 4 KiB)
  db.exec("INSERT INTO t SELECT randomblob(3900) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
          " WHERE i < " + std::to_string(pages) + ") SELECT i FROM n)");
}
}  // namespace

TEST(SqliteDbTest, AWalCheckpointCopiesTheLogOnItsThread) {
  TempDir dir;
  fs::path file = dir.path / "c.sqlite";
  accord::sql::Db db(file.string());
  db.exec("CREATE TABLE t(x BLOB)");
  accord::sql::WalCheckpoint ckpt(db, 50, 100000);
  int64_t before = size_of(file);
  add_pages(db, 100);
  for (int i = 0; i < 500 && ckpt.background_runs() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(ckpt.background_runs(), 1);
  EXPECT_EQ(ckpt.own_runs(), 0);
  EXPECT_GE(size_of(file), before + 100 * 4096) << "the log's pages were not copied into the database";
  // below `start`: nothing is asked of the thread
  add_pages(db, 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_LE(ckpt.background_runs(), 1);
}

TEST(SqliteDbTest, AWalCheckpointLetsACommitPastMostCopyItself) {
  TempDir dir;
  fs::path file = dir.path / "c.sqlite";
  accord::sql::Db db(file.string());
  db.exec("CREATE TABLE t(x BLOB)");
  accord::sql::WalCheckpoint ckpt(db, 1000000, 50);
  int64_t before = size_of(file);
  add_pages(db, 100);
  EXPECT_EQ(ckpt.own_runs(), 1);
  EXPECT_GE(size_of(file), before + 100 * 4096);  // (when the commit returned)
  EXPECT_EQ(ckpt.background_runs(), 0);
}

TEST(SqliteDbTest, AWalCheckpointKeepsTheLogOfManyCommitsBounded) {
  TempDir dir;
  fs::path file = dir.path / "c.sqlite";
  accord::sql::Db db(file.string());
  db.exec("CREATE TABLE t(x BLOB)");
  int64_t most = 0;
  {
    accord::sql::WalCheckpoint ckpt(db, 20, 200);
    for (int i = 0; i < 100; ++i) {
      add_pages(db, 30);
      most = std::max(most, size_of(fs::path(file.string() + "-wal")));
    }
    EXPECT_GE(ckpt.background_runs() + ckpt.own_runs(), 1);
  }
  // (a commit past 200 pages copies them all: the next commit starts the log again)
  EXPECT_LE(most, (200 + 2 * 32) * 4120 + 32) << "the log grew to " << most << " bytes";
  {
    accord::sql::Stmt n(db, "SELECT count(*) FROM t");
    ASSERT_TRUE(n.step());
    EXPECT_EQ(n.i64(0), 3000);
  }
  // the connection checkpoints as SQLite does once the WalCheckpoint is gone
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  int64_t before = size_of(file);
  add_pages(db, 1100);
  EXPECT_GE(size_of(file), before + 1100 * 4096);
}

TEST(SqliteDbTest, AProcessKilledWhileTheThreadCheckpointsLosesNoCommit) {
  TempDir dir;
  std::string file = (dir.path / "k.sqlite").string();
  {
    accord::sql::Db db(file);
    db.exec("CREATE TABLE t(x BLOB)");
  }
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    accord::sql::Db db(file);
    accord::sql::WalCheckpoint ckpt(db, 10, 100000);
    for (int i = 0; i < 40; ++i) add_pages(db, 50);  // (each commit wakes the thread: one copies as it dies)
    ::raise(SIGKILL);
    ::_exit(4);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child exited with " << WEXITSTATUS(status);
  accord::sql::Db db(file);
  accord::sql::Stmt check(db, "PRAGMA integrity_check");
  ASSERT_TRUE(check.step());
  EXPECT_EQ(check.text(0), "ok");
  accord::sql::Stmt n(db, "SELECT count(*) FROM t");
  ASSERT_TRUE(n.step());
  EXPECT_EQ(n.i64(0), 2000);
}

TEST(SqliteDbTest, BulkWritesLeaveWalBesideAPausedWalCheckpoint) {
  TempDir dir;
  fs::path file = dir.path / "b.sqlite";
  accord::sql::Db db(file.string());
  db.exec("CREATE TABLE t(x BLOB)");
  accord::sql::WalCheckpoint ckpt(db, 10, 100000);
  add_pages(db, 50);  // (the thread may be copying now)
  ckpt.pause();
  {
    accord::sql::BulkWrites bulk(db);
    EXPECT_TRUE(bulk.active());
    EXPECT_EQ(mode_of(db), "delete");
  }
  EXPECT_EQ(mode_of(db), "wal");
  ckpt.resume();
  add_pages(db, 50);
  for (int i = 0; i < 500 && ckpt.background_runs() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GE(ckpt.background_runs(), 1);
}

// A Stmt borrows a prepared statement from its Db's cache, by its SQL, and
// gives it back when it goes: the same SQL again is not prepared again; two
// alive at once get two; each goes back to its own SQL's list.
TEST(SqliteDbTest, AStatementGoesBackToItsSqlsCacheAndIsBorrowedAgain) {
  accord::sql::Db db(":memory:");
  db.exec("CREATE TABLE t (x)");
  auto prepared = [&] {
    int n = 0;
    for (sqlite3_stmt* s = sqlite3_next_stmt(db.raw(), nullptr); s; s = sqlite3_next_stmt(db.raw(), s)) ++n;
    return n;
  };
  std::string insert = "INSERT INTO t VALUES (?1)";
  for (int i = 0; i < 3; ++i) accord::sql::Stmt(db, std::string_view(insert)).bind(1, int64_t{i}).run();
  EXPECT_EQ(prepared(), 1);
  {
    accord::sql::Stmt a(db, "SELECT count(*) FROM t"), b(db, "SELECT count(*) FROM t");
    ASSERT_TRUE(a.step());
    ASSERT_TRUE(b.step());
    EXPECT_EQ(a.i64(0), 3);
    EXPECT_EQ(b.i64(0), 3);
    EXPECT_EQ(prepared(), 3);
  }
  {
    accord::sql::Stmt a(db, "SELECT count(*) FROM t"), b(db, "SELECT count(*) FROM t"), c(db, "INSERT INTO t VALUES (?1)");
    EXPECT_EQ(prepared(), 3);  // both counts and the insert, from the cache
    c.bind(1, int64_t{9}).run();
    ASSERT_TRUE(a.step());
    EXPECT_EQ(a.i64(0), 4);
    ASSERT_TRUE(b.step());
    EXPECT_EQ(b.i64(0), 4);
  }
  // the text of a statement's SQL may go before it does (it was copied, or
  // found, when the Stmt was made)
  {
    std::string sql = "SELECT x FROM t WHERE x = ?1";
    accord::sql::Stmt s(db, sql);
    sql.assign(sql.size(), ' ');
    s.bind(1, int64_t{9});
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.i64(0), 9);
  }
  accord::sql::Stmt again(db, "SELECT x FROM t WHERE x = ?1");
  EXPECT_EQ(prepared(), 4);
}
