// SPDX-License-Identifier: Apache-2.0
#include <accord/mail/message.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <random>

namespace json = boost::json;
using namespace accord::mail;

namespace {

const char* kMessage =
    "Return-Path: <ada@example.org>\r\n"
    "Message-ID: <m1.2026@example.org>\r\n"
    "In-Reply-To: <m0@example.org>\r\n"
    "References: <a@x> <m0@example.org>\r\n"
    "Date: Tue, 1 Jul 2003 10:52:37 +0200\r\n"
    "From: \"Lovelace, Ada\" <ada@example.org>\r\n"
    "To: =?UTF-8?Q?Andr=C3=A9?= <andre@example.org>, bob@example.org (Bob),\r\n"
    "  Team: carol@example.org, Dan <dan@example.org>;\r\n"
    "Subject: =?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n"
    " =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?= and =?utf-8?q?caf=C3=A9?=\r\n"
    "\r\n"
    "Body line\r\n"
    "Subject: not a header\r\n";

TEST(MailMessage, HeaderFieldsOfAMessage) {
  json::object f = header_fields(header_block(kMessage));
  EXPECT_EQ(json::serialize(f["messageId"]), R"(["m1.2026@example.org"])");
  EXPECT_EQ(json::serialize(f["inReplyTo"]), R"(["m0@example.org"])");
  EXPECT_EQ(json::serialize(f["references"]), R"(["a@x","m0@example.org"])");
  EXPECT_EQ(f["sentAt"], "2003-07-01T10:52:37+02:00");
  EXPECT_EQ(json::serialize(f["from"]), R"([{"name":"Lovelace, Ada","email":"ada@example.org"}])");
  EXPECT_EQ(json::serialize(f["to"]),
            R"([{"name":"André","email":"andre@example.org"},{"email":"bob@example.org"},)"
            R"({"email":"carol@example.org"},{"name":"Dan","email":"dan@example.org"}])");
  // two encoded words: the space between them goes (ISO-8859-2 through iconv)
  EXPECT_EQ(f["subject"], "If you can read this you understand the example. and café");
  EXPECT_FALSE(f.contains("cc"));
}

TEST(MailMessage, AdjacentEncodedWordsJoin) {
  EXPECT_EQ(decode_words("=?utf-8?q?a?= =?utf-8?q?b?=  c"), "ab  c");
  EXPECT_EQ(decode_words("=?windows-1252?q?=93quoted=94?="), "\xE2\x80\x9Cquoted\xE2\x80\x9D");
  EXPECT_EQ(decode_words("plain =?bogus"), "plain =?bogus");
}

TEST(MailMessage, HeaderBlockWithLfOnly) {
  std::string m = "Subject: hi\n there\nX: 1\n\nbody\n";
  EXPECT_EQ(header_block(m), "Subject: hi\n there\nX: 1\n");
  EXPECT_EQ(header_value(header_block(m), "subject"), "hi there");
  EXPECT_EQ(header_value(header_block(m), "Y"), "");
}

TEST(MailMessage, Dates) {
  EXPECT_EQ(date_to_rfc3339("1 Jan 2026 00:00:00 GMT").value(), "2026-01-01T00:00:00Z");
  EXPECT_EQ(date_to_rfc3339("Fri, 21 Nov 97 09:55:06 -0600").value(), "1997-11-21T09:55:06-06:00");
  EXPECT_EQ(date_to_rfc3339("Thu, 13 Feb 2026 23:32 -0330 (NST)").value(), "2026-02-13T23:32:00-03:30");
  EXPECT_FALSE(date_to_rfc3339("yesterday").has_value());
  int64_t t = internaldate_seconds("17-Jul-1996 02:44:25 -0700").value();
  EXPECT_EQ(internaldate(t), "17-Jul-1996 09:44:25 +0000");
  EXPECT_EQ(internaldate_seconds(" 7-Jul-1996 09:44:25 +0000").value(), internaldate_seconds("07-Jul-1996 09:44:25 +0000").value());
  EXPECT_EQ(rfc3339_seconds("1996-07-17T09:44:25Z").value(), t);
  EXPECT_EQ(rfc3339_seconds("1996-07-17T02:44:25-07:00").value(), t);
  EXPECT_FALSE(rfc3339_seconds("1996-07-17").has_value());
}

// header_fields reads every header it wants in one pass over the block (and
// a part's four in another): each as header_value finds it alone, the first
// of its name even where that one is empty, names in any case and spaced
// before the colon, folded values joined, a folded line never a header.
// (Pins the answers of the one-name-a-pass reading it replaced: the same on both.)
TEST(MailMessage, HeadersReadInOnePassAnswerAsOneAtATime) {
  std::string m =
      "subject:\r\n"
      "Subject: second, not read\r\n"
      "FROM : Ann <ann@x.org>\r\n"
      "X-Folded: 1\r\n"
      " To: folded@x.org\r\n"
      "To: =?utf-8?q?B=C3=A9?=\r\n"
      "  <be@x.org>,\r\n"
      "\tcy@x.org\r\n"
      "Message-ID:<a@b>\r\n"
      "Date: Mon, 1 Jan 2026 10:00:00junk +0000\r\n"
      "Cc: c@x.org\r\n"
      "Cc: d@x.org\r\n"
      "\r\n"
      "Bcc: body@x.org\r\n";
  std::string_view h = header_block(m);
  json::object f = header_fields(h);
  EXPECT_FALSE(f.contains("subject"));
  EXPECT_EQ(header_value(h, "SUBJECT"), "");
  EXPECT_EQ(json::serialize(f["from"]), R"([{"name":"Ann","email":"ann@x.org"}])");
  EXPECT_EQ(json::serialize(f["to"]), R"([{"name":"Bé","email":"be@x.org"},{"email":"cy@x.org"}])");
  EXPECT_EQ(header_value(h, "to"), "=?utf-8?q?B=C3=A9?=  <be@x.org>,\tcy@x.org");
  EXPECT_EQ(json::serialize(f["messageId"]), R"(["a@b"])");
  EXPECT_EQ(f["sentAt"], "2026-01-01T10:00:00Z");
  EXPECT_EQ(json::serialize(f["cc"]), R"([{"email":"c@x.org"}])");
  EXPECT_FALSE(f.contains("bcc"));
  std::string keys;  // (in the record's order)
  for (const auto& kv : f) keys += std::string(kv.key()) + " ";
  EXPECT_EQ(keys, "messageId from to cc sentAt ");

  Part p = parse_structure(
      "content-transfer-encoding:  Base64 \r\n"
      "Content-ID: <c1>\r\n"
      "Content-Type: image/png;\r\n"
      " name=\"a.png\"\r\n"
      "Content-Type: text/plain\r\n"
      "\r\n"
      "aGk=\r\n");
  EXPECT_EQ(p.type, "image/png");
  EXPECT_EQ(p.type_params.at("name"), "a.png");
  EXPECT_EQ(p.cid, "<c1>");
  EXPECT_EQ(p.encoding, "base64");
  EXPECT_EQ(p.disposition, "");
}

// The header block ends at the first empty line, CRLF or LF, whichever
// comes first; a message with neither is all header.
TEST(MailMessage, HeaderBlockEndsAtTheFirstEmptyLineOfEitherForm) {
  EXPECT_EQ(header_block("A: 1\r\n\r\nb\n\nc"), "A: 1\r\n");
  EXPECT_EQ(header_block("A: 1\n\nb\r\n\r\nc"), "A: 1\n");
  EXPECT_EQ(header_block("A: 1\r\n\nb"), "A: 1\r\n");
  EXPECT_EQ(header_block("A: 1\r\nB: 2\r\n"), "A: 1\r\nB: 2\r\n");
  EXPECT_EQ(header_block("A: 1\r\n\r"), "A: 1\r\n\r");
  EXPECT_EQ(header_block("\r\nA: 1"), "");
  EXPECT_EQ(header_block("\nA: 1"), "");
  EXPECT_EQ(header_block(""), "");
}

// Dates as the words read them: numbers std::stoi and sscanf's %d read (a
// word's leading digits, a sign), times of one or three parts, any offset.
// (Pins the answers of the stoi/sscanf reading; the usual words are read in place now.)
TEST(MailMessage, DatesReadAsTheirWordsSay) {
  EXPECT_EQ(date_to_rfc3339("1 Jan 2026 9:5 +0100").value(), "2026-01-01T09:05:00+01:00");
  EXPECT_EQ(date_to_rfc3339("01x Jan 2026 10:00:00").value(), "2026-01-01T10:00:00Z");
  EXPECT_EQ(date_to_rfc3339("1 Jan 26 1:2:3:4 EST").value(), "2026-01-01T01:02:03-05:00");
  EXPECT_EQ(date_to_rfc3339("+1 Jan +2026 +1:+2").value(), "2026-01-01T01:02:00Z");
  EXPECT_EQ(date_to_rfc3339("1 Jan 2026 -1:30").value(), "2026-01-01T-1:30:00Z");
  EXPECT_EQ(date_to_rfc3339("31 dec 99999 23:59:60 -9959").value(), "99999-12-31T23:59:59-99:59");
  EXPECT_FALSE(date_to_rfc3339("1 Jan 2026 10").has_value());
  EXPECT_FALSE(date_to_rfc3339("x1 Jan 2026 10:00").has_value());
  EXPECT_FALSE(date_to_rfc3339("1 Jan 99999999999 10:00").has_value());
  EXPECT_EQ(rfc3339_seconds("1996-07-17T09:44:25.5+02:30").value(), 837587665);
  EXPECT_EQ(rfc3339_seconds("1996-07-17T09:44:25z").value(), 837596665);
  EXPECT_EQ(rfc3339_seconds("1996-07-17T09:44:25+2:3").value(), 837589285);
  EXPECT_FALSE(rfc3339_seconds(" 1996-07-17T09:44:25Z").has_value());
  EXPECT_FALSE(rfc3339_seconds("1996-07-17t09:44:25Z").has_value());
  EXPECT_FALSE(rfc3339_seconds("1996-7-17T09:44:25Z").has_value());
}

TEST(MailMessage, KeywordsAndFlags) {
  json::object k = keywords_from_flags({"\\Seen", "\\Recent", "\\Deleted", "\\flagged", "$Forwarded", "Work"});
  EXPECT_EQ(json::serialize(k), R"({"$seen":true,"$flagged":true,"$forwarded":true,"work":true})");
  auto flags = flags_from_keywords(k);
  EXPECT_EQ(flags, (std::vector<std::string>{"\\Seen", "\\Flagged", "$Forwarded", "work"}));
  EXPECT_EQ(letters_from_keywords(k), (std::set<char>{'F', 'P', 'S'}));
  EXPECT_EQ(json::serialize(keywords_from_letters({'R', 'S', 'T'})), R"({"$answered":true,"$seen":true})");
  // keywords no letter holds are kept from another keywords object; lettered ones follow the letters
  json::value others = json::parse(R"({"$seen":true,"project-x":true,"off":false})");
  EXPECT_EQ(json::serialize(keywords_from_letters({'F'}, &others)), R"({"$flagged":true,"project-x":true})");
  EXPECT_EQ(first_mailbox(json::object{{"mailboxIds", json::object{{"Work", true}}}}, "INBOX"), "Work");
  EXPECT_EQ(first_mailbox(json::object{}, "INBOX"), "INBOX");
  // a keyword IMAP cannot carry is not sent as a flag
  EXPECT_TRUE(flags_from_keywords(json::object{{"a b", true}, {"x\r\n", true}}).empty());
}

TEST(MailMessage, LineEndsAndBase64) {
  EXPECT_EQ(to_crlf("a\nb\r\nc\n"), "a\r\nb\r\nc\r\n");
  EXPECT_EQ(to_lf("a\r\nb\nc\r"), "a\nb\nc\r");
  EXPECT_EQ(crlf_size("a\nb\r\n"), 6u);
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", std::string("\0\xff\x10", 3)}) {
    auto back = base64_decode(base64_encode(s));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, s);
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_FALSE(base64_decode("Zm9v*").has_value());
  // line ends at the edges, CRs that end no line, white space inside base64
  EXPECT_EQ(to_crlf("\n\r\r\nx\n\n"), "\r\n\r\r\nx\r\n\r\n");
  EXPECT_EQ(to_lf("\r\n\r\r\nx\r"), "\n\r\nx\r");
  EXPECT_EQ(crlf_size("\n\n"), 4u);
  EXPECT_EQ(*base64_decode("Zm9v\r\nYmFy\r\n"), "foobar");
  EXPECT_EQ(*base64_decode("Zm 9vY\tmE="), "foob" "a");
  EXPECT_EQ(*base64_decode("Zg==garbage-after-the-end"), "f");
  // against a byte-by-byte reading of the rules, on random bytes
  auto reference_crlf_size = [](std::string_view t) {
    uint64_t n = 0;
    for (size_t i = 0; i < t.size(); ++i) n += t[i] == '\n' && (i == 0 || t[i - 1] != '\r') ? 2 : 1;
    return n;
  };
  auto reference_lf = [](std::string_view t) {  // a CR right before an LF goes
    std::string out;
    for (size_t i = 0; i < t.size(); ++i)
      if (!(t[i] == '\r' && i + 1 < t.size() && t[i + 1] == '\n')) out += t[i];
    return out;
  };
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::string s(rng() % 300, '\0');
    for (char& c : s) c = "ab\r\n\x00\xff"[rng() % 6];
    auto back = base64_decode(base64_encode(s));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, s);
    std::string crlf = to_crlf(s);
    EXPECT_EQ(crlf.size(), reference_crlf_size(s));
    EXPECT_EQ(crlf_size(s), crlf.size());
    EXPECT_EQ(to_lf(crlf), to_lf(s));
    EXPECT_EQ(to_crlf(crlf), crlf);
    EXPECT_EQ(to_lf(s), reference_lf(s)) << round;
  }
}

}  // namespace

