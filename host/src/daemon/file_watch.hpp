// SPDX-License-Identifier: Apache-2.0
// Watches the local paths connectors name (accord.watch.v1) with inotify:
// a folder with its subfolders (those made later too), a file with the
// names beside it that begin with its name (an SQLite file's -wal); changes
// under an ignored path (a connector's index) count for nothing.
//
// Thread safety: one thread adds and drains; fd() may be polled anywhere.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace accord::daemon {

// What a path is now (lstat): an event that left a path as it was (a file
// made and removed within a read, an SQLite store's -wal) changed nothing,
// and a run's own write, reported after the run, is told from a later edit
// by comparing with what the path was when the run ended.
struct FileSig {
  bool exists = false;
  uint64_t dev = 0, ino = 0;
  int64_t size = 0, mtime_ns = 0, ctime_ns = 0;
  bool operator==(const FileSig&) const = default;
};
FileSig file_sig(const std::string& path);
// What a pair's paths were when last looked at. Paths that are gone are
// forgotten once `sigs` outgrows `prune_at` (a Maildir renames a file at
// each flag change: the map would otherwise grow for ever); the next
// threshold is twice what is left, so a folder of many live files is not
// scanned at every event. A path forgotten and reported again counts as
// changed (one more look at most).
inline constexpr size_t kKnownMax = 4096;
struct KnownFiles {
  std::map<std::string, FileSig> sigs;
  size_t prune_at = kKnownMax;
};
// Whether `path` is not as `known` last had it, noting what it is now (""
// : events were lost, so changed).
bool moved(KnownFiles& known, const std::string& path);

// What a pair's paths that moved while its pipeline ran call for, judged
// when the run ends. A run's own writes cannot be told from a person's edit
// made during it: paths moved during a run call for one more run, which
// finds the run's own writes as they are (nothing to do) and a person's edit
// to carry. A store whose reads move some of its own files (an SQLite -shm
// another program holds open) would so be looked at for ever, so a look
// that wrote nothing looks again only when it moved a path the look before
// it (that wrote nothing either) did not: a path that moved in two quiet
// looks in a row is the store's reads. Nothing else a run sees is left to
// the schedule; at most kMaxQuietLooks quiet looks in a row all the same.
enum class AfterRun {
  kNone,         // nothing moved (or made and removed within the run)
  kChanged,      // the pair did not run (another pair of its pipeline did): a change
  kDuringRun,    // moved during a run that wrote or was not a look: look again
  kLookAgain,    // moved during a look that wrote nothing, not all as in the look before: look again
  kLeave,        // moved as in the quiet look before (the store's reads): its schedule
};
inline constexpr int kMaxQuietLooks = 6;
struct QuietLooks {
  std::set<std::string> moved;  // the paths the last look that wrote nothing moved
  int count = 0;                // such looks in a row
};
// `look`: the run was one of the looks this answers for (kDuringRun,
// kLookAgain); `wrote`: it wrote something; `changed`: the paths that moved
// (moved() true).
AfterRun after_run(bool ran, bool look, bool wrote, const std::set<std::string>& changed, QuietLooks& quiet);

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
  // The keys whose paths changed since the last call, each with the paths
  // (reads what is pending without blocking; a new subfolder is watched
  // from now on). After lost events (the queue overflowed) every key, with
  // "" among its paths: changed, for all anyone knows.
  using Changes = std::map<int, std::set<std::string>>;
  Changes drain();

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
