// SPDX-License-Identifier: Apache-2.0
// Journal reconciliation, in the state: the intents an interrupted run left
// (planned by plan_journal, journal_plan.cpp) are settled before anything is
// read, so each source's mirror row is still what its create was made from.
// Creates go again in the same batches and through the same commit as any
// create: the target's row takes the version the connector answers (what it
// reads back later is taken in as its own form, never as an edit), the
// link's bases are the rows as they stand, failures are quarantined.
#include "engine/journal.hpp"
#include "engine/pair_run.hpp"

namespace accord {

void PairRun::reconcile_journal() {
  auto pending = pv_->journal().list();
  if (pending.empty()) return;
  JournalPlan plan;
  {
    StateStore::Transaction tx(*store_);
    plan = plan_journal(
        pending, [&](Side s, const std::string& id) { return pv_->mirror(s).find_data(id); }, planner());
    for (int64_t id : plan.unreadable) pv_->journal().done(id);
    tx.commit();
  }
  for (Side s : kSides) inflight_[s].insert(plan.inflight[s].begin(), plan.inflight[s].end());
  stale_intents_.insert(stale_intents_.end(), plan.stale.begin(), plan.stale.end());
  long failed = rep_.failed;
  apply(plan.resend);
  rep_.notes.push_back("resumed an interrupted run: " + count_of(plan.resend.size(), "pending create") +
                       " sent again with their idempotency keys (" + std::to_string(rep_.failed - failed) +
                       " failed), " +
                       count_of(plan.dropped, "pending update or delete", "pending updates and deletes") +
                       " planned again");
}

}  // namespace accord
