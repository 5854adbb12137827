// SPDX-License-Identifier: Apache-2.0
// The daemon's log and its notifications to systemd (service.hpp).
#include "daemon/service.hpp"

#include <accord/connector.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include <sys/stat.h>
#include <syslog.h>

namespace accord::daemon {

bool stderr_is_journal() {
  const char* js = std::getenv("JOURNAL_STREAM");
  if (!js || !*js) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(js, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (::fstat(2, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == dev && static_cast<unsigned long long>(st.st_ino) == ino;
}

Log::Log() : journal_(stderr_is_journal()) {}

void Log::write(int32_t level, const std::string& pipeline, const std::string& message) const {
  int priority = level >= ACCORD_LOG_ERROR ? LOG_ERR : level >= ACCORD_LOG_WARN ? LOG_WARNING
                 : level >= ACCORD_LOG_INFO ? LOG_INFO : LOG_DEBUG;
  std::string line = pipeline.empty() ? message : pipeline + ": " + message;
  if (journal_) {
    // fields a person can filter on: journalctl --user -u accord ACCORD_PIPELINE=mail
    sd_journal_send("MESSAGE=%s", line.c_str(), "PRIORITY=%i", priority, "ACCORD_PIPELINE=%s", pipeline.c_str(),
                    "SYSLOG_IDENTIFIER=accord", nullptr);
    return;
  }
  if (priority == LOG_DEBUG) return;
  static std::mutex m;
  std::lock_guard<std::mutex> lock(m);
  std::fprintf(stderr, "accord daemon: %s\n", line.c_str());
  std::fflush(stderr);
}

void Log::info(const std::string& p, const std::string& m) const { write(ACCORD_LOG_INFO, p, m); }
void Log::warn(const std::string& p, const std::string& m) const { write(ACCORD_LOG_WARN, p, m); }
void Log::error(const std::string& p, const std::string& m) const { write(ACCORD_LOG_ERROR, p, m); }

bool notify(const std::string& state) { return sd_notify(0, state.c_str()) > 0; }

int64_t watchdog_interval_ms() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return 0;
  return static_cast<int64_t>(usec / 2000);
}

}  // namespace accord::daemon
