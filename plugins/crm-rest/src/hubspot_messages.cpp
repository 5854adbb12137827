// SPDX-License-Identifier: Apache-2.0
// HubSpot's email engagements as the canonical message (a jmap-email stream
// with email_api "hubspot"): one engagement (CRM object `emails`) holds a
// message, associated with every contact it is logged on; the contacts a
// message asks to be made (/createContacts) are upserted by email first.
// What it must never do: log a message twice. A create carries the
// message's key in the account's unique property accord_id (the Message-ID,
// else the host's idempotency key) and is looked for by it before it is
// sent again; the associations go in the create itself, and those an
// earlier try did not make are added one by one (PUT, idempotent).
//
// HubSpot's documents (the route comments of tests/peers/hubspot_fake.js
// name the same):
//   - "Activities | Email" (developers.hubspot.com, crm/activities/emails
//     guide): POST /crm/v3/objects/emails with properties hs_timestamp
//     (required), hs_email_direction (EMAIL: sent, or logged by BCC;
//     INCOMING_EMAIL: a reply to a logged email; FORWARDED_EMAIL),
//     hs_email_status, hs_email_subject, hs_email_text, hs_email_html,
//     hs_email_headers (a JSON text: from {email, firstName, lastName}, to,
//     cc, bcc lists of the same; HubSpot fills the read-only
//     hs_email_from_email, hs_email_to_email… from it), and an associations
//     list; the CRM Emails OpenAPI (HubSpot-public-api-spec-collection,
//     CRM/Emails v3): SimplePublicObjectInputForCreate, GET …/{emailId}
//     with idProperty (a property whose values are unique).
//   - Associations v4 (CRM/Associations v4 OpenAPI): PUT
//     /crm/v4/objects/{from}/{id}/associations/default/{to}/{toId} (the
//     default type), POST /crm/v4/associations/{from}/{to}/batch/read
//     ({inputs: [{id}]} → results [{from: {id}, to: [{toObjectId}]}]);
//     the default email → contact type is 198 (HUBSPOT_DEFINED).
//   - Contacts: batch upsert with idProperty "email" (the contacts guide:
//     "email address is the primary unique identifier").
// Threads: HubSpot documents no writable Message-ID or thread property, so
// the thread is kept in the account's text property accord_thread_id: a
// reply takes the thread of the message it answers (found by its
// accord_id), else of the latest of its References so found, else the
// first of its References, else its own Message-ID.
// Attachments: each (its bytes out of /raw, within the engine's email_crm
// attachments rule) uploaded through the Files API, then listed by id in
// the email's hs_attachment_ids (the "Activities | Email" guide: "The IDs
// of the email's attachments. Multiple attachment IDs are separated by a
// semicolon"). The Files guide and the Files v3 OpenAPI (Files/Files
// v3, "Upload file"): POST /files/v3/files, multipart/form-data with file
// (required), options (a JSON text of FileUploadOptions: access required;
// duplicateValidationStrategy NONE | REJECT | RETURN_EXISTING,
// duplicateValidationScope ENTIRE_PORTAL | EXACT_FOLDER, overwrite, ttl),
// folderPath or folderId (one of them, not both; a path that does not
// exist is made), fileName; 201 File {id, name, extension, path, size,
// access, …}. "Retrieve file by path": GET /files/v3/files/stat/{path} →
// FileStat {file | folder}. An upload goes into a folder of its own message
// (kAttachmentFolder/<the key, escaped>), PRIVATE ("requires a signed URL
// to see content": mail is not for the public), RETURN_EXISTING within that
// folder: a try sent again after a kill, a lost answer or a failed create
// gets the file the first try made rather than a second one; a resend, and
// an upload whose answer was lost, read the file by its path first. One
// HubSpot refuses (400, 413, 415: too large, a type it does not take) is
// named in the email's body instead, as one not carried.
#include "crm_rest_p.hpp"
#include "message_contacts.hpp"

#include <accord/json/exact.hpp>
#include <accord/text/ascii.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace crm {

