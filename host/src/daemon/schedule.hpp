// SPDX-License-Identifier: Apache-2.0
// When `accord daemon` runs a stream pair: its interval (the pipeline's
// "schedule", else a default by the kind of record, as Google Workspace Sync
// for Outlook has them), the back-off after a failure (jittered, never
// sooner than the side's Retry-After), and the signs that the machine slept
// or its clock jumped (a full re-check then).
//
// Pure: every function takes the time and the random source; nothing here
// reads a clock, sleeps or starts a thread. Thread safety: none needed.
#pragma once

#include <cstdint>
#include <random>
#include <string_view>

namespace accord::daemon {

// Seconds between a pair's runs when its "schedule" sets no "every", by the
// canonical type of its left stream: mail 1 min, calendar 10 min, contacts
// 20 min, tasks 2 h, notes 1 h, anything else 10 min.
int64_t default_interval_s(std::string_view canonical);

// The pair's interval in seconds: `every_s` when set, else the default.
int64_t interval_s(int64_t every_s, std::string_view canonical);

// Milliseconds to wait before trying a pair again after its `failures`-th
// failure in a row (1 for the first). When the side said how long
// (`retry_after_ms`, from Retry-After): that, plus up to a tenth more (at
// least up to 1 s), never less. Otherwise 30 s doubled each time, at most
// the pair's interval or 1 h (the larger), spread by up to ±20 % so that
// pairs failing together do not come back together.
int64_t backoff_ms(int failures, int64_t retry_after_ms, int64_t interval_ms, std::mt19937_64& rng);

// A pair's first run after the daemon starts comes at once; the next ones
// `interval` apart, jittered by up to ±10 % (at most 30 s) so that pairs of
// one interval spread out.
int64_t jittered_interval_ms(int64_t interval_ms, std::mt19937_64& rng);

// Clock readings taken together, in milliseconds.
struct ClockSample {
  int64_t monotonic = 0;  // CLOCK_MONOTONIC: stops while the machine sleeps
  int64_t boottime = 0;   // CLOCK_BOOTTIME: goes on while it sleeps
  int64_t wall = 0;       // CLOCK_REALTIME: set by NTP or by hand
};
ClockSample sample_clocks();

// What happened between two samples, beyond the time that passed.
enum class ClockEvent { kNone, kResumed, kWallJumped };
// kResumed: the machine slept (boot time ran on while monotonic stood) for
// more than `slack_ms`; kWallJumped: the wall clock moved more than
// `slack_ms` apart from the monotonic one (set by hand, or NTP after a long
// time offline). Either way the daemon checks every pair at once.
ClockEvent clock_event(const ClockSample& before, const ClockSample& after, int64_t slack_ms = 5000);

}  // namespace accord::daemon
