// SPDX-License-Identifier: Apache-2.0
// Text decoding shared by the vCard and iCalendar readers: quoted-printable,
// charsets to UTF-8, base64 checks. Pure functions; no I/O.
#pragma once

#include <string>
#include <string_view>

namespace accord::formats::codec {

std::string quoted_printable_decode(std::string_view in);
// Converts from a named charset (windows-1252, iso-8859-1, …) to UTF-8 with
// iconv; text already valid UTF-8 or an unknown charset is returned as is.
std::string to_utf8(std::string_view in, const std::string& charset);
bool is_valid_utf8(std::string_view s);
std::string lower(std::string_view s);
std::string upper(std::string_view s);
// 64-bit FNV-1a as 16 hex digits: the content version of a file.
std::string content_hash(std::string_view s);

}  // namespace accord::formats::codec
