// SPDX-License-Identifier: Apache-2.0
// Salesforce's email messages as the canonical message (jmap-email): an
// EmailMessage (Enhanced Email) with an EmailMessageRelation per contact,
// lead or user it is logged on, turned into the JMAP Email subset and back;
// a message logged in one Composite request (all or none), after one query
// that finds an earlier try of the same create (by MessageIdentifier, the
// Message-ID) and the message it replies to (which threads it).
//
// The message goes in with its final Status ("3" Sent, "1" Read, "0" New):
// EmailMessage's "Special Access Rules" say "The Status field is mostly
// read-only. You can change the status only from New to Read", so a Draft
// ("5") can never become Sent or Read afterwards. The same rules let only a
// user with the "Update Email Messages" permission change the
// EmailMessageRelation and ContentDocumentLink records of a message that
// is not a Draft (and ask that no other user be given it). So:
//   - the recipients are related through the message's own ToIds, CcIds
//     and BccIds (JunctionIdList, Create: "each ID is linked to an
//     EmailMessageRelation record"), in the insert itself; their addresses
//     are left out of ToAddress/CcAddress/BccAddress, which the field table
//     says hold only addresses of no contact, lead or user;
//   - the sender's relation (RelationType FromAddress) has no Ids field:
//     it is made (an EmailMessageRelation after the insert) only when the
//     configuration says the integration user has that permission
//     (variables.update_email_messages "true"); otherwise it is left out
//     (FromAddress keeps the address; Salesforce's reply and forward need
//     the relation, the page says);
//   - the attachments: with the permission, Salesforce Files (a
//     ContentVersion published to the message by FirstPublishLocationId,
//     which makes the ContentDocumentLink); without it, Attachment records
//     (ParentId the message; EmailMessage is among the parents the
//     Attachment page lists, and the access rule does not name them).
//     Bytes base64 in the JSON body, which "Insert or Update Blob Data"
//     limits to "50 MB of text data or 37.5 MB of base64-encoded data" (a
//     non-multipart body; the Composite pages give no size): the whole
//     request within 50 MB, each file within 37.5 MB; a file past that, or
//     past the Composite's 25 subrequests, is named in the body instead.
// All of it in one Composite request, all or none. A message found again
// (an earlier try, or one logged another way) that lacks relations gets
// them only if Salesforce lets this user add them; else the op fails saying
// which and what to do (nothing is made twice); it is never given files
// (an earlier try of this create made them with it, all or none).
//
// Native fields (Object Reference for the Salesforce Platform, EmailMessage
// and EmailMessageRelation; REST API Developer Guide, "Composite"):
//   EmailMessage: Id, Subject, TextBody, HtmlBody, Headers, FromAddress,
//     FromName, ToAddress, CcAddress, BccAddress (addresses joined by "; "),
//     MessageDate, Status (restricted picklist "0" New … "3" Sent … "5"
//     Draft), Incoming, MessageIdentifier, ThreadIdentifier,
//     ReplyToEmailMessageId, HasAttachment (read only), SystemModstamp; and
//     its relations through the child relationship EmailMessageRelations
//     (a SOQL subquery in the stream's fields).
//   EmailMessageRelation: EmailMessageId, RelationId, RelationType
//     (FromAddress | ToAddress | CcAddress | BccAddress), RelationAddress,
//     RelationObjectType (read only: Contact, Lead or User).
// In-Reply-To and References travel in Headers (EmailMessage has no field of
// its own for them), so that a listed message anchors its thread again.
// Never an update: a message that is not a draft takes none but
// IsExternallyVisible and custom fields (the object's page).
#include "crm_rest_p.hpp"
#include "message_contacts.hpp"

#include <accord/mail/message.hpp>
#include <accord/text/ascii.hpp>
#include <accord/text/join.hpp>

#include <algorithm>
#include <tuple>

namespace crm {

namespace {

std::string text_at(const json::value& v, const char* ptr) { return scalar_text(at_ptr(v, ptr)); }

std::string with_angles(const std::string& id) {
  if (id.empty() || id.front() == '<') return id;
  return "<" + id + ">";
}

// A SOQL string literal ("Quoted String Escape Sequences": \\ \' \n \r \t
// \" escaped with a backslash).
std::string soql_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) switch (c) {
      case '\\': out += "\\\\"; break;
      case '\'': out += "\\'"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out += c;
    }
  return out + "'";
}

