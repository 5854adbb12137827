// SPDX-License-Identifier: Apache-2.0
// Staging: what a run reads waits in a TEMP table of the store's connection
// (private, spilled to disk, no lock on the state) until it is folded into
// the mirror; memory stays flat however much a side lists. One table a
// side, so that reading one side's records back never pages through the
// other's. It never touches the state's own tables.
//
// A view: cheap to copy, valid while its store lives; thread safety is that
// of its store (one thread).
#pragma once

#include "state/rows.hpp"

#include <accord/sql/sqlite_db.hpp>

#include <functional>
#include <string>

namespace accord {

// "temp.staged_left" or "temp.staged_right".
std::string staged_table(Side side);

class Staging {
 public:
  explicit Staging(sql::Db& db) : db_(&db) {}
  void reset();  // both sides' tables made, and emptied
  void reset_side(Side side);
  void add(Side side, const StagedRow& row);
  // Calls fn for each staged row of a side, in the order staged; by_id:
  // in id order instead (an id staged twice still in the order staged), so
  // that folding walks the state's B-trees in key order: each page read
  // and written once, not at random.
  void for_each(Side side, const std::function<void(StagedRow&)>& fn, bool by_id = false);

 private:
  sql::Db* db_;
};

}  // namespace accord
