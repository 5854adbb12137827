// SPDX-License-Identifier: Apache-2.0
// Record data printed for a person, made safe for a terminal; JSON output
// made valid UTF-8. Record data comes from stores anyone may write to (a
// shared address book, a CRM, a mail's subject): printed raw, an ESC
// sequence could rewrite the screen or the window title, a CR or LF forge
// a plan line, a NUL cut it short.
//
// tty(): every C0 control, DEL and C1 control (U+0080-U+009F, CSI among
// them) as a visible escape (\n, \r, \t, \e, \xNN, \u{9b}); the bidirectional
// overrides and isolates (U+202A-U+202E, U+2066-U+2069) that reorder what is
// shown, as \u{202e}; bytes that are not UTF-8 as \xNN. Printable text is
// kept as it is. Never used for our own words, only for what came from data.
//
// json_safe(): a JSON value whose strings and keys are valid UTF-8 (each
// invalid byte becomes U+FFFD), so that --json output always parses;
// controls are escaped by the serializer itself.
#pragma once

#include <accord/text/utf8.hpp>

#include <boost/json.hpp>

#include <cstdio>
#include <string>
#include <string_view>

namespace accord::cli {

inline std::string tty(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  char buf[16];
  for (size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    size_t n = utf8::decode_at(s, i, cp);
    if (n == 0) {
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(s[i]));
      out += buf;
      ++i;
      continue;
    }
    if (cp == '\n') out += "\\n";
    else if (cp == '\r') out += "\\r";
    else if (cp == '\t') out += "\\t";
    else if (cp == 0x1b) out += "\\e";
    else if (cp < 0x20 || cp == 0x7f) {
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
      out += buf;
    } else if ((cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) {
      std::snprintf(buf, sizeof buf, "\\u{%x}", static_cast<unsigned>(cp));
      out += buf;
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  return out;
}

// tty() of each line of a message that is several lines on purpose (a
// pipeline's errors, one a line): the line breaks between them are kept.
inline std::string tty_lines(std::string_view s) {
  std::string out;
  for (size_t at = 0;;) {
    size_t nl = s.find('\n', at);
    out += tty(s.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at));
    if (nl == std::string_view::npos) return out;
    out += '\n';
    at = nl + 1;
  }
}

// `s` with each byte that is not part of valid UTF-8 replaced by U+FFFD.
inline std::string valid_utf8(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    size_t n = utf8::decode_at(s, i, cp);
    if (n == 0) {
      out += "\xef\xbf\xbd";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

inline boost::json::value json_safe(const boost::json::value& v) {
  using namespace boost::json;
  if (const string* s = v.if_string()) return value(valid_utf8(*s));
  if (const array* a = v.if_array()) {
    array out;
    out.reserve(a->size());
    for (const auto& e : *a) out.push_back(json_safe(e));
    return out;
  }
  if (const object* o = v.if_object()) {
    object out;
    for (const auto& [k, e] : *o) out[valid_utf8(k)] = json_safe(e);
    return out;
  }
  return v;
}

}  // namespace accord::cli
