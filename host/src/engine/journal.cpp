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
    // A create answered retry (applying.cpp keeps its intent) goes again
    // when its source's quarantine lets it (the intent waits with it); one
    // whose source got linked meanwhile (to the copy the lost write made,
    // by the key it carries: plan_run.cpp's relink_copies) is settled.
    PerSide<std::set<std::string>> waiting{pv_->quarantine().ids(Side::kLeft, true),
                                           pv_->quarantine().ids(Side::kRight, true)};
    std::vector<Item> now;
    for (auto& it : plan.resend) {
      Side target = it.op.left ? Side::kLeft : Side::kRight, from = other(target);
      const std::string& source = it.op[target]->source_id;
      if (pv_->links().find(from, source)) {
        pv_->journal().done(it.resumed_journal[target]);
        continue;
      }
      if (waiting[from].contains(source)) continue;
      now.push_back(std::move(it));
    }
    plan.resend = std::move(now);
    tx.commit();
  }
  if (plan.resend.empty() && plan.dropped == 0) return;
  for (Side s : kSides) inflight_[s].insert(plan.inflight[s].begin(), plan.inflight[s].end());
  stale_intents_.insert(stale_intents_.end(), plan.stale.begin(), plan.stale.end());
  long failed = rep_.failed;
  apply(plan.resend);
  rep_.notes.push_back("resumed an interrupted run or a create answered retry: " +
                       count_of(plan.resend.size(), "pending create") + " sent again with their idempotency keys (" + std::to_string(rep_.failed - failed) +
                       " failed), " +
                       count_of(plan.dropped, "pending update or delete", "pending updates and deletes") +
                       " planned again");
}

}  // namespace accord
