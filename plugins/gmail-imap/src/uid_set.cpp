// SPDX-License-Identifier: Apache-2.0
#include "uid_set.hpp"

#include <algorithm>
#include <charconv>

namespace imap {

// Adds [lo, hi], which starts at or after the last range does (joined to it
// where they touch; UID 4294967295 has no next one).
void UidSet::append(uint32_t lo, uint32_t hi) {
  if (!ranges_.empty() && lo <= uint64_t{ranges_.back().second} + 1)
    ranges_.back().second = std::max(ranges_.back().second, hi);
  else
    ranges_.emplace_back(lo, hi);
}

std::optional<UidSet> UidSet::parse(std::string_view text) {
  std::vector<uint32_t> all;
  UidSet out;
  if (text.empty()) return out;
  size_t i = 0;
  auto number = [&](uint32_t& v) {
    auto r = std::from_chars(text.data() + i, text.data() + text.size(), v);
    if (r.ec != std::errc() || v == 0) return false;
    i = static_cast<size_t>(r.ptr - text.data());
    return true;
  };
  std::vector<std::pair<uint32_t, uint32_t>> ranges;
  for (;;) {
    uint32_t a, b;
    if (!number(a)) return std::nullopt;
    b = a;
    if (i < text.size() && text[i] == ':') {
      ++i;
      if (!number(b)) return std::nullopt;
      if (b < a) std::swap(a, b);
    }
    ranges.emplace_back(a, b);
    if (i == text.size()) break;
    if (text[i] != ',') return std::nullopt;
    ++i;
  }
  std::sort(ranges.begin(), ranges.end());
  for (auto& r : ranges) out.append(r.first, r.second);
  return out;
}

UidSet UidSet::of(std::vector<uint32_t> uids) {
  if (!std::is_sorted(uids.begin(), uids.end())) std::sort(uids.begin(), uids.end());
  UidSet out;
  for (uint32_t u : uids)
    if (u != 0) out.append(u, u);
  return out;
}

void UidSet::add(uint32_t uid) {
  if (uid == 0 || contains(uid)) return;
  if (!ranges_.empty() && uid == ranges_.back().second + 1) {
    ranges_.back().second = uid;
    return;
  }
  std::vector<std::pair<uint32_t, uint32_t>> one{{uid, uid}};
  *this = plus(UidSet(std::move(one)));
}

bool UidSet::contains(uint32_t uid) const {
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), std::make_pair(uid, UINT32_MAX));
  if (it == ranges_.begin()) return false;
  --it;
  return uid >= it->first && uid <= it->second;
}

size_t UidSet::size() const {
  size_t n = 0;
  for (auto& r : ranges_) n += size_t(r.second) - r.first + 1;
  return n;
}

std::vector<uint32_t> UidSet::values() const {
  std::vector<uint32_t> out;
  out.reserve(size());
  for (auto& r : ranges_)
    for (uint64_t u = r.first; u <= r.second; ++u) out.push_back(static_cast<uint32_t>(u));
  return out;
}

// The set operations walk both sets' ranges side by side: as many steps as
// ranges, not UIDs (a folder's 10,000 UIDs are mostly one range).

UidSet UidSet::minus(const UidSet& other) const {
  UidSet out;
  size_t j = 0;
  const auto& o = other.ranges_;
  for (auto [lo, hi] : ranges_) {
    uint64_t from = lo;  // what is left of [lo, hi] to look at
    while (j < o.size() && o[j].second < from) ++j;
    for (size_t k = j; k < o.size() && o[k].first <= hi && from <= hi; ++k) {
      if (o[k].first > from) out.append(static_cast<uint32_t>(from), o[k].first - 1);
      from = std::max<uint64_t>(from, uint64_t{o[k].second} + 1);
    }
    if (from <= hi) out.append(static_cast<uint32_t>(from), hi);
  }
  return out;
}

UidSet UidSet::plus(const UidSet& other) const {
  UidSet out;
  const auto &a = ranges_, &b = other.ranges_;
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    bool take_a = j == b.size() || (i < a.size() && a[i].first <= b[j].first);
    auto r = take_a ? a[i++] : b[j++];
    out.append(r.first, r.second);
  }
  return out;
}

UidSet UidSet::both(const UidSet& other) const {
  UidSet out;
  const auto &a = ranges_, &b = other.ranges_;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    uint32_t lo = std::max(a[i].first, b[j].first), hi = std::min(a[i].second, b[j].second);
    if (lo <= hi) out.append(lo, hi);
    if (a[i].second < b[j].second) ++i;
    else ++j;
  }
  return out;
}

std::string UidSet::text() const {
  std::string out;
  for (auto& r : ranges_) {
    if (!out.empty()) out += ',';
    out += std::to_string(r.first);
    if (r.second != r.first) out += ':' + std::to_string(r.second);
  }
  return out;
}

std::pair<UidSet, UidSet> UidSet::split(size_t n) const {
  UidSet head, tail;
  for (auto r : ranges_) {
    size_t have = head.size();
    if (have >= n) {
      tail.ranges_.push_back(r);
      continue;
    }
    size_t room = n - have, len = size_t(r.second) - r.first + 1;
    if (len <= room) {
      head.ranges_.push_back(r);
    } else {
      head.ranges_.emplace_back(r.first, r.first + static_cast<uint32_t>(room) - 1);
      tail.ranges_.emplace_back(r.first + static_cast<uint32_t>(room), r.second);
    }
  }
  return {head, tail};
}

}  // namespace imap
