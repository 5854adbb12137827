// SPDX-License-Identifier: Apache-2.0
#include "state/quarantine.hpp"

#include "state/state_store.hpp"
#include <accord/net/redact.hpp>
#include <accord/time/utc_time.hpp>

#include <algorithm>
#include <chrono>

using accord::sql::Stmt;

namespace accord {

static int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void Quarantine::add(Side side, const std::string& id, const std::string& error, int64_t retry_after_s) {
  int64_t attempts = 0;
  {
    Stmt q(*db_, "SELECT attempts FROM quarantine WHERE pair=?1 AND side=?2 AND id=?3");
    q.bind(1, pair_).bind(2, side_name(side)).bind(3, id);
    if (q.step()) attempts = q.i64(0);
  }
  ++attempts;
  // exponential backoff: 1, 2, 4 … minutes, at most a day; or what the server asked
  int64_t wait = retry_after_s > 0 ? retry_after_s : std::min<int64_t>(60LL << std::min<int64_t>(attempts - 1, 10), 86400);
  Stmt s(*db_, "INSERT OR REPLACE INTO quarantine(pair, side, id, error, attempts, next_retry) VALUES (?1,?2,?3,?4,?5,?6)");
  s.bind(1, pair_).bind(2, side_name(side)).bind(3, id).bind(4, net::redact(error)).bind(5, attempts).bind(6, now_s() + wait).run();
}

std::set<std::string> Quarantine::ids(Side side, bool only_waiting) {
  Stmt s(*db_, "SELECT id, next_retry FROM quarantine WHERE pair=?1 AND side=?2");
  s.bind(1, pair_).bind(2, side_name(side));
  std::set<std::string> out;
  int64_t now = now_s();
  while (s.step())
    if (!only_waiting || s.i64(1) > now) out.emplace(s.text(0));
  return out;
}

void Quarantine::release(Side side, const std::string& id) {
  Stmt s(*db_, "DELETE FROM quarantine WHERE pair=?1 AND side=?2 AND id=?3");
  s.bind(1, pair_).bind(2, side_name(side)).bind(3, id).run();
}

void Quarantine::rekey(Side side, const std::string& old_id, const std::string& new_id) {
  Stmt q(*db_, "UPDATE OR REPLACE quarantine SET id = ?4 WHERE pair=?1 AND side=?2 AND id=?3");
  q.bind(1, pair_).bind(2, side_name(side)).bind(3, old_id).bind(4, new_id).run();
}

int64_t Quarantine::release_settled() {
  // A failed write leaves its source dirty; anything that settles it clears that.
  Stmt s(*db_, "DELETE FROM quarantine WHERE pair=?1 AND NOT EXISTS"
               " (SELECT 1 FROM dirty d WHERE d.pair = quarantine.pair AND d.side = quarantine.side AND d.id = quarantine.id)");
  s.bind(1, pair_).run();
  return sqlite3_changes(db_->raw());
}

std::vector<QuarantineRow> StateStore::quarantine_list() {
  Stmt s(db_, "SELECT pair, side, id, error, attempts, next_retry FROM quarantine ORDER BY pair, side, id");
  std::vector<QuarantineRow> out;
  while (s.step())
    out.push_back({std::string(s.text(0)), std::string(s.text(1)), std::string(s.text(2)), std::string(s.text(3)),
                   utc::format(s.i64(5)), s.i64(4)});
  return out;
}

}  // namespace accord
