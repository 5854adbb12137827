// SPDX-License-Identifier: Apache-2.0
// Versioned cursors: what one version wrote, that version reads; anything
// else is an orderly CURSOR_EXPIRED.
#include <accord/kit/cursor.hpp>

#include <gtest/gtest.h>

namespace json = boost::json;
namespace kit = accord::kit;

namespace {
std::string expired_why(const kit::CursorFormat& f, std::string_view text) {
  try {
    f.read(text);
  } catch (const accord::Error& e) {
    EXPECT_EQ(e.status(), ACCORD_CURSOR_EXPIRED);
    return e.what();
  }
  return "(read)";
}
}  // namespace

TEST(KitCursor, RoundTripsItsBody) {
  kit::CursorFormat f("imap", 1);
  std::string text = f.write(json::object{{"acct", "x"}, {"f", json::object{}}});
  EXPECT_EQ(text, R"(imap1.{"acct":"x","f":{}})");
  auto body = f.read(text);
  ASSERT_TRUE(body);
  EXPECT_EQ(body->at("acct"), "x");
  EXPECT_FALSE(f.read(""));  // a full listing
}

TEST(KitCursor, AnotherPrefixVersionOrDamageExpires) {
  kit::CursorFormat f("crm", 2);
  EXPECT_NE(expired_why(f, R"(crm1.{"stream":"contact"})").find("version 1"), std::string::npos);
  EXPECT_NE(expired_why(f, R"(crm3.{})").find("version 3"), std::string::npos);
  EXPECT_NE(expired_why(f, R"(imap2.{})").find("not one of this connector's"), std::string::npos);
  EXPECT_NE(expired_why(f, "v1.abc.12").find("not one of this connector's"), std::string::npos);
  EXPECT_NE(expired_why(f, "crm2.{broken").find("damaged"), std::string::npos);
  EXPECT_NE(expired_why(f, "crm2.[1]").find("damaged"), std::string::npos);
  try {
    f.expire("another account");
  } catch (const accord::Error& e) {
    EXPECT_EQ(e.status(), ACCORD_CURSOR_EXPIRED);
    EXPECT_NE(std::string(e.what()).find("another account"), std::string::npos);
  }
}

TEST(KitCursor, RefusesAPrefixThatRunsIntoItsVersion) {
  EXPECT_THROW(kit::CursorFormat("v1", 2), std::invalid_argument);
  EXPECT_THROW(kit::CursorFormat("", 1), std::invalid_argument);
  EXPECT_THROW(kit::CursorFormat("ok", 0), std::invalid_argument);
}
