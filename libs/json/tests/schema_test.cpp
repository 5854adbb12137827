// SPDX-License-Identifier: Apache-2.0
// JSON Schema checks (accord/json/schema.hpp): valijson's verdict, the place
// of the fault in a schema it cannot use, and the words for people.
#include <accord/json/schema.hpp>

#include <boost/json.hpp>

#include <gtest/gtest.h>

namespace json = boost::json;
namespace js = accord::json_schema;

namespace {

const json::value kSchema = json::parse(R"({
  "type": "object", "additionalProperties": false,
  "properties": {
    "size": {"type": "integer"},
    "auth": {"type": "object", "properties": {"type": {"enum": ["oauth2", "basic"]}}},
    "id": {"type": "string", "pattern": "^[a-z]+$", "description": "lower-case letters"}
  }
})");

std::string said(const std::vector<js::SchemaMessage>& m) {
  std::string out;
  for (const auto& e : m) out += e.pointer + ": " + e.message + "\n";
  return out;
}

}  // namespace

TEST(JsonSchemaTest, AValidDocumentHasNoErrors) {
  EXPECT_TRUE(js::check(kSchema, json::parse(R"({"size": 3, "auth": {"type": "basic"}})")).valid());
}

TEST(JsonSchemaTest, ValidatorWordsKeepTheMostSpecificPerPointer) {
  auto v = js::check(kSchema, json::parse(R"({"auth": {"type": 1}})"));
  ASSERT_EQ(v.errors.size(), 1u) << said(v.errors);
  EXPECT_EQ(v.errors[0].pointer, "/auth/type");  // the parent /auth left out
}

TEST(JsonSchemaTest, PeopleWordsSayWhatIsExpectedAndTheSchemasDescriptionOfAPattern) {
  auto v = js::check(kSchema, json::parse(R"({"size": "3", "id": "ABC"})"), js::Words::kPeople);
  std::string s = said(v.errors);
  EXPECT_NE(s.find("/size: is a string (\"3\"); expected a whole number"), std::string::npos) << s;
  EXPECT_NE(s.find("/id: does not have the expected form: lower-case letters"), std::string::npos) << s;
  // valijson's words where the walk said nothing, its own words in validator mode
  auto raw = js::check(kSchema, json::parse(R"({"id": "ABC"})"));
  ASSERT_EQ(raw.errors.size(), 1u);
  EXPECT_EQ(raw.errors[0].message.find("does not have the expected form"), std::string::npos);
}

TEST(JsonSchemaTest, AnUnusableSchemaIsAnAnswerNamingThePlaceOfItsFault) {
  // valijson aborts on these unless built to throw
  auto v = js::check(json::parse(R"({"type": "object", "properties": {"size": {"type": 12}}})"), json::parse("{}"));
  EXPECT_TRUE(v.errors.empty());
  EXPECT_NE(v.unusable.find("at /properties/size/type: "), std::string::npos) << v.unusable;
  auto items = js::check(json::parse(R"({"items": [{"type": "string"}, {"minLength": "x"}]})"), json::parse("[]"));
  EXPECT_NE(items.unusable.find("at /items/1/minLength: "), std::string::npos) << items.unusable;
  EXPECT_FALSE(js::check(json::parse(R"({"type": 12})"), json::parse("{}")).unusable.empty());
}

TEST(JsonSchemaTest, AParsedSchemaChecksManyDocumentsAsCheckDoes) {
  js::Schema s(kSchema);
  EXPECT_EQ(s.unusable(), "");
  for (const char* doc : {R"({"size": 3})", R"({"auth": {"type": 1}})", R"({"size": "3", "id": "ABC"})", "[]"})
    for (auto words : {js::Words::kValidator, js::Words::kPeople})
      EXPECT_EQ(said(s.check(json::parse(doc), words).errors), said(js::check(kSchema, json::parse(doc), words).errors))
          << doc;
  js::Schema bad(json::parse(R"({"type": "object", "properties": {"size": {"type": 12}}})"));
  EXPECT_NE(bad.unusable().find("at /properties/size/type: "), std::string::npos) << bad.unusable();
  EXPECT_EQ(bad.check(json::parse("{}")).unusable, bad.unusable());
}

