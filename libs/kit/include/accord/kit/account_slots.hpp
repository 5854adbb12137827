// SPDX-License-Identifier: Apache-2.0
// A limit kept by every instance of a connector on one account, on this
// machine, together: in one process (a pipeline's stream threads, a
// lookup's instance) or many (pipelines run at once, the daemon and a run
// from the command line). A slot is an exclusive flock(2) on one of N files
// named by a hash of the account, in $XDG_RUNTIME_DIR/accord-TAG (else
// /tmp/accord-TAG-UID, made 0700 and used only when this user owns it); the
// kernel drops a lock when its holder dies, so a killed run frees its slot.
// flock locks conflict between two open files of one process too, so
// threads need nothing more. Where no such folder can be used (or the file
// system has no flock), nothing is limited and `warn` says so, once.
//
// gmail-imap holds one for each IMAP connection (its max_connections);
// outlook-mapi one for each request (Outlook's 4 requests at once per mailbox).
//
// Header-only, C++17 and POSIX. Thread safety: one object per connector
// instance, one thread at a time (the connector rule).
#pragma once

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace accord::kit {

class AccountSlots {
 public:
  // `tag`: the folder's name part ("imap"); `account`: what names the
  // account (hashed into the files' names); `slots`: how many at once
  // (at least 1); `warn`: the log, once, when nothing can be limited.
  AccountSlots(std::string tag, std::string account, int slots, std::function<void(const std::string&)> warn)
      : tag_(std::move(tag)), account_(std::move(account)), slots_(slots < 1 ? 1 : slots), warn_(std::move(warn)) {}
  ~AccountSlots() {
    for (int fd : fds_) ::close(fd);
  }
  AccountSlots(const AccountSlots&) = delete;
  AccountSlots& operator=(const AccountSlots&) = delete;

  int slots() const { return slots_; }

  // A slot held until destroyed or released (or none: unlimited, or not taken).
  class Held {
   public:
    Held() = default;
    explicit Held(int fd) : fd_(fd) {}
    Held(Held&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    Held& operator=(Held&& o) noexcept {
      if (this != &o) {
        release();
        fd_ = o.fd_;
        o.fd_ = -1;
      }
      return *this;
    }
    ~Held() { release(); }
    bool held() const { return fd_ >= 0; }
    void release() {
      if (fd_ >= 0) ::flock(fd_, LOCK_UN);
      fd_ = -1;
    }

   private:
    int fd_ = -1;
  };

  enum class Taken { kHeld, kUnlimited, kCancelled, kTimedOut };

  // Waits for a free slot, at most `wait_ms` (negative: for ever);
  // `cancelled` is asked between tries. `out` holds the slot when kHeld.
  Taken take(Held& out, const std::function<bool()>& cancelled, int64_t wait_ms) {
    if (!tried_) open_files();
    if (off_) return Taken::kUnlimited;
    auto start = std::chrono::steady_clock::now();
    int pause_ms = 5;
    for (;;) {
      for (int fd : fds_) {
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
          out = Held(fd);
          return Taken::kHeld;
        }
        if (errno != EWOULDBLOCK && errno != EINTR) {  // a file system without flock
          off_ = true;
          warn_(std::string("the account's connection slots cannot be locked (") + std::strerror(errno) +
                "): connections go without the limit across processes");
          return Taken::kUnlimited;
        }
      }
      if (cancelled && cancelled()) return Taken::kCancelled;
      if (wait_ms >= 0 &&
          std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(wait_ms))
        return Taken::kTimedOut;
      std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
      pause_ms = pause_ms < 40 ? pause_ms * 2 : 40;
    }
  }

 private:
  // A folder only this user can write: made 0700 when missing; refused when another user owns it or it is a link.
  static bool own_folder(const std::string& dir) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return false;
    struct stat st{};
    return ::lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::getuid() &&
           (st.st_mode & 022) == 0;
  }

  void open_files() {
    tried_ = true;
    std::string dir;
    if (const char* x = std::getenv("XDG_RUNTIME_DIR"); x && *x == '/') {
      dir = std::string(x) + "/accord-" + tag_;
      if (!own_folder(dir)) dir.clear();
    }
    if (dir.empty()) {
      dir = "/tmp/accord-" + tag_ + "-" + std::to_string(::getuid());
      if (!own_folder(dir)) dir.clear();
    }
    uint64_t h = 1469598103934665603ull;  // FNV-1a 64 of the account's name
    for (unsigned char c : account_) h = (h ^ c) * 1099511628211ull;
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    for (int i = 0; !dir.empty() && i < slots_; ++i) {
      std::string path = dir + "/" + hex + "." + std::to_string(i);
      int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd < 0) {
        dir.clear();
        break;
      }
      fds_.push_back(fd);
    }
    if (dir.empty() || static_cast<int>(fds_.size()) != slots_) {
      for (int fd : fds_) ::close(fd);
      fds_.clear();
      off_ = true;
      warn_("no folder of this user's for the account's connection slots ($XDG_RUNTIME_DIR/accord-" + tag_ +
            " or /tmp/accord-" + tag_ + "-UID): connections go without the limit across processes");
    }
  }

  std::string tag_, account_;
  int slots_;
  std::function<void(const std::string&)> warn_;
  std::vector<int> fds_;
  bool tried_ = false, off_ = false;
};

}  // namespace accord::kit
