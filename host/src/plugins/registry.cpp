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

static std::string file_named_for(const std::string& id) { return "libaccord-" + id + ".so"; }

const LoadedPlugin* Registry::find(const std::string& id) const {
  auto loaded = [&]() -> const LoadedPlugin* {
    for (const auto& p : plugins_)
      if (p.manifest.id == id) return &p;
    return nullptr;
  };
  if (!lazy_) return loaded();
  std::lock_guard lock(lazy_->mu);
  if (const LoadedPlugin* p = loaded()) return p;
  // Folder by folder, as discover has them: in each, the file named for it
  // first, then the folder's other files in order; a later folder only where
  // none of this one's is it (an earlier folder's connector wins, review s10 P1).
  auto* self = const_cast<Registry*>(this);
  const std::string named = file_named_for(id);
  for (size_t i = 0; i < files_.size();) {
    size_t end = i;
    while (end < files_.size() && files_[end].folder == files_[i].folder) ++end;
    for (size_t j = i; j < end; ++j)
      if (files_[j].path.filename() == named) self->load_index(j);
    if (const LoadedPlugin* p = loaded()) return p;
    for (size_t j = i; j < end; ++j) {
      self->load_index(j);
      if (const LoadedPlugin* p = loaded()) return p;
    }
    i = end;
  }
  return nullptr;
}

void Registry::load_all() const {
  if (!lazy_) return;
  std::lock_guard lock(lazy_->mu);
  for (size_t i = 0; i < files_.size(); ++i) const_cast<Registry*>(this)->load_index(i);
}

void Registry::load_index(size_t i) {
  if (files_[i].loaded) return;
  files_[i].loaded = true;
  const fs::path file = files_[i].path;
  auto loaded = load_plugin(file);
  if (!loaded) {
    refusals_.push_back({file, loaded.error().message});
    return;
  }
  // Within one folder the file named for a connector wins over another file
  // declaring the same id, whichever is loaded first (a lazy find loads the
  // named one first): so load that one before this one.
  const std::string named = file_named_for(loaded->manifest.id);
  if (file.filename() != named)
    for (size_t j = 0; j < files_.size(); ++j)
      if (files_[j].folder == files_[i].folder && files_[j].path.filename() == named) load_index(j);
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

void Registry::add_file(const fs::path& file) {
  files_.push_back({file, folders_++});
  load_index(files_.size() - 1);
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
  const size_t folder = folders_++, first = files_.size();
  for (const auto& f : files) files_.push_back({f, folder});
  if (!lazy_)
    for (size_t i = first; i < files_.size(); ++i) load_index(i);
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
