// SPDX-License-Identifier: Apache-2.0
#include "rest_client.hpp"

#include <accord/json/exact.hpp>
#include <accord/net/redact.hpp>

#include <accord/time/rest_time.hpp>

#include <accord/mapping/field_path.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <random>
#include <chrono>
#include <thread>
#include <cctype>
#include <map>
#include <mutex>

namespace json = boost::json;

namespace crm {

namespace {

bool ident_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
}

std::string as_text(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_null()) return "";
  return json::serialize(v);
}

std::string origin_of(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  size_t end = url.find('/', scheme + 3);
  return url.substr(0, end);
}

}  // namespace

std::string fill_text(const std::string& tmpl, const Vars& vars, bool* missing, bool encode) {
  std::string out;
  for (size_t i = 0; i < tmpl.size();) {
    if (tmpl[i] == '{' && i + 1 < tmpl.size() && ident_char(tmpl[i + 1], true)) {
      size_t j = i + 1;
      while (j < tmpl.size() && ident_char(tmpl[j], false)) ++j;
      if (j < tmpl.size() && tmpl[j] == '}') {
        std::string name = tmpl.substr(i + 1, j - i - 1);
        auto it = vars.find(name);
        if (it != vars.end()) {
          std::string v = as_text(it->second);
          out += encode ? url_encode(v) : v;
        } else {
          if (missing) *missing = true;
          out += tmpl.substr(i, j - i + 1);
        }
        i = j + 1;
        continue;
      }
    }
    out += tmpl[i++];
  }
  return out;
}

json::value fill(const json::value& tmpl, const Vars& vars, bool* missing) {
  if (tmpl.is_string()) {
    const std::string s(tmpl.get_string());
    if (s.size() > 2 && s.front() == '{' && s.back() == '}' && s.find('{', 1) == std::string::npos) {
      auto it = vars.find(s.substr(1, s.size() - 2));
      if (it != vars.end()) return it->second;
    }
    return json::value(fill_text(s, vars, missing, false));
  }
  if (tmpl.is_array()) {
    json::array a;
    for (const auto& e : tmpl.get_array()) a.push_back(fill(e, vars, missing));
    return a;
  }
  if (tmpl.is_object()) {
    json::object o;
    for (const auto& [k, v] : tmpl.get_object()) {
      o[k] = fill(v, vars, missing);
    }
    return o;
  }
  return tmpl;
}

std::string error_text(const json::value& body, const std::string& raw) {
  auto str_at = [&](const char* ptr) -> std::string {
    boost::system::error_code ec;
    const json::value* v = body.find_pointer(ptr, ec);
    return v && v->is_string() ? std::string(v->get_string()) : "";
  };
  for (const char* p : {"/0/message", "/message", "/error_description", "/error/message", "/error", "/errors/0/message"})
    if (auto s = str_at(p); !s.empty()) {
      std::string code = str_at("/0/errorCode");
      if (code.empty()) code = str_at("/category");
      return accord::net::redact(code.empty() ? s : code + ": " + s);
    }
  // a server may echo what it was sent (the token): redact.hpp
  std::string t = accord::net::redact(raw).substr(0, 200);
  std::replace(t.begin(), t.end(), '\n', ' ');
  return t;
}

namespace {

// Whether header line h ("Name: value") is named `name` (case-insensitive).
bool header_named(const std::string& h, const std::string& name) {
  if (h.size() <= name.size() || h[name.size()] != ':') return false;
  for (size_t i = 0; i < name.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(h[i])) != std::tolower(static_cast<unsigned char>(name[i]))) return false;
  return true;
}


// Waits for this endpoint's own limit, shared by every instance in this
// process (a vendor counts per account, not per connection): calls to one
// endpoint at least 1/per_s apart.
void wait_for_endpoint(const std::string& key, double per_s, const RestClient& client) {
  static std::mutex mu;
  static std::map<std::string, int64_t> next_at;
  int64_t at;
  {
    std::lock_guard<std::mutex> lock(mu);
    int64_t& n = next_at[key];
    at = std::max(now_ms(), n);
    n = at + static_cast<int64_t>(1000.0 / per_s) + 1;
  }
  while (now_ms() < at) {
    if (client.cancelled()) throw accord::Error(ACCORD_CANCELLED, "cancelled");
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(50, at - now_ms())));
  }
}

}  // namespace

