// SPDX-License-Identifier: Apache-2.0
// Windows zone names map to IANA through CLDR's table, read with POCO.
#include <accord/formats/windows_zones.hpp>

#include <gtest/gtest.h>

using namespace accord::formats;

TEST(WindowsZonesTest, OutlookNamesMapToIanaThroughCldr) {
  EXPECT_EQ(zones::iana_from_windows("W. Europe Standard Time"), "Europe/Berlin");
  EXPECT_EQ(zones::iana_from_windows("Eastern Standard Time"), "America/New_York");
  EXPECT_EQ(zones::iana_from_windows("Tokyo Standard Time"), "Asia/Tokyo");
  EXPECT_EQ(zones::iana_from_windows("No Such Standard Time"), std::nullopt);
  // the whole table: well over a hundred Windows names
  EXPECT_GT(zones::read_windows_zones(ACCORD_CLDR_WINDOWS_ZONES).size(), 100u);
  EXPECT_THROW(zones::read_windows_zones("/nonexistent/windowsZones.xml"), std::runtime_error);
}
