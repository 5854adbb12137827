// SPDX-License-Identifier: Apache-2.0
// The vCard losses issue 21 lists: a card read and written again from its
// record alone (as a copy through sqlite or another connector) keeps them.
#include <accord/formats/vcard.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <string>

namespace json = boost::json;
using namespace accord::formats;

namespace {

std::string card(const std::string& version, const std::string& body) {
  return "BEGIN:VCARD\r\nVERSION:" + version + "\r\nFN:Jane Doe\r\nN:Doe;Jane;;;\r\n" + body + "END:VCARD\r\n";
}

std::string rewrite(const std::string& text, const std::string& version) {
  return vcard::serialize(vcard::parse(text).card, version, "", {});
}

// Whether `text` holds a content line meaning `line` (unfolded; parameter
// order and case, and TYPE value order, aside).
bool has(const std::string& text, const std::string& line) {
  std::string u;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 2 < text.size() && text[i + 1] == '\n' && text[i + 2] == ' ') {
      i += 2;
      continue;
    }
    u += text[i];
  }
  return u.find("\r\n" + line + "\r\n") != std::string::npos;
}

json::value at(const vcard::Parsed& p, std::string_view ptr) { return json::value(p.card).at_pointer(ptr); }

}  // namespace

TEST(VcardLossTest, Label30IsTheAddressFullFormAndWrittenBack) {
  std::string text = card("3.0",
                          "ADR;TYPE=WORK:;;1 Main St;Springfield;IL;62701;USA\r\n"
                          "LABEL;TYPE=WORK:1 Main St\\nSpringfield\\, IL 62701\\nUSA\r\n");
  auto p = vcard::parse(text);
  EXPECT_EQ(at(p, "/addresses/a1/full"), "1 Main St\nSpringfield, IL 62701\nUSA");
  std::string out = rewrite(text, "3.0");
  EXPECT_TRUE(has(out, "LABEL;TYPE=work:1 Main St\\nSpringfield\\, IL 62701\\nUSA")) << out;
}

TEST(VcardLossTest, AdrGeoTzAndPostalTypeAreKept) {
  std::string text = card("4.0",
                          "ADR;TYPE=work,postal;GEO=\"geo:41.8781,-87.6298\";TZ=America/Chicago:;;1 Main St;"
                          "Chicago;IL;60601;USA\r\n");
  auto p = vcard::parse(text);
  EXPECT_EQ(at(p, "/addresses/a1/coordinates"), "geo:41.8781,-87.6298");
  EXPECT_EQ(at(p, "/addresses/a1/timeZone"), "America/Chicago");
  std::string out = rewrite(text, "4.0");
  EXPECT_TRUE(has(out, "ADR;TYPE=work,postal;GEO=\"geo:41.8781,-87.6298\";TZ=America/Chicago:;;1 Main St;Chicago;IL;"
                       "60601;USA"))
      << out;
}

TEST(VcardLossTest, ImppKeepsPrefAndTypes) {
  std::string text = card("3.0", "IMPP;X-SERVICE-TYPE=Jabber;type=HOME;type=pref:xmpp:jane@example.org\r\n");
  auto p = vcard::parse(text);
  EXPECT_EQ(at(p, "/onlineServices/s1/pref"), 1);
  EXPECT_EQ(at(p, "/onlineServices/s1/contexts/private"), true);
  std::string out = rewrite(text, "3.0");
  EXPECT_TRUE(has(out, "IMPP;TYPE=home,pref;X-SERVICE-TYPE=Jabber:xmpp:jane@example.org")) << out;
  std::string v4 = card("4.0", "IMPP;PREF=1;TYPE=work:sip:jane@example.org\r\n");
  EXPECT_TRUE(has(rewrite(v4, "4.0"), "IMPP;TYPE=work;PREF=1:sip:jane@example.org")) << rewrite(v4, "4.0");
}

TEST(VcardLossTest, AnniversaryWithATimeKeepsItsTime) {
  std::string text = card("4.0", "ANNIVERSARY:20090808T1430-0500\r\n");
  auto p = vcard::parse(text);
  EXPECT_EQ(at(p, "/anniversaries/b1/date/utc"), "2009-08-08T19:30:00Z");
  std::string out = rewrite(text, "4.0");
  EXPECT_TRUE(has(out, "ANNIVERSARY:20090808T193000Z")) << "the same instant, not cut to a date\n" << out;
}

TEST(VcardLossTest, PropertiesWithoutACounterpartAreCarried) {
  std::string text = card("4.0",
                          "GEO:geo:37.386013,-122.082932\r\n"
                          "TZ;VALUE=text:America/New_York\r\n"
                          "RELATED;TYPE=friend:urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6\r\n"
                          "GENDER:F\r\n"
                          "LANG;TYPE=work;PREF=1:en\r\n"
                          "LOGO:http://www.example.com/pub/logos/abccorp.jpg\r\n"
                          "DEATHDATE:20201231\r\n");
  auto p = vcard::parse(text);
  EXPECT_EQ(at(p, "/relatedTo/urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6/relation/friend"), true);
  EXPECT_EQ(at(p, "/preferredLanguages/g1/language"), "en");
  EXPECT_EQ(at(p, "/anniversaries/b1/kind"), "death");
  std::string out = rewrite(text, "4.0");
  for (const char* line : {"GEO:geo:37.386013,-122.082932", "TZ;VALUE=text:America/New_York",
                           "RELATED;TYPE=friend:urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6", "GENDER:F",
                           "LANG;TYPE=work;PREF=1:en", "LOGO:http://www.example.com/pub/logos/abccorp.jpg",
                           "DEATHDATE:20201231"})
    EXPECT_TRUE(has(out, line)) << line << "\n" << out;
}

TEST(VcardLossTest, AppleGroupsStayWithTheirLabels) {
  std::string text = card("3.0",
                          "item1.EMAIL;type=INTERNET:jane@school.example\r\n"
                          "item1.X-ABLabel:School\r\n"
                          "item2.TEL:+1 555 0100\r\n"
                          "item2.X-ABLabel:_$!<Other>!$_\r\n");
  auto p = vcard::parse(text);
  EXPECT_EQ(at(p, "/emails/e1/vCardParams/group"), "item1");
  std::string out = rewrite(text, "3.0");
  for (const char* line : {"item1.EMAIL;TYPE=internet:jane@school.example", "item1.X-ABLABEL:School",
                           "item2.TEL:+1 555 0100", "item2.X-ABLABEL:_$!<Other>!$_"})
    EXPECT_TRUE(has(out, line)) << line << "\n" << out;
}

TEST(VcardLossTest, ThreeZeroAnniversaryIsNotDropped) {
  std::string text = card("4.0", "ANNIVERSARY:19960415\r\n");
  std::string out = rewrite(text, "3.0");
  EXPECT_TRUE(has(out, "X-ANNIVERSARY:1996-04-15")) << out;
  EXPECT_EQ(vcard::parse(out).card.at("anniversaries"), vcard::parse(text).card.at("anniversaries"));
}

TEST(VcardLossTest, FoldingEndsOnBytesThatAreNotUtf8) {
  // found by the fuzzer: a run of UTF-8 continuation bytes longer than a line
  // (a property name read as it was) made the folding loop forever
  json::object c{{"@type", "Card"}, {"vCardProps", json::array{json::array{
                                         std::string("x-") + std::string(200, '\x83'), json::object(), "unknown", "v"}}}};
  std::string out = vcard::serialize(c, "4.0", "", {});
  EXPECT_NE(out.find("END:VCARD"), std::string::npos);
}
