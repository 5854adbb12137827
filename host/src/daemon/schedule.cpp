// SPDX-License-Identifier: Apache-2.0
// When the daemon runs a pair (schedule.hpp).
#include "daemon/schedule.hpp"

#include <algorithm>
#include <cstdlib>
#include <ctime>

namespace accord::daemon {

int64_t default_interval_s(std::string_view canonical) {
  if (canonical == "jmap-email") return 60;
  if (canonical == "jscalendar-event") return 10 * 60;
  if (canonical == "jscontact") return 20 * 60;
  if (canonical == "jscalendar-task") return 2 * 3600;
  if (canonical == "note") return 3600;
  return 10 * 60;
}

int64_t interval_s(int64_t every_s, std::string_view canonical) {
  return every_s > 0 ? every_s : default_interval_s(canonical);
}

namespace {

// A factor in [1 - share, 1 + share].
double spread(double share, std::mt19937_64& rng) {
  return std::uniform_real_distribution<double>(1.0 - share, 1.0 + share)(rng);
}

}  // namespace

int64_t backoff_ms(int failures, int64_t retry_after_ms, int64_t interval_ms, std::mt19937_64& rng) {
  // the side said when: then, and a little later for each daemon
  if (retry_after_ms > 0)
    return retry_after_ms + std::uniform_int_distribution<int64_t>(0, std::max<int64_t>(1000, retry_after_ms / 10))(rng);
  const int64_t cap = std::max<int64_t>(interval_ms, 3600 * 1000);
  int64_t base = 30 * 1000;
  for (int i = 1; i < failures && base < cap; ++i) base *= 2;
  base = std::min(base, cap);
  return static_cast<int64_t>(static_cast<double>(base) * spread(0.2, rng));
}

int64_t jittered_interval_ms(int64_t interval_ms, std::mt19937_64& rng) {
  const int64_t most = std::min<int64_t>(interval_ms / 10, 30 * 1000);
  return interval_ms + std::uniform_int_distribution<int64_t>(-most, most)(rng);
}

ClockSample sample_clocks() {
  auto ms = [](clockid_t id) {
    timespec ts{};
    ::clock_gettime(id, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
  };
  return {ms(CLOCK_MONOTONIC), ms(CLOCK_BOOTTIME), ms(CLOCK_REALTIME)};
}

ClockEvent clock_event(const ClockSample& before, const ClockSample& after, int64_t slack_ms) {
  const int64_t mono = after.monotonic - before.monotonic;
  if ((after.boottime - before.boottime) - mono > slack_ms) return ClockEvent::kResumed;
  if (std::llabs((after.wall - before.wall) - mono) > slack_ms) return ClockEvent::kWallJumped;
  return ClockEvent::kNone;
}

}  // namespace accord::daemon
