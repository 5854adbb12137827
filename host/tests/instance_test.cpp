// SPDX-License-Identifier: Apache-2.0
// Instance and HostServices: errors come back as values with the plugin's
// message; the secret service copies into the plugin's buffer.
#include "plugins/instance.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

using namespace accord;

TEST(InstanceTest, CreateFailureCarriesPluginMessage) {
  auto p = load_plugin(std::string(ACCORD_FIXTURE_DIR) + "/libaccord-memory-c.so");
  ASSERT_TRUE(p);
  HostServices host;
  auto i = Instance::create(*p, host, "[1,2]");
  ASSERT_FALSE(i);
  EXPECT_EQ(i.error().status, ACCORD_ERROR);
  EXPECT_EQ(i.error().message, "config must be a JSON object");
}

TEST(InstanceTest, UnknownStreamIsUnsupportedWithMessage) {
  auto p = load_plugin(std::string(ACCORD_FIXTURE_DIR) + "/libaccord-memory-c.so");
  ASSERT_TRUE(p);
  HostServices host;
  auto i = Instance::create(*p, host, "{}");
  ASSERT_TRUE(i);
  auto r = i->read_changes("contact", "");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, ACCORD_UNSUPPORTED);
  EXPECT_NE(r.error().message.find("only the stream \"note\""), std::string::npos);
}

TEST(InstanceTest, MissingSlotIsUnsupported) {
  auto p = load_plugin(std::string(ACCORD_FIXTURE_DIR) + "/libaccord-memory-c.so");
  ASSERT_TRUE(p);
  HostServices host;
  auto i = Instance::create(*p, host, "{}");
  ASSERT_TRUE(i);
  auto r = i->fetch("note", "[]");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, ACCORD_UNSUPPORTED);
}

TEST(InstanceTest, SecretServiceCopiesIntoPluginBufferAndAsksForMoreRoom) {
  HostServices host;
  host.on_secret([](const std::string& n) -> std::optional<std::string> {
    if (n == "token") return std::string("s3cr3t-value");
    return std::nullopt;
  });
  const accord_host* h = host.c_struct();
  char small[4];
  uint64_t len = 0;
  EXPECT_EQ(h->secret(h->host_ctx, "token", small, sizeof small, &len), ACCORD_RETRY);
  EXPECT_EQ(len, 12u);
  char big[32];
  EXPECT_EQ(h->secret(h->host_ctx, "token", big, sizeof big, &len), ACCORD_OK);
  EXPECT_STREQ(big, "s3cr3t-value");
  EXPECT_EQ(h->secret(h->host_ctx, "nope", big, sizeof big, &len), ACCORD_ERROR);
  EXPECT_EQ(h->is_cancelled(h->host_ctx), 0);
  host.request_cancel();
  EXPECT_EQ(h->is_cancelled(h->host_ctx), 1);
}

// A connector instance answers one call at a time (accord/connector.h, rule
// 3). A call made while another is in the connector (from a second thread:
// a bug in the host, review s14 L4: the fetch ahead's thread in the source's
// fetch while the next batch asked it for its extensions) is caught before
// it reaches the connector, loudly, and the call in progress is untouched.
namespace {
struct Blocking {
  std::mutex m;
  std::condition_variable cv;
  bool inside = false, release = false;
  int calls = 0;  // calls that reached the connector
};
Blocking* g_blocking = nullptr;
int g_instance = 0;

int32_t blocking_create(const accord_host*, const char*, accord_instance** out, accord_error*) {
  *out = reinterpret_cast<accord_instance*>(&g_instance);
  return ACCORD_OK;
}
void blocking_destroy(accord_instance*) {}
int32_t blocking_read(accord_instance*, const char*, const char*, const char** out, uint64_t* len, accord_error*) {
  std::unique_lock lock(g_blocking->m);
  ++g_blocking->calls;
  g_blocking->inside = true;
  g_blocking->cv.notify_all();
  g_blocking->cv.wait(lock, [] { return g_blocking->release; });
  static const char kBatch[] = R"({"records": [], "cursor": "c1", "more": false})";
  *out = kBatch;
  *len = sizeof kBatch - 1;
  return ACCORD_OK;
}
int32_t blocking_fetch(accord_instance*, const char*, const char*, const char** out, uint64_t* len, accord_error*) {
  std::lock_guard lock(g_blocking->m);
  ++g_blocking->calls;
  static const char kNone[] = R"({"records": []})";
  *out = kNone;
  *len = sizeof kNone - 1;
  return ACCORD_OK;
}
void blocking_cancel(accord_instance*) {}
const void* blocking_extension(accord_instance*, const char*) {
  std::lock_guard lock(g_blocking->m);
  ++g_blocking->calls;
  return nullptr;
}
}  // namespace

TEST(InstanceTest, ASecondCallWhileOneIsInTheConnectorIsCaughtAndNeverReachesIt) {
  Blocking b;
  g_blocking = &b;
  accord_connector table{ACCORD_ABI_MAJOR, ACCORD_ABI_MINOR, sizeof(accord_connector), 0, "{}", 0,
                         &blocking_create, &blocking_destroy, &blocking_read, &blocking_fetch, nullptr,
                         &blocking_cancel, &blocking_extension};
  LoadedPlugin plugin;
  plugin.table = &table;
  plugin.manifest.id = "blocking";
  HostServices host;
  auto i = Instance::create(plugin, host, "{}");
  ASSERT_TRUE(i);
  bool first_ok = false;
  std::thread first([&] { first_ok = static_cast<bool>(i->read_changes("note", "")); });
  {
    std::unique_lock lock(b.m);
    b.cv.wait(lock, [&] { return b.inside; });
  }
  auto refused = [&](auto call, const char* what) {
    try {
      call();
      ADD_FAILURE() << what << " went through while read_changes was in the connector";
    } catch (const std::logic_error& e) {
      std::string m = e.what();
      EXPECT_NE(m.find(std::string("blocking's ") + what + " while its read_changes was in progress"), std::string::npos) << m;
      EXPECT_NE(m.find("bug in Accord"), std::string::npos) << m;
    }
  };
  refused([&] { (void)i->fetch("note", "[]"); }, "fetch");
  refused([&] { (void)i->lazy_files(); }, "get_extension");  // (the extensions are calls too)
  refused([&] { (void)i->fetch_files("note", "[]", "/nonexistent"); }, "get_extension");
  i->cancel();  // (cancel is for any thread, any time)
  {
    std::lock_guard lock(b.m);
    EXPECT_EQ(b.calls, 1);  // none of them reached the connector
    b.release = true;
  }
  b.cv.notify_all();
  first.join();
  EXPECT_TRUE(first_ok);  // the call in progress was untouched
  // once it has returned, the next call goes through
  EXPECT_TRUE(i->fetch("note", "[]"));
  EXPECT_EQ(i->lazy_files(), 0u);
  {
    std::lock_guard lock(b.m);
    EXPECT_EQ(b.calls, 3);
  }
  g_blocking = nullptr;
}
