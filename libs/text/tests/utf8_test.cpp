// SPDX-License-Identifier: Apache-2.0
// The one UTF-8 coder and the one ASCII case folder (libs/text).
#include <accord/text/ascii.hpp>
#include <accord/text/charset.hpp>
#include <accord/text/utf8.hpp>

#include <gtest/gtest.h>

#include <string>

TEST(Utf8Test, AppendEncodesEachLength) {
  std::string s;
  for (char32_t cp : {U'A', U'\u00e9', U'\u20ac', U'\U0001F600'}) accord::utf8::append(s, cp);
  EXPECT_EQ(s, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
}

TEST(Utf8Test, DecodeAtRoundTripsAndRefusesWhatIsNotUtf8) {
  std::string s = "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
  std::u32string cps;
  for (size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    size_t n = accord::utf8::decode_at(s, i, cp);
    ASSERT_NE(n, 0u);
    cps += cp;
    i += n;
  }
  EXPECT_EQ(cps, U"A\u00e9\u20ac\U0001F600");
  char32_t cp = 0;
  for (std::string bad : {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\x80"})
    EXPECT_EQ(accord::utf8::decode_at(bad, 0, cp), 0u) << bad;
}

TEST(AsciiTest, FoldsOnlyAsciiLetters) {
  EXPECT_EQ(accord::ascii_lower(std::string("MiXeD-\xc3\x89")), "mixed-\xc3\x89");
  EXPECT_EQ(accord::ascii_upper(std::string_view("inbox \xc3\xa9")), "INBOX \xc3\xa9");
  EXPECT_TRUE(accord::ascii_iequals("Content-Type", "content-TYPE"));
  EXPECT_FALSE(accord::ascii_iequals("Content-Type", "Content-Typ"));
  EXPECT_FALSE(accord::ascii_iequals("\xc3\xa9", "\xc3\x89"));
}

TEST(Utf8Test, FirstInvalidNamesWhereTextStopsBeingUtf8) {
  EXPECT_EQ(accord::utf8::first_invalid("plain \xc3\xa9t\xc3\xa9"), std::string_view::npos);
  EXPECT_EQ(accord::utf8::first_invalid("Fran\xe7ois"), 4u);         // Latin-1
  EXPECT_EQ(accord::utf8::first_invalid("ab\xc0\xaf"), 2u);          // overlong
  EXPECT_EQ(accord::utf8::first_invalid("x\xed\xa0\x80"), 1u);      // surrogate
  EXPECT_EQ(accord::utf8::first_invalid("\xe2\x82"), 0u);            // truncated
  EXPECT_TRUE(accord::utf8::valid(""));
}

TEST(CharsetTest, ReadsAnyCharsetIconvKnows) {
  EXPECT_EQ(accord::charset::to_utf8("ISO-8859-2", "\xe8"), std::optional<std::string>("\xc4\x8d"));
  EXPECT_EQ(accord::charset::to_utf8("WINDOWS-1252", "\x80"), std::optional<std::string>("\xe2\x82\xac"));
  EXPECT_FALSE(accord::charset::to_utf8("NO-SUCH-CHARSET", "x"));
  EXPECT_FALSE(accord::charset::to_utf8("UTF-8", "\xff"));  // not text in that charset
  EXPECT_TRUE(accord::charset::known("KOI8-R"));
  EXPECT_FALSE(accord::charset::known(""));
}
