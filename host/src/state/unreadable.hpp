// SPDX-License-Identifier: Apache-2.0
// One pair's unreadable records (UnreadableRow): what a side's connector
// sent that the host could not read and skipped, listed until it is read
// well or a full listing of its side no longer shows it bad. A listed record
// is never taken for deleted (MirrorSide::not_staged).
//
// A view: cheap to copy, valid while its store lives; thread safety is that
// of its store (one thread).
#pragma once

#include "state/rows.hpp"

#include <accord/sql/sqlite_db.hpp>

#include <set>
#include <string>
#include <vector>

namespace accord {

class Unreadable {
 public:
  Unreadable(sql::Db& db, std::string pair) : db_(&db), pair_(std::move(pair)) {}
  // After a side is read: `rows` were unreadable (pair and side are the
  // view's), the records keyed `readable` were read well; a full listing
  // replaces the side's list.
  void note(Side side, const std::vector<UnreadableRow>& rows, const std::vector<std::string>& readable, bool full);
  std::set<std::string> keys(Side side);

 private:
  sql::Db* db_;
  std::string pair_;
};

}  // namespace accord