namespace {

// Associations v4: the default association type of an email to a contact
constexpr int kEmailToContact = 198;
// The Files folder under which each message's attachments get a folder
constexpr const char* kAttachmentFolder = "/accord-email-attachments";

// A key (a Message-ID) as one folder name, one to one: letters, digits and
// ".@+-" as they are, any other byte (and "_") as "_" and two hex digits.
std::string folder_name(const std::string& key) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : key)
    if (std::isalnum(c) || c == '.' || c == '@' || c == '+' || c == '-') out += static_cast<char>(c);
    else out += std::string("_") + hex[c >> 4] + hex[c & 15];
  return out;
}

std::string prop(const json::value& n, const char* name) {
  return scalar_text(at_ptr(n, std::string("/properties/") + name));
}
std::string text_of(const json::value& v, const char* ptr) { return scalar_text(at_ptr(v, ptr)); }

// A canonical address {name, email} as hs_email_headers holds one: the
// name split at its last space into firstName and lastName.
json::object header_address(const json::value& a) {
  json::object o{{"email", text_of(a, "/email")}};
  std::string name = text_of(a, "/name");
  if (size_t sp = name.rfind(' '); !name.empty()) {
    o["firstName"] = sp == std::string::npos ? name : name.substr(0, sp);
    if (sp != std::string::npos) o["lastName"] = name.substr(sp + 1);
  }
  return o;
}

// The other way: {email, firstName, lastName} → {name, email}.
json::object canonical_address(const json::value& h) {
  json::object o{{"email", text_of(h, "/email")}};
  std::string name = text_of(h, "/firstName");
  if (std::string last = text_of(h, "/lastName"); !last.empty()) name += (name.empty() ? "" : " ") + last;
  if (!name.empty()) o["name"] = name;
  return o;
}

Request hubspot_request(std::string method, std::string path, std::optional<json::value> body = std::nullopt) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  r.present = true;
  r.idempotent = true;  // reads, upserts and associations: sending one again does no harm
  return r;
}

}  // namespace

json::value CrmRest::hubspot_email_to_data(const json::value& n) {
  json::object c;
  // the key is a Message-ID when it has one (an "@"), else the host's key
  if (std::string key = prop(n, "accord_id"); key.find('@') != std::string::npos)
    c["messageId"] = json::array{json::value(strip_angles(key))};
  if (std::string t = prop(n, "accord_thread_id"); !t.empty()) c["threadId"] = t;
  if (const json::value* s = at_ptr(n, "/properties/hs_email_subject"); s && s->is_string()) c["subject"] = *s;
  if (std::string h = prop(n, "hs_email_headers"); !h.empty()) {
    boost::system::error_code ec;
    json::value hv = accord::json_exact::parse(h, ec);
    if (!ec && hv.is_object()) {
      if (const json::value* f = hv.get_object().if_contains("from"); f && f->is_object() && !text_of(*f, "/email").empty())
        c["from"] = json::array{canonical_address(*f)};
      for (const char* k : {"to", "cc", "bcc"})
        if (const json::value* l = hv.get_object().if_contains(k); l && l->is_array() && !l->get_array().empty()) {
          json::array out;
          for (const auto& a : l->get_array())
            if (!text_of(a, "/email").empty()) out.push_back(canonical_address(a));
          if (!out.empty()) c[k] = std::move(out);
        }
    }
  }
  if (const json::value* t = at_ptr(n, "/properties/hs_timestamp"))
    if (auto ms = parse_time_ms(*t)) c["sentAt"] = format_time(*ms, "iso8601");
  json::object bodies;
  if (std::string html = prop(n, "hs_email_html"); !html.empty()) bodies["html"] = json::object{{"value", html}};
  if (std::string text = prop(n, "hs_email_text"); !text.empty()) bodies["text"] = json::object{{"value", text}};
  if (!bodies.empty()) c["bodyValues"] = std::move(bodies);
  if (std::string d = prop(n, "hs_email_direction"); !d.empty()) c["direction"] = d == "EMAIL" ? "outbound" : "inbound";
  json::array ids;
  if (const json::value* r = at_ptr(n, "/associations/contacts/results"); r && r->is_array())
    for (const auto& a : r->get_array())
      if (std::string id = text_of(a, "/id"); !id.empty() && std::find(ids.begin(), ids.end(), json::value(id)) == ids.end())
        ids.emplace_back(id);
  if (!ids.empty()) c["contactIds"] = std::move(ids);
  c["hasAttachment"] = !prop(n, "hs_attachment_ids").empty();
  return c;
}

