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
  std::string status = "ok";
  std::string id, version, message;
  boost::json::object to_json() const {
    boost::json::object o{{"status", status}};
    if (!id.empty()) o["id"] = id;
    if (!version.empty()) o["version"] = version;
    if (!message.empty()) o["message"] = message;
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

// Throws accord::Error(ERROR) naming the op index and key for malformed input.
std::vector<Op> parse_ops(std::string_view ops_json);
std::vector<std::string> parse_ids(std::string_view ids_json);
std::string results_json(const std::vector<OpResult>& results);

// Files, for the backends that keep records in them.
// The whole file; throws accord::Error(ERROR) naming the path.
std::string read_file(const std::filesystem::path& p);
struct Stat {
  int64_t size = -1, mtime_ns = -1;  // -1: no such file
};
Stat stat_of(const std::filesystem::path& p);

}  // namespace local
