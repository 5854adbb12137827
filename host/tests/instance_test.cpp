// SPDX-License-Identifier: Apache-2.0
// Instance and HostServices: errors come back as values with the plugin's
// message; the secret service copies into the plugin's buffer.
#include "plugins/instance.hpp"

#include <gtest/gtest.h>

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
