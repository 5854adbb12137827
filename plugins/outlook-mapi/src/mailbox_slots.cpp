// SPDX-License-Identifier: Apache-2.0
// The mailbox's request slots (mailbox_slots.hpp).
#include "mailbox_slots.hpp"

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace outlook::graph {

namespace {

// A folder only this user can write: made 0700 when missing; refused when another user owns it or it is a link.
bool own_folder(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return false;
  struct stat st{};
  return ::lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::getuid() && (st.st_mode & 022) == 0;
}

}  // namespace

MailboxSlots::MailboxSlots(std::string mailbox, std::function<void(const std::string&)> warn)
    : mailbox_(std::move(mailbox)), warn_(std::move(warn)) {}

MailboxSlots::~MailboxSlots() {
  for (int fd : fds_) ::close(fd);
}

MailboxSlots::Held::~Held() {
  if (fd_ >= 0) ::flock(fd_, LOCK_UN);
}

bool MailboxSlots::open_files() {
  tried_ = true;
  std::string dir;
  if (const char* x = std::getenv("XDG_RUNTIME_DIR"); x && *x == '/') {
    dir = std::string(x) + "/accord-outlook";
    if (!own_folder(dir)) dir.clear();
  }
  if (dir.empty()) {
    dir = "/tmp/accord-outlook-" + std::to_string(::getuid());
    if (!own_folder(dir)) dir.clear();
  }
  uint64_t h = 1469598103934665603ull;  // FNV-1a 64 of the mailbox's name
  for (unsigned char c : mailbox_) h = (h ^ c) * 1099511628211ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  for (int i = 0; !dir.empty() && i < kSlots; ++i) {
    std::string path = dir + "/" + hex + "." + std::to_string(i);
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
      dir.clear();
      break;
    }
    fds_.push_back(fd);
  }
  if (dir.empty() || static_cast<int>(fds_.size()) != kSlots) {
    for (int fd : fds_) ::close(fd);
    fds_.clear();
    off_ = true;
    warn_("no folder of this user's for the mailbox's request slots ($XDG_RUNTIME_DIR/accord-outlook or "
          "/tmp/accord-outlook-UID): requests to Outlook go without the 4-at-once limit across processes");
    return false;
  }
  return true;
}

MailboxSlots::Held MailboxSlots::take(const std::function<bool()>& cancelled) {
  if (!tried_) open_files();
  if (off_) return Held();
  int wait_ms = 5;
  for (;;) {
    for (int fd : fds_) {
      if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return Held(fd);
      if (errno != EWOULDBLOCK && errno != EINTR) {  // a file system without flock
        off_ = true;
        warn_(std::string("the mailbox's request slots cannot be locked (") + std::strerror(errno) +
              "): requests to Outlook go without the 4-at-once limit across processes");
        return Held();
      }
    }
    if (cancelled()) return Held();
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    wait_ms = wait_ms < 40 ? wait_ms * 2 : 40;
  }
}

}  // namespace outlook::graph
