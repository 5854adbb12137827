// SPDX-License-Identifier: Apache-2.0
// What a side keeps of a record's fields: `covers` (a field is another or
// one of its ancestors, "*" for any one segment) and `left_behind` over it.
#include "mapping/field_travel.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

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
