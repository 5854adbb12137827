// SPDX-License-Identifier: Apache-2.0
// A Google service account with domain-wide delegation: access tokens by the
// JWT-bearer grant (RFC 7523; Google's "Using OAuth 2.0 for Server to Server
// Applications"): a JWT with the account's email as iss, the user it acts
// for as sub, the scopes, the token endpoint as aud, iat and exp an hour
// apart, RS256-signed with the account's private key (POCO's JWT and Crypto),
// posted as grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer. So a
// Workspace administrator syncs many users' accounts without each user
// signing in.
//
// Thread safety: one thread at a time (the connector rule).
#pragma once

#include <accord/connector.hpp>
#include <accord/net/http_client.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace gapi {

struct ServiceAccount {
  std::string client_email;  // iss
  std::string private_key;   // PEM (PKCS #8, as Google's key files hold it)
  std::string token_url;     // aud and where the grant goes
  std::string subject;       // sub: the user acted for
  std::string scope;         // space-separated
};

// The account from a key file's JSON ({"type": "service_account",
// "client_email", "private_key", "token_uri", …}); `token_url` (when not
// empty) replaces the file's token_uri. Throws accord::Error(ACCORD_ERROR)
// naming what is missing.
ServiceAccount read_key_file(std::string_view key_json, const std::string& token_url, const std::string& subject,
                             const std::string& scope);

// The signed assertion for `now` (seconds since the epoch).
std::string signed_assertion(const ServiceAccount& sa, int64_t now);

// A new access token. Throws accord::Error: AUTH_REQUIRED when Google
// refuses the grant (unauthorized_client: the delegation is not set up for
// the client id and scopes; invalid_grant: a bad key or clock), RETRY when
// it cannot be reached or fails, CANCELLED.
std::string jwt_bearer_token(accord::net::HttpClient& http, const accord::Host& host, const ServiceAccount& sa);

}  // namespace gapi
