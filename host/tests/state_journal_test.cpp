// SPDX-License-Identifier: Apache-2.0
// One pair's journal (state/journal.cpp): intents come back oldest first,
// each pair's only (the view's pair, whatever the row says), until done;
// the state-wide size counts every pair's.
#include "state_test_util.hpp"

using namespace accord;
using accord::state_test::StateFile;

TEST(StateJournalTest, IntentsComeBackOldestFirstForTheirPairUntilDone) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  Journal p = s->pair("p").journal(), q = s->pair("q").journal();
  int64_t first = p.add({0, "", "right", "create", "", "a", "k-a", "{\"n\":1}"});
  int64_t theirs = q.add({0, "p", "left", "delete", "x", "y", "k-x", ""});  // row.pair is not read
  int64_t second = p.add({0, "", "left", "update", "b2", "b", "k-b", "{\"n\":2}"});
  EXPECT_LT(first, second);
  EXPECT_EQ(s->journal_size(), 3);
  std::vector<JournalRow> mine = p.list();
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0].id, first);
  EXPECT_EQ(mine[0].pair, "p");
  EXPECT_EQ(mine[0].op, "create");
  EXPECT_EQ(mine[0].idem_key, "k-a");
  EXPECT_EQ(mine[0].data, "{\"n\":1}");
  EXPECT_EQ(mine[1].target_id, "b2");
  ASSERT_EQ(q.list().size(), 1u);
  EXPECT_EQ(q.list()[0].pair, "q");
  p.done(first);
  ASSERT_EQ(p.list().size(), 1u);
  EXPECT_EQ(p.list()[0].id, second);
  q.done(theirs);
  EXPECT_TRUE(q.list().empty());
  EXPECT_EQ(s->journal_size(), 1);
}
