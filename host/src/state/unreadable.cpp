// SPDX-License-Identifier: Apache-2.0
#include "state/unreadable.hpp"

#include "state/state_store.hpp"

using accord::sql::Stmt;

namespace accord {

void Unreadable::note(Side side, const std::vector<UnreadableRow>& rows, const std::vector<std::string>& readable,
                      bool full) {
  if (full) {
    Stmt d(*db_, "DELETE FROM unreadable WHERE pair=?1 AND side=?2");
    d.bind(1, pair_).bind(2, side_name(side)).run();
  }
  for (const auto& key : readable) {
    Stmt d(*db_, "DELETE FROM unreadable WHERE pair=?1 AND side=?2 AND key=?3");
    d.bind(1, pair_).bind(2, side_name(side)).bind(3, key).run();
  }
  std::string now = now_rfc3339();
  for (const auto& r : rows) {
    Stmt s(*db_, "INSERT OR REPLACE INTO unreadable(pair, side, key, id, connector, stream, pointer, reason, seen)"
                 " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)");
    s.bind(1, pair_).bind(2, side_name(side)).bind(3, r.key).bind(4, r.id).bind(5, r.connector).bind(6, r.stream);
    s.bind(7, r.pointer).bind(8, r.reason).bind(9, now).run();
  }
}

std::set<std::string> Unreadable::keys(Side side) {
  Stmt s(*db_, "SELECT key FROM unreadable WHERE pair=?1 AND side=?2");
  s.bind(1, pair_).bind(2, side_name(side));
  std::set<std::string> out;
  while (s.step()) out.emplace(s.text(0));
  return out;
}

std::vector<UnreadableRow> StateStore::unreadable_list() {
  Stmt s(db_, "SELECT pair, side, key, id, connector, stream, pointer, reason, seen FROM unreadable"
              " ORDER BY pair, side, key");
  std::vector<UnreadableRow> out;
  while (s.step()) {
    UnreadableRow& r = out.emplace_back();
    r.pair = s.text(0), r.side = s.text(1), r.key = s.text(2), r.id = s.text(3), r.connector = s.text(4);
    r.stream = s.text(5), r.pointer = s.text(6), r.reason = s.text(7), r.seen = s.text(8);
  }
  return out;
}

}  // namespace accord
