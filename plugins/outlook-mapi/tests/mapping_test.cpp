// SPDX-License-Identifier: Apache-2.0
// outlook-mapi's graph maps unit by unit: Graph contact ⇄ JSContact, event
// ⇄ JSCalendar (recurrence, exceptions, cancelled occurrences, zones), To Do
// task ⇄ JSCalendar task.
#include "contact_map.hpp"
#include "event_map.hpp"
#include "mail_map.hpp"
#include "todo_map.hpp"

#include <accord/formats/windows_zones.hpp>

#include <boost/json.hpp>

#include <gtest/gtest.h>

namespace json = boost::json;

namespace outlook {
// Whether CLDR's Windows zone table is there (Debian unicode-cldr-core).
bool formats_zone_table_present() { return accord::formats::zones::iana_from_windows("W. Europe Standard Time").has_value(); }
}  // namespace outlook

namespace {

json::object parse(const char* s) { return json::parse(s).as_object(); }

TEST(ContactMapTest, GraphContactReadsAsACard) {
  json::object g = parse(R"J({"id":"c1","givenName":"Ada","surname":"Lovelace","displayName":"Ada Lovelace",
    "emailAddresses":[{"name":"Ada","address":"ada@example.org"}],"businessPhones":["+44 20 7946 0000"],
    "mobilePhone":"+44 7700 900000","homeAddress":{"street":"12 St James's Square","city":"London","postalCode":"SW1Y 4JH",
    "countryOrRegion":"United Kingdom"},"companyName":"Analytical Engines","department":"Research","jobTitle":"Analyst",
    "personalNotes":"Line one","birthday":"1815-12-10T00:00:00Z","businessHomePage":"https://example.org",
    "categories":["Friends"]})J");
  json::object c = outlook::contacts::to_card(g);
  EXPECT_EQ(c.at("name"), json::parse(R"J({"components":[{"kind":"given","value":"Ada"},{"kind":"surname","value":"Lovelace"}],"full":"Ada Lovelace"})J"));
  EXPECT_EQ(c.at("emails"), json::parse(R"J({"e1":{"address":"ada@example.org"}})J"));
  EXPECT_EQ(c.at("phones"), json::parse(R"J({"p1":{"number":"+44 20 7946 0000","contexts":{"work":true}},
    "p2":{"number":"+44 7700 900000","features":{"mobile":true}}})J"));
  EXPECT_EQ(c.at("addresses").at("a1").at("contexts"), json::parse(R"J({"private":true})J"));
  EXPECT_EQ(c.at("organizations"), json::parse(R"J({"o1":{"name":"Analytical Engines","units":[{"name":"Research"}]}})J"));
  EXPECT_EQ(c.at("anniversaries").at("b1").at("date"), json::parse(R"J({"@type":"PartialDate","year":1815,"month":12,"day":10})J"));
  EXPECT_EQ(c.at("keywords"), json::parse(R"J({"Friends":true})J"));
}

TEST(ContactMapTest, ACardRoundTripsThroughGraph) {
  json::object g = parse(R"J({"givenName":"Ada","middleName":"Augusta","surname":"King","title":"Lady","displayName":"Ada King",
    "nickName":"Ada","emailAddresses":[{"address":"a@example.org"},{"address":"b@example.org"}],
    "businessPhones":["1"],"homePhones":["2","3"],"mobilePhone":"4",
    "businessAddress":{"street":"1 Road","city":"Town"},"otherAddress":{"city":"Elsewhere"},
    "companyName":"X","jobTitle":"Y","personalNotes":"Z","birthday":"1815-12-10T11:00:00Z","categories":["A","B"]})J");
  json::object card = outlook::contacts::to_card(g);
  json::object back = outlook::contacts::to_card(outlook::contacts::to_graph(card));
  EXPECT_EQ(back, card) << json::serialize(back);
}

TEST(ContactMapTest, AnUpdateClearsWhatTheCardNoLongerHas) {
  json::object g = outlook::contacts::to_graph(parse(R"J({"@type":"Card","name":{"full":"Ada"}})J"));
  EXPECT_TRUE(g.at("jobTitle").is_null());
  EXPECT_TRUE(g.at("mobilePhone").is_null());
  EXPECT_EQ(g.at("businessPhones"), json::array());
  EXPECT_EQ(g.at("homeAddress"), json::object());
  EXPECT_EQ(g.at("categories"), json::array());
  EXPECT_EQ(g.at("displayName"), "Ada");
}

