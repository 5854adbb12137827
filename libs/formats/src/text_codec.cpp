// SPDX-License-Identifier: Apache-2.0
#include <accord/formats/text_codec.hpp>

#include <accord/text/ascii.hpp>
#include <accord/text/charset.hpp>
#include <accord/text/utf8.hpp>
#include <accord/text/content_hash.hpp>
#include <accord/text/quoted_printable.hpp>


#include <cctype>
#include <cstdio>
#include <memory>

namespace accord::formats::codec {

std::string lower(std::string_view s) { return accord::ascii_lower(s); }
std::string upper(std::string_view s) { return accord::ascii_upper(s); }

// (one decoder for the vCard reader and the mail library: libs/text)
std::string quoted_printable_decode(std::string_view in) { return accord::quoted_printable_decode(in); }

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
