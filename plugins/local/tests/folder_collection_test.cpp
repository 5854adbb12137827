// SPDX-License-Identifier: Apache-2.0
// Whole-calendar and whole-address-book files in the folder backends: one
// record per UID ("file.ics#UID"), read and written in place, every other
// byte of the user's file left as it was.
#include "folder_backend.hpp"
#include "formats.hpp"
#include "test_util.hpp"

#include <accord/connector.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace local;
using local::test::read_all;

namespace {

using local::test::slurp;

std::string sample(const std::string& name) { return slurp(fs::path(LOCAL_FORMATS_COLLECTIONS) / name); }

void write(const fs::path& p, const std::string& text, int64_t mtime_offset_s = 0) {
  std::ofstream(p, std::ios::binary) << text;
  if (mtime_offset_s) fs::last_write_time(p, fs::file_time_type::clock::now() + std::chrono::seconds(mtime_offset_s));
}

json::object by_id(const json::array& records, const std::string& id) {
  for (const auto& r : records)
    if (r.at("id").as_string() == id) return r.as_object();
  ADD_FAILURE() << "no record " << id << " in " << json::serialize(records);
  return {};
}

struct Calendars : ::testing::Test {
  local::test::TempDir dir;
  std::vector<std::string> logged;
  std::unique_ptr<FolderBackend> make() {
    return std::make_unique<FolderBackend>(dir.path, dir.path / ".accord/index.sqlite", icalendar_formats(), 2,
                                           [this](int32_t, const std::string& m) { logged.push_back(m); });
  }
  std::unique_ptr<FolderBackend> make_cards() {
    return std::make_unique<FolderBackend>(dir.path, dir.path / ".accord/index.sqlite", vcard_formats("4.0"), 2,
                                           [this](int32_t, const std::string& m) { logged.push_back(m); });
  }
};

const std::string kStandup = "cal.ics#3k9v0abcd1234@google.com";
const std::string kEaster = "cal.ics#easter-2026@google.com";
const std::string kDentist = "cal.ics#dentist-7781@google.com";

}  // namespace

TEST_F(Calendars, AGoogleExportIsOneRecordPerUid) {
  write(dir.path / "cal.ics", sample("google-calendar-export.ics"));
  auto b = make();
  auto l = read_all(*b, "event", "");
  ASSERT_EQ(l.records.size(), 3u) << json::serialize(l.records) << (logged.empty() ? "" : logged[0]);
  auto standup = by_id(l.records, kStandup);
  EXPECT_EQ(json::value(standup).at_pointer("/data/title"), "Team standup");
  EXPECT_EQ(json::value(standup).at_pointer("/data/recurrenceOverrides/2026-03-09T09:00:00/title"),
            "Team standup (moved)");
  EXPECT_EQ(json::value(by_id(l.records, kEaster.c_str())).at_pointer("/data/showWithoutTime"), true);
  EXPECT_TRUE(logged.empty()) << logged[0];
  EXPECT_TRUE(read_all(*b, "task", "").records.empty());
  // fetch by id
  auto f = json::parse(b->fetch("event", json::serialize(json::array{kDentist.c_str()}))).as_object();
  ASSERT_EQ(f.at("records").as_array().size(), 1u);
  EXPECT_EQ(f.at("records").as_array()[0].at_pointer("/data/title"), "Dentist");
}

TEST_F(Calendars, AnUpdateFromTheOtherSideChangesThatEventsBytesAlone) {
  std::string text = sample("google-calendar-export.ics");
  write(dir.path / "cal.ics", text);
  auto b = make();
  auto l = read_all(*b, "event", "");
  json::object easter = by_id(l.records, kEaster);
  json::object data = easter.at("data").as_object();
  data["title"] = "Easter lunch at Grandma's (1 pm)";
  auto r = local::test::apply(*b, "event", json::array{json::object{
      {"op", "update"}, {"id", kEaster}, {"expect_version", easter.at("version")}, {"data", data}}});
  ASSERT_EQ(r[0].at("status"), "ok") << json::serialize(r);
  EXPECT_EQ(r[0].at("id"), kEaster.c_str());
  std::string expected = text;
  std::string old_line = "SUMMARY:Easter lunch at Grandma's\r\n";
  expected.replace(expected.find(old_line), old_line.size(), "SUMMARY:Easter lunch at Grandma's (1 pm)\r\n");
  EXPECT_EQ(slurp(dir.path / "cal.ics"), expected);
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir.path))
    if (e.is_regular_file()) files.push_back(e.path().filename().string());
  EXPECT_EQ(files, std::vector<std::string>{"cal.ics"}) << "no new file, no temporary file left";

  // the next listing: our own write, no change of the two others
  auto next = read_all(*b, "event", l.cursor);
  for (const auto& rec : next.records) EXPECT_EQ(rec.at("id"), kEaster.c_str()) << json::serialize(next.records);
}

