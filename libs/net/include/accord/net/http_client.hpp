// SPDX-License-Identifier: Apache-2.0
// A small HTTP client over libcurl's easy interface, for the connectors that
// speak HTTP (crm-rest; gmail-imap's OAuth2 refresh): one handle per connector
// instance (connections, TLS sessions and HTTP/2 streams are reused, except
// by a request that is not idempotent: see request()), gzip,
// timeouts on connect and on stalled transfers, cancellation from any thread.
// TLS peers are always verified; there is no switch to turn that off.
//
// Thread safety: one thread calls request() at a time (the connector rule);
// cancel() may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace accord::net {

struct HttpOptions {
  long connect_timeout_s = 10;
  long stall_timeout_s = 30;  // a transfer moving < 1 byte/s for this long is abandoned
  long total_timeout_s = 300;
  std::string ca_file;        // extra CA bundle (a private CA); verification stays on
};

struct HttpResponse {
  long status = 0;
  std::multimap<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& lower_name) const;
  // The wait a Retry-After header asks for (delay-seconds or an HTTP date,
  // RFC 9110 section 10.2.3), in milliseconds; `fallback` when there is none
  // or it cannot be read.
  int64_t retry_after_ms(int64_t fallback) const;
};

// A transport failure (no HTTP answer at all): connection refused or reset,
// timeout, TLS failure. `transient` says whether trying again may help.
// `maybe_done`: the request may have reached the server, and been done, with
// only its answer lost (the connection closed, reset or timed out after it
// was sent); false when it certainly was not sent (no connection was made).
struct HttpFailure {
  std::string message;
  bool transient = true;
  bool cancelled = false;
  bool maybe_done = false;
};

class HttpClient {
 public:
  explicit HttpClient(HttpOptions opts);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request. Returns false and fills `failure` when no HTTP answer
  // came; any HTTP status (even 500) is an answer.
  //
  // `idempotent`: sending the request twice does no harm (GET and HEAD always
  // are). One that is not (a create, a token grant that rotates its refresh
  // token) goes on a new connection: libcurl sends a request again, unasked,
  // when a reused connection turns out dead before any byte of the answer
  // ("Connection died, retrying a fresh connect"), and cannot tell a server
  // that closed an idle connection from one that did the request and then
  // failed; a create sent twice is two records. It does that only on a
  // reused connection, and libcurl 7.88 has no switch to stop it (curl PR
  // 18417 proposes CURLOPT_FORBID_RETRY_ON_REUSE). Such a request is sent
  // once; when its answer is lost, `failure.maybe_done` says so and the
  // caller finds out what became of it before sending it again.
  bool request(const std::string& method, const std::string& url, const std::vector<std::string>& headers,
               const std::string& body, HttpResponse& out, HttpFailure& failure, bool idempotent = false);

  // [any thread] aborts a transfer in progress; later requests fail as cancelled.
  void cancel() noexcept { cancelled_.store(true); }

 private:
  struct Curl;
  std::unique_ptr<Curl> curl_;
  HttpOptions opts_;
  std::atomic<bool> cancelled_{false};
};

// Percent-encodes a query component (RFC 3986 unreserved kept).
std::string url_encode(const std::string& s);

}  // namespace accord::net
