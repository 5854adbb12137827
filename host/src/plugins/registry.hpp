// SPDX-License-Identifier: Apache-2.0
// Discovers connector plugins and keeps those that load. Thread-safe after
// construction (a lazy registry loads under a lock of its own).
#pragma once

#include "plugins/plugin_loader.hpp"

#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
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
  // The same folders, but no plugin is loaded until it is asked for (a run
  // needs only the connectors its pipeline names; loading each installed
  // plugin costs milliseconds of a run's start-up). find(id) loads the
  // files named for that connector (libaccord-<id>.so, as the build names
  // them) and answers the first of them that is it; only where none is, it
  // loads the others in order, as discover does. plugins() loads every
  // file first, so it answers as discover's does; refusals() answers those
  // of the folders and of the files loaded so far (every file's once
  // plugins() was asked).
  static Registry discover_lazily(const std::vector<std::filesystem::path>& extra_dirs);
  // Loads the given files only (the conformance kit, tests).
  static Registry from_files(const std::vector<std::filesystem::path>& files);

  // (a deque: what find answered stays where it is while more load)
  const std::deque<LoadedPlugin>& plugins() const {
    load_all();
    return plugins_;
  }
  const std::vector<Refusal>& refusals() const { return refusals_; }
  const LoadedPlugin* find(const std::string& id) const;
  std::vector<std::filesystem::path> searched() const { return searched_; }

  // The folder the running executable's plugins are installed in.
  static std::filesystem::path install_dir();

 private:
  void add_file(const std::filesystem::path& file);
  void scan_dir(const std::filesystem::path& dir, bool explicit_dir);
  void scan_all(const std::vector<std::filesystem::path>& extra_dirs);  // discover's folders, in order
  void load_all() const;

  // What is loaded so far; a lazy registry changes them only under
  // lazy_->mu, and loads every file before it answers plugins().
  mutable std::deque<LoadedPlugin> plugins_;
  mutable std::vector<Refusal> refusals_;
  std::vector<std::filesystem::path> searched_;
  struct Lazy {
    std::mutex mu;
    std::vector<std::filesystem::path> files;  // the plugin files found, in discover's order
    std::vector<char> loaded;                  // by file
  };
  std::unique_ptr<Lazy> lazy_;  // none: every file was loaded at once
};

}  // namespace accord
