// SPDX-License-Identifier: Apache-2.0
// The HTTP side of the google-api connector: one Google account's requests
// over the shared client (libs/net), with an OAuth 2.0 bearer token renewed
// from the refresh token (a rotated one is written back by OAuth2Refresher)
// or, for a service account, by the JWT-bearer grant (service_account.hpp),
// and Google's answers turned into Accord statuses:
//   - 429, 403 rateLimitExceeded / userRateLimitExceeded / RESOURCE_EXHAUSTED,
//     500, 502, 503, 504 → RETRY, with the Retry-After the server gave or an
//     exponential back-off (1 s doubling to 64 s, Google's advice) that grows
//     with each limited answer in a row;
//   - 401 → the token renewed once, then AUTH_REQUIRED;
//   - anything else is handed back to the caller, with Google's error read
//     from either envelope ({"error":{"code","message","status","details":
//     [{"@type":"…ErrorInfo","reason"}],"errors":[{"domain","reason"}]}}).
// Every message built from an answer goes through accord::net::redact.
//
// Thread safety: one thread calls call() at a time (the connector rule);
// cancel() may be called from any thread.
#pragma once

#include "service_account.hpp"

#include <accord/connector.hpp>
#include <accord/net/http_client.hpp>
#include <accord/net/no_answer.hpp>
#include <accord/net/oauth2.hpp>
#include <accord/net/url_rules.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace gapi {

// Google's error, from either envelope.
struct GoogleError {
  long code = 0;
  std::string status;   // "FAILED_PRECONDITION" (the newer envelope), or ""
  std::vector<std::string> reasons;  // ErrorInfo reasons and errors[].reason ("EXPIRED_SYNC_TOKEN", "fullSyncRequired")
  std::string message;
  bool has_reason(std::string_view r) const;
};
GoogleError read_error(long http_status, const boost::json::value& body);

struct Answer {
  long status = 0;
  boost::json::value body;  // null when the answer had no JSON body
  std::string text;         // the body as sent when it is not JSON (a file's content)
  GoogleError error;        // filled when status is not 2xx
  bool ok() const { return status / 100 == 2; }
};

// A request that is not idempotent was sent and its answer lost: Google may
// have done it. RETRY for whoever does not look further.
using LostAnswer = accord::net::LostAnswer;

struct ClientOptions {
  accord::net::HttpOptions http;
  accord::net::OAuth2Config oauth;
  std::string access_token;  // a current token given in the config (optional)
  // tokens by the JWT-bearer grant instead of a refresh token (domain-wide delegation)
  std::optional<ServiceAccount> service_account;
};

class GoogleClient {
 public:
  GoogleClient(ClientOptions opts, const accord::Host& host);

  // Sends one request to an absolute URL (`body`: JSON text or ""; an
  // `If-Match` or other header in `extra`, a `Content-Type` there replacing
  // JSON's). Answers every status the caller
  // may want to look at (2xx and 4xx other than 401 and the rate limits);
  // throws accord::Error for the statuses above and for a transport failure
  // (LostAnswer when a request that is not idempotent may have been done).
  Answer call(const std::string& method, const std::string& url, const std::string& body = "",
              const std::vector<std::string>& extra = {}, bool idempotent = false);

  // [any thread] ends the call in progress; later calls throw CANCELLED.
  void cancel() noexcept {
    cancelled_.store(true);
    http_.cancel();
  }

  int64_t requests() const { return requests_; }

  // A client-side budget (Gmail's quota units per user per minute): `cost`
  // gives a request's units (0: not counted); a request that would spend
  // more than `per_minute` within the last minute is not sent but answered
  // RETRY with the wait until enough units are free.
  // With a `ledger` file, the spending is kept there (each second's units,
  // under an exclusive lock while a request is weighed), so that every run
  // and every process of the account shares one minute: a daemon's runs a
  // few seconds apart, two pipelines of one mailbox. Without, per instance.
  void set_budget(int64_t per_minute, std::function<int(const std::string& method, const std::string& url)> cost,
                  std::string ledger = "") {
    budget_ = per_minute;
    cost_ = std::move(cost);
    ledger_ = std::move(ledger);
  }

 private:
  void renew();
  void spend(const std::string& method, const std::string& url);

  ClientOptions opts_;
  accord::Host host_;
  accord::net::HttpClient http_;
  accord::net::OAuth2Refresher oauth_;
  std::string token_;
  int limited_in_a_row_ = 0;
  int64_t requests_ = 0;
  int64_t budget_ = 0;
  std::function<int(const std::string&, const std::string&)> cost_;
  std::deque<std::pair<int64_t, int>> spent_;  // (ms, units) of the last minute
  std::string ledger_;                         // the file that keeps them across runs ("": none)
  std::atomic<bool> cancelled_{false};
};

// The file an account's Gmail budget is kept in across runs:
// $XDG_STATE_HOME/accord/google-api/gmail-units-<hash of key>, else under
// $HOME/.local/state; "" when neither is set (the budget is then per run).
std::string budget_ledger_path(const std::string& key);

// "GET /v1/people/me/connections" for messages: the method and the path,
// without the origin or the query (which may carry a token).
std::string describe(const std::string& method, const std::string& url);

// An accord::Error of `status` for a Google answer the caller cannot use,
// naming the request and Google's message (redacted).
accord::Error failure(int32_t status, const std::string& method, const std::string& url, const Answer& a,
                      const std::string& hint = "");

// A Google answer the caller cannot use: RETRY for Google's own failures, else ERROR.
[[noreturn]] void unusable(const std::string& method, const std::string& url, const Answer& a,
                           const std::string& hint = "");

// A GET of one resource: nullopt when Google has none (404, or 410 where
// the API says gone so).
std::optional<boost::json::object> get_one(GoogleClient& client, const std::string& url);

// Every page of a listing (`url` already has its query; `token` the
// query parameter that carries the next page's token): `on_page` gets each
// page's body (an empty object for none) and returns true to stop.
template <class F>
void each_page(GoogleClient& client, const std::string& url, F&& on_page) {
  static const boost::json::object none;
  std::string page;
  for (;;) {
    std::string u = page.empty() ? url : url + "&pageToken=" + accord::net::url_encode(page);
    Answer a = client.call("GET", u);
    if (!a.ok()) unusable("GET", u, a);
    const boost::json::object& body = a.body.is_object() ? a.body.get_object() : none;
    if (on_page(body)) return;
    auto* next = body.if_contains("nextPageToken");
    if (!next || !next->is_string() || next->get_string().empty()) return;
    page = std::string(next->get_string());
  }
}

}  // namespace gapi
