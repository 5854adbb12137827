// SPDX-License-Identifier: Apache-2.0
// One pair's quarantine (state/quarantine.cpp): a record's wait doubles with
// each failure from a minute, and stops doubling at 1024 minutes (never past
// a day), or is what the server asked; a
// record waits until its retry time; a settled record (its mirror row clean
// or gone) is released, one still waiting for its write is not.
#include "state_test_util.hpp"

#include <ctime>

using namespace accord;
using accord::state_test::row;
using accord::state_test::StateFile;

namespace {

// The seconds from now to the record's retry time.
int64_t wait_of(const StateFile& f, const std::string& id) {
  return f.count("SELECT next_retry FROM quarantine WHERE id = '" + id + "'") - static_cast<int64_t>(std::time(nullptr));
}

}  // namespace

TEST(StateQuarantineTest, TheWaitDoublesFromAMinuteUpToADayOrIsWhatTheServerAsked) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  Quarantine q = s->pair("p").quarantine();
  const int64_t want[] = {60, 120, 240, 480};
  for (int64_t w : want) {
    q.add(Side::kLeft, "a", "HTTP 500", 0);
    EXPECT_NEAR(wait_of(f, "a"), w, 2);
  }
  for (int i = 0; i < 10; ++i) q.add(Side::kLeft, "a", "HTTP 500", 0);
  EXPECT_NEAR(wait_of(f, "a"), 1024 * 60, 2);  // 60 << 10: doubled no more
  EXPECT_EQ(f.count("SELECT attempts FROM quarantine WHERE id = 'a'"), 14);
  q.add(Side::kRight, "x", "HTTP 429", 7);
  EXPECT_NEAR(wait_of(f, "x"), 7, 2);
  auto listed = s->quarantine_list();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].id + listed[0].side + listed[1].id + listed[1].side, "aleftxright");
  EXPECT_EQ(listed[0].error, "HTTP 500");
}

TEST(StateQuarantineTest, ARecordWaitsUntilItsRetryTimeAndIsReleasedOnceSettled) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  PairState p = s->pair("p");
  Quarantine q = p.quarantine();
  p.mirror(Side::kLeft).put(row("a", "{}", "t", true));  // its write still to do
  p.mirror(Side::kLeft).put(row("b", "{}", "t", true));
  p.mirror(Side::kLeft).put(row("c", "{}", "t", true));
  for (const char* id : {"a", "b", "c"}) q.add(Side::kLeft, id, "failed", 0);
  s->pair("q").quarantine().add(Side::kLeft, "a", "failed", 0);
  EXPECT_EQ(q.ids(Side::kLeft, true), (std::set<std::string>{"a", "b", "c"}));
  {
    sql::Db db(f.path.string());
    db.exec("UPDATE quarantine SET next_retry = 0 WHERE id = 'b'");  // its time has come
  }
  EXPECT_EQ(q.ids(Side::kLeft, true), (std::set<std::string>{"a", "c"}));
  EXPECT_EQ(q.ids(Side::kLeft, false), (std::set<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(q.ids(Side::kRight, false).empty());
  p.mirror(Side::kLeft).clear_dirty("b");  // a retry landed
  p.mirror(Side::kLeft).drop("c");         // the record went
  EXPECT_EQ(q.release_settled(), 2);
  EXPECT_EQ(q.ids(Side::kLeft, false), std::set<std::string>{"a"});
  EXPECT_EQ(s->pair("q").quarantine().ids(Side::kLeft, false), std::set<std::string>{"a"});  // not this pair's to settle
  q.release(Side::kLeft, "a");
  EXPECT_TRUE(q.ids(Side::kLeft, false).empty());
}
