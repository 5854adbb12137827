// SPDX-License-Identifier: Apache-2.0
// The HTTP side of the outlook-mapi connector's `graph` backend: one
// mailbox's Microsoft Graph requests over the shared client (libs/net), with
// an OAuth 2.0 bearer token renewed from the refresh token through the
// Microsoft identity platform (a rotated one is written back by
// OAuth2Refresher), and Graph's answers turned into Accord statuses:
//   - every request asks for immutable ids (Prefer: IdType="ImmutableId"),
//     so that an item moved between folders keeps its id;
//   - 429 (throttling, the 4-requests-per-mailbox limit), 503, 504, 500,
//     502 → RETRY with the Retry-After Graph gave, else a back-off that grows
//     with each limited answer in a row;
//   - 401 → the token renewed once, then AUTH_REQUIRED (the identity
//     platform's invalid_grant, e.g. AADSTS700082 "expired due to
//     inactivity", is AUTH_REQUIRED from the renewal, saying to sign in again);
//   - anything else is handed back, with Graph's error read from its
//     envelope {"error": {"code", "message", "innerError"}};
//   - each request to the mailbox is sent holding one of its 4 slots
//     (accord::kit::AccountSlots), shared by every process of this user.
// Every message built from an answer goes through accord::net::redact.
//
// Thread safety: one thread calls call() at a time (the connector rule);
// cancel() may be called from any thread.
#pragma once

#include <accord/connector.hpp>
#include <accord/net/http_client.hpp>
#include <accord/net/no_answer.hpp>
#include <accord/net/oauth2.hpp>

#include <accord/kit/account_slots.hpp>

#include <boost/json/value.hpp>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace outlook::graph {

struct Answer {
  long status = 0;
  boost::json::value body;  // null when the answer had no JSON body
  std::string code;         // Graph's error code ("syncStateNotFound", "ErrorItemNotFound"), when not 2xx
  std::string message;      // Graph's error message
  std::string location;     // a Location header (410's "start over here")
  std::string raw;          // the body as sent (MIME for $value)
  bool ok() const { return status / 100 == 2; }
};

// A request that is not idempotent was sent and its answer lost: Graph may
// have done it. RETRY for whoever does not look further.
using LostAnswer = accord::net::LostAnswer;

struct ClientOptions {
  accord::net::HttpOptions http;
  accord::net::OAuth2Config oauth;
  std::string access_token;  // a current token given in the config (optional)
  std::string root;          // "https://graph.microsoft.com/v1.0", no trailing slash
  // The scopes to renew with when Microsoft refuses oauth.scope, the
  // connector's default, for a refresh token signed in for fewer (before
  // Mail.ReadWrite and MailboxSettings.ReadWrite joined the default); ""
  // when the pipeline gave its own scope.
  std::string fallback_scope;
  // What names the mailbox for its request slots (Graph's root and the account).
  std::string mailbox;
};

class GraphClient {
 public:
  GraphClient(ClientOptions opts, const accord::Host& host);

  // One request. `target`: a path under the root ("/me/contacts") or an
  // absolute URL Graph gave (@odata.nextLink, @odata.deltaLink); `body`: JSON
  // text or ""; `prefer`: more Prefer preferences ("odata.maxpagesize=50");
  // `extra`: other headers (If-Match). Answers every status the caller may
  // want to look at; throws accord::Error for the statuses above and for a
  // transport failure (LostAnswer when a request that is not idempotent may
  // have been done).
  Answer call(const std::string& method, const std::string& target, const std::string& body = "",
              const std::vector<std::string>& extra = {}, bool idempotent = false, const std::string& prefer = "");

  // One range of an attachment upload session's bytes (outlook-large-
  // attachments.md): a PUT on the session's pre-authenticated uploadUrl,
  // which takes no Authorization header, with Content-Range "bytes a-b/total".
  Answer put_range(const std::string& upload_url, std::string_view bytes, uint64_t first, uint64_t total);

  // [any thread] ends the call in progress; later calls throw CANCELLED.
  void cancel() noexcept {
    cancelled_.store(true);
    http_.cancel();
  }

  const std::string& root() const { return opts_.root; }
  int64_t requests() const { return requests_; }

 private:
  ClientOptions opts_;
  accord::Host host_;
  accord::net::HttpClient http_;
  accord::net::OAuth2Refresher oauth_;
  // A new access token from the refresh token (with the fallback scope when
  // the default is refused, said once in the log).
  std::string renew();

  // Outlook's 4 concurrent requests per app and mailbox (throttling-limits.md,
  // "Outlook service limits": a fifth is answered 429 "MailboxConcurrency"),
  // kept by every instance of this user on this machine together
  static constexpr int kMailboxConcurrency = 4;
  accord::kit::AccountSlots slots_;
  std::string token_;
  bool narrowed_ = false;  // renewing with fallback_scope
  int limited_in_a_row_ = 0;
  int64_t requests_ = 0;
  std::atomic<bool> cancelled_{false};
};

// "GET /me/contacts/delta" for messages: the method and the path, without
// the origin or the query (which may carry a state token).
std::string describe(const std::string& method, const std::string& url);

// An accord::Error of `status` for an answer the caller cannot use, naming
// the request and Graph's code and message (redacted).
accord::Error failure(int32_t status, const std::string& method, const std::string& url, const Answer& a,
                      const std::string& hint = "");

// An OData string literal: the value in single quotes, a quote doubled.
std::string odata_quote(const std::string& s);

}  // namespace outlook::graph
