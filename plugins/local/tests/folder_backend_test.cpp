// SPDX-License-Identifier: Apache-2.0
// The folder backend: external edits become changes, bad files are reported
// and left alone, writes are atomic and versioned.
#include "folder_backend.hpp"
#include "formats.hpp"
#include "test_util.hpp"
#include "vcard.hpp"
#include "icalendar.hpp"

#include <accord/connector.hpp>
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace local;
using local::test::read_all;

namespace {

std::map<std::string, FileFormat> vcf() { return vcard_formats("4.0"); }

std::string card(const std::string& uid, const std::string& fn, const std::string& extra = "") {
  return "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:" + uid + "\r\nFN:" + fn + "\r\n" + extra + "END:VCARD\r\n";
}

void write(const fs::path& p, const std::string& text, int64_t mtime_offset_s = 0) {
  std::ofstream(p, std::ios::binary) << text;
  if (mtime_offset_s) fs::last_write_time(p, fs::file_time_type::clock::now() + std::chrono::seconds(mtime_offset_s));
}

using local::test::slurp;

struct Fixture : ::testing::Test {
  local::test::TempDir dir;
  std::vector<std::string> logged;
  std::unique_ptr<FolderBackend> make() {
    return std::make_unique<FolderBackend>(dir.path / "book", dir.path / "book/.accord/index.sqlite", vcf(), 2,
                                           [this](int32_t, const std::string& m) { logged.push_back(m); });
  }
};

}  // namespace

TEST_F(Fixture, ExternalCreateEditDeleteBecomeChangesOldestFirst) {
  auto b = make();
  write(dir.path / "book/b.vcf", card("b", "Bee"), -20);
  write(dir.path / "book/a.vcf", card("a", "Ay"), -30);
  write(dir.path / "book/c.vcf", card("c", "Cee"), -10);
  auto first = read_all(*b, "contact", "");
  ASSERT_EQ(first.records.size(), 3u);
  EXPECT_EQ(first.records[0].at("id"), "a.vcf");  // oldest mtime first, across batches of 2
  EXPECT_EQ(first.records[1].at("id"), "b.vcf");
  EXPECT_EQ(first.records[2].at("id"), "c.vcf");

  EXPECT_TRUE(read_all(*b, "contact", first.cursor).records.empty()) << "nothing changed";

  write(dir.path / "book/b.vcf", card("b", "Bee Edited"), 5);
  fs::remove(dir.path / "book/c.vcf");
  auto next = read_all(*b, "contact", first.cursor);
  ASSERT_EQ(next.records.size(), 2u);
  json::object edited, gone;
  for (auto& r : next.records) (r.at("id") == "b.vcf" ? edited : gone) = r.as_object();
  EXPECT_EQ(json::value(edited).at_pointer("/data/name/full"), "Bee Edited");
  EXPECT_NE(edited.at("version"), first.records[1].at("version"));
  EXPECT_EQ(gone.at("id"), "c.vcf");
  EXPECT_EQ(gone.at("deleted"), true);
}

TEST_F(Fixture, TouchedButUnchangedFileIsNotAChange) {
  auto b = make();
  write(dir.path / "book/a.vcf", card("a", "Ay"), -30);
  auto first = read_all(*b, "contact", "");
  write(dir.path / "book/a.vcf", card("a", "Ay"), 5);  // same bytes, new mtime
  EXPECT_TRUE(read_all(*b, "contact", first.cursor).records.empty());
}

