// SPDX-License-Identifier: Apache-2.0
// MAPI properties → canonical records, on synthetic property sets: one
// test per class and per cross-class rule (categories, sensitivity), and
// the message rebuilt as MIME read back by the mail lib.
#include "canonical.hpp"
#include "mime.hpp"
#include "rtf_text.hpp"

#include <accord/mail/message.hpp>
#include <accord/time/utc_time.hpp>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <memory>

namespace mapi = accord::outlook::mapi;
namespace json = boost::json;
using mapi::Value;

namespace {

int64_t ft(int y, int mo, int d, int h = 0, int mi = 0) {
  return mapi::unix_to_filetime(accord::utc::to_seconds(y, mo, d, h, mi));
}

std::string tz_definition(const std::string& key) {
  std::string blob = std::string("\x02\x01\x00\x00\x02\x00", 6);
  blob += static_cast<char>(key.size());
  blob += '\0';
  for (char c : key) blob += c, blob += '\0';
  return blob + std::string("\x00\x00", 2);
}

std::string unhex(std::string_view h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out += static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
  return out;
}

}  // namespace

TEST(MessageClass, EachClassGoesToItsStream) {
  EXPECT_EQ(mapi::stream_of(mapi::kind_of("IPM.Note")), "message");
  EXPECT_EQ(mapi::stream_of(mapi::kind_of("IPM.Schedule.Meeting.Request")), "message");
  EXPECT_EQ(mapi::stream_of(mapi::kind_of("REPORT.IPM.Note.NDR")), "message");
  EXPECT_EQ(mapi::stream_of(mapi::kind_of("ipm.contact")), "contact");
  EXPECT_EQ(mapi::stream_of(mapi::kind_of("IPM.Contact.MyForm")), "contact");
  EXPECT_EQ(mapi::stream_of(mapi::kind_of("IPM.Appointment")), "event");
  EXPECT_EQ(mapi::stream_of(mapi::kind_of("IPM.Task")), "task");
  EXPECT_EQ(mapi::stream_of(mapi::kind_of("IPM.StickyNote")), "note");
  EXPECT_EQ(mapi::kind_of("IPM.DistList"), mapi::Kind::kDistList);
  EXPECT_EQ(mapi::stream_of(mapi::kind_of("IPM.DistList")), "");
  EXPECT_EQ(mapi::stream_of(mapi::kind_of("IPM.Activity")), "");
  EXPECT_EQ(mapi::kind_of("IPM.Contacts"), mapi::Kind::kMessage);  // a prefix is a whole segment
}

