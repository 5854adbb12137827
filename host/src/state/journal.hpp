// SPDX-License-Identifier: Apache-2.0
// One pair's journal: the remote writes in flight. An intent is added (and
// committed) before its write is sent and removed once the write's result is
// in the state; what is left after a crash is reconciled by the next run.
//
// Beside the intents, and apart from them (crash recovery never reads it):
// the creates answered RETRY, which may have been made (their answer lost).
// Each is kept by its target side and key, with its source and data, until a
// try of it is answered ok or the record it made is linked; meanwhile every
// try goes as a resend (docs/sdk.md, apply).
//
// A view: cheap to copy, valid while its store lives; thread safety is that
// of its store (one thread).
#pragma once

#include "state/rows.hpp"

#include <accord/sql/sqlite_db.hpp>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace accord {

class Journal {
 public:
  Journal(sql::Db& db, std::string pair) : db_(&db), pair_(std::move(pair)) {}
  // An intent of this pair (row.pair is not read); answers its id.
  int64_t add(const JournalRow& row);
  // Many intents in one statement (an apply batch's); answers their ids, in order.
  std::vector<int64_t> add(const std::vector<JournalRow>& rows);
  void done(int64_t id);
  void done(const std::vector<int64_t>& ids);  // in one statement
  std::vector<JournalRow> list();  // oldest first

  // Creates answered retry ("maybe written"): row.side is the target's,
  // row.op "create" and row.id 0 as listed; row.last_answer the retry's
  // message, row.created the time of the latest try that may have made it (empty:
  // now). Kept again, a key's row takes the new source, data and answer,
  // counts one more try and keeps the later of its time and row.created (an
  // interrupted run's resend, sent later, may have made it), and the earlier
  // of its first_sent and row.first_sent ("": not known, which stays).
  void retried(const std::vector<JournalRow>& creates);
  // Not sent now, and why ("filter", "direction"; "": sent again), by
  // (target side, key); a try kept again by retried() is sent: "".
  void park(const std::vector<std::pair<std::string, std::string>>& creates, const std::string& why);
  // Settled (answered ok, or the record they made linked): by (target side, key).
  void settled(const std::vector<std::pair<std::string, std::string>>& creates);
  std::vector<JournalRow> retried_creates();  // oldest first
  // (target side, key) of every create answered retry, each with its first
  // try's time: cheap when none.
  std::map<std::pair<std::string, std::string>, std::string> retried_keys();
  // The same, each with when its first try that may have written was sent
  // (JournalRow::first_sent; "": not known).
  std::map<std::pair<std::string, std::string>, std::string> retried_first_sent();

 private:
  sql::Db* db_;
  std::string pair_;
};

}  // namespace accord
