// SPDX-License-Identifier: Apache-2.0
// JSON Pointer tokens (RFC 6901) and validator contexts as pointers (libs/json).
#include <accord/json/pointer.hpp>

#include <gtest/gtest.h>

namespace jp = accord::json_pointer;

TEST(JsonPointerTest, TokensEscapeAndUnescapeAsRfc6901Says) {
  EXPECT_EQ(jp::escape("a/b~c"), "a~1b~0c");
  EXPECT_EQ(jp::unescape("a~1b~0c"), "a/b~c");
  EXPECT_EQ(jp::unescape("~01"), "~1");  // ~0 first read as "~", then the 1 stays
  EXPECT_EQ(jp::unescape("~2"), "~2");
  for (const char* k : {"", "plain", "~", "/", "~1", "a~/b"}) EXPECT_EQ(jp::unescape(jp::escape(k)), k) << k;
}

TEST(JsonPointerTest, ValidatorContextBecomesAPointer) {
  EXPECT_EQ(jp::from_validator_context({"<root>", "[streams]", "[0]"}), "/streams/0");
  EXPECT_EQ(jp::from_validator_context({"<root>", "[\"a/b\"]", "[x~y]"}), "/a~1b/x~0y");
  EXPECT_EQ(jp::from_validator_context({"<root>"}), "");
}
