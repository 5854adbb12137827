// SPDX-License-Identifier: Apache-2.0
// Case folding of ASCII letters only, as std::tolower does in the "C" locale
// the host runs in, without a library call per character (match keys of a
// million records are lowercased on the readers' hot path). The one copy the
// host, the mail message and the connectors (IMAP atoms, vCard and iCalendar
// names, HTTP header names) fold case with: bytes >= 0x80 are left alone, so
// UTF-8 text stays valid.
#pragma once

#include <string>
#include <string_view>

namespace accord {

inline constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
inline constexpr char ascii_upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

inline std::string ascii_lower(std::string s) {
  for (char& c : s) c = ascii_lower(c);
  return s;
}
inline std::string ascii_lower(std::string_view s) { return ascii_lower(std::string(s)); }
inline std::string ascii_lower(const char* s) { return ascii_lower(std::string(s)); }

inline std::string ascii_upper(std::string s) {
  for (char& c : s) c = ascii_upper(c);
  return s;
}
inline std::string ascii_upper(std::string_view s) { return ascii_upper(std::string(s)); }
inline std::string ascii_upper(const char* s) { return ascii_upper(std::string(s)); }

// Whether a and b are equal but for the case of ASCII letters.
inline bool ascii_iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

}  // namespace accord
