// SPDX-License-Identifier: Apache-2.0
// Journal reconciliation: what to do with the intents an interrupted run
// left in the journal (writes in flight when it stopped). Pure: the pending
// intents and a way to look up each create's source row in, typed work out;
// PairRun::reconcile_journal (journal.cpp) reads and writes the state.
//
// Updates and deletes are planned again from the still-dirty mirror: if
// they were done, the sides now agree and nothing is written twice; an
// update's target may have moved (a new id), so the read that follows looks
// for it by identity. Creates are sent again, marked "resend", with the key
// they were first sent with: the connector answers the record the first try
// made, if it landed, or makes it now, if it did not.
#pragma once

#include "engine/planning.hpp"

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace accord {

struct JournalPlan {
  std::vector<Item> resend;          // creates sent again with their keys, through the usual apply
  std::vector<int64_t> stale;        // planned again: done when the new plan commits
  std::vector<int64_t> unreadable;   // intents whose data is not a record: done now, planned again
  PerSide<std::set<std::string>> inflight;  // ids an interrupted update was writing (it may have moved them)
  long dropped = 0;                  // intents planned again (stale and unreadable)
};

// A mirror row by side and id (none: not in the state).
using RowLookup = std::function<std::optional<MirrorRow>(Side, const std::string&)>;

JournalPlan plan_journal(const std::vector<JournalRow>& pending, const RowLookup& mirror, const Planner& planner);

// A resend's first_sent_at: of the kept create `key`'s first try time (in
// `kept`, by (side, key): Journal::retried_first_sent; "": not known) and
// an interrupted run's intent's (`resumed`; "": none), the earlier. Not
// known stays not known: a store finding the record by its content then
// takes no look-alike (review s11 F6).
std::string earliest_sent(const std::map<std::pair<std::string, std::string>, std::string>& kept,
                          const std::pair<std::string, std::string>& key, const std::string& resumed);

}  // namespace accord
