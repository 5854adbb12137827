// SPDX-License-Identifier: Apache-2.0
// Drive files ⇄ the canonical `note` ({title, body, categories, created,
// updated}): a note is a plain-text file in the notes folder, as Google
// Workspace Sync for Microsoft Outlook keeps Outlook notes:
//   title ⇄ name; body ⇄ the file's content (text/plain, UTF-8);
//   categories ⇄ appProperties "categories" (a JSON array; Drive keeps at
//   most 124 bytes of key and value); created ← createdTime (read only);
//   updated ⇄ modifiedTime (Drive lets a write set it);
//   the idempotency key ⇄ appProperties "accord_key" (private to the app).
//
// Thread safety: pure functions.
#pragma once

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace gapi::drive {

inline constexpr const char* kKeyProperty = "accord_key";
inline constexpr const char* kCategoriesProperty = "categories";
inline constexpr const char* kNoteType = "text/plain";
inline constexpr const char* kFolderType = "application/vnd.google-apps.folder";
// The File fields a note is read with (files.get/list/changes' fields=).
inline constexpr const char* kFileFields =
    "id,name,mimeType,parents,trashed,createdTime,modifiedTime,version,appProperties";

const std::vector<std::string>& fields();

// The note of a file (its metadata as read with kFileFields) and content.
boost::json::object to_note(const boost::json::object& file, const std::string& content);

// The File metadata of a note for a create or update: name, appProperties
// (categories; the key when given), modifiedTime when the note says when
// it was updated. Throws accord::Error(ACCORD_ERROR) when the categories do
// not fit in Drive's 124 bytes.
boost::json::object to_file(const boost::json::object& note, const std::string& key);

// The note's body (its file's content).
std::string body_of(const boost::json::object& note);

// The key a file carries (appProperties), "" when none.
std::string key_of(const boost::json::object& file);

// A string for a Drive query ('…' with \ and ' escaped: "Search for files").
std::string quoted(std::string_view s);

}  // namespace gapi::drive
