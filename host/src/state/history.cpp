// SPDX-License-Identifier: Apache-2.0
// The history of writes (History, and the state-wide reading and pruning of
// it) and the runs.
#include "state/history.hpp"

#include "state/state_store.hpp"
#include <accord/net/redact.hpp>

#include <algorithm>

using accord::sql::Stmt;

namespace accord {

void History::add(const HistoryRow& h, int64_t before_id, int64_t after_id, bool after_held) {
  if (after_id && !after_held) data_->hold(after_id);  // before_id is held already (MirrorSide::hold_data)
  Stmt s(*db_, "INSERT INTO history(run, pair, side, record_id, op, before_id, after_id, version, other_id)"
               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  s.bind(1, h.run).bind(2, pair_).bind(3, h.side).bind(4, h.record_id).bind(5, h.op);
  if (before_id) s.bind(6, before_id); else s.bind_null(6);
  if (after_id) s.bind(7, after_id); else s.bind_null(7);
  s.bind(8, h.version).bind(9, h.other_id).run();
}

std::vector<HistoryRow> StateStore::history(std::optional<int64_t> run, const std::string& pair, const std::string& record) {
  std::string sql =
      "SELECT h.seq, h.run, h.pair, h.side, h.record_id, h.op, h.version, h.other_id, b.data, a.data, h.before_id IS NOT NULL,"
      " h.after_id IS NOT NULL FROM history h LEFT JOIN record_data b ON b.id = h.before_id"
      " LEFT JOIN record_data a ON a.id = h.after_id WHERE 1";
  if (run) sql += " AND h.run = ?1";
  if (!pair.empty()) sql += " AND h.pair = ?2";
  if (!record.empty()) sql += " AND (h.record_id = ?3 OR h.other_id = ?3)";
  Stmt s(db_, sql + " ORDER BY h.seq");
  if (run) s.bind(1, *run);
  if (!pair.empty()) s.bind(2, pair);
  if (!record.empty()) s.bind(3, record);
  std::vector<HistoryRow> out;
  while (s.step()) {
    HistoryRow& h = out.emplace_back();
    h.seq = s.i64(0), h.run = s.i64(1);
    h.pair = s.text(2), h.side = s.text(3), h.record_id = s.text(4), h.op = s.text(5), h.version = s.text(6);
    h.other_id = s.text(7);
    if (s.i64(10)) h.before = std::string(s.text(8));
    if (s.i64(11)) h.after = std::string(s.text(9));
  }
  return out;
}

bool StateStore::has_history(int64_t run) {
  Stmt s(db_, "SELECT 1 FROM history WHERE run = ?1 LIMIT 1");
  s.bind(1, run);
  return s.step();
}

std::map<std::pair<std::string, std::string>, int64_t> StateStore::written_after(int64_t run, const std::string& pair) {
  Stmt s(db_, "SELECT side, record_id, max(run) FROM history WHERE run > ?1 AND pair = ?2 GROUP BY side, record_id");
  s.bind(1, run).bind(2, pair);
  std::map<std::pair<std::string, std::string>, int64_t> out;
  while (s.step()) out.emplace(std::pair{std::string(s.text(0)), std::string(s.text(1))}, s.i64(2));
  return out;
}

int64_t StateStore::prune_history(int keep_runs) {
  // The runs before the keep_runs-th newest go, with their references.
  int64_t oldest_kept = 0;
  {
    Stmt s(db_, "SELECT id FROM runs ORDER BY id DESC LIMIT 1 OFFSET ?1");
    s.bind(1, int64_t{std::max(keep_runs, 1) - 1});
    if (!s.step()) return 0;
    oldest_kept = s.i64(0);
  }
  std::vector<int64_t> held;
  {
    Stmt s(db_, "SELECT coalesce(before_id, 0), coalesce(after_id, 0) FROM history WHERE run < ?1");
    s.bind(1, oldest_kept);
    while (s.step())
      for (int c = 0; c < 2; ++c)
        if (int64_t id = s.i64(c)) held.push_back(id);
  }
  for (int64_t id : held) data_.release(id);
  Stmt d(db_, "DELETE FROM history WHERE run < ?1");
  d.bind(1, oldest_kept).run();
  return sqlite3_changes(db_.raw());
}

int64_t StateStore::begin_run(const std::string& kind) {
  Stmt s(db_, "INSERT INTO runs(kind, started, status) VALUES (?1, ?2, 'running')");
  s.bind(1, kind).bind(2, now_rfc3339()).run();
  return sqlite3_last_insert_rowid(db_.raw());
}

void StateStore::end_run(int64_t id, const std::string& status, const std::string& summary, const std::string& error) {
  Stmt s(db_, "UPDATE runs SET finished=?2, status=?3, summary=?4, error=?5 WHERE id=?1");
  s.bind(1, id).bind(2, now_rfc3339()).bind(3, status).bind(4, summary).bind(5, net::redact(error)).run();
}

std::vector<RunRow> StateStore::runs(int limit) {
  Stmt s(db_, "SELECT id, kind, started, coalesce(finished,''), status, coalesce(summary,''), coalesce(error,'')"
              " FROM runs ORDER BY id DESC LIMIT ?1");
  s.bind(1, int64_t{limit});
  std::vector<RunRow> out;
  while (s.step())
    out.push_back({s.i64(0), std::string(s.text(1)), std::string(s.text(2)), std::string(s.text(3)),
                   std::string(s.text(4)), std::string(s.text(5)), std::string(s.text(6))});
  return out;
}

}  // namespace accord