// A mixed message holding an alternative (text, and html with an inline
// image by Content-ID) and two attachments, one named in RFC 2231 form; LF
// line ends, as a Maildir file has them: sizes count CRLF, as IMAP does.
TEST(MailMessage, StructureAndAttachments) {
  std::string msg =
      "Subject: s\n"
      "Content-Type: multipart/mixed; boundary=\"outer;b\"\n"
      "\n"
      "preamble\n"
      "--outer;b\n"
      "Content-Type: multipart/related; boundary=rel\n"
      "\n"
      "--rel\n"
      "Content-Type: text/html; charset=utf-8\n"
      "\n"
      "<p>hi</p>\n"
      "--rel\n"
      "Content-Type: image/png\n"
      "Content-ID: <logo@x>\n"
      "Content-Disposition: inline\n"
      "\n"
      "iVBORw0K\n"
      "--rel--\n"
      "--outer;b\n"
      "Content-Type: application/pdf; name=\"=?UTF-8?Q?r=C3=A9sum=C3=A9.pdf?=\"\n"
      "Content-Disposition: ATTACHMENT;\n"
      " filename*=UTF-8''%E2%82%AC%20plan.pdf\n"
      "\n"
      "JVBERi0x\n"
      "MC4K\n"
      "--outer;b\n"
      "\n"
      "no headers: plain text\n"
      "--outer;b\n"
      "Content-Type: text/plain; name=notes.txt\n"
      "\n"
      "a\n"
      "--outer;b--\n"
      "epilogue\n";
  json::object f = structure_fields(parse_structure(msg));
  const json::object& tree = f.at("bodyStructure").as_object();
  EXPECT_EQ(tree.at("type"), "multipart/mixed");
  const json::array& top = tree.at("subParts").as_array();
  ASSERT_EQ(top.size(), 4u);
  const json::array& rel = top[0].at("subParts").as_array();
  ASSERT_EQ(rel.size(), 2u);
  EXPECT_EQ(rel[0].at("partId"), "1.1");
  EXPECT_EQ(rel[0].at("type"), "text/html");
  EXPECT_EQ(rel[0].at("size").to_number<int>(), 9);  // "<p>hi</p>": the CRLF before --rel belongs to the delimiter
  EXPECT_EQ(rel[1].at("cid"), "logo@x");
  EXPECT_EQ(rel[1].at("disposition"), "inline");
  EXPECT_EQ(top[1].at("partId"), "2");
  EXPECT_EQ(top[1].at("name"), "€ plan.pdf");  // filename* wins over name
  EXPECT_EQ(top[1].at("disposition"), "attachment");
  EXPECT_EQ(top[1].at("size").to_number<int>(), 14);  // "JVBERi0x\r\nMC4K"
  EXPECT_EQ(top[2].at("type"), "text/plain");
  EXPECT_FALSE(top[2].as_object().contains("name"));
  EXPECT_EQ(top[3].at("name"), "notes.txt");
  // attachments: the PDF and the named text; not the inline image, not the bodies
  const json::array& att = f.at("attachments").as_array();
  ASSERT_EQ(att.size(), 2u);
  EXPECT_EQ(att[0].at("partId"), "2");
  EXPECT_EQ(att[1].at("partId"), "4");
  EXPECT_EQ(f.at("hasAttachment"), true);
}

