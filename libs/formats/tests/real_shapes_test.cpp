// SPDX-License-Identifier: Apache-2.0
// Defects other people's real files showed (tests/real, real_corpus_test.cpp),
// each on a small file of our own writing with the same shape: a file written
// back from its unchanged record is the file as it was, byte for byte.
#include <accord/formats/collection.hpp>
#include <accord/formats/compare.hpp>
#include <accord/formats/icalendar.hpp>
#include <accord/formats/vcard.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace json = boost::json;
using namespace accord::formats;

namespace {

json::object through_store(const json::object& o) { return json::parse(json::serialize(o)).as_object(); }

// the event file written back from its own record, unchanged
std::string ical_as_is(const std::string& text) {
  auto p = icalendar::parse(text);
  return icalendar::rewrite(text, through_store(p.object), p.kind, p.idempotency_key);
}

[[maybe_unused]] std::string vcard_as_is(const std::string& text) {
  auto p = vcard::parse(text);
  return vcard::rewrite(text, through_store(p.card), p.idempotency_key);
}

std::string str_of(const json::object& o, const char* k) {
  auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->get_string()) : "";
}

std::string cal(const std::string& body) {
  return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\n" + body + "END:VCALENDAR\r\n";
}

}  // namespace

TEST(RealShapesTest, AnEventWithoutUidGetsNoEmptyUidLine) {
  // python-icalendar's files made by hand or by scripts often have no UID
  std::string text = cal("BEGIN:VEVENT\r\nSUMMARY:Party\r\nDTSTART:20260101T100000Z\r\nEND:VEVENT\r\n");
  EXPECT_EQ(ical_as_is(text), text);
  json::object ev = through_store(icalendar::parse(text).object);
  ev["title"] = "Big party";
  std::string edited = icalendar::rewrite(text, ev, icalendar::Kind::kEvent, "");
  EXPECT_EQ(edited.find("UID:"), std::string::npos) << edited;
}

TEST(RealShapesTest, CategoriesWithEscapedCommasStayAsTheyWere) {
  // "Meeting\, John" is one category holding a comma
  std::string text = cal("BEGIN:VEVENT\r\nUID:c1\r\nDTSTART:20260101T100000Z\r\nSUMMARY:S\r\n"
                         "CATEGORIES:Meeting\\, John,Work\\, Sarah,Project\r\nEND:VEVENT\r\n");
  auto p = icalendar::parse(text);
  ASSERT_TRUE(p.object.contains("keywords")) << json::serialize(p.object);
  EXPECT_TRUE(p.object.at("keywords").as_object().contains("Meeting, John")) << json::serialize(p.object);
  EXPECT_EQ(ical_as_is(text), text);
}

TEST(RealShapesTest, AddedDatesKeepTheirZoneUtcAndDateForm) {
  // RFC 5545's RDATE examples, as python-icalendar's rfc_5545_RDATE_example.ics has them
  std::string zone =
      "BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\nBEGIN:STANDARD\r\nDTSTART:19971026T020000\r\n"
      "TZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nTZNAME:EST\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";
  for (std::string event : {
           std::string("BEGIN:VEVENT\r\nUID:1\r\nDTSTART:19970714T123000Z\r\nRDATE:19970714T123000Z\r\nSUMMARY:S\r\nEND:VEVENT\r\n"),
           std::string("BEGIN:VEVENT\r\nUID:2\r\nDTSTART;TZID=America/New_York:19970714T083000\r\n"
                       "RDATE;TZID=America/New_York:19970715T083000\r\nSUMMARY:S\r\nEND:VEVENT\r\n"),
           std::string("BEGIN:VEVENT\r\nUID:3\r\nDTSTART;VALUE=DATE:19970101\r\n"
                       "RDATE;VALUE=DATE:19970101,19970120,19970217\r\nSUMMARY:S\r\nEND:VEVENT\r\n"),
       }) {
    std::string text = cal((event.find("TZID") != std::string::npos ? zone : "") + event);
    EXPECT_EQ(ical_as_is(text), text);
  }
}

