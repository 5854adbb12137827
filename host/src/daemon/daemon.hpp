// SPDX-License-Identifier: Apache-2.0
// `accord daemon`: keeps a set of pipelines in accord. Each stream pair runs
// on its own schedule (daemon/schedule.hpp), at once when a side's
// connector says its store changed (accord.push.v1: a thread per such side
// waits in the connector), soon after a side's local files change
// (accord.watch.v1: inotify), again after a failure with a jittered
// back-off that honours the side's Retry-After, and every pair at once
// after the machine resumed from sleep, its clock jumped or a network came
// up. A run is the engine's own run_pipeline over the pipeline's due pairs,
// one run of a pipeline at a time (its state lock refuses a second anyway),
// pipelines side by side.
//
// SIGTERM or SIGINT: the runs under way stop at the end of the batch they
// are applying (RunOptions::cancel; the batch committed, the rest left
// planned for the next start), nothing new starts, the daemon exits 0; a
// second one ends at once (the journal resumes what was in flight).
// SIGHUP: the pipelines are loaded again; when they load, the same stop and
// then the new set, else the old set is kept and the error logged. What the daemon sees is written
// beside each pipeline's state (daemon/view.hpp) for `accord status`, and
// served on a loopback port when asked (daemon/http_status.hpp).
//
// Must never run a pipeline another way than the engine's run, nor two
// runs of one pipeline at once.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace accord::daemon {

struct DaemonOptions {
  std::vector<std::filesystem::path> inputs;  // pipeline files or folders of them (*.json)
  std::vector<std::filesystem::path> plugin_dirs;
  std::filesystem::path admin_file, secrets_file;
  std::string http;                   // "PORT" or "127.0.0.1:PORT": serve /health and a status page ("": off)
  std::filesystem::path token_file;   // the HTTP token (made, 0600, when missing)
  bool once = false;                  // run every pair once, then exit (tests, a cron job)
  std::filesystem::path provider_file; // --provider FILE: serve HighLevel's Delivery URL (docs/email-crm.md)
};

// Runs until SIGTERM/SIGINT; the exit code (exit_codes.hpp).
int serve(const DaemonOptions& opts);

// The pipeline files `inputs` name: each file as given, each folder's *.json
// (sorted); a message naming the input when one is neither.
std::vector<std::filesystem::path> pipeline_files(const std::vector<std::filesystem::path>& inputs, std::string& error);

}  // namespace accord::daemon
