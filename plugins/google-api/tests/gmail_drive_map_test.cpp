// SPDX-License-Identifier: Apache-2.0
// google-api's Gmail and Drive conversions, unit by unit: a Gmail message
// (format=metadata, users.messages reference) ⇄ the canonical message with
// gmail-imap's label rules, the label changes an update makes, base64url;
// a Drive file (files reference) ⇄ the canonical note.
#include "calendar_map.hpp"
#include "drive_map.hpp"
#include "gmail_map.hpp"

#include <accord/connector.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <algorithm>

namespace json = boost::json;
using namespace gapi;

namespace {

json::object obj(const char* text) { return json::parse(text).as_object(); }

bool contains(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

}  // namespace

TEST(GmailMap, MetadataBecomesMessageWithGmailImapLabelRules) {
  auto m = obj(R"({"id":"18f","threadId":"18a","labelIds":["INBOX","STARRED","Label_3","CATEGORY_UPDATES","IMPORTANT"],
    "historyId":"1234","internalDate":"1772355605000","sizeEstimate":321,
    "payload":{"partId":"","mimeType":"text/plain","filename":"","body":{"size":0},"headers":[
      {"name":"Message-ID","value":"<m1@example.org>"},{"name":"Subject","value":"=?UTF-8?Q?m=C3=A9ssage?="},
      {"name":"From","value":"Ada Lovelace <ada@example.org>"},{"name":"Date","value":"Sun, 01 Mar 2026 10:00:00 +0100"}]}})");
  json::object d = gmail::to_message(m, {{"Label_3", "Lists/dev"}});
  EXPECT_EQ(d["messageId"], json::array{"m1@example.org"});
  EXPECT_EQ(d["subject"], "m\xC3\xA9ssage");
  EXPECT_EQ(d["from"].at(0).at("email"), "ada@example.org");
  EXPECT_EQ(d["sentAt"], "2026-03-01T10:00:00+01:00");
  EXPECT_EQ(d["receivedAt"], "2026-03-01T09:00:05Z");
  EXPECT_EQ(d["size"], 321);
  EXPECT_EQ(d["threadId"], "18a");
  // INBOX and the user label; Gmail's categories are no mailbox; STARRED and IMPORTANT are keywords; no UNREAD: seen
  EXPECT_EQ(d["mailboxIds"], (json::object{{"INBOX", true}, {"Lists/dev", true}}));
  EXPECT_EQ(d["keywords"], (json::object{{"$seen", true}, {"$flagged", true}, {"$important", true}}));
}

TEST(GmailMap, SystemMailboxesAsGmailImapNamesThem) {
  EXPECT_EQ(gmail::mailboxes_of({"SENT", "UNREAD"}, {}), (json::object{{"\\Sent", true}}));
  EXPECT_EQ(gmail::mailboxes_of({"DRAFT"}, {}), (json::object{{"\\Drafts", true}}));
  // archived: in All Mail only
  EXPECT_EQ(gmail::mailboxes_of({"CATEGORY_PERSONAL"}, {}), (json::object{{"\\All", true}}));
  EXPECT_TRUE(gmail::keywords_of({"UNREAD"}).empty());
  EXPECT_TRUE(gmail::out_of_stream(obj(R"({"labelIds":["TRASH","INBOX"]})")));
  EXPECT_TRUE(gmail::out_of_stream(obj(R"({"labelIds":["SPAM"]})")));
  EXPECT_FALSE(gmail::out_of_stream(obj(R"({"labelIds":["INBOX"]})")));
}

TEST(GmailMap, WantedLabelsAndTheChangeLeaveGmailsOwnAlone) {
  auto data = obj(R"({"mailboxIds":{"INBOX":true,"\\All":true,"Work":true,"[Gmail]/Starred":true,"\\Trash":true,"Old":false},
                      "keywords":{"$flagged":true}})");
  gmail::Wanted w = gmail::wanted_labels(data);
  EXPECT_EQ(w.system, (std::set<std::string>{"INBOX", "STARRED", "UNREAD"}));
  EXPECT_EQ(w.user, (std::set<std::string>{"Work"}));
  // resolved: Work is Label_1; the message has Label_2 (Old), IMPORTANT, a category and SENT
  gmail::Wanted ids{w.system, {"Label_1"}};
  gmail::LabelNames names{{"Label_1", "Work"}, {"Label_2", "Old"}};
  auto ch = gmail::label_change({"SENT", "IMPORTANT", "Label_2", "CATEGORY_SOCIAL", "INBOX"}, ids, names);
  std::sort(ch.add.begin(), ch.add.end());
  std::sort(ch.remove.begin(), ch.remove.end());
  EXPECT_EQ(ch.add, (std::vector<std::string>{"Label_1", "STARRED", "UNREAD"}));
  EXPECT_EQ(ch.remove, (std::vector<std::string>{"IMPORTANT", "Label_2", "SENT"}));
  EXPECT_FALSE(contains(ch.remove, "CATEGORY_SOCIAL"));
  // a record read back asks for what the message has: no change
  json::object back = gmail::to_message(obj(R"({"labelIds":["INBOX","Label_1","STARRED"]})"), names);
  gmail::Wanted again = gmail::wanted_labels(back);
  EXPECT_TRUE(gmail::label_change({"INBOX", "Label_1", "STARRED"}, {again.system, {"Label_1"}}, names).empty());
}

