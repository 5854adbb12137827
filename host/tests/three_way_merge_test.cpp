// SPDX-License-Identifier: Apache-2.0
// The merge matrix: each side unchanged / changed / deleted, on the same field
// or different fields, under each conflict policy, and field owners.
#include "engine/three_way_merge.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace json = boost::json;
using namespace accord;

namespace {

Fields base() { return {{"/a", json::value("a0")}, {"/b", json::value("b0")}}; }

struct Case {
  Fields bl = base(), br = base(), l = base(), r = base();
  bool l_deleted = false, r_deleted = false;
  Policy policy = Policy::kNewest;
  std::string lmod = "2026-01-01T10:00:00Z", rmod = "2026-01-01T09:00:00Z";
  std::map<std::string, Side> owners;
  MergeResult run() const {
    MergeInput in;
    in.base_left = &bl;
    in.base_right = &br;
    in.left = l_deleted ? nullptr : &l;
    in.right = r_deleted ? nullptr : &r;
    in.left_modified = lmod;
    in.right_modified = rmod;
    in.policy = policy;
    in.owners = &owners;
    return three_way_merge(in);
  }
};

json::value v(const char* s) { return json::value(s); }

}  // namespace

// ---- unchanged × {unchanged, changed, deleted} ----

TEST(MergeTest, BothUnchangedDoesNothing) { EXPECT_TRUE(Case{}.run().nothing()); }

TEST(MergeTest, OnlyRightChangedCopiesToLeft) {
  Case c;
  c.r["/a"] = v("a1");
  auto m = c.run();
  ASSERT_EQ(m.to_left.size(), 1u);
  EXPECT_EQ(*m.to_left.at("/a"), v("a1"));
  EXPECT_TRUE(m.to_right.empty());
  EXPECT_TRUE(m.conflicts.empty());
}

TEST(MergeTest, OnlyLeftChangedCopiesToRight) {
  Case c;
  c.l["/b"] = v("b1");
  auto m = c.run();
  EXPECT_EQ(*m.to_right.at("/b"), v("b1"));
  EXPECT_TRUE(m.to_left.empty());
}

TEST(MergeTest, RightDeletedLeftUnchangedDeletesLeft) {
  Case c;
  c.r_deleted = true;
  auto m = c.run();
  EXPECT_TRUE(m.delete_left);
  EXPECT_FALSE(m.delete_right);
}

TEST(MergeTest, LeftDeletedRightUnchangedDeletesRight) {
  Case c;
  c.l_deleted = true;
  EXPECT_TRUE(c.run().delete_right);
}

// ---- changed × changed ----

TEST(MergeTest, BothSidesChangedDifferentFieldsMergesCleanly) {
  Case c;
  c.l["/a"] = v("a1");
  c.r["/b"] = v("b1");
  auto m = c.run();
  EXPECT_TRUE(m.conflicts.empty());
  EXPECT_EQ(*m.to_right.at("/a"), v("a1"));
  EXPECT_EQ(*m.to_left.at("/b"), v("b1"));
}

TEST(MergeTest, BothSidesChangedSameFieldSameValueIsNoConflict) {
  Case c;
  c.l["/a"] = v("same");
  c.r["/a"] = v("same");
  auto m = c.run();
  EXPECT_TRUE(m.nothing());
  EXPECT_TRUE(m.conflicts.empty());
}

TEST(MergeTest, SameFieldConflictNewestTakesTheLaterSide) {
  Case c;
  c.l["/a"] = v("L");
  c.r["/a"] = v("R");
  c.lmod = "2026-01-01T08:00:00Z";
  c.rmod = "2026-01-01T09:00:00.5Z";  // fractions and formats differ across connectors
  auto m = c.run();
  ASSERT_EQ(m.conflicts.size(), 1u);
  EXPECT_EQ(m.conflicts[0].winner, Side::kRight);
  EXPECT_EQ(m.conflicts[0].reason, "newest");
  EXPECT_EQ(*m.to_left.at("/a"), v("R"));
  EXPECT_TRUE(m.to_right.empty());
}

// Zones differ across connectors too: 12:00+02:00 is 10:00Z, before 11:00Z;
// 10:00-02:00 is 12:00Z, after it.
TEST(MergeTest, SameFieldConflictNewestComparesInstantsAcrossZones) {
  Case c;
  c.l["/a"] = v("L");
  c.r["/a"] = v("R");
  c.lmod = "2026-01-01T12:00:00+02:00";
  c.rmod = "2026-01-01T11:00:00Z";
  auto m = c.run();
  ASSERT_EQ(m.conflicts.size(), 1u);
  EXPECT_EQ(m.conflicts[0].winner, Side::kRight);
  c.lmod = "2026-01-01T10:00:00-02:00";
  m = c.run();
  ASSERT_EQ(m.conflicts.size(), 1u);
  EXPECT_EQ(m.conflicts[0].winner, Side::kLeft);
}

TEST(MergeTest, SameFieldConflictLeftWins) {
  Case c;
  c.l["/a"] = v("L");
  c.r["/a"] = v("R");
  c.policy = Policy::kLeftWins;
  c.lmod = "2000-01-01T00:00:00Z";  // older, but the policy decides
  auto m = c.run();
  EXPECT_EQ(*m.to_right.at("/a"), v("L"));
  EXPECT_EQ(m.conflicts[0].reason, "left-wins");
}

