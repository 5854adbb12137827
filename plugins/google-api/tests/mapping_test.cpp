// SPDX-License-Identifier: Apache-2.0
// google-api's conversions, unit by unit: Google's People Person ⇄ JSContact
// Card, Calendar events (series, exceptions, zones, all-day) ⇄ JSCalendar
// Event, and Google's two error envelopes. Shapes as Google's reference
// documents them (people/v1 Person, calendar/v3 Event).
#include "calendar_map.hpp"
#include "google_client.hpp"
#include "people_map.hpp"
#include "tasks_map.hpp"

#include <accord/formats/icalendar.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace json = boost::json;
using namespace gapi;

namespace {

json::object obj(const char* text) { return json::parse(text).as_object(); }

}  // namespace

TEST(PeopleMap, PersonBecomesCardInVcardShapes) {
  auto p = obj(R"({"resourceName":"people/c1","etag":"%E1",
    "metadata":{"sources":[{"type":"CONTACT","id":"1","updateTime":"2026-03-01T10:00:00.123Z"}]},
    "names":[{"displayName":"Ada Lovelace","givenName":"Ada","familyName":"Lovelace","honorificPrefix":"Lady"}],
    "emailAddresses":[{"value":"ada@example.com","type":"work","metadata":{"primary":true}},{"value":"a@home.example","type":"home"}],
    "phoneNumbers":[{"value":"+44 20 1234","type":"mobile"},{"value":"+44 20 9999","type":"workFax"}],
    "addresses":[{"streetAddress":"12 St James's Square","city":"London","postalCode":"SW1","country":"UK","type":"home","formattedValue":"made up"}],
    "organizations":[{"name":"Analytical Engines","department":"Research","title":"Analyst"}],
    "biographies":[{"value":"First programmer","contentType":"TEXT_PLAIN"}],
    "birthdays":[{"date":{"year":1815,"month":12,"day":10}}],
    "urls":[{"value":"https://ada.example","type":"work"}],
    "nicknames":[{"value":"Enchantress"}],
    "clientData":[{"key":"accord.idempotency_key","value":"k-1"}]})");
  people::Read r = people::to_card(p);
  EXPECT_EQ(r.key, "k-1");
  EXPECT_EQ(r.modified, "2026-03-01T10:00:00.123Z");
  const json::object& c = r.card;
  EXPECT_EQ(c.at("name").at("full"), "Ada Lovelace");
  EXPECT_EQ(json::serialize(c.at("name").at("components")),
            R"([{"kind":"title","value":"Lady"},{"kind":"given","value":"Ada"},{"kind":"surname","value":"Lovelace"}])");
  EXPECT_EQ(c.at("emails").at("e1").at("address"), "ada@example.com");
  EXPECT_EQ(c.at("emails").at("e1").at("contexts").at("work"), true);
  EXPECT_EQ(c.at("emails").at("e1").at("pref"), 1);
  EXPECT_EQ(c.at("emails").at("e2").at("contexts").at("private"), true);
  EXPECT_EQ(c.at("phones").at("p1").at("features").at("mobile"), true);
  EXPECT_EQ(c.at("phones").at("p2").at("features").at("fax"), true);
  EXPECT_EQ(c.at("phones").at("p2").at("contexts").at("work"), true);
  EXPECT_FALSE(c.at("addresses").at("a1").as_object().contains("full"));  // Google's made-up formattedValue stays out
  EXPECT_EQ(c.at("organizations").at("o1").at("units").at(0).at("name"), "Research");
  EXPECT_EQ(c.at("titles").at("t1").at("name"), "Analyst");
  EXPECT_EQ(c.at("notes").at("n1").at("note"), "First programmer");
  EXPECT_EQ(c.at("anniversaries").at("b1").at("date").at("year"), 1815);
  EXPECT_EQ(c.at("links").at("l1").at("uri"), "https://ada.example");
  EXPECT_EQ(c.at("nicknames").at("k1").at("name"), "Enchantress");
}

