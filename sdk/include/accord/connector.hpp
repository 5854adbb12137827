// SPDX-License-Identifier: Apache-2.0
// accord/connector.hpp — header-only C++17 wrapper over connector.h.
//
// Subclass accord::Connector, give it a constructor (const accord::Host&,
// std::string_view config_json), and export it with one macro:
//
//   ACCORD_CONNECTOR(MyConnector, kManifestJson, ACCORD_CAP_READ | ACCORD_CAP_WRITE)
//
// Every trampoline here is noexcept: exceptions thrown by the subclass become a
// status and a message (accord::Error carries its own status); nothing crosses
// the C boundary. This header needs nothing beyond the C++17 standard library,
// so a connector can use any JSON library it likes.
#ifndef ACCORD_CONNECTOR_HPP
#define ACCORD_CONNECTOR_HPP

#include <accord/after_commit.h>
#include <accord/check.h>
#include <accord/connector.h>
#include <accord/lazy_files.h>
#include <accord/push.h>
#include <accord/streams.h>
#include <accord/watch.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <exception>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace accord {

// An error with an Accord status. Throw it from a Connector method.
class Error : public std::runtime_error {
 public:
  Error(int32_t status, const std::string& message, int64_t retry_after_ms = 0)
      : std::runtime_error(message), status_(status), retry_after_ms_(retry_after_ms) {}
  int32_t status() const noexcept { return status_; }
  int64_t retry_after_ms() const noexcept { return retry_after_ms_; }

 private:
  int32_t status_;
  int64_t retry_after_ms_;
};

// The host's services. Thread-safe: any method may be called from any thread.
class Host {
 public:
  explicit Host(const accord_host* h) noexcept : h_(h) {}

  void log(int32_t level, const std::string& message) const noexcept {
    if (h_ && h_->log) h_->log(h_->host_ctx, level, message.c_str());
  }
  void progress(const std::string& stream, uint64_t done, uint64_t total) const noexcept {
    if (h_ && h_->progress) h_->progress(h_->host_ctx, stream.c_str(), done, total);
  }
  // The secret named `name`, or nullopt when the host has none by that name.
  std::optional<std::string> secret(const std::string& name) const {
    if (!h_ || !h_->secret) return std::nullopt;
    std::string buf(256, '\0');
    for (int attempt = 0; attempt < 2; ++attempt) {
      uint64_t len = 0;
      int32_t st = h_->secret(h_->host_ctx, name.c_str(), buf.data(), buf.size(), &len);
      if (st == ACCORD_OK) {
        buf.resize(static_cast<size_t>(len));
        return buf;
      }
      if (st != ACCORD_RETRY) return std::nullopt;
      buf.assign(static_cast<size_t>(len) + 1, '\0');
    }
    return std::nullopt;
  }
  bool is_cancelled() const noexcept {
    return h_ && h_->is_cancelled && h_->is_cancelled(h_->host_ctx) != 0;
  }
  // Stores a secret the service rotated (ABI 1.1). False when the host is
  // older than 1.1 or could not store it.
  bool store_secret(const std::string& name, const std::string& value) const noexcept {
    if (!h_ || h_->struct_size < ACCORD_HOST_SIZE_1_1 || !h_->store_secret) return false;
    return h_->store_secret(h_->host_ctx, name.c_str(), value.c_str()) == ACCORD_OK;
  }
  // ACCORD_OPEN_* bits (ABI 1.2; 0 from an older host).
  uint64_t open_flags() const noexcept {
    return h_ && h_->struct_size >= ACCORD_HOST_SIZE_1_2 ? h_->open_flags : 0;
  }
  // The host only reads through this instance: create and change nothing.
  bool read_only() const noexcept { return (open_flags() & ACCORD_OPEN_READ_ONLY) != 0; }
  const accord_host* raw() const noexcept { return h_; }

 private:
  const accord_host* h_;
};

