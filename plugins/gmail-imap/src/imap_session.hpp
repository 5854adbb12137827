// SPDX-License-Identifier: Apache-2.0
// One IMAP connection: libcurl connects, does TLS (imaps:// or STARTTLS) and
// signs in (SASL PLAIN, LOGIN or XOAUTH2) in its connect-only mode; from there
// our own commands and parser speak IMAP over curl_easy_send/recv, because
// libcurl's IMAP URL interface drops literals and response codes.
//
// Thread safety: one calling thread; cancel() from any thread.
#pragma once

#include "imap_command.hpp"
#include "imap_parser.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace imap {

// A failure of the connection itself, with the Accord status it maps to
// (ACCORD_RETRY, ACCORD_AUTH_REQUIRED, ACCORD_ERROR, ACCORD_CANCELLED).
struct SessionError : std::runtime_error {
  SessionError(int32_t status, const std::string& message, int64_t retry_after_ms = 0)
      : std::runtime_error(message), status(status), retry_after_ms(retry_after_ms) {}
  int32_t status;
  int64_t retry_after_ms;  // RETRY: how long to wait (0: the caller's default)
};

// A server's refusal for a limit of the account rather than of the command
// (RFC 5530 [LIMIT], [OVERQUOTA], [UNAVAILABLE]; Gmail's [THROTTLED] and
// "Too many simultaneous connections", which Gmail sends as NO [ALERT] at
// sign-in): the RETRY it is and the back-off, or nullopt. Only for NO, BAD
// and BYE: Gmail also appends [THROTTLED] to OK answers, which succeed.
std::optional<SessionError> limit_error(std::string_view status, std::string_view code, std::string_view text);

struct SessionOptions {
  std::string url;          // imaps://host:port or imap://host:port
  bool starttls = true;     // imap://: STARTTLS is required (plain IMAP only to 127.0.0.0/8 with this off)
  std::string user;
  std::string password;     // or
  std::string oauth_token;  // XOAUTH2 (Gmail)
  std::string ca_file;      // a CA bundle for a private CA; verification is always on
  long connect_timeout_s = 15;
  long io_timeout_s = 120;  // a command whose answer stalls this long fails the connection
  size_t pipeline_depth = 32;
  bool sync_literals = false;  // do not use LITERAL+/LITERAL- even when offered (tests)
};

// What one command got back: its tagged completion and the untagged
// responses that came before it (since the previous command's completion).
struct Reply {
  Response done;
  std::vector<Response> untagged;
  bool ok() const { return done.status == "OK"; }
};

class Session {
 public:
  // Connects and signs in; throws SessionError.
  explicit Session(SessionOptions opts);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Capabilities after sign-in, upper case ("QRESYNC", "X-GM-EXT-1"…).
  const std::set<std::string>& capabilities() const { return caps_; }
  bool has(const std::string& cap) const { return caps_.contains(cap); }

  // A new command with the next tag.
  Command command(std::string_view name);
  // Sends one command and waits for its completion.
  Reply run(const Command& cmd);
  // The same, each untagged response handed to `take` as it is read; those
  // it answers true for are its own and not kept in the reply (a FETCH of
  // bodies written out one by one, not held until the command ends). An
  // empty `take` takes none.
  Reply run(const Command& cmd, const std::function<bool(Response&)>& take);
  // Sends several, keeping up to pipeline_depth in flight; replies in order.
  std::vector<Reply> run_all(const std::vector<Command>& cmds);
  // The same, each untagged response handed to `take` as it is read, as
  // run(cmd, take) does (the listing's records built while the server goes on
  // answering the commands still in flight).
  std::vector<Reply> run_all(const std::vector<Command>& cmds, const std::function<bool(Response&)>& take);

  // Sends commands now whose replies are read later by finish_ahead (a
  // listing's next page, asked for before the host has taken this one, so
  // that the server answers it meanwhile), after any sent ahead before;
  // none (false) where that would make more than pipeline_depth. Any other
  // command (run, run_all, idle) first reads their replies and drops them:
  // a page asked for and not taken costs only its reading.
  bool send_ahead(const std::vector<Command>& cmds);
  // The tags of the commands send_ahead sent whose replies are not read yet.
  const std::vector<std::string>& ahead() const { return ahead_; }
  // Their replies, in order, as run_all(cmds, take) would have given them.
  std::vector<Reply> finish_ahead(const std::function<bool(Response&)>& take);

  // RFC 2177 IDLE on the selected folder: true as soon as the server reports
  // a change there (EXISTS, EXPUNGE, FETCH, VANISHED), false when timeout_ms
  // passes first; either way the IDLE is ended (DONE) before it returns.
  bool idle(int64_t timeout_ms);
  // [any thread] makes a command in progress fail with ACCORD_CANCELLED.
  void cancel() noexcept { cancelled_ = true; }
  // The text of the untagged BYE the server sent while a command ran ("" if
  // none): why it closed the connection ("Mailbox was deleted under us").
  const std::string& bye() const { return bye_; }

 private:
  // sent: the commands' tags when they were sent already (send_ahead); else cmds are sent here
  std::vector<Reply> run_taking(const std::vector<Command>& cmds, const std::function<bool(Response&)>* take,
                                const std::vector<std::string>* sent = nullptr);
  void drop_ahead();
  void send(const Command& cmd);
  Response read_response();
  // A response, or nothing once deadline_ms (steady clock) passes.
  std::optional<Response> read_until(int64_t deadline_ms);
  bool wait_continuation(const std::string& tag);  // false: the command ended instead
  void write_all(std::string_view bytes);
  [[noreturn]] void fail(int32_t status, const std::string& what, int64_t retry_after_ms = 0);

  SessionOptions opts_;
  void* curl_ = nullptr;  // CURL*
  void* resolve_ = nullptr;  // curl_slist*: localhost pinned to 127.0.0.1
  long sock_ = -1;
  Parser parser_;
  std::set<std::string> caps_;
  LiteralSupport literals_;
  uint64_t next_tag_ = 1;
  size_t fed_ = 0;               // bytes received so far (a stalled read feeds none)
  std::vector<Response> held_;  // untagged responses read while waiting for a continuation
  std::string bye_;             // bye()
  std::vector<std::string> ahead_;  // ahead()
  std::atomic<bool> cancelled_{false};
};

}  // namespace imap
