// SPDX-License-Identifier: Apache-2.0
// The note stream over the Drive API (drive_stream.hpp). Shapes from the
// discovery document (tests/peers/schemas/google-drive.json) and the guides
// "Upload file data" (multipart), "Retrieve changes" and "Search for files".
#include "drive_stream.hpp"

#include "drive_map.hpp"
#include "json_read.hpp"
#include "listing.hpp"

#include <accord/kit/batch.hpp>
#include <accord/net/url_rules.hpp>
#include <accord/text/content_hash.hpp>

#include <algorithm>

namespace json = boost::json;
using accord::kit::Op;
using accord::kit::Result;
using accord::net::url_encode;

namespace gapi {

namespace {
const std::string kFields = std::string("&fields=") + url_encode(drive::kFileFields);
}  // namespace

// The notes folder in My Drive (files.list by name), made when `make` and
// there is none.
std::string DriveStream::folder_id(bool make) {
  if (!folder_.empty()) return folder_;
  std::string q = "name = " + drive::quoted(s_.folder) + " and mimeType = '" + drive::kFolderType +
                  "' and 'root' in parents and trashed = false";
  each_page(client_, s_.root + "/files?pageSize=100&orderBy=createdTime&fields=" + url_encode("nextPageToken,files(id)") +
                         "&q=" + url_encode(q),
            [&](const json::object& body) {
              for (const json::object* f : jr::objects(body, "files")) {
                folder_ = jr::str(*f, "id");  // the oldest, when there are several
                return true;
              }
              return false;
            });
  if (!folder_.empty() || !make) return folder_;
  std::string u = s_.root + "/files?fields=id";
  Answer a = client_.call("POST", u, json::serialize(json::object{{"name", s_.folder}, {"mimeType", drive::kFolderType},
                                                                  {"parents", json::array{"root"}}}));
  if (!a.ok() || !a.body.is_object()) unusable("POST", u, a, "making the notes folder \"" + s_.folder + "\"");
  folder_ = jr::str(a.body.get_object(), "id");
  return folder_;
}

std::string DriveStream::content(const std::string& id) {
  std::string u = s_.root + "/files/" + url_encode(id) + "?alt=media";
  Answer a = client_.call("GET", u);
  if (!a.ok()) unusable("GET", u, a);
  return a.body.is_null() ? a.text : json::serialize(a.body);
}

std::optional<json::object> DriveStream::get(const std::string& id) {
  return get_one(client_, s_.root + "/files/" + url_encode(id) + "?" + kFields.substr(1));
}

bool DriveStream::is_note(const json::object& file, const std::string& folder) const {
  if (jr::flag(&file, "trashed") || jr::str(file, "mimeType") != drive::kNoteType || folder.empty()) return false;
  const json::array* parents = jr::arr(file, "parents");
  return parents && std::find(parents->begin(), parents->end(), json::value(folder)) != parents->end();
}

json::object DriveStream::record(const json::object& file) {
  json::object r{{"id", jr::str(file, "id")}, {"version", jr::str(file, "version")},
                 {"modified", jr::str(file, "modifiedTime")}, {"data", drive::to_note(file, content(jr::str(file, "id")))}};
  if (std::string k = drive::key_of(file); !k.empty()) r["idempotency_key"] = k;
  return r;
}

std::string DriveStream::read(json::object& c, bool fresh) {
  accord::kit::Batch batch;
  const std::string size = std::to_string(std::min<size_t>(s_.page_size, 1000));
  json::object next{{"stream", "note"}};
  if (fresh || c.contains("start")) {
    std::string start = jr::str(c, "start");
    if (fresh) {
      std::string u = s_.root + "/changes/startPageToken";
      Answer a = client_.call("GET", u);
      if (!a.ok() || !a.body.is_object()) unusable("GET", u, a);
      start = jr::str(a.body.get_object(), "startPageToken");
    }
    std::string folder = folder_id(false), page;
    if (!folder.empty()) {
      std::string q = drive::quoted(folder) + " in parents and trashed = false and mimeType = '" + drive::kNoteType + "'";
      std::string u = s_.root + "/files?pageSize=" + size + "&orderBy=createdTime&q=" + url_encode(q) + "&fields=" +
                      url_encode(std::string("nextPageToken,files(") + drive::kFileFields + ")");
      if (std::string p = jr::str(c, "page"); !p.empty()) u += "&pageToken=" + url_encode(p);
      Answer a = client_.call("GET", u);
      if (!a.ok() || !a.body.is_object()) unusable("GET", u, a);
      for (const json::object* f : jr::objects(a.body.get_object(), "files")) batch.records.push_back(record(*f));
      page = jr::str(a.body.get_object(), "nextPageToken");
    }
    batch.full = fresh;
    return listing_page(std::move(batch), cursor_, std::move(next), start, page, "changes");
  }
  std::string token = jr::str(c, "changes");
  if (token.empty()) cursor_.expire("it holds no Drive page token");
  std::string u = s_.root + "/changes?pageToken=" + url_encode(token) + "&pageSize=" + size +
                  "&includeRemoved=true&fields=" +
                  url_encode(std::string("nextPageToken,newStartPageToken,changes(removed,fileId,file(") +
                             drive::kFileFields + "))");
  Answer a = client_.call("GET", u);
  if (a.status == 400 || a.status == 404)
    cursor_.expire("Drive refused the saved page token (" + std::to_string(a.status) + ")");
  if (!a.ok() || !a.body.is_object()) unusable("GET", u, a);
  const json::object& body = a.body.get_object();
  std::string folder = folder_id(false);
  for (const json::object* ch : jr::objects(body, "changes")) {
    std::string id = jr::str(*ch, "fileId");
    const json::object* file = jr::obj(*ch, "file");
    if (id.empty() || id == folder) continue;
    if (jr::flag(ch, "removed") || !file || !is_note(*file, folder))
      batch.records.push_back(json::object{{"id", id}, {"deleted", true}});
    else
      batch.records.push_back(record(*file));
  }
  std::string page = jr::str(body, "nextPageToken");
  std::string fresh_token = jr::str(body, "newStartPageToken");
  next["changes"] = !page.empty() ? page : fresh_token.empty() ? token : fresh_token;
  batch.more = !page.empty();
  batch.cursor = cursor_.write(next);
  return batch.serialize();
}

// ---- writing ----------------------------------------------------------------

// `body`: what was just written (nullptr: read it).
Result DriveStream::result(const json::object& file, const std::string* body) {
  Result r = Result::ok(jr::str(file, "id"), jr::str(file, "version"));
  r.data = drive::to_note(file, body ? *body : content(jr::str(file, "id")));
  return r;
}

// The note an earlier try of a create made: a file of the folder whose
// appProperties hold the key (files.list: "appProperties has {…}").
std::optional<json::object> DriveStream::find_key(const std::string& key) {
  std::string folder = folder_id(false);
  if (folder.empty() || key.empty()) return std::nullopt;
  std::string q = "appProperties has { key='" + std::string(drive::kKeyProperty) + "' and value=" + drive::quoted(key) +
                  " } and trashed = false";
  std::optional<json::object> found;
  each_page(client_, s_.root + "/files?pageSize=100&orderBy=createdTime&q=" + url_encode(q) + "&fields=" +
                         url_encode(std::string("nextPageToken,files(") + drive::kFileFields + ")"),
            [&](const json::object& body) {
              for (const json::object* f : jr::objects(body, "files"))
                if (is_note(*f, folder)) {
                  found = *f;
                  return true;
                }
              return false;
            });
  return found;
}

// A multipart upload ("Upload file data": multipart/related, the JSON
// metadata then the content).
Answer DriveStream::upload(const std::string& method, const std::string& url, const json::object& meta,
                           const std::string& body) {
  std::string boundary = "accord-" + accord::hash::hex(accord::hash::fnv1a(body)) + "-part";
  std::string text = "--" + boundary + "\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n" +
                     json::serialize(meta) + "\r\n--" + boundary + "\r\nContent-Type: " + drive::kNoteType +
                     "; charset=UTF-8\r\n\r\n" + body + "\r\n--" + boundary + "--\r\n";
  return client_.call(method, url, text, {"Content-Type: multipart/related; boundary=" + boundary},
                      method != "POST");
}

Result DriveStream::apply(const Op& op) {
  const std::string fields = kFields;
  if (op.is_create()) {
    if (op.resend)
      if (auto found = find_key(op.idempotency_key)) return result(*found);
    json::object meta = drive::to_file(op.data, op.idempotency_key);
    meta["mimeType"] = drive::kNoteType;
    meta["parents"] = json::array{folder_id(true)};
    std::string u = s_.upload + "/files?uploadType=multipart" + fields;
    Answer a;
    try {
      a = upload("POST", u, meta, drive::body_of(op.data));
    } catch (const LostAnswer& e) {
      if (auto found = find_key(op.idempotency_key)) return result(*found);
      throw accord::Error(ACCORD_RETRY, std::string(e.what()) + "; no note of its key is in Drive yet: it is looked "
                                                                "for again before it is sent again", 5000);
    }
    if (!a.ok() || !a.body.is_object()) unusable("POST", u, a);
    std::string sent = drive::body_of(op.data);
    return result(a.body.get_object(), &sent);
  }
  auto cur = get(op.id);
  bool gone = !cur || !is_note(*cur, folder_id(false));
  if (op.is_delete() && gone) return Result::ok(op.id);
  if (gone) throw accord::Error(ACCORD_ERROR, "note " + op.id + " is no longer in the Drive folder \"" + s_.folder + "\"");
  std::string version = jr::str(*cur, "version");
  if (op.expect_version && !op.expect_version->empty() && version != *op.expect_version)
    return Result::conflict("note " + op.id + " changed in Drive since it was read", op.id, version);
  if (op.is_delete()) {  // to the trash (Drive empties it after 30 days)
    std::string u = s_.root + "/files/" + url_encode(op.id) + "?fields=id";
    Answer a = client_.call("PATCH", u, json::serialize(json::object{{"trashed", true}}), {}, true);
    if (a.ok() || a.status == 404) return Result::ok(op.id);
    unusable("PATCH", u, a);
  }
  json::object meta = drive::to_file(op.data, "");
  std::string u = s_.upload + "/files/" + url_encode(op.id) + "?uploadType=multipart" + fields;
  std::string sent = drive::body_of(op.data);
  Answer a = upload("PATCH", u, meta, sent);
  if (!a.ok() || !a.body.is_object()) unusable("PATCH", u, a);
  return result(a.body.get_object(), &sent);
}

}  // namespace gapi