TEST(Contact, PropertiesBecomeAJSContactCard) {
  mapi::Item it;
  auto& p = it.props;
  p.set(mapi::tag::kMessageClass, Value::string("IPM.Contact"));
  p.set(mapi::tag::kDisplayName, Value::string("Ada Lovelace"));
  p.set(mapi::tag::kGivenName, Value::string("Ada"));
  p.set(mapi::tag::kSurname, Value::string("Lovelace"));
  p.set(mapi::tag::kCompanyName, Value::string("Analytical Engines"));
  p.set(mapi::tag::kDepartmentName, Value::string("Notes"));
  p.set(mapi::tag::kTitle, Value::string("Countess"));
  p.set(mapi::tag::kMobileTelephone, Value::string("+44 20 7946 0000"));
  p.set(mapi::tag::kBusinessTelephone, Value::string("+44 20 7946 0001"));
  p.set(mapi::tag::kBirthday, Value::filetime(ft(1815, 12, 10)));
  p.set(mapi::tag::kSensitivity, Value::integer(2));
  p.set_named(mapi::kPsetidAddress, mapi::lid::kEmail1EmailAddress, Value::string("ada@example.org"));
  p.set_named(mapi::kPsetidAddress, mapi::lid::kEmail1AddressType, Value::string("SMTP"));
  p.set_named(mapi::kPsetidAddress, mapi::lid::kEmail2EmailAddress, Value::string("ada@engines.example"));
  p.set_named(mapi::kPsetidAddress, mapi::lid::kWorkAddressStreet, Value::string("12 St James's Square"));
  p.set_named(mapi::kPsetidAddress, mapi::lid::kWorkAddressCity, Value::string("London"));
  p.set_named(mapi::kPsPublicStrings, std::string_view("Keywords"), Value::strings({"Sync with CRM", "VIP"}));
  mapi::Warnings w;
  json::object c = mapi::contact(it, w);
  EXPECT_EQ(c["@type"], "Card");
  EXPECT_EQ(c["name"].at("full"), "Ada Lovelace");
  EXPECT_EQ(json::serialize(c["name"].at("components")),
            R"([{"kind":"given","value":"Ada"},{"kind":"surname","value":"Lovelace"}])");
  EXPECT_EQ(c["emails"].at("e1").at("address"), "ada@example.org");
  EXPECT_EQ(c["emails"].at("e1").at("pref"), 1);
  EXPECT_EQ(c["emails"].at("e2").at("address"), "ada@engines.example");
  EXPECT_EQ(c["phones"].as_object().size(), 2u);
  EXPECT_EQ(c["phones"].at("p1").at("number"), "+44 20 7946 0001");
  EXPECT_TRUE(c["phones"].at("p1").at("contexts").at("work").as_bool());
  EXPECT_TRUE(c["phones"].at("p2").at("features").at("mobile").as_bool());
  EXPECT_EQ(json::serialize(c["addresses"].at("a1")),
            R"({"components":[{"kind":"name","value":"12 St James's Square"},{"kind":"locality","value":"London"}],)"
            R"("contexts":{"work":true}})");
  EXPECT_EQ(c["organizations"].at("o1").at("name"), "Analytical Engines");
  EXPECT_EQ(c["organizations"].at("o1").at("units").at(0).at("name"), "Notes");
  EXPECT_EQ(c["titles"].at("t1").at("name"), "Countess");
  EXPECT_EQ(json::serialize(c["anniversaries"].at("b1")),
            R"({"kind":"birth","date":{"@type":"PartialDate","year":1815,"month":12,"day":10}})");
  EXPECT_EQ(json::serialize(c["keywords"]), R"({"Sync with CRM":true,"VIP":true})");
  EXPECT_EQ(c["sensitivity"], "private");
  EXPECT_TRUE(w.empty());
}

TEST(DistributionList, IsReportedWithItsNameAndMembers) {
  mapi::Item it;
  it.props.set(mapi::tag::kMessageClass, Value::string("IPM.DistList"));
  it.props.set_named(mapi::kPsetidAddress, mapi::lid::kDistributionListName, Value::string("Team"));
  it.props.set_named(mapi::kPsetidAddress, mapi::lid::kDistributionListMembers, Value::binaries({"a", "b", "c"}));
  EXPECT_EQ(mapi::distribution_list_summary(it), "distribution list \"Team\" with 3 members");
}

// One-Off EntryIDs ([MS-OXCDATA] 2.2.5.1) as Outlook writes a list's members
// (PidLidDistributionListOneOffMembers): UTF-16 strings (the U flag), or 8-bit.
static std::string one_off(const std::string& name, const std::string& address, bool wide) {
  std::string b(4, '\0');
  b += std::string("\x81\x2B\x1F\xA4\xBE\xA3\x10\x19\x9D\x6E\x00\xDD\x01\x0F\x54\x02", 16);
  b += std::string("\0\0", 2);
  b += wide ? std::string("\x01\x80", 2) : std::string("\x01\x00", 2);
  for (const std::string& s : {name, std::string("SMTP"), address}) {
    for (char c : s) {
      b += c;
      if (wide) b += '\0';
    }
    b += wide ? std::string("\0\0", 2) : std::string("\0", 1);
  }
  return b;
}

TEST(DistributionList, ItsMembersAreNamedFromTheirOneOffEntries) {
  mapi::Item it;
  it.props.set(mapi::tag::kMessageClass, Value::string("IPM.DistList"));
  it.props.set_named(mapi::kPsetidAddress, mapi::lid::kDistributionListName, Value::string("Staff"));
  it.props.set_named(mapi::kPsetidAddress, mapi::lid::kDistributionListMembers, Value::binaries({"wrapped 1", "wrapped 2"}));
  it.props.set_named(mapi::kPsetidAddress, mapi::lid::kDistributionListOneOffMembers,
                     Value::binaries({one_off("Ed Pfromer (epfromer@gmail.com)", "epfromer@gmail.com", true),
                                      one_off("Ann Lee", "ann@example.org", false)}));
  EXPECT_EQ(mapi::distribution_list_summary(it),
            "distribution list \"Staff\" with 2 members: Ed Pfromer (epfromer@gmail.com), Ann Lee <ann@example.org>");
  auto o = mapi::one_off_entry(one_off("Ed", "ed@example.org", true));
  ASSERT_TRUE(o);
  EXPECT_EQ(o->name, "Ed");
  EXPECT_EQ(o->type, "SMTP");
  EXPECT_EQ(o->address, "ed@example.org");
  EXPECT_FALSE(mapi::one_off_entry("not an entry id"));
  EXPECT_FALSE(mapi::one_off_entry(one_off("Ed", "ed@example.org", true).substr(0, 40)));  // cut short
}