// Base class of a connector instance. One host thread calls the virtual
// methods at a time; cancel() may come from any thread.
class Connector {
 public:
  explicit Connector(const Host& host) : host_(host) {}
  virtual ~Connector() = default;
  Connector(const Connector&) = delete;
  Connector& operator=(const Connector&) = delete;

  // Returns a batch JSON (see connector.h). cursor "" means a full listing.
  virtual std::string read_changes(std::string_view stream, std::string_view cursor) = 0;
  // Returns {"records":[…]} for a JSON array of ids.
  virtual std::string fetch(std::string_view stream, std::string_view ids_json) {
    (void)stream;
    (void)ids_json;
    throw Error(ACCORD_UNSUPPORTED, "this connector does not fetch records lazily");
  }
  // Returns a JSON array with one result per op.
  virtual std::string apply(std::string_view stream, std::string_view ops_json) {
    (void)stream;
    (void)ops_json;
    throw Error(ACCORD_UNSUPPORTED, "this connector is read-only");
  }
  // Extensions by name; the default offers none. A connector that can wait
  // for changes (accord/push.h) answers `accord::push_extension()` for
  // ACCORD_PUSH_V1 and overrides wait_for_changes.
  virtual const void* get_extension(std::string_view name) noexcept {
    (void)name;
    return nullptr;
  }
  // accord.push.v1: true when `stream` changed since `cursor`, false when
  // timeout_ms passed first.
  virtual bool wait_for_changes(std::string_view stream, std::string_view cursor, int64_t timeout_ms) {
    (void)stream;
    (void)cursor;
    (void)timeout_ms;
    throw Error(ACCORD_UNSUPPORTED, "this connector cannot wait for changes");
  }

  // accord.after_commit.v1: the host committed these writes to `stream`
  // (written_json: [{"op", "id", "version"}...], see accord/after_commit.h)
  // while holding `cursor`; the cursor it is to hold instead, moved only
  // past changes that are exactly these writes, or nullopt to keep it.
  // Offer it by answering `accord::after_commit_extension()` for
  // ACCORD_AFTER_COMMIT_V1.
  virtual std::optional<std::string> after_commit(std::string_view stream, std::string_view cursor,
                                                  std::string_view written_json) {
    (void)stream;
    (void)cursor;
    (void)written_json;
    return std::nullopt;
  }

  // accord.check.v1: for a JSON array of records of `stream` (canonical
  // data, as ops carry it), a JSON array of the same length: each record as
  // the store would keep it once written (converted and read back, nothing
  // written), or null where it cannot say. Offer it by answering
  // `accord::check_extension()` for ACCORD_CHECK_V1.
  virtual std::string check_records(std::string_view stream, std::string_view records_json) {
    (void)stream;
    (void)records_json;
    throw Error(ACCORD_UNSUPPORTED, "this connector does not say what a write would keep");
  }

  // accord.lazy_files.v1: fetch's answer with each lazy field written to a
  // file of its own in `dir` and given as {"$file": path}. Offer it by
  // answering `accord::lazy_files_extension()` for ACCORD_LAZY_FILES_V1
  // (that table also says apply takes such references; lazy_files_extension(
  // ACCORD_LAZY_FILES_TAKE): apply may move or remove them).
  virtual std::string fetch_files(std::string_view stream, std::string_view ids_json, std::string_view dir) {
    (void)stream;
    (void)ids_json;
    (void)dir;
    throw Error(ACCORD_UNSUPPORTED, "this connector does not write lazy fields to files");
  }
  // accord.lazy_files.v1 with ACCORD_LAZY_FILES_RANGES: fetch_files whose
  // answer may give a field as {"$file": path, "offset": n, "length": n},
  // a part of a file other fields share (one file a call, not one a field).
  // By default fetch_files' answer (a file a field is a valid answer).
  virtual std::string fetch_ranges(std::string_view stream, std::string_view ids_json, std::string_view dir) {
    return fetch_files(stream, ids_json, dir);
  }

