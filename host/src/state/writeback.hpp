// SPDX-License-Identifier: Apache-2.0
// While it lives, what a process writes to a file is handed to the disk as
// it comes, not all at its commit's fsync: every 100 ms a thread of its own
// asks the kernel to start writing the file's dirty pages back (Linux's
// sync_file_range, SYNC_FILE_RANGE_WRITE: it starts writeback and waits for
// nothing). A first sync's load writes its pages (hundreds of MB) long
// before it commits; the kernel would keep them in memory until the
// commit's fsync wrote them all while the run waited (a 1,000,000-pair
// first sync: about 600 MB, most of its commit). It is a hint only: pages
// SQLite has written may reach the disk at any time anyway, so nothing a
// kill or a crash leaves changes; the commit's fsync still says when they
// are there.
//
// The file's descriptor is one the process has open already (SQLite's),
// found by the file's device and inode, never one of its own: closing a
// descriptor of a database file lets go of every POSIX lock the process
// holds on it (SQLite's). Elsewhere than on Linux, or where no descriptor
// of the file is open, it does nothing.
#pragma once

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

namespace accord {

class EarlyWriteback {
 public:
  explicit EarlyWriteback(const std::filesystem::path& file);
  ~EarlyWriteback();
  EarlyWriteback(const EarlyWriteback&) = delete;
  EarlyWriteback& operator=(const EarlyWriteback&) = delete;
  // How many times the kernel was asked (tests).
  int asked() const { return asked_.load(); }

 private:
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::atomic<int> asked_{0};
  std::thread thread_;
};

}  // namespace accord
