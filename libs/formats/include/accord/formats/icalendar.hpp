// SPDX-License-Identifier: Apache-2.0
// iCalendar (RFC 5545) ⇄ canonical JSCalendar Event / Task (RFC 8984 subset),
// parsed and written with libical. One file holds one event or task: its
// master component plus RECURRENCE-ID overrides, VTIMEZONEs and VALARMs.
#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace accord::formats::icalendar {

// kJournal: a VJOURNAL, read as the canonical note (title, body, categories,
// created, updated; uid and iCalProps beside them).
enum class Kind { kEvent, kTask, kJournal, kOther };

struct Parsed {
  Kind kind = Kind::kOther;
  boost::json::object object;         // the JSCalendar Event or Task
  std::string idempotency_key;        // X-ACCORD-ID
  std::vector<std::string> unknown;   // master-component properties kept verbatim
};

// Throws std::runtime_error for text libical cannot parse or without
// VEVENT/VTODO (kind kOther is returned for a calendar of something else).
Parsed parse(std::string_view text);

std::string serialize(const boost::json::object& obj, Kind kind, const std::string& idempotency_key,
                      const std::vector<std::string>& keep);

// The old file updated to `obj`: components matched by UID and RECURRENCE-ID,
// VTIMEZONEs by TZID, every unchanged line kept byte for byte where it was,
// calendar-level lines (METHOD, X-WR-CALNAME…) all kept (line_merge.hpp).
// Throws std::runtime_error when old_text is not iCalendar.
std::string rewrite(std::string_view old_text, const boost::json::object& obj, Kind kind,
                    const std::string& idempotency_key);

const std::vector<std::string>& event_fields();
const std::vector<std::string>& task_fields();
// A VJOURNAL read as a note.
const std::vector<std::string>& journal_fields();

}  // namespace accord::formats::icalendar