// The addresses of a canonical address list (/to: [{name, email}]).
std::vector<std::string> emails_at(const json::value& data, const char* ptr) {
  std::vector<std::string> out;
  if (const json::value* v = at_ptr(data, ptr); v && v->is_array())
    for (const auto& a : v->get_array())
      if (std::string e = scalar_text(at_ptr(a, "/email")); !e.empty()) out.push_back(std::move(e));
  return out;
}

// At most `max` bytes of UTF-8, cut between characters (Salesforce counts
// characters; bytes are never fewer).
std::string cut_utf8(std::string s, size_t max, bool* cut = nullptr) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  if (cut) *cut = true;
  return s.substr(0, n);
}

// The field lengths of the object reference's field table (EmailMessage).
constexpr size_t kBodyMax = 131072, kHeadersMax = 32000, kAddressesMax = 4000, kSubjectMax = 3000;
// What one request may carry. The REST API Developer Guide's Composite
// pages ("Send Multiple Requests Using Composite", "Composite Batch",
// "Create Records Using sObject Collections") give counts only: 25
// subrequests, at most 5 of them queries or sObject Collections; 200
// records, 10 chunks. None gives a size in bytes. The one figure for a
// JSON body is "Insert or Update Blob Data"
// (developer.salesforce.com/docs/platform/api-rest/guide/
// dome-sobject-insert-update-blob.html): "You can insert or update blob
// data using a non-multipart message, but you are limited to 50 MB of text
// data or 37.5 MB of base64-encoded data" (37.5 MB of bytes are 50 MB once
// base64-encoded). A Composite request is one such message, so the whole
// JSON body (the message, its relations, every file base64-encoded) is
// kept within 50 MB, and each file within 37.5 MB; the 500 MB that page
// gives applies to multipart sObject Collections requests only. The page
// says "MB", not MiB: counted as 10^6 bytes, the stricter reading (50 MiB
// would send up to 2.4 MB more than a 50,000,000-byte limit takes).
constexpr size_t kBlobMax = 37'500'000, kJsonBodyMax = 50'000'000, kSubrequests = 25;

// The header field a relation's type names, and back.
constexpr std::pair<const char*, const char*> kRoles[] = {
    {"/from", "FromAddress"}, {"/to", "ToAddress"}, {"/cc", "CcAddress"}, {"/bcc", "BccAddress"}};

// The Salesforce object an id is of, by its key prefix (the first three
// characters: 003 Contact, 00Q Lead, 005 User; fixed across orgs).
std::string object_of(const std::string& id) {
  if (id.starts_with("003")) return "Contact";
  if (id.starts_with("00Q")) return "Lead";
  if (id.starts_with("005")) return "User";
  return "";
}

// A mailbox as a header's text: the name quoted (RFC 5322 quoted-string).
std::string mailbox_text(const std::string& name, const std::string& address) {
  if (name.empty()) return address;
  std::string q = "\"";
  for (char c : name)
    if (c != '\r' && c != '\n') q += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return q + "\" <" + address + ">";
}

}  // namespace

