// SPDX-License-Identifier: Apache-2.0
// The JWT-bearer grant of a Google service account (service_account.hpp).
#include "service_account.hpp"

#include "json_read.hpp"

#include <accord/net/redact.hpp>
#include <accord/net/url_rules.hpp>
#include <accord/time/rest_time.hpp>

#include <Poco/Crypto/RSAKey.h>
#include <Poco/Exception.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <Poco/Timestamp.h>
#include <boost/json.hpp>

#include <sstream>

namespace json = boost::json;

namespace gapi {

ServiceAccount read_key_file(std::string_view key_json, const std::string& token_url, const std::string& subject,
                             const std::string& scope) {
  boost::system::error_code ec;
  json::value v = json::parse(key_json, ec);
  if (ec || !v.is_object())
    throw accord::Error(ACCORD_ERROR, "service_account.key is not a service account's JSON key file");
  const json::object& o = v.get_object();
  ServiceAccount sa{jr::str(o, "client_email"), jr::str(o, "private_key"),
                    token_url.empty() ? jr::str(o, "token_uri") : token_url, subject, scope};
  if (jr::str(o, "type") != "service_account" || sa.client_email.empty() || sa.private_key.empty())
    throw accord::Error(ACCORD_ERROR, "service_account.key must be a service account's JSON key file (type "
                                      "\"service_account\", with client_email and private_key)");
  if (sa.token_url.empty()) sa.token_url = "https://oauth2.googleapis.com/token";
  if (auto why = accord::net::credential_url_problem(sa.token_url); !why.empty())
    throw accord::Error(ACCORD_ERROR, "the service account's token_uri " + why);
  accord::net::add_secret(sa.private_key);
  return sa;
}

std::string signed_assertion(const ServiceAccount& sa, int64_t now) {
  try {
    std::istringstream pem(sa.private_key);
    Poco::SharedPtr<Poco::Crypto::RSAKey> key = new Poco::Crypto::RSAKey(nullptr, &pem);
    Poco::JWT::Token t;
    t.setType("JWT");
    t.setIssuer(sa.client_email);
    if (!sa.subject.empty()) t.setSubject(sa.subject);
    t.setAudience(sa.token_url);
    t.payload().set("scope", sa.scope);
    t.setIssuedAt(Poco::Timestamp::fromEpochTime(static_cast<std::time_t>(now)));
    t.setExpiration(Poco::Timestamp::fromEpochTime(static_cast<std::time_t>(now + 3600)));  // Google's maximum
    Poco::JWT::Signer signer(key);
    return signer.sign(t, Poco::JWT::Signer::ALGO_RS256);
  } catch (const Poco::Exception& e) {
    throw accord::Error(ACCORD_ERROR, "the service account's private_key cannot sign: " + accord::net::redact(e.displayText()));
  }
}

std::string jwt_bearer_token(accord::net::HttpClient& http, const accord::Host& host, const ServiceAccount& sa) {
  std::string form = "grant_type=" + accord::net::url_encode("urn:ietf:params:oauth:grant-type:jwt-bearer") +
                     "&assertion=" + accord::net::url_encode(signed_assertion(sa, accord::utc::now_ms() / 1000));
  accord::net::HttpResponse r;
  accord::net::HttpFailure f;
  if (!http.request("POST", sa.token_url, {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json"},
                    form, r, f, true))
    throw accord::Error(f.cancelled ? ACCORD_CANCELLED : ACCORD_RETRY,
                        "the service account's token grant: " + accord::net::redact(f.message), 5000);
  boost::system::error_code ec;
  json::value body = json::parse(r.body, ec);
  const json::object none;
  const json::object& o = !ec && body.is_object() ? body.get_object() : none;
  std::string access = jr::str(o, "access_token");
  if (r.status / 100 == 2 && !access.empty()) {
    accord::net::add_secret(access);
    host.log(ACCORD_LOG_INFO, "google-api: a service account token for " + sa.subject + " issued");
    return access;
  }
  // RFC 6749 section 5.2: {"error", "error_description"}
  std::string why = accord::net::redact(jr::str(o, "error") + ": " + jr::str(o, "error_description"));
  if (r.status >= 500 || r.status == 429)
    throw accord::Error(ACCORD_RETRY, "the service account's token grant: HTTP " + std::to_string(r.status) + " (" + why + ")",
                        30000);
  throw accord::Error(ACCORD_AUTH_REQUIRED,
                      "Google refused the service account " + sa.client_email + " a token for " +
                          (sa.subject.empty() ? std::string("itself") : sa.subject) + " (HTTP " +
                          std::to_string(r.status) + ": " + why +
                          "); in the Admin console, Security > API controls > Domain-wide delegation must list the "
                          "account's client id with these scopes: " + sa.scope);
}

}  // namespace gapi