TEST(RealShapesTest, TwoCalendarsJoinedInOneFileAreRead) {
  // some exports (and `cat a.ics b.ics`) give several VCALENDARs in one file
  std::string text = cal("BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260101T100000Z\r\nSUMMARY:A\r\nEND:VEVENT\r\n") +
                     "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//other//EN\r\nX-WR-CALNAME:Work\r\n"
                     "BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20260102T100000Z\r\nSUMMARY:B\r\nEND:VEVENT\r\n"
                     "BEGIN:VTODO\r\nUID:c\r\nSUMMARY:C\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";
  auto ms = collection::calendar(text);
  ASSERT_EQ(ms.size(), 3u);
  EXPECT_EQ(icalendar::parse(ms[0].text).object.at("title"), "A");
  EXPECT_EQ(icalendar::parse(ms[1].text).object.at("title"), "B");
  EXPECT_EQ(ms[2].type, "VTODO");
  // each member carries its own calendar's lines, not the other's
  EXPECT_EQ(ms[0].text.find("X-WR-CALNAME"), std::string::npos);
  EXPECT_NE(ms[1].text.find("X-WR-CALNAME:Work"), std::string::npos);
  // a member of the second calendar written back changes its own line alone
  auto p = icalendar::parse(ms[1].text);
  json::object ev = through_store(p.object);
  ev["title"] = "B2";
  std::string out = collection::calendar_put_back(text, ms[1], icalendar::rewrite(ms[1].text, ev, p.kind, ""));
  std::string expected = text;
  expected.replace(expected.find("SUMMARY:B\r\n"), 11, "SUMMARY:B2\r\n");
  EXPECT_EQ(out, expected);
  // written back unchanged: the same bytes
  EXPECT_EQ(collection::calendar_put_back(text, ms[0], icalendar::rewrite(ms[0].text, through_store(icalendar::parse(ms[0].text).object), icalendar::Kind::kEvent, "")), text);
  // removed: the other calendar stays whole
  std::string without = collection::splice(text, ms[1], "");
  EXPECT_EQ(collection::calendar(without).size(), 2u);
}

TEST(RealShapesTest, ACardWhoseLinesEndInTwoCarriageReturnsReads) {
  // an iPhone export that went through a CRLF conversion twice: "\r\r\n"
  std::string text = "BEGIN:VCARD\r\r\nVERSION:3.0\r\r\nPRODID:-//Apple Inc.//iOS 5.0.1//EN\r\r\nN:Doe;John;;;\r\r\n"
                     "FN:John Doe\r\r\nTEL;type=CELL:555 0100\r\r\nEND:VCARD\r\r\n";
  auto p = vcard::parse(text);
  EXPECT_EQ(p.card.at("name").at("full"), "John Doe");
  EXPECT_EQ(vcard_as_is(text), text);
}

TEST(RealShapesTest, A21CardWithoutFnGetsNoFnAddedOnRewrite) {
  // Android's 2.1 export: a card of an address alone (FN is optional in 2.1)
  std::string text = "BEGIN:VCARD\r\nVERSION:2.1\r\nEMAIL;PREF:ann@example.org\r\nCATEGORIES:My Contacts\r\nEND:VCARD\r\n";
  EXPECT_EQ(vcard_as_is(text), text);
  // a name given on the other side is written
  json::object card = through_store(vcard::parse(text).card);
  card["name"] = json::object{{"full", "Ann Lee"}};
  EXPECT_NE(vcard::rewrite(text, card, "").find("FN:Ann Lee"), std::string::npos);
}

TEST(RealShapesTest, AValueThatIsNotTheUtf8ItSaysIsReadAsTextAStoreCanKeep) {
  // Android's 2.1 export: CHARSET=UTF-8, but a stray continuation byte (=80)
  std::string text = "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Ann\r\nORG;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=91=C3=91=\r\n"
                     "=80\r\nEND:VCARD\r\n";
  auto p = vcard::parse(text);
  std::string stored = json::serialize(p.card);
  EXPECT_NO_THROW(json::parse(stored)) << stored;  // what sqlite and the state keep
  EXPECT_EQ(p.card.at("organizations").as_object().begin()->value().at("name"), "\xC3\x91\xC3\x91\xEF\xBF\xBD");
  EXPECT_EQ(vcard_as_is(text), text);
}