json::value CrmRest::sf_email_to_data(const json::value& n) {
  // The EmailMessage's fields as the header block they come from, read by
  // libs/mail as the mail connectors read one (addresses, message ids).
  std::string h;
  auto add = [&](const char* name, const std::string& v) {
    if (!v.empty() && v.find_first_of("\r\n") == std::string::npos) h += std::string(name) + ": " + v + "\r\n";
  };
  add("Message-ID", with_angles(text_at(n, "/MessageIdentifier")));
  std::string stored = text_at(n, "/Headers");
  add("In-Reply-To", accord::mail::header_value(stored, "In-Reply-To"));
  add("References", accord::mail::header_value(stored, "References"));
  if (std::string f = text_at(n, "/FromAddress"); !f.empty()) add("From", mailbox_text(text_at(n, "/FromName"), f));
  // a contact's, lead's or user's address is in its relation (ToIds…), not
  // in the address field: the field's addresses, then the relations' (sorted)
  const json::value* rels = at_ptr(n, "/EmailMessageRelations/records");
  for (const auto& [name, field, type] : {std::tuple{"To", "/ToAddress", "ToAddress"}, {"Cc", "/CcAddress", "CcAddress"},
                                          {"Bcc", "/BccAddress", "BccAddress"}}) {
    std::string v = text_at(n, field);
    std::replace(v.begin(), v.end(), ';', ',');
    std::string low = "," + accord::ascii_lower(v) + ",";
    std::vector<std::string> more;
    if (rels && rels->is_array())
      for (const auto& r : rels->get_array())
        if (std::string a = text_at(r, "/RelationAddress"); text_at(r, "/RelationType") == type && !a.empty() &&
                                                             a.find_first_of(",;\r\n") == std::string::npos) {
          std::string la = accord::ascii_lower(a);
          bool listed = low.find("," + la + ",") != std::string::npos || low.find(", " + la + ",") != std::string::npos;
          if (!listed && std::find(more.begin(), more.end(), a) == more.end()) more.push_back(a);
        }
    std::sort(more.begin(), more.end());
    for (const auto& a : more) v += (v.empty() ? "" : ", ") + a;
    add(name, v);
  }
  json::object c = accord::mail::header_fields(h);
  if (const json::value* s = at_ptr(n, "/Subject"); s && s->is_string()) c["subject"] = *s;
  if (std::string t = text_at(n, "/ThreadIdentifier"); !t.empty()) c["threadId"] = t;
  if (const json::value* d = at_ptr(n, "/MessageDate"))
    if (auto ms = parse_time_ms(*d)) c["sentAt"] = format_time(*ms, "iso8601");
  json::object bodies;
  if (std::string t = text_at(n, "/TextBody"); !t.empty()) bodies["text"] = json::object{{"value", t}};
  if (std::string t = text_at(n, "/HtmlBody"); !t.empty()) bodies["html"] = json::object{{"value", t}};
  if (!bodies.empty()) c["bodyValues"] = std::move(bodies);
  if (const json::value* i = at_ptr(n, "/Incoming"); i && i->is_bool()) c["direction"] = i->get_bool() ? "inbound" : "outbound";
  // the contacts and leads it is logged on (a user's relation is the
  // mailbox's own side, not a contact), in one order whatever the answer's
  std::vector<std::string> ids;
  if (const json::value* rs = at_ptr(n, "/EmailMessageRelations/records"); rs && rs->is_array())
    for (const auto& r : rs->get_array()) {
      std::string id = text_at(r, "/RelationId"), type = text_at(r, "/RelationObjectType");
      if (id.empty() || type == "User" || (type.empty() && object_of(id) == "User")) continue;
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    }
  std::sort(ids.begin(), ids.end());
  if (!ids.empty()) {
    json::array a;
    for (auto& id : ids) a.emplace_back(id);
    c["contactIds"] = std::move(a);
  }
  if (const json::value* a = at_ptr(n, "/HasAttachment"); a && a->is_bool()) c["hasAttachment"] = a->get_bool();
  return c;
}

json::value CrmRest::sf_email_to_native(const json::value& d) {
  json::object n;
  // the bodies with what was left out said (the engine's /crmNote, the
  // attachments not carried), as HighLevel's copy says it
  json::value said = email_to_native(d);
  bool cut = false;
  std::string text = cut_utf8(text_at(said, "/message"), kBodyMax - 200, &cut);
  std::string html = cut_utf8(text_at(said, "/html"), kBodyMax - 200, &cut);
  if (cut) {
    const char* note = "(cut here: Salesforce keeps at most 131,072 characters of a body)";
    if (!text.empty()) text += std::string("\n\n") + note;
    if (!html.empty()) html += std::string("<p>") + note + "</p>";
  }
  if (!text.empty()) n["TextBody"] = text;
  if (!html.empty()) n["HtmlBody"] = html;
  if (std::string s = text_at(d, "/subject"); !s.empty()) n["Subject"] = cut_utf8(s, kSubjectMax);
  if (std::string f = text_at(d, "/from/0/email"); !f.empty()) n["FromAddress"] = f;
  if (std::string f = text_at(d, "/from/0/name"); !f.empty()) n["FromName"] = cut_utf8(f, 1000);
  for (const auto& [ptr, field] : {std::pair{"/to", "ToAddress"}, {"/cc", "CcAddress"}, {"/bcc", "BccAddress"}})
    if (std::string v = accord::join(emails_at(d, ptr), "; "); !v.empty()) n[field] = cut_utf8(v, kAddressesMax);
  if (const json::value* t = at_ptr(d, "/sentAt"))
    if (auto ms = parse_time_ms(*t)) n["MessageDate"] = format_time(*ms, "iso8601");
  bool outbound = text_at(d, "/direction") == "outbound";
  n["Incoming"] = !outbound;
  // Status: "3" Sent for a sent message; a received one "1" Read once the
  // mailbox has it seen, else "0" New
  const json::value* seen = at_ptr(d, "/keywords/$seen");
  n["Status"] = outbound ? "3" : (seen && seen->is_bool() && seen->get_bool()) ? "1" : "0";
  if (std::string m = text_at(d, "/messageId/0"); !m.empty()) n["MessageIdentifier"] = with_angles(m);
  std::string headers;
  auto ids = [&](const char* ptr) {
    std::vector<std::string> v;
    if (const json::value* a = at_ptr(d, ptr); a && a->is_array())
      for (const auto& x : a->get_array())
        if (std::string s = scalar_text(&x); !s.empty() && s.find_first_of("\r\n") == std::string::npos) v.push_back(with_angles(s));
    return v;
  };
  std::vector<std::string> reply = ids("/inReplyTo"), refs = ids("/references");
  if (!reply.empty()) headers += "In-Reply-To: " + accord::join(reply, " ") + "\r\n";
  if (!refs.empty()) headers += "References: " + accord::join(refs, " ") + "\r\n";
  if (!headers.empty() && headers.size() <= kHeadersMax) n["Headers"] = headers;
  // the thread: its first message's id (References' first, else the one
  // replied to, else this one); a reply to a logged message takes that
  // message's (create_sf_email)
  std::string root = !refs.empty() ? refs[0] : !reply.empty() ? reply[0] : text_at(n, "/MessageIdentifier");
  if (!root.empty()) n["ThreadIdentifier"] = root;
  return n;
}

