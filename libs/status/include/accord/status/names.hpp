// SPDX-License-Identifier: Apache-2.0
// accord/status/names.hpp — the names of the Accord status codes
// (connector.h's ACCORD_OK … ACCORD_CANCELLED) as the wire, results and logs
// spell them: the one list, which the host's wire reader, its Result and the
// connector kit's results all use (sdk/schema/results.schema.json holds the
// same names, checked by status_lib_tests).
//
// Header-only, C++17 (the kit is), no dependency but connector.h; installed
// with the kit. Thread safety: pure functions.
#ifndef ACCORD_STATUS_NAMES_HPP
#define ACCORD_STATUS_NAMES_HPP

#include <accord/connector.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace accord {

// Indexed by code: kStatusNames[ACCORD_RETRY] is "retry".
inline constexpr std::string_view kStatusNames[] = {
    "ok",              // ACCORD_OK
    "retry",           // ACCORD_RETRY
    "error",           // ACCORD_ERROR
    "auth_required",   // ACCORD_AUTH_REQUIRED
    "cursor_expired",  // ACCORD_CURSOR_EXPIRED
    "conflict",        // ACCORD_CONFLICT
    "unsupported",     // ACCORD_UNSUPPORTED
    "cancelled",       // ACCORD_CANCELLED
    "not_found",       // ACCORD_NOT_FOUND (apply: a find_only create's key is absent)
};
inline constexpr int32_t kStatusCount = static_cast<int32_t>(sizeof kStatusNames / sizeof kStatusNames[0]);
static_assert(ACCORD_OK == 0 && ACCORD_NOT_FOUND == kStatusCount - 1, "one name per connector.h status code");

// The lower-case name of a status code; "unknown" for a code connector.h
// does not define.
constexpr const char* status_name(int32_t status) noexcept {
  return status >= 0 && status < kStatusCount ? kStatusNames[status].data() : "unknown";
}

// The code of a status name; ACCORD_ERROR for a name that is none.
constexpr int32_t status_from_name(std::string_view name) noexcept {
  for (int32_t i = 0; i < kStatusCount; ++i)
    if (kStatusNames[i] == name) return i;
  return ACCORD_ERROR;
}

// Whether an apply result may carry the status `code`: every code but
// ACCORD_CURSOR_EXPIRED, which only a read answers.
constexpr bool is_result_status(int32_t code) noexcept {
  return code >= 0 && code < kStatusCount && code != ACCORD_CURSOR_EXPIRED;
}

// Whether `name` is a status an apply result may carry ("ok", "retry",
// "error", "auth_required", "conflict", "unsupported", "cancelled",
// "not_found").
constexpr bool is_result_status(std::string_view name) noexcept {
  for (int32_t i = 0; i < kStatusCount; ++i)
    if (kStatusNames[i] == name) return is_result_status(i);
  return false;
}

// The name an apply result gives the status `code`: its own name when a
// result may carry it, else "error" (ACCORD_CURSOR_EXPIRED, an unknown code).
constexpr const char* result_status_name(int32_t code) noexcept {
  return is_result_status(code) ? status_name(code) : "error";
}

}  // namespace accord

#endif  // ACCORD_STATUS_NAMES_HPP
