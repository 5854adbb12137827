// SPDX-License-Identifier: Apache-2.0
// `accord undo`: the inverse of a run's writes to this pair (the state's
// history), as items for the same apply path, journal and guards as a sync's.
#include "engine/keys.hpp"
#include "engine/pair_run.hpp"

#include <accord/json/exact.hpp>
#include <boost/json.hpp>

#include <map>

namespace json = boost::json;

namespace accord {

namespace {

// A record's top-level fields that differ between two of its data, with
// their values in `to` (none: not in it).
Changes field_changes(const json::object& from, const json::object& to) {
  Changes out;
  for (const auto& [k, v] : to)
    if (const json::value* was = from.if_contains(k); !was || *was != v) out["/" + std::string(k)] = v;
  for (const auto& [k, v] : from)
    if (!to.contains(k)) out["/" + std::string(k)] = std::nullopt;
  return out;
}

json::object object_of(const std::string& text) {
  boost::system::error_code ec;
  json::value v = accord::json_exact::parse(text, ec);
  return !ec && v.is_object() ? std::move(v.get_object()) : json::object{};
}

}  // namespace

// What run `run` created is deleted, what it updated is written back and
// what it deleted is created again, from the data the record had before the
// run (linked again to the record it was linked to, where that one is still
// there and linked to nothing). A record that is no longer as the run left
// it (changed, deleted or made again since) is a conflict: reported, and
// left as it is.
std::vector<Item> PairRun::plan_undo(int64_t run) {
  std::vector<Item> items;
  if (first_sync_) return items;  // the state knows nothing of this pair
  // A record's net effect in the run: the first write's before, the last one's after.
  struct Net {
    std::optional<OpKind> kind;
    std::string version, other_id;
    std::optional<std::string> before, after;
    bool created = false;
  };
  std::map<std::pair<Side, std::string>, Net> net;  // by side, id
  std::vector<std::pair<Side, std::string>> order;
  for (auto& h : store_->history(run, sp_.name, "")) {
    auto key = std::make_pair(h.side == "left" ? Side::kLeft : Side::kRight, h.record_id);  // (the history's word)
    auto [at, fresh] = net.try_emplace(key);
    Net& n = at->second;
    if (fresh) {
      order.push_back(key);
      n.before = std::move(h.before);
      n.created = op_kind(h.op) == OpKind::kCreate;
    }
    n.kind = op_kind(h.op), n.version = h.version, n.other_id = h.other_id, n.after = std::move(h.after);
  }
  const std::string since = " since run " + std::to_string(run) + " wrote it";
  // the later runs' writes, by (side, id), read at the first record not as
  // the run left it: "undo run M first" where one of them wrote it since
  std::optional<std::map<std::pair<std::string, std::string>, int64_t>> later;
  auto written_since = [&](Side t, const std::string& id) -> int64_t {
    if (!later) later = store_->written_after(run, sp_.name);
    auto w = later->find({side_name(t), id});
    return w == later->end() ? 0 : w->second;
  };
  size_t nothing = 0;  // records that need nothing undone (deleted since, or there again)
  std::string nothing_eg;
  for (auto k = order.rbegin(); k != order.rend(); ++k) {  // the newest write first
    const Net& n = net[*k];
    Side t = k->first;
    const std::string& id = k->second;
    auto m = pv_->mirror(t).find_data(id);
    json::object before = n.before ? object_of(*n.before) : json::object{};
    json::object now = m && !m->deleted ? object_of(m->data) : json::object{};
    std::string label = record_label(now.empty() ? before : now, id);
    // Not as the run left it, and so not undone: left as it is. Left for
    // you (exit 5) where it is there, changed since: a later run's write
    // (named: undoing that run first gives the undo its record back) or an
    // edit on its side (accord log shows what it held before). Not listed
    // in the conflicts table: there is nothing to choose between two sides.
    auto conflict = [&](const std::string& now_id) {
      PerSide<std::string> ids;
      ids[t] = now_id;
      int64_t by = written_since(t, now_id);
      if (!by && now_id != id) by = written_since(t, id);
      std::string todo = (now_id != id ? "it is " + std::string(side_name(t)) + " record " + now_id + " now; " : "") +
                         (by ? "run " + std::to_string(by) + " wrote it since: undo run " + std::to_string(by) + " first"
                             : "edited there since: accord log " + p_.file.string() + " --record " + id +
                                   " shows what it held before run " + std::to_string(run) + ", to put back by hand");
      ConflictReport c{ids.left, ids.right, label, "(record)",
                       "left for you: not undone, the " + std::string(side_name(t)) + " record changed" + since + " (" +
                           todo + ")",
                       std::nullopt, std::nullopt};
      c.listed = false;
      rep_.conflicts.push_back(std::move(c));
    };
    // Nothing to undo there: said in a note, not left for you.
    auto moot = [&](const std::string& what) {
      if (!nothing++)
        nothing_eg = std::string(side_name(t)) + " record " + id + " (" + label + ") " + what + since;
    };
    // as the run left it: its version (or, where the store gives none, its
    // data); or its data as the run left it, at another version: written
    // back so by a later write (an undo of the run that changed it since:
    // the advice below), nothing of a later edit to lose
    bool as_left = m && !m->deleted &&
                   ((m->version == n.version && (!n.version.empty() || (n.after && object_of(*n.after) == now))) ||
                    (n.after && !now.empty() && object_of(*n.after) == now));
    Item it;
    if (n.kind == OpKind::kDelete) {
      if (n.created) continue;  // made and deleted by the run: nothing to undo
      if (m && !m->deleted) {
        moot("is there again");  // (made again since: nothing to create)
        continue;
      }
      // linked again to the record it was linked to, if that one waits
      // unlinked: that record is the create's source (its lazy fields are
      // fetched from it; an interrupted create, sent again by the next
      // run, is linked to it too); else it has none
      std::string partner;
      if (!n.other_id.empty() && !pv_->links().find(other(t), n.other_id))
        if (auto o = pv_->mirror(other(t)).find_data(n.other_id); o && !o->deleted) {
          partner = it.id[other(t)] = n.other_id;
          std::string().swap(o->data);
          it.row[other(t)] = std::move(*o);
        }
      Changes all;
      for (const auto& [f, v] : before) all["/" + std::string(f)] = v;
      Action op = planner().make_op(t, OpKind::kCreate, "", partner, std::move(before), "", std::move(all));
      op.label = label;
      op.idempotency_key = derive_idempotency_key(p_.name, sp_.name, t, id, "undo:" + std::to_string(run_id_));
      it.op[t] = std::move(op);
      items.push_back(std::move(it));
      continue;
    }
    if (!m || m->deleted) {
      if (n.created) continue;  // (one the run made that is gone already: nothing to undo)
      // gone under this id: given a new one since (an IMAP message moved by
      // a later write), the record its partner is linked to now, changed
      // since; else deleted since, nothing to put back
      std::string now_id;
      if (!n.other_id.empty())
        if (auto l = pv_->links().find(other(t), n.other_id)) {
          now_id = t == Side::kLeft ? l->left_id : l->right_id;
          auto o = now_id != id ? pv_->mirror(t).find(now_id) : std::nullopt;
          if (!o || o->deleted) now_id.clear();
        }
      if (!now_id.empty()) conflict(now_id);
      else moot("was deleted");
      continue;
    }
    if (!as_left) {
      conflict(id);
      continue;
    }
    it.id[t] = id;
    it.link = pv_->links().find(t, id);
    // (the partner's id, without its row: the history names it, and the
    // commit neither touches its row nor, with one row, the link)
    if (it.link) it.id[other(t)] = t == Side::kLeft ? it.link->right_id : it.link->left_id;  // (the state's row)
    if (n.created) {
      it.op[t] = planner().make_op(t, OpKind::kDelete, id, "", {}, m->version, {});
    } else {
      Changes ch = field_changes(now, before);
      if (ch.empty()) continue;  // it holds what it held before the run
      it.op[t] = planner().make_op(t, OpKind::kUpdate, id, "", std::move(before), m->version, std::move(ch));
    }
    it.op[t]->label = label;
    it.row[t] = std::move(*m);
    items.push_back(std::move(it));
  }
  if (nothing)
    rep_.notes.push_back("not undone, nothing to undo there: " +
                         (nothing == 1 ? "the " + nothing_eg
                                       : count_of(nothing, "record") + " deleted since run " + std::to_string(run) +
                                             " wrote them, or there again since it deleted them (e.g. the " + nothing_eg + ")"));
  report_ops(items);
  return items;
}

}  // namespace accord