TEST(ContactMapTest, AddressesGoToTheSlotOfTheirContextThenToFreeOnes) {
  json::object g = outlook::contacts::to_graph(parse(R"J({"addresses":{
    "a1":{"components":[{"kind":"locality","value":"Home town"}],"contexts":{"private":true}},
    "a2":{"components":[{"kind":"locality","value":"Second home"}],"contexts":{"private":true}},
    "a3":{"components":[{"kind":"locality","value":"Office"}],"contexts":{"work":true}}}})J"));
  EXPECT_EQ(g.at("homeAddress").at("city"), "Home town");
  EXPECT_EQ(g.at("businessAddress").at("city"), "Office");
  EXPECT_EQ(g.at("otherAddress").at("city"), "Second home");
}

// A weekly series in Berlin as Graph gives it (times in UTC, the zone as a Windows name).
json::object standup() {
  return parse(R"J({"id":"m1","subject":"Standup","type":"seriesMaster","isAllDay":false,
    "originalStartTimeZone":"W. Europe Standard Time",
    "start":{"dateTime":"2026-01-05T08:00:00.0000000","timeZone":"UTC"},"end":{"dateTime":"2026-01-05T08:15:00.0000000","timeZone":"UTC"},
    "body":{"contentType":"text","content":""},"location":{"displayName":"Room 1"},"sensitivity":"private","categories":["Team"],
    "recurrence":{"pattern":{"type":"weekly","interval":1,"daysOfWeek":["monday"],"firstDayOfWeek":"sunday"},
                  "range":{"type":"numbered","startDate":"2026-01-05","numberOfOccurrences":10,"recurrenceTimeZone":"W. Europe Standard Time"}},
    "cancelledOccurrences":["OID.m1.2026-01-19"]})J");
}

TEST(EventMapTest, ASeriesReadsWithItsRuleExceptionAndCancelledOccurrence) {
  json::object moved = parse(R"J({"id":"x1","type":"exception","subject":"Standup (moved)","originalStart":"2026-01-12T08:00:00Z",
    "start":{"dateTime":"2026-01-13T09:00:00.0000000","timeZone":"UTC"},"end":{"dateTime":"2026-01-13T09:15:00.0000000","timeZone":"UTC"},
    "location":{"displayName":"Room 1"}})J");
  json::object e = outlook::events::to_event({standup(), {moved}});
  if (!outlook::formats_zone_table_present()) GTEST_SKIP() << "CLDR windowsZones.xml not installed";
  EXPECT_EQ(e.at("start"), "2026-01-05T09:00:00");
  EXPECT_EQ(e.at("timeZone"), "Europe/Berlin");
  EXPECT_EQ(e.at("duration"), "PT15M");
  EXPECT_EQ(e.at("privacy"), "private");
  EXPECT_EQ(e.at("recurrenceRules"), json::parse(R"J([{"@type":"RecurrenceRule","frequency":"weekly",
    "byDay":[{"@type":"NDay","day":"mo"}],"count":10}])J"));
  EXPECT_EQ(e.at("recurrenceOverrides"), json::parse(R"J({"2026-01-19T09:00:00":{"excluded":true},
    "2026-01-12T09:00:00":{"title":"Standup (moved)","start":"2026-01-13T10:00:00"}})J"));
}

TEST(EventMapTest, ASeriesWritesAsGraphsPatternAndItsOverrides) {
  json::object e = parse(R"J({"@type":"Event","title":"Standup","start":"2026-01-05T09:00:00","timeZone":"Europe/Berlin","duration":"PT15M",
    "recurrenceRules":[{"@type":"RecurrenceRule","frequency":"monthly","byDay":[{"day":"mo","nthOfPeriod":-1}],"until":"2026-06-30T23:59:59"}],
    "recurrenceOverrides":{"2026-01-26T09:00:00":{"excluded":true},"2026-02-23T09:00:00":{"title":"Retro"}}})J");
  outlook::events::Written w = outlook::events::from_event(e);
  EXPECT_EQ(w.master.at("start"), json::parse(R"J({"dateTime":"2026-01-05T09:00:00","timeZone":"Europe/Berlin"})J"));
  EXPECT_EQ(w.master.at("end").at("dateTime"), "2026-01-05T09:15:00");
  EXPECT_EQ(w.master.at("recurrence"), json::parse(R"J({"pattern":{"interval":1,"daysOfWeek":["monday"],"type":"relativeMonthly","index":"last"},
    "range":{"startDate":"2026-01-05","recurrenceTimeZone":"Europe/Berlin","type":"endDate","endDate":"2026-06-30"}})J"));
  ASSERT_EQ(w.excluded.size(), 1u);
  EXPECT_EQ(w.excluded[0], "2026-01-26T09:00:00");
  ASSERT_EQ(w.changed.size(), 1u);
  EXPECT_EQ(w.changed[0].patch.at("subject"), "Retro");
}