std::optional<int64_t> usage_left(const std::string& header, const std::string& field) {
  // "api-usage=18/15000; per-app-api-usage=17/250(appName=x)"
  size_t at = 0;
  while (at < header.size()) {
    size_t end = header.find(';', at);
    std::string part = header.substr(at, end == std::string::npos ? std::string::npos : end - at);
    at = end == std::string::npos ? header.size() : end + 1;
    size_t b = part.find_first_not_of(' ');
    if (b == std::string::npos || part.compare(b, field.size() + 1, field + "=") != 0) continue;
    std::string v = part.substr(b + field.size() + 1);
    size_t slash = v.find('/');
    if (slash == 0 || slash == std::string::npos) return std::nullopt;
    size_t lim_end = v.find_first_not_of("0123456789", slash + 1);
    std::string used = v.substr(0, slash), limit = v.substr(slash + 1, lim_end == std::string::npos ? std::string::npos : lim_end - slash - 1);
    if (limit.empty() || used.find_first_not_of("0123456789") != std::string::npos || used.size() > 18 || limit.size() > 18)
      return std::nullopt;
    return std::max<int64_t>(0, std::stoll(limit) - std::stoll(used));
  }
  return std::nullopt;
}

std::vector<std::string> shape_record(const Request& req, json::value& data) {
  std::vector<std::string> dropped;
  if (!data.is_object() || (req.send_fields.empty() && req.defaults.empty())) return dropped;
  json::object& rec = data.get_object();
  if (!req.send_fields.empty()) {
    json::object kept;
    for (const auto& [k, v] : rec) {
      if (std::find(req.send_fields.begin(), req.send_fields.end(), "/" + std::string(k)) != req.send_fields.end()) kept[k] = v;
      else if (!v.is_null()) dropped.emplace_back(k);
    }
    rec = std::move(kept);
  }
  for (const auto& [ptr, v] : req.defaults)
    if (!rec.contains(ptr.substr(1))) rec[ptr.substr(1)] = v;
  return dropped;
}

RestClient::RestClient(const Spec& spec, const accord::Host& host)
    : spec_(spec),
      host_(host),
      http_(HttpOptions{spec.connect_timeout_s, spec.stall_timeout_s, spec.total_timeout_s, spec.ca_file}),
      access_token_(spec.token),
      tokens_(spec.rate_burst),
      last_refill_ms_(now_ms()) {}

std::string RestClient::resolve(const std::string& p) const {
  if (p.starts_with("http://") || p.starts_with("https://")) {
    if (origin_of(p) != origin_of(spec_.base_url))
      throw accord::Error(ACCORD_ERROR, "the server pointed to " + origin_of(p) + ", another origin than base_url " +
                                            origin_of(spec_.base_url) + "; not following it with our credentials");
    return p;
  }
  // A path from the server ("/services/data/…") is relative to the origin
  // when base_url already holds it; a configured path is relative to base_url.
  std::string path = p.starts_with("/") ? p : "/" + p;
  std::string base_path = spec_.base_url.substr(origin_of(spec_.base_url).size());
  if (!base_path.empty() && path.starts_with(base_path + "/")) return origin_of(spec_.base_url) + path;
  return spec_.base_url + path;
}

void RestClient::wait_for_rate_limit() {
  auto sleep_until = [&](int64_t t) {
    while (now_ms() < t) {
      if (cancelled()) throw accord::Error(ACCORD_CANCELLED, "cancelled");
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(50, t - now_ms())));
    }
  };
  if (pause_until_ms_ > now_ms()) sleep_until(pause_until_ms_);
  if (spec_.rate_per_s <= 0) return;
  for (;;) {
    int64_t now = now_ms();
    tokens_ = std::min(spec_.rate_burst, tokens_ + (now - last_refill_ms_) * spec_.rate_per_s / 1000.0);
    last_refill_ms_ = now;
    if (tokens_ >= 1) {
      tokens_ -= 1;
      return;
    }
    sleep_until(now + static_cast<int64_t>((1 - tokens_) * 1000 / spec_.rate_per_s) + 1);
  }
}

