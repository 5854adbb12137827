// SPDX-License-Identifier: Apache-2.0
// What the daemon sees of a pipeline, written beside its state
// (STATE.daemon.json, 0600, replaced atomically) after each change, for
// `accord status` (another process) and the status page: the daemon's pid,
// and per stream pair its next run and why, the last run's result, what
// starts it besides the clock (push, file watch), and failures in a row.
//
// Thread safety: pure functions over files; callers serialise writers.
#pragma once

#include <boost/json/object.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace accord::daemon {

std::filesystem::path view_file(const std::filesystem::path& state_path);

// Writes `view` (an object with "pid", "updated", "pairs") to the file.
bool write_view(const std::filesystem::path& state_path, const boost::json::object& view);

// The daemon's view of the pipeline whose state is at `state_path`, when a
// daemon wrote one; "running" is set to whether its pid is still alive.
std::optional<boost::json::object> read_view(const std::filesystem::path& state_path);

// The view as lines for `accord status` (each without its newline).
std::vector<std::string> view_lines(const boost::json::object& view);

}  // namespace accord::daemon