TEST_F(Fixture, UnparseableFileIsReportedOnceAndLeftAlone) {
  auto b = make();
  std::string junk = "BEGIN:VCARD\r\nthis is not a content line\r\nEND:VCARD\r\n";
  write(dir.path / "book/broken.vcf", junk);
  write(dir.path / "book/ok.vcf", card("ok", "Fine"));
  auto l = read_all(*b, "contact", "");
  // listed as a record that cannot be read (accord status shows it), with
  // the file, the line and the fix; no data
  ASSERT_EQ(l.records.size(), 2u) << json::serialize(l.records);
  auto ok = std::find_if(l.records.begin(), l.records.end(), [](auto& r) { return r.at("id") == "ok.vcf"; });
  auto bad = std::find_if(l.records.begin(), l.records.end(), [](auto& r) { return r.at("id") == "broken.vcf"; });
  ASSERT_NE(ok, l.records.end());
  ASSERT_NE(bad, l.records.end());
  EXPECT_FALSE(bad->as_object().contains("data"));
  std::string why(bad->at("problem").as_string());
  EXPECT_NE(why.find("broken.vcf"), std::string::npos) << why;
  EXPECT_NE(why.find("line 2"), std::string::npos) << why;
  EXPECT_NE(why.find("fix it"), std::string::npos) << why;
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_TRUE(read_all(*b, "contact", l.cursor).records.empty()) << "listed once per change, not every run";
  EXPECT_EQ(logged.size(), 1u) << "reported once per change, not every run";
  EXPECT_EQ(read_all(*b, "contact", "").records.size(), 2u) << "and in every full listing";
  EXPECT_EQ(slurp(dir.path / "book/broken.vcf"), junk) << "never rewritten";
  // an update sent to it (the host had linked it) does not write over it
  auto r = local::test::apply(*b, "contact", json::array{json::object{
      {"op", "update"}, {"id", "broken.vcf"}, {"data", json::object{{"name", json::object{{"full", "Over"}}}}}}});
  EXPECT_EQ(r[0].at("status"), "error") << json::serialize(r);
  EXPECT_EQ(slurp(dir.path / "book/broken.vcf"), junk) << "never rewritten";
  // once fixed, it arrives
  write(dir.path / "book/broken.vcf", card("fixed", "Fixed"), 5);
  auto after = read_all(*b, "contact", l.cursor);
  ASSERT_EQ(after.records.size(), 1u);
  EXPECT_EQ(after.records[0].at_pointer("/data/name/full"), "Fixed");
  EXPECT_FALSE(after.records[0].as_object().contains("problem"));
}

TEST_F(Fixture, EditBehindOurBackMakesUpdateAConflictAndKeepsTheFile) {
  auto b = make();
  auto created = local::test::apply(*b, "contact", json::array{json::object{
      {"op", "create"}, {"data", json::object{{"uid", "x1"}, {"name", json::object{{"full", "Xavier"}}}}}}});
  std::string id(created[0].at("id").as_string()), version(created[0].at("version").as_string());
  EXPECT_EQ(id, "x1.vcf");
  std::string theirs = card("x1", "Xavier (edited in another app)");
  write(dir.path / "book" / id, theirs, 5);
  auto r = local::test::apply(*b, "contact", json::array{json::object{
      {"op", "update"}, {"id", id}, {"expect_version", version},
      {"data", json::object{{"uid", "x1"}, {"name", json::object{{"full", "Ours"}}}}}}});
  EXPECT_EQ(r[0].at("status"), "conflict");
  EXPECT_EQ(slurp(dir.path / "book" / id), theirs);
}

TEST_F(Fixture, UpdateKeepsPropertiesTheCanonicalFormLacks) {
  auto b = make();
  write(dir.path / "book/k.vcf", card("k", "Kay", "X-SOCIALPROFILE;TYPE=mastodon:https://example.social/@kay\r\n"));
  auto l = read_all(*b, "contact", "");
  auto r = local::test::apply(*b, "contact", json::array{json::object{
      {"op", "update"}, {"id", "k.vcf"}, {"expect_version", l.records[0].at("version")},
      {"data", json::object{{"uid", "k"}, {"name", json::object{{"full", "Kay Renamed"}}}}}}});
  ASSERT_EQ(r[0].at("status"), "ok") << json::serialize(r);
  std::string text = slurp(dir.path / "book/k.vcf");
  EXPECT_NE(text.find("FN:Kay Renamed"), std::string::npos);
  EXPECT_NE(text.find("X-SOCIALPROFILE;TYPE=mastodon:https://example.social/@kay"), std::string::npos) << text;
  for (const auto& e : fs::directory_iterator(dir.path / "book"))
    EXPECT_FALSE(e.path().filename().string().find(".tmp-") != std::string::npos) << "no temporary file left";
}