TEST(RealShapesTest, AnOverrideWithoutItsSeriesKeepsItsRecurrenceId) {
  // a calendar holding one moved instance whose series it does not hold (an
  // invitation to one occurrence, python-icalendar's issue 1231)
  std::string text = cal("BEGIN:VEVENT\r\nUID:test-uid\r\nDTSTART:20250428T160500Z\r\n"
                         "RECURRENCE-ID:20250428T160500Z\r\nSUMMARY:Test recurrence\r\nEND:VEVENT\r\n");
  EXPECT_EQ(ical_as_is(text), text);
  json::object ev = through_store(icalendar::parse(text).object);
  ev["title"] = "Moved";
  std::string edited = icalendar::rewrite(text, ev, icalendar::Kind::kEvent, "");
  EXPECT_NE(edited.find("RECURRENCE-ID:20250428T160500Z\r\n"), std::string::npos) << edited;
}

TEST(RealShapesTest, ALabelWhoseTypesDifferFromItsAddressStaysAsItWas) {
  // Outlook 2007's 2.1 export: LABEL;WORK;PREF beside ADR;WORK;PREF, in
  // quoted-printable with soft line breaks; a 3.0 card (Lotus Notes) whose
  // LABEL has other types than its ADR. Neither may change when a card is
  // written back unchanged or with another field edited.
  for (std::string text : {
           std::string("BEGIN:VCARD\r\nVERSION:2.1\r\nN:Angstadt;Michael\r\nFN:Michael Angstadt\r\n"
                       "ADR;WORK;PREF:;TheOffice;222 Broadway;New York;NY;99999;USA\r\n"
                       "LABEL;WORK;PREF;ENCODING=QUOTED-PRINTABLE:222 Broadway=0D=0A=\r\nNew York, NY 99999=0D=0A=\r\nUSA\r\n"
                       "EMAIL;PREF;INTERNET:mike@example.org\r\nEND:VCARD\r\n"),
           std::string("BEGIN:VCARD\r\nVERSION:3.0\r\nN:Doe;Jane;;;\r\nFN:Jane Doe\r\n"
                       "ADR;TYPE=WORK,POSTAL:;;1 Main St;Springfield;;12345;USA\r\n"
                       "LABEL;TYPE=WORK,PARCEL:1 Main St\\nSpringfield 12345\\nUSA\r\nEND:VCARD\r\n"),
       }) {
    EXPECT_EQ(vcard_as_is(text), text);
    json::object card = through_store(vcard::parse(text).card);
    card["name"].as_object()["full"] = "Edited Name";
    std::string edited = vcard::rewrite(text, card, "");
    std::string expected = text;
    size_t fn = expected.find("FN:");
    expected.replace(fn, expected.find("\r\n", fn) - fn, "FN:Edited Name");
    EXPECT_EQ(edited, expected);
  }
}

TEST(RealShapesTest, AddedDatesOfAnEventWithoutStartStayAsTheyWere) {
  // RFC 5545's RDATE examples as python-icalendar's rfc_5545_RDATE_example.ics
  // has them: events without DTSTART, so no zone the dates could be keys in
  for (std::string event : {
           std::string("BEGIN:VEVENT\r\nUID:1\r\nRDATE:19970714T123000Z\r\nEND:VEVENT\r\n"),
           std::string("BEGIN:VEVENT\r\nUID:2\r\nRDATE;TZID=America/New_York:19970714T083000\r\nEND:VEVENT\r\n"),
           std::string("BEGIN:VEVENT\r\nUID:4\r\nRDATE;VALUE=DATE:19970101,19970120,19970217,19970421,\r\n"
                       " 19970526,19970704\r\nEXDATE;VALUE=DATE:19970120\r\nEND:VEVENT\r\n"),
       }) {
    std::string text = cal(event);
    EXPECT_EQ(ical_as_is(text), text);
  }
}

