// SPDX-License-Identifier: Apache-2.0
// The `note` stream over the Drive API v3: plain-text files in one folder
// ("Outlook Notes" in My Drive by default, made on the first write).
//
// Reading: a first listing notes changes.getStartPageToken, then lists the
// folder's text files (files.list) with their content (alt=media); later
// reads ask changes.list from that token. A file trashed, removed, moved out
// of the folder or no longer plain text reads as deleted.
// Writing: multipart uploads (metadata and content in one request). A
// create carries its idempotency key in appProperties, looked for
// (appProperties has {…}) on a resend or after a lost answer; updates and
// deletes compare the file's version first (Drive v3 has no conditional
// write: an edit landing between the two is overwritten); a delete moves
// the file to the trash.
//
// Thread safety: one thread at a time (the connector rule).
#pragma once

#include "google_client.hpp"

#include <accord/kit/cursor.hpp>
#include <accord/kit/ops.hpp>

#include <optional>
#include <string>

namespace gapi {

struct DriveSettings {
  std::string root;    // https://www.googleapis.com/drive/v3
  std::string upload;  // https://www.googleapis.com/upload/drive/v3
  std::string folder = "Outlook Notes";
  size_t page_size = 500;
};

class DriveStream {
 public:
  DriveStream(GoogleClient& client, DriveSettings s, const accord::kit::CursorFormat& cursor)
      : client_(client), s_(std::move(s)), cursor_(cursor) {}

  std::string read(boost::json::object& c, bool fresh);
  accord::kit::Result apply(const accord::kit::Op& op);

 private:
  std::string folder_id(bool make);
  std::string content(const std::string& id);
  std::optional<boost::json::object> get(const std::string& id);
  bool is_note(const boost::json::object& file, const std::string& folder) const;
  boost::json::object record(const boost::json::object& file);
  accord::kit::Result result(const boost::json::object& file, const std::string* body = nullptr);
  std::optional<boost::json::object> find_key(const std::string& key);
  Answer upload(const std::string& method, const std::string& url, const boost::json::object& meta,
                const std::string& body);

  GoogleClient& client_;
  DriveSettings s_;
  const accord::kit::CursorFormat& cursor_;
  std::string folder_;  // the folder's id once found
};

}  // namespace gapi
