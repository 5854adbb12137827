// SPDX-License-Identifier: Apache-2.0
// The manifest builder (see accord/kit/manifest.hpp).
#include <accord/kit/manifest.hpp>

#include <stdexcept>

namespace json = boost::json;

namespace accord::kit {

namespace {
json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}
}  // namespace

json::object StreamInfo::to_json() const {
  json::object o{{"name", name}};
  if (!canonical.empty()) o["canonical"] = canonical;
  if (!lazy.empty()) o["lazy"] = strings(lazy);
  if (!lazy_size.empty()) o["lazy_size"] = lazy_size;
  if (!identity.empty()) o["identity"] = strings(identity);
  if (!read_only.empty()) o["read_only"] = strings(read_only);
  if (!placement.empty()) o["placement"] = strings(placement);
  o["fields"] = strings(fields);
  return o;
}

Manifest::Manifest(json::object doc) : doc_(std::move(doc)), text_(json::serialize(doc_)) {
  if (auto* s = doc_.get_object().if_contains("config_schema")) schema_ = *s;
  else schema_ = json::object{{"type", "object"}};
}

ManifestBuilder::ManifestBuilder(std::string id, std::string name, std::string version, std::string description)
    : doc_{{"id", std::move(id)}, {"name", std::move(name)}, {"version", std::move(version)},
           {"description", std::move(description)}} {}

ManifestBuilder& ManifestBuilder::stream(const StreamInfo& s) {
  streams_.push_back(s.to_json());
  return *this;
}

ManifestBuilder& ManifestBuilder::custom_streams(bool on) {
  doc_["custom_streams"] = on;
  return *this;
}

ManifestBuilder& ManifestBuilder::store_identity(std::vector<std::string> keys) {
  doc_["store_identity"] = strings(keys);
  return *this;
}

ManifestBuilder& ManifestBuilder::config_schema(std::string_view schema_json) {
  boost::system::error_code ec;
  json::value v = json::parse(schema_json, ec);
  if (ec || !v.is_object()) throw std::invalid_argument("the config schema is not a JSON object");
  return config_schema(std::move(v));
}

ManifestBuilder& ManifestBuilder::config_schema(json::value schema) {
  doc_["config_schema"] = std::move(schema);
  return *this;
}

ManifestBuilder& ManifestBuilder::set(std::string_view key, json::value v) {
  doc_[key] = std::move(v);
  return *this;
}

Manifest ManifestBuilder::build() const {
  json::object doc = doc_;
  doc["streams"] = streams_;
  return Manifest(std::move(doc));
}

}  // namespace accord::kit
