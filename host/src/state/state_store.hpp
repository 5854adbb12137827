// SPDX-License-Identifier: Apache-2.0
// The state of one pipeline, in SQLite (WAL): the store owns the connection,
// the schema and its migrations (schema.cpp), the transactions, and what is
// the pipeline's as a whole (its identity, generation, runs, history,
// state-wide lists); pair(name) hands out the state of one stream pair, by
// concern (pair_state.hpp: the mirror of each side, links, journal,
// quarantine, unreadable records, conflicts, history, a first sync's bulk
// load; each in its own file). The schema is versioned and migrated forward;
// a newer one is refused.
//
// Thread safety: one StateStore per thread (each has its own connection);
// the views it hands out are used on its thread.
#pragma once

#include <accord/status/result.hpp>
#include <accord/sql/sqlite_db.hpp>
#include "pipeline/pipeline.hpp"
#include "state/pair_state.hpp"
#include "state/record_data.hpp"
#include "state/rows.hpp"
#include "state/staging.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace accord {

class StateStore {
 public:
  using Staged = StagedRow;
  using QuarantineRow = ::accord::QuarantineRow;
  using RunRow = ::accord::RunRow;

  // Opens (creating, migrating) the state database. Fails on a schema newer
  // than this program knows.
  static Result<std::unique_ptr<StateStore>> open(const std::filesystem::path& path);

  // The SQL that takes the schema from version `from` to from + 1 (tests
  // build an old state with it); nullptr past the newest.
  static const char* migration(int from);

  // The state of one stream pair, by concern (a view; see pair_state.hpp).
  PairState pair(std::string name) { return {db_, data_, std::move(name)}; }
  // What a run reads, waiting to be folded (TEMP tables of this connection).
  Staging staging() { return Staging(db_); }

  // BEGIN IMMEDIATE (or DEFERRED: no lock until a state table is written,
  // for work on the staging tables only) … commit(); rolled back when it
  // goes uncommitted (an exception, an early return): nothing it wrote stays.
  class Transaction {
   public:
    enum Mode { kImmediate, kDeferred };
    explicit Transaction(StateStore& store, Mode mode = kImmediate)
        : tx_(store.db_, mode == kImmediate ? sql::Transaction::kImmediate : sql::Transaction::kDeferred) {}
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit() { tx_.commit(); }

   private:
    sql::Transaction tx_;
  };
  // While it lives, the state keeps SQLite's rollback journal instead of WAL
  // where this connection has it to itself (a first sync's load writes each
  // page once): see sql::BulkWrites. Made outside any transaction, let go
  // after the transactions it serves.
  class BulkWrites {
   public:
    explicit BulkWrites(StateStore& store) : bulk_(store.db_) {}
    bool active() const { return bulk_.active(); }

   private:
    sql::BulkWrites bulk_;
  };
  // How long a write waits for the state's other writers (this run's other
  // pairs) before it fails as busy.
  void wait_for_writers(std::chrono::milliseconds most);

  int64_t generation();  // bumped by every run that changed state
  void bump_generation();
  // What the state belongs to: the pipeline's name and each side's store
  // (JSON, written by the first run that applies); none in a state made
  // before it was kept.
  std::optional<std::string> identity();
  void set_identity(const std::string& json);

  // State-wide lists (`accord status`, `conflicts`): every pair's.
  int64_t journal_size();
  std::vector<QuarantineRow> quarantine_list();
  std::vector<UnreadableRow> unreadable_list();
  std::vector<ConflictRow> conflicts(bool open_only);
  // A person's decision of an open conflict: the next run applies it.
  Result<void> decide(int64_t id, Side winner);

  // History (history.cpp): in write order; run, pair, record (either side's
  // id): filters, when given.
  std::vector<HistoryRow> history(std::optional<int64_t> run, const std::string& pair, const std::string& record);
  bool has_history(int64_t run);
  // Forgets the writes of runs older than the last keep_runs; answers how many.
  int64_t prune_history(int keep_runs);

  int64_t begin_run(const std::string& kind);
  void end_run(int64_t id, const std::string& status, const std::string& summary_json, const std::string& error);
  std::vector<RunRow> runs(int limit);

