// SPDX-License-Identifier: Apache-2.0
// A JSON folder writes numbers as people write them (not Boost's exponent
// form), and a vCard or iCalendar folder says what a write would keep
// (accord.check.v1) without writing.
#include "folder_backend.hpp"
#include "formats.hpp"
#include "test_util.hpp"


#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace local;

TEST(JsonFolderTest, NumbersAreWrittenInTheirShortestFormAndReadBackTheSame) {
  auto f = json_format("place");
  ASSERT_TRUE(f);
  auto p = f->parse(R"({"lat": 37.7749, "lon": -122.4194, "tiny": 0.0001, "big": 5e71,
                        "small": 1.5e-9, "whole": 2.0, "zero": 0.0, "int": 3, "list": [0.1, 100.25]})");
  std::string text = f->serialize(p.data, "", {});
  for (const char* want : {"\"lat\": 37.7749,", "\"lon\": -122.4194,", "\"tiny\": 0.0001,", "\"big\": 5e+71,",
                           "\"small\": 1.5e-09,", "\"whole\": 2.0,", "\"zero\": 0.0,", "\"int\": 3,", "0.1,", "100.25\n"})
    EXPECT_NE(text.find(want), std::string::npos) << want << " in\n" << text;
  EXPECT_EQ(text.find("E1"), std::string::npos) << text;
  // the same values, of the same kinds (a double stays a double)
  auto back = f->parse(text);
  EXPECT_EQ(back.data, p.data);
  EXPECT_TRUE(back.data.at("whole").is_double());
  EXPECT_TRUE(back.data.at("int").is_int64());
}

TEST(CheckRecordsTest, AVcardFolderSaysWhatAWriteWouldKeepAndWritesNothing) {
  local::test::TempDir dir;
  FolderBackend b(dir.path / "book", dir.path / "book/.accord/index.sqlite", vcard_formats("4.0"), 100,
                  [](int32_t, const std::string&) {});
  EXPECT_TRUE(b.checks());
  std::string answer = b.check_records(
      "contact", R"([{"@type":"Card","uid":"u1","name":{"full":"Ann Lee"},"emails":{"e1":{"address":"a@x.org","label":"private"}}},
                    "not a record"])");
  json::value v = json::parse(answer);
  ASSERT_TRUE(v.is_array());
  ASSERT_EQ(v.get_array().size(), 2u);
  const json::object& kept = v.get_array()[0].as_object();
  EXPECT_EQ(kept.at("emails").at("e1").at("address"), "a@x.org");
  EXPECT_FALSE(kept.at("emails").at("e1").as_object().contains("label"));
  EXPECT_TRUE(v.get_array()[1].is_null());
  // nothing written: no card in the folder
  size_t files = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir.path / "book", ec)) files += e.path().extension() == ".vcf";
  EXPECT_EQ(files, 0u);
}

TEST(CheckRecordsTest, AJsonFolderKeepsEverythingAndDoesNotOfferIt) {
  local::test::TempDir dir;
  FolderBackend b(dir.path / "j", dir.path / "j/.accord/index.sqlite", {}, 100, [](int32_t, const std::string&) {},
                  json_format);
  EXPECT_FALSE(b.checks());
}

TEST(JsonFolderTest, ARewriteKeepsTheTextOfTheNumbersThatDidNotChange) {
  auto f = json_format("place");
  ASSERT_TRUE(f && f->rewrite);
  std::string old = "{\n  \"name\": \"Pier\",\n  \"lat\": 37.77490,\n  \"price\": 1.50,\n  \"big\": 1E3,\n"
                    "  \"a/b\": [0.10, {\"x\": 2.50}]\n}\n";
  json::object d = f->parse(old).data;
  d["name"] = "Pier 39";
  d["price"] = 2.25;  // changed: written in its shortest form
  std::string text = f->rewrite(old, d, "");
  for (const char* want : {"\"name\": \"Pier 39\",", "\"lat\": 37.77490,", "\"price\": 2.25,", "\"big\": 1E3,", "0.10,",
                           "\"x\": 2.50"})
    EXPECT_NE(text.find(want), std::string::npos) << want << " in\n" << text;
  EXPECT_EQ(f->parse(text).data, d);
}