TEST(PeopleMap, CardRoundTripsThroughPerson) {
  auto p = obj(R"({"resourceName":"people/c1",
    "names":[{"unstructuredName":"Ada Lovelace","givenName":"Ada","familyName":"Lovelace","middleName":"King"}],
    "emailAddresses":[{"value":"ada@example.com","type":"work"}],
    "phoneNumbers":[{"value":"+1","type":"workMobile"},{"value":"+2","type":"home"},{"value":"+3","type":"pager"}],
    "addresses":[{"poBox":"PO 1","streetAddress":"Main St","city":"X","region":"Y","postalCode":"Z","country":"W","type":"work"}],
    "organizations":[{"name":"AE","title":"Analyst"}],
    "birthdays":[{"date":{"month":12,"day":10}}]})");
  json::object card = people::to_card(p).card;
  json::object back = people::to_person(card, "key-9");
  json::object again = people::to_card(back).card;
  EXPECT_EQ(json::serialize(again), json::serialize(card));
  EXPECT_EQ(back.at("phoneNumbers").at(0).at("type"), "workMobile");
  EXPECT_EQ(back.at("clientData").at(0).at("value"), "key-9");
  EXPECT_EQ(back.at("names").at(0).at("unstructuredName"), "Ada Lovelace");
}

TEST(PeopleMap, EmptyCardClearsEveryUpdatedField) {
  json::object p = people::to_person(obj(R"({"@type":"Card","name":{"full":"X"}})"), "");
  for (const char* k : {"nicknames", "emailAddresses", "phoneNumbers", "addresses", "organizations", "biographies",
                        "birthdays", "urls"})
    EXPECT_TRUE(p.at(k).as_array().empty()) << k;
  EXPECT_FALSE(p.contains("clientData"));
}

TEST(CalendarMap, SingleTimedEventInItsZone) {
  calendar::Series s;
  s.master = obj(R"({"id":"e1","iCalUID":"e1@google.com","summary":"Lunch","description":"with Bob","location":"Cafe",
    "start":{"dateTime":"2026-01-05T12:00:00+01:00","timeZone":"Europe/Berlin"},
    "end":{"dateTime":"2026-01-05T13:30:00+01:00","timeZone":"Europe/Berlin"},"transparency":"transparent","visibility":"private"})");
  json::object e = calendar::to_event(s);
  EXPECT_EQ(e.at("uid"), "e1@google.com");
  EXPECT_EQ(e.at("title"), "Lunch");
  EXPECT_EQ(e.at("start"), "2026-01-05T12:00:00");
  EXPECT_EQ(e.at("timeZone"), "Europe/Berlin");
  EXPECT_EQ(e.at("duration"), "PT1H30M");
  EXPECT_EQ(e.at("freeBusyStatus"), "free");
  EXPECT_EQ(e.at("privacy"), "private");
  EXPECT_EQ(e.at("locations").at("l1").at("name"), "Cafe");
}

TEST(CalendarMap, OffsetOfAnotherZoneIsReadAsTheInstant) {
  calendar::Series s;  // Google may answer in UTC: the local time in the event's zone is what counts
  s.master = obj(R"({"id":"e1","start":{"dateTime":"2026-07-05T10:00:00Z","timeZone":"America/New_York"},
    "end":{"dateTime":"2026-07-05T11:00:00Z","timeZone":"America/New_York"}})");
  json::object e = calendar::to_event(s);
  EXPECT_EQ(e.at("start"), "2026-07-05T06:00:00");
  EXPECT_EQ(e.at("timeZone"), "America/New_York");
}

TEST(CalendarMap, AllDayEvent) {
  calendar::Series s;
  s.master = obj(R"({"id":"d1","iCalUID":"d1","summary":"Holiday","start":{"date":"2026-05-01"},"end":{"date":"2026-05-03"}})");
  json::object e = calendar::to_event(s);
  EXPECT_EQ(e.at("start"), "2026-05-01T00:00:00");
  EXPECT_EQ(e.at("showWithoutTime"), true);
  EXPECT_EQ(e.at("duration"), "P2D");
  calendar::Written w = calendar::from_event(e);
  EXPECT_EQ(w.master.at("start").at("date"), "2026-05-01");
  EXPECT_EQ(w.master.at("end").at("date"), "2026-05-03");
}

