// SPDX-License-Identifier: Apache-2.0
// What the whole-run tests (engine_run_test.cpp, engine_creates_test.cpp)
// share: the real local connector, and a pipeline of two local SQLite
// stores of notes, matched by title, in a temporary folder of its own.
// Each test file's Fixture adds what it reads of the stores.
#pragma once

#include "engine/sync_run.hpp"
#include "pipeline/pipeline.hpp"
#include "plugins/instance.hpp"
#include "plugins/registry.hpp"

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include <unistd.h>

namespace accord::test {

inline const Registry& local_registry() {
  static Registry reg = Registry::from_files({ACCORD_LOCAL_PLUGIN});
  return reg;
}

struct NotesRun {
  std::filesystem::path dir;
  HostServices host;

  explicit NotesRun(const char* name) {
    std::string t = std::string("/tmp/accord-") + name + ".XXXXXX";
    dir = ::mkdtemp(t.data());
    std::ofstream(dir / "p.json") << R"({"name":"run","state":"state.sqlite",
      "left":{"connector":"local","config":{"backend":"sqlite","path":"left.sqlite"}},
      "right":{"connector":"local","config":{"backend":"sqlite","path":"right.sqlite"}},
      "streams":[{"left":"note","right":"note","match":[{"left":"/title"}]}]})";
  }
  ~NotesRun() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  NotesRun(const NotesRun&) = delete;
  NotesRun& operator=(const NotesRun&) = delete;

  // a local SQLite store in the folder, opened as the pipeline opens it
  Instance side(const char* file) {
    namespace json = boost::json;
    auto i = Instance::create(*local_registry().find("local"), host,
                              json::serialize(json::object{{"backend", "sqlite"}, {"path", (dir / file).string()}}));
    if (!i) throw std::runtime_error(i.error().message);
    return std::move(*i);
  }
  // the folder's p.json, run (as it is now: a test may rewrite it)
  RunReport run(const RunOptions& ro) {
    auto p = load_pipeline(dir / "p.json", local_registry(), {});
    if (!p) throw std::runtime_error(p.error().message);
    auto r = run_pipeline(*p, local_registry(), ro);
    if (!r) throw std::runtime_error(r.error().message);
    return std::move(*r);
  }
};

}  // namespace accord::test
