// Parsing apply() input and writing its output, shared by every backend.
#pragma once

#include <boost/json.hpp>

#include <accord/connector.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace local {

struct Op {
  std::string op;  // create, update, delete
  std::string id;
  std::optional<std::string> expect_version;
  std::string idempotency_key;
  bool resend = false;  // a create the host sends again after a crash
  boost::json::object data;
};

struct OpResult {
  OpResult(std::string status = "ok", std::string id = "", std::string version = "", std::string message = "",
           std::string data = "")
      : status(std::move(status)), id(std::move(id)), version(std::move(version)), message(std::move(message)),
        data(std::move(data)) {}
  std::string status;
  std::string id, version, message;
  // The record as the store now holds it (JSON object text), for a store
  // whose form differs from what it was sent (a vCard file): the host keeps
  // it, so that the store's own form is never taken for an edit.
  std::string data;
  boost::json::object to_json() const {
    boost::json::object o{{"status", status}};
    if (!id.empty()) o["id"] = id;
    if (!version.empty()) o["version"] = version;
    if (!message.empty()) o["message"] = message;
    if (!data.empty()) o["data"] = boost::json::parse(data);
    return o;
  }
};

inline OpResult op_error(const std::string& status, const std::string& msg, const std::string& id = "") {
  OpResult r;
  r.status = status;
  r.message = msg;
  r.id = id;
  return r;
}

// Called in a catch (...) block around one op: that op's error result; a
// cancelled run (or anything not an exception) goes on up.
inline OpResult op_failure(const std::string& id) {
  try {
    throw;
  } catch (const accord::Error& e) {
    if (e.status() == ACCORD_CANCELLED) throw;
    return op_error("error", e.what(), id);
  } catch (const std::exception& e) {
    return op_error("error", e.what(), id);
  }
}

// Throws accord::Error(ERROR) naming the op index and key for malformed input.
std::vector<Op> parse_ops(std::string_view ops_json);
std::vector<std::string> parse_ids(std::string_view ids_json);
std::string results_json(const std::vector<OpResult>& results);

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