// A weekly series with a moved occurrence, a cancelled one and one whose
// title alone changed, as Google lists them (singleEvents=false).
calendar::Series weekly() {
  calendar::Series s;
  s.master = obj(R"({"id":"s1","iCalUID":"s1@google.com","summary":"Standup",
    "start":{"dateTime":"2026-01-05T09:00:00+01:00","timeZone":"Europe/Berlin"},
    "end":{"dateTime":"2026-01-05T09:15:00+01:00","timeZone":"Europe/Berlin"},
    "recurrence":["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10","EXDATE;TZID=Europe/Berlin:20260202T090000"]})");
  s.exceptions.push_back(obj(R"({"id":"s1_20260112T080000Z","recurringEventId":"s1","summary":"Standup",
    "originalStartTime":{"dateTime":"2026-01-12T09:00:00+01:00","timeZone":"Europe/Berlin"},
    "start":{"dateTime":"2026-01-13T10:00:00+01:00","timeZone":"Europe/Berlin"},
    "end":{"dateTime":"2026-01-13T10:15:00+01:00","timeZone":"Europe/Berlin"}})"));
  s.exceptions.push_back(obj(R"({"id":"s1_20260119T080000Z","recurringEventId":"s1","status":"cancelled",
    "originalStartTime":{"dateTime":"2026-01-19T09:00:00+01:00","timeZone":"Europe/Berlin"}})"));
  s.exceptions.push_back(obj(R"({"id":"s1_20260126T080000Z","recurringEventId":"s1","summary":"Retro instead",
    "originalStartTime":{"dateTime":"2026-01-26T09:00:00+01:00","timeZone":"Europe/Berlin"},
    "start":{"dateTime":"2026-01-26T09:00:00+01:00","timeZone":"Europe/Berlin"},
    "end":{"dateTime":"2026-01-26T09:15:00+01:00","timeZone":"Europe/Berlin"}})"));
  return s;
}

TEST(CalendarMap, SeriesWithExceptionsBecomesOverrides) {
  json::object e = calendar::to_event(weekly());
  EXPECT_EQ(e.at("recurrenceRules"),
            json::parse(R"([{"@type":"RecurrenceRule","frequency":"weekly","byDay":[{"@type":"NDay","day":"mo"}],"count":10}])"));
  const json::object& ov = e.at("recurrenceOverrides").as_object();
  EXPECT_EQ(ov.size(), 4u);
  EXPECT_EQ(json::serialize(ov.at("2026-01-12T09:00:00")), R"({"start":"2026-01-13T10:00:00"})");
  EXPECT_EQ(json::serialize(ov.at("2026-01-19T09:00:00")), R"({"excluded":true})");
  EXPECT_EQ(json::serialize(ov.at("2026-02-02T09:00:00")), R"({"excluded":true})");
  EXPECT_EQ(json::serialize(ov.at("2026-01-26T09:00:00")), R"({"title":"Retro instead"})");
}

TEST(CalendarMap, SameCanonicalAsTheIcsFile) {
  // what an .ics folder holds for the same series converts to the same record
  const char* ics =
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:s1@google.com\r\n"
      "DTSTART;TZID=Europe/Berlin:20260105T090000\r\nDTEND;TZID=Europe/Berlin:20260105T091500\r\nSUMMARY:Standup\r\n"
      "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10\r\nEXDATE;TZID=Europe/Berlin:20260202T090000\r\n"
      "EXDATE;TZID=Europe/Berlin:20260119T090000\r\nEND:VEVENT\r\n"
      "BEGIN:VEVENT\r\nUID:s1@google.com\r\nRECURRENCE-ID;TZID=Europe/Berlin:20260112T090000\r\n"
      "DTSTART;TZID=Europe/Berlin:20260113T100000\r\nDTEND;TZID=Europe/Berlin:20260113T101500\r\nSUMMARY:Standup\r\nEND:VEVENT\r\n"
      "BEGIN:VEVENT\r\nUID:s1@google.com\r\nRECURRENCE-ID;TZID=Europe/Berlin:20260126T090000\r\n"
      "DTSTART;TZID=Europe/Berlin:20260126T090000\r\nDTEND;TZID=Europe/Berlin:20260126T091500\r\nSUMMARY:Retro instead\r\nEND:VEVENT\r\n"
      "END:VCALENDAR\r\n";
  json::object from_file = accord::formats::icalendar::parse(ics).object;
  json::object from_google = calendar::to_event(weekly());
  EXPECT_EQ(json::value(from_google), json::value(from_file));
}

