// SPDX-License-Identifier: Apache-2.0
// Field paths with selectors, transforms and the pair form.
#include <accord/mapping/field_path.hpp>
#include <accord/mapping/transform.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace json = boost::json;
using namespace accord;

TEST(FieldPathTest, SelectorsReadTheCanonicalShapes) {
  json::value card = json::parse(R"({"name":{"components":[{"kind":"given","value":"Ada"},{"kind":"surname","value":"L"}]},
                                      "emails":{"x9":{"address":"a@b"},"x2":{"address":"c@d"}}})");
  EXPECT_EQ(*FieldPath::parse("/name/components/[kind=surname]/value")->get(card), "L");
  EXPECT_EQ(*FieldPath::parse("/emails/*/address")->get(card), "a@b");
  EXPECT_EQ(FieldPath::parse("/emails/*/label")->get(card), nullptr);
  EXPECT_EQ(*FieldPath::parse("/name/components/1/kind")->get(card), "surname");
}

TEST(FieldPathTest, SetCreatesWhatIsMissing) {
  json::value v = json::object();
  FieldPath::parse("/name/components/[kind=given]/value")->set(v, "Grace");
  FieldPath::parse("/name/components/[kind=surname]/value")->set(v, "Hopper");
  FieldPath::parse("/emails/*/address")->set(v, "g@navy");
  EXPECT_EQ(json::serialize(v), R"({"name":{"components":[{"kind":"given","value":"Grace"},{"kind":"surname","value":"Hopper"}]},"emails":{"1":{"address":"g@navy"}}})");
  FieldPath::parse("/emails/*/address")->set(v, "new@navy");  // the first existing member
  EXPECT_EQ(v.at_pointer("/emails/1/address"), "new@navy");
  FieldPath::parse("/name/components/[kind=given]")->erase(v);
  EXPECT_EQ(v.at_pointer("/name/components").as_array().size(), 1u);
}

TEST(FieldPathTest, BadPathsAreRefusedWithTheReason) {
  EXPECT_FALSE(FieldPath::parse("name"));
  EXPECT_NE(FieldPath::parse("/x/[kind]").error().message.find("[field=value]"), std::string::npos);
}

TEST(TransformTest, ClosedSetRoundTrips) {
  auto e164 = parse_transform(json::parse(R"({"e164":{"country_code":"44"}})"));
  ASSERT_TRUE(e164);
  EXPECT_EQ(e164->to_right("020 7946 0000"), "+442079460000");
  EXPECT_EQ(e164->to_right("+1 (202) 555-0100"), "+12025550100");
  auto map = parse_transform(json::parse(R"({"map":{"Hot":"A","Cold":"C"}})"));
  EXPECT_EQ(map->to_right("Hot"), "A");
  EXPECT_EQ(map->to_left("C"), "Cold");
  auto date = parse_transform(json::parse(R"({"date":{"left":"iso8601","right":"epoch_ms"}})"));
  EXPECT_EQ(date->to_right("2026-03-01T10:00:00Z"), json::value(1772359200000));
  EXPECT_EQ(date->to_left(json::value(1772359200000)), "2026-03-01T10:00:00Z");
  auto tz = parse_transform(json::parse(R"({"timezone":{"left":"Europe/London","right":"America/New_York"}})"));
  ASSERT_TRUE(tz) << tz.error().message;
  EXPECT_EQ(tz->to_right("2026-07-01T15:00:00"), "2026-07-01T10:00:00");
  EXPECT_EQ(tz->to_left("2026-01-15T10:00:00"), "2026-01-15T15:00:00");
  EXPECT_FALSE(parse_transform("shout"));
  EXPECT_FALSE(parse_transform(json::parse(R"({"map":{"a":"x","b":"x"}})")));
  EXPECT_FALSE(parse_transform(json::parse(R"({"timezone":{"left":"Mars/Olympus","right":"UTC"}})")));
}

TEST(TransformTest, Normalisers) {
  EXPECT_EQ((*parse_normaliser("email"))(" Ada@Example.ORG "), "ada@example.org");
  EXPECT_EQ((*parse_normaliser("phone"))("+44 (0)20 7946-0000"), (*parse_normaliser("phone"))("020 7946 0000"));
  EXPECT_EQ((*parse_normaliser("name"))("  Ada   LOVELACE "), "ada lovelace");
  EXPECT_FALSE(parse_normaliser("soundex"));
}
