// SPDX-License-Identifier: Apache-2.0
// The records' data rows (record_data), counted by reference: a mirror row,
// a history entry and a first sync's twin each hold one. Shared by the
// concerns that hold data (mirror, bulk load, history); private to the state.
// It never decides what a row holds, only how long it lives.
//
// Thread safety: that of its store (one thread).
#pragma once

#include <accord/sql/sqlite_db.hpp>

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace accord {

class RecordData {
 public:
  explicit RecordData(sql::Db& db) : db_(db) {}

  int64_t add(std::string_view data, int64_t refs = 1);  // a new data row, `refs` references
  void hold(int64_t data_id);          // one reference more
  // One reference less; the row goes with its last. A first sync's load
  // shares nothing it remembered from before a release (a row gone may have
  // its id taken by other data).
  void release(int64_t data_id);

  // A first sync's data, in batches as read: answers their rows' ids; data
  // equal byte for byte to data loaded before (in this batch or an earlier
  // one, since the last forget_loaded) share its row. A new row waits in
  // memory a few batches (at most kFreshBytes of data) before it is
  // written, so that its twin, read soon after from the other side, is
  // counted in the row as it goes in, not by an UPDATE of the row written
  // (4.4 k instructions a pair, issue 24); a twin read later takes the
  // UPDATE as before. The rows keep their ids and go in in id order, as
  // they are numbered. Every other call here (add, hold, release,
  // forget_loaded) writes what waits first, and so does a first sync once
  // both sides are read (BulkLoad::drop_superseded: settle); until then only
  // load touches record_data. (What waits lives in the store, which a
  // pair's run opens for itself: a first sync rolled back leaves none.)
  std::vector<int64_t> load(const std::vector<std::string_view>& data);
  void forget_loaded() {
    settle();
    loaded_.clear();
  }
  void settle() {  // writes the rows a load keeps waiting
    if (!fresh_.empty()) write_fresh(0);
  }
  static constexpr size_t kFreshBytes = 16 << 20;

 private:
  using Digest = std::pair<uint64_t, uint64_t>;
  // load's data waiting for a twin, by digest: open addressing, one flat
  // array (no node per entry, and a first sync holds a million).
  class Waiting {
   public:
    int64_t take(const Digest& d);  // the row id under d, no longer waiting; 0: none
    void put(const Digest& d, int64_t id);
    void prefetch(const Digest& d) const {
      if (!slots_.empty()) __builtin_prefetch(&slots_[at(d)]);
    }
    void clear() { *this = Waiting(); }

   private:
    struct Slot {
      Digest d{0, 0};
      int64_t id = 0;  // 0: never used; -1: taken
    };
    std::vector<Slot> slots_;
    size_t used_ = 0;  // slots not never-used
    size_t at(const Digest& d) const { return static_cast<size_t>(d.first) & (slots_.size() - 1); }
  };
  // New rows not written yet, in id order (their ids follow each other).
  struct Fresh {
    int64_t id;
    std::string data;
    int64_t refs;
  };
  void write_fresh(size_t keep_bytes);  // the oldest, until at most keep_bytes of data wait
  sql::Db& db_;
  Waiting loaded_;
  std::deque<Fresh> fresh_;
  size_t fresh_bytes_ = 0;
};

}  // namespace accord
