// SPDX-License-Identifier: Apache-2.0
// The state of one pipeline, in SQLite (WAL): cursors, a mirror of every
// record seen on each side (what the engine plans from), links with their
// bases, the journal of remote writes in flight, quarantine, conflicts, runs.
// The schema is versioned and migrated forward; a newer one is refused.
//
// Thread safety: one StateStore per thread (each has its own connection).
#pragma once

#include <accord/status/result.hpp>
#include <accord/sql/sqlite_db.hpp>
#include "pipeline/pipeline.hpp"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace accord {

inline constexpr int kStateSchemaVersion = 5;

struct MirrorRow {
  std::string id, version, modified;
  std::string data;  // the record's data, JSON
  bool included = true;
  bool dirty = false;
  bool deleted = false;
  std::string keys;  // its match keys, one per key of the pair, joined by \x1e
};

// What planning needs of a record before it needs its data.
struct MirrorRef {
  std::string id;
  bool deleted = false, included = true, dirty = false;
  std::string keys;
  // A first sync's records: a digest of the record's pair form (0, 0:
  // none), and what its mirror row is made of.
  uint64_t form[2] = {0, 0};
  std::string version, modified;
  int64_t data_id = 0;
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
};

struct JournalRow {
  int64_t id = 0;
  std::string pair, side, op, target_id, source_id, idem_key, data;
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

class StateStore {
 public:
  // Opens (creating, migrating) the state database. Fails on a schema newer
  // than this program knows.
  static Result<std::unique_ptr<StateStore>> open(const std::filesystem::path& path);

  // The SQL that takes the schema from version `from` to from + 1 (tests
  // build an old state with it); nullptr past the newest.
  static const char* migration(int from);

  sql::Db& db() { return db_; }
  int64_t generation();  // bumped by every run that changed state
  // What the state belongs to: the pipeline's name and each side's store
  // (JSON, written by the first run that applies); none in a state made
  // before it was kept.
  std::optional<std::string> identity();
  void set_identity(const std::string& json);
  void bump_generation();

  std::optional<std::string> cursor(const std::string& pair, Side side);
  void set_cursor(const std::string& pair, Side side, const std::string& cursor);

  std::optional<MirrorRow> mirror(const std::string& pair, Side side, const std::string& id);
  // The same without the dirty flag (one lookup instead of two).
  std::optional<MirrorRow> mirror_data(const std::string& pair, Side side, const std::string& id);
  // Answers the row's record_data id.
  int64_t put_mirror(const std::string& pair, Side side, const MirrorRow& row);
  // A reference to a mirror row's data, taken for the history (it outlives
  // the row's change or removal); 0: no such row.
  int64_t hold_mirror_data(const std::string& pair, Side side, const std::string& id);
  void hold_data(int64_t data_id);
  void drop_mirror(const std::string& pair, Side side, const std::string& id);
  // The record old_id is new_id now: drops old_id's mirror row (new_id's is
  // already there) and moves its link, conflicts and quarantine entry.
  void rekey(const std::string& pair, Side side, const std::string& old_id, const std::string& new_id);
  std::vector<MirrorRef> dirty(const std::string& pair, Side side);     // oldest change first
  std::vector<MirrorRef> unlinked(const std::string& pair, Side side);  // live, included, no link
  void clear_dirty(const std::string& pair, Side side, const std::string& id);
  int64_t count_live(const std::string& pair, Side side);
  bool any(const std::string& pair, Side side);  // a mirror row at all (cheap)

  std::optional<LinkRow> link_by(const std::string& pair, Side side, const std::string& id);
  void put_link(const std::string& pair, const LinkRow& link);
  // New links with implicit bases, in left-id order, for records not linked
  // yet (a first sync).
  void add_links(const std::string& pair, const std::vector<std::pair<std::string_view, std::string_view>>& links);
  void drop_link(const std::string& pair, const std::string& left_id);
  int64_t count_links(const std::string& pair);
  bool any_links(const std::string& pair);  // cheap
  bool any_clean(const std::string& pair);  // a mirror row not waiting to be planned (cheap)

