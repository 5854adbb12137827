// SPDX-License-Identifier: Apache-2.0
// JSON Pointer (RFC 6901) tokens, and the pointer of a place a JSON Schema
// validator (valijson) names: the one copy the pipeline checks, the wire
// reader, the kit's config reader and the conformance kit's schema checks
// use. Header-only, C++17 (the kit is built as C++17), no dependencies.
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace accord::json_pointer {

// A key as a pointer token: "~" as "~0", "/" as "~1".
inline std::string escape(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

// A pointer token as the key it stands for ("~1" is "/", "~0" is "~"; a "~"
// followed by anything else is kept as it is).
inline std::string unescape(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
      out += token[i + 1] == '0' ? '~' : '/';
      ++i;
    } else {
      out += token[i];
    }
  }
  return out;
}

// valijson's context of an error, ["<root>", "[streams]", "[0]"] (property
// names may be quoted: "[\"a/b\"]"), as the pointer "/streams/0".
inline std::string from_validator_context(const std::vector<std::string>& context) {
  std::string p;
  for (const auto& c : context) {
    if (c == "<root>") continue;
    std::string_view t = c;
    if (t.size() >= 2 && t.front() == '[' && t.back() == ']') t = t.substr(1, t.size() - 2);
    if (t.size() >= 2 && t.front() == '"' && t.back() == '"') t = t.substr(1, t.size() - 2);
    p += '/';
    p += escape(t);
  }
  return p;
}

}  // namespace accord::json_pointer
