// Case folding of ASCII letters only, as std::tolower does in the "C" locale
// the host runs in, without a library call per character (match keys of a
// million records are lowercased on the readers' hot path).
#pragma once

#include <string>

namespace accord {

inline std::string ascii_lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

}  // namespace accord
