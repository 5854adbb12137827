// SPDX-License-Identifier: Apache-2.0
// The systemd user unit (unit_file.hpp), made from contrib/systemd/
// accord.service, which is compiled in.
#include "daemon/unit_file.hpp"

#include <accord/kit/atomic_write.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace fs = std::filesystem;

extern const char kUnitTemplate[];

namespace accord::daemon {

namespace {

// A word as systemd reads ExecStart: in double quotes, with \ " $ and %
// escaped (% is a specifier, $ a variable).
std::string quoted(const std::string& w) {
  std::string out = "\"";
  for (char c : w) {
    if (c == '\\' || c == '"') out += '\\', out += c;
    else if (c == '%') out += "%%";
    else if (c == '$') out += "$$";
    else out += c;
  }
  return out + "\"";
}

void replace(std::string& s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
}

}  // namespace

std::string unit_text(const DaemonOptions& o, const fs::path& program) {
  std::string pre = quoted(fs::absolute(program).string());
  for (const auto& d : o.plugin_dirs) pre += " --plugin-dir " + quoted(fs::absolute(d).string());
  if (!o.admin_file.empty()) pre += " --admin " + quoted(fs::absolute(o.admin_file).string());
  if (!o.secrets_file.empty()) pre += " --secrets " + quoted(fs::absolute(o.secrets_file).string());
  std::string args;
  for (const auto& in : o.inputs) args += (args.empty() ? "" : " ") + quoted(fs::absolute(in).lexically_normal().string());
  if (!o.http.empty()) args += " --http " + quoted(o.http);
  if (!o.token_file.empty()) args += " --token-file " + quoted(fs::absolute(o.token_file).string());
  std::string text = kUnitTemplate;
  replace(text, "@ACCORD@", pre);
  replace(text, "@PIPELINES@", args);
  return text;
}

Result<fs::path> install_user_unit(const DaemonOptions& o, bool force) {
  fs::path dir;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) dir = fs::path(x) / "systemd/user";
  else if (const char* h = std::getenv("HOME"); h && *h) dir = fs::path(h) / ".config/systemd/user";
  else return fail("neither XDG_CONFIG_HOME nor HOME is set: no user unit folder");
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return fail("cannot tell where this program is (/proc/self/exe): " + ec.message());
  std::string text = unit_text(o, self);
  fs::path file = dir / "accord.service";
  if (std::ifstream in(file); in) {
    std::stringstream was;
    was << in.rdbuf();
    if (was.str() == text) return file;
    if (!force) return fail(file.string() + " exists and differs (edited, or for other pipelines): keep it, or run again with --force to replace it");
  }
  fs::create_directories(dir, ec);
  if (ec) return fail(dir.string() + ": " + ec.message());
  try {
    kit::atomic_write(file, text, {.new_mode = 0644});
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  return file;
}

}  // namespace accord::daemon
