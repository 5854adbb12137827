// SPDX-License-Identifier: Apache-2.0
// Configuration read through the manifest's schema: defaults, pointers in
// errors, typed reads.
#include <accord/kit/config.hpp>

#include <gtest/gtest.h>

#include <cstdlib>

namespace json = boost::json;
namespace kit = accord::kit;

namespace {
const json::value& schema() {
  static const json::value s = json::parse(R"({
    "type": "object", "additionalProperties": false, "required": ["path"],
    "properties": {
      "path": {"type": "string", "minLength": 1},
      "mode": {"type": "string", "enum": ["a", "b"], "default": "a"},
      "batch_size": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
      "folders": {"type": "array", "items": {"type": "string"}, "default": ["*"]},
      "tls": {"type": "boolean", "default": true},
      "auth": {"type": "object", "properties": {"type": {"type": "string", "default": "none"},
                                                "timeout": {"type": "number", "default": 2.5}}}}})");
  return s;
}

std::string error_of(std::string_view config) {
  try {
    kit::Config c(config, schema());
  } catch (const accord::Error& e) {
    EXPECT_EQ(e.status(), ACCORD_ERROR);
    return e.what();
  }
  return "(valid)";
}
}  // namespace

TEST(KitConfig, FillsInTheSchemasDefaults) {
  kit::Config c(R"({"path": "~/x", "auth": {}})", schema());
  EXPECT_EQ(c.str("/mode"), "a");
  EXPECT_EQ(c.integer("/batch_size"), 10);
  EXPECT_EQ(c.strings("/folders"), std::vector<std::string>{"*"});
  EXPECT_TRUE(c.boolean("/tls"));
  EXPECT_EQ(c.str("/auth/type"), "none");
  EXPECT_DOUBLE_EQ(c.number("/auth/timeout"), 2.5);
  EXPECT_FALSE(c.has("/nothing"));
  EXPECT_TRUE(c.has("/mode"));
  EXPECT_FALSE(c.given("/mode"));
  EXPECT_TRUE(c.given("/auth"));
  EXPECT_EQ(c.str("/nothing", "fb"), "fb");
  if (const char* home = std::getenv("HOME")) {
    EXPECT_EQ(c.path("/path"), std::filesystem::path(home) / "x");
  }
  // an object the config leaves out gets no defaults of its members
  EXPECT_FALSE(kit::Config(R"({"path": "p"})", schema()).has("/auth"));
}

TEST(KitConfig, GivenValuesWin) {
  kit::Config c(R"({"path": "p", "mode": "b", "batch_size": 99, "folders": [], "tls": false})", schema());
  EXPECT_EQ(c.str("/mode"), "b");
  EXPECT_EQ(c.integer("/batch_size"), 99);
  EXPECT_TRUE(c.strings("/folders").empty());
  EXPECT_FALSE(c.boolean("/tls"));
}

TEST(KitConfig, ErrorsNameTheJsonPointer) {
  EXPECT_EQ(error_of("[1]"), "config: must be a JSON object");
  EXPECT_EQ(error_of("{"), "config: must be a JSON object");
  EXPECT_NE(error_of(R"({"path": "p", "batch_size": 0})").find("config: /batch_size: "), std::string::npos);
  EXPECT_NE(error_of(R"({"path": "p", "mode": "c"})").find("config: /mode: "), std::string::npos);
  EXPECT_NE(error_of(R"({"path": "p", "auth": {"type": 3}})").find("config: /auth/type: "), std::string::npos);
  EXPECT_NE(error_of(R"({"path": "p", "colour": 1})").find("colour"), std::string::npos);
  EXPECT_NE(error_of(R"({})").find("path"), std::string::npos);
  EXPECT_NE(error_of(R"({"path": ""})").find("config: /path: "), std::string::npos);
  EXPECT_EQ(error_of(R"({"path": "p"})"), "(valid)");
}

TEST(KitConfig, AValueOfAnotherTypeThanReadNamesItsPointer) {
  // "extra" is not in the schema: nothing checked its type before the read
  kit::Config c(json::parse(R"({"path": "p", "auth": {"extra": 3}})"), schema());
  try {
    c.str("/auth/extra");
    FAIL();
  } catch (const accord::Error& e) {
    EXPECT_STREQ(e.what(), "config: /auth/extra: must be a string");
  }
  EXPECT_EQ(c.integer("/auth/extra"), 3);
}

TEST(KitConfig, FailNamesThePointer) {
  try {
    kit::Config::fail("/oauth2/token_url", "must start with https://");
    FAIL();
  } catch (const accord::Error& e) {
    EXPECT_STREQ(e.what(), "config: /oauth2/token_url: must start with https://");
  }
}

TEST(KitConfig, SchemaErrorsKeepTheMostSpecific) {
  auto errs = kit::schema_errors(schema(), json::parse(R"({"path": "p", "auth": {"type": 1}})"));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].pointer, "/auth/type");
  auto bad = kit::schema_errors(json::parse(R"({"type": 12})"), json::parse("{}"));
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_NE(bad[0].message.find("the schema itself is invalid"), std::string::npos);
}
