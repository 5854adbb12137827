// SPDX-License-Identifier: Apache-2.0
// Matching: who is whom among the unlinked records of two sides. Pure: two
// pools of candidates and the pair's match keys in, pairs of pool indexes
// out; no state, no I/O. A record is a candidate when it is included; a
// group of records sharing a key links only where it holds exactly one
// record of each side and one of them is dirty (changed since the last run);
// a larger group is ambiguous: held, neither linked nor copied.
#pragma once

#include "engine/engine_types.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace accord {

// What matching needs of the pipeline: its names (a copy's idempotency key
// is derived from them) and the labels of the pair's match keys, in order.
struct MatchSpec {
  std::string pipeline, pair;
  std::vector<std::string> key_labels;
};

// Who matches whom among two pools of candidates: indexes into them.
struct Matching {
  PerSide<std::vector<char>> linked, held;  // by pool index: linked; ambiguous (neither linked nor created)
  std::vector<std::pair<uint32_t, uint32_t>> matches;  // left, right; in left-id order
  std::vector<std::pair<uint32_t, uint32_t>> copies;   // left, right: one is the other's copy (by stored key)
  std::vector<std::string> notes;                      // the ambiguous groups, in words
};

// Reads of each candidate only its id, keys, whether it is dirty and whether
// it is included: a first sync runs it beside the load of its mirror rows.
// Before any match key, a record whose stored idempotency key is another's
// self key is that record's copy; two records that store the same key are
// keep-both's two copies of one record.
Matching find_matches(const PerSide<const std::vector<MirrorRef>*>& pools, const MatchSpec& spec);

}  // namespace accord