TEST_F(Calendars, TwoUpdatesOfOneFileInOneCallBothLand) {
  write(dir.path / "cal.ics", sample("google-calendar-export.ics"));
  auto b = make();
  auto l = read_all(*b, "event", "");
  json::object easter = by_id(l.records, kEaster), dentist = by_id(l.records, kDentist);
  json::object d1 = easter.at("data").as_object(), d2 = dentist.at("data").as_object();
  d1["title"] = "Easter brunch";
  d2["title"] = "Dentist (check-up)";
  auto r = local::test::apply(*b, "event", json::array{
      json::object{{"op", "update"}, {"id", kEaster}, {"expect_version", easter.at("version")}, {"data", d1}},
      json::object{{"op", "update"}, {"id", kDentist}, {"expect_version", dentist.at("version")}, {"data", d2}}});
  ASSERT_EQ(r[0].at("status"), "ok") << json::serialize(r);
  ASSERT_EQ(r[1].at("status"), "ok") << json::serialize(r);
  std::string after = slurp(dir.path / "cal.ics");
  EXPECT_NE(after.find("SUMMARY:Easter brunch\r\n"), std::string::npos);
  EXPECT_NE(after.find("SUMMARY:Dentist (check-up)\r\n"), std::string::npos);
  EXPECT_NE(after.find("SUMMARY:Team standup\r\n"), std::string::npos);
}

TEST_F(Calendars, ADeleteRemovesThatEventAlone) {
  std::string text = sample("google-calendar-export.ics");
  write(dir.path / "cal.ics", text);
  auto b = make();
  auto l = read_all(*b, "event", "");
  auto r = local::test::apply(*b, "event", json::array{json::object{
      {"op", "delete"}, {"id", kStandup}, {"expect_version", by_id(l.records, kStandup).at("version")}}});
  ASSERT_EQ(r[0].at("status"), "ok") << json::serialize(r);
  std::string after = slurp(dir.path / "cal.ics");
  EXPECT_EQ(after.find("Team standup"), std::string::npos) << "the series and its moved instance";
  EXPECT_NE(after.find("BEGIN:VTIMEZONE"), std::string::npos) << "the zone stays";
  EXPECT_NE(after.find("SUMMARY:Dentist"), std::string::npos);
  EXPECT_NE(after.find("SUMMARY:Easter lunch at Grandma's"), std::string::npos);
  auto next = read_all(*b, "event", l.cursor);
  ASSERT_EQ(next.records.size(), 1u) << json::serialize(next.records);
  EXPECT_EQ(next.records[0].at("id"), kStandup.c_str());
  EXPECT_EQ(next.records[0].at("deleted"), true);
  EXPECT_EQ(read_all(*b, "event", "").records.size(), 2u);
}

TEST_F(Calendars, AnEditInTheFileIsAChangeOfThatEventOnly) {
  std::string text = sample("google-calendar-export.ics");
  write(dir.path / "cal.ics", text);
  auto b = make();
  auto l = read_all(*b, "event", "");
  std::string edited = text;
  edited.replace(edited.find("SUMMARY:Dentist"), 15, "SUMMARY:Orthodontist");
  write(dir.path / "cal.ics", edited, 5);
  auto next = read_all(*b, "event", l.cursor);
  ASSERT_EQ(next.records.size(), 1u) << json::serialize(next.records);
  EXPECT_EQ(next.records[0].at("id"), kDentist.c_str());
  EXPECT_EQ(next.records[0].at_pointer("/data/title"), "Orthodontist");
  // an event removed in the file is a tombstone of that event alone
  std::string fewer = edited;
  size_t from = fewer.find("BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260405");
  fewer.erase(from, fewer.find("END:VEVENT\r\n", from) + 12 - from);
  write(dir.path / "cal.ics", fewer, 10);
  auto gone = read_all(*b, "event", next.cursor);
  ASSERT_EQ(gone.records.size(), 1u) << json::serialize(gone.records);
  EXPECT_EQ(gone.records[0].at("id"), kEaster.c_str());
  EXPECT_EQ(gone.records[0].at("deleted"), true);
}

