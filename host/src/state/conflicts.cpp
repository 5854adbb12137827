// SPDX-License-Identifier: Apache-2.0
#include "state/conflicts.hpp"

#include "state/state_store.hpp"

#include <algorithm>

using accord::sql::Stmt;

namespace accord {

void Conflicts::add(const ConflictRow& c) {
  // one open conflict per field of a pair of records
  Stmt q(*db_, "SELECT id FROM conflicts WHERE pair=?1 AND left_id=?2 AND field=?3 AND closed = 0");
  q.bind(1, pair_).bind(2, c.left_id).bind(3, c.field);
  if (q.step()) {
    Stmt u(*db_, "UPDATE conflicts SET left_value=?2, right_value=?3, right_id=?4 WHERE id=?1");
    u.bind(1, q.i64(0)).bind(2, c.left_value).bind(3, c.right_value).bind(4, c.right_id).run();
    return;
  }
  Stmt s(*db_, "INSERT INTO conflicts(pair, left_id, right_id, field, left_value, right_value, created, decided)"
               " VALUES (?1,?2,?3,?4,?5,?6,?7,'')");
  s.bind(1, pair_).bind(2, c.left_id).bind(3, c.right_id).bind(4, c.field).bind(5, c.left_value);
  s.bind(6, c.right_value).bind(7, now_rfc3339()).run();
}

std::map<std::string, Side> Conflicts::decisions(const std::string& left_id) {
  Stmt s(*db_, "SELECT field, decided FROM conflicts WHERE pair=?1 AND left_id=?2 AND closed = 0 AND decided != ''");
  s.bind(1, pair_).bind(2, left_id);
  std::map<std::string, Side> out;
  while (s.step()) out[std::string(s.text(0))] = s.text(1) == "left" ? Side::kLeft : Side::kRight;
  return out;
}

std::map<std::string, std::map<std::string, Side>> Conflicts::decisions() {
  Stmt s(*db_, "SELECT left_id, field, decided FROM conflicts WHERE pair=?1 AND closed = 0 AND decided != ''");
  s.bind(1, pair_);
  std::map<std::string, std::map<std::string, Side>> out;
  while (s.step()) out[std::string(s.text(0))][std::string(s.text(1))] = s.text(2) == "left" ? Side::kLeft : Side::kRight;
  return out;
}

void Conflicts::close(const std::string& left_id, const std::vector<std::string>& still_open) {
  Stmt s(*db_, "SELECT id, field FROM conflicts WHERE pair=?1 AND left_id=?2 AND closed = 0");
  s.bind(1, pair_).bind(2, left_id);
  std::vector<int64_t> done;
  while (s.step())
    if (std::find(still_open.begin(), still_open.end(), std::string(s.text(1))) == still_open.end()) done.push_back(s.i64(0));
  for (int64_t id : done) {
    Stmt u(*db_, "UPDATE conflicts SET closed = 1 WHERE id = ?1");
    u.bind(1, id).run();
  }
}

void Conflicts::rekey(Side side, const std::string& old_id, const std::string& new_id) {
  const char* col = side == Side::kLeft ? "left_id" : "right_id";
  Stmt s(*db_, std::string("UPDATE conflicts SET ") + col + " = ?3 WHERE pair=?1 AND " + col + " = ?2");
  s.bind(1, pair_).bind(2, old_id).bind(3, new_id).run();
}

std::vector<ConflictRow> StateStore::conflicts(bool open_only) {
  Stmt s(db_, std::string("SELECT id, pair, left_id, right_id, field, left_value, right_value, created, decided FROM conflicts") +
                  (open_only ? " WHERE closed = 0" : "") + " ORDER BY id");
  std::vector<ConflictRow> out;
  while (s.step())
    out.push_back({s.i64(0), std::string(s.text(1)), std::string(s.text(2)), std::string(s.text(3)), std::string(s.text(4)),
                   std::string(s.text(5)), std::string(s.text(6)), std::string(s.text(7)), std::string(s.text(8))});
  return out;
}

Result<void> StateStore::decide(int64_t id, Side winner) {
  Stmt s(db_, "UPDATE conflicts SET decided = ?2 WHERE id = ?1 AND closed = 0");
  s.bind(1, id).bind(2, side_name(winner)).run();
  if (sqlite3_changes(db_.raw()) == 0) return fail("no open conflict " + std::to_string(id) + " (see accord conflicts list)");
  // the record must be looked at again by the next run
  Stmt d(db_, "INSERT OR IGNORE INTO dirty(pair, side, id) SELECT pair, 'left', left_id FROM conflicts WHERE id = ?1");
  d.bind(1, id).run();
  return {};
}

}  // namespace accord
