// SPDX-License-Identifier: Apache-2.0
// One pair's history: one row per write a run committed (`accord log`,
// `accord undo`), with references to the record's data before and after it
// (record_data rows shared with the mirror). The state-wide reading and
// pruning of it, and the runs, are StateStore's (history.cpp).
//
// A view: cheap to copy, valid while its store lives; thread safety is that
// of its store (one thread).
#pragma once

#include "state/record_data.hpp"
#include "state/rows.hpp"

#include <accord/sql/sqlite_db.hpp>

#include <string>
#include <string_view>

namespace accord {

class History {
 public:
  History(sql::Db& db, RecordData& data, std::string pair) : db_(&db), data_(&data), pair_(std::move(pair)) {}
  // A committed write of this pair (h.pair is not read). Takes a reference
  // to after_id; before_id must be held already (MirrorSide::hold_data).
  // after_held: the reference to after_id is taken already (MirrorSide::put_for_history).
  void add(const HistoryRow& h, int64_t before_id, int64_t after_id, bool after_held = false);
  // A data row of its own for a write's before-image that no mirror row
  // holds any longer (an interrupted run's write, confirmed by the next run
  // after its read moved the mirror on), with the reference add() takes.
  int64_t hold_copy(std::string_view data) { return data_->add(data); }

 private:
  sql::Db* db_;
  RecordData* data_;
  std::string pair_;
};

}  // namespace accord