TEST_F(Calendars, AThunderbirdExportFeedsTheEventAndTaskStreams) {
  std::string text = sample("thunderbird-export.ics");
  write(dir.path / "tb.ics", text);
  auto b = make();
  auto events = read_all(*b, "event", "");
  auto tasks = read_all(*b, "task", "");
  ASSERT_EQ(events.records.size(), 2u);
  ASSERT_EQ(tasks.records.size(), 1u);
  json::object task = tasks.records[0].as_object();
  EXPECT_EQ(task.at("id"), "tb.ics#9a8b7c6d-0000-4111-8222-333344445555");
  json::object data = task.at("data").as_object();
  data["title"] = "Renew passport (photos!)";
  auto r = local::test::apply(*b, "task", json::array{json::object{
      {"op", "update"}, {"id", task.at("id")}, {"expect_version", task.at("version")}, {"data", data}}});
  ASSERT_EQ(r[0].at("status"), "ok") << json::serialize(r);
  json::object flight = by_id(events.records, "tb.ics#1b2c3d4e-aaaa-4bbb-8ccc-ddddeeeeffff");
  json::object fd = flight.at("data").as_object();
  fd["title"] = "Flight to Boston (BA 123)";
  r = local::test::apply(*b, "event", json::array{json::object{
      {"op", "update"}, {"id", flight.at("id")}, {"expect_version", flight.at("version")}, {"data", fd}}});
  ASSERT_EQ(r[0].at("status"), "ok") << json::serialize(r);
  std::string expected = text;
  expected.replace(expected.find("SUMMARY:Renew passport"), 22, "SUMMARY:Renew passport (photos!)");
  expected.replace(expected.find("SUMMARY:Flight to Boston"), 24, "SUMMARY:Flight to Boston (BA 123)");
  EXPECT_EQ(slurp(dir.path / "tb.ics"), expected);
}

TEST_F(Calendars, TwoEventsWithOneUidAreRefusedByNameAndNothingIsLost) {
  std::string text =
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n"
      "BEGIN:VEVENT\r\nUID:same\r\nDTSTART:20260101T100000Z\r\nSUMMARY:One\r\nEND:VEVENT\r\n"
      "BEGIN:VEVENT\r\nUID:other\r\nDTSTART:20260101T100000Z\r\nSUMMARY:Fine\r\nEND:VEVENT\r\n"
      "BEGIN:VEVENT\r\nUID:same\r\nDTSTART:20260102T100000Z\r\nSUMMARY:Two\r\nEND:VEVENT\r\n"
      "END:VCALENDAR\r\n";
  write(dir.path / "dup.ics", text);
  auto b = make();
  auto l = read_all(*b, "event", "");
  ASSERT_EQ(l.records.size(), 2u) << json::serialize(l.records);
  json::object other = by_id(l.records, "dup.ics#other"), same = by_id(l.records, "dup.ics#same");
  // listed as a record that cannot be read: the file, both lines, the UID, the fix
  EXPECT_FALSE(same.contains("data"));
  std::string why(same.at("problem").as_string());
  EXPECT_NE(why.find("dup.ics: lines 4 and 14: 2 VEVENTs carry the UID \"same\""), std::string::npos) << why;
  EXPECT_NE(why.find("remove the others or give them UIDs"), std::string::npos) << why;
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_TRUE(read_all(*b, "event", l.cursor).records.empty());
  EXPECT_EQ(logged.size(), 1u) << "said once per change of the file";
  // neither copy is written
  auto w = local::test::apply(*b, "event", json::array{json::object{
      {"op", "update"}, {"id", "dup.ics#same"}, {"data", json::object{{"title", "Over"}}}}});
  EXPECT_EQ(w[0].at("status"), "error") << json::serialize(w);
  EXPECT_EQ(slurp(dir.path / "dup.ics"), text);
  // an update of the other one leaves both copies as they were
  json::object data = other.at("data").as_object();
  data["title"] = "Finer";
  auto r = local::test::apply(*b, "event", json::array{json::object{
      {"op", "update"}, {"id", "dup.ics#other"}, {"expect_version", other.at("version")}, {"data", data}}});
  ASSERT_EQ(r[0].at("status"), "ok") << json::serialize(r);
  std::string expected = text;
  expected.replace(expected.find("SUMMARY:Fine"), 12, "SUMMARY:Finer");
  EXPECT_EQ(slurp(dir.path / "dup.ics"), expected);
}

