// SPDX-License-Identifier: Apache-2.0
// The closed set of transforms a mapping rule may name, each a pair of
// functions (toward the right side, toward the left side):
//
//   "lowercase" | "uppercase" | "trim"   normalise, both ways
//   {"e164": {"country_code": "44"}}    phone numbers to +<digits>, both ways
//   {"map": {"Hot": "A", …}, "default": v}   left value ⇄ right value
//   {"constant": v}                     the target always gets v (one-way rules)
//   {"join": " "}                       several left fields ⇄ one right field (concatenate / split)
//   {"date": {"left": F, "right": F}}   F: "iso8601", "date", "epoch", "epoch_ms"
//   {"timezone": {"left": Z, "right": Z}}  local date-time in zone Z ⇄ zone Z (IANA names)
#pragma once

#include <accord/status/result.hpp>

#include <boost/json/value.hpp>

#include <functional>
#include <string>

namespace accord {

struct Transform {
  std::string name = "identity";
  std::function<boost::json::value(const boost::json::value&)> to_right = [](const boost::json::value& v) { return v; };
  std::function<boost::json::value(const boost::json::value&)> to_left = [](const boost::json::value& v) { return v; };
  bool is_constant = false;
  bool is_join = false;
  std::string join_separator;
};

// Parses a rule's "transform" value; the message says what is wrong.
Result<Transform> parse_transform(const boost::json::value& spec);

// Time zones (IANA names, from the system's zoneinfo): the UTC instant of a
// local date-time (seconds as if it were UTC) in `zone`, and whether the
// system knows the zone.
int64_t local_to_utc(int64_t local, const std::string& zone);
bool zone_known(const std::string& zone);

// Normalisers for match keys: "email", "phone", "lowercase", "trim", "name", "exact".
Result<std::function<std::string(const boost::json::value&)>> parse_normaliser(const std::string& name);

}  // namespace accord
