// SPDX-License-Identifier: Apache-2.0
// The daemon as a service: its log (the systemd journal when systemd started
// it with its stderr connected to the journal, JOURNAL_STREAM; stderr
// otherwise) and its notifications to the service manager (sd_notify:
// readiness, the watchdog, status, reloading and stopping), which are
// nothing when no manager listens (NOTIFY_SOCKET unset).
//
// Thread safety: every function may be called from any thread.
#pragma once

#include <cstdint>
#include <string>

namespace accord::daemon {

// Whether stderr is the journal's stream (JOURNAL_STREAM names its device
// and inode, as systemd.exec(5) says to check).
bool stderr_is_journal();

class Log {
 public:
  Log();
  // level: ACCORD_LOG_* (connector.h); `pipeline` may be empty
  void write(int32_t level, const std::string& pipeline, const std::string& message) const;
  void info(const std::string& pipeline, const std::string& m) const;
  void warn(const std::string& pipeline, const std::string& m) const;
  void error(const std::string& pipeline, const std::string& m) const;

 private:
  bool journal_;
};

// sd_notify(3): each call sends one state change; false when no manager
// listens or it failed.
bool notify(const std::string& state);
// How often to feed the watchdog (half its timeout), in milliseconds; 0
// when the service manager set no watchdog for this process.
int64_t watchdog_interval_ms();

}  // namespace accord::daemon
