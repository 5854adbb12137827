// SPDX-License-Identifier: Apache-2.0
// Gmail API messages ⇄ the canonical `message` record (JMAP Email, the
// fields of libs/mail), with Gmail's labels read by the rules the
// gmail-imap connector applies to X-GM-LABELS, so that a message reads the
// same through either connector:
//   - INBOX → mailboxIds "INBOX", SENT → "\Sent", DRAFT → "\Drafts", a user
//     label → its name ("Work", "Lists/dev"); none of those (archived) →
//     "\All";
//   - UNREAD absent → keyword $seen, STARRED → $flagged, IMPORTANT →
//     $important (RFC 8457);
//   - TRASH or SPAM: the message is out of the stream (read as deleted);
//   - CATEGORY_* and CHAT are Gmail's own and left alone on writes.
// Header fields come from format=metadata's headers through libs/mail's
// parser; /raw (base64, CRLF) only from fetch.
//
// Thread safety: pure functions.
#pragma once

#include <boost/json.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace gapi::gmail {

// The message fields this stream keeps (the manifest's).
const std::vector<std::string>& fields();

// The headers format=metadata is asked for (metadataHeaders).
const std::vector<std::string>& metadata_headers();

// A user label's name by id (labels.list, type "user").
using LabelNames = std::map<std::string, std::string>;

// Whether a message is out of the stream: in the trash or spam.
bool out_of_stream(const boost::json::object& message);

// mailboxIds and keywords of a message's labelIds.
boost::json::object mailboxes_of(const std::vector<std::string>& label_ids, const LabelNames& names);
boost::json::object keywords_of(const std::vector<std::string>& label_ids);

// The canonical record data of a message read with format=metadata.
boost::json::object to_message(const boost::json::object& message, const LabelNames& names);

// The labels a record asks for, of those this connector manages: system
// label ids (INBOX, SENT, DRAFT, UNREAD, STARRED, IMPORTANT) and user
// label names (to be found or made by name).
struct Wanted {
  std::set<std::string> system;
  std::set<std::string> user;
};
Wanted wanted_labels(const boost::json::object& data);

// The label ids to add and remove to bring `have` to `want` (user labels
// already resolved to ids in want.user); labels not managed here (CATEGORY_*,
// CHAT, TRASH, SPAM) are left alone.
struct LabelChange {
  std::vector<std::string> add, remove;
  bool empty() const { return add.empty() && remove.empty(); }
};
LabelChange label_change(const std::vector<std::string>& have, const Wanted& want, const LabelNames& names);

// The labelIds of a message.
std::vector<std::string> label_ids(const boost::json::object& message);

// The quota units a Gmail API request costs (Gmail's "Usage limits":
// messages.get 5, messages.import 25, history.list 2, …); 0 for a request
// that is not Gmail's.
int quota_units(const std::string& method, const std::string& url);

// base64url (Gmail's raw) ⇄ bytes.
std::string to_base64url(std::string_view bytes);
std::optional<std::string> from_base64url(std::string_view text);

}  // namespace gapi::gmail
