// SPDX-License-Identifier: Apache-2.0
#include "uid_set.hpp"

#include <algorithm>
#include <charconv>

namespace imap {

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
  for (auto& r : ranges) {
    if (!out.ranges_.empty() && r.first <= out.ranges_.back().second + 1)
      out.ranges_.back().second = std::max(out.ranges_.back().second, r.second);
    else
      out.ranges_.push_back(r);
  }
  return out;
}

UidSet UidSet::of(std::vector<uint32_t> uids) {
  std::sort(uids.begin(), uids.end());
  UidSet out;
  for (uint32_t u : uids) {
    if (u == 0) continue;
    if (!out.ranges_.empty() && u <= out.ranges_.back().second + 1)
      out.ranges_.back().second = std::max(out.ranges_.back().second, u);
    else
      out.ranges_.emplace_back(u, u);
  }
  return out;
}

void UidSet::add(uint32_t uid) {
  if (uid == 0 || contains(uid)) return;
  if (!ranges_.empty() && uid == ranges_.back().second + 1) {
    ranges_.back().second = uid;
    return;
  }
  std::vector<uint32_t> v = values();
  v.push_back(uid);
  *this = of(std::move(v));
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

UidSet UidSet::minus(const UidSet& other) const {
  std::vector<uint32_t> out;
  for (uint32_t u : values())
    if (!other.contains(u)) out.push_back(u);
  return of(std::move(out));
}

UidSet UidSet::plus(const UidSet& other) const {
  std::vector<uint32_t> all = values(), more = other.values();
  all.insert(all.end(), more.begin(), more.end());
  return of(std::move(all));
}

UidSet UidSet::both(const UidSet& other) const {
  std::vector<uint32_t> out;
  for (uint32_t u : values())
    if (other.contains(u)) out.push_back(u);
  return of(std::move(out));
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
