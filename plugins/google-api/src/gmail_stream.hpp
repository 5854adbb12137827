// SPDX-License-Identifier: Apache-2.0
// The `message` stream over the Gmail API v1 (users.messages, history,
// labels): listing, changes, bodies and writes of one account's mail.
//
// Reading: a first listing (cursor "") notes the profile's historyId, then
// answers every message oldest first (messages.list answers newest first:
// the listing walks its pages for the dates that cut the mailbox into
// windows, then lists the windows oldest first; gmail_stream.cpp), each
// with its labels and header fields (format=metadata); later reads ask
// history.list from that id. A too-old startHistoryId answers 404: CURSOR_EXPIRED,
// and the host lists everything and diffs. A message in the trash or spam
// reads as deleted. Bodies are lazy: fetch reads format=raw.
//
// Writing: a create imports the record's /raw (messages.import, or insert
// when configured: import behaves like delivery, insert like IMAP APPEND)
// with its labels, after searching rfc822msgid: for its Message-ID (a resend
// or a lost answer finds the first attempt's message instead of importing it
// twice); an update brings the labels to the record's (messages.modify; updates
// of the same change in one apply go through batchModify, ≤ 1000 ids a
// request); a delete moves the message to the trash (or deletes it for good
// when configured). Versions are the message's historyId.
//
// Thread safety: one thread at a time (the connector rule).
#pragma once

#include "gmail_map.hpp"
#include "google_client.hpp"

#include <accord/kit/batch.hpp>
#include <accord/kit/cursor.hpp>
#include <accord/kit/ops.hpp>

#include <optional>
#include <string>
#include <vector>

namespace gapi {

struct GmailSettings {
  std::string root;            // https://gmail.googleapis.com
  size_t page_size = 500;      // messages.list and history.list take ≤ 500
  bool insert = false;         // messages.insert instead of import
  bool delete_for_good = false;  // messages.delete instead of trash
};

class GmailStream {
 public:
  GmailStream(GoogleClient& client, GmailSettings s, const accord::kit::CursorFormat& cursor)
      : client_(client), s_(std::move(s)), cursor_(cursor) {}

  // One batch of read_changes; `c` is the cursor's body ({"stream"} when fresh).
  std::string read(boost::json::object& c, bool fresh);
  // fetch: each id's /raw and /size.
  std::string fetch(const std::vector<std::string>& ids);
  // Updates that make the same label change, several at once through
  // batchModify; their results are filled in `done`.
  void batch_updates(const std::vector<accord::kit::Op>& ops, std::vector<std::optional<accord::kit::Result>>& done);
  accord::kit::Result apply(const accord::kit::Op& op);

 private:
  std::string url(const std::string& path) const { return s_.root + "/gmail/v1/users/me/" + path; }
  const gmail::LabelNames& labels();
  std::string label_for(const std::string& name);
  gmail::Wanted resolved(const gmail::Wanted& w);
  std::optional<boost::json::object> get(const std::string& id, const char* format);
  boost::json::object record(const boost::json::object& m);
  accord::kit::Result result(const std::string& id);
  std::optional<std::string> find_by_message_id(const std::string& message_id);
  accord::kit::Result create(const accord::kit::Op& op);
  std::string read_listing(boost::json::object& c, bool fresh, size_t size);
  // `ids`' records into `batch`, oldest first; with `edge`, the ids of those
  // at `edge_second` or later go into it
  void records_oldest_first(const std::vector<std::string>& ids, accord::kit::Batch& batch,
                            std::vector<std::string>* edge, int64_t edge_second);
  void modify(const std::string& id, const gmail::LabelChange& ch);

  GoogleClient& client_;
  GmailSettings s_;
  const accord::kit::CursorFormat& cursor_;
  gmail::LabelNames names_;  // user labels by id
  bool labels_loaded_ = false;
};

}  // namespace gapi
