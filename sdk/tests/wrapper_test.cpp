// SPDX-License-Identifier: Apache-2.0
// The C++ wrapper: trampolines are noexcept and turn exceptions into statuses.
#include <accord/connector.hpp>

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <type_traits>

namespace {

struct Captured {
  int32_t status = -1;
  std::string message;
  int64_t retry_ms = 0;
};

accord_error sink(Captured& c) {
  accord_error e{};
  e.host_ctx = &c;
  e.set = [](accord_error* self, int32_t st, const char* msg, int64_t retry) {
    auto* cap = static_cast<Captured*>(self->host_ctx);
    cap->status = st;
    cap->message = msg;
    cap->retry_ms = retry;
  };
  return e;
}

class Thrower : public accord::Connector {
 public:
  Thrower(const accord::Host& h, std::string_view config) : Connector(h) {
    if (config == "\"bad\"") throw std::invalid_argument("config: \"path\" is missing");
  }
  std::string read_changes(std::string_view stream, std::string_view) override {
    if (stream == "retry") throw accord::Error(ACCORD_RETRY, "slow down", 1500);
    if (stream == "int") throw 42;
    if (stream == "std") throw std::runtime_error("disk on fire");
    return R"({"records":[],"cursor":"c1","more":false})";
  }
};

const accord_connector* table() { return accord::detail::table<Thrower>("{}", ACCORD_CAP_READ); }

}  // namespace

TEST(WrapperTest, TrampolinesAreNoexcept) {
  static_assert(noexcept(accord::detail::read_changes(nullptr, nullptr, nullptr, nullptr, nullptr, nullptr)));
  static_assert(noexcept(accord::detail::create<Thrower>(nullptr, nullptr, nullptr, nullptr)));
  static_assert(noexcept(accord::detail::apply(nullptr, nullptr, nullptr, nullptr, nullptr, nullptr)));
  SUCCEED();
}

TEST(WrapperTest, TableCarriesVersionAndSize) {
  const accord_connector* t = table();
  EXPECT_EQ(t->abi_major, ACCORD_ABI_MAJOR);
  EXPECT_EQ(t->abi_minor, ACCORD_ABI_MINOR);
  EXPECT_EQ(t->struct_size, sizeof(accord_connector));
  EXPECT_EQ(t->capabilities, ACCORD_CAP_READ);
}

TEST(WrapperTest, ConstructorExceptionBecomesErrorStatus) {
  Captured c;
  accord_error e = sink(c);
  accord_instance* inst = reinterpret_cast<accord_instance*>(0x1);
  EXPECT_EQ(table()->create(nullptr, "\"bad\"", &inst, &e), ACCORD_ERROR);
  EXPECT_EQ(inst, nullptr);
  EXPECT_EQ(c.message, "config: \"path\" is missing");
}

TEST(WrapperTest, AccordErrorKeepsStatusAndRetryAfter) {
  Captured c;
  accord_error e = sink(c);
  accord_instance* inst = nullptr;
  ASSERT_EQ(table()->create(nullptr, "{}", &inst, &e), ACCORD_OK);
  const char* out = nullptr;
  uint64_t len = 0;
  EXPECT_EQ(table()->read_changes(inst, "retry", "", &out, &len, &e), ACCORD_RETRY);
  EXPECT_EQ(c.message, "slow down");
  EXPECT_EQ(c.retry_ms, 1500);
  EXPECT_EQ(table()->read_changes(inst, "std", "", &out, &len, &e), ACCORD_ERROR);
  EXPECT_EQ(c.message, "disk on fire");
  EXPECT_EQ(table()->read_changes(inst, "int", "", &out, &len, &e), ACCORD_ERROR);
  EXPECT_EQ(c.message, "unknown exception in connector");
  ASSERT_EQ(table()->read_changes(inst, "ok", "", &out, &len, &e), ACCORD_OK);
  EXPECT_EQ(std::string(out, len), R"({"records":[],"cursor":"c1","more":false})");
  table()->destroy(inst);
}

TEST(WrapperTest, CancelMakesLaterCallsReturnCancelled) {
  Captured c;
  accord_error e = sink(c);
  accord_instance* inst = nullptr;
  ASSERT_EQ(table()->create(nullptr, "{}", &inst, &e), ACCORD_OK);
  table()->cancel(inst);
  const char* out = nullptr;
  uint64_t len = 0;
  EXPECT_EQ(table()->read_changes(inst, "ok", "", &out, &len, &e), ACCORD_CANCELLED);
  table()->destroy(inst);
}

TEST(WrapperTest, MissingMethodsAnswerUnsupported) {
  Captured c;
  accord_error e = sink(c);
  accord_instance* inst = nullptr;
  ASSERT_EQ(table()->create(nullptr, "{}", &inst, &e), ACCORD_OK);
  const char* out = nullptr;
  uint64_t len = 0;
  EXPECT_EQ(table()->apply(inst, "x", "[]", &out, &len, &e), ACCORD_UNSUPPORTED);
  EXPECT_EQ(table()->fetch(inst, "x", "[]", &out, &len, &e), ACCORD_UNSUPPORTED);
  table()->destroy(inst);
}

TEST(WrapperTest, CheckExtensionAnswersWhatTheConnectorSays) {
  Captured c;
  accord_error e = sink(c);
  accord_instance* inst = nullptr;
  ASSERT_EQ(table()->create(nullptr, "{}", &inst, &e), ACCORD_OK);
  auto* ext = static_cast<const accord_check_v1*>(accord::check_extension());
  ASSERT_EQ(ext->struct_size, sizeof(accord_check_v1));
  const char* out = nullptr;
  uint64_t len = 0;
  // the default: not offered, said as UNSUPPORTED
  EXPECT_EQ(ext->check(inst, "x", "[{}]", &out, &len, &e), ACCORD_UNSUPPORTED);
  table()->destroy(inst);
}
