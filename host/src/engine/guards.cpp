// SPDX-License-Identifier: Apache-2.0
#include "engine/guards.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace accord {

PerSide<SideWrites> count_writes(const std::vector<Item>& items) {
  PerSide<SideWrites> out;
  for (const Item& it : items) count_writes(it, out);
  return out;
}

void count_writes(const Item& it, PerSide<SideWrites>& out) {
  for (Side s : kSides)
    if (const auto& op = it.op[s]) {
      SideWrites& w = out[op->side];
      (op->kind == OpKind::kCreate ? w.creates : op->kind == OpKind::kUpdate ? w.updates : w.deletes)++;
      if (op->move) ++w.moves;
    }
}

std::optional<long> live_to_know(const SideWrites& w, const Guards& guards) {
  if (w.creates > 0) return std::nullopt;
  long need = 1;
  if (w.deletes > 0 && guards.refuse_empty_side) need = std::max(need, w.deletes + 1);  // (live - deletes <= 0 trips)
  // share(n, of, max) trips where of > min_records and n > max * of: never
  // where of >= n / max (the same double comparison as guard_verdict's)
  for (auto [n, max] : {std::pair{w.deletes, guards.max_delete_share}, std::pair{w.updates, guards.max_update_share}}) {
    if (n <= 0 && max >= 0) continue;
    if (!(max > 0)) return std::nullopt;
    double at = std::ceil(static_cast<double>(n) / max);
    if (!(at < 1e15)) return std::nullopt;
    long l = std::max(1L, static_cast<long>(at));
    while (static_cast<double>(n) > max * static_cast<double>(l)) ++l;
    need = std::max(need, l);
  }
  return need;
}

GuardVerdict guard_verdict(const PerSide<SideWrites>& sides, const Guards& guards, const Forces& forces) {
  GuardVerdict v;
  auto guard = [&](const char* name, const std::string& msg, const std::string& fix) {
    if (forces(name)) v.forced.push_back(msg + " (--force=" + name + ")");
    else if (v.refused.empty()) v.refused = msg + "; " + fix + ", or run with --force=" + name + " if it is right";
  };
  long total = 0;
  for (Side t : kSides) {
    const SideWrites& w = sides[t];
    total += w.creates + w.updates + w.deletes;
    if (!w.any()) continue;  // nothing to guard
    // Whatever its size, a side that had records is never emptied without
    // being asked (three vCards moved away must not delete three contacts).
    if (w.deletes > 0 && guards.refuse_empty_side && w.live - w.deletes + w.creates <= 0)
      guard("empty",
            "this run would delete " +
                (w.deletes == 1 ? std::string("the only record") : "all " + count_of(w.deletes, "record")) + " on the " +
                side_name(t) + " side and leave it with none",
            std::string("check that the ") + side_name(other(t)) + " side's configuration points where it should");
    auto share = [&](long n, long of, double max, const char* what, const char* name, std::string also = "") {
      if (of <= guards.min_records || n <= max * static_cast<double>(of)) return;
      guard(name,
            std::to_string(n) + " " + what + " of " + count_of(of, "record") +
                (std::string_view(name) == "creates" ? " linked to nothing" : "") + " on the " + side_name(t) +
                " side is more than the guard allows (" + std::to_string(static_cast<int>(max * 100)) + "%)" + also,
            "look at the plan");
    };
    share(w.deletes, w.live, guards.max_delete_share, "deletes", "deletes");
    // A move (an update of only the placement fields) counts as an update:
    // a folder renamed moves each of its messages, but so does a mailbox
    // emptied into Trash or a filter filing everything into Junk, which no
    // guard would see otherwise. The refusal says how many only move.
    share(w.updates, w.live, guards.max_update_share, "updates", "updates",
          w.moves ? " (" + std::to_string(w.moves) + " of them only move records to another place: a folder renamed, "
                                                      "or emptied into another)"
                  : "");
    // Creating more than half again of the records a side holds that are
    // linked to nothing is how duplicates look (a match key that never
    // matches, the wrong store); records already linked (a first sync
    // resumed, copies made before) are no such risk.
    if (w.creates > 0) share(w.creates, w.live - w.linked, guards.max_create_share, "creates", "creates");
  }
  if (guards.max_records > 0 && total > guards.max_records)
    guard("records",
          std::to_string(total) + " writes is more than max_records (" + std::to_string(guards.max_records) + ")",
          "raise the guard");
  return v;
}

GuardVerdict empty_listing_verdict(Side s, size_t gone, const Guards& guards, const Forces& forces) {
  GuardVerdict v;
  if (gone == 0 || !guards.refuse_empty_side) return v;
  std::string msg = std::string("the ") + side_name(s) + " side listed no records, but " + std::to_string(gone) +
                    " were there before";
  if (!forces("empty"))
    v.refused = msg + "; refusing to delete them all (check the connector's configuration, or run with --force=empty)";
  else
    v.forced.push_back(msg);
  return v;
}

}  // namespace accord