TEST_F(Calendars, ASecondEventAddedToAOneEventFileKeepsTheFirstOnesId) {
  std::string one =
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n"
      "BEGIN:VEVENT\r\nUID:first\r\nDTSTART:20260101T100000Z\r\nSUMMARY:First\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
  write(dir.path / "e.ics", one);
  auto b = make();
  auto l = read_all(*b, "event", "");
  ASSERT_EQ(l.records.size(), 1u);
  EXPECT_EQ(l.records[0].at("id"), "e.ics");
  std::string two = one;
  two.insert(two.find("END:VCALENDAR"),
             "BEGIN:VEVENT\r\nUID:second\r\nDTSTART:20260102T100000Z\r\nSUMMARY:Second\r\nEND:VEVENT\r\n");
  write(dir.path / "e.ics", two, 5);
  auto next = read_all(*b, "event", l.cursor);
  ASSERT_EQ(next.records.size(), 1u) << json::serialize(next.records) << "no tombstone of the first";
  EXPECT_EQ(next.records[0].at("id"), "e.ics#second");
  // the first, still "e.ics", is written in place
  json::object data = l.records[0].at("data").as_object();
  data["title"] = "First (edited)";
  auto r = local::test::apply(*b, "event", json::array{json::object{
      {"op", "update"}, {"id", "e.ics"}, {"data", data}}});
  ASSERT_EQ(r[0].at("status"), "ok") << json::serialize(r);
  std::string expected = two;
  expected.replace(expected.find("SUMMARY:First"), 13, "SUMMARY:First (edited)");
  EXPECT_EQ(slurp(dir.path / "e.ics"), expected);
}

TEST_F(Calendars, AnAppleContactsExportIsOneRecordPerCard) {
  std::string text = sample("apple-contacts-export.vcf");
  write(dir.path / "all.vcf", text);
  auto b = make_cards();
  auto l = read_all(*b, "contact", "");
  ASSERT_EQ(l.records.size(), 3u) << json::serialize(l.records) << (logged.empty() ? "" : logged[0]);
  json::object bob = by_id(l.records, "all.vcf#7C1D2E3F-4A5B-4C6D-9E8F-1A2B3C4D5E6F");
  json::object data = bob.at("data").as_object();
  data["name"].as_object()["full"] = "Robert Jones";
  auto r = local::test::apply(*b, "contact", json::array{json::object{
      {"op", "update"}, {"id", bob.at("id")}, {"expect_version", bob.at("version")}, {"data", data}}});
  ASSERT_EQ(r[0].at("status"), "ok") << json::serialize(r);
  std::string expected = text;
  expected.replace(expected.find("FN:Bob Jones"), 12, "FN:Robert Jones");
  EXPECT_EQ(slurp(dir.path / "all.vcf"), expected) << "3.0 kept, the other cards byte for byte";
  // a create goes to a file of its own
  r = local::test::apply(*b, "contact", json::array{json::object{
      {"op", "create"}, {"data", json::object{{"uid", "new-1"}, {"name", json::object{{"full", "Newcomer"}}}}}}});
  ASSERT_EQ(r[0].at("status"), "ok") << json::serialize(r);
  EXPECT_EQ(r[0].at("id"), "new-1.vcf");
  EXPECT_EQ(slurp(dir.path / "all.vcf"), expected);
}