TEST_F(Fixture, UpdateOfA30CardKeepsItsVersionAndChangesOnlyThatLine) {
  auto b = make();
  const std::string old =
      "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//macOS 14.0//EN\r\nN:Lovelace;Ada;;;\r\n"
      "FN:Ada Lovelace\r\nitem1.EMAIL;type=INTERNET;type=pref:ada@example.org\r\nitem1.X-ABLabel:_$!<Other>!$_\r\n"
      "NOTE:Line one\\nLine two\r\nX-SOCIALPROFILE;type=twitter:https://twitter.com/ada\r\nUID:ada-1\r\nEND:VCARD\r\n";
  write(dir.path / "book/ada.vcf", old);
  auto l = read_all(*b, "contact", "");
  ASSERT_EQ(l.records.size(), 1u);
  json::object data = l.records[0].at("data").as_object();
  data["notes"].as_object()["n1"].as_object()["note"] = "Line one\nLine two, edited";
  auto r = local::test::apply(*b, "contact", json::array{json::object{
      {"op", "update"}, {"id", "ada.vcf"}, {"expect_version", l.records[0].at("version")}, {"data", data}}});
  ASSERT_EQ(r[0].at("status"), "ok") << json::serialize(r);
  std::string expected = old;
  expected.replace(expected.find("NOTE:Line one\\nLine two\r\n"), 25, "NOTE:Line one\\nLine two\\, edited\r\n");
  EXPECT_EQ(slurp(dir.path / "book/ada.vcf"), expected);
}

TEST_F(Fixture, LostIndexExpiresCursorsAndRebuildsWithoutTouchingFiles) {
  std::string cursor;
  {
    auto b = make();
    write(dir.path / "book/a.vcf", card("a", "Ay"));
    cursor = read_all(*b, "contact", "").cursor;
  }
  fs::remove_all(dir.path / "book/.accord");
  auto b = make();
  try {
    b->read_changes("contact", cursor);
    FAIL() << "a cursor of the lost index must expire";
  } catch (const accord::Error& e) {
    EXPECT_EQ(e.status(), ACCORD_CURSOR_EXPIRED);
  }
  auto l = read_all(*b, "contact", "");
  EXPECT_EQ(l.records.size(), 1u);
  EXPECT_TRUE(fs::exists(dir.path / "book/a.vcf"));
}

TEST(FolderIcalendarTest, EventAndTaskStreamsShareOneFolder) {
  local::test::TempDir dir;
  auto formats = icalendar_formats();
  FolderBackend b(dir.path, dir.path / ".accord/index.sqlite", formats, 100, [](int32_t, const std::string&) {});
  std::ofstream(dir.path / "t.ics") << "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VTODO\r\nUID:t\r\nSUMMARY:Do\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";
  std::ofstream(dir.path / "e.ics") << "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:e\r\nDTSTART:20260101T100000Z\r\nSUMMARY:Meet\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
  auto events = read_all(b, "event", "");
  auto tasks = read_all(b, "task", "");
  ASSERT_EQ(events.records.size(), 1u);
  ASSERT_EQ(tasks.records.size(), 1u);
  EXPECT_EQ(events.records[0].at("id"), "e.ics");
  EXPECT_EQ(tasks.records[0].at_pointer("/data/title"), "Do");
  EXPECT_THROW(b.read_changes("contact", ""), accord::Error);
}

