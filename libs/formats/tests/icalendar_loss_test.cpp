// SPDX-License-Identifier: Apache-2.0
// The iCalendar losses and changes of meaning issue 21 lists, each written
// back into a user's file before: the record read from a file and written
// again (as through another store: no lines kept from the old file) means
// the same and keeps what it had.
#include <accord/formats/icalendar.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <string>

namespace json = boost::json;
using namespace accord::formats;

namespace {

std::string cal(const std::string& body, const std::string& head = "") {
  return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + head + body + "END:VCALENDAR\r\n";
}

// Written from the record alone, as a copy from sqlite or another connector.
std::string rewrite(const std::string& text) {
  auto p = icalendar::parse(text);
  return icalendar::serialize(p.object, p.kind, "", {});
}

bool has(const std::string& text, const std::string& line) {
  // unfold first: libical folds long lines
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

const char* kBerlin =
    "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:16011028T030000\r\n"
    "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n"
    "BEGIN:DAYLIGHT\r\nDTSTART:16010325T020000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\n"
    "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n";

}  // namespace

TEST(IcalendarLossTest, UtcUntilKeepsItsZAndItsInstant) {
  std::string text = cal(
      "BEGIN:VEVENT\r\nUID:u1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20260105T093000\r\n"
      "DTEND;TZID=Europe/Berlin:20260105T101500\r\nRRULE:FREQ=WEEKLY;UNTIL=20260630T073000Z\r\nEND:VEVENT\r\n",
      kBerlin);
  auto p = icalendar::parse(text);
  // RFC 8984: until is local time in the start's zone (07:30Z is 09:30 CEST)
  EXPECT_EQ(p.object.at("recurrenceRules").at(0).at("until"), "2026-06-30T09:30:00");
  std::string out = rewrite(text);
  EXPECT_TRUE(has(out, "RRULE:FREQ=WEEKLY;UNTIL=20260630T073000Z")) << out;
}

TEST(IcalendarLossTest, DtendInItsOwnZone) {
  // a flight: leaves Berlin 10:00 (09:00Z), lands in New York 12:00 (17:00Z)
  std::string text = cal(
      "BEGIN:VEVENT\r\nUID:u2\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20260301T100000\r\n"
      "DTEND;TZID=America/New_York:20260301T120000\r\nSUMMARY:Flight\r\nEND:VEVENT\r\n");
  auto p = icalendar::parse(text);
  EXPECT_EQ(p.object.at("duration"), "PT8H");
  std::string out = rewrite(text);
  EXPECT_TRUE(has(out, "DTEND;TZID=America/New_York:20260301T120000")) << out;
  EXPECT_TRUE(has(out, "DTSTART;TZID=Europe/Berlin:20260301T100000")) << out;
}

TEST(IcalendarLossTest, WindowsZoneNameIsMappedForInstantsAndKeptForWriting) {
  std::string vtz = std::string(kBerlin);
  vtz.replace(vtz.find("Europe/Berlin"), 13, "W. Europe Standard Time");
  std::string text = cal(
      "BEGIN:VEVENT\r\nUID:u3\r\nDTSTAMP:20260101T000000Z\r\n"
      "DTSTART;TZID=W. Europe Standard Time:20260105T093000\r\n"
      "DTEND;TZID=W. Europe Standard Time:20260105T101500\r\nSUMMARY:Outlook\r\nEND:VEVENT\r\n",
      vtz);
  auto p = icalendar::parse(text);
  EXPECT_EQ(p.object.at("timeZone"), "Europe/Berlin");
  std::string out = rewrite(text);
  EXPECT_TRUE(has(out, "TZID:W. Europe Standard Time")) << "the VTIMEZONE that defines the TZID\n" << out;
  EXPECT_TRUE(has(out, "DTSTART;TZID=W. Europe Standard Time:20260105T093000")) << out;
}

TEST(IcalendarLossTest, DateOnlyDueAndStartStayDates) {
  std::string text = cal(
      "BEGIN:VTODO\r\nUID:t1\r\nDTSTAMP:20260101T000000Z\r\nDUE;VALUE=DATE:20260310\r\nSUMMARY:Report\r\nEND:VTODO\r\n");
  std::string out = rewrite(text);
  EXPECT_TRUE(has(out, "DUE;VALUE=DATE:20260310")) << out;
  std::string both = cal(
      "BEGIN:VTODO\r\nUID:t2\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20260301\r\n"
      "DUE;VALUE=DATE:20260310\r\nEND:VTODO\r\n");
  out = rewrite(both);
  EXPECT_TRUE(has(out, "DTSTART;VALUE=DATE:20260301")) << out;
  EXPECT_TRUE(has(out, "DUE;VALUE=DATE:20260310")) << out;
}

TEST(IcalendarLossTest, AlarmsAreKeptAsTheyAre) {
  std::string text = cal(
      "BEGIN:VEVENT\r\nUID:u4\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260301T100000Z\r\nSUMMARY:Dentist\r\n"
      "BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT30M\r\nDESCRIPTION:Leave now\r\nREPEAT:2\r\nDURATION:PT5M\r\nEND:VALARM\r\n"
      "BEGIN:VALARM\r\nACTION:EMAIL\r\nTRIGGER:-P1D\r\nSUMMARY:Tomorrow\r\nDESCRIPTION:Dentist tomorrow\r\n"
      "ATTENDEE:mailto:me@example.org\r\nEND:VALARM\r\n"
      "BEGIN:VALARM\r\nACTION:AUDIO\r\nTRIGGER:-PT5M\r\nATTACH;FMTTYPE=audio/basic:http://example.com/ding.au\r\nEND:VALARM\r\n"
      "END:VEVENT\r\n");
  std::string out = rewrite(text);
  for (const char* line : {"DESCRIPTION:Leave now", "REPEAT:2", "DURATION:PT5M", "SUMMARY:Tomorrow",
                           "DESCRIPTION:Dentist tomorrow", "ATTENDEE:mailto:me@example.org", "ACTION:AUDIO",
                           "ACTION:EMAIL", "ATTACH;FMTTYPE=audio/basic:http://example.com/ding.au"})
    EXPECT_TRUE(has(out, line)) << line << "\n" << out;
  EXPECT_FALSE(has(out, "DESCRIPTION:Dentist")) << "no title put in as an alarm's description\n" << out;
  auto p = icalendar::parse(text);
  EXPECT_EQ(json::value(p.object).at_pointer("/alerts/a2/action"), "email");
}

TEST(IcalendarLossTest, CreatedCompletedAndDtstampAreCarried) {
  std::string text = cal(
      "BEGIN:VTODO\r\nUID:t3\r\nDTSTAMP:20260102T030405Z\r\nCREATED:20251201T080000Z\r\nLAST-MODIFIED:20260102T030405Z\r\n"
      "COMPLETED:20260105T170000Z\r\nSTATUS:COMPLETED\r\nSUMMARY:Done\r\nEND:VTODO\r\n");
  std::string out = rewrite(text);
  EXPECT_TRUE(has(out, "CREATED:20251201T080000Z")) << out;
  EXPECT_TRUE(has(out, "COMPLETED:20260105T170000Z")) << out;
  EXPECT_TRUE(has(out, "DTSTAMP:20260102T030405Z")) << "DTSTAMP from the record's updated time\n" << out;
  // a record from elsewhere, without any: DTSTAMP is now, not 1970
  json::object fresh{{"@type", "Event"}, {"uid", "new"}, {"title", "x"}, {"start", "2026-03-01T10:00:00"}};
  std::string made = icalendar::serialize(fresh, icalendar::Kind::kEvent, "", {});
  EXPECT_EQ(made.find("DTSTAMP:1970"), std::string::npos) << made;
  EXPECT_NE(made.find("DTSTAMP:20"), std::string::npos) << made;
}

TEST(IcalendarLossTest, OverrideKeepsWhatTheInstanceLacks) {
  // the moved instance has no LOCATION: written back, it must not get the master's
  std::string text = cal(
      "BEGIN:VEVENT\r\nUID:u5\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T090000Z\r\nDURATION:PT1H\r\n"
      "RRULE:FREQ=DAILY;COUNT=5\r\nSUMMARY:Standup\r\nLOCATION:Room 1\r\nEND:VEVENT\r\n"
      "BEGIN:VEVENT\r\nUID:u5\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID:20260106T090000Z\r\n"
      "DTSTART:20260106T100000Z\r\nDURATION:PT1H\r\nSUMMARY:Standup\r\nEND:VEVENT\r\n");
  std::string out = rewrite(text);
  size_t second = out.find("RECURRENCE-ID");
  ASSERT_NE(second, std::string::npos) << out;
  size_t end = out.find("END:VEVENT", second);
  EXPECT_EQ(out.substr(second, end - second).find("LOCATION"), std::string::npos) << out;
  auto again = icalendar::parse(out);
  EXPECT_EQ(json::value(again.object).at_pointer("/recurrenceOverrides/2026-01-06T09:00:00/locations"), nullptr);
}

TEST(IcalendarLossTest, PropertiesWithoutACounterpartAreCarried) {
  std::string text = cal(
      "BEGIN:VEVENT\r\nUID:u6\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20260105T093000\r\n"
      "DURATION:PT1H\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\nRDATE;TZID=Europe/Berlin:20260110T093000\r\n"
      "ORGANIZER;CN=Alice:mailto:alice@example.org\r\n"
      "ATTENDEE;CN=Bob;ROLE=OPT-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=TRUE:mailto:bob@example.org\r\n"
      "ATTENDEE;CUTYPE=ROOM;X-NUM-GUESTS=0:mailto:room@example.org\r\n"
      "TRANSP:TRANSPARENT\r\nURL:https://example.org/e/6\r\nGEO:52.52;13.405\r\nCOMMENT:Bring slides\r\n"
      "CONTACT:Carol\\, +49 30 1\r\nRESOURCES:PROJECTOR\r\nATTACH:https://example.org/agenda.pdf\r\n"
      "X-MICROSOFT-CDO-BUSYSTATUS:FREE\r\nEND:VEVENT\r\n",
      kBerlin);
  auto p = icalendar::parse(text);
  json::value o(p.object);
  EXPECT_EQ(o.at_pointer("/participants/p2/roles/optional"), true);
  EXPECT_EQ(o.at_pointer("/participants/p2/participationStatus"), "accepted");
  EXPECT_EQ(o.at_pointer("/freeBusyStatus"), "free");
  EXPECT_EQ(o.at_pointer("/locations/l1/coordinates"), "geo:52.52,13.405");
  std::string out = rewrite(text);
  for (const char* line :
       {"RDATE;TZID=Europe/Berlin:20260110T093000", "ORGANIZER;CN=Alice:mailto:alice@example.org",
        "ATTENDEE;CN=Bob;ROLE=OPT-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=TRUE:mailto:bob@example.org",
        "ATTENDEE;CUTYPE=ROOM;X-NUM-GUESTS=0:mailto:room@example.org", "TRANSP:TRANSPARENT",
        "URL:https://example.org/e/6", "GEO:52.520000;13.405000" /* libical's float form */, "COMMENT:Bring slides", "CONTACT:Carol\\, +49 30 1",
        "RESOURCES:PROJECTOR", "ATTACH:https://example.org/agenda.pdf", "X-MICROSOFT-CDO-BUSYSTATUS:FREE"})
    EXPECT_TRUE(has(out, line)) << line << "\n" << out;
  // and the written file reads back to the same record
  auto again = icalendar::parse(out);
  json::object a = p.object, b = again.object;
  EXPECT_EQ(json::value(a), json::value(b)) << out;
}
