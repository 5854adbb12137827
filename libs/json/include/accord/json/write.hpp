// SPDX-License-Identifier: Apache-2.0
// A JSON value's text, byte for byte what boost::json::serialize gives it
// (Boost 1.81: no whitespace; in strings '"' and '\' escaped, the control
// characters as \b \t \n \f \r or \u00xx, every other byte as it is; numbers
// through the serializer's own formatting), appended to a string the caller
// reuses. Boost's serializer is resumable (a state machine writing into a
// fixed buffer, then copied into the string): a first sync writes a million
// records' texts and their fields' through it, at about a quarter of the
// cost. libs/json/tests/write_test.cpp holds it to boost::json::serialize.
//
// Header-only, C++17, Boost.JSON (the host's library or a plugin's own
// header-only copy); any thread.
#pragma once

#include <boost/json/detail/config.hpp>
#include <boost/json/detail/format.hpp>
#include <boost/json/value.hpp>

#include <cstring>
#include <string>
#include <string_view>

namespace accord::json_text {

namespace detail {

// The escape each byte takes in a string: 0 none, 'u' \u00xx, else \ and it.
inline constexpr char kEscape[256] = {
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'b', 't', 'n', 'u', 'f', 'r', 'u', 'u',
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
    0,   0,   '"', 0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   '\\', 0,  0,   0,
};

inline void append_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  const char* p = s.data();
  const char* end = p + s.size();
  while (p < end) {
    const char* run = p;
    while (p < end && !kEscape[static_cast<unsigned char>(*p)]) ++p;
    out.append(run, static_cast<std::size_t>(p - run));
    if (p == end) break;
    char e = kEscape[static_cast<unsigned char>(*p)];
    if (e != 'u') {
      char esc[2] = {'\\', e};
      out.append(esc, 2);
    } else {
      char esc[6] = {'\\', 'u', '0', '0', kHex[static_cast<unsigned char>(*p) >> 4],
                     kHex[static_cast<unsigned char>(*p) & 15]};
      out.append(esc, 6);
    }
    ++p;
  }
  out += '"';
}

}  // namespace detail

// Appends v's text to out.
inline void append(std::string& out, const boost::json::value& v) {
  namespace json = boost::json;
  switch (v.kind()) {
    case json::kind::null: out.append("null", 4); return;
    case json::kind::bool_: v.get_bool() ? out.append("true", 4) : out.append("false", 5); return;
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: {
      char buf[json::detail::max_number_chars + 1];
      std::size_t n = v.is_int64()    ? json::detail::format_int64(buf, v.get_int64())
                      : v.is_uint64() ? json::detail::format_uint64(buf, v.get_uint64())
                                      : json::detail::format_double(buf, v.get_double());
      out.append(buf, n);
      return;
    }
    case json::kind::string: {
      const json::string& s = v.get_string();
      detail::append_string(out, std::string_view(s.data(), s.size()));
      return;
    }
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const json::value& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        append(out, e);
      }
      out += ']';
      return;
    }
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const json::key_value_pair& kv : v.get_object()) {
        if (!first) out += ',';
        first = false;
        detail::append_string(out, std::string_view(kv.key().data(), kv.key().size()));
        out += ':';
        append(out, kv.value());
      }
      out += '}';
      return;
    }
  }
}

// v's text, as boost::json::serialize(v).
inline std::string serialize(const boost::json::value& v) {
  std::string out;
  append(out, v);
  return out;
}

}  // namespace accord::json_text