TEST(Event, SingleAppointmentInItsZoneWithCategoriesAndPrivacy) {
  mapi::Item it;
  auto& p = it.props;
  p.set(mapi::tag::kMessageClass, Value::string("IPM.Appointment"));
  p.set(mapi::tag::kSubject, Value::string("Board meeting"));
  p.set(mapi::tag::kSensitivity, Value::integer(2));
  p.set_named(mapi::kPsetidAppointment, mapi::lid::kAppointmentStartWhole, Value::filetime(ft(2026, 3, 2, 9, 0)));
  p.set_named(mapi::kPsetidAppointment, mapi::lid::kAppointmentEndWhole, Value::filetime(ft(2026, 3, 2, 10, 30)));
  p.set_named(mapi::kPsetidAppointment, mapi::lid::kLocation, Value::string("Room 4"));
  p.set_named(mapi::kPsetidAppointment, mapi::lid::kBusyStatus, Value::integer(2));
  p.set_named(mapi::kPsetidAppointment, mapi::lid::kTimeZoneDefinitionStartDisplay,
              Value::binary(tz_definition("W. Europe Standard Time")));
  p.set_named(mapi::kPsetidCommon, mapi::lid::kReminderSet, Value::boolean(true));
  p.set_named(mapi::kPsetidCommon, mapi::lid::kReminderDelta, Value::integer(15));
  p.set_named(mapi::kPsPublicStrings, std::string_view("Keywords"), Value::strings({"Don't sync with Salesforce"}));
  mapi::Warnings w;
  json::object e = mapi::event(it, w);
  EXPECT_EQ(e["title"], "Board meeting");
  EXPECT_EQ(e["start"], "2026-03-02T10:00:00");  // CET, UTC+1
  EXPECT_EQ(e["timeZone"], "Europe/Berlin");
  EXPECT_EQ(e["duration"], "PT1H30M");
  EXPECT_EQ(e["privacy"], "private");
  EXPECT_EQ(e["freeBusyStatus"], "busy");
  EXPECT_EQ(e["status"], "confirmed");
  EXPECT_EQ(e["locations"].at("l1").at("name"), "Room 4");
  EXPECT_EQ(e["alerts"].at("a1").at("trigger").at("offset"), "-PT15M");
  EXPECT_EQ(json::serialize(e["keywords"]), R"({"Don't sync with Salesforce":true})");
  EXPECT_FALSE(e.contains("recurrenceRules"));
  EXPECT_TRUE(w.empty());
}

TEST(Event, RecurringAppointmentCarriesRuleOverridesAndLocalStart) {
  mapi::Item it;
  auto& p = it.props;
  p.set(mapi::tag::kMessageClass, Value::string("IPM.Appointment"));
  p.set(mapi::tag::kSubject, Value::string("Simple Recurrence"));
  // [MS-OXOCAL] 4.1.1.2's blob: Mon/Thu/Fri 10:00-10:30, 12 times, 2007-04-16 moved to 11:00
  p.set_named(mapi::kPsetidAppointment, mapi::lid::kAppointmentRecur,
              Value::binary(unhex(
                  "043004300B2001000000C0210000010000000000000032000000222000000C0000000000000001000000A096BC0C0100"
                  "0000A096BC0C8020BC0C20ADBC0C0630000009300000580200007602000001003499BC0C5299BC0CF898BC0C1100220021"
                  "0053696D706C6520526563757272656E6365207769746820657863657074696F6E730800070033342F3431343100000000"
                  "0400000000000000000000003499BC0C5299BC0CF898BC0C2100530069006D0070006C00650020005200650063007500"
                  "7200720065006E006300650020007700690074006800200065007800630065007000740069006F006E0073000700330034"
                  "002F0034003100340031000000000000000000")));
  p.set_named(mapi::kPsetidAppointment, mapi::lid::kTimeZoneDefinitionRecur,
              Value::binary(tz_definition("Pacific Standard Time")));
  mapi::Warnings w;
  json::object e = mapi::event(it, w);
  EXPECT_EQ(e["start"], "2007-03-26T10:00:00");
  EXPECT_EQ(e["timeZone"], "America/Los_Angeles");
  EXPECT_EQ(e["duration"], "PT30M");
  ASSERT_TRUE(e.contains("recurrenceRules"));
  EXPECT_EQ(e["recurrenceRules"].at(0).at("count"), 12);
  EXPECT_EQ(e["recurrenceOverrides"].at("2007-04-16T10:00:00").at("start"), "2007-04-16T11:00:00");
  EXPECT_TRUE(w.empty());
}

TEST(Event, ExceptionWithItsOwnBodyTakesItFromItsEmbeddedMessage) {
  // 4.1.1.2's blob with ARO_EXCEPTIONAL_BODY set on the exception (a flag
  // with no field of its own in ExceptionInfo)
  std::string hex =
      "043004300B2001000000C0210000010000000000000032000000222000000C0000000000000001000000A096BC0C0100"
      "0000A096BC0C8020BC0C20ADBC0C0630000009300000580200007602000001003499BC0C5299BC0CF898BC0C1102220021"
      "0053696D706C6520526563757272656E6365207769746820657863657074696F6E730800070033342F3431343100000000"
      "0400000000000000000000003499BC0C5299BC0CF898BC0C2100530069006D0070006C00650020005200650063007500"
      "7200720065006E006300650020007700690074006800200065007800630065007000740069006F006E0073000700330034"
      "002F0034003100340031000000000000000000";
  mapi::Item it;
  it.props.set_named(mapi::kPsetidAppointment, mapi::lid::kAppointmentRecur, Value::binary(unhex(hex)));
  it.props.set(mapi::tag::kBody, Value::string("the series' agenda"));
  mapi::Attachment ex;
  // the exception's start, local: 0x0CBC9934 minutes since 1601
  ex.props.set(mapi::tag::kExceptionStartTime, Value::filetime(int64_t{0x0CBC9934} * 600000000));
  ex.props.set(mapi::tag::kAttachmentHidden, Value::boolean(true));
  ex.embedded = std::make_shared<mapi::Item>();
  ex.embedded->props.set(mapi::tag::kBody, Value::string("moved to 11:00, room 34/4141"));
  it.attachments.push_back(ex);
  mapi::Warnings w;
  json::object e = mapi::event(it, w);
  EXPECT_EQ(e["description"], "the series' agenda");
  EXPECT_EQ(e["recurrenceOverrides"].at("2007-04-16T10:00:00").at("description"), "moved to 11:00, room 34/4141");
}

TEST(Event, UidComesFromTheGlobalObjectId) {
  mapi::Item it;
  // the Outlook.com sample's "Thanksgiving Day", imported from iCalendar: its
  // UID rides in the id's data after "vCal-Uid" 01 00 00 00
  it.props.set_named(mapi::kPsetidMeeting, mapi::lid::kCleanGlobalObjectId,
                     Value::binary(unhex("040000008200E00074C5B7101A82E008000000000000000000000000000000000000000031000000"
                                         "7643616C2D5569640100000032313138626434302D363866392D343262342D613939392D3136"
                                         "6630613731643735353300")));
  mapi::Warnings w;
  EXPECT_EQ(mapi::event(it, w)["uid"], "2118bd40-68f9-42b4-a999-16f0a71d7553");
  // one made by Outlook: the hex of the whole id
  std::string outlook = "040000008200E00074C5B7101A82E00800000000C059FEA57E8FD7010000000000000000100000"
                        "00ED917161A024F447B0A7B5FAF5135555";
  it.props.set_named(mapi::kPsetidMeeting, mapi::lid::kCleanGlobalObjectId, Value::binary(unhex(outlook)));
  EXPECT_EQ(mapi::event(it, w)["uid"], outlook.c_str());
}

TEST(Event, UnreadableRecurrenceIsWarnedNotDropped) {
  mapi::Item it;
  it.props.set(mapi::tag::kSubject, Value::string("x"));
  it.props.set_named(mapi::kPsetidAppointment, mapi::lid::kAppointmentStartWhole, Value::filetime(ft(2026, 1, 1, 9)));
  it.props.set_named(mapi::kPsetidAppointment, mapi::lid::kAppointmentRecur, Value::binary("\x04\x30"));
  mapi::Warnings w;
  json::object e = mapi::event(it, w);
  EXPECT_EQ(e["start"], "2026-01-01T09:00:00");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("recurrence could not be read"), std::string::npos) << w[0];
}

