// SPDX-License-Identifier: Apache-2.0
#include <accord/formats/text_codec.hpp>

#include <accord/text/ascii.hpp>
#include <accord/text/charset.hpp>
#include <accord/text/utf8.hpp>
#include <accord/text/content_hash.hpp>


#include <cctype>
#include <cstdio>
#include <memory>

namespace accord::formats::codec {

std::string lower(std::string_view s) { return accord::ascii_lower(s); }
std::string upper(std::string_view s) { return accord::ascii_upper(s); }

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string quoted_printable_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '=' && i + 2 < in.size()) {
      int a = hexval(in[i + 1]), b = hexval(in[i + 2]);
      if (a >= 0 && b >= 0) {
        out += static_cast<char>(a * 16 + b);
        i += 2;
        continue;
      }
    }
    out += in[i];
  }
  return out;
}

bool is_valid_utf8(std::string_view s) { return accord::utf8::valid(s); }

namespace {
// Text a store can keep: each byte that starts no UTF-8 sequence becomes
// U+FFFD (a file that says UTF-8 and is not, such as a stray continuation
// byte in Android's exports; JSON cannot carry it).
std::string repaired(std::string s) {
  if (accord::utf8::valid(s)) return s;
  std::string out;
  out.reserve(s.size() + 8);
  for (size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    size_t n = accord::utf8::decode_at(s, i, cp);
    if (n == 0) {
      accord::utf8::append(out, 0xFFFD);
      ++i;
    } else {
      out.append(s, i, n);
      i += n;
    }
  }
  return out;
}
}  // namespace

std::string to_utf8(std::string_view in, const std::string& charset) {
  std::string cs = upper(charset);
  if (cs.empty() || cs == "UTF-8" || cs == "UTF8" || cs == "US-ASCII") return repaired(std::string(in));
  auto out = accord::charset::to_utf8(cs, in);
  return repaired(out ? *out : std::string(in));
}

std::string content_hash(std::string_view s) { return accord::hash::content_hash(s); }

}  // namespace accord::formats::codec
