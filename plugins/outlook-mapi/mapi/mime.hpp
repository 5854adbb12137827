// SPDX-License-Identifier: Apache-2.0
// An RFC 5322/2045 message rebuilt from a MAPI item's properties: the
// original Internet headers where the store kept them
// (PR_TRANSPORT_MESSAGE_HEADERS, without their MIME fields), else headers
// made from the properties (Date, From, Sender, To, Cc, Bcc, Subject,
// Message-ID, In-Reply-To, References); the bodies (plain text, HTML, RTF
// when there is no HTML) as multipart/alternative; file attachments and
// embedded messages (message/rfc822, rebuilt the same way) in
// multipart/mixed. CRLF line ends; deterministic (the same item gives the
// same bytes, so its content hash is a stable version). Pure.
#pragma once

#include "properties.hpp"

#include <accord/mail/message.hpp>

#include <string>
#include <string_view>

namespace accord::outlook::mapi {

std::string build_mime(const Item& item);

// RFC 2047 encoded words (B, UTF-8) when the text is not printable ASCII.
using accord::mail::encode_header_text;

}  // namespace accord::outlook::mapi
