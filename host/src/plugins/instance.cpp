// SPDX-License-Identifier: Apache-2.0
#include "plugins/instance.hpp"

#include <accord/after_commit.h>
#include <accord/check.h>
#include <accord/lazy_files.h>
#include <accord/push.h>
#include <accord/watch.h>
#include <accord/streams.h>

#include <accord/net/redact.hpp>

#include <boost/json.hpp>

#include <cstddef>
#include <cstring>
#include <stdexcept>

namespace accord {

// A connector instance answers one call at a time (accord/connector.h, rule
// 3); the host keeps that rule by its own design (the engine's fetch ahead
// calls a source from a thread of its own: applying.cpp), and this catches
// any break of it before the connector sees a second call: it throws, the
// pair fails saying so, nothing is written by that call.
class Instance::Calling {
 public:
  Calling(const Instance& i, const char* what) : busy_(*i.calling_) {
    const char* was = nullptr;
    if (!busy_.compare_exchange_strong(was, what, std::memory_order_acquire))
      throw std::logic_error("Accord called " + i.plugin_->manifest.id + "'s " + what + " while its " + was +
                             " was in progress on the same instance (a connector answers one call at a time): "
                             "refused, nothing sent. This is a bug in Accord; please report it");
  }
  ~Calling() { busy_.store(nullptr, std::memory_order_release); }
  Calling(const Calling&) = delete;
  Calling& operator=(const Calling&) = delete;

 private:
  std::atomic<const char*>& busy_;
};

HostServices::HostServices() {
  c_.abi_major = ACCORD_ABI_MAJOR;
  c_.abi_minor = ACCORD_ABI_MINOR;
  c_.struct_size = sizeof(accord_host);
  c_.host_ctx = this;
  c_.log = &log_tramp;
  c_.progress = &progress_tramp;
  c_.secret = &secret_tramp;
  c_.is_cancelled = &cancelled_tramp;
  c_.store_secret = &store_secret_tramp;
}

// The trampolines are called by plugins: nothing may throw out of them.
void HostServices::log_tramp(void* ctx, int32_t level, const char* msg) {
  try {
    auto* self = static_cast<HostServices*>(ctx);
    // a plugin's words pass through redaction (redact.hpp) on their way in
    if (self->log_ && msg) self->log_(level, net::redact(msg));
  } catch (...) {
  }
}

void HostServices::progress_tramp(void* ctx, const char* stream, uint64_t done, uint64_t total) {
  try {
    auto* self = static_cast<HostServices*>(ctx);
    if (self->progress_) self->progress_(stream ? stream : "", done, total);
  } catch (...) {
  }
}

int32_t HostServices::secret_tramp(void* ctx, const char* name, char* buf, uint64_t size,
                                   uint64_t* out_len) {
  try {
    auto* self = static_cast<HostServices*>(ctx);
    if (!self->secret_ || !name) return ACCORD_ERROR;
    auto s = self->secret_(name);
    if (!s) return ACCORD_ERROR;
    if (out_len) *out_len = s->size();
    if (!buf || size < s->size() + 1) return ACCORD_RETRY;
    std::memcpy(buf, s->data(), s->size());
    buf[s->size()] = '\0';
    return ACCORD_OK;
  } catch (...) {
    return ACCORD_ERROR;
  }
}

int32_t HostServices::store_secret_tramp(void* ctx, const char* name, const char* value) {
  try {
    auto* self = static_cast<HostServices*>(ctx);
    if (!self->store_secret_ || !name || !value) return ACCORD_ERROR;
    return self->store_secret_(name, value) ? ACCORD_OK : ACCORD_ERROR;
  } catch (...) {
    return ACCORD_ERROR;
  }
}

int32_t HostServices::cancelled_tramp(void* ctx) {
  return static_cast<HostServices*>(ctx)->cancelled_.load() ? 1 : 0;
}

namespace {

struct ErrorSink {
  accord_error c{};
  Failure failure;
  bool set = false;

  ErrorSink() {
    c.host_ctx = this;
    c.set = [](accord_error* self, int32_t status, const char* message, int64_t retry_ms) {
      try {
        auto* sink = static_cast<ErrorSink*>(self->host_ctx);
        sink->failure = Failure{status, message ? net::redact(message) : "", retry_ms};
        sink->set = true;
      } catch (...) {
      }
    };
  }

