// SPDX-License-Identifier: Apache-2.0
#include "state/pair_state.hpp"

#include <stdexcept>

using accord::sql::Stmt;

namespace accord {

std::optional<std::string> PairState::cursor(Side side) {
  Stmt s(*db_, "SELECT cursor FROM cursors WHERE pair = ?1 AND side = ?2");
  s.bind(1, name_).bind(2, side_name(side));
  if (s.step()) return std::string(s.text(0));
  return std::nullopt;
}

void PairState::set_cursor(Side side, const std::string& cursor) {
  Stmt s(*db_, "INSERT OR REPLACE INTO cursors(pair, side, cursor) VALUES (?1, ?2, ?3)");
  s.bind(1, name_).bind(2, side_name(side)).bind(3, cursor).run();
}

bool PairState::empty() { return !mirror(Side::kLeft).any() && !mirror(Side::kRight).any() && !links().any(); }

bool PairState::any_clean() {
  Stmt s(*db_, "SELECT 1 FROM mirror_rows m WHERE pair=?1 AND NOT EXISTS"
               " (SELECT 1 FROM dirty d WHERE d.pair = m.pair AND d.side = m.side AND d.id = m.id) LIMIT 1");
  s.bind(1, name_);
  return s.step();
}

void PairState::rekey(Side side, const std::string& old_id, const std::string& new_id) {
  mirror(side).drop(old_id);
  links().rekey(side, old_id, new_id);
  conflicts().rekey(side, old_id, new_id);
  quarantine().rekey(side, old_id, new_id);
}

bool PairState::holds_any(Side side) {
  Stmt s(*db_, "SELECT EXISTS (SELECT 1 FROM conflicts WHERE pair=?1)"
               " OR EXISTS (SELECT 1 FROM quarantine WHERE pair=?1 AND side=?2)");
  s.bind(1, name_).bind(2, side_name(side));
  return s.step() && s.i64(0) != 0;
}

void PairState::rekey(Side side, const MirrorRow& old, const std::string& new_id, bool held) {
  if (!old.data_id) throw std::logic_error("state: the base of " + old.id + " was read without its data row");
  Links l = links();
  auto link = l.rekey(side, old.id, new_id);
  if (link && old.data_id && l.keep(*link, side, old.data_id, true)) mirror(side).drop_taken(old.id);
  else mirror(side).drop(old.id);
  if (!held) return;
  conflicts().rekey(side, old.id, new_id);
  quarantine().rekey(side, old.id, new_id);
}

}  // namespace accord