TEST(MailMessage, StructureOfASinglePartMessage) {
  json::object f = structure_fields(parse_structure("Subject: x\r\n\r\nhello\r\n"));
  EXPECT_EQ(json::serialize(f.at("bodyStructure")), R"({"partId":"1","type":"text/plain","size":7})");
  EXPECT_EQ(f.at("hasAttachment"), false);
  std::map<std::string, std::string> p;
  EXPECT_EQ(header_params(" Text/HTML ; Charset = \"utf-8\" ; q=\"a\\\"b;c\"", p), "text/html");
  EXPECT_EQ(p["charset"], "utf-8");
  EXPECT_EQ(p["q"], "a\"b;c");
}

// Issue 22 item 7: an attached message that is all header, before a
// delimiter, counts the CRLF that ends its last header line, as Dovecot's
// BODYSTRUCTURE does (12, not 10); one with an empty line or a body, or
// running to the end, counts what it holds. Bare LF as a Maildir file has it.
TEST(MailMessage, AttachedMessageSizesAsImapServersCountThem) {
  auto size_of = [](std::string_view part, size_t index = 1) {
    std::string m = "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nsee\n--b\n";
    m += part;
    json::object f = structure_fields(parse_structure(m));
    return f.at("bodyStructure").at("subParts").at(index).at("size").to_number<uint64_t>();
  };
  EXPECT_EQ(size_of("Content-Type: message/rfc822\n\nSubject: h\n--b--\n"), 12u);
  EXPECT_EQ(size_of("Content-Type: message/rfc822\n\nSubject: h\n\n--b--\n"), 14u);
  EXPECT_EQ(size_of("Content-Type: message/rfc822\n\nSubject: h\n\n\n--b--\n"), 14u);
  EXPECT_EQ(size_of("Content-Type: message/rfc822\n\nSubject: h\n\nbody\n--b--\n"), 18u);
  EXPECT_EQ(size_of("Content-Type: message/rfc822\n\nSubject: h\n"), 12u);    // no delimiter after it
  EXPECT_EQ(size_of("Content-Type: message/rfc822\n\n--b--\n"), 0u);          // empty
  EXPECT_EQ(size_of("Content-Type: text/plain\n\nSubject: h\n--b--\n"), 10u);  // text: the CRLF is the delimiter's
}

