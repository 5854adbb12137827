// SPDX-License-Identifier: Apache-2.0
// The real plugin file the build produced (LOCAL_PLUGIN, $<TARGET_FILE:local>),
// loaded through its one C entry point, as the host loads it: tests of what
// a run leaves behind (a kill, a full disk) go through the same edge.
#pragma once

#include <accord/connector.h>
#include <accord/lazy_files.h>
#include <accord/streams.h>

#include <boost/json.hpp>

#include <dlfcn.h>

#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace local::test {

// An error answered through the accord_error sink.
struct PluginError : std::runtime_error {
  int32_t status;
  PluginError(int32_t s, const std::string& m) : std::runtime_error(m), status(s) {}
};

inline const accord_connector* plugin_table() {
  static const accord_connector* table = [] {
    void* h = ::dlopen(LOCAL_PLUGIN, RTLD_NOW | RTLD_LOCAL);
    if (!h) throw std::runtime_error(std::string("dlopen: ") + ::dlerror());
    auto entry = reinterpret_cast<accord_connector_entry_fn>(::dlsym(h, ACCORD_ENTRY_SYMBOL));
    if (!entry) throw std::runtime_error("no " ACCORD_ENTRY_SYMBOL);
    const accord_connector* t = entry(ACCORD_ABI_MAJOR, ACCORD_ABI_MINOR);
    if (!t) throw std::runtime_error("the plugin refused this ABI");
    return t;
  }();
  return table;
}

// One instance of the plugin; its log lines are kept in `logged`.
class Plugin {
 public:
  // open_flags: ACCORD_OPEN_* (ACCORD_OPEN_READ_ONLY: as a plan opens it)
  explicit Plugin(const boost::json::object& config, uint64_t open_flags = 0) {
    host_.abi_major = ACCORD_ABI_MAJOR;
    host_.abi_minor = ACCORD_ABI_MINOR;
    host_.struct_size = sizeof host_;
    host_.host_ctx = this;
    host_.log = [](void* ctx, int32_t, const char* m) {
      auto* self = static_cast<Plugin*>(ctx);
      std::lock_guard<std::mutex> g(self->mu_);
      self->logged.emplace_back(m);
    };
    host_.progress = [](void*, const char*, uint64_t, uint64_t) {};
    host_.secret = [](void*, const char*, char*, uint64_t, uint64_t*) -> int32_t { return ACCORD_ERROR; };
    host_.is_cancelled = [](void*) -> int32_t { return 0; };
    host_.store_secret = [](void*, const char*, const char*) -> int32_t { return ACCORD_ERROR; };
    host_.open_flags = open_flags;
    Sink err;
    std::string cfg = boost::json::serialize(config);
    if (plugin_table()->create(&host_, cfg.c_str(), &inst_, &err.e) != ACCORD_OK) throw err.error();
  }
  ~Plugin() {
    if (inst_) plugin_table()->destroy(inst_);
  }
  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;

  boost::json::object read_changes(const std::string& stream, const std::string& cursor) {
    return call([&](const char** out, uint64_t* n, accord_error* e) {
             return plugin_table()->read_changes(inst_, stream.c_str(), cursor.c_str(), out, n, e);
           })
        .as_object();
  }
  // Every batch from cursor on: the records, and the last cursor.
  boost::json::array read_all(const std::string& stream, std::string cursor, std::string* last_cursor = nullptr) {
    boost::json::array out;
    for (;;) {
      auto b = read_changes(stream, cursor);
      for (auto& r : b.at("records").as_array()) out.push_back(r);
      cursor = std::string(b.at("cursor").as_string());
      if (!b.at("more").as_bool()) break;
    }
    if (last_cursor) *last_cursor = cursor;
    return out;
  }
  boost::json::array apply(const std::string& stream, const boost::json::array& ops) {
    std::string text = boost::json::serialize(ops);
    return call([&](const char** out, uint64_t* n, accord_error* e) {
             return plugin_table()->apply(inst_, stream.c_str(), text.c_str(), out, n, e);
           })
        .as_array();
  }
  boost::json::array fetch(const std::string& stream, const boost::json::array& ids) {
    std::string text = boost::json::serialize(ids);
    return call([&](const char** out, uint64_t* n, accord_error* e) {
             return plugin_table()->fetch(inst_, stream.c_str(), text.c_str(), out, n, e);
           })
        .as_object()
        .at("records")
        .as_array();
  }

  // accord.streams.v1's check: throws PluginError when the instance cannot keep stream.
  void check_stream(const std::string& stream) {
    auto* ext = static_cast<const accord_streams_v1*>(plugin_table()->get_extension(inst_, ACCORD_STREAMS_V1));
    if (!ext) throw std::runtime_error("no " ACCORD_STREAMS_V1);
    Sink err;
    if (ext->check(inst_, stream.c_str(), &err.e) != ACCORD_OK) throw err.error();
  }

  // accord.lazy_files.v1's flags (0 without the table)
  uint32_t lazy_files_flags() {
    auto* ext = static_cast<const accord_lazy_files_v1*>(plugin_table()->get_extension(inst_, ACCORD_LAZY_FILES_V1));
    return ext ? ext->flags : 0;
  }

  std::vector<std::string> logged;

 private:
  struct Sink {
    accord_error e{this, [](accord_error* self, int32_t s, const char* m, int64_t) {
                     auto* sink = static_cast<Sink*>(self->host_ctx);
                     sink->status = s;
                     sink->message = m ? m : "";
                   }};
    int32_t status = ACCORD_ERROR;
    std::string message;
    PluginError error() const { return PluginError(status, message); }
  };
  template <class F>
  boost::json::value call(F f) {
    Sink err;
    const char* out = nullptr;
    uint64_t n = 0;
    if (f(&out, &n, &err.e) != ACCORD_OK) throw err.error();
    return boost::json::parse(std::string_view(out, n));
  }

  accord_host host_{};
  accord_instance* inst_ = nullptr;
  std::mutex mu_;
};

}  // namespace local::test
