// SPDX-License-Identifier: Apache-2.0
// Watches the local paths connectors name (accord.watch.v1) with inotify:
// a folder with its subfolders (those made later too), a file with the
// names beside it that begin with its name (an SQLite file's -wal); changes
// under an ignored path (a connector's index) count for nothing.
//
// Thread safety: one thread adds and drains; fd() may be polled anywhere.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace accord::daemon {

class FileWatch {
 public:
  FileWatch();
  ~FileWatch();
  FileWatch(const FileWatch&) = delete;
  FileWatch& operator=(const FileWatch&) = delete;

  // Watches `paths` (absolute) for `key`; "" when all were watched, else
  // why not (the folders stay watched as far as they could be).
  std::string add(int key, const std::vector<std::string>& paths, const std::vector<std::string>& ignore);
  int fd() const { return fd_; }
  // The keys whose paths changed since the last call (reads what is
  // pending without blocking; a new subfolder is watched from now on).
  std::set<int> drain();

 private:
  struct Watch {
    std::string dir;     // the folder watched
    std::string prefix;  // a file's name: only names beginning with it count ("": all)
    std::set<int> keys;
    std::vector<std::string> ignore;
    bool recursive = false;
  };
  void watch_tree(const std::string& dir, int key, const std::vector<std::string>& ignore, std::string& why);
  int add_watch(const std::string& dir, const std::string& prefix, int key, const std::vector<std::string>& ignore,
                bool recursive);
  static bool ignored(const std::string& path, const std::vector<std::string>& ignore);

  int fd_ = -1;
  std::map<int, Watch> watches_;  // by watch descriptor
};

}  // namespace accord::daemon
