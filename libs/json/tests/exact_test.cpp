// SPDX-License-Identifier: Apache-2.0
// Numbers read exactly (libs/json exact.hpp): what Boost.JSON 1.81 reads a
// unit off, and what drifts on every round through its text.
#include <accord/json/exact.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace ex = accord::json_exact;
namespace json = boost::json;

TEST(JsonExactTest, ANumberReadsAsTheDoubleNearestItsText) {
  for (const char* t : {"-122.41941550000001", "5e71", "112511111111111111111115", "0.30000000000000004",
                        "2.2250738585072014e-308", "1.7976931348623157e308", "4.35", "-0.0", "1e-7"}) {
    json::value v = ex::parse(std::string("[") + t + "]");
    ASSERT_TRUE(v.as_array()[0].is_double()) << t;
    EXPECT_EQ(v.as_array()[0].get_double(), std::strtod(t, nullptr)) << t;
  }
}

TEST(JsonExactTest, WhatIsReadReadsBackEqualFromItsOwnText) {
  for (const char* t : {"{\"a\":5e71}", "{\"a\":[112511111111111111111115,null,true]}", "[-122.41941550000001, 32.2]"}) {
    json::value v = ex::parse(t);
    json::value back = ex::parse(json::serialize(v));
    EXPECT_EQ(back, v) << t << " -> " << json::serialize(v) << " -> " << json::serialize(back);
  }
}

TEST(JsonExactTest, EverythingElseIsReadAsBoostReadsIt) {
  for (const char* t : {"{\"a\":1,\"b\":-2,\"c\":18446744073709551615,\"d\":\"x\\u00e9\",\"e\":[true,false,null],\"f\":{}}",
                        "  [1, 2.5, \"long string that is long enough to be stored apart\"]  ", "1e400", "-1e400", "1e-400"}) {
    EXPECT_EQ(ex::parse(t), json::parse(t)) << t;
  }
  boost::system::error_code ec, ec2;
  for (const char* t : {"[1,", "{} x", "[\"\xff\"]", "", "01"}) {
    ex::parse(t, ec);
    json::parse(t, ec2);
    EXPECT_EQ(ec, ec2) << t;
  }
  json::parse_options deep;
  deep.max_depth = 2;
  ex::parse("[[[1]]]", ec, {}, deep);
  EXPECT_EQ(ec, json::error::too_deep);
  std::size_t at = 0;
  ex::parse("[1, 2, x]", ec, {}, {}, &at);
  EXPECT_EQ(at, 7u);
  EXPECT_THROW(ex::parse("[1,"), boost::system::system_error);
}

TEST(JsonExactTest, ValuesUseTheStorageGiven) {
  json::monotonic_resource arena;
  json::storage_ptr sp(&arena);
  json::value v = ex::parse("{\"a\":[1.5]}", sp);
  EXPECT_EQ(v.storage().get(), sp.get());
  EXPECT_EQ(v.at("a").storage().get(), sp.get());
}
