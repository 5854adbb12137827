// SPDX-License-Identifier: Apache-2.0
// accord-conformance PLUGIN [--config FILE | --config-json JSON] [--stream S] [--sample FILE]
//                           [--mutate CMD] [--verbose]
// Runs the conformance battery on one connector plugin; one line per check,
// then "N passed, N failed, N skipped". Exit 0 only when nothing failed, 1
// when a check failed, 2 when the command line or the plugin is wrong.
#include "battery.hpp"
#include "plugins/registry.hpp"

#include <boost/json.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

namespace json = boost::json;
using namespace accord;

static const char kUsage[] =
    "usage: accord-conformance PLUGIN.so [--config FILE | --config-json JSON] [--stream S]\n"
    "                          [--sample FILE] [--mutate CMD] [--verbose]\n"
    "Runs the same checks on any Accord connector: one line per check, then\n"
    "\"N passed, N failed, N skipped\". Exit status 0 when no check failed, 1 when\n"
    "one did, 2 when the command line, a file it names, or the plugin is wrong.\n"
    "\n"
    "  --config FILE       the connector's configuration (a JSON object); default {}\n"
    "  --config-json JSON  the same, given inline\n"
    "  --stream S          the stream to test (default: the manifest's first)\n"
    "  --sample FILE       {\"create\":{…},\"update\":{…}} record data, for custom streams\n"
    "  --mutate CMD        a command that changes the store behind the connector's back,\n"
    "                      run as `CMD unreadable STREAM` (put one record the connector\n"
    "                      cannot read into the store) and `CMD repair STREAM` (take it\n"
    "                      away); without it the unreadable-record check is skipped\n"
    "  --verbose           print each call the kit makes and each answer it gets\n"
    "  --help              print this and exit\n"
    "\n"
    "Checks: manifest, create-destroy, list, round-trip, idempotent-create,\n"
    "find-only (when declared), deep-record, stale-version-conflict, cursor-resume,\n"
    "cursor-expiry, cancel, paging (give a\n"
    "config with a small page size), outside-changes, full-listing,\n"
    "unreadable-record, pre-store-cursor (run on a store that does not exist yet),\n"
    "watch (accord.watch.v1, when offered), schemas (every answer against\n"
    "sdk/schema). docs/sdk.md says what each checks.\n";

static int usage(const std::string& why) {
  if (!why.empty()) std::cerr << "accord-conformance: " << why << "\n";
  std::cerr << kUsage;
  return 2;
}

static bool slurp(const std::string& path, std::string& out) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::cout << kUsage;
      return 0;
    }
  if (argc < 2 || argv[1][0] == '-') return usage("the first argument must be the plugin file");
  std::string plugin_path = argv[1];
  conformance::Options opts;
  bool verbose = false;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    bool takes_value = a == "--config" || a == "--config-json" || a == "--stream" || a == "--sample" || a == "--mutate";
    if (takes_value && i + 1 >= argc) return usage(a + " needs a value");
    auto next = [&]() -> std::string { return argv[++i]; };
    if (a == "--config") {
      std::string f = next();
      if (!slurp(f, opts.config_json)) {
        std::cerr << "accord-conformance: cannot read config file " << f << "\n";
        return 2;
      }
    } else if (a == "--config-json") {
      opts.config_json = next();
    } else if (a == "--stream") {
      opts.stream = next();
    } else if (a == "--mutate") {
      opts.mutate = next();
    } else if (a == "--verbose" || a == "-v") {
      verbose = true;
    } else if (a == "--sample") {
      std::string f = next(), text;
      if (!slurp(f, text)) {
        std::cerr << "accord-conformance: cannot read sample file " << f << "\n";
        return 2;
      }
      boost::system::error_code ec;
      json::value v = json::parse(text, ec);
      if (ec || !v.is_object() || !v.get_object().contains("create") || !v.get_object().contains("update")) {
        std::cerr << "accord-conformance: " << f << ": must be {\"create\":{…},\"update\":{…}}\n";
        return 2;
      }
      opts.sample = conformance::Sample{v.at("create"), v.at("update")};
    } else {
      return usage("unknown option " + a);
    }
  }
  auto loaded = load_plugin(plugin_path);
  if (!loaded) {
    std::cout << "FAIL manifest: " << plugin_path << ": " << loaded.error().message << "\n0 passed, 1 failed, 0 skipped\n";
    return 1;
  }
  const Manifest& m = loaded->manifest;
  if (!opts.stream.empty() && !m.stream(opts.stream) && !m.custom_streams) {
    std::string names;
    for (const auto& s : m.streams) names += (names.empty() ? "" : ", ") + s.name;
    std::cerr << "accord-conformance: " << m.id << " has no stream \"" << opts.stream << "\" (its streams: " << names
              << "; it takes no custom streams)\n";
    return 2;
  }
  if (verbose) opts.trace = [](std::string_view line) { std::cout << "     " << line << "\n"; };
  std::cout << "accord-conformance: " << m.id << " " << m.version << " (" << loaded->path.string() << ")\n";
  int passed = 0, failed = 0, skipped = 0;
  conformance::run(*loaded, opts, [&](const conformance::CheckResult& r) {
    switch (r.outcome) {
      case conformance::Outcome::kPass: ++passed; std::cout << "ok   " << r.name << "\n"; break;
      case conformance::Outcome::kFail: ++failed; std::cout << "FAIL " << r.name << ": " << r.detail << "\n"; break;
      case conformance::Outcome::kSkip: ++skipped; std::cout << "skip " << r.name << ": " << r.detail << "\n"; break;
    }
    std::cout.flush();
  });
  std::cout << passed << " passed, " << failed << " failed, " << skipped << " skipped\n";
  return failed == 0 ? 0 : 1;
}