TEST(CalendarMap, OverridesBecomeInstancesAndExdates) {
  json::object e = calendar::to_event(weekly());
  calendar::Written w = calendar::from_event(e);
  EXPECT_EQ(w.master.at("iCalUID"), "s1@google.com");
  EXPECT_EQ(w.master.at("start").at("timeZone"), "Europe/Berlin");
  EXPECT_EQ(w.master.at("start").at("dateTime"), "2026-01-05T08:00:00Z");
  const json::array& rec = w.master.at("recurrence").as_array();
  ASSERT_GE(rec.size(), 2u);
  EXPECT_EQ(rec[0], "RRULE:FREQ=WEEKLY;COUNT=10;BYDAY=MO");
  std::string exdates;
  for (size_t i = 1; i < rec.size(); ++i) {
    EXPECT_TRUE(rec[i].as_string().starts_with("EXDATE;TZID=Europe/Berlin:")) << rec[i];
    exdates += std::string(rec[i].as_string()) + "\n";
  }
  EXPECT_NE(exdates.find("20260119T090000"), std::string::npos);
  EXPECT_NE(exdates.find("20260202T090000"), std::string::npos);
  ASSERT_EQ(w.instances.size(), 2u);
  std::map<std::string, json::object> by;
  for (auto& i : w.instances) by[i.suffix] = i.body;
  ASSERT_TRUE(by.count("20260112T080000Z"));
  EXPECT_EQ(by["20260112T080000Z"].at("start").at("dateTime"), "2026-01-13T09:00:00Z");
  EXPECT_EQ(by["20260112T080000Z"].at("originalStartTime").at("dateTime"), "2026-01-12T08:00:00Z");
  ASSERT_TRUE(by.count("20260126T080000Z"));
  EXPECT_EQ(by["20260126T080000Z"].at("summary"), "Retro instead");
}

TEST(CalendarMap, WrittenSeriesReadsBackTheSame) {
  // Google keeps what it was sent: the written master and instances, listed
  // again, convert to the record that was written
  json::object e = calendar::to_event(weekly());
  calendar::Written w = calendar::from_event(e);
  calendar::Series s;
  s.master = w.master;
  s.master["id"] = "s1";
  for (auto& i : w.instances) {
    json::object x = i.body;
    x["id"] = "s1_" + i.suffix;
    x["recurringEventId"] = "s1";
    s.exceptions.push_back(std::move(x));
  }
  EXPECT_EQ(json::value(calendar::to_event(s)), json::value(e));
}

TEST(CalendarMap, InstanceSuffix) {
  EXPECT_EQ(calendar::instance_suffix(obj(R"({"dateTime":"2026-01-12T09:00:00+01:00"})")), "20260112T080000Z");
  EXPECT_EQ(calendar::instance_suffix(obj(R"({"date":"2026-01-12"})")), "20260112");
}

TEST(GoogleErrors, PeopleEnvelopeWithErrorInfo) {
  auto e = read_error(400, json::parse(R"({"error":{"code":400,"message":"Sync token is expired. Clear local cache and retry call without the sync token.",
    "status":"FAILED_PRECONDITION","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"EXPIRED_SYNC_TOKEN","domain":"people.googleapis.com"}]}})"));
  EXPECT_EQ(e.status, "FAILED_PRECONDITION");
  EXPECT_TRUE(e.has_reason("EXPIRED_SYNC_TOKEN"));
}

TEST(GoogleErrors, OlderEnvelopeWithErrorsReason) {
  auto e = read_error(410, json::parse(R"({"error":{"errors":[{"domain":"calendar","reason":"fullSyncRequired","message":"Sync token is no longer valid, a full sync is required."}],
    "code":410,"message":"Sync token is no longer valid, a full sync is required."}})"));
  EXPECT_TRUE(e.has_reason("fullSyncRequired"));
  EXPECT_EQ(e.message, "Sync token is no longer valid, a full sync is required.");
}

TEST(PeopleMap, UserGroupsAreKeywordsSystemGroupsAreNot) {
  auto p = obj(R"({"resourceName":"people/c1","names":[{"givenName":"Ada"}],"memberships":[
    {"contactGroupMembership":{"contactGroupResourceName":"contactGroups/myContacts"}},
    {"contactGroupMembership":{"contactGroupResourceName":"contactGroups/abc"}},
    {"contactGroupMembership":{"contactGroupResourceName":"contactGroups/def"}}]})");
  people::GroupNames groups{{"contactGroups/abc", "Friends"}, {"contactGroups/def", "Chess club"}};
  json::object c = people::to_card(p, groups).card;
  EXPECT_EQ(c.at("keywords"), json::parse(R"({"Friends":true,"Chess club":true})"));
  EXPECT_EQ(people::keywords_of(c), (std::vector<std::string>{"Chess club", "Friends"}));
  EXPECT_FALSE(people::to_card(p).card.contains("keywords"));  // groups unknown: no keywords made up
}

