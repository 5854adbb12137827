// SPDX-License-Identifier: Apache-2.0
// A live connector instance, behind RAII, and the host services handed to it.
//
// Thread safety: an Instance is used by one thread at a time, except cancel(),
// which any thread may call. HostServices is thread-safe. A call made while
// another is in progress on the same Instance (from another thread: a bug
// in the host) never reaches the connector: it throws std::logic_error
// naming both calls (review s14 L4).
#pragma once

#include <accord/status/result.hpp>
#include "plugins/plugin_loader.hpp"

#include <accord/connector.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace accord {

class HostServices {
 public:
  using LogFn = std::function<void(int32_t level, const std::string& message)>;
  using SecretFn = std::function<std::optional<std::string>(const std::string& name)>;
  using ProgressFn = std::function<void(const std::string& stream, uint64_t done, uint64_t total)>;
  using StoreSecretFn = std::function<bool(const std::string& name, const std::string& value)>;

  HostServices();
  HostServices(const HostServices&) = delete;
  HostServices& operator=(const HostServices&) = delete;

  void on_log(LogFn f) { log_ = std::move(f); }
  void on_secret(SecretFn f) { secret_ = std::move(f); }
  void on_progress(ProgressFn f) { progress_ = std::move(f); }
  void on_store_secret(StoreSecretFn f) { store_secret_ = std::move(f); }
  void request_cancel() noexcept { cancelled_.store(true); }
  // ACCORD_OPEN_* bits for the instances created after this call (a plan
  // opens its instances ACCORD_OPEN_READ_ONLY: they create nothing).
  void set_open_flags(uint64_t flags) noexcept { c_.open_flags = flags; }
  bool cancel_requested() const noexcept { return cancelled_.load(); }

  const accord_host* c_struct() const noexcept { return &c_; }

 private:
  static void log_tramp(void* ctx, int32_t level, const char* msg);
  static void progress_tramp(void* ctx, const char* stream, uint64_t done, uint64_t total);
  static int32_t secret_tramp(void* ctx, const char* name, char* buf, uint64_t size, uint64_t* out_len);
  static int32_t cancelled_tramp(void* ctx);
  static int32_t store_secret_tramp(void* ctx, const char* name, const char* value);

  accord_host c_{};
  LogFn log_;
  SecretFn secret_;
  ProgressFn progress_;
  StoreSecretFn store_secret_;
  std::atomic<bool> cancelled_{false};
};

// A connector's create() error as a person reads it in a pipeline's terms:
// the "config: " its kit puts first dropped, and its words "in the config"
// (local's "set \"create\": true in the config") naming the key instead,
// `key` being where that configuration is ("right.config").
std::string config_error_at(std::string message, std::string_view key);

class Instance {
 public:
  static Result<Instance> create(const LoadedPlugin& plugin, const HostServices& host,
                                 const std::string& config_json);

  // Each returns the plugin's JSON answer, valid until the next call here.
  Result<std::string_view> read_changes(const std::string& stream, const std::string& cursor);
  Result<std::string_view> fetch(const std::string& stream, const std::string& ids_json);
  Result<std::string_view> apply(const std::string& stream, const std::string& ops_json);
  // [any thread] never blocks.
  void cancel() noexcept;
  const void* extension(const std::string& name);
  // accord.push.v1: true when `stream` changed since `cursor`, false when
  // timeout_ms passed; UNSUPPORTED when the connector does not offer it.
  Result<bool> wait_for_changes(const std::string& stream, const std::string& cursor, int64_t timeout_ms);
  // accord.streams.v1: whether this instance keeps `stream` (UNSUPPORTED
  // with the connector's words when not); true when the connector does not
  // say (no such extension).
  Result<bool> check_stream(const std::string& stream);
  // accord.streams.v1's fields: the canonical fields this instance keeps of
  // `stream` where its configuration decides them; nullopt where the
  // manifest's list holds (or the connector does not say, or answers
  // something that is not an array of strings).
  std::optional<std::vector<std::string>> stream_fields(const std::string& stream);
  // accord.lazy_files.v1: its flags (ACCORD_LAZY_FILES_FETCH, _APPLY); 0
  // when the connector does not offer it.
  uint32_t lazy_files();
  // accord.lazy_files.v1: fetch with each lazy field written to a file in
  // `dir`, given as {"$file": path}; UNSUPPORTED without the FETCH flag.
  // `ranges`: through fetch_ranges where the connector offers it (several
  // fields may then be parts of one file: ACCORD_LAZY_FILES_RANGES).
  Result<std::string_view> fetch_files(const std::string& stream, const std::string& ids_json, const std::string& dir,
                                       bool ranges = false);
  // accord.watch.v1: {"paths": [...], "ignore": [...]} as the connector
  // answers it for `stream`; nullopt when it offers no watch or has nothing
  // to watch.
  std::optional<std::string> watch_paths(const std::string& stream);

  // accord.after_commit.v1: whether the connector offers it, and the
  // cursor it answers for the committed writes (written_json, see
  // accord/after_commit.h): nullopt to keep `cursor`.
  bool offers_after_commit();
  Result<std::optional<std::string>> after_commit(const std::string& stream, const std::string& cursor,
                                                  const std::string& written_json);

  // accord.check.v1: each record of records_json (a JSON array of canonical
  // data) as the store would keep it once written, nothing written (see
  // accord/check.h); UNSUPPORTED when the connector does not offer it.
  Result<std::string_view> check_records(const std::string& stream, const std::string& records_json);

  const LoadedPlugin& plugin() const { return *plugin_; }

 private:
  struct Deleter {
    const accord_connector* table;
    void operator()(accord_instance* i) const noexcept {
      if (i) table->destroy(i);
    }
  };
  using Call = int32_t (*)(accord_instance*, const char*, const char*, const char**, uint64_t*,
                           accord_error*);
  // Held while a call is in the connector (one at a time: accord/connector.h,
  // rule 3); a second one meanwhile throws.
  class Calling;
  Result<std::string_view> call(Call fn, const char* what, const std::string& stream,
                                const std::string& arg);

  const LoadedPlugin* plugin_ = nullptr;
  std::unique_ptr<accord_instance, Deleter> inst_;
  // the call in the connector now (its name), else nullptr: Calling's
  std::unique_ptr<std::atomic<const char*>> calling_ = std::make_unique<std::atomic<const char*>>(nullptr);
};

}  // namespace accord
