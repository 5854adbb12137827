// SPDX-License-Identifier: Apache-2.0
// UTC times as Accord writes them (libs/time utc_time.hpp): every form the
// same text as the printf formats that define it, over the years 0-9999
// written by hand and the rest by snprintf.
#include <accord/time/utc_time.hpp>

#include <gtest/gtest.h>

#include <random>

using accord::utc::Form;
using accord::utc::format;

namespace {

// The definition: each form's printf format.
std::string by_printf(int64_t seconds, Form form, int millis) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char b[64];
  int y = tm.tm_year + 1900, mo = tm.tm_mon + 1;
  switch (form) {
    case Form::kDate: std::snprintf(b, sizeof b, "%04d-%02d-%02d", y, mo, tm.tm_mday); break;
    case Form::kLocal:
      std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d", y, mo, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
      break;
    case Form::kTimestamp:
      std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
      break;
    case Form::kTimestampMillis:
      std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, mo, tm.tm_mday, tm.tm_hour, tm.tm_min,
                    tm.tm_sec, millis);
      break;
  }
  return b;
}

}  // namespace

TEST(UtcTimeTest, EachFormIsItsTextAtKnownTimes) {
  EXPECT_EQ(format(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format(1772359200), "2026-03-01T10:00:00Z");
  EXPECT_EQ(format(1772359200, Form::kTimestampMillis, 7), "2026-03-01T10:00:00.007Z");
  EXPECT_EQ(format(1772359200, Form::kLocal), "2026-03-01T10:00:00");
  EXPECT_EQ(format(1772359200, Form::kDate), "2026-03-01");
  EXPECT_EQ(format(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(format(253402300799), "9999-12-31T23:59:59Z");
  EXPECT_EQ(format(253402300800), "10000-01-01T00:00:00Z");   // (past four digits: snprintf's text)
  EXPECT_EQ(format(-62167219200), "0000-01-01T00:00:00Z");
  EXPECT_EQ(format(-62167219201), "-001-12-31T23:59:59Z");     // (%04d of -1)
  EXPECT_EQ(format(0, Form::kTimestampMillis, 1000), "1970-01-01T00:00:00.1000Z");  // (as %03d writes it)
}

TEST(UtcTimeTest, EveryFormAgreesWithItsPrintfFormat) {
  std::mt19937_64 rng(11);
  const Form forms[] = {Form::kTimestamp, Form::kTimestampMillis, Form::kLocal, Form::kDate};
  for (int i = 0; i < 200000; ++i) {
    // mostly 0000-9999, some beyond on both sides
    int64_t s = static_cast<int64_t>(rng() % 340000000000ull) - 72000000000ll;
    int millis = i % 50 == 0 ? static_cast<int>(rng() % 3000) - 1000 : static_cast<int>(rng() % 1000);
    Form f = forms[rng() % 4];
    ASSERT_EQ(format(s, f, millis), by_printf(s, f, millis)) << s << " " << millis;
  }
}
