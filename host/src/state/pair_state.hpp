// SPDX-License-Identifier: Apache-2.0
// The state of one stream pair, by concern: StateStore::pair(name) hands it
// out, and it hands out a view of each concern (each in its own file), so
// that no caller passes the pair, or the side, to every call:
//
//   PairState pv = store.pair("contacts");
//   if (auto link = pv.links().find(Side::kRight, id)) ...
//   pv.mirror(Side::kLeft).put(row);
//
// A view: cheap to copy (the pair's name and two pointers), valid while its
// store lives; thread safety is that of its store (one thread). Writes join
// the store's open transaction (StateStore::Transaction), if any.
#pragma once

#include "state/bulk_load.hpp"
#include "state/conflicts.hpp"
#include "state/history.hpp"
#include "state/journal.hpp"
#include "state/links.hpp"
#include "state/mirror.hpp"
#include "state/quarantine.hpp"
#include "state/record_data.hpp"
#include "state/rows.hpp"
#include "state/unreadable.hpp"

#include <accord/sql/sqlite_db.hpp>

#include <optional>
#include <string>

namespace accord {

class PairState {
 public:
  PairState(sql::Db& db, RecordData& data, std::string name) : db_(&db), data_(&data), name_(std::move(name)) {}
  const std::string& name() const { return name_; }

  MirrorSide mirror(Side side) const { return {*db_, *data_, name_, side}; }
  Links links() const { return {*db_, *data_, name_}; }
  Journal journal() const { return {*db_, name_}; }
  Quarantine quarantine() const { return {*db_, name_}; }
  Unreadable unreadable() const { return {*db_, name_}; }
  Conflicts conflicts() const { return {*db_, name_}; }
  History history() const { return {*db_, *data_, name_}; }
  BulkLoad load() const { return {*db_, *data_, name_}; }

  // Where each side's last read ended (the connector's cursor); none before
  // the first.
  std::optional<std::string> cursor(Side side);
  void set_cursor(Side side, const std::string& cursor);

  // The state knows nothing of the pair yet (no mirror row, no link): its
  // next run is a first sync.
  bool empty();
  // A mirror row of either side not waiting to be planned (cheap).
  bool any_clean();
  // The record old_id is new_id now: drops old_id's mirror row (new_id's is
  // already there) and moves its link, conflicts and quarantine entry.
  void rekey(Side side, const std::string& old_id, const std::string& new_id);
  // The same for the record `old` (its mirror row as MirrorSide::find read
  // it), whose link, where it has no base of that side, keeps old's data as
  // that base (the new row is compared with what the old one was), taking
  // over the dropped row's reference to it: no data row is written.
  // held: false when holds_any said no (no conflict or quarantine entry to
  // move: two statements fewer a record).
  void rekey(Side side, const MirrorRow& old, const std::string& new_id, bool held = true);
  // Whether the pair has a conflict, or a quarantine entry of that side, at
  // all (what rekey moves beside the link).
  bool holds_any(Side side);

 private:
  sql::Db* db_;
  RecordData* data_;
  std::string name_;
};

}  // namespace accord
