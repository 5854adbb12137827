// SPDX-License-Identifier: Apache-2.0
// The loader refuses each kind of bad plugin with one line naming the reason,
// using deliberately broken fixture plugins built by the test suite.
#include "plugins/registry.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

namespace fs = std::filesystem;
using namespace accord;

namespace {

const fs::path kFixtures = ACCORD_FIXTURE_DIR;

std::string refusal(const std::string& name) {
  auto r = load_plugin(kFixtures / "broken" / ("libaccord-broken-" + name + ".so"));
  EXPECT_FALSE(r.has_value()) << name << " loaded but must be refused";
  return r ? std::string() : r.error().message;
}

// A private temporary folder, removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "accord-test-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
    fs::permissions(path, fs::perms::owner_all);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

TEST(PluginLoaderTest, GoodPluginLoadsWithManifest) {
  auto r = load_plugin(kFixtures / "libaccord-memory-c.so");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->manifest.id, "memory-c");
  ASSERT_EQ(r->manifest.streams.size(), 1u);
  EXPECT_EQ(r->manifest.streams[0].name, "note");
  EXPECT_TRUE(r->path.is_absolute());
}

TEST(PluginLoaderTest, RefusesFileThatIsNotASharedLibrary) {
  TempDir d;
  fs::path f = d.path / "libaccord-text.so";
  std::ofstream(f) << "this is not an ELF file\n";
  fs::permissions(f, fs::perms::owner_read | fs::perms::owner_write);
  auto r = load_plugin(f);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("not a shared library"), std::string::npos) << r.error().message;
}

TEST(PluginLoaderTest, RefusesLibraryWithoutEntrySymbol) {
  EXPECT_NE(refusal("no-entry").find("no entry symbol accord_connector_entry"), std::string::npos);
}

TEST(PluginLoaderTest, RefusesLibraryWithUnresolvedSymbols) {
  auto r = load_plugin(kFixtures / "broken" / "libaccord-broken-unresolved.so");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("unresolved symbols"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("accord_fixture_symbol_nobody_defines"), std::string::npos);
}

TEST(PluginLoaderTest, RefusesAnotherAbiMajor) {
  std::string m = refusal("abi-major");
  EXPECT_NE(m.find("built for ABI 2." + std::to_string(ACCORD_ABI_MINOR)), std::string::npos) << m;
  EXPECT_NE(m.find("rebuild"), std::string::npos) << m;
}

TEST(PluginLoaderTest, RefusesNewerAbiMinor) {
  std::string m = refusal("abi-minor-newer");
  EXPECT_NE(m.find("newer than this host"), std::string::npos) << m;
}

TEST(PluginLoaderTest, RefusesShortTable) {
  std::string m = refusal("short-struct");
  EXPECT_NE(m.find("connector table is 56 bytes"), std::string::npos) << m;
}

TEST(PluginLoaderTest, RefusesManifestThatIsNotJson) {
  std::string m = refusal("bad-manifest-json");
  EXPECT_NE(m.find("manifest is not valid JSON"), std::string::npos) << m;
}

TEST(PluginLoaderTest, RefusesManifestMissingRequiredKeys) {
  std::string m = refusal("manifest-missing-keys");
  EXPECT_NE(m.find("missing required key \"streams\""), std::string::npos) << m;
}

TEST(PluginLoaderTest, RefusesDuplicateConnectorIdAndKeepsTheFirst) {
  Registry reg = Registry::discover({kFixtures / "duplicate"});
  ASSERT_NE(reg.find("twin"), nullptr);
  EXPECT_EQ(reg.find("twin")->path.filename(), "libaccord-dup-a.so");
  ASSERT_EQ(reg.refusals().size(), 1u);
  EXPECT_EQ(reg.refusals()[0].path.filename(), "libaccord-dup-b.so");
  EXPECT_NE(reg.refusals()[0].reason.find("duplicate connector id \"twin\""), std::string::npos);
}

TEST(PluginLoaderTest, RefusalsDoNotStopOtherPluginsLoading) {
  Registry reg = Registry::discover({kFixtures / "broken", kFixtures});
  EXPECT_NE(reg.find("memory-c"), nullptr);
  // every broken fixture but the ones that only fail the conformance kit
  EXPECT_GE(reg.refusals().size(), 7u);
  for (const auto& r : reg.refusals()) EXPECT_EQ(r.line().find('\n'), std::string::npos) << "one line each";
}

