// SPDX-License-Identifier: Apache-2.0
// IMAP's modified UTF-7 for mailbox names (RFC 3501 section 5.1.3), under the
// names this plugin's code calls; the codec itself is libs/text's
// (<accord/text/mutf7.hpp>), which the Maildir backend uses too.
#pragma once

#include <accord/text/mutf7.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace imap {

// UTF-8 → modified UTF-7. nullopt when `utf8` is not valid UTF-8.
inline std::optional<std::string> mutf7_encode(std::string_view utf8) { return accord::mutf7::encode(utf8); }
// Modified UTF-7 → UTF-8. nullopt when `name` is not valid modified UTF-7.
inline std::optional<std::string> mutf7_decode(std::string_view name) { return accord::mutf7::decode(name); }

}  // namespace imap
