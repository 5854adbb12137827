// SPDX-License-Identifier: Apache-2.0
// Where credentials may be sent, and what may go into a header: the one
// implementation every connector and the host use (the host checks the same
// rules in `accord validate`, from the config schema's "format"s).
//
// - A URL that carries credentials (a base URL, a token endpoint) is parsed
//   once, with libcurl's URL API (the parser libcurl connects with). It must
//   not hold a user name or password (`http://127.0.0.1@evil/` names the host
//   evil), and plain http:// is allowed only to this machine: an IP literal in
//   127.0.0.0/8, [::1], or `localhost`, which the HTTP client resolves to
//   127.0.0.1 itself (never through DNS). Anything else needs https://.
// - A header value may not hold CR, LF or NUL: a token with a line break in
//   it would add headers of its own choosing.
//
// Never does a DNS lookup or a connection. Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace accord::net {

// "" when `url` may carry credentials, else why not, in words for a person
// (never echoing the URL's user name or password).
std::string credential_url_problem(const std::string& url);

// Whether a URL may carry credentials (credential_url_problem is empty).
bool safe_for_credentials(const std::string& url);

// Whether a host, as libcurl's URL API gives it ("127.0.0.1", "[::1]",
// "localhost"), is this machine: an IPv4 literal in 127.0.0.0/8, ::1, or
// localhost. A name that only begins with 127. ("127.0.0.1.evil.example")
// is not.
bool is_loopback_host(std::string_view host);

// A URL's host and port as libcurl's URL API parses them (the parser it
// connects with; any scheme), and whether it holds a user name or password.
struct UrlHost {
  bool ok = false;  // false: not a URL libcurl can parse
  std::string host, port;  // port: the scheme's default when none is given
  bool userinfo = false;
};
UrlHost url_host(const std::string& url);

// For a URL to localhost, the CURLOPT_RESOLVE entry that pins it to
// 127.0.0.1 ("localhost:PORT:127.0.0.1"): this machine is never what a
// resolver says. "" for any other host.
std::string localhost_resolve(const UrlHost& target);

// Whether a value may go into a header: no CR, LF or NUL.
bool header_value_ok(std::string_view value);

}  // namespace accord::net