TEST(RealShapesTest, PeriodsAddedOnOneLineWithAQuotedZoneAreWrittenOnce) {
  // khal's and Lotus Notes' shape (python-icalendar's issue 156): RDATE
  // periods on one line, the TZID quoted and before VALUE
  std::string text = cal(
      "BEGIN:VEVENT\r\nUID:p1\r\nSUMMARY:Event\r\nDTSTART;TZID=America/Chicago:20180327T080000\r\n"
      "DTEND;TZID=America/Chicago:20180327T090000\r\n"
      "RDATE;TZID=\"Central Standard Time\";VALUE=PERIOD:20180327T080000/20180327T090000,\r\n"
      " 20180403T080000/20180403T090000,20180410T080000/20180410T090000\r\nEND:VEVENT\r\n");
  EXPECT_EQ(ical_as_is(text), text);
  json::object ev = through_store(icalendar::parse(text).object);
  ev["title"] = "Moved";
  std::string edited = icalendar::rewrite(text, ev, icalendar::Kind::kEvent, "");
  std::string expected = text;
  expected.replace(expected.find("SUMMARY:Event"), 13, "SUMMARY:Moved");
  EXPECT_EQ(edited, expected);
}

TEST(RealShapesTest, AFileWithBlankLinesInsideItsFoldsReads) {
  // Mozilla Calendar's 2002 export (python-icalendar's
  // multiple_calendar_components.ics): a blank line before each folded part
  std::string text =
      "BEGIN:VCALENDAR\r\nVERSION\r\n\r\n :2.0\r\nPRODID\r\n\r\n :-//Mozilla.org/NONSGML Mozilla Calendar V1.0//EN\r\n"
      "METHOD\r\n\r\n :PUBLISH\r\nBEGIN:VEVENT\r\nUID\r\n\r\n :956630271\r\nSUMMARY\r\n\r\n :Christmas Day\r\n"
      "DTSTART\r\n\r\n ;VALUE=DATE\r\n :20031225\r\nDTEND\r\n\r\n ;VALUE=DATE\r\n :20031226\r\n"
      "DTSTAMP\r\n\r\n :20020430T114937Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
  auto p = icalendar::parse(text);
  EXPECT_EQ(p.object.at("uid"), "956630271") << json::serialize(p.object);
  EXPECT_EQ(p.object.at("title"), "Christmas Day") << json::serialize(p.object);
  EXPECT_EQ(p.object.at("start"), "2003-12-25T00:00:00") << json::serialize(p.object);
  EXPECT_EQ(ical_as_is(text), text);
  json::object ev = through_store(p.object);
  ev["title"] = "Boxing Day";
  std::string edited = icalendar::rewrite(text, ev, icalendar::Kind::kEvent, "");
  std::string expected = text;
  std::string summary = "SUMMARY\r\n\r\n :Christmas Day";
  expected.replace(expected.find(summary), summary.size(), "SUMMARY:Boxing Day");
  EXPECT_EQ(edited, expected);
}

