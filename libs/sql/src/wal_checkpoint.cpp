// SPDX-License-Identifier: Apache-2.0
#include <accord/sql/wal_checkpoint.hpp>

namespace accord::sql {

WalCheckpoint::WalCheckpoint(Db& db, int start, int most)
    : db_(db), start_(start), most_(most) {
  const char* file = sqlite3_db_filename(db_.raw(), "main");
  path_ = file ? file : "";
  if (path_.empty()) return;  // (in memory: no log)
  thread_ = std::thread([this] { work(); });
  sqlite3_wal_hook(db_.raw(), &WalCheckpoint::on_commit, this);  // (replaces the autocheckpoint)
}

WalCheckpoint::~WalCheckpoint() {
  if (!thread_.joinable()) return;
  sqlite3_wal_autocheckpoint(db_.raw(), kStart);  // (the hook is SQLite's again)
  {
    std::lock_guard<std::mutex> l(m_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

int WalCheckpoint::on_commit(void* self, sqlite3* db, const char* name, int pages) {
  auto* c = static_cast<WalCheckpoint*>(self);
  if (pages > c->most_) {
    // after the thread's checkpoint under way (which copies the log as it
    // was when it began: the log restarts only once all of it was copied)
    c->pause();
    int rc = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    {
      std::lock_guard<std::mutex> l(c->m_);
      if (rc == SQLITE_OK) ++c->own_runs_;
      c->wanted_ = false;  // (all of it copied: nothing left for the thread)
    }
    c->resume();
    return SQLITE_OK;
  }
  if (pages >= c->start_) {
    {
      std::lock_guard<std::mutex> l(c->m_);
      c->wanted_ = true;
    }
    c->wake_.notify_one();
  }
  return SQLITE_OK;
}

void WalCheckpoint::work() {
  std::unique_lock<std::mutex> l(m_);
  for (;;) {
    wake_.wait(l, [&] { return stop_ || (wanted_ && !paused_); });
    if (stop_) return;
    wanted_ = false;
    running_ = true;
    l.unlock();
    checkpoint();
    l.lock();
    running_ = false;
    ++background_runs_;
    idle_.notify_all();
  }
}

void WalCheckpoint::checkpoint() {
  // A connection of its own for this checkpoint only: none is left open on
  // the file between them (BulkWrites wants the file to itself). Its close
  // never checkpoints: `db` is open.
  sqlite3* own = nullptr;
  // (a read first: a new connection learns that the file is in WAL, and
  // opens its log, when it first reads it; a checkpoint before does nothing)
  if (sqlite3_open_v2(path_.c_str(), &own, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) == SQLITE_OK &&
      sqlite3_exec(own, "SELECT 1 FROM sqlite_master LIMIT 1", nullptr, nullptr, nullptr) == SQLITE_OK)
    sqlite3_wal_checkpoint_v2(own, "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  // (a failure, a busy file, a file no longer in WAL: the next commit asks
  // again, and the log stays bounded by the commits past `most`)
  sqlite3_close_v2(own);
}

void WalCheckpoint::pause() {
  std::unique_lock<std::mutex> l(m_);
  ++paused_;
  idle_.wait(l, [&] { return !running_; });
}

void WalCheckpoint::resume() {
  {
    std::lock_guard<std::mutex> l(m_);
    if (paused_) --paused_;
  }
  wake_.notify_one();
}

int64_t WalCheckpoint::background_runs() const {
  std::lock_guard<std::mutex> l(m_);
  return background_runs_;
}

int64_t WalCheckpoint::own_runs() const {
  std::lock_guard<std::mutex> l(m_);
  return own_runs_;
}

}  // namespace accord::sql
