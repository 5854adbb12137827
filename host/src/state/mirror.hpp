// SPDX-License-Identifier: Apache-2.0
// One side's mirror in one pair's state: every record seen on that side
// (mirror_rows, its data in record_data), and which of them changed since
// they were last planned (dirty). What the engine plans from.
//
// A view: cheap to copy, valid while its store lives; thread safety is that
// of its store (one thread).
#pragma once

#include "state/record_data.hpp"
#include "state/rows.hpp"

#include <accord/sql/sqlite_db.hpp>

#include <optional>
#include <string>
#include <vector>

namespace accord {

class MirrorSide {
 public:
  MirrorSide(sql::Db& db, RecordData& data, std::string pair, Side side)
      : db_(&db), data_(&data), pair_(std::move(pair)), side_(side) {}

  std::optional<MirrorRow> find(const std::string& id);
  // The same without the dirty flag (one lookup instead of two).
  std::optional<MirrorRow> find_data(const std::string& id);
  // Writes the row (its data keeps its data row when it did not change);
  // answers the row's record_data id. `was`: the row as find or find_data
  // read it just before (same id, nothing written to it since), so that
  // it is not read again. was_data_taken: was's data row, changed, is not
  // released, its reference taken over (Links::keep's take_over).
  // history_holds: the row's data row holds one reference more, for the
  // history's `after` (History::add, after_held): a new data row is made
  // with two (a create's commit: one statement fewer than a hold after).
  int64_t put(const MirrorRow& row, const MirrorRow* was = nullptr, bool was_data_taken = false,
              bool history_holds = false);
  // The same for a write the history records (commit_item): the reference
  // the row held to its data before goes to `before` (0: no row; held once
  // more where the data did not change), and the row's data after holds one
  // reference more for the history's `after` (History::add, after_held).
  // Four statements fewer than hold_data + put + History's hold, and the
  // old data row is not written. A clean row's dirty flag is left to the
  // caller to clear (clear_dirty, a batch's at once).
  int64_t put_for_history(const MirrorRow& row, int64_t& before);
  // The same where the caller read the row before (its record_data id
  // `was_data_id`, as planning's find_data read it): the row is not read
  // again, its write is an UPDATE that holds only where the row still has
  // that data row (else nothing of it is written and the row is read, as
  // above: a row changed since it was read is never written from a stale
  // `was`). Issue 24: the SELECT of the row's old data a write (~21 k
  // instructions) against an UPDATE's second seek (~4 k).
  int64_t put_for_history(const MirrorRow& row, int64_t& before, int64_t was_data_id);
  void drop(const std::string& id);
  // The same for a row whose reference to its data row was taken over
  // (Links::keep's take_over): the row goes, its data row stays as it is.
  void drop_taken(const std::string& id);
  // A reference to a row's data, taken for the history (it outlives the
  // row's change or removal); 0: no such row.
  int64_t hold_data(const std::string& id);
  // Lets go of a reference hold_data took (a write that failed keeps no history).
  void release_data(int64_t data_id) { data_->release(data_id); }

  // Oldest change first; with_rows: each with its version, modified and
  // data row id too, so that its row is had by row_of (its data alone read).
  std::vector<MirrorRef> dirty(bool with_rows = false);
  // The row a ref of dirty() stands for, as find_data reads it, its data
  // read by the ref's data row id (the mirror row is not sought again: the
  // ref was read from it); nullopt where that data row is gone. The ref must
  // stand for the row as it is: read since its last write (issue 24: the
  // changed side's find_data a linked pair, ~21 k instructions).
  std::optional<MirrorRow> row_of(const MirrorRef& ref);
  std::vector<MirrorRef> unlinked();  // live, included, no link
  void mark_dirty(std::vector<std::string> ids);
  void clear_dirty(const std::string& id);
  void clear_dirty(std::vector<std::string> ids);  // in one statement, in key order
  int64_t count_live();
  // Its live rows, counted up to `at_most` (that many: at least that many):
  // the rows counted, not the side (issue 24).
  int64_t count_live(int64_t at_most);
  bool any();  // a row at all (cheap)
  // Live ids that the side's staged full listing does not hold (a record the
  // side listed as unreadable is never among them).
  std::vector<std::string> not_staged();

  Side side() const { return side_; }

 private:
  void set_dirty(const std::string& id);
  sql::Db* db_;
  RecordData* data_;
  std::string pair_;
  Side side_;
};

}  // namespace accord