  // Staging: what a run reads waits in a TEMP table of this connection
  // (private, spilled to disk, no lock on the state) until it is folded into
  // the mirror; memory stays flat however much a side lists.
  struct Staged {
    std::string id, version, modified, data, keys;
    bool deleted = false, included = true;
    uint64_t form[2] = {0, 0};  // the pair form's digest (first syncs only)
  };
  void stage_reset();
  void stage_reset_side(Side side);
  void stage(Side side, const Staged& c);
  // Calls fn for each staged change of a side, in the order read.
  void for_each_staged(Side side, const std::function<void(Staged&)>& fn);
  // Live mirror ids of a side that the staged full listing does not hold.
  std::vector<std::string> mirror_ids_not_staged(const std::string& pair, Side side);
  // A first sync loads each side straight into the state, with no staging
  // table and no second copy: load_data appends a batch of records' data as
  // it is read and answers their rows' ids (data equal byte for byte to data
  // this load appended before, in this batch or an earlier one, share its
  // row); once a side is read, drop_superseded keeps only the later copy of
  // an id read twice in `refs` (which keep the order read) and answers their
  // positions in id order; load_rows then adds the side's clean mirror rows
  // in that order, in one statement, and touches no field of refs but
  // version and modified (which it frees); load_done forgets what load_data
  // remembered.
  std::vector<int64_t> load_data(const std::vector<std::string_view>& data);
  std::vector<uint32_t> drop_superseded(std::vector<MirrorRef>& refs);
  // Data a load will not use after all (a superseded copy, a listing that
  // started over); a load shares nothing loaded before it.
  void release_data(int64_t data_id);
  void load_rows(const std::string& pair, Side side, std::vector<MirrorRef>& refs, const std::vector<uint32_t>& order);
  void load_done();
  void mark_dirty(const std::string& pair, Side side, std::vector<std::string> ids);

  int64_t journal_add(const JournalRow& row);
  void journal_done(int64_t id);
  std::vector<JournalRow> journal(const std::string& pair);
  int64_t journal_size();

  // Quarantine: a record whose write keeps failing waits until its retry time.
  void quarantine(const std::string& pair, Side side, const std::string& id, const std::string& error,
                  int64_t retry_after_s);
  // The quarantined records of a side; only_waiting: those whose retry time
  // has not come.
  std::set<std::string> quarantined(const std::string& pair, Side side, bool only_waiting);
  void release(const std::string& pair, Side side, const std::string& id);
  // Releases the quarantined records of a pair that no longer wait for a
  // write (their mirror row is clean or gone: a retry landed, the sides came
  // to agree, the record went); answers how many.
  int64_t release_settled(const std::string& pair);
  struct QuarantineRow {
    std::string pair, side, id, error, next_retry;
    int64_t attempts;
  };
  std::vector<QuarantineRow> quarantine_list();

  // Unreadable records (UnreadableRow). After a side is read: `rows` were
  // unreadable (pair and side are taken from the arguments), the records
  // keyed `readable` were read well; a full listing replaces the side's list.
  // mirror_ids_not_staged never takes a listed record for deleted.
  void note_unreadable(const std::string& pair, Side side, const std::vector<UnreadableRow>& rows,
                       const std::vector<std::string>& readable, bool full);
  std::set<std::string> unreadable_keys(const std::string& pair, Side side);
  std::vector<UnreadableRow> unreadable_list();

  void add_conflict(const ConflictRow& c);
  std::vector<ConflictRow> conflicts(bool open_only);
  // The decided winners of open conflicts of one pair of records.
  std::map<std::string, Side> decisions(const std::string& pair, const std::string& left_id);
  Result<void> decide(int64_t id, Side winner);
  void close_conflicts(const std::string& pair, const std::string& left_id, const std::vector<std::string>& still_open);

  // History: one row per committed write. add_history takes a reference to
  // after_id; before_id must be held already (hold_mirror_data).
  void add_history(const HistoryRow& h, int64_t before_id, int64_t after_id);
  // In write order; run, pair, record (either side's id): filters, when given.
  std::vector<HistoryRow> history(std::optional<int64_t> run, const std::string& pair, const std::string& record);
  bool has_history(int64_t run);
  // Forgets the writes of runs older than the last keep_runs; answers how many.
  int64_t prune_history(int keep_runs);

  int64_t begin_run(const std::string& kind);
  void end_run(int64_t id, const std::string& status, const std::string& summary_json, const std::string& error);
  struct RunRow {
    int64_t id;
    std::string kind, started, finished, status, summary, error;
  };
  std::vector<RunRow> runs(int limit);

 private:
  explicit StateStore(const std::filesystem::path& path) : db_(path.string()) {}
  void set_dirty(const std::string& pair, Side side, const std::string& id);
  int64_t add_data(std::string_view data);  // a new data row, one reference
  Result<void> migrate();
  sql::Db db_;
  using Digest = std::pair<uint64_t, uint64_t>;
  // load_data's data waiting for a twin, by digest: open addressing, one
  // flat array (no node per entry, and a first sync holds a million).
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
  Waiting loaded_;
};

// An exclusive lock on a pipeline (flock on <state>.lock, holding our pid).
// Released when the process ends, however it ends.
class PipelineLock {
 public:
  static Result<PipelineLock> acquire(const std::filesystem::path& state_path, const std::string& pipeline);
  PipelineLock(PipelineLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  PipelineLock& operator=(PipelineLock&&) = delete;
  ~PipelineLock();

 private:
  explicit PipelineLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

std::string now_rfc3339();

}  // namespace accord
