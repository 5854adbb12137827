// SPDX-License-Identifier: Apache-2.0
// Google's requests and errors as Accord statuses (google_client.hpp).
#include "google_client.hpp"

#include <accord/json/exact.hpp>
#include <accord/net/redact.hpp>
#include <accord/text/ascii.hpp>
#include <accord/time/rest_time.hpp>

#include <boost/json.hpp>

#include <accord/text/content_hash.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace json = boost::json;

namespace gapi {

bool GoogleError::has_reason(std::string_view r) const {
  return std::find(reasons.begin(), reasons.end(), r) != reasons.end();
}

GoogleError read_error(long http_status, const json::value& body) {
  GoogleError e;
  e.code = http_status;
  const json::object* o = body.is_object() ? body.get_object().if_contains("error") ? body.at("error").if_object() : nullptr
                                           : nullptr;
  if (!o) {
    // the token endpoint's RFC 6749 form: {"error":"invalid_grant","error_description"}
    if (body.is_object())
      if (auto* s = body.get_object().if_contains("error"); s && s->is_string()) e.reasons.emplace_back(s->get_string());
    return e;
  }
  if (auto* m = o->if_contains("message"); m && m->is_string()) e.message = std::string(m->get_string());
  if (auto* s = o->if_contains("status"); s && s->is_string()) e.status = std::string(s->get_string());
  // People (and every newer API): details[] with an ErrorInfo's reason
  if (auto* d = o->if_contains("details"); d && d->is_array())
    for (const auto& x : d->get_array())
      if (auto* xo = x.if_object())
        if (auto* r = xo->if_contains("reason"); r && r->is_string()) e.reasons.emplace_back(r->get_string());
  // Calendar (and the older envelope): errors[] with a domain and a reason
  if (auto* d = o->if_contains("errors"); d && d->is_array())
    for (const auto& x : d->get_array())
      if (auto* xo = x.if_object())
        if (auto* r = xo->if_contains("reason"); r && r->is_string()) e.reasons.emplace_back(r->get_string());
  return e;
}

std::string describe(const std::string& method, const std::string& url) {
  std::string path = url;
  if (auto scheme = path.find("://"); scheme != std::string::npos)
    if (auto slash = path.find('/', scheme + 3); slash != std::string::npos) path = path.substr(slash);
  if (auto q = path.find('?'); q != std::string::npos) path.resize(q);
  return method + " " + path;
}

accord::Error failure(int32_t status, const std::string& method, const std::string& url, const Answer& a,
                      const std::string& hint) {
  std::string what = describe(method, url) + " answered HTTP " + std::to_string(a.status);
  if (!a.error.message.empty()) what += ": " + a.error.message;
  if (!a.error.reasons.empty()) what += " (" + a.error.reasons.front() + ")";
  if (!hint.empty()) what += "; " + hint;
  return accord::Error(status, accord::net::redact(what));
}

GoogleClient::GoogleClient(ClientOptions opts, const accord::Host& host)
    : opts_(std::move(opts)), host_(host), http_(opts_.http), oauth_(opts_.oauth), token_(opts_.access_token) {
  if (!token_.empty()) accord::net::add_secret(token_);
}

namespace {

// The ledger's lines: "<ms> <units>", the last minute's.
std::deque<std::pair<int64_t, int>> parse_ledger(const std::string& text) {
  std::deque<std::pair<int64_t, int>> out;
  std::istringstream in(text);
  int64_t t;
  int u;
  while (in >> t >> u) out.emplace_back(t, u);
  return out;
}

// The ledger file open and locked (flock, exclusive) while it lives; a
// ledger that cannot be opened leaves the budget per run (logged once).
class LockedFile {
 public:
  explicit LockedFile(const std::string& path) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ >= 0 && ::flock(fd_, LOCK_EX) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~LockedFile() {
    if (fd_ >= 0) ::close(fd_);  // the lock goes with it
  }
  LockedFile(const LockedFile&) = delete;
  LockedFile& operator=(const LockedFile&) = delete;
  bool ok() const { return fd_ >= 0; }
  std::string read() const {
    std::string text;
    char buf[4096];
    ::lseek(fd_, 0, SEEK_SET);
    for (ssize_t n; (n = ::read(fd_, buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
    return text;
  }
  void write(const std::string& text) const {
    ::lseek(fd_, 0, SEEK_SET);
    size_t done = 0;
    while (done < text.size()) {
      ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    if (::ftruncate(fd_, static_cast<off_t>(done)) != 0) return;  // a short ledger only forgets spending
  }

 private:
  int fd_ = -1;
};

}  // namespace

std::string budget_ledger_path(const std::string& key) {
  std::filesystem::path base;
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x) base = x;
  else if (const char* h = std::getenv("HOME"); h && *h) base = std::filesystem::path(h) / ".local/state";
  else return "";
  return (base / "accord" / "google-api" / ("gmail-units-" + accord::hash::hex(accord::hash::fnv1a(key)))).string();
}

void GoogleClient::spend(const std::string& method, const std::string& url) {
  if (!cost_ || budget_ <= 0) return;
  int units = cost_(method, url);
  if (units <= 0) return;
  int64_t now = accord::utc::now_ms();
  std::unique_ptr<LockedFile> file;  // not std::optional: g++ 12 warns it maybe-uninitialized
  if (!ledger_.empty()) {
    file = std::make_unique<LockedFile>(ledger_);
    if (file->ok()) {
      spent_ = parse_ledger(file->read());
    } else {
      host_.log(ACCORD_LOG_WARN, "google-api: the Gmail budget's ledger " + ledger_ +
                                     " cannot be opened: the budget counts this run's requests only");
      ledger_.clear();
      file.reset();
    }
  }
  while (!spent_.empty() && spent_.front().first <= now - 60000) spent_.pop_front();
  int64_t used = 0;
  for (const auto& [t, u] : spent_) used += u;
  if (used + units > budget_) {
    // the wait until the oldest spending leaves the minute (enough, or the next look waits again)
    int64_t wait = spent_.empty() ? 1000 : spent_.front().first + 60000 - now;
    throw accord::Error(ACCORD_RETRY,
                        describe(method, url) + ": the budget of " + std::to_string(budget_) +
                            " Gmail quota units a minute is spent (Gmail allows 15,000 per user): try again shortly",
                        std::max<int64_t>(wait, 1000));
  }
  // each second's units on one line: the ledger holds ≤ 60 lines
  if (!spent_.empty() && spent_.back().first / 1000 == now / 1000) spent_.back().second += units;
  else spent_.emplace_back(now, units);
  if (file) {
    std::string text;
    for (const auto& [t, u] : spent_) text += std::to_string(t) + " " + std::to_string(u) + "\n";
    file->write(text);
  }
}

void GoogleClient::renew() {
  token_ = opts_.service_account ? jwt_bearer_token(http_, host_, *opts_.service_account) : oauth_.renew(http_, host_);
}

namespace {

bool rate_limited(const Answer& a) {
  if (a.status == 429) return true;
  if (a.status != 403) return false;
  // Calendar, Gmail, Drive: 403 with usageLimits reasons; People: RESOURCE_EXHAUSTED
  return a.error.has_reason("rateLimitExceeded") || a.error.has_reason("userRateLimitExceeded") ||
         a.error.has_reason("RATE_LIMIT_EXCEEDED") || a.error.status == "RESOURCE_EXHAUSTED";
}

}  // namespace

Answer GoogleClient::call(const std::string& method, const std::string& url, const std::string& body,
                          const std::vector<std::string>& extra, bool idempotent) {
  idempotent = idempotent || method == "GET";
  bool renewed = false, retried = false;
  for (;;) {
    if (cancelled_.load() || host_.is_cancelled()) throw accord::Error(ACCORD_CANCELLED, "cancelled");
    spend(method, url);
    if (token_.empty()) {
      renew();
      renewed = true;
    }
    std::vector<std::string> headers{"Accept: application/json", "Authorization: Bearer " + token_};
    bool typed = std::any_of(extra.begin(), extra.end(), [](const std::string& h) {
      return h.size() > 13 && accord::ascii_iequals(std::string_view(h).substr(0, 13), "content-type:");
    });
    if (!body.empty() && !typed) headers.emplace_back("Content-Type: application/json");
    headers.insert(headers.end(), extra.begin(), extra.end());
    accord::net::HttpResponse resp;
    accord::net::HttpFailure f;
    ++requests_;
    if (!http_.request(method, url, headers, body, resp, f, idempotent)) {
      if (accord::net::send_again_after(f, idempotent, retried,
                                        describe(method, url) + ": " + accord::net::redact(f.message), "Google",
                                        "the service's URL and, for a private CA, ca_file"))
        continue;
    }
    Answer a;
    a.status = resp.status;
    std::string type = resp.header("content-type");
    if (!resp.body.empty() && !type.empty() && type.find("json") == std::string::npos) {
      a.text = std::move(resp.body);  // a file's content (Drive's alt=media)
    } else if (!resp.body.empty()) {
      boost::system::error_code ec;
      a.body = accord::json_exact::parse(resp.body, ec);
      if (ec) {
        a.body = nullptr;
        a.text = std::move(resp.body);
      }
    }
    if (a.ok()) {
      limited_in_a_row_ = 0;
      return a;
    }
    a.error = read_error(a.status, a.body);
    if (a.status == 401) {
      if (!renewed) {  // the access token expired: a new one, once
        renewed = true;
        renew();
        continue;
      }
      throw failure(ACCORD_AUTH_REQUIRED, method, url, a,
                    "Google refused a freshly renewed token: sign in again (accord login google)");
    }
    if (rate_limited(a) || a.status == 500 || a.status == 502 || a.status == 503 || a.status == 504) {
      // back-off: what the server says, else 1 s doubling to 64 s per limited answer in a row
      int64_t wait = std::min<int64_t>(int64_t{1000} << std::min(limited_in_a_row_, 6), 64000);
      ++limited_in_a_row_;
      std::string ra = resp.header("retry-after");
      if (!ra.empty() && ra.find_first_not_of("0123456789") == std::string::npos && ra.size() < 9) {
        wait = std::stoll(ra) * 1000;
      } else if (!ra.empty()) {
        if (auto t = accord::utc::parse_http_date_ms(ra)) wait = std::max<int64_t>(0, *t - accord::utc::now_ms());
      }
      accord::Error e = failure(ACCORD_RETRY, method, url, a,
                                rate_limited(a) ? "Google's rate limit: try again later" : "Google is unavailable: try again later");
      throw accord::Error(ACCORD_RETRY, e.what(), wait);
    }
    return a;
  }
}

void unusable(const std::string& method, const std::string& url, const Answer& a, const std::string& hint) {
  throw failure(a.status >= 500 ? ACCORD_RETRY : ACCORD_ERROR, method, url, a, hint);
}

std::optional<json::object> get_one(GoogleClient& client, const std::string& url) {
  Answer a = client.call("GET", url);
  if (a.status == 404 || a.status == 410) return std::nullopt;
  if (!a.ok() || !a.body.is_object()) unusable("GET", url, a);
  return a.body.get_object();
}

}  // namespace gapi