json::value CrmRest::hubspot_email_to_native(const json::value& d) {
  json::object p;
  // the body with what was left out said in it, as the HighLevel form has it
  json::value words = email_to_native(d);
  int64_t at = now_ms();
  for (const char* k : {"/sentAt", "/receivedAt"})
    if (const json::value* t = at_ptr(d, k))
      if (auto ms = parse_time_ms(*t)) {
        at = *ms;
        break;
      }
  p["hs_timestamp"] = format_time(at, "iso8601");
  p["hs_email_direction"] = text_of(d, "/direction") == "outbound" ? "EMAIL" : "INCOMING_EMAIL";
  p["hs_email_status"] = "SENT";
  if (const json::value* s = at_ptr(d, "/subject"); s && s->is_string()) p["hs_email_subject"] = *s;
  if (std::string t = text_of(words, "/message"); !t.empty()) p["hs_email_text"] = t;
  if (std::string h = text_of(words, "/html"); !h.empty()) p["hs_email_html"] = h;
  json::object headers;
  if (const json::value* f = at_ptr(d, "/from/0"); f && !text_of(*f, "/email").empty()) headers["from"] = header_address(*f);
  for (const char* k : {"to", "cc", "bcc"}) {
    json::array l;
    if (const json::value* v = at_ptr(d, std::string("/") + k); v && v->is_array())
      for (const auto& a : v->get_array())
        if (!text_of(a, "/email").empty()) l.push_back(header_address(a));
    headers[k] = std::move(l);
  }
  p["hs_email_headers"] = json::serialize(headers);
  std::string mid = strip_angles(text_of(d, "/messageId/0"));
  if (!mid.empty()) p["accord_id"] = mid;
  std::string thread = strip_angles(text_of(d, "/references/0"));
  if (thread.empty()) thread = strip_angles(text_of(d, "/inReplyTo/0"));
  if (thread.empty()) thread = mid;
  if (!thread.empty()) p["accord_thread_id"] = thread;
  return json::object{{"properties", std::move(p)}};
}

// The contacts of each record in body's `records` array (an array, or one
// record), put in as a read with ?associations=contacts answers them
// (/associations/contacts/results [{id, type}]): a search answers none, so
// one Associations v4 batch read a page fills them in. An email that has
// none is left out of the answer or named in its errors: it gets none.
void CrmRest::hubspot_email_contacts(const StreamSpec& s, json::value& body, const std::string& records) {
  boost::system::error_code ec;
  json::value* recs = records.empty() ? &body : body.find_pointer(records, ec);
  if (!recs) return;
  std::vector<json::value*> each;
  if (recs->is_array())
    for (auto& r : recs->get_array()) each.push_back(&r);
  else if (recs->is_object())
    each.push_back(recs);
  json::array inputs;
  for (json::value* r : each)
    if (r->is_object() && !r->get_object().contains("associations")) inputs.push_back(json::object{{"id", text_of(*r, "/id")}});
  if (inputs.empty()) return;
  const std::string& to = stream_spec(s.contacts_stream.empty() ? "contact" : s.contacts_stream).object;
  std::map<std::string, json::array> found;
  for (size_t i = 0; i < inputs.size(); i += 100) {
    json::array part(inputs.begin() + static_cast<std::ptrdiff_t>(i),
                     inputs.begin() + static_cast<std::ptrdiff_t>(std::min(inputs.size(), i + 100)));
    Request rq = hubspot_request("POST", "/crm/v4/associations/{object}/{to_object}/batch/read",
                                 json::value(json::object{{"inputs", std::move(part)}}));
    Vars v = base_vars(s);
    v["to_object"] = json::value(to);
    Answer a = rest_.call(rq, v, {207});
    if (const json::value* res = at_ptr(a.body, "/results"); res && res->is_array())
      for (const auto& r : res->get_array())
        if (const json::value* tv = at_ptr(r, "/to"); tv && tv->is_array())
          for (const auto& t : tv->get_array())
            found[text_of(r, "/from/id")].push_back(
                json::object{{"id", scalar_text(at_ptr(t, "/toObjectId"))}, {"type", "email_to_contact"}});
  }
  for (json::value* r : each)
    if (r->is_object() && !r->get_object().contains("associations"))
      r->get_object()["associations"] =
          json::object{{"contacts", json::object{{"results", std::move(found[text_of(*r, "/id")])}}}};
}

