// SPDX-License-Identifier: Apache-2.0
// What the backends share beyond the kit's ops and results: files (reading,
// stat, leftovers of killed writes) and the full-disk message.
#pragma once

#include <accord/kit/ops.hpp>

#include <accord/connector.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace local {

// apply()'s ops and results are the kit's (accord/kit/ops.hpp).
using accord::kit::Op;
using OpResult = accord::kit::Result;

// An "ok" result with the record as the store holds it (the record log's
// JSON text), for a store whose form differs from what it was sent.
OpResult stored(std::string id, std::string version, const std::optional<std::string>& data);

// Files, for the backends that keep records in them.
// The whole file; throws accord::Error(ERROR) naming the path.
std::string read_file(const std::filesystem::path& p);
struct Stat {
  int64_t size = -1, mtime_ns = -1;  // -1: no such file
  int64_t ctime_ns = -1;             // the inode's last change: no program can set it back
};
Stat stat_of(const std::filesystem::path& p);

// Whether a temporary file that process `pid` wrote, last changed at
// ctime_ns, is the leftover of a killed write rather than a write at work:
// its writer runs no more; or it is this process and the file is older than
// this plugin's load (a process id reused, as in a container); or it is
// older than 36 hours (the Maildir convention for tmp/). A live writer's
// file is never taken from under it.
bool leftover_of_killed_write(int64_t pid, int64_t ctime_ns);

// A write the disk refused for want of space (ENOSPC, EDQUOT, SQLITE_FULL):
// the error names where, says to free space and run again, and what became
// of the write (`outcome`); `detail` is the system's own message.
bool is_disk_full_errno(int err);
accord::Error disk_full(const std::filesystem::path& where, const std::string& detail, const std::string& outcome);

}  // namespace local