TEST(EventMapTest, AsKeptIsTheSeriesAsGraphWouldHoldItWithoutAThisAndFutureRange) {
  json::object e = parse(R"J({"@type":"Event","title":"Standup","start":"2026-01-05T09:00:00","timeZone":"Europe/Berlin","duration":"PT15M",
    "recurrenceRules":[{"@type":"RecurrenceRule","frequency":"weekly","byDay":[{"@type":"NDay","day":"mo"}],"count":8}],
    "participants":{"p1":{"@type":"Participant","name":"Ada","email":"ada@contoso.com","sendTo":{"imip":"mailto:ada@contoso.com"},"roles":{"owner":true}},
      "p2":{"@type":"Participant","email":"bob@example.org","sendTo":{"imip":"mailto:bob@example.org"},"roles":{"attendee":true},"participationStatus":"needs-action"}},
    "recurrenceOverrides":{"2026-01-26T09:00:00":{"excluded":true},
      "2026-02-02T09:00:00":{"title":"Retro","start":"2026-02-02T11:00:00","iCalProps":[["recurrence-id",{"range":"THISANDFUTURE"},"date-time","2026-02-02T09:00:00"]]}}})J");
  json::object kept = outlook::events::as_kept(e, true, "ada@contoso.com");
  EXPECT_EQ(kept.at("start"), "2026-01-05T09:00:00");
  EXPECT_EQ(kept.at("timeZone"), "Europe/Berlin");
  EXPECT_EQ(kept.at("participants"), e.at("participants"));
  const json::object& ov = kept.at("recurrenceOverrides").as_object();
  EXPECT_EQ(ov.at("2026-01-26T09:00:00"), json::parse(R"J({"excluded":true})J"));
  // the change as one occurrence: its title and start, not the range
  EXPECT_EQ(ov.at("2026-02-02T09:00:00"), json::parse(R"J({"title":"Retro","start":"2026-02-02T11:00:00"})J"));
  // attendees not written (event_attendees not "write"): none kept
  EXPECT_FALSE(outlook::events::as_kept(e, false, "ada@contoso.com").contains("participants"));
}

