// SPDX-License-Identifier: Apache-2.0
// The IMAP protocol layer: the response parser on server exchanges (Dovecot's
// and Gmail's shapes, the RFCs' examples), fed whole and byte by byte;
// modified UTF-7; and commands that cannot be injected into.
#include "imap_command.hpp"
#include "imap_parser.hpp"
#include "imap_session.hpp"
#include "mutf7.hpp"
#include "uid_set.hpp"

#include <accord/connector.h>
#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

using imap::Value;

namespace {

// Feeds `wire` to a parser in pieces of `step` bytes; returns every response.
std::vector<imap::Response> parse_all(const std::string& wire, size_t step) {
  imap::Parser p;
  std::vector<imap::Response> out;
  for (size_t i = 0; i < wire.size(); i += step) {
    p.feed(std::string_view(wire).substr(i, step));
    while (auto r = p.next()) out.push_back(std::move(*r));
  }
  EXPECT_EQ(p.pending(), 0u);
  return out;
}

// A literal as a server writes one: {length} CRLF bytes.
std::string lit(const std::string& bytes) { return "{" + std::to_string(bytes.size()) + "}\r\n" + bytes; }

const std::string kBody = "Subject: hi\r\nX-Test: {5}\r\n\r\nBody ) with (parens\r\n";

// A Dovecot 2.3 session's answers: greeting, capabilities, SELECT with
// QRESYNC, a FETCH with a literal body, flags, VANISHED, ESEARCH, APPENDUID.
const std::string kDovecot =
    std::string("* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN] Dovecot ready.\r\n") +
    "a1 OK [CAPABILITY IMAP4rev1 SASL-IR ID ENABLE IDLE SORT THREAD=REFERENCES MULTIAPPEND UNSELECT CHILDREN "
    "NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH "
    "LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY LITERAL+ NOTIFY SPECIAL-USE] Logged in\r\n"
    "* ENABLED QRESYNC\r\n"
    "a2 OK Enabled\r\n"
    "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded)\r\n"
    "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded \\*)] Flags permitted.\r\n"
    "* 3 EXISTS\r\n"
    "* 0 RECENT\r\n"
    "* OK [UIDVALIDITY 1700000000] UIDs valid\r\n"
    "* OK [UIDNEXT 4] Predicted next UID\r\n"
    "* OK [HIGHESTMODSEQ 715194045007] Highest\r\n"
    "* VANISHED (EARLIER) 41,43:116,118\r\n"
    "a3 OK [READ-WRITE] Select completed (0.001 + 0.000 secs).\r\n"
    "* 1 FETCH (UID 1 MODSEQ (12) FLAGS (\\Seen) INTERNALDATE \"17-Jul-2026 02:44:25 -0700\" RFC822.SIZE 49 "
    "BODY[] " + lit(kBody) + ")\r\n"
    "* 2 FETCH (UID 2 FLAGS () BODY[HEADER.FIELDS (FROM MESSAGE-ID)] " + lit("From: a@example.org\r\n\r\n") + ")\r\n"
    "a4 OK Fetch completed.\r\n"
    "* ESEARCH (TAG \"a5\") UID COUNT 3 ALL 1:2,4\r\n"
    "a5 OK Search completed\r\n"
    "+ OK\r\n"
    "a6 OK [APPENDUID 1700000000 4] Append completed.\r\n"
    "a7 OK [COPYUID 1700000000 304,319:320 3956:3958] Moved\r\n"
    "* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent Items\"\r\n"
    "* LIST (\\HasNoChildren) \"/\" " + lit("M&AOQ-rz \"x\"]") + "\r\n"
    "* STATUS \"INBOX\" (MESSAGES 3 UIDNEXT 4 UIDVALIDITY 1700000000 HIGHESTMODSEQ 7011231777)\r\n"
    "a8 NO [MODIFIED 7,9] Conditional STORE failed\r\n"
    "* BYE Server shutting down.\r\n";

void check_dovecot(const std::vector<imap::Response>& rs) {
  ASSERT_EQ(rs.size(), 26u);
  EXPECT_EQ(rs[0].kind, imap::Response::Kind::kUntagged);
  EXPECT_EQ(rs[0].status, "OK");
  EXPECT_EQ(rs[0].code, "CAPABILITY");
  EXPECT_TRUE(rs[0].code_args.back().is_atom("AUTH=PLAIN"));
  EXPECT_EQ(rs[0].text, "Dovecot ready.");
  EXPECT_EQ(rs[1].tag, "a1");
  EXPECT_EQ(rs[1].code_args.size(), 29u);
  EXPECT_EQ(rs[2].name, "ENABLED");
  ASSERT_EQ(rs[4].args.size(), 1u);
  EXPECT_EQ(rs[4].args[0].list.size(), 6u);
  EXPECT_TRUE(rs[4].args[0].list[3].is_atom("\\SEEN"));
  EXPECT_EQ(rs[5].code, "PERMANENTFLAGS");
  EXPECT_TRUE(rs[5].code_args[0].list.back().is_atom("\\*"));
  EXPECT_EQ(*rs[6].number, 3u);
  EXPECT_EQ(rs[6].name, "EXISTS");
  EXPECT_EQ(rs[8].code, "UIDVALIDITY");
  EXPECT_EQ(rs[8].code_args[0].number, 1700000000u);
  EXPECT_EQ(rs[10].code_args[0].number, 715194045007u);
  EXPECT_EQ(rs[11].name, "VANISHED");
  EXPECT_TRUE(rs[11].args[0].list[0].is_atom("EARLIER"));
  EXPECT_EQ(rs[11].args[1].text, "41,43:116,118");
  EXPECT_EQ(rs[12].code, "READ-WRITE");

  auto f1 = imap::fetch_items(rs[13]);
  EXPECT_EQ(f1["UID"].number, 1u);
  EXPECT_EQ(f1["MODSEQ"].list[0].number, 12u);
  EXPECT_EQ(f1["INTERNALDATE"].text, "17-Jul-2026 02:44:25 -0700");
  EXPECT_EQ(f1["RFC822.SIZE"].number, 49u);
  EXPECT_TRUE(f1["BODY[]"].literal);
  EXPECT_EQ(f1["BODY[]"].text, kBody);
  auto f2 = imap::fetch_items(rs[14]);
  EXPECT_EQ(f2["FLAGS"].list.size(), 0u);
  EXPECT_EQ(f2["BODY[HEADER.FIELDS (FROM MESSAGE-ID)]"].text, "From: a@example.org\r\n\r\n");

  EXPECT_EQ(rs[16].name, "ESEARCH");
  EXPECT_EQ(rs[16].args[0].list[1].text, "a5");
  EXPECT_EQ(rs[16].args.back().text, "1:2,4");
  EXPECT_EQ(rs[18].kind, imap::Response::Kind::kContinuation);
  EXPECT_EQ(rs[18].text, "OK");
  EXPECT_EQ(rs[19].code, "APPENDUID");
  EXPECT_EQ(rs[19].code_args[1].number, 4u);
  EXPECT_EQ(rs[20].code, "COPYUID");
  EXPECT_EQ(rs[20].code_args[1].text, "304,319:320");
  EXPECT_EQ(rs[21].args[2].text, "Sent Items");
  EXPECT_TRUE(rs[22].args[2].literal);
  EXPECT_EQ(rs[22].args[2].text, "M&AOQ-rz \"x\"]");
  EXPECT_EQ(rs[23].name, "STATUS");
  EXPECT_EQ(rs[23].args[1].list[7].number, 7011231777u);
  EXPECT_EQ(rs[24].status, "NO");
  EXPECT_EQ(rs[24].code, "MODIFIED");
  EXPECT_EQ(rs[24].code_args[0].text, "7,9");
  EXPECT_EQ(rs[25].status, "BYE");
}

}  // namespace

