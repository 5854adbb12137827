// SPDX-License-Identifier: Apache-2.0
// What the state's unit tests (state_*_test.cpp) share: a state in a
// temporary folder (a file, so that it can be opened again, or by a second
// connection), and a count by SQL.
#pragma once

#include "state/state_store.hpp"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <initializer_list>
#include <memory>
#include <string>

namespace accord::state_test {

struct StateFile {
  std::filesystem::path dir, path;
  StateFile() {
    std::string t = (std::filesystem::temp_directory_path() / "accord-state-XXXXXX").string();
    dir = ::mkdtemp(t.data());
    path = dir / "state.sqlite";
  }
  ~StateFile() { std::filesystem::remove_all(dir); }
  std::unique_ptr<StateStore> open() const {
    auto st = StateStore::open(path);
    EXPECT_TRUE(st) << (st ? "" : st.error().message);
    return st ? std::move(*st) : nullptr;
  }
  // The first column of the first row sql answers, read through a
  // connection of its own (what is committed; -1: no row).
  int64_t count(const std::string& sql_text) const {
    sql::Db db(path.string());
    sql::Stmt q(db, sql_text);
    return q.step() ? q.i64(0) : -1;
  }
  // Every row of each query (its first column, a text), a "--" line after
  // each query's: a state's tables compared whole between two ways of
  // writing them.
  std::string dump(std::initializer_list<const char*> queries) const {
    sql::Db db(path.string());
    std::string out;
    for (const char* q : queries) {
      sql::Stmt s(db, q);
      while (s.step()) out += std::string(s.text(0)) + "\n";
      out += "--\n";
    }
    return out;
  }
};


inline MirrorRow row(const std::string& id, const std::string& data, const std::string& modified = "t",
                     bool dirty = false) {
  return MirrorRow{id, "v1", modified, data, true, dirty, false, ""};
}

}  // namespace accord::state_test
