// SPDX-License-Identifier: Apache-2.0
// The sqlite backend: records kept in one SQLite file, one table per stream,
// with a real change feed (the record log's sequence). Any stream name that
// matches [a-z][a-z0-9_]* may be used: canonical ones and a CRM's own.
// The file is created by the first write: reading a store that does not
// exist yet lists nothing and creates nothing.
#pragma once

#include "backend.hpp"
#include "record_log.hpp"

#include <accord/sql/wal_checkpoint.hpp>

#include <map>
#include <memory>
#include <optional>

namespace local {

class SqliteBackend : public Backend {
 public:
  // read_only: never written; read in place where SQLite can do that without
  // making a file (record_log.hpp, ReadOnlyOpen), else copied into memory
  // when first read
  SqliteBackend(const std::string& path, size_t batch_size, bool read_only = false);
  std::string read_changes(const std::string& stream, const std::string& cursor) override;
  std::string apply(const std::string& stream, std::string_view ops_json) override;
  std::string fetch(const std::string& stream, std::string_view ids_json) override;
  void check_stream(const std::string& stream) const override { check_stream_name(stream); }
  bool tells_after_commit() const override { return !read_only_; }
  std::optional<std::string> after_commit(const std::string& stream, const std::string& cursor,
                                          std::string_view written_json) override;

 private:
  RecordLog& log(const std::string& stream);
  Db& db();
  // read-only: (re)opens the file, in place or (copy, or no other way) as a copy in memory
  void open_read_only(bool copy);
  // read-only: a read of the log, done again on a copy when the file opened
  // immutable changed meanwhile (a torn read, or a stale one)
  template <class Read>
  std::string read(const std::string& stream, Read&& r);
  std::string path_;
  std::optional<Db> db_;
  std::optional<accord::sql::WalCheckpoint> checkpoint_;  // (a writer's: db(); goes before db_)
  size_t batch_;
  bool read_only_;
  std::optional<FileStamp> immutable_;  // the file as it was when opened immutable
  std::map<std::string, std::unique_ptr<RecordLog>> logs_;
};

}  // namespace local
