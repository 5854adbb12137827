// SPDX-License-Identifier: Apache-2.0
#include <accord/net/http_client.hpp>

#include <accord/net/redact.hpp>
#include <accord/net/url_rules.hpp>
#include <accord/text/ascii.hpp>
#include <accord/time/rest_time.hpp>

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>

namespace accord::net {

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

// The credential part of a header that carries one (Authorization's token,
// an API key), so that redact() knows it; "" for any other header.
std::string credential_of(const std::string& header) {
  size_t colon = header.find(':');
  if (colon == std::string::npos) return "";
  std::string name = header.substr(0, colon);
  name = ascii_lower(std::move(name));
  std::string value = header.substr(colon + 1);
  while (!value.empty() && value.front() == ' ') value.erase(0, 1);
  bool secret = false;
  for (const char* w : {"auth", "key", "token", "secret", "session", "cookie", "password"})
    if (name.find(w) != std::string::npos) secret = true;
  if (!secret) return "";
  if (size_t sp = value.find(' '); name.ends_with("authorization") && sp != std::string::npos) value = value.substr(sp + 1);
  return value;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<HttpResponse*>(user);
  std::string line(data, size * n);
  if (line.starts_with("HTTP/")) {
    r->headers.clear();  // a new response (after 100-continue or a redirect)
    return size * n;
  }
  auto colon = line.find(':');
  if (colon == std::string::npos) return size * n;
  std::string name = line.substr(0, colon);
  name = ascii_lower(std::move(name));
  size_t b = colon + 1, e = line.size();
  while (b < e && (line[b] == ' ' || line[b] == '\t')) ++b;
  while (e > b && (line[e - 1] == '\r' || line[e - 1] == '\n' || line[e - 1] == ' ')) --e;
  r->headers.emplace(name, line.substr(b, e - b));
  return size * n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<std::atomic<bool>*>(user)->load() ? 1 : 0;  // non-zero aborts
}

}  // namespace

struct HttpClient::Curl {
  CURL* h = nullptr;
  ~Curl() {
    if (h) curl_easy_cleanup(h);
  }
};

std::string HttpResponse::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

int64_t HttpResponse::retry_after_ms(int64_t fallback) const {
  std::string ra = header("retry-after");
  if (ra.empty()) return fallback;
  if (ra.find_first_not_of("0123456789") == std::string::npos)
    return ra.size() < 9 ? std::stoll(ra) * 1000 : fallback;
  if (auto t = accord::utc::parse_http_date_ms(ra)) return std::max<int64_t>(0, *t - accord::utc::now_ms());
  return fallback;
}

HttpClient::HttpClient(HttpOptions opts) : curl_(std::make_unique<Curl>()), opts_(std::move(opts)) {}

HttpClient::~HttpClient() = default;

bool HttpClient::request(const std::string& method, const std::string& url, const std::vector<std::string>& headers,
                         const std::string& body, HttpResponse& out, HttpFailure& failure, bool idempotent) {
  if (cancelled_.load()) {
    failure = {"cancelled", false, true};
    return false;
  }
  if (!curl_->h) {  // made on first use: create() stays cheap and offline
    global_init();
    curl_->h = curl_easy_init();
    if (!curl_->h) {
      failure = {"libcurl could not make a handle", false, false};
      return false;
    }
  }
  // The URL is parsed once, by the parser libcurl connects with, and checked
  // before any name is looked up (url_rules.hpp); a header with a line
  // break in it is never sent.
  if (std::string why = credential_url_problem(url); !why.empty()) {
    failure = {"not sending the request: the URL " + why, false, false, false};
    return false;
  }
  for (const auto& hdr : headers) {
    if (!header_value_ok(hdr)) {
      failure = {"not sending the request: the header " + redact(hdr.substr(0, hdr.find(':'))) +
                     " holds a line break (CR or LF), which would add headers of its own; remove it from the "
                     "value (a secret copied with its newline?)",
                 false, false, false};
      return false;
    }
    if (std::string c = credential_of(hdr); !c.empty()) add_secret(c);
  }
  std::unique_ptr<CURLU, UrlDeleter> parsed(curl_url());
  if (!parsed || curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    failure = {"not sending the request: not a valid URL", false, false, false};
    return false;
  }
  CURL* h = curl_->h;
  curl_easy_reset(h);  // keeps the connection cache, TLS sessions and cookies-free state
  out = HttpResponse{};
  curl_easy_setopt(h, CURLOPT_CURLU, parsed.get());
  // localhost is this machine: resolved here, never by a resolver that could
  // be told otherwise
  struct curl_slist* resolve = nullptr;
  if (std::string pin = localhost_resolve(url_host(url)); !pin.empty()) resolve = curl_slist_append(nullptr, pin.c_str());
  curl_easy_setopt(h, CURLOPT_RESOLVE, resolve);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!opts_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, opts_.ca_file.c_str());
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // every encoding libcurl decodes (gzip, deflate…)
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  // never sent twice by libcurl itself (see the header): a new connection is
  // one libcurl does not retry on
  bool replayable = idempotent || method == "GET" || method == "HEAD";
  curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, replayable ? 0L : 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, opts_.connect_timeout_s);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, opts_.total_timeout_s);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, opts_.stall_timeout_s);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);  // a redirect could carry our token elsewhere
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &out.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &out);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &on_progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &cancelled_);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "accord-crm-rest/0.1");

  struct curl_slist* list = nullptr;
  for (const auto& hdr : headers) list = curl_slist_append(list, hdr.c_str());
  list = curl_slist_append(list, "Expect:");  // no 100-continue round trip
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
  if (method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
  }
  CURLcode rc = curl_easy_perform(h);
  curl_slist_free_all(list);
  curl_easy_setopt(h, CURLOPT_RESOLVE, nullptr);
  curl_slist_free_all(resolve);
  curl_easy_setopt(h, CURLOPT_CURLU, nullptr);
  if (rc != CURLE_OK) {
    bool tls = rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR ||
               rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_CACERT_BADFILE;
    // Only a failure before the request could leave says it was not done;
    // anything later (closed, reset, timed out, cancelled) may follow a commit.
    bool not_sent = tls || rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY ||
                    rc == CURLE_COULDNT_CONNECT || rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT ||
                    rc == CURLE_FAILED_INIT;
    if (rc == CURLE_ABORTED_BY_CALLBACK || cancelled_.load()) {
      failure = {"cancelled", false, true, !not_sent};
      return false;
    }
    std::string what = curl_easy_strerror(rc);
    if (rc == CURLE_OPERATION_TIMEDOUT) what = "timed out (no progress within the stall or total timeout)";
    failure = {what, !tls, false, !not_sent};
    return false;
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out.status);
  return true;
}

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace accord::net
