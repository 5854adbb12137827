// SPDX-License-Identifier: Apache-2.0
#include <accord/net/oauth_login.hpp>

#include "oauth_error.hpp"

#include <accord/net/redact.hpp>
#include <accord/json/lenient.hpp>
#include <accord/net/url_rules.hpp>

#include <Poco/URI.h>
#include <boost/json.hpp>

#include <chrono>

namespace json = boost::json;

namespace accord::net {

namespace {

using accord::json_read::str;

std::optional<int64_t> integer(const json::object& o, const char* k) {
  const json::value* v = o.if_contains(k);
  if (v && v->is_int64()) return v->as_int64();
  if (v && v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
  if (v && v->is_string()) {  // some servers send numbers as strings
    try {
      return std::stoll(std::string(v->get_string()));
    } catch (...) {
    }
  }
  return std::nullopt;
}

std::string form_of(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string f;
  for (const auto& [k, v] : fields)
    if (!v.empty()) f += (f.empty() ? "" : "&") + k + "=" + url_encode(v);
  return f;
}

void check_endpoint(const std::string& url, const char* what) {
  if (std::string why = credential_url_problem(url); !why.empty())
    throw LoginError(std::string(what) + " " + url + ": " + why);
}

// One POST of a form to a token or device endpoint; the JSON object it
// answered (any HTTP status) or a LoginError when none came.
json::object post_form(HttpClient& http, const std::string& url, const std::string& form, long& status) {
  HttpResponse r;
  HttpFailure f;
  if (!http.request("POST", url, {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json"}, form, r, f))
    throw LoginError("no answer from " + url + ": " + f.message);
  status = r.status;
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  if (ec || !v.is_object()) {
    std::string t = redact(r.body).substr(0, 200);
    throw LoginError(url + " answered HTTP " + std::to_string(r.status) + " with no JSON object: " + t);
  }
  return std::move(v.get_object());
}

std::string error_of(const json::object& o) { return token_error(json::value(o), json::serialize(o)); }

TokenAnswer token_answer(const json::object& o, long status, const std::string& url) {
  TokenAnswer t;
  t.access_token = str(o, "access_token");
  t.refresh_token = str(o, "refresh_token");
  t.scope = str(o, "scope");
  t.refresh_token_expires_in = integer(o, "refresh_token_expires_in");
  if (status / 100 != 2 || t.access_token.empty())
    throw LoginError("the token endpoint " + url + " refused the sign-in (HTTP " + std::to_string(status) + ": " +
                     error_of(o) + ")");
  add_secret(t.access_token);
  add_secret(t.refresh_token);
  if (t.refresh_token.empty())
    throw LoginError("the token endpoint " + url + " answered no refresh_token: the sign-in did not ask for offline "
                     "access (Microsoft: the offline_access scope; Google: access_type=offline), or the app is not "
                     "allowed it");
  return t;
}

}  // namespace

std::string authorization_url(const std::string& authorize_url, const OAuthClient& client,
                              const std::string& redirect_uri, const std::string& scope, const std::string& state,
                              const Pkce& pkce, const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::pair<std::string, std::string>> q = {{"client_id", client.client_id},
                                                        {"response_type", "code"},
                                                        {"redirect_uri", redirect_uri},
                                                        {"scope", scope},
                                                        {"state", state},
                                                        {"code_challenge", pkce.challenge},
                                                        {"code_challenge_method", Pkce::kMethod}};
  q.insert(q.end(), extra.begin(), extra.end());
  return authorize_url + (authorize_url.find('?') == std::string::npos ? "?" : "&") + form_of(q);
}

std::string code_from_redirect(const std::string& redirect, const std::string& expected_state) {
  std::string text = redirect;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  while (!text.empty() && text.front() == ' ') text.erase(0, 1);
  Poco::URI::QueryParameters params;
  try {
    params = Poco::URI(text).getQueryParameters();
  } catch (const std::exception&) {
    throw LoginError("that is not the address the browser was sent to after the sign-in (it does not parse as a URL)");
  }
  std::optional<std::string> code, state, error, description;
  for (const auto& [k, v] : params) {
    if (k == "code") code = v;
    else if (k == "state") state = v;
    else if (k == "error") error = v;
    else if (k == "error_description") description = v;
  }
  if (!state || *state != expected_state)
    throw LoginError(std::string("the redirect's state ") + (state ? "differs from" : "is missing, unlike") +
                     " the one this sign-in sent: it answers another request (or was forged); nothing was stored. "
                     "Run accord login again and use the address it prints");
  if (error)
    throw LoginError("the sign-in was refused: " + redact(*error + (description ? ": " + *description : "")) +
                     (*error == "access_denied" ? " (consent was not given)" : ""));
  if (!code || code->empty())
    throw LoginError("the redirect carries no code: paste the whole address the browser was sent to");
  add_secret(*code);
  return *code;
}

TokenAnswer exchange_code(HttpClient& http, const std::string& token_url, const OAuthClient& client,
                          const std::string& code, const std::string& redirect_uri, const std::string& verifier) {
  check_endpoint(token_url, "the token endpoint");
  add_secret(client.client_secret);
  long status = 0;
  json::object o = post_form(http, token_url,
                             form_of({{"grant_type", "authorization_code"},
                                      {"code", code},
                                      {"redirect_uri", redirect_uri},
                                      {"client_id", client.client_id},
                                      {"client_secret", client.client_secret},
                                      {"code_verifier", verifier}}),
                             status);
  return token_answer(o, status, token_url);
}

DeviceAuthorization start_device_flow(HttpClient& http, const std::string& device_url, const OAuthClient& client,
                                      const std::string& scope) {
  check_endpoint(device_url, "the device authorization endpoint");
  long status = 0;
  json::object o = post_form(http, device_url, form_of({{"client_id", client.client_id}, {"scope", scope}}), status);
  DeviceAuthorization d;
  d.device_code = str(o, "device_code");
  d.user_code = str(o, "user_code");
  d.verification_uri = str(o, "verification_uri");
  if (d.verification_uri.empty()) d.verification_uri = str(o, "verification_url");  // Google's older spelling
  d.message = str(o, "message");
  if (auto i = integer(o, "interval"); i && *i > 0) d.interval_s = *i;
  if (auto e = integer(o, "expires_in"); e && *e > 0) d.expires_in_s = *e;
  if (status / 100 != 2 || d.device_code.empty() || d.user_code.empty())
    throw LoginError("the device authorization endpoint " + device_url + " refused (HTTP " + std::to_string(status) +
                     ": " + error_of(o) + ")");
  add_secret(d.device_code);
  return d;
}

TokenAnswer poll_device_flow(HttpClient& http, const std::string& token_url, const OAuthClient& client,
                             const DeviceAuthorization& device,
                             const std::function<void(std::chrono::seconds)>& sleep) {
  check_endpoint(token_url, "the token endpoint");
  add_secret(client.client_secret);
  auto interval = std::chrono::seconds(device.interval_s);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(device.expires_in_s);
  while (std::chrono::steady_clock::now() < deadline) {
    sleep(interval);
    long status = 0;
    json::object o = post_form(http, token_url,
                               form_of({{"grant_type", "urn:ietf:params:oauth:grant-type:device_code"},
                                        {"device_code", device.device_code},
                                        {"client_id", client.client_id},
                                        {"client_secret", client.client_secret}}),
                               status);
    std::string e = str(o, "error");
    if (e == "authorization_pending") continue;
    if (e == "slow_down") {  // RFC 8628 section 3.5: 5 seconds more from now on
      interval += std::chrono::seconds(5);
      continue;
    }
    if (e == "authorization_declined" || e == "access_denied")
      throw LoginError("the sign-in was declined at " + device.verification_uri + "; nothing was stored");
    if (e == "expired_token")
      throw LoginError("the code " + device.user_code + " expired before it was entered: run accord login again");
    return token_answer(o, status, token_url);
  }
  throw LoginError("the code " + device.user_code + " expired before it was entered: run accord login again");
}

}  // namespace accord::net
