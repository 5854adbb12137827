// SPDX-License-Identifier: Apache-2.0
// Getting a first refresh token: the OAuth 2.0 authorization-code grant
// with PKCE (RFC 6749 section 4.1, RFC 7636) for a native app with a
// loopback redirect (RFC 8252), and the device authorization grant (RFC
// 8628). The host's `accord login` drives them; renewing tokens later is
// accord/net/oauth2.hpp's.
//
// Never logs or returns a secret in a message: every message built from a
// server's answer goes through redact().
//
// Thread safety: pure functions and calls on the caller's HttpClient.
#pragma once

#include <accord/net/http_client.hpp>
#include <accord/net/pkce.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace accord::net {

// A sign-in that did not end with a token; what() says why and what to do.
struct LoginError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct OAuthClient {
  std::string client_id;
  std::string client_secret;  // empty for a public client
};

struct TokenAnswer {
  std::string access_token, refresh_token, scope;
  // Google sets it when the refresh token is time-limited (an app in
  // "Testing": 7 days; time-based access the user chose).
  std::optional<int64_t> refresh_token_expires_in;
};

// The authorization request's URL (RFC 6749 section 4.1.1 with RFC 7636
// section 4.3's code_challenge, S256), with the provider's `extra`
// parameters (Google's access_type=offline).
std::string authorization_url(const std::string& authorize_url, const OAuthClient& client,
                              const std::string& redirect_uri, const std::string& scope, const std::string& state,
                              const Pkce& pkce, const std::vector<std::pair<std::string, std::string>>& extra = {});

// The authorization code a redirect brought: `redirect` is the URL the
// browser was sent to, or its request target ("/?code=…&state=…"). Throws
// LoginError when `state` differs (this answer belongs to another request:
// RFC 6749 section 10.12), when the server answered an error
// (access_denied…), or when there is no code.
std::string code_from_redirect(const std::string& redirect, const std::string& expected_state);

// Trades the code for tokens at the token endpoint (RFC 6749 section 4.1.3,
// with the code_verifier). Throws LoginError on a refusal or no answer.
TokenAnswer exchange_code(HttpClient& http, const std::string& token_url, const OAuthClient& client,
                          const std::string& code, const std::string& redirect_uri, const std::string& verifier);

struct DeviceAuthorization {
  std::string device_code, user_code, verification_uri, message;
  int64_t interval_s = 5, expires_in_s = 900;
};

// RFC 8628 section 3.1-3.2.
DeviceAuthorization start_device_flow(HttpClient& http, const std::string& device_url, const OAuthClient& client,
                                      const std::string& scope);

// Polls the token endpoint (RFC 8628 section 3.4-3.5) until the user
// approves, declines, or the code expires; `sleep` waits between polls
// (tests pass a short one).
TokenAnswer poll_device_flow(HttpClient& http, const std::string& token_url, const OAuthClient& client,
                             const DeviceAuthorization& device,
                             const std::function<void(std::chrono::seconds)>& sleep);

}  // namespace accord::net