// The email an earlier try made: read by the unique property accord_id
// (GET …/{key}?idProperty=accord_id, not the search, whose index lags
// writes), with its contacts. Where the account's accord_id on emails is
// not a unique-value property (HubSpot documents unique custom properties
// for contacts, companies, deals, tickets and custom objects, not for
// emails) that read is refused (400 VALIDATION_ERROR "Unable to perform …
// by non-unique … property"); the CRM search filtered on accord_id (EQ)
// looks instead, and *by_search is set: its "none" may only mean the
// index has not caught up.
std::optional<json::value> CrmRest::hubspot_email_by_key(const StreamSpec& s, const std::string& key, bool* by_search) {
  if (by_search) *by_search = false;
  if (key.empty() || !s.get.present) return std::nullopt;
  Request g = s.get;
  g.query.emplace_back("idProperty", "accord_id");
  Vars v = base_vars(s);
  v["id"] = json::value(key);
  Answer a = rest_.call(g, v, {404, 400});
  if (a.status == 404) return std::nullopt;
  const json::value* rec = nullptr;
  json::value found;
  if (a.status == 400) {
    std::string why = error_text(a.body, a.raw.body);
    std::string low = accord::ascii_lower(why);
    if (low.find("unique") == std::string::npos)
      throw accord::Error(ACCORD_ERROR, "GET " + s.get.path + "?idProperty=accord_id answered 400: " + why);
    if (by_search) *by_search = true;
    json::array props;
    for (const auto& f : s.fields) props.push_back(json::value(f));
    json::object filter{{"propertyName", "accord_id"}, {"operator", "EQ"}, {"value", key}};
    Request q = hubspot_request("POST", "/crm/v3/objects/{object}/search",
                                json::value(json::object{
                                    {"filterGroups", json::array{json::object{{"filters", json::array{std::move(filter)}}}}},
                                    {"sorts", json::array{json::object{{"propertyName", "hs_object_id"}, {"direction", "ASCENDING"}}}},
                                    {"properties", std::move(props)},
                                    {"limit", 1}}));
    Answer sa = rest_.call(q, v);
    found = sa.body;
    rec = at_ptr(found, "/results/0");
  } else {
    rec = at_ptr(a.body, s.get.record);
  }
  if (!rec || !rec->is_object() || prop(*rec, "accord_id") != key) return std::nullopt;
  json::value out = *rec;
  hubspot_email_contacts(s, out, "");
  return out;
}

