// SPDX-License-Identifier: Apache-2.0
// IMAP's modified UTF-7 for mailbox names (RFC 3501 section 5.1.3): printable
// ASCII stands for itself ("&" as "&-"); anything else is "&", UTF-16 in
// base64 with "," for "/", and "-".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace imap {

// UTF-8 → modified UTF-7. nullopt when `utf8` is not valid UTF-8.
std::optional<std::string> mutf7_encode(std::string_view utf8);
// Modified UTF-7 → UTF-8. nullopt when `name` is not valid modified UTF-7
// (a bad base64 run, an unpaired surrogate, a needlessly encoded ASCII run).
std::optional<std::string> mutf7_decode(std::string_view name);

}  // namespace imap
