// SPDX-License-Identifier: Apache-2.0
// The rows of the state, as the store hands them out and takes them in: one
// struct per table a caller reads or writes (the SQL stays in each concern's
// file), and the id orders a first sync loads in. No SQL here.
#pragma once

#include "pipeline/pipeline.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace accord {

inline constexpr int kStateSchemaVersion = 12;

struct MirrorRow {
  std::string id, version, modified;
  std::string data;  // the record's data, JSON
  bool included = true;
  bool dirty = false;
  bool deleted = false;
  std::string keys;  // its match keys, one per key of the pair, joined by \x1e
  // Its record_data row and data as MirrorSide::find read them (0: not
  // read): MirrorSide::put of the same row after it reads neither again.
  int64_t data_id = 0;
};

// A text a MirrorRef holds: a view into the ref's block, valid while the
// ref lives unchanged, that turns into a std::string where one is wanted.
class RefText : public std::string_view {
 public:
  constexpr RefText() = default;
  constexpr RefText(std::string_view v) : std::string_view(v) {}
  operator std::string() const { return std::string(data(), size()); }
};
inline std::string operator+(const RefText& a, const char* b) { return std::string(a).append(b); }
inline std::string operator+(const RefText& a, const std::string& b) { return std::string(a).append(b); }
inline std::string operator+(const RefText& a, const RefText& b) { return std::string(a).append(b); }
inline std::string operator+(const char* a, const RefText& b) { return std::string(a).append(b); }
inline std::string operator+(const std::string& a, const RefText& b) { return std::string(a).append(b); }
inline std::string operator+(std::string&& a, const RefText& b) { return std::move(a.append(b)); }

// What planning needs of a record before it needs its data. A first sync
// holds one a record a side (two million for a million pairs), so a ref is
// small: its four texts share one block of their own, exactly as long as
// they are (one allocation, not four strings of 32 bytes each and their
// own heap blocks).
class MirrorRef {
 public:
  bool deleted = false, included = true, dirty = false;
  // A first sync's records: a digest of the record's pair form (0, 0:
  // none), and what its mirror row is made of (version, modified, data_id).
  uint64_t form[2] = {0, 0};
  int64_t data_id = 0;

  MirrorRef() = default;
  MirrorRef(const MirrorRef& o) : deleted(o.deleted), included(o.included), dirty(o.dirty), data_id(o.data_id) {
    form[0] = o.form[0];
    form[1] = o.form[1];
    set(o.id(), o.keys(), o.version(), o.modified());
  }
  MirrorRef(MirrorRef&&) noexcept = default;
  MirrorRef& operator=(const MirrorRef& o) {
    if (this != &o) *this = MirrorRef(o);
    return *this;
  }
  MirrorRef& operator=(MirrorRef&&) noexcept = default;

  RefText id() const { return text(0); }
  RefText keys() const { return text(1); }  // its match keys, one per key of the pair, joined by \x1e
  RefText version() const { return text(2); }
  RefText modified() const { return text(3); }
  // The texts at once (the views may be this ref's own).
  void set(std::string_view id, std::string_view keys, std::string_view version = {}, std::string_view modified = {}) {
    std::string_view parts[4] = {id, keys, version, modified};
    size_t n = 0;
    for (auto p : parts) n += p.size();
    std::unique_ptr<char[]> block(n ? new char[n] : nullptr);
    char* at = block.get();
    for (size_t i = 0; i < 4; ++i) {
      if (!parts[i].empty()) std::memcpy(at, parts[i].data(), parts[i].size());
      at += parts[i].size();
      len_[i] = static_cast<uint32_t>(parts[i].size());
    }
    text_ = std::move(block);
  }
  void set_id(std::string_view v) { set(v, keys(), version(), modified()); }
  void set_keys(std::string_view v) { set(id(), v, version(), modified()); }
  // A first sync's version and modified, once its mirror rows hold them:
  // no longer read (the block stays as it is: matching may be reading id
  // and keys from another thread meanwhile).
  void drop_version_and_modified() { len_[2] = len_[3] = 0; }

 private:
  RefText text(size_t i) const {
    size_t at = 0;
    for (size_t k = 0; k < i; ++k) at += len_[k];
    return std::string_view(text_.get() + at, len_[i]);
  }
  std::unique_ptr<char[]> text_;
  uint32_t len_[4] = {0, 0, 0, 0};
};

// The positions of refs in the order of their ids (equal ids in the order
// they come), sorted fast.
std::vector<uint32_t> id_order(const std::vector<MirrorRef>& refs);

