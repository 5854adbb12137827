// SPDX-License-Identifier: Apache-2.0
#include "plugins/registry.hpp"

#include <algorithm>
#include <cstdlib>
#include <sstream>

namespace fs = std::filesystem;

namespace accord {

fs::path Registry::install_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return (exe.parent_path().parent_path() / "lib" / "accord" / "plugins").lexically_normal();
}

const LoadedPlugin* Registry::find(const std::string& id) const {
  auto loaded = [&]() -> const LoadedPlugin* {
    for (const auto& p : plugins_)
      if (p.manifest.id == id) return &p;
    return nullptr;
  };
  if (!lazy_) return loaded();
  std::lock_guard lock(lazy_->mu);
  if (const LoadedPlugin* p = loaded()) return p;
  // the files named for it first; then, where none is it, the others in order
  std::string named = "libaccord-" + id + ".so";
  for (bool by_name : {true, false})
    for (size_t i = 0; i < lazy_->files.size(); ++i) {
      if (lazy_->loaded[i] || (by_name && lazy_->files[i].filename() != named)) continue;
      lazy_->loaded[i] = 1;
      const_cast<Registry*>(this)->add_file(lazy_->files[i]);
      if (const LoadedPlugin* p = loaded()) return p;
    }
  return nullptr;
}

void Registry::load_all() const {
  if (!lazy_) return;
  std::lock_guard lock(lazy_->mu);
  for (size_t i = 0; i < lazy_->files.size(); ++i)
    if (!lazy_->loaded[i]) {
      lazy_->loaded[i] = 1;
      const_cast<Registry*>(this)->add_file(lazy_->files[i]);
    }
}

void Registry::add_file(const fs::path& file) {
  auto loaded = load_plugin(file);
  if (!loaded) {
    refusals_.push_back({file, loaded.error().message});
    return;
  }
  for (const auto& p : plugins_) {
    if (p.path == loaded->path) return;  // the same file reached twice
    if (p.manifest.id == loaded->manifest.id) {
      refusals_.push_back({file, "duplicate connector id \"" + p.manifest.id + "\" (already loaded from " +
                                     p.path.string() + "); remove one of them"});
      return;
    }
  }
  plugins_.push_back(std::move(*loaded));
}

static bool looks_like_plugin(const fs::path& p) {
  std::string n = p.filename().string();
  return n.size() > 3 && (n.ends_with(".so") || n.find(".so.") != std::string::npos);
}

void Registry::scan_dir(const fs::path& dir, bool explicit_dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    if (explicit_dir) refusals_.push_back({dir, "plugin folder does not exist or is not a folder"});
    return;
  }
  searched_.push_back(dir);
  if (auto t = check_trusted(dir, true); !t) {
    refusals_.push_back({dir, t.error().message});
    return;
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (looks_like_plugin(e.path())) files.push_back(fs::absolute(e.path()));
  std::sort(files.begin(), files.end());  // deterministic: same order every run
  for (const auto& f : files) {
    if (!lazy_) {
      add_file(f);
      continue;
    }
    lazy_->files.push_back(f);
    lazy_->loaded.push_back(0);
  }
}

Registry Registry::discover(const std::vector<fs::path>& extra_dirs) {
  Registry r;
  r.scan_all(extra_dirs);
  return r;
}

Registry Registry::discover_lazily(const std::vector<fs::path>& extra_dirs) {
  Registry r;
  r.lazy_ = std::make_unique<Lazy>();
  r.scan_all(extra_dirs);
  return r;
}

void Registry::scan_all(const std::vector<fs::path>& extra_dirs) {
  Registry& r = *this;
  for (const auto& d : extra_dirs) r.scan_dir(fs::absolute(d), true);
  if (const char* env = std::getenv("ACCORD_PLUGIN_PATH")) {
    std::stringstream ss(env);
    std::string part;
    while (std::getline(ss, part, ':'))
      if (!part.empty()) r.scan_dir(fs::absolute(part), true);
  }
  r.scan_dir(install_dir(), false);
}

Registry Registry::from_files(const std::vector<fs::path>& files) {
  Registry r;
  for (const auto& f : files) r.add_file(fs::absolute(f));
  return r;
}

}  // namespace accord
