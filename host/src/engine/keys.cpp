// SPDX-License-Identifier: Apache-2.0
#include "engine/keys.hpp"

#include "common/digest.hpp"

#include <accord/json/exact.hpp>
#include <accord/json/handler.hpp>
#include <accord/json/pointer.hpp>

#include <algorithm>
#include <cstdio>
#include <optional>

namespace json = boost::json;

namespace accord {

namespace {

// boost::json::basic_parser's handler for identity_key: the same grammar
// and options as json_exact::parse, but only the scalars at the top level
// named in `names` are kept (the last of a repeated key, as the parsed
// object keeps); `whole` says the data must be parsed whole after all (it
// is not an object, or a named value is an object or an array).
struct TopFields : json_exact::HandlerBase {
  const std::vector<std::string_view>* names = nullptr;
  std::vector<std::optional<json::value>> found;
  bool whole = false;
  int depth = 0;
  int want = -1;       // the name the value at the top now is (-1: none)
  std::string key, text, number;

  bool at_top() const { return depth == 1 && want >= 0; }
  void keep(json::value v) { found[static_cast<size_t>(want)] = std::move(v), want = -1; }
  bool nest() {
    if (depth == 1 && want >= 0) whole = true;
    ++depth;
    return true;
  }
  bool on_object_begin(ec_t&) { return nest(); }
  bool on_object_end(std::size_t, ec_t&) { return --depth, want = -1, true; }
  bool on_array_begin(ec_t&) {
    if (depth == 0) whole = true;
    return nest();
  }
  bool on_array_end(std::size_t, ec_t&) { return --depth, want = -1, true; }
  bool on_key_part(sv s, std::size_t, ec_t&) {
    if (depth == 1) key.append(s.data(), s.size());
    return true;
  }
  bool on_key(sv s, std::size_t, ec_t&) {
    if (depth != 1) return true;
    std::string_view whole_key(s.data(), s.size());
    if (!key.empty()) whole_key = key.append(s.data(), s.size());  // (in parts: escapes, a split buffer)
    want = -1;
    for (size_t i = 0; i < names->size() && want < 0; ++i)
      if ((*names)[i] == whole_key) want = static_cast<int>(i);
    key.clear();
    return true;
  }
  bool on_string_part(sv s, std::size_t, ec_t&) {
    if (at_top()) text.append(s.data(), s.size());
    return true;
  }
  bool on_string(sv s, std::size_t, ec_t&) {
    if (!at_top()) return scalar_at_root();
    text.append(s.data(), s.size());
    keep(json::string(text));
    text.clear();
    return true;
  }
  bool on_number_part(sv s, ec_t&) { return number.append(s.data(), s.size()), true; }
  bool on_int64(std::int64_t i, sv, ec_t&) {
    number.clear();
    if (at_top()) keep(i);
    return scalar_at_root();
  }
  bool on_uint64(std::uint64_t u, sv, ec_t&) {
    number.clear();
    if (at_top()) keep(u);
    return scalar_at_root();
  }
  bool on_double(double d, sv s, ec_t&) {
    double exact = json_exact::exact_double(number, d, s);
    if (at_top()) keep(exact);
    return scalar_at_root();
  }
  bool on_bool(bool b, ec_t&) {
    if (at_top()) keep(b);
    return scalar_at_root();
  }
  bool on_null(ec_t&) {
    if (at_top()) keep(nullptr);
    return scalar_at_root();
  }
  // a document that is a scalar: parsed whole
  bool scalar_at_root() {
    if (depth == 0) whole = true;
    return true;
  }
};

// The pointers' values in the data parsed whole.
std::string identity_parsed(const std::vector<std::string>& pointers, std::string_view data) {
  boost::system::error_code ec;
  json::value v = json_exact::parse(data, ec);
  if (ec) return "";
  std::string key;
  for (const auto& ptr : pointers) {
    const json::value* f = v.find_pointer(ptr, ec);
    if (!f || f->is_null()) return "";
    key += json::serialize(*f) + '\x1f';
  }
  return key;
}

}  // namespace

std::string identity_key(const std::vector<std::string>& pointers, std::string_view data) {
  // "/name", the name with no escape (~0, ~1): a top-level field
  std::vector<std::string_view> names;  // each once
  std::vector<size_t> which;            // each pointer's
  for (const auto& ptr : pointers) {
    if (ptr.size() < 2 || ptr[0] != '/' || ptr.find_first_of("/~", 1) != std::string::npos)
      return identity_parsed(pointers, data);
    std::string_view name = std::string_view(ptr).substr(1);
    size_t i = 0;
    while (i < names.size() && names[i] != name) ++i;
    if (i == names.size()) names.push_back(name);
    which.push_back(i);
  }
  json::basic_parser<TopFields> p(json::parse_options{});
  p.handler().names = &names;
  p.handler().found.resize(names.size());
  boost::system::error_code ec;
  std::size_t n = p.write_some(false, data.data(), data.size(), ec);
  if (ec || n < data.size()) return "";
  if (p.handler().whole) return identity_parsed(pointers, data);
  std::string key;
  for (size_t i : which) {
    const auto& f = p.handler().found[i];
    if (!f || f->is_null()) return "";
    key += json::serialize(*f) + '\x1f';
  }
  return key;
}

KeyBits derive_key_bits(const std::string& pipeline, const std::string& pair, Side source, std::string_view source_id,
                        std::string_view how) {
  std::string text = pipeline;
  for (std::string_view part : {std::string_view(pair), std::string_view(side_name(source)), how, source_id})
    text.append(1, '\0').append(part);
  XXH128_hash_t h = XXH3_128bits(text.data(), text.size());
  return {h.high64, h.low64};
}

std::string derive_idempotency_key(const std::string& pipeline, const std::string& pair, Side source,
                                   std::string_view source_id, std::string_view how) {
  return key_text(derive_key_bits(pipeline, pair, source, source_id, how));
}

std::string key_text(KeyBits k) {
  char b[40];
  std::snprintf(b, sizeof b, "accord-%016llx%016llx", static_cast<unsigned long long>(k.first),
                static_cast<unsigned long long>(k.second));
  return b;
}

std::optional<KeyBits> key_bits(std::string_view key) {
  if (key.size() != 39 || key.substr(0, 7) != "accord-") return std::nullopt;
  KeyBits k{0, 0};
  for (size_t i = 7; i < 39; ++i) {
    char c = key[i];
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (v < 0) return std::nullopt;
    uint64_t& half = i < 23 ? k.first : k.second;
    half = half << 4 | static_cast<uint64_t>(v);
  }
  return k;
}

std::string_view key_part(std::string_view keys, size_t i) {
  size_t start = 0;
  for (size_t k = 0; k < i; ++k) {
    start = keys.find('\x1e', start);
    if (start == std::string_view::npos) return {};
    ++start;
  }
  size_t end = keys.find('\x1e', start);
  return keys.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
}

namespace {

// A match key's part of a record's keys, appended to `out` (nothing where
// the record has no value for one of its fields).
void append_key_of(const MatchKey& k, Side s, const json::value& data, std::string& out) {
  size_t at = out.size();
  for (const auto& f : k.fields) {
    const auto& path = s == Side::kLeft ? f.left : f.right;
    const json::value* v = path ? path->get(data) : nullptr;
    std::string part = v && !v->is_null() ? f.normalise(*v) : std::string();
    if (part.empty()) return out.resize(at);
    out.append(part).push_back('\x1f');
  }
}

}  // namespace

std::string record_keys(const std::vector<MatchKey>& match, Side s, const json::value& data,
                        std::string_view stored_key) {
  std::string out;
  for (size_t i = 0; i < match.size(); ++i) {
    if (i) out += '\x1e';
    append_key_of(match[i], s, data, out);
  }
  if (!stored_key.empty() && stored_key.find_first_of("\x1e\x1f") == std::string_view::npos) {
    if (!match.empty()) out += '\x1e';
    out += stored_key;
  }
  return out;
}

std::vector<std::string> match_heads(const std::vector<MatchKey>& match, Side s, bool& first) {
  std::vector<std::string> names;
  first = false;
  for (const auto& k : match)
    for (const auto& f : k.fields) {
      const auto& path = s == Side::kLeft ? f.left : f.right;
      if (!path) continue;
      // its first segment, as FieldPath::parse reads it: "*", [k=v], else a member
      std::string_view text = path->text();
      std::string_view tok = text.substr(1, text.find('/', 1) - 1);  // (a FieldPath's text begins with '/')
      if (tok == "*") {
        first = true;
      } else if (!(tok.size() > 2 && tok.front() == '[' && tok.back() == ']')) {
        std::string name = json_pointer::unescape(tok);
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(std::move(name));
      }
    }
  return names;
}

}  // namespace accord
