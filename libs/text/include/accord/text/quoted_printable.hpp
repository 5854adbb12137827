// SPDX-License-Identifier: Apache-2.0
// Quoted-printable decoding (RFC 2045 §6.7), shared by the mail library (a
// MIME part's body) and the vCard reader (a property's value). Pure; never
// fails: what is not an escape is kept as it came.
#pragma once

#include <string>
#include <string_view>

namespace accord {

// "=XX" (either case of hex) becomes its byte; a soft line break ("=" at a
// line's end, after any whitespace a transport added, before CRLF or LF) is
// removed; an "=" that starts neither is kept.
inline std::string quoted_printable_decode(std::string_view in) {
  auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '=') {
      out += in[i];
      continue;
    }
    size_t j = i + 1;
    while (j < in.size() && (in[j] == ' ' || in[j] == '\t')) ++j;
    if (j < in.size() && (in[j] == '\n' || (in[j] == '\r' && j + 1 < in.size() && in[j + 1] == '\n'))) {
      i = in[j] == '\r' ? j + 1 : j;  // a soft line break
      continue;
    }
    int a = i + 1 < in.size() ? hex(in[i + 1]) : -1;
    int b = i + 2 < in.size() ? hex(in[i + 2]) : -1;
    if (a >= 0 && b >= 0) {
      out += static_cast<char>(a * 16 + b);
      i += 2;
    } else {
      out += '=';
    }
  }
  return out;
}

}  // namespace accord
