// SPDX-License-Identifier: Apache-2.0
// IMAP's modified UTF-7 for mailbox names (RFC 3501 section 5.1.3): printable
// ASCII stands for itself ("&" as "&-"); anything else is "&", UTF-16 in
// base64 with "," for "/", and "-". The one copy the IMAP connector (names
// on the wire) and the Maildir backend (Maildir++ folder names on disk, as
// Dovecot and mbsync write them: ".Entw&APw-rfe") use. Pure functions.
#pragma once

#include <accord/text/utf8.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace accord::mutf7 {

namespace detail {

inline constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

inline int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == ',') return 63;
  return -1;
}

inline void flush_base64(std::string& out, const std::vector<uint16_t>& units) {
  out += '&';
  uint32_t bits = 0;
  int nbits = 0;
  for (uint16_t u : units) {
    for (int shift = 8; shift >= 0; shift -= 8) {
      bits = (bits << 8) | ((u >> shift) & 0xff);
      nbits += 8;
      while (nbits >= 6) {
        out += kB64[(bits >> (nbits - 6)) & 0x3f];
        nbits -= 6;
      }
    }
  }
  if (nbits > 0) out += kB64[(bits << (6 - nbits)) & 0x3f];
  out += '-';
}

}  // namespace detail

// UTF-8 → modified UTF-7. nullopt when `utf8` is not valid UTF-8.
inline std::optional<std::string> encode(std::string_view utf8) {
  std::string out;
  std::vector<uint16_t> run;
  for (size_t i = 0; i < utf8.size();) {
    unsigned char c = static_cast<unsigned char>(utf8[i]);
    if (c >= 0x20 && c <= 0x7e) {
      if (!run.empty()) {
        detail::flush_base64(out, run);
        run.clear();
      }
      out += c == '&' ? "&-" : std::string(1, static_cast<char>(c));
      ++i;
      continue;
    }
    char32_t cp = 0;
    size_t n = utf8::decode_at(utf8, i, cp);
    if (n == 0) return std::nullopt;
    i += n;
    if (cp >= 0x10000) {
      uint32_t v = static_cast<uint32_t>(cp) - 0x10000;
      run.push_back(static_cast<uint16_t>(0xd800 | (v >> 10)));
      run.push_back(static_cast<uint16_t>(0xdc00 | (v & 0x3ff)));
    } else {
      run.push_back(static_cast<uint16_t>(cp));
    }
  }
  if (!run.empty()) detail::flush_base64(out, run);
  return out;
}

// Modified UTF-7 → UTF-8. nullopt when `name` is not valid modified UTF-7
// (a bad base64 run, an unpaired surrogate, a needlessly encoded ASCII run,
// an 8-bit byte).
inline std::optional<std::string> decode(std::string_view name) {
  std::string out;
  for (size_t i = 0; i < name.size();) {
    char c = name[i];
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) return std::nullopt;
    if (c != '&') {
      out += c;
      ++i;
      continue;
    }
    size_t end = name.find('-', i + 1);
    if (end == std::string_view::npos) return std::nullopt;
    if (end == i + 1) {  // "&-"
      out += '&';
      i = end + 1;
      continue;
    }
    uint32_t bits = 0;
    int nbits = 0;
    std::vector<uint16_t> units;
    for (size_t k = i + 1; k < end; ++k) {
      int v = detail::b64_value(name[k]);
      if (v < 0) return std::nullopt;
      bits = (bits << 6) | static_cast<uint32_t>(v);
      nbits += 6;
      if (nbits >= 16) {
        units.push_back(static_cast<uint16_t>((bits >> (nbits - 16)) & 0xffff));
        nbits -= 16;
      }
    }
    if (nbits >= 6 || (bits & ((1u << nbits) - 1)) != 0) return std::nullopt;  // leftover bits must be zero padding
    for (size_t k = 0; k < units.size(); ++k) {
      uint32_t u = units[k];
      if (u >= 0xd800 && u <= 0xdbff) {
        if (k + 1 >= units.size() || units[k + 1] < 0xdc00 || units[k + 1] > 0xdfff) return std::nullopt;
        utf8::append(out, 0x10000 + ((u - 0xd800) << 10) + (units[k + 1] - 0xdc00));
        ++k;
      } else if (u >= 0xdc00 && u <= 0xdfff) {
        return std::nullopt;
      } else if (u >= 0x20 && u <= 0x7e) {
        return std::nullopt;  // printable ASCII must stand for itself
      } else {
        utf8::append(out, u);
      }
    }
    i = end + 1;
  }
  return out;
}

}  // namespace accord::mutf7
