// SPDX-License-Identifier: Apache-2.0
#include "state/journal.hpp"

#include "state/state_store.hpp"

#include <algorithm>

using accord::sql::Stmt;

namespace accord {

int64_t Journal::add(const JournalRow& r) {
  Stmt s(*db_, "INSERT INTO journal(pair, side, op, target_id, source_id, idem_key, data, created, run)"
               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  s.bind(1, pair_).bind(2, r.side).bind(3, r.op).bind(4, r.target_id).bind(5, r.source_id).bind(6, r.idem_key);
  s.bind(7, r.data).bind(8, r.created.empty() ? now_rfc3339() : r.created).bind(9, r.run).run();
  return sqlite3_last_insert_rowid(db_->raw());
}

std::vector<int64_t> Journal::add(const std::vector<JournalRow>& rows) {
  // (rows given their own times: one statement each; the feed's columns are
  // the batch's otherwise, its time one for all)
  if (std::any_of(rows.begin(), rows.end(), [](const JournalRow& r) { return !r.created.empty(); })) {
    std::vector<int64_t> ids;
    ids.reserve(rows.size());
    for (const auto& r : rows) ids.push_back(add(r));
    return ids;
  }
  // the ids after the table's last, given here, so that they are known
  // without a statement per row
  int64_t next = 1;
  {
    Stmt last(*db_, "SELECT coalesce(max(id), 0) + 1 FROM journal");
    if (last.step()) next = last.i64(0);
  }
  std::vector<int64_t> ids(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) ids[i] = next + static_cast<int64_t>(i);
  std::string created = now_rfc3339();
  sql::FeedOf feed(rows.size(), [&](size_t row, int col, sqlite3_context* out) {
    const JournalRow& r = rows[row];
    switch (col) {
      case 0: return sql::Feed::integer(out, ids[row]);
      case 1: return sql::Feed::text(out, r.side);
      case 2: return sql::Feed::text(out, r.op);
      case 3: return sql::Feed::text(out, r.target_id);
      case 4: return sql::Feed::text(out, r.source_id);
      case 5: return sql::Feed::text(out, r.idem_key);
      case 6: return sql::Feed::text(out, r.data);
      default: return sql::Feed::integer(out, r.run);
    }
  });
  Stmt s(*db_, "INSERT INTO journal(id, pair, side, op, target_id, source_id, idem_key, data, created, run)"
               " SELECT c0, ?1, c1, c2, c3, c4, c5, c6, ?3, c7 FROM accord_feed(?2)");
  s.bind(1, pair_).bind_feed(2, feed).bind(3, created).run();
  return ids;
}

void Journal::done(const std::vector<int64_t>& ids) {
  if (ids.empty()) return;
  sql::FeedOf feed(ids.size(), [&](size_t row, int, sqlite3_context* out) { sql::Feed::integer(out, ids[row]); });
  Stmt s(*db_, "DELETE FROM journal WHERE id IN (SELECT c0 FROM accord_feed(?1))");
  s.bind_feed(1, feed).run();
}

void Journal::done(int64_t id) {
  Stmt s(*db_, "DELETE FROM journal WHERE id=?1");  // ids are the state's, not the pair's
  s.bind(1, id).run();
}

std::vector<JournalRow> Journal::list() {
  Stmt s(*db_, "SELECT id, pair, side, op, target_id, source_id, idem_key, data, coalesce(created, ''), run FROM journal"
               " WHERE pair=?1 ORDER BY id");
  s.bind(1, pair_);
  std::vector<JournalRow> out;
  while (s.step()) {
    out.push_back({s.i64(0), std::string(s.text(1)), std::string(s.text(2)), std::string(s.text(3)),
                   std::string(s.text(4)), std::string(s.text(5)), std::string(s.text(6)), std::string(s.text(7)),
                   std::string(s.text(8))});
    out.back().run = s.i64(9);
  }
  return out;
}

void Journal::retried(const std::vector<JournalRow>& creates) {
  if (creates.empty()) return;
  // kept again: its source and data are the last try's, its time the later
  // of the kept one and the one given (a later try that may have made the
  // record: answered maybe_written, or an interrupted run's; RFC 3339 UTC
  // texts of one form sort as their times)
  // (first_sent: the earlier of the two; not known, "", stays not known)
  Stmt s(*db_, "INSERT INTO retried_creates(pair, side, idem_key, source_id, data, created, tries, last_answer,"
               " first_sent) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8) ON CONFLICT(pair, side, idem_key) DO UPDATE SET"
               " source_id=excluded.source_id, data=excluded.data, created=max(created, excluded.created),"
               " tries=tries+1, last_answer=excluded.last_answer, parked='',"
               " first_sent=CASE WHEN first_sent='' OR excluded.first_sent='' THEN ''"
               " ELSE min(first_sent, excluded.first_sent) END");
  std::string now = now_rfc3339();
  for (const auto& r : creates)
    s.bind(1, pair_).bind(2, r.side).bind(3, r.idem_key).bind(4, r.source_id).bind(5, r.data)
        .bind(6, r.created.empty() ? now : r.created).bind(7, r.last_answer).bind(8, r.first_sent).run();
}

void Journal::park(const std::vector<std::pair<std::string, std::string>>& creates, const std::string& why) {
  if (creates.empty()) return;
  Stmt s(*db_, "UPDATE retried_creates SET parked=?4 WHERE pair=?1 AND side=?2 AND idem_key=?3 AND parked<>?4");
  for (const auto& [side, key] : creates) s.bind(1, pair_).bind(2, side).bind(3, key).bind(4, why).run();
}

void Journal::settled(const std::vector<std::pair<std::string, std::string>>& creates) {
  if (creates.empty()) return;
  Stmt s(*db_, "DELETE FROM retried_creates WHERE pair=?1 AND side=?2 AND idem_key=?3");
  for (const auto& [side, key] : creates) s.bind(1, pair_).bind(2, side).bind(3, key).run();
}

std::vector<JournalRow> Journal::retried_creates() {
  Stmt s(*db_, "SELECT side, source_id, idem_key, data, created, tries, last_answer, parked, first_sent"
               " FROM retried_creates"
               " WHERE pair=?1"
               " ORDER BY created, side, idem_key");
  s.bind(1, pair_);
  std::vector<JournalRow> out;
  while (s.step())
    out.push_back({0, pair_, std::string(s.text(0)), "create", "", std::string(s.text(1)), std::string(s.text(2)),
                   std::string(s.text(3)), std::string(s.text(4)), s.i64(5), std::string(s.text(6)),
                   std::string(s.text(7)), std::string(s.text(8))});
  return out;
}

std::map<std::pair<std::string, std::string>, std::string> Journal::retried_keys() {
  Stmt s(*db_, "SELECT side, idem_key, created FROM retried_creates WHERE pair=?1");
  s.bind(1, pair_);
  std::map<std::pair<std::string, std::string>, std::string> out;
  while (s.step()) out.emplace(std::pair{std::string(s.text(0)), std::string(s.text(1))}, std::string(s.text(2)));
  return out;
}

std::map<std::pair<std::string, std::string>, std::string> Journal::retried_first_sent() {
  Stmt s(*db_, "SELECT side, idem_key, first_sent FROM retried_creates WHERE pair=?1");
  s.bind(1, pair_);
  std::map<std::pair<std::string, std::string>, std::string> out;
  while (s.step()) out.emplace(std::pair{std::string(s.text(0)), std::string(s.text(1))}, std::string(s.text(2)));
  return out;
}

int64_t StateStore::retried_creates_size() {
  Stmt s(db_, "SELECT count(*) FROM retried_creates");
  return s.step() ? s.i64(0) : 0;
}

int64_t StateStore::journal_size() {
  Stmt s(db_, "SELECT count(*) FROM journal");
  return s.step() ? s.i64(0) : 0;
}

}  // namespace accord
