// SPDX-License-Identifier: Apache-2.0
// JSON Schema (draft-07) checks, the one copy the pipeline loader (pipelines,
// the admin file, each connector's config_schema) and the connector kit
// (kit::Config) use: valijson is the authority; on top of it, where a schema
// cannot be used, the place in it that is at fault (valijson says what, not
// where), and the common mistakes in words a person can act on: the type
// expected, an enum's allowed values with the nearest one, the nearest known
// key for an unknown one, a missing required key, a number out of range.
// The words never accept what the schema refuses; they may leave a mistake
// to valijson's words.
//
// C++17 (the kit is), Boost.JSON header-only (its implementation comes from
// whoever links this), valijson built to throw (VALIJSON_USE_EXCEPTIONS, in
// the one source that includes it: without it valijson prints a line and
// abort()s on a schema it cannot use). Thread safety: pure functions.
#ifndef ACCORD_JSON_SCHEMA_HPP
#define ACCORD_JSON_SCHEMA_HPP

#include <boost/json/value.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace accord::json_schema {

// One way a document breaks its schema: where (a JSON pointer into the
// document; "" is the whole document) and why.
struct SchemaMessage {
  std::string pointer;
  std::string message;
};

enum class Words {
  kValidator,  // valijson's own words
  kPeople,     // the common mistakes said as explain_schema says them
};

struct Verdict {
  // Why the schema itself cannot be used, with the place in the schema when
  // it can be found ("at /properties/size/type: JSON value is not a
  // string."); "" when it can be used. Then `errors` is empty.
  std::string unusable;
  // kValidator: valijson's words, the most specific per pointer, a parent
  // left out when one of its children explains it.
  // kPeople: explain_schema's messages first, then valijson's words where
  // those say nothing at or below its pointer (a pattern a value the schema
  // describes does not match: "does not have the expected form: <its
  // description>").
  std::vector<SchemaMessage> errors;
  bool valid() const { return unusable.empty() && errors.empty(); }
};

// Checks `doc` against `schema` (local "$ref"s resolved within it). Parses
// the schema each call: to check many documents, parse it once as a Schema.
Verdict check(const boost::json::value& schema, const boost::json::value& doc, Words words = Words::kValidator);

// A schema parsed once, to check many documents against it (the conformance
// kit checks every answer of a connector so). Thread safety: check() is const
// and may be called from any thread at once.
class Schema {
 public:
  // Resolves a "$ref" to another document: given the URI as the schema
  // writes it ("record.schema.json#/definitions/x" less its fragment, or a
  // full "$id"), that document, or nullptr (then the schema is unusable).
  // Asked during construction only; what it answers must live that long.
  using Refs = std::function<const boost::json::value*(const std::string& uri)>;

  explicit Schema(const boost::json::value& schema, Refs refs = {});
  ~Schema();
  Schema(Schema&&) noexcept;
  Schema& operator=(Schema&&) noexcept;

  // Why the schema cannot be used, as Verdict::unusable; "" when it can.
  const std::string& unusable() const;
  // As check(schema, doc, words) above.
  Verdict check(const boost::json::value& doc, Words words = Words::kValidator) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The common mistakes of `doc` against `schema`, in words (empty when it
// finds none; valijson may still find some).
std::vector<SchemaMessage> explain_schema(const boost::json::value& schema, const boost::json::value& doc);

// The schema node that describes the value at `pointer` in a document
// (through "properties", "additionalProperties", "items" and local
// "$ref"s), or nullptr when the schema does not say.
const boost::json::value* schema_at(const boost::json::value& schema, std::string_view pointer);

// Levenshtein distance, for "did you mean".
std::size_t edit_distance(std::string_view a, std::string_view b);

// The nearest of `known` to `want`, when it is close enough to be a typing
// mistake ("" otherwise).
std::string nearest(std::string_view want, const std::vector<std::string>& known);

}  // namespace accord::json_schema

#endif  // ACCORD_JSON_SCHEMA_HPP
