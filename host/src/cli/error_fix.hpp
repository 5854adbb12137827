// SPDX-License-Identifier: Apache-2.0
// What to do about a failure, added to its message where there is
// something to do: a damaged state file, one that cannot be written, a
// folder it cannot be made in. (A full disk says so where SQLite meets it:
// libs/sql.) Used by every verb that opens the state; never hides the
// original message.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace accord::cli {

inline std::string with_fix(std::string message, const std::filesystem::path& state) {
  auto has = [&](std::string_view s) { return message.find(s) != std::string::npos; };
  std::string st = state.string(), dir = state.parent_path().empty() ? "." : state.parent_path().string();
  if (has("file is not a database") || has("database disk image is malformed") || has("malformed database schema"))
    message += "\nthe state file " + st + " is damaged: move it away (mv " + st + " " + st +
               ".damaged); match keys relink the records on the next run (and the copies Accord made are found by the "
               "keys they carry), so nothing is copied twice";
  else if (has("readonly database") || has("read-only"))
    message += "\nthe state file " + st + " cannot be written: make it writable by the user who runs accord (chmod u+w " +
               st + "), or point \"state\" (or --state) at a file that is";
  else if ((has("Permission denied") || has("unable to open database file")) && has(st))
    message += "\nthe folder " + dir + " of the state cannot be written: make it writable by the user who runs accord (chmod u+w " +
               dir + "), or point \"state\" (or --state) at a folder that is";
  return message;
}

}  // namespace accord::cli
