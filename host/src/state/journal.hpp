// SPDX-License-Identifier: Apache-2.0
// One pair's journal: the remote writes in flight. An intent is added (and
// committed) before its write is sent and removed once the write's result is
// in the state; what is left after a crash is reconciled by the next run.
//
// A view: cheap to copy, valid while its store lives; thread safety is that
// of its store (one thread).
#pragma once

#include "state/rows.hpp"

#include <accord/sql/sqlite_db.hpp>

#include <string>
#include <vector>

namespace accord {

class Journal {
 public:
  Journal(sql::Db& db, std::string pair) : db_(&db), pair_(std::move(pair)) {}
  // An intent of this pair (row.pair is not read); answers its id.
  int64_t add(const JournalRow& row);
  // Many intents in one statement (an apply batch's); answers their ids, in order.
  std::vector<int64_t> add(const std::vector<JournalRow>& rows);
  void done(int64_t id);
  void done(const std::vector<int64_t>& ids);  // in one statement
  std::vector<JournalRow> list();  // oldest first

 private:
  sql::Db* db_;
  std::string pair_;
};

}  // namespace accord
