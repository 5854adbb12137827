// SPDX-License-Identifier: Apache-2.0
// One pair's conflicts (state/conflicts.cpp) and their decision
// (StateStore::decide): one open conflict per field of a pair of records,
// its values the latest; a decision is the pair's next run's to apply (the
// record marked changed) and only an open conflict can be decided; closing
// keeps the fields still in conflict open.
#include "state_test_util.hpp"

using namespace accord;
using accord::state_test::row;
using accord::state_test::StateFile;

TEST(StateConflictsTest, OneOpenConflictAFieldDecidedForTheNextRunAndClosedOnceSettled) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  PairState p = s->pair("p");
  p.mirror(Side::kLeft).put(row("a", "{}"));
  Conflicts c = p.conflicts();
  c.add({0, "", "a", "x", "/name", "\"A\"", "\"B\"", "", ""});
  c.add({0, "", "a", "x", "/name", "\"A2\"", "\"B2\"", "", ""});  // the same field again: updated
  c.add({0, "", "a", "x", "/phone", "\"1\"", "\"2\"", "", ""});
  s->pair("q").conflicts().add({0, "", "a", "x", "/name", "\"Q\"", "\"R\"", "", ""});
  std::vector<ConflictRow> open = s->conflicts(true);
  ASSERT_EQ(open.size(), 3u);
  EXPECT_EQ(open[0].pair + open[0].field + open[0].left_value + open[0].right_value, "p/name\"A2\"\"B2\"");
  EXPECT_TRUE(c.decisions("a").empty());
  int64_t name_id = open[0].id;
  ASSERT_TRUE(s->decide(name_id, Side::kRight));
  EXPECT_EQ(c.decisions("a"), (std::map<std::string, Side>{{"/name", Side::kRight}}));
  EXPECT_TRUE(s->pair("q").conflicts().decisions("a").empty());
  EXPECT_TRUE(p.mirror(Side::kLeft).find("a")->dirty);  // the next run looks at it again
  c.close("a", {"/phone"});
  open = s->conflicts(true);
  ASSERT_EQ(open.size(), 2u);
  EXPECT_EQ(open[0].field + open[0].pair + open[1].field + open[1].pair, "/phonep/nameq");
  EXPECT_EQ(s->conflicts(false).size(), 3u);
  EXPECT_TRUE(c.decisions("a").empty());
  EXPECT_FALSE(s->decide(name_id, Side::kLeft));  // closed: no longer to decide
}
