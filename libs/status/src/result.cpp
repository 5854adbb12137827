// SPDX-License-Identifier: Apache-2.0
#include <accord/status/result.hpp>

#include <array>
#include <string_view>

namespace accord {

namespace {
constexpr std::array<std::string_view, 8> kNames = {
    "ok", "retry", "error", "auth_required", "cursor_expired", "conflict", "unsupported",
    "cancelled"};
}

const char* status_name(int32_t status) noexcept {
  if (status < 0 || status >= static_cast<int32_t>(kNames.size())) return "unknown";
  return kNames[static_cast<size_t>(status)].data();
}

int32_t status_from_name(const std::string& name) noexcept {
  for (size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == name) return static_cast<int32_t>(i);
  return ACCORD_ERROR;
}

}  // namespace accord
