// SPDX-License-Identifier: Apache-2.0
// The REST layer of crm-rest: one configured API (a Spec), its auth, limits
// and errors, turned into Accord statuses. Knows nothing of streams' paging
// or records; crm_rest_connector.cpp builds on call().
//
// Thread safety: as HttpClient (one calling thread, cancel() from any).
#pragma once

#include "spec.hpp"

#include <accord/connector.hpp>
#include <accord/net/http_client.hpp>
#include <accord/net/no_answer.hpp>
#include <accord/net/oauth2.hpp>
#include <accord/time/rest_time.hpp>

#include <boost/json/value.hpp>

#include <atomic>
#include <map>
#include <optional>
#include <set>
#include <vector>
#include <string>

namespace crm {

// The REST times (libs/time) every part of this connector reads and writes.
using accord::utc::format_time;
using accord::utc::now_ms;
using accord::utc::parse_http_date_ms;
using accord::utc::parse_iso8601_ms;
using accord::utc::parse_time_ms;

using accord::net::HttpClient;
using accord::net::HttpFailure;
using accord::net::HttpOptions;
using accord::net::HttpResponse;
using accord::net::url_encode;

using Vars = std::map<std::string, boost::json::value>;

// Fills {name} placeholders from vars. A string that is exactly one
// placeholder takes the variable's JSON value (a number stays a number, an
// object stays an object).
// Placeholders without a variable are left as they are, and `missing` is set.
boost::json::value fill(const boost::json::value& tmpl, const Vars& vars, bool* missing = nullptr);
std::string fill_text(const std::string& tmpl, const Vars& vars, bool* missing, bool url_encode_values);

// A request that is not idempotent (a create) was sent and its answer lost:
// the server may have done it. RETRY for whoever does not look further; the
// connector finds what it made (by its idempotency key) before sending it
// again.
using LostAnswer = accord::net::LostAnswer;

struct Answer {
  long status = 0;
  boost::json::value body;  // null when the answer had no JSON body
  HttpResponse raw;
};

class RestClient {
 public:
  RestClient(const Spec& spec, const accord::Host& host);

  // Sends `req` (path, query, body filled from vars; `url` overrides when a
  // paging link gave one). Waits for the client-side rate limit first. 2xx
  // answers return; 401 refreshes an OAuth2 token once and retries; 429, 503
  // and limit errors throw accord::Error(RETRY, …, retry_after_ms); other
  // statuses return when listed in `accept`, else throw ERROR with the
  // server's message. An idempotent request (req.idempotent, or a GET) is
  // sent once more on a dropped connection; one that is not is sent once,
  // and throws LostAnswer when its answer was lost after it went out.
  Answer call(const Request& req, const Vars& vars, const std::vector<long>& accept = {},
              const std::vector<std::string>& extra_headers = {}, const std::string& url = "");
  // The same as multipart/form-data (RFC 7578): the body's top-level
  // fields (req.set filled) as text fields, then each file under
  // req.file_field.
  struct FormFile {
    std::string name, type, bytes;
  };
  Answer call_form(const Request& req, const Vars& vars, const std::vector<FormFile>& files,
                   const std::vector<long>& accept = {});

  // An absolute URL for a path or a link in an answer; refuses links to
  // another origin (our credentials must not follow them).
  std::string resolve(const std::string& path_or_url) const;

  // [any thread] ends the call in progress, a rate-limit wait included (the
  // waits look at it every 50 ms); later calls throw CANCELLED.
  void cancel() noexcept {
    cancelled_.store(true);
    http_.cancel();
  }
  // cancel() was called, or the host asks the run to stop.
  bool cancelled() const noexcept { return cancelled_.load() || host_.is_cancelled(); }

  // Requests sent by this client, and the calls the vendor last said are
  // left today (-1: it did not say).
  int64_t requests() const { return requests_; }
  int64_t daily_remaining() const { return daily_remaining_; }
  // The vendor's burst window as it last said: requests per ms (0: not said).
  int64_t window_requests() const { return window_requests_; }
  int64_t window_ms() const { return window_ms_; }

 private:
  void authorise(std::vector<std::string>& headers);
  void refresh_token();
  bool exchange_wanted() const;
  void exchange_token();
  void wait_for_rate_limit();
  void note_rate_headers(const HttpResponse& r);
  [[noreturn]] void throw_for(const Request& req, const Answer& a);

  const Spec& spec_;
  accord::Host host_;
  HttpClient http_;
  std::string access_token_;
  std::string exchanged_;
  std::set<std::string> warned_;  // fields an endpoint does not take, said once per run  // the token exchange's answer (HighLevel's location token)
  std::optional<accord::net::OAuth2Refresher> oauth_;  // made at the first renewal
  double tokens_;
  int64_t last_refill_ms_;
  int64_t pause_until_ms_ = 0;
  int64_t requests_ = 0;
  int64_t daily_remaining_ = -1;
  int64_t window_requests_ = 0, window_ms_ = 0;
  std::atomic<bool> cancelled_{false};
  const std::vector<FormFile>* form_ = nullptr;  // call_form's, for the call it makes
};

// What a usage header says is left: `field`=<used>/<limit> among the
// header's ";"-separated parts ("api-usage=18/15000" → 14982); nullopt when
// it does not say.
std::optional<int64_t> usage_left(const std::string& header, const std::string& field);

// A write's record as `req` takes it: only its send_fields (top-level
// pointers), and its defaults where the record has no value. Returns the
// fields left out that had a value.
std::vector<std::string> shape_record(const Request& req, boost::json::value& data);

// A one-line digest of an error body: the vendor's message where we know
// where it is, else the start of the text.
std::string error_text(const boost::json::value& body, const std::string& raw);

}  // namespace crm
