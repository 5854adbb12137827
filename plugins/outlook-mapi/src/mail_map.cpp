// SPDX-License-Identifier: Apache-2.0
// Graph messages ⇄ canonical message records (mail_map.hpp).
#include "mail_map.hpp"

#include <accord/formats/text_codec.hpp>
#include <accord/json/lenient.hpp>
#include <accord/mail/message.hpp>
#include <accord/text/ascii.hpp>
#include <accord/time/utc_time.hpp>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <set>
#include <stdexcept>

namespace json = boost::json;
using accord::json_read::arr;
using accord::json_read::obj;
using accord::json_read::str;

namespace outlook::mail {

namespace {

namespace am = accord::mail;

json::array addresses_of(const json::object& g, const char* key) {
  json::array out;
  auto one = [&](const json::object& r) {
    if (const json::object* e = obj(r, "emailAddress")) {
      json::object a{{"email", str(*e, "address")}};
      if (std::string n = str(*e, "name"); !n.empty() && n != str(*e, "address")) a["name"] = n;
      out.push_back(std::move(a));
    }
  };
  if (const json::array* a = arr(g, key)) {
    for (const auto& v : *a)
      if (v.is_object()) one(v.get_object());
  } else if (const json::object* o = obj(g, key)) {
    one(*o);
  }
  return out;
}

json::array recipients(const json::value* v) {
  json::array out;
  if (!v || !v->is_array()) return out;
  for (const auto& x : v->get_array()) {
    if (!x.is_object()) continue;
    json::object e{{"address", str(x.get_object(), "email")}};
    if (std::string n = str(x.get_object(), "name"); !n.empty()) e["name"] = n;
    out.push_back(json::object{{"emailAddress", std::move(e)}});
  }
  return out;
}

bool flag(const json::object& data, const char* keyword) {
  const json::object* k = obj(data, "keywords");
  const json::value* v = k ? k->if_contains(keyword) : nullptr;
  return v && v->is_bool() && v->get_bool();
}

// RFC 3339 with any offset → UTC "…Z" (what Graph's SystemTime takes); "" when unreadable.
std::string utc(const std::string& t) {
  auto s = am::rfc3339_seconds(t);
  return s ? accord::utc::format(*s) : "";
}

using am::part_at;  // the part at an IMAP part number ("1", "2.1"), libs/mail

// A leaf's bytes (libs/mail's leaf_bytes: base64 or quoted-printable through
// accord/text/quoted_printable.hpp); as they came when they do not decode.
std::string decoded(std::string_view crlf, const am::Part& p) {
  if (std::optional<std::string> b = am::leaf_bytes(crlf, p)) return std::move(*b);
  return std::string(crlf.substr(std::min<size_t>(p.offset, crlf.size()), p.size));
}

void text_leaves(const am::Part& p, const std::string& id, const std::set<std::string>& attached,
                 std::vector<std::pair<const am::Part*, std::string>>& out) {
  if (p.sub_parts.empty()) {
    std::string pid = id.empty() ? "1" : id;
    if (!attached.contains(pid) && (p.type == "text/html" || p.type == "text/plain")) out.emplace_back(&p, pid);
    return;
  }
  for (size_t i = 0; i < p.sub_parts.size(); ++i)
    text_leaves(p.sub_parts[i], (id.empty() ? "" : id + ".") + std::to_string(i + 1), attached, out);
}

}  // namespace

const std::vector<std::string>& fields() {
  static const std::vector<std::string> f = {"/messageId", "/inReplyTo", "/references", "/subject", "/from", "/to", "/cc", "/bcc", "/replyTo",
                                             "/sentAt", "/receivedAt", "/size", "/mailboxIds", "/keywords",
                                             "/categories", "/hasAttachment", "/raw"};
  return f;
}

const char* select() {
  return "internetMessageId,subject,from,sender,toRecipients,ccRecipients,bccRecipients,replyTo,sentDateTime,"
         "receivedDateTime,isRead,isDraft,flag,categories,hasAttachments,parentFolderId,changeKey";
}

std::string sensitivity_name(const std::string& value) {
  return value == "1" ? "personal" : value == "2" ? "private" : value == "3" ? "confidential" : "";
}

std::string sensitivity_value(const std::string& name) {
  return name == "personal" ? "1" : name == "private" ? "2" : name == "confidential" ? "3" : "0";
}

std::string expand_filter(const std::string& key_property) {
  auto q = [](const std::string& v) { return "'" + v + "'"; };
  return "singleValueExtendedProperties($filter=id eq " + q(key_property) + " or id eq " + q(kInReplyTo) + " or id eq " +
         q(kReferences) + " or id eq " + q(kSensitivity) + ")";
}

namespace {

// "<a@x> <b@y>" → ["a@x", "b@y"]; a value without brackets as one id.
json::array ids_of(const std::string& v) {
  json::array out;
  size_t at = 0;
  while ((at = v.find('<', at)) != std::string::npos) {
    size_t end = v.find('>', at);
    if (end == std::string::npos) break;
    if (end > at + 1) out.push_back(json::value(v.substr(at + 1, end - at - 1)));
    at = end + 1;
  }
  if (out.empty() && v.find_first_not_of(" \t") != std::string::npos) out.push_back(json::value(v));
  return out;
}

std::string property(const json::object& g, const char* id) {
  if (const json::array* a = arr(g, "singleValueExtendedProperties"))
    for (const auto& v : *a)
      if (v.is_object() && accord::ascii_iequals(str(v.get_object(), "id"), id)) return str(v.get_object(), "value");
  return "";
}

std::string bracketed(const json::array& ids) {
  std::string out;
  for (const auto& v : ids)
    if (v.is_string()) out += (out.empty() ? "<" : " <") + std::string(v.get_string()) + ">";
  return out;
}

}  // namespace

json::object to_record(const json::object& g, const std::string& mailbox) {
  json::object d;
  std::string mid = str(g, "internetMessageId");
  if (mid.size() >= 2 && mid.front() == '<' && mid.back() == '>') mid = mid.substr(1, mid.size() - 2);
  if (!mid.empty()) d["messageId"] = json::array{json::value(mid)};
  if (json::array a = ids_of(property(g, kInReplyTo)); !a.empty()) d["inReplyTo"] = std::move(a);
  if (json::array a = ids_of(property(g, kReferences)); !a.empty()) d["references"] = std::move(a);
  // PR_SENSITIVITY (as the pst backend gives it: absent when normal; the not-private filter reads it)
  if (std::string n = sensitivity_name(property(g, kSensitivity)); !n.empty()) d["sensitivity"] = n;
  d["subject"] = str(g, "subject");
  for (auto [rec, graph] : {std::pair{"from", "from"}, {"to", "toRecipients"}, {"cc", "ccRecipients"},
                            {"bcc", "bccRecipients"}, {"replyTo", "replyTo"}})
    if (json::array a = addresses_of(g, graph); !a.empty()) d[rec] = std::move(a);
  if (std::string t = utc(str(g, "sentDateTime")); !t.empty()) d["sentAt"] = t;
  if (std::string t = utc(str(g, "receivedDateTime")); !t.empty()) d["receivedAt"] = t;
  d["mailboxIds"] = json::object{{mailbox, true}};
  json::object k;
  if (const json::value* r = g.if_contains("isRead"); r && r->is_bool() && r->get_bool()) k["$seen"] = true;
  if (const json::object* f = obj(g, "flag"); f && str(*f, "flagStatus") == "flagged") k["$flagged"] = true;
  if (const json::value* r = g.if_contains("isDraft"); r && r->is_bool() && r->get_bool()) k["$draft"] = true;
  d["keywords"] = std::move(k);
  // always there, [] when none: an absent field is one the other side does not keep
  const json::array* c = arr(g, "categories");
  d["categories"] = c ? *c : json::array();
  if (const json::value* h = g.if_contains("hasAttachments"); h && h->is_bool()) d["hasAttachment"] = h->get_bool();
  return d;
}

Content mime_content(std::string_view raw) {
  Content c;
  std::string crlf = am::to_crlf(raw);
  am::Part root = am::parse_structure(crlf);
  json::object s = am::structure_fields(root);
  std::set<std::string> attached;
  if (const json::array* a = arr(s, "attachments"))
    for (const auto& v : *a) {
      if (!v.is_object()) continue;
      const json::object& leaf = v.get_object();
      const am::Part* p = part_at(root, str(leaf, "partId"));
      if (!p) continue;
      attached.insert(str(leaf, "partId"));
      File f{str(leaf, "name"), p->type, decoded(crlf, *p), str(leaf, "cid"), str(leaf, "disposition") == "inline"};
      if (f.name.empty()) f.name = "attachment";
      c.files.push_back(std::move(f));
    }
  std::vector<std::pair<const am::Part*, std::string>> texts;
  text_leaves(root, "", attached, texts);
  const am::Part* body = nullptr;
  for (auto& [p, id] : texts)
    if (p->type == "text/html") {
      body = p;
      break;
    }
  if (!body && !texts.empty()) body = texts.front().first;
  if (body) {
    c.type = body->type == "text/html" ? "html" : "text";
    std::string bytes = decoded(crlf, *body);
    auto cs = body->type_params.find("charset");
    c.text = accord::formats::codec::to_utf8(bytes, cs == body->type_params.end() ? "" : cs->second);
    if (!accord::formats::codec::is_valid_utf8(c.text))
      c.text = accord::formats::codec::to_utf8(c.text, std::string(am::kFallbackCharset));
  }
  return c;
}

Import to_import(const json::object& data, const std::string& key, const std::string& key_property) {
  // the record's fields, those it lacks from its raw form's header
  json::object f = data;
  std::string raw;
  if (const json::value* r = data.if_contains("raw"); r && !r->is_null()) {
    // base64 text, or a file the host handed over: one that cannot be read
    // is refused, never imported as an empty message
    std::string why;
    auto bytes = am::lazy_bytes(*r, why);
    if (!bytes) throw std::runtime_error("the message's raw form " + why);
    raw = std::move(*bytes);
  }
  if (!raw.empty())
    for (auto& [k, v] : am::header_fields(am::header_block(am::to_crlf(raw))))
      if (!f.contains(k)) f[k] = v;
  Import out;
  json::object& b = out.body;
  if (auto* s = f.if_contains("subject"); s && s->is_string()) b["subject"] = *s;
  if (json::array a = recipients(f.if_contains("from")); !a.empty()) b["from"] = a.front();
  if (json::array a = recipients(f.if_contains("to")); !a.empty()) b["toRecipients"] = std::move(a);
  if (json::array a = recipients(f.if_contains("cc")); !a.empty()) b["ccRecipients"] = std::move(a);
  if (json::array a = recipients(f.if_contains("bcc")); !a.empty()) b["bccRecipients"] = std::move(a);
  if (json::array a = recipients(f.if_contains("replyTo")); !a.empty()) b["replyTo"] = std::move(a);
  if (const json::array* m = arr(f, "messageId"); m && !m->empty() && m->front().is_string())
    b["internetMessageId"] = "<" + std::string(m->front().get_string()) + ">";
  if (const json::array* c = arr(f, "categories"); c && !c->empty()) b["categories"] = *c;
  if (flag(f, "$flagged")) b["flag"] = json::object{{"flagStatus", "flagged"}};
  Content c = raw.empty() ? Content{} : mime_content(raw);
  b["body"] = json::object{{"contentType", c.type}, {"content", c.text}};
  json::array atts;
  for (File& file : c.files) {
    if (file.bytes.size() > kInlineLimit) {
      out.large.push_back(std::move(file));
      continue;
    }
    json::object a{{"@odata.type", "#microsoft.graph.fileAttachment"}, {"name", file.name},
                   {"contentType", file.content_type}, {"contentBytes", am::base64_encode(file.bytes)}};
    if (file.inline_) a["isInline"] = true;
    if (!file.content_id.empty()) a["contentId"] = file.content_id;
    atts.push_back(std::move(a));
  }
  if (!atts.empty()) b["attachments"] = std::move(atts);
  // [MS-OXCMSG] 2.2.1.6 PidTagMessageFlags: MSGFLAG_READ 0x1, MSGFLAG_UNSENT 0x8 (a draft)
  int flags = (flag(f, "$seen") ? 1 : 0) | (flag(f, "$draft") ? 8 : 0);
  json::array props{json::object{{"id", "Integer 0x0E07"}, {"value", std::to_string(flags)}}};
  if (std::string t = utc(str(f, "receivedAt")); !t.empty())
    props.push_back(json::object{{"id", "SystemTime 0x0E06"}, {"value", t}});  // PR_MESSAGE_DELIVERY_TIME
  if (std::string t = utc(str(f, "sentAt")); !t.empty())
    props.push_back(json::object{{"id", "SystemTime 0x0039"}, {"value", t}});  // PR_CLIENT_SUBMIT_TIME
  if (std::string v = sensitivity_value(str(f, "sensitivity")); v != "0")
    props.push_back(json::object{{"id", kSensitivity}, {"value", v}});
  for (auto [field, id] : {std::pair{"inReplyTo", kInReplyTo}, {"references", kReferences}})
    if (const json::array* ids = arr(f, field); ids && !ids->empty())
      props.push_back(json::object{{"id", id}, {"value", bracketed(*ids)}});
  if (!key.empty()) props.push_back(json::object{{"id", key_property}, {"value", key}});
  b["singleValueExtendedProperties"] = std::move(props);
  return out;
}

json::object as_kept(const json::object& data) {
  // the message an import makes (to_import: no key, nothing sent), as Graph gives it back
  Import imp = to_import(data, "", "");
  json::object g = std::move(imp.body);
  int flags = 0;
  if (const json::array* props = arr(g, "singleValueExtendedProperties"))
    for (const auto& v : *props) {
      if (!v.is_object()) continue;
      std::string id = str(v.get_object(), "id"), value = str(v.get_object(), "value");
      if (id == "Integer 0x0E07") flags = std::atoi(value.c_str());
      if (id == "SystemTime 0x0E06") g["receivedDateTime"] = value;  // PR_MESSAGE_DELIVERY_TIME
      if (id == "SystemTime 0x0039") g["sentDateTime"] = value;      // PR_CLIENT_SUBMIT_TIME
    }
  g["isRead"] = (flags & 1) != 0;
  g["isDraft"] = (flags & 8) != 0;
  // hasAttachments as the record says it (Outlook counts no inline part, resources/message.md); else from /raw's leaves
  if (const json::value* h = data.if_contains("hasAttachment"); h && h->is_bool()) {
    g["hasAttachments"] = h->get_bool();
  } else if (data.contains("raw") || !imp.large.empty()) {
    bool any = !imp.large.empty();
    if (const json::array* a = arr(g, "attachments"))
      for (const auto& v : *a)
        if (v.is_object() && !v.get_object().contains("isInline")) any = true;
    g["hasAttachments"] = any;
  }
  return to_record(g, folder_of(data, "", "INBOX"));
}

std::string folder_of(const json::object& data, const std::string& now, const std::string& fallback) {
  const json::value* m = data.if_contains("mailboxIds");
  if (!m || !m->is_object()) return fallback;
  std::vector<std::string> names;
  for (const auto& [k, v] : m->get_object())
    if (v.is_bool() && v.get_bool()) names.push_back(k == "\\All" ? "\\Archive" : std::string(k));
  if (names.empty()) return fallback;
  auto named = [&](const std::string& n) { return std::find(names.begin(), names.end(), n) != names.end(); };
  for (const char* first : {"INBOX", "\\Sent", "\\Drafts"})
    if (named(first)) return first;
  if (!now.empty() && named(now)) return now;
  return *std::min_element(names.begin(), names.end());
}

json::object to_patch(const json::object& data) {
  // what the record does not have (a side that keeps no categories) is left as Outlook has it
  json::object p;
  if (data.contains("keywords")) {
    p["isRead"] = flag(data, "$seen");
    p["flag"] = json::object{{"flagStatus", flag(data, "$flagged") ? "flagged" : "notFlagged"}};
  }
  if (const json::value* c = data.if_contains("categories"))
    p["categories"] = c->is_array() ? c->get_array() : json::array();
  return p;
}

}  // namespace outlook::mail
