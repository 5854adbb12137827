// SPDX-License-Identifier: Apache-2.0
// Field paths: JSON pointers (RFC 6901) with two selectors for the shapes of
// canonical records, so that pipeline rules can name "the first email
// address" or "the given name":
//
//   /emails/*/address                    * : the first member of an object or array
//   /name/components/[kind=given]/value  [k=v] : the first array element whose k is v
//
// get() reads; set() writes, creating what is missing (an object member "1"
// for *, an element {k: v} for [k=v]); erase() removes the leaf.
#pragma once

#include <accord/status/result.hpp>

#include <boost/json/value.hpp>

#include <string>
#include <vector>

namespace accord {

class FieldPath {
 public:
  static Result<FieldPath> parse(const std::string& text);

  const boost::json::value* get(const boost::json::value& root) const;
  void set(boost::json::value& root, const boost::json::value& v) const;
  void erase(boost::json::value& root) const;

  const std::string& text() const { return text_; }

 private:
  struct Segment {
    enum Kind { kKey, kFirst, kWhere } kind;
    std::string key;    // kKey: the member or index; kWhere: the field
    std::string value;  // kWhere: the value it must have
  };
  std::vector<Segment> segs_;
  std::string text_;
};

}  // namespace accord
