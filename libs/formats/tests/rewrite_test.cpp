// SPDX-License-Identifier: Apache-2.0
// Rewrites change only what changed: a file updated from the other side keeps
// its version, property order, unknown properties and groups, and differs
// from the old file in the changed lines alone (compared byte for byte).
#include <accord/formats/icalendar.hpp>
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

// `text` with the one logical line starting `from` replaced by `to`, in the
// file's own line endings.
std::string replaced(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at == std::string::npos) return text;
  size_t end = text.find('\n', at);
  std::string eol = end > 0 && text[end - 1] == '\r' ? "\r\n" : "\n";
  size_t cut = end + 1;
  while (cut < text.size() && (text[cut] == ' ' || text[cut] == '\t')) {  // its folded continuation
    end = text.find('\n', cut);
    cut = end + 1;
  }
  return text.substr(0, at) + to + eol + text.substr(cut);
}

}  // namespace

TEST(RewriteTest, Apple30CardChangesOnlyTheChangedEmailAndStays30) {
  std::string old = data_file("apple-30.vcf");
  auto p = vcard::parse(old);
  json::object card = p.card;
  card["emails"].as_object()["e2"].as_object()["address"] = "ada@new.example";
  std::string out = vcard::rewrite(old, card, "");
  EXPECT_EQ(out, replaced(old, "EMAIL;type=INTERNET;type=WORK:ada@engines.example",
                          "EMAIL;TYPE=work,internet:ada@new.example"));
  EXPECT_EQ(vcard::parse(out).card.at("emails").at("e2").at("address"), "ada@new.example");
}

TEST(RewriteTest, Outlook21CardStays21WithItsEncodingsAndPhoto) {
  std::string old = data_file("outlook-21.vcf");
  auto p = vcard::parse(old);
  json::object card = p.card;
  card["titles"].as_object()["t1"].as_object()["name"] = "Gesch\xC3\xA4" "ftsf\xC3\xBChrerin";
  std::string out = vcard::rewrite(old, card, "");
  EXPECT_EQ(out, replaced(old, "TITLE:Gesch",
                          "TITLE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Gesch=C3=A4ftsf=C3=BChrerin"));
  auto back = vcard::parse(out);
  EXPECT_EQ(back.version, "2.1");
  EXPECT_EQ(back.card.at("titles").at("t1").at("name"), "Gesch\xC3\xA4" "ftsf\xC3\xBChrerin");
}

TEST(RewriteTest, CardWithNothingChangedIsByteForByteTheSame) {
  for (const char* f : {"apple-30.vcf", "outlook-21.vcf", "google-40.vcf"}) {
    std::string old = data_file(f);
    auto p = vcard::parse(old);
    EXPECT_EQ(vcard::rewrite(old, p.card, p.idempotency_key), old) << f;
  }
}

TEST(RewriteTest, RemovedAndAddedValuesOnly) {
  std::string old = data_file("google-40.vcf");
  auto p = vcard::parse(old);
  json::object card = p.card;
  card["onlineServices"].as_object().erase("s1");
  card["emails"].as_object()["e9"] = json::object{{"address", "grace@home.example"}};
  std::string out = vcard::rewrite(old, card, "");
  // the removed IMPP line goes; the new address comes after the email it follows
  std::string expected = old;
  const std::string impp = "IMPP:xmpp:grace@navy.example\n";
  ASSERT_NE(expected.find(impp), std::string::npos);
  expected.erase(expected.find(impp), impp.size());
  const std::string email = "EMAIL;TYPE=work;PREF=1;PROP-ID=email-navy:grace@navy.example\n";
  ASSERT_NE(expected.find(email), std::string::npos);
  expected.insert(expected.find(email) + email.size(), "EMAIL;PROP-ID=e9:grace@home.example\n");
  EXPECT_EQ(out, expected);
}

TEST(RewriteTest, OutlookEventChangesOnlyTheTitleLine) {
  std::string old = data_file("outlook-recurring.ics");
  auto p = icalendar::parse(old);
  json::object ev = p.object;
  ev["title"] = "Weekly sync, team B";
  std::string out = icalendar::rewrite(old, ev, icalendar::Kind::kEvent, "");
  // the file's own VTIMEZONE, METHOD, PRODID, the override and the alarm stay
  EXPECT_EQ(out, replaced(old, "SUMMARY:Weekly sync\\, team A\n", "SUMMARY:Weekly sync\\, team B")) << out;
}

TEST(RewriteTest, EventWithNothingChangedIsByteForByteTheSame) {
  for (const char* f : {"outlook-recurring.ics", "task.ics"}) {
    std::string old = data_file(f);
    auto p = icalendar::parse(old);
    EXPECT_EQ(icalendar::rewrite(old, p.object, p.kind, p.idempotency_key), old) << f;
  }
}

TEST(RewriteTest, ARemovedCategoryIsRemovedFromAListLine) {
  // libical keeps only the first value of CATEGORIES:A,B read from one line:
  // the line must not pass for unchanged when a later value went
  std::string old =
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:c\r\nDTSTAMP:20260101T000000Z\r\n"
      "DTSTART:20260101T100000Z\r\nCATEGORIES:accord,test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
  auto p = icalendar::parse(old);
  json::object ev = p.object;
  ev["keywords"] = json::object{{"accord", true}};
  std::string out = icalendar::rewrite(old, ev, icalendar::Kind::kEvent, "");
  EXPECT_EQ(icalendar::parse(out).object.at("keywords"), (json::object{{"accord", true}})) << out;
}
