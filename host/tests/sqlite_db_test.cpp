// The SQLite wrapper: two connections opening one new file at once (two
// stream pairs of a pipeline opening one folder's index) both get a WAL
// database, with no "database is locked"; a Feed's rows go in through one
// INSERT … SELECT.
#include "common/sqlite_db.hpp"

#include <gtest/gtest.h>

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
