// SPDX-License-Identifier: Apache-2.0
// FNV-1a, 64 bits: content versions (local folders, crm-rest records without
// a version field), the plan fingerprint. Not cryptographic: it tells edits
// apart, it does not resist someone crafting collisions. Header-only, so the
// host and plugins share it without linking anything.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace accord::hash {

inline constexpr uint64_t kFnvOffset = 1469598103934665603ull;

// Hashes s, continuing from h (so a hash can be fed in pieces).
inline uint64_t fnv1a(std::string_view s, uint64_t h = kFnvOffset) {
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// 16 lower-case hex digits.
inline std::string hex(uint64_t h) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

inline std::string content_hash(std::string_view s) { return hex(fnv1a(s)); }

}  // namespace accord::hash
