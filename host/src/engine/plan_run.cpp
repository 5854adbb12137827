// SPDX-License-Identifier: Apache-2.0
// Planning a pair run from the state, inside the planning transaction: the
// dirty mirror rows (or, a first sync, the records just loaded) are read,
// passed through the pure matcher (matching.cpp) and planner (planning.cpp),
// and each pair's verdict is written back: pairs that need no write are
// linked or settled now, the others become items for the applier. Then the
// plan's ops are reported and fingerprinted, and the pure guards judge them.
#include "engine/pair_run.hpp"

#include "common/beside.hpp"
#include "engine/guards.hpp"
#include "engine/matching.hpp"
#include "engine/phase_meter.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <unordered_map>

namespace json = boost::json;

namespace accord {

MirrorRow PairRun::row_of(Side s, const std::string& id) {
  auto r = pv_->mirror(s).find_data(id);
  if (!r) throw Failure{ACCORD_ERROR, "state: no mirror row for " + std::string(side_name(s)) + " " + id, 0};
  return *r;
}

std::vector<Item> PairRun::plan() {
  load_placement();  // (a linked pair's writes are reported as they are planned: stream_linked)
  std::vector<Item> items = first_sync_ ? plan_first_sync() : plan_changes();
  check_losses(items);
  report_ops(items);
  return items;
}

// Planning from what changed since the last run: the dirty mirror rows.
std::vector<Item> PairRun::plan_changes() {
  std::vector<Item> items;
  // by left id: the link, and its changed rows as the dirty walk read them
  // (each pair's rows are written only by its own planning, below: the
  // changed side's row is had from its ref, its data alone read; issue 24)
  struct Linked {
    LinkRow link;
    PerSide<std::optional<MirrorRef>> dirty;
  };
  std::map<std::string, Linked> linked;
  PerSide<std::vector<MirrorRef>> unlinked_dirty;
  bool any_links = pv_->links().any();  // none: a first sync, no lookups
  for (Side s : kSides) {
    std::set<std::string> waiting = pv_->quarantine().ids(s, true);
    quarantined_[s] = pv_->quarantine().ids(s, false);
    for (auto& ref : pv_->mirror(s).dirty(any_links)) {  // (no link: no row of them read here)
      if (waiting.contains(ref.id())) continue;
      auto link = any_links ? pv_->links().find(s, ref.id()) : std::nullopt;
      if (link) {
        std::string left_id = link->left_id;
        auto [at, fresh] = linked.try_emplace(std::move(left_id));
        if (fresh) at->second.link = std::move(*link);
        at->second.dirty[s] = std::move(ref);
      } else if (ref.deleted) {
        pv_->mirror(s).drop(ref.id());  // never linked, now gone: forget it
      } else if (!ref.included) {
        pv_->mirror(s).clear_dirty(ref.id());  // filtered out and never linked
      } else {
        ref.set(ref.id(), ref.keys());  // (matching needs neither its version nor modified)
        unlinked_dirty[s].push_back(std::move(ref));
      }
    }
  }
  if (plan_meter_) plan_meter_->set_total(linked.size());
  // the decided conflicts, read once (few: a person decided each)
  const auto decisions = linked.empty() ? decltype(pv_->conflicts().decisions()){} : pv_->conflicts().decisions();
  const std::map<std::string, Side> none;
  for (auto& [lid, pair] : linked) {
    if (plan_meter_) plan_meter_->add();
    LinkRow& link = pair.link;
    Item it;
    it.id.left = link.left_id;
    it.id.right = link.right_id;
    for (Side s : kSides) {
      const auto& ref = pair.dirty[s];
      if (ref && ref->id() == it.id[s]) it.row[s] = pv_->mirror(s).row_of(*ref);
      if (!it.row[s]) it.row[s] = pv_->mirror(s).find_data(it.id[s]);
      pair.dirty[s].reset();
    }
    it.link = std::move(link);
    auto d = decisions.find(it.id.left);
    const std::map<std::string, Side>& decided = d == decisions.end() ? none : d->second;
    PairPlan plan = planner().plan_linked(std::move(it), decided);
    if (streams_creates() && plan.verdict == PairVerdict::kWrite) stream_linked(std::move(plan), !decided.empty());
    else take(std::move(plan), items);
  }
  // No links and every record waiting (a first sync stopped before its
  // links were made): the candidates for matching are exactly the dirty
  // records just loaded; no second copy.
  match_and_create(unlinked_dirty, !any_links && !pv_->any_clean(), items);
  return items;
}

// A first sync: the staged records are the candidates (each side's
// included ones, the later copy of an id read twice); pairs whose pair
// forms are equal are linked without reading their data again; only the
// records that wait for a write are marked dirty.
std::vector<Item> PairRun::plan_first_sync() {
  std::vector<Item> items;
  PerSide<std::vector<MirrorRef>> refs{std::move(loaded_.left), std::move(loaded_.right)};
  PerSide<const std::vector<MirrorRef>*> pools{&refs.left, &refs.right};
  // The mirror rows go in while a second thread matches the records: it
  // reads only what the load leaves as it is.
  Matching m;
  run_beside([&] { m = find_matches(pools, match_spec()); },
             [&] {
               for (Side s : kSides) pv_->load().rows(s, refs[s], order_[s]);
             });
  settle_matches(refs, true, pools, m, items);
  // creates, oldest first
  auto creates = std::stable_partition(items.begin(), items.end(), [](const Item& it) { return it.row.left && it.row.right; });
  std::stable_sort(creates, items.end(), [](const Item& a, const Item& b) {
    const MirrorRow& x = a.row.left ? *a.row.left : *a.row.right;
    const MirrorRow& y = b.row.left ? *b.row.left : *b.row.right;
    return std::tie(x.modified, x.id) < std::tie(y.modified, y.id);
  });
  std::stable_sort(pending_.begin(), pending_.end(), [](const PendingCreate& a, const PendingCreate& b) {
    return std::tie(a.modified, a.source_id) < std::tie(b.modified, b.source_id);
  });
  for (auto& c : pending_) std::string().swap(c.modified);
  for (Side s : kSides) {
    std::vector<std::string> waiting;
    for (const auto& it : items)
      if (it.row[s]) waiting.push_back(it.row[s]->id);
    for (const auto& c : pending_)
      if (other(c.target) == s) waiting.push_back(c.source_id);
    pv_->mirror(s).mark_dirty(std::move(waiting));
  }
  return items;
}

MatchSpec PairRun::match_spec() const {
  MatchSpec spec{p_.name, sp_.name, {}};
  for (const auto& k : sp_.match) spec.key_labels.push_back(k.label);
  return spec;
}

// dirty_is_pool: every unlinked record is among `dirty` (nothing is linked
// or clean yet), so they are the candidates themselves.
void PairRun::match_and_create(PerSide<std::vector<MirrorRef>>& dirty, bool dirty_is_pool, std::vector<Item>& items) {
  // Candidates: every unlinked included record on each side (the dirty
  // ones are among them), by the keys worked out when each was read; a
  // match needs a dirty record on one side.
  PerSide<std::vector<MirrorRef>> loaded;
  // (without match keys too: a copy is found by the key its create stored)
  bool matching = !dirty.left.empty() || !dirty.right.empty();
  if (matching && !dirty_is_pool)
    for (Side s : kSides) loaded[s] = pv_->mirror(s).unlinked();
  PerSide<const std::vector<MirrorRef>*> pools;
  for (Side s : kSides) pools[s] = dirty_is_pool ? &dirty[s] : &loaded[s];
  Matching m = find_matches(pools, match_spec());
  settle_matches(dirty, dirty_is_pool, pools, m, items);
}

// Links the matches (or plans their first merge) and plans a create for
// every dirty record neither matched nor held.
void PairRun::settle_matches(const PerSide<std::vector<MirrorRef>>& dirty, bool dirty_is_pool,
                             const PerSide<const std::vector<MirrorRef>*>& pools, const Matching& m,
                             std::vector<Item>& items) {
  rep_.notes.insert(rep_.notes.end(), m.notes.begin(), m.notes.end());
  rep_.matched += static_cast<long>(m.matches.size());
  std::vector<std::pair<std::string_view, std::string_view>> equal;  // linked as they are
  for (const auto& [l, r] : m.matches) {
    const MirrorRef& lr = (*pools.left)[l];
    const MirrorRef& rr = (*pools.right)[r];
    if (first_sync_ && lr.form[0] == rr.form[0] && lr.form[1] == rr.form[1] && lr.form[0]) {
      equal.emplace_back(lr.id(), rr.id());  // equal pair forms: the merge would write nothing
      continue;
    }
    take(planner().plan_first_match(row_of(Side::kLeft, lr.id()), row_of(Side::kRight, rr.id())), items);
  }
  relink_copies(pools, m, equal);
  if (!equal.empty()) pv_->links().add(equal);
  for (Side side : kSides) {
    const std::vector<MirrorRef>& pool = *pools[side];
    // where a dirty record sits in the pool (where it is not the pool itself)
    std::unordered_map<std::string_view, uint32_t> at;
    if (!dirty_is_pool)
      for (uint32_t i = 0; i < pool.size(); ++i)
        if (m.linked[side][i] || m.held[side][i]) at.emplace(pool[i].id(), i);
    for (size_t d = 0; d < dirty[side].size(); ++d) {
      const MirrorRef& ref = dirty[side][d];
      if (!ref.included) continue;  // a first sync's excluded record: no candidate
      bool is_linked = false, is_held = false;
      if (dirty_is_pool) {
        is_linked = m.linked[side][d];
        is_held = m.held[side][d];
      } else if (auto f = at.find(ref.id()); f != at.end()) {
        is_linked = m.linked[side][f->second];
        is_held = m.held[side][f->second];
      }
      if (is_linked || create_kept(side, ref.id())) continue;  // (a kept create: the resend pass's)
      // may be the record a create answered retry made: stays dirty, planned again once that create settles
      if (!is_held && allowed(sp_, other(side), OpKind::kCreate) && held_for_retried(side, ref)) continue;
      if (is_held || !allowed(sp_, other(side), OpKind::kCreate)) {
        if (!first_sync_) pv_->mirror(side).clear_dirty(ref.id());  // waits, clean, until it changes
        continue;
      }
      if (streams_creates()) {
        // (a first sync's order: the row's, as the load left it; the ref's went into it)
        pending_.push_back({other(side), ref.id(), first_sync_ ? row_of(side, ref.id()).modified : std::string()});
        continue;
      }
      items.push_back(planner().plan_create(other(side), row_of(side, ref.id())));
      lighten(items.back());
    }
  }
}

// Copies found by their keys are linked as they stand, with no write: the
// pair was in accord when the copy was made, and what differs now is most
// likely the target's own form of it (a vCard adds "kind"), which a merge
// with no base would copy back over the source. Pairs that differ are
// named, so that a person can look.
void PairRun::relink_copies(const PerSide<const std::vector<MirrorRef>*>& pools, const Matching& m,
                            std::vector<std::pair<std::string_view, std::string_view>>& equal) {
  if (m.copies.empty()) return;
  rep_.relinked += static_cast<long>(m.copies.size());
  std::vector<std::string> differ;
  for (const auto& [l, r] : m.copies) {
    const MirrorRef& lr = (*pools.left)[l];
    const MirrorRef& rr = (*pools.right)[r];
    if (first_sync_) {
      if (lr.form[0] != rr.form[0] || lr.form[1] != rr.form[1]) differ.push_back(lr.id() + " ⇄ " + rr.id());
      equal.emplace_back(lr.id(), rr.id());
      continue;
    }
    if (planner().pair_of(Side::kLeft, row_of(Side::kLeft, lr.id())) !=
        planner().pair_of(Side::kRight, row_of(Side::kRight, rr.id())))
      differ.push_back(lr.id() + " ⇄ " + rr.id());
    pv_->mirror(Side::kLeft).clear_dirty(lr.id());
    pv_->mirror(Side::kRight).clear_dirty(rr.id());
    pv_->links().put(LinkRow{lr.id(), rr.id(), "", ""});
  }
  std::string note = "relinked " + count_of(m.copies.size(), "record") +
                     " to the copies Accord made of them, by the idempotency keys the copies carry "
                     "(the state did not know them: lost, or restored from an older copy)";
  if (!differ.empty()) {
    note += "; " + std::to_string(differ.size()) + " differ from their copy and were kept as they are (e.g. " +
            differ.front() + "): edit the side that is right and the edit travels";
  }
  rep_.notes.push_back(note + "; nothing written for them");
}

// A pair's verdict, into the state and the report (a plan rolls it back with
// everything else); its writes, into items.
void PairRun::take(PairPlan plan, std::vector<Item>& items) {
  Item& it = plan.item;
  note_plan(plan);
  switch (plan.verdict) {
    case PairVerdict::kSettle:
      settle(it, std::move(plan.forms.left), std::move(plan.forms.right));
      return;
    case PairVerdict::kUnlink:
      unlink_now(it);
      return;
    case PairVerdict::kPark:  // (planning.cpp plan_linked: the link and its bases stay)
      for (Side s : kSides)
        if (it.row[s]) pv_->mirror(s).clear_dirty(it.row[s]->id);
      return;
    case PairVerdict::kForget:
      pv_->links().drop(it.id.left);
      for (Side s : kSides) pv_->mirror(s).drop(it.id[s]);
      return;
    case PairVerdict::kWrite:
      lighten(it);
      items.push_back(std::move(it));
      if (plan.copy) items.push_back(std::move(*plan.copy));
      return;
  }
}

void PairRun::note_plan(const PairPlan& plan) {
  const Item& it = plan.item;
  rep_.notes.insert(rep_.notes.end(), plan.notes.begin(), plan.notes.end());
  if (plan.merged) {
    for (const auto& c : plan.conflicts) {
      std::string res = c.winner ? std::string(side_name(*c.winner)) + " wins (" + c.reason + ")" : "left for you to decide";
      rep_.conflicts.push_back({plan.ids.left, plan.ids.right, plan.label, c.field, res, c.left, c.right});
      if (!c.winner && opts_.apply)
        pv_->conflicts().add({0, sp_.name, plan.ids.left, plan.ids.right, c.field,
                              c.left ? json::serialize(*c.left) : "null", c.right ? json::serialize(*c.right) : "null",
                              "", ""});
    }
    if (opts_.apply) pv_->conflicts().close(plan.ids.left, it.manual_fields);
  }
}

// A run's writes to a linked pair (plan_changes): counted, fingerprinted
// and (the first RunOptions::list_creates of them) listed now, in plan
// order, before every other item's; then spilled (spill.hpp: read back as
// planned when its batch is due, never planned again), or held whole: the
// run's first batch of them (applied first, it is held anyway: a run with
// fewer writes than a batch, most incremental runs, spills none), and any
// pair with a decided conflict read, a conflict met, undecided fields or a
// keep-both copy (few: held as they always were).
void PairRun::stream_linked(PairPlan plan, bool decided) {
  note_plan(plan);
  bool hold = linked_.size() < opts_.batch || decided || !plan.conflicts.empty() || !plan.item.manual_fields.empty() ||
              plan.copy;
  auto one = [&](Item& it) {
    std::vector<PlannedOp> shown;
    finish_ops(it, shown);
    PendingLinked p;
    p.place = move_place(it, placement_);
    bool listed = linked_.size() < opts_.list_creates;
    OpFingerprint mine;
    std::vector<PlannedOp> unlisted;  // its ops, counted and not listed
    for (auto& op : shown) {
      mine.add(op);
      fp_.add(op);
      rep_.planned.add(op);
      rep_.behind.count(op.left_behind);
      if (listed) {
        p.shown[op.side] = rep_.ops.size();
        rep_.ops.push_back(std::move(op));
      } else {
        it.op[op.side]->left_behind = op.left_behind;  // (counted, not listed: what it leaves behind stays with its write)
        unlisted.push_back(std::move(op));
      }
    }
    count_writes(it, linked_writes_);
    p.ops = mine.value();
    it.unlisted = !listed;
    it.shown = p.shown;
    if (hold) {
      p.held_ops = std::move(unlisted);
      p.held = std::make_unique<Item>(std::move(it));
    } else {
      if (!spill_) spill_ = std::make_unique<PlanSpill>(spool_prefix(p_.state_path.string()));
      p.at = spill_->put(it, unlisted);
    }
    linked_.push_back(std::move(p));
  };
  one(plan.item);
  if (plan.copy) one(*plan.copy);
}

// A linked pair's writes as planned (the held item, or read back from the
// spill), with what the report says of them. Applied as planned: nothing in
// the run changes a pair's rows or link between its planning and its batch
// (each pair's write commits its own rows and link only; a decided conflict
// closed by the planning commit and a keep-both copy are held from the
// first), and what changed in its store meanwhile is the target's own
// version to judge: an update or delete carries the version the plan read
// (expect_version), answered conflict and left for the next run to merge.
// Refused where it does not read back as the ops counted when the run
// planned (nothing of it is written: the next run plans it again).
Item PairRun::planned_linked(PendingLinked& p, std::vector<PlannedOp>* shown_out) {
  if (p.held) {
    Item it = std::move(*p.held);
    p.held.reset();
    return it;
  }
  std::vector<PlannedOp> unlisted;
  Item it = spill_ ? spill_->get(p.at, &unlisted) : Item{};
  OpFingerprint mine;
  bool whole = it.has_ops();
  size_t u = 0;
  for (Side s : kSides)  // its ops as planned, in finish_ops' order: the report's, else the spill's
    if (it.op[s]) {
      const PlannedOp* op = it.shown[s] != SIZE_MAX ? shown_op(it, s) : u < unlisted.size() ? &unlisted[u++] : nullptr;
      if (op) mine.add(*op);
      else whole = false;
    }
  if (!whole || mine.value() != p.ops)
    throw Failure{ACCORD_ERROR,
                  "state: the linked record " + it.id.left +
                      " did not read back from the run's spilled plan as planned; it was not written "
                      "(the writes before it are committed; the next run plans the rest again)",
                  0};
  if (shown_out) *shown_out = std::move(unlisted);
  return it;
}

// A pair whose merge writes nothing: link it (or move its bases) now, in the
// planning transaction. A plan rolls that back with everything else.
void PairRun::settle(Item& it, Fields bl, Fields br) {
  for (Side s : kSides)
    if (it.row[s]) pv_->mirror(s).clear_dirty(it.row[s]->id);
  pv_->links().put(link_for(it, std::move(bl), std::move(br)));
}

// Stops syncing a pair now: the link goes, live rows are clean, gone rows forgotten.
void PairRun::unlink_now(Item& it) {
  pv_->links().drop(it.link ? it.link->left_id : it.id.left);
  for (Side s : kSides) {
    if (!it.row[s]) continue;
    if (it.row[s]->deleted || it.forget[s]) pv_->mirror(s).drop(it.row[s]->id);
    else pv_->mirror(s).clear_dirty(it.row[s]->id);
  }
}

namespace {
// Whether an update changes only fields that say where its record sits
// (the target manifest's placement): a move, not an edit.
bool placement_only(const std::vector<std::string>& placement, const Changes& changes) {
  return std::all_of(changes.begin(), changes.end(), [&](const auto& c) {
    return std::find(placement.begin(), placement.end(), c.first) != placement.end();
  });
}
}  // namespace

// What applying needs of a pair without undecided fields: ids and the data
// to write, not the records' old data nor their pair forms. Dropped as soon
// as the pair is planned (nothing after reads them): a plan of many records
// holds every item at once.
void PairRun::lighten(Item& it) {
  if (!it.manual_fields.empty()) return;
  for (Side s : kSides) {
    if (it.row[s]) std::string().swap(it.row[s]->data);
    it.pair[s].reset();
  }
}

// An item's ops as the applier and the report take them: in the right's
// terms, moves marked, what each changes moved to `shown` (one per op).
void PairRun::finish_ops(Item& it, std::vector<PlannedOp>& shown) {
  for (Side s : kSides)
    if (auto& op = it.op[s]) {
      if (s == Side::kRight) planner().in_right_terms(*op);
      op->move = op->kind == OpKind::kUpdate && !op->changes.empty() && placement_only(placement_[s], op->changes);
      // the report keeps what each write changes; the item keeps the data to write
      shown.push_back(op->release_shown());
    }
  lighten(it);
}

void PairRun::load_placement() {
  for (Side s : kSides)
    if (const StreamInfo* info = reg_.find(p_.endpoint(s).connector)->manifest.stream(stream(s)))
      placement_[s] = info->placement;
}

void PairRun::report_ops(std::vector<Item>& items) {
  load_placement();
  // The fingerprint of what would be written, in a stable order (a run's
  // linked pairs' writes are in it already: stream_linked), and the
  // report's copy of each op without its data.
  linked_shown_ = rep_.ops.size();
  std::vector<PlannedOp> shown;
  auto count = [&](const PlannedOp& op) {
    fp_.add(op);
    rep_.planned.add(op);
    rep_.behind.count(op.left_behind);
  };
  for (auto& it : items) {
    finish_ops(it, shown);
    for (auto& op : shown) {
      count(op);
      it.shown[op.side] = rep_.ops.size();
      rep_.ops.push_back(std::move(op));
    }
    shown.clear();
  }
  // A run's creates, after the items as a plan has them: planned once,
  // here, for the report and the fingerprint, and spilled (spill.hpp) for
  // applying to read back a batch at a time. The report lists the first
  // opts_.list_creates of them, without the fields each sets (the run tells
  // each as it lands, without them), and counts the rest; where none is
  // applied (refused, stopped, failed first) show_pending_fields lists them
  // all with their fields, as a plan does.
  pending_shown_ = rep_.ops.size();
  listed_creates_ = std::min(pending_.size(), opts_.list_creates);
  for (size_t k = 0; k < pending_.size(); ++k) {
    PendingCreate& c = pending_[k];
    Item it = planned_create(c, shown);
    PlannedOp& op = shown.front();
    if (const auto& o = it.op[c.target]) c.lazy_bytes = lazy_bytes(other(c.target), o->data);
    count(op);
    if (k < listed_creates_) {
      it.shown[c.target] = pending_shown_ + k;
    } else {  // counted, not listed: what it leaves behind stays with its write
      it.unlisted = true;
      if (auto& o = it.op[c.target]) o->left_behind = std::move(op.left_behind);
    }
    // (the item alone: the op's changes are the report's, which a create's
    // write does not need; read back, its bytes are checked against their sum)
    if (!spill_) spill_ = std::make_unique<PlanSpill>(spool_prefix(p_.state_path.string()));
    c.at = spill_->put(it, {});
    if (k < listed_creates_) {
      op.changes.clear();
      rep_.ops.push_back(std::move(op));
    }
    shown.clear();
  }
  rep_.fingerprint = fp_.text();
}

// A pending create planned from its source's mirror row; its op as the
// report shows it, into `shown`.
Item PairRun::planned_create(const PendingCreate& c, std::vector<PlannedOp>& shown) {
  Item it = planner().plan_create(c.target, row_of(other(c.target), c.source_id));
  finish_ops(it, shown);
  return it;
}

// Pending creates as report_ops planned them, read back from the spill
// (each one's bytes checked against the sum taken as they were written, and
// its op against the create the report counted: its target and source).
// Applied as planned: nothing in the run changes a create's source row
// between its planning and its batch (each write commits its own rows and
// link only). Refused where one does not read back as planned (nothing of
// its batch is written: the next run plans it again).
std::vector<Item> PairRun::planned_creates(size_t begin, size_t end) {
  std::vector<Item> out;
  out.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) {
    const PendingCreate& c = pending_[i];
    Item it = spill_ ? spill_->get(c.at) : Item{};
    const auto& op = it.op[c.target];
    if (!op || it.op[other(c.target)] || op->kind != OpKind::kCreate || op->source_id != c.source_id)
      throw Failure{ACCORD_ERROR,
                    "state: the create from " + std::string(side_name(other(c.target))) + " " + c.source_id +
                        " did not read back from the run's spilled plan as planned; it was not written "
                        "(the writes before its batch are committed; the next run plans the rest again)",
                    0};
    out.push_back(std::move(it));
  }
  return out;
}

