// SPDX-License-Identifier: Apache-2.0
// The SDK's schemas compiled in, validated with valijson (draft-07, the
// validator the pipeline loader uses): see schemas.hpp.
#include "schemas.hpp"

// as in every file of Accord that includes valijson (pipeline.cpp, the kit's
// config.cpp): its inline code must be the same everywhere
#define VALIJSON_USE_EXCEPTIONS 1

#include <accord/json/pointer.hpp>

#include <boost/json.hpp>
#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include <stdexcept>
#include <utility>

extern const std::pair<std::string_view, std::string_view> kAccordSchemas[];
extern const unsigned kAccordSchemaCount;

namespace json = boost::json;

namespace accord::conformance {

namespace {

constexpr std::string_view kSuffix = ".schema.json";

std::string pointer_of(const std::vector<std::string>& ctx) { return accord::json_pointer::from_validator_context(ctx); }

}  // namespace

Schemas::Schemas() {
  for (unsigned i = 0; i < kAccordSchemaCount; ++i) {
    auto [file, text] = kAccordSchemas[i];
    std::string name(file.substr(0, file.size() - kSuffix.size()));
    docs_.emplace(name, json::parse(text));
  }
  // A $ref to another file ("record.schema.json", or its full $id) is
  // resolved among the files compiled in.
  auto fetch = [this](const std::string& uri) -> const json::value* {
    std::string file = uri.substr(uri.rfind('/') == std::string::npos ? 0 : uri.rfind('/') + 1);
    if (!file.ends_with(kSuffix)) return nullptr;
    auto it = docs_.find(file.substr(0, file.size() - kSuffix.size()));
    return it == docs_.end() ? nullptr : &it->second;
  };
  auto release = [](const json::value*) {};
  for (const auto& [name, doc] : docs_) {
    auto schema = std::make_unique<valijson::Schema>();
    valijson::SchemaParser parser;
    valijson::adapters::BoostJsonAdapter adapter(doc);
    parser.populateSchema(adapter, *schema, fetch, release);
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
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::BoostJsonAdapter target(doc);
  if (validator.validate(*it->second, target, &results)) return {};
  // One line per pointer, the deepest reason (valijson reports the
  // enclosing "allOf"/"items" failures too).
  std::vector<std::string> order;
  std::map<std::string, std::string> why;
  valijson::ValidationResults::Error e;
  while (results.popError(e)) {
    std::string ptr = pointer_of(e.context);
    if (!why.contains(ptr)) order.push_back(ptr);
    why[ptr] = e.description;
  }
  std::vector<std::string> out;
  for (const auto& ptr : order) {
    bool has_child = false;
    for (const auto& other : order)
      if (other.size() > ptr.size() && other.compare(0, ptr.size() + 1, ptr + "/") == 0) has_child = true;
    if (!has_child) out.push_back((ptr.empty() ? "/" : ptr) + ": " + why[ptr]);
  }
  if (out.empty()) out.push_back("/: does not match " + std::string(name) + ".schema.json");
  return out;
}

}  // namespace accord::conformance
