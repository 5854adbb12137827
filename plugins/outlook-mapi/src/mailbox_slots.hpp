// SPDX-License-Identifier: Apache-2.0
// Outlook's limit of 4 concurrent requests per app and mailbox
// (throttling-limits.md, "Outlook service limits": a fifth is answered 429
// "Application is over its MailboxConcurrency limit"), kept by every
// outlook-mapi instance of this user on this machine together, in one
// process (stream threads) or many (pipelines run at once): a request is
// sent while it holds one of 4 slots of its mailbox. A slot is an exclusive
// flock(2) on one of 4 files named by a hash of the mailbox, in
// $XDG_RUNTIME_DIR/accord-outlook (else /tmp/accord-outlook-UID, made 0700
// and used only when this user owns it); the kernel drops a lock when its
// holder dies, so a killed run frees its slot. Where no such folder can be
// used (or the file system has no flock), requests go unlimited, as before,
// and the log says so once.
//
// Thread safety: one object per GraphClient, one thread at a time (the connector rule).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace outlook::graph {

class MailboxSlots {
 public:
  static constexpr int kSlots = 4;
  // `mailbox`: what names the mailbox (Graph's root and the account); `warn`: the log, once.
  MailboxSlots(std::string mailbox, std::function<void(const std::string&)> warn);
  ~MailboxSlots();
  MailboxSlots(const MailboxSlots&) = delete;
  MailboxSlots& operator=(const MailboxSlots&) = delete;

  // A slot held until destroyed (or none: unlimited).
  class Held {
   public:
    Held() = default;
    explicit Held(int fd) : fd_(fd) {}
    Held(Held&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    Held& operator=(Held&&) = delete;
    ~Held();

   private:
    int fd_ = -1;
  };
  // Waits for a free slot; `cancelled` is asked between tries (true: returns none).
  Held take(const std::function<bool()>& cancelled);

 private:
  bool open_files();
  std::string mailbox_;
  std::function<void(const std::string&)> warn_;
  std::vector<int> fds_;
  bool tried_ = false, off_ = false;
};

}  // namespace outlook::graph
