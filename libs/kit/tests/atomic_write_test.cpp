// SPDX-License-Identifier: Apache-2.0
// atomic_write: whole or nothing, the mode kept, through a symbolic link, no
// temporary file left.
#include <accord/kit/atomic_write.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
namespace kit = accord::kit;

namespace {
struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/kit-atomic-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};
std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
unsigned mode_of(const fs::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 07777;
}
}  // namespace

TEST(KitAtomicWrite, CreatesAndReplacesLeavingNoTemporaryFile) {
  TempDir d;
  kit::atomic_write(d.path / "a.txt", "one");
  EXPECT_EQ(slurp(d.path / "a.txt"), "one");
  kit::atomic_write(d.path / "a.txt", "two, longer");
  EXPECT_EQ(slurp(d.path / "a.txt"), "two, longer");
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(d.path)) {
    ++n;
    EXPECT_EQ(e.path().filename(), "a.txt");
  }
  EXPECT_EQ(n, 1u);
}

TEST(KitAtomicWrite, KeepsTheTargetsMode) {
  TempDir d;
  kit::atomic_write(d.path / "s.json", "{}", {0600});
  EXPECT_EQ(mode_of(d.path / "s.json"), 0600u);
  ::chmod((d.path / "s.json").c_str(), 0640);
  kit::atomic_write(d.path / "s.json", "{\"a\":1}");  // default new_mode 0644 does not apply to a rewrite
  EXPECT_EQ(mode_of(d.path / "s.json"), 0640u);
}

TEST(KitAtomicWrite, WritesThroughASymbolicLink) {
  TempDir d;
  fs::create_directory(d.path / "vault");
  kit::atomic_write(d.path / "vault/secrets.json", "old", {0600});
  fs::create_symlink("vault/secrets.json", d.path / "secrets.json");
  kit::atomic_write(d.path / "secrets.json", "new");
  EXPECT_TRUE(fs::is_symlink(d.path / "secrets.json"));
  EXPECT_EQ(slurp(d.path / "vault/secrets.json"), "new");
  EXPECT_EQ(mode_of(d.path / "vault/secrets.json"), 0600u);
  // asked not to: the link is replaced
  kit::atomic_write(d.path / "secrets.json", "plain", {0600, false});
  EXPECT_FALSE(fs::is_symlink(d.path / "secrets.json"));
  EXPECT_EQ(slurp(d.path / "vault/secrets.json"), "new");
}

TEST(KitAtomicWrite, AFailureNamesTheFileAndLeavesTheTargetAlone) {
  TempDir d;
  kit::atomic_write(d.path / "a.txt", "kept");
  fs::create_directory(d.path / "ro");
  try {
    kit::atomic_write(d.path / "missing/b.txt", "x");
    FAIL();
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos);
  }
  EXPECT_EQ(slurp(d.path / "a.txt"), "kept");
  EXPECT_EQ(kit::atomic_write_temp(d.path / "a.txt").filename().string(), ".a.txt.tmp-" + std::to_string(::getpid()));
}