TEST(GmailMap, Base64UrlBothWays) {
  std::string bytes = "Subject: \xff\xfe?>\r\n\r\nbody";
  std::string u = gmail::to_base64url(bytes);
  EXPECT_EQ(u.find_first_of("+/"), std::string::npos);
  EXPECT_EQ(gmail::from_base64url(u), bytes);
  // Gmail leaves the padding out
  std::string bare = u;
  while (!bare.empty() && bare.back() == '=') bare.pop_back();
  EXPECT_EQ(gmail::from_base64url(bare), bytes);
}

TEST(DriveMap, FileBecomesNoteAndBack) {
  auto f = obj(R"({"id":"1abc","name":"Shopping","mimeType":"text/plain","parents":["F"],"version":"4",
    "createdTime":"2026-03-01T10:00:00.000Z","modifiedTime":"2026-03-02T11:00:00.000Z",
    "appProperties":{"categories":"[\"home\",\"list\"]","accord_key":"accord-0123"}})");
  json::object n = drive::to_note(f, "milk\neggs");
  EXPECT_EQ(n["title"], "Shopping");
  EXPECT_EQ(n["body"], "milk\neggs");
  EXPECT_EQ(n["categories"], (json::array{"home", "list"}));
  EXPECT_EQ(n["created"], "2026-03-01T10:00:00.000Z");
  EXPECT_EQ(n["updated"], "2026-03-02T11:00:00.000Z");
  EXPECT_EQ(drive::key_of(f), "accord-0123");
  json::object back = drive::to_file(n, "accord-0123");
  EXPECT_EQ(back["name"], "Shopping");
  EXPECT_EQ(back["modifiedTime"], "2026-03-02T11:00:00.000Z");
  EXPECT_EQ(back["appProperties"].at("categories"), "[\"home\",\"list\"]");
  EXPECT_EQ(back["appProperties"].at("accord_key"), "accord-0123");
  EXPECT_FALSE(back.contains("createdTime"));  // read only
}

TEST(DriveMap, NoCategoriesClearsThemAndTooManyAreRefused) {
  json::object f = drive::to_file(obj(R"({"title":"t","body":"b"})"), "");
  EXPECT_TRUE(f["appProperties"].at("categories").is_null());
  EXPECT_FALSE(f["appProperties"].as_object().contains("accord_key"));
  json::array many;
  for (int i = 0; i < 20; ++i) many.push_back(json::value("category " + std::to_string(i)));
  json::object note{{"title", "t"}, {"categories", many}};
  EXPECT_THROW(drive::to_file(note, ""), accord::Error);
}

TEST(DriveMap, QueryStringsAreEscaped) {
  EXPECT_EQ(drive::quoted("Ada's \\notes"), "'Ada\\'s \\\\notes'");
}