TEST(ImapParserTest, DovecotSessionWhole) { check_dovecot(parse_all(kDovecot, kDovecot.size())); }

TEST(ImapParserTest, DovecotSessionByteByByte) { check_dovecot(parse_all(kDovecot, 1)); }

TEST(ImapParserTest, DovecotSessionInOddPieces) {
  for (size_t step : {2u, 3u, 7u, 13u, 44u, 45u, 64u}) check_dovecot(parse_all(kDovecot, step));
}

TEST(ImapParserTest, GmailExtensions) {
  // Gmail's labels are astrings, its ids 64-bit numbers; system labels quote
  // their backslash.
  std::string wire =
      "* 9 FETCH (X-GM-THRID 1278455344230334865 X-GM-MSGID 1278455344230334865 UID 7 "
      "X-GM-LABELS (\"\\\\Inbox\" \"\\\\Sent\" Important \"Muy Importante\" {6}\r\nLab\"el) FLAGS (\\Seen))\r\n"
      "* OK [THROTTLED] Account exceeded command or bandwidth limits.\r\n";
  auto rs = parse_all(wire, 5);
  ASSERT_EQ(rs.size(), 2u);
  auto f = imap::fetch_items(rs[0]);
  EXPECT_EQ(f["X-GM-THRID"].number, 1278455344230334865u);
  const auto& labels = f["X-GM-LABELS"].list;
  ASSERT_EQ(labels.size(), 5u);
  EXPECT_EQ(labels[0].text, "\\Inbox");
  EXPECT_EQ(labels[2].text, "Important");
  EXPECT_EQ(labels[3].text, "Muy Importante");
  EXPECT_EQ(labels[4].text, "Lab\"el");
  EXPECT_EQ(rs[1].code, "THROTTLED");
}

