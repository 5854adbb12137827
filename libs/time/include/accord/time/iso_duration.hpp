// SPDX-License-Identifier: Apache-2.0
// ISO 8601 durations as JSCalendar (RFC 8984) and iCalendar (RFC 5545) write
// them: [-]P[nW][nD][T[nH][nM][nS]], in seconds. Header-only: the local
// connector and crm-rest both use it, so that one duration has one spelling.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace accord::duration {

// Seconds of a duration; nullopt when it is not one.
inline std::optional<int64_t> parse(std::string_view d) {
  bool negative = false;
  if (!d.empty() && (d[0] == '-' || d[0] == '+')) {
    negative = d[0] == '-';
    d.remove_prefix(1);
  }
  if (d.size() < 2 || d[0] != 'P') return std::nullopt;
  int64_t total = 0, n = 0;
  bool in_time = false, digits = false, any = false, time_part = false;
  for (size_t i = 1; i < d.size(); ++i) {
    char c = d[i];
    if (c >= '0' && c <= '9') {
      if (n > (INT64_MAX - 9) / 10) return std::nullopt;
      n = n * 10 + (c - '0');
      digits = true;
      continue;
    }
    if (c == 'T' && !in_time && !digits) {
      in_time = true;
      continue;
    }
    if (!digits) return std::nullopt;
    int64_t unit = !in_time ? (c == 'W' ? 604800 : c == 'D' ? 86400 : 0) : (c == 'H' ? 3600 : c == 'M' ? 60 : c == 'S' ? 1 : 0);
    if (unit == 0) return std::nullopt;
    total += n * unit;
    time_part = time_part || in_time;
    n = 0;
    digits = false;
    any = true;
  }
  if (digits || !any || (in_time && !time_part)) return std::nullopt;  // "P1DT": a T with no time
  return negative ? -total : total;
}

// The shortest spelling: weeks when whole, else days and a time part.
inline std::string format(int64_t secs) {
  if (secs == 0) return "PT0S";
  std::string out = secs < 0 ? "-P" : "P";
  if (secs < 0) secs = -secs;
  int64_t d = secs / 86400, h = secs % 86400 / 3600, m = secs % 3600 / 60, s = secs % 60;
  if (d && d % 7 == 0 && !h && !m && !s) return out + std::to_string(d / 7) + "W";
  if (d) out += std::to_string(d) + "D";
  if (h || m || s) out += "T";
  if (h) out += std::to_string(h) + "H";
  if (m) out += std::to_string(m) + "M";
  if (s) out += std::to_string(s) + "S";
  return out;
}

}  // namespace accord::duration