TEST(FolderIcalendarTest, AJournalEntryIsANoteNotPassedOver) {
  local::test::TempDir dir;
  FolderBackend b(dir.path, dir.path / ".accord/index.sqlite", icalendar_formats(), 100, [](int32_t, const std::string&) {});
  std::ofstream(dir.path / "j.ics") << "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VJOURNAL\r\nUID:j\r\n"
                                       "SUMMARY:Minutes\r\nDESCRIPTION:All well\r\nEND:VJOURNAL\r\nEND:VCALENDAR\r\n";
  std::ofstream(dir.path / "e.ics") << "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:e\r\nDTSTART:20260101T100000Z\r\nSUMMARY:Meet\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
  auto notes = read_all(b, "note", "");
  ASSERT_EQ(notes.records.size(), 1u);
  EXPECT_EQ(notes.records[0].at("id"), "j.ics");
  EXPECT_EQ(notes.records[0].at_pointer("/data/body"), "All well");
  EXPECT_EQ(read_all(b, "event", "").records.size(), 1u);
}

// Regression: our own writes advance the index; the next listing must still
// rescan the folder, or an edit made since is missed until a later run.
TEST_F(Fixture, ListingAfterOwnWritesStillSeesOutsideEdits) {
  auto b = make();
  write(dir.path / "book/a.vcf", card("a", "Ay"), -30);
  auto first = read_all(*b, "contact", "");
  local::test::apply(*b, "contact", json::array{json::object{
      {"op", "create"}, {"data", json::object{{"uid", "n"}, {"name", json::object{{"full", "New"}}}}}}});
  write(dir.path / "book/a.vcf", card("a", "Ay Edited"), 5);
  auto next = read_all(*b, "contact", first.cursor);
  bool saw_edit = false;
  for (auto& r : next.records)
    if (r.at("id") == "a.vcf") saw_edit = r.at_pointer("/data/name/full") == "Ay Edited";
  EXPECT_TRUE(saw_edit) << json::serialize(next.records);
}

TEST_F(Fixture, UpdateKeepsTheFilesModeAndOwner) {
  auto b = make();
  fs::path p = dir.path / "book/m.vcf";
  write(p, card("m", "Em"));
  ASSERT_EQ(::chmod(p.c_str(), 0600), 0);
  bool root = ::geteuid() == 0;  // only root can give a file away; CI runs as root
  if (root) {
    ASSERT_EQ(::chown(p.c_str(), 4321, 4322), 0);
  }
  auto l = read_all(*b, "contact", "");
  auto r = local::test::apply(*b, "contact", json::array{json::object{
      {"op", "update"}, {"id", "m.vcf"}, {"expect_version", l.records[0].at("version")},
      {"data", json::object{{"uid", "m"}, {"name", json::object{{"full", "Em Renamed"}}}}}}});
  ASSERT_EQ(r[0].at("status"), "ok") << json::serialize(r);
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u) << "the rewrite widened the file's permissions";
  if (root) {
    EXPECT_EQ(st.st_uid, 4321u);
    EXPECT_EQ(st.st_gid, 4322u);
  }
}

TEST_F(Fixture, UpdateOfALinkedCardRewritesItsTargetAndKeepsTheLink) {
  // a card kept elsewhere (a synced folder) and linked into the book: the
  // write goes to the file the link names; the link stays a link
  auto b = make();
  fs::create_directories(dir.path / "elsewhere");
  write(dir.path / "elsewhere/s.vcf", card("s", "Es"));
  fs::create_symlink("../elsewhere/s.vcf", dir.path / "book/s.vcf");
  auto l = read_all(*b, "contact", "");
  ASSERT_EQ(l.records.size(), 1u) << json::serialize(l.records);
  auto r = local::test::apply(*b, "contact", json::array{json::object{
      {"op", "update"}, {"id", "s.vcf"}, {"expect_version", l.records[0].at("version")},
      {"data", json::object{{"uid", "s"}, {"name", json::object{{"full", "Es Renamed"}}}}}}});
  ASSERT_EQ(r[0].at("status"), "ok") << json::serialize(r);
  EXPECT_TRUE(fs::is_symlink(dir.path / "book/s.vcf")) << "the link was replaced by a copy";
  EXPECT_NE(slurp(dir.path / "elsewhere/s.vcf").find("Es Renamed"), std::string::npos) << "the target was not written";
}
