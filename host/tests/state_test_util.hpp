// SPDX-License-Identifier: Apache-2.0
// What the state's unit tests (state_*_test.cpp) share: a state in a
// temporary folder (a file, so that it can be opened again, or by a second
// connection), and a count by SQL.
#pragma once

#include "state/state_store.hpp"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
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
};


inline MirrorRow row(const std::string& id, const std::string& data, const std::string& modified = "t",
                     bool dirty = false) {
  return MirrorRow{id, "v1", modified, data, true, dirty, false, ""};
}

}  // namespace accord::state_test
