// SPDX-License-Identifier: Apache-2.0
// vCard (2.1, 3.0, 4.0) ⇄ canonical JSContact Card (RFC 9553 subset).
// Reads what Outlook, Apple and Google export: line folding, quoted-printable
// with charsets (2.1), bare type parameters (2.1), escaping, structured and
// multiple values, photos. Writes 4.0 (or 3.0) and keeps properties it does not
// understand when it rewrites a card.
#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace accord::formats::vcard {

struct Parsed {
  boost::json::object card;            // the JSContact Card
  std::string idempotency_key;         // X-ACCORD-ID, when present
  std::vector<std::string> unknown;    // content lines kept verbatim (unfolded), also in vCardProps
  std::string version;                 // VERSION as read: "2.1", "3.0", "4.0"
};

// Throws std::runtime_error with a line number for text that is not a vCard.
Parsed parse(std::string_view text);

// Serialises a Card. version is "4.0", "3.0" or "2.1". `keep` are content
// lines from the previous file: those the Card describes (in vCardProps) are
// written as they were, the others added.
std::string serialize(const boost::json::object& card, const std::string& version,
                      const std::string& idempotency_key, const std::vector<std::string>& keep);

// The old file `old_text` updated to `card`: written in the old file's
// version, every line whose meaning did not change kept byte for byte where
// it was, changed lines replaced in place, new ones added after what they
// follow (line_merge.hpp). Throws std::runtime_error when old_text is not a vCard.
std::string rewrite(std::string_view old_text, const boost::json::object& card, const std::string& idempotency_key);

// The canonical fields this converter round-trips (for the manifest).
const std::vector<std::string>& fields();

}  // namespace accord::formats::vcard