TEST(EventMapTest, RulesOutlookCannotKeepAreRefused) {
  EXPECT_THROW(outlook::events::from_event(parse(R"J({"start":"2026-01-05T09:00:00","timeZone":"UTC",
    "recurrenceRules":[{"frequency":"hourly"}]})J")), std::invalid_argument);
  EXPECT_THROW(outlook::events::from_event(parse(R"J({"start":"2026-01-05T09:00:00","timeZone":"UTC",
    "recurrenceRules":[{"frequency":"monthly","byDay":[{"day":"mo","nthOfPeriod":2},{"day":"tu","nthOfPeriod":5}]}]})J")), std::invalid_argument);
}

TEST(EventMapTest, AnAllDayEventIsAFloatingDate) {
  json::object e = outlook::events::to_event({parse(R"J({"subject":"Holiday","isAllDay":true,"originalStartTimeZone":"UTC",
    "start":{"dateTime":"2026-05-01T00:00:00.0000000","timeZone":"UTC"},"end":{"dateTime":"2026-05-02T00:00:00.0000000","timeZone":"UTC"}})J"), {}});
  EXPECT_EQ(e.at("start"), "2026-05-01T00:00:00");
  EXPECT_EQ(e.at("showWithoutTime"), true);
  EXPECT_FALSE(e.contains("timeZone"));
  EXPECT_EQ(e.at("duration"), "P1D");
  json::object g = outlook::events::from_event(e).master;
  EXPECT_EQ(g.at("isAllDay"), true);
  EXPECT_EQ(g.at("end").at("dateTime"), "2026-05-02T00:00:00");
}

// attendee.md / responsestatus.md → RFC 8984 participants, in the shape the
// formats lib reads ORGANIZER and ATTENDEE (organizer first, role owner).
TEST(EventMapTest, AttendeesReadAsParticipantsWithTheirResponses) {
  json::object g = parse(R"J({"subject":"Review","start":{"dateTime":"2026-03-02T09:00:00.0000000","timeZone":"UTC"},
    "end":{"dateTime":"2026-03-02T10:00:00.0000000","timeZone":"UTC"},"originalStartTimeZone":"UTC",
    "organizer":{"emailAddress":{"name":"Ada Lovelace","address":"ada@contoso.com"}},
    "attendees":[{"type":"required","status":{"response":"accepted","time":"2026-03-01T08:00:00Z"},"emailAddress":{"name":"Bob","address":"bob@example.org"}},
      {"type":"optional","status":{"response":"tentativelyAccepted"},"emailAddress":{"name":"cy@example.org","address":"cy@example.org"}},
      {"type":"resource","status":{"response":"none"},"emailAddress":{"name":"Room 1","address":"room1@contoso.com"}},
      {"type":"required","status":{"response":"declined"},"emailAddress":{"address":"dee@example.org"}}],
    "isReminderOn":true,"reminderMinutesBeforeStart":30})J");
  json::object e = outlook::events::to_event({g, {}});
  EXPECT_EQ(e.at("participants"), json::parse(R"J({
    "p1":{"@type":"Participant","name":"Ada Lovelace","email":"ada@contoso.com","sendTo":{"imip":"mailto:ada@contoso.com"},"roles":{"owner":true}},
    "p2":{"@type":"Participant","name":"Bob","email":"bob@example.org","sendTo":{"imip":"mailto:bob@example.org"},"roles":{"attendee":true},"participationStatus":"accepted"},
    "p3":{"@type":"Participant","email":"cy@example.org","sendTo":{"imip":"mailto:cy@example.org"},"roles":{"attendee":true,"optional":true},"participationStatus":"tentative"},
    "p4":{"@type":"Participant","name":"Room 1","email":"room1@contoso.com","sendTo":{"imip":"mailto:room1@contoso.com"},"roles":{"attendee":true},"participationStatus":"needs-action","kind":"resource"},
    "p5":{"@type":"Participant","email":"dee@example.org","sendTo":{"imip":"mailto:dee@example.org"},"roles":{"attendee":true},"participationStatus":"declined"}})J"))
      << json::serialize(e.at("participants"));
  EXPECT_EQ(e.at("alerts"), json::parse(R"J({"a1":{"@type":"Alert","trigger":{"@type":"OffsetTrigger","offset":"-PT30M"},"action":"display"}})J"));
  // an appointment (no attendees): no participants, the mailbox's organizer unsaid; reminder off: no alert
  g.erase("attendees");
  g["isReminderOn"] = false;
  json::object a = outlook::events::to_event({g, {}});
  EXPECT_FALSE(a.contains("participants"));
  EXPECT_FALSE(a.contains("alerts"));
}

TEST(EventMapTest, ParticipantsWriteAsAttendeesWithoutResponsesAndTheNearestAlertAsTheReminder) {
  json::object e = parse(R"J({"@type":"Event","title":"Review","start":"2026-03-02T09:00:00","timeZone":"Europe/Berlin","duration":"PT1H",
    "participants":{"o":{"@type":"Participant","email":"ada@contoso.com","roles":{"owner":true}},
      "a":{"@type":"Participant","name":"Bob","sendTo":{"imip":"mailto:bob@example.org"},"roles":{"attendee":true},"participationStatus":"accepted"},
      "b":{"@type":"Participant","email":"cy@example.org","roles":{"attendee":true,"optional":true}},
      "c":{"@type":"Participant","email":"room1@contoso.com","kind":"location","roles":{"attendee":true}},
      "d":{"@type":"Participant","email":"info@example.org","roles":{"informational":true}}},
    "alerts":{"x":{"@type":"Alert","trigger":{"@type":"OffsetTrigger","offset":"-PT1H"}},
      "y":{"@type":"Alert","trigger":{"@type":"OffsetTrigger","offset":"-PT10M"}},
      "z":{"@type":"Alert","trigger":{"@type":"OffsetTrigger","offset":"PT5M","relativeTo":"end"}}}})J");
  outlook::events::Written w = outlook::events::from_event(e);
  EXPECT_EQ(json::value(w.attendees), json::parse(R"J([
    {"emailAddress":{"address":"bob@example.org","name":"Bob"},"type":"required"},
    {"emailAddress":{"address":"cy@example.org"},"type":"optional"},
    {"emailAddress":{"address":"room1@contoso.com"},"type":"resource"}])J")) << json::serialize(w.attendees);
  EXPECT_EQ(w.master.at("isReminderOn"), json::value(true));
  EXPECT_EQ(w.master.at("reminderMinutesBeforeStart"), json::value(10));
  e.erase("alerts");
  EXPECT_EQ(outlook::events::from_event(e).master.at("isReminderOn"), json::value(false));
  EXPECT_FALSE(outlook::events::from_event(e).master.contains("reminderMinutesBeforeStart"));
}

// Graph's PATCH replaces the whole attendees list: an attendee Outlook shows
// only by an Exchange (X.500) address (no SMTP form, read as sendTo "other")
// must be written back as read, or an update of the meeting removes them.
TEST(EventMapTest, AnX500AttendeeSurvivesARoundTrip) {
  const char* x500 = "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=3f2a-eve";
  json::object g = parse(R"J({"subject":"Review","start":{"dateTime":"2026-03-02T09:00:00.0000000","timeZone":"UTC"},
    "end":{"dateTime":"2026-03-02T10:00:00.0000000","timeZone":"UTC"},"originalStartTimeZone":"UTC",
    "organizer":{"emailAddress":{"name":"Ada Lovelace","address":"ada@contoso.com"}},
    "attendees":[{"type":"required","status":{"response":"accepted"},"emailAddress":{"name":"Bob","address":"bob@example.org"}}]})J");
  g["attendees"].as_array().push_back(json::object{
      {"type", "optional"}, {"status", json::object{{"response", "none"}}},
      {"emailAddress", json::object{{"name", "Eve"}, {"address", x500}}}});
  json::object e = outlook::events::to_event({g, {}});
  e["title"] = "Review (moved)";  // an edit on the other side
  json::array want{
      json::object{{"emailAddress", json::object{{"address", "bob@example.org"}, {"name", "Bob"}}}, {"type", "required"}},
      json::object{{"emailAddress", json::object{{"address", x500}, {"name", "Eve"}}}, {"type", "optional"}}};
  EXPECT_EQ(json::value(outlook::events::from_event(e).attendees), json::value(want))
      << json::serialize(e.at("participants"));
  // a non-mailto URI another store gave (not an address Outlook knows) is not sent as one
  e["participants"].as_object()["p9"] = json::object{
      {"@type", "Participant"}, {"sendTo", json::object{{"other", "urn:uuid:0a1b2c3d"}}}, {"roles", json::object{{"attendee", true}}}};
  EXPECT_EQ(json::value(outlook::events::from_event(e).attendees), json::value(want));
}

