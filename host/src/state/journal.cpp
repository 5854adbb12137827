// SPDX-License-Identifier: Apache-2.0
#include "state/journal.hpp"

#include "state/state_store.hpp"

using accord::sql::Stmt;

namespace accord {

int64_t Journal::add(const JournalRow& r) {
  Stmt s(*db_, "INSERT INTO journal(pair, side, op, target_id, source_id, idem_key, data, created)"
               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  s.bind(1, pair_).bind(2, r.side).bind(3, r.op).bind(4, r.target_id).bind(5, r.source_id).bind(6, r.idem_key);
  s.bind(7, r.data).bind(8, now_rfc3339()).run();
  return sqlite3_last_insert_rowid(db_->raw());
}

void Journal::done(int64_t id) {
  Stmt s(*db_, "DELETE FROM journal WHERE id=?1");  // ids are the state's, not the pair's
  s.bind(1, id).run();
}

std::vector<JournalRow> Journal::list() {
  Stmt s(*db_, "SELECT id, pair, side, op, target_id, source_id, idem_key, data FROM journal WHERE pair=?1 ORDER BY id");
  s.bind(1, pair_);
  std::vector<JournalRow> out;
  while (s.step())
    out.push_back({s.i64(0), std::string(s.text(1)), std::string(s.text(2)), std::string(s.text(3)),
                   std::string(s.text(4)), std::string(s.text(5)), std::string(s.text(6)), std::string(s.text(7))});
  return out;
}

int64_t StateStore::journal_size() {
  Stmt s(db_, "SELECT count(*) FROM journal");
  return s.step() ? s.i64(0) : 0;
}

}  // namespace accord
