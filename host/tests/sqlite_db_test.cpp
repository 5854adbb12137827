// The SQLite wrapper: two connections opening one new file at once (two
// stream pairs of a pipeline opening one folder's index) both get a WAL
// database, with no "database is locked".
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