TEST(TodoMapTest, ATaskRoundTripsWithItsChecklist) {
  json::object t = parse(R"J({"id":"t1","title":"Chore","body":{"contentType":"text","content":"step"},"status":"inProgress",
    "importance":"high","categories":["Home"],"dueDateTime":{"dateTime":"2026-04-02T17:00:00.0000000","timeZone":"Europe/Berlin"}})J");
  json::object task = outlook::todo::to_task(t, {parse(R"J({"displayName":"a","isChecked":true})J")});
  EXPECT_EQ(task.at("progress"), "in-process");
  EXPECT_EQ(task.at("priority"), 1);
  EXPECT_EQ(task.at("due"), "2026-04-02T17:00:00");
  EXPECT_EQ(task.at("timeZone"), "Europe/Berlin");
  EXPECT_EQ(task.at("microsoft.com:checklistItems"), json::parse(R"J([{"title":"a","checked":true}])J"));
  json::object g = outlook::todo::to_graph(task);
  EXPECT_EQ(g.at("status"), "inProgress");
  EXPECT_EQ(g.at("importance"), "high");
  EXPECT_EQ(g.at("dueDateTime"), json::parse(R"J({"dateTime":"2026-04-02T17:00:00","timeZone":"Europe/Berlin"})J"));
  EXPECT_EQ(outlook::todo::checklist_of(task).front(), json::parse(R"J({"displayName":"a","isChecked":true})J"));
  EXPECT_EQ(outlook::todo::to_task(g, outlook::todo::checklist_of(task)).at("title"), "Chore");
}

