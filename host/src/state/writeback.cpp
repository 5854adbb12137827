// SPDX-License-Identifier: Apache-2.0
#include "state/writeback.hpp"

#include <chrono>

#ifdef __linux__
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#endif

namespace accord {

namespace {

// A descriptor the process has open on `file` (-1: none), found by device
// and inode in /proc/self/fd.
int open_descriptor_of(const std::filesystem::path& file) {
#ifdef __linux__
  struct stat want{};
  if (::stat(file.c_str(), &want) != 0) return -1;
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return -1;
  int found = -1;
  while (dirent* e = ::readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end || fd == ::dirfd(dir)) continue;
    struct stat got{};
    if (::fstat(static_cast<int>(fd), &got) == 0 && S_ISREG(got.st_mode) && got.st_dev == want.st_dev &&
        got.st_ino == want.st_ino) {
      found = static_cast<int>(fd);
      break;
    }
  }
  ::closedir(dir);
  return found;
#else
  (void)file;
  return -1;
#endif
}

}  // namespace

EarlyWriteback::EarlyWriteback(const std::filesystem::path& file) {
  int fd = open_descriptor_of(file);
  if (fd < 0) return;
  thread_ = std::thread([this, fd] {
    std::unique_lock lock(mu_);
    while (!stop_) {
#ifdef __linux__
      lock.unlock();
      // (may wait while the disk's queue is full: on this thread only)
      if (::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE) != 0) return;  // (not a file it can write back)
      ++asked_;
      lock.lock();
#endif
      wake_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stop_; });
    }
  });
}

EarlyWriteback::~EarlyWriteback() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace accord
