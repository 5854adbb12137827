// SPDX-License-Identifier: Apache-2.0
// UTC times as Accord writes them (libs/time utc_time.hpp): every form the
// same text as the printf formats that define it (%04d-%02d-...), over the
// years 0-9999 written by hand and the rest by snprintf.
#include <accord/time/utc_time.hpp>

#include <gtest/gtest.h>

#include <iomanip>
#include <random>
#include <sstream>

using accord::utc::Form;
using accord::utc::format;

namespace {

// The definition, written another way than the header's: each field as
// %0<w>d writes it (its zeros after a sign), by a stream.
std::string by_streams(int64_t seconds, Form form, int millis) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::ostringstream o;
  o << std::setfill('0') << std::internal;
  auto n = [&](int v, int w) -> std::ostream& { return o << std::setw(w) << v; };
  n(tm.tm_year + 1900, 4) << '-';
  n(tm.tm_mon + 1, 2) << '-';
  n(tm.tm_mday, 2);
  if (form != Form::kDate) {
    o << 'T';
    n(tm.tm_hour, 2) << ':';
    n(tm.tm_min, 2) << ':';
    n(tm.tm_sec, 2);
  }
  if (form == Form::kTimestampMillis) {
    o << '.';
    n(millis, 3);
  }
  if (form == Form::kTimestamp || form == Form::kTimestampMillis) o << 'Z';
  return o.str();
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

TEST(UtcTimeTest, EveryFormAgreesWithItsFieldsWrittenAsPrintfWouldWriteThem) {
  std::mt19937_64 rng(11);
  const Form forms[] = {Form::kTimestamp, Form::kTimestampMillis, Form::kLocal, Form::kDate};
  for (int i = 0; i < 200000; ++i) {
    // mostly 0000-9999, some beyond on both sides
    int64_t s = static_cast<int64_t>(rng() % 340000000000ull) - 72000000000ll;
    int millis = i % 50 == 0 ? static_cast<int>(rng() % 3000) - 1000 : static_cast<int>(rng() % 1000);
    Form f = forms[rng() % 4];
    ASSERT_EQ(format(s, f, millis), by_streams(s, f, millis)) << s << " " << millis;
  }
}