TEST(Task, StatusDatesAndPercent) {
  mapi::Item it;
  auto& p = it.props;
  p.set(mapi::tag::kSubject, Value::string("File the report"));
  p.set(mapi::tag::kImportance, Value::integer(2));
  p.set_named(mapi::kPsetidTask, mapi::lid::kTaskStatus, Value::integer(1));
  p.set_named(mapi::kPsetidTask, mapi::lid::kPercentComplete, Value::real(0.25));
  p.set_named(mapi::kPsetidTask, mapi::lid::kTaskDueDate, Value::filetime(ft(2026, 4, 30)));
  mapi::Warnings w;
  json::object t = mapi::task(it, w);
  EXPECT_EQ(t["@type"], "Task");
  EXPECT_EQ(t["progress"], "in-process");
  EXPECT_EQ(t["percentComplete"], 25);
  EXPECT_EQ(t["due"], "2026-04-30T00:00:00");
  EXPECT_EQ(t["showWithoutTime"], true);
  EXPECT_EQ(t["priority"], 1);
  p.set_named(mapi::kPsetidTask, mapi::lid::kTaskComplete, Value::boolean(true));
  EXPECT_EQ(mapi::task(it, w)["progress"], "completed");
}

TEST(Task, RecurringTaskCarriesItsRule) {
  mapi::Item it;
  auto& p = it.props;
  p.set(mapi::tag::kSubject, Value::string("Weekly report"));
  // a task's PidLidTaskRecurrence is a RecurrencePattern alone: 4.1.1.1's head
  p.set_named(mapi::kPsetidTask, mapi::lid::kTaskRecurrence,
              Value::binary(unhex("043004300B2001000000C0210000010000000000000032000000222000000C00000000000000000000"
                                  "00000000008020BC0C20ADBC0C")));
  mapi::Warnings w;
  EXPECT_FALSE(mapi::task(it, w).contains("recurrenceRules"));  // not marked recurring: the blob is a leftover
  p.set_named(mapi::kPsetidTask, mapi::lid::kTaskFRecurring, Value::boolean(true));
  json::object t = mapi::task(it, w);
  ASSERT_TRUE(t.contains("recurrenceRules"));
  EXPECT_EQ(t["recurrenceRules"].at(0).at("frequency"), "weekly");
  EXPECT_EQ(t["recurrenceRules"].at(0).at("count"), 12);
  EXPECT_TRUE(w.empty());
}