void RestClient::note_rate_headers(const HttpResponse& r) {
  // Vendors say how many calls are left in the current window; when none
  // are, wait the window out rather than earn a 429.
  if (!spec_.rate_headers.daily_remaining.empty())
    if (std::string d = r.header(spec_.rate_headers.daily_remaining); !d.empty() && d.find_first_not_of("0123456789") == std::string::npos)
      daily_remaining_ = std::stoll(d);
  if (!spec_.rate_headers.daily_usage.empty())
    if (auto left = usage_left(r.header(spec_.rate_headers.daily_usage), spec_.rate_headers.daily_usage_field)) daily_remaining_ = *left;
  auto count = [&](const std::string& name) -> int64_t {
    std::string v = name.empty() ? "" : r.header(name);
    return !v.empty() && v.size() < 12 && v.find_first_not_of("0123456789") == std::string::npos ? std::stoll(v) : 0;
  };
  if (int64_t m = count(spec_.rate_headers.max), iv = count(spec_.rate_headers.interval_ms); m > 0 && iv > 0) {
    window_requests_ = m;
    window_ms_ = iv;
  }
  if (spec_.rate_headers.remaining.empty()) return;
  std::string rem = r.header(spec_.rate_headers.remaining);
  if (rem.empty()) return;
  try {
    if (std::stoll(rem) > 0) return;
    int64_t interval = 1000;
    if (std::string iv = r.header(spec_.rate_headers.interval_ms); !iv.empty()) interval = std::stoll(iv);
    pause_until_ms_ = now_ms() + std::min<int64_t>(interval, 60000);
  } catch (const std::exception&) {
  }
}

void RestClient::authorise(std::vector<std::string>& headers) {
  if (spec_.auth_type == "bearer" || spec_.auth_type == "oauth2") {
    if (spec_.auth_type == "oauth2" && access_token_.empty()) refresh_token();
    if (exchanged_.empty() && exchange_wanted()) exchange_token();
    headers.push_back("Authorization: Bearer " + (exchanged_.empty() ? access_token_ : exchanged_));
  } else if (spec_.auth_type == "api_key") {
    headers.push_back(spec_.api_key_header + ": " + spec_.api_key);
  }
}

bool RestClient::exchange_wanted() const {
  if (!spec_.token_exchange.present) return false;
  Vars all{{"origin", json::value(origin_of(spec_.base_url))}};
  for (const auto& [k, v] : spec_.variables) all.emplace(k, json::value(v));
  for (const auto& [name, t] : spec_.exchange_form) {
    bool missing = false;
    fill_text(t, all, &missing, false);
    if (missing) return false;
  }
  return true;
}

// The configured token (an agency's) exchanged for the one requests use (a
// location's): a form POST, its answer's token kept for the run.
void RestClient::exchange_token() {
  const Request& r = spec_.token_exchange;
  Vars all{{"origin", json::value(origin_of(spec_.base_url))}};
  for (const auto& [k, v] : spec_.variables) all.emplace(k, json::value(v));
  std::string body;
  for (const auto& [name, t] : spec_.exchange_form)
    body += (body.empty() ? "" : "&") + url_encode(name) + "=" + url_encode(fill_text(t, all, nullptr, false));
  std::vector<std::string> headers{"Accept: application/json", "Content-Type: application/x-www-form-urlencoded",
                                   "Authorization: Bearer " + access_token_};
  for (const auto& [name, v] : r.headers) headers.push_back(name + ": " + fill_text(v, all, nullptr, false));
  wait_for_rate_limit();
  HttpResponse resp;
  HttpFailure f;
  std::string what = r.method + " " + r.path;
  if (!http_.request(r.method, resolve(fill_text(r.path, all, nullptr, true)), headers, body, resp, f, true)) {
    if (f.cancelled) throw accord::Error(ACCORD_CANCELLED, "cancelled");
    throw accord::Error(f.transient ? ACCORD_RETRY : ACCORD_ERROR, what + ": " + f.message, f.transient ? 5000 : 0);
  }
  boost::system::error_code ec;
  json::value v = accord::json_exact::parse(resp.body, ec);
  if (ec) v = nullptr;
  if (resp.status == 401 || resp.status == 403)
    throw accord::Error(ACCORD_AUTH_REQUIRED, what + " refused the token when exchanging it (HTTP " + std::to_string(resp.status) +
                                                  ": " + error_text(v, resp.body) +
                                                  "): check that it is an agency token and that the app is installed on the location");
  if (resp.status / 100 != 2)
    throw accord::Error(resp.status >= 500 ? ACCORD_RETRY : ACCORD_ERROR,
                        what + " answered HTTP " + std::to_string(resp.status) + ": " + error_text(v, resp.body), 5000);
  boost::system::error_code pec;
  const json::value* t = v.is_null() ? nullptr : v.find_pointer(spec_.exchange_token, pec);
  if (!t || !t->is_string() || t->get_string().empty())
    throw accord::Error(ACCORD_ERROR, what + ": the answer holds no token at " + spec_.exchange_token);
  exchanged_ = std::string(t->get_string());
  host_.log(ACCORD_LOG_INFO, ("crm-rest: exchanged the token for one of this account (" + what + ")").c_str());
}

