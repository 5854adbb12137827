// SPDX-License-Identifier: Apache-2.0
// `accord login` (login_verb.cpp): signs in to Google, Microsoft or a
// generic OAuth 2.0 service and stores the refresh token in the secrets
// file; and, for `accord status`, which side of a pipeline needs that again.
#pragma once

#include "cli/options.hpp"
#include "pipeline/pipeline.hpp"
#include "state/rows.hpp"

#include <string>
#include <vector>

namespace accord::cli {

int login_verb(const GlobalOptions& opts, const std::vector<std::string>& args);

// A side whose connector's refresh token was refused (invalid_grant and the
// like) in the newest finished run: what to run to sign in again.
struct SignInNeeded {
  std::string side;       // "left" or "right"
  std::string connector;  // "google-api"
  std::string command;    // the `accord login …` to run
};

// From the newest finished run's error (runs newest first, as
// StateStore::runs gives them). Only sides that sign in with "oauth2".
std::vector<SignInNeeded> sign_in_needed(const Pipeline& pipeline, const std::vector<RunRow>& runs);

}  // namespace accord::cli
