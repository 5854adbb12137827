// SPDX-License-Identifier: Apache-2.0
// The graph backend's message stream (graph_backend.hpp):
//   folders: /me/mailFolders and each folder's childFolders
//     (user-list-mailfolders.md, mailfolder-list-childfolders.md), special
//     folders by their well-known names (resources/mailfolder.md);
//   changes: per-folder delta (message-delta.md, delta-query-messages.md);
//     a message moved between two synced folders keeps its immutable id
//     (outlook-immutable-id.md): the @removed in the first is no delete;
//   bodies: GET …/$value (message-get.md "Get MIME content"), on fetch only;
//   creates: POST /me/mailFolders/{id}/messages with JSON (user-post-
//     messages.md) and extended properties at create (singlevaluelegacy
//     extendedproperty-post-singlevalueextendedproperties.md: "in a new or
//     existing resource instance"): PR_MESSAGE_FLAGS so that the message is
//     not a draft ([MS-OXCMSG] 2.2.1.6), the idempotency key, found by
//     $filter on a resend (singlevaluelegacyextendedproperty-get.md);
//     attachments over 3 MB through upload sessions (attachment-
//     createuploadsession.md, outlook-large-attachments.md);
//   updates: PATCH isRead, flag, categories (message-update.md) with
//     If-Match, then POST …/move (message-move.md) for a new folder;
//   deletes: DELETE (message-delete.md: to Recoverable Items).
#include "graph_backend.hpp"

#include <accord/json/lenient.hpp>
#include <accord/mail/message.hpp>
#include <accord/net/http_client.hpp>
#include <accord/text/ascii.hpp>
#include <accord/text/content_hash.hpp>

#include <algorithm>

namespace json = boost::json;
using accord::json_read::arr;
using accord::json_read::str;
using accord::kit::Op;
using accord::kit::Result;
using accord::net::url_encode;

