// SPDX-License-Identifier: Apache-2.0
// libs/net's own: an OAuth 2.0 error answer in words, for the token
// renewal (oauth2.cpp, which defines it) and the sign-in flows
// (oauth_login.cpp). Not installed.
#pragma once

#include <boost/json/value.hpp>

#include <string>

namespace accord::net {

// RFC 6749 section 5.2's "error: error_description", redacted; else the
// start of `raw` (redacted: a server may echo the request's secrets).
std::string token_error(const boost::json::value& body, const std::string& raw);

}  // namespace accord::net
