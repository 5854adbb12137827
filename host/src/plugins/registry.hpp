// SPDX-License-Identifier: Apache-2.0
// Discovers connector plugins and keeps those that load. Thread-safe after
// construction (read-only).
#pragma once

#include "plugins/plugin_loader.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace accord {

struct Refusal {
  std::filesystem::path path;
  std::string reason;
  std::string line() const { return path.string() + ": " + reason; }
};

class Registry {
 public:
  // Folders scanned, in order: `extra_dirs` (--plugin-dir), each entry of
  // ACCORD_PLUGIN_PATH (colon-separated), then the install folder
  // (<exe>/../lib/accord/plugins). A missing folder is skipped silently
  // unless it was named explicitly. The first plugin with an id wins; a later
  // one with the same id is refused.
  static Registry discover(const std::vector<std::filesystem::path>& extra_dirs);
  // Loads the given files only (the conformance kit, tests).
  static Registry from_files(const std::vector<std::filesystem::path>& files);

  const std::vector<LoadedPlugin>& plugins() const { return plugins_; }
  const std::vector<Refusal>& refusals() const { return refusals_; }
  const LoadedPlugin* find(const std::string& id) const;
  std::vector<std::filesystem::path> searched() const { return searched_; }

  // The folder the running executable's plugins are installed in.
  static std::filesystem::path install_dir();

 private:
  void add_file(const std::filesystem::path& file);
  void scan_dir(const std::filesystem::path& dir, bool explicit_dir);

  std::vector<LoadedPlugin> plugins_;
  std::vector<Refusal> refusals_;
  std::vector<std::filesystem::path> searched_;
};

}  // namespace accord
