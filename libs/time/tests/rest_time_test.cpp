// SPDX-License-Identifier: Apache-2.0
// Timestamps as connectors write them, read as instants (libs/time).
#include <accord/time/rest_time.hpp>

#include <gtest/gtest.h>

using accord::utc::parse_iso8601_ms;
using accord::utc::parse_iso8601_us;

TEST(RestTimeTest, OffsetsAndFractionsAreOneInstant) {
  EXPECT_EQ(parse_iso8601_us("2026-01-01T12:00:00+02:00"), parse_iso8601_us("2026-01-01T10:00:00Z"));
  EXPECT_EQ(parse_iso8601_us("2026-01-01T10:00:00-02:00"), parse_iso8601_us("2026-01-01T12:00:00.000000Z"));
  EXPECT_EQ(*parse_iso8601_us("1970-01-01T00:00:01.2345678Z"), 1234567);
  EXPECT_EQ(*parse_iso8601_ms("1970-01-01T00:00:01.2345678Z"), 1234);
  EXPECT_EQ(*parse_iso8601_ms("1969-12-31T23:59:59.5Z"), -500);
  EXPECT_FALSE(parse_iso8601_us("yesterday"));
  EXPECT_FALSE(parse_iso8601_us("2026-01-01T10:00:00Zjunk"));
}
