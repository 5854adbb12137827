// SPDX-License-Identifier: Apache-2.0
// The content lines of a vCard or iCalendar text with the bytes each came
// from, shared by line_merge (rewrites) and collection (whole files): folded
// lines unfolded, vCard 2.1's quoted-printable soft breaks joined, blank
// lines none. Internal to libs/formats.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace accord::formats::lines {

struct ContentLine {
  size_t begin = 0, end = 0;  // [begin, end): its physical lines, endings included
  std::string logical;        // unfolded, without its ending (and a leading BOM)
};

std::vector<ContentLine> content_lines(std::string_view text, bool qp_soft_breaks);

// The property name, upper case, without a vCard group ("item1.EMAIL" → EMAIL).
std::string name_of(const std::string& logical);
// What follows the first ':' outside double quotes ("" when none).
std::string value_of(const std::string& logical);
// The position of that ':' (npos when none).
size_t value_colon(const std::string& logical);
// A line as name (upper case), parameters (sorted, names upper case, a value
// in double quotes unquoted) and value: what it says, whatever the order and
// quoting of its parameters.
std::string normal(const std::string& logical);
// Its parameters as written, in their order ("TZID=\"A B\"", "VALUE=URI").
std::vector<std::string> params_of(const std::string& logical);
// A parameter value without the double quotes around it ("\"A B\"" → "A B";
// a list of quoted values stays as it is).
std::string unquoted(std::string v);
// The TZID parameters a line names (DTSTART;TZID="W. Europe Standard Time":…),
// unquoted, added to `out`.
void tzid_params(const std::string& logical, std::set<std::string>& out);

}  // namespace accord::formats::lines
