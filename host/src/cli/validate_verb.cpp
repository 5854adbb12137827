// SPDX-License-Identifier: Apache-2.0
// `accord validate PIPELINE`: everything a run would refuse, said before it.
// The pipeline is loaded and checked (schema, manifests, pointers, filters,
// secrets, URLs, headers: pipeline/pipeline.cpp), then each side's connector
// is opened read-only (ACCORD_OPEN_READ_ONLY: no network, nothing created)
// so that its own configuration checks run (a folder that does not exist),
// and asked, where it can say (accord.streams.v1), whether it keeps each
// stream the pipeline names. validate must never create or change anything:
// no state, no folder, no index.
#include "cli/exit_codes.hpp"
#include "cli/options.hpp"
#include "cli/progress.hpp"
#include "mapping/field_travel.hpp"
#include "pipeline/pipeline.hpp"
#include "plugins/instance.hpp"
#include "plugins/registry.hpp"

#include <accord/connector.h>
#include <accord/text/terminal_text.hpp>

#include <boost/json.hpp>

#include <array>
#include <iostream>
#include <map>
#include <optional>

namespace json = boost::json;

namespace accord::cli {

namespace {

struct Problem {
  std::string pointer, message;
};

// Opens both sides read-only and asks each about its streams. Returns what
// is wrong (pointer into the pipeline, message), and in `notes` what could
// not be checked.
// The fields an instance keeps of a pair's stream where its configuration
// decides them (accord.streams.v1), by pair name and side.
using KeptFields = std::map<std::string, std::array<std::optional<std::vector<std::string>>, 2>>;

std::vector<Problem> check_connectors(const Pipeline& p, const Registry& reg, std::vector<std::string>& notes,
                                      KeptFields* kept = nullptr) {
  std::vector<Problem> out;
  HostServices host;  // outlives the instances below
  host.set_open_flags(ACCORD_OPEN_READ_ONLY);
  host.on_secret([&](const std::string& name) -> std::optional<std::string> {
    auto s = read_secret(p.secrets_file, name);
    if (!s) return std::nullopt;
    return *s;
  });
  for (Side side : {Side::kLeft, Side::kRight}) {
    const Endpoint& ep = p.endpoint(side);
    const LoadedPlugin* plugin = reg.find(ep.connector);
    if (!plugin) continue;  // load_pipeline said so
    std::string at = std::string("/") + side_name(side);
    if (plugin->table->abi_minor < 2) {
      // built before open flags: it might create its store; a run checks it
      notes.push_back(std::string(side_name(side)) + " connector " + ep.connector + " is built for connector ABI " +
                      std::to_string(plugin->table->abi_major) + "." + std::to_string(plugin->table->abi_minor) +
                      ", which cannot be opened without writing: its own checks run at the first plan or run");
      continue;
    }
    auto inst = Instance::create(*plugin, host, json::serialize(ep.resolved_config));
    if (!inst) {
      out.push_back({at + "/config", config_error_at(inst.error().message, at.substr(1) + ".config")});
      continue;
    }
    for (const auto& sp : p.streams) {
      const std::string& stream = side == Side::kLeft ? sp.left : sp.right;
      auto ok = inst->check_stream(stream);
      if (ok && kept) (*kept)[sp.name][side == Side::kLeft ? 0 : 1] = inst->stream_fields(stream);
      if (!ok)
        out.push_back({sp.pointer + "/" + side_name(side), "the " + std::string(side_name(side)) + " side (" + ep.connector +
                                                               ") cannot keep stream \"" + stream +
                                                               "\" with this configuration: " + ok.error().message});
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> connector_problems(const Pipeline& pipeline, const Registry& registry, const std::string& file) {
  std::vector<std::string> notes;
  auto problems = check_connectors(pipeline, registry, notes);
  if (problems.empty()) return std::nullopt;
  std::string m;
  for (const auto& pr : problems) m += (m.empty() ? "" : "\n") + file + ": " + pr.pointer + ": " + pr.message;
  return m;
}

int validate_verb(const GlobalOptions& o, const std::vector<std::string>& args) {
  std::vector<std::string> positional;
  for (const auto& a : args) {
    if (a.starts_with("--")) {
      std::cerr << "accord validate: unknown option " << a << " (see accord validate --help)\n";
      return exit_code::kUsage;
    }
    positional.push_back(a);
  }
  if (positional.size() != 1) {
    std::cerr << "accord: usage: accord validate PIPELINE\n";
    return exit_code::kUsage;
  }
  const std::string& file = positional[0];
  auto say_invalid = [&](const std::string& message) {
    if (o.json) json_line(json::object{{"type", "error"}, {"message", message}, {"exit", exit_code::kInvalidInput}});
    else std::cerr << "accord: " << cli::tty_lines(message) << "\n";
    return exit_code::kInvalidInput;
  };
  Registry reg = Registry::discover(o.plugin_dirs);
  for (const auto& r : reg.refusals())
    if (!o.json) std::cerr << "accord: refused " << r.line() << "\n";
  LoadOptions lo;
  lo.admin_file = o.admin_file;
  lo.secrets_file = o.secrets_file;
  lo.state_override = o.state_file;
  auto loaded = load_pipeline(file, reg, lo);
  if (!loaded) return say_invalid(loaded.error().message);
  const Pipeline& pipeline = *loaded;

  std::vector<std::string> notes;
  KeptFields kept;
  auto problems = check_connectors(pipeline, reg, notes, &kept);
  // what cannot travel, from what the instances keep where they say
  // (mapping/field_travel.hpp), else from the manifests (the pipeline's)
  auto untravelled = [&](const StreamPair& sp) {
    auto k = kept.find(sp.name);
    if (k == kept.end() || (!k->second[0] && !k->second[1])) return sp.untravelled;
    std::vector<std::string> fields[2], read;
    for (int s = 0; s < 2; ++s) {
      const Endpoint& ep = s == 0 ? pipeline.left : pipeline.right;
      if (k->second[s]) fields[s] = *k->second[s];
      else if (const StreamInfo* info = reg.find(ep.connector)->manifest.stream(s == 0 ? sp.left : sp.right))
        fields[s] = info->fields;
    }
    for (const auto& r : sp.rules)
      for (const auto& path : r.left) read.push_back(path.text());
    return pair_untravelled(sp.identity, {"(" + pipeline.left.connector + ")", fields[0]},
                            {"(" + pipeline.right.connector + ")", fields[1]}, read);
  };
  if (!problems.empty()) {
    std::string m;
    for (const auto& pr : problems) m += (m.empty() ? "" : "\n") + file + ": " + pr.pointer + ": " + pr.message;
    return say_invalid(m);
  }

  if (o.json) {
    for (const auto& sp : pipeline.streams) {
      json::array u;
      for (const auto& x : untravelled(sp)) u.emplace_back(x);
      json_line(json::object{{"type", "pair"}, {"pair", sp.name}, {"left", sp.left}, {"right", sp.right},
                             {"policy", policy_name(sp.policy)}, {"untravelled", u}});
    }
    for (const auto& n : notes) json_line(json::object{{"type", "note"}, {"message", n}});
    json_line(json::object{{"type", "valid"}, {"pipeline", pipeline.name}, {"state", pipeline.state_path.string()}});
    return exit_code::kOk;
  }
  std::cout << file << ": valid. pipeline \"" << pipeline.name << "\": " << pipeline.left.connector << " (left) ⇄ "
            << pipeline.right.connector << " (right); state " << pipeline.state_path.string() << "\n";
  for (const auto& sp : pipeline.streams) {
    std::cout << "  " << sp.name << ": " << sp.left << " ⇄ " << sp.right << ", "
              << (sp.to_left && sp.to_right ? "both ways" : sp.to_right ? "left to right" : "right to left")
              << ", conflicts: " << policy_name(sp.policy) << ", "
              << (sp.identity ? "same canonical type" : std::to_string(sp.rules.size()) + " mapping rules") << ", "
              << sp.match.size() << " match keys\n";
    for (const auto& u : untravelled(sp)) std::cout << "    cannot travel: " << u << "\n";
  }
  for (const auto& l : pipeline.locked_by_admin) std::cout << "  locked by the administrator: " << l << "\n";
  for (const auto& n : notes) std::cout << "  note: " << n << "\n";
  return exit_code::kOk;
}

}  // namespace accord::cli
