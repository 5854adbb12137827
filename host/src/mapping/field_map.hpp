// SPDX-License-Identifier: Apache-2.0
// The pair form: how the engine sees one record of a stream pair, as a flat
// map of field key → value, the same for both sides. With no rules (both
// sides of one canonical type) a field is a top-level member ("/emails");
// with rules, a field is a rule (keyed by its left path). Values are in the
// left side's terms: right values pass through the rule's transform.
#pragma once

#include "pipeline/pipeline.hpp"

#include <boost/json/object.hpp>

#include <map>
#include <string>
#include <string_view>

namespace accord {

using Fields = std::map<std::string, boost::json::value>;

class FieldMap {
 public:
  explicit FieldMap(const StreamPair& sp) : sp_(sp) {}

  // A side's record data → its pair form.
  Fields to_pair(Side side, const boost::json::object& data) const;
  // Writes `changes` (pair form) into `data` (a side's record, updated in
  // place); fields absent from `changes` are left alone. A change to an
  // absent value (nullopt in the map) erases the field.
  void write(Side side, boost::json::object& data, const std::map<std::string, std::optional<boost::json::value>>& changes) const;
  // The pair form as one text, for a digest: each field with a value, in
  // key order, as key \x1f value-JSON \x1e. Two records have the same text
  // exactly when their pair forms are equal. (With no rules, made without
  // copying the record.)
  void pair_text(Side side, const boost::json::object& data, std::string& out) const;
  // The same, and the record's own text into `text` (as json::serialize
  // writes it): with no rules, each member's value is written once for both.
  void pair_text(Side side, const boost::json::object& data, std::string& out, std::string& text) const;
  // With no rules: the pair text from a record's text and its members with
  // a value (not null), each its key and where its value's text lies in
  // `text` (a first sync's record read without a DOM, wire::Record::text).
  // `members` is put in key order in place.
  struct TextMember {
    std::string_view key;
    size_t at, n;
  };
  static void pair_text_of(std::string_view text, TextMember* members, size_t count, std::string& out);
  // Whether the field's changes may flow toward `target` (rule direction).
  bool flows_to(const std::string& key, Side target) const;

 private:
  const StreamPair& sp_;
};

std::string fields_json(const Fields& f);
Fields fields_from_json(std::string_view text);

}  // namespace accord
