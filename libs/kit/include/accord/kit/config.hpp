// SPDX-License-Identifier: Apache-2.0
// accord/kit/config.hpp — a connector's configuration, read through the
// JSON Schema its manifest carries ("config_schema"): validated against it
// with valijson (the validator the host checks pipelines with), the schema's
// "default"s filled in where a value is absent, errors naming the JSON
// pointer ("config: /batch_size: …"). One schema, so no second hand-written
// parser to drift from it: what is left to the connector is only what a
// schema cannot say (two keys that exclude each other, a URL scheme).
//
// Part of the connector kit (C++17). Thread safety: a Config is a value;
// const methods may be called from any thread.
#ifndef ACCORD_KIT_CONFIG_HPP
#define ACCORD_KIT_CONFIG_HPP

#include <accord/connector.hpp>

#include <boost/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace accord::kit {

// One way a document breaks its schema: where (a JSON pointer; "" is the
// whole document) and why (valijson's words, the most specific per pointer).
struct SchemaError {
  std::string pointer;
  std::string message;
};

// The errors of `doc` against `schema` (none: valid). A parent's error is
// left out when one of its children's explains it. An unusable schema is one
// error at "" saying so.
std::vector<SchemaError> schema_errors(const boost::json::value& schema, const boost::json::value& doc);

// Fills in, where absent, the "default" of each property the schema names
// (and, within objects that are present or defaulted, of theirs).
void apply_defaults(const boost::json::value& schema, boost::json::value& doc);

class Config {
 public:
  // Reads config_json against `schema`. Throws accord::Error(ACCORD_ERROR):
  // "config: must be a JSON object", or one line per error,
  // "config: /pointer: why" (at most 10).
  Config(std::string_view config_json, const boost::json::value& schema);
  // The same for a document already parsed (a connector that lays the
  // configuration over a profile of its own first).
  Config(boost::json::value doc, const boost::json::value& schema);
  Config(const char* config_json, const boost::json::value& schema) : Config(std::string_view(config_json), schema) {}

  // The configuration with its defaults.
  const boost::json::object& json() const { return doc_.get_object(); }
  // The value at a JSON pointer ("/oauth2/token_url"), or nullptr.
  const boost::json::value* find(std::string_view pointer) const;
  bool has(std::string_view pointer) const { return find(pointer) != nullptr; }
  // Whether the configuration itself gave the value (not a default).
  bool given(std::string_view pointer) const;
  // Typed reads. An absent (or null) value gives `fallback`; one of another
  // type (where the schema does not say the type) throws
  // accord::Error(ACCORD_ERROR, "config: /pointer: must be a string").
  std::string str(std::string_view pointer, const std::string& fallback = "") const;
  int64_t integer(std::string_view pointer, int64_t fallback = 0) const;
  double number(std::string_view pointer, double fallback = 0) const;
  bool boolean(std::string_view pointer, bool fallback = false) const;
  std::vector<std::string> strings(std::string_view pointer) const;
  // A path: "~/" is the home folder.
  std::filesystem::path path(std::string_view pointer) const;

  // Throws accord::Error(ACCORD_ERROR, "config: <pointer>: <message>"): for
  // the rules the schema cannot say.
  [[noreturn]] static void fail(std::string_view pointer, const std::string& message);

 private:
  boost::json::value doc_;
  boost::json::value given_;  // as written, without defaults
};

}  // namespace accord::kit

#endif  // ACCORD_KIT_CONFIG_HPP