// Calendar's attendees and reminders (Event.attendees, Event.reminders) ⇄
// JSCalendar participants and alerts, as an iCalendar file's ATTENDEE and
// VALARM read through the formats lib.
TEST(CalendarMap, AttendeesAndRemindersBothWays) {
  calendar::Series s;
  s.master = obj(R"({"id":"e1","iCalUID":"e1@google.com","summary":"Review",
    "start":{"dateTime":"2026-01-05T12:00:00Z","timeZone":"UTC"},"end":{"dateTime":"2026-01-05T13:00:00Z","timeZone":"UTC"},
    "organizer":{"email":"ada@example.com","displayName":"Ada"},
    "attendees":[{"email":"bob@example.org","displayName":"Bob","responseStatus":"accepted"},
                 {"email":"cy@example.org","optional":true},
                 {"email":"room1@resource.example","resource":true,"responseStatus":"tentative"}],
    "reminders":{"useDefault":false,"overrides":[{"method":"popup","minutes":15},{"method":"email","minutes":1440}]}})");
  json::object e = calendar::to_event(s);
  const json::object& ps = e.at("participants").as_object();
  ASSERT_EQ(ps.size(), 4u);
  EXPECT_EQ(ps.at("p1").at("email"), "ada@example.com");
  EXPECT_TRUE(ps.at("p1").at("roles").as_object().contains("owner"));
  EXPECT_EQ(ps.at("p2").at("name"), "Bob");
  EXPECT_EQ(ps.at("p2").at("participationStatus"), "accepted");
  EXPECT_TRUE(ps.at("p3").at("roles").as_object().contains("optional"));
  EXPECT_EQ(ps.at("p3").at("participationStatus"), "needs-action");
  EXPECT_EQ(ps.at("p4").at("kind"), "resource");
  const json::object& as = e.at("alerts").as_object();
  ASSERT_EQ(as.size(), 2u);
  EXPECT_EQ(as.at("a1").at("trigger").at("offset"), "-PT15M");
  EXPECT_EQ(as.at("a1").at("action"), "display");
  EXPECT_EQ(as.at("a2").at("trigger").at("offset"), "-P1D");
  EXPECT_EQ(as.at("a2").at("action"), "email");
  // written back: the attendees and reminders as Google had them (the organizer is Google's to set)
  calendar::Written w = calendar::from_event(e);
  EXPECT_FALSE(w.master.contains("organizer"));
  const json::array& at = w.master.at("attendees").as_array();
  ASSERT_EQ(at.size(), 3u);
  EXPECT_EQ(at[0], (json::object{{"email", "bob@example.org"}, {"displayName", "Bob"}, {"responseStatus", "accepted"}}));
  EXPECT_EQ(at[1], (json::object{{"email", "cy@example.org"}, {"optional", true}, {"responseStatus", "needsAction"}}));
  EXPECT_EQ(at[2].at("resource"), true);
  EXPECT_EQ(w.master.at("reminders"), s.master.at("reminders"));
}

TEST(CalendarMap, DefaultRemindersAreNoAlertsAndOthersAreNotSent) {
  calendar::Series s;
  s.master = obj(R"({"id":"e2","start":{"date":"2026-05-01"},"end":{"date":"2026-05-02"},"reminders":{"useDefault":true}})");
  json::object e = calendar::to_event(s);
  EXPECT_FALSE(e.contains("alerts"));
  EXPECT_FALSE(e.contains("participants"));
  EXPECT_EQ(calendar::from_event(e).master.at("reminders"), (json::object{{"useDefault", true}}));
  // an alert Google cannot hold (after the start, absolute) is not sent; one it can is
  e["alerts"] = json::parse(R"({"a1":{"@type":"Alert","trigger":{"@type":"OffsetTrigger","offset":"PT5M"}},
    "a2":{"@type":"Alert","trigger":{"@type":"AbsoluteTrigger","when":"2026-04-30T08:00:00Z"}},
    "a3":{"@type":"Alert","trigger":{"@type":"OffsetTrigger","offset":"-PT10M"}}})");
  EXPECT_EQ(calendar::from_event(e).master.at("reminders"),
            json::parse(R"({"useDefault":false,"overrides":[{"method":"popup","minutes":10}]})"));
}

TEST(GmailMap, QuotaUnitsAsGmailsUsageLimitsPage) {
  const std::string g = "https://gmail.googleapis.com/gmail/v1/users/me/";
  EXPECT_EQ(gmail::quota_units("GET", g + "profile"), 1);
  EXPECT_EQ(gmail::quota_units("GET", g + "history?startHistoryId=5"), 2);
  EXPECT_EQ(gmail::quota_units("GET", g + "labels"), 1);
  EXPECT_EQ(gmail::quota_units("POST", g + "labels"), 5);
  EXPECT_EQ(gmail::quota_units("GET", g + "messages?maxResults=500"), 5);
  EXPECT_EQ(gmail::quota_units("GET", g + "messages/18f?format=raw"), 5);
  EXPECT_EQ(gmail::quota_units("POST", g + "messages/import?internalDateSource=dateHeader"), 25);
  EXPECT_EQ(gmail::quota_units("POST", g + "messages"), 25);
  EXPECT_EQ(gmail::quota_units("POST", g + "messages/batchModify"), 50);
  EXPECT_EQ(gmail::quota_units("POST", g + "messages/18f/modify"), 5);
  EXPECT_EQ(gmail::quota_units("DELETE", g + "messages/18f"), 10);
  EXPECT_EQ(gmail::quota_units("GET", "https://people.googleapis.com/v1/people/me/connections"), 0);
}
