// SPDX-License-Identifier: Apache-2.0
#include "engine/keys.hpp"

#include "common/digest.hpp"

#include <cstdio>

namespace json = boost::json;

namespace accord {

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

std::string key_of(const MatchKey& k, Side s, const json::value& data) {
  std::string key;
  for (const auto& f : k.fields) {
    const auto& path = s == Side::kLeft ? f.left : f.right;
    if (!path) return "";
    const json::value* v = path->get(data);
    if (!v || v->is_null()) return "";
    std::string part = f.normalise(*v);
    if (part.empty()) return "";
    key += part + '\x1f';
  }
  return key;
}

}  // namespace

std::string record_keys(const std::vector<MatchKey>& match, Side s, const json::value& data,
                        std::string_view stored_key) {
  std::string out;
  for (size_t i = 0; i < match.size(); ++i) {
    if (i) out += '\x1e';
    out += key_of(match[i], s, data);
  }
  if (!stored_key.empty() && stored_key.find_first_of("\x1e\x1f") == std::string_view::npos) {
    if (!match.empty()) out += '\x1e';
    out += stored_key;
  }
  return out;
}

}  // namespace accord
