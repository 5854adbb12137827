// SPDX-License-Identifier: Apache-2.0
// The canonical `message` record (a JMAP Email subset, RFC 8621) and the
// pieces of RFC 5322/2047 both mail connectors need to make it the same way:
// the gmail-imap connector from what an IMAP server answers, the local
// connector's maildir backend from files. One parser, so that a message read
// from either side has the same fields (match keys, merges).
//
// Canonical fields (JSON pointers):
//   /messageId /inReplyTo /references   arrays of ids without <>
//   /subject                            decoded (RFC 2047), unfolded
//   /from /sender /replyTo /to /cc /bcc arrays of {"name"?, "email"}
//   /sentAt                             the Date header, RFC 3339 with its offset
//   /receivedAt                         when the store received it (IMAP
//                                       INTERNALDATE, a file's mtime), UTC
//   /size                               octets, with CRLF line ends (RFC822.SIZE)
//   /mailboxIds                         {"INBOX": true, "Work/2026": true}: folder
//                                       names, "/"-separated, UTF-8
//   /keywords                           {"$seen": true, …} (lower case)
//   /threadId                           where the store has one (Gmail)
//   /bodyStructure                      the MIME tree: {"type", "subParts"} for a
//                                       multipart; {"partId", "type", "size",
//                                       "name"?, "disposition"?, "cid"?} for a leaf
//                                       (partId in IMAP's numbering, size in
//                                       octets as transferred, CRLF line ends;
//                                       message/rfc822 is a leaf)
//   /attachments                        the leaves that are attachments (same form)
//   /hasAttachment                      whether there are any
//   /raw                                the whole message (CRLF line ends),
//                                       base64; only from fetch, never in a listing
//
// Thread safety: pure functions.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace accord::mail {

// The fields a message stream declares, and the one fetched lazily.
const std::vector<std::string>& canonical_fields();
inline constexpr const char* kRawField = "raw";
// The charset undeclared 8-bit header bytes are read in when they are not
// UTF-8: Windows-1252, as mail clients and browsers do (a superset of
// ISO-8859-1's printable characters).
inline constexpr std::string_view kFallbackCharset = "windows-1252";

// One part of a message's MIME structure (RFC 2045/2046), as much as IMAP's
// BODYSTRUCTURE tells. Both connectors make one, from the message itself or
// from the server's answer, and structure_fields turns it into the same
// canonical fields.
struct Part {
  std::string type;                                  // lower case: "image/png"
  std::map<std::string, std::string> type_params;    // lower-case names, raw values
  std::string disposition;                           // lower case; "" when none
  std::map<std::string, std::string> disposition_params;
  std::string cid;                                   // Content-ID as given (with its <>)
  uint64_t size = 0;                                 // a leaf's body as transferred, CRLF
  uint64_t offset = 0;                               // a leaf's body's first byte in the message with
                                                     // CRLF line ends (to_crlf of what was parsed)
  std::string encoding;                              // Content-Transfer-Encoding, lower case; "" when none
  std::vector<Part> sub_parts;                       // a multipart's
};

// ASCII lower case (MIME types, parameter names, dispositions).
std::string lower(std::string_view s);
// The structure of a whole message (any line ends).
Part parse_structure(std::string_view message);
// The header parameters of a Content-Type or Content-Disposition value:
// the value before the first ';' (lower case) and name=value pairs.
std::string header_params(std::string_view value, std::map<std::string, std::string>& params);
// {"bodyStructure", "attachments", "hasAttachment"} of a structure; names in
// 8-bit bytes that are not UTF-8 read in `fallback` (see header_text).
boost::json::object structure_fields(const Part& root, std::string_view fallback = kFallbackCharset);

// The header block of a message: everything before the first empty line
// (CRLF or LF), without that line.
std::string_view header_block(std::string_view message);

// The canonical fields that come from the header block: messageId,
// inReplyTo, references, subject, from, sender, replyTo, to, cc, bcc, sentAt.
// Absent headers give absent fields; malformed ones are kept as far as they
// parse (a mail store holds what it was sent). Every string is UTF-8: header
// bytes that are not (undeclared 8-bit: "From: Fran\xe7ois") read in the
// `fallback` charset, as mail clients do; the message's raw bytes are not
// touched (they travel in /raw).
boost::json::object header_fields(std::string_view headers, std::string_view fallback = kFallbackCharset);

