// SPDX-License-Identifier: Apache-2.0
#include <accord/net/oauth2.hpp>

#include "oauth_error.hpp"

#include <accord/net/redact.hpp>
#include <accord/net/url_rules.hpp>

#include <boost/json.hpp>

#include <algorithm>

namespace json = boost::json;

namespace accord::net {

// RFC 6749 section 5.2: {"error": "invalid_grant", "error_description": "…"}
std::string token_error(const json::value& body, const std::string& raw) {
  if (body.is_object()) {
    const json::object& o = body.get_object();
    auto str = [&](const char* k) {
      const json::value* v = o.if_contains(k);
      return v && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    std::string e = str("error"), d = str("error_description");
    if (!e.empty() || !d.empty()) return redact(e.empty() ? d : d.empty() ? e : e + ": " + d);
  }
  // a server may echo the request (with the client secret and refresh token)
  std::string t = redact(raw).substr(0, 200);
  std::replace(t.begin(), t.end(), '\n', ' ');
  return t;
}

std::string OAuth2Refresher::renew(HttpClient& http, const accord::Host& host) {
  const std::string& name = cfg_.refresh_token_secret;
  if (refresh_token_.empty() && !name.empty()) {
    auto s = host.secret(name);
    if (!s || s->empty())
      throw accord::Error(ACCORD_AUTH_REQUIRED, "refresh_token_secret names \"" + name +
                                                    "\", which is not in the secrets file: sign in to " + cfg_.service +
                                                    " and put its refresh token there under that name");
    refresh_token_ = *s;
  }
  if (refresh_token_.empty())
    throw accord::Error(ACCORD_AUTH_REQUIRED, "the access token was refused and there is no refresh_token to renew it: "
                                              "sign in again and put a new token in the secrets file");
  if (std::string why = credential_url_problem(cfg_.token_url); !why.empty())
    throw accord::Error(ACCORD_ERROR, "token_url " + why + ": the refresh token is not sent there");
  add_secret(refresh_token_);
  add_secret(cfg_.client_secret);
  std::string form = "grant_type=refresh_token&refresh_token=" + url_encode(refresh_token_);
  if (!cfg_.client_id.empty()) form += "&client_id=" + url_encode(cfg_.client_id);
  if (!cfg_.client_secret.empty()) form += "&client_secret=" + url_encode(cfg_.client_secret);
  if (!cfg_.scope.empty()) form += "&scope=" + url_encode(cfg_.scope);
  HttpResponse r;
  HttpFailure f;
  // sent once (not idempotent): a service that rotates refresh tokens retires
  // the old one on the first grant, and some revoke every token of the family
  // when a retired one comes again
  if (!http.request("POST", cfg_.token_url,
                    {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json"}, form, r, f))
    throw accord::Error(f.cancelled ? ACCORD_CANCELLED : ACCORD_RETRY, "refreshing the OAuth2 token: " + f.message, 5000);
  boost::system::error_code ec;
  json::value body = json::parse(r.body, ec);
  if (ec) body = nullptr;
  const json::value* tok = body.is_object() ? body.get_object().if_contains("access_token") : nullptr;
  if (r.status / 100 != 2 || !tok || !tok->is_string() || tok->get_string().empty()) {
    // a server in trouble is asked again later; a refusal needs the user
    if (r.status >= 500 || r.status == 429)
      throw accord::Error(ACCORD_RETRY, "refreshing the OAuth2 token at " + cfg_.token_url + ": HTTP " +
                                            std::to_string(r.status) + " (" + token_error(body, r.body) + ")", 30000);
    throw accord::Error(ACCORD_AUTH_REQUIRED,
                        "refreshing the OAuth2 token at " + cfg_.token_url + " failed (HTTP " + std::to_string(r.status) +
                            ": " + token_error(body, r.body) + "); the refresh token was revoked or has expired: sign in to " +
                            cfg_.service + " again and put the new refresh token in the secrets file");
  }
  std::string access(tok->get_string());
  add_secret(access);
  host.log(ACCORD_LOG_INFO, cfg_.who + ": renewed the OAuth2 access token");
  // Services that rotate refresh tokens (HighLevel; Salesforce with rotation
  // on; Microsoft) answer a new one and retire the old: keep it, or the next
  // run cannot sign in.
  const json::value* rt = body.get_object().if_contains("refresh_token");
  if (rt && rt->is_string() && !rt->get_string().empty() && rt->get_string() != refresh_token_) {
    refresh_token_ = std::string(rt->get_string());
    add_secret(refresh_token_);
    if (name.empty())
      host.log(ACCORD_LOG_WARN, cfg_.who + ": the service issued a new refresh token, which this run uses; to keep it "
                                           "for the next runs, name its secret in refresh_token_secret instead of "
                                           "giving refresh_token");
    else if (!host.store_secret(name, refresh_token_))
      host.log(ACCORD_LOG_ERROR, cfg_.who + ": the service issued a new refresh token and the host could not store it as \"" +
                                     name + "\"; if the service retired the old one, sign in again after this run");
  }
  return access;
}

}  // namespace accord::net
