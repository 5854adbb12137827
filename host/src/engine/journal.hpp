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

#include <accord/text/join.hpp>  // (edited_since_made's members are named with join)
#include <boost/json/object.hpp>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace accord {

class Instance;
struct StreamInfo;

struct JournalPlan {
  std::vector<Item> resend;          // creates sent again with their keys, through the usual apply
  std::vector<int64_t> stale;        // planned again: done when the new plan commits
  std::vector<int64_t> unreadable;   // intents whose data is not a record: done now, planned again
  PerSide<std::set<std::string>> inflight;  // ids an interrupted update was writing (it may have moved them)
  long dropped = 0;                  // intents planned again (stale and unreadable)
  // The stale updates and deletes themselves: the ones the read that follows
  // finds done go into their run's history (PairRun::confirm_interrupted)
  std::vector<JournalRow> stale_writes;
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

// What the target's store made of the records creates sent it (`sent`, in
// the target's form), each as the store holds it once written: the
// connector's own answer where it gives one (accord.check.v1: converted to
// the store's form and read back, nothing written, no request made), else
// the record as sent (a store that keeps every field as sent offers no
// check; `inst` null, a check that fails or cannot say for a record: as
// sent). One call for them all (journal.cpp).
std::vector<boost::json::object> made_of(Instance* inst, const std::string& stream, std::vector<boost::json::object> sent);

// The members (pair form keys) in which a record found by a kept create's
// key (`found`, its pair form `now`) is not as that create made it
// (`made`: the pair form of what the store made of what it sent, made_of),
// judged in the target's terms as the planner judges an update's effect:
// none, the record is as created; any, it was edited there since. The one
// rule for a look-up's find (find_only: deleted only when as created) and
// a resend's (an edit follows to the source). In a pair without a mapping,
// members the target's stream does not keep or sets itself, and its lazy
// fields, are the store's own (journal.cpp).
std::vector<std::string> edited_since_made(const Planner& planner, Side target, const StreamInfo* info, bool identity,
                                           const std::vector<std::string>& lazy, const Fields& made, const Fields& now,
                                           const boost::json::object& found);

}  // namespace accord
