// Schema errors in words a person can act on: a walk of a document against
// the JSON Schema (draft-07) that checks it, saying for each mistake what is
// expected there: the type, the allowed values of an enum (with the nearest
// one), the nearest known key for an unknown one, a required key that is
// missing, a number out of range. valijson stays the authority (it checks
// everything, patterns and all): this walk only words the common mistakes.
// It must never accept what the schema refuses; it may leave a mistake for
// valijson to report.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace accord {

// Levenshtein distance, for "did you mean".
size_t edit_distance(std::string_view a, std::string_view b);

// The nearest of `known` to `want`, when it is close enough to be a typing
// mistake ("" otherwise).
std::string nearest(std::string_view want, const std::vector<std::string>& known);

struct SchemaMessage {
  std::string pointer;  // JSON pointer into the document, "" for the root
  std::string message;
};

// The mistakes of `doc` against `schema` (local "$ref"s resolved within it).
std::vector<SchemaMessage> explain_schema(const boost::json::value& schema, const boost::json::value& doc);

}  // namespace accord
