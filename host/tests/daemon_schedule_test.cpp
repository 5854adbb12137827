// SPDX-License-Identifier: Apache-2.0
// The daemon's schedule (host/src/daemon/schedule.hpp): defaults, back-off,
// Retry-After, jitter bounds, and telling a sleep or a clock jump from time
// passing; and the file watch's ignore rule (file_watch.hpp).
#include "daemon/file_watch.hpp"
#include "daemon/schedule.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <poll.h>
#include <unistd.h>

namespace accord::daemon {
namespace {

TEST(ScheduleTest, DefaultsFollowTheKindOfRecord) {
  EXPECT_EQ(default_interval_s("jmap-email"), 60);
  EXPECT_EQ(default_interval_s("jscalendar-event"), 600);
  EXPECT_EQ(default_interval_s("jscontact"), 1200);
  EXPECT_EQ(default_interval_s("jscalendar-task"), 7200);
  EXPECT_EQ(default_interval_s("note"), 3600);
  EXPECT_EQ(default_interval_s("custom"), 600);
  EXPECT_EQ(interval_s(90, "jmap-email"), 90);  // the pipeline's "every" wins
}

TEST(ScheduleTest, BackoffDoublesWithJitterUpToTheCap) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 200; ++i) {
    int64_t first = backoff_ms(1, 0, 60000, rng), third = backoff_ms(3, 0, 60000, rng), many = backoff_ms(30, 0, 60000, rng);
    EXPECT_GE(first, 24000);
    EXPECT_LE(first, 36000);
    EXPECT_GE(third, 96000);
    EXPECT_LE(third, 144000);
    EXPECT_LE(many, 3600 * 1000 * 12 / 10);  // at most an hour, +20 %
    EXPECT_GE(many, 3600 * 1000 * 8 / 10);
  }
}

TEST(ScheduleTest, RetryAfterIsHonouredNeverSooner) {
  std::mt19937_64 rng(2);
  for (int i = 0; i < 200; ++i) {
    int64_t w = backoff_ms(1, 8000, 60000, rng);
    EXPECT_GE(w, 8000);
    EXPECT_LE(w, 9000);
    int64_t hour = backoff_ms(5, 3600 * 1000, 60000, rng);
    EXPECT_GE(hour, 3600 * 1000);
    EXPECT_LE(hour, 3600 * 1000 + 360 * 1000);
  }
}

TEST(ScheduleTest, IntervalJitterIsBounded) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 200; ++i) {
    int64_t m = jittered_interval_ms(60000, rng), h = jittered_interval_ms(3600 * 1000, rng);
    EXPECT_GE(m, 54000);
    EXPECT_LE(m, 66000);
    EXPECT_GE(h, 3600 * 1000 - 30000);  // at most 30 s either way
    EXPECT_LE(h, 3600 * 1000 + 30000);
  }
}

TEST(ScheduleTest, ASleepIsToldFromTimePassing) {
  ClockSample a{1000, 5000, 1'700'000'000'000};
  // an hour passed, awake: every clock moved alike
  ClockSample awake{a.monotonic + 3'600'000, a.boottime + 3'600'000, a.wall + 3'600'000};
  EXPECT_EQ(clock_event(a, awake), ClockEvent::kNone);
  // a second of monotonic time, but the machine slept an hour meanwhile
  ClockSample slept{a.monotonic + 1000, a.boottime + 3'601'000, a.wall + 3'601'000};
  EXPECT_EQ(clock_event(a, slept), ClockEvent::kResumed);
  // the wall clock set back a day, nothing else
  ClockSample set{a.monotonic + 1000, a.boottime + 1000, a.wall - 86'400'000};
  EXPECT_EQ(clock_event(a, set), ClockEvent::kWallJumped);
  // NTP's small steps are time passing
  ClockSample ntp{a.monotonic + 1000, a.boottime + 1000, a.wall + 1300};
  EXPECT_EQ(clock_event(a, ntp), ClockEvent::kNone);
}

