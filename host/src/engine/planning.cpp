// SPDX-License-Identifier: Apache-2.0
#include "engine/planning.hpp"

#include "engine/keys.hpp"
#include "mapping/field_travel.hpp"

#include <accord/json/exact.hpp>

#include <algorithm>

namespace json = boost::json;

namespace accord {

std::string Planner::self_key(Side s, std::string_view id) const {
  return derive_idempotency_key(pipeline_, sp_.name, s, id);
}

std::string Planner::keep_both_key(std::string_view right_id, std::string_view kept) const {
  KeyBits whose = derive_key_bits(pipeline_, sp_.name, Side::kRight, right_id, "keep-both");
  KeyBits which = derive_key_bits(pipeline_, sp_.name, Side::kRight, right_id, "keep-both:" + std::string(kept));
  return key_text({whose.first, which.second});
}

bool Planner::is_keep_both_key(std::string_view key, std::string_view right_id) const {
  std::optional<KeyBits> k = key_bits(key);
  return k && k->first == derive_key_bits(pipeline_, sp_.name, Side::kRight, right_id, "keep-both").first;
}

std::string_view Planner::stored_key(std::string_view keys) const { return key_part(keys, sp_.match.size()); }

// A record's pair form from its text: parsed, then (where a field is a
// top-level member) its values moved into the form, not copied as
// FieldMap::to_pair copies them from a record it does not own (issue 24).
Fields Planner::pair_of_text(Side s, std::string_view data) const {
  json::value parsed = accord::json_exact::parse(data);
  json::object& o = parsed.get_object();
  if (!sp_.identity) return fm_.to_pair(s, o);
  Fields out;
  for (auto& kv : o) out["/" + std::string(kv.key())] = std::move(kv.value());
  return out;
}

Fields Planner::pair_of(Side s, const MirrorRow& r) const { return pair_of_text(s, r.data); }

Fields Planner::base_of(const LinkRow& link, Side s, const std::optional<MirrorRow>& row) const {
  const std::string& base = s == Side::kLeft ? link.base_left : link.base_right;  // (the state's row)
  if (!base.empty()) return fields_from_json(base);
  const LinkRow::Kept& kept = s == Side::kLeft ? link.kept_left : link.kept_right;  // (the data a change overwrote)
  if (kept.id) return pair_of_text(s, kept.data);
  return row ? pair_of(s, *row) : Fields{};
}

Changes Planner::write_changes(Side t, json::object& data, const Changes& ch) const {
  return write_changes(t, data, ch, fm_.to_pair(t, data));
}

Changes Planner::write_changes(Side t, json::object& data, const Changes& ch, const Fields& before) const {
  fm_.write(t, data, ch);
  Changes effective;
  if (sp_.identity) {
    // a field is a top-level member ("/" + its name, to_pair's key): its
    // value after is data's member, read in place (issue 24: the whole
    // record's pair form was made again for the few fields a change names)
    for (const auto& [k, v] : ch) {
      auto b = before.find(k);
      const json::value* a = data.if_contains(std::string_view(k).substr(1));
      bool same = b == before.end() ? !a : a && b->second == *a;
      if (!same) effective[k] = v;
    }
    return effective;
  }
  Fields after = fm_.to_pair(t, data);
  for (const auto& [k, v] : ch) {
    auto b = before.find(k);
    auto a = after.find(k);
    bool same = (b == before.end() && a == after.end()) ||
                (b != before.end() && a != after.end() && b->second == a->second);
    if (!same) effective[k] = v;
  }
  return effective;
}

// An update's "was": for each top-level field the update changes (before
// → after, the target's data), its value in the base of the side the
// change comes from (`source`, its pair form), written in the target's
// form; null where that base has none. Empty without a base.
json::object Planner::was_of(Side target, const json::object& before, const json::object& after,
                             const Fields* source) const {
  json::object was;
  if (!source || source->empty()) return was;
  json::object then = created_from(target, *source);
  auto changed = [&](const json::string& k) {
    const json::value *b = before.if_contains(k), *a = after.if_contains(k);
    return !b || !a ? b != a : *b != *a;
  };
  for (const auto& [k, v] : after)
    if (changed(k)) was[k] = then.contains(k) ? then.at(k) : json::value(nullptr);
  for (const auto& [k, v] : before)
    if (!after.contains(k)) was[k] = then.contains(k) ? then.at(k) : json::value(nullptr);
  return was;
}

// was_of where a field is a top-level member (identity), without the
// record as it was before: its changed members are `effective`'s (what
// write_changes answered), those still in `after` in its order, then those
// the write removed in their order before it (`removed`: their places then).
json::object Planner::was_of_members(const json::object& after, const Changes& effective,
                                     const std::vector<std::pair<size_t, const std::string*>>& removed,
                                     const Fields* source) const {
  json::object was;
  if (!source || source->empty()) return was;
  auto then = [&](const std::string& k) {  // (created_from's member: the source's field as it is)
    auto f = source->find(k);
    return f == source->end() ? json::value(nullptr) : f->second;
  };
  std::vector<std::pair<size_t, const std::string*>> kept;
  for (const auto& [k, v] : effective) {
    auto a = after.find(std::string_view(k).substr(1));
    if (a != after.end()) kept.emplace_back(static_cast<size_t>(a - after.begin()), &k);
  }
  std::sort(kept.begin(), kept.end());
  was.reserve(effective.size());
  for (const auto& [at, k] : kept) was[std::string_view(*k).substr(1)] = then(*k);
  for (const auto& [at, k] : removed)
    if (effective.contains(*k) && !after.contains(std::string_view(*k).substr(1)))
      was[std::string_view(*k).substr(1)] = then(*k);
  return was;
}

json::object Planner::created_from(Side target, const Fields& source) const {
  json::object data;
  if (sp_.identity) {  // (every field a top-level member, and flowing: FieldMap::write's members, in one pass)
    data.reserve(source.size());
    for (const auto& [k, v] : source) data[std::string_view(k).substr(1)] = v;
    return data;
  }
  Changes all;
  for (const auto& [k, v] : source)
    if (fm_.flows_to(k, target)) all[k] = v;
  fm_.write(target, data, all);
  return data;
}

MergeInput Planner::merge_input(const PerSide<Fields>& bases, const PerSide<const Fields*>& now,
                                const PerSide<std::optional<MirrorRow>>& rows, Policy policy,
                                const std::map<std::string, Side>* decided) const {
  return merge_input(PerSide<const Fields*>{&bases.left, &bases.right}, now, rows, policy, decided);
}

MergeInput Planner::merge_input(const PerSide<const Fields*>& bases, const PerSide<const Fields*>& now,
                                const PerSide<std::optional<MirrorRow>>& rows, Policy policy,
                                const std::map<std::string, Side>* decided) const {
  MergeInput in;
  in.base_left = bases.left;
  in.base_right = bases.right;
  in.left = now.left;
  in.right = now.right;
  in.left_modified = rows.left ? rows.left->modified : "";
  in.right_modified = rows.right ? rows.right->modified : "";
  in.policy = policy;
  in.owners = &sp_.owners;
  in.decided = decided;
  if (!sp_.identity)  // (with no rules every field flows both ways: no call a field)
    in.flows_to = [this](const std::string& k, Side t) { return fm_.flows_to(k, t); };
  return in;
}

Action Planner::make_op(Side target, OpKind kind, const std::string& id, const std::string& source_id,
                        json::object data, const std::string& expect_version, Changes changes) const {
  Action o;
  o.side = target;
  o.kind = kind;
  o.id = id;
  o.source_id = source_id;
  o.label = record_label(data, id.empty() ? source_id : id);  // (not a copy of data: issue 24)
  o.data = std::move(data);
  o.expect_version = expect_version;
  o.changes = std::move(changes);
  if (kind == OpKind::kCreate) o.idempotency_key = self_key(other(target), source_id);
  // what this record carries that the target does not keep: said per
  // record by plan (issue 21), the pair's list says it per field
  if (sp_.identity && kind == OpKind::kCreate) {
    o.left_behind = kept_[target].left_behind(o.data);
  } else if (sp_.identity && kind == OpKind::kUpdate) {
    for (const auto& [k, v] : o.changes)
      if (v)
        for (auto& x : left_behind(*v, kept_[target].list(), k)) o.left_behind.push_back(std::move(x));
  }
  return o;
}

void Planner::in_right_terms(Action& op) const {
  if (sp_.identity || sp_.rules.empty() || op.changes.empty()) return;
  json::value data(op.data);
  Changes named;
  for (auto& [k, v] : op.changes) {
    auto rule = std::find_if(sp_.rules.begin(), sp_.rules.end(), [&](const Rule& r) { return r.key == k; });
    if (rule == sp_.rules.end()) {
      named[k] = std::move(v);
      continue;
    }
    const json::value* now = v ? rule->right.get(data) : nullptr;
    named[rule->right.text()] = now ? std::optional<json::value>(*now) : std::move(v);
  }
  op.changes = std::move(named);
}

Item Planner::plan_create(Side target, const MirrorRow& src) const {
  Side from = other(target);
  Fields f = pair_of(from, src);
  Item it;
  it.id[from] = src.id;
  it.row[from] = src;
  json::object data = created_from(target, f);
  // its changes: every field, the pair form's values moved in (a create's
  // item keeps no pair form: nothing reads it before the run drops it)
  Changes ch;
  for (auto& [k, v] : f) ch.emplace_hint(ch.end(), k, std::move(v));
  std::string label = record_label(data, src.id);
  it.op[target] = make_op(target, OpKind::kCreate, "", src.id, std::move(data), "", std::move(ch));
  it.op[target]->label = std::move(label);
  it.quarantine_side_id[from] = src.id;
  return it;
}

PairPlan Planner::plan_first_match(MirrorRow L, MirrorRow R) const {
  PairPlan plan;
  Item& it = plan.item;
  it.id.left = L.id;
  it.id.right = R.id;
  PerSide<Fields> f{pair_of(Side::kLeft, L), pair_of(Side::kRight, R)};
  MergeInput in;
  in.left = &f.left;
  in.right = &f.right;
  in.left_modified = L.modified;
  in.right_modified = R.modified;
  in.policy = sp_.policy == Policy::kKeepBoth || sp_.policy == Policy::kManual ? Policy::kNewest : sp_.policy;
  in.owners = &sp_.owners;
  in.flows_to = [this](const std::string& k, Side t) { return fm_.flows_to(k, t); };
  MergeResult m = three_way_merge(in);
  it.row.left = std::move(L);
  it.row.right = std::move(R);
  std::string label;
  for (Side t : kSides) {
    const Changes& ch = t == Side::kLeft ? m.to_left : m.to_right;  // (the merge's result)
    if (ch.empty() || !allowed(sp_, t, OpKind::kUpdate)) continue;
    json::object data = accord::json_exact::parse(it.row[t]->data).get_object();
    Changes effective = write_changes(t, data, ch);
    if (effective.empty()) continue;
    if (label.empty()) label = record_label(accord::json_exact::parse(it.row.left->data).get_object(), it.id.left);
    it.op[t] = make_op(t, OpKind::kUpdate, it.id[t], "", std::move(data), it.row[t]->version, effective);
    it.op[t]->label = label;
    it.quarantine_side_id[other(t)] = it.id[other(t)];
  }
  if (!it.has_ops()) {
    plan.verdict = PairVerdict::kSettle;
    plan.forms = std::move(f);
    return plan;
  }
  it.pair.left = std::move(f.left);
  it.pair.right = std::move(f.right);
  return plan;
}

PairPlan Planner::plan_linked(Item it, const std::map<std::string, Side>& decided) const {
  PairPlan plan;
  auto& L = it.row.left;
  auto& R = it.row.right;
  PerSide<bool> live{L && !L->deleted, R && !R->deleted};
  // A record out of its side's filter (as last read; a deleted row keeps the
  // verdict it had when it went): the pair is parked, not unlinked. Nothing
  // is written either way and the link keeps its bases (a change read while
  // parked keeps the row it overwrote: folding.cpp keep_base), so that the
  // pair resumes with a three-way merge of both sides' edits once the record
  // passes again; the other side's record is no unlinked record to copy
  // (review s11 L5, s12 L10: it came back as a twin). Either record deleted
  // while parked: the link is forgotten and nothing is deleted on the other
  // side (the out record was out of the sync; the in record's delete does
  // not reach a record taken out of it).
  PerSide<bool> out{L && !L->included, R && !R->included};
  if (out.left || out.right) {
    Side o = out.left ? Side::kLeft : Side::kRight;
    std::string pair = it.id.left + " ⇄ " + it.id.right;
    std::string why = std::string("the ") + side_name(o) + " record is out of the " + side_name(o) + " filter";
    if (!live.left || !live.right) {
      Side gone = !live.left ? Side::kLeft : Side::kRight;
      plan.notes.push_back("unlinked " + pair + ": " + why + ", and the " + side_name(gone) +
                           " record was deleted; nothing deleted on the " + side_name(other(gone)));
      plan.verdict = PairVerdict::kUnlink;
    } else {
      plan.notes.push_back("parked " + pair + ": " + why +
                           "; nothing written either way until it passes again (then both sides' edits are merged)");
      plan.verdict = PairVerdict::kPark;
    }
    plan.item = std::move(it);
    return plan;
  }
  // Each live row's data parsed once: its pair form, its implicit base,
  // the label and an update's data all come from it (issue 24: a changed
  // pair's records were parsed up to three times each).
  PerSide<std::optional<json::object>> parsed;
  PerSide<Fields> now;
  for (Side s : kSides)
    if (live[s]) {
      json::value v = accord::json_exact::parse(it.row[s]->data);
      parsed[s] = std::move(v.get_object());
      now[s] = fm_.to_pair(s, *parsed[s]);
    }
  // Each side's base (base_of): an implicit one (the row as it stands) is
  // the live row's pair form itself, not a copy of it (issue 24).
  PerSide<Fields> written;  // (a base written out or kept, or a gone row's)
  PerSide<const Fields*> bases;
  for (Side s : kSides) {
    const LinkRow& l = *it.link;
    bool implicit = (s == Side::kLeft ? l.base_left : l.base_right).empty() &&
                    !(s == Side::kLeft ? l.kept_left : l.kept_right).id;
    if (implicit && live[s]) {
      bases[s] = &now[s];
    } else {
      written[s] = base_of(l, s, it.row[s]);
      bases[s] = &written[s];
    }
  }
  MergeResult m = three_way_merge(merge_input(bases, {live.left ? &now.left : nullptr, live.right ? &now.right : nullptr},
                                              it.row, sp_.policy, &decided));
  plan.merged = true;
  plan.ids = it.id;
  if (m.nothing() && m.conflicts.empty()) {
    plan.verdict = PairVerdict::kSettle;
    plan.forms = std::move(now);
    plan.item = std::move(it);
    return plan;
  }
  static const json::object kNothing;  // (a reference, not a copy of the parsed row: issue 24)
  std::string label = record_label(live.left ? *parsed.left : live.right ? *parsed.right : kNothing, it.id.left);
  plan.label = label;
  plan.conflicts = std::move(m.conflicts);
  it.manual_fields = m.manual_fields;
  if (!it.manual_fields.empty()) {  // the undecided fields' bases must outlive the rows
    it.link->base_left = fields_json(*bases.left);
    it.link->base_right = fields_json(*bases.right);
  }
  if (m.both_deleted) {
    plan.verdict = PairVerdict::kForget;
    plan.item = std::move(it);
    return plan;
  }
  for (Side t : kSides) {
    // (the merge's result, per side)
    bool del = t == Side::kLeft ? m.delete_left : m.delete_right;
    bool recreate = t == Side::kLeft ? m.recreate_left : m.recreate_right;
    const Changes& ch = t == Side::kLeft ? m.to_left : m.to_right;
    if (del) {
      it.forget[other(t)] = true;  // the deleted source row
      if (allowed(sp_, t, OpKind::kDelete)) {
        it.op[t] = make_op(t, OpKind::kDelete, it.id[t], "", {}, it.row[t]->version, {});
        it.op[t]->label = label;
      } else {
        it.drop_link = true;  // the survivor stays, unlinked
        plan.notes.push_back(std::string("not deleting ") + label + " on the " + side_name(t) +
                             ": deletes to that side are not allowed");
      }
      it.quarantine_side_id[other(t)] = it.id[other(t)];
    }
    if (recreate && allowed(sp_, t, OpKind::kCreate)) {
      const Fields& src = now[other(t)];
      Changes all;
      for (const auto& [k, v] : src) all[k] = v;
      it.op[t] = make_op(t, OpKind::kCreate, "", it.id[other(t)], created_from(t, src), "", all);
      it.op[t]->label = label;
      it.id[t].clear();
      it.row[t].reset();
      it.quarantine_side_id[other(t)] = it.id[other(t)];
    } else if (recreate) {
      it.drop_link = true;
    }
    if (!ch.empty() && it.row[t] && !it.row[t]->deleted) {
      if (!allowed(sp_, t, OpKind::kUpdate)) continue;  // the base absorbs the divergence
      // (the parsed row is read no more, but by a keep-both copy: moved, not copied)
      json::object data = m.keep_both && t == Side::kRight ? *parsed[t] : std::move(*parsed[t]);
      const Fields* source = live[other(t)] ? bases[other(t)] : nullptr;
      json::object was;
      if (sp_.identity) {  // (no copy of the record before the write: was_of_members)
        std::vector<std::pair<size_t, const std::string*>> removed;
        for (const auto& [k, v] : ch)
          if (auto at = v ? data.end() : data.find(std::string_view(k).substr(1)); at != data.end())
            removed.emplace_back(static_cast<size_t>(at - data.begin()), &k);
        std::sort(removed.begin(), removed.end());
        Changes effective = write_changes(t, data, ch, now[t]);  // (now[t]: data's pair form)
        if (effective.empty()) continue;  // the side already holds it, in its own terms
        was = was_of_members(data, effective, removed, source);
        it.op[t] = make_op(t, OpKind::kUpdate, it.id[t], "", std::move(data), it.row[t]->version, std::move(effective));
      } else {
        json::object before = data;
        Changes effective = write_changes(t, data, ch, now[t]);
        if (effective.empty()) continue;
        was = was_of(t, before, data, source);
        it.op[t] = make_op(t, OpKind::kUpdate, it.id[t], "", std::move(data), it.row[t]->version, std::move(effective));
      }
      it.op[t]->was = std::move(was);
      it.op[t]->label = label;
      it.quarantine_side_id[other(t)] = it.id[other(t)];
    }
  }
  if (m.keep_both && live.right) {
    // Keep the right's version too, as a new pair of records.
    Item copy;
    json::object ldata = created_from(Side::kLeft, now.right);
    json::object rdata = *parsed.right;
    Changes ch;
    for (const auto& [k, v] : now.right) ch[k] = v;
    copy.op.left = make_op(Side::kLeft, OpKind::kCreate, "", it.id.right, std::move(ldata), "", ch);
    copy.op.right = make_op(Side::kRight, OpKind::kCreate, "", it.id.right, std::move(rdata), "", ch);
    copy.op.left->label = copy.op.right->label = label + " (kept: the right's version)";
    copy.op.right->source_same_side = true;
    copy.op.left->idempotency_key = copy.op.right->idempotency_key =
        keep_both_key(it.id.right, R->version + std::string(1, '\0') + R->data);
    plan.item = std::move(it);
    plan.copy = std::move(copy);
    return plan;
  }
  if (!it.has_ops()) {  // nothing to write: a refused delete, a divergence the bases absorb
    plan.verdict = it.drop_link ? PairVerdict::kUnlink : PairVerdict::kSettle;
    plan.forms = std::move(now);
    plan.item = std::move(it);
    return plan;
  }
  for (Side s : kSides)
    if (live[s]) it.pair[s] = std::move(now[s]);
  plan.item = std::move(it);
  return plan;
}

// An undecided field keeps its old base, so that it stays a conflict.
static void keep_manual_bases(const Item& it, Fields& bl, Fields& br) {
  if (!it.link || it.manual_fields.empty()) return;
  Fields obl = fields_from_json(it.link->base_left), obr = fields_from_json(it.link->base_right);
  for (const auto& f : it.manual_fields) {
    if (obl.contains(f)) bl[f] = obl[f]; else bl.erase(f);
    if (obr.contains(f)) br[f] = obr[f]; else br.erase(f);
  }
}

LinkRow link_for(const Item& it, Fields bl, Fields br) {
  if (it.manual_fields.empty()) return LinkRow{it.id.left, it.id.right, "", ""};
  keep_manual_bases(it, bl, br);
  return LinkRow{it.id.left, it.id.right, fields_json(bl), fields_json(br)};
}

}  // namespace accord
