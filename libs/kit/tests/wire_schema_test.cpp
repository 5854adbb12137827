// SPDX-License-Identifier: Apache-2.0
// The kit's ops and results hold to the SDK's own schemas (sdk/schema): what
// results_json writes is valid results, and what parse_ops accepts and
// refuses is what ops.schema.json allows and does not.
#include <accord/kit/batch.hpp>
#include <accord/kit/config.hpp>
#include <accord/kit/ops.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace json = boost::json;
namespace kit = accord::kit;

namespace {
json::value schema(const char* name) {
  std::ifstream in(std::string(ACCORD_SDK_SCHEMA_DIR) + "/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}
std::string errors(const json::value& s, const json::value& doc) {
  std::string out;
  for (const auto& e : kit::schema_errors(s, doc)) out += e.pointer + ": " + e.message + "\n";
  return out;
}
}  // namespace

TEST(KitWire, EveryResultShapeIsValidAgainstTheResultsSchema) {
  std::vector<kit::Result> rs{kit::Result::ok("a", "1"), kit::Result::ok(""), kit::Result::error("no", "b"),
                              kit::Result::conflict("changed", "c", "7"), kit::Result::failed("unsupported", "x"),
                              kit::Result::failed("not_found", "no record holds that key")};
  rs[0].data = json::object{{"title", "t"}};
  kit::Result retry = kit::Result::failed("retry", "busy");
  retry.retry_after_s = 5;
  rs.push_back(retry);
  EXPECT_EQ(errors(schema("results.schema.json"), json::parse(kit::results_json(rs))), "");
}

TEST(KitWire, ParseOpsAcceptsWhatTheOpsSchemaAllowsAndRefusesWhatItDoesNot) {
  const json::value s = schema("ops.schema.json");
  for (const char* ok : {R"([{"op":"create","data":{},"idempotency_key":"k","resend":true}])",
                         R"([{"op":"create","data":{},"idempotency_key":"k","resend":true,"sent_at":"2026-12-06T18:26:00Z","first_sent_at":"2026-12-06T18:20:00Z"}])",
                         R"([{"op":"create","data":{},"idempotency_key":"k","resend":true,"find_only":true}])",
                         R"([{"op":"update","id":"x","expect_version":"1","data":{"a":1}},{"op":"delete","id":"y"}])"}) {
    EXPECT_EQ(errors(s, json::parse(ok)), "") << ok;
    EXPECT_NO_THROW(kit::parse_ops(ok)) << ok;
  }
  for (const char* bad : {R"([{"op":"create"}])", R"([{"op":"update","data":{}}])", R"([{"op":"delete"}])",
                          R"([{"op":"move","id":"x"}])", R"([{"op":"create","data":[]}])",
                          R"([{"op":"create","data":{},"resend":true,"sent_at":1765045560}])"}) {
    EXPECT_NE(errors(s, json::parse(bad)), "") << bad;
    EXPECT_THROW(kit::parse_ops(bad), accord::Error) << bad;
  }
}

TEST(KitWire, ABatchWithOrWithoutItsTotalIsValidAgainstTheBatchSchema) {
  // record.schema.json in place of its $ref: schema_errors reads one document
  json::value s = schema("batch.schema.json");
  s.at("properties").at("records").at("items") = schema("record.schema.json");
  kit::Batch b;
  b.records.push_back(json::object{{"id", "a"}, {"version", "1"}, {"data", json::object{{"title", "t"}}}});
  b.cursor = "c1";
  b.more = true;
  b.full = true;
  EXPECT_EQ(errors(s, b.to_json()), "");
  EXPECT_FALSE(b.to_json().contains("total"));
  b.with_total(-1);  // a list API's "unknown"
  EXPECT_FALSE(b.total.has_value());
  b.with_total(1200);
  json::object o = json::parse(b.serialize()).as_object();
  EXPECT_EQ(errors(s, o), "");
  EXPECT_EQ(o.at("total").to_number<uint64_t>(), 1200u);
  EXPECT_EQ(o.at("full").as_bool(), true);
  kit::Batch last;
  last.cursor = "c2";
  EXPECT_FALSE(last.to_json().contains("full"));
  EXPECT_EQ(last.to_json().at("more").as_bool(), false);
}
