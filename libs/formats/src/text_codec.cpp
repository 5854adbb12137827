// SPDX-License-Identifier: Apache-2.0
#include <accord/formats/text_codec.hpp>

#include <accord/text/ascii.hpp>
#include <accord/text/content_hash.hpp>

#include <iconv.h>

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

bool is_valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 9;
    if (n == 9 || i + n >= s.size() + (n == 0 ? 1 : 0)) return false;
    for (size_t k = 1; k <= n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    i += n + 1;
  }
  return true;
}

std::string to_utf8(std::string_view in, const std::string& charset) {
  std::string cs = upper(charset);
  if (cs.empty() || cs == "UTF-8" || cs == "UTF8" || cs == "US-ASCII") return std::string(in);
  iconv_t cd = iconv_open("UTF-8", cs.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return std::string(in);
  std::unique_ptr<void, int (*)(iconv_t)> guard(cd, iconv_close);
  std::string out(in.size() * 4 + 16, '\0');
  char* src = const_cast<char*>(in.data());
  size_t src_left = in.size();
  char* dst = out.data();
  size_t dst_left = out.size();
  if (iconv(cd, &src, &src_left, &dst, &dst_left) == static_cast<size_t>(-1)) return std::string(in);
  out.resize(out.size() - dst_left);
  return out;
}

std::string content_hash(std::string_view s) { return accord::hash::content_hash(s); }

}  // namespace accord::formats::codec