namespace {

// Every string in a JSON value is UTF-8 (what the host's parser demands).
bool all_utf8(const json::value& v) {
  if (v.is_string()) return valid_utf8(v.get_string());
  if (v.is_array()) {
    for (auto& e : v.get_array())
      if (!all_utf8(e)) return false;
  }
  if (v.is_object()) {
    for (auto& [k, e] : v.get_object())
      if (!valid_utf8(k) || !all_utf8(e)) return false;
  }
  return true;
}

const char* kLatin1 =
    "Message-ID: <l1@x.test>\r\n"
    "From: Fran\xe7ois M\xfcller <fm@x.test>\r\n"
    "To: \"Jos\xe9\" <j\xe9@x.test>, =?utf-8?B?not*base64?= <t@x.test>\r\n"
    "Cc: =?utf-8?Q?caf=E9?= <c@x.test>, =?x-no-such-charset?Q?abc?= <d@x.test>\r\n"
    "Subject: Caf\xe9 \x80 =?iso-8859-1?Q?d=E9j=E0?= vu\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n"
    "\r\n"
    "--b\r\n"
    "Content-Type: application/pdf; name=\"r\xe9sum\xe9.pdf\"\r\n"
    "Content-Disposition: attachment; filename*=iso-8859-2''%E8esky.pdf\r\n"
    "\r\n"
    "x\r\n"
    "--b\r\n"
    "Content-Type: application/pdf; name=\"r\xe9sum\xe9.pdf\"\r\n"
    "\r\n"
    "x\r\n"
    "--b--\r\n";

}  // namespace