TEST(JsonSchemaTest, ARefToAnotherDocumentIsResolvedThroughRefs) {
  const json::value record = json::parse(R"({"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}})");
  const json::value batch = json::parse(
      R"({"type": "object", "properties": {"records": {"type": "array", "items": {"$ref": "https://x.example/record.schema.json"}}}})");
  std::vector<std::string> asked;
  js::Schema s(batch, [&](const std::string& uri) -> const json::value* {
    asked.push_back(uri);
    return uri.size() >= 18 && uri.compare(uri.size() - 18, 18, "record.schema.json") == 0 ? &record : nullptr;
  });
  ASSERT_EQ(s.unusable(), "");
  ASSERT_FALSE(asked.empty());
  EXPECT_TRUE(s.check(json::parse(R"({"records": [{"id": "a"}]})")).valid());
  auto v = s.check(json::parse(R"({"records": [{"id": "a"}, {"id": 7}, {}]})"));
  EXPECT_EQ(said(v.errors).find("/records/1/id: "), 0u) << said(v.errors);
  EXPECT_NE(said(v.errors).find("/records/2: "), std::string::npos) << said(v.errors);
  // not resolved: the schema cannot be used, and says so instead of ending the program
  js::Schema lost(batch, [](const std::string&) -> const json::value* { return nullptr; });
  EXPECT_FALSE(lost.unusable().empty());
  EXPECT_FALSE(lost.check(json::parse("{}")).valid());
}

TEST(JsonSchemaTest, SchemaAtFollowsPropertiesMapsItemsAndRefs) {
  const json::value schema = json::parse(R"({"type": "object", "definitions": {"text": {"type": "string", "description": "words"}},
    "properties": {"emails": {"type": "object", "additionalProperties": {"properties": {"address": {"$ref": "#/definitions/text"}}}},
                   "list": {"type": "array", "items": {"type": "integer"}}}})");
  const json::value* a = js::schema_at(schema, "/emails/e1/address");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->at("description"), "words");
  ASSERT_NE(js::schema_at(schema, "/list/3"), nullptr);
  EXPECT_EQ(js::schema_at(schema, "/list/3")->at("type"), "integer");
  EXPECT_EQ(js::schema_at(schema, ""), &schema);
  EXPECT_EQ(js::schema_at(schema, "/nothing"), nullptr);
  // a pattern's description is said through a $ref too
  const json::value p = json::parse(R"({"definitions": {"ptr": {"type": "string", "pattern": "^/", "description": "a JSON pointer"}},
    "properties": {"m": {"type": "object", "additionalProperties": {"$ref": "#/definitions/ptr"}}}})");
  auto v = js::check(p, json::parse(R"({"m": {"x": "nope"}})"), js::Words::kPeople);
  EXPECT_NE(said(v.errors).find("/m/x: does not have the expected form: a JSON pointer"), std::string::npos) << said(v.errors);
}

// A schema whose $ref names another document, checked with nothing to find
// it by (a connector's config_schema, the kit's schema_errors): unusable,
// saying so; it recursed until the stack overflowed (seen with the SDK's
// batch.schema.json, whose records are a $ref to record.schema.json).
TEST(JsonSchemaTest, ARefToAnotherDocumentWithNoRefsIsUnusableNotAnOverflow) {
  for (const char* ref : {"record.schema.json", "https://x.example/record.schema.json", "other.json#/definitions/a"}) {
    const json::value batch = json::parse(std::string(R"({"type": "object", "properties": {"records": {"type": "array", "items": {"$ref": ")") +
                                          ref + R"("}}}})");
    js::Verdict v = js::check(batch, json::parse(R"({"records": [{"id": "a"}]})"));
    EXPECT_FALSE(v.unusable.empty()) << ref;
    js::Schema s(batch);
    EXPECT_FALSE(s.unusable().empty()) << ref;
  }
  EXPECT_NE(js::check(json::parse(R"({"$ref": "#"})"), json::parse("{}")).unusable.find("the schema is a \"$ref\" to itself"),
            std::string::npos);
  // with a base, a relative name goes to refs as before (valijson hands it over as written)
  const json::value record = json::parse(R"({"type": "object", "required": ["id"]})");
  js::Schema based(json::parse(R"({"$id": "https://x.example/batch.json", "type": "array", "items": {"$ref": "record.json"}})"),
                   [&](const std::string& uri) -> const json::value* { return uri.ends_with("record.json") ? &record : nullptr; });
  ASSERT_EQ(based.unusable(), "");
  EXPECT_FALSE(based.check(json::parse("[{}]")).valid());
  EXPECT_TRUE(based.check(json::parse(R"([{"id": 1}])")).valid());
  // a recursive definition is not endless
  EXPECT_EQ(js::check(json::parse(R"({"type": "object", "properties": {"kids": {"type": "array", "items": {"$ref": "#"}}}})"),
                      json::parse(R"({"kids": [{"kids": []}]})")).unusable, "");
}
