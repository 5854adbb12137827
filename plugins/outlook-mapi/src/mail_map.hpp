// SPDX-License-Identifier: Apache-2.0
// Graph messages ⇄ the canonical `message` record (JMAP Email, libs/mail's
// fields), for the graph backend's message stream:
//   - mailboxIds: the message's folder by its path ("INBOX", "INBOX/Work",
//     "Projects/2026"); Outlook's special folders by their special-use
//     names: Inbox → "INBOX", Sent Items → "\Sent", Drafts → "\Drafts",
//     Archive → "\Archive", Junk Email → "\Junk", Deleted Items → "\Trash";
//   - keywords: isRead → $seen, flag.flagStatus "flagged" → $flagged,
//     isDraft → $draft; categories in /categories (as the pst backend);
//   - header fields from Graph's properties (sentAt and receivedAt in UTC:
//     Graph keeps no offset), /raw only from fetch ($value).
// A create is an import: Graph creates a message from JSON (user-post-
// messages.md) and, given PR_MESSAGE_FLAGS (Integer 0x0E07) at create, with
// the flags it says ([MS-OXCMSG] 2.2.1.6: MSGFLAG_UNSENT 0x8 makes a draft,
// MSGFLAG_READ 0x1 a read message; read-only after the first save) — a MIME
// upload is always a draft and takes no extended property. The JSON is made
// from the record's /raw (its header fields, its first text/html or
// text/plain part as the body, its other leaves as file attachments) and
// its fields; PR_MESSAGE_DELIVERY_TIME (0x0E06) and PR_CLIENT_SUBMIT_TIME
// (0x0039) carry receivedAt and sentAt. Outlook writes its own MIME from
// that, so /raw does not come back byte for byte.
//
// Thread safety: pure functions.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace outlook::mail {

// The message fields the graph stream keeps (the manifest's).
const std::vector<std::string>& fields();

// The $select of a listing: what to_record reads.
const char* select();

// The threading headers, which Graph's message has no property for: the MAPI
// properties PidTagInReplyToId and PidTagInternetReferences ([MS-OXPROPS];
// In-Reply-To and References as received or imported) as extended
// properties, read with the listing's $expand and set at an import.
inline constexpr const char* kInReplyTo = "String 0x1042";
inline constexpr const char* kReferences = "String 0x1039";
// PR_SENSITIVITY ([MS-OXPROPS] PidTagSensitivity): 1 personal, 2 private, 3 confidential.
inline constexpr const char* kSensitivity = "Integer 0x0036";
// "1" → "personal", "2" → "private", "3" → "confidential", else "" (normal);
// and back ("" for a name that is none of them: normal, "0").
std::string sensitivity_name(const std::string& value);
std::string sensitivity_value(const std::string& name);
// $expand of the key property, those two and the sensitivity.
std::string expand_filter(const std::string& key_property);

// The one folder (its path) a record's mailboxIds put an Outlook message in:
// Outlook keeps a message in one folder, where a Gmail message may carry
// several labels (Google's own add-in shows it in each; Accord makes no
// copies). Whatever order the record holds the names in:
//   1. INBOX (mail the user must see stays in the Inbox);
//   2. "\Sent", then "\Drafts";
//   3. `now`, the folder the message is in, when the record still names it
//      (a label added elsewhere moves nothing);
//   4. the other names by byte order.
// "\All" (Gmail's All Mail: an archived message, in no other label) is
// Outlook's Archive, "\Archive" (resources/mailfolder.md, well-known name
// "archive"). No mailboxIds (or none true): `fallback`.
std::string folder_of(const boost::json::object& data, const std::string& now, const std::string& fallback);

// The canonical data of a Graph message in the folder named `mailbox`.
boost::json::object to_record(const boost::json::object& g, const std::string& mailbox);

// A file attachment to make.
struct File {
  std::string name, content_type, bytes, content_id;
  bool inline_ = false;
};

// What a create sends: the JSON body (attachments up to kInlineLimit in it)
// and the attachments that go through upload sessions after it.
struct Import {
  boost::json::object body;
  std::vector<File> large;
};
// Attachments above this go through an upload session (outlook-large-
// attachments.md: "If the file size is under 3 MB, do a single POST").
inline constexpr uint64_t kInlineLimit = 3 * 1024 * 1024;
// `key`: the idempotency key, kept in `key_property` (an extended property id).
// A /raw that cannot be read (not base64, an unreadable handed-over file)
// throws std::runtime_error.
Import to_import(const boost::json::object& data, const std::string& key, const std::string& key_property);

// accord.check.v1: a record as Outlook keeps it once created (graph_events.cpp
// check_records): the Graph message to_import makes of it, read back as a
// listing gives it (to_record): its keywords $seen, $flagged and $draft only,
// its categories [] when it has none, the folder folder_of picks. /raw and
// /size are not in it: Outlook writes its own MIME (its size is another,
// which only a fetch says). No /raw, or one without the header fields the
// record lacks: what the record holds. An unreadable /raw throws as
// to_import does.
boost::json::object as_kept(const boost::json::object& data);

// The PATCH that brings a message's flags, read state and categories to the
// record's (isRead, flag, categories); a field the record lacks is left alone.
boost::json::object to_patch(const boost::json::object& data);

// The text and files of a MIME message: the first text/html part (else the
// first text/plain) as {"contentType", "content"} in UTF-8, and the leaves
// that are attachments, decoded.
struct Content {
  std::string type = "text", text;
  std::vector<File> files;
};
Content mime_content(std::string_view raw);

}  // namespace outlook::mail
