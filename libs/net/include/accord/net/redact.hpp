// SPDX-License-Identifier: Apache-2.0
// Redaction of secrets from every message, log line and stored error: the
// one place that knows what a secret looks like. A process holds one list of
// known secret values (the host adds each secret it resolves or stores; a
// connector's HTTP client adds each credential it sends); redact() replaces
// them, and the values of credential fields whatever their value
// (Authorization, client_secret, refresh_token, access_token, password,
// api_key, in a header, a form or JSON), with "[redacted]".
//
// Thread safety: any thread (a mutex guards the list).
#pragma once

#include <string>
#include <string_view>

namespace accord::net {

// Adds a secret value to this process's list (values shorter than 4 bytes
// are not: they would blank out ordinary words).
void add_secret(std::string_view value);

// `text` with every known secret value and credential field value replaced.
std::string redact(std::string_view text);

}  // namespace accord::net
