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
  SqliteBackend(const std::string& path, size_t batch_size);
  std::string read_changes(const std::string& stream, const std::string& cursor) override;
  std::string apply(const std::string& stream, std::string_view ops_json) override;
  std::string fetch(const std::string& stream, std::string_view ids_json) override;

 private:
  RecordLog& log(const std::string& stream);
  Db& db();
  std::string path_;
  std::optional<Db> db_;
  size_t batch_;
  std::map<std::string, std::unique_ptr<RecordLog>> logs_;
};

}  // namespace local
