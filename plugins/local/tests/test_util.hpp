// SPDX-License-Identifier: Apache-2.0
// Helpers for the local connector's tests: a temporary folder, batch reading.
#pragma once

#include "backend.hpp"

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace local::test {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "accord-local-XXXXXX").string();
    path = ::mkdtemp(t.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// A file's bytes, as they are on disk.
inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Listing {
  boost::json::array records;
  std::string cursor;
};

// Reads every batch after cursor.
inline Listing read_all(Backend& b, const std::string& stream, std::string cursor) {
  Listing l;
  for (;;) {
    boost::json::object batch = boost::json::parse(b.read_changes(stream, cursor)).as_object();
    for (auto& r : batch.at("records").as_array()) l.records.push_back(r);
    cursor = std::string(batch.at("cursor").as_string());
    if (!batch.at("more").as_bool()) break;
  }
  l.cursor = cursor;
  return l;
}

inline boost::json::array apply(Backend& b, const std::string& stream, const boost::json::array& ops) {
  return boost::json::parse(b.apply(stream, boost::json::serialize(ops))).as_array();
}

}  // namespace local::test
