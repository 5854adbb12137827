// SPDX-License-Identifier: Apache-2.0
// `accord plan --explain ID`: how one record (an id on either side) stands
// and is planned: its mirror row, the filter's verdict, its link, the
// three-way decision per field (base, left, right), its match keys with the
// unlinked records of the other side that share them, its quarantine entry.
// Read only: the plan that follows it rolls everything back.
#include "engine/keys.hpp"
#include "engine/pair_run.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace json = boost::json;

namespace accord {

void PairRun::explain(const std::string& id) {
  json::object& e = rep_.explain;
  e["id"] = id;
  if (first_sync_) {
    e["note"] = "the state knows nothing of this pair yet (a first sync): each record is linked by its match keys, "
                "else copied";
    return;
  }
  json::array found;
  for (Side s : kSides) {
    auto m = pv_->mirror(s).find(id);
    if (!m) continue;
    json::object r{{"side", side_name(s)}, {"version", m->version}, {"modified", m->modified},
                   {"deleted", m->deleted}, {"changed_since_last_run", m->dirty},
                   {"filter", m->included ? "passes the " + std::string(side_name(s)) + " filter"
                                          : "filtered out by the " + std::string(side_name(s)) + " filter"}};
    json::array keys;
    for (size_t k = 0; k < sp_.match.size(); ++k) {
      std::string key(key_part(m->keys, k));
      json::array candidates;
      if (!key.empty())
        for (const auto& c : pv_->mirror(other(s)).unlinked())
          if (key_part(c.keys(), k) == key) candidates.emplace_back(std::string_view(c.id()));
      std::string shown = key;  // its fields' normal forms, each ended by \x1f
      if (!shown.empty()) shown.pop_back();
      std::replace(shown.begin(), shown.end(), '\x1f', ' ');
      keys.push_back(json::object{{"key", sp_.match[k].label},
                                  {"value", key.empty() ? json::value(nullptr) : json::value(shown)},
                                  {"unlinked_candidates_on_the_" + std::string(side_name(other(s))), candidates}});
    }
    r["match_keys"] = keys;
    if (sp_.email_crm)  // a record of any other pair may hold a field of that name
      if (std::string why = PairLookups::why_left_out(m->data); !why.empty()) r["filter"] = why;
    for (const auto& q : store_->quarantine_list())
      if (q.pair == sp_.name && q.side == side_name(s) && q.id == id)
        r["quarantine"] = json::object{{"error", q.error}, {"attempts", q.attempts}, {"next_retry", q.next_retry}};
    if (auto link = pv_->links().find(s, id)) {
      r["link"] = json::object{{"left", link->left_id}, {"right", link->right_id}};
      PerSide<std::optional<MirrorRow>> rows{pv_->mirror(Side::kLeft).find_data(link->left_id),
                                             pv_->mirror(Side::kRight).find_data(link->right_id)};
      PerSide<bool> live{rows.left && !rows.left->deleted, rows.right && !rows.right->deleted};
      PerSide<Fields> now, bases{planner().base_of(*link, Side::kLeft, rows.left),
                                 planner().base_of(*link, Side::kRight, rows.right)};
      for (Side t : kSides)
        if (live[t]) now[t] = planner().pair_of(t, *rows[t]);
      auto decided = pv_->conflicts().decisions(link->left_id);
      MergeResult mr = three_way_merge(planner().merge_input(
          bases, {live.left ? &now.left : nullptr, live.right ? &now.right : nullptr}, rows, sp_.policy, &decided));
      std::set<std::string> names;
      for (const Fields* f : {&bases.left, &bases.right, &now.left, &now.right})
        for (const auto& [k, v] : *f) names.insert(k);
      auto val = [](const Fields& f, const std::string& k) {
        auto i = f.find(k);
        return i == f.end() ? json::value(nullptr) : i->second;
      };
      json::array fields;
      for (const auto& k : names) {
        PerSide<bool> changed;
        for (Side t : kSides) changed[t] = live[t] && val(now[t], k) != val(bases[t], k);
        std::string decision = !changed.left && !changed.right ? "unchanged on both sides since they were last in accord"
                               : changed.left && !changed.right ? "changed on the left only"
                               : changed.right && !changed.left ? "changed on the right only"
                                                                : "changed on both sides";
        if (mr.to_right.contains(k)) decision += ": copied to the right";
        else if (mr.to_left.contains(k)) decision += ": copied to the left";
        for (const auto& c : mr.conflicts)
          if (c.field == k)
            decision += c.winner ? std::string(": a conflict, ") + side_name(*c.winner) + " wins (" + c.reason + ")"
                                 : ": a conflict left for you to decide (accord conflicts list)";
        fields.push_back(json::object{{"field", k},
                                      {"base_left", val(bases.left, k)},
                                      {"left", live.left ? val(now.left, k) : json::value(nullptr)},
                                      {"base_right", val(bases.right, k)},
                                      {"right", live.right ? val(now.right, k) : json::value(nullptr)},
                                      {"decision", decision}});
      }
      r["fields"] = fields;
      r["record"] = !live.left && !live.right ? "deleted on both sides: the link goes"
                    : !live.left ? (mr.delete_right     ? "deleted on the left: deleted on the right"
                                    : mr.recreate_left ? "deleted on the left, changed on the right: made again on the left"
                                                       : "deleted on the left")
                    : !live.right ? (mr.delete_left      ? "deleted on the right: deleted on the left"
                                     : mr.recreate_right ? "deleted on the right, changed on the left: made again on the right"
                                                         : "deleted on the right")
                    : mr.nothing() && mr.conflicts.empty() ? "in accord: nothing to write"
                                                           : "linked: fields to write";
      // (planning.cpp plan_linked: a record out of its side's filter parks the pair)
      for (Side s : kSides)
        if (rows[s] && !rows[s]->included) {
          std::string side = side_name(s);
          r["record"] = "parked: the " + side + " record is out of the " + side + " filter, so nothing is written " +
                        "either way; " + (live.left && live.right ? "when it passes again, the fields are merged as shown"
                                                                  : "deleted while parked, the link goes and nothing "
                                                                    "is deleted on the other side");
          break;
        }
    } else {
      r["link"] = nullptr;
      r["record"] = m->deleted ? "deleted, and linked to nothing: forgotten"
                    : !m->included ? "filtered out, and linked to nothing: not synced"
                                   : "linked to nothing: linked by a match key that finds exactly one unlinked record on "
                                     "the other side, else copied there (when it is new or changed since the last run)";
    }
    found.push_back(std::move(r));
  }
  e["records"] = found;
  if (found.empty()) e["note"] = "no record " + id + " in this pair's state (on either side)";
}

}  // namespace accord