// One folder for a record naming several (a Gmail message's labels), whatever order the record holds them in:
// INBOX, \Sent, \Drafts, the folder the message is in now, then byte order; Gmail's \All is Outlook's Archive.
TEST(MailMapTest, OneFolderForSeveralNamesWhateverTheirOrder) {
  using outlook::mail::folder_of;
  auto rec = [](std::initializer_list<const char*> names) {
    json::object m;
    for (const char* n : names) m[n] = true;
    return json::object{{"mailboxIds", m}};
  };
  EXPECT_EQ(folder_of(rec({"Work", "INBOX"}), "", "INBOX"), "INBOX");
  EXPECT_EQ(folder_of(rec({"INBOX", "Work"}), "Work", "INBOX"), "INBOX");
  EXPECT_EQ(folder_of(rec({"Alpha", "\\Sent"}), "", "INBOX"), "\\Sent");
  EXPECT_EQ(folder_of(rec({"\\Drafts", "\\Sent"}), "", "INBOX"), "\\Sent");
  EXPECT_EQ(folder_of(rec({"Zeta", "Beta"}), "", "INBOX"), "Beta");
  EXPECT_EQ(folder_of(rec({"Beta", "Zeta"}), "", "INBOX"), "Beta");
  EXPECT_EQ(folder_of(rec({"Alpha", "Work"}), "Work", "INBOX"), "Work");  // a label added elsewhere moves nothing
  EXPECT_EQ(folder_of(rec({"Alpha", "Work"}), "Other", "INBOX"), "Alpha");
  EXPECT_EQ(folder_of(rec({"\\All"}), "", "INBOX"), "\\Archive");
  EXPECT_EQ(folder_of(rec({"\\All"}), "\\Archive", "INBOX"), "\\Archive");
  EXPECT_EQ(folder_of(json::object{}, "", "INBOX"), "INBOX");
  EXPECT_EQ(folder_of(json::object{{"mailboxIds", json::object{{"Work", false}}}}, "", "INBOX"), "INBOX");
}

}  // namespace

// ---- messages (mail_map) ------------------------------------------------------

namespace mail = outlook::mail;

TEST(MailMapTest, MimeBodyAndAttachmentsDecoded) {
  std::string raw =
      "Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
      "--b\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n"
      "--a\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
      "Gr=FC=DFe, a long line that=\r\n goes on\r\n"
      "--a\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nPHA+R3LDvMOfZTwvcD4=\r\n"
      "--a--\r\n"
      "--b\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\nContent-Disposition: attachment; filename=\"r.pdf\"\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n";
  mail::Content c = mail::mime_content(raw);
  EXPECT_EQ(c.type, "html");
  EXPECT_EQ(c.text, "<p>Gr\xC3\xBC\xC3\x9F" "e</p>");
  ASSERT_EQ(c.files.size(), 1u);
  EXPECT_EQ(c.files[0].name, "r.pdf");
  EXPECT_EQ(c.files[0].content_type, "application/pdf");
  EXPECT_EQ(c.files[0].bytes, "%PDF-");
  // only text/plain: the quoted-printable part, its soft line break joined, in UTF-8
  mail::Content t = mail::mime_content(
      "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nGr=FC=DFe, a=\n b\n");
  EXPECT_EQ(t.type, "text");
  EXPECT_EQ(t.text, "Gr\xC3\xBC\xC3\x9F" "e, a b\r\n");
}

