// SPDX-License-Identifier: Apache-2.0
#include <accord/net/no_answer.hpp>

namespace accord::net {

bool send_again_after(const HttpFailure& f, bool idempotent, bool& retried, const std::string& what,
                      std::string_view who, std::string_view check) {
  if (f.cancelled) throw accord::Error(ACCORD_CANCELLED, "cancelled");
  if (f.transient && idempotent && !retried) {  // a dropped connection: once more, on a new one
    retried = true;
    return true;
  }
  if (!idempotent && f.maybe_done)
    throw LostAnswer(what + " after the request was sent (" + std::string(who) + " may have done it)");
  if (f.transient) throw accord::Error(ACCORD_RETRY, what, 5000);
  throw accord::Error(ACCORD_ERROR, what + " (check " + std::string(check) + ")");
}

}  // namespace accord::net
