// SPDX-License-Identifier: Apache-2.0
// One pair's links (state/links.cpp) and the move of a record to a new id
// (PairState::rekey): a link written again keeps its new bases; a dropped
// link leaves neither record linked; two pairs' links never meet; a record that takes a new id keeps its link, its open
// conflicts and its place in quarantine, from either side.
#include "state_test_util.hpp"

using namespace accord;
using accord::state_test::row;
using accord::state_test::StateFile;

TEST(StateLinksTest, ALinkWrittenAgainKeepsItsNewBasesAndMovesWithANewRecord) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  Links p = s->pair("p").links();
  p.put({"a", "x", "", ""});
  p.put({"a", "x", "", ""});  // as it stands
  p.put({"a", "x", "{\"l\":1}", "{\"r\":1}"});
  ASSERT_TRUE(p.find(Side::kRight, "x"));
  EXPECT_EQ(p.find(Side::kRight, "x")->base_left, "{\"l\":1}");
  EXPECT_EQ(p.find(Side::kLeft, "a")->base_right, "{\"r\":1}");
  p.put({"a", "x", "", ""});  // back to the mirror's
  EXPECT_EQ(p.find(Side::kLeft, "a")->base_left, "");
  p.put({"a", "y", "", ""});  // another record on the right: x is no longer linked
  EXPECT_FALSE(p.find(Side::kRight, "x"));
  EXPECT_EQ(p.find(Side::kRight, "y")->left_id, "a");
  p.put({"b", "y", "", ""});  // and y taken by another left record: a is no longer linked
  EXPECT_FALSE(p.find(Side::kLeft, "a"));
  EXPECT_EQ(p.count(), 1);
  EXPECT_EQ(f.count("SELECT count(*) FROM link_rights"), 1);
}

TEST(StateLinksTest, ADroppedLinkLeavesNeitherRecordLinkedAndTheOtherPairUntouched) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  Links p = s->pair("p").links(), q = s->pair("q").links();
  p.put({"a", "x", "", ""});
  p.put({"b", "y", "", ""});
  q.put({"a", "x", "{}", ""});
  EXPECT_EQ(p.count(), 2);
  p.drop("a");
  EXPECT_FALSE(p.find(Side::kLeft, "a"));
  EXPECT_FALSE(p.find(Side::kRight, "x"));
  EXPECT_EQ(p.find(Side::kRight, "y")->left_id, "b");
  EXPECT_EQ(p.count(), 1);
  EXPECT_EQ(f.count("SELECT count(*) FROM link_rights WHERE pair = 'p'"), 1);
  ASSERT_TRUE(q.find(Side::kRight, "x"));
  EXPECT_EQ(q.find(Side::kRight, "x")->base_left, "{}");
  p.drop("b");
  EXPECT_FALSE(p.any());
  EXPECT_TRUE(q.any());
}

TEST(StateLinksTest, ARecordThatTakesANewIdKeepsItsLinkConflictsAndQuarantineOnEitherSide) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  PairState p = s->pair("p");
  for (Side side : {Side::kLeft, Side::kRight}) {
    std::string old_id = side == Side::kLeft ? "a" : "x", new_id = side == Side::kLeft ? "a2" : "x2";
    std::string other_id = side == Side::kLeft ? "x" : "a2";
    p.mirror(side).put(row(old_id, "{}"));
    p.mirror(side).put(row(new_id, "{}"));
    if (side == Side::kLeft) {
      p.links().put({"a", "x", "{\"base\":1}", ""});
      p.conflicts().add({0, "", "a", "x", "/name", "\"A\"", "\"B\"", "", ""});
    }
    p.quarantine().add(side, old_id, "it failed", 0);
    p.rekey(side, old_id, new_id);
    SCOPED_TRACE(side_name(side));
    EXPECT_FALSE(p.mirror(side).find(old_id));
    ASSERT_TRUE(p.links().find(side, new_id));
    EXPECT_EQ(p.links().find(side, new_id)->base_left, "{\"base\":1}");
    EXPECT_EQ(p.links().find(other(side), other_id)->left_id + p.links().find(other(side), other_id)->right_id,
              side == Side::kLeft ? "a2x" : "a2x2");
    EXPECT_FALSE(p.links().find(side, old_id));
    EXPECT_EQ(p.quarantine().ids(side, false), std::set<std::string>{new_id});
    auto open = s->conflicts(true);
    ASSERT_EQ(open.size(), 1u);
    EXPECT_EQ(side == Side::kLeft ? open[0].left_id : open[0].right_id, new_id);
  }
}