  // ---- Forwarders of the store before its split by concern, kept while the
  // engine moves to pair(name) (the mapping is in each one's body). Do not
  // add callers. ----
  sql::Db& db() { return db_; }  // Transaction, BulkWrites, wait_for_writers instead
  std::optional<std::string> cursor(const std::string& p, Side s) { return pair(p).cursor(s); }
  void set_cursor(const std::string& p, Side s, const std::string& c) { pair(p).set_cursor(s, c); }
  std::optional<MirrorRow> mirror(const std::string& p, Side s, const std::string& id) { return pair(p).mirror(s).find(id); }
  std::optional<MirrorRow> mirror_data(const std::string& p, Side s, const std::string& id) {
    return pair(p).mirror(s).find_data(id);
  }
  int64_t put_mirror(const std::string& p, Side s, const MirrorRow& row) { return pair(p).mirror(s).put(row); }
  int64_t hold_mirror_data(const std::string& p, Side s, const std::string& id) { return pair(p).mirror(s).hold_data(id); }
  void hold_data(int64_t data_id) { data_.hold(data_id); }
  void drop_mirror(const std::string& p, Side s, const std::string& id) { pair(p).mirror(s).drop(id); }
  void rekey(const std::string& p, Side s, const std::string& old_id, const std::string& new_id) {
    pair(p).rekey(s, old_id, new_id);
  }
  std::vector<MirrorRef> dirty(const std::string& p, Side s) { return pair(p).mirror(s).dirty(); }
  std::vector<MirrorRef> unlinked(const std::string& p, Side s) { return pair(p).mirror(s).unlinked(); }
  void clear_dirty(const std::string& p, Side s, const std::string& id) { pair(p).mirror(s).clear_dirty(id); }
  int64_t count_live(const std::string& p, Side s) { return pair(p).mirror(s).count_live(); }
  bool any(const std::string& p, Side s) { return pair(p).mirror(s).any(); }
  void mark_dirty(const std::string& p, Side s, std::vector<std::string> ids) { pair(p).mirror(s).mark_dirty(std::move(ids)); }
  std::vector<std::string> mirror_ids_not_staged(const std::string& p, Side s) { return pair(p).mirror(s).not_staged(); }
  std::optional<LinkRow> link_by(const std::string& p, Side s, const std::string& id) { return pair(p).links().find(s, id); }
  void put_link(const std::string& p, const LinkRow& link) { pair(p).links().put(link); }
  void add_links(const std::string& p, const std::vector<std::pair<std::string_view, std::string_view>>& links) {
    pair(p).links().add(links);
  }
  void drop_link(const std::string& p, const std::string& left_id) { pair(p).links().drop(left_id); }
  int64_t count_links(const std::string& p) { return pair(p).links().count(); }
  bool any_links(const std::string& p) { return pair(p).links().any(); }
  bool any_clean(const std::string& p) { return pair(p).any_clean(); }
  void stage_reset() { staging().reset(); }
  void stage_reset_side(Side s) { staging().reset_side(s); }
  void stage(Side s, const Staged& c) { staging().add(s, c); }
  void for_each_staged(Side s, const std::function<void(Staged&)>& fn) { staging().for_each(s, fn); }
  std::vector<int64_t> load_data(const std::vector<std::string_view>& data) { return data_.load(data); }
  std::vector<uint32_t> drop_superseded(std::vector<MirrorRef>& refs) { return pair("").load().drop_superseded(refs); }
  void release_data(int64_t data_id) { data_.release(data_id); }
  void load_rows(const std::string& p, Side s, std::vector<MirrorRef>& refs, const std::vector<uint32_t>& order) {
    pair(p).load().rows(s, refs, order);
  }
  void load_done() { data_.forget_loaded(); }
  int64_t journal_add(const JournalRow& row) { return pair(row.pair).journal().add(row); }
  void journal_done(int64_t id) { pair("").journal().done(id); }
  std::vector<JournalRow> journal(const std::string& p) { return pair(p).journal().list(); }
  void quarantine(const std::string& p, Side s, const std::string& id, const std::string& error, int64_t retry_after_s) {
    pair(p).quarantine().add(s, id, error, retry_after_s);
  }
  std::set<std::string> quarantined(const std::string& p, Side s, bool only_waiting) {
    return pair(p).quarantine().ids(s, only_waiting);
  }
  void release(const std::string& p, Side s, const std::string& id) { pair(p).quarantine().release(s, id); }
  int64_t release_settled(const std::string& p) { return pair(p).quarantine().release_settled(); }
  void note_unreadable(const std::string& p, Side s, const std::vector<UnreadableRow>& rows,
                       const std::vector<std::string>& readable, bool full) {
    pair(p).unreadable().note(s, rows, readable, full);
  }
  std::set<std::string> unreadable_keys(const std::string& p, Side s) { return pair(p).unreadable().keys(s); }
  void add_conflict(const ConflictRow& c) { pair(c.pair).conflicts().add(c); }
  std::map<std::string, Side> decisions(const std::string& p, const std::string& left_id) {
    return pair(p).conflicts().decisions(left_id);
  }
  void close_conflicts(const std::string& p, const std::string& left_id, const std::vector<std::string>& still_open) {
    pair(p).conflicts().close(left_id, still_open);
  }
  void add_history(const HistoryRow& h, int64_t before_id, int64_t after_id) {
    pair(h.pair).history().add(h, before_id, after_id);
  }

 private:
  explicit StateStore(const std::filesystem::path& path) : db_(path.string()), data_(db_) {}
  Result<void> migrate();
  sql::Db db_;
  RecordData data_;
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
