// SPDX-License-Identifier: Apache-2.0
// Opening read-only (ACCORD_OPEN_READ_ONLY, as validate, plan and conflicts
// list open a connector) creates nothing: no folder, no index, no SQLite
// file, no -wal or -shm beside one; reads still answer (the index is built in
// memory, from a copy of the one on disk when there is one), so a plan made
// read-only sees what a run would. And a folder that does not exist is an
// error unless the config says "create": true. Through the real plugin file.
#include "plugin.hpp"
#include "test_util.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

namespace fs = std::filesystem;
namespace json = boost::json;
using local::test::Plugin;
using local::test::PluginError;
using local::test::TempDir;

namespace {

const char* kCard =
    "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:ro-1\r\nFN:Ada Lovelace\r\nN:Lovelace;Ada;;;\r\nEND:VCARD\r\n";

std::set<std::string> tree(const fs::path& root) {
  std::set<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator(); ++it)
    out.insert(fs::relative(it->path(), root).string());
  return out;
}

using local::test::slurp;

json::object config(const std::string& backend, const fs::path& path, bool create = false) {
  json::object c{{"backend", backend}, {"path", path.string()}};
  if (create) c["create"] = true;
  return c;
}

std::string error_of(const json::object& cfg, uint64_t flags = 0) {
  try {
    Plugin p(cfg, flags);
  } catch (const PluginError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(LocalReadOnlyTest, MissingFolderIsAnErrorNamingTheCreateOption) {
  TempDir t;
  for (const char* backend : {"vcard", "icalendar", "json", "maildir"}) {
    std::string m = error_of(config(backend, t.path / "nope" / "x"));
    EXPECT_NE(m.find((t.path / "nope" / "x").string() + " does not exist"), std::string::npos) << backend << ": " << m;
    EXPECT_NE(m.find("\"create\": true"), std::string::npos) << m;
    // read-only, the same error: validate and plan say it before a run
    EXPECT_EQ(error_of(config(backend, t.path / "nope" / "x"), ACCORD_OPEN_READ_ONLY), m) << backend;
  }
  // sqlite: the file is made by the first write, but its folder must exist
  std::string m = error_of(config("sqlite", t.path / "nope" / "crm.sqlite"));
  EXPECT_NE(m.find((t.path / "nope").string() + " does not exist"), std::string::npos) << m;
  EXPECT_TRUE(tree(t.path).empty());
  EXPECT_EQ(error_of(config("sqlite", t.path / "crm.sqlite")), "");
}

TEST(LocalReadOnlyTest, CreateTrueMakesTheFolderOnlyWhenWritable) {
  TempDir t;
  fs::path dir = t.path / "a" / "cards";
  {
    Plugin ro(config("vcard", dir, true), ACCORD_OPEN_READ_ONLY);
    EXPECT_TRUE(ro.read_all("contact", "").empty());
  }
  EXPECT_TRUE(tree(t.path).empty()) << "a read-only open created something";
  { Plugin rw(config("vcard", dir, true)); }
  EXPECT_TRUE(fs::is_directory(dir));
}

TEST(LocalReadOnlyTest, ReadOnlyReadOfAFolderWithoutIndexListsItAndWritesNothing) {
  TempDir t;
  for (const char* backend : {"vcard", "json", "maildir", "icalendar"}) {
    fs::path dir = t.path / backend;
    fs::create_directories(dir);
    std::string stream = "contact";
    if (std::string(backend) == "vcard") std::ofstream(dir / "ada.vcf") << kCard;
    if (std::string(backend) == "json") {
      fs::create_directories(dir / "contact");
      std::ofstream(dir / "contact" / "ada.json") << R"({"name":{"full":"Ada"}})";
    }
    if (std::string(backend) == "maildir") {
      stream = "message";
      for (const char* sub : {"cur", "new", "tmp"}) fs::create_directories(dir / sub);
      std::ofstream(dir / "new" / "1.host") << "From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n";
    }
    if (std::string(backend) == "icalendar") stream = "event";
    auto before = tree(dir);
    Plugin ro(config(backend, dir), ACCORD_OPEN_READ_ONLY);
    auto records = ro.read_all(stream, "");
    EXPECT_EQ(records.size(), std::string(backend) == "icalendar" ? 0u : 1u) << backend;
    if (std::string(backend) == "json") ro.read_all("note", "");  // a stream without its folder yet
    EXPECT_EQ(tree(dir), before) << backend << ": a read-only read created or removed something";
    // and a write is refused, not done
    EXPECT_THROW(ro.apply(stream, json::array{json::object{{"op", "create"}, {"idempotency_key", "k"},
                                                           {"data", json::object{{"title", "x"}}}}}),
                 PluginError);
    EXPECT_EQ(tree(dir), before) << backend;
  }
}

TEST(LocalReadOnlyTest, ReadOnlyResumesFromTheCursorOfTheIndexOnDiskAndLeavesItAsItWas) {
  TempDir t;
  fs::path dir = t.path / "cards";
  fs::create_directories(dir);
  std::ofstream(dir / "ada.vcf") << kCard;
  std::string cursor;
  {
    Plugin rw(config("vcard", dir));
    EXPECT_EQ(rw.read_all("contact", "", &cursor).size(), 1u);
  }
  std::string card2 = kCard;
  card2.replace(card2.find("ro-1"), 4, "ro-2");
  std::ofstream(dir / "bob.vcf") << card2;
  auto before = tree(dir);
  std::string index = slurp(dir / ".accord" / "index.sqlite");
  {
    Plugin ro(config("vcard", dir), ACCORD_OPEN_READ_ONLY);
    auto changed = ro.read_all("contact", cursor);
    ASSERT_EQ(changed.size(), 1u);  // only bob: the index's cursor is honoured
    EXPECT_EQ(changed[0].at("id").as_string(), "bob.vcf");
  }
  EXPECT_EQ(tree(dir), before) << "-wal, -shm or another file left beside the index";
  EXPECT_EQ(slurp(dir / ".accord" / "index.sqlite"), index);
}

TEST(LocalReadOnlyTest, ReadOnlySqliteStoreIsReadAndNotWritten) {
  TempDir t;
  fs::path file = t.path / "crm.sqlite";
  {
    Plugin ro(config("sqlite", file), ACCORD_OPEN_READ_ONLY);
    EXPECT_TRUE(ro.read_all("note", "").empty());
  }
  EXPECT_TRUE(tree(t.path).empty());
  {
    Plugin rw(config("sqlite", file));
    auto r = rw.apply("note", json::array{json::object{{"op", "create"}, {"idempotency_key", "k1"},
                                                        {"data", json::object{{"title", "x"}}}}});
    ASSERT_EQ(r.at(0).at("status").as_string(), "ok");
  }
  auto before = tree(t.path);
  std::string bytes = slurp(file);
  {
    Plugin ro(config("sqlite", file), ACCORD_OPEN_READ_ONLY);
    EXPECT_EQ(ro.read_all("note", "").size(), 1u);
    EXPECT_TRUE(ro.read_all("crm_contact", "").empty());  // a table the file lacks: none made
  }
  EXPECT_EQ(tree(t.path), before);
  EXPECT_EQ(slurp(file), bytes);
}

namespace {

json::array creates(int n) {
  json::array ops;
  for (int i = 0; i < n; ++i)
    ops.push_back(json::object{{"op", "create"}, {"idempotency_key", "k" + std::to_string(i)},
                               {"data", json::object{{"title", "note " + std::to_string(i)}}}});
  return ops;
}

}  // namespace

// A store closed cleanly (WAL mode, no -wal) is read in place (immutable: no
// copy of it in memory); a write another program makes to it meanwhile is
// not read torn or missed: the next batch comes from the file as it is now.
TEST(LocalReadOnlyTest, ReadOnlySqliteStoreIsReadInPlaceAndSeesAWriteMadeWhileItIsRead) {
  TempDir t;
  fs::path file = t.path / "notes.sqlite";
  std::string first_id;
  {
    Plugin rw(config("sqlite", file));
    auto r = rw.apply("note", creates(3));
    first_id = std::string(r.at(0).at("id").as_string());
  }
  ASSERT_FALSE(fs::exists(t.path / "notes.sqlite-wal"));
  json::object cfg = config("sqlite", file);
  cfg["batch_size"] = 1;
  Plugin ro(cfg, ACCORD_OPEN_READ_ONLY);
  auto b1 = ro.read_changes("note", "");
  ASSERT_EQ(b1.at("records").as_array().size(), 1u);
  ASSERT_TRUE(b1.at("more").as_bool());
  {
    Plugin rw(config("sqlite", file));  // another writer, while the plan reads
    auto r = rw.apply("note", json::array{json::object{{"op", "update"}, {"id", first_id},
                                                       {"data", json::object{{"title", "changed"}}}}});
    ASSERT_EQ(r.at(0).at("status").as_string(), "ok");
  }
  auto before = tree(t.path);
  std::vector<std::string> titles;
  for (auto b = ro.read_changes("note", std::string(b1.at("cursor").as_string()));;
       b = ro.read_changes("note", std::string(b.at("cursor").as_string()))) {
    for (auto& rec : b.at("records").as_array()) titles.emplace_back(rec.at("data").at("title").as_string());
    if (!b.at("more").as_bool()) break;
  }
  ASSERT_FALSE(titles.empty());
  EXPECT_EQ(titles.back(), "changed") << "the write made during the read was missed";
  EXPECT_EQ(tree(t.path), before) << "-wal, -shm or another file left beside the store";
}

// A store a writer has open (its -wal and -shm beside it) is read in place
// through them, read-only: what is only in the -wal yet is read, and nothing
// is added beside the file.
TEST(LocalReadOnlyTest, ReadOnlySqliteStoreOpenByAWriterIsReadThroughItsWal) {
  TempDir t;
  fs::path file = t.path / "notes.sqlite";
  {
    Plugin rw(config("sqlite", file));
    rw.apply("note", creates(2));
  }
  Plugin writer(config("sqlite", file));
  ASSERT_EQ(writer.apply("note", json::array{json::object{{"op", "create"}, {"idempotency_key", "late"},
                                                          {"data", json::object{{"title", "late"}}}}})
                .at(0).at("status").as_string(), "ok");
  ASSERT_TRUE(fs::exists(t.path / "notes.sqlite-wal"));
  ASSERT_TRUE(fs::exists(t.path / "notes.sqlite-shm"));
  auto before = tree(t.path);
  {
    Plugin ro(config("sqlite", file), ACCORD_OPEN_READ_ONLY);
    auto all = ro.read_all("note", "");
    ASSERT_EQ(all.size(), 3u);
    EXPECT_TRUE(ro.read_all("task", "").empty());  // a table the file lacks: read from a copy, none made
  }
  EXPECT_EQ(tree(t.path), before);
}

TEST(LocalReadOnlyTest, StreamsCheckSaysWhichStreamsABackendKeeps) {
  TempDir t;
  Plugin vcard(config("vcard", t.path), ACCORD_OPEN_READ_ONLY);
  EXPECT_NO_THROW(vcard.check_stream("contact"));
  try {
    vcard.check_stream("event");
    FAIL() << "a vcard folder accepted the stream event";
  } catch (const PluginError& e) {
    EXPECT_EQ(e.status, ACCORD_UNSUPPORTED);
    EXPECT_NE(std::string(e.what()).find("contact"), std::string::npos) << e.what();
  }
  Plugin ics(config("icalendar", t.path), ACCORD_OPEN_READ_ONLY);
  EXPECT_NO_THROW(ics.check_stream("task"));
  EXPECT_THROW(ics.check_stream("contact"), PluginError);
  Plugin md(config("maildir", t.path), ACCORD_OPEN_READ_ONLY);
  EXPECT_THROW(md.check_stream("contact"), PluginError);
  Plugin js(config("json", t.path), ACCORD_OPEN_READ_ONLY);
  EXPECT_NO_THROW(js.check_stream("crm_lead"));
  EXPECT_THROW(js.check_stream("Bad-Name"), PluginError);
  Plugin sq(config("sqlite", t.path / "s.sqlite"), ACCORD_OPEN_READ_ONLY);
  EXPECT_NO_THROW(sq.check_stream("anything"));
  EXPECT_TRUE(tree(t.path).empty());
}
