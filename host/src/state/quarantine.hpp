// SPDX-License-Identifier: Apache-2.0
// One pair's quarantine: a record whose write keeps failing waits until its
// retry time (backing off exponentially, or as long as the server asked).
// It never decides that a write failed, only how long the record waits.
//
// A view: cheap to copy, valid while its store lives; thread safety is that
// of its store (one thread).
#pragma once

#include "state/rows.hpp"

#include <accord/sql/sqlite_db.hpp>

#include <set>
#include <string>

namespace accord {

class Quarantine {
 public:
  Quarantine(sql::Db& db, std::string pair) : db_(&db), pair_(std::move(pair)) {}
  // One failure more of the record's write; retry_after_s > 0: the server's
  // wait, which replaces the backoff.
  void add(Side side, const std::string& id, const std::string& error, int64_t retry_after_s);
  // The quarantined records of a side; only_waiting: those whose retry time
  // has not come.
  std::set<std::string> ids(Side side, bool only_waiting);
  void release(Side side, const std::string& id);
  // Releases the quarantined records that no longer wait for a write (their
  // mirror row is clean or gone: a retry landed, the sides came to agree,
  // the record went); answers how many.
  int64_t release_settled();
  // The record old_id of a side is new_id now (PairState::rekey).
  void rekey(Side side, const std::string& old_id, const std::string& new_id);

 private:
  sql::Db* db_;
  std::string pair_;
};

}  // namespace accord
