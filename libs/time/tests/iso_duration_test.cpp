// SPDX-License-Identifier: Apache-2.0
// The one ISO 8601 duration spelling the local connector and crm-rest share.
#include <accord/time/iso_duration.hpp>

#include <gtest/gtest.h>

namespace d = accord::duration;

TEST(IsoDurationTest, ParsesWhatJsCalendarAndICalendarWrite) {
  EXPECT_EQ(d::parse("PT1H30M"), 5400);
  EXPECT_EQ(d::parse("P1DT2H"), 93600);
  EXPECT_EQ(d::parse("P2W"), 1209600);
  EXPECT_EQ(d::parse("-PT15M"), -900);
  EXPECT_EQ(d::parse("+PT5S"), 5);
  for (const char* bad : {"", "P", "PT", "1H", "PT1", "P1H", "PT1D", "P1DT", "PTH", "P99999999999999999999D"})
    EXPECT_FALSE(d::parse(bad)) << bad;
}

TEST(IsoDurationTest, FormatsTheShortestSpellingAndRoundTrips) {
  EXPECT_EQ(d::format(0), "PT0S");
  EXPECT_EQ(d::format(604800), "P1W");
  EXPECT_EQ(d::format(93600), "P1DT2H");
  EXPECT_EQ(d::format(-900), "-PT15M");
  for (int64_t s : {1, 59, 3600, 86399, 86400, 90061, 1209600, -3600}) EXPECT_EQ(d::parse(d::format(s)), s) << s;
}