TEST(MailMapTest, ImportIsNotADraftUnlessTheRecordSays) {
  json::object data = json::parse(R"({"subject": "S", "from": [{"name": "Ada", "email": "ada@example.org"}],
      "messageId": ["m1@example.org"], "receivedAt": "2026-03-01T10:00:05+01:00", "sentAt": "2026-03-01T10:00:00+01:00",
      "keywords": {"$seen": true, "$flagged": true}, "categories": ["Blue"]})").as_object();
  mail::Import imp = mail::to_import(data, "k1", "String {g} Name K");
  auto prop = [&](const std::string& id) -> std::string {
    for (const auto& p : imp.body.at("singleValueExtendedProperties").as_array())
      if (p.at("id").as_string() == id) return std::string(p.at("value").as_string());
    return "";
  };
  EXPECT_EQ(prop("Integer 0x0E07"), "1");  // MSGFLAG_READ, not MSGFLAG_UNSENT
  EXPECT_EQ(prop("SystemTime 0x0E06"), "2026-03-01T09:00:05Z");
  EXPECT_EQ(prop("SystemTime 0x0039"), "2026-03-01T09:00:00Z");
  EXPECT_EQ(prop("String {g} Name K"), "k1");
  EXPECT_EQ(imp.body.at("internetMessageId"), "<m1@example.org>");
  EXPECT_EQ(imp.body.at("flag").at("flagStatus"), "flagged");
  EXPECT_EQ(imp.body.at("from").at("emailAddress").at("address"), "ada@example.org");
  data["keywords"] = json::object{{"$draft", true}};
  EXPECT_EQ(mail::to_import(data, "", "").body.at("singleValueExtendedProperties").at(0).at("value"), "8");
}

TEST(MailMapTest, PatchLeavesWhatTheRecordLacks) {
  json::object p = mail::to_patch(json::parse(R"({"keywords": {"$seen": true}})").as_object());
  EXPECT_EQ(p.at("isRead"), true);
  EXPECT_EQ(p.at("flag").at("flagStatus"), "notFlagged");
  EXPECT_FALSE(p.contains("categories"));
  p = mail::to_patch(json::parse(R"({"categories": []})").as_object());
  EXPECT_FALSE(p.contains("isRead"));
  EXPECT_TRUE(p.at("categories").as_array().empty());
}

TEST(MailMapTest, RecordFromGraph) {
  json::object g = json::parse(R"({"internetMessageId": "<a@b>", "subject": "Hi", "isRead": false, "isDraft": false,
      "flag": {"flagStatus": "flagged"}, "from": {"emailAddress": {"name": "a@b", "address": "a@b"}},
      "toRecipients": [{"emailAddress": {"name": "Bob", "address": "bob@x"}}], "sentDateTime": "2026-03-01T09:00:00Z",
      "receivedDateTime": "2026-03-01T09:00:05Z", "hasAttachments": true})").as_object();
  json::object d = mail::to_record(g, "INBOX/Work");
  EXPECT_EQ(d.at("messageId"), json::array{"a@b"});
  EXPECT_EQ(d.at("from"), json::parse(R"([{"email": "a@b"}])"));
  EXPECT_EQ(d.at("to"), json::parse(R"([{"email": "bob@x", "name": "Bob"}])"));
  EXPECT_EQ(d.at("keywords"), json::parse(R"({"$flagged": true})"));
  EXPECT_EQ(d.at("mailboxIds"), json::parse(R"({"INBOX/Work": true})"));
  EXPECT_EQ(d.at("categories"), json::array());
  EXPECT_EQ(d.at("sentAt"), "2026-03-01T09:00:00Z");
}

TEST(MailMapTest, UnreadableRawIsRefusedNotImportedEmpty) {
  json::object data{{"subject", "S"}, {"raw", "not base64 at all!"}};
  EXPECT_THROW(mail::to_import(data, "", ""), std::exception);
  data["raw"] = json::object{{"$file", "/nonexistent/accord-raw"}};
  EXPECT_THROW(mail::to_import(data, "", ""), std::exception);
}