  // accord.streams.v1: throws Error(ACCORD_UNSUPPORTED, why) when this
  // instance cannot serve `stream` (a contacts folder asked for events).
  // Cheap: no network, creates nothing. Offer it by answering
  // `accord::streams_extension()` for ACCORD_STREAMS_V1.
  virtual void check_stream(std::string_view stream) { (void)stream; }
  // accord.streams.v1's fields: the canonical fields this instance keeps of
  // `stream` where its configuration decides them (field paths, * and
  // [key=value] as in mappings); nullopt: the manifest's list holds.
  virtual std::optional<std::vector<std::string>> stream_fields(std::string_view stream) {
    (void)stream;
    return std::nullopt;
  }

  // accord.watch.v1: the local paths whose changes change what
  // read_changes answers for `stream` (folders watched with their
  // subfolders), and those under them whose changes do not count (the
  // connector's own index); nullopt: nothing to watch. Offer it by
  // answering `accord::watch_extension()` for ACCORD_WATCH_V1.
  struct WatchPaths {
    std::vector<std::string> paths, ignore;
  };
  virtual std::optional<WatchPaths> watch_paths(std::string_view stream) {
    (void)stream;
    return std::nullopt;
  }

  // [any thread] Sets the flag that cancelled() reads. Override to also abort
  // blocking I/O, and call the base.
  virtual void cancel() noexcept { cancelled_.store(true, std::memory_order_relaxed); }
  // True once cancel() was called or the host asks the run to stop. Long
  // loops check it and throw CancelledError().
  bool cancelled() const noexcept {
    return cancelled_.load(std::memory_order_relaxed) || host_.is_cancelled();
  }
  void throw_if_cancelled() const {
    if (cancelled()) throw Error(ACCORD_CANCELLED, "cancelled");
  }
  const Host& host() const noexcept { return host_; }

 private:
  Host host_;
  std::atomic<bool> cancelled_{false};

 public:
  // Owned by the trampolines: the last answer handed to the host.
  std::string last_answer_;
};

