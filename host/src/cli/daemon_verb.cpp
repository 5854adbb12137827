// SPDX-License-Identifier: Apache-2.0
// `accord daemon`: its arguments, and --install-user-unit (the systemd user
// service that runs it). The daemon itself: host/src/daemon.
#include "cli/exit_codes.hpp"
#include "cli/options.hpp"
#include "daemon/daemon.hpp"
#include "daemon/unit_file.hpp"

#include <iostream>

namespace fs = std::filesystem;

namespace accord::cli {

int daemon_verb(const GlobalOptions& o, const std::vector<std::string>& args) {
  daemon::DaemonOptions d;
  d.plugin_dirs = o.plugin_dirs;
  d.admin_file = o.admin_file;
  d.secrets_file = o.secrets_file;
  bool install = false, force = false;
  auto usage = [] {
    std::cerr << "accord: usage: accord daemon PIPELINE|FOLDER... [--http [127.0.0.1:]PORT [--token-file FILE]] [--provider FILE] [--once]\n"
                 "       accord daemon PIPELINE|FOLDER... --install-user-unit [--force]\n";
    return exit_code::kUsage;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--http" || a == "--token-file") {
      if (i + 1 >= args.size()) return usage();
      if (a == "--http") d.http = args[++i];
      else d.token_file = args[++i];
    } else if (a == "--provider") {
      if (i + 1 >= args.size()) return usage();
      d.provider_file = args[++i];
    } else if (a == "--once") {
      d.once = true;
    } else if (a == "--install-user-unit") {
      install = true;
    } else if (a == "--force") {
      force = true;
    } else if (a.starts_with("--")) {
      return usage();
    } else {
      d.inputs.emplace_back(a);
    }
  }
  if (d.inputs.empty()) return usage();
  if (!o.state_file.empty()) {
    std::cerr << "accord: daemon: --state names one state, and a daemon keeps several pipelines: give each pipeline its \"state\"\n";
    return exit_code::kUsage;
  }
  std::string error;
  auto files = daemon::pipeline_files(d.inputs, error);
  if (!error.empty()) {
    std::cerr << "accord: daemon: " << error << "\n";
    return exit_code::kInvalidInput;
  }
  if (install) {
    auto r = daemon::install_user_unit(d, force);
    if (!r) {
      std::cerr << "accord: daemon: " << r.error().message << "\n";
      return exit_code::kFailure;
    }
    std::cout << "wrote " << r->string() << "\nstart it with:\n  systemctl --user daemon-reload\n"
              << "  systemctl --user enable --now accord.service\n"
              << "and keep it running while you are logged out with: loginctl enable-linger\n";
    return exit_code::kOk;
  }
  return daemon::serve(d);
}

}  // namespace accord::cli
