// Global command-line options shared by every verb.
#pragma once

#include <filesystem>
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
int plan_verb(const GlobalOptions& opts, const std::vector<std::string>& args, bool apply);
int apply_verb(const GlobalOptions& opts, const std::vector<std::string>& args);
int status_verb(const GlobalOptions& opts, const std::vector<std::string>& args);
int conflicts_verb(const GlobalOptions& opts, const std::vector<std::string>& args);

}  // namespace accord::cli