TEST(RealShapesTest, LinesLibicalCannotReadStayAsTheyWere) {
  // RFC 9253's LINK and RELATED-TO;VALUE=UID/URI with GAP (python-icalendar's
  // rfc_9253_*.ics), an RDATE;VALUE=TIME (multiple_timezones.ics), an Apple
  // location with its radius: libical 3.0 drops them, or their parameters
  std::string text = cal(
      "BEGIN:VEVENT\r\nUID:2\r\nDTSTAMP:19960817T083000Z\r\nDTSTART:20251028T092239Z\r\nSUMMARY:Second\r\n"
      "LINK;LINKREL=SOURCE;LABEL=Venue;VALUE=URI:\r\n https://example.com/events\r\n"
      "LINK;LINKREL=\"https://example.com/linkrel/costStructure\";\r\n VALUE=XML-REFERENCE:\r\n"
      " https://example.com/xmlDocs/bidFramework.xml\r\n #xpointer(descendant::CostStruc)\r\n"
      "RELATED-TO;VALUE=UID;RELTYPE=STARTTOSTART;GAP=P1W:1\r\n"
      "RELATED-TO;VALUE=URI;RELTYPE=STARTTOFINISH:https://example.com/cal/1.ics\r\n"
      "RDATE;VALUE=TIME;TZID=America/New_York:083000\r\n"
      "X-APPLE-STRUCTURED-LOCATION;VALUE=URI;X-APPLE-RADIUS=49.91307046514149;X-TITLE=\"Home\":geo:1,2\r\n"
      "END:VEVENT\r\n");
  auto p = icalendar::parse(text);
  std::string props = json::serialize(p.object.at("iCalProps"));
  EXPECT_NE(props.find("\"link\""), std::string::npos) << props;
  EXPECT_NE(props.find("P1W"), std::string::npos) << props;
  EXPECT_EQ(ical_as_is(text), text);
  // written as a new file, every line is there
  std::string b = icalendar::serialize(through_store(p.object), icalendar::Kind::kEvent, "", {});
  for (std::string l : {"LINK;LINKREL=SOURCE;LABEL=Venue;VALUE=URI:https://example.com/events",
                        "RELATED-TO;VALUE=UID;RELTYPE=STARTTOSTART;GAP=P1W:1", "RDATE;VALUE=TIME;TZID=America/New_York:083000"})
    EXPECT_NE(b.find(l), std::string::npos) << l << "\n" << b;
  json::object ev = through_store(p.object);
  ev["title"] = "Edited";
  std::string edited = icalendar::rewrite(text, ev, icalendar::Kind::kEvent, "");
  std::string expected = text;
  expected.replace(expected.find("SUMMARY:Second"), 14, "SUMMARY:Edited");
  EXPECT_EQ(edited, expected);
}

