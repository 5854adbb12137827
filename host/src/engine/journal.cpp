// SPDX-License-Identifier: Apache-2.0
// Journal reconciliation, in the state: the intents an interrupted run left
// (planned by plan_journal, journal_plan.cpp) are settled before anything is
// read, so each source's mirror row is still what its create was made from.
// Creates go again in the same batches and through the same commit as any
// create: the target's row takes the version the connector answers (what it
// reads back later is taken in as its own form, never as an edit), the
// link's bases are the rows as they stand, failures are quarantined.
//
// Then the creates answered retry (kept apart from the intents by
// apply_batch: Journal::retried) go again the same way, as resends, before
// anything is read: the record a lost answer's write made is found by its
// key and linked before the target lists it, which, where the listing does
// not give the key back, would take it for a new record and copy it back.
#include "engine/journal.hpp"
#include "engine/keys.hpp"
#include "engine/pair_run.hpp"

#include <accord/json/exact.hpp>
#include <accord/time/utc_time.hpp>

#include <ctime>

#include <map>

namespace json = boost::json;

namespace accord {

void PairRun::reconcile_journal() {
  auto pending = pv_->journal().list();
  std::set<std::pair<std::string, std::string>> resumed;  // (side, key) sent again from the intents: not twice a run
  if (!pending.empty()) {
    JournalPlan plan;
    {
      StateStore::Transaction tx(*store_);
      plan = plan_journal(
          pending, [&](Side s, const std::string& id) { return pv_->mirror(s).find_data(id); }, planner());
      for (int64_t id : plan.unreadable) pv_->journal().done(id);
      tx.commit();
    }
    // Sent (if at all) by the killed run, before this one started: told as
    // sent now (an upper bound of that write; review s10 R2), or the kept
    // time if later (apply_batch).
    std::string recovering = utc::format(static_cast<int64_t>(std::time(nullptr)) + 1);
    for (auto& it : plan.resend)
      for (Side s : kSides)
        if (it.op[s]) it.sent_at[s] = recovering;
    for (Side s : kSides) inflight_[s].insert(plan.inflight[s].begin(), plan.inflight[s].end());
    stale_intents_.insert(stale_intents_.end(), plan.stale.begin(), plan.stale.end());
    for (const auto& it : plan.resend)
      for (Side s : kSides)
        if (it.op[s]) resumed.emplace(side_name(s), it.op[s]->idempotency_key);
    long failed = rep_.failed;
    apply(plan.resend);
    rep_.notes.push_back("resumed an interrupted run: " + count_of(plan.resend.size(), "pending create") +
                         " sent again with their idempotency keys (" + std::to_string(rep_.failed - failed) +
                         " failed), " +
                         count_of(plan.dropped, "pending update or delete", "pending updates and deletes") +
                         " planned again");
  }
  // Each create answered retry goes again as a resend, every run, even while
  // its source waits in quarantine: a resend looks its key up first, and
  // only that finds the record a lost write made before a listing without
  // keys (Graph's contact delta) takes it for a new one. One whose source is
  // linked to a live record of the target (the one it made, relinked by the
  // key that record carries, or another found since) is settled without a
  // write; a source linked to a record since deleted (a re-create) is sent
  // again: a link is not the proof a74c203 took it for. One whose source is
  // deleted is settled without a write: the record a lost try may have made
  // is then read as any record of that side (copied back where the pipeline
  // creates that way: the user's delete undone, nothing lost; review s10
  // R1, left open). a824019 deleted it instead, after a resend found it; the
  // second review found that losing a user's edit of it (N1), deleting a
  // record the filter had let go (N2), and never settling a renamed source's
  // create (N3): a resend that only looks (find_only) must come first.
  std::vector<JournalRow> retried = pv_->journal().retried_creates();
  if (retried.empty()) return;
  std::map<std::pair<std::string, std::string>, std::string> edited;  // (side, key) → the pair form the first try sent
  size_t parked = 0;
  JournalPlan plan;
  {
    StateStore::Transaction tx(*store_);
    std::vector<JournalRow> now;
    std::vector<std::pair<std::string, std::string>> settled;
    for (auto& r : retried) {
      if (resumed.contains({r.side, r.idem_key})) continue;  // kept: the next run sends it
      Side target = r.side == "left" ? Side::kLeft : Side::kRight, from = other(target);
      auto src = pv_->mirror(from).find(r.source_id);
      bool gone = !src || src->deleted;
      // (keep-both's left copy: its source's link is to the left's version,
      // not to it; nor are its source's edits its own: plan_journal)
      bool kept_copy = r.idem_key == planner().keep_both_key(r.source_id);
      auto link = !gone && !kept_copy ? pv_->links().find(from, r.source_id) : std::nullopt;
      auto copy = link ? pv_->mirror(target).find(target == Side::kLeft ? link->left_id : link->right_id) : std::nullopt;
      if (gone || (copy && !copy->deleted)) {
        settled.emplace_back(r.side, r.idem_key);
        continue;
      }
      // One the pipeline no longer sends (its source kept out by the filter,
      // as the last read judged it, or the direction no longer letting
      // creates reach that side: what plan_changes would not create) is not
      // sent, and stays kept: its first try may have made the record, which
      // a listing without keys would take for new and copy back (in a
      // two-way pair); while kept, a new record there that may be it is held
      // (held_for_retried). Sent again, as a resend, if its source comes back;
      // settled if it is deleted.
      if (!src->included || !allowed(sp_, target, OpKind::kCreate)) {
        ++parked;
        continue;
      }
      // The source edited since the first try: the resend still sends what
      // the first try sent (the record it may have made holds that, and a
      // resend answered by the key finds that record as it is, not updated;
      // so the target's row the commit writes is true either way). Its pair
      // form becomes the source's base and the source stays dirty, in the
      // resend's own commit (apply_batch: a kill after it loses nothing), so
      // the merge after the read sends the edit as an ordinary update
      // (mapping and direction applied). Unreadable (no data row, not an
      // object): nothing kept, sent as before, and said.
      if (!kept_copy) try {
        auto cur = pv_->mirror(from).find_data(r.source_id);
        MirrorRow first;
        first.data = r.data;
        Fields sent = planner().pair_of(target, first);
        if (cur && planner().pair_of(from, *cur) != sent) edited[{r.side, r.idem_key}] = fields_json(sent);
      } catch (const std::exception& e) {
        rep_.notes.push_back("a create answered retry (" + std::string(side_name(from)) + " " + r.source_id +
                             ", key " + r.idem_key + ") is sent again without comparing it with its source, "
                             "whose edits since its first try may then not follow: " + e.what());
      }
      now.push_back(std::move(r));
    }
    plan = plan_journal(now, [&](Side s, const std::string& id) { return pv_->mirror(s).find_data(id); }, planner());
    if (plan.resend.size() < now.size()) {  // data that is not a record (never ours): nothing to send
      std::set<std::string> going;
      for (const auto& it : plan.resend) going.insert((it.op.left ? it.op.left : it.op.right)->idempotency_key);
      for (const auto& r : now)
        if (!going.contains(r.idem_key)) settled.emplace_back(r.side, r.idem_key);
    }
    for (auto& it : plan.resend)
      for (Side s : kSides)
        if (it.op[s])
          if (auto e = edited.find({side_name(s), it.op[s]->idempotency_key}); e != edited.end())
            it.resend_base[s] = std::move(e->second);
    pv_->journal().settled(settled);
    tx.commit();
  }
  if (parked)
    rep_.notes.push_back(count_of(parked, "create answered retry is", "creates answered retry are") +
                         " not sent again: the filter now keeps the source out or the pipeline no longer creates on "
                         "that side; kept (accord status lists them), so that a record the first try may have made is "
                         "not copied back");
  if (plan.resend.empty()) return;
  long failed = rep_.failed;
  apply(plan.resend);
  rep_.notes.push_back("sent again as resends, before reading: " +
                       count_of(plan.resend.size(), "create answered retry", "creates answered retry") + " by an earlier run (" +
                       std::to_string(rep_.failed - failed) + " failed)");
}

// The kept creates still unsettled (after the resend pass: a plan reads
// what the last run left), by target side, read once a run.
const PerSide<std::vector<PairRun::KeptCreate>>& PairRun::unsettled() {
  if (!unsettled_) {
    unsettled_.emplace();
    for (const auto& r : pv_->journal().retried_creates()) {
      Side target = r.side == "left" ? Side::kLeft : Side::kRight;
      KeptCreate k{r.source_id, r.idem_key, "", std::nullopt};
      try {
        boost::system::error_code ec;
        json::value data = accord::json_exact::parse(r.data, ec);
        if (!ec && data.is_object()) {
          k.keys = keys_of(target, data, r.idem_key);
          MirrorRow sent;
          sent.data = r.data;
          k.form = planner().pair_of(target, sent);
        }
      } catch (const std::exception&) {  // unreadable: any new record may be it
      }
      if (r.idem_key != planner().keep_both_key(r.source_id)) kept_sources_[target].insert(k.source_id);
      (*unsettled_)[target].push_back(std::move(k));
    }
  }
  return *unsettled_;
}

// Whether the source record `id` of `side` has a create toward the other
// side that answered retry and is still unsettled after this run's resend
// pass. Its create is the resend pass's alone: planned again here (its
// quarantine's wait having ended while the run read; review s11), it went
// with the source's current data and, answered retry again, the kept row
// took that data as what the first try sent; the next resend then found
// the record that try made, holding the older form, and called the pair in
// accord: the source's edit never followed.
bool PairRun::create_kept(Side side, std::string_view id) {
  unsettled();
  return kept_sources_[other(side)].contains(std::string(id));
}

// A new record of a kept create's target side may be the record that
// create made when nothing tells them apart: the key it
// stored (a listing that gives keys back links it by that key, before
// this), else the pair's match keys where both have a value, else the
// fields both pair forms hold (one at least equal and none differing; none
// shared, or a form that cannot be read: it is not held). Held records stay dirty: planned again, as
// any, once the create is settled (found: linked; if it was the record
// found, its mirror row is now the linked copy's).
bool PairRun::held_for_retried(Side side, const MirrorRef& ref) {
  const auto& kept = unsettled()[side];
  if (kept.empty()) return false;
  size_t n = sp_.match.size();
  std::optional<Fields> form;  // the record's pair form, read at the first create that needs it
  bool form_read = false;
  for (const auto& k : kept) {
    bool may_be = true;
    if (std::string_view stored = key_part(ref.keys(), n); !stored.empty()) {
      may_be = stored == k.key;
    } else {
      bool told = false, equal = false;
      for (size_t i = 0; i < n; ++i) {
        std::string_view a = key_part(ref.keys(), i), b = key_part(k.keys, i);
        if (a.empty() || b.empty()) continue;
        told = true;
        equal = equal || a == b;
      }
      if (told) {
        may_be = equal;
      } else {
        // at least one field both forms hold equal, none differing (review
        // s10 R3: none shared, or a form not read, held any unrelated
        // record, for good while the create stayed parked)
        may_be = false;
        if (k.form && !form_read) {
          form_read = true;
          try {
            form = planner().pair_of(side, row_of(side, ref.id()));
          } catch (const std::exception&) {
          }
        }
        if (k.form && form)
          for (const auto& [field, value] : *k.form)
            if (auto f = form->find(field); f != form->end()) {
              if (f->second != value) {
                may_be = false;
                break;
              }
              may_be = true;
            }
      }
    }
    if (!may_be) continue;
    rep_.notes.push_back(std::string("held: the ") + side_name(side) + " record " + ref.id() +
                         " may be the record a create answered retry made (" + side_name(other(side)) + " " +
                         k.source_id + ", key " + k.key + "); it is copied or linked once that create is settled: "
                         "its resend answered (found: linked), or its source deleted (then this record is read as any other); "
                         "a create kept out by the filter or the direction is not resent: it settles when its source "
                         "is sent again or deleted (accord status lists it)");
    return true;
  }
  return false;
}

}  // namespace accord
