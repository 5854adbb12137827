// SPDX-License-Identifier: Apache-2.0
// A semantic comparator of two vCard or iCalendar texts (the original A and a
// copy B written from its record elsewhere): for each content line of A,
// what it contributes to A's canonical record (the record read with the line
// and without it, map ids and order aside) must be in B's record, values,
// parameters and times compared as the converters read them (a time as its
// zone and local time, UNTIL as the instant it names). A line that
// contributes nothing (a reader that drops it) counts as lost. Not counted:
// BEGIN/END, VERSION, PRODID, DTSTAMP (the copy's own time) and the rules
// inside a VTIMEZONE (the zone counts once, by its TZID).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace accord::formats::compare {

struct Result {
  size_t properties = 0;          // content lines of A counted
  size_t kept = 0;                // of those, the ones B keeps
  std::vector<std::string> lost;  // A's lines B does not keep
  double percent() const { return properties ? 100.0 * static_cast<double>(kept) / static_cast<double>(properties) : 100.0; }
};

Result vcards(std::string_view a, std::string_view b);
Result calendars(std::string_view a, std::string_view b);

}  // namespace accord::formats::compare