void RestClient::refresh_token() {
  if (!oauth_) {
    Vars origin{{"origin", json::value(origin_of(spec_.base_url))}};
    oauth_.emplace(accord::net::OAuth2Config{resolve(fill_text(spec_.token_url, origin, nullptr, false)), spec_.client_id,
                                             spec_.client_secret, spec_.refresh_token, spec_.refresh_token_secret,
                                             "crm-rest", "the CRM"});
  }
  wait_for_rate_limit();
  access_token_ = oauth_->renew(http_, host_);
}

Answer RestClient::call(const Request& req, const Vars& vars, const std::vector<long>& accept,
                        const std::vector<std::string>& extra_headers, const std::string& url_override) {
  Vars all = vars;
  for (const auto& [k, v] : spec_.variables) all.emplace(k, json::value(v));
  all.emplace("origin", json::value(origin_of(spec_.base_url)));
  if (auto it = all.find("data"); it != all.end())
    for (const auto& f : shape_record(req, it->second))  // a value the endpoint does not take is not sent: say so
      if (warned_.insert(req.method + " " + req.path + " " + f).second)
        host_.log(ACCORD_LOG_WARN, ("crm-rest: " + req.method + " " + req.path + " does not take " + f +
                                    " (the vendor's schema has no such field there): its value is not sent").c_str());
  std::string url = url_override;
  if (url.empty()) {
    url = resolve(fill_text(req.path, all, nullptr, true));
    std::string q;
    for (const auto& [k, v] : req.query) {
      bool missing = false;
      std::string val = fill_text(v, all, &missing, false);
      if (missing) continue;  // a parameter whose value is not known this time (no {since} yet)
      q += (q.empty() ? "" : "&") + url_encode(k) + "=" + url_encode(val);
    }
    if (!q.empty()) url += (url.find('?') == std::string::npos ? "?" : "&") + q;
  }
  // A write sends its body template filled, or else the record ({data}).
  std::string body;
  json::value body_v;
  if (req.body) body_v = fill(*req.body, all);
  else if (auto it = all.find("data"); it != all.end() && req.method != "GET" && req.method != "DELETE")
    body_v = it->second;
  if (!req.set.empty() && body_v.is_null()) body_v = json::object{};
  for (const auto& [ptr, t] : req.set)
    if (auto p = accord::FieldPath::parse(ptr)) p->set(body_v, fill(t, all));
  std::string content_type = "application/json";
  if (form_) {
    // RFC 7578: a boundary no part holds; names quoted, '"' CR LF escaped as
    // browsers do (WHATWG's multipart/form-data encoding)
    std::random_device rd;
    std::string boundary = "accord-form-" + std::to_string(rd()) + std::to_string(rd());
    auto quoted = [](std::string v) {
      std::string out;
      for (char c : v) out += c == '"' ? std::string("%22") : c == '\r' ? std::string("%0D") : c == '\n' ? std::string("%0A") : std::string(1, c);
      return "\"" + out + "\"";
    };
    if (const json::object* o = body_v.if_object())
      for (const auto& [k, v] : *o)
        body += "--" + boundary + "\r\nContent-Disposition: form-data; name=" + quoted(std::string(k)) + "\r\n\r\n" +
                (v.is_string() ? std::string(v.get_string()) : json::serialize(v)) + "\r\n";
    for (const auto& f : *form_)
      body += "--" + boundary + "\r\nContent-Disposition: form-data; name=" + quoted(req.file_field) +
              "; filename=" + quoted(f.name) + "\r\nContent-Type: " +
              (f.type.empty() || f.type.find_first_of("\r\n") != std::string::npos ? "application/octet-stream" : f.type) +
              "\r\n\r\n" + f.bytes + "\r\n";
    body += "--" + boundary + "--\r\n";
    content_type = "multipart/form-data; boundary=" + boundary;
  } else if (!body_v.is_null()) {
    body = json::serialize(body_v);
  }

  bool refreshed = false, retried = false;
  for (;;) {
    // the configured headers, less those this endpoint sets itself
    std::vector<std::string> headers;
    for (const auto& h : spec_.headers)
      if (std::none_of(req.headers.begin(), req.headers.end(), [&](const auto& rh) { return header_named(h, rh.first); }))
        headers.push_back(h);
    for (const auto& [name, v] : req.headers) headers.push_back(name + ": " + fill_text(v, all, nullptr, false));
    headers.push_back("Accept: application/json");
    if (!body.empty()) headers.push_back("Content-Type: " + content_type);
    for (const auto& h : extra_headers) headers.push_back(h);
    authorise(headers);
    if (req.rate_per_s > 0) wait_for_endpoint(origin_of(spec_.base_url) + " " + req.method + " " + req.path, req.rate_per_s, *this);
    wait_for_rate_limit();
    Answer a;
    HttpFailure f;
    bool idempotent = req.idempotent || req.method == "GET";
    ++requests_;
    if (!http_.request(req.method, url, headers, body, a.raw, f, idempotent)) {
      if (accord::net::send_again_after(f, idempotent, retried, req.method + " " + req.path + ": " + f.message,
                                        "the server", "base_url and, for a private CA, ca_file"))
        continue;
    }
    a.status = a.raw.status;
    note_rate_headers(a.raw);
    boost::system::error_code ec;
    if (!a.raw.body.empty()) {
      a.body = accord::json_exact::parse(a.raw.body, ec);
      if (ec) a.body = nullptr;
    }
    if (a.status == 401 && !exchanged_.empty() && !refreshed) {  // the exchanged token expired: once more
      refreshed = true;
      exchanged_.clear();
      if (spec_.auth_type == "oauth2") refresh_token();
      continue;
    }
    if (a.status == 401 && spec_.auth_type == "oauth2" && !refreshed) {
      refreshed = true;
      refresh_token();
      continue;
    }
    if (a.status / 100 == 2 || std::find(accept.begin(), accept.end(), a.status) != accept.end()) return a;
    throw_for(req, a);
  }
}