TEST_F(Calendars, AGoogleContactsExportWithoutUidsIsOneRecordPerCard) {
  std::string text = sample("google-contacts-export.vcf");
  write(dir.path / "contacts.vcf", text);
  auto b = make_cards();
  auto l = read_all(*b, "contact", "");
  ASSERT_EQ(l.records.size(), 2u) << json::serialize(l.records) << (logged.empty() ? "" : logged[0]);
  json::object dan = by_id(l.records, "contacts.vcf#@Dan%20Lee");
  auto r = local::test::apply(*b, "contact", json::array{json::object{
      {"op", "delete"}, {"id", dan.at("id")}, {"expect_version", dan.at("version")}}});
  ASSERT_EQ(r[0].at("status"), "ok") << json::serialize(r);
  std::string expected = text.substr(0, text.find("BEGIN:VCARD", 10));
  EXPECT_EQ(slurp(dir.path / "contacts.vcf"), expected);
}

// A run killed after its write reached the file and before the index
// recorded it: the next run reads that event alone as changed, the file whole.
TEST_F(Calendars, AnUpdateKilledBeforeItsIndexCommitIsReadBackAsThatEventAlone) {
  std::string text = sample("google-calendar-export.ics");
  write(dir.path / "cal.ics", text);
  std::string cursor;
  json::object easter;
  {
    auto b = make();
    auto l = read_all(*b, "event", "");
    cursor = l.cursor;
    easter = by_id(l.records, kEaster);
  }
  fs::copy(dir.path / ".accord", dir.path / "saved-index", fs::copy_options::recursive);
  {
    auto b = make();
    json::object data = easter.at("data").as_object();
    data["title"] = "Easter brunch";
    auto r = local::test::apply(*b, "event", json::array{json::object{
        {"op", "update"}, {"id", kEaster}, {"expect_version", easter.at("version")}, {"data", data}}});
    ASSERT_EQ(r[0].at("status"), "ok") << json::serialize(r);
  }
  fs::remove_all(dir.path / ".accord");
  fs::rename(dir.path / "saved-index", dir.path / ".accord");  // the commit never happened
  auto b = make();
  auto next = read_all(*b, "event", cursor);
  ASSERT_EQ(next.records.size(), 1u) << json::serialize(next.records);
  EXPECT_EQ(next.records[0].at("id"), kEaster.c_str());
  EXPECT_EQ(next.records[0].at_pointer("/data/title"), "Easter brunch");
  std::string expected = text;
  expected.replace(expected.find("SUMMARY:Easter lunch at Grandma's\r\n"), 35, "SUMMARY:Easter brunch\r\n");
  EXPECT_EQ(slurp(dir.path / "cal.ics"), expected);
}

// Issue 21 item 3: a whole calendar's own lines (PRODID, METHOD,
// X-WR-CALNAME, unknown X- lines), its VTIMEZONEs (Windows names here) and
// every other event stay byte for byte when one event changes; an override
// kept far from its master in the file stays where it is.
TEST_F(Calendars, AnOutlookExportKeepsItsCalendarLinesZonesAndOtherEventsByteForByte) {
  std::string text = sample("outlook-calendar-export.ics");
  write(dir.path / "kal.ics", text);
  auto b = make();
  auto l = read_all(*b, "event", "");
  ASSERT_EQ(l.records.size(), 3u) << json::serialize(l.records) << (logged.empty() ? "" : logged[0]);
  const std::string jf = "kal.ics#040000008200E00074C5B7101A82E00800000000B7C8";
  const std::string qr = "kal.ics#040000008200E00074C5B7101A82E00800000000C9D0";
  json::object series = by_id(l.records, jf), review = by_id(l.records, qr);
  json::object d1 = series.at("data").as_object(), d2 = review.at("data").as_object();
  d1["title"] = "Jour fixe (Team)";
  d2["title"] = "Quarterly review (Q1)";
  auto r = local::test::apply(*b, "event", json::array{
      json::object{{"op", "update"}, {"id", jf}, {"expect_version", series.at("version")}, {"data", d1}},
      json::object{{"op", "update"}, {"id", qr}, {"expect_version", review.at("version")}, {"data", d2}}});
  ASSERT_EQ(r[0].at("status"), "ok") << json::serialize(r);
  ASSERT_EQ(r[1].at("status"), "ok") << json::serialize(r);
  std::string expected = text;
  std::string a = "SUMMARY;LANGUAGE=de-DE:Jour fixe\r\n", q = "SUMMARY;LANGUAGE=en-GB:Quarterly review\r\n";
  expected.replace(expected.find(a), a.size(), "SUMMARY;LANGUAGE=de-DE:Jour fixe (Team)\r\n");
  expected.replace(expected.find(q), q.size(), "SUMMARY;LANGUAGE=en-GB:Quarterly review (Q1)\r\n");
  EXPECT_EQ(slurp(dir.path / "kal.ics"), expected);
  // and the next listing reads our two writes alone
  auto next = read_all(*b, "event", l.cursor);
  EXPECT_EQ(next.records.size(), 2u) << json::serialize(next.records);
}

