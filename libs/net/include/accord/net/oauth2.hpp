// SPDX-License-Identifier: Apache-2.0
// OAuth 2.0 access tokens renewed with the refresh_token grant (RFC 6749
// section 6), for any connector that signs in with a bearer token: crm-rest
// (Salesforce, HubSpot, HighLevel) and gmail-imap (SASL XOAUTH2).
//
// A service that rotates refresh tokens answers a new one with each access
// token and retires the old: when the refresh token came from a named secret
// (refresh_token_secret), the new one is written back through the host's
// secret store, so that the next run can still sign in.
//
// Thread safety: one thread at a time, as the connector that owns it.
#pragma once

#include <accord/net/http_client.hpp>
#include <accord/net/url_rules.hpp>  // safe_for_credentials, for the connectors that include this header

#include <accord/connector.hpp>

#include <string>

namespace accord::net {

struct OAuth2Config {
  std::string token_url;  // the token endpoint, https:// (http:// only to this machine)
  std::string client_id;
  std::string client_secret;
  std::string refresh_token;         // given in the config, or
  std::string refresh_token_secret;  // the name of the secret that holds it
  // Names, for messages: the connector ("crm-rest") and what the user signs
  // in to again when the refresh token is refused ("the CRM").
  std::string who, service;
  // Sent as "scope" with the grant when not empty: Microsoft's identity
  // platform wants the scopes again on every refresh (RFC 6749 section 6
  // makes it optional; a narrower set narrows the new access token).
  std::string scope = {};
};

class OAuth2Refresher {
 public:
  explicit OAuth2Refresher(OAuth2Config cfg) : cfg_(std::move(cfg)), refresh_token_(cfg_.refresh_token) {}

  // Whether there is a refresh token to renew with (given, or named).
  bool can_renew() const { return !refresh_token_.empty() || !cfg_.refresh_token_secret.empty(); }

  // Asks the token endpoint for a new access token and returns it. Throws
  // accord::Error: ACCORD_AUTH_REQUIRED when there is no refresh token or the
  // endpoint refuses it (revoked, expired: the user must sign in again),
  // ACCORD_RETRY when the endpoint cannot be reached, ACCORD_CANCELLED.
  std::string renew(HttpClient& http, const accord::Host& host);

 private:
  OAuth2Config cfg_;
  std::string refresh_token_;  // the current one: rotated ones replace it
};


}  // namespace accord::net
