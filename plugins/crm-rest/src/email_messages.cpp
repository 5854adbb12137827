// SPDX-License-Identifier: Apache-2.0
// A CRM's email messages as the canonical message (jmap-email): the fields
// a CRM keeps of an email turned into the JMAP Email subset and back, and a
// message logged on a contact: the contact found or made (upsert by email),
// its conversation found or made, an earlier try of the same create found by
// the message's Message-ID (the CRM's altId) before sending it again, and a
// reply threaded on the message it answers.
//
// Native fields (HighLevel's conversations.json, Version 2021-04-15):
//   read: GetEmailMessageResponseDto {id, altId, threadId, contactId,
//         conversationId, dateAdded, subject, body, contentType, direction,
//         from ("Name <address>" or an address), to, cc, bcc (arrays),
//         attachments (URLs)}
//   write: ProcessMessageBodyDto / SendMessageBodyDto {altId, subject,
//         emailFrom, emailTo (one address), emailCc, emailBcc, html | message,
//         direction, date, contactId, emailMessageId | replyMessageId, threadId}
//         (each create request's send_fields keep what its DTO declares)
// Canonical extras agreed with the engine's email ⇄ CRM rules: /contactIds
// (the contacts it is logged on: one conversation's email each, the first
// the record), /createContacts [{email, name}] (upsert these first, logged
// on too), /direction, /crmNote (said in the body), and the body in
// /bodyValues/html/value or /bodyValues/text/value.
#include "crm_rest_p.hpp"
#include "message_contacts.hpp"

#include <accord/mail/message.hpp>
#include <accord/text/ascii.hpp>

#include <algorithm>

