// SPDX-License-Identifier: Apache-2.0
#include <accord/time/rest_time.hpp>

#include <accord/time/utc_time.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace accord::utc {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<int64_t> parse_iso8601_ms(const std::string& s) {
  auto us = parse_iso8601_us(s);
  if (!us) return std::nullopt;
  return *us >= 0 ? *us / 1000 : (*us - 999) / 1000;  // floor: the fraction counts forward
}

std::optional<int64_t> parse_iso8601_us(const std::string& s) {
  int Y, M, D, h = 0, m = 0, sec = 0;
  int n = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &Y, &M, &D, &n) != 3 || n != 10) return std::nullopt;
  size_t i = 10;
  int64_t frac_us = 0, offset_s = 0;
  if (i < s.size() && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
    int k = 0;
    if (std::sscanf(s.c_str() + i + 1, "%2d:%2d:%2d%n", &h, &m, &sec, &k) != 3 || k != 8) return std::nullopt;
    i += 9;
    if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
      ++i;
      int digits = 0;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (digits < 6) frac_us = frac_us * 10 + (s[i] - '0');
        ++digits;
        ++i;
      }
      for (; digits < 6; ++digits) frac_us *= 10;
    }
    if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
      ++i;
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      int oh = 0, om = 0;
      const char* p = s.c_str() + i + 1;
      if (std::sscanf(p, "%2d:%2d", &oh, &om) == 2 || std::sscanf(p, "%2d%2d", &oh, &om) == 2) {
        offset_s = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
        i = s.size();
      } else {
        return std::nullopt;
      }
    }
  }
  if (i != s.size()) return std::nullopt;
  return (accord::utc::to_seconds(Y, M, D, h, m, sec) - offset_s) * 1000000 + frac_us;
}

std::optional<int64_t> parse_http_date_ms(const std::string& s) {
  std::tm tm{};
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end) return std::nullopt;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

std::optional<int64_t> parse_time_ms(const boost::json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) return static_cast<int64_t>(v.get_uint64());
  if (v.is_double()) return static_cast<int64_t>(v.get_double());
  if (!v.is_string()) return std::nullopt;
  std::string s(v.get_string());
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos && s.size() > 10)
    return std::stoll(s);
  return parse_iso8601_ms(s);
}

std::string format_time(int64_t ms, const std::string& format) {
  if (format == "epoch_ms") return std::to_string(ms);
  int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  if (format == "date") return accord::utc::format(secs, accord::utc::Form::kDate);
  if (format == "iso8601")
    return accord::utc::format(secs, accord::utc::Form::kTimestampMillis, static_cast<int>(ms - secs * 1000));
  return accord::utc::format(secs, accord::utc::Form::kTimestamp);
}

}  // namespace accord::utc