// The first of `keys`, in their order, that a logged email carries as its
// accord_id: one request for them all, not one each (a reply names up to
// every earlier message of its thread in References). "Read a batch of
// objects by internal ID, or unique property values" (POST
// /crm/v3/objects/{objectType}/batch/read, BatchReadInputSimplePublicObjectId:
// idProperty, inputs [{id}] up to 100, properties): 200, or 207 with an
// OBJECT_NOT_FOUND error for the ids no email carries. Where accord_id is not
// a unique-value property of emails that read is refused (400, as the single
// read is) and the search looks instead: one EQ filter per group, the groups
// ORed, five groups a request (the search's limit since 2024-08-26, HubSpot's
// changelog "Expanded Filtering Capabilities … in HubSpot's Search API").
std::optional<json::value> CrmRest::hubspot_first_logged(const StreamSpec& s, const std::vector<std::string>& keys) {
  if (keys.empty()) return std::nullopt;
  std::map<std::string, json::value> found;
  json::array props{json::value("accord_id"), json::value("accord_thread_id")};
  bool by_search = false;
  for (size_t i = 0; i < keys.size() && !by_search; i += 100) {
    json::array inputs;
    for (size_t j = i; j < std::min(keys.size(), i + 100); ++j) inputs.push_back(json::object{{"id", keys[j]}});
    Request rq = hubspot_request("POST", "/crm/v3/objects/{object}/batch/read",
                                 json::value(json::object{{"idProperty", "accord_id"}, {"inputs", std::move(inputs)},
                                                          {"properties", props}, {"propertiesWithHistory", json::array{}}}));
    Answer a = rest_.call(rq, base_vars(s), {400});
    if (a.status == 400) {
      std::string why = error_text(a.body, a.raw.body);
      if (accord::ascii_lower(why).find("unique") == std::string::npos)
        throw accord::Error(ACCORD_ERROR, "POST /crm/v3/objects/emails/batch/read by accord_id answered 400: " + why);
      by_search = true;
      break;
    }
    if (const json::value* res = at_ptr(a.body, "/results"); res && res->is_array())
      for (const auto& r : res->get_array())
        if (std::string k = prop(r, "accord_id"); !k.empty()) found.emplace(k, r);
  }
  if (by_search) {
    found.clear();
    for (size_t i = 0; i < keys.size(); i += 5) {
      json::array groups;
      for (size_t j = i; j < std::min(keys.size(), i + 5); ++j)
        groups.push_back(json::object{
            {"filters", json::array{json::object{{"propertyName", "accord_id"}, {"operator", "EQ"}, {"value", keys[j]}}}}});
      Request q = hubspot_request("POST", "/crm/v3/objects/{object}/search",
                                  json::value(json::object{{"filterGroups", std::move(groups)}, {"properties", props},
                                                           {"limit", 100}}));
      Answer sa = rest_.call(q, base_vars(s));
      if (const json::value* res = at_ptr(sa.body, "/results"); res && res->is_array())
        for (const auto& r : res->get_array())
          if (std::string k = prop(r, "accord_id"); !k.empty()) found.emplace(k, r);
      // (the first of the keys, in their order, is wanted: stop once this
      // request's keys hold one)
      if (std::any_of(keys.begin() + static_cast<std::ptrdiff_t>(i),
                      keys.begin() + static_cast<std::ptrdiff_t>(std::min(keys.size(), i + 5)),
                      [&](const std::string& k) { return found.contains(k); }))
        break;
    }
  }
  for (const auto& k : keys)
    if (auto it = found.find(k); it != found.end()) return it->second;
  return std::nullopt;
}

// The contacts the message is logged on (message_contacts): each of
// /createContacts upserted by its email (a create repeated after a crash
// finds the contact the first made).
std::vector<std::string> CrmRest::hubspot_contacts_of(const StreamSpec& s, const json::value& data) {
  return message_contacts(s.name, data, [&](const std::string& email, const std::string& name) {
    if (s.contacts_stream.empty())
      throw accord::Error(ACCORD_ERROR, "stream " + s.name + ": /createContacts needs the stream's contacts (set contacts)");
    json::object props{{"email", email}};
    json::object names = header_address(json::object{{"email", email}, {"name", name}});
    for (const char* k : {"firstName", "lastName"})
      if (const json::value* v = names.if_contains(k)) props[k == std::string("firstName") ? "firstname" : "lastname"] = *v;
    json::object input{{"idProperty", "email"}, {"id", email}, {"properties", std::move(props)}};
    Request up = hubspot_request("POST", "/crm/v3/objects/{object}/batch/upsert",
                                 json::value(json::object{{"inputs", json::array{std::move(input)}}}));
    Answer a = rest_.call(up, base_vars(stream_spec(s.contacts_stream)));
    std::string id = text_of(a.body, "/results/0/id");
    if (id.empty())
      throw accord::Error(ACCORD_ERROR, "POST " + up.path + ": the answer holds no contact for " + email + ": " +
                                            error_text(a.body, a.raw.body));
    return id;
  });
}

