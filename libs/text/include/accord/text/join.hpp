// SPDX-License-Identifier: Apache-2.0
// Small string helpers shared by the host's parts.
#pragma once

#include <string>
#include <vector>

namespace accord {

// "a, b, c" from {"a", "b", "c"} and ", ".
inline std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

}  // namespace accord
