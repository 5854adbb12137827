// SPDX-License-Identifier: Apache-2.0
// Graph's requests and errors as Accord statuses (graph_client.hpp).
#include "graph_client.hpp"

#include <accord/json/exact.hpp>
#include <accord/json/lenient.hpp>
#include <accord/net/redact.hpp>

#include <boost/json.hpp>

#include <algorithm>

namespace json = boost::json;
using accord::json_read::obj;
using accord::json_read::str;

namespace outlook::graph {

std::string describe(const std::string& method, const std::string& url) {
  size_t start = 0;
  if (size_t scheme = url.find("://"); scheme != std::string::npos) start = url.find('/', scheme + 3);
  if (start == std::string::npos) return method + " /";
  size_t end = url.find('?', start);
  return method + " " + url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

accord::Error failure(int32_t status, const std::string& method, const std::string& url, const Answer& a,
                      const std::string& hint) {
  std::string what = describe(method, url) + " answered HTTP " + std::to_string(a.status);
  if (!a.code.empty()) what += " " + a.code;
  if (!a.message.empty()) what += ": " + a.message;
  if (!hint.empty()) what += "; " + hint;
  return accord::Error(status, accord::net::redact(what));
}

std::string odata_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

GraphClient::GraphClient(ClientOptions opts, const accord::Host& host)
    : opts_(std::move(opts)),
      host_(host),
      http_(opts_.http),
      oauth_(opts_.oauth),
      slots_("outlook", opts_.mailbox.empty() ? opts_.root : opts_.mailbox, kMailboxConcurrency,
             [h = host](const std::string& m) { h.log(ACCORD_LOG_WARN, "outlook-mapi: " + m); }),
      token_(opts_.access_token) {
  if (!token_.empty()) accord::net::add_secret(token_);
}

namespace {

bool retryable(long status) { return status == 429 || status == 500 || status == 502 || status == 503 || status == 504; }

}  // namespace

Answer GraphClient::call(const std::string& method, const std::string& target, const std::string& body,
                         const std::vector<std::string>& extra, bool idempotent, const std::string& prefer) {
  const std::string url = target.rfind("http", 0) == 0 ? target : opts_.root + target;
  idempotent = idempotent || method == "GET";
  bool renewed = false, retried = false;
  for (;;) {
    if (cancelled_.load() || host_.is_cancelled()) throw accord::Error(ACCORD_CANCELLED, "cancelled");
    if (token_.empty()) {
      token_ = renew();
      renewed = true;
    }
    // immutable ids on every request (concepts/outlook-immutable-id.md)
    std::vector<std::string> headers{"Accept: application/json", "Authorization: Bearer " + token_,
                                     "Prefer: IdType=\"ImmutableId\"" + (prefer.empty() ? "" : ", " + prefer)};
    if (!body.empty()) headers.emplace_back("Content-Type: application/json");
    headers.insert(headers.end(), extra.begin(), extra.end());
    accord::net::HttpResponse resp;
    accord::net::HttpFailure f;
    ++requests_;
    bool sent;
    {
      accord::kit::AccountSlots::Held slot;
      slots_.take(slot, [&] { return cancelled_.load() || host_.is_cancelled(); }, -1);
      if (cancelled_.load() || host_.is_cancelled()) throw accord::Error(ACCORD_CANCELLED, "cancelled");
      sent = http_.request(method, url, headers, body, resp, f, idempotent);
    }
    if (!sent) {
      if (accord::net::send_again_after(f, idempotent, retried,
                                        describe(method, url) + ": " + accord::net::redact(f.message), "Outlook",
                                        "graph_url and, for a private CA, ca_file"))
        continue;
    }
    Answer a;
    a.status = resp.status;
    a.location = resp.header("location");
    if (!resp.body.empty()) {
      boost::system::error_code ec;
      a.body = accord::json_exact::parse(resp.body, ec);
      if (ec) a.body = nullptr;
    }
    a.raw = std::move(resp.body);
    if (a.ok()) {
      limited_in_a_row_ = 0;
      return a;
    }
    if (a.body.is_object())
      if (const json::object* e = obj(a.body.get_object(), "error")) {
        a.code = str(*e, "code");
        a.message = str(*e, "message");
      }
    if (a.status == 401) {
      if (!renewed && oauth_.can_renew()) {  // the access token expired: a new one, once
        renewed = true;
        token_ = renew();
        continue;
      }
      throw failure(ACCORD_AUTH_REQUIRED, method, url, a,
                    oauth_.can_renew() ? "Microsoft refused a freshly renewed token: sign in again (accord login microsoft)"
                                       : "the access token was refused: give oauth2 with a refresh token");
    }
    if (retryable(a.status)) {
      // Graph's throttling guidance: wait as Retry-After says; without it,
      // 1 s doubling to 64 s per limited answer in a row
      int64_t backoff = std::min<int64_t>(int64_t{1000} << std::min(limited_in_a_row_, 6), 64000);
      ++limited_in_a_row_;
      accord::Error e = failure(ACCORD_RETRY, method, url, a,
                                a.status == 429 ? "Outlook's rate limit: try again later" : "Outlook is unavailable: try again later");
      throw accord::Error(ACCORD_RETRY, e.what(), resp.retry_after_ms(backoff));
    }
    return a;
  }
}

// Microsoft's identity platform refuses a refresh that asks for more than
// the refresh token was signed in for ("The scopes requested in this leg
// must be equivalent to or a subset of the scopes requested in the original
// authorization_code request leg", v2-oauth2-auth-code-flow.md; AADSTS65001
// consent_required). A token signed in for the connector's narrower default
// of before still renews, for those scopes; the log says how to grant the
// rest. A token refused for another reason is refused with the narrow scope
// too: the first refusal is what is said.
std::string GraphClient::renew() {
  try {
    return oauth_.renew(http_, host_);
  } catch (const accord::Error& e) {
    if (e.status() != ACCORD_AUTH_REQUIRED || narrowed_ || opts_.fallback_scope.empty()) throw;
    accord::net::OAuth2Config narrow = opts_.oauth;
    narrow.scope = opts_.fallback_scope;
    accord::net::OAuth2Refresher again(narrow);
    std::string token;
    try {
      token = again.renew(http_, host_);
    } catch (const accord::Error&) {
      throw e;
    }
    oauth_ = std::move(again);
    narrowed_ = true;
    host_.log(ACCORD_LOG_WARN,
              "Microsoft would not renew the sign-in for every scope outlook-mapi asks for by default (the refresh "
              "token was signed in for fewer): renewed for \"" + opts_.fallback_scope + "\" only, so messages and "
              "the master category list (Mail.ReadWrite, MailboxSettings.ReadWrite) are refused; sign in again with "
              "accord login microsoft to grant them");
    return token;
  }
}

Answer GraphClient::put_range(const std::string& upload_url, std::string_view bytes, uint64_t first, uint64_t total) {
  if (cancelled_.load() || host_.is_cancelled()) throw accord::Error(ACCORD_CANCELLED, "cancelled");
  std::vector<std::string> headers{"Content-Type: application/octet-stream",
                                   "Content-Range: bytes " + std::to_string(first) + "-" +
                                       std::to_string(first + bytes.size() - 1) + "/" + std::to_string(total)};
  accord::net::HttpResponse resp;
  accord::net::HttpFailure f;
  ++requests_;
  // a range sent again is answered by nextExpectedRanges: idempotent
  bool sent;
  {
    accord::kit::AccountSlots::Held slot;
    slots_.take(slot, [&] { return cancelled_.load() || host_.is_cancelled(); }, -1);
    if (cancelled_.load() || host_.is_cancelled()) throw accord::Error(ACCORD_CANCELLED, "cancelled");
    sent = http_.request("PUT", upload_url, headers, std::string(bytes), resp, f, true);
  }
  if (!sent)
    throw accord::Error(f.transient ? ACCORD_RETRY : ACCORD_ERROR,
                        describe("PUT", upload_url) + ": " + accord::net::redact(f.message));
  Answer a;
  a.status = resp.status;
  a.location = resp.header("location");
  boost::system::error_code ec;
  if (!resp.body.empty()) a.body = accord::json_exact::parse(resp.body, ec);
  if (ec) a.body = nullptr;
  if (!a.ok() && a.body.is_object())
    if (const json::object* e = obj(a.body.get_object(), "error")) {
      a.code = str(*e, "code");
      a.message = str(*e, "message");
    }
  if (retryable(a.status))
    throw accord::Error(ACCORD_RETRY, failure(ACCORD_RETRY, "PUT", upload_url, a).what(), resp.retry_after_ms(1000));
  return a;
}

}  // namespace outlook::graph