// One header's value, unfolded ("" when absent); the first of several.
std::string header_value(std::string_view headers, std::string_view name);

// RFC 2047 encoded words decoded to UTF-8 (any charset iconv knows); a word
// that does not decode (bad base64, bytes that are not text in its charset,
// an unknown charset) is left as it came. The text around the words goes
// through header_text.
std::string decode_words(std::string_view text, std::string_view fallback = kFallbackCharset);

// Header bytes as UTF-8: as they are when they are UTF-8 (RFC 6532), else
// read in the fallback charset; when that fails too (a byte it has no
// character for), in Windows-1252, where every byte has one. Never fails.
std::string header_text(std::string_view bytes, std::string_view fallback = kFallbackCharset);
// Whether the bytes are UTF-8 (RFC 3629: no overlong forms, no surrogates).
bool valid_utf8(std::string_view bytes);
// Whether a charset name is one text can be read in here (glibc's iconv).
bool known_charset(std::string_view charset);

// RFC 5322 date → RFC 3339 with the same offset ("2003-07-01T10:52:37+02:00").
std::optional<std::string> date_to_rfc3339(std::string_view date);
// IMAP INTERNALDATE ("17-Jul-1996 02:44:25 -0700") → seconds since the epoch.
std::optional<int64_t> internaldate_seconds(std::string_view date);
// Seconds → IMAP INTERNALDATE, in UTC ("17-Jul-1996 09:44:25 +0000").
std::string internaldate(int64_t seconds);
// RFC 3339 (any offset) → seconds since the epoch.
std::optional<int64_t> rfc3339_seconds(std::string_view text);

// Keywords ⇄ IMAP flags: \Seen ⇄ $seen, \Flagged ⇄ $flagged, \Answered ⇄
// $answered, \Draft ⇄ $draft, $Forwarded ⇄ $forwarded, other keywords as
// they are (lower case in the record). \Recent and \Deleted are not keywords.
boost::json::object keywords_from_flags(const std::vector<std::string>& flags);
std::vector<std::string> flags_from_keywords(const boost::json::object& keywords);
// Keywords ⇄ Maildir info letters: D $draft, F $flagged, P $forwarded,
// R $answered, S $seen (T, trashed, is not a keyword). Other keywords have no
// letter; `others` (a keywords object, may be null) gives those to keep.
boost::json::object keywords_from_letters(const std::set<char>& letters,
                                          const boost::json::value* others = nullptr);
std::set<char> letters_from_keywords(const boost::json::object& keywords);

// The folder a record goes to: the first name in its mailboxIds, or `fallback`.
std::string first_mailbox(const boost::json::object& data, const std::string& fallback);

// Line ends: to CRLF (the wire and canonical form) and to LF (Maildir files).
std::string to_crlf(std::string_view text);
std::string to_lf(std::string_view text);
// The size the text has with CRLF line ends.
uint64_t crlf_size(std::string_view text);

// A header's text as RFC 2047 encoded words (B, UTF-8) when it is not
// printable ASCII (else as it is): words of at most 75 characters (45 input
// bytes), folded with CRLF SP, never splitting a UTF-8 sequence.
std::string encode_header_text(std::string_view text);
std::string base64_encode(std::string_view bytes);
// nullopt on characters outside the alphabet (whitespace is skipped).
std::optional<std::string> base64_decode(std::string_view text);

// A lazy field's bytes as apply receives it: its base64 text, or the file
// the host handed over in its place ({"$file": path}, accord/lazy_files.h),
// read whole, or the part of it named ({"$file": path, "offset": n,
// "length": n}: ACCORD_LAZY_FILES_RANGES). nullopt, with `why` said, when it
// is none of these or the file cannot be read.
std::optional<std::string> lazy_bytes(const boost::json::value& v, std::string& why);

// The part a partId names ("1", "2.1": structure_fields' numbering; a leaf
// at the top is part 1); nullptr when the structure has none.
const Part* part_at(const Part& root, std::string_view part_id);
// A leaf's body decoded from its transfer encoding (base64,
// quoted-printable, 7bit, 8bit, binary), out of the message with CRLF line
// ends (to_crlf); nullopt for another encoding or base64 that is not.
std::optional<std::string> leaf_bytes(std::string_view crlf, const Part& leaf);

}  // namespace accord::mail