TEST(CalendarMap, TimeWithoutZoneIsReadInTheCalendarsZone) {
  calendar::Series s;  // Google applies the calendar's zone to a time that names none
  s.master = obj(R"({"id":"e1","start":{"dateTime":"2026-01-05T09:00:00Z"},"end":{"dateTime":"2026-01-05T10:00:00Z"}})");
  json::object e = calendar::to_event(s, "Asia/Tokyo");
  EXPECT_EQ(e.at("start"), "2026-01-05T18:00:00");
  EXPECT_EQ(e.at("timeZone"), "Asia/Tokyo");
  EXPECT_EQ(calendar::to_event(s).at("start"), "2026-01-05T09:00:00");  // none known: UTC
}

TEST(TasksMap, DueIsADateAsAVtodoGivesIt) {
  auto g = obj(R"({"id":"t1","title":"Chore","notes":"step","due":"2026-04-02T00:00:00.000Z","status":"completed",
    "completed":"2026-04-01T10:00:00.000Z","updated":"2026-04-01T10:00:00.000Z"})");
  json::object t = tasks::to_task(g);
  EXPECT_EQ(t, json::parse(R"({"@type":"Task","title":"Chore","description":"step","due":"2026-04-02T00:00:00",
    "showWithoutTime":true,"progress":"completed","uid":"t1"})").as_object());
  // the same VTODO through the formats lib (its UID the task's id)
  json::object f = accord::formats::icalendar::parse(
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VTODO\r\nUID:t1\r\nSUMMARY:Chore\r\nDESCRIPTION:step\r\n"
      "DUE;VALUE=DATE:20260402\r\nSTATUS:COMPLETED\r\nEND:VTODO\r\nEND:VCALENDAR\r\n").object;
  EXPECT_EQ(json::value(t), json::value(f));
}

TEST(TasksMap, ASubtasksParentIsRelatedToByTheParentsId) {
  json::object t = tasks::to_task(obj(R"({"id":"c1","title":"Pack","parent":"p1","position":"00000000000000000001","status":"needsAction"})"));
  EXPECT_EQ(t.at("uid"), "c1");
  EXPECT_EQ(json::value(t.at("relatedTo")), json::parse(R"({"p1":{"@type":"Relation","relation":{"parent":true}}})"));
  EXPECT_EQ(tasks::parent_of(t), "p1");
  EXPECT_EQ(tasks::parent_of(obj(R"({"relatedTo":{"x":{"relation":{"child":true}},"p2":{"relation":{"parent":true}}}})")), "p2");
  EXPECT_EQ(tasks::parent_of(tasks::to_task(obj(R"({"id":"p1","title":"Trip"})"))), "");
  // the parent and position are not in the written task: they change through move
  json::object g = tasks::from_task(t);
  EXPECT_FALSE(g.contains("parent"));
  EXPECT_FALSE(g.contains("position"));
}

TEST(TasksMap, WrittenTaskKeepsTheDateOfADueTime) {
  json::object g = tasks::from_task(obj(R"({"@type":"Task","title":"Call","due":"2026-04-02T17:30:00","timeZone":"Europe/Paris"})"));
  EXPECT_EQ(g.at("due"), "2026-04-02T00:00:00.000Z");
  EXPECT_EQ(g.at("status"), "needsAction");
  EXPECT_FALSE(tasks::from_task(obj(R"({"@type":"Task","title":"No date"})")).contains("due"));
}

TEST(CalendarMap, ExceptionPutBackIsNoOverride) {
  // Google keeps an exception that was put back as an event of its own: the
  // series' occurrence unchanged, which is no override
  calendar::Series s = weekly();
  json::object e = calendar::to_event(s);
  calendar::Written w = calendar::from_event(e);
  json::object orig = s.exceptions[0].at("originalStartTime").as_object();
  json::object back = calendar::plain_instance(w, orig);
  back["id"] = "s1_20260112T080000Z";
  back["recurringEventId"] = "s1";
  s.exceptions[0] = back;
  json::object after = calendar::to_event(s);
  EXPECT_FALSE(after.at("recurrenceOverrides").as_object().contains("2026-01-12T09:00:00")) << json::serialize(after);
  EXPECT_TRUE(after.at("recurrenceOverrides").as_object().contains("2026-01-26T09:00:00"));
  EXPECT_EQ(back.at("end").at("dateTime"), "2026-01-12T08:15:00Z");
}

