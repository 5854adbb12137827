// SPDX-License-Identifier: Apache-2.0
// The one look-alike a lost try of a create made (see accord/kit/lookalike.hpp).
#include <accord/kit/lookalike.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace accord::kit {

namespace {

// "YYYY-MM-DDTHH:MM:SS[.fff…]Z" (the host's RFC 3339 UTC form) in ms; none when not that form
std::optional<int64_t> at_ms(const std::optional<std::string>& text) {
  if (!text || text->size() < 20) return std::nullopt;
  std::tm tm{};
  int n = 0;
  if (std::sscanf(text->c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 19)
    return std::nullopt;
  size_t at = 19;
  int64_t ms = 0;
  if ((*text)[at] == '.') {
    int digits = 0;
    for (++at; at < text->size() && (*text)[at] >= '0' && (*text)[at] <= '9'; ++at)
      if (digits++ < 3) ms = ms * 10 + ((*text)[at] - '0');
    for (; digits < 3; ++digits) ms *= 10;
  }
  if (at + 1 != text->size() || (*text)[at] != 'Z') return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
}

std::string rfc3339(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char b[80];
  std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  return b;
}

}  // namespace

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string TryTime::from_text() const {
  if (!from_ms) return "";
  return rfc3339(*from_ms >= 0 ? *from_ms / 1000 : (*from_ms - 999) / 1000);
}

TryTime resend_time(const Op& op, int64_t skew_s) {
  TryTime t;
  if (auto from = at_ms(op.first_sent_at)) t.from_ms = *from - skew_s * 1000;
  if (auto until = at_ms(op.sent_at)) t.until_ms = *until + skew_s * 1000;
  return t;
}

TryTime call_time(int64_t sent_ms, int64_t skew_s) {
  return TryTime{sent_ms - skew_s * 1000, now_ms() + skew_s * 1000};
}

std::optional<size_t> made_by_try(const std::vector<std::optional<int64_t>>& made_ms, const TryTime& t, bool after_loss,
                                  const std::string& what, int64_t retry_after_ms) {
  if (made_ms.empty()) return std::nullopt;
  std::string why;
  std::optional<size_t> one;
  size_t in_time = 0, undated = 0;
  for (size_t i = 0; i < made_ms.size(); ++i) {
    if (!made_ms[i]) {
      ++undated;
      continue;
    }
    if (t.from_ms && *made_ms[i] < *t.from_ms) continue;  // made before the try: not its record
    if (t.until_ms && *made_ms[i] > *t.until_ms) continue;  // made after the try returned
    ++in_time;
    one = i;
  }
  const std::string n = std::to_string(made_ms.size());
  if (undated > 0)
    why = n + (made_ms.size() == 1 ? " record holds" : " records hold") + " what this create sends (" + what +
          "), and the store gives no time when " + (undated == 1 && made_ms.size() == 1 ? "it was" : "each was") +
          " made";
  else if (!t.from_ms)
    why = n + (made_ms.size() == 1 ? " record holds" : " records hold") + " what this create sends (" + what +
          "), and when its first try was sent is not known (an older host, or a create kept before it said)";
  else if (in_time > 1)
    why = std::to_string(in_time) + " records made since " + t.from_text() + " hold what this create sends (" +
          what + ")";
  if (why.empty()) {
    if (in_time == 1) return one;
    return std::nullopt;  // look-alikes, all made outside the try's time: the user's
  }
  why += ": which one, if any, its lost try made cannot be told, so none is taken and the create waits (a record "
         "it may have made is held, not copied; accord status lists it); nothing is linked or made twice. A user's "
         "look-alike taken for it would be linked to its source and deleted with it";
  if (after_loss) throw MaybeWritten(why, retry_after_ms);
  throw Error(ACCORD_RETRY, why, retry_after_ms);
}

}  // namespace accord::kit
