// SPDX-License-Identifier: Apache-2.0
// Global command-line options shared by every verb.
#pragma once

#include "engine/sync_run.hpp"
#include "pipeline/pipeline.hpp"

#include <boost/json/object.hpp>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace accord::cli {

struct GlobalOptions {
  std::vector<std::filesystem::path> plugin_dirs;  // --plugin-dir, repeatable
  bool json = false;                               // --json: one JSON object per line
  std::filesystem::path admin_file;                // --admin FILE
  std::filesystem::path secrets_file;              // --secrets FILE
  std::filesystem::path state_file;                // --state FILE
};

int plugins_verb(const GlobalOptions& opts, const std::vector<std::string>& args);
int validate_verb(const GlobalOptions& opts, const std::vector<std::string>& args);
// validate's connector checks (each side opened read-only, its streams
// asked): the messages, one a line, naming `file` and the pointer; nullopt
// when there is nothing to say. plan and run ask it first.
std::optional<std::string> connector_problems(const Pipeline& pipeline, const Registry& registry, const std::string& file);
int plan_verb(const GlobalOptions& opts, const std::vector<std::string>& args, bool apply);
int apply_verb(const GlobalOptions& opts, const std::vector<std::string>& args);
int status_verb(const GlobalOptions& opts, const std::vector<std::string>& args);
int conflicts_verb(const GlobalOptions& opts, const std::vector<std::string>& args);
// history_verbs.cpp: `accord undo`, `accord log`, and `plan --explain`'s output.
int undo_verb(const GlobalOptions& opts, const std::vector<std::string>& args);
int log_verb(const GlobalOptions& opts, const std::vector<std::string>& args);
// daemon_verb.cpp: `accord daemon` (host/src/daemon)
int daemon_verb(const GlobalOptions& opts, const std::vector<std::string>& args);
void print_explain(const GlobalOptions& opts, const std::string& pair, const boost::json::object& explain);
// `run` (apply) or `plan` of args' pipeline (its first positional), with the
// run's options tuned first by `tune`, which may answer an exit code instead;
// the report printed as theirs. kUsage: args are not run's or plan's.
int tuned_sync_verb(const GlobalOptions& opts, const std::vector<std::string>& args, const char* verb, bool apply,
                    const std::function<std::optional<int>(const std::vector<std::string>& positional,
                                                           const Pipeline& pipeline, RunOptions& run)>& tune);

}  // namespace accord::cli