// The contacts a message is logged on (message_contacts): each of
// /createContacts upserted on the contact stream's external id ("email:" +
// the address in lower case), so that a create repeated after a crash
// finds the contact it made.
std::vector<std::string> CrmRest::sf_contacts(const StreamSpec& s, const json::value& data) {
  return message_contacts(s.name, data, [&](const std::string& address, const std::string& name) -> std::string {
    std::string email = accord::ascii_lower(address);
    if (s.contacts_stream.empty())
      throw accord::Error(ACCORD_UNSUPPORTED, "stream " + s.name + " names no contacts stream to make " + email + " in");
    const StreamSpec& cs = stream_spec(s.contacts_stream);
    if (!cs.upsert.present)
      throw accord::Error(ACCORD_UNSUPPORTED, "stream " + cs.name + " has no upsert to make a message's contact with");
    std::string key = "email:" + email;
    if (key.size() > 64)  // (Accord_Id__c is Text(64))
      throw accord::Error(ACCORD_ERROR, "the address " + email + " is too long for the contact's external id (" +
                                            std::to_string(key.size()) + " characters of 64): make the contact in Salesforce");
    // LastName is required: the name's last word, else the address's local part
    std::string first, last = name;
    if (size_t sp = name.rfind(' '); sp != std::string::npos) first = name.substr(0, sp), last = name.substr(sp + 1);
    if (last.empty()) last = email.substr(0, email.find('@'));
    json::object rec{{"LastName", last}, {"Email", email}};
    if (!first.empty()) rec["FirstName"] = first;
    Vars v = base_vars(cs);
    v["key"] = json::value(key);
    v["data"] = std::move(rec);
    Answer a = rest_.call(cs.upsert, v);
    std::string id = text_at(a.body, cs.upsert.answer_id.empty() ? "/id" : cs.upsert.answer_id.c_str());
    if (id.empty()) throw accord::Error(ACCORD_ERROR, cs.upsert.method + " " + cs.upsert.path + ": the answer holds no contact id");
    return id;
  });
}

