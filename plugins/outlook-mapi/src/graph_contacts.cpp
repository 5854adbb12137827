// SPDX-License-Identifier: Apache-2.0
// The graph backend's contact stream (graph_backend.hpp): contact folders,
// per-folder delta (contact-delta.md), creates with the idempotency key in a
// single-value extended property (singlevaluelegacyextendedproperty-post-
// singlevalueextendedproperties.md) found again by $filter
// (singlevaluelegacyextendedproperty-get.md), updates and deletes with
// If-Match (412 → CONFLICT).
#include "contact_map.hpp"
#include "graph_backend.hpp"

#include <accord/json/lenient.hpp>
#include <accord/net/http_client.hpp>

#include <map>

namespace json = boost::json;
using accord::json_read::str;
using accord::kit::Op;
using accord::kit::Result;
using accord::net::url_encode;

namespace outlook::graph {

namespace {

// The contact's fields a listing asks for: what the map reads, no photo.
constexpr const char* kSelect =
    "givenName,middleName,surname,title,generation,displayName,nickName,emailAddresses,businessPhones,homePhones,"
    "mobilePhone,businessAddress,homeAddress,otherAddress,companyName,department,jobTitle,personalNotes,birthday,"
    "businessHomePage,categories,parentFolderId,lastModifiedDateTime,changeKey";

// PR_SENSITIVITY ([MS-OXPROPS] PidTagSensitivity, [MS-OXCMSG]: 0 normal, 1
// personal, 2 private, 3 confidential) as a single-value extended property
// (extended-properties-overview.md: "Integer 0x0036"); Graph's contact has
// no sensitivity of its own. The record's `sensitivity` as the pst backend
// writes it (absent when normal): the not-private filter reads it.
using mail::kSensitivity;
using mail::sensitivity_name;

json::object sensitivity_property(const json::object& card) {
  return json::object{{"id", kSensitivity}, {"value", mail::sensitivity_value(str(card, "sensitivity"))}};
}

}  // namespace

// The contacts of `folder` whose sensitivity is not normal: id → its name
// ($filter on the extended property, singlevaluelegacyextendedproperty-get.md),
// read beside the delta listing, which asks for the contact's own fields only.
// PR_SENSITIVITY is an Integer, and that page says: "If {property_value} is not
// a string, make sure you explicitly cast `ep/value` to the appropriate Edm data
// type when comparing it with {property_value}" (its Request 4: "To compare the
// property value with an integer, cast `ep/value` to `Edm.Int32`": `cast(ep/value,
// Edm.Int32) eq 12`); the quoted-value form is for string-typed properties only.
std::map<std::string, std::string> Backend::sensitive_contacts(const std::string& folder) {
  std::map<std::string, std::string> out;
  std::string q =
      "singleValueExtendedProperties/Any(ep: ep/id eq " + odata_quote(kSensitivity) + " and cast(ep/value, Edm.Int32) ne 0)";
  each_page("/me/contactFolders/" + url_encode(folder) + "/contacts?$filter=" + url_encode(q) + "&$select=id&$expand=" +
                url_encode("singleValueExtendedProperties($filter=id eq " + odata_quote(kSensitivity) + ")"),
            [&](const json::array& v) {
              for (const auto& x : v)
                if (x.is_object())
                  if (std::string n = sensitivity_name(kept_key(x.get_object(), "singleValueExtendedProperties", "id",
                                                                kSensitivity, "value"));
                      !n.empty())
                    out[str(x.get_object(), "id")] = n;
              return false;
            });
  return out;
}

// The configured folders by id: "contacts" (the default folder, a well-known
// name), an id, or a display name among the folders under the default one.
const std::vector<Backend::Folder>& Backend::contact_folders() {
  if (contact_folders_) return *contact_folders_;
  std::vector<Folder> out;
  std::optional<json::array> all;
  for (const std::string& want : s_.contact_folders) {
    std::string id;
    if (auto f = get_one("/me/contactFolders/" + url_encode(want))) id = str(*f, "id");
    if (id.empty()) {
      if (!all) {
        all.emplace();
        each_page("/me/contactFolders?$select=id,displayName", [&](const json::array& v) {
          for (const auto& x : v) all->push_back(x);
          return false;
        });
      }
      for (const auto& x : *all)
        if (x.is_object() && str(x.get_object(), "displayName") == want) id = str(x.get_object(), "id");
    }
    if (id.empty())
      throw accord::Error(ACCORD_ERROR, "contact_folders: Outlook has no contact folder \"" + want + "\" (give "
                                        "\"contacts\", a folder's id or the display name of a folder under Contacts)");
    out.push_back(Folder{id, "/me/contactFolders/" + url_encode(id) + "/contacts/delta?$select=" + kSelect});
  }
  contact_folders_ = std::move(out);
  return *contact_folders_;
}

json::object Backend::contact_record(const json::object& g) const {
  json::object rec{{"id", str(g, "id")}, {"version", etag_of(g)}, {"data", contacts::to_card(g)}};
  if (std::string m = str(g, "lastModifiedDateTime"); !m.empty()) rec["modified"] = m;
  if (std::string k = extended_key(g); !k.empty()) rec["idempotency_key"] = k;
  return rec;
}

Result Backend::contact_result(const json::object& g) const {
  Result r = Result::ok(str(g, "id"), etag_of(g));
  r.data = contacts::to_card(g);
  return r;
}

namespace {

// A written contact's result with the sensitivity written (Graph's answer does not show it).
Result with_sensitivity(Result r, const json::object& card) {
  if (std::string n = sensitivity_name(str(sensitivity_property(card), "value")); !n.empty() && r.data)
    (*r.data)["sensitivity"] = n;
  return r;
}

}  // namespace

std::string Backend::read_contacts(const json::object& c, bool fresh) {
  const std::vector<Folder>& folders = contact_folders();
  return read_delta("contact", c, fresh, folders, [&](const json::array& items, bool full) {
    json::array records;
    for (const auto& v : items) {
      if (!v.is_object()) continue;
      const json::object& g = v.get_object();
      std::string id = str(g, "id");
      if (id.empty()) continue;
      if (g.contains("@removed")) {
        if (full) continue;
        // a contact moved from one synced folder to another is removed from
        // the first and added to the second under the same (immutable) id:
        // not a delete
        if (folders.size() > 1)
          if (auto now = get_one("/me/contacts/" + url_encode(id) + "?$select=parentFolderId"))
            if (std::any_of(folders.begin(), folders.end(), [&](const Folder& f) { return f.id == str(*now, "parentFolderId"); }))
              continue;
        records.push_back(json::object{{"id", id}, {"deleted", true}});
        continue;
      }
      json::object rec = contact_record(g);
      std::string folder = str(g, "parentFolderId");
      if (!sensitive_.count(folder)) sensitive_[folder] = sensitive_contacts(folder);
      if (auto it = sensitive_[folder].find(id); it != sensitive_[folder].end())
        rec["data"].as_object()["sensitivity"] = it->second;
      records.push_back(std::move(rec));
    }
    sensitive_.clear();  // read again for the next page: a later page may be read much later
    return records;
  });
}

// The contact an earlier try of a create made: the one of the create folder
// whose extended property holds the key.
std::optional<json::object> Backend::find_contact(const std::string& key, bool sensitivity) {
  if (key.empty()) return std::nullopt;
  std::string expand = sensitivity ? "singleValueExtendedProperties($filter=id eq " + odata_quote(kKeyProperty) +
                                         " or id eq " + odata_quote(kSensitivity) + ")"
                                   : key_expand();
  std::string path = "/me/contactFolders/" + url_encode(contact_folders().front().id) + "/contacts?$filter=" +
                     url_encode(key_filter(key)) + "&$expand=" + url_encode(expand);
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

namespace {

// A new contact's body: only what the card has, the sensitivity and the key
// in extended properties.
json::object contact_body(const Op& op) {
  json::object body = contacts::to_graph(op.data);
  for (auto it = body.begin(); it != body.end();)
    it = (it->value().is_null() || (it->value().is_array() && it->value().get_array().empty()) ||
          (it->value().is_object() && it->value().get_object().empty()))
             ? body.erase(it)
             : it + 1;
  json::array props;
  if (!str(op.data, "sensitivity").empty()) props.push_back(sensitivity_property(op.data));
  if (!op.idempotency_key.empty()) props.push_back(json::object{{"id", kKeyProperty}, {"value", op.idempotency_key}});
  if (!props.empty()) body["singleValueExtendedProperties"] = props;
  return body;
}

}  // namespace

// Contact creates, updates and deletes through $batch (Backend::send_batch).
// A create's entry carries its key as a single create does: a batch whose
// answer is lost is not sent again; each create is looked for by its key.
void Backend::batch_contacts(const std::vector<Op>& ops, std::vector<std::optional<Result>>& done) {
  std::vector<BatchRequest> reqs, creates;
  for (size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    std::string url = "/me/contacts/" + url_encode(op.id);
    if (op.is_create() && !op.resend) {  // a resend looks for the contact first (apply_contact)
      creates.push_back(BatchRequest{i, "POST", "/me/contactFolders/" + url_encode(contact_folders().front().id) + "/contacts",
                                     contact_body(op)});
    } else if (op.is_update()) {
      json::object patch = contacts::to_graph(op.data);
      patch["singleValueExtendedProperties"] = json::array{sensitivity_property(op.data)};
      reqs.push_back(BatchRequest{i, "PATCH", url, std::move(patch)});
    } else if (op.is_delete()) {
      reqs.push_back(BatchRequest{i, "DELETE", url, std::nullopt});
    }
  }
  send_batch(ops, reqs, done, "contact", [&](const Op& op, const Answer& e) {
    if (op.is_delete()) return Result::ok(op.id);
    if (!e.body.is_object()) throw accord::Error(ACCORD_RETRY, "contact " + op.id + " was written; Outlook's answer had no contact", 5000);
    return with_sensitivity(contact_result(e.body.get_object()), op.data);
  });
  send_batch(ops, creates, done, "contact", [&](const Op& op, const Answer& e) {
    if (!e.body.is_object() || str(e.body.get_object(), "id").empty())
      throw accord::Error(ACCORD_RETRY, "a contact was made; Outlook's answer had no contact", 5000);
    return with_sensitivity(contact_result(e.body.get_object()), op.data);
  }, [&](const Op& op) -> std::optional<Result> {
    if (auto found = find_contact(op.idempotency_key)) return with_sensitivity(contact_result(*found), op.data);
    return std::nullopt;
  });
}

Result Backend::apply_contact(const Op& op) {
  const std::string folder = contact_folders().front().id;
  if (op.is_create()) {
    if (op.resend)
      if (auto found = find_contact(op.idempotency_key)) return with_sensitivity(contact_result(*found), op.data);
    json::object body = contact_body(op);
    std::string path = "/me/contactFolders/" + url_encode(folder) + "/contacts";
    Answer a;
    try {
      a = client_.call("POST", path, json::serialize(body));
    } catch (const LostAnswer& e) {
      if (auto found = accord::kit::looking_after_loss([&] { return find_contact(op.idempotency_key); }))
        return with_sensitivity(contact_result(*found), op.data);
      throw accord::kit::MaybeWritten(std::string(e.what()) + "; no contact carries its idempotency key yet: it is "
                                                              "looked for again before it is sent again", 5000);
    }
    if (!a.ok() || !a.body.is_object()) unusable("POST", path, a);
    json::object made = a.body.get_object();
    if (!op.idempotency_key.empty()) made["singleValueExtendedProperties"] = body["singleValueExtendedProperties"];
    return with_sensitivity(contact_result(made), op.data);
  }
  std::string path = "/me/contacts/" + url_encode(op.id);
  if (op.is_delete()) {
    Answer a = client_.call("DELETE", path, "", if_match(op), true);
    if (a.ok() || a.status == 404) return Result::ok(op.id);
    if (a.status == 412) return Result::conflict(failure(ACCORD_CONFLICT, "DELETE", path, a).what(), op.id);
    unusable("DELETE", path, a);
  }
  json::object patch = contacts::to_graph(op.data);
  patch["singleValueExtendedProperties"] = json::array{sensitivity_property(op.data)};
  Answer a = client_.call("PATCH", path, json::serialize(patch), if_match(op), true);
  if (a.status == 412) return Result::conflict(failure(ACCORD_CONFLICT, "PATCH", path, a, "the contact changed in Outlook since it was read").what(), op.id);
  if (a.status == 404) throw accord::Error(ACCORD_ERROR, "contact " + op.id + " is no longer in Outlook");
  if (!a.ok() || !a.body.is_object()) unusable("PATCH", path, a);
  return with_sensitivity(contact_result(a.body.get_object()), op.data);
}

}  // namespace outlook::graph
