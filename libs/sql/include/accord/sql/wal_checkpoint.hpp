// SPDX-License-Identifier: Apache-2.0
// A database's WAL checkpointed on a thread of its own, while its connection
// goes on working.
//
// SQLite checkpoints a WAL in the commit that leaves 1,000 pages or more in
// it (wal_autocheckpoint): the committing thread copies every page of the
// log into the database and syncs both files before its commit returns. A
// run that commits a batch of changes at a time, each a few thousand pages
// all over a large file, so waits a checkpoint a batch (the engine bench's 1%
// run at 300,000 pairs: 0.17 s of each 0.3 s commit of the state, 0.08 s of
// each apply call of a local sqlite store), the disk writing while the
// program has nothing else to do. Deferring the checkpoints only moves that
// wait to the close (measured: the same run's total within the noise).
//
// While a WalCheckpoint lives, the commits of `db` that leave `start` pages
// or more in the log wake a thread, which checkpoints (PASSIVE: it never
// waits for a reader or a writer) through a connection of its own, opened
// for that checkpoint and closed after it; the connection goes on with its
// work meanwhile. A commit that leaves more than `most` pages (the thread
// lagging, or a reader holding the log) checkpoints itself, as SQLite's
// autocheckpoint does: the log stays bounded. Nothing is less safe: a
// checkpoint is SQLite's, whichever connection runs it, and a process killed
// during one leaves a log the next open reads (the copied pages are the
// log's own).
//
// Its connection's wal hook is its own while it lives; SQLite's
// autocheckpoint (1,000 pages) is the connection's again once it goes.
// Stopping (the destructor, pause()) waits for a checkpoint under way.
// Another connection that must be alone on the file (BulkWrites leaving WAL)
// finds none of the thread's outside a checkpoint; pause() keeps the thread
// from starting one.
#pragma once

#include <accord/sql/sqlite_db.hpp>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace accord::sql {

class WalCheckpoint {
 public:
  static constexpr int kStart = 1000;  // SQLite's autocheckpoint
  static constexpr int kMost = 16384;  // 64 MiB of 4 KiB pages
  explicit WalCheckpoint(Db& db, int start = kStart, int most = kMost);
  ~WalCheckpoint();
  WalCheckpoint(const WalCheckpoint&) = delete;
  WalCheckpoint& operator=(const WalCheckpoint&) = delete;

  // While paused, no checkpoint starts on the thread (one under way is
  // waited for); the connection's commits past `most` still checkpoint
  // themselves.
  void pause();
  void resume();
  // How many checkpoints the thread ran, and the commits that ran their own
  // (past `most`): for tests.
  int64_t background_runs() const;
  int64_t own_runs() const;

 private:
  static int on_commit(void* self, sqlite3* db, const char* name, int pages);
  void work();
  void checkpoint();
  Db& db_;
  std::string path_;
  int start_, most_;
  mutable std::mutex m_;
  std::condition_variable wake_, idle_;
  bool wanted_ = false, running_ = false, stop_ = false;
  int paused_ = 0;
  int64_t background_runs_ = 0, own_runs_ = 0;
  std::thread thread_;
};

}  // namespace accord::sql
