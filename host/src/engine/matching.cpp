// SPDX-License-Identifier: Apache-2.0
#include "engine/matching.hpp"

#include "common/digest.hpp"
#include "engine/keys.hpp"

#include <algorithm>
#include <string_view>
#include <tuple>

namespace accord {

namespace {

Side side_at(uint32_t s) { return s == 0 ? Side::kLeft : Side::kRight; }

const MirrorRef& ref_at(const PerSide<const std::vector<MirrorRef>*>& pools, uint32_t s, uint32_t i) {
  return (*pools[side_at(s)])[i];
}

// Records sharing a key, grouped after sorting (key, side, index): `a`, `mid`
// and `b` bound a group's left and right entries. A group with one record of
// each side links them; more is ambiguous: held, and said in a note that
// `what` begins and `after` ends, handed to `note` with the group's first
// entry.
template <class Entry, class Link, class Note>
void link_groups(const std::vector<Entry>& entries, const PerSide<const std::vector<MirrorRef>*>& pools, Matching& m,
                 const std::string& what, const std::string& after, Link link, Note note) {
  for (size_t a = 0, b; a < entries.size(); a = b) {
    size_t mid = a;
    bool involves_dirty = false;
    for (b = a; b < entries.size() && entries[b].key == entries[a].key; ++b) {
      if (entries[b].side == 0) mid = b + 1;
      involves_dirty = involves_dirty || ref_at(pools, entries[b].side, entries[b].i).dirty;
    }
    if (mid == a || mid == b) continue;  // on one side only: nothing to match
    if (!involves_dirty) continue;
    if (mid - a != 1 || b - mid != 1) {
      std::string who;
      for (size_t e = a; e < b; ++e) {
        who += std::string(entries[e].side == 0 ? " left:" : " right:") + ref_at(pools, entries[e].side, entries[e].i).id();
        m.held[side_at(entries[e].side)][entries[e].i] = 1;
      }
      note(entries[a], what + " (" + std::to_string(mid - a) + " left, " + std::to_string(b - mid) + " right):" + who +
                           after);
      continue;
    }
    link(entries[a].i, entries[mid].i);
  }
}

// Before any match key: copies by the idempotency keys their creates stored
// (see find_matches). Exactly one on each side links them; more (duplicates
// an older version left) is reported and neither linked nor copied again.
// Costs nothing where no record stores a key.
void match_copies(const PerSide<const std::vector<MirrorRef>*>& pools, const MatchSpec& spec, Matching& m) {
  struct Entry {
    KeyBits key;
    uint32_t side, i;
    bool operator<(const Entry& o) const { return std::tie(key, side, i) < std::tie(o.key, o.side, o.i); }
  };
  std::vector<Entry> entries;
  PerSide<bool> stores;  // a side holds copies: the other's self keys are wanted
  size_t n_keys = spec.key_labels.size();
  for (uint32_t s = 0; s < 2; ++s)
    for (uint32_t i = 0; i < pools[side_at(s)]->size(); ++i)
      if (const MirrorRef& r = ref_at(pools, s, i); r.included)
        if (auto k = key_bits(key_part(r.keys(), n_keys))) {
          entries.push_back({*k, s, i});
          stores[side_at(s)] = true;
        }
  if (entries.empty()) return;
  for (uint32_t s = 0; s < 2; ++s)
    if (stores[other(side_at(s))])
      for (uint32_t i = 0; i < pools[side_at(s)]->size(); ++i)
        if (const MirrorRef& r = ref_at(pools, s, i); r.included)
          entries.push_back({derive_key_bits(spec.pipeline, spec.pair, side_at(s), r.id()), s, i});
  std::sort(entries.begin(), entries.end());
  link_groups(entries, pools, m, "more than one copy of one record, by the idempotency key their creates stored",
              "; not linked, not copied again: delete the extra copies, then run again", [&](uint32_t l, uint32_t r) {
                if (m.linked.left[l] || m.linked.right[r]) return;
                m.linked.left[l] = m.linked.right[r] = 1;
                m.copies.emplace_back(l, r);
              },
              [&](const Entry&, std::string note) { m.notes.push_back(std::move(note)); });
}

}  // namespace

Matching find_matches(const PerSide<const std::vector<MirrorRef>*>& pools, const MatchSpec& spec) {
  Matching m;
  for (Side s : kSides) m.linked[s].assign(pools[s]->size(), 0), m.held[s].assign(pools[s]->size(), 0);
  // Records sharing a key are found by sorting (key, side, index): no
  // map of a million strings. The sort goes by a hash of the key first, so
  // that nearly every comparison ends there with no string touched (keys
  // alike in their heads, as "person1…@example.org" are, would compare
  // their texts); what a group decides does not hang on the groups' order,
  // and the notes of the ambiguous ones are put in key order after, which
  // keeps plans deterministic.
  struct Entry {
    uint64_t hash;
    std::string_view key;
    uint32_t side, i;
    bool operator<(const Entry& o) const {
      if (hash != o.hash) return hash < o.hash;
      return std::tie(key, side, i) < std::tie(o.key, o.side, o.i);
    }
  };
  match_copies(pools, spec, m);
  for (size_t k = 0; k < spec.key_labels.size(); ++k) {
    std::vector<Entry> entries;
    for (uint32_t s = 0; s < 2; ++s)
      for (uint32_t i = 0; i < pools[side_at(s)]->size(); ++i)
        if (const MirrorRef& r = ref_at(pools, s, i); !m.linked[side_at(s)][i] && r.included)
          if (std::string_view key = key_part(r.keys(), k); !key.empty())
            entries.push_back({XXH3_64bits(key.data(), key.size()), key, s, i});
    std::sort(entries.begin(), entries.end());
    std::vector<std::pair<std::string_view, std::string>> ambiguous;  // by key
    link_groups(
        entries, pools, m, "ambiguous match on " + spec.key_labels[k], "; not linked, not created",
        [&](uint32_t l, uint32_t r) {
          m.linked.left[l] = m.linked.right[r] = 1;
          m.held.left[l] = m.held.right[r] = 0;
          m.matches.emplace_back(l, r);
        },
        [&](const Entry& e, std::string note) { ambiguous.emplace_back(e.key, std::move(note)); });
    std::sort(ambiguous.begin(), ambiguous.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [key, note] : ambiguous) m.notes.push_back(std::move(note));
  }
  // Settled in left-id order: lookups walk the mirror's key order instead
  // of jumping about (a first sync of a million pairs is bound by this).
  if (m.matches.empty()) return m;
  std::vector<uint32_t> rank(pools.left->size());
  std::vector<uint32_t> order = id_order(*pools.left);
  for (uint32_t k = 0; k < order.size(); ++k) rank[order[k]] = k;
  std::sort(m.matches.begin(), m.matches.end(), [&](const auto& a, const auto& b) { return rank[a.first] < rank[b.first]; });
  return m;
}

}  // namespace accord