// A file with bare LF line ends (as many tools and hand edits leave them)
// keeps them: the changed line is written with the file's own line end.
TEST_F(Calendars, AFileWithBareLineFeedsKeepsThemWhenOneEventChanges) {
  std::string text = sample("google-calendar-export.ics"), lf;
  for (char c : text)
    if (c != '\r') lf += c;
  write(dir.path / "cal.ics", lf);
  auto b = make();
  auto l = read_all(*b, "event", "");
  ASSERT_EQ(l.records.size(), 3u);
  json::object easter = by_id(l.records, kEaster);
  json::object data = easter.at("data").as_object();
  data["title"] = "Easter brunch";
  data["location"] = "Grandma's";
  auto r = local::test::apply(*b, "event", json::array{json::object{
      {"op", "update"}, {"id", kEaster}, {"expect_version", easter.at("version")}, {"data", data}}});
  ASSERT_EQ(r[0].at("status"), "ok") << json::serialize(r);
  std::string after = slurp(dir.path / "cal.ics");
  EXPECT_EQ(after.find('\r'), std::string::npos) << after;
  std::string expected = lf;
  expected.replace(expected.find("SUMMARY:Easter lunch at Grandma's\n"), 35, "SUMMARY:Easter brunch\n");
  EXPECT_EQ(after.substr(0, after.find("SUMMARY:Easter brunch\n")),
            expected.substr(0, expected.find("SUMMARY:Easter brunch\n")));
}

// One event changed in a calendar of many: that event alone is parsed again
// (the others' bytes are the index's), and a write of one event leaves the
// others' index rows current, so the next scan reads nothing again.
TEST_F(Calendars, OneEventChangedInALargeCalendarIsTheOnlyOneParsedAgain) {
  std::string text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n";
  for (int i = 0; i < 200; ++i)
    text += "BEGIN:VEVENT\r\nUID:m-" + std::to_string(i) + "\r\nDTSTART:20260301T100000Z\r\nSUMMARY:M " +
            std::to_string(i) + "\r\nEND:VEVENT\r\n";
  text += "END:VCALENDAR\r\n";
  write(dir.path / "big.ics", text);
  auto formats = icalendar_formats();
  int parsed = 0;
  auto parse = formats.at("event").parse;
  formats.at("event").parse = [&](std::string_view t) {
    ++parsed;
    return parse(t);
  };
  FolderBackend b(dir.path, dir.path / ".accord/index.sqlite", formats, 50,
                  [this](int32_t, const std::string& m) { logged.push_back(m); });
  auto l = read_all(b, "event", "");
  ASSERT_EQ(l.records.size(), 200u);
  std::string edited = text;
  edited.replace(edited.find("SUMMARY:M 77\r\n"), 14, "SUMMARY:M 77 (moved)\r\n");
  write(dir.path / "big.ics", edited, 5);
  parsed = 0;
  auto next = read_all(b, "event", l.cursor);
  ASSERT_EQ(next.records.size(), 1u);
  EXPECT_EQ(parsed, 1) << "only the changed event is parsed again";
  // a write of one event from the other side: the next scan parses nothing
  json::object m5 = by_id(l.records, "big.ics#m-5");
  json::object data = m5.at("data").as_object();
  data["title"] = "M 5 (edited)";
  auto r = local::test::apply(b, "event", json::array{json::object{
      {"op", "update"}, {"id", "big.ics#m-5"}, {"expect_version", m5.at("version")}, {"data", data}}});
  ASSERT_EQ(r[0].at("status"), "ok") << json::serialize(r);
  parsed = 0;
  auto after = read_all(b, "event", next.cursor);
  EXPECT_EQ(parsed, 0) << "the file as the index knows it";
  ASSERT_EQ(after.records.size(), 1u) << json::serialize(after.records);
  EXPECT_EQ(after.records[0].at("id"), "big.ics#m-5");
}

