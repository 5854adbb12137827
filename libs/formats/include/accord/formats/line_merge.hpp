// SPDX-License-Identifier: Apache-2.0
// Rewrites that change only what changed. A vCard or iCalendar file that is
// updated from the other side is written as the old file with the new
// content merged in line by line: every content line (and component) the new
// text also has, by meaning, stays byte for byte where it was (its folding,
// case, parameter order, encoding); lines whose value changed are replaced
// in place by the new line of that property; new lines go after the line
// they follow in the new text; lines the new text no longer has go.
#pragma once

#include <functional>
#include <set>
#include <vector>
#include <string>
#include <string_view>

namespace accord::formats::merge {

struct Rules {
  // What a logical (unfolded) content line means: two lines with one key are
  // the same line. Default: the line itself.
  std::function<std::string(const std::string& logical)> key;
  // The identity of a component from its BEGIN value and its own logical
  // lines (VEVENT: UID and RECURRENCE-ID; VTIMEZONE: TZID), empty for none.
  std::function<std::string(const std::string& type, const std::vector<std::string>& lines)> identity;
  // Property names (upper case) whose old line is kept whenever the new text
  // has one too, and not added where the old component had none (PRODID,
  // VERSION, DTSTAMP).
  std::set<std::string> keep_old;
  // Component types kept whole when the new text has one of the same
  // identity (VTIMEZONE: the file's own rules, not libical's).
  std::set<std::string> keep_old_components;
  // Component types (upper case) whose own property lines are all kept,
  // whatever the new text says (VCALENDAR: METHOD, CALSCALE, X-WR-CALNAME).
  std::set<std::string> keep_all_lines_of;
  // vCard 2.1: a quoted-printable line ending in '=' continues on the next.
  bool qp_soft_breaks = false;
};

// The old text with the new text's content: see above.
std::string merge(std::string_view old_text, std::string_view new_text, const Rules& rules);

}  // namespace accord::formats::merge
