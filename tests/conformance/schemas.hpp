// SPDX-License-Identifier: Apache-2.0
// The SDK's JSON Schemas (sdk/schema), compiled in, and a validator over
// them (libs/json's json_schema::Schema, the one schema check of Accord): the conformance kit checks every answer a connector gives against
// them, and a host test checks that the host's wire parser agrees with them.
// Never used in the host's run path (a sync does not pay for it).
//
// Thread safety: Schemas::get() is built once; validate() is const and may be
// called from any thread.
#pragma once

#include <accord/json/schema.hpp>

#include <boost/json/value.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace accord::conformance {

class Schemas {
 public:
  static const Schemas& get();

  // What is wrong with `doc` against the schema `name` ("batch", "record",
  // "fetch", "ops", "results", "manifest", "contact", "event", "task",
  // "message", "note"), one "POINTER: why" a line; empty when it is valid.
  std::vector<std::string> validate(std::string_view name, const boost::json::value& doc) const;

  // The schema of a stream's canonical form ("jscontact" → "contact"), or
  // "" for a custom stream.
  static std::string for_canonical(std::string_view canonical);

  // The names of the schemas compiled in.
  std::vector<std::string> names() const;

  ~Schemas();

 private:
  Schemas();
  std::map<std::string, boost::json::value, std::less<>> docs_;
  std::map<std::string, json_schema::Schema, std::less<>> compiled_;
};

}  // namespace accord::conformance
