// SPDX-License-Identifier: Apache-2.0
#include "files.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <limits>
#include <sstream>


namespace local {

OpResult stored(std::string id, std::string version, const std::optional<std::string>& data) {
  OpResult r = OpResult::ok(std::move(id), std::move(version));
  if (data && !data->empty()) r.with_data_text(*data);
  return r;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw accord::Error(ACCORD_ERROR, p.string() + ": cannot read: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Stat stat_of(const std::filesystem::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return {};
  return {static_cast<int64_t>(st.st_size), static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
          static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec};
}

namespace {
int64_t now_ns() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
// When this plugin was loaded: every write of this process comes after it.
const int64_t kLoadedNs = now_ns();
}  // namespace

bool leftover_of_killed_write(int64_t pid, int64_t ctime_ns) {
  constexpr int64_t kSecond = 1000000000;
  if (ctime_ns < 0) return false;  // gone already
  if (ctime_ns < now_ns() - 36 * 3600 * kSecond) return true;
  if (pid <= 0 || pid > std::numeric_limits<pid_t>::max()) return false;
  if (pid == ::getpid()) return ctime_ns < kLoadedNs - 2 * kSecond;  // file times are coarser than the clock
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

bool is_disk_full_errno(int err) { return err == ENOSPC || err == EDQUOT; }

accord::Error disk_full(const std::filesystem::path& where, const std::string& detail, const std::string& outcome) {
  // the SQLite layer may have said so already, naming the file
  if (detail.find(": the disk is full") != std::string::npos) return accord::Error(ACCORD_ERROR, detail + " (" + outcome + ")");
  return accord::Error(ACCORD_ERROR, where.string() + ": the disk is full: free some space there and run again (" +
                                         outcome + "; " + detail + ")");
}

}  // namespace local
