// SPDX-License-Identifier: Apache-2.0
// Text in a named charset to UTF-8 through glibc's iconv: the one copy the
// mail message's header decoding and the vCard/iCalendar codec use.
#pragma once

#include <accord/text/utf8.hpp>

#include <iconv.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace accord::charset {

// Whether iconv can read text in `name` (e.g. "ISO-8859-2", "SHIFT_JIS").
inline bool known(const std::string& name) {
  if (name.empty()) return false;
  iconv_t cd = iconv_open("UTF-8", name.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return false;
  iconv_close(cd);
  return true;
}

// `bytes` read in charset `name`, as UTF-8; nullopt for a charset iconv does
// not know or bytes that are not text in it (a byte it has no character
// for, a truncated sequence).
inline std::optional<std::string> to_utf8(const std::string& name, std::string_view bytes) {
  if (name.empty()) return std::nullopt;
  iconv_t cd = iconv_open("UTF-8", name.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  std::unique_ptr<void, int (*)(iconv_t)> guard(cd, iconv_close);
  std::string out(bytes.size() * 4 + 16, '\0');
  char* src = const_cast<char*>(bytes.data());
  size_t src_left = bytes.size();
  char* dst = out.data();
  size_t dst_left = out.size();
  if (iconv(cd, &src, &src_left, &dst, &dst_left) == static_cast<size_t>(-1)) return std::nullopt;
  if (iconv(cd, nullptr, nullptr, &dst, &dst_left) == static_cast<size_t>(-1)) return std::nullopt;  // shift state
  out.resize(out.size() - dst_left);
  if (!utf8::valid(out)) return std::nullopt;
  return out;
}

}  // namespace accord::charset
