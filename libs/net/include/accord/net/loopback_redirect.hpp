// SPDX-License-Identifier: Apache-2.0
// The loopback redirect of an OAuth 2.0 sign-in from a native app (RFC 8252
// section 7.3): an HTTP listener on 127.0.0.1 (never on another interface)
// at a port the system chooses, or a fixed one when the app registration
// wants it, that takes the one redirect the browser brings back and answers
// it with a short page. Built on POCO's HTTP server (kept out of this header).
//
// The listener only collects what came to its path; checking `state` and
// trading the code is the caller's (accord/net/oauth_login.hpp).
//
// Thread safety: one owner thread; the server's threads hand the request
// over under a mutex.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace accord::net {

class LoopbackRedirect {
 public:
  // Listens on 127.0.0.1:`port` (0: one the system chooses, so never one in
  // use). Throws std::runtime_error when it cannot: a fixed port in use says
  // so, with what to do.
  LoopbackRedirect(uint16_t port, std::string path, std::string expected_state);
  ~LoopbackRedirect();
  LoopbackRedirect(const LoopbackRedirect&) = delete;
  LoopbackRedirect& operator=(const LoopbackRedirect&) = delete;

  uint16_t port() const;
  // "http://HOST:PORT/PATH" (host "127.0.0.1", or "localhost" where the app
  // registration names that; the listener is on 127.0.0.1 either way).
  std::string redirect_uri(const std::string& host = "127.0.0.1") const;

  // The request target ("/path?code=…&state=…") of the first request to the
  // path that carries a code or an error, or nullopt when none came within
  // `wait`. Requests to other paths (a browser's /favicon.ico) are answered
  // 404 and not counted.
  std::optional<std::string> wait(std::chrono::milliseconds wait);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace accord::net
