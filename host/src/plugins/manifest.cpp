// SPDX-License-Identifier: Apache-2.0
#include "plugins/manifest.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>

namespace json = boost::json;

namespace accord {

const StreamInfo* Manifest::stream(const std::string& n) const {
  for (const auto& s : streams)
    if (s.name == n) return &s;
  return nullptr;
}

namespace {

Result<std::string> required_string(const json::object& o, const char* key, const std::string& where) {
  const json::value* v = o.if_contains(key);
  if (!v) return fail(where + "missing required key \"" + key + "\"");
  if (!v->is_string()) return fail(where + "\"" + key + "\" must be a string");
  return std::string(v->get_string());
}

std::string optional_string(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

Result<std::vector<std::string>> string_list(const json::object& o, const char* key,
                                             const std::string& where) {
  std::vector<std::string> out;
  const json::value* v = o.if_contains(key);
  if (!v) return out;
  if (!v->is_array()) return fail(where + "\"" + key + "\" must be an array of strings");
  for (const auto& e : v->get_array()) {
    if (!e.is_string()) return fail(where + "\"" + key + "\" must be an array of strings");
    out.emplace_back(e.get_string());
  }
  return out;
}

}  // namespace

Result<Manifest> parse_manifest(const char* manifest_json) {
  if (!manifest_json) return fail("manifest_json is NULL");
  boost::system::error_code ec;
  json::value v = json::parse(manifest_json, ec);
  if (ec) return fail(std::string("manifest is not valid JSON: ") + ec.message());
  if (!v.is_object()) return fail("manifest must be a JSON object");
  const json::object& o = v.get_object();
  Manifest m;
  m.raw = v;
  auto id = required_string(o, "id", "manifest: ");
  if (!id) return std::unexpected(id.error());
  auto valid_id = [](const std::string& s) {
    if (s.empty() || s.size() > 64 || s[0] < 'a' || s[0] > 'z') return false;
    for (char c : s)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    return true;
  };
  if (!valid_id(*id))
    return fail("manifest: \"id\" \"" + *id + "\" must match [a-z][a-z0-9-]{0,63}");
  m.id = *id;
  auto version = required_string(o, "version", "manifest: ");
  if (!version) return std::unexpected(version.error());
  m.version = *version;
  m.name = optional_string(o, "name");
  if (m.name.empty()) m.name = m.id;
  m.description = optional_string(o, "description");
  if (const json::value* c = o.if_contains("custom_streams")) m.custom_streams = c->is_bool() && c->get_bool();

  const json::value* streams = o.if_contains("streams");
  if (!streams) return fail("manifest: missing required key \"streams\"");
  if (!streams->is_array() || streams->get_array().empty())
    return fail("manifest: \"streams\" must be a non-empty array");
  size_t i = 0;
  for (const auto& sv : streams->get_array()) {
    std::string where = "manifest: /streams/" + std::to_string(i++) + ": ";
    if (!sv.is_object()) return fail(where + "must be an object");
    const json::object& so = sv.get_object();
    StreamInfo s;
    auto name = required_string(so, "name", where);
    if (!name) return std::unexpected(name.error());
    s.name = *name;
    s.canonical = optional_string(so, "canonical");
    if (s.canonical.empty()) s.canonical = "custom";
    auto fields = string_list(so, "fields", where);
    if (!fields) return std::unexpected(fields.error());
    s.fields = std::move(*fields);
    auto caps = string_list(so, "capabilities", where);
    if (!caps) return std::unexpected(caps.error());
    s.capabilities = std::move(*caps);
    auto lazy = string_list(so, "lazy", where);
    if (!lazy) return std::unexpected(lazy.error());
    s.lazy = std::move(*lazy);
    for (const auto& f : s.lazy)
      if (f.size() < 2 || f[0] != '/' || f.find('/', 1) != std::string::npos)
        return fail(where + "\"lazy\": \"" + f + "\" must be a top-level JSON pointer such as \"/raw\"");
    s.lazy_size = optional_string(so, "lazy_size");
    if (so.contains("lazy_size") && (s.lazy_size.empty() || s.lazy_size[0] != '/' || s.lazy.empty()))
      return fail(where + "\"lazy_size\": \"" + s.lazy_size + "\" must be a JSON pointer such as \"/size\", beside \"lazy\"");
    auto identity = string_list(so, "identity", where);
    if (!identity) return std::unexpected(identity.error());
    s.identity = std::move(*identity);
    for (const auto& f : s.identity)
      if (f.empty() || f[0] != '/')
        return fail(where + "\"identity\": \"" + f + "\" must be a JSON pointer such as \"/messageId\"");
    auto read_only = string_list(so, "read_only", where);
    if (!read_only) return std::unexpected(read_only.error());
    s.read_only = std::move(*read_only);
    for (const auto& f : s.read_only)
      if (std::find(s.fields.begin(), s.fields.end(), f) == s.fields.end())
        return fail(where + "\"read_only\": \"" + f + "\" must also be listed in \"fields\" (a field read but never written)");
    auto placement = string_list(so, "placement", where);
    if (!placement) return std::unexpected(placement.error());
    s.placement = std::move(*placement);
    for (const auto& f : s.placement)
      if (std::find(s.fields.begin(), s.fields.end(), f) == s.fields.end())
        return fail(where + "\"placement\": \"" + f + "\" must also be listed in \"fields\" (where a record sits, e.g. \"/mailboxIds\")");
    m.streams.push_back(std::move(s));
  }
  const json::value* schema = o.if_contains("config_schema");
  if (!schema) return fail("manifest: missing required key \"config_schema\"");
  if (!schema->is_object()) return fail("manifest: \"config_schema\" must be a JSON Schema object");
  m.config_schema = *schema;
  auto store = string_list(o, "store_identity", "manifest: ");
  if (!store) return std::unexpected(store.error());
  m.store_identity = std::move(*store);
  return m;
}

std::vector<std::string> capability_names(uint64_t caps) {
  static const char* kNames[] = {"read", "write", "delete", "change_feed", "idempotent_create", "fetch", "find_only"};
  std::vector<std::string> out;
  for (size_t b = 0; b < std::size(kNames); ++b)
    if (caps & (uint64_t{1} << b)) out.emplace_back(kNames[b]);
  return out;
}

}  // namespace accord