// Gmail's refusals for its limits, as it sends them, are RETRY with a back-off
// for the limit (issue 22 item 8), and its [THROTTLED] on a command that
// succeeded is no failure. The lines: "Too many simultaneous connections"
// (Google's IMAP help, "Too many simultaneous connections"), the bandwidth
// limits' OVERQUOTA and BYE (Gmail's "Account exceeded command or bandwidth
// limits"), and "A2 OK Success [THROTTLED]", the code at the END of an OK's
// text, as clients' protocol logs show it (MailKit #1396, node-imap #593).
TEST(ImapLimitsTest, GmailsRefusalsForLimitsAreRetriesAndAThrottledOkSucceeds) {
  const std::string wire =
      "a1 NO [ALERT] Too many simultaneous connections. (Failure)\r\n"
      "a2 NO [OVERQUOTA] Account exceeded command or bandwidth limits. (Failure)\r\n"
      "* BYE Account exceeded command or bandwidth limits. (Failure)\r\n"
      "a3 NO Some command failed [THROTTLED]\r\n"
      "a4 NO [THROTTLED] Account exceeded command or bandwidth limits.\r\n"
      "a5 OK Success [THROTTLED]\r\n"
      "* OK [THROTTLED] Account exceeded command or bandwidth limits.\r\n"
      "a6 NO [NONEXISTENT] Unknown Mailbox: Nope (Failure)\r\n"
      "a7 NO [LIMIT] too many messages at once\r\n";
  auto rs = parse_all(wire, 7);
  ASSERT_EQ(rs.size(), 9u);
  auto retry = [&](size_t i) -> int64_t {
    auto e = imap::limit_error(rs[i].status, rs[i].code, rs[i].text);
    if (!e) return -1;
    EXPECT_EQ(e->status, ACCORD_RETRY) << i;
    EXPECT_EQ(std::string(e->what()).find('\r'), std::string::npos) << i;
    return e->retry_after_ms;
  };
  EXPECT_EQ(retry(0), 60'000) << "too many connections: a minute, not a wrong password";
  EXPECT_EQ(retry(1), 3'600'000) << "OVERQUOTA: the daily limits, an hour";
  EXPECT_EQ(retry(2), 3'600'000) << "the bandwidth BYE, an hour";
  EXPECT_EQ(retry(3), 60'000) << "[THROTTLED] at the end of a NO's text";
  EXPECT_EQ(retry(4), 60'000) << "[THROTTLED] as a NO's code";
  EXPECT_EQ(retry(5), -1) << "a throttled OK succeeded";
  EXPECT_EQ(retry(6), -1) << "an untagged OK [THROTTLED] is a notice";
  EXPECT_EQ(retry(7), -1) << "an ordinary NO is the command's own failure";
  EXPECT_EQ(retry(8), 60'000) << "RFC 5530 [LIMIT]";
}

TEST(ImapParserTest, OddButLegal) {
  std::string wire = "* LIST () NIL \"\"\r\n"   // no attributes, no hierarchy, empty name
                     "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n"
                     "* 4 FETCH (BODY[]<0> ~{3}\r\n";     // literal8 with NULs, a partial origin
  wire += std::string("\x00\x01\x02", 3);
  wire += " UID 8)\r\n"
          "a1 ok done in lower case\r\n"
          "a2 OK\r\n"      // no text at all
          "* SEARCH\r\n"   // no matches
          "* 5 EXPUNGE\r\n";
  auto rs = parse_all(wire, 1);
  ASSERT_EQ(rs.size(), 7u);
  EXPECT_TRUE(rs[0].args[1].is_nil());
  EXPECT_EQ(rs[0].args[2].text, "");
  EXPECT_EQ(rs[1].args[0].list[0].list[1].text, "/");
  auto f = imap::fetch_items(rs[2]);
  EXPECT_EQ(f["BODY[]<0>"].text, std::string("\x00\x01\x02", 3));
  EXPECT_EQ(f["UID"].number, 8u);
  EXPECT_EQ(rs[3].status, "OK");
  EXPECT_EQ(rs[3].text, "done in lower case");
  EXPECT_EQ(rs[4].text, "");
  EXPECT_EQ(rs[5].name, "SEARCH");
  EXPECT_TRUE(rs[5].args.empty());
  EXPECT_EQ(rs[6].name, "EXPUNGE");
}

TEST(ImapParserTest, IncompleteLiteralWaits) {
  imap::Parser p;
  p.feed("* 1 FETCH (BODY[] {10}\r\n12345");
  EXPECT_FALSE(p.next());
  p.feed("67890)\r\n* 2 EXISTS\r");
  auto r = p.next();
  ASSERT_TRUE(r);
  EXPECT_EQ(imap::fetch_items(*r)["BODY[]"].text, "1234567890");
  EXPECT_FALSE(p.next());
  p.feed("\n");
  EXPECT_EQ(p.next()->name, "EXISTS");
}

TEST(ImapParserTest, MalformedResponsesAreRefused) {
  for (const char* bad : {"* 1 FETCH (UID 1\r\n", "a1 MAYBE yes\r\n", "* 1 FETCH (BODY[ {3}\r\nabc)\r\n",
                          "* OK [CODE unterminated\r\n", "* LIST (\\X) \"/\" \"open\r\n", "\r\n",
                          "* 99999999999999999999999 EXISTS\r\n"}) {
    imap::Parser p;
    p.feed(bad);
    EXPECT_THROW(
        {
          while (p.next()) {
          }
        },
        imap::ParseError)
        << bad;
  }
  // literal lengths past the limit, and past 64 bits (the fuzzer's first find)
  for (const char* len : {"99999999999", "44444444444444444444"}) {
    imap::Parser huge;
    huge.feed(std::string("* 1 FETCH (BODY[] {") + len + "}\r\n");
    EXPECT_THROW(huge.next(), imap::ParseError) << len;
  }
}

// A quoted string reads back as the text it was written from, whatever it
// holds between its escapes (\" and \\), fed whole and byte by byte; a lone
// CR inside stays (as it always has); a line that ends inside one is refused.
TEST(ImapParserTest, QuotedStringsReadAsTheTextTheyQuote) {
  std::mt19937 rng(22);
  const std::string alphabet = std::string("ab Z09()[]{}~%*<>.:") + "\"\\\r" + "\xc3\xa9";
  std::string wire;
  std::vector<std::string> want;
  for (int n = 0; n < 400; ++n) {
    std::string text;
    size_t len = rng() % (n % 10 == 0 ? 200 : 12);
    for (size_t i = 0; i < len; ++i) {
      char c = alphabet[rng() % alphabet.size()];
      if (c == '\r' && rng() % 4) c = 'r';   // (fewer lone CRs than other characters)
      text += c;
    }
    if (!text.empty() && text.back() == '\r') text.back() = 'x';  // (a CR before the closing quote's CRLF would end the line)
    std::string quoted = "\"";
    for (char c : text) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    quoted += '"';
    wire += "* LIST () \"/\" " + quoted + "\r\n";
    want.push_back(text);
  }
  for (size_t step : {wire.size(), size_t(1), size_t(7)}) {
    auto rs = parse_all(wire, step);
    ASSERT_EQ(rs.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(rs[i].args.size(), 3u) << i;
      EXPECT_EQ(rs[i].args[2].kind, Value::Kind::kString) << i;
      EXPECT_FALSE(rs[i].args[2].literal) << i;
      EXPECT_EQ(rs[i].args[2].text, want[i]) << i << " (step " << step << ")";
    }
  }
  for (const char* bad : {"* LIST () \"/\" \"open\r\n", "* LIST () \"/\" \"a\\\"\r\n", "* LIST () \"/\" \"a\\\\\\\"b\r\n"})
    EXPECT_THROW(imap::parse_response(bad), imap::ParseError) << bad;
}

// NIL is NIL in any case, and only the three letters: NILS, NI, "NIL" are not.
TEST(ImapParserTest, NilInAnyCaseAndWhatOnlyLooksLikeIt) {
  auto r = imap::parse_response("* X NIL nil Nil nIL NILS NI \"NIL\" N1L 0 18446744073709551615 (nil)\r\n");
  ASSERT_EQ(r.args.size(), 11u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(r.args[i].is_nil()) << i;
    EXPECT_EQ(r.args[i].text, "") << i;
  }
  EXPECT_EQ(r.args[4].kind, Value::Kind::kAtom);
  EXPECT_EQ(r.args[4].text, "NILS");
  EXPECT_EQ(r.args[5].kind, Value::Kind::kAtom);
  EXPECT_EQ(r.args[6].kind, Value::Kind::kString);
  EXPECT_EQ(r.args[6].text, "NIL");
  EXPECT_EQ(r.args[7].kind, Value::Kind::kAtom);
  EXPECT_EQ(r.args[8].kind, Value::Kind::kNumber);
  EXPECT_EQ(r.args[9].number, 18446744073709551615ull);
  ASSERT_EQ(r.args[10].list.size(), 1u);
  EXPECT_TRUE(r.args[10].list[0].is_nil());
  // is_atom: an atom in any case against the upper-case name it is given
  auto atom = [](Value::Kind kind, std::string text) {
    Value v;
    v.kind = kind;
    v.text = std::move(text);
    return v;
  };
  Value flag = atom(Value::Kind::kAtom, "\\NoSelect");
  EXPECT_TRUE(flag.is_atom("\\NOSELECT"));
  EXPECT_FALSE(flag.is_atom("\\NoSelect")) << "the name asked for is upper case";
  EXPECT_FALSE(flag.is_atom("\\NOSELECTS"));
  EXPECT_FALSE(flag.is_atom("\\NOSELEC"));
  EXPECT_FALSE(atom(Value::Kind::kString, "\\NOSELECT").is_atom("\\NOSELECT"));
}

// A FETCH's items taken out of the response are what a copy of them is: the
// same names (upper case, whatever case the server wrote) and the same values.
TEST(ImapParserTest, FetchItemsTakenOrCopiedAreTheSame) {
  std::string wire = "* 7 FETCH (uid 9 Flags (\\Seen $Label1) InternalDate \"17-Jul-2026 02:44:25 -0700\" "
                     "rfc822.size 1234 ModSeq (55) BodyStructure ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL "
                     "\"7bit\" 10 1 NIL NIL NIL NIL)(\"application\" \"pdf\" (\"name\" \"a b.pdf\") NIL NIL \"base64\" "
                     "2000 NIL (\"attachment\" (\"filename\" \"a b.pdf\")) NIL NIL) \"mixed\" (\"boundary\" \"xx\") NIL NIL "
                     "NIL) body[header.fields (from subject)] " + lit("From: a@example.org\r\nSubject: hi\r\n\r\n") +
                     " X-GM-LABELS (\"\\\\Inbox\" \"Work/Q\"))\r\n";
  std::function<void(const Value&, const Value&, const std::string&)> same = [&](const Value& a, const Value& b,
                                                                                  const std::string& at) {
    EXPECT_EQ(a.kind, b.kind) << at;
    EXPECT_EQ(a.text, b.text) << at;
    EXPECT_EQ(a.number, b.number) << at;
    EXPECT_EQ(a.literal, b.literal) << at;
    ASSERT_EQ(a.list.size(), b.list.size()) << at;
    for (size_t i = 0; i < a.list.size(); ++i) same(a.list[i], b.list[i], at + "/" + std::to_string(i));
  };
  auto r = imap::parse_response(wire);
  auto copied = imap::fetch_items(r);
  auto taken = imap::fetch_items(std::move(r));
  std::vector<std::string> names;
  for (auto& [k, v] : taken) names.push_back(k);
  EXPECT_EQ(names, (std::vector<std::string>{"BODYSTRUCTURE", "BODY[HEADER.FIELDS (FROM SUBJECT)]", "FLAGS", "INTERNALDATE",
                                             "MODSEQ", "RFC822.SIZE", "UID", "X-GM-LABELS"}));
  ASSERT_EQ(copied.size(), taken.size());
  for (auto& [k, v] : copied) same(v, taken.at(k), k);
  EXPECT_EQ(taken["BODY[HEADER.FIELDS (FROM SUBJECT)]"].text, "From: a@example.org\r\nSubject: hi\r\n\r\n");
  EXPECT_EQ(taken["BODYSTRUCTURE"].list[1].list[8].list[1].list[1].text, "a b.pdf");
  EXPECT_EQ(taken["X-GM-LABELS"].list[0].text, "\\Inbox");
}

TEST(Mutf7Test, RfcExamplesAndRoundTrips) {
  // RFC 3501 5.1.3: "~peter/mail/台北/日本語"
  EXPECT_EQ(*imap::mutf7_encode("~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
  EXPECT_EQ(*imap::mutf7_decode("~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
            "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
  EXPECT_EQ(*imap::mutf7_encode("Tom & Jerry"), "Tom &- Jerry");
  EXPECT_EQ(*imap::mutf7_decode("Tom &- Jerry"), "Tom & Jerry");
  EXPECT_EQ(*imap::mutf7_encode("M\xc3\xa4rz"), "M&AOQ-rz");
  for (std::string s : {std::string("Entw\xc3\xbc rfe"), std::string("\xf0\x9f\x93\xa7 Mail"), std::string("a&b&&c"),
                        std::string("\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"), std::string("")})
    EXPECT_EQ(*imap::mutf7_decode(*imap::mutf7_encode(s)), s) << s;
}

TEST(Mutf7Test, InvalidInputRefused) {
  EXPECT_FALSE(imap::mutf7_encode("bad \xff byte"));
  EXPECT_FALSE(imap::mutf7_encode("\xed\xa0\x80"));  // an encoded surrogate
  EXPECT_FALSE(imap::mutf7_decode("&ZeV"));          // no closing -
  EXPECT_FALSE(imap::mutf7_decode("&AGE-"));         // "a" encoded: must stand for itself
  EXPECT_FALSE(imap::mutf7_decode("&2D0-"));         // a lone high surrogate
  EXPECT_FALSE(imap::mutf7_decode("&U,BTF/-"));      // '/' is not modified base64
  EXPECT_FALSE(imap::mutf7_decode("caf\xc3\xa9"));   // 8-bit bytes are not modified UTF-7
}

TEST(ImapCommandTest, FormsOfValues) {
  imap::Command c("a1", "LOGIN");
  c.astring("ada").astring("pass word \"q\" \\");
  EXPECT_EQ(c.text(false), "a1 LOGIN ada \"pass word \\\"q\\\" \\\\\"");
  imap::Command f("a2", "UID FETCH");
  f.atom("1:*").open().atom("UID").atom("FLAGS").atom("BODY.PEEK[HEADER.FIELDS (FROM DATE)]").close().open().atom("CHANGEDSINCE").number(12).close();
  EXPECT_EQ(f.text(false), "a2 UID FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (FROM DATE)]) (CHANGEDSINCE 12)");
  imap::Command m("a3", "SELECT");
  m.mailbox("M\xc3\xa4rz 2026");
  EXPECT_EQ(m.text(false), "a3 SELECT \"M&AOQ-rz 2026\"");
  imap::Command i("a4", "SELECT");
  i.mailbox("inbox");
  EXPECT_EQ(i.text(false), "a4 SELECT INBOX");
  imap::Command nil("a5", "SEARCH");
  nil.atom("HEADER").astring("X-Accord-Id").astring("NIL");
  EXPECT_EQ(nil.text(false), "a5 SEARCH HEADER X-Accord-Id \"NIL\"");
}

TEST(ImapCommandTest, LineBreaksInUserValuesCannotInject) {
  // A folder name or search value carrying CRLF and a second command: it
  // travels as a literal, announced by its length, never as a command line.
  const std::string evil = "Work\r\na9 DELETE INBOX\r\n";
  imap::Command c("a1", "SEARCH");
  c.atom("HEADER").string("Subject").string(evil);
  auto sync = c.chunks({});
  ASSERT_EQ(sync.size(), 2u);
  const std::string n = std::to_string(evil.size());
  EXPECT_EQ(sync[0].bytes, "a1 SEARCH HEADER \"Subject\" {" + n + "}\r\n");
  EXPECT_FALSE(sync[0].wait_for_continuation);
  EXPECT_TRUE(sync[1].wait_for_continuation);
  EXPECT_EQ(sync[1].bytes, evil + "\r\n");
  auto plus = c.chunks({true, false});
  ASSERT_EQ(plus.size(), 1u);
  EXPECT_EQ(plus[0].bytes, "a1 SEARCH HEADER \"Subject\" {" + n + "+}\r\n" + evil + "\r\n");
  // the parser reads it back as one command-shaped line with one literal
  auto echoed = imap::parse_response("* SEARCH HEADER \"Subject\" {" + n + "}\r\n" + evil + "\r\n");
  EXPECT_EQ(echoed.args.size(), 3u);
  EXPECT_EQ(echoed.args[2].text, evil);
  // protocol tokens refuse what would end a line or open a string
  for (const char* bad : {"1:5\r\n", "UID\nX", "\"", "a{3}", "x y", "BODY[", "F)"})
    EXPECT_THROW(imap::Command("a2", "FETCH").atom(bad), std::invalid_argument) << bad;
  EXPECT_THROW(imap::Command("a2", "FETCH\r\nX"), std::invalid_argument);
  EXPECT_THROW(imap::Command("a\r\n2", "NOOP"), std::invalid_argument);
  EXPECT_THROW(imap::Command("a3", "SELECT").mailbox("bad \xff"), std::invalid_argument);
}

// A literal borrowed (literal_ref: a large APPEND sent from the message
// itself, not a copy) puts the same bytes on the wire as one copied, in
// either literal form, and what follows it keeps its space.
TEST(ImapCommandTest, BorrowedLiteralSendsTheSameBytes) {
  const std::string msg = "Subject: x\r\n\r\nbody\r\n";
  auto wire = [](const std::vector<imap::Chunk>& chunks) {
    std::string out;
    for (const auto& c : chunks) out += (c.wait_for_continuation ? "<+>" : "") + c.bytes + std::string(c.after);
    return out;
  };
  for (imap::LiteralSupport lit : {imap::LiteralSupport{}, imap::LiteralSupport{true, false}}) {
    imap::Command copied("a1", "APPEND"), borrowed("a1", "APPEND");
    copied.mailbox("INBOX").literal(msg).atom("X");
    borrowed.mailbox("INBOX").literal_ref(msg).atom("X");
    EXPECT_EQ(wire(borrowed.chunks(lit)), wire(copied.chunks(lit)));
    for (const auto& c : borrowed.chunks(lit)) EXPECT_EQ(c.bytes.find("body"), std::string::npos);  // never copied
    EXPECT_EQ(borrowed.text(false), copied.text(false));
  }
}

TEST(ImapCommandTest, LiteralMinusLimitAndRedaction) {
  std::string big(5000, 'x');
  imap::Command a("a1", "APPEND");
  a.mailbox("Sent").open().atom("\\Seen").close().literal("small").literal(big);
  auto ch = a.chunks({false, true});
  ASSERT_EQ(ch.size(), 2u);  // 5 bytes go non-synchronising, 5000 wait
  EXPECT_EQ(ch[0].bytes, "a1 APPEND Sent (\\Seen) {5+}\r\nsmall {5000}\r\n");
  EXPECT_TRUE(ch[1].wait_for_continuation);
  imap::Command l("a2", "LOGIN");
  l.astring("ada").literal("s3cret");
  EXPECT_EQ(l.text(true), "a2 LOGIN ada {6}");
}

// UID sets: every operation gives what the same operation on the UIDs one by
// one gives, over random sets of single UIDs, runs and gaps (a folder's
// cursor, VANISHED, CHANGEDSINCE, the UIDs a search or a listing found),
// the ends of the UID range included.
TEST(UidSetTest, OperationsAgreeWithTheUidsOneByOne) {
  using imap::UidSet;
  std::mt19937 rng(22);
  auto random_uids = [&](uint32_t base) {
    std::set<uint32_t> out;
    int runs = std::uniform_int_distribution<int>(0, 6)(rng);
    for (int r = 0; r < runs; ++r) {
      uint32_t from = base + std::uniform_int_distribution<uint32_t>(0, 60)(rng);
      uint32_t len = std::uniform_int_distribution<uint32_t>(1, r % 2 ? 1 : 20)(rng);
      for (uint64_t u = from; u < uint64_t{from} + len && u <= 4294967295u; ++u) out.insert(static_cast<uint32_t>(u));
    }
    return out;
  };
  auto as_set = [](const std::set<uint32_t>& s) { return UidSet::of(std::vector<uint32_t>(s.rbegin(), s.rend())); };
  auto values = [](const std::set<uint32_t>& s) { return std::vector<uint32_t>(s.begin(), s.end()); };
  for (int round = 0; round < 4000; ++round) {
    uint32_t base = round % 3 == 0 ? 1 : round % 3 == 1 ? 4294967295u - 70 : 1000;
    std::set<uint32_t> a = random_uids(base), b = random_uids(base);
    UidSet sa = as_set(a), sb = as_set(b);
    std::set<uint32_t> minus, plus = a, both;
    for (uint32_t u : a) (b.contains(u) ? both : minus).insert(u);
    plus.insert(b.begin(), b.end());
    SCOPED_TRACE(sa.text() + " and " + sb.text());
    EXPECT_EQ(sa.values(), values(a));
    EXPECT_EQ(sa.size(), a.size());
    EXPECT_EQ(sa.minus(sb).values(), values(minus));
    EXPECT_EQ(sa.plus(sb).values(), values(plus));
    EXPECT_EQ(sa.both(sb).values(), values(both));
    // the same set written the same way, whichever way it was made
    EXPECT_EQ(sa.minus(sb), as_set(minus));
    EXPECT_EQ(sa.plus(sb), as_set(plus));
    EXPECT_EQ(sa.both(sb), as_set(both));
    EXPECT_EQ(UidSet::parse(sa.plus(sb).text()), as_set(plus));
    UidSet added = sa;
    for (uint32_t u : b) added.add(u);
    EXPECT_EQ(added, as_set(plus));
    for (uint32_t u : {base, base + 5, base + 30, base + 70}) EXPECT_EQ(sa.contains(u), a.contains(u));
  }
  EXPECT_EQ(UidSet::parse("1:5,7,9:12")->minus(*UidSet::parse("3,9:10,12")).text(), "1:2,4:5,7,11");
  EXPECT_EQ(UidSet::parse("1:5,9")->plus(*UidSet::parse("6:8,20")).text(), "1:9,20");
  EXPECT_EQ(UidSet::parse("1:100")->both(*UidSet::parse("5,50:60,99:200")).text(), "5,50:60,99:100");
  EXPECT_EQ(UidSet{}.minus(*UidSet::parse("1:3")).text(), "");
  // the last UID there is: overlaps and repeats up to it are one range
  EXPECT_EQ(UidSet::parse("4294967285:4294967295,4294967290")->text(), "4294967285:4294967295");
  EXPECT_EQ(UidSet::of({4294967295u, 4294967295u, 7}).size(), 2u);
}
