// A small HTTP client over libcurl's easy interface, for the connectors that
// speak HTTP (crm-rest; gmail-imap's OAuth2 refresh): one handle per connector
// instance (connections, TLS sessions and HTTP/2 streams are reused), gzip,
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
};

// A transport failure (no HTTP answer at all): connection refused or reset,
// timeout, TLS failure. `transient` says whether trying again may help.
struct HttpFailure {
  std::string message;
  bool transient = true;
  bool cancelled = false;
};

class HttpClient {
 public:
  explicit HttpClient(HttpOptions opts);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request. Returns false and fills `failure` when no HTTP answer
  // came; any HTTP status (even 500) is an answer.
  bool request(const std::string& method, const std::string& url, const std::vector<std::string>& headers,
               const std::string& body, HttpResponse& out, HttpFailure& failure);

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