// A text's first 8 bytes as one number, in the texts' byte order (shorter
// texts padded with zero bytes): two texts whose heads differ compare as
// their heads do, with no string touched. Equal heads say nothing.
inline uint64_t head8(std::string_view s) {
  uint64_t head = 0;
  for (size_t b = 0; b < 8; ++b) head = head << 8 | (b < s.size() ? static_cast<unsigned char>(s[b]) : 0u);
  return head;
}

// The positions 0..n-1 in the byte order of the texts text(i), equal texts
// in position order: sorted on each text's first 8 bytes as one number (most
// comparisons end there, with no string touched), then on the text.
template <class Text>
std::vector<uint32_t> text_order(size_t n, Text text) {
  struct Key {
    uint64_t head;
    uint32_t at;
  };
  std::vector<Key> keys(n);
  for (uint32_t i = 0; i < n; ++i) keys[i] = {head8(text(i)), i};
  std::sort(keys.begin(), keys.end(), [&](const Key& a, const Key& b) {
    if (a.head != b.head) return a.head < b.head;
    if (int c = text(a.at).compare(text(b.at))) return c < 0;
    return a.at < b.at;
  });
  std::vector<uint32_t> order(n);
  for (size_t k = 0; k < n; ++k) order[k] = keys[k].at;
  return order;
}

struct LinkRow {
  std::string left_id, right_id;
  // Each side's base (its pair form when the pair was last in accord), JSON;
  // empty means "the pair form of that side's mirror row as it stands", which
  // holds for every clean pair and keeps links small. The engine writes a
  // base out before a change overwrites the mirror row it stands for.
  std::string base_left, base_right;
  // A side's base kept by reference (Links::keep), where no base above is
  // written out: the record's data as its mirror row held it before a change
  // overwrote it (a record_data row the link holds); the base is its pair
  // form. So a change writes no base into the links row, which neither grows
  // in the fold nor shrinks at the commit. id 0: none.
  struct Kept {
    int64_t id = 0;
    std::string data;  // (as find read it)
  };
  Kept kept_left{}, kept_right{};
};

struct JournalRow {
  int64_t id = 0;
  std::string pair, side, op, target_id, source_id, idem_key, data;
  // When it was added (RFC 3339 UTC; empty when adding: now): an intent's,
  // the time of its write; a kept create's (retried_creates), that of the
  // latest try that may have made its record (its connector is told it as
  // sent_at), with how many tries were answered retry and the last
  // answer's message.
  std::string created{};
  int64_t tries = 0;
  std::string last_answer{};
  // A kept create not sent as a resend, why (Journal::park): "filter" (its
  // source kept out by the filter), "direction" (the pipeline no longer
  // creates on that side); "" while it is sent.
  std::string parked{};
  // A kept create's: when the first of its tries that may have made its
  // record was sent (RFC 3339 UTC, rounded down: no try wrote before it;
  // its connector is told it: first_sent_at). "": not known (kept before
  // the state recorded it).
  std::string first_sent{};
  // An intent's: the run whose plan it is (its write goes into that run's
  // history, also when the next run confirms or completes it after a kill);
  // 0: not known (an intent kept before the state recorded it).
  int64_t run = 0;
};

// A record a side's connector sent that the host could not read (invalid
// UTF-8, a field of the wrong type…) and skipped: listed by `accord status`
// until it is read well, or a full listing of its side no longer shows it bad.
struct UnreadableRow {
  std::string pair, side;
  std::string key;  // its id, or "@" and its JSON pointer when it has no id the host can trust
  std::string id;   // as far as it could be read ("" when none)
  std::string connector, stream, pointer, reason;
  std::string seen;  // when it was last read, RFC 3339
};

// One write a run committed (`accord log`, `accord undo`): before is the
// record's data before it (none for a create), after what it holds after it
// (none for a delete); version is the one the write left.
struct HistoryRow {
  int64_t seq = 0, run = 0;
  std::string pair, side, record_id, op, version;
  std::string other_id;  // the record it was linked to on the other side, at the write
  std::optional<std::string> before, after;
};

struct ConflictRow {
  int64_t id = 0;
  std::string pair, left_id, right_id, field, left_value, right_value, created, decided;
};

// A record a side's connector sent, waiting in a run's staging table until
// it is folded into the mirror.
struct StagedRow {
  std::string id, version, modified, data, keys;
  bool deleted = false, included = true;
  uint64_t form[2] = {0, 0};  // the pair form's digest (first syncs only)
};

struct QuarantineRow {
  std::string pair, side, id, error, next_retry;
  int64_t attempts;
};

struct RunRow {
  int64_t id;
  std::string kind, started, finished, status, summary, error;
};

}  // namespace accord
