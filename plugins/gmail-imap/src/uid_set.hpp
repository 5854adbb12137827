// SPDX-License-Identifier: Apache-2.0
// Sets of message UIDs as IMAP writes them ("1:5,7,9:12"): what a folder's
// cursor remembers and what commands ask for. Kept as sorted, disjoint,
// inclusive ranges, so that a folder of 100,000 mostly consecutive UIDs is a
// few bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace imap {

class UidSet {
 public:
  UidSet() = default;
  // nullopt for text that is not a UID set (no "*": stored sets are concrete).
  static std::optional<UidSet> parse(std::string_view text);
  static UidSet of(std::vector<uint32_t> uids);  // any order, duplicates allowed

  void add(uint32_t uid);
  bool contains(uint32_t uid) const;
  size_t size() const;
  bool empty() const { return ranges_.empty(); }
  uint32_t max() const { return ranges_.empty() ? 0 : ranges_.back().second; }
  std::vector<uint32_t> values() const;
  UidSet minus(const UidSet& other) const;
  UidSet plus(const UidSet& other) const;
  UidSet both(const UidSet& other) const;  // the UIDs in this set and in other
  std::string text() const;  // "" when empty
  // The first n UIDs (in order) as a set, and the rest.
  std::pair<UidSet, UidSet> split(size_t n) const;

  bool operator==(const UidSet&) const = default;

 private:
  explicit UidSet(std::vector<std::pair<uint32_t, uint32_t>> ranges) : ranges_(std::move(ranges)) {}
  void append(uint32_t lo, uint32_t hi);  // a range from at or after the last one's start

  std::vector<std::pair<uint32_t, uint32_t>> ranges_;
};

}  // namespace imap
