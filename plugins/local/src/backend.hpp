// SPDX-License-Identifier: Apache-2.0
// A storage backend of the local connector: one per instance, chosen by the
// "backend" key of the configuration.
#pragma once

#include <accord/connector.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace local {

class Backend {
 public:
  virtual ~Backend() = default;
  // A batch JSON of the changes after cursor ("" = full listing).
  virtual std::string read_changes(const std::string& stream, const std::string& cursor) = 0;
  // Applies a JSON array of ops; returns a JSON array of results.
  virtual std::string apply(const std::string& stream, std::string_view ops_json) = 0;
  // {"records":[…]} for a JSON array of ids.
  virtual std::string fetch(const std::string& stream, std::string_view ids_json) = 0;
  // accord.lazy_files.v1: whether this backend offers it, and fetch with the
  // lazy fields written to files in `dir` (see accord/lazy_files.h).
  virtual bool lazy_files() const { return false; }
  // and its flags beyond FETCH and APPLY: ACCORD_LAZY_FILES_TAKE (apply may
  // move or remove a file it is handed), ACCORD_LAZY_FILES_RANGES (apply
  // reads parts of files; fetch_files' answer serves as fetch_ranges')
  virtual uint32_t lazy_files_more() const { return 0; }
  virtual std::string fetch_files(const std::string& stream, std::string_view ids_json, const std::string& dir) {
    (void)stream, (void)ids_json, (void)dir;
    throw accord::Error(ACCORD_UNSUPPORTED, "this backend does not write lazy fields to files");
  }
  // accord.after_commit.v1 (accord/after_commit.h): whether this backend
  // offers it, and the cursor past the changes after `cursor` that are
  // exactly the host's committed writes (written_json); nullopt: keep it.
  virtual bool tells_after_commit() const { return false; }
  virtual std::optional<std::string> after_commit(const std::string& stream, const std::string& cursor,
                                                  std::string_view written_json) {
    (void)stream, (void)cursor, (void)written_json;
    return std::nullopt;
  }
  // accord.check.v1 (accord/check.h): whether this backend offers it (its
  // converter may not keep every field), and each record of records_json
  // as it would keep it once written (null where it cannot say); writes
  // nothing.
  virtual bool checks() const { return false; }
  virtual std::string check_records(const std::string& stream, std::string_view records_json) {
    (void)stream, (void)records_json;
    throw accord::Error(ACCORD_UNSUPPORTED, "this backend keeps every field as it is sent");
  }
  // Throws accord::Error(UNSUPPORTED, why) when the backend cannot keep
  // `stream`. Creates nothing.
  virtual void check_stream(const std::string& stream) const = 0;

  // Long loops poll this and stop with ACCORD_CANCELLED when it says so.
  std::function<bool()> cancelled = [] { return false; };
};

}  // namespace local
