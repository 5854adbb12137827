// SPDX-License-Identifier: Apache-2.0
// Guards: whether a plan may run. Pure: the plan's writes per side, the
// target sides' sizes and the pipeline's guard settings in, a verdict out
// (refused, or run with the overridden guards said); no state, no I/O.
#pragma once

#include "engine/engine_types.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace accord {

// A side's part in a plan: its writes, and what it holds before them.
struct SideWrites {
  long creates = 0, updates = 0, deletes = 0;
  long moves = 0;   // of the updates, those that only move a record (Action::move)
  long live = 0;    // its live records (read only where it has writes)
  long linked = 0;  // the pair's links (read only where it has creates)
  bool any() const { return creates || updates || deletes; }
};

struct GuardVerdict {
  std::string refused;              // the first guard that stops the run, in words; "" when none does
  std::vector<std::string> forced;  // guards that would have, overridden by --force
};

// Whether --force names a guard (kGuardNames).
using Forces = std::function<bool(std::string_view guard)>;

// The writes of a plan per target side (live and linked left 0).
PerSide<SideWrites> count_writes(const std::vector<Item>& items);
void count_writes(const Item& it, PerSide<SideWrites>& out);  // one item's, added

// How many live records a side with writes `w` (creates, updates, deletes;
// live and linked not read) must be known to hold at least for the
// guards' verdict to be the one its exact count gives: each guard trips
// only below some size of the side, so a side seen to hold that many trips
// none (the verdict with `live` set to that bound is the exact one). A run
// then counts that many rows, not the whole side (issue 24: a 1% run of a
// million pairs counted both sides). None: the exact count is needed (a
// create's share is of live minus linked; a share guard set to 0).
std::optional<long> live_to_know(const SideWrites& w, const Guards& guards);

// Refuses (or, forced, reports) what the guards stop: a side left with no
// records, shares of a side deleted, updated or created, too many writes.
GuardVerdict guard_verdict(const PerSide<SideWrites>& sides, const Guards& guards, const Forces& forces);

// A full listing of side `s` held none of the `gone` records the state knew
// there: refused unless forced, where the guards refuse to empty a side.
GuardVerdict empty_listing_verdict(Side s, size_t gone, const Guards& guards, const Forces& forces);

}  // namespace accord
