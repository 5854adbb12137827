// SPDX-License-Identifier: Apache-2.0
// What a side keeps of a record's fields: `covers` (a field is another or
// one of its ancestors, "*" for any one segment) and `left_behind` over it.
#include "mapping/field_travel.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <functional>
#include <random>

namespace json = boost::json;
using namespace accord;

TEST(FieldTravelTest, CoversAFieldItsAncestorsAndWildcardsSegmentBySegment) {
  EXPECT_TRUE(covers("/emails", "/emails"));
  EXPECT_TRUE(covers("/emails", "/emails/e1/address"));
  EXPECT_FALSE(covers("/emails/e1/address", "/emails"));  // deeper than the other
  EXPECT_TRUE(covers("/emails/*/address", "/emails/e1/address"));
  EXPECT_TRUE(covers("/emails/e1", "/emails/*/address"));  // (a wildcard on either side)
  EXPECT_FALSE(covers("/emails/*/address", "/emails/e1/label"));
  EXPECT_FALSE(covers("/email", "/emails"));  // whole segments, not prefixes of a name
  EXPECT_FALSE(covers("/emails", "/email"));
  EXPECT_TRUE(covers("", "/anything"));  // the root covers all
  EXPECT_TRUE(covers("/", "/anything"));
  EXPECT_FALSE(covers("/a", ""));
  EXPECT_TRUE(covers("emails", "/emails/e1"));  // (the leading "/" is optional)
  EXPECT_TRUE(covers("/a/", "/a/"));  // an empty last segment is one
  EXPECT_FALSE(covers("/a/", "/a"));
  EXPECT_FALSE(covers("/a//b", "/a/b"));
  EXPECT_TRUE(covers("/a//b", "/a//b/c"));
}

TEST(FieldTravelTest, LeftBehindNamesEachLostFieldAtItsShallowestLevel) {
  json::value data = json::parse(R"({"@type": "Card", "version": "1.0", "name": {"full": "Ada"},
    "emails": {"e1": {"address": "a@x", "label": "work"}}, "media": {"m1": {"uri": "u"}}, "notes": null})");
  std::vector<std::string> kept = {"/name", "/emails/*/address"};
  EXPECT_EQ(left_behind(data, kept), (std::vector<std::string>{"/emails/e1/label", "/media"}));
  EXPECT_TRUE(left_behind(data, {}).empty());  // a side that keeps any field
  EXPECT_EQ(left_behind(json::parse(R"({"e1": {"address": "b", "kind": "k"}})"), kept, "/emails"),
            (std::vector<std::string>{"/emails/e1/kind"}));
}

// KeptFields (a record's top-level members judged by name) answers what
// left_behind over the list answers: the same paths in the same order, for
// kept lists and records of every awkward shape (a kept field with no
// segment or an empty one, "*" first or deeper, a member named "", "*",
// "a/b", "@x", "version", null, deeper objects).
TEST(FieldTravelTest, KeptFieldsLeavesBehindWhatTheListDoes) {
  const std::vector<std::string> segs = {"a", "b", "c", "*", "", "version", "@t", "\x1f(none)"};
  const std::vector<std::string> names = {"a", "b", "c", "d", "*", "", "a/b", "a/", "/a", "@t", "version", "*/a"};
  std::mt19937 rng(20261208);
  auto pick = [&](const auto& v) { return v[rng() % v.size()]; };
  auto pointer = [&] {
    std::string p = rng() % 8 ? "/" : "";  // (the leading "/" is optional)
    size_t n = rng() % 4;
    for (size_t i = 0; i < n; ++i) p += (i ? "/" : "") + pick(segs);
    return p;
  };
  std::function<json::value(int)> value = [&](int depth) -> json::value {
    switch (rng() % 5) {
      case 0: return nullptr;
      case 1: return "x";
      default:
        if (depth > 2) return 1;
        json::object o;
        for (size_t i = 0, n = rng() % 4; i < n; ++i) o[pick(names)] = value(depth + 1);
        return o;
    }
  };
  size_t behind = 0;
  for (int round = 0; round < 20000; ++round) {
    std::vector<std::string> kept;
    for (size_t i = 0, n = rng() % 5; i < n; ++i) kept.push_back(pointer());
    json::object data;
    for (size_t i = 0, n = rng() % 7; i < n; ++i) data[pick(names)] = value(1);
    std::vector<std::string> want = left_behind(data, kept);
    ASSERT_EQ(KeptFields(kept).left_behind(data), want) << json::serialize(data) << " kept " << kept.size();
    behind += want.size();
  }
  EXPECT_GT(behind, 5000u);  // (most records leave something behind: the comparison is not of empty lists)
  json::value card = json::parse(R"({"@type": "Card", "version": "1.0", "name": {"full": "Ada"},
    "emails": {"e1": {"address": "a@x", "label": "work"}}, "media": {"m1": {"uri": "u"}}, "notes": null})");
  using Fields = std::vector<std::string>;
  EXPECT_EQ(KeptFields(Fields{"/name", "/emails/*/address"}).left_behind(card), (Fields{"/emails/e1/label", "/media"}));
  EXPECT_TRUE(KeptFields(Fields{}).left_behind(card).empty());  // a side that keeps any field
  EXPECT_TRUE(KeptFields(Fields{"/"}).left_behind(card).empty());
  EXPECT_EQ(KeptFields(Fields{"/*/e1"}).left_behind(card), (Fields{"/name/full", "/media/m1"}));
}
