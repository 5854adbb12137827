// Global command-line options shared by every verb.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace accord::cli {

struct GlobalOptions {
  std::vector<std::filesystem::path> plugin_dirs;  // --plugin-dir, repeatable
  bool json = false;                               // --json: one JSON object per line
};

int plugins_verb(const GlobalOptions& opts, const std::vector<std::string>& args);

}  // namespace accord::cli