// A run whose creates were not applied (refused, stopped or failed before
// its first write was told): the report lists their ops with the fields each
// sets, as a plan's, read again from the state (before a refused plan's
// transaction is rolled back). Best effort: the report is what it was.
void PairRun::show_pending_fields() noexcept {
  if (listed_creates_ == SIZE_MAX || rep_.applied + rep_.failed + rep_.gone > 0) return;
  // the linked pairs' writes counted and not listed, listed in plan order
  // after those listed, before every other op (planned again)
  if (linked_.size() > opts_.list_creates) try {
      std::vector<PlannedOp> ops(std::make_move_iterator(rep_.ops.begin()),
                                 std::make_move_iterator(rep_.ops.begin() + static_cast<ptrdiff_t>(linked_shown_)));
      for (size_t k = opts_.list_creates; k < linked_.size(); ++k) {
        std::vector<PlannedOp> shown = std::move(linked_[k].held_ops);
        if (!linked_[k].held) planned_linked(linked_[k], &shown);
        for (auto& op : shown) ops.push_back(std::move(op));
      }
      size_t added = ops.size() - linked_shown_;
      ops.insert(ops.end(), std::make_move_iterator(rep_.ops.begin() + static_cast<ptrdiff_t>(linked_shown_)),
                 std::make_move_iterator(rep_.ops.end()));
      rep_.ops = std::move(ops);
      linked_shown_ += added;
      pending_shown_ += added;
    } catch (...) {
    }
  if (pending_.empty()) return;
  try {
    std::vector<PlannedOp> shown;
    for (size_t k = 0; k < pending_.size() && pending_shown_ + k <= rep_.ops.size(); ++k) {
      planned_create(pending_[k], shown);
      if (k < listed_creates_) rep_.ops[pending_shown_ + k].changes = std::move(shown.front().changes);
      else if (pending_shown_ + k == rep_.ops.size()) rep_.ops.push_back(std::move(shown.front()));  // (counted only)
      shown.clear();
    }
    listed_creates_ = pending_.size();
  } catch (...) {
  }
}

// The guards' verdict on the plan (guards.cpp), with the target sides' sizes
// read only where a side has writes.
void PairRun::check_guards(const std::vector<Item>& items) {
  PerSide<SideWrites> sides = count_writes(items);
  for (const auto& c : pending_) ++sides[c.target].creates;
  for (Side t : kSides) {  // (the linked pairs' writes, counted as they were planned)
    sides[t].creates += linked_writes_[t].creates;
    sides[t].updates += linked_writes_[t].updates;
    sides[t].deletes += linked_writes_[t].deletes;
    sides[t].moves += linked_writes_[t].moves;
  }
  for (Side t : kSides) {
    if (!sides[t].any()) continue;  // nothing to guard: spare the count
    // the target side as it is, before this run's writes: counted as far
    // as the verdict needs (guards.cpp), not the whole side
    std::optional<long> enough = live_to_know(sides[t], sp_.guards);
    sides[t].live = enough ? pv_->mirror(t).count_live(*enough) : pv_->mirror(t).count_live();
    if (sides[t].creates > 0) sides[t].linked = pv_->links().count();
  }
  refuse(guard_verdict(sides, sp_.guards, [&](std::string_view g) { return opts_.forces(g); }));
}

}  // namespace accord