TEST(Note, StickyNoteBecomesANote) {
  mapi::Item it;
  auto& p = it.props;
  p.set(mapi::tag::kMessageClass, Value::string("IPM.StickyNote"));
  p.set(mapi::tag::kSubject, Value::string("Groceries"));
  p.set(mapi::tag::kBody, Value::string("Groceries\r\nmilk\r\n"));
  p.set(mapi::tag::kSensitivity, Value::integer(3));
  p.set(mapi::tag::kCreationTime, Value::filetime(ft(2026, 2, 1, 8)));
  p.set_named(mapi::kPsPublicStrings, std::string_view("Keywords"), Value::strings({"Home"}));
  json::object n = mapi::note(it);
  EXPECT_EQ(json::serialize(n),
            R"({"title":"Groceries","body":"Groceries\nmilk\n","categories":["Home"],)"
            R"("created":"2026-02-01T08:00:00Z","sensitivity":"confidential"})");
}

// Outlook keeps a sticky note's text, a contact's notes, a task's body as
// RTF only (PR_RTF_COMPRESSED, no PR_BODY): the real .ost of pst-extractor
// 1.0.0 has each. The RTF below is that sticky note's, and the end of that
// contact's Word RTF (destinations that are not text around the run).
TEST(RtfText, TheTextOfOutlooksRtfBodies) {
  EXPECT_EQ(mapi::rtf_text("{\\rtf1\\ansi\\ansicpg1252\\deff0\\nouicompat\\deflang1033{\\fonttbl{\\f0\\fswiss\\fcharset0 Calibri;}}\n\r"
                           "{\\colortbl ;\\red0\\green0\\blue0;}\n\r{\\*\\generator Riched20 16.0.9127}\\viewkind4\\uc1 \n\r"
                           "\\pard\\cf1\\f0\\fs22 a pretty yellow sticky note\\par\n\r}\n\r"),
            "a pretty yellow sticky note");
  EXPECT_EQ(mapi::rtf_text("{\\rtf1\\ansi\\ansicpg1252\\uc1{\\fonttbl{\\f51\\fscript\\fcharset0\\fprq2{\\*\\panose 030f0702030302020204}Comic Sans MS;}}"
                           "{\\*\\pnseclvl9\\pnlcrm\\pnstart1\\pnindent720\\pnhang {\\pntxtb (}{\\pntxta )}}\\pard\\plain \\ltrpar\\ql "
                           "{{\\objattph  {\\rtlch\\fcs1 \\af0 \\ltrch\\fcs0 \\cf0\\insrsid14505343 }}}\\sectd "
                           "{\\rtlch\\fcs1 \\af0 \\ltrch\\fcs0 \\cf0\\insrsid14505343 \n\\par }{\\rtlch\\fcs1 \\af0 \\ltrch\\fcs0 "
                           "\\f51\\cf0\\highlight7\\insrsid14505343\\charrsid14505343 Never gonna let you down}{\\rtlch \n\\par }}"),
            "Never gonna let you down");
  // \'hh in the code page, \uN with its fallback skipped, escapes, a line break and a tab
  EXPECT_EQ(mapi::rtf_text("{\\rtf1\\ansi\\ansicpg1252 K\\'f6ln \\u8364?5\\line a\\tab b \\{x\\}}"), "K\xc3\xb6ln \xe2\x82\xac" "5\na\tb {x}");
  // encapsulated HTML (\fromhtml1): the text outside the \htmlrtf runs
  EXPECT_EQ(mapi::rtf_text("{\\rtf1\\ansi\\fromhtml1 {\\*\\htmltag19 <p>}\\htmlrtf {\\htmlrtf0 Hello}\\htmlrtf0 {\\*\\htmltag <br>}\\par}"),
            "Hello");
  EXPECT_EQ(mapi::rtf_text("{\\rtf1 unterminated \\'"), "unterminated");
}

