// SPDX-License-Identifier: Apache-2.0
// Security rules of the pipeline layer (issue 19): secrets written back
// through a symbolic link, the administrator file's own schema, the state
// created readable by its owner only.
#include "pipeline/pipeline.hpp"
#include "plugins/registry.hpp"
#include "state/state_store.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "accord-sec-XXXXXX").string();
    path = ::mkdtemp(t.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

void write(const fs::path& p, const std::string& text, mode_t mode = 0600) {
  std::ofstream(p) << text;
  ::chmod(p.c_str(), mode);
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST(SecretsFileTest, ARotatedSecretIsWrittenThroughASymbolicLinkToItsTarget) {
  TempDir d;
  fs::create_directory(d.path / "vault");
  ::chmod((d.path / "vault").c_str(), 0700);
  write(d.path / "vault/secrets.json", R"({"rt": "old", "other": "kept"})");
  fs::create_symlink(d.path / "vault/secrets.json", d.path / "secrets.json");

  ASSERT_TRUE(accord::store_secret(d.path / "secrets.json", "rt", "new").has_value());

  EXPECT_TRUE(fs::is_symlink(d.path / "secrets.json")) << "the link was replaced by a regular file";
  std::string target = read(d.path / "vault/secrets.json");
  EXPECT_NE(target.find("\"new\""), std::string::npos) << target;
  EXPECT_NE(target.find("kept"), std::string::npos) << target;
  auto got = accord::read_secret(d.path / "secrets.json", "rt");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, "new");
  struct stat st {};
  ASSERT_EQ(::stat((d.path / "vault/secrets.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(AdminFileTest, AnUnknownKeyIsRefusedWithTheNearestKnownOne) {
  TempDir d;
  write(d.path / "admin.json", R"({"lokced": {"/streams/*/guards/max_delete_share": 0.1}})", 0644);
  write(d.path / "p.json", R"({"name": "t", "left": {"connector": "local"}, "right": {"connector": "local"},
                              "streams": [{"left": "contact", "right": "contact"}]})", 0644);
  accord::LoadOptions opts;
  opts.admin_file = d.path / "admin.json";
  auto p = accord::load_pipeline(d.path / "p.json", accord::Registry::from_files({}), opts);
  ASSERT_FALSE(p.has_value());
  const std::string& m = p.error().message;
  EXPECT_NE(m.find("admin.json"), std::string::npos) << m;
  EXPECT_NE(m.find("lokced"), std::string::npos) << m;
  EXPECT_NE(m.find("did you mean \"locked\""), std::string::npos) << m;
}

TEST(AdminFileTest, ALockedKeyMustBeAJsonPointer) {
  TempDir d;
  write(d.path / "admin.json", R"({"locked": {"streams/*/guards/max_delete_share": 0.1}})", 0644);
  write(d.path / "p.json", R"({"name": "t", "left": {"connector": "local"}, "right": {"connector": "local"},
                              "streams": [{"left": "contact", "right": "contact"}]})", 0644);
  accord::LoadOptions opts;
  opts.admin_file = d.path / "admin.json";
  auto p = accord::load_pipeline(d.path / "p.json", accord::Registry::from_files({}), opts);
  ASSERT_FALSE(p.has_value());
  EXPECT_NE(p.error().message.find("/locked"), std::string::npos) << p.error().message;
}

TEST(StateFileTest, TheStateIsCreatedReadableByItsOwnerOnly) {
  TempDir d;
  ::umask(022);
  {
    auto s = accord::StateStore::open(d.path / "state" / "p.sqlite");
    ASSERT_TRUE(s.has_value()) << s.error().message;
  }
  struct stat st {};
  ASSERT_EQ(::stat((d.path / "state" / "p.sqlite").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}