// One EmailMessageRelation for each header field a contact's address is in
// (FromAddress, ToAddress, CcAddress, BccAddress): the contacts', leads'
// and users' addresses read in a collection GET per object; a contact whose
// address is in none (changed since) is related as the sender of a
// received message or a recipient of a sent one.
json::array CrmRest::sf_relations(const std::vector<std::string>& contacts, const json::value& data) {
  std::map<std::string, std::vector<std::string>> by_object;
  for (const auto& id : contacts)
    if (std::string o = object_of(id); !o.empty()) by_object[o].push_back(id);
  std::map<std::string, std::string> address;  // as Salesforce holds it (RelationAddress takes it so)
  for (const auto& [object, ids] : by_object) {
    Request r;
    r.path = "/composite/sobjects/" + object;
    r.query = {{"ids", accord::join(ids, ",")}, {"fields", "Id,Email"}};
    r.present = r.idempotent = true;
    Answer a = rest_.call(r, {});
    if (a.body.is_array())
      for (const auto& rec : a.body.get_array())
        if (rec.is_object()) address[text_at(rec, "/Id")] = text_at(rec, "/Email");
  }
  bool outbound = text_at(data, "/direction") == "outbound";
  json::array out;
  for (const auto& id : contacts) {
    std::string addr = address.count(id) ? address[id] : "";
    bool any = false;
    for (const auto& [ptr, type] : kRoles) {
      std::vector<std::string> in = emails_at(data, ptr);
      bool here = !addr.empty() && std::any_of(in.begin(), in.end(), [&](const std::string& e) {
        return accord::ascii_lower(e) == accord::ascii_lower(addr);
      });
      if (!here) continue;
      any = true;
      out.push_back(json::object{{"RelationId", id}, {"RelationType", type}, {"RelationAddress", addr}});
    }
    if (!any) {
      json::object rel{{"RelationId", id}, {"RelationType", outbound ? "ToAddress" : "FromAddress"}};
      if (!addr.empty()) rel["RelationAddress"] = addr;
      out.push_back(std::move(rel));
    }
  }
  return out;
}

// The path of the API root (base_url's: "/services/data/v59.0"), which a
// Composite subrequest's url starts with.
std::string CrmRest::sf_api_path() const {
  const std::string& b = spec_.base_url;
  size_t scheme = b.find("://");
  size_t slash = b.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  std::string p = slash == std::string::npos ? "" : b.substr(slash);
  while (!p.empty() && p.back() == '/') p.pop_back();
  return p;
}

// Relations a message found again lacks (one logged another way, or
// contacts related since): made in sObject Collections of 200, all or none,
// which Salesforce allows on a Draft, or for a user with the "Update Email
// Messages" permission; refused (INSUFFICIENT_ACCESS_OR_READONLY), the op
// fails naming what is missing and what to do. Returns the relations it
// holds now.
json::array CrmRest::sf_add_relations(const std::string& message_id, const json::value& found, const json::array& want) {
  json::array have;
  if (const json::value* rs = at_ptr(found, "/EmailMessageRelations/records"); rs && rs->is_array()) have = rs->get_array();
  std::vector<json::value> missing;
  for (const auto& w : want) {
    bool there = std::any_of(have.begin(), have.end(), [&](const json::value& h) {
      return text_at(h, "/RelationId") == text_at(w, "/RelationId") && text_at(h, "/RelationType") == text_at(w, "/RelationType");
    });
    if (!there) missing.push_back(w);
  }
  for (size_t i = 0; i < missing.size(); i += 200) {
    json::array items;
    for (size_t j = i; j < std::min(missing.size(), i + 200); ++j) {
      json::object o = missing[j].get_object();
      o["attributes"] = json::object{{"type", "EmailMessageRelation"}};
      o["EmailMessageId"] = message_id;
      items.push_back(std::move(o));
    }
    Request r;
    r.method = "POST";
    r.path = "/composite/sobjects";
    r.body = json::value("{data}");
    r.present = true;
    r.idempotent = false;
    Answer a;
    try {
      a = rest_.call(r, {{"data", json::object{{"allOrNone", true}, {"records", items}}}});
    } catch (const LostAnswer& e) {
      throw accord::kit::MaybeWritten(std::string(e.what()) + "; the message's relations are looked for again before "
                                      "they are made again", 5000);
    }
    if (a.body.is_array()) {
      // the item that failed says why (the others were only rolled back)
      std::string why;
      for (const auto& res : a.body.get_array()) {
        const json::value* ok = at_ptr(res, "/success");
        std::string code = text_at(res, "/errors/0/statusCode");
        if ((ok && ok->is_bool() && ok->get_bool()) || (code == "ALL_OR_NONE_OPERATION_ROLLED_BACK" && !why.empty())) continue;
        why = code + ": " + text_at(res, "/errors/0/message");
        if (code == "INSUFFICIENT_ACCESS_OR_READONLY") {
          std::vector<std::string> names;
          for (const auto& m : missing) names.push_back(text_at(m, "/RelationType") + " " + text_at(m, "/RelationId"));
          throw accord::Error(ACCORD_ERROR, "EmailMessage " + message_id + " (" + text_at(found, "/MessageIdentifier") +
                                                ") is already logged but is not related to " + accord::join(names, ", ") +
                                                ", and Salesforce refused to add that (" + why + "): only a user with the "
                                                "\"Update Email Messages\" permission may change the relations of a message "
                                                "that is not a draft. Relate it in Salesforce, or give the integration user "
                                                "that permission; it is not logged a second time");
        }
        if (code != "ALL_OR_NONE_OPERATION_ROLLED_BACK") break;
      }
      if (!why.empty()) throw accord::Error(ACCORD_ERROR, "POST /composite/sobjects (EmailMessageRelation, all or none): " + why);
      for (size_t k = 0; k < a.body.get_array().size(); ++k) {
        const json::value& res = a.body.get_array()[k];
        json::object rel = items[k].get_object();
        rel.erase("attributes");
        rel["Id"] = text_at(res, "/id");
        have.push_back(std::move(rel));
      }
    }
  }
  return have;
}