// Issue 22 item 1: undeclared 8-bit header bytes read as Windows-1252,
// broken encoded words kept as they came; every field UTF-8.
TEST(MailMessage, EightBitHeadersReadInTheFallbackCharset) {
  json::object f = header_fields(header_block(kLatin1));
  EXPECT_TRUE(all_utf8(f)) << json::serialize(f);
  EXPECT_EQ(f["from"].at(0).at("name"), "Fran\xc3\xa7ois M\xc3\xbcller");
  EXPECT_EQ(f["subject"], "Caf\xc3\xa9 \xe2\x82\xac d\xc3\xa9j\xc3\xa0 vu");
  EXPECT_EQ(f["to"].at(0).at("name"), "Jos\xc3\xa9");
  EXPECT_EQ(f["to"].at(0).at("email"), "j\xc3\xa9@x.test");
  EXPECT_EQ(f["to"].at(1).at("name"), "=?utf-8?B?not*base64?=");
  // a word that says UTF-8 and is not: kept as it came
  EXPECT_EQ(f["cc"].at(0).at("name"), "=?utf-8?Q?caf=E9?=");
  EXPECT_EQ(f["cc"].at(1).at("name"), "=?x-no-such-charset?Q?abc?=");
  json::object s = structure_fields(parse_structure(kLatin1));
  EXPECT_TRUE(all_utf8(s)) << json::serialize(s);
  EXPECT_EQ(s["attachments"].at(0).at("name"), "\xc4\x8d" "esky.pdf");  // RFC 2231 in ISO-8859-2 (iconv)
  EXPECT_EQ(s["attachments"].at(1).at("name"), "r\xc3\xa9sum\xc3\xa9.pdf");
}

