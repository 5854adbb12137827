// SPDX-License-Identifier: Apache-2.0
// vCard ⇄ JSContact: real-world exports read right, and what is written reads
// back the same.
#include <accord/formats/vcard.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace json = boost::json;
using namespace accord::formats;

namespace {

std::string data_file(const std::string& name) {
  std::ifstream in(std::string(FORMATS_CORPUS) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json::value at(const json::object& o, std::string_view ptr) { return json::value(o).at_pointer(ptr); }

}  // namespace

TEST(VcardTest, Outlook21QuotedPrintableWindows1252IsDecodedToUtf8) {
  auto p = vcard::parse(data_file("outlook-21.vcf"));
  const auto& c = p.card;
  EXPECT_EQ(at(c, "/name/full"), "Dr. J\xC3\xBCrgen M\xC3\xBCller");
  // N: family;given;additional;prefix;suffix → title, given, surname
  const auto comps = at(c, "/name/components").as_array();
  ASSERT_EQ(comps.size(), 3u);
  EXPECT_EQ(comps[0].at("kind"), "title");
  EXPECT_EQ(comps[1].at("value"), "J\xC3\xBCrgen");
  EXPECT_EQ(comps[2].at("kind"), "surname");
  EXPECT_EQ(at(c, "/organizations/o1/name"), "M\xC3\xBCller & S\xC3\xB6hne GmbH");
  EXPECT_EQ(at(c, "/organizations/o1/units/0/name"), "Vertrieb");
  EXPECT_EQ(at(c, "/titles/t1/name"), "Gesch\xC3\xA4" "ftsf\xC3\xBChrer");
}

TEST(VcardTest, Outlook21BareTypesBecomeContextsAndFeatures) {
  auto p = vcard::parse(data_file("outlook-21.vcf"));
  const auto& c = p.card;
  EXPECT_EQ(at(c, "/phones/p1/number"), "+49 30 1234567");
  EXPECT_EQ(at(c, "/phones/p1/contexts/work"), true);
  EXPECT_EQ(at(c, "/phones/p1/features/voice"), true);
  EXPECT_EQ(at(c, "/phones/p2/features/mobile"), true);
  EXPECT_EQ(at(c, "/phones/p3/features/fax"), true);
  EXPECT_EQ(at(c, "/emails/e1/address"), "juergen.mueller@example.de");
  EXPECT_EQ(at(c, "/emails/e1/pref"), 1);
}

TEST(VcardTest, Outlook21SoftLineBreaksAndEncodedNewlinesAreJoined) {
  auto p = vcard::parse(data_file("outlook-21.vcf"));
  const auto& c = p.card;
  EXPECT_EQ(at(c, "/notes/n1/note"), "Erste Zeile\nZweite Zeile mit Umlaut \xC3\xA4");
  const auto adr = at(c, "/addresses/a1/components").as_array();
  ASSERT_EQ(adr.size(), 4u);
  EXPECT_EQ(adr[0].at("kind"), "name");
  EXPECT_EQ(adr[0].at("value"), "Hauptstra\xC3\x9F" "e 1\nHinterhaus");
  EXPECT_EQ(adr[3].at("value"), "Deutschland");
}

TEST(VcardTest, Outlook21PhotoIsKeptAsDataUri) {
  auto p = vcard::parse(data_file("outlook-21.vcf"));
  std::string uri(at(p.card, "/media/m1/uri").as_string());
  EXPECT_TRUE(uri.starts_with("data:image/jpeg;base64,/9j/4AAQSkZJRg")) << uri;
  EXPECT_TRUE(uri.ends_with("AQEBAQE=")) << uri;
  EXPECT_EQ(uri.find(' '), std::string::npos);
  EXPECT_EQ(at(p.card, "/anniversaries/b1/date/year"), 1970);
  EXPECT_EQ(at(p.card, "/updated"), "2024-01-02T03:04:05Z");
}

TEST(VcardTest, UnknownPropertiesAreKeptVerbatim) {
  auto p = vcard::parse(data_file("outlook-21.vcf"));
  ASSERT_EQ(p.unknown.size(), 1u);
  EXPECT_EQ(p.unknown[0], "X-MS-OL-DEFAULT-POSTAL-ADDRESS:2");
  auto a = vcard::parse(data_file("apple-30.vcf"));
  ASSERT_EQ(a.unknown.size(), 2u);
  EXPECT_EQ(a.unknown[1], "X-SOCIALPROFILE;type=twitter:https://twitter.com/ada");
  std::string out = vcard::serialize(a.card, "4.0", "", a.unknown);
  EXPECT_NE(out.find("\r\nX-SOCIALPROFILE;type=twitter:https://twitter.com/ada\r\n"), std::string::npos) << out;
}

TEST(VcardTest, Apple30EscapesGroupsAndMultipleValues) {
  auto p = vcard::parse(data_file("apple-30.vcf"));
  const auto& c = p.card;
  EXPECT_EQ(at(c, "/uid"), "5F3E0B2A-1C2D-4E5F-8A9B-0C1D2E3F4A5B");
  EXPECT_EQ(at(c, "/organizations/o1/name"), "Analytical Engines, Ltd;");
  EXPECT_EQ(at(c, "/nicknames/k2/name"), "Enchantress of Numbers");
  EXPECT_EQ(at(c, "/emails/e1/contexts/private"), true);
  EXPECT_EQ(at(c, "/emails/e1/pref"), 1);
  EXPECT_EQ(at(c, "/emails/e2/contexts/work"), true);
  EXPECT_EQ(at(c, "/notes/n1/note"), "Line one\nLine two, with comma; and semicolon");
  EXPECT_EQ(at(c, "/addresses/a1/components/0/value"), "12 St James's Square");
  EXPECT_EQ(at(c, "/keywords/Mathematicians"), true);
  EXPECT_EQ(at(c, "/links/l1/uri"), "https://engines.example/ada");
}

TEST(VcardTest, Vcard40PropIdPrefMediaAndPartialDates) {
  auto p = vcard::parse(data_file("google-40.vcf"));
  const auto& c = p.card;
  EXPECT_EQ(at(c, "/emails/email-navy/address"), "grace@navy.example");
  EXPECT_EQ(at(c, "/phones/p1/number"), "+1-202-555-0100");
  EXPECT_EQ(at(c, "/anniversaries/b1/kind"), "wedding");
  EXPECT_EQ(at(c, "/anniversaries/b1/date/month"), 12);
  EXPECT_FALSE(at(c, "/anniversaries/b1/date").as_object().contains("year"));
  EXPECT_EQ(at(c, "/anniversaries/b2/date/day"), 9);
  EXPECT_TRUE(std::string(at(c, "/media/m1/uri").as_string()).starts_with("data:image/png;base64,"));
  EXPECT_EQ(at(c, "/onlineServices/s1/uri"), "xmpp:grace@navy.example");
}

TEST(VcardTest, WrittenCardReadsBackEqual) {
  for (const char* f : {"outlook-21.vcf", "apple-30.vcf", "google-40.vcf"}) {
    for (const char* version : {"4.0", "3.0"}) {
      auto first = vcard::parse(data_file(f));
      std::string text = vcard::serialize(first.card, version, "key-1", first.unknown);
      auto second = vcard::parse(text);
      json::object a = first.card, b = second.card;
      if (std::string(version) == "3.0") {  // 3.0 has no ANNIVERSARY, PROP-ID or KIND
        for (auto* o : {&a, &b}) {
          o->erase("anniversaries");
          o->erase("emails");
        }
      }
      EXPECT_EQ(json::value(a), json::value(b)) << f << " as " << version << "\n" << text;
      EXPECT_EQ(second.idempotency_key, "key-1");
      EXPECT_EQ(second.unknown, first.unknown) << f;
    }
  }
}

TEST(VcardTest, LongLinesAreFoldedAtOctetsWithoutSplittingUtf8) {
  auto p = vcard::parse(data_file("google-40.vcf"));
  std::string text = vcard::serialize(p.card, "4.0", "", {});
  std::istringstream in(text);
  std::string line;
  int folded = 0;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    EXPECT_LE(line.size(), 75u) << line;
    if (line.starts_with(" ")) ++folded;
    // a continuation never starts inside a UTF-8 sequence
    if (line.size() > 1) {
      EXPECT_NE(static_cast<unsigned char>(line[1]) & 0xC0, 0x80) << line;
    }
  }
  EXPECT_GT(folded, 1);
  EXPECT_EQ(vcard::parse(text).card, p.card);
}

TEST(VcardTest, ValuesCannotInjectProperties) {
  json::object card{{"@type", "Card"}, {"uid", "x"},
                    {"name", json::object{{"full", "Eve\r\nEMAIL:evil@example.com"}}}};
  std::string text = vcard::serialize(card, "4.0", "", {});
  auto back = vcard::parse(text);
  EXPECT_FALSE(back.card.contains("emails")) << text;
  EXPECT_EQ(at(back.card, "/name/full"), "Eve\nEMAIL:evil@example.com");
}

TEST(VcardTest, BrokenInputIsRejectedWithLine) {
  EXPECT_THROW(vcard::parse("hello world"), std::runtime_error);
  EXPECT_THROW(vcard::parse("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:x\r\n"), std::runtime_error);  // truncated
  try {
    vcard::parse("BEGIN:VCARD\r\nthis line has no colon\r\nEND:VCARD\r\n");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
}
