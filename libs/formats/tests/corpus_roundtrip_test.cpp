// SPDX-License-Identifier: Apache-2.0
// The corpus (real-world shapes written from the vendors' documentation and
// the RFC examples: Outlook, Google, Apple, Thunderbird, Fastmail) through a
// round trip: folder A → the record as another store keeps it (JSON text, as
// sqlite does) → a new file in folder B, compared property by property
// (compare.hpp); then a one-field edit made in B travels back to A, and A's
// file changes in that line alone. Prints the share of properties kept.
#include <accord/formats/compare.hpp>
#include <accord/formats/icalendar.hpp>
#include <accord/formats/vcard.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace accord::formats;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The record as a store that keeps JSON (sqlite) gives it back.
json::object through_store(const json::object& o) { return json::parse(json::serialize(o)).as_object(); }

std::vector<std::string> physical(const std::string& t) {
  std::vector<std::string> out;
  std::istringstream in(t);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

}  // namespace

TEST(CorpusRoundTripTest, AToStoreToBKeepsAtLeast98PercentAndEditsTravelBackAsOneLine) {
  compare::Result total;
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(FORMATS_CORPUS)) {
    std::string name = e.path().filename().string();
    std::string a = slurp(e.path());
    compare::Result r;
    std::string b;
    if (name.ends_with(".vcf")) {
      auto p = vcard::parse(a);
      b = vcard::serialize(through_store(p.card), "4.0", p.idempotency_key, {});
      r = compare::vcards(a, b);
      // the edit in B: the formatted name
      auto pb = vcard::parse(b);
      json::object edited = through_store(pb.card);
      edited["name"].as_object()["full"] = "Edited Name";
      std::string a2 = vcard::rewrite(a, edited, p.idempotency_key);
      auto before = physical(a), after = physical(a2);
      size_t same = 0;
      for (const auto& l : before)
        if (std::find(after.begin(), after.end(), l) != after.end()) ++same;
      EXPECT_EQ(vcard::parse(a2).card.at("name").at("full"), "Edited Name") << name;
      EXPECT_EQ(before.size(), after.size()) << name << "\n" << a2;
      std::string gone;
      for (const auto& l : before)
        if (std::find(after.begin(), after.end(), l) == after.end()) gone += "  - " + l + "\n";
      EXPECT_EQ(same + 1, before.size()) << name << ": only the FN line changes, not:\n" << gone;
    } else if (name.ends_with(".ics")) {
      auto p = icalendar::parse(a);
      ASSERT_NE(p.kind, icalendar::Kind::kOther) << name;
      b = icalendar::serialize(through_store(p.object), p.kind, p.idempotency_key, {});
      r = compare::calendars(a, b);
      auto pb = icalendar::parse(b);
      json::object edited = through_store(pb.object);
      edited["title"] = "Edited title";
      std::string a2 = icalendar::rewrite(a, edited, p.kind, p.idempotency_key);
      auto before = physical(a), after = physical(a2);
      size_t same = 0;
      for (const auto& l : before)
        if (std::find(after.begin(), after.end(), l) != after.end()) ++same;
      EXPECT_EQ(icalendar::parse(a2).object.at("title"), "Edited title") << name;
      // the master's SUMMARY, and that of each override that had the same
      // title (a JSCalendar patch lists what differs: those follow the series)
      std::string gone;
      size_t summaries = 0;
      for (const auto& l : before)
        if (std::find(after.begin(), after.end(), l) == after.end()) {
          if (l.starts_with("SUMMARY")) ++summaries;
          else gone += "  - " + l + "\n";
        }
      EXPECT_EQ(gone, "") << name << ": only SUMMARY lines change";
      EXPECT_GE(summaries, 1u) << name;
      std::string added;
      for (const auto& l : after)
        if (std::find(before.begin(), before.end(), l) == before.end() && !l.starts_with("SUMMARY")) added += "  + " + l + "\n";
      EXPECT_EQ(added, "") << name;
      EXPECT_EQ(before.size(), after.size()) << name;
      (void)same;
    } else {
      continue;
    }
    ++files;
    std::printf("%-26s %3zu of %3zu properties kept (%.1f%%)\n", name.c_str(), r.kept, r.properties, r.percent());
    for (const auto& l : r.lost) std::printf("    lost: %s\n", l.c_str());
    total.properties += r.properties;
    total.kept += r.kept;
  }
  std::printf("corpus: %zu files, %zu of %zu properties kept through A -> store -> B (%.1f%%)\n", files, total.kept,
              total.properties, total.percent());
  EXPECT_GE(files, 10u);
  EXPECT_GE(total.percent(), 98.0);
}

TEST(CorpusRoundTripTest, TheComparatorSeesALoss) {
  // a B without the attendee and with the time moved: both are counted lost
  std::string a =
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTART:20260101T100000Z\r\n"
      "ATTENDEE:mailto:a@example.org\r\nSUMMARY:S\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
  std::string b =
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTART:20260101T110000Z\r\n"
      "SUMMARY:S\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
  auto r = compare::calendars(a, b);
  EXPECT_EQ(r.properties, 4u);
  EXPECT_EQ(r.kept, 2u);
  EXPECT_EQ(compare::calendars(a, a).kept, 4u);
}