  Failure take(int32_t status, const std::string& plugin_id, const char* what) {
    Failure f = set ? failure : Failure{status, "", 0};
    f.status = status;  // the return value is authoritative
    if (f.message.empty())
      f.message = plugin_id + ": " + what + " returned " + status_name(status) + " without a message";
    return f;
  }
};

}  // namespace

std::string config_error_at(std::string message, std::string_view key) {
  if (message.starts_with("config: ")) message.erase(0, 8);
  constexpr std::string_view kWords = "in the config";
  if (size_t c = message.find(kWords); c != std::string::npos) message.replace(c, kWords.size(), "in " + std::string(key));
  return message;
}

Result<Instance> Instance::create(const LoadedPlugin& plugin, const HostServices& host,
                                  const std::string& config_json) {
  ErrorSink sink;
  accord_instance* raw = nullptr;
  int32_t st = plugin.table->create(host.c_struct(), config_json.c_str(), &raw, &sink.c);
  if (st != ACCORD_OK) {
    if (raw) plugin.table->destroy(raw);
    return std::unexpected(sink.take(st, plugin.manifest.id, "create"));
  }
  if (!raw) return fail(plugin.manifest.id + ": create returned ok but no instance");
  Instance i;
  i.plugin_ = &plugin;
  i.inst_ = std::unique_ptr<accord_instance, Deleter>(raw, Deleter{plugin.table});
  return i;
}

Result<std::string_view> Instance::call(Call fn, const char* what, const std::string& stream,
                                        const std::string& arg) {
  if (!fn) return fail(plugin_->manifest.id + " does not implement " + what, ACCORD_UNSUPPORTED);
  ErrorSink sink;
  const char* out = nullptr;
  uint64_t len = 0;
  int32_t st = [&] {
    Calling one(*this, what);
    return fn(inst_.get(), stream.c_str(), arg.c_str(), &out, &len, &sink.c);
  }();
  if (st != ACCORD_OK) return std::unexpected(sink.take(st, plugin_->manifest.id, what));
  if (!out) return fail(plugin_->manifest.id + ": " + what + " returned ok but no answer");
  return std::string_view(out, static_cast<size_t>(len));
}

Result<std::string_view> Instance::read_changes(const std::string& stream, const std::string& cursor) {
  return call(plugin_->table->read_changes, "read_changes", stream, cursor);
}

Result<std::string_view> Instance::fetch(const std::string& stream, const std::string& ids_json) {
  return call(plugin_->table->fetch, "fetch", stream, ids_json);
}

Result<std::string_view> Instance::apply(const std::string& stream, const std::string& ops_json) {
  return call(plugin_->table->apply, "apply", stream, ops_json);
}

void Instance::cancel() noexcept { plugin_->table->cancel(inst_.get()); }

const void* Instance::extension(const std::string& name) {
  Calling one(*this, "get_extension");
  return plugin_->table->get_extension ? plugin_->table->get_extension(inst_.get(), name.c_str())
                                       : nullptr;
}

Result<bool> Instance::wait_for_changes(const std::string& stream, const std::string& cursor, int64_t timeout_ms) {
  auto* push = static_cast<const accord_push_v1*>(extension(ACCORD_PUSH_V1));
  if (!push || push->struct_size < offsetof(accord_push_v1, wait) + sizeof push->wait || !push->wait)
    return fail(plugin_->manifest.id + " cannot wait for changes (no " ACCORD_PUSH_V1 ")", ACCORD_UNSUPPORTED);
  ErrorSink sink;
  int32_t changed = 0;
  int32_t st = [&] {
    Calling one(*this, "wait");
    return push->wait(inst_.get(), stream.c_str(), cursor.c_str(), timeout_ms, &changed, &sink.c);
  }();
  if (st != ACCORD_OK) return std::unexpected(sink.take(st, plugin_->manifest.id, "wait"));
  return changed != 0;
}

std::optional<std::vector<std::string>> Instance::stream_fields(const std::string& stream) {
  auto* ext = static_cast<const accord_streams_v1*>(extension(ACCORD_STREAMS_V1));
  if (!ext || ext->struct_size < offsetof(accord_streams_v1, fields) + sizeof ext->fields || !ext->fields) return std::nullopt;
  const char* text = nullptr;
  {
    Calling one(*this, "fields");
    text = ext->fields(inst_.get(), stream.c_str());
  }
  if (!text) return std::nullopt;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& f : v.get_array()) {
    if (!f.is_string()) return std::nullopt;
    out.emplace_back(f.get_string());
  }
  return out;
}

uint32_t Instance::lazy_files() {
  auto* ext = static_cast<const accord_lazy_files_v1*>(extension(ACCORD_LAZY_FILES_V1));
  if (!ext || ext->struct_size < offsetof(accord_lazy_files_v1, fetch_files) + sizeof ext->fetch_files) return 0;
  return ext->fetch_files ? ext->flags : ext->flags & ~ACCORD_LAZY_FILES_FETCH;
}

