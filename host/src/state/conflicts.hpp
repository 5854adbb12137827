// SPDX-License-Identifier: Apache-2.0
// One pair's conflicts: a field both sides changed to different values, one
// open conflict per field of a pair of records, until a run finds it settled
// or a person decides it (`accord conflicts`; StateStore::decide).
//
// A view: cheap to copy, valid while its store lives; thread safety is that
// of its store (one thread).
#pragma once

#include "state/rows.hpp"

#include <accord/sql/sqlite_db.hpp>

#include <map>
#include <string>
#include <vector>

namespace accord {

class Conflicts {
 public:
  Conflicts(sql::Db& db, std::string pair) : db_(&db), pair_(std::move(pair)) {}
  // Opens the conflict (c.pair is not read), or updates the open one of the
  // same field of the same records.
  void add(const ConflictRow& c);
  // The decided winners of the open conflicts of one pair of records, by field.
  std::map<std::string, Side> decisions(const std::string& left_id);
  // Every pair of records' decided open conflicts, by left id: one query a
  // run, where a query a changed pair cost planning its time (issue 24);
  // few (a person decided each).
  std::map<std::string, std::map<std::string, Side>> decisions();
  // Closes the open conflicts of one pair of records but those of still_open's fields.
  void close(const std::string& left_id, const std::vector<std::string>& still_open);
  // The record old_id of a side is new_id now (PairState::rekey).
  void rekey(Side side, const std::string& old_id, const std::string& new_id);

 private:
  sql::Db* db_;
  std::string pair_;
};

}  // namespace accord
