// SPDX-License-Identifier: Apache-2.0
// Record data printed for a person is escaped; --json output is valid UTF-8.
#include <accord/text/terminal_text.hpp>

#include <gtest/gtest.h>

using accord::cli::json_safe;
using accord::cli::tty;

TEST(TerminalTextTest, ControlsAndReorderingCharactersAreShownEscaped) {
  EXPECT_EQ(tty("Mal\x1b]0;pwned\x07\x1b[2J"), "Mal\\e]0;pwned\\x07\\e[2J");
  EXPECT_EQ(tty("Eve\r\n  + forged"), "Eve\\r\\n  + forged");
  EXPECT_EQ(tty(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(tty("csi \xc2\x9b" "H"), "csi \\u{9b}H");
  EXPECT_EQ(tty("abc\xe2\x80\xae" "def"), "abc\\u{202e}def");
  EXPECT_EQ(tty("bad \xff\xc3"), "bad \\xff\\xc3");
  EXPECT_EQ(tty("Zoë Ünal ⇄ 東京 😀"), "Zoë Ünal ⇄ 東京 😀");
}

TEST(TerminalTextTest, AMessageOfSeveralLinesKeepsItsLineBreaksOnly) {
  EXPECT_EQ(accord::cli::tty_lines("p.json: /a: bad\np.json: /b: \x1b[2J\r"), "p.json: /a: bad\np.json: /b: \\e[2J\\r");
}

TEST(TerminalTextTest, JsonOutputIsValidUtf8) {
  boost::json::value v = boost::json::object{{"label", "a\xff" "b"}, {"k\xc0", boost::json::array{"\xed\xa0\x80", "ok é"}}};
  std::string out = boost::json::serialize(json_safe(v));
  EXPECT_EQ(out, "{\"label\":\"a\xef\xbf\xbd" "b\",\"k\xef\xbf\xbd\":[\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\",\"ok é\"]}");
}
