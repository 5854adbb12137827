// SPDX-License-Identifier: Apache-2.0
// The formats corpus through local's own backends: folder A (vcard,
// icalendar) → the sqlite store → folder B, compared property by property
// (formats::compare); then a one-field edit made in a file of B travels back
// through the store to A, whose file changes in that line alone.
#include "folder_backend.hpp"
#include "formats.hpp"
#include "sqlite_backend.hpp"
#include "test_util.hpp"

#include <accord/formats/compare.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace local;
using local::test::apply;
using local::test::read_all;

namespace {

using local::test::slurp;

std::vector<std::string> lines(const std::string& t) {
  std::vector<std::string> out;
  std::istringstream in(t);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Copies every record of `stream` from one backend to another; returns the
// ids on `to` by the ids on `from`.
std::map<std::string, std::string> copy(Backend& from, Backend& to, const std::string& stream) {
  std::map<std::string, std::string> ids;
  for (const auto& r : read_all(from, stream, "").records) {
    auto res = apply(to, stream, json::array{json::object{{"op", "create"}, {"data", r.at("data")}}});
    EXPECT_EQ(res[0].at("status"), "ok") << json::serialize(res);
    ids[std::string(r.at("id").as_string())] = std::string(res[0].at("id").as_string());
  }
  return ids;
}

}  // namespace

TEST(FormatRoundTripTest, FolderToSqliteToFolderKeepsTheCorpusAndAnEditComesBackAsOneLine) {
  local::test::TempDir dir;
  fs::create_directories(dir.path / "a-cards");
  fs::create_directories(dir.path / "a-cal");
  for (const auto& e : fs::directory_iterator(LOCAL_FORMATS_CORPUS)) {
    std::string n = e.path().filename().string();
    if (n.ends_with(".vcf")) fs::copy_file(e.path(), dir.path / "a-cards" / n);
    if (n.ends_with(".ics")) fs::copy_file(e.path(), dir.path / "a-cal" / n);
  }
  auto quiet = [](int32_t, const std::string&) {};
  FolderBackend a_cards(dir.path / "a-cards", dir.path / "a-cards/.accord/index.sqlite", vcard_formats("4.0"), 100, quiet);
  FolderBackend a_cal(dir.path / "a-cal", dir.path / "a-cal/.accord/index.sqlite", icalendar_formats(), 100, quiet);
  FolderBackend b_cards(dir.path / "b-cards", dir.path / "b-cards/.accord/index.sqlite", vcard_formats("4.0"), 100, quiet);
  FolderBackend b_cal(dir.path / "b-cal", dir.path / "b-cal/.accord/index.sqlite", icalendar_formats(), 100, quiet);
  SqliteBackend store((dir.path / "store.db").string(), 100);

  accord::formats::compare::Result total;
  struct Pair {
    Backend *a, *b;
    const char* stream;
    fs::path a_dir, b_dir;
  };
  std::vector<Pair> pairs = {{&a_cards, &b_cards, "contact", dir.path / "a-cards", dir.path / "b-cards"},
                             {&a_cal, &b_cal, "event", dir.path / "a-cal", dir.path / "b-cal"},
                             {&a_cal, &b_cal, "task", dir.path / "a-cal", dir.path / "b-cal"}};
  std::map<std::string, std::pair<std::string, std::string>> a_to_b;  // stream/a id → store id, b id
  for (auto& p : pairs) {
    auto a_to_store = copy(*p.a, store, p.stream);
    auto store_to_b = copy(store, *p.b, p.stream);
    for (const auto& [a_id, s_id] : a_to_store) {
      ASSERT_TRUE(store_to_b.contains(s_id)) << a_id;
      std::string b_id = store_to_b[s_id];
      a_to_b[std::string(p.stream) + "/" + a_id] = {s_id, b_id};
      std::string a_text = slurp(p.a_dir / a_id), b_text = slurp(p.b_dir / b_id);
      auto r = std::string(p.stream) == "contact" ? accord::formats::compare::vcards(a_text, b_text)
                                                  : accord::formats::compare::calendars(a_text, b_text);
      std::printf("%-24s %3zu of %3zu kept\n", a_id.c_str(), r.kept, r.properties);
      for (const auto& l : r.lost) std::printf("    lost: %s\n", l.c_str());
      total.properties += r.properties;
      total.kept += r.kept;
    }
  }
  std::printf("folder A -> sqlite -> folder B: %zu of %zu properties kept (%.1f%%)\n", total.kept, total.properties,
              total.percent());
  EXPECT_GE(total.properties, 200u);
  EXPECT_GE(total.percent(), 98.0);

  // an edit in B's copy of the Apple card (its FN), by hand as a user would
  auto [s_id, b_id] = a_to_b.at("contact/apple-groups-30.vcf");
  std::string b_text = slurp(dir.path / "b-cards" / b_id);
  size_t at = b_text.find("FN:");
  ASSERT_NE(at, std::string::npos);
  b_text.replace(at, b_text.find("\r\n", at) - at, "FN:Johnny Appleseed Jr.");
  std::ofstream(dir.path / "b-cards" / b_id, std::ios::binary) << b_text;
  // B → store → A, as the sync would carry the change
  json::object edited;
  for (const auto& r : read_all(b_cards, "contact", "").records)
    if (r.at("id") == json::value(b_id)) edited = r.at("data").as_object();
  ASSERT_EQ(edited.at("name").at("full"), "Johnny Appleseed Jr.");
  auto store_rec = read_all(store, "contact", "");
  std::string store_version;
  for (const auto& r : store_rec.records)
    if (r.at("id") == json::value(s_id)) store_version = std::string(r.at("version").as_string());
  auto up = apply(store, "contact", json::array{json::object{{"op", "update"}, {"id", s_id}, {"expect_version", store_version}, {"data", edited}}});
  ASSERT_EQ(up[0].at("status"), "ok") << json::serialize(up);
  std::string old_a = slurp(dir.path / "a-cards/apple-groups-30.vcf");
  json::object stored;
  for (const auto& r : read_all(store, "contact", "").records)
    if (r.at("id") == json::value(s_id)) stored = r.at("data").as_object();
  std::string a_version;
  for (const auto& r : read_all(a_cards, "contact", "").records)
    if (r.at("id") == json::value("apple-groups-30.vcf")) a_version = std::string(r.at("version").as_string());
  auto back = apply(a_cards, "contact", json::array{json::object{{"op", "update"}, {"id", "apple-groups-30.vcf"},
                                                                 {"expect_version", a_version}, {"data", stored}}});
  ASSERT_EQ(back[0].at("status"), "ok") << json::serialize(back);
  std::string new_a = slurp(dir.path / "a-cards/apple-groups-30.vcf");
  auto before = lines(old_a), after = lines(new_a);
  ASSERT_EQ(before.size(), after.size()) << new_a;
  size_t differ = 0;
  for (size_t i = 0; i < before.size(); ++i)
    if (before[i] != after[i]) {
      ++differ;
      EXPECT_TRUE(after[i].starts_with("FN:Johnny Appleseed Jr.")) << after[i];
    }
  EXPECT_EQ(differ, 1u) << new_a;
}