TEST(MergeTest, SameFieldConflictRightWins) {
  Case c;
  c.l["/a"] = v("L");
  c.r["/a"] = v("R");
  c.policy = Policy::kRightWins;
  auto m = c.run();
  EXPECT_EQ(*m.to_left.at("/a"), v("R"));
}

TEST(MergeTest, SameFieldConflictManualWritesNothingAndKeepsTheField) {
  Case c;
  c.l["/a"] = v("L");
  c.r["/a"] = v("R");
  c.l["/b"] = v("b1");  // a clean change still travels
  c.policy = Policy::kManual;
  auto m = c.run();
  EXPECT_FALSE(m.to_left.contains("/a"));
  EXPECT_FALSE(m.to_right.contains("/a"));
  EXPECT_EQ(*m.to_right.at("/b"), v("b1"));
  ASSERT_EQ(m.manual_fields.size(), 1u);
  EXPECT_FALSE(m.conflicts[0].winner.has_value());
}

TEST(MergeTest, SameFieldConflictKeepBothAsksForACopy) {
  Case c;
  c.l["/a"] = v("L");
  c.r["/a"] = v("R");
  c.policy = Policy::kKeepBoth;
  auto m = c.run();
  EXPECT_TRUE(m.keep_both);
  EXPECT_EQ(*m.to_right.at("/a"), v("L"));
}

TEST(MergeTest, FieldOwnerBeatsThePolicy) {
  Case c;
  c.l["/a"] = v("L");
  c.r["/a"] = v("R");
  c.policy = Policy::kLeftWins;
  c.owners["/a"] = Side::kRight;
  auto m = c.run();
  EXPECT_EQ(*m.to_left.at("/a"), v("R"));
  EXPECT_EQ(m.conflicts[0].reason, "owner");
}

TEST(MergeTest, RemovedFieldTravelsAsRemoval) {
  Case c;
  c.l.erase("/b");
  auto m = c.run();
  ASSERT_TRUE(m.to_right.contains("/b"));
  EXPECT_FALSE(m.to_right.at("/b").has_value());
}

// ---- changed × deleted ----

TEST(MergeTest, DeletedOnLeftChangedOnRightComesBackOnLeft) {
  for (Policy p : {Policy::kNewest, Policy::kRightWins, Policy::kManual, Policy::kKeepBoth}) {
    Case c;
    c.l_deleted = true;
    c.r["/a"] = v("a1");
    c.policy = p;
    auto m = c.run();
    EXPECT_TRUE(m.recreate_left) << policy_name(p);
    EXPECT_FALSE(m.delete_right) << policy_name(p);
  }
}

TEST(MergeTest, DeletedOnLeftChangedOnRightLeftWinsDeletes) {
  Case c;
  c.l_deleted = true;
  c.r["/a"] = v("a1");
  c.policy = Policy::kLeftWins;
  auto m = c.run();
  EXPECT_TRUE(m.delete_right);
  EXPECT_FALSE(m.recreate_left);
}

TEST(MergeTest, DeletedOnRightChangedOnLeftComesBackOnRight) {
  Case c;
  c.r_deleted = true;
  c.l["/b"] = v("b1");
  auto m = c.run();
  EXPECT_TRUE(m.recreate_right);
}

TEST(MergeTest, DeletedOnRightChangedOnLeftRightWinsDeletes) {
  Case c;
  c.r_deleted = true;
  c.l["/b"] = v("b1");
  c.policy = Policy::kRightWins;
  EXPECT_TRUE(c.run().delete_left);
}

TEST(MergeTest, DeletedOnBothSidesForgetsThePair) {
  Case c;
  c.l_deleted = c.r_deleted = true;
  auto m = c.run();
  EXPECT_TRUE(m.both_deleted);
  EXPECT_FALSE(m.delete_left || m.delete_right);
}

// ---- first match: no base ----

TEST(MergeTest, FirstMatchFillsGapsBothWaysAndSettlesDifferencesByPolicy) {
  Fields l{{"/a", v("same")}, {"/b", v("only-left")}, {"/c", v("L")}};
  Fields r{{"/a", v("same")}, {"/d", v("only-right")}, {"/c", v("R")}};
  MergeInput in;
  in.left = &l;
  in.right = &r;
  in.policy = Policy::kRightWins;
  auto m = three_way_merge(in);
  EXPECT_EQ(*m.to_right.at("/b"), v("only-left"));
  EXPECT_EQ(*m.to_left.at("/d"), v("only-right"));
  EXPECT_EQ(*m.to_left.at("/c"), v("R"));
  EXPECT_FALSE(m.to_left.contains("/a"));
  EXPECT_EQ(m.conflicts.size(), 1u);
}

TEST(MergeTest, OneWayFieldIgnoresTheOtherSidesEdits) {
  Case c;
  c.l["/a"] = v("L");
  c.r["/a"] = v("R");
  MergeInput in;
  in.base_left = &c.bl;
  in.base_right = &c.br;
  in.left = &c.l;
  in.right = &c.r;
  in.policy = Policy::kRightWins;
  in.flows_to = [](const std::string& k, Side t) { return !(k == "/a" && t == Side::kLeft); };  // /a: left to right only
  auto m = three_way_merge(in);
  EXPECT_EQ(*m.to_right.at("/a"), v("L"));
  EXPECT_TRUE(m.conflicts.empty());
}