// A character past U+FFFF is written as its two UTF-16 halves, each a \uN
// (signed: N < 0 is N + 65536) with its fallback (review s12 L3: an emoji in
// a sticky note came out as two U+FFFD). A half alone is U+FFFD. Groups
// nested far deeper than any real body still read.
TEST(RtfText, ACharacterPastTheBasicPlaneIsItsTwoHalvesJoined) {
  EXPECT_EQ(mapi::rtf_text("{\\rtf1\\ansi\\uc1 ok \\u-10179?\\u-8704? done}"), "ok \xf0\x9f\x98\x80 done");
  EXPECT_EQ(mapi::rtf_text("{\\rtf1\\ansi\\uc1 a\\u55357?b\\u56832?c}"), "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c");
  EXPECT_EQ(mapi::rtf_text("{\\rtf1\\ansi\\uc1 end \\u55357?}"), "end \xef\xbf\xbd");
  std::string deep = "{\\rtf1 " + std::string(100000, '{') + "deep" + std::string(100000, '}') + " after}";
  EXPECT_EQ(mapi::rtf_text(deep), "deep after");
}

TEST(RtfText, AnRtfOnlyBodyIsTheNotesDescriptionAndText) {
  const std::string rtf = "{\\rtf1\\ansi{\\fonttbl{\\f0 Calibri;}}\\pard Call back Monday\\par second line\\par}";
  mapi::Item c;
  c.props.set(mapi::tag::kMessageClass, Value::string("IPM.Contact"));
  c.props.set(mapi::tag::kDisplayName, Value::string("Ed Pfromer"));
  c.rtf = rtf;
  mapi::Warnings w;
  json::object card = mapi::contact(c, w);
  ASSERT_TRUE(card.contains("notes")) << json::serialize(card);
  EXPECT_EQ(json::serialize(card.at("notes")), R"({"n1":{"note":"Call back Monday\nsecond line"}})");
  mapi::Item t;
  t.props.set(mapi::tag::kMessageClass, Value::string("IPM.Task"));
  t.props.set(mapi::tag::kSubject, Value::string("basic task"));
  t.rtf = rtf;
  EXPECT_EQ(json::serialize(mapi::task(t, w).at("description")), R"("Call back Monday\nsecond line")");
  mapi::Item n;
  n.props.set(mapi::tag::kMessageClass, Value::string("IPM.StickyNote"));
  n.rtf = rtf;
  EXPECT_EQ(json::serialize(mapi::note(n).at("body")), R"("Call back Monday\nsecond line")");
  // a PR_BODY, when the store has one, is the text
  n.props.set(mapi::tag::kBody, Value::string("plain"));
  EXPECT_EQ(json::serialize(mapi::note(n).at("body")), R"("plain")");
}

