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
#include <accord/text/join.hpp>
#include <accord/time/utc_time.hpp>

#include <algorithm>
#include <ctime>
#include <set>

#include <map>

namespace json = boost::json;

namespace accord {

// A record a kept create's look-up found (`found`, its pair form `now`)
// against what the store made of what that create sent (`made`), member by
// member, in the target's terms as the planner judges an update's effect
// (Planner::write_changes: a value the target's form cannot tell from the
// one it holds is no change; review s11 L6): a member the create's made
// form holds that reads the same written into the found record is as
// created, and so is one neither holds; one only the found record holds
// was added there. `made` is the store's own form where its connector says
// it (made_of: accord.check.v1), so what a store adds or drops of every
// record it is sent (a vCard folder's "kind" and "version", a country code
// it has no place for) is no edit (c7dd5cd: taken for one, every resumed
// create into a vCard folder became an update back). In a pair without a
// mapping (every member a field), members the target's stream does not
// keep (not in its manifest's fields: the store dropped them) or sets
// itself (its read_only), and its lazy fields (never kept), are the
// store's own, not an edit. A value the store rewrote in a way its check
// does not say (or with no check: an HTML body) still differs: an edit, as
// is the safe answer (an edit follows, nothing is deleted on a doubt).
std::vector<std::string> edited_since_made(const Planner& planner, Side target, const StreamInfo* info, bool identity,
                                           const std::vector<std::string>& lazy, const Fields& made, const Fields& now,
                                           const json::object& found) {
  auto listed = [](const std::vector<std::string>& v, const std::string& k) {
    return std::find(v.begin(), v.end(), k) != v.end();
  };
  // a member the store keeps: a field names it or a pointer into it ("/titles/*/name" keeps
  // "/titles"; a manifest lists pointers at any depth, a pair form's keys are members)
  auto kept = [](const std::vector<std::string>& fields, const std::string& k) {
    return std::any_of(fields.begin(), fields.end(),
                       [&](const std::string& f) { return f == k || (f.size() > k.size() && f.starts_with(k) && f[k.size()] == '/'); });
  };
  auto value = [](const Fields& f, const std::string& k) -> const json::value* {
    auto i = f.find(k);
    return i == f.end() || i->second.is_null() ? nullptr : &i->second;
  };
  std::set<std::string> keys;
  for (const auto& [k, v] : made) keys.insert(k);
  for (const auto& [k, v] : now) keys.insert(k);
  std::vector<std::string> edited;
  for (const auto& k : keys) {
    if (identity && (listed(lazy, k) ||
                     (info && ((!info->fields.empty() && !kept(info->fields, k)) || listed(info->read_only, k)))))
      continue;  // the store's own: a member it does not keep, or sets itself, or never lists
    const json::value *m = value(made, k), *n = value(now, k);
    if (!m && !n) continue;
    if (m && n && *m == *n) continue;
    if (m) {  // written into the found record, does it read back as it is?
      json::object w = found;
      if (planner.write_changes(target, w, Changes{{k, *m}}).empty()) continue;
    }
    edited.push_back(k);
  }
  return edited;
}

std::vector<json::object> made_of(Instance* inst, const std::string& stream, std::vector<json::object> sent) {
  if (!inst || sent.empty()) return sent;
  json::array records;
  records.reserve(sent.size());
  for (const auto& r : sent) records.push_back(r);
  auto r = inst->check_records(stream, json::serialize(records));
  if (!r) return sent;  // (not offered, or failed: as sent)
  boost::system::error_code ec;
  json::value held = accord::json_exact::parse(*r, ec);
  if (ec || !held.is_array() || held.get_array().size() != sent.size()) return sent;
  for (size_t i = 0; i < sent.size(); ++i)
    if (json::object* o = held.get_array()[i].if_object()) sent[i] = std::move(*o);  // (null: it cannot say)
  return sent;
}

std::vector<std::optional<Fields>> PairRun::made_forms(Side s, std::vector<json::object> sent) {
  std::vector<json::object> made = made_of(inst_[s] ? &*inst_[s] : nullptr, stream(s), std::move(sent));
  std::vector<std::optional<Fields>> forms(made.size());
  for (size_t j = 0; j < made.size(); ++j) try {
      MirrorRow m;
      m.data = json::serialize(made[j]);
      forms[j] = planner().pair_of(s, m);
    } catch (const std::exception&) {  // (its form unknown)
    }
  return forms;
}

void PairRun::reconcile_journal() {
  auto pending = pv_->journal().list();
  std::set<std::pair<std::string, std::string>> resumed;  // (side, key) sent again from the intents: not twice a run
  if (!pending.empty()) {
    for (const auto& j : pending)
      if (j.run) resumed_runs_[j.id] = j.run;  // (its create sent again: that run's write, run_of)
    JournalPlan plan;
    {
      StateStore::Transaction tx(*store_);
      plan = plan_journal(
          pending, [&](Side s, const std::string& id) { return pv_->mirror(s).find_data(id); }, planner());
      for (int64_t id : plan.unreadable) pv_->journal().done(id);
      // each update's and delete's target as the state holds it before the
      // read (confirm_interrupted)
      for (auto& j : plan.stale_writes) {
        Side t = j.side == "left" ? Side::kLeft : Side::kRight;
        auto was = pv_->mirror(t).find_data(j.target_id);
        if (!was || was->deleted) continue;  // (not a record the state knew: nothing to tell)
        auto link = pv_->links().find(t, j.target_id);
        std::string partner = link ? (t == Side::kLeft ? link->right_id : link->left_id) : "";
        interrupted_.push_back({std::move(j), std::move(*was), std::move(partner)});
      }
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
  // deleted, or that the pipeline no longer sends (parked, below), is only
  // looked up (find_only, look_up_kept) where the target declares it. Where
  // it does not, one whose source is deleted is settled without a write:
  // the record a lost try may have made is then read as any record of that
  // side (copied back where the pipeline creates that way: the user's
  // delete undone, nothing lost; review s10 R1). a824019 deleted it instead,
  // after a resend found it: that lost a user's edit of it (N1), deleted a
  // record the filter had let go (N2) and never settled a renamed source's
  // create (N3).
  std::vector<JournalRow> retried = pv_->journal().retried_creates();
  if (retried.empty()) return;
  std::map<std::pair<std::string, std::string>, std::string> edited;  // (side, key) → the pair form the first try sent
  size_t parked = 0;
  std::vector<KeptLook> looks;
  JournalPlan plan;
  {
    StateStore::Transaction tx(*store_);
    std::vector<JournalRow> now;
    std::vector<std::pair<std::string, std::string>> settled;
    PerSide<std::vector<std::pair<std::string, std::string>>> park;  // left: by the filter; right: by the direction
    for (auto& r : retried) {
      if (resumed.contains({r.side, r.idem_key})) continue;  // kept: the next run sends it
      Side target = r.side == "left" ? Side::kLeft : Side::kRight, from = other(target);
      auto src = pv_->mirror(from).find(r.source_id);
      bool gone = !src || src->deleted;
      // (keep-both's left copy: its source's link is to the left's version,
      // not to it; nor are its source's edits its own: plan_journal)
      bool kept_copy = planner().is_keep_both_key(r.idem_key, r.source_id);
      auto link = !gone && !kept_copy ? pv_->links().find(from, r.source_id) : std::nullopt;
      auto copy = link ? pv_->mirror(target).find(target == Side::kLeft ? link->left_id : link->right_id) : std::nullopt;
      if (!gone && copy && !copy->deleted) {
        settled.emplace_back(r.side, r.idem_key);
        continue;
      }
      if (gone) {
        // (its source let go by the filter before it was deleted: the
        // record its try made is a record the filter let go)
        std::string why = r.parked == "filter" ? "filter" : "deleted";
        if (find_only_[target]) looks.push_back({std::move(r), std::move(why)});
        else settled.emplace_back(r.side, r.idem_key);
        continue;
      }
      // One the pipeline no longer sends (its source kept out by the filter,
      // as the last read judged it, or the direction no longer letting
      // creates reach that side: what plan_changes would not create) is not
      // sent, and stays kept: its first try may have made the record, which
      // a listing without keys would take for new and copy back (in a
      // two-way pair); while kept, a new record there that may be it is held
      // (held_for_retried). Sent again, as a resend, if its source comes back;
      // settled if it is deleted. Where the target declares find_only, it
      // is looked up every run instead (look_up_kept) and settled by what
      // that finds. Why it is parked is kept (Journal::park).
      if (!src->included || !allowed(sp_, target, OpKind::kCreate)) {
        bool filtered = !src->included;
        park[filtered ? Side::kLeft : Side::kRight].emplace_back(r.side, r.idem_key);
        if (find_only_[target]) looks.push_back({std::move(r), filtered ? "filter" : "direction"});
        else ++parked;
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
    pv_->journal().park(park.left, "filter");
    pv_->journal().park(park.right, "direction");
    tx.commit();
  }
  if (!looks.empty()) look_up_kept(looks);
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

// The interrupted run's updates and deletes, planned again by this run,
// that its read finds done (before its plan commits, in the plan's
// transaction): each goes into the history of the run whose intent it was
// (Interrupted), so that `accord log` shows it and `accord undo` of that
// run undoes it (review s18 F2: a killed run's 272 IMAP moves, found done
// by the next run, were in no run's history). Done: a delete's target is
// gone; an update's target (by its id, or, where the write gave it a new id
// that the read followed, the record its partner is linked to now) holds
// each field the update changed as it was sent, in the pair's terms. One
// that this plan writes again was not done (or not wholly): its write is
// this run's. A store's own fields (never sent as changes) do not count.
void PairRun::confirm_interrupted(const std::vector<Item>& items) {
  if (interrupted_.empty() || !run_id_) return;
  std::set<std::pair<Side, std::string>> planned;  // (side, id) this plan writes
  for (const auto& it : items)
    for (Side s : kSides)
      if (it.op[s] && !it.op[s]->id.empty()) planned.emplace(s, it.op[s]->id);
  size_t confirmed = 0;
  std::set<int64_t> runs;
  for (auto& w : interrupted_) {
    Side t = w.intent.side == "left" ? Side::kLeft : Side::kRight;
    int64_t run = w.intent.run ? w.intent.run : run_id_;  // (an intent kept before the state said: this run's)
    std::optional<OpKind> kind = op_kind(w.intent.op);
    auto cur = pv_->mirror(t).find_data(w.intent.target_id);
    if (kind == OpKind::kDelete) {
      if ((cur && !cur->deleted) || planned.contains({t, w.intent.target_id})) continue;
      int64_t before = pv_->history().hold_copy(w.was.data);
      pv_->history().add({0, run, sp_.name, side_name(t), w.intent.target_id, "delete", "", w.partner, {}, {}}, before, 0);
      ++confirmed, runs.insert(run);
      continue;
    }
    if (kind != OpKind::kUpdate) continue;
    if ((!cur || cur->deleted) && !w.partner.empty())  // (moved: the read followed it to its new id)
      if (auto link = pv_->links().find(other(t), w.partner)) {
        const std::string& now_id = t == Side::kLeft ? link->left_id : link->right_id;
        if (now_id != w.intent.target_id) cur = pv_->mirror(t).find_data(now_id);
      }
    if (!cur || cur->deleted || planned.contains({t, cur->id}) || planned.contains({t, w.intent.target_id})) continue;
    try {
      MirrorRow sent_row;
      sent_row.data = w.intent.data;
      Fields then = planner().pair_of(t, w.was), sent = planner().pair_of(t, sent_row), now = planner().pair_of(t, *cur);
      auto value = [](const Fields& f, const std::string& k) -> const json::value* {
        auto i = f.find(k);
        return i == f.end() || i->second.is_null() ? nullptr : &i->second;
      };
      auto same = [](const json::value* a, const json::value* b) { return (!a && !b) || (a && b && *a == *b); };
      std::set<std::string> keys;
      for (const auto& [k, v] : then) keys.insert(k);
      for (const auto& [k, v] : sent) keys.insert(k);
      bool changed = false, done = true;
      for (const auto& k : keys) {
        if (same(value(then, k), value(sent, k))) continue;  // (not a change the update made)
        changed = true;
        done = done && same(value(now, k), value(sent, k));
      }
      if (!changed || !done) continue;
    } catch (const std::exception&) {  // (a form not read: not told done)
      continue;
    }
    int64_t before = pv_->history().hold_copy(w.was.data);
    int64_t after = cur->data_id ? cur->data_id : pv_->history().hold_copy(cur->data);
    pv_->history().add({0, run, sp_.name, side_name(t), cur->id, "update", cur->version, w.partner, {}, {}}, before, after,
                       !cur->data_id);
    ++confirmed, runs.insert(run);
  }
  interrupted_.clear();
  if (!confirmed) return;
  std::string which;
  for (int64_t r : runs) which += (which.empty() ? "" : ", ") + std::to_string(r);
  rep_.notes.push_back(count_of(confirmed, "update or delete", "updates and deletes") + " of the interrupted run " + which +
                       " found done by this run's read: recorded in that run's history (accord log, accord undo)");
}

// The kept creates the pipeline does not send now (source deleted, parked
// by the filter or the direction), each looked up by its key with a resend
// that writes nothing (find_only; only where the target declares it), before
// anything is read. Not found: nothing was made, settled. The look-up failed
// (retry, or any other answer): kept, looked up again next run (a record it
// may have made stays held meanwhile). Found, as why it is not sent:
// - parked by the direction: linked to its source as the create would have
//   linked it, with what the first try sent as both bases and both rows
//   dirty, so the merge after the read sends each side's edits where the
//   direction lets them go (review s10 N4: parked for good, its record held);
// - parked by the filter, its source live: linked the same way, so that the
//   pair is what a linked pair whose record leaves the filter becomes:
//   parked (planning.cpp plan_linked), nothing written either way until the
//   source passes again, then both sides' edits since what the first try
//   sent are merged (review s11 L5: let go, it came back as a twin);
// - its source deleted after the filter let it go: what a parked pair whose
//   out record is deleted becomes: the record stays, unlinked, clean in the
//   state, neither deleted nor copied back;
// - its source deleted (R1): the record is deleted, but only while it is as
//   the create made it (edited_since_made finds no member edited: the
//   look-up's data, in the target's terms, is what the store made of what
//   the first try sent, its check's form), and as any delete: linked to its
//   deleted source, it is planned after the read, its delete naming the
//   version read (an edit since: the merge decides), counted by the
//   guards, in the run's history (review s11 L7). A record edited on the
//   target is kept, settled and read as any record (the edit wins: it is
//   copied back where the pipeline creates that way), and said.
// Answered unsupported (a stream of the connector that cannot look its keys
// up): as where find_only is not declared (source deleted: settled; parked:
// kept). A kill anywhere here loses nothing: nothing is settled before its
// answer is in, and the next run looks again (a record deleted meanwhile:
// not found).
void PairRun::look_up_kept(std::vector<KeptLook>& looks) {
  PerSide<json::array> calls;
  PerSide<std::vector<size_t>> which;
  std::vector<std::pair<std::string, std::string>> settled;
  std::vector<std::optional<Fields>> sent(looks.size());
  auto what = [&](const KeptLook& l) {
    Side target = l.row.side == "left" ? Side::kLeft : Side::kRight;
    return "a create answered retry (" + std::string(side_name(other(target))) + " " + l.row.source_id + " to the " +
           side_name(target) + ", key " + l.row.idem_key + ")";
  };
  for (size_t k = 0; k < looks.size(); ++k) {
    const JournalRow& r = looks[k].row;
    Side target = r.side == "left" ? Side::kLeft : Side::kRight;
    boost::system::error_code ec;
    json::value data = accord::json_exact::parse(r.data, ec);
    if (ec || !data.is_object()) {  // not a record (never ours): nothing to look for
      settled.emplace_back(r.side, r.idem_key);
      continue;
    }
    try {
      MirrorRow first;
      first.data = r.data;
      sent[k] = planner().pair_of(target, first);
    } catch (const std::exception&) {  // (its form unknown: never deleted)
    }
    json::object o{{"op", "create"}, {"idempotency_key", r.idem_key}, {"resend", true}, {"find_only", true}};
    if (!r.created.empty()) o["sent_at"] = r.created;
    if (!r.first_sent.empty()) o["first_sent_at"] = r.first_sent;
    o["data"] = std::move(data);
    calls[target].push_back(std::move(o));
    which[target].push_back(k);
  }
  Results found;
  for (Side s : kSides)
    if (!calls[s].empty()) apply_call(s, calls[s], which[s], found);
  failpoint("journal.after_find_only");
  // What the store made of what each create sent (made_of: its check, a
  // connector call, so before the transaction), for the records found
  // whose source was deleted: deleted only while as that create made them.
  std::vector<std::optional<Fields>> made(looks.size());
  for (Side s : kSides) {
    std::vector<size_t> ks;
    std::vector<json::object> data;
    for (size_t k : which[s]) {
      auto a = found.find({k, s});
      if (a == found.end() || !a->second.ok() || a->second.data.empty() || looks[k].why != "deleted" || !sent[k]) continue;
      boost::system::error_code ec;
      json::value d = accord::json_exact::parse(looks[k].row.data, ec);
      if (ec || !d.is_object()) continue;
      ks.push_back(k);
      data.push_back(std::move(d.get_object()));
    }
    if (ks.empty()) continue;
    std::vector<std::optional<Fields>> forms = made_forms(s, std::move(data));  // (unknown: never deleted)
    for (size_t j = 0; j < ks.size(); ++j) made[ks[j]] = std::move(forms[j]);
  }
  size_t linked = 0, let_go = 0, missing = 0, failed = 0, to_delete = 0;
  {
    StateStore::Transaction tx(*store_);
    for (Side target : kSides)
      for (size_t k : which[target]) {
        const KeptLook& l = looks[k];
        Side from = other(target);
        auto a = found.find({k, target});
        if (a == found.end()) continue;
        const Outcome& o = a->second;
        if (o.status == "not_found") {
          settled.emplace_back(l.row.side, l.row.idem_key);
          ++missing;
          continue;
        }
        if (o.status == "unsupported") {  // this stream cannot look (a connector's other streams can): as without find_only
          if (l.why == "deleted") settled.emplace_back(l.row.side, l.row.idem_key);
          continue;
        }
        if (!o.ok()) {
          ++failed;
          rep_.notes.push_back(what(l) + ", not sent (" + (l.why == "deleted" ? "its source was deleted" : "parked by the " + l.why) +
                               "), was looked up: " + (o.status.empty() ? "error" : o.status) + ": " + o.message +
                               "; kept, looked up again by the next run");
          continue;
        }
        settled.emplace_back(l.row.side, l.row.idem_key);
        if (pv_->links().find(target, o.id)) continue;  // linked already (found by a match since): nothing to do
        // the record as the look-up found it: its row in the target's mirror
        std::string text = o.data.empty() ? l.row.data : o.data;
        boost::system::error_code ec;
        json::value held = accord::json_exact::parse(text, ec);
        if (ec || !held.is_object()) held = json::object{};
        MirrorRow row{o.id, o.version, now_rfc3339(), text, true, false, false, keys_of(target, held, l.row.idem_key)};
        if (l.why == "deleted") {
          std::optional<Fields> now;
          if (!o.data.empty()) try {
              now = planner().pair_of(target, row);
            } catch (const std::exception&) {
            }
          const StreamInfo* info = nullptr;
          if (const auto* c = reg_.find(p_.endpoint(target).connector)) info = c->manifest.stream(stream(target));
          std::vector<std::string> edited;
          if (made[k] && now)
            edited = edited_since_made(planner(), target, info, sp_.identity, lazy_[target], *made[k], *now, held.as_object());
          bool unedited = made[k] && now && edited.empty();
          // A record found as its create made it is deleted as any record
          // whose linked source was deleted: linked here to that source
          // (a deleted, dirty row), the target's base its found form, it is
          // planned after the read (an edit read there since: the merge
          // decides, as for any pair), counted by the guards
          // (max_delete_share), in the run's history, undone by accord undo
          // (review s11 L7: deleted here, it was none of these).
          auto src = pv_->mirror(from).find(l.row.source_id);
          if (unedited && allowed(sp_, target, OpKind::kDelete) && !pv_->links().find(from, l.row.source_id)) {
            pv_->mirror(target).put(row);
            MirrorRow gone = src ? *src
                                 : MirrorRow{l.row.source_id, "", now_rfc3339(),
                                             json::serialize(planner().created_from(from, *sent[k])), true, true, true, ""};
            gone.deleted = true;
            gone.dirty = true;
            pv_->mirror(from).put(gone, src ? &*src : nullptr);
            std::string base_target = fields_json(*now), base_source = fields_json(*sent[k]);
            pv_->links().put(target == Side::kRight ? LinkRow{l.row.source_id, o.id, base_source, base_target}
                                                    : LinkRow{o.id, l.row.source_id, base_target, base_source});
            pv_->quarantine().release(from, l.row.source_id);  // (its create settled: the delete is not held)
            ++to_delete;
          } else {
            rep_.notes.push_back(what(l) + ": its source was deleted, but the record its lost try made (" +
                                 side_name(target) + " " + o.id + ") " +
                                 (!allowed(sp_, target, OpKind::kDelete) ? "is not deleted: the pipeline deletes nothing there"
                                  : o.data.empty() ? "was found without its data: not deleted"
                                  : unedited      ? "is not deleted: its source is linked to another record"
                                                   : "was edited there since: kept (the edit wins): " + join(edited, ", ")) +
                                 "; it is read as any record of that side");
          }
          continue;
        }
        if (l.why == "direction" || l.why == "filter") {  // (filter: the pair is then parked, planning.cpp)
          auto src = pv_->mirror(from).find(l.row.source_id);
          if (src && !src->deleted && !pv_->links().find(from, l.row.source_id) && sent[k]) {
            row.dirty = true;
            pv_->mirror(target).put(row);
            pv_->mirror(from).mark_dirty({l.row.source_id});
            std::string base = fields_json(*sent[k]);
            pv_->links().put(target == Side::kRight ? LinkRow{l.row.source_id, o.id, base, base}
                                                    : LinkRow{o.id, l.row.source_id, base, base});
            pv_->quarantine().release(from, l.row.source_id);  // (its create settled: its edits are not held)
            ++linked;
            continue;
          }
        }
        // its source deleted after the filter let it go (or a parked one whose source moved on): let go
        pv_->mirror(target).put(row);
        ++let_go;
      }
    pv_->journal().settled(settled);
    tx.commit();
  }
  rep_.notes.push_back("looked up (find_only) " + count_of(looks.size(), "create answered retry", "creates answered retry") +
                       " not sent again (source deleted, or kept out by the filter or the direction): " +
                       std::to_string(missing) + " never made, " + std::to_string(to_delete) +
                       " made, linked to their deleted source to be deleted as any record whose source was deleted, " +
                       std::to_string(linked) + " linked, " +
                       std::to_string(let_go) + " kept unlinked, " + std::to_string(failed) + " not answered");
}

// The kept creates still unsettled (after the resend pass: a plan reads
// what the last run left), by target side, read once a run.
const PerSide<std::vector<PairRun::KeptCreate>>& PairRun::unsettled() {
  if (!unsettled_) {
    unsettled_.emplace();
    // each create's form is what the store made of what it sent (made_of:
    // its check, else as sent), so that the record it made, listed in the
    // store's own form (Outlook keeps no vCard parameters of an address),
    // is held (outlook, session 13: it was read as new and copied back)
    PerSide<std::vector<size_t>> at;
    PerSide<std::vector<json::object>> sent;
    for (const auto& r : pv_->journal().retried_creates()) {
      Side target = r.side == "left" ? Side::kLeft : Side::kRight;
      KeptCreate k{r.source_id, r.idem_key, "", std::nullopt};
      try {
        boost::system::error_code ec;
        json::value data = accord::json_exact::parse(r.data, ec);
        if (!ec && data.is_object()) {
          k.keys = keys_of(target, data, r.idem_key);
          at[target].push_back((*unsettled_)[target].size());
          sent[target].push_back(std::move(data.get_object()));
        }
      } catch (const std::exception&) {  // unreadable: any new record may be it
      }
      if (!planner().is_keep_both_key(r.idem_key, r.source_id)) kept_sources_[target].insert(k.source_id);
      (*unsettled_)[target].push_back(std::move(k));
    }
    for (Side s : kSides) {
      if (sent[s].empty()) continue;
      std::vector<std::optional<Fields>> forms = made_forms(s, std::move(sent[s]));  // (unreadable: any new record may be it)
      for (size_t j = 0; j < forms.size(); ++j) (*unsettled_)[s][at[s][j]].form = std::move(forms[j]);
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
