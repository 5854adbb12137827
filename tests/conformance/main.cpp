// accord-conformance PLUGIN [--config FILE | --config-json JSON] [--stream S] [--sample FILE]
// Runs the conformance battery on one connector plugin; one line per check,
// then "N passed, N failed, N skipped". Exit 0 only when nothing failed.
#include "battery.hpp"
#include "plugins/registry.hpp"

#include <boost/json.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

namespace json = boost::json;
using namespace accord;

static int usage() {
  std::cerr << "usage: accord-conformance PLUGIN.so [--config FILE | --config-json JSON] [--stream S] [--sample FILE]\n"
               "  --config FILE    the connector's configuration (a JSON object)\n"
               "  --stream S       the stream to test (default: the manifest's first)\n"
               "  --sample FILE    {\"create\":{…},\"update\":{…}} record data, for custom streams\n";
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
  if (argc < 2) return usage();
  std::string plugin_path = argv[1];
  conformance::Options opts;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
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
      return usage();
    }
  }
  auto loaded = load_plugin(plugin_path);
  if (!loaded) {
    std::cout << "FAIL manifest: " << plugin_path << ": " << loaded.error().message << "\n0 passed, 1 failed, 0 skipped\n";
    return 1;
  }
  std::cout << "accord-conformance: " << loaded->manifest.id << " " << loaded->manifest.version << " ("
            << loaded->path.string() << ")\n";
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
