// SPDX-License-Identifier: Apache-2.0
#include "state/record_data.hpp"

#include "common/digest.hpp"

#include <algorithm>

using accord::sql::Stmt;

namespace accord {

int64_t RecordData::add(std::string_view data, int64_t refs) {
  settle();
  Stmt s(db_, "INSERT INTO record_data(data, refs) VALUES (?1, ?2)");
  s.bind_static(1, data).bind(2, refs).run();
  return sqlite3_last_insert_rowid(db_.raw());
}

void RecordData::hold(int64_t data_id) {
  settle();
  Stmt u(db_, "UPDATE record_data SET refs = refs + 1 WHERE id = ?1");
  u.bind(1, data_id).run();
}

void RecordData::release(int64_t data_id) {
  settle();
  loaded_.clear();
  Stmt d(db_, "DELETE FROM record_data WHERE id = ?1 AND refs <= 1");
  d.bind(1, data_id).run();
  if (sqlite3_changes(db_.raw()) > 0) return;
  Stmt u(db_, "UPDATE record_data SET refs = refs - 1 WHERE id = ?1");
  u.bind(1, data_id).run();
}

std::vector<int64_t> RecordData::load(const std::vector<std::string_view>& data) {
  // Equal data, read from the other side (or twice from one), is kept once.
  // A digest of 128 bits stands for the bytes, as the engine's pair-form
  // digests do; a hit is taken out of the map, which so holds only what
  // waits for its twin. New rows take the ids after the table's last (and
  // after those still waiting) and go in through one statement, once they
  // have waited their turn; rows written already gain their reference
  // together.
  int64_t next = 1;
  if (!fresh_.empty()) {
    next = fresh_.back().id + 1;
  } else {
    Stmt last(db_, "SELECT coalesce(max(id), 0) + 1 FROM record_data");
    if (last.step()) next = last.i64(0);
  }
  std::vector<int64_t> ids(data.size());
  std::vector<int64_t> shared;  // rows written gaining a reference
  // the digests first: each one's slot, somewhere in a large table, is
  // fetched a few data ahead
  std::vector<Digest> keys(data.size());
  for (uint32_t i = 0; i < data.size(); ++i) keys[i] = hash::digest128(data[i]);
  for (uint32_t i = 0; i < data.size(); ++i) {
    if (i + 8 < data.size()) loaded_.prefetch(keys[i + 8]);
    const Digest& key = keys[i];
    if (int64_t twin = loaded_.take(key)) {
      ids[i] = twin;
      if (!fresh_.empty() && twin >= fresh_.front().id) ++fresh_[static_cast<size_t>(twin - fresh_.front().id)].refs;
      else shared.push_back(twin);
      continue;
    }
    ids[i] = next++;
    fresh_.push_back({ids[i], std::string(data[i]), 1});
    fresh_bytes_ += data[i].size();
    loaded_.put(key, ids[i]);
  }
  if (!shared.empty()) {
    std::sort(shared.begin(), shared.end());
    sql::FeedOf more(shared.size(), [&](size_t row, int, sqlite3_context* out) { sql::Feed::integer(out, shared[row]); });
    Stmt u(db_, "UPDATE record_data SET refs = refs + 1 WHERE id IN (SELECT c0 FROM accord_feed(?1))");
    u.bind_feed(1, more).run();
  }
  if (fresh_bytes_ > kFreshBytes) write_fresh(kFreshBytes);
  return ids;
}

void RecordData::write_fresh(size_t keep_bytes) {
  size_t n = 0, bytes = fresh_bytes_;
  while (n < fresh_.size() && bytes > keep_bytes) bytes -= fresh_[n++].data.size();
  if (!n) return;
  sql::FeedOf rows(n, [&](size_t row, int col, sqlite3_context* out) {
    const Fresh& f = fresh_[row];
    if (col == 0) sql::Feed::integer(out, f.id);
    else if (col == 1) sql::Feed::text(out, f.data);
    else sql::Feed::integer(out, f.refs);
  });
  Stmt add(db_, "INSERT INTO record_data(id, data, refs) SELECT c0, c1, c2 FROM accord_feed(?1)");
  add.bind_feed(1, rows).run();
  fresh_.erase(fresh_.begin(), fresh_.begin() + static_cast<std::ptrdiff_t>(n));
  fresh_bytes_ = bytes;
}

int64_t RecordData::Waiting::take(const Digest& d) {
  if (slots_.empty()) return 0;
  for (size_t i = at(d);; i = (i + 1) & (slots_.size() - 1)) {
    Slot& s = slots_[i];
    if (s.id == 0) return 0;
    if (s.id > 0 && s.d == d) {
      int64_t id = s.id;
      s.id = -1;  // the probe runs on past it
      return id;
    }
  }
}

void RecordData::Waiting::put(const Digest& d, int64_t id) {
  if ((used_ + 1) * 10 > slots_.size() * 7) {  // at most 70% used: grown (and the taken dropped)
    std::vector<Slot> old;
    old.swap(slots_);
    size_t live = 0;
    for (const Slot& s : old) live += s.id > 0;
    size_t size = 1024;
    while (size * 7 < (live + 1) * 20) size *= 2;  // at most 35% full after
    slots_.assign(size, Slot{});
    used_ = 0;
    for (const Slot& s : old)
      if (s.id > 0) put(s.d, s.id);
  }
  size_t i = at(d);
  while (slots_[i].id > 0) i = (i + 1) & (slots_.size() - 1);
  if (slots_[i].id == 0) ++used_;
  slots_[i] = {d, id};
}

}  // namespace accord