// A run's registry (issue 24): the plugin a pipeline names is loaded, by
// its file's name, and nothing else until every plugin is asked for; then
// it answers as discover does. (A folder searched before the one that has it
// is loaded whole, as it may hold that connector under another file name: so
// the broken fixtures come after.)
TEST(PluginLoaderTest, ALazyRegistryLoadsOnlyThePluginItIsAskedFor) {
  Registry reg = Registry::discover_lazily({kFixtures, kFixtures / "broken"});
  EXPECT_TRUE(reg.refusals().empty()) << "nothing loaded yet";
  const LoadedPlugin* p = reg.find("memory-c");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->path.filename(), "libaccord-memory-c.so");
  EXPECT_TRUE(reg.refusals().empty()) << "the broken plugins are not loaded: " << reg.refusals().front().line();
  EXPECT_EQ(reg.find("memory-c"), p);
  Registry all = Registry::discover({kFixtures, kFixtures / "broken"});
  EXPECT_EQ(reg.plugins().size(), all.plugins().size());
  EXPECT_EQ(reg.refusals().size(), all.refusals().size());
  EXPECT_EQ(reg.find("memory-c"), p) << "still where it was";
  EXPECT_EQ(reg.find("nope"), nullptr);
}

// No file named for it: the files are loaded in order, and the first
// plugin with the id wins, as discover has it.
TEST(PluginLoaderTest, ALazyRegistryFindsAPluginNamedOtherwiseAsDiscoverDoes) {
  Registry reg = Registry::discover_lazily({kFixtures / "duplicate"});
  ASSERT_NE(reg.find("twin"), nullptr);
  EXPECT_EQ(reg.find("twin")->path.filename(), "libaccord-dup-a.so");
  EXPECT_EQ(reg.plugins().size(), Registry::discover({kFixtures / "duplicate"}).plugins().size());
  ASSERT_EQ(reg.refusals().size(), 1u);
  EXPECT_EQ(reg.refusals()[0].path.filename(), "libaccord-dup-b.so");
}

// review s10 P1: an earlier folder's connector under another file name (a
// user's own build in --plugin-dir) wins over a later folder's file named for
// the id, in a run (lazy) as in `accord plugins` (discover); within one folder
// the file named for the id wins, in both.
TEST(PluginLoaderTest, ALazyRegistryAnswersTheConnectorDiscoverKeepsFolderByFolder) {
  TempDir d;
  fs::path first = d.path / "first", second = d.path / "second", both = d.path / "both";
  for (const auto& f : {first, second, both}) fs::create_directory(f);
  fs::copy_file(kFixtures / "libaccord-memory-c.so", first / "override.so");
  fs::copy_file(kFixtures / "libaccord-memory-c.so", second / "libaccord-memory-c.so");
  fs::copy_file(kFixtures / "libaccord-memory-c.so", both / "a-build.so");
  fs::copy_file(kFixtures / "libaccord-memory-c.so", both / "libaccord-memory-c.so");

  Registry all = Registry::discover({first, second});
  ASSERT_NE(all.find("memory-c"), nullptr);
  EXPECT_EQ(all.find("memory-c")->path, first / "override.so");
  Registry run = Registry::discover_lazily({first, second});
  ASSERT_NE(run.find("memory-c"), nullptr);
  EXPECT_EQ(run.find("memory-c")->path, first / "override.so") << "a run must use the connector `accord plugins` shows";
  // (the install folder is searched too: the build's own plugins load after these)
  auto refused = [](const Registry& r, const fs::path& f) {
    for (const auto& x : r.refusals())
      if (x.path == f) return x.reason.find("duplicate connector id \"memory-c\"") != std::string::npos;
    return false;
  };
  run.plugins();
  EXPECT_TRUE(refused(run, second / "libaccord-memory-c.so"));

  for (bool lazily : {false, true}) {
    Registry one = lazily ? Registry::discover_lazily({both}) : Registry::discover({both});
    ASSERT_NE(one.find("memory-c"), nullptr) << lazily;
    EXPECT_EQ(one.find("memory-c")->path, both / "libaccord-memory-c.so") << lazily;
    one.plugins();
    EXPECT_TRUE(refused(one, both / "a-build.so")) << lazily;
  }
}

