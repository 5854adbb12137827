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
  // plugin costs milliseconds of a run's start-up). find(id) walks the
  // folders in discover's order and, in each, loads the file named for that
  // connector (libaccord-<id>.so, as the build names them) first, then that
  // folder's other files, before the next folder: so it answers the plugin
  // discover keeps for that id (the first folder's; within one folder, a file
  // named for the id wins over another declaring the same id, in discover
  // too). plugins() loads every file first, so it answers as discover's does;
  // refusals() answers those of the folders and of the files loaded so far
  // (every file's once plugins() was asked).
  static Registry discover_lazily(const std::vector<std::filesystem::path>& extra_dirs);
  // Loads the given files only (the conformance kit, tests).
  static Registry from_files(const std::vector<std::filesystem::path>& files);

  // (a deque: what find answered stays where it is while more load)
  const std::deque<LoadedPlugin>& plugins() const {
    load_all();
    return plugins_;
  }
  // a copy: a lazy registry may add to them from another thread's find()
  std::vector<Refusal> refusals() const {
    if (!lazy_) return refusals_;
    std::lock_guard lock(lazy_->mu);
    return refusals_;
  }
  const LoadedPlugin* find(const std::string& id) const;
  std::vector<std::filesystem::path> searched() const { return searched_; }

  // The folder the running executable's plugins are installed in.
  static std::filesystem::path install_dir();

 private:
  void add_file(const std::filesystem::path& file);  // from_files: loaded as given
  void load_index(size_t i);                          // files_[i], once
  void scan_dir(const std::filesystem::path& dir, bool explicit_dir);
  void scan_all(const std::vector<std::filesystem::path>& extra_dirs);  // discover's folders, in order
  void load_all() const;

  // What is loaded so far; a lazy registry changes them only under
  // lazy_->mu, and loads every file before it answers plugins().
  mutable std::deque<LoadedPlugin> plugins_;
  mutable std::vector<Refusal> refusals_;
  std::vector<std::filesystem::path> searched_;
  // The plugin files found, in discover's order, with the folder each is in
  // (its index in the scan) and whether it was loaded yet.
  struct File {
    std::filesystem::path path;
    size_t folder;
    bool loaded = false;
  };
  std::vector<File> files_;
  size_t folders_ = 0;
  struct Lazy {
    std::mutex mu;
  };
  std::unique_ptr<Lazy> lazy_;  // none: every file was loaded at once
};

}  // namespace accord
