// SPDX-License-Identifier: Apache-2.0
// UTF-8 decoding and encoding, one code point at a time: the one copy the
// terminal escaping, the mail message's charset conversion and IMAP's
// modified UTF-7 use. Strict (RFC 3629): overlong forms, surrogates and code
// points above U+10FFFF are not UTF-8. Pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace accord::utf8 {

// The length of the UTF-8 sequence at s[i] and its code point, or 0 when
// the bytes there are not one (overlong, surrogate, truncated, > U+10FFFF).
inline size_t decode_at(std::string_view s, size_t i, char32_t& cp) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  cp = n == 1 ? c : n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3f);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

// Appends code point cp (at most U+10FFFF) as UTF-8.
inline void append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// Where s stops being UTF-8 (the offset of the first byte that does not
// start a valid sequence), or npos when all of it is.
inline size_t first_invalid(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    char32_t cp;
    size_t n = decode_at(s, i, cp);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

inline bool valid(std::string_view s) { return first_invalid(s) == std::string_view::npos; }

}  // namespace accord::utf8
