// SPDX-License-Identifier: Apache-2.0
#include "state/state_store.hpp"

#include <accord/time/utc_time.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstring>
#include <ctime>

namespace fs = std::filesystem;
using accord::sql::Stmt;

namespace accord {

std::string now_rfc3339() { return utc::format(static_cast<int64_t>(std::time(nullptr))); }

Result<std::unique_ptr<StateStore>> StateStore::open(const fs::path& path) {
  std::error_code ec;
  if (path != ":memory:" && path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  if (ec) return fail(path.parent_path().string() + ": cannot create the state folder: " + ec.message());
  // It holds every record's data: made readable by its owner only (SQLite
  // gives its journal and WAL files the same mode).
  if (path != ":memory:") {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);
  }
  try {
    std::unique_ptr<StateStore> s(new StateStore(path));
    s->page_cache_kib(kStatePageCacheKib);
    if (auto m = s->migrate(); !m) return std::unexpected(m.error());
    if (path != ":memory:") s->checkpoint_.emplace(s->db_);
    return s;
  } catch (const std::exception& e) {
    return fail(std::string("state ") + e.what());
  }
}

int64_t StateStore::generation() {
  Stmt s(db_, "SELECT value FROM meta WHERE key = 'generation'");
  return s.step() ? std::stoll(std::string(s.text(0))) : 0;
}
std::optional<std::string> StateStore::identity() {
  Stmt s(db_, "SELECT value FROM meta WHERE key = 'identity'");
  if (s.step()) return std::string(s.text(0));
  return std::nullopt;
}

void StateStore::set_identity(const std::string& json) {
  Stmt s(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES ('identity', ?1)");
  s.bind(1, json).run();
}

void StateStore::bump_generation() {
  db_.exec("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'");
}

std::optional<std::string> StateStore::filter_mark(const std::string& pair, Side side) {
  Stmt s(db_, "SELECT mark FROM filter_marks WHERE pair = ?1 AND side = ?2");
  s.bind(1, pair).bind(2, side_name(side));
  if (s.step()) return std::string(s.text(0));
  return std::nullopt;
}

void StateStore::set_filter_mark(const std::string& pair, Side side, const std::string& mark) {
  Stmt s(db_, "INSERT OR REPLACE INTO filter_marks(pair, side, mark) VALUES (?1, ?2, ?3)");
  s.bind(1, pair).bind(2, side_name(side)).bind(3, mark).run();
}

StateStore::Rejudged StateStore::rejudge_included(const std::string& pair, Side side,
                                                  const std::function<std::optional<bool>(std::string_view data)>& passes,
                                                  size_t batch, const std::function<void()>& after_batch) {
  Rejudged out;
  // In id order from where the last batch ended: each batch is a statement
  // of its own, finished before its rows are written. Deleted rows keep
  // their last verdict (planning unlinks their pair either way). Where
  // every row passes, only the rows out of the filter are read.
  Stmt read(db_, passes ? "SELECT m.id, d.data, m.included FROM mirror_rows m JOIN record_data d ON d.id = m.data_id"
                          " WHERE m.pair = ?1 AND m.side = ?2 AND m.id > ?3 AND m.deleted = 0 ORDER BY m.id LIMIT ?4"
                        : "SELECT m.id, '', m.included FROM mirror_rows m"
                          " WHERE m.pair = ?1 AND m.side = ?2 AND m.id > ?3 AND m.deleted = 0 AND m.included = 0"
                          " ORDER BY m.id LIMIT ?4");
  Stmt set(db_, "UPDATE mirror_rows SET included = ?4 WHERE pair = ?1 AND side = ?2 AND id = ?3");
  Stmt dirty(db_, "INSERT OR IGNORE INTO dirty(pair, side, id) VALUES (?1, ?2, ?3)");
  std::string after;
  std::vector<std::pair<std::string, bool>> flipped;
  for (;;) {
    read.bind(1, pair).bind(2, side_name(side)).bind(3, after).bind(4, static_cast<int64_t>(batch));
    size_t n = 0;
    flipped.clear();
    while (read.step()) {
      ++n;
      after = read.text(0);
      bool was = read.i64(2) != 0;
      bool now = true;
      if (passes) {
        std::optional<bool> p = passes(read.text(1));
        now = p ? *p : was;
      }
      if (now != was) flipped.emplace_back(after, now);
    }
    read.reset();
    out.judged += static_cast<int64_t>(n);
    for (const auto& [id, now] : flipped) {  // (one statement each, prepared once)
      set.bind(1, pair).bind(2, side_name(side)).bind(3, id).bind(4, int64_t{now}).run();
      dirty.bind(1, pair).bind(2, side_name(side)).bind(3, id).run();
      ++(now ? out.in : out.out);
    }
    if (after_batch) after_batch();
    if (n < batch) break;
  }
  return out;
}

int64_t StateStore::parked(const std::string& pair) {
  Stmt s(db_, "SELECT count(*) FROM links l WHERE l.pair = ?1 AND ("
              " EXISTS (SELECT 1 FROM mirror_rows m WHERE m.pair = l.pair AND m.side = 'left' AND m.id = l.left_id"
              "  AND m.included = 0 AND m.deleted = 0) OR"
              " EXISTS (SELECT 1 FROM mirror_rows m WHERE m.pair = l.pair AND m.side = 'right' AND m.id = l.right_id"
              "  AND m.included = 0 AND m.deleted = 0))");
  s.bind(1, pair);
  return s.step() ? s.i64(0) : 0;
}

void StateStore::page_cache_kib(int64_t kib) { db_.exec("PRAGMA cache_size=-" + std::to_string(kib)); }

void StateStore::wait_for_writers(std::chrono::milliseconds most) {
  sqlite3_busy_timeout(db_.raw(), static_cast<int>(most.count()));
}

Result<PipelineLock> PipelineLock::acquire(const fs::path& state_path, const std::string& pipeline) {
  fs::path lock = state_path.string() + ".lock";
  std::error_code ec;
  fs::create_directories(lock.parent_path(), ec);
  int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return fail(lock.string() + ": cannot open the lock file: " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[64] = {0};
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "another process";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    return fail("pipeline \"" + pipeline + "\" is being synced by " + holder + " (lock " + lock.string() +
                "); wait for it to finish");
  }
  std::string me = "pid " + std::to_string(::getpid()) + " since " + now_rfc3339() + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, me.data(), me.size(), 0) < 0) {
    // the lock holds even if the note cannot be written
  }
  return PipelineLock(fd);
}

PipelineLock::~PipelineLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace accord
