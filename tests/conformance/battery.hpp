// SPDX-License-Identifier: Apache-2.0
// The conformance battery: the same checks run on any connector plugin.
// Used by accord-conformance and by tests that assert which check a broken
// fixture fails.
#pragma once

#include "plugins/plugin_loader.hpp"

#include <boost/json/value.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace accord::conformance {

enum class Outcome { kPass, kFail, kSkip };

struct CheckResult {
  std::string name;  // manifest, create-destroy, list, round-trip, …
  Outcome outcome;
  std::string detail;
};

struct Sample {
  boost::json::value create;  // data of the record the kit creates
  boost::json::value update;  // data it updates it to
};

struct Options {
  std::string config_json = "{}";
  std::string stream;            // empty: the first stream of the manifest
  std::optional<Sample> sample;  // needed for custom streams
  // A shell command that changes the store behind the connector's back
  // (docs/sdk.md, "Conformance kit"): run as `CMD ACTION STREAM`, ACTION
  // "unreadable" (put one record the connector cannot read into the store)
  // or "repair" (take it away again). Empty: the unreadable-record check is
  // skipped.
  std::string mutate;
  // Called with each call the kit makes and each answer it gets (--verbose).
  std::function<void(std::string_view line)> trace;
};

// The built-in sample for a canonical stream kind ("note", "jscontact",
// "jscalendar-event", "jscalendar-task", "jmap-email"), or nullopt. `salt`
// makes uids unique.
std::optional<Sample> builtin_sample(const std::string& canonical, const std::string& salt);

// Runs every check; `on_result` is called as each finishes.
std::vector<CheckResult> run(const LoadedPlugin& plugin, const Options& opts,
                             const std::function<void(const CheckResult&)>& on_result = {});

// The check names, in the order they run.
const std::vector<std::string>& check_names();

}  // namespace accord::conformance
