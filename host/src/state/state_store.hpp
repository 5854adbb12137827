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
#include <accord/sql/wal_checkpoint.hpp>
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
  // A Transaction whose commit is on the disk when commit() returns, whatever
  // power loss follows (synchronous=FULL for it alone: the WAL is synced at
  // its commit; the state's other commits stay NORMAL, synced at the WAL's
  // checkpoints). For the intents of a batch, committed before its remote
  // writes: an intent lost after its write had gone out would send a create
  // again as a fresh one (review s13 L6).
  class DurableTransaction {
   public:
    explicit DurableTransaction(StateStore& store) : tx_(store.db_) {}
    void commit() { tx_.commit(); }

   private:
    sql::DurableTransaction tx_;
  };
  // While it lives, the state keeps SQLite's rollback journal instead of WAL
  // where this connection has it to itself (a first sync's load writes each
  // page once): see sql::BulkWrites. Made outside any transaction, let go
  // after the transactions it serves.
  class BulkWrites {
   public:
    explicit BulkWrites(StateStore& store) : paused_(store), bulk_(store.db_) {}
    bool active() const { return bulk_.active(); }

   private:
    struct Paused {  // (no checkpoint's connection beside it: it leaves WAL only alone on the file)
      explicit Paused(StateStore& s) : ckpt(s.checkpoint_ ? &*s.checkpoint_ : nullptr) {
        if (ckpt) ckpt->pause();
      }
      ~Paused() {
        if (ckpt) ckpt->resume();
      }
      sql::WalCheckpoint* ckpt;
    };
    Paused paused_;  // made before the journal mode changes, let go after it is WAL again
    sql::BulkWrites bulk_;
  };
  // The connection's page cache, at most `kib` KiB. A run with changes
  // touches pages all over the state, each once or twice: a large cache
  // only holds them (the 1% run of 300,000 pairs: 32 MiB of its peak), the
  // system's file cache has them anyway. A first sync writes in key order:
  // 32 MiB made it no faster (300,000 pairs, alternating runs: CPU within
  // 4%, wall time within the noise) and was a third of a 50,000-message
  // first pull's peak (docs/performance.md), so it asks for the same.
  static constexpr int64_t kStatePageCacheKib = 8 << 10;
  static constexpr int64_t kBulkPageCacheKib = 8 << 10;
  void page_cache_kib(int64_t kib);
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
  int64_t retried_creates_size();  // creates answered retry, looked for before they go again
  std::vector<QuarantineRow> quarantine_list();
  std::vector<UnreadableRow> unreadable_list();
  std::vector<ConflictRow> conflicts(bool open_only);
  // A person's decision of an open conflict: the next run applies it.
  Result<void> decide(int64_t id, Side winner);

  // History (history.cpp): in write order; run, pair, record (either side's
  // id): filters, when given.
  std::vector<HistoryRow> history(std::optional<int64_t> run, const std::string& pair, const std::string& record);
  bool has_history(int64_t run);
  // Of the records of `pair` written after run `run`: (side, record id) →
  // the latest run that wrote it (accord undo: "undo that run first")
  std::map<std::pair<std::string, std::string>, int64_t> written_after(int64_t run, const std::string& pair);
  // Forgets the writes of runs older than the last keep_runs; answers how many.
  int64_t prune_history(int keep_runs);

  // The filter a pair side's `included` flags were judged by (record_filter's
  // filter_mark); none where the state does not know it (a state of schema
  // 10, a side never read).
  std::optional<std::string> filter_mark(const std::string& pair, Side side);
  void set_filter_mark(const std::string& pair, Side side, const std::string& mark);
  // Judges `included` again for every live mirror row of a pair side, by
  // its data (`passes`: none where it cannot judge it, and the row keeps its
  // verdict; every row passes where it is null), `batch` rows a
  // statement, so that memory holds a batch; a row whose verdict flips is
  // marked dirty (the run plans it: a pair parked or resumed, a record new
  // to the other side). after_batch runs after each batch's writes.
  struct Rejudged {
    int64_t judged = 0, in = 0, out = 0;  // rows judged; flipped in, out
  };
  Rejudged rejudge_included(const std::string& pair, Side side,
                            const std::function<std::optional<bool>(std::string_view data)>& passes, size_t batch = 2000,
                            const std::function<void()>& after_batch = {});
  // The pair's links one of whose records is out of its side's filter: parked.
  int64_t parked(const std::string& pair);

  int64_t begin_run(const std::string& kind);
  void end_run(int64_t id, const std::string& status, const std::string& summary_json, const std::string& error);
  std::vector<RunRow> runs(int limit);

 private:
  explicit StateStore(const std::filesystem::path& path) : db_(path.string()), data_(db_) {}
  Result<void> migrate();
  sql::Db db_;
  RecordData data_;
  // The WAL checkpointed on a thread of its own (libs/sql wal_checkpoint.hpp):
  // a run commits a batch of changes at a time, each a few thousand pages all
  // over the state, and the commit that checkpointed them waited for the
  // disk (the 1% run at 300,000 pairs: 0.17 s of each 0.3 s commit).
  // None for a state in memory. Goes before the connection.
  std::optional<sql::WalCheckpoint> checkpoint_;
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
