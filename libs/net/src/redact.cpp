// SPDX-License-Identifier: Apache-2.0
#include <accord/net/redact.hpp>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <regex>
#include <set>

namespace accord::net {

namespace {

constexpr std::string_view kMark = "[redacted]";

struct Known {
  std::mutex mu;
  std::set<std::string, std::greater<>> values;  // longest-first is not needed: each is replaced in turn
};

Known& known() {
  static Known* k = new Known;  // never destroyed: used by detached threads' last messages too
  return *k;
}

// A credential field and its value: `Authorization: Bearer x`, `client_secret=x`
// (a form), `"refresh_token": "x"` (JSON), `access_token: x`.
const std::regex& fields() {
  static const std::regex re(
      R"re(((?:authorization|proxy-authorization)["']?\s*[:=]\s*["']?(?:(?:bearer|basic|token)\s+)?)([^\s"',;&})\]]+))re"
      R"re(|((?:client_secret|refresh_token|access_token|id_token|password|api_key|apikey|x-api-key)["']?\s*[:=]\s*["']?)([^\s"',;&})\]]+))re",
      std::regex::icase | std::regex::optimize);
  return re;
}

}  // namespace

void add_secret(std::string_view value) {
  if (value.size() < 4) return;
  Known& k = known();
  std::lock_guard lock(k.mu);
  k.values.emplace(value);
  // a form-encoded or JSON-escaped copy of it is the same secret
  std::string enc;
  for (unsigned char c : value)
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') enc += static_cast<char>(c);
    else {
      static const char* hex = "0123456789ABCDEF";
      enc += '%';
      enc += hex[c >> 4];
      enc += hex[c & 15];
    }
  if (enc != value) k.values.insert(enc);
}

std::string redact(std::string_view text) {
  std::string out(text);
  {
    Known& k = known();
    std::lock_guard lock(k.mu);
    for (const auto& v : k.values)
      for (size_t at = out.find(v); at != std::string::npos; at = out.find(v, at + kMark.size()))
        out.replace(at, v.size(), kMark);
  }
  std::string r;
  auto begin = std::sregex_iterator(out.begin(), out.end(), fields());
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    int name = m[1].matched ? 1 : 3;
    if (out.compare(static_cast<size_t>(m.position(name + 1)), kMark.size(), kMark) == 0) continue;  // done above
    r.append(out, last, static_cast<size_t>(m.position(0)) - last);
    r += m[name].str();
    r += kMark;
    last = static_cast<size_t>(m.position(0) + m.length(0));
  }
  r.append(out, last, std::string::npos);
  return r;
}

}  // namespace accord::net
