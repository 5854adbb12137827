// SPDX-License-Identifier: Apache-2.0
#include "imap_session.hpp"

#include <accord/connector.h>
#include <curl/curl.h>

#include <accord/net/url_rules.hpp>

#include <poll.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>

namespace imap {

namespace {

CURL* h(void* p) { return static_cast<CURL*>(p); }

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// libcurl's trace of the sign-in: only the server's lines (CURLINFO_HEADER_IN),
// never ours (they carry the password), the last 4 KiB.
int trace_server_lines(CURL*, curl_infotype type, char* data, size_t size, void* out) {
  if (type != CURLINFO_HEADER_IN) return 0;
  auto& lines = *static_cast<std::string*>(out);
  lines.append(data, size);
  if (lines.size() > 4096) lines.erase(0, lines.size() - 4096);
  return 0;
}

}  // namespace

std::optional<SessionError> limit_error(std::string_view status, std::string_view code, std::string_view text) {
  if (status != "NO" && status != "BAD" && status != "BYE") return std::nullopt;
  std::string up = ascii_upper(text), c = ascii_upper(code);
  std::string said = "\"" + std::string(text.substr(0, 200)) + "\"";
  if (up.find("TOO MANY SIMULTANEOUS CONNECTIONS") != std::string::npos || c == "LIMIT" ||
      up.find("[LIMIT]") != std::string::npos)
    return SessionError(ACCORD_RETRY,
                        "the IMAP server refuses another connection for this account (" + said +
                            "): other programs hold its connections (Gmail allows 15 at once); the run resumes later",
                        60'000);
  // A code says which limit before the words do: Gmail writes the same
  // "Account exceeded command or bandwidth limits" after [THROTTLED] (a
  // slow-down: a minute) as after [OVERQUOTA] (the daily limits: an hour).
  auto over_quota = [&] {
    return SessionError(ACCORD_RETRY,
                        "the account is over a limit of the server (" + said +
                            "); on Gmail the daily IMAP limits (2,500 MB downloaded, 500 MB uploaded a day) or a "
                            "full mailbox; the run resumes later",
                        3'600'000);
  };
  if (c == "OVERQUOTA" || up.find("[OVERQUOTA]") != std::string::npos) return over_quota();
  if (c == "THROTTLED" || up.find("[THROTTLED]") != std::string::npos)
    return SessionError(ACCORD_RETRY, "the IMAP server is slowing this account down (" + said + "); the run resumes later",
                        60'000);
  // (Gmail's own words for its daily bandwidth limits, in a NO or a BYE with no code)
  if (up.find("EXCEEDED COMMAND OR BANDWIDTH LIMITS") != std::string::npos) return over_quota();
  if (c == "UNAVAILABLE" || up.find("[UNAVAILABLE]") != std::string::npos)
    return SessionError(ACCORD_RETRY, "the IMAP server is unavailable for now (" + said + "); the run resumes later",
                        30'000);
  return std::nullopt;
}

Session::Session(SessionOptions opts) : opts_(std::move(opts)) {
  bool imaps = opts_.url.starts_with("imaps://");
  if (!imaps && !opts_.url.starts_with("imap://"))
    throw SessionError(ACCORD_ERROR, "the server URL must start with imaps:// or imap:// (got " + opts_.url + ")");
  // the kit's rule (url_rules.hpp), on the URL as libcurl parses it: an IP
  // literal in 127.0.0.0/8, ::1, or localhost; not a name that begins "127.",
  // nor "imap://127.0.0.1:x@elsewhere/" (a user name before the host)
  accord::net::UrlHost target = accord::net::url_host(opts_.url);
  if (!target.ok) throw SessionError(ACCORD_ERROR, "the server URL is not a valid URL");
  if (target.userinfo)
    throw SessionError(ACCORD_ERROR, "the server URL holds a user name or password before an @ (the host is what "
                                     "follows it); write the host alone and give the user in the config");
  std::string host = target.host;
  bool loopback = accord::net::is_loopback_host(host);
  if (!imaps && !opts_.starttls && !loopback)
    throw SessionError(ACCORD_ERROR, "plain IMAP without STARTTLS is only allowed to this machine; "
                                     "use imaps:// or keep starttls on");
  curl_ = curl_easy_init();
  if (!curl_) throw SessionError(ACCORD_ERROR, "cannot start libcurl");
  std::string url = opts_.url;
  if (!url.ends_with("/")) url += "/";
  curl_easy_setopt(h(curl_), CURLOPT_URL, url.c_str());
  if (std::string pin = accord::net::localhost_resolve(target); !pin.empty()) {  // this machine, never a resolver's say
    resolve_ = curl_slist_append(nullptr, pin.c_str());
    curl_easy_setopt(h(curl_), CURLOPT_RESOLVE, static_cast<curl_slist*>(resolve_));
  }
  curl_easy_setopt(h(curl_), CURLOPT_USERNAME, opts_.user.c_str());
  if (!opts_.oauth_token.empty()) {
    curl_easy_setopt(h(curl_), CURLOPT_XOAUTH2_BEARER, opts_.oauth_token.c_str());
    curl_easy_setopt(h(curl_), CURLOPT_LOGIN_OPTIONS, "AUTH=XOAUTH2");
  } else {
    curl_easy_setopt(h(curl_), CURLOPT_PASSWORD, opts_.password.c_str());
  }
  if (!imaps && opts_.starttls) curl_easy_setopt(h(curl_), CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!opts_.ca_file.empty()) curl_easy_setopt(h(curl_), CURLOPT_CAINFO, opts_.ca_file.c_str());
  curl_easy_setopt(h(curl_), CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h(curl_), CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h(curl_), CURLOPT_CONNECTTIMEOUT, opts_.connect_timeout_s);
  curl_easy_setopt(h(curl_), CURLOPT_TIMEOUT, opts_.connect_timeout_s * 2);
  curl_easy_setopt(h(curl_), CURLOPT_CONNECT_ONLY, 1L);
  curl_easy_setopt(h(curl_), CURLOPT_NOSIGNAL, 1L);
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h(curl_), CURLOPT_ERRORBUFFER, errbuf);
  std::string server_lines;  // what the server said while signing in (a refusal's reason)
  curl_easy_setopt(h(curl_), CURLOPT_DEBUGFUNCTION, trace_server_lines);
  curl_easy_setopt(h(curl_), CURLOPT_DEBUGDATA, &server_lines);
  curl_easy_setopt(h(curl_), CURLOPT_VERBOSE, 1L);
  CURLcode rc = curl_easy_perform(h(curl_));
  curl_easy_setopt(h(curl_), CURLOPT_VERBOSE, 0L);
  curl_easy_setopt(h(curl_), CURLOPT_DEBUGFUNCTION, nullptr);
  curl_easy_setopt(h(curl_), CURLOPT_ERRORBUFFER, nullptr);
  if (rc != CURLE_OK) {
    std::string why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    std::string where = " (" + host + ")";
    curl_easy_cleanup(h(curl_));
    curl_ = nullptr;
    curl_slist_free_all(static_cast<curl_slist*>(resolve_));
    resolve_ = nullptr;
    // a refusal for a limit (Gmail: "NO [ALERT] Too many simultaneous
    // connections. (Failure)") is not a wrong password: RETRY, and no token renewal
    for (size_t at = 0; at < server_lines.size();) {
      size_t eol = server_lines.find('\n', at);
      if (eol == std::string::npos) eol = server_lines.size();
      std::string line = server_lines.substr(at, eol - at);
      at = eol + 1;
      if (line.ends_with('\r')) line.pop_back();
      size_t sp = line.find(' ');
      if (sp == std::string::npos) continue;
      std::string rest = line.substr(sp + 1), status = ascii_upper(rest.substr(0, rest.find(' ')));
      if (auto e = limit_error(status, "", rest)) throw *e;
    }
    switch (rc) {
      case CURLE_LOGIN_DENIED:
        throw SessionError(ACCORD_AUTH_REQUIRED, "the IMAP server refused the sign-in" + where +
                                                     ": check the user name and the password (or token) secret");
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CACERT_BADFILE:
        throw SessionError(ACCORD_ERROR, "the IMAP server's TLS certificate could not be verified" + where + ": " + why +
                                             "; for a server with a private CA set ca_file (verification cannot be "
                                             "turned off)");
      case CURLE_USE_SSL_FAILED:
        throw SessionError(ACCORD_ERROR, "the IMAP server does not offer STARTTLS" + where + "; use imaps://");
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_CONNECT:
      case CURLE_OPERATION_TIMEDOUT:
      case CURLE_RECV_ERROR:
      case CURLE_SEND_ERROR:
      case CURLE_GOT_NOTHING:
      case CURLE_SSL_CONNECT_ERROR:
        throw SessionError(ACCORD_RETRY, "cannot reach the IMAP server" + where + ": " + why);
      default:
        throw SessionError(ACCORD_ERROR, "connecting to the IMAP server" + where + ": " + why);
    }
  }
  curl_socket_t s = CURL_SOCKET_BAD;
  curl_easy_getinfo(h(curl_), CURLINFO_ACTIVESOCKET, &s);
  if (s == CURL_SOCKET_BAD) fail(ACCORD_RETRY, "the IMAP connection closed right after sign-in");
  sock_ = static_cast<long>(s);

  Reply cap = run(command("CAPABILITY"));
  for (const auto& u : cap.untagged)
    if (u.name == "CAPABILITY")
      for (const auto& a : u.args) caps_.insert(ascii_upper(a.str()));
  if (!cap.ok()) fail(ACCORD_ERROR, "CAPABILITY failed: " + cap.done.text);
  if (!opts_.sync_literals) literals_ = LiteralSupport{has("LITERAL+"), has("LITERAL-")};
}

Session::~Session() {
  if (curl_) curl_easy_cleanup(h(curl_));
  curl_slist_free_all(static_cast<curl_slist*>(resolve_));
}

void Session::fail(int32_t status, const std::string& what, int64_t retry_after_ms) {
  if (curl_) {
    curl_easy_cleanup(h(curl_));
    curl_ = nullptr;
  }
  throw SessionError(status, what, retry_after_ms);
}

Command Session::command(std::string_view name) { return Command("a" + std::to_string(next_tag_++), name); }

void Session::write_all(std::string_view bytes) {
  int64_t deadline = now_ms() + opts_.io_timeout_s * 1000;
  while (!bytes.empty()) {
    if (cancelled_) fail(ACCORD_CANCELLED, "cancelled");
    size_t n = 0;
    CURLcode rc = curl_easy_send(h(curl_), bytes.data(), bytes.size(), &n);
    if (rc == CURLE_OK) {
      bytes.remove_prefix(n);
      continue;
    }
    if (rc != CURLE_AGAIN) fail(ACCORD_RETRY, std::string("the IMAP connection broke while sending: ") + curl_easy_strerror(rc));
    if (now_ms() > deadline) fail(ACCORD_RETRY, "the IMAP server stopped taking data");
    pollfd p{static_cast<int>(sock_), POLLOUT, 0};
    ::poll(&p, 1, 100);
  }
}

Response Session::read_response() {
  // the deadline moves on with every byte that arrives: a slow answer is fine, a stalled one is not
  for (;;) {
    int64_t stalled = now_ms() + opts_.io_timeout_s * 1000;
    size_t fed = fed_;
    if (auto r = read_until(stalled)) return std::move(*r);
    if (fed_ == fed)
      fail(ACCORD_RETRY, "the IMAP server did not answer for " + std::to_string(opts_.io_timeout_s) + " s");
  }
}

std::optional<Response> Session::read_until(int64_t deadline_ms) {
  if (!curl_) throw SessionError(ACCORD_RETRY, "the IMAP connection is closed");
  char buf[65536];
  for (;;) {
    try {
      if (auto r = parser_.next()) return std::move(*r);
    } catch (const ParseError& e) {
      fail(ACCORD_ERROR, std::string("the IMAP server sent what is not IMAP: ") + e.what());
    }
    if (cancelled_) fail(ACCORD_CANCELLED, "cancelled");
    size_t n = 0;
    CURLcode rc = curl_easy_recv(h(curl_), buf, sizeof buf, &n);
    if (rc == CURLE_OK) {
      if (n == 0)
        fail(ACCORD_RETRY, "the IMAP server closed the connection" + (bye_.empty() ? "" : " (it said \"" + bye_ + "\")"));
      parser_.feed(std::string_view(buf, n));
      fed_ += n;
      continue;
    }
    if (rc != CURLE_AGAIN) fail(ACCORD_RETRY, std::string("the IMAP connection broke: ") + curl_easy_strerror(rc));
    if (now_ms() > deadline_ms) return std::nullopt;
    pollfd p{static_cast<int>(sock_), POLLIN, 0};
    ::poll(&p, 1, 100);
  }
}

bool Session::idle(int64_t timeout_ms) {
  if (!has("IDLE")) throw SessionError(ACCORD_UNSUPPORTED, "the IMAP server does not offer IDLE");
  if (!ahead_.empty()) drop_ahead();
  auto is_change = [](const Response& r) {
    return r.kind == Response::Kind::kUntagged &&
           (r.name == "EXISTS" || r.name == "EXPUNGE" || r.name == "FETCH" || r.name == "VANISHED");
  };
  Command c = command("IDLE");
  bool changed = false;
  send(c);
  for (;;) {  // up to the "+ idling"
    Response r = read_response();
    if (r.kind == Response::Kind::kContinuation) break;
    if (r.kind == Response::Kind::kTagged && r.tag == c.tag())
      fail(ACCORD_ERROR, "the IMAP server refused IDLE: " + r.text);
    changed = changed || is_change(r);
  }
  int64_t deadline = now_ms() + timeout_ms;
  while (!changed) {
    auto r = read_until(deadline);
    if (!r) break;
    changed = is_change(*r);
  }
  write_all("DONE\r\n");
  for (;;) {
    Response r = read_response();
    if (r.kind == Response::Kind::kTagged && r.tag == c.tag()) break;
    changed = changed || is_change(r);
  }
  return changed;
}

bool Session::wait_continuation(const std::string& tag) {
  for (;;) {
    Response r = read_response();
    if (r.kind == Response::Kind::kContinuation) return true;
    bool ours = r.kind == Response::Kind::kTagged && r.tag == tag;
    held_.push_back(std::move(r));
    if (ours) return false;  // the command ended (NO/BAD) before its literal was sent
  }
}

void Session::send(const Command& cmd) {
  for (const auto& c : cmd.chunks(literals_)) {
    if (c.wait_for_continuation && !wait_continuation(cmd.tag())) return;  // its tagged reply is held
    write_all(c.bytes);
    if (!c.after.empty()) write_all(c.after);
  }
}

Reply Session::run(const Command& cmd) { return std::move(run_all({cmd}).front()); }

Reply Session::run(const Command& cmd, const std::function<bool(Response&)>& take) {
  return std::move(run_taking({cmd}, take ? &take : nullptr).front());
}

std::vector<Reply> Session::run_all(const std::vector<Command>& cmds) { return run_taking(cmds, nullptr); }

std::vector<Reply> Session::run_all(const std::vector<Command>& cmds, const std::function<bool(Response&)>& take) {
  return run_taking(cmds, take ? &take : nullptr);
}

bool Session::send_ahead(const std::vector<Command>& cmds) {
  if (ahead_.size() + cmds.size() > std::max<size_t>(1, opts_.pipeline_depth)) return false;
  for (const auto& c : cmds) {
    send(c);
    ahead_.push_back(c.tag());
  }
  return true;
}

std::vector<Reply> Session::finish_ahead(const std::function<bool(Response&)>& take) {
  std::vector<std::string> tags;
  tags.swap(ahead_);
  return run_taking({}, take ? &take : nullptr, &tags);
}

void Session::drop_ahead() {
  const std::function<bool(Response&)> drop = [](Response&) { return true; };
  finish_ahead(drop);
}

std::vector<Reply> Session::run_taking(const std::vector<Command>& cmds, const std::function<bool(Response&)>* take,
                                       const std::vector<std::string>* sent) {
  if (!sent && !ahead_.empty()) drop_ahead();
  std::vector<Reply> out(sent ? sent->size() : cmds.size());
  std::map<std::string, size_t> in_flight;  // tag → index into cmds
  std::vector<Response> untagged;
  auto collect_one = [&] {
    for (;;) {
      Response r;
      if (!held_.empty()) {
        r = std::move(held_.front());
        held_.erase(held_.begin());
      } else {
        r = read_response();
      }
      if (r.kind == Response::Kind::kContinuation) continue;  // not ours to answer (a refused literal's late "+")
      if (auto e = limit_error(r.status, r.code, r.text)) fail(e->status, e->what(), e->retry_after_ms);
      if (r.kind == Response::Kind::kUntagged) {  // BYE included: the read after it says the connection ended
        if (r.status == "BYE") bye_ = r.text.substr(0, 200);
        if (take && !r.name.empty() && (*take)(r)) continue;
        untagged.push_back(std::move(r));
        continue;
      }
      auto it = in_flight.find(r.tag);
      if (it == in_flight.end()) continue;  // a tag we do not know: ignore
      Reply& rep = out[it->second];
      rep.done = std::move(r);
      rep.untagged = std::move(untagged);
      untagged.clear();
      in_flight.erase(it);
      return;
    }
  };
  if (sent) {
    for (size_t i = 0; i < sent->size(); ++i) in_flight[(*sent)[i]] = i;
  } else {
    for (size_t i = 0; i < cmds.size(); ++i) {
      while (in_flight.size() >= std::max<size_t>(1, opts_.pipeline_depth)) collect_one();
      in_flight[cmds[i].tag()] = i;
      send(cmds[i]);
    }
  }
  while (!in_flight.empty()) collect_one();
  return out;
}

}  // namespace imap
