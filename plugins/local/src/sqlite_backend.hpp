// The sqlite backend: records kept in one SQLite file, one table per stream,
// with a real change feed (the record log's sequence). Any stream name that
// matches [a-z][a-z0-9_]* may be used: canonical ones and a CRM's own.
// The file is created by the first write: reading a store that does not
// exist yet lists nothing and creates nothing.
#pragma once

#include "backend.hpp"
#include "record_log.hpp"

#include <map>
#include <memory>
#include <optional>

namespace local {

class SqliteBackend : public Backend {
 public:
  // read_only: the file is copied into memory when first read, never written
  SqliteBackend(const std::string& path, size_t batch_size, bool read_only = false);
  std::string read_changes(const std::string& stream, const std::string& cursor) override;
  std::string apply(const std::string& stream, std::string_view ops_json) override;
  std::string fetch(const std::string& stream, std::string_view ids_json) override;
  void check_stream(const std::string& stream) const override { check_stream_name(stream); }

 private:
  RecordLog& log(const std::string& stream);
  Db& db();
  std::string path_;
  std::optional<Db> db_;
  size_t batch_;
  bool read_only_;
  std::map<std::string, std::unique_ptr<RecordLog>> logs_;
};

}  // namespace local
