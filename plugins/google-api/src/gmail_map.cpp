// SPDX-License-Identifier: Apache-2.0
// Gmail messages ⇄ canonical message records (gmail_map.hpp).
#include "gmail_map.hpp"

#include "json_read.hpp"

#include <accord/mail/message.hpp>
#include <accord/text/ascii.hpp>
#include <accord/time/utc_time.hpp>

#include <algorithm>

namespace json = boost::json;

namespace gapi::gmail {

namespace {

namespace mail = accord::mail;

// The system labels this connector sets and clears; the others are Gmail's.
constexpr const char* kManaged[] = {"INBOX", "SENT", "DRAFT", "UNREAD", "STARRED", "IMPORTANT"};

bool has(const std::vector<std::string>& ids, std::string_view id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

}  // namespace

const std::vector<std::string>& fields() {
  // every libs/mail field but receivedAt (Gmail's import sets the internal
  // date from the Date header or the time of import: a receivedAt cannot be
  // written) and the structure (format=metadata does not give it; a
  // listing reads no bodies); threadId is Gmail's, read only
  static const std::vector<std::string> f = [] {
    std::vector<std::string> out;
    for (const std::string& p : mail::canonical_fields())
      if (p != "/receivedAt" && p != "/bodyStructure" && p != "/attachments" && p != "/hasAttachment") out.push_back(p);
    out.push_back("/threadId");
    return out;
  }();
  return f;
}

const std::vector<std::string>& metadata_headers() {
  static const std::vector<std::string> h = {"Message-ID", "In-Reply-To", "References", "Subject", "From", "Sender",
                                             "Reply-To",   "To",          "Cc",         "Bcc",     "Date"};
  return h;
}

std::vector<std::string> label_ids(const json::object& message) {
  std::vector<std::string> out;
  if (const json::array* a = jr::arr(message, "labelIds"))
    for (const auto& v : *a)
      if (v.is_string()) out.emplace_back(v.get_string());
  return out;
}

bool out_of_stream(const json::object& message) {
  std::vector<std::string> ids = label_ids(message);
  return has(ids, "TRASH") || has(ids, "SPAM");
}

json::object mailboxes_of(const std::vector<std::string>& label_ids, const LabelNames& names) {
  json::object out;
  std::vector<std::string> user;
  if (has(label_ids, "INBOX")) out["INBOX"] = true;
  if (has(label_ids, "SENT")) out["\\Sent"] = true;
  if (has(label_ids, "DRAFT")) out["\\Drafts"] = true;
  for (const auto& id : label_ids)
    if (auto it = names.find(id); it != names.end()) user.push_back(it->second);
  std::sort(user.begin(), user.end());
  for (const auto& n : user) out[n] = true;
  if (out.empty()) out["\\All"] = true;
  return out;
}

json::object keywords_of(const std::vector<std::string>& label_ids) {
  json::object out;
  if (!has(label_ids, "UNREAD")) out["$seen"] = true;
  if (has(label_ids, "STARRED")) out["$flagged"] = true;
  if (has(label_ids, "IMPORTANT")) out["$important"] = true;
  return out;
}

json::object to_message(const json::object& message, const LabelNames& names) {
  std::string headers;
  if (const json::object* payload = jr::obj(message, "payload"))
    for (const json::object* h : jr::objects(*payload, "headers"))
      headers += jr::str(*h, "name") + ": " + jr::str(*h, "value") + "\r\n";
  json::object data = mail::header_fields(headers);
  std::vector<std::string> ids = label_ids(message);
  std::string internal = jr::str(message, "internalDate");  // ms since the epoch, as a string
  if (!internal.empty() && internal.find_first_not_of("0123456789") == std::string::npos && internal.size() < 16)
    data["receivedAt"] = accord::utc::format(std::stoll(internal) / 1000);
  if (auto* s = message.if_contains("sizeEstimate"); s && s->is_int64()) data["size"] = s->get_int64();
  data["mailboxIds"] = mailboxes_of(ids, names);
  data["keywords"] = keywords_of(ids);
  if (std::string t = jr::str(message, "threadId"); !t.empty()) data["threadId"] = t;
  return data;
}

Wanted wanted_labels(const json::object& data) {
  Wanted w;
  if (const json::object* m = jr::obj(data, "mailboxIds"))
    for (const auto& [k, v] : *m) {
      if (!v.is_bool() || !v.get_bool()) continue;
      std::string name(k);
      if (accord::ascii_iequals(name, "INBOX")) w.system.insert("INBOX");
      else if (accord::ascii_iequals(name, "\\Sent")) w.system.insert("SENT");
      else if (accord::ascii_iequals(name, "\\Drafts")) w.system.insert("DRAFT");
      // other special folders (\All, \Trash, \Junk…) and Gmail's folder of
      // system folders are no labels (gmail-imap's rule)
      else if (!name.starts_with("\\") && !name.starts_with("[Gmail]/") && !name.starts_with("[Google Mail]/"))
        w.user.insert(name);
    }
  const json::object* k = jr::obj(data, "keywords");
  if (!jr::flag(k, "$seen")) w.system.insert("UNREAD");
  if (jr::flag(k, "$flagged")) w.system.insert("STARRED");
  if (jr::flag(k, "$important")) w.system.insert("IMPORTANT");
  return w;
}

LabelChange label_change(const std::vector<std::string>& have, const Wanted& want, const LabelNames& names) {
  LabelChange c;
  auto managed = [&](const std::string& id) {
    return names.contains(id) || std::find(std::begin(kManaged), std::end(kManaged), id) != std::end(kManaged);
  };
  for (const auto& id : want.system)
    if (!has(have, id)) c.add.push_back(id);
  for (const auto& id : want.user)
    if (!has(have, id)) c.add.push_back(id);
  for (const auto& id : have)
    if (managed(id) && !want.system.contains(id) && !want.user.contains(id)) c.remove.push_back(id);
  return c;
}

int quota_units(const std::string& method, const std::string& url) {
  size_t at = url.find("/gmail/v1/users/");
  if (at == std::string::npos) return 0;
  std::string path = url.substr(at + 16);
  path = path.substr(0, path.find('?'));
  path = path.substr(path.find('/') == std::string::npos ? path.size() : path.find('/') + 1);  // after the user
  auto ends = [&](std::string_view t) { return path.size() >= t.size() && path.compare(path.size() - t.size(), t.size(), t) == 0; };
  if (path == "profile") return 1;
  if (path == "history") return 2;
  if (path.starts_with("labels")) return method == "GET" ? 1 : 5;
  if (path == "messages/batchModify") return 50;
  if (path == "messages/import" || (path == "messages" && method == "POST")) return 25;
  if (path.starts_with("messages/") && method == "DELETE") return 10;
  if (ends("/modify") || ends("/trash") || ends("/untrash")) return 5;
  return 5;  // messages.list, messages.get, and what else Gmail has (5 for most)
}

std::string to_base64url(std::string_view bytes) {
  std::string s = mail::base64_encode(bytes);
  for (char& ch : s) {
    if (ch == '+') ch = '-';
    else if (ch == '/') ch = '_';
  }
  return s;
}

std::optional<std::string> from_base64url(std::string_view text) {
  std::string s(text);
  for (char& ch : s) {
    if (ch == '-') ch = '+';
    else if (ch == '_') ch = '/';
  }
  while (s.size() % 4) s += '=';
  return mail::base64_decode(s);
}

}  // namespace gapi::gmail