namespace outlook::graph {

namespace {

// Outlook's special folders by well-known name, with their special-use names
// (RFC 6154); out: left out of "*".
struct Special {
  const char* well_known;
  const char* name;
  bool out;
};
constexpr Special kSpecial[] = {{"inbox", "INBOX", false},        {"sentitems", "\\Sent", false},
                                {"drafts", "\\Drafts", false},     {"archive", "\\Archive", false},
                                {"junkemail", "\\Junk", true},     {"deleteditems", "\\Trash", true},
                                {"outbox", "Outbox", true}};

constexpr uint64_t kChunk = 4 * 320 * 1024;  // upload ranges: a multiple of 320 KiB, as OneDrive's sessions ask

// A message's version: its etag, and, where the host must compare the
// message whatever its etag says, its folder's path. A folder renamed in
// Outlook changes no message's etag, yet each of its messages now says
// another mailbox: listed again in the round that saw the rename, each
// carries the new path, so the host sees a version it does not hold and
// compares. A full listing carries it too (a rename the cursor did not see).
// Otherwise (every delta round, a write's result) the etag alone, as before
// session 7 made the path part of every version: a state written then
// compares equal where nothing changed. (If-Match sends the etag part
// alone: Backend::if_match.)
std::string message_version(const json::object& g, const std::string& path, bool with_path) {
  return with_path ? Backend::etag_of(g) + ";" + accord::hash::content_hash(path) : Backend::etag_of(g);
}

}  // namespace

const std::vector<Backend::MailFolder>& Backend::mail_tree() {
  if (mail_tree_) return *mail_tree_;
  std::map<std::string, const Special*> special;  // id → its entry
  for (const Special& s : kSpecial)
    if (auto f = get_one("/me/mailFolders/" + std::string(s.well_known) + "?$select=id")) special[str(*f, "id")] = &s;
  bool all = s_.mail_folders.empty() || (s_.mail_folders.size() == 1 && s_.mail_folders.front() == "*");
  std::vector<MailFolder> out;
  std::function<void(const std::string&, const std::string&, const std::string&, bool)> walk =
      [&](const std::string& path, const std::string& parent_path, const std::string& parent, bool excluded) {
        each_page(path, [&](const json::array& v) {
          for (const auto& x : v) {
            if (!x.is_object()) continue;
            const json::object& f = x.get_object();
            MailFolder m{str(f, "id"), "", parent};
            if (m.id.empty()) continue;
            bool out_here = excluded;
            if (auto it = special.find(m.id); it != special.end() && parent_path.empty()) {
              m.path = it->second->name;
              out_here = out_here || it->second->out;
            } else {
              m.path = (parent_path.empty() ? "" : parent_path + "/") + str(f, "displayName");
            }
            if (all) {
              m.synced = !out_here;
            } else {
              for (const std::string& want : s_.mail_folders) {
                bool named = want == m.id || want == m.path || want == str(f, "displayName");
                if (auto it = special.find(m.id); it != special.end()) named = named || want == it->second->well_known;
                m.synced = m.synced || named;
              }
            }
            out.push_back(m);
            const json::value* kids = f.if_contains("childFolderCount");
            if (!kids || !kids->is_int64() || kids->get_int64() > 0)
              walk("/me/mailFolders/" + url_encode(m.id) + "/childFolders?$select=id,displayName,childFolderCount",
                   m.path, m.id, out_here);
          }
          return false;
        });
      };
  walk("/me/mailFolders?$select=id,displayName,childFolderCount", "", "", false);
  if (!all)
    for (const std::string& want : s_.mail_folders)
      if (std::none_of(out.begin(), out.end(), [&](const MailFolder& m) {
            return m.synced && (want == m.id || want == m.path || m.path.ends_with("/" + want) ||
                                std::any_of(std::begin(kSpecial), std::end(kSpecial), [&](const Special& s) {
                                  return want == s.well_known && m.path == s.name;
                                }));
          }))
        throw accord::Error(ACCORD_ERROR, "mail_folders: Outlook has no mail folder \"" + want +
                                              "\" (give a folder's id, its path such as \"INBOX/Work\", its name, "
                                              "or a well-known name such as \"inbox\")");
  mail_tree_ = std::move(out);
  return *mail_tree_;
}

const std::vector<Backend::Folder>& Backend::mail_folders() {
  if (mail_folders_) return *mail_folders_;
  std::vector<Folder> out;
  for (const MailFolder& m : mail_tree())
    if (m.synced)
      out.push_back(Folder{m.id, "/me/mailFolders/" + url_encode(m.id) + "/messages/delta?$select=" +
                                     mail::select() + "&$expand=" + url_encode(mail::expand_filter(kKeyProperty))});
  if (out.empty()) throw accord::Error(ACCORD_ERROR, "mail_folders: no mail folder of Outlook is synced");
  mail_folders_ = std::move(out);
  return *mail_folders_;
}

const Backend::MailFolder* Backend::mail_folder(const std::string& id) {
  for (const MailFolder& m : mail_tree())
    if (m.id == id) return &m;
  return nullptr;
}

// The id of the folder at `path` ("INBOX/Work"), made (with the folders above
// it) when Outlook has none.
std::string Backend::folder_for(const std::string& path) {
  for (const MailFolder& m : mail_tree())
    if (m.path == path) return m.id;
  size_t slash = path.rfind('/');
  std::string parent = slash == std::string::npos ? "" : folder_for(path.substr(0, slash));
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (path == "\\Archive")
    throw accord::Error(ACCORD_ERROR, "this Outlook mailbox has no Archive folder (Graph's well-known folder \"archive\", "
                                      "which Outlook makes the first time its Archive button is used) for an archived message "
                                      "(\\All or \\Archive): archive one message in Outlook, or keep archived mail out with "
                                      "a filter on /mailboxIds");
  if (name.empty() || name.front() == '\\')
    throw accord::Error(ACCORD_ERROR, "mailbox \"" + path + "\" is not one of Outlook's folders and cannot be made");
  std::string url = parent.empty() ? "/me/mailFolders" : "/me/mailFolders/" + url_encode(parent) + "/childFolders";
  Answer a = client_.call("POST", url, json::serialize(json::object{{"displayName", name}}), {}, true);
  if (a.status == 409)  // made meanwhile (by an earlier try whose answer was lost): look again
    mail_tree_.reset();
  else if (!a.ok() || !a.body.is_object())
    unusable("POST", url, a);
  if (a.ok()) {
    MailFolder m{str(a.body.get_object(), "id"), path, parent};
    const MailFolder* up = parent.empty() ? nullptr : mail_folder(parent);
    m.synced = s_.mail_folders.empty() || (s_.mail_folders.size() == 1 && s_.mail_folders.front() == "*")
                   ? (!up || up->synced)
                   : false;
    mail_tree_->push_back(m);
    mail_folders_.reset();
    return m.id;
  }
  for (const MailFolder& m : mail_tree())
    if (m.path == path) return m.id;
  throw accord::Error(ACCORD_ERROR, "Outlook said folder \"" + path + "\" exists but does not list it");
}

std::string Backend::write_folder(const std::string& path) {
  bool all = s_.mail_folders.empty() || (s_.mail_folders.size() == 1 && s_.mail_folders.front() == "*");
  // a folder there, or (not there yet) the nearest one above it: whether the stream syncs it
  std::string at = path;
  const MailFolder* found = nullptr;
  for (;;) {
    for (const MailFolder& m : mail_tree())
      if (m.path == at) found = &m;
    size_t slash = at.rfind('/');
    if (found || slash == std::string::npos) break;
    at = at.substr(0, slash);
  }
  bool synced = found ? found->synced && (found->path == path || all) : all;
  if (!synced)
    throw accord::Error(ACCORD_ERROR, "Outlook's folder \"" + path + "\" is not among the folders this stream syncs "
                                      "(mail_folders): the message is not written there, where the stream would no "
                                      "longer see it (a later full listing would take it for deleted); add the folder "
                                      "to mail_folders, or keep such messages out with a filter on /mailboxIds");
  return folder_for(path);
}

std::string Backend::read_messages(const json::object& c, bool fresh) {
  // the folder tree read again at the start of each round: folders made,
  // renamed or moved in Outlook since
  if (fresh || (!c.contains("at") && !c.contains("next"))) {
    mail_tree_.reset();
    mail_folders_.reset();
  }
  const std::vector<Folder>& folders = mail_folders();
  auto synced = [&](const std::string& id) {
    return std::any_of(folders.begin(), folders.end(), [&](const Folder& f) { return f.id == id; });
  };
  // A folder renamed or moved in Outlook (its path changed since the cursor
  // was written, itself or a folder above it): its old delta link is read to
  // its end first (it holds the @removed of messages deleted there since the
  // last round, which a fresh listing never tells), then read_delta drops the
  // link (the cursor's "relist") and lists the folder afresh, each message
  // with its new mailbox (the engine keeps the later copy of an id read twice)
  json::object cur = c;
  json::object paths;
  for (const MailFolder& m : mail_tree())
    if (m.synced) paths[m.id] = m.path;
  // the folders renamed at this round's start, carried to its end: their messages' versions carry the path
  json::array renamed;
  bool round_start = !c.contains("at") && !c.contains("next");
  if (auto* r = c.if_contains("renamed"); r && r->is_array() && !round_start) renamed = r->get_array();
  if (auto* was = c.if_contains("paths"); was && was->is_object() && !fresh && round_start) {
    json::array relist;
    const json::value* links = c.if_contains("links");
    for (const auto& [id, path] : paths)
      if (auto* old = was->get_object().if_contains(id); old && *old != path) {
        host_.log(ACCORD_LOG_INFO, "mail folder \"" + std::string(old->is_string() ? old->get_string() : "") + "\" is now \"" +
                                       std::string(path.get_string()) + "\" in Outlook: its messages are listed again");
        if (links && links->is_object() && links->get_object().contains(id)) relist.push_back(json::value(id));
        renamed.push_back(json::value(id));
      }
    cur["relist"] = std::move(relist);
  }
  json::object extra{{"paths", std::move(paths)}};
  if (!renamed.empty()) extra["renamed"] = renamed;
  auto with_path = [&](const std::string& folder, bool full) {
    return full || std::find(renamed.begin(), renamed.end(), json::value(folder)) != renamed.end();
  };
  return read_delta("message", cur, fresh, folders, [&](const json::array& items, bool full) {
    json::array records;
    for (const auto& v : items) {
      if (!v.is_object()) continue;
      const json::object& g = v.get_object();
      std::string id = str(g, "id");
      if (id.empty()) continue;
      if (g.contains("@removed")) {
        if (full) continue;
        // moved to another synced folder (its immutable id kept): listed there, not deleted
        if (auto now = get_one("/me/messages/" + url_encode(id) + "?$select=parentFolderId"))
          if (synced(str(*now, "parentFolderId"))) continue;
        records.push_back(json::object{{"id", id}, {"deleted", true}});
        continue;
      }
      const MailFolder* f = mail_folder(str(g, "parentFolderId"));
      if (!f || !f->synced) continue;  // in a folder the stream leaves out (its @removed follows)
      json::object rec{{"id", id}, {"version", message_version(g, f->path, with_path(f->id, full))},
                       {"data", mail::to_record(g, f->path)}};
      if (std::string k = extended_key(g); !k.empty()) rec["idempotency_key"] = k;
      records.push_back(std::move(rec));
    }
    return records;
  }, extra);
}

std::string Backend::fetch(std::string_view stream, const std::vector<std::string>& ids) {
  json::array out;
  for (const std::string& id : ids) {
    if (stream != "message") break;
    std::string path = "/me/messages/" + url_encode(id) + "/$value";
    Answer a = client_.call("GET", path, "", {}, true);
    if (a.status == 404) continue;  // gone: the host says so
    if (!a.ok()) unusable("GET", path, a);
    std::string crlf = accord::mail::to_crlf(a.raw);
    out.push_back(json::object{{"id", id},
                               {"data", json::object{{"raw", accord::mail::base64_encode(crlf)}, {"size", crlf.size()}}}});
  }
  return json::serialize(json::object{{"records", std::move(out)}});
}

// The message an earlier try of a create made: the one whose extended property holds the key.
std::optional<json::object> Backend::find_message(const std::string& key) {
  if (key.empty()) return std::nullopt;
  std::string path = "/me/messages?$filter=" + url_encode(key_filter(key)) + "&$select=id,parentFolderId&$expand=" +
                     url_encode(key_expand());
  std::optional<json::object> found;
  each_page(path, [&](const json::array& v) {
    for (const auto& x : v)
      if (x.is_object() && extended_key(x.get_object()) == key) {
        found = x.get_object();
        return true;
      }
    return false;
  });
  return found;
}

Result Backend::message_result(const std::string& id) {
  std::string path = "/me/messages/" + url_encode(id) + "?$select=" + mail::select() + "&$expand=" +
                     url_encode(mail::expand_filter(kKeyProperty));
  auto g = get_one(path);
  if (!g) throw accord::Error(ACCORD_ERROR, "message " + id + " is gone from Outlook just after it was written");
  const MailFolder* f = mail_folder(str(*g, "parentFolderId"));
  Result r = Result::ok(id, message_version(*g, f ? f->path : str(*g, "parentFolderId"), false));
  r.data = mail::to_record(*g, f ? f->path : str(*g, "parentFolderId"));
  return r;
}

// One attachment over 3 MB: an upload session, then its bytes range by range
// (the session answers nextExpectedRanges; the last range answers 201).
void Backend::upload_attachment(const std::string& message_id, const mail::File& file) {
  std::string path = "/me/messages/" + url_encode(message_id) + "/attachments/createUploadSession";
  json::object item{{"attachmentType", "file"}, {"name", file.name}, {"size", file.bytes.size()},
                    {"contentType", file.content_type}};
  if (file.inline_) item["isInline"] = true;
  if (!file.content_id.empty()) item["contentId"] = file.content_id;
  Answer s = client_.call("POST", path, json::serialize(json::object{{"AttachmentItem", item}}), {}, true);
  if (!s.ok() || !s.body.is_object()) unusable("POST", path, s);
  std::string url = str(s.body.get_object(), "uploadUrl");
  if (url.rfind("https://", 0) != 0 && url.rfind(client_.root().substr(0, client_.root().find('/', 8)), 0) != 0)
    throw accord::Error(ACCORD_ERROR, "Outlook's upload session for \"" + file.name + "\" is not on https");
  uint64_t at = 0, total = file.bytes.size();
  while (at < total) {
    owner_.throw_if_cancelled();
    uint64_t n = std::min(kChunk, total - at);
    Answer a = client_.put_range(url, std::string_view(file.bytes).substr(at, n), at, total);
    if (a.status == 201) return;
    if (!a.ok()) unusable("PUT", url, a, "uploading attachment \"" + file.name + "\"");
    at += n;
    // where the session wants the next bytes ("12345-")
    if (const json::array* next = a.body.is_object() ? arr(a.body.get_object(), "nextExpectedRanges") : nullptr;
        next && !next->empty() && next->front().is_string()) {
      std::string r(next->front().get_string());
      at = std::stoull(r.substr(0, r.find('-')));
    }
  }
  throw accord::Error(ACCORD_ERROR, "Outlook's upload session for \"" + file.name + "\" took every byte but made no attachment");
}

// The attachments over 3 MB the record has and the message lacks (by name
// and size): a create that stopped after the message was made goes on.
void Backend::complete_attachments(const std::string& message_id, const json::object& data) {
  mail::Import imp = mail::to_import(data, "", kKeyProperty);
  if (imp.large.empty()) return;
  std::vector<std::pair<std::string, int64_t>> have;
  each_page("/me/messages/" + url_encode(message_id) + "/attachments?$select=name,size", [&](const json::array& v) {
    for (const auto& x : v)
      if (x.is_object()) {
        const json::value* sz = x.get_object().if_contains("size");
        have.emplace_back(str(x.get_object(), "name"), sz && sz->is_int64() ? sz->get_int64() : -1);
      }
    return false;
  });
  for (const mail::File& f : imp.large) {
    auto it = std::find(have.begin(), have.end(), std::pair{f.name, static_cast<int64_t>(f.bytes.size())});
    if (it != have.end()) {
      have.erase(it);
      continue;
    }
    upload_attachment(message_id, f);
  }
}

Result Backend::apply_message(const Op& op) {
  if (op.is_create()) {
    if (op.resend)
      if (auto found = find_message(op.idempotency_key)) {
        complete_attachments(str(*found, "id"), op.data);
        return message_result(str(*found, "id"));
      }
    std::string folder = write_folder(mail::folder_of(op.data, "", "INBOX"));
    mail::Import imp = mail::to_import(op.data, op.idempotency_key, kKeyProperty);
    std::string path = "/me/mailFolders/" + url_encode(folder) + "/messages";
    Answer a;
    try {
      a = client_.call("POST", path, json::serialize(imp.body));
    } catch (const LostAnswer& e) {
      if (auto found = accord::kit::looking_after_loss([&] { return find_message(op.idempotency_key); })) {
        complete_attachments(str(*found, "id"), op.data);
        return message_result(str(*found, "id"));
      }
      throw accord::kit::MaybeWritten(std::string(e.what()) + "; no message carries its idempotency key yet: it is "
                                                              "looked for again before it is sent again", 5000);
    }
    if (!a.ok() || !a.body.is_object()) unusable("POST", path, a);
    std::string id = str(a.body.get_object(), "id");
    for (const mail::File& f : imp.large) upload_attachment(id, f);
    return message_result(id);
  }
  std::string path = "/me/messages/" + url_encode(op.id);
  if (op.is_delete()) {
    Answer a = client_.call("DELETE", path, "", if_match(op), true);
    if (a.ok() || a.status == 404) return Result::ok(op.id);
    if (a.status == 412) return Result::conflict(failure(ACCORD_CONFLICT, "DELETE", path, a).what(), op.id);
    unusable("DELETE", path, a);
  }
  Answer a = client_.call("PATCH", path, json::serialize(mail::to_patch(op.data)), if_match(op), true);
  if (a.status == 412)
    return Result::conflict(failure(ACCORD_CONFLICT, "PATCH", path, a, "the message changed in Outlook since it was read").what(), op.id);
  if (a.status == 404) throw accord::Error(ACCORD_ERROR, "message " + op.id + " is no longer in Outlook");
  if (!a.ok() || !a.body.is_object()) unusable("PATCH", path, a);
  const MailFolder* now = mail_folder(str(a.body.get_object(), "parentFolderId"));
  std::string mailbox = mail::folder_of(op.data, now ? now->path : "", "INBOX");
  if (op.data.contains("mailboxIds") && (!now || now->path != mailbox)) {
    std::string dest = write_folder(mailbox);
    Answer m = client_.call("POST", path + "/move", json::serialize(json::object{{"destinationId", dest}}), {}, true);
    if (!m.ok()) unusable("POST", path + "/move", m);
  }
  return message_result(op.id);
}

// Writes through $batch (Backend::send_batch). Creates whose attachments all
// go inline (none needs an upload session) are imported together, each with
// its key in the extended property: a batch whose answer is lost is never
// sent again blind, each message is looked for by its key first (as a
// single create's lost answer). An update whose record names another folder
// then moves the message.
void Backend::batch_messages(const std::vector<Op>& ops, std::vector<std::optional<Result>>& done) {
  std::vector<BatchRequest> reqs, creates;
  for (size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    if (op.is_update()) reqs.push_back(BatchRequest{i, "PATCH", "/me/messages/" + url_encode(op.id), mail::to_patch(op.data)});
    else if (op.is_delete()) reqs.push_back(BatchRequest{i, "DELETE", "/me/messages/" + url_encode(op.id), std::nullopt});
    else if (op.is_create() && !op.resend) {
      mail::Import imp;
      try {
        imp = mail::to_import(op.data, op.idempotency_key, kKeyProperty);
      } catch (const std::exception&) {
        continue;  // said by apply_message
      }
      if (!imp.large.empty()) continue;  // its upload sessions follow the POST: on its own
      std::string folder;
      try {
        folder = write_folder(mail::folder_of(op.data, "", "INBOX"));
      } catch (const accord::Error&) {
        continue;  // refused (or the folder not made): said by apply_message, for this message alone
      }
      creates.push_back(BatchRequest{i, "POST", "/me/mailFolders/" + url_encode(folder) + "/messages", std::move(imp.body)});
    }
  }
  send_batch(ops, std::move(creates), done, "message", [&](const Op&, const Answer& e) {
    std::string id = e.body.is_object() ? str(e.body.get_object(), "id") : "";
    if (id.empty()) throw accord::Error(ACCORD_RETRY, "a message was imported; Outlook's answer had no id", 5000);
    return message_result(id);
  }, [&](const Op& op) -> std::optional<Result> {
    auto found = find_message(op.idempotency_key);
    if (!found) return std::nullopt;
    complete_attachments(str(*found, "id"), op.data);
    return message_result(str(*found, "id"));
  });
  send_batch(ops, reqs, done, "message", [&](const Op& op, const Answer& e) {
    if (op.is_delete()) return Result::ok(op.id);
    std::string url = "/me/messages/" + url_encode(op.id);
    const json::object& g = e.body.is_object() ? e.body.get_object() : empty_;
    const MailFolder* now = mail_folder(str(g, "parentFolderId"));
    std::string mailbox = mail::folder_of(op.data, now ? now->path : "", "INBOX");
    if (op.data.contains("mailboxIds") && (!now || now->path != mailbox)) {
      Answer m = client_.call("POST", url + "/move", json::serialize(json::object{{"destinationId", write_folder(mailbox)}}), {}, true);
      if (!m.ok()) unusable("POST", url + "/move", m);
      return message_result(op.id);
    }
    Result res = Result::ok(op.id, message_version(g, now ? now->path : mailbox, false));
    res.data = mail::to_record(g, now ? now->path : mailbox);
    // the PATCH answer shows no extended property: the threading ids the record has (an update never changes them)
    for (const char* k : {"inReplyTo", "references"})
      if (const json::value* v = op.data.if_contains(k)) (*res.data)[k] = *v;
    return res;
  });
}

}  // namespace outlook::graph
