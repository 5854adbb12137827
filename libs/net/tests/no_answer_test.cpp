// SPDX-License-Identifier: Apache-2.0
// The one rule every HTTP connector follows for a request that got no answer.
#include <accord/net/no_answer.hpp>

#include <gtest/gtest.h>

using accord::net::HttpFailure;
using accord::net::LostAnswer;
using accord::net::send_again_after;

namespace {
HttpFailure failure(bool transient, bool maybe_done = false, bool cancelled = false) {
  HttpFailure f;
  f.message = "connection reset";
  f.transient = transient;
  f.maybe_done = maybe_done;
  f.cancelled = cancelled;
  return f;
}
int32_t status_of(const HttpFailure& f, bool idempotent, bool retried, std::string* message = nullptr) {
  try {
    send_again_after(f, idempotent, retried, "GET /x: connection reset", "Outlook", "graph_url");
  } catch (const accord::Error& e) {
    if (message) *message = e.what();
    return e.status();
  }
  return -1;
}
}  // namespace

TEST(NoAnswerTest, AnIdempotentRequestIsSentOnceMoreOnlyOnce) {
  bool retried = false;
  EXPECT_TRUE(send_again_after(failure(true), true, retried, "GET /x", "Google", "the URL"));
  EXPECT_TRUE(retried);
  EXPECT_EQ(status_of(failure(true), true, true), ACCORD_RETRY);
}

TEST(NoAnswerTest, ARequestThatMayHaveBeenDoneIsALostAnswer) {
  bool retried = false;
  try {
    send_again_after(failure(true, true), false, retried, "POST /x: reset", "Outlook", "graph_url");
    FAIL() << "no throw";
  } catch (const LostAnswer& e) {
    EXPECT_EQ(e.status(), ACCORD_RETRY);
    EXPECT_NE(std::string(e.what()).find("after the request was sent (Outlook may have done it)"), std::string::npos);
  }
  EXPECT_FALSE(retried);  // never sent again blindly
}

TEST(NoAnswerTest, APermanentFailureSaysWhatToCheckAndCancelIsCancel) {
  std::string message;
  EXPECT_EQ(status_of(failure(false), true, false, &message), ACCORD_ERROR);
  EXPECT_NE(message.find("(check graph_url)"), std::string::npos) << message;
  EXPECT_EQ(status_of(failure(true, false, true), true, false), ACCORD_CANCELLED);
}