namespace detail {

inline accord_instance* to_c(Connector* c) noexcept { return reinterpret_cast<accord_instance*>(c); }
inline Connector* from_c(accord_instance* i) noexcept { return reinterpret_cast<Connector*>(i); }

inline int32_t report(accord_error* err, int32_t status, const char* msg, int64_t retry_ms) noexcept {
  if (err && err->set) err->set(err, status, msg, retry_ms);
  return status;
}

// Runs f, turning any exception into a status and a message.
template <class F>
int32_t guarded(accord_error* err, F&& f) noexcept {
  try {
    f();
    return ACCORD_OK;
  } catch (const Error& e) {
    return report(err, e.status(), e.what(), e.retry_after_ms());
  } catch (const std::bad_alloc&) {
    return report(err, ACCORD_ERROR, "out of memory", 0);
  } catch (const std::exception& e) {
    return report(err, ACCORD_ERROR, e.what(), 0);
  } catch (...) {
    return report(err, ACCORD_ERROR, "unknown exception in connector", 0);
  }
}

template <class T>
int32_t create(const accord_host* host, const char* config, accord_instance** out,
               accord_error* err) noexcept {
  return guarded(err, [&] {
    *out = nullptr;
    T* inst = new T(Host(host), std::string_view(config ? config : "{}"));
    *out = to_c(inst);
  });
}

inline void destroy(accord_instance* inst) noexcept {
  try {
    delete from_c(inst);
  } catch (...) {
  }
}

template <class M>
int32_t answer(accord_instance* inst, const char** out, uint64_t* len, accord_error* err,
               M&& method) noexcept {
  Connector* c = from_c(inst);
  return guarded(err, [&] {
    if (c->cancelled()) throw Error(ACCORD_CANCELLED, "cancelled");
    c->last_answer_ = method(c);
    *out = c->last_answer_.c_str();
    *len = c->last_answer_.size();
  });
}

inline int32_t read_changes(accord_instance* inst, const char* stream, const char* cursor,
                            const char** out, uint64_t* len, accord_error* err) noexcept {
  return answer(inst, out, len, err, [&](Connector* c) {
    return c->read_changes(stream ? stream : "", cursor ? cursor : "");
  });
}

inline int32_t fetch(accord_instance* inst, const char* stream, const char* ids,
                     const char** out, uint64_t* len, accord_error* err) noexcept {
  return answer(inst, out, len, err,
                [&](Connector* c) { return c->fetch(stream ? stream : "", ids ? ids : "[]"); });
}

inline int32_t apply(accord_instance* inst, const char* stream, const char* ops,
                     const char** out, uint64_t* len, accord_error* err) noexcept {
  return answer(inst, out, len, err,
                [&](Connector* c) { return c->apply(stream ? stream : "", ops ? ops : "[]"); });
}

inline int32_t fetch_files(accord_instance* inst, const char* stream, const char* ids, const char* dir,
                           const char** out, uint64_t* len, accord_error* err) noexcept {
  return answer(inst, out, len, err, [&](Connector* c) {
    return c->fetch_files(stream ? stream : "", ids ? ids : "[]", dir ? dir : "");
  });
}

inline int32_t fetch_ranges(accord_instance* inst, const char* stream, const char* ids, const char* dir,
                            const char** out, uint64_t* len, accord_error* err) noexcept {
  return answer(inst, out, len, err, [&](Connector* c) {
    return c->fetch_ranges(stream ? stream : "", ids ? ids : "[]", dir ? dir : "");
  });
}

inline int32_t after_commit(accord_instance* inst, const char* stream, const char* cursor, const char* written,
                            const char** out, uint64_t* len, accord_error* err) noexcept {
  return answer(inst, out, len, err, [&](Connector* c) {
    auto moved = c->after_commit(stream ? stream : "", cursor ? cursor : "", written ? written : "[]");
    return moved ? std::move(*moved) : std::string();
  });
}

inline int32_t check_records(accord_instance* inst, const char* stream, const char* records, const char** out,
                             uint64_t* len, accord_error* err) noexcept {
  return answer(inst, out, len, err,
                [&](Connector* c) { return c->check_records(stream ? stream : "", records ? records : "[]"); });
}

inline void cancel(accord_instance* inst) noexcept { from_c(inst)->cancel(); }

inline int32_t push_wait(accord_instance* inst, const char* stream, const char* cursor, int64_t timeout_ms,
                         int32_t* changed, accord_error* err) noexcept {
  Connector* c = from_c(inst);
  return guarded(err, [&] {
    if (c->cancelled()) throw Error(ACCORD_CANCELLED, "cancelled");
    *changed = c->wait_for_changes(stream ? stream : "", cursor ? cursor : "", timeout_ms) ? 1 : 0;
  });
}

inline int32_t streams_check(accord_instance* inst, const char* stream, accord_error* err) noexcept {
  Connector* c = from_c(inst);
  return guarded(err, [&] { c->check_stream(stream ? stream : ""); });
}

// A JSON array of strings.
inline std::string json_strings(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const auto& f : items) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (unsigned char ch : f) {
      if (ch == '"' || ch == '\\') out += '\\', out += static_cast<char>(ch);
      else if (ch < 0x20) {
        static const char hex[] = "0123456789abcdef";
        out += "\\u00";
        out += hex[ch >> 4];
        out += hex[ch & 15];
      } else out += static_cast<char>(ch);
    }
    out += '"';
  }
  return out + "]";
}

// stream_fields as a JSON array of strings, kept in last_answer_ (valid
// until the next call on the instance); NULL for nullopt or any failure.
inline const char* streams_fields(accord_instance* inst, const char* stream) noexcept {
  Connector* c = from_c(inst);
  try {
    auto fields = c->stream_fields(stream ? stream : "");
    if (!fields) return nullptr;
    c->last_answer_ = json_strings(*fields);
    return c->last_answer_.c_str();
  } catch (...) {
    return nullptr;
  }
}

