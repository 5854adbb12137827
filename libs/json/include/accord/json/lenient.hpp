// SPDX-License-Identifier: Apache-2.0
// Reading a web API's JSON answers leniently: a member of the wrong type or
// missing reads as empty, never as an exception (APIs leave out what is
// unset, and a record the host cannot read is reported, not fatal). The one
// copy for the REST connectors (google-api, outlook-mapi) and their maps.
//
// Header-only, C++17, Boost.JSON; pure functions; any thread.
#pragma once

#include <boost/json.hpp>

#include <string>
#include <vector>

namespace accord::json_read {

inline std::string str(const boost::json::object& o, const char* k) {
  if (auto* v = o.if_contains(k); v && v->is_string()) return std::string(v->get_string());
  return "";
}

inline const boost::json::array* arr(const boost::json::object& o, const char* k) {
  if (auto* v = o.if_contains(k); v && v->is_array()) return &v->get_array();
  return nullptr;
}

inline const boost::json::object* obj(const boost::json::object& o, const char* k) {
  if (auto* v = o.if_contains(k); v && v->is_object()) return &v->get_object();
  return nullptr;
}

// The members of an array member that are objects (others are passed over).
inline std::vector<const boost::json::object*> objects(const boost::json::object& o, const char* k) {
  std::vector<const boost::json::object*> out;
  if (const boost::json::array* a = arr(o, k))
    for (const auto& v : *a)
      if (v.is_object()) out.push_back(&v.get_object());
  return out;
}

inline bool flag(const boost::json::object* o, const char* k) {
  if (!o) return false;
  auto* v = o->if_contains(k);
  return v && v->is_bool() && v->get_bool();
}

// The strings of an array member (others are passed over).
inline std::vector<std::string> strings(const boost::json::object& o, const char* k) {
  std::vector<std::string> out;
  if (const boost::json::array* a = arr(o, k))
    for (const auto& v : *a)
      if (v.is_string()) out.emplace_back(v.get_string());
  return out;
}

}  // namespace accord::json_read