Result<std::string_view> Instance::fetch_files(const std::string& stream, const std::string& ids_json,
                                               const std::string& dir, bool ranges) {
  auto* ext = static_cast<const accord_lazy_files_v1*>(extension(ACCORD_LAZY_FILES_V1));
  if (!(lazy_files() & ACCORD_LAZY_FILES_FETCH))
    return fail(plugin_->manifest.id + " does not write lazy fields to files (no " ACCORD_LAZY_FILES_V1 ")",
                ACCORD_UNSUPPORTED);
  ErrorSink sink;
  const char* out = nullptr;
  uint64_t len = 0;
  auto call = ext->fetch_files;
  if (ranges && (ext->flags & ACCORD_LAZY_FILES_RANGES) &&
      ext->struct_size >= offsetof(accord_lazy_files_v1, fetch_ranges) + sizeof ext->fetch_ranges && ext->fetch_ranges)
    call = ext->fetch_ranges;
  int32_t st = [&] {
    Calling one(*this, call == ext->fetch_files ? "fetch_files" : "fetch_ranges");
    return call(inst_.get(), stream.c_str(), ids_json.c_str(), dir.c_str(), &out, &len, &sink.c);
  }();
  if (st != ACCORD_OK) return std::unexpected(sink.take(st, plugin_->manifest.id, "fetch_files"));
  if (!out) return fail(plugin_->manifest.id + ": fetch_files returned ok but no answer");
  return std::string_view(out, static_cast<size_t>(len));
}

bool Instance::offers_after_commit() {
  auto* ext = static_cast<const accord_after_commit_v1*>(extension(ACCORD_AFTER_COMMIT_V1));
  return ext && ext->struct_size >= offsetof(accord_after_commit_v1, committed) + sizeof ext->committed && ext->committed;
}

Result<std::optional<std::string>> Instance::after_commit(const std::string& stream, const std::string& cursor,
                                                          const std::string& written_json) {
  if (!offers_after_commit())
    return fail(plugin_->manifest.id + " is not told of committed writes (no " ACCORD_AFTER_COMMIT_V1 ")",
                ACCORD_UNSUPPORTED);
  auto* ext = static_cast<const accord_after_commit_v1*>(extension(ACCORD_AFTER_COMMIT_V1));
  ErrorSink sink;
  const char* out = nullptr;
  uint64_t len = 0;
  int32_t st = [&] {
    Calling one(*this, "after_commit");
    return ext->committed(inst_.get(), stream.c_str(), cursor.c_str(), written_json.c_str(), &out, &len, &sink.c);
  }();
  if (st != ACCORD_OK) return std::unexpected(sink.take(st, plugin_->manifest.id, "after_commit"));
  if (!out || len == 0) return std::optional<std::string>();
  return std::optional<std::string>(std::string(out, static_cast<size_t>(len)));
}

Result<std::string_view> Instance::check_records(const std::string& stream, const std::string& records_json) {
  auto* ext = static_cast<const accord_check_v1*>(extension(ACCORD_CHECK_V1));
  if (!ext || ext->struct_size < offsetof(accord_check_v1, check) + sizeof ext->check || !ext->check)
    return fail(plugin_->manifest.id + " does not say what a write would keep (no " ACCORD_CHECK_V1 ")",
                ACCORD_UNSUPPORTED);
  return call(ext->check, "check", stream, records_json);
}

std::optional<std::string> Instance::watch_paths(const std::string& stream) {
  auto* ext = static_cast<const accord_watch_v1*>(extension(ACCORD_WATCH_V1));
  if (!ext || ext->struct_size < offsetof(accord_watch_v1, paths) + sizeof ext->paths || !ext->paths) return std::nullopt;
  const char* text = nullptr;
  {
    Calling one(*this, "watch paths");
    text = ext->paths(inst_.get(), stream.c_str());
  }
  if (!text) return std::nullopt;
  return std::string(text);
}

Result<bool> Instance::check_stream(const std::string& stream) {
  auto* ext = static_cast<const accord_streams_v1*>(extension(ACCORD_STREAMS_V1));
  if (!ext || ext->struct_size < offsetof(accord_streams_v1, check) + sizeof ext->check || !ext->check) return true;
  ErrorSink sink;
  int32_t st = [&] {
    Calling one(*this, "check_stream");
    return ext->check(inst_.get(), stream.c_str(), &sink.c);
  }();
  if (st != ACCORD_OK) return std::unexpected(sink.take(st, plugin_->manifest.id, "check"));
  return true;
}

}  // namespace accord
