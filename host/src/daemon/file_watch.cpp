// SPDX-License-Identifier: Apache-2.0
// inotify over the connectors' paths (file_watch.hpp).
#include "daemon/file_watch.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace accord::daemon {

namespace {

// What a change to a record's file looks like: written and closed, moved in
// or out (an editor's rename over it, Maildir's tmp → new), made, removed.
constexpr uint32_t kEvents = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB;

}  // namespace

FileSig file_sig(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return {};
  return FileSig{true, static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino), static_cast<int64_t>(st.st_size),
                 static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
                 static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec};
}

bool moved(KnownFiles& known, const std::string& path) {
  if (path.empty()) return true;
  FileSig now = file_sig(path);
  auto [it, fresh] = known.sigs.try_emplace(path, now);
  bool differs = fresh || !(it->second == now);
  it->second = now;
  if (known.sigs.size() > known.prune_at) {
    std::erase_if(known.sigs, [](const auto& kv) { return !kv.second.exists; });
    known.prune_at = std::max(kKnownMax, 2 * known.sigs.size());
  }
  return differs;
}

AfterRun after_run(bool ran, bool look, bool wrote, const std::set<std::string>& changed, QuietLooks& quiet) {
  if (!ran) return changed.empty() ? AfterRun::kNone : AfterRun::kChanged;
  if (!look || wrote) quiet = {};
  if (changed.empty()) return AfterRun::kNone;
  if (!look || wrote) return AfterRun::kDuringRun;
  bool fresh = std::any_of(changed.begin(), changed.end(), [&](const std::string& p) { return !quiet.moved.contains(p); });
  quiet.moved = changed;
  if (!fresh || ++quiet.count > kMaxQuietLooks) return AfterRun::kLeave;
  return AfterRun::kLookAgain;
}

FileWatch::FileWatch() : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {}

FileWatch::~FileWatch() {
  if (fd_ >= 0) ::close(fd_);
}

bool FileWatch::ignored(const std::string& path, const std::vector<std::string>& ignore) {
  for (const auto& i : ignore)
    if (path == i || (path.size() > i.size() && path.compare(0, i.size(), i) == 0 && path[i.size()] == '/')) return true;
  return false;
}

int FileWatch::add_watch(const std::string& dir, const std::string& prefix, int key, const std::vector<std::string>& ignore,
                         bool recursive) {
  int wd = ::inotify_add_watch(fd_, dir.c_str(), kEvents | IN_ONLYDIR);
  if (wd < 0) return wd;
  Watch& w = watches_[wd];
  w.dir = dir, w.prefix = prefix, w.recursive = recursive;
  w.keys.insert(key);
  w.ignore.insert(w.ignore.end(), ignore.begin(), ignore.end());
  return wd;
}

void FileWatch::watch_tree(const std::string& dir, int key, const std::vector<std::string>& ignore, std::string& why) {
  if (ignored(dir, ignore)) return;
  if (add_watch(dir, "", key, ignore, true) < 0) {
    if (why.empty()) why = dir + ": " + std::strerror(errno) + (errno == ENOSPC ? " (raise fs.inotify.max_user_watches)" : "");
    return;
  }
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_directory(ec) && !it->is_symlink(ec)) watch_tree(it->path().string(), key, ignore, why);
}

std::string FileWatch::add(int key, const std::vector<std::string>& paths, const std::vector<std::string>& ignore) {
  if (fd_ < 0) return std::string("inotify: ") + std::strerror(errno);
  std::string why;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      watch_tree(p, key, ignore, why);
    } else {
      // a file (maybe not made yet): its folder, names beginning with its own
      fs::path f(p);
      if (add_watch(f.parent_path().string(), f.filename().string(), key, ignore, false) < 0 && why.empty())
        why = f.parent_path().string() + ": " + std::strerror(errno);
    }
  }
  return why;
}

FileWatch::Changes FileWatch::drain() {
  Changes keys;
  alignas(inotify_event) char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) break;
    for (char* at = buf; at < buf + n;) {
      auto* ev = reinterpret_cast<inotify_event*>(at);
      at += sizeof(inotify_event) + ev->len;
      if (ev->mask & IN_Q_OVERFLOW) {  // events were lost: every key has changed, for all we know
        for (auto& [wd, w] : watches_)
          for (int k : w.keys) keys[k].insert("");
        continue;
      }
      auto it = watches_.find(ev->wd);
      if (it == watches_.end()) continue;
      if (ev->mask & IN_IGNORED) {
        watches_.erase(it);
        continue;
      }
      Watch& w = it->second;
      std::string name = ev->len ? std::string(ev->name) : std::string();
      if (!w.prefix.empty() && name.compare(0, w.prefix.size(), w.prefix) != 0) continue;
      std::string path = name.empty() ? w.dir : w.dir + "/" + name;
      if (ignored(path, w.ignore)) continue;
      if (w.recursive && (ev->mask & (IN_CREATE | IN_MOVED_TO)) && (ev->mask & IN_ISDIR)) {
        std::string why;
        Watch copy = w;  // watch_tree may grow watches_
        for (int k : copy.keys) watch_tree(path, k, copy.ignore, why);
      }
      for (int k : w.keys) keys[k].insert(path);
    }
  }
  return keys;
}

}  // namespace accord::daemon
