// SPDX-License-Identifier: Apache-2.0
// Configuration through the manifest's schema (see accord/kit/config.hpp).
#include <accord/kit/config.hpp>

#include <accord/json/pointer.hpp>
#include <accord/json/schema.hpp>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <stdexcept>

namespace json = boost::json;

namespace accord::kit {

namespace {

void defaults_into(const json::value& schema, json::value& doc) {
  const json::object* so = schema.if_object();
  json::object* d = doc.if_object();
  if (!so || !d) return;
  const json::value* props = so->if_contains("properties");
  if (!props || !props->is_object()) return;
  for (const auto& [k, sub] : props->get_object()) {
    const json::object* subo = sub.if_object();
    if (!subo) continue;
    if (!d->contains(k))
      if (const json::value* def = subo->if_contains("default")) (*d)[k] = *def;
    if (json::value* child = d->if_contains(k)) defaults_into(sub, *child);
  }
}

// The schema node that describes the value at `pointer` (libs/json's walk:
// properties, additionalProperties, items, local $refs), or nullptr.
const json::object* node_at(const json::value& schema, const std::string& pointer) {
  const json::value* n = json_schema::schema_at(schema, pointer);
  return n ? n->if_object() : nullptr;
}

// What the schema asks for there, in its own words: " (expected integer;
// one of \"a\", \"b\")".
std::string expected(const json::value& schema, const std::string& pointer) {
  const json::object* node = node_at(schema, pointer);
  if (!node || pointer.empty()) return "";
  std::string out;
  if (auto* t = node->if_contains("type")) out = "expected " + (t->is_string() ? std::string(t->get_string()) : json::serialize(*t));
  if (auto* e = node->if_contains("enum"); e && e->is_array()) {
    std::string vals;
    for (const auto& v : e->get_array()) vals += (vals.empty() ? "" : ", ") + json::serialize(v);
    out += (out.empty() ? "" : "; ") + std::string("one of ") + vals;
  }
  return out.empty() ? "" : " (" + out + ")";
}

}  // namespace

std::vector<SchemaError> schema_errors(const json::value& schema_doc, const json::value& doc) {
  json_schema::Verdict v = json_schema::check(schema_doc, doc);  // in valijson's words, as the kit always said
  if (!v.unusable.empty()) return {SchemaError{"", "the schema itself is invalid: " + v.unusable}};
  std::vector<SchemaError> out;
  for (auto& e : v.errors) out.push_back(SchemaError{std::move(e.pointer), std::move(e.message)});
  return out;
}

void apply_defaults(const json::value& schema, json::value& doc) { defaults_into(schema, doc); }

namespace {
json::value parse_object(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) throw Error(ACCORD_ERROR, "config: must be a JSON object");
  return v;
}
}  // namespace

Config::Config(std::string_view config_json, const json::value& schema) : Config(parse_object(config_json), schema) {}

Config::Config(json::value doc, const json::value& schema) : doc_(std::move(doc)) {
  if (!doc_.is_object()) throw Error(ACCORD_ERROR, "config: must be a JSON object");
  std::vector<SchemaError> errors = schema_errors(schema, doc_);
  if (!errors.empty()) {
    std::string m;
    for (size_t i = 0; i < errors.size() && i < 10; ++i)
      m += (i ? "\n" : "") + std::string("config: ") + (errors[i].pointer.empty() ? "/" : errors[i].pointer) + ": " +
           errors[i].message + expected(schema, errors[i].pointer);
    throw Error(ACCORD_ERROR, m);
  }
  given_ = doc_;
  apply_defaults(schema, doc_);
}

bool Config::given(std::string_view pointer) const {
  boost::system::error_code ec;
  return pointer.empty() || given_.find_pointer(pointer, ec) != nullptr;
}

const json::value* Config::find(std::string_view pointer) const {
  if (pointer.empty()) return &doc_;
  boost::system::error_code ec;
  const json::value* v = doc_.find_pointer(pointer, ec);
  return ec ? nullptr : v;
}

namespace {
[[noreturn]] void mistyped(std::string_view pointer, const char* want) { Config::fail(pointer, std::string("must be ") + want); }
}  // namespace

std::string Config::str(std::string_view pointer, const std::string& fallback) const {
  const json::value* v = find(pointer);
  if (!v || v->is_null()) return fallback;
  if (!v->is_string()) mistyped(pointer, "a string");
  return std::string(v->get_string());
}

int64_t Config::integer(std::string_view pointer, int64_t fallback) const {
  const json::value* v = find(pointer);
  if (!v || v->is_null()) return fallback;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->get_uint64());
  if (v->is_double() && v->get_double() == static_cast<double>(static_cast<int64_t>(v->get_double())))
    return static_cast<int64_t>(v->get_double());
  mistyped(pointer, "an integer");
}

double Config::number(std::string_view pointer, double fallback) const {
  const json::value* v = find(pointer);
  if (!v || v->is_null()) return fallback;
  if (!v->is_number()) mistyped(pointer, "a number");
  return v->to_number<double>();
}

bool Config::boolean(std::string_view pointer, bool fallback) const {
  const json::value* v = find(pointer);
  if (!v || v->is_null()) return fallback;
  if (!v->is_bool()) mistyped(pointer, "true or false");
  return v->get_bool();
}

std::vector<std::string> Config::strings(std::string_view pointer) const {
  std::vector<std::string> out;
  const json::value* v = find(pointer);
  if (!v || v->is_null()) return out;
  if (!v->is_array()) mistyped(pointer, "an array of strings");
  for (const auto& e : v->get_array()) {
    if (!e.is_string()) mistyped(pointer, "an array of strings");
    out.emplace_back(e.get_string());
  }
  return out;
}

std::filesystem::path Config::path(std::string_view pointer) const {
  std::string p = str(pointer);
  if (p.rfind("~/", 0) == 0)
    if (const char* home = std::getenv("HOME")) return std::filesystem::path(home) / p.substr(2);
  return p;
}

void Config::fail(std::string_view pointer, const std::string& message) {
  throw Error(ACCORD_ERROR, "config: " + (pointer.empty() ? std::string("/") : std::string(pointer)) + ": " + message);
}

}  // namespace accord::kit
