// SPDX-License-Identifier: Apache-2.0
// A connector's config_schema is the plugin's own text: one that is JSON but
// not a schema must be an error naming the plugin and what is wrong with it,
// never the end of the accord program (valijson aborts unless told to throw).
#include "pipeline/pipeline.hpp"
#include "plugins/registry.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "accord-cfgschema-XXXXXX").string();
    path = ::mkdtemp(t.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

}  // namespace

TEST(PipelineConfigSchemaTest, APluginWhoseConfigSchemaIsNotASchemaIsAnErrorNamingIt) {
  TempDir d;
  std::ofstream(d.path / "p.json") << R"({"name": "t", "state": "s.sqlite",
    "left": {"connector": "bad-schema", "config": {"size": 1}},
    "right": {"connector": "memory-c"},
    "streams": [{"left": "note", "right": "note"}]})";
  accord::Registry reg = accord::Registry::from_files(
      {fs::path(ACCORD_FIXTURE_DIR) / "bad-schema/libaccord-bad-schema.so", fs::path(ACCORD_FIXTURE_DIR) / "libaccord-memory-c.so"});
  ASSERT_EQ(reg.plugins().size(), 2u) << (reg.refusals().empty() ? "" : reg.refusals()[0].reason);

  accord::LoadOptions opts;
  opts.secrets_file = d.path / "secrets.json";
  auto p = accord::load_pipeline(d.path / "p.json", reg, opts);

  ASSERT_FALSE(p.has_value());
  const std::string& m = p.error().message;
  EXPECT_NE(m.find("/left/config"), std::string::npos) << m;
  EXPECT_NE(m.find("bad-schema"), std::string::npos) << "the plugin is not named: " << m;
  EXPECT_NE(m.find("config_schema"), std::string::npos) << m;
  EXPECT_NE(m.find("type"), std::string::npos) << "what is wrong is not said: " << m;
}