TEST(FileWatchTest, AChangeCountsForItsKeyButNotUnderAnIgnoredPath) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("accord-watch-" + std::to_string(::getpid()));
  fs::create_directories(dir / ".accord");
  FileWatch w;
  ASSERT_EQ(w.add(7, {dir.string()}, {(dir / ".accord").string()}), "");
  auto settle = [&] {
    pollfd p{w.fd(), POLLIN, 0};
    ::poll(&p, 1, 500);
    return w.drain();
  };
  std::ofstream(dir / ".accord" / "index.sqlite") << "x";
  EXPECT_TRUE(settle().empty());
  std::ofstream(dir / "a.vcf") << "BEGIN:VCARD";
  EXPECT_EQ(settle(), (FileWatch::Changes{{7, {(dir / "a.vcf").string()}}}));
  fs::create_directories(dir / "sub");  // a folder made later is watched too
  settle();
  std::ofstream(dir / "sub" / "b.vcf") << "x";
  EXPECT_EQ(settle(), (FileWatch::Changes{{7, {(dir / "sub" / "b.vcf").string()}}}));
  fs::remove_all(dir);
}

}  // namespace
// A daemon's memory of file states: a file renamed at each flag change
// (Maildir) leaves a gone path behind every time; they were kept for ever
// (found in review). Gone paths are forgotten past kKnownMax; paths that
// exist are kept, and a change is still told from no change.
TEST(FileWatchTest, GonePathsAreForgottenAndTheMapStaysBounded) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("accord-known-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string kept = (dir / "kept").string();
  std::ofstream(kept) << "a";
  KnownFiles known;
  EXPECT_TRUE(moved(known, kept));
  EXPECT_FALSE(moved(known, kept));
  for (size_t k = 0; k < 3 * kKnownMax; ++k) moved(known, (dir / ("gone:2," + std::to_string(k))).string());
  EXPECT_LE(known.sigs.size(), kKnownMax + 1);
  EXPECT_TRUE(known.sigs.contains(kept));
  EXPECT_FALSE(moved(known, kept));
  std::ofstream(kept, std::ios::app) << "b";
  EXPECT_TRUE(moved(known, kept));
  fs::remove_all(dir);
}

// Review s7 finding 10: an edit made during a look that wrote nothing (after
// a look that wrote nothing either) was left to the pair's schedule (20 min
// for contacts) rather than looked at at once. Only paths that moved in two
// quiet looks in a row (the store's reads) are left; a path new to the look
// is a change; a run that writes starts the count again; the looks are
// bounded even when each moves new paths.
TEST(AfterRunTest, AChangeDuringAQuietLookIsLookedAtAtOnce) {
  QuietLooks q;
  const std::set<std::string> shm{"/d/crm.sqlite-shm"}, shm_card{"/d/crm.sqlite-shm", "/b/ann.vcf"}, none;
  // a run wrote and its files moved: look again
  EXPECT_EQ(after_run(true, false, true, {"/d/crm.sqlite"}, q), AfterRun::kDuringRun);
  // that look wrote nothing, and its reads moved -shm: look once more
  EXPECT_EQ(after_run(true, true, false, shm, q), AfterRun::kLookAgain);
  // a person edits ann.vcf during that look: looked at at once, not left
  EXPECT_EQ(after_run(true, true, false, shm_card, q), AfterRun::kLookAgain);
  // the look after it moved only what the one before moved: the reads
  EXPECT_EQ(after_run(true, true, false, shm, q), AfterRun::kLeave);
  // a pair that did not run takes any move as a change; nothing moved: nothing
  EXPECT_EQ(after_run(false, false, false, shm, q), AfterRun::kChanged);
  EXPECT_EQ(after_run(true, true, false, none, q), AfterRun::kNone);
  // a look that wrote starts again: its moves are its writes
  QuietLooks w;
  EXPECT_EQ(after_run(true, true, false, shm, w), AfterRun::kLookAgain);
  EXPECT_EQ(after_run(true, true, true, shm, w), AfterRun::kDuringRun);
  EXPECT_EQ(after_run(true, true, false, shm, w), AfterRun::kLookAgain);
  // a store whose every read leaves a new file: bounded
  QuietLooks b;
  int looks = 0;
  for (int i = 0; i < 100; ++i) {
    AfterRun a = after_run(true, true, false, {"/d/tmp" + std::to_string(i)}, b);
    if (a == AfterRun::kLeave) break;
    EXPECT_EQ(a, AfterRun::kLookAgain);
    ++looks;
  }
  EXPECT_EQ(looks, kMaxQuietLooks);
}

}  // namespace accord::daemon