// The files of a message to log, uploaded into its folder (see the top of
// this file): their ids, ";"-joined, for hs_attachment_ids. A file HubSpot
// refuses is named in `refused` (by its upload name) and left out. When
// `look_first` (the create may have been sent before), each is read by its
// path first and uploaded only when not there.
std::string CrmRest::hubspot_upload(const StreamSpec& s, const std::string& key,
                                    const std::vector<RestClient::FormFile>& files, bool look_first,
                                    std::vector<std::string>& refused) {
  std::string folder = std::string(kAttachmentFolder) + "/" + folder_name(key);
  // the file a try before made (same path, same size), by "Retrieve file by path"
  auto stat = [&](const std::string& name, size_t size) -> std::string {
    std::string path = "/files/v3/files/stat" + std::string(kAttachmentFolder) + "/" + url_encode(folder_name(key)) + "/" +
                       url_encode(name);
    Answer a = rest_.call(hubspot_request("GET", path), base_vars(s), {404});
    if (a.status == 404) return "";
    std::string id = text_of(a.body, "/file/id");
    const json::value* sz = at_ptr(a.body, "/file/size");
    const json::value* gone = at_ptr(a.body, "/file/archived");
    bool same = sz && sz->is_number() && sz->to_number<int64_t>() == static_cast<int64_t>(size);
    return same && !(gone && gone->is_bool() && gone->get_bool()) ? id : "";
  };
  json::object options{{"access", "PRIVATE"}, {"duplicateValidationStrategy", "RETURN_EXISTING"},
                       {"duplicateValidationScope", "EXACT_FOLDER"}, {"overwrite", false}};
  Request up = hubspot_request("POST", "/files/v3/files",
                               json::value(json::object{{"options", "{options}"}, {"folderPath", "{folder}"}, {"fileName", "{file_name}"}}));
  up.file_field = "file";
  up.idempotent = false;  // a file sent twice is two files, save for RETURN_EXISTING
  std::string ids;
  for (const auto& f : files) {
    // (a path's "/" is HubSpot's: none in a file's name)
    std::string name = f.name;
    std::replace(name.begin(), name.end(), '/', '_');
    std::replace(name.begin(), name.end(), '\\', '_');
    std::string id = look_first ? stat(name, f.bytes.size()) : "";
    if (id.empty()) {
      Vars v = base_vars(s);
      v["options"] = json::value(json::serialize(options));
      v["folder"] = json::value(folder);
      v["file_name"] = json::value(name);
      RestClient::FormFile one{name, f.type, f.bytes};
      Answer a;
      try {
        a = rest_.call_form(up, v, {one}, {400, 413, 415});
      } catch (const LostAnswer& e) {
        id = accord::kit::looking_after_loss([&] { return stat(name, f.bytes.size()); });
        if (id.empty())
          throw accord::kit::MaybeWritten(std::string(e.what()) + "; no file " + folder + "/" + name +
                                              " yet: the message is tried again (its upload finds the file if made)", 5000);
      }
      if (id.empty() && a.status / 100 != 2) {
        host().log(ACCORD_LOG_WARN, ("crm-rest: POST /files/v3/files refused attachment " + name + " (HTTP " +
                                     std::to_string(a.status) + ": " + error_text(a.body, a.raw.body) +
                                     "): it is named in the email's body, not attached").c_str());
        refused.push_back(f.name);
        continue;
      }
      if (id.empty()) id = text_of(a.body, "/id");
      if (id.empty()) throw accord::Error(ACCORD_ERROR, "POST /files/v3/files: the answer holds no file id for " + name);
    }
    ids += (ids.empty() ? "" : ";") + id;
  }
  return ids;
}

// How long HubSpot's search may lag a write, in seconds: the search guide
// ("Search the CRM", Limits: "It may take a few moments for newly created
// or updated CRM objects to appear in search results";
// developers.hubspot.com/docs/api-reference/search/guide) gives no figure,
// so the default is a conservative hour, far past "a few moments";
// variables.search_lag_s sets another (the tests, an account that knows).
int64_t CrmRest::search_lag_s(const StreamSpec& s) const {
  constexpr int64_t kDefault = 3600;
  const std::string* v = nullptr;
  if (auto it = s.variables.find("search_lag_s"); it != s.variables.end()) v = &it->second;
  else if (auto g = spec_.variables.find("search_lag_s"); g != spec_.variables.end()) v = &g->second;
  if (!v) return kDefault;
  char* end = nullptr;
  long long n = std::strtoll(v->c_str(), &end, 10);
  if (v->empty() || *end || n < 0)
    throw accord::Error(ACCORD_ERROR, "variables.search_lag_s must be a whole number of seconds, not \"" + *v + "\"");
  return n;
}

