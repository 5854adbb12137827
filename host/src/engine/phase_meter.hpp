// SPDX-License-Identifier: Apache-2.0
// A phase's progress, told to the run's events at most every 100 ms (and at
// its start and end): add() is called per record or batch from any of the
// pair's threads and costs an atomic add and a clock read (nothing when no
// one listens).
#pragma once

#include "engine/sync_run.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string_view>

namespace accord {

class PhaseMeter {
 public:
  PhaseMeter(RunEvents* events, std::string_view pair, Phase phase, uint64_t total = 0)
      : events_(events), pair_(pair), phase_(phase), total_(total) {
    tell(false);
  }
  PhaseMeter(const PhaseMeter&) = delete;
  PhaseMeter& operator=(const PhaseMeter&) = delete;
  ~PhaseMeter() { tell(true); }  // the phase is over, however it ended
  void set_total(uint64_t total) { total_.store(total, std::memory_order_relaxed); }
  void add(uint64_t n = 1) {
    if (!events_) return;
    done_.fetch_add(n, std::memory_order_relaxed);
    int64_t now = clock::now().time_since_epoch().count();
    int64_t next = next_.load(std::memory_order_relaxed);
    if (now >= next && next_.compare_exchange_strong(next, now + kEvery)) tell(false);
  }

 private:
  using clock = std::chrono::steady_clock;
  static constexpr int64_t kEvery = std::chrono::duration_cast<clock::duration>(std::chrono::milliseconds(100)).count();
  void tell(bool finished) {
    if (!events_) return;
    std::lock_guard lock(mu_);  // one report at a time, in order
    PhaseProgress p{pair_, phase_, done_.load(), total_.load(), std::chrono::duration<double>(clock::now() - start_).count(),
                    finished};
    events_->progress(p);
  }
  RunEvents* events_;
  std::string_view pair_;
  Phase phase_;
  std::atomic<uint64_t> total_;
  clock::time_point start_ = clock::now();
  std::atomic<uint64_t> done_{0};
  std::atomic<int64_t> next_{0};
  std::mutex mu_;
};

}  // namespace accord
