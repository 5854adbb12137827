// SPDX-License-Identifier: Apache-2.0
#include "engine/three_way_merge.hpp"

#include <accord/time/rest_time.hpp>

#include <set>

namespace json = boost::json;

namespace accord {

namespace {

// A field's value, where it has one (null: none); read in place, copied
// only into the result (issue 24: each comparison copied both values).
const json::value* at(const Fields* f, const std::string& k) {
  if (!f) return nullptr;
  auto it = f->find(k);
  if (it == f->end() || it->second.is_null()) return nullptr;
  return &it->second;
}
std::optional<json::value> get(const json::value* v) { return v ? std::optional<json::value>(*v) : std::nullopt; }
// Equal as two optional values are: both none, or both equal values (one
// value, an implicit base that is the row's own form, without a walk).
bool same(const json::value* a, const json::value* b) { return !a || !b || a == b ? a == b : *a == *b; }

bool changed(const Fields* now, const Fields* base, const Fields* base_any) {
  // a record with no base at all is "changed" wherever it has a value
  (void)base_any;
  if (!base) return now && !now->empty();
  if (!now) return true;
  std::set<std::string> keys;
  for (const auto& [k, v] : *now) keys.insert(k);
  for (const auto& [k, v] : *base) keys.insert(k);
  for (const auto& k : keys)
    if (!same(at(now, k), at(base, k))) return true;
  return false;
}

// RFC 3339 timestamps from one connector share a format; across connectors
// they may differ in fractions and zone. Compare them as instants (to the
// microsecond); text that is not a timestamp, as text.
bool newer_or_equal(const std::string& a, const std::string& b) {
  auto ta = utc::parse_iso8601_us(a), tb = utc::parse_iso8601_us(b);
  if (ta && tb) return *ta >= *tb;
  auto norm = [](const std::string& t) {
    std::string s = t;
    if (s.ends_with("Z")) s.pop_back();
    if (auto plus = s.find('+', 10); plus != std::string::npos) s = s.substr(0, plus);
    if (s.size() > 19 && s[19] == '.') {
      std::string frac = s.substr(20);
      s = s.substr(0, 19) + "." + (frac + "000000").substr(0, 6);
    } else if (s.size() == 19) {
      s += ".000000";
    }
    return s;
  };
  return norm(a) >= norm(b);
}

}  // namespace

MergeResult three_way_merge(const MergeInput& in) {
  MergeResult out;
  const bool linked = in.base_left || in.base_right;
  if (!in.left && !in.right) {
    out.both_deleted = true;
    return out;
  }
  if (!in.left || !in.right) {
    // One side deleted (only meaningful for a linked pair).
    Side deleter = in.left ? Side::kRight : Side::kLeft;
    const Fields* survivor = in.left ? in.left : in.right;
    const Fields* survivor_base = in.left ? in.base_left : in.base_right;
    bool survivor_changed = linked && changed(survivor, survivor_base, nullptr);
    bool deleter_wins = (in.policy == Policy::kLeftWins && deleter == Side::kLeft) ||
                        (in.policy == Policy::kRightWins && deleter == Side::kRight);
    if (!survivor_changed || deleter_wins) {
      (deleter == Side::kLeft ? out.delete_right : out.delete_left) = true;
    } else {
      (deleter == Side::kLeft ? out.recreate_left : out.recreate_right) = true;
      out.conflicts.push_back({"(record)", std::nullopt, std::nullopt, std::nullopt, other(deleter),
                               "deleted on the " + std::string(side_name(deleter)) + ", changed on the " +
                                   side_name(other(deleter)) + ": the change wins"});
    }
    return out;
  }

  // Every field of the four forms once, in key order: the four maps (sorted
  // already) walked side by side, each field's values read where they stand
  // (issue 24: the keys were copied into a set, each value found again).
  static const Fields kNone;
  const Fields* forms[4] = {in.left, in.right, in.base_left, in.base_right};
  Fields::const_iterator pos[4], end[4];
  for (int i = 0; i < 4; ++i) {
    pos[i] = (forms[i] ? *forms[i] : kNone).begin();
    end[i] = (forms[i] ? *forms[i] : kNone).end();
  }
  for (;;) {
    const std::string* key = nullptr;
    for (int i = 0; i < 4; ++i)
      if (pos[i] != end[i] && (!key || pos[i]->first < *key)) key = &pos[i]->first;
    if (!key) break;
    const json::value* val[4] = {};  // (at(): null is none)
    for (int i = 0; i < 4; ++i)
      if (pos[i] != end[i] && pos[i]->first == *key) {
        if (!pos[i]->second.is_null()) val[i] = &pos[i]->second;
        ++pos[i];  // (the key's node stays where it is)
      }
    const std::string& k = *key;
    const json::value *l = val[0], *r = val[1];
    bool cl = linked ? !same(l, val[2]) : l != nullptr;
    bool cr = linked ? !same(r, val[3]) : r != nullptr;
    if (in.flows_to) {
      if (!in.flows_to(k, Side::kRight)) cl = false;  // left's edits of this field stay on the left
      if (!in.flows_to(k, Side::kLeft)) cr = false;
    }
    if (!cl && !cr) continue;
    if (cl && !cr) {
      if (!same(l, r)) out.to_right[k] = get(l);
      continue;
    }
    if (!cl && cr) {
      if (!same(l, r)) out.to_left[k] = get(r);
      continue;
    }
    if (same(l, r)) continue;  // both changed it the same way
    FieldConflict c{k, get(l), get(r), get(val[2]), std::nullopt, ""};
    if (in.owners && in.owners->contains(k)) {
      c.winner = in.owners->at(k);
      c.reason = "owner";
    } else if (in.decided && in.decided->contains(k)) {
      c.winner = in.decided->at(k);
      c.reason = "decided";
    } else {
      switch (in.policy) {
        case Policy::kLeftWins: c.winner = Side::kLeft; c.reason = "left-wins"; break;
        case Policy::kRightWins: c.winner = Side::kRight; c.reason = "right-wins"; break;
        case Policy::kNewest:
          c.winner = newer_or_equal(in.left_modified, in.right_modified) ? Side::kLeft : Side::kRight;
          c.reason = "newest";
          break;
        case Policy::kKeepBoth:
          c.winner = Side::kLeft;
          c.reason = "keep-both";
          out.keep_both = true;
          break;
        case Policy::kManual: c.reason = "manual"; break;
      }
    }
    if (!c.winner) out.manual_fields.push_back(k);
    else if (*c.winner == Side::kLeft) out.to_right[k] = c.left;
    else out.to_left[k] = c.right;
    out.conflicts.push_back(std::move(c));
  }
  return out;
}

}  // namespace accord