TEST(PeopleMap, UpdateKeepsTypesJSContactCannotSay) {
  auto current = obj(R"({"phoneNumbers":[{"value":"+1 555","type":"main"},{"value":"+1 777","type":"googleVoice"}],
    "emailAddresses":[{"value":"a@x.example","type":"Club"}]})");
  json::object card = people::to_card(current).card;  // main, googleVoice and Club have no JSContact word
  card["phones"].as_object()["p3"] = json::object{{"number", "+1 999"}};
  json::object person = people::to_person(card, "");
  people::keep_types(person, current);
  EXPECT_EQ(person.at("phoneNumbers").at(0).at("type"), "main");
  EXPECT_EQ(person.at("phoneNumbers").at(1).at("type"), "googleVoice");
  EXPECT_FALSE(person.at("phoneNumbers").at(2).as_object().contains("type"));
  EXPECT_EQ(person.at("emailAddresses").at(0).at("type"), "Club");
}

TEST(CalendarMap, AsKeptIsWhatAWriteReadsBackAndDropsAThisAndFutureRange) {
  // accord.check.v1: a series Google keeps whole answers as it was sent
  json::object e = calendar::to_event(weekly());
  EXPECT_EQ(json::value(calendar::as_kept(e)), json::value(e));
  // an override of this and every later instance (RFC 5545 3.2.13) keeps its
  // RECURRENCE-ID line in its iCalProps; Google's exception is one occurrence
  const char* ics =
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:s1\r\nDTSTART:20260105T100000Z\r\n"
      "DTEND:20260105T110000Z\r\nRRULE:FREQ=WEEKLY;COUNT=10\r\nSUMMARY:Series\r\nEND:VEVENT\r\n"
      "BEGIN:VEVENT\r\nUID:s1\r\nRECURRENCE-ID;RANGE=THISANDFUTURE:20260119T100000Z\r\nDTSTART:20260119T120000Z\r\n"
      "DTEND:20260119T130000Z\r\nSUMMARY:Series moved\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
  json::object ranged = accord::formats::icalendar::parse(ics).object;
  const json::object& sent = ranged.at("recurrenceOverrides").at("2026-01-19T10:00:00").as_object();
  ASSERT_TRUE(sent.contains("iCalProps")) << ranged;
  json::object kept = calendar::as_kept(ranged);
  const json::object& o = kept.at("recurrenceOverrides").at("2026-01-19T10:00:00").as_object();
  EXPECT_FALSE(o.contains("iCalProps")) << kept;
  EXPECT_EQ(o.at("title"), "Series moved");
  EXPECT_EQ(o.at("start"), sent.at("start"));
  EXPECT_EQ(kept.at("title"), "Series");
}

TEST(PeopleMap, AsKeptAnswersUnderTheCardsIdsWithoutWhatTheConverterDrops) {
  // ids other than e1, p1…: found again by value, so that only what is
  // dropped is missing
  json::object card = obj(R"({"@type":"Card","version":"1.0","kind":"individual","name":{"full":"Ann Lee"},
    "emails":{"home":{"address":"a@x.org","contexts":{"private":true}},"work":{"address":"ann@corp.example","contexts":{"work":true}}},
    "phones":{"cell":{"number":"+1 555 0100","features":{"mobile":true}}},
    "titles":{"t1":{"name":"Engineer","kind":"title"},"r1":{"name":"Chair","kind":"role"}},
    "organizations":{"o1":{"name":"Corp","units":[{"name":"R&D"}]}},
    "keywords":{"friends":true}})");
  json::object kept = people::as_kept(card);
  EXPECT_EQ(kept.at("emails").at("home").at("address"), "a@x.org") << kept;
  EXPECT_EQ(kept.at("emails").at("work").at("address"), "ann@corp.example") << kept;
  EXPECT_EQ(kept.at("emails").at("home").at("pref"), 1) << kept;  // Google's primary
  EXPECT_EQ(kept.at("phones").at("cell").at("features"), json::value(json::object{{"mobile", true}}));
  EXPECT_EQ(kept.at("keywords"), json::value(json::object{{"friends", true}}));
  EXPECT_EQ(kept.at("titles").at("t1").at("name"), "Engineer");
  EXPECT_FALSE(kept.at("titles").as_object().contains("r1")) << kept;  // a role: People has no place for it
}
