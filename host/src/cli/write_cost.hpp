// SPDX-License-Identifier: Apache-2.0
// What a pair's planned writes cost in requests, per side, from the
// "budget" its connector said with its read (sdk/schema/batch.schema.json,
// version 1: left today, what the read took, each kind of write's
// requests per so many ops), summed from the plan's op counts. `plan`
// says it, and warns when the writes and the next run's read would not fit
// in what is left; `run` refuses such a pair before it writes anything
// (the "budget" guard: --force=budget writes all the same).
// A side whose connector says no budget costs nothing here.
#pragma once

#include "engine/sync_run.hpp"

#include <optional>
#include <string>
#include <vector>

namespace accord::cli {

struct WriteCost {
  Side side = Side::kLeft;
  long creates = 0, updates = 0, deletes = 0;
  int64_t writes = 0;              // requests the writes take
  int64_t read = 0;                // requests the read took (the next run's estimate)
  std::optional<int64_t> left;     // what the service allows for the rest of its day, as last said
  std::optional<int64_t> rate_requests, rate_ms;  // its burst limit: so many requests per so many ms (HighLevel 100 / 10 s)
  std::string words;               // "250 creates: 2 requests (batches of 200); 1 update: 2 requests"
};

// One per side with planned writes whose connector said a budget.
std::vector<WriteCost> write_costs(const PairReport& pr);

// plan: one line per side, and a warning where read + writes exceed left.
std::vector<std::string> cost_lines(const PairReport& pr, const std::string& connector_left,
                                    const std::string& connector_right);

// run: why the pair is refused (writes alone exceed what is left after
// this run's read), or "" when it fits or cannot be told.
std::string budget_refusal(const PairReport& pr);

}  // namespace accord::cli