// In-Reply-To and References: Graph's message has no property for them; the
// MAPI properties 0x1042 and 0x1039 carry them, read from the listing's
// $expand and set at an import.
TEST(MailMapTest, ThreadingIdsTravelAsMapiProperties) {
  json::object g = parse(R"J({"internetMessageId":"<r2@x>","subject":"Re","singleValueExtendedProperties":[
    {"id":"String 0x1042","value":"<r1@x>"},{"id":"String 0x1039","value":"<r0@x>\r\n <r1@x>"}]})J");
  json::object d = outlook::mail::to_record(g, "INBOX");
  EXPECT_EQ(d.at("inReplyTo"), json::parse(R"(["r1@x"])"));
  EXPECT_EQ(d.at("references"), json::parse(R"(["r0@x","r1@x"])"));
  EXPECT_FALSE(outlook::mail::to_record(parse(R"({"subject":"Plain"})"), "INBOX").contains("inReplyTo"));
  json::object rec{{"subject", "Re"}, {"inReplyTo", json::array{"r1@x"}}, {"references", json::array{"r0@x", "r1@x"}}};
  json::array props = outlook::mail::to_import(rec, "", "").body.at("singleValueExtendedProperties").as_array();
  auto value_of = [&](const char* id) -> std::string {
    for (const auto& p : props)
      if (p.at("id") == id) return std::string(p.at("value").as_string());
    return "";
  };
  EXPECT_EQ(value_of("String 0x1042"), "<r1@x>");
  EXPECT_EQ(value_of("String 0x1039"), "<r0@x> <r1@x>");
}

TEST(MailMapTest, SensitivityTravelsAsPrSensitivity) {
  json::object g = parse(R"J({"subject":"S","singleValueExtendedProperties":[{"id":"Integer 0x0036","value":"2"}]})J");
  EXPECT_EQ(outlook::mail::to_record(g, "INBOX").at("sensitivity"), "private");
  g["singleValueExtendedProperties"] = json::parse(R"([{"id":"Integer 0x0036","value":"0"}])");
  EXPECT_FALSE(outlook::mail::to_record(g, "INBOX").contains("sensitivity"));
  json::object rec{{"subject", "S"}, {"sensitivity", "confidential"}};
  bool found = false;
  outlook::mail::Import imp = outlook::mail::to_import(rec, "", "");
  for (const auto& p : imp.body.at("singleValueExtendedProperties").as_array())
    if (p.at("id") == "Integer 0x0036") found = p.at("value") == "3";
  EXPECT_TRUE(found);
}

// accord.check.v1 on the message stream (issue 26): a Maildir's record as
// Outlook keeps it once created. Outlook gives an empty category list where
// the record has none and no size (its own MIME's, which only a fetch says),
// keeps $seen, $flagged and $draft only, and the rest as sent; so a message a
// lost create made, found as made, is not taken for one edited in Outlook.
TEST(MailMapTest, KeptFormIsWhatAListingGivesBack) {
  json::object sent = parse(R"({"messageId": ["find-4@example.org"], "subject": "FindMessage4",
      "from": [{"name": "Ada", "email": "ada@example.org"}], "to": [{"email": "bob@example.org"}],
      "sentAt": "2026-03-02T09:04:00Z", "receivedAt": "2026-03-02T09:04:00Z", "size": 181,
      "mailboxIds": {"INBOX": true}, "keywords": {"$seen": true, "$answered": true}, "hasAttachment": false})");
  json::object kept = mail::as_kept(sent);
  EXPECT_FALSE(kept.contains("size"));
  EXPECT_FALSE(kept.contains("raw"));
  EXPECT_EQ(kept.at("categories"), json::array());
  EXPECT_EQ(kept.at("keywords"), json::parse(R"({"$seen": true})"));
  for (const char* k : {"messageId", "subject", "from", "to", "sentAt", "receivedAt", "mailboxIds", "hasAttachment"})
    EXPECT_EQ(kept.at(k), sent.at(k)) << k;
  // the form a listing gives of the message an import of it makes: the same
  json::object g = mail::to_import(sent, "", "").body;
  g["isRead"] = true, g["isDraft"] = false, g["hasAttachments"] = false;
  g["sentDateTime"] = "2026-03-02T09:04:00Z", g["receivedDateTime"] = "2026-03-02T09:04:00Z";
  EXPECT_EQ(mail::to_record(g, "INBOX"), kept);
  // categories and a flag as sent; a draft stays one
  sent["categories"] = json::array{"Blue"};
  sent["keywords"] = json::parse(R"({"$flagged": true, "$draft": true})");
  kept = mail::as_kept(sent);
  EXPECT_EQ(kept.at("categories"), json::array{"Blue"});
  EXPECT_EQ(kept.at("keywords"), json::parse(R"({"$flagged": true, "$draft": true})"));
  // an unreadable /raw: the check cannot say (check_each answers null)
  sent["raw"] = "not base64 at all!";
  EXPECT_THROW(mail::as_kept(sent), std::exception);
}
