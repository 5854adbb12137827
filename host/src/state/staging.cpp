// SPDX-License-Identifier: Apache-2.0
#include "state/staging.hpp"

using accord::sql::Stmt;

namespace accord {

std::string staged_table(Side side) { return side == Side::kLeft ? "temp.staged_left" : "temp.staged_right"; }

void Staging::reset() {
  for (Side side : {Side::kLeft, Side::kRight}) {
    std::string t = staged_table(side);
    db_->exec("CREATE TEMP TABLE IF NOT EXISTS " + t.substr(5) + "(id TEXT, version TEXT, modified TEXT, deleted INTEGER,"
              " data TEXT, included INTEGER, keys TEXT)");
    reset_side(side);
  }
}

void Staging::add(Side side, const StagedRow& c) {
  Stmt s(*db_, "INSERT INTO " + staged_table(side) + "(id, version, modified, deleted, data, included, keys)"
               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  s.bind(1, c.id).bind(2, c.version).bind(3, c.modified).bind(4, int64_t{c.deleted});
  s.bind(5, c.data).bind(6, int64_t{c.included}).bind(7, c.keys).run();
}

void Staging::for_each(Side side, const std::function<void(StagedRow&)>& fn, bool by_id) {
  Stmt s(*db_, "SELECT id, version, modified, deleted, data, included, keys FROM " + staged_table(side) +
                   (by_id ? " ORDER BY id, rowid" : " ORDER BY rowid"));
  while (s.step()) {
    StagedRow c{std::string(s.text(0)), std::string(s.text(1)), std::string(s.text(2)), std::string(s.text(4)),
                std::string(s.text(6)), s.i64(3) != 0, s.i64(5) != 0};
    fn(c);
  }
}

void Staging::reset_side(Side side) {
  // Appended in the order read, unindexed: an index on ids in random order
  // would cost a page write per record; MirrorSide::not_staged builds it, in
  // one sort, when a full listing of a known side needs it.
  std::string t = staged_table(side);
  db_->exec("DROP INDEX IF EXISTS " + t + "_id");
  db_->exec("DELETE FROM " + t);
}

}  // namespace accord