TEST(PluginLoaderTest, RefusesPluginWritableByGroup) {
  TempDir d;
  fs::path f = d.path / "libaccord-memory-c.so";
  fs::copy_file(kFixtures / "libaccord-memory-c.so", f);
  fs::permissions(f, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_write);
  auto r = load_plugin(f);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("writable by group or others"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("chmod go-w"), std::string::npos);
}

TEST(PluginLoaderTest, RefusesPluginInFolderWritableByOthers) {
  TempDir d;
  fs::path sub = d.path / "plugins";
  fs::create_directory(sub);
  fs::copy_file(kFixtures / "libaccord-memory-c.so", sub / "libaccord-memory-c.so");
  fs::permissions(sub, fs::perms::owner_all | fs::perms::others_all);
  auto r = load_plugin(sub / "libaccord-memory-c.so");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("plugin folder is writable by group or others"), std::string::npos)
      << r.error().message;
}

TEST(PluginLoaderTest, RefusesPluginOwnedByAnotherUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown a file to another user";
  TempDir d;
  fs::path f = d.path / "libaccord-memory-c.so";
  fs::copy_file(kFixtures / "libaccord-memory-c.so", f);
  ASSERT_EQ(::chown(f.c_str(), 65534, 65534), 0);
  auto r = load_plugin(f);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("owned by uid 65534"), std::string::npos) << r.error().message;
}

// Trust covers every folder up to the root (as sudo and ssh check): one that
// others may write to lets them rename the plugin folder and put another in
// its place.
TEST(PluginLoaderTest, RefusesPluginUnderAnAncestorWritableByOthers) {
  TempDir d;
  fs::path open_dir = d.path / "shared", sub = open_dir / "plugins";
  fs::create_directories(sub);
  fs::copy_file(kFixtures / "libaccord-memory-c.so", sub / "libaccord-memory-c.so");
  ASSERT_EQ(::chmod(open_dir.c_str(), 0777), 0);
  auto r = load_plugin(sub / "libaccord-memory-c.so");
  ASSERT_FALSE(r.has_value()) << "loaded from under a folder anyone may write to";
  EXPECT_NE(r.error().message.find(open_dir.string()), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("writable by group or others"), std::string::npos) << r.error().message;
}

TEST(PluginLoaderTest, RefusesPluginUnderAnAncestorOwnedByAnotherUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown a folder to another user";
  TempDir d;
  fs::path theirs = d.path / "theirs", sub = theirs / "plugins";
  fs::create_directories(sub);
  fs::copy_file(kFixtures / "libaccord-memory-c.so", sub / "libaccord-memory-c.so");
  ASSERT_EQ(::chown(theirs.c_str(), 65534, 65534), 0);
  auto r = load_plugin(sub / "libaccord-memory-c.so");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("owned by uid 65534"), std::string::npos) << r.error().message;
}

// A root-owned sticky folder (/tmp) is writable by all, but none may rename or
// remove what they do not own in it: what is below it is still checked.
TEST(PluginLoaderTest, AcceptsARootOwnedStickyAncestorAsTmpIs) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to own the sticky folder";
  TempDir d;
  fs::path sticky = d.path / "tmp", sub = sticky / "build";
  fs::create_directories(sub);
  ASSERT_EQ(::chmod(sticky.c_str(), 01777), 0);
  fs::copy_file(kFixtures / "libaccord-memory-c.so", sub / "libaccord-memory-c.so");
  auto r = load_plugin(sub / "libaccord-memory-c.so");
  ASSERT_TRUE(r.has_value()) << r.error().message;
}

// The file checked is the file loaded: swapping it after the checks (a
// rename over it) does not change what runs.
TEST(PluginLoaderTest, ASwapAfterTheChecksDoesNotChangeWhatIsLoaded) {
  static fs::path swap_in;
  TempDir d;
  fs::path f = d.path / "libaccord-memory-c.so";
  fs::copy_file(kFixtures / "libaccord-memory-c.so", f);
  swap_in = d.path / "other.so";
  fs::copy_file(kFixtures / "liar" / "libaccord-liar.so", swap_in);
  g_after_plugin_check_for_tests = [](const fs::path& checked) { fs::rename(swap_in, checked); };
  auto r = load_plugin(f);
  g_after_plugin_check_for_tests = nullptr;
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->manifest.id, "memory-c") << "the file swapped in after the checks was loaded";
}