TEST(MailMessage, FallbackCharsetIsConfigurable) {
  json::object f = header_fields("Subject: \xe8" "esky\r\n", "iso-8859-2");
  EXPECT_EQ(f["subject"], "\xc4\x8d" "esky");
  // UTF-8 stays UTF-8 whatever the fallback
  EXPECT_EQ(header_text("caf\xc3\xa9", "iso-8859-2"), "caf\xc3\xa9");
  // a fallback that cannot read the bytes (no character in UTF-8 for 0xFF): Windows-1252
  EXPECT_EQ(header_text("\xff", "utf-8"), "\xc3\xbf");
  EXPECT_TRUE(known_charset("windows-1252"));
  EXPECT_TRUE(known_charset("ISO-8859-15"));
  EXPECT_FALSE(known_charset("no-such-charset"));
  // a word in a charset only iconv knows
  EXPECT_EQ(decode_words("=?koi8-r?B?9MXT1A==?="), "\xd0\xa2\xd0\xb5\xd1\x81\xd1\x82");
}

// Random bytes in every header: the fields are always UTF-8.
TEST(MailMessage, RandomHeaderBytesAlwaysGiveUtf8) {
  std::mt19937 rng(22);
  for (int round = 0; round < 2000; ++round) {
    std::string h;
    for (const char* name : {"Message-ID: ", "From: ", "To: ", "Subject: ", "Content-Type: multipart/mixed; boundary=b\r\nX: "}) {
      h += name;
      int n = static_cast<int>(rng() % 30);
      for (int k = 0; k < n; ++k) {
        unsigned r = rng() % 8;
        h += r == 0 ? std::string("=?utf-8?q?") : r == 1 ? std::string("?=") : r == 2 ? std::string("<") : std::string(1, static_cast<char>(rng() % 256));
      }
      h += "\r\n";
    }
    std::string msg = h + "\r\n--b\r\nContent-Type: text/plain; name=\"" + std::string(1, static_cast<char>(0x80 + rng() % 128)) + "\"\r\n\r\nx\r\n--b--\r\n";
    json::object f = header_fields(header_block(msg));
    ASSERT_TRUE(all_utf8(f)) << json::serialize(f);
    json::object s = structure_fields(parse_structure(msg));
    ASSERT_TRUE(all_utf8(s)) << json::serialize(s);
  }
}