TEST(Message, RebuiltMimeCarriesHeadersBodiesAttachmentsAndEmbeddedMessage) {
  mapi::Item it;
  auto& p = it.props;
  p.set(mapi::tag::kMessageClass, Value::string("IPM.Note"));
  p.set(mapi::tag::kSubject, Value::string("Grüße aus Köln"));
  p.set(mapi::tag::kSentRepresentingName, Value::string("Jörg Müller"));
  p.set(mapi::tag::kSentRepresentingSmtpAddress, Value::string("joerg@example.de"));
  p.set(mapi::tag::kClientSubmitTime, Value::filetime(ft(2026, 3, 1, 10, 0)));
  p.set(mapi::tag::kMessageDeliveryTime, Value::filetime(ft(2026, 3, 1, 10, 1)));
  p.set(mapi::tag::kInternetMessageId, Value::string("<abc@example.de>"));
  p.set(mapi::tag::kBody, Value::string("Hallo\r\n"));
  p.set(mapi::tag::kHtml, Value::binary("<p>Hallo</p><img src=\"cid:logo@x\">"));
  p.set(mapi::tag::kMessageFlags, Value::integer(1));
  p.set(mapi::tag::kFlagStatus, Value::integer(2));
  p.set(mapi::tag::kSensitivity, Value::integer(2));
  p.set_named(mapi::kPsPublicStrings, std::string_view("Keywords"), Value::strings({"Work"}));
  it.recipients.push_back({mapi::Recipient::kTo, "Ann", "ann@example.org", "SMTP"});
  it.recipients.push_back({mapi::Recipient::kCc, "", "bob@example.org", "SMTP"});
  mapi::Attachment file;
  file.props.set(mapi::tag::kAttachMethod, Value::integer(1));
  file.props.set(mapi::tag::kAttachLongFilename, Value::string("report.pdf"));
  file.props.set(mapi::tag::kAttachMimeTag, Value::string("application/pdf"));
  file.props.set(mapi::tag::kAttachContentId, Value::string("pdf@x"));  // Exchange's ids: not shown, not inline
  file.data = std::string("%PDF-1.4\n\0\xff", 11);
  it.attachments.push_back(file);
  mapi::Attachment logo;
  logo.props.set(mapi::tag::kAttachLongFilename, Value::string("logo.png"));
  logo.props.set(mapi::tag::kAttachMimeTag, Value::string("image/png"));
  logo.props.set(mapi::tag::kAttachContentId, Value::string("logo@x"));  // shown by the HTML: inline
  logo.data = "PNG";
  it.attachments.push_back(logo);
  mapi::Attachment inner;
  inner.props.set(mapi::tag::kAttachMethod, Value::integer(5));
  inner.props.set(mapi::tag::kAttachFilename, Value::string("Forwarded"));
  inner.embedded = std::make_shared<mapi::Item>();
  inner.embedded->props.set(mapi::tag::kSubject, Value::string("Inner"));
  inner.embedded->props.set(mapi::tag::kBody, Value::string("inside"));
  mapi::Attachment inner_file;
  inner_file.props.set(mapi::tag::kAttachLongFilename, Value::string("a.txt"));
  inner_file.data = "x";
  inner.embedded->attachments.push_back(inner_file);
  it.attachments.push_back(inner);

  mapi::Warnings w;
  json::object m = mapi::message(it, "Inbox/Work", true, w);
  EXPECT_EQ(m["subject"], "Grüße aus Köln");
  EXPECT_EQ(json::serialize(m["from"]), R"([{"name":"Jörg Müller","email":"joerg@example.de"}])");
  EXPECT_EQ(json::serialize(m["to"]), R"([{"name":"Ann","email":"ann@example.org"}])");
  EXPECT_EQ(m["cc"].at(0).at("email"), "bob@example.org");
  EXPECT_EQ(json::serialize(m["messageId"]), R"(["abc@example.de"])");
  EXPECT_EQ(m["sentAt"], "2026-03-01T10:00:00Z");
  EXPECT_EQ(m["receivedAt"], "2026-03-01T10:01:00Z");
  EXPECT_EQ(json::serialize(m["mailboxIds"]), R"({"Inbox/Work":true})");
  EXPECT_EQ(json::serialize(m["keywords"]), R"({"$seen":true,"$flagged":true})");
  EXPECT_EQ(json::serialize(m["categories"]), R"(["Work"])");
  EXPECT_EQ(m["sensitivity"], "private");
  EXPECT_EQ(m["hasAttachment"], true);
  const auto& atts = m["attachments"].as_array();
  ASSERT_EQ(atts.size(), 2u) << json::serialize(m["bodyStructure"]);
  EXPECT_EQ(atts[0].at("type"), "application/pdf");
  EXPECT_EQ(atts[0].at("name"), "report.pdf");
  EXPECT_EQ(atts[1].at("type"), "message/rfc822");
  // the bytes travel whole: the attachment decodes back to what it was
  std::string raw = *accord::mail::base64_decode(std::string(m["raw"].as_string()));
  EXPECT_EQ(m["size"].to_number<uint64_t>(), raw.size());
  EXPECT_NE(raw.find(accord::mail::base64_encode(file.data)), std::string::npos);
  EXPECT_NE(raw.find("Subject: Inner\r\n"), std::string::npos);
  // the embedded message's boundaries differ from the outer ones
  auto outer = accord::mail::parse_structure(raw);
  ASSERT_EQ(outer.sub_parts.size(), 4u);
  EXPECT_EQ(outer.sub_parts[2].disposition, "inline");
  EXPECT_EQ(outer.sub_parts[1].disposition, "attachment");
  EXPECT_EQ(outer.sub_parts[0].type, "multipart/alternative");
  // deterministic: the same item gives the same bytes
  EXPECT_EQ(mapi::build_mime(it), raw);
  // without raw in listings
  EXPECT_FALSE(mapi::message(it, "Inbox/Work", false, w).contains("raw"));
}