Answer RestClient::call_form(const Request& req, const Vars& vars, const std::vector<FormFile>& files,
                             const std::vector<long>& accept) {
  struct Reset {
    const std::vector<FormFile>*& f;
    ~Reset() { f = nullptr; }
  } reset{form_};
  form_ = &files;
  return call(req, vars, accept);
}

void RestClient::throw_for(const Request& req, const Answer& a) {
  std::string what = req.method + " " + req.path + " answered HTTP " + std::to_string(a.status) + ": " +
                     error_text(a.body, a.raw.body);
  auto retry_after_ms = [&](int64_t def) -> int64_t {
    std::string ra = a.raw.header("retry-after");
    if (ra.empty()) return def;
    if (ra.find_first_not_of("0123456789") == std::string::npos) return std::stoll(ra) * 1000;
    if (auto t = parse_http_date_ms(ra)) return std::max<int64_t>(0, *t - now_ms());
    return def;
  };
  if (a.status == 429 || a.status == 503)
    throw accord::Error(ACCORD_RETRY, what + " (rate limited or unavailable; try again later)", retry_after_ms(10000));
  if (a.status == 403 && a.raw.body.find("REQUEST_LIMIT_EXCEEDED") != std::string::npos)
    throw accord::Error(ACCORD_RETRY, what + " (the organisation's API request limit is used up)",
                        retry_after_ms(spec_.limit_exceeded_retry_s * 1000));
  if (a.status == 401)
    throw accord::Error(ACCORD_AUTH_REQUIRED,
                        what + " (the credentials were refused: check auth in the pipeline and the secrets file)");
  if (a.status == 403)
    throw accord::Error(ACCORD_AUTH_REQUIRED, what + " (the credentials lack a permission or scope this stream needs)");
  if (a.status == 409 || a.status == 412) throw accord::Error(ACCORD_CONFLICT, what);
  if (a.status >= 500) throw accord::Error(ACCORD_RETRY, what, retry_after_ms(5000));
  throw accord::Error(ACCORD_ERROR, what);
}

}  // namespace crm
