// SPDX-License-Identifier: Apache-2.0
// cli::sign_in_needed (login_verb.cpp), which `accord status` and the
// daemon's status page read: a run whose pair failed AUTH_REQUIRED (the run
// summary's "error_status") needs sign-in whatever its error's words.
#include "cli/login.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace accord::cli {
namespace {

Pipeline google_pipeline() {
  Pipeline p;
  p.name = "contacts";
  p.secrets_file = "/home/u/.config/accord/secrets.json";
  p.left.connector = "local";
  p.left.config = boost::json::parse(R"({"backend": "vcard", "path": "/home/u/book"})");
  p.right.connector = "google-api";
  p.right.config = boost::json::parse(R"({"oauth2": {"client_id": "cid.apps", "refresh_token": {"$secret": "google-me"}}})");
  return p;
}

// A failed run whose error says nothing of invalid_grant or signing in (an
// API's 401 after the token was refreshed).
RunRow failed_run(const std::string& summary) {
  return RunRow{7, "run", "2026-12-06T09:00:00Z", "2026-12-06T09:00:02Z", "failed", summary,
                "contacts: HTTP 401 from people.googleapis.com: Request had invalid authentication credentials"};
}

TEST(SignInNeededTest, AnAuthRequiredPairNeedsSignInWhateverItsErrorSays) {
  auto need = sign_in_needed(google_pipeline(),
                             {failed_run(R"({"contacts": {"error": "HTTP 401", "error_status": "auth_required"}})")});
  ASSERT_EQ(need.size(), 1u);
  EXPECT_EQ(need[0].side, "right");
  EXPECT_EQ(need[0].connector, "google-api");
  EXPECT_EQ(need[0].command,
            "accord login google --secrets /home/u/.config/accord/secrets.json --name google-me --client-id cid.apps");
}

TEST(SignInNeededTest, AnotherFailureWithTheSameWordsNeedsNone) {
  // the control: the words alone do not say sign in
  EXPECT_TRUE(sign_in_needed(google_pipeline(), {failed_run(R"({"contacts": {"error": "HTTP 401", "error_status": "error"}})")}).empty());
  EXPECT_TRUE(sign_in_needed(google_pipeline(), {failed_run("")}).empty());
}

TEST(SignInNeededTest, OnlyTheNewestFinishedRunCounts) {
  RunRow ok{8, "run", "2026-12-06T09:10:00Z", "2026-12-06T09:10:01Z", "ok", R"({"contacts": {}})", ""};
  RunRow unfinished{9, "run", "2026-12-06T09:20:00Z", "", "", "", ""};
  auto failed = failed_run(R"({"contacts": {"error_status": "auth_required"}})");
  EXPECT_TRUE(sign_in_needed(google_pipeline(), {unfinished, ok, failed}).empty());  // signed in again since
  EXPECT_EQ(sign_in_needed(google_pipeline(), {unfinished, failed, ok}).size(), 1u);
}

}  // namespace
}  // namespace accord::cli
