// SPDX-License-Identifier: Apache-2.0
// The one UTF-8 coder and the one ASCII case folder (libs/text).
#include <accord/text/ascii.hpp>
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
