// SPDX-License-Identifier: Apache-2.0
// iCalendar ⇄ JSCalendar through libical.
#include <accord/formats/icalendar.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace json = boost::json;
using namespace accord::formats;

namespace {
json::value at(const json::object& o, std::string_view ptr) { return json::value(o).at_pointer(ptr); }
std::string data_file(const std::string& name) {
  std::ifstream in(std::string(FORMATS_CORPUS) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

TEST(IcalendarTest, OutlookRecurringEventWithTimezoneExdateOverrideAndAlarm) {
  auto p = icalendar::parse(data_file("outlook-recurring.ics"));
  ASSERT_EQ(p.kind, icalendar::Kind::kEvent);
  const json::object& e = p.object;
  EXPECT_EQ(e.at("@type"), "Event");
  EXPECT_EQ(e.at("title"), "Weekly sync, team A");
  EXPECT_EQ(e.at("description"), "Agenda:\n1. Status\n2. Risks");
  EXPECT_EQ(e.at("start"), "2026-01-05T09:30:00");
  EXPECT_EQ(e.at("timeZone"), "Europe/Berlin");
  EXPECT_EQ(e.at("duration"), "PT45M");
  EXPECT_EQ(e.at("privacy"), "private");
  EXPECT_EQ(at(e, "/locations/l1/name"), "Room 4.12");
  const json::object& rule = e.at("recurrenceRules").as_array()[0].as_object();
  EXPECT_EQ(rule.at("frequency"), "weekly");
  EXPECT_EQ(rule.at("byDay").as_array().size(), 2u);
  // UNTIL=20260630T000000Z is 02:00 in Berlin (RFC 8984: until is local to the start's zone)
  EXPECT_EQ(rule.at("until"), "2026-06-30T02:00:00");
  const json::object& ov = e.at("recurrenceOverrides").as_object();
  EXPECT_EQ(ov.at("2026-01-12T09:30:00").at("excluded"), true);
  const json::object& moved = ov.at("2026-01-14T09:30:00").as_object();
  EXPECT_EQ(moved.at("start"), "2026-01-14T11:00:00");
  EXPECT_EQ(moved.at("title"), "Weekly sync, team A (moved)");
  EXPECT_FALSE(moved.contains("duration")) << "same as the master: not part of the patch";
  EXPECT_EQ(at(e, "/alerts/a1/trigger/offset"), "-PT15M");
  ASSERT_EQ(p.unknown.size(), 1u);
  EXPECT_NE(p.unknown[0].find("X-MICROSOFT-CDO-BUSYSTATUS"), std::string::npos);
}

TEST(IcalendarTest, WrittenEventReadsBackEqualWithVtimezone) {
  auto first = icalendar::parse(data_file("outlook-recurring.ics"));
  std::string text = icalendar::serialize(first.object, icalendar::Kind::kEvent, "k-9", first.unknown);
  EXPECT_NE(text.find("BEGIN:VTIMEZONE"), std::string::npos);
  EXPECT_NE(text.find("TZID:Europe/Berlin"), std::string::npos);
  EXPECT_NE(text.find("RECURRENCE-ID;TZID=Europe/Berlin:20260114T093000"), std::string::npos) << text;
  auto second = icalendar::parse(text);
  EXPECT_EQ(json::value(first.object), json::value(second.object)) << text;
  EXPECT_EQ(second.idempotency_key, "k-9");
  EXPECT_EQ(second.unknown.size(), 1u);
}

TEST(IcalendarTest, TaskWithDateDueProgressAndPercent) {
  auto p = icalendar::parse(data_file("task.ics"));
  ASSERT_EQ(p.kind, icalendar::Kind::kTask);
  EXPECT_EQ(p.object.at("progress"), "in-process");
  EXPECT_EQ(p.object.at("percentComplete"), 40);
  EXPECT_EQ(p.object.at("due"), "2026-03-10T00:00:00");
  auto back = icalendar::parse(icalendar::serialize(p.object, icalendar::Kind::kTask, "", {}));
  EXPECT_EQ(back.object.at("progress"), "in-process");
  EXPECT_EQ(back.object.at("percentComplete"), 40);
}

TEST(IcalendarTest, UtcAndAllDayEvents) {
  auto p = icalendar::parse(
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20260101T000000Z\r\n"
      "DTSTART;VALUE=DATE:20260501\r\nDTEND;VALUE=DATE:20260502\r\nSUMMARY:Holiday\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
  EXPECT_EQ(p.object.at("showWithoutTime"), true);
  EXPECT_EQ(p.object.at("duration"), "P1D");
  auto u = icalendar::parse(
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:b\r\nDTSTAMP:20260101T000000Z\r\n"
      "DTSTART:20260501T120000Z\r\nDURATION:PT2H\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
  EXPECT_EQ(u.object.at("timeZone"), "Etc/UTC");
  EXPECT_EQ(u.object.at("duration"), "PT2H");
  auto again = icalendar::parse(icalendar::serialize(u.object, icalendar::Kind::kEvent, "", {}));
  EXPECT_EQ(json::value(again.object), json::value(u.object));
}

TEST(IcalendarTest, JournalIsANoteAndWrittenBackAsOne) {
  auto p = icalendar::parse(
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VJOURNAL\r\nUID:j\r\nDTSTAMP:20260101T000000Z\r\n"
      "DTSTART;VALUE=DATE:20260105\r\nSUMMARY:Staff meeting minutes\r\nDESCRIPTION:1. Budget\\n2. Hiring\r\n"
      "CATEGORIES:Minutes\r\nCREATED:20260105T100000Z\r\nEND:VJOURNAL\r\nEND:VCALENDAR\r\n");
  ASSERT_EQ(p.kind, icalendar::Kind::kJournal);
  EXPECT_EQ(p.object.at("title"), "Staff meeting minutes");
  EXPECT_EQ(p.object.at("body"), "1. Budget\n2. Hiring");
  EXPECT_EQ(p.object.at("categories"), (json::array{"Minutes"}));
  EXPECT_EQ(p.object.at("created"), "2026-01-05T10:00:00Z");
  auto back = icalendar::parse(icalendar::serialize(p.object, icalendar::Kind::kJournal, "", {}));
  EXPECT_EQ(back.kind, icalendar::Kind::kJournal);
  EXPECT_EQ(json::value(back.object), json::value(p.object));
}

TEST(IcalendarTest, CalendarWithoutEventOrTaskIsOther) {
  auto p = icalendar::parse("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VFREEBUSY\r\nUID:j\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n");
  EXPECT_EQ(p.kind, icalendar::Kind::kOther);
  EXPECT_THROW(icalendar::parse("not a calendar"), std::runtime_error);
}
