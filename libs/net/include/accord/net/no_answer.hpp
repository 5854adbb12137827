// SPDX-License-Identifier: Apache-2.0
// What a connector's REST client does with a request that got no answer
// (HttpClient::request returned false): one rule for every HTTP connector.
#pragma once

#include <accord/connector.hpp>
#include <accord/net/http_client.hpp>

#include <string>
#include <string_view>

namespace accord::net {

// A request that is not idempotent was sent and its answer lost: the
// service may have done it. RETRY for whoever does not look further (a
// create looks itself up by its key before it is sent again).
class LostAnswer : public accord::Error {
 public:
  explicit LostAnswer(const std::string& m) : accord::Error(ACCORD_RETRY, m, 5000) {}
};

// True: send the request once more (a dropped connection, an idempotent
// request, the first time; `retried` keeps that). Otherwise it throws:
// CANCELLED; LostAnswer when a request that is not idempotent may have been
// done ("… after the request was sent (`who` may have done it)"); RETRY for
// a transient failure; ERROR naming `check` (what the user should look at).
// `what` names the request ("POST /contacts: "), already free of secrets.
bool send_again_after(const HttpFailure& f, bool idempotent, bool& retried, const std::string& what,
                      std::string_view who, std::string_view check);

}  // namespace accord::net
