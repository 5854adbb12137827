// SPDX-License-Identifier: Apache-2.0
// The status names are connector.h's codes, one name each, and the names a
// result may carry are exactly the ones sdk/schema/results.schema.json allows.
#include <accord/status/names.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace json = boost::json;

TEST(StatusNames, EachCodeHasItsNameAndBack) {
  const std::pair<int32_t, const char*> codes[] = {
      {ACCORD_OK, "ok"},           {ACCORD_RETRY, "retry"},         {ACCORD_ERROR, "error"},
      {ACCORD_AUTH_REQUIRED, "auth_required"}, {ACCORD_CURSOR_EXPIRED, "cursor_expired"},
      {ACCORD_CONFLICT, "conflict"}, {ACCORD_UNSUPPORTED, "unsupported"}, {ACCORD_CANCELLED, "cancelled"},
      {ACCORD_NOT_FOUND, "not_found"}};
  for (auto [code, name] : codes) {
    EXPECT_STREQ(accord::status_name(code), name);
    EXPECT_EQ(accord::status_from_name(name), code) << name;
  }
  EXPECT_EQ(accord::kStatusCount, 9);
  EXPECT_STREQ(accord::status_name(-1), "unknown");
  EXPECT_STREQ(accord::status_name(9), "unknown");
  EXPECT_EQ(accord::status_from_name("OK"), ACCORD_ERROR);  // names are lower case
  EXPECT_EQ(accord::status_from_name(""), ACCORD_ERROR);
}

TEST(StatusNames, ResultStatusesAreWhatTheResultsSchemaAllows) {
  std::ifstream in(std::string(ACCORD_SDK_SCHEMA_DIR) + "/results.schema.json");
  std::stringstream ss;
  ss << in.rdbuf();
  json::value schema = json::parse(ss.str());
  std::set<std::string> allowed;
  for (const auto& v : schema.at_pointer("/items/properties/status/enum").as_array())
    allowed.insert(std::string(v.as_string()));
  std::set<std::string> ours;
  for (int32_t code = 0; code < accord::kStatusCount; ++code)
    if (accord::is_result_status(code)) ours.insert(accord::status_name(code));
  EXPECT_EQ(ours, allowed);
  for (const auto& name : allowed) EXPECT_TRUE(accord::is_result_status(name)) << name;
  EXPECT_FALSE(accord::is_result_status("cursor_expired"));
  EXPECT_FALSE(accord::is_result_status("refused"));
  EXPECT_FALSE(accord::is_result_status("Ok"));
}

TEST(StatusNames, AResultNamesACodeItCannotCarryAnError) {
  EXPECT_STREQ(accord::result_status_name(ACCORD_RETRY), "retry");
  EXPECT_STREQ(accord::result_status_name(ACCORD_CANCELLED), "cancelled");
  EXPECT_STREQ(accord::result_status_name(ACCORD_CURSOR_EXPIRED), "error");
  EXPECT_STREQ(accord::result_status_name(42), "error");
  static_assert(accord::status_from_name("conflict") == ACCORD_CONFLICT, "usable at compile time");
}
