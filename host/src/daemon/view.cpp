// SPDX-License-Identifier: Apache-2.0
// The daemon's view of a pipeline, beside its state (view.hpp).
#include "daemon/view.hpp"

#include <accord/kit/atomic_write.hpp>

#include <boost/json.hpp>

#include <cerrno>
#include <fstream>
#include <sstream>

#include <signal.h>

namespace json = boost::json;
namespace fs = std::filesystem;

namespace accord::daemon {

fs::path view_file(const fs::path& state_path) { return fs::path(state_path.string() + ".daemon.json"); }

bool write_view(const fs::path& state_path, const json::object& view) {
  try {
    kit::atomic_write(view_file(state_path), json::serialize(view) + "\n", {.new_mode = 0600});
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

std::optional<json::object> read_view(const fs::path& state_path) {
  std::ifstream in(view_file(state_path));
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  boost::system::error_code ec;
  json::value v = json::parse(ss.str(), ec);
  if (ec || !v.is_object()) return std::nullopt;
  json::object o = std::move(v.get_object());
  bool running = false;
  if (auto* pid = o.if_contains("pid"); pid && pid->is_int64() && pid->as_int64() > 0)
    running = ::kill(static_cast<pid_t>(pid->as_int64()), 0) == 0 || errno == EPERM;
  o["running"] = running;
  return o;
}

namespace {

std::string text(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

std::vector<std::string> view_lines(const json::object& view) {
  std::vector<std::string> out;
  bool running = view.contains("running") && view.at("running").is_bool() && view.at("running").get_bool();
  std::string pid = view.contains("pid") ? json::serialize(view.at("pid")) : "?";
  if (!running) {
    out.push_back("daemon: not running (pid " + pid + " last wrote this at " + text(view, "updated") + ")");
    return out;
  }
  out.push_back("daemon: running (pid " + pid + ", since " + text(view, "started") + ")");
  const json::value* pairs = view.if_contains("pairs");
  if (!pairs || !pairs->is_object()) return out;
  for (const auto& [name, v] : pairs->get_object()) {
    if (!v.is_object()) continue;
    const json::object& p = v.get_object();
    std::string line = "  " + std::string(name) + ": ";
    line += text(p, "state") == "running" ? "running now" : "next run " + text(p, "next_run") + " (" + text(p, "next_reason") + ")";
    std::string also;
    if (auto* push = p.if_contains("push"); push && push->is_array() && !push->get_array().empty()) also += "push";
    if (auto* w = p.if_contains("watch"); w && w->is_array() && !w->get_array().empty()) also += also.empty() ? "file watch" : ", file watch";
    if (!also.empty()) line += ", also on " + also;
    if (auto* every = p.if_contains("every_s"); every && every->is_int64()) line += ", every " + std::to_string(every->as_int64()) + " s";
    std::string last = text(p, "last_status");
    if (!last.empty()) {
      line += "; last run " + last + " at " + text(p, "last_finished");
      if (std::string es = text(p, "last_error_status"); !es.empty() && es != "ok") line += " (" + es + ")";
    }
    if (auto* f = p.if_contains("failures"); f && f->is_int64() && f->as_int64() > 0)
      line += "; " + std::to_string(f->as_int64()) + " failure" + (f->as_int64() == 1 ? "" : "s") + " in a row";
    out.push_back(line);
    if (std::string err = text(p, "last_error"); !err.empty()) out.push_back("    " + err);
  }
  return out;
}

}  // namespace accord::daemon