TEST(RealShapesTest, BinaryAttachmentsAndImagesAreWrittenOnceAsTheyWere) {
  // python-icalendar's issue_1549_binary_attachment.ics, rfc_7986_image.ics
  std::string text = cal(
      "BEGIN:VEVENT\r\nUID:b1\r\nDTSTART:20250101T100000Z\r\nSUMMARY:Pictures\r\n"
      "ATTACH;FMTTYPE=image/png;ENCODING=BASE64;VALUE=BINARY:iVBORw0KGgo=\r\n"
      "IMAGE;ENCODING=BASE64;VALUE=BINARY;FMTTYPE=image/png;DISPLAY=BADGE:AP+A\r\nEND:VEVENT\r\n");
  EXPECT_EQ(ical_as_is(text), text);
  auto p = icalendar::parse(text);
  std::string b = icalendar::serialize(through_store(p.object), icalendar::Kind::kEvent, "", {});
  auto count = [&](const std::string& what) {
    size_t n = 0;
    for (size_t at = b.find(what); at != std::string::npos; at = b.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("\r\nATTACH;"), 1u) << b;
  EXPECT_EQ(count("\r\nIMAGE;"), 1u) << b;
  EXPECT_EQ(compare::calendars(text, b).kept, compare::calendars(text, b).properties) << b;
}

TEST(RealShapesTest, ASecondStartIsKeptAsItWas) {
  // python-icalendar's america_new_york_forward_reference.ics and
  // pacific_fiji.ics: two DTSTARTs (RFC 5545 allows one); the first is the
  // start, the other stays in the file
  std::string text = cal(
      "BEGIN:VEVENT\r\nUID:noend123\r\nDTSTART;TZID=America/New_York;VALUE=DATE-TIME:20140829T080000\r\n"
      "DTSTART;TZID=America/New_York;VALUE=DATE-TIME:20140829T100000\r\nSUMMARY:Two starts\r\nEND:VEVENT\r\n");
  auto p = icalendar::parse(text);
  EXPECT_EQ(p.object.at("start"), "2014-08-29T08:00:00") << json::serialize(p.object);
  EXPECT_EQ(ical_as_is(text), text);
  json::object ev = through_store(p.object);
  ev["title"] = "Edited";
  std::string expected = text;
  expected.replace(expected.find("SUMMARY:Two starts"), 18, "SUMMARY:Edited");
  EXPECT_EQ(icalendar::rewrite(text, ev, icalendar::Kind::kEvent, ""), expected);
}

TEST(RealShapesTest, AZoneNoEventNamesStaysInTheFile) {
  // a file whose VTIMEZONE no component names (exports that write the
  // calendar's default zone, python-icalendar's timezoned files)
  std::string text = cal(
      "BEGIN:VTIMEZONE\r\nTZID:Europe/Unused\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\n"
      "TZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
      "BEGIN:VEVENT\r\nUID:z1\r\nDTSTART:20260105T100000Z\r\nSUMMARY:Zone aside\r\nEND:VEVENT\r\n");
  EXPECT_EQ(ical_as_is(text), text);
  json::object ev = through_store(icalendar::parse(text).object);
  ev["title"] = "Edited";
  std::string expected = text;
  expected.replace(expected.find("SUMMARY:Zone aside"), 18, "SUMMARY:Edited");
  EXPECT_EQ(icalendar::rewrite(text, ev, icalendar::Kind::kEvent, ""), expected);
}

TEST(RealShapesTest, AnOverrideOfThisAndFutureInstancesKeepsItsRange) {
  // RFC 5545 §3.2.13: RANGE=THISANDFUTURE makes the override apply to every
  // later instance too (khal, Lotus Notes write it); written without it, it
  // would change one instance alone
  std::string text = cal(
      "BEGIN:VEVENT\r\nUID:s1\r\nDTSTART:20260105T100000Z\r\nDTEND:20260105T110000Z\r\nRRULE:FREQ=WEEKLY;COUNT=10\r\n"
      "SUMMARY:Series\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:s1\r\nRECURRENCE-ID;RANGE=THISANDFUTURE:20260119T100000Z\r\n"
      "DTSTART:20260119T120000Z\r\nDTEND:20260119T130000Z\r\nSUMMARY:Series moved\r\nEND:VEVENT\r\n");
  EXPECT_EQ(ical_as_is(text), text);
  json::object ev = through_store(icalendar::parse(text).object);
  ev["title"] = "Renamed";
  std::string expected = text;
  expected.replace(expected.find("SUMMARY:Series\r\n"), 14, "SUMMARY:Renamed");
  EXPECT_EQ(icalendar::rewrite(text, ev, icalendar::Kind::kEvent, ""), expected);
  std::string b = icalendar::serialize(ev, icalendar::Kind::kEvent, "", {});
  EXPECT_NE(b.find("RECURRENCE-ID;RANGE=THISANDFUTURE:20260119T100000Z"), std::string::npos) << b;
}

TEST(RealShapesTest, ALineNamedLikeTheCarrierIsKeptAsItWasNeverDecoded) {
  // X-ACCORD-VERBATIM is the name the reader gives a line libical cannot read
  // (its bytes in hex); a file or a received invitation may hold a line of
  // that name already: it is a line like any other, never decoded into lines
  // (here an alarm and an attachment the file does not have)
  std::string text = cal(
      "X-ACCORD-VERBATIM:0D0A4154544143483A68747470733A2F2F6576696C2E6578616D706C652F78\r\n"
      "BEGIN:VEVENT\r\nUID:v1\r\nDTSTART:20260105T100000Z\r\nSUMMARY:Plain\r\n"
      "X-ACCORD-VERBATIM:0D0A424547494E3A56414C41524D0D0A414354494F4E3A444953504C4159\r\n"
      " 0D0A4445534352495054494F4E3A696E6A65637465640D0A545249474745523A2D5054354D0D0A\r\n"
      " 454E443A56414C41524D\r\n"
      "x-accord-verbatim:0D0A4154544143483A68747470733A2F2F6576696C2E6578616D706C652F78\r\n"
      "X-ACCORD-VERBATIM:not hex at all\r\nEND:VEVENT\r\n");
  auto p = icalendar::parse(text);
  EXPECT_FALSE(p.object.contains("alerts")) << json::serialize(p.object);
  EXPECT_EQ(ical_as_is(text), text);
  json::object ev = through_store(p.object);
  ev["title"] = "Edited";
  std::string expected = text;
  expected.replace(expected.find("SUMMARY:Plain"), 13, "SUMMARY:Edited");
  EXPECT_EQ(icalendar::rewrite(text, ev, icalendar::Kind::kEvent, ""), expected);
  // written as a new file: the lines as they were, nothing injected
  // (names upper case, as jCal's lower-case names are written)
  std::string b = icalendar::serialize(through_store(p.object), icalendar::Kind::kEvent, "", {});
  EXPECT_EQ(b.find("VALARM"), std::string::npos) << b;
  EXPECT_EQ(b.find("ATTACH"), std::string::npos) << b;
  EXPECT_NE(b.find("X-ACCORD-VERBATIM:not hex at all\r\n"), std::string::npos) << b;
  EXPECT_EQ(compare::calendars(text, b).kept, compare::calendars(text, b).properties) << b;
}

TEST(RealShapesTest, ALineNamedLikeTheCarrierInAZoneIsKeptAsItWas) {
  // the same in a VTIMEZONE the record keeps (a TZID no IANA zone has), which
  // a new file is written with
  std::string text = cal(
      "BEGIN:VTIMEZONE\r\nTZID:Custom Zone\r\n"
      "X-ACCORD-VERBATIM:0D0A4154544143483A68747470733A2F2F6576696C2E6578616D706C652F78\r\n"
      "BEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0200\r\nEND:STANDARD\r\n"
      "END:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:z1\r\nDTSTART;TZID=Custom Zone:20260105T100000\r\nSUMMARY:Zoned\r\n"
      "END:VEVENT\r\n");
  auto p = icalendar::parse(text);
  EXPECT_EQ(ical_as_is(text), text);
  std::string b = icalendar::serialize(through_store(p.object), icalendar::Kind::kEvent, "", {});
  EXPECT_EQ(b.find("ATTACH"), std::string::npos) << b;
  EXPECT_NE(b.find("X-ACCORD-VERBATIM:0D0A4154544143483A"), std::string::npos) << b;
}

TEST(RealShapesTest, AThisAndFutureOverrideMovedToAnotherInstanceIsWrittenAtItsKey) {
  // the kept RECURRENCE-ID;RANGE=THISANDFUTURE line is the override's only
  // while it names the override's key: a record whose key moved (a source
  // that keeps iCalProps and re-bases keys) is written at its key, its range kept
  std::string text = cal(
      "BEGIN:VEVENT\r\nUID:s1\r\nDTSTART:20260105T100000Z\r\nDTEND:20260105T110000Z\r\nRRULE:FREQ=WEEKLY;COUNT=10\r\n"
      "SUMMARY:Series\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:s1\r\nRECURRENCE-ID;RANGE=THISANDFUTURE:20260119T100000Z\r\n"
      "DTSTART:20260119T120000Z\r\nDTEND:20260119T130000Z\r\nSUMMARY:Series moved\r\nEND:VEVENT\r\n");
  json::object ev = through_store(icalendar::parse(text).object);
  json::object& ov = ev.at("recurrenceOverrides").as_object();
  ASSERT_TRUE(ov.contains("2026-01-19T10:00:00")) << json::serialize(ev);
  json::value patch = ov.at("2026-01-19T10:00:00");
  ov.erase("2026-01-19T10:00:00");
  patch.as_object()["start"] = "2026-01-26T12:00:00";
  ov["2026-01-26T10:00:00"] = patch;
  std::string b = icalendar::serialize(ev, icalendar::Kind::kEvent, "", {});
  EXPECT_NE(b.find("RECURRENCE-ID;RANGE=THISANDFUTURE:20260126T100000Z\r\n"), std::string::npos) << b;
  EXPECT_EQ(b.find("20260119T100000Z"), std::string::npos) << b;
  // one kept in another zone than the series' names the same instance: as it was
  std::string zoned = cal(
      "BEGIN:VEVENT\r\nUID:s2\r\nDTSTART;TZID=Europe/Berlin:20260105T100000\r\nRRULE:FREQ=WEEKLY;COUNT=10\r\n"
      "SUMMARY:Series\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:s2\r\nRECURRENCE-ID;RANGE=THISANDFUTURE:20260119T090000Z\r\n"
      "DTSTART;TZID=Europe/Berlin:20260119T120000\r\nSUMMARY:Series moved\r\nEND:VEVENT\r\n");
  json::object zev = through_store(icalendar::parse(zoned).object);
  EXPECT_TRUE(zev.at("recurrenceOverrides").as_object().contains("2026-01-19T10:00:00")) << json::serialize(zev);
  std::string zb = icalendar::serialize(zev, icalendar::Kind::kEvent, "", {});
  EXPECT_NE(zb.find("RECURRENCE-ID;RANGE=THISANDFUTURE:20260119T090000Z\r\n"), std::string::npos) << zb;
  EXPECT_EQ(ical_as_is(zoned), zoned);
}

TEST(RealShapesTest, ATextBirthdayBesideADateOneIsKeptInANewFile) {
  // FullContact's export: one birthday as a date and, under the same ALTID,
  // as text (RFC 6350 §6.2.5 allows VALUE=text); a text birthday is no date
  // and stays as it was
  std::string text = "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ann Lee\r\nBDAY;ALTID=1:20160801\r\n"
                     "BDAY;ALTID=1;VALUE=text:2016-08-01\r\nBDAY;VALUE=text:circa 1800\r\nEND:VCARD\r\n";
  EXPECT_EQ(vcard_as_is(text), text);
  auto p = vcard::parse(text);
  std::string b = vcard::serialize(through_store(p.card), "4.0", "", {});
  auto r = compare::vcards(text, b);
  EXPECT_EQ(r.kept, r.properties) << b;
  EXPECT_NE(b.find("BDAY;ALTID=1;VALUE=text:2016-08-01\r\n"), std::string::npos) << b;
  EXPECT_NE(b.find("BDAY;VALUE=text:circa 1800\r\n"), std::string::npos) << b;
}

TEST(RealShapesTest, TheCalendarsOwnUidAndATextCalendarNameAreKeptInANewFile) {
  // RFC 7986 §5.3 gives a VCALENDAR a UID of its own; X-WR-CALNAME with its
  // VALUE=TEXT (an X- property has no default type)
  for (const char* body : {"BEGIN:VEVENT\r\nUID:e1\r\nDTSTART:20260105T100000Z\r\nSUMMARY:One\r\nEND:VEVENT\r\n",
                           "BEGIN:VTODO\r\nUID:t1\r\nSUMMARY:Two\r\nEND:VTODO\r\n",
                           "BEGIN:VJOURNAL\r\nUID:j1\r\nSUMMARY:Three\r\nEND:VJOURNAL\r\n"}) {
    std::string text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nUID:calendar-1\r\n"
                       "X-WR-CALNAME;VALUE=TEXT:Test RDATE\r\n" + std::string(body) + "END:VCALENDAR\r\n";
    EXPECT_EQ(ical_as_is(text), text);
    auto p = icalendar::parse(text);
    EXPECT_EQ(str_of(p.object, "uid"), std::string(body).substr(std::string(body).find("UID:") + 4, 2));
    std::string b = icalendar::serialize(through_store(p.object), p.kind, "", {});
    auto r = compare::calendars(text, b);
    EXPECT_EQ(r.kept, r.properties) << b << (r.lost.empty() ? "" : r.lost.front());
    EXPECT_NE(b.find("X-WR-CALNAME;VALUE=TEXT:Test RDATE\r\n"), std::string::npos) << b;
  }
}
