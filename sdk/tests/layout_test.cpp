// SPDX-License-Identifier: Apache-2.0
// Pins the ABI layout. A change here is an ABI change: it needs a new
// ACCORD_ABI_MINOR (append-only) or MAJOR, docs/sdk.md, and this test updated
// in the same commit.
#include <accord/check.h>
#include <accord/connector.h>
#include <accord/streams.h>
#include <accord/watch.h>

#include <gtest/gtest.h>

#include <cstddef>

static_assert(sizeof(void*) == 8, "the pinned layout below is for LP64 platforms");

TEST(AbiLayoutTest, ConnectorTableOffsetsArePinned) {
  EXPECT_EQ(offsetof(accord_connector, abi_major), 0u);
  EXPECT_EQ(offsetof(accord_connector, abi_minor), 4u);
  EXPECT_EQ(offsetof(accord_connector, struct_size), 8u);
  EXPECT_EQ(offsetof(accord_connector, reserved0), 12u);
  EXPECT_EQ(offsetof(accord_connector, manifest_json), 16u);
  EXPECT_EQ(offsetof(accord_connector, capabilities), 24u);
  EXPECT_EQ(offsetof(accord_connector, create), 32u);
  EXPECT_EQ(offsetof(accord_connector, destroy), 40u);
  EXPECT_EQ(offsetof(accord_connector, read_changes), 48u);
  EXPECT_EQ(offsetof(accord_connector, fetch), 56u);
  EXPECT_EQ(offsetof(accord_connector, apply), 64u);
  EXPECT_EQ(offsetof(accord_connector, cancel), 72u);
  EXPECT_EQ(offsetof(accord_connector, get_extension), 80u);
  EXPECT_EQ(sizeof(accord_connector), 88u);
  EXPECT_EQ(ACCORD_CONNECTOR_SIZE_1_0, 88u);
}

TEST(AbiLayoutTest, HostServicesOffsetsArePinned) {
  EXPECT_EQ(offsetof(accord_host, abi_major), 0u);
  EXPECT_EQ(offsetof(accord_host, abi_minor), 4u);
  EXPECT_EQ(offsetof(accord_host, struct_size), 8u);
  EXPECT_EQ(offsetof(accord_host, reserved0), 12u);
  EXPECT_EQ(offsetof(accord_host, host_ctx), 16u);
  EXPECT_EQ(offsetof(accord_host, log), 24u);
  EXPECT_EQ(offsetof(accord_host, progress), 32u);
  EXPECT_EQ(offsetof(accord_host, secret), 40u);
  EXPECT_EQ(offsetof(accord_host, is_cancelled), 48u);
  EXPECT_EQ(ACCORD_HOST_SIZE_1_0, 56u);
  EXPECT_EQ(offsetof(accord_host, store_secret), 56u);  // ABI 1.1
  EXPECT_EQ(ACCORD_HOST_SIZE_1_1, 64u);
  EXPECT_EQ(offsetof(accord_host, open_flags), 64u);  // ABI 1.2
  EXPECT_EQ(sizeof(accord_host), 72u);
  EXPECT_EQ(ACCORD_HOST_SIZE_1_2, 72u);
  EXPECT_EQ(ACCORD_OPEN_READ_ONLY, 1u);
}

TEST(AbiLayoutTest, ErrorSinkOffsetsArePinned) {
  EXPECT_EQ(offsetof(accord_error, host_ctx), 0u);
  EXPECT_EQ(offsetof(accord_error, set), 8u);
  EXPECT_EQ(sizeof(accord_error), 16u);
}

TEST(AbiLayoutTest, StatusCodesArePinned) {
  EXPECT_EQ(ACCORD_OK, 0);
  EXPECT_EQ(ACCORD_RETRY, 1);
  EXPECT_EQ(ACCORD_ERROR, 2);
  EXPECT_EQ(ACCORD_AUTH_REQUIRED, 3);
  EXPECT_EQ(ACCORD_CURSOR_EXPIRED, 4);
  EXPECT_EQ(ACCORD_CONFLICT, 5);
  EXPECT_EQ(ACCORD_UNSUPPORTED, 6);
  EXPECT_EQ(ACCORD_CANCELLED, 7);
}

TEST(AbiLayoutTest, StreamsExtensionOffsetsArePinned) {
  // accord.streams.v1 grows at its end only: check, then fields
  EXPECT_EQ(offsetof(accord_streams_v1, struct_size), 0u);
  EXPECT_EQ(offsetof(accord_streams_v1, check), 8u);
  EXPECT_EQ(offsetof(accord_streams_v1, fields), 16u);
  EXPECT_EQ(sizeof(accord_streams_v1), 24u);
}

TEST(AbiLayoutTest, WatchExtensionOffsetsArePinned) {
  // accord.watch.v1 grows at its end only (struct_size first)
  EXPECT_STREQ(ACCORD_WATCH_V1, "accord.watch.v1");
  EXPECT_EQ(offsetof(accord_watch_v1, struct_size), 0u);
  EXPECT_EQ(offsetof(accord_watch_v1, paths), 8u);
  EXPECT_EQ(sizeof(accord_watch_v1), 16u);
}

TEST(AbiLayoutTest, CheckExtensionOffsetsArePinned) {
  // accord.check.v1 grows at its end only (struct_size first)
  EXPECT_STREQ(ACCORD_CHECK_V1, "accord.check.v1");
  EXPECT_EQ(offsetof(accord_check_v1, struct_size), 0u);
  EXPECT_EQ(offsetof(accord_check_v1, check), 8u);
  EXPECT_EQ(sizeof(accord_check_v1), 16u);
}