TEST(Message, StoredInternetHeadersAreKeptWithoutTheirMimeFields) {
  mapi::Item it;
  it.props.set(mapi::tag::kTransportMessageHeaders,
               Value::string("Received: from a\r\n by b\r\nFrom: x@example.org\r\nSubject: Original\r\n"
                             "Content-Type: multipart/mixed;\r\n boundary=\"zz\"\r\nMIME-Version: 1.0\r\n\r\n"));
  it.props.set(mapi::tag::kSubject, Value::string("Changed locally"));
  it.props.set(mapi::tag::kBody, Value::string("b"));
  std::string raw = mapi::build_mime(it);
  EXPECT_EQ(raw.find("Received: from a\r\n by b\r\nFrom: x@example.org\r\nSubject: Original\r\nMIME-Version: 1.0\r\n"
                     "Content-Type: text/plain"),
            0u)
      << raw;
  EXPECT_EQ(raw.find("boundary=\"zz\""), std::string::npos);
}

TEST(Message, RtfOnlyBodyTravelsAsTextRtf) {
  mapi::Item it;
  it.props.set(mapi::tag::kSubject, Value::string("old"));
  it.rtf = "{\\rtf1\\ansi Hello}";
  auto s = accord::mail::parse_structure(mapi::build_mime(it));
  EXPECT_EQ(s.type, "text/rtf");
  it.props.set(mapi::tag::kBody, Value::string("Hello"));
  s = accord::mail::parse_structure(mapi::build_mime(it));
  ASSERT_EQ(s.sub_parts.size(), 2u);
  EXPECT_EQ(s.sub_parts[0].type, "text/plain");
  EXPECT_EQ(s.sub_parts[1].type, "text/rtf");
}

TEST(Message, NonAsciiHeaderTextIsEncoded) {
  EXPECT_EQ(mapi::encode_header_text("plain"), "plain");
  std::string enc = mapi::encode_header_text("Grüße");
  EXPECT_EQ(enc, "=?utf-8?B?R3LDvMOfZQ==?=");
  EXPECT_EQ(accord::mail::decode_words(enc), "Grüße");
}
