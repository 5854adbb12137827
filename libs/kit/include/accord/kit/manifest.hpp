// SPDX-License-Identifier: Apache-2.0
// accord/kit/manifest.hpp — a connector's manifest (docs/sdk.md#the-manifest)
// built from parts rather than pasted together, and kept as the static text
// the connector table points at, with its config schema at hand for
// kit::Config.
//
//   static const kit::Manifest& manifest() {
//     static const kit::Manifest m = kit::ManifestBuilder("memo", "Memo", "1.0.0", "Notes in memory.")
//         .stream(kit::StreamInfo("note", "note").with_fields({"/title", "/body"}))
//         .config_schema(R"({"type": "object", "properties": {…}})")
//         .build();
//     return m;
//   }
//   ACCORD_CONNECTOR(Memo, manifest().c_str(), caps)
//
// Part of the connector kit (C++17). Thread safety: a built Manifest is
// immutable.
#ifndef ACCORD_KIT_MANIFEST_HPP
#define ACCORD_KIT_MANIFEST_HPP

#include <accord/kit/config.hpp>

#include <boost/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace accord::kit {

// One stream of the manifest.
struct StreamInfo {
  StreamInfo(std::string name, std::string canonical) : name(std::move(name)), canonical(std::move(canonical)) {}
  std::string name, canonical;  // canonical: jscontact, jscalendar-event, jscalendar-task, jmap-email, note; "" custom
  std::vector<std::string> fields;    // JSON pointers of the canonical fields kept
  std::vector<std::string> lazy;      // top-level pointers only fetch() gives ("/raw")
  std::string lazy_size;              // pointer to the lazy fields' size ("/size")
  std::vector<std::string> identity;  // pointers that pick out a record when the store renumbers it
  std::vector<std::string> read_only;  // pointers among `fields` read but never written (the service sets them)
  std::vector<std::string> placement;  // pointers among `fields` saying where a record sits ("/mailboxIds"): a move

  StreamInfo& with_fields(std::vector<std::string> f) { fields = std::move(f); return *this; }
  StreamInfo& with_lazy(std::vector<std::string> l, std::string size_pointer = "") {
    lazy = std::move(l);
    lazy_size = std::move(size_pointer);
    return *this;
  }
  StreamInfo& with_identity(std::vector<std::string> i) { identity = std::move(i); return *this; }
  StreamInfo& with_read_only(std::vector<std::string> r) { read_only = std::move(r); return *this; }
  StreamInfo& with_placement(std::vector<std::string> p) { placement = std::move(p); return *this; }
  boost::json::object to_json() const;
};

class Manifest {
 public:
  explicit Manifest(boost::json::object doc);
  const char* c_str() const { return text_.c_str(); }
  const std::string& text() const { return text_; }
  const boost::json::object& json() const { return doc_.get_object(); }
  const boost::json::value& config_schema() const { return schema_; }
  // The configuration read through config_schema (see kit::Config).
  Config config(std::string_view config_json) const { return Config(config_json, schema_); }

 private:
  boost::json::value doc_;
  boost::json::value schema_;
  std::string text_;
};

class ManifestBuilder {
 public:
  // id: [a-z][a-z0-9-]{0,63}, unique among installed connectors.
  ManifestBuilder(std::string id, std::string name, std::string version, std::string description);
  ManifestBuilder& stream(const StreamInfo& s);
  // The configuration may name streams beyond those listed.
  ManifestBuilder& custom_streams(bool on = true);
  // The config keys whose values pick out the store a configuration works on.
  ManifestBuilder& store_identity(std::vector<std::string> keys);
  // A JSON Schema (text or value) of the configuration; throws
  // std::invalid_argument when the text is not a JSON object.
  ManifestBuilder& config_schema(std::string_view schema_json);
  ManifestBuilder& config_schema(const char* schema_json) { return config_schema(std::string_view(schema_json)); }
  ManifestBuilder& config_schema(boost::json::value schema);
  // Any other member, as it is.
  ManifestBuilder& set(std::string_view key, boost::json::value v);
  Manifest build() const;

 private:
  boost::json::object doc_;
  boost::json::array streams_;
};

}  // namespace accord::kit

#endif  // ACCORD_KIT_MANIFEST_HPP