// watch_paths as {"paths": [...], "ignore": [...]}, kept in last_answer_;
// NULL for nullopt or any failure.
inline const char* watch_paths(accord_instance* inst, const char* stream) noexcept {
  Connector* c = from_c(inst);
  try {
    auto w = c->watch_paths(stream ? stream : "");
    if (!w) return nullptr;
    c->last_answer_ = "{\"paths\":" + json_strings(w->paths) + ",\"ignore\":" + json_strings(w->ignore) + "}";
    return c->last_answer_.c_str();
  } catch (...) {
    return nullptr;
  }
}

inline const void* get_extension(accord_instance* inst, const char* name) noexcept {
  return from_c(inst)->get_extension(name ? name : "");
}

template <class T>
const accord_connector* table(const char* manifest, uint64_t caps) noexcept {
  static const accord_connector t = {
      ACCORD_ABI_MAJOR,  ACCORD_ABI_MINOR, sizeof(accord_connector), 0,
      manifest,          caps,             &create<T>,               &destroy,
      &read_changes,     &fetch,           &apply,                   &cancel,
      &get_extension};
  return &t;
}

}  // namespace detail

// The accord.push.v1 table for get_extension, calling wait_for_changes.
inline const void* push_extension() noexcept {
  static const accord_push_v1 t = {sizeof(accord_push_v1), &detail::push_wait};
  return &t;
}

// The accord.lazy_files.v1 table for get_extension: fetch_files writes lazy
// fields to files and apply reads {"$file": path} references. `more`: any
// of ACCORD_LAZY_FILES_TAKE (apply may also move or remove a file it is
// handed) and ACCORD_LAZY_FILES_RANGES (apply reads parts of files,
// fetch_ranges answers them).
inline const void* lazy_files_extension(uint32_t more = 0) noexcept {
  static const auto tables = [] {
    std::array<accord_lazy_files_v1, 4> t{};
    for (uint32_t k = 0; k < t.size(); ++k) {
      uint32_t flags = ACCORD_LAZY_FILES_FETCH | ACCORD_LAZY_FILES_APPLY | (k & 1 ? ACCORD_LAZY_FILES_TAKE : 0u) |
                       (k & 2 ? ACCORD_LAZY_FILES_RANGES : 0u);
      t[k] = {sizeof(accord_lazy_files_v1), flags, &detail::fetch_files,
              flags & ACCORD_LAZY_FILES_RANGES ? &detail::fetch_ranges : nullptr};
    }
    return t;
  }();
  return &tables[(more & ACCORD_LAZY_FILES_TAKE ? 1 : 0) | (more & ACCORD_LAZY_FILES_RANGES ? 2 : 0)];
}

// The accord.after_commit.v1 table for get_extension, calling after_commit.
inline const void* after_commit_extension() noexcept {
  static const accord_after_commit_v1 t = {sizeof(accord_after_commit_v1), &detail::after_commit};
  return &t;
}

// The accord.check.v1 table for get_extension, calling check_records.
inline const void* check_extension() noexcept {
  static const accord_check_v1 t = {sizeof(accord_check_v1), &detail::check_records};
  return &t;
}

// The accord.streams.v1 table for get_extension, calling check_stream.
inline const void* streams_extension() noexcept {
  static const accord_streams_v1 t = {sizeof(accord_streams_v1), &detail::streams_check, &detail::streams_fields};
  return &t;
}

// The accord.watch.v1 table for get_extension, calling watch_paths.
inline const void* watch_extension() noexcept {
  static const accord_watch_v1 t = {sizeof(accord_watch_v1), &detail::watch_paths};
  return &t;
}

}  // namespace accord

// Exports Class as this library's connector. Use once, at namespace scope.
#define ACCORD_CONNECTOR(Class, manifest_json, capabilities)                             \
  extern "C" ACCORD_EXPORT const accord_connector* accord_connector_entry(               \
      uint32_t host_abi_major, uint32_t host_abi_minor) {                                \
    /* always answer: the host compares versions and explains a mismatch */             \
    (void)host_abi_major;                                                                \
    (void)host_abi_minor;                                                                \
    return ::accord::detail::table<Class>(manifest_json, capabilities);                  \
  }

#endif  // ACCORD_CONNECTOR_HPP
