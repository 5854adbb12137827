// SPDX-License-Identifier: Apache-2.0
// A run's planned writes to linked pairs, spilled (issue 24): planning
// writes each pair's planned item once, and applying reads it back when its
// batch is due, instead of planning the pair a second time from the state.
// The spill is scratch: a file with no name (O_TMPFILE; else made and
// unlinked at once) beside the state, gone when the run ends however it
// ends; a killed run leaves nothing of it, and its pairs stay dirty in the
// state for the next run to plan. Its memory is a write buffer and a read
// window, not the items.
// Thread safety: one PlanSpill per PairRun, on that run's thread.
#pragma once

#include "engine/engine_types.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace accord {

// An item as the spill holds it, and back: every member of the Item (its
// ids, rows, link and bases, ops with their data, "was" and left_behind,
// forget/drop_link/quarantine ids, shown/unlisted…), and what the report
// says of each op (`shown`: its changes and left_behind, the rest is the
// op's). A JSON value reads back as the value it was, kind and bits (an
// int64 stays an int64, a double its double; members in their order): the
// spill keeps values in a binary form of its own, not as JSON text.
void spill_item(std::string& out, const Item& it, const std::vector<PlannedOp>& shown);
// (throws Failure where the text is not one spill_item wrote)
Item unspill_item(std::string_view in, std::vector<PlannedOp>* shown = nullptr);

class PlanSpill {
 public:
  struct At {
    uint64_t offset = 0;
    uint32_t size = 0;
    uint32_t sum = 0;  // its bytes' checksum (XXH3's low 32 bits): get refuses bytes that differ
  };
  // `prefix`: where and under what name its file would go where it cannot
  // go without a name (a killed run's is then removed with the lazy spools:
  // remove_stale_lazy_spools).
  explicit PlanSpill(std::filesystem::path prefix);
  ~PlanSpill();
  PlanSpill(const PlanSpill&) = delete;
  PlanSpill& operator=(const PlanSpill&) = delete;

  At put(const Item& it, const std::vector<PlannedOp>& shown);
  // (throws Failure where its bytes are not those put wrote: their sum differs)
  Item get(At at, std::vector<PlannedOp>* shown = nullptr);
  uint64_t bytes() const { return end_; }

 private:
  void open();
  void flush();
  std::filesystem::path prefix_;
  int fd_ = -1;
  uint64_t end_ = 0;       // the spill's size, its buffer's part included
  uint64_t written_ = 0;   // what of it is in the file
  std::string buf_;        // what is not yet
  std::string window_;     // a stretch of the file read ahead (items are read mostly in order)
  uint64_t window_at_ = 0;
};

}  // namespace accord
