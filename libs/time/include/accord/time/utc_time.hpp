// SPDX-License-Identifier: Apache-2.0
// UTC time as the text Accord writes: RFC 3339 timestamps, local date-times
// (no zone, for JSCalendar) and dates. Header-only: the host and the local
// connector both use it. Thread-safe (gmtime_r).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>

namespace accord::utc {

enum class Form {
  kTimestamp,        // 2026-03-01T10:00:00Z
  kTimestampMillis,  // 2026-03-01T10:00:00.123Z
  kLocal,            // 2026-03-01T10:00:00
  kDate,             // 2026-03-01
};

namespace detail {
// v's last `digits` decimal digits at b, as %0<digits>d writes a v of
// 0 .. 10^digits - 1.
inline void put_digits(char* b, int v, int digits) {
  for (int k = digits - 1; k >= 0; --k, v /= 10) b[k] = static_cast<char>('0' + v % 10);
}
}  // namespace detail

inline std::string format(int64_t seconds, Form form = Form::kTimestamp, int millis = 0) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  int y = tm.tm_year + 1900, mo = tm.tm_mon + 1;
  if (y >= 0 && y <= 9999 && millis >= 0 && millis <= 999) {
    // (the snprintf below's text, for the years every real time has,
    // written by hand: snprintf is ~3 k instructions a call, and a mail
    // pull writes two times a message)
    char b[24];
    detail::put_digits(b, y, 4);
    b[4] = '-';
    detail::put_digits(b + 5, mo, 2);
    b[7] = '-';
    detail::put_digits(b + 8, tm.tm_mday, 2);
    if (form == Form::kDate) return std::string(b, 10);
    b[10] = 'T';
    detail::put_digits(b + 11, tm.tm_hour, 2);
    b[13] = ':';
    detail::put_digits(b + 14, tm.tm_min, 2);
    b[16] = ':';
    detail::put_digits(b + 17, tm.tm_sec, 2);
    if (form == Form::kLocal) return std::string(b, 19);
    if (form == Form::kTimestamp) return std::string(b, 19) + 'Z';
    b[19] = '.';
    detail::put_digits(b + 20, millis, 3);
    return std::string(b, 23) + 'Z';
  }
  char b[64];
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

// Seconds since the epoch of a UTC calendar date and time (fields as people
// write them: month 1-12).
inline int64_t to_seconds(int year, int month, int day, int hour = 0, int minute = 0, int second = 0) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm));
}

// Now, with milliseconds.
inline std::string now_millis() {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return format(ms / 1000, Form::kTimestampMillis, static_cast<int>(ms % 1000));
}

}  // namespace accord::utc
