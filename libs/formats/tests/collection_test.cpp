// SPDX-License-Identifier: Apache-2.0
// Whole-calendar and whole-address-book files: one member per UID (overrides
// with their master), each readable alone, and written back by changing its
// own bytes only.
#include <accord/formats/collection.hpp>
#include <accord/formats/icalendar.hpp>
#include <accord/formats/vcard.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace json = boost::json;
namespace col = accord::formats::collection;
namespace ical = accord::formats::icalendar;
namespace vcard = accord::formats::vcard;

namespace {

std::string file(const std::string& name) {
  std::ifstream in(std::string(FORMATS_COLLECTIONS) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const col::Member& member(const std::vector<col::Member>& ms, const std::string& key) {
  for (const auto& m : ms)
    if (m.key == key) return m;
  throw std::runtime_error("no member " + key);
}

}  // namespace

TEST(CollectionTest, AGoogleCalendarExportIsOneMemberPerUidWithItsOverride) {
  std::string text = file("google-calendar-export.ics");
  auto ms = col::calendar(text);
  ASSERT_EQ(ms.size(), 3u);
  EXPECT_EQ(ms[0].key, "3k9v0abcd1234@google.com");
  EXPECT_EQ(ms[0].spans.size(), 2u) << "the moved standup stays with its series";
  EXPECT_EQ(ms[1].key, "easter-2026@google.com");
  EXPECT_EQ(ms[2].key, "dentist-7781@google.com");
  for (const auto& m : ms) EXPECT_FALSE(m.duplicate);

  // each member reads alone, with its zone and the calendar's own lines
  auto standup = ical::parse(ms[0].text);
  EXPECT_EQ(standup.kind, ical::Kind::kEvent);
  EXPECT_EQ(standup.object.at("uid"), "3k9v0abcd1234@google.com");
  EXPECT_EQ(standup.object.at("timeZone"), "Europe/Berlin");
  EXPECT_TRUE(standup.object.at("recurrenceOverrides").as_object().contains("2026-03-09T09:00:00"));
  EXPECT_NE(ms[0].text.find("BEGIN:VTIMEZONE"), std::string::npos);
  EXPECT_NE(ms[0].text.find("X-WR-CALNAME:Family"), std::string::npos);
  EXPECT_EQ(ms[1].text.find("BEGIN:VTIMEZONE"), std::string::npos) << "an all-day event names no zone";
  EXPECT_EQ(ical::parse(ms[2].text).object.at("title"), "Dentist");
}

TEST(CollectionTest, AThunderbirdExportHoldsEventsAndATask) {
  auto ms = col::calendar(file("thunderbird-export.ics"));
  ASSERT_EQ(ms.size(), 3u);
  EXPECT_EQ(ms[0].type, "VEVENT");
  EXPECT_EQ(ms[1].type, "VTODO");
  EXPECT_EQ(ical::parse(ms[1].text).kind, ical::Kind::kTask);
  EXPECT_EQ(ical::parse(ms[2].text).object.at("title"), "Flight to Boston");
}

TEST(CollectionTest, AnUpdatedMemberChangesItsOwnLinesAndNoOtherByte) {
  std::string text = file("google-calendar-export.ics");
  auto ms = col::calendar(text);
  const col::Member& easter = member(ms, "easter-2026@google.com");
  auto p = ical::parse(easter.text);
  json::object ev = p.object;
  ev["title"] = "Easter lunch at Grandma's (1 pm)";
  std::string record = ical::rewrite(easter.text, ev, ical::Kind::kEvent, p.idempotency_key);
  std::string out = col::calendar_put_back(text, easter, record);

  std::string expected = text;
  std::string old_line = "SUMMARY:Easter lunch at Grandma's\r\n";
  size_t at = expected.find(old_line);
  ASSERT_NE(at, std::string::npos);
  expected.replace(at, old_line.size(), "SUMMARY:Easter lunch at Grandma's (1 pm)\r\n");
  EXPECT_EQ(out, expected);
}

TEST(CollectionTest, AnUpdateOfASeriesKeepsItsOverrideWhereItWas) {
  std::string text = file("google-calendar-export.ics");
  auto ms = col::calendar(text);
  const col::Member& standup = ms[0];
  auto p = ical::parse(standup.text);
  json::object ev = p.object;
  ev["title"] = "Daily standup";
  std::string record = ical::rewrite(standup.text, ev, ical::Kind::kEvent, p.idempotency_key);
  std::string out = col::calendar_put_back(text, standup, record);
  auto after = col::calendar(out);
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[0].key, standup.key);
  EXPECT_EQ(ical::parse(after[0].text).object.at("title"), "Daily standup");
  // the other members, byte for byte
  EXPECT_EQ(member(after, "easter-2026@google.com").text, member(ms, "easter-2026@google.com").text);
  EXPECT_EQ(member(after, "dentist-7781@google.com").text, member(ms, "dentist-7781@google.com").text);
  EXPECT_EQ(out.substr(0, standup.spans[0].first), text.substr(0, standup.spans[0].first));
}

TEST(CollectionTest, ARemovedMemberTakesItsComponentsAndKeepsTheZone) {
  std::string text = file("google-calendar-export.ics");
  auto ms = col::calendar(text);
  std::string out = col::splice(text, ms[0], "");
  std::string expected = text;
  // both of the series' components, the later one first
  expected.erase(ms[0].spans[1].first, ms[0].spans[1].second - ms[0].spans[1].first);
  expected.erase(ms[0].spans[0].first, ms[0].spans[0].second - ms[0].spans[0].first);
  EXPECT_EQ(out, expected);
  EXPECT_NE(out.find("BEGIN:VTIMEZONE"), std::string::npos);
  EXPECT_EQ(col::calendar(out).size(), 2u);
}

TEST(CollectionTest, TwoMastersWithOneUidAreBothRefused) {
  std::string text =
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
      "BEGIN:VEVENT\r\nUID:same\r\nDTSTART:20260101T100000Z\r\nSUMMARY:One\r\nEND:VEVENT\r\n"
      "BEGIN:VEVENT\r\nUID:other\r\nDTSTART:20260101T100000Z\r\nSUMMARY:Fine\r\nEND:VEVENT\r\n"
      "BEGIN:VEVENT\r\nUID:same\r\nDTSTART:20260102T100000Z\r\nSUMMARY:Two\r\nEND:VEVENT\r\n"
      "END:VCALENDAR\r\n";
  auto ms = col::calendar(text);
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_TRUE(member(ms, "same").duplicate);
  EXPECT_EQ(member(ms, "same").spans.size(), 2u);
  EXPECT_FALSE(member(ms, "other").duplicate);
}

TEST(CollectionTest, AnAppleContactsExportIsOneMemberPerCard) {
  std::string text = file("apple-contacts-export.vcf");
  auto ms = col::vcards(text);
  ASSERT_EQ(ms.size(), 3u);
  EXPECT_EQ(ms[1].key, "7C1D2E3F-4A5B-4C6D-9E8F-1A2B3C4D5E6F");
  auto bob = vcard::parse(ms[1].text);
  EXPECT_EQ(bob.card.at("name").at("full"), "Bob Jones");

  json::object c = bob.card;
  c["name"].as_object()["full"] = "Robert Jones";
  std::string out = col::splice(text, ms[1], col::vcard_replacement(vcard::rewrite(ms[1].text, c, "")));
  std::string expected = text;
  expected.replace(expected.find("FN:Bob Jones"), 12, "FN:Robert Jones");
  EXPECT_EQ(out, expected);
}

TEST(CollectionTest, CardsWithoutAUidAreNamedByTheirFn) {
  auto ms = col::vcards(file("google-contacts-export.vcf"));
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[0].key, "@Carla Diaz");
  EXPECT_EQ(ms[1].key, "@Dan Lee");
  EXPECT_EQ(col::encode_key(ms[0].key), "@Carla%20Diaz");
  EXPECT_EQ(col::decode_key("@Carla%20Diaz"), "@Carla Diaz");
  EXPECT_EQ(col::encode_key("a/b%c"), "a%2Fb%25c");
}

TEST(CollectionTest, ContentOutsideACardIsAnError) {
  EXPECT_THROW(col::vcards("FN:x\r\nBEGIN:VCARD\r\nEND:VCARD\r\n"), std::runtime_error);
  EXPECT_THROW(col::vcards("BEGIN:VCARD\r\nFN:x\r\n"), std::runtime_error);
  EXPECT_THROW(col::calendar("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VCALENDAR\r\n"), std::runtime_error);
}
