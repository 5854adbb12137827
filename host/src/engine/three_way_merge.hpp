// SPDX-License-Identifier: Apache-2.0
// The three-way merge of one linked pair of records: pure, no I/O.
//
// Each side is compared with its own base (its pair form when the pair was
// last in accord), field by field: a field changed on one side is copied to
// the other; changed on both to different values is a conflict, settled by
// the field's owner, else by the policy. A record deleted on one side and
// unchanged on the other is deleted there; deleted on one side and changed on
// the other comes back (no data is lost) unless the policy names the deleting
// side as the winner.
#pragma once

#include "mapping/field_map.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace accord {

struct FieldConflict {
  std::string field;
  std::optional<boost::json::value> left, right, base;
  std::optional<Side> winner;  // nullopt: left for a person to decide (manual)
  std::string reason;          // "owner", "newest", "left-wins", …
};

struct MergeInput {
  const Fields* base_left = nullptr;   // nullptr: never in accord (first match)
  const Fields* base_right = nullptr;
  const Fields* left = nullptr;        // nullptr: deleted on that side
  const Fields* right = nullptr;
  std::string left_modified, right_modified;  // RFC 3339, for "newest"
  Policy policy = Policy::kNewest;
  const std::map<std::string, Side>* owners = nullptr;
  const std::map<std::string, Side>* decided = nullptr;  // manual decisions: field → winner
  std::function<bool(const std::string& field, Side target)> flows_to;  // rule directions
};

using Changes = std::map<std::string, std::optional<boost::json::value>>;

struct MergeResult {
  Changes to_left, to_right;  // fields to write on each side (nullopt: remove)
  std::vector<FieldConflict> conflicts;
  bool delete_left = false, delete_right = false;
  bool both_deleted = false;
  bool recreate_left = false, recreate_right = false;  // the side deleted it; the other changed it
  bool keep_both = false;  // keep-both: the loser's version must be kept as a new pair
  std::vector<std::string> manual_fields;  // unresolved: their base must not move
  bool nothing() const {
    return to_left.empty() && to_right.empty() && !delete_left && !delete_right && !both_deleted && !recreate_left &&
           !recreate_right && !keep_both;
  }
};

MergeResult three_way_merge(const MergeInput& in);

}  // namespace accord