// Whether a resend's search that found nothing is to be believed: the
// latest try that may have written (the host's sent_at: the first try, or a
// later one answered maybe_written) was sent longer ago than the search may
// lag. Then how long ago ("2 h 5 s"), else "" (too recent, or the host did
// not say: older hosts send no sent_at).
std::string CrmRest::search_settled(const StreamSpec& s, const Op& op) {
  if (!op.sent_at) return "";
  auto first = accord::utc::parse_iso8601_ms(*op.sent_at);
  if (!first) {
    host().log(ACCORD_LOG_WARN, ("crm-rest: sent_at \"" + *op.sent_at + "\" is not an RFC 3339 time: "
                                 "the resend is treated as recent").c_str());
    return "";
  }
  int64_t ago_s = (now_ms() - *first) / 1000;
  if (ago_s < search_lag_s(s)) return "";
  std::string out;
  if (int64_t h = ago_s / 3600) out += std::to_string(h) + " h ";
  if (int64_t m = ago_s / 60 % 60) out += std::to_string(m) + " min ";
  return out + std::to_string(ago_s % 60) + " s";
}

Result CrmRest::create_hubspot_email(const StreamSpec& s, const Op& op) {
  if (!s.create.present) throw accord::Error(ACCORD_UNSUPPORTED, "stream " + s.name + " has no create endpoint");
  json::value data = op.data.empty() ? json::value(json::object{}) : json::value(op.data);
  // the attachments to upload, marked in data (the body names the others)
  std::vector<RestClient::FormFile> files = message_files(data, 0, "POST /files/v3/files");
  // (a copy, not a reference into the body: the body grows below)
  json::object props = hubspot_email_to_native(data).at("properties").as_object();
  std::string key = scalar_text(props.if_contains("accord_id"));
  if (key.empty()) key = op.idempotency_key;
  if (key.empty())
    throw accord::Error(ACCORD_ERROR, "stream " + s.name + ": a message to log needs a Message-ID or an idempotency key");
  props["accord_id"] = key;
  if (!props.contains("accord_thread_id")) props["accord_thread_id"] = key;
  std::vector<std::string> contacts = hubspot_contacts_of(s, data);
  const std::string& contact_object = stream_spec(s.contacts_stream.empty() ? "contact" : s.contacts_stream).object;

  // A found email (an earlier try of this create) gets the associations it
  // lacks, one default association each.
  auto complete = [&](json::value found, const char* how) -> Result {
    std::string id = text_of(found, "/id");
    if (!at_ptr(found, "/associations/contacts/results"))
      found.as_object()["associations"] = json::object{{"contacts", json::object{{"results", json::array{}}}}};
    boost::system::error_code ec;
    json::array* have = &found.find_pointer("/associations/contacts/results", ec)->as_array();
    for (const auto& c : contacts) {
      bool there = std::any_of(have->begin(), have->end(), [&](const json::value& a) { return text_of(a, "/id") == c; });
      if (there) continue;
      Request put = hubspot_request("PUT", "/crm/v4/objects/{object}/{id}/associations/default/{to_object}/{to_id}");
      Vars v = base_vars(s);
      v["id"] = json::value(id);
      v["to_object"] = json::value(contact_object);
      v["to_id"] = json::value(c);
      (void)rest_.call(put, v);
      have->push_back(json::object{{"id", c}, {"type", "email_to_contact"}});
    }
    host().log(ACCORD_LOG_INFO, ("crm-rest: " + s.name + ": the email " + key + " was found (" + how + ", id " + id +
                                 "), not logged again").c_str());
    return with_data(Result::ok(id, to_record(s, found).version), hubspot_email_to_data(found));
  };

  // a reply joins the thread of the message it answers, where that one is
  // logged, else of the latest logged of its References (reply_parents: an
  // answer to a mail sent from the CRM names in its In-Reply-To a
  // Message-ID no logged email carries)
  std::vector<std::string> parents = reply_parents(data);
  parents.erase(std::remove(parents.begin(), parents.end(), key), parents.end());
  if (auto p = hubspot_first_logged(s, parents))
    if (std::string t = prop(*p, "accord_thread_id"); !t.empty()) props["accord_thread_id"] = t;
  // A create sent before (a resend after a crash) is sent again only when a
  // reliable look-up found nothing: the read by unique accord_id, or the
  // search once its lag has passed since the latest try that may have
  // written (the host's sent_at; search_lag_s). Before that the search's
  // "none" may be its index lagging that try's write.
  const std::string lag_words = "; no email carries accord_id " + key + " in HubSpot's search (accord_id is not a "
                                "unique-value property of emails, so the search looks), whose index may lag an earlier "
                                "try's write: the next run looks again before anything is sent again";
  if (op.resend) {
    bool by_search = false;
    if (auto found = hubspot_email_by_key(s, key, &by_search)) return complete(std::move(*found), "an earlier try made it");
    if (by_search) {
      std::string since = search_settled(s, op);
      // a plain retry: this try only looked and wrote nothing (the host
      // keeps it a resend, its sent_at unchanged)
      if (since.empty()) throw accord::Error(ACCORD_RETRY, "the create of message " + key + " was sent before" + lag_words, 30000);
      host().log(ACCORD_LOG_WARN, ("crm-rest: " + s.name + ": the create of message " + key + " was last sent at " +
                                   op.sent_at.value_or("") + ", " + since +
                                   " ago, and HubSpot's search still finds no email carrying its accord_id: that try "
                                   "made none, and it is logged now")
                                      .c_str());
    }
  }

  if (!files.empty()) {
    std::vector<std::string> refused;
    std::string ids = hubspot_upload(s, key, files, op.resend, refused);
    if (!ids.empty()) props["hs_attachment_ids"] = ids;
    if (!refused.empty())  // the body names these too
      not_carried(data, refused, [&](const json::value& d) { return hubspot_email_to_native(d).at("properties").as_object(); },
                  props, {"hs_email_text", "hs_email_html"});
  }

  json::array assoc;
  for (const auto& c : contacts)
    assoc.push_back(json::object{
        {"to", json::object{{"id", c}}},
        {"types", json::array{json::object{{"associationCategory", "HUBSPOT_DEFINED"}, {"associationTypeId", kEmailToContact}}}}});
  Vars vars = base_vars(s);
  vars["data"] = json::object{{"properties", props}, {"associations", std::move(assoc)}};
  Answer a;
  try {
    // 409: the unique accord_id is taken: an earlier try made it
    a = rest_.call(s.create, vars, {409});
  } catch (const LostAnswer& e) {
    bool by_search = false;
    if (auto found = accord::kit::looking_after_loss([&] { return hubspot_email_by_key(s, key, &by_search); }))
      return complete(std::move(*found), "its create's answer was lost");
    // maybe written: this try may have made it (its time becomes sent_at)
    if (by_search) throw accord::kit::MaybeWritten(e.what() + lag_words, 30000);
    throw accord::kit::MaybeWritten(std::string(e.what()) + "; no email carries its accord_id yet: it is looked for again "
                                    "before it is sent again", 5000);
  }
  if (a.status == 409) {
    if (auto found = hubspot_email_by_key(s, key)) return complete(std::move(*found), "its accord_id was taken");
    throw accord::Error(ACCORD_ERROR, "POST " + s.create.path + " answered 409 (" + error_text(a.body, a.raw.body) +
                                          ") but no email carries accord_id " + key);
  }
  json::value rec = a.body;
  std::string id = text_of(rec, "/id");
  if (!rec.is_object() || id.empty())
    throw accord::Error(ACCORD_ERROR, "POST " + s.create.path + ": the answer holds no email id");
  json::array made;
  for (const auto& c : contacts) made.push_back(json::object{{"id", c}, {"type", "email_to_contact"}});
  rec.get_object()["associations"] = json::object{{"contacts", json::object{{"results", std::move(made)}}}};
  // (the answer holds only the properties sent; the rest is HubSpot's own)
  for (const auto& [k, v] : props)
    if (!at_ptr(rec, "/properties/" + std::string(k))) rec.at("properties").as_object()[k] = v;
  return with_data(Result::ok(id, to_record(s, rec).version), hubspot_email_to_data(rec));
}

}  // namespace crm