Result CrmRest::create_sf_email(const StreamSpec& s, const Op& op) {
  if (!s.create.present) throw accord::Error(ACCORD_UNSUPPORTED, "stream " + s.name + " has no create endpoint");
  if (!s.lookup.present) throw accord::Error(ACCORD_ERROR, "stream " + s.name + " needs its lookup (the query by MessageIdentifier)");
  json::value data = op.data.empty() ? json::value(json::object{}) : json::value(op.data);
  json::value native = sf_email_to_native(data);
  // the idempotency key: the Message-ID, else the host's key
  std::string mid = text_at(native, "/MessageIdentifier");
  if (mid.empty() && !op.idempotency_key.empty()) native.get_object()["MessageIdentifier"] = mid = with_angles(op.idempotency_key);
  if (mid.empty()) throw accord::Error(ACCORD_ERROR, "stream " + s.name + ": a message to log needs its Message-ID (/messageId)");
  // the message it replies to, else the latest of its References that is
  // logged (reply_parents: an answer to a mail sent from the CRM names in
  // its In-Reply-To a Message-ID no EmailMessage may carry)
  // (at most 20: the query travels in the URL, and Salesforce takes at most
  // 16,384 bytes of URI and headers; help article 000386264)
  std::vector<std::string> parents;
  for (const auto& p : reply_parents(data))
    if (p != strip_angles(mid) && parents.size() < 20) parents.push_back(with_angles(p));
  std::vector<std::string> contacts = sf_contacts(s, data);

  // An earlier try of this create, and the messages it may reply to, in one
  // query (MessageIdentifier is filterable).
  auto query = [&]() {
    std::vector<std::string> keys{soql_quote(mid)};
    for (const auto& p : parents) keys.push_back(soql_quote(p));
    Vars v = base_vars(s);
    v["keys"] = json::value(accord::join(keys, ","));
    Answer a = rest_.call(s.lookup, v);
    const json::value* recs = at_ptr(a.body, s.lookup.records);
    return recs && recs->is_array() ? recs->get_array() : json::array{};
  };
  auto same = [](const json::value& r, const std::string& id) {
    return strip_angles(text_at(r, "/MessageIdentifier")) == strip_angles(id);
  };
  json::array relations = sf_relations(contacts, data);
  // the integration user has "Update Email Messages" (the configuration says so)
  auto var = [&](const std::string& k) {
    auto it = s.variables.find(k);
    if (it != s.variables.end()) return it->second;
    auto g = spec_.variables.find(k);
    return g != spec_.variables.end() ? g->second : std::string();
  };
  const bool permitted = var("update_email_messages") == "true";
  // found: the record, its relations completed (the sender's only with the permission)
  auto answer = [&](json::value rec) {
    std::string id = text_at(rec, "/Id");
    json::array want;
    for (const auto& r : relations)
      if (permitted || text_at(r, "/RelationType") != "FromAddress") want.push_back(r);
    json::array rels = sf_add_relations(id, rec, want);
    rec.get_object()["EmailMessageRelations"] = json::object{{"totalSize", rels.size()}, {"done", true}, {"records", rels}};
    return with_data(Result::ok(id, text_at(rec, s.version.c_str())), sf_email_to_data(rec));
  };
  const json::array found = query();
  for (const auto& r : found)
    if (same(r, mid)) {
      host().log(ACCORD_LOG_INFO, ("crm-rest: " + s.name + ": " + mid + " is already logged (" + text_at(r, "/Id") +
                                   "): an earlier try of this create made it").c_str());
      return answer(r);
    }
  [&] {
    for (const auto& p : parents)  // the first of them logged
      for (const auto& r : found)
        if (same(r, p)) {
          native.get_object()["ReplyToEmailMessageId"] = text_at(r, "/Id");
          if (std::string t = text_at(r, "/ThreadIdentifier"); !t.empty()) native.get_object()["ThreadIdentifier"] = t;
          return;
        }
  }();

  // The recipients' relations through ToIds/CcIds/BccIds, in the insert;
  // their addresses out of the address fields. The sender's relations
  // (FromAddress) as records after it, with the permission only.
  json::array senders, made;
  {
    constexpr std::tuple<const char*, const char*, const char*> kFields[] = {
        {"/to", "ToAddress", "ToIds"}, {"/cc", "CcAddress", "CcIds"}, {"/bcc", "BccAddress", "BccIds"}};
    json::object& o = native.get_object();
    for (const auto& [ptr, type, ids_field] : kFields) {
      json::array ids;
      std::vector<std::string> related, rest;
      for (const auto& r : relations)
        if (text_at(r, "/RelationType") == type) {
          json::value id(text_at(r, "/RelationId"));
          if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(std::move(id));
          related.push_back(accord::ascii_lower(text_at(r, "/RelationAddress")));
          made.push_back(r);
        }
      for (auto& e : emails_at(data, ptr))
        if (std::find(related.begin(), related.end(), accord::ascii_lower(e)) == related.end()) rest.push_back(std::move(e));
      if (!ids.empty()) o[ids_field] = std::move(ids);
      if (std::string v = accord::join(rest, "; "); !v.empty()) o[type] = cut_utf8(v, kAddressesMax);
      else o.erase(type);
    }
    for (const auto& r : relations)
      if (text_at(r, "/RelationType") == "FromAddress") senders.push_back(r);
  }
  if (!permitted && !senders.empty()) {
    std::vector<std::string> names;
    for (const auto& r : senders) names.push_back(text_at(r, "/RelationId"));
    host().log(ACCORD_LOG_INFO, ("crm-rest: " + s.name + ": " + mid + " is logged without its sender's relation (" +
                                 accord::join(names, ", ") + "): only a user with the \"Update Email Messages\" permission "
                                 "may relate the sender of a message that is not a draft (set variables.update_email_messages "
                                 "to \"true\" when the integration user has it)").c_str());
    senders.clear();
  }
  for (const auto& r : senders) made.push_back(r);
  // Composite, all or none, so that a create killed or refused half-way has
  // made nothing: the message with its final Status, the sender's
  // relations, the files, then the message read back.
  const std::string api = sf_api_path();
  if (senders.size() > kSubrequests - 2)
    throw accord::Error(ACCORD_ERROR, "stream " + s.name + ": " + mid + " would relate " + std::to_string(senders.size()) +
                                          " records as its sender, more than one Composite request holds (" +
                                          std::to_string(kSubrequests - 2) + "): relate it in Salesforce");
  // The attachments' bytes (message_files: those within the email_crm
  // rule, each at most 37.5 MB, marked "@upload"), then as many as the
  // Composite's subrequests and its 50 MB JSON body hold together (each
  // file base64-encoded, with its subrequest's fields; the rest of the body
  // measured as sent, and the note the body gains naming the files left
  // out counted at its longest); any other one unmarked, so that the body
  // names it.
  std::vector<RestClient::FormFile> files;
  {
    std::vector<RestClient::FormFile> all = message_files(data, kBlobMax, "a Salesforce JSON body");
    std::vector<std::string> left;
    size_t slots = kSubrequests - 2 - senders.size();
    size_t body = json::serialize(native).size() + 4096;  // (the envelope, the read-back subrequest)
    for (const auto& r : senders) body += json::serialize(r).size() + 256;
    for (const auto& f : all) body += 2 * (f.name.size() + 8);  // (the note, in TextBody and HtmlBody)
    for (auto& f : all) {
      size_t one = 4 * ((f.bytes.size() + 2) / 3) + 2 * f.name.size() + f.type.size() + 512;
      if (files.size() < slots && body + one <= kJsonBodyMax) {
        body += one;
        files.push_back(std::move(f));
        continue;
      }
      host().log(ACCORD_LOG_WARN, ("crm-rest: " + s.name + ": " + mid + ": attachment " + f.name + " (" + std::to_string(f.bytes.size()) +
                                   " bytes) does not fit in the Composite request beside the message and its other files (25 "
                                   "subrequests, a JSON body of 50 MB): it is named in the body, not carried").c_str());
      left.push_back(f.name);
    }
    // the body (made before the files were marked) names only the files not carried
    if (!files.empty())
      not_carried(data, left, [&](const json::value& d) { return sf_email_to_native(d).as_object(); }, native.get_object(),
                  {"TextBody", "HtmlBody"});
  }
  json::array sub;
  sub.push_back(json::object{{"method", "POST"}, {"url", api + "/sobjects/EmailMessage"}, {"referenceId", "message"}, {"body", native}});
  for (size_t i = 0; i < senders.size(); ++i) {
    json::object body = senders[i].get_object();
    body["EmailMessageId"] = "@{message.id}";
    sub.push_back(json::object{{"method", "POST"}, {"url", api + "/sobjects/EmailMessageRelation"},
                               {"referenceId", "relation" + std::to_string(i)}, {"body", std::move(body)}});
  }
  for (size_t i = 0; i < files.size(); ++i) {
    files[i].name = cut_utf8(std::move(files[i].name), 255);  // (Name, Title: 255)
    json::object body;
    std::string object;
    if (permitted) {  // Salesforce Files: the ContentVersion publishes its document to the message
      object = "ContentVersion";
      body = {{"Title", files[i].name}, {"PathOnClient", files[i].name},
              {"VersionData", accord::mail::base64_encode(files[i].bytes)}, {"FirstPublishLocationId", "@{message.id}"}};
    } else {  // an Attachment on the message (no link the access rule names)
      object = "Attachment";
      body = {{"Name", files[i].name}, {"Body", accord::mail::base64_encode(files[i].bytes)}, {"ParentId", "@{message.id}"}};
      if (!files[i].type.empty()) body["ContentType"] = files[i].type;
    }
    sub.push_back(json::object{{"method", "POST"}, {"url", api + "/sobjects/" + object}, {"referenceId", "file" + std::to_string(i)},
                               {"body", std::move(body)}});
  }
  sub.push_back(json::object{{"method", "GET"}, {"url", api + "/sobjects/EmailMessage/@{message.id}"}, {"referenceId", "read"}});
  Vars vars = base_vars(s);
  vars["data"] = json::object{{"allOrNone", true}, {"compositeRequest", std::move(sub)}};
  Answer a;
  try {
    a = rest_.call(s.create, vars);
  } catch (const LostAnswer& e) {
    for (const auto& r : accord::kit::looking_after_loss(query))
      if (same(r, mid)) {
        host().log(ACCORD_LOG_INFO, ("crm-rest: the answer to a " + s.name + " create was lost; the message it logged was "
                                     "found by its MessageIdentifier (" + text_at(r, "/Id") + ")").c_str());
        return answer(r);
      }
    throw accord::kit::MaybeWritten(std::string(e.what()) + "; no EmailMessage carries its MessageIdentifier yet: "
                                    "it is looked for again before it is sent again", 5000);
  }
  const json::value* results = at_ptr(a.body, "/compositeResponse");
  if (!results || !results->is_array())
    throw accord::Error(ACCORD_ERROR, "POST " + s.create.path + ": the answer holds no compositeResponse");
  std::string id, why;
  json::value read;
  for (const auto& r : results->get_array()) {
    long status = static_cast<long>(at_ptr(r, "/httpStatusCode") && at_ptr(r, "/httpStatusCode")->is_number()
                                        ? at_ptr(r, "/httpStatusCode")->to_number<int64_t>() : 0);
    std::string ref = text_at(r, "/referenceId");
    if (status >= 400) {
      // the subrequest that failed says why; the others were only halted
      std::string code = text_at(r, "/body/0/errorCode");
      if (code != "PROCESSING_HALTED" || why.empty())
        why = ref + ": " + code + ": " + text_at(r, "/body/0/message");
      if (code != "PROCESSING_HALTED") break;
      continue;
    }
    if (ref == "message") id = text_at(r, "/body/id");
    if (ref == "read" && at_ptr(r, "/body")) read = *at_ptr(r, "/body");
  }
  if (!why.empty())
    throw accord::Error(ACCORD_ERROR, "POST " + s.create.path + " (EmailMessage " + mid + ", all or none: nothing was made): " + why);
  if (id.empty()) throw accord::Error(ACCORD_ERROR, "POST " + s.create.path + ": the answer holds no EmailMessage id");
  if (!read.is_object()) read = json::object{{"Id", id}};
  read.get_object()["EmailMessageRelations"] = json::object{{"totalSize", made.size()}, {"done", true}, {"records", made}};
  return with_data(Result::ok(id, text_at(read, s.version.c_str())), sf_email_to_data(read));
}

}  // namespace crm
