// SPDX-License-Identifier: Apache-2.0
// The daemon's loopback status endpoint (off unless `--http PORT`): POCO's
// HTTP server bound to 127.0.0.1 only, every request carrying the token
// from a 0600 file (Authorization: Bearer TOKEN, or ?token=TOKEN for a
// browser), the Host header one of this listener's own names (a page of
// another site cannot reach it through DNS rebinding).
//   GET /health  the daemon's view as JSON ("status": "ok" or "attention")
//   GET /        the same as a small HTML page: pipelines, their pairs'
//                next and last runs, conflicts, quarantine, sign-in needed
// Must never listen on anything but loopback, nor answer without the token.
//
// Thread safety: requests are served on POCO's threads; `snapshot` is
// called from them and must be thread-safe.
#pragma once

#include <accord/status/result.hpp>

#include <boost/json/object.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace accord::daemon {

// The token in `file`, made (32 random bytes as hex, mode 0600, its folder
// 0700) when the file does not exist; refused when others may read it.
Result<std::string> http_token(const std::filesystem::path& file);
// ~/.config/accord/daemon.token ($XDG_CONFIG_HOME first).
std::filesystem::path default_token_file();

// The page for a snapshot (the /health object), self-contained HTML.
std::string status_page(const boost::json::object& health);

class StatusServer {
 public:
  // spec: "PORT" or "127.0.0.1:PORT" (0: the system picks); anything but
  // loopback is refused.
  static Result<std::unique_ptr<StatusServer>> start(const std::string& spec, const std::string& token,
                                                     std::function<boost::json::object()> snapshot);
  ~StatusServer();
  uint16_t port() const;

  struct Impl;  // (the request handler's too)

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace accord::daemon
