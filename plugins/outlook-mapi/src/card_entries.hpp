// SPDX-License-Identifier: Apache-2.0
// JSContact's id-keyed maps (emails {"e1": …}, phones {"p1": …}) both ways:
// put() appends an entry under the next id of a prefix, entries() gives a
// map's entries in the order their ids sort as JSContact ids do ("e2"
// before "e10"), so that a card read from Outlook numbers its entries as the
// formats lib numbers a vCard's.
//
// Header-only; pure functions; any thread.
#pragma once

#include <boost/json.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace outlook::cards {

inline void put(boost::json::object& card, const char* key, const char* prefix, boost::json::object v) {
  boost::json::value& slot = card[key];
  if (!slot.is_object()) slot = boost::json::object();
  boost::json::object& m = slot.as_object();
  m[prefix + std::to_string(m.size() + 1)] = std::move(v);
}

inline std::vector<const boost::json::object*> entries(const boost::json::object& card, const char* key) {
  std::vector<std::pair<std::string, const boost::json::object*>> v;
  if (auto* m = card.if_contains(key); m && m->is_object())
    for (const auto& [id, e] : m->get_object())
      if (e.is_object()) v.emplace_back(std::string(id), &e.get_object());
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.first.size() != b.first.size() ? a.first.size() < b.first.size() : a.first < b.first;
  });
  std::vector<const boost::json::object*> out;
  out.reserve(v.size());
  for (auto& e : v) out.push_back(e.second);
  return out;
}

}  // namespace outlook::cards
