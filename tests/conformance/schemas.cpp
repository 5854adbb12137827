// SPDX-License-Identifier: Apache-2.0
// The SDK's schemas compiled in, each parsed once with libs/json's
// json_schema::Schema (valijson, draft-07, as the pipeline loader and the
// kit's Config check theirs): see schemas.hpp.
#include "schemas.hpp"

#include <boost/json.hpp>

#include <stdexcept>
#include <utility>

extern const std::pair<std::string_view, std::string_view> kAccordSchemas[];
extern const unsigned kAccordSchemaCount;

namespace json = boost::json;

namespace accord::conformance {

namespace {
constexpr std::string_view kSuffix = ".schema.json";
}  // namespace

Schemas::Schemas() {
  for (unsigned i = 0; i < kAccordSchemaCount; ++i) {
    auto [file, text] = kAccordSchemas[i];
    std::string name(file.substr(0, file.size() - kSuffix.size()));
    docs_.emplace(name, json::parse(text));
  }
  // A $ref to another file ("record.schema.json", or its full $id) is
  // resolved among the files compiled in.
  auto refs = [this](const std::string& uri) -> const json::value* {
    std::string file = uri.substr(uri.rfind('/') == std::string::npos ? 0 : uri.rfind('/') + 1);
    if (!file.ends_with(kSuffix)) return nullptr;
    auto it = docs_.find(file.substr(0, file.size() - kSuffix.size()));
    return it == docs_.end() ? nullptr : &it->second;
  };
  for (const auto& [name, doc] : docs_) {
    json_schema::Schema schema(doc, refs);
    if (!schema.unusable().empty())  // the SDK's own schemas: a fault of this build, never of a connector
      throw std::logic_error(name + std::string(kSuffix) + " is not a usable schema: " + schema.unusable());
    compiled_.emplace(name, std::move(schema));
  }
}

Schemas::~Schemas() = default;

const Schemas& Schemas::get() {
  static const Schemas s;
  return s;
}

std::vector<std::string> Schemas::names() const {
  std::vector<std::string> out;
  for (const auto& [n, s] : compiled_) out.push_back(n);
  return out;
}

std::string Schemas::for_canonical(std::string_view canonical) {
  if (canonical == "jscontact") return "contact";
  if (canonical == "jscalendar-event") return "event";
  if (canonical == "jscalendar-task") return "task";
  if (canonical == "jmap-email") return "message";
  if (canonical == "note") return "note";
  return "";
}

std::vector<std::string> Schemas::validate(std::string_view name, const json::value& doc) const {
  auto it = compiled_.find(name);
  if (it == compiled_.end()) throw std::invalid_argument("no schema named " + std::string(name));
  // One line per pointer, the deepest reason, a parent left out when a child
  // explains it (valijson reports the enclosing "allOf"/"items" failures too).
  json_schema::Verdict v = it->second.check(doc);
  std::vector<std::string> out;
  for (const auto& e : v.errors) out.push_back((e.pointer.empty() ? "/" : e.pointer) + ": " + e.message);
  if (!v.unusable.empty()) out.push_back("/: " + std::string(name) + ".schema.json cannot be used: " + v.unusable);
  return out;
}

}  // namespace accord::conformance
