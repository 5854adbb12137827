// SPDX-License-Identifier: Apache-2.0
// Schema errors in words (accord/json/schema.hpp): each common mistake
// gets a message that says what is expected there, at its JSON pointer.
#include <accord/json/schema.hpp>

#include <boost/json.hpp>

#include <gtest/gtest.h>

namespace json = boost::json;
using accord::json_schema::explain_schema;
using accord::json_schema::SchemaMessage;

namespace {

const json::value kSchema = json::parse(R"({
  "type": "object", "additionalProperties": false, "required": ["name"],
  "properties": {
    "name": {"type": "string", "minLength": 1, "description": "the pipeline's name"},
    "size": {"type": "integer", "minimum": 1, "maximum": 10},
    "mode": {"enum": ["both", "left-to-right", "right-to-left"]},
    "items": {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/item"}},
    "either": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
    "free": {"type": "object"}
  },
  "definitions": {"item": {"type": "object", "additionalProperties": false,
                           "properties": {"field": {"type": "string"}, "flag": {"type": "boolean"}}}}
})");

std::string said(const std::vector<SchemaMessage>& m) {
  std::string out;
  for (const auto& x : m) out += x.pointer + ": " + x.message + "\n";
  return out;
}

}  // namespace

TEST(SchemaMessagesTest, AValidDocumentHasNothingToSay) {
  auto m = explain_schema(kSchema, json::parse(R"({"name": "a", "size": 3, "mode": "both", "items": [{"field": "x"}],
                                                   "either": ["a"], "free": {"anything": 1}})"));
  EXPECT_TRUE(m.empty()) << said(m);
}

TEST(SchemaMessagesTest, WrongTypeSaysWhatIsExpected) {
  auto m = explain_schema(kSchema, json::parse(R"({"name": "a", "size": "3"})"));
  ASSERT_EQ(m.size(), 1u) << said(m);
  EXPECT_EQ(m[0].pointer, "/size");
  EXPECT_EQ(m[0].message, "is a string (\"3\"); expected a whole number (no quotes)");
  m = explain_schema(kSchema, json::parse(R"({"name": "a", "size": 2.5})"));
  ASSERT_EQ(m.size(), 1u) << said(m);
  EXPECT_EQ(m[0].message, "is a number (2.5); expected a whole number (no quotes)");
}

TEST(SchemaMessagesTest, EnumListsTheAllowedValuesAndTheNearest) {
  auto m = explain_schema(kSchema, json::parse(R"({"name": "a", "mode": "left-to-rigth"})"));
  ASSERT_EQ(m.size(), 1u) << said(m);
  EXPECT_EQ(m[0].message, "is \"left-to-rigth\", which is not allowed here: did you mean \"left-to-right\"? "
                          "(allowed: \"both\", \"left-to-right\", \"right-to-left\")");
  m = explain_schema(kSchema, json::parse(R"({"name": "a", "mode": "sideways"})"));
  ASSERT_EQ(m.size(), 1u) << said(m);
  EXPECT_EQ(m[0].message.find("did you mean"), std::string::npos) << m[0].message;
}

TEST(SchemaMessagesTest, UnknownKeyThroughARefGetsTheNearestKnownOne) {
  auto m = explain_schema(kSchema, json::parse(R"({"name": "a", "items": [{"field": "x"}, {"flga": true}]})"));
  ASSERT_EQ(m.size(), 1u) << said(m);
  EXPECT_EQ(m[0].pointer, "/items/1/flga");
  EXPECT_EQ(m[0].message, "unknown key \"flga\": did you mean \"flag\"? (the keys here: field, flag)");
  m = explain_schema(kSchema, json::parse(R"({"name": "a", "zzzzzz": 1})"));
  ASSERT_EQ(m.size(), 1u) << said(m);
  EXPECT_EQ(m[0].message.rfind("unknown key \"zzzzzz\": remove it, or use one of the keys here: ", 0), 0u) << m[0].message;
}

TEST(SchemaMessagesTest, MissingRequiredRangeAndEmptyAreSaid) {
  auto m = explain_schema(kSchema, json::parse(R"({"size": 11, "items": []})"));
  EXPECT_NE(said(m).find(": needs \"name\", which is missing (the pipeline's name)"), std::string::npos) << said(m);
  EXPECT_NE(said(m).find("/size: is 11; the most allowed is 10"), std::string::npos) << said(m);
  EXPECT_NE(said(m).find("/items: is an empty list; it needs at least 1 item"), std::string::npos) << said(m);
}

TEST(SchemaMessagesTest, OneOfFollowsTheFormThatFitsOrNamesTheForms) {
  auto m = explain_schema(kSchema, json::parse(R"({"name": "a", "either": 5})"));
  ASSERT_EQ(m.size(), 1u) << said(m);
  EXPECT_EQ(m[0].message, "is an integer (5); expected a string (in quotes) or a list ([…])");
  m = explain_schema(kSchema, json::parse(R"({"name": "a", "either": ["a", 1]})"));
  ASSERT_EQ(m.size(), 1u) << said(m);
  EXPECT_EQ(m[0].pointer, "/either/1");
}
