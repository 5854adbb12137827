// SPDX-License-Identifier: Apache-2.0
#include "sqlite_backend.hpp"

#include "files.hpp"

#include <filesystem>
#include <random>

namespace json = boost::json;

namespace local {

SqliteBackend::SqliteBackend(const std::string& path, size_t batch_size, bool read_only)
    : path_(path), batch_(batch_size), read_only_(read_only) {}

void SqliteBackend::open_read_only(bool copy) {
  logs_.clear();
  checkpoint_.reset();
  db_.reset();
  immutable_.reset();
  switch (copy ? ReadOnlyOpen::kCopy : read_only_open_of(path_)) {
    case ReadOnlyOpen::kImmutable:
      immutable_ = stamp_of(path_);
      db_.emplace(sqlite_uri(path_, "immutable=1"), Db::ReadOnlyUri{});
      break;
    case ReadOnlyOpen::kLocked:
      db_.emplace(sqlite_uri(path_, "mode=ro"), Db::ReadOnlyUri{});
      break;
    case ReadOnlyOpen::kCopy:
      db_.emplace(":memory:");
      copy_read_only(*db_, path_);
      break;
  }
}

Db& SqliteBackend::db() {
  if (!db_ && read_only_) open_read_only(false);
  if (!db_) {
    std::error_code ec;
    std::filesystem::path p(path_);
    if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
    db_.emplace(path_);
    // 8 MiB of pages, not libs/sql's 32: a run's reads and writes touch
    // pages all over the store, each about once (the system's file cache
    // holds them anyway), and the cache is the host process's memory
    // (the 1% run of the engine bench: 48 MiB of its peak)
    db_->exec("PRAGMA cache_size=-8192");
    // The WAL checkpointed on a thread of its own (wal_checkpoint.hpp),
    // not by the apply call that commits past 1,000 pages: the host works
    // on (the next batch) while the disk writes. A sync's apply calls change
    // a few pages a record all over the store: the 1% run of the engine
    // bench at 300,000 records waited about 0.08 s of each call for it.
    checkpoint_.emplace(*db_);
  }
  return *db_;
}

RecordLog& SqliteBackend::log(const std::string& stream) {
  auto it = logs_.find(stream);
  if (it != logs_.end()) return *it->second;
  // read in place, a stream the file has no table for: the copy makes it, in memory
  if (read_only_ && sqlite3_db_readonly(db().raw(), "main") == 1 && !has_stream_tables(db(), stream))
    open_read_only(true);
  return *logs_.emplace(stream, std::make_unique<RecordLog>(db(), stream)).first->second;
}

template <class Read>
std::string SqliteBackend::read(const std::string& stream, Read&& r) {
  auto changed = [&] { return immutable_ && stamp_of(path_) != immutable_; };
  if (changed()) open_read_only(true);
  std::string out;
  try {
    out = r(log(stream));
  } catch (const std::exception&) {
    if (!changed()) throw;  // not a read torn by a writer
  }
  if (changed()) {
    open_read_only(true);
    out = r(log(stream));
  }
  return out;
}

std::string SqliteBackend::read_changes(const std::string& stream, const std::string& cursor) {
  check_stream_name(stream);
  if (!db_ && !std::filesystem::exists(path_)) {
    if (!cursor.empty() && cursor != before_creation_cursor())
      throw accord::Error(ACCORD_CURSOR_EXPIRED, path_ + " does not exist (any more): a full listing is needed");
    // nothing yet, and nothing created
    return json::serialize(json::object{{"records", json::array()}, {"cursor", before_creation_cursor()}, {"more", false}});
  }
  return read(stream, [&](RecordLog& l) { return l.read_batch(cursor, batch_); });
}

static std::string new_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char b[24];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(rng()));
  return b;
}

std::string SqliteBackend::apply(const std::string& stream, std::string_view ops_json) {
  std::vector<Op> ops = accord::kit::parse_ops(ops_json);
  RecordLog& l = log(stream);
  std::vector<OpResult> results;
  // on the disk when it answers: the host records the writes as done
  // (review s15 F1; its other commits, the WAL's checkpoints, stay lazy)
  accord::sql::DurableTransaction tx(db());
  RecordLog::HeldSeq seq(l);  // (written once, before the commit)
  for (auto& op : ops) {
    if (op.op == "create") {
      if (!op.idempotency_key.empty())
        if (auto existing = l.by_idem(op.idempotency_key)) {
          results.push_back(OpResult::ok(existing->id, existing->version));
          continue;
        }
      Row r;
      r.id = new_id();
      if (!op.idempotency_key.empty()) r.idem = op.idempotency_key;
      r.data = json::serialize(op.data);
      l.put(r);
      results.push_back(OpResult::ok(r.id, r.version));
      continue;
    }
    std::string data = op.op == "update" ? json::serialize(op.data) : std::string();
    if (op.op == "update")
      if (auto version = l.update_live(op.id, op.expect_version, data)) {  // (the usual case: one statement)
        results.push_back(OpResult::ok(op.id, std::move(*version)));
        continue;
      }
    auto cur = l.get(op.id);
    if (!cur || cur->deleted) {
      results.push_back(OpResult::error("no record " + op.id + " in stream " + stream, op.id));
      continue;
    }
    if (op.expect_version && *op.expect_version != cur->version) {
      results.push_back(OpResult::conflict(
          "record changed since version " + *op.expect_version + " (now " + cur->version + ")", cur->id, cur->version));
      continue;
    }
    Row r = *cur;
    r.version.clear();
    r.modified.clear();
    if (op.op == "update") {
      r.data = std::move(data);
    } else {
      r.deleted = true;
    }
    l.put_existing(r);
    results.push_back(OpResult::ok(r.id, r.version));
  }
  seq.write();
  tx.commit();
  return accord::kit::results_json(results);
}

// The host's own writes, committed: the cursor moves past them (and only
// them) in the log, so that its next read does not hand them back.
std::optional<std::string> SqliteBackend::after_commit(const std::string& stream, const std::string& cursor,
                                                       std::string_view written_json) {
  check_stream_name(stream);
  if (read_only_ || (!db_ && !std::filesystem::exists(path_))) return std::nullopt;
  return log(stream).past_own_writes(cursor, written_json);
}

std::string SqliteBackend::fetch(const std::string& stream, std::string_view ids_json) {
  std::vector<std::string> ids = accord::kit::parse_ids(ids_json);
  return read(stream, [&](RecordLog& l) { return l.records_json(ids); });
}

}  // namespace local