// A part by its partId and a leaf's bytes (what a CRM's attachment upload
// takes out of /raw).
TEST(MailPartBytesTest, APartIsFoundByItsIdAndItsBodyDecoded) {
  std::string m = to_crlf(
      "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n"
      "--b\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0=\n"
      "--b\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\na=3Db\n--b--\n");
  Part root = parse_structure(m);
  const Part* pdf = part_at(root, "2");
  ASSERT_NE(pdf, nullptr);
  EXPECT_EQ(leaf_bytes(m, *pdf), std::optional<std::string>("%PDF-"));
  ASSERT_NE(part_at(root, "1"), nullptr);
  EXPECT_EQ(leaf_bytes(m, *part_at(root, "1")), std::optional<std::string>("hi"));
  EXPECT_EQ(leaf_bytes(m, *part_at(root, "3")), std::optional<std::string>("a=b"));
  EXPECT_EQ(part_at(root, "4"), nullptr);
  EXPECT_EQ(part_at(root, "2.1"), nullptr);
  EXPECT_EQ(part_at(root, "x"), nullptr);
}

// RFC 2045 6.7: "=XX" is a byte (any byte: an attachment's), "=" at a line's
// end (after whitespace a transport added) a soft line break, a line break
// a line break; an "=" that starts neither stays.
TEST(MailPartBytesTest, AQuotedPrintablePartIsDecodedWithItsSoftLineBreaks) {
  std::string m = to_crlf(
      "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n"
      "--b\nContent-Type: application/octet-stream; name=x.bin\nContent-Transfer-Encoding: Quoted-Printable\n\n"
      "=00=ff=FEabc=\ndef= \t\nline two\n= not an escape =4\n--b--\n");
  Part root = parse_structure(m);
  ASSERT_NE(part_at(root, "2"), nullptr);
  EXPECT_EQ(leaf_bytes(m, *part_at(root, "2")),
            std::optional<std::string>(std::string("\x00\xff\xfe", 3) + "abcdefline two\r\n= not an escape =4"));
}

// A header's non-ASCII text as RFC 2047 words of at most 75 characters
// (RFC 2047 2), folded, never cutting a UTF-8 sequence, and read back
// whole. Before, HighLevel's outbound mail wrote a long subject or
// attachment name as one word of any length (review s12 L4), beside
// outlook-mapi's own correct copy of this code: one serves both now.
TEST(MailMessage, NonAsciiHeaderTextIsEncodedInWordsOfAtMost75Characters) {
  EXPECT_EQ(accord::mail::encode_header_text("plain subject"), "plain subject");
  EXPECT_EQ(accord::mail::encode_header_text("Grüße"), "=?utf-8?B?R3LDvMOfZQ==?=");
  std::string text;
  for (int i = 0; i < 20; ++i) text += "Angebot für Müller – Übersicht ";
  std::string enc = accord::mail::encode_header_text(text);
  size_t words = 0;
  for (size_t at = 0; at < enc.size();) {
    size_t end = enc.find("\r\n ", at);
    std::string word = enc.substr(at, end == std::string::npos ? std::string::npos : end - at);
    EXPECT_LE(word.size(), 75u) << word;
    EXPECT_TRUE(word.starts_with("=?utf-8?B?") && word.ends_with("?=")) << word;
    ++words;
    at = end == std::string::npos ? enc.size() : end + 3;
  }
  EXPECT_GT(words, 1u);
  std::string unfolded;
  for (size_t at = 0; at < enc.size(); ++at) {
    if (enc.compare(at, 3, "\r\n ") == 0) {
      unfolded += ' ';
      at += 2;
    } else {
      unfolded += enc[at];
    }
  }
  EXPECT_EQ(accord::mail::decode_words(unfolded), text);
}