// A Google Takeout calendar as it comes (bare LF line ends, no line end after
// END:VCALENDAR, empty DESCRIPTION: and LOCATION: lines, folded attendees
// with X-NUM-GUESTS, an all-day yearly event with an alarm after its start):
// one event changed from the other side changes that line alone.
TEST_F(Calendars, AGoogleTakeoutExportChangesInTheEditedLineAlone) {
  std::string text = sample("google-takeout-export.ics");
  write(dir.path / "takeout.ics", text);
  auto b = make();
  auto l = read_all(*b, "event", "");
  ASSERT_EQ(l.records.size(), 3u) << json::serialize(l.records) << (logged.empty() ? "" : logged[0]);
  for (const auto& [id, title] : {std::pair<std::string, std::string>{"takeout.ics#0f9e8d7c-6b5a-4f3e-9d2c-1b0a9f8e7d6c", "Planning session (moved)"},
                                 {"takeout.ics#z9x8c7v6b5n4m3l2k1j0hgfdsa@google.com", "Alles Gute, Jörg!"}}) {
    json::object rec = by_id(l.records, id);
    json::object data = rec.at("data").as_object();
    data["title"] = title;
    auto r = local::test::apply(*b, "event", json::array{json::object{
        {"op", "update"}, {"id", id}, {"expect_version", rec.at("version")}, {"data", data}}});
    ASSERT_EQ(r[0].at("status"), "ok") << json::serialize(r);
  }
  std::string expected = text;
  expected.replace(expected.find("SUMMARY:Planning session\n"), 25, "SUMMARY:Planning session (moved)\n");
  std::string bday = "SUMMARY:Alles Gute zum Geburtstag\\, Jörg!\n";
  expected.replace(expected.find(bday), bday.size(), "SUMMARY:Alles Gute\\, Jörg!\n");
  EXPECT_EQ(slurp(dir.path / "takeout.ics"), expected);
}

TEST_F(Calendars, TwoCalendarsJoinedInOneFileAreReadAndWrittenInPlace) {
  // two exports concatenated (cat work.ics home.ics > all.ics): each event a
  // record, none listed as unreadable, an update changes its own line alone
  std::string text =
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//a//EN\r\nX-WR-CALNAME:Work\r\n"
      "BEGIN:VEVENT\r\nUID:w1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T090000Z\r\nSUMMARY:Review\r\nEND:VEVENT\r\n"
      "END:VCALENDAR\r\n"
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//b//EN\r\nX-WR-CALNAME:Home\r\n"
      "BEGIN:VEVENT\r\nUID:h1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260106T180000Z\r\nSUMMARY:Dinner\r\nEND:VEVENT\r\n"
      "END:VCALENDAR\r\n";
  write(dir.path / "all.ics", text);
  auto b = make();
  auto l = read_all(*b, "event", "");
  ASSERT_EQ(l.records.size(), 2u) << json::serialize(l.records);
  for (const auto& r : l.records) EXPECT_FALSE(r.as_object().contains("problem")) << json::serialize(r);
  json::object dinner = by_id(l.records, "all.ics#h1");
  EXPECT_EQ(json::value(dinner).at_pointer("/data/title"), "Dinner");
  json::object data = dinner.at("data").as_object();
  data["title"] = "Dinner at Bo's";
  auto r = local::test::apply(*b, "event", json::array{json::object{
      {"op", "update"}, {"id", "all.ics#h1"}, {"expect_version", dinner.at("version")}, {"data", data}}});
  ASSERT_EQ(r[0].at("status"), "ok") << json::serialize(r);
  std::string expected = text;
  expected.replace(expected.find("SUMMARY:Dinner\r\n"), 16, "SUMMARY:Dinner at Bo's\r\n");
  EXPECT_EQ(slurp(dir.path / "all.ics"), expected);
}