namespace crm {

std::string strip_angles(std::string id) {
  if (id.size() >= 2 && id.front() == '<' && id.back() == '>') id = id.substr(1, id.size() - 2);
  return id;
}

std::vector<std::string> reply_parents(const json::value& data) {
  std::vector<std::string> parents;
  for (const char* f : {"/inReplyTo", "/references"})
    if (const json::value* a = at_ptr(data, f); a && a->is_array()) {
      std::vector<std::string> ids;
      for (const auto& v : a->get_array())
        if (v.is_string() && !v.get_string().empty()) ids.push_back(strip_angles(std::string(v.get_string())));
      for (auto it = ids.rbegin(); it != ids.rend(); ++it)  // (References: the latest last)
        if (std::find(parents.begin(), parents.end(), *it) == parents.end()) parents.push_back(*it);
    }
  return parents;
}

namespace {

// The canonical address lists of a CRM's from/to/cc/bcc ("Ann Lee
// <ann@example.org>" texts, one or an array), parsed as the header fields
// they are (libs/mail, as the mail connectors parse them).
json::object address_fields(const json::value& n) {
  std::string headers;
  for (const auto& [nat, name] : {std::pair{"/from", "From"}, {"/to", "To"}, {"/cc", "Cc"}, {"/bcc", "Bcc"}}) {
    std::string list;
    if (const json::value* v = at_ptr(n, nat); v && v->is_string()) list = std::string(v->get_string());
    else if (v && v->is_array())
      for (const auto& x : v->get_array())
        if (x.is_string() && !x.get_string().empty()) list += (list.empty() ? "" : ", ") + std::string(x.get_string());
    if (list.find_first_of("\r\n") != std::string::npos) continue;  // (not a header's value)
    if (!list.empty()) headers += std::string(name) + ": " + list + "\r\n";
  }
  json::object out;
  json::object h = accord::mail::header_fields(headers);
  for (const char* k : {"from", "to", "cc", "bcc"})
    if (const json::value* v = h.if_contains(k); v && v->is_array() && !v->get_array().empty()) out[k] = *v;
  return out;
}

// The addresses of a canonical address list (/to: [{name, email}]).
json::array emails_of(const json::value& data, const char* ptr) {
  json::array out;
  if (const json::value* v = at_ptr(data, ptr); v && v->is_array())
    for (const auto& a : v->get_array())
      if (std::string e = scalar_text(at_ptr(a, "/email")); !e.empty()) out.emplace_back(e);
  return out;
}

std::string text_at(const json::value& v, const char* ptr) { return scalar_text(at_ptr(v, ptr)); }

// What a copy's altId adds to the Message-ID: " contact:" + its contact.
constexpr const char* kCopyMark = " contact:";

// An upload's file name, unique among the message's (HighLevel answers
// {uploadedFiles: {name: url}}: two image001.png would come back as one
// key): the second is "image001 (2).png". Names are compared as the form
// carries them ('"', CR and LF made '_'), and without case.
std::string unique_name(std::string name, std::vector<std::string>& used) {
  for (char& c : name)
    if (c == '"' || c == '\r' || c == '\n') c = '_';
  auto taken = [&](const std::string& n) {
    return std::find(used.begin(), used.end(), accord::ascii_lower(n)) != used.end();
  };
  size_t dot = name.rfind('.');
  if (dot == 0 || dot == std::string::npos) dot = name.size();
  std::string out = name;
  for (int i = 2; taken(out); ++i) out = name.substr(0, dot) + " (" + std::to_string(i) + ")" + name.substr(dot);
  used.push_back(accord::ascii_lower(out));
  return out;
}

}  // namespace

bool CrmRest::email_copy(const json::value& native) {
  return text_at(native, "/altId").find(kCopyMark) != std::string::npos;
}

json::value CrmRest::email_to_data(const json::value& n) {
  json::object c;
  if (std::string alt = text_at(n, "/altId"); !alt.empty()) c["messageId"] = json::array{json::value(strip_angles(alt))};
  if (std::string t = text_at(n, "/threadId"); !t.empty()) c["threadId"] = t;
  if (const json::value* s = at_ptr(n, "/subject"); s && s->is_string()) c["subject"] = *s;
  for (auto& [k, v] : address_fields(n)) c[k] = std::move(v);
  if (const json::value* d = at_ptr(n, "/dateAdded"))
    if (auto ms = parse_time_ms(*d)) c["sentAt"] = format_time(*ms, "iso8601");
  std::string body = text_at(n, "/body");
  if (!body.empty()) {
    bool html = accord::ascii_lower(text_at(n, "/contentType")).find("html") != std::string::npos;
    c["bodyValues"] = json::object{{html ? "html" : "text", json::object{{"value", body}}}};
  }
  if (std::string d = text_at(n, "/direction"); !d.empty()) c["direction"] = d;
  if (std::string k = text_at(n, "/contactId"); !k.empty()) c["contactIds"] = json::array{json::value(k)};
  json::array att;
  if (const json::value* a = at_ptr(n, "/attachments"); a && a->is_array())
    for (const auto& u : a->get_array()) {
      std::string url = scalar_text(&u);
      if (url.empty()) continue;
      std::string name = url.substr(url.rfind('/') + 1);
      att.push_back(json::object{{"name", name}, {"url", url}});
    }
  c["hasAttachment"] = !att.empty();
  if (!att.empty()) c["attachments"] = std::move(att);
  return c;
}

json::value CrmRest::email_to_native(const json::value& d) {
  json::object n;
  if (const json::value* m = at_ptr(d, "/messageId/0"); m && m->is_string()) n["altId"] = strip_angles(std::string(m->get_string()));
  if (const json::value* s = at_ptr(d, "/subject"); s && s->is_string()) n["subject"] = *s;
  if (std::string f = text_at(d, "/from/0/email"); !f.empty()) n["emailFrom"] = f;
  if (std::string t = text_at(d, "/to/0/email"); !t.empty()) n["emailTo"] = t;
  if (json::array cc = emails_of(d, "/cc"); !cc.empty()) n["emailCc"] = std::move(cc);
  if (json::array bcc = emails_of(d, "/bcc"); !bcc.empty()) n["emailBcc"] = std::move(bcc);
  std::string html = text_at(d, "/bodyValues/html/value"), text = text_at(d, "/bodyValues/text/value");
  if (text.empty() && html.empty()) text = text_at(d, "/preview");
  // what the engine's rules left out (an attachment over the size rule)
  // is said in the CRM's copy
  std::string note = text_at(d, "/crmNote");
  // An attachment not uploaded (no /raw to take it from, an encoding not
  // decoded, or a CRM without an upload): the CRM's copy names what it
  // lacks rather than lose it without a word
  std::string left;
  if (const json::value* a = at_ptr(d, "/attachments"); a && a->is_array())
    for (const auto& p : a->get_array())
      if (!p.is_object() || (!p.get_object().contains("url") && !p.get_object().contains("@upload"))) {
        // (one the CRM already holds has its url; one to upload is marked)
        std::string name = text_at(p, "/name");
        left += (left.empty() ? "" : ", ") + (name.empty() ? std::string("(unnamed)") : name);
      }
  if (!left.empty()) note += (note.empty() ? "" : "\n") + std::string("Attachments not carried to the CRM: ") + left;
  if (!note.empty()) {
    if (!html.empty()) html += "<p>" + note + "</p>";  // (the note is the engine's own plain text)
    text += (text.empty() ? "" : "\n\n") + note;
  }
  if (!html.empty()) n["html"] = html;
  if (!text.empty()) n["message"] = text;
  n["direction"] = text_at(d, "/direction") == "outbound" ? "outbound" : "inbound";
  if (const json::value* t = at_ptr(d, "/sentAt"))
    if (auto ms = parse_time_ms(*t)) n["date"] = format_time(*ms, "iso8601");
  if (std::string k = text_at(d, "/contactIds/0"); !k.empty()) n["contactId"] = k;
  return n;
}

// The CRM contacts a message is logged on (message_contacts): each of
// /createContacts made (or found) by the contacts stream's upsert, which
// matches on the email address: a create repeated after a crash finds it.
std::vector<std::string> CrmRest::email_contacts(const StreamSpec& s, const json::value& data) {
  return message_contacts(s.name, data, [&](const std::string& email, const std::string& name) {
    if (s.contacts_stream.empty())
      throw accord::Error(ACCORD_ERROR, "stream " + s.name + ": /createContacts needs the stream's contacts (the stream "
                                        "whose upsert makes them)");
    const StreamSpec& cs = stream_spec(s.contacts_stream);
    if (!cs.upsert.present)
      throw accord::Error(ACCORD_UNSUPPORTED, "stream " + cs.name + " has no upsert to make a message's contact with");
    json::object rec{{"email", email}};
    if (!name.empty()) rec["name"] = name;
    Vars v = base_vars(cs);
    v["data"] = std::move(rec);
    Answer a = rest_.call(cs.upsert, v);
    const json::value* r = at_ptr(a.body, cs.upsert.record);
    std::string id = r ? scalar_text(at_ptr(*r, cs.id)) : "";
    if (id.empty()) throw accord::Error(ACCORD_ERROR, "POST " + cs.upsert.path + ": the answer holds no contact id at " + cs.id);
    return id;
  });
}

// The contact's conversation: found through the parent stream's lookup
// ({contact_id}), or made through its create. A create whose answer was
// lost is looked for again, never sent twice.
std::string CrmRest::email_conversation(const StreamSpec& s, const std::string& contact_id) {
  const StreamSpec& ps = stream_spec(s.parent.stream);
  Vars v = base_vars(ps);
  v["contact_id"] = json::value(contact_id);
  auto find = [&]() -> std::string {
    if (!ps.lookup.present) return "";
    Answer a = rest_.call(ps.lookup, v);
    const json::value* recs = at_ptr(a.body, ps.lookup.records);
    if (recs && recs->is_array())
      for (const auto& r : recs->get_array())
        if (text_at(r, "/contactId") == contact_id || text_at(r, "/contactId").empty()) return scalar_text(at_ptr(r, ps.id));
    return "";
  };
  if (std::string id = find(); !id.empty()) return id;
  if (!ps.create.present)
    throw accord::Error(ACCORD_ERROR, "contact " + contact_id + " has no conversation and stream " + ps.name +
                                      " has no create to start one");
  v["data"] = json::object{};
  try {
    Answer a = rest_.call(ps.create, v);
    const json::value* r = at_ptr(a.body, ps.create.record);
    std::string id = r ? scalar_text(at_ptr(*r, ps.id)) : "";
    if (id.empty()) throw accord::Error(ACCORD_ERROR, "POST " + ps.create.path + ": the answer holds no conversation id");
    return id;
  } catch (const LostAnswer& e) {
    if (std::string id = accord::kit::looking_after_loss(find); !id.empty()) return id;
    throw accord::kit::MaybeWritten(std::string(e.what()) + "; the conversation is looked for again before it is made again",
                                    5000);
  }
}

// The attachments of a message to log that the CRM takes by upload (the
// stream's upload endpoint, the create carrying /attachments): message_files
// with the upload's max_file_bytes.
std::vector<RestClient::FormFile> CrmRest::email_files(const StreamSpec& s, json::value& data) {
  bool takes = std::find(s.create.send_fields.begin(), s.create.send_fields.end(), "/attachments") != s.create.send_fields.end();
  if (!s.upload.present || !takes) return {};
  return message_files(data, s.upload.max_file_bytes, s.upload.path);
}

// Each attachment's bytes out of /raw, not those the rules left out
// (/omitAttachments) nor one over max_file_bytes (0: any size; `where`
// names the upload in the warning); each under a name unique in the
// message. Those taken are marked "@upload" (the name uploaded) in data,
// so that the note email_to_native writes names only the others. (Shared
// by the profiles whose CRM takes files: HighLevel, HubSpot.)
std::vector<RestClient::FormFile> CrmRest::message_files(json::value& data, int64_t max_file_bytes, const std::string& where) {
  std::vector<RestClient::FormFile> out;
  json::value* atts = data.is_object() ? data.get_object().if_contains("attachments") : nullptr;
  const json::value* raw = at_ptr(data, "/raw");
  if (!atts || !atts->is_array() || !raw) return out;
  std::string why;
  std::optional<std::string> bytes = accord::mail::lazy_bytes(*raw, why);
  if (!bytes) {
    host().log(ACCORD_LOG_WARN, ("crm-rest: the message's /raw cannot be read (" + why + "): its attachments are named, not uploaded").c_str());
    return out;
  }
  std::string crlf = accord::mail::crlf_size(*bytes) == bytes->size() ? std::move(*bytes) : accord::mail::to_crlf(*bytes);
  accord::mail::Part root = accord::mail::parse_structure(crlf);
  std::vector<std::string> omit;
  if (const json::value* o = at_ptr(data, "/omitAttachments"); o && o->is_array())
    for (const auto& x : o->get_array()) omit.push_back(scalar_text(&x));
  std::vector<std::string> used;
  for (auto& a : atts->get_array()) {
    if (!a.is_object() || a.get_object().contains("url")) continue;
    std::string pid = text_at(a, "/partId");
    if (pid.empty() || std::find(omit.begin(), omit.end(), pid) != omit.end()) continue;
    const accord::mail::Part* p = accord::mail::part_at(root, pid);
    std::optional<std::string> b = p ? accord::mail::leaf_bytes(crlf, *p) : std::nullopt;
    if (!b) continue;  // (named in the note)
    std::string name = text_at(a, "/name");
    if (name.empty()) name = "attachment-" + pid;
    if (max_file_bytes > 0 && static_cast<int64_t>(b->size()) > max_file_bytes) {
      host().log(ACCORD_LOG_WARN, ("crm-rest: attachment " + name + " (" + std::to_string(b->size()) + " bytes) is over the " +
                                   std::to_string(max_file_bytes) + " bytes " + where +
                                   " takes: it is named in the CRM's copy, not uploaded").c_str());
      continue;
    }
    name = unique_name(std::move(name), used);
    a.get_object()["@upload"] = name;
    out.push_back({std::move(name), text_at(a, "/type"), std::move(*b)});
  }
  return out;
}

// Attachments message_files took that are not carried after all (the CRM
// refused one, it did not fit the request): each in `left` (by the name it
// was to go under, its "@upload") unmarked in data, and the body's fields
// of `into` made again by `to_native` from data, so that the note the body
// ends with names them too ("Attachments not carried to the CRM: …"). A
// field the new form lacks is dropped from `into`. (Shared by the profiles
// whose CRM takes files: HighLevel, HubSpot, Salesforce.)
void CrmRest::not_carried(json::value& data, const std::vector<std::string>& left,
                          const std::function<json::object(const json::value&)>& to_native, json::object& into,
                          std::initializer_list<const char*> body_fields) {
  if (json::value* atts = data.is_object() ? data.get_object().if_contains("attachments") : nullptr; atts && atts->is_array())
    for (auto& a : atts->get_array())
      if (a.is_object() && std::find(left.begin(), left.end(), text_at(a, "/@upload")) != left.end())
        a.get_object().erase("@upload");
  json::object fresh = to_native(data);
  for (const char* k : body_fields) {
    if (const json::value* v = fresh.if_contains(k)) into[k] = *v;
    else into.erase(k);
  }
}

Result CrmRest::create_email(const StreamSpec& s, const Op& op) {
  if (!s.create.present) throw accord::Error(ACCORD_UNSUPPORTED, "stream " + s.name + " has no create endpoint");
  json::value data = op.data.empty() ? json::value(json::object{}) : json::value(op.data);
  std::vector<RestClient::FormFile> files = email_files(s, data);
  json::value native = email_to_native(data);
  // the idempotency key: the Message-ID (altId), else the host's key
  if (text_at(native, "/altId").empty() && !op.idempotency_key.empty())
    native.get_object()["altId"] = op.idempotency_key;
  std::string alt = text_at(native, "/altId");
  // every value the create's template names must be configured (HighLevel's
  // conversationProviderId), before anything is made
  for (const auto& [ptr, t] : s.create.set) {
    bool missing = false;
    Vars probe = base_vars(s);
    for (const auto& [k, v] : spec_.variables) probe.emplace(k, json::value(v));
    probe[s.parent.var] = json::value("x");
    probe["contact_id"] = json::value("x");
    (void)fill(t, probe, &missing);
    if (missing)
      throw accord::Error(ACCORD_ERROR, "stream " + s.name + ": the create sets " + ptr + " from " + json::serialize(t) +
                                        ", which the configuration does not give (set it under variables)");
  }
  // HighLevel keeps a conversation per contact and a message in one
  // conversation (ProcessMessageBodyDto's contactId, conversationId): a
  // message to several contacts is logged in each one's conversation, as
  // its Two Way Email Sync shows it on each contact. The first contact's is
  // the record; the others are its copies, whose altId says whose copy it
  // is (a space never occurs in a Message-ID): the listing leaves them out,
  // and a create repeated finds each by its own altId. The copies go first:
  // a create that fails half-way has made no record, and the next try finds
  // the copies already there.
  std::vector<std::string> contacts = email_contacts(s, data);
  // (a create that takes no altId, HighLevel's send, would send the mail
  // again to each: it is logged on the first contact only)
  bool copies = std::find(s.create.send_fields.begin(), s.create.send_fields.end(), "/altId") != s.create.send_fields.end();
  for (size_t i = copies ? contacts.size() : 0; i-- > 1;) {
    json::value copy = native;
    copy.get_object()["altId"] = alt + kCopyMark + contacts[i];
    (void)log_email(s, copy, data, contacts[i], true, files);
  }
  Result r = log_email(s, native, data, contacts[0], op.resend, files);
  if (contacts.size() > 1 && r.data) {  // the record: on every contact
    json::array all;
    for (const auto& c : contacts) all.emplace_back(c);
    (*r.data)["contactIds"] = std::move(all);
  }
  return r;
}

// One email logged in `contact`'s conversation (its altId set in native):
// when `look_first`, an earlier try of it is looked for and answered.
Result CrmRest::log_email(const StreamSpec& s, json::value native, const json::value& data, const std::string& contact,
                          bool look_first, const std::vector<RestClient::FormFile>& files) {
  std::string alt = text_at(native, "/altId");
  std::string conv = email_conversation(s, contact);
  native.get_object()["contactId"] = contact;
  Vars vars = base_vars(s);
  vars[s.parent.var] = json::value(conv);
  vars["contact_id"] = json::value(contact);

  // The conversation's emails, read once when needed: an earlier try of
  // this create (same altId; a create without one, as HighLevel's send
  // takes none, is known by its subject and body), and the one replied to.
  std::optional<std::vector<json::value>> have;
  auto emails = [&]() -> const std::vector<json::value>& {
    if (!have) have = children(s, vars);
    return *have;
  };
  std::string body = text_at(native, "/html").empty() ? text_at(native, "/message") : text_at(native, "/html");
  auto earlier = [&]() -> std::optional<Result> {
    for (const auto& e : emails()) {
      bool same = !alt.empty() && !text_at(e, "/altId").empty()
                      ? strip_angles(text_at(e, "/altId")) == strip_angles(alt)
                      : text_at(e, "/subject") == text_at(native, "/subject") && text_at(e, "/body") == body;
      if (!same) continue;
      Record r = to_record(s, e);
      return with_data(Result::ok(conv + "/" + r.id, r.version), to_data(s, e));
    }
    return std::nullopt;
  };
  if (look_first)
    if (auto found = earlier()) return *found;
  // The message it replies to, else the latest of its References the
  // conversation holds (reply_parents): an answer to an email HighLevel sent
  // has in its In-Reply-To the Message-ID HighLevel gave it, which
  // HighLevel's API never shows (GetEmailMessageResponseDto has no such
  // field), while its References still name the thread's earlier messages.
  const std::vector<std::string> parents = reply_parents(data);
  const json::value* parent_email = nullptr;
  for (const auto& parent : parents) {
    // an email HighLevel sent through Accord as its Email provider went out
    // as <accord-hl.MESSAGEID.EMAILMESSAGEID@domain> (host
    // engine/email_crm_outbound): the answer names HighLevel's email itself
    std::string sent_through_accord;
    if (parent.rfind("accord-hl.", 0) == 0 && parent.find('@') != std::string::npos) {
      std::string ids = parent.substr(10, parent.find('@') - 10);
      if (auto dot = ids.find('.'); dot != std::string::npos) sent_through_accord = ids.substr(dot + 1);
    }
    for (const auto& e : emails())
      if (std::string a = strip_angles(text_at(e, "/altId"));
          a == parent || a == parent + kCopyMark + contact ||
          (!sent_through_accord.empty() && text_at(e, "/id") == sent_through_accord)) {
        parent_email = &e;
        break;
      }
    if (parent_email) break;
  }
  if (parent_email) {
    const json::value& e = *parent_email;
    // the inbound log threads by emailMessageId, the send by
    // replyMessageId and threadId: each where the create takes it
    auto takes = [&](const char* f) {
      return s.create.send_fields.empty() ||
             std::find(s.create.send_fields.begin(), s.create.send_fields.end(), std::string("/") + f) !=
                 s.create.send_fields.end();
    };
    auto& o = native.get_object();
    if (takes("emailMessageId")) o["emailMessageId"] = text_at(e, "/id");
    if (takes("replyMessageId")) o["replyMessageId"] = text_at(e, "/id");
    if (std::string t = text_at(e, "/threadId"); !t.empty() && takes("threadId")) o["threadId"] = t;
  }
  if (!files.empty()) {
    // uploaded into this conversation first, at most max_files a request;
    // the message carries their URLs. One the answer does not name (by the
    // unique name it went under), or refused as too large or of a type not
    // taken (413, 415: each of that request is then sent alone), is named in
    // the CRM's copy rather than fail the whole message.
    Vars u = base_vars(s);
    u[s.parent.var] = json::value(conv);
    u["contact_id"] = json::value(contact);
    json::array urls;
    std::vector<std::string> missing;
    auto upload = [&](const std::vector<RestClient::FormFile>& batch, auto& self) -> void {
      Answer up = rest_.call_form(s.upload, u, batch, {413, 415});
      if (up.status == 413 || up.status == 415) {
        if (batch.size() > 1) {
          for (const auto& f : batch) self(std::vector<RestClient::FormFile>{f}, self);
          return;
        }
        host().log(ACCORD_LOG_WARN, ("crm-rest: " + s.upload.path + " refused attachment " + batch[0].name + " (HTTP " +
                                     std::to_string(up.status) + "): it is named in the CRM's copy, not uploaded").c_str());
        missing.push_back(batch[0].name);
        return;
      }
      const json::value* got = at_ptr(up.body, s.upload.records);
      for (const auto& f : batch) {
        const json::value* url = got && got->is_object() ? got->get_object().if_contains(f.name) : nullptr;
        if (url && url->is_string() && !url->get_string().empty()) urls.push_back(*url);
        else missing.push_back(f.name);
      }
    };
    size_t per = s.upload.max_files > 0 ? static_cast<size_t>(s.upload.max_files) : files.size();
    for (size_t i = 0; i < files.size(); i += per)
      upload(std::vector<RestClient::FormFile>(files.begin() + static_cast<std::ptrdiff_t>(i),
                                               files.begin() + static_cast<std::ptrdiff_t>(std::min(files.size(), i + per))),
             upload);
    if (!missing.empty()) {
      // the note said again, naming these too
      host().log(ACCORD_LOG_WARN, ("crm-rest: " + s.upload.path + " answered no URL for " + std::to_string(missing.size()) +
                                   " of " + std::to_string(files.size()) + " attachments: they are named in the CRM's copy").c_str());
      json::value d = data;
      not_carried(d, missing, [&](const json::value& v) { return email_to_native(v).as_object(); }, native.get_object(),
                  {"html", "message"});
    }
    native.get_object()["attachments"] = std::move(urls);
  }
  vars["data"] = native;
  Answer a;
  try {
    a = rest_.call(s.create, vars);
  } catch (const LostAnswer& e) {
    have.reset();
    if (auto found = accord::kit::looking_after_loss(earlier)) {
      host().log(ACCORD_LOG_INFO, ("crm-rest: the answer to a " + s.name + " create was lost; the message it logged was "
                                   "found by its Message-ID (" + found->id + ")").c_str());
      return *found;
    }
    throw accord::kit::MaybeWritten(std::string(e.what()) + "; no message in the conversation carries its Message-ID yet: "
                                    "it is looked for again before it is sent again", 5000);
  }
  std::string eid = scalar_text(at_ptr(a.body, s.create.answer_id.empty() ? "/emailMessageId" : s.create.answer_id));
  if (std::string c = text_at(a.body, "/conversationId"); !c.empty()) conv = c;
  if (eid.empty())
    throw accord::Error(ACCORD_ERROR, s.create.method + " " + s.create.path + ": the answer holds no email message id at " +
                                      (s.create.answer_id.empty() ? "/emailMessageId" : s.create.answer_id));
  std::string id = conv + "/" + eid;
  try {
    Record r = fetch_one(s, id);
    return with_data(Result::ok(id, r.version), to_data(s, r.native));
  } catch (const accord::Error& e) {
    if (e.status() == ACCORD_CANCELLED || e.status() == ACCORD_AUTH_REQUIRED) throw;
    host().log(ACCORD_LOG_WARN, ("crm-rest: " + s.name + " " + id + " was logged, but reading it back failed: " + e.what()).c_str());
    return Result::ok(id);
  }
}

}  // namespace crm
