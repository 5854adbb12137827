// SPDX-License-Identifier: Apache-2.0
// Graph contact ⇄ JSContact Card (contact_map.hpp).
#include "contact_map.hpp"

#include "card_entries.hpp"

#include <accord/json/lenient.hpp>

#include <boost/json.hpp>

#include <utility>

namespace json = boost::json;
using accord::json_read::arr;
using accord::json_read::flag;
using accord::json_read::obj;
using accord::json_read::str;
using accord::json_read::strings;

namespace outlook::contacts {

namespace {

// Name components in vCard N's order.
constexpr std::pair<const char*, const char*> kName[] = {
    {"title", "title"}, {"givenName", "given"}, {"middleName", "given2"}, {"surname", "surname"}, {"generation", "credential"}};
// physicalAddress ⇄ address components
constexpr std::pair<const char*, const char*> kAdr[] = {
    {"street", "name"}, {"city", "locality"}, {"state", "region"}, {"postalCode", "postcode"}, {"countryOrRegion", "country"}};
// Outlook's three addresses and the context each stands for.
constexpr std::pair<const char*, const char*> kAddresses[] = {
    {"businessAddress", "work"}, {"homeAddress", "private"}, {"otherAddress", ""}};

json::object contexts(const char* c) { return json::object{{c, true}}; }

std::string context_of(const json::object& e) {
  const json::object* c = obj(e, "contexts");
  if (flag(c, "work")) return "work";
  if (flag(c, "private")) return "private";
  return "";
}

}  // namespace

json::object to_card(const json::object& g) {
  using cards::put;
  json::object c{{"@type", "Card"}, {"version", "1.0"}, {"kind", "individual"}};
  json::object name;
  json::array comps;
  for (auto [k, kind] : kName)
    if (std::string v = str(g, k); !v.empty()) comps.push_back(json::object{{"kind", kind}, {"value", v}});
  if (!comps.empty()) name["components"] = std::move(comps);
  if (std::string full = str(g, "displayName"); !full.empty()) name["full"] = full;
  if (!name.empty()) c["name"] = std::move(name);
  if (std::string n = str(g, "nickName"); !n.empty()) put(c, "nicknames", "k", {{"name", n}});
  if (const json::array* a = arr(g, "emailAddresses"))
    for (const auto& v : *a)
      if (v.is_object())
        if (std::string addr = str(v.get_object(), "address"); !addr.empty()) put(c, "emails", "e", {{"address", addr}});
  for (const std::string& n : strings(g, "businessPhones")) put(c, "phones", "p", {{"number", n}, {"contexts", contexts("work")}});
  for (const std::string& n : strings(g, "homePhones")) put(c, "phones", "p", {{"number", n}, {"contexts", contexts("private")}});
  if (std::string m = str(g, "mobilePhone"); !m.empty())
    put(c, "phones", "p", {{"number", m}, {"features", json::object{{"mobile", true}}}});
  for (auto [k, ctx] : kAddresses) {
    const json::object* a = obj(g, k);
    if (!a) continue;
    json::array parts;
    for (auto [f, kind] : kAdr)
      if (std::string v = str(*a, f); !v.empty()) parts.push_back(json::object{{"kind", kind}, {"value", v}});
    if (parts.empty()) continue;
    json::object ad{{"components", std::move(parts)}};
    if (*ctx) ad["contexts"] = contexts(ctx);
    put(c, "addresses", "a", std::move(ad));
  }
  std::string company = str(g, "companyName"), dept = str(g, "department");
  if (!company.empty() || !dept.empty()) {
    json::object org{{"name", company}};
    if (!dept.empty()) org["units"] = json::array{json::object{{"name", dept}}};
    put(c, "organizations", "o", std::move(org));
  }
  if (std::string t = str(g, "jobTitle"); !t.empty()) put(c, "titles", "t", {{"name", t}, {"kind", "title"}});
  if (std::string n = str(g, "personalNotes"); !n.empty()) put(c, "notes", "n", {{"note", n}});
  if (std::string b = str(g, "birthday"); b.size() >= 10) {
    // a DateTimeOffset; Outlook keeps the day (at midnight or 11:00 local): the date part is the birthday
    auto num = [&](size_t at, size_t n) { return std::stoll(b.substr(at, n)); };
    try {
      json::object date{{"@type", "PartialDate"}, {"year", num(0, 4)}, {"month", num(5, 2)}, {"day", num(8, 2)}};
      put(c, "anniversaries", "b", {{"kind", "birth"}, {"date", std::move(date)}});
    } catch (const std::exception&) {
      // not a date: left out
    }
  }
  if (std::string u = str(g, "businessHomePage"); !u.empty()) put(c, "links", "l", {{"uri", u}, {"contexts", contexts("work")}});
  if (std::vector<std::string> cats = strings(g, "categories"); !cats.empty()) {
    json::object kw;
    for (const std::string& k : cats) kw[k] = true;
    c["keywords"] = std::move(kw);
  }
  return c;
}

json::object to_graph(const json::object& card) {
  using cards::entries;
  json::object g;
  for (auto [k, kind] : kName) g[k] = nullptr;
  g["displayName"] = nullptr;
  if (const json::object* n = obj(card, "name")) {
    if (const json::array* comps = arr(*n, "components"))
      for (const auto& cv : *comps) {
        if (!cv.is_object()) continue;
        std::string kind = str(cv.get_object(), "kind"), v = str(cv.get_object(), "value");
        for (auto [k, want] : kName)
          if (kind == want) g[k] = g[k].is_string() ? std::string(g[k].get_string()) + " " + v : v;
      }
    if (std::string full = str(*n, "full"); !full.empty()) g["displayName"] = full;
  }
  g["nickName"] = nullptr;
  for (const json::object* e : entries(card, "nicknames")) {
    g["nickName"] = str(*e, "name");
    break;
  }
  json::array emails, business, home;
  for (const json::object* e : entries(card, "emails"))
    if (emails.size() < 3) emails.push_back(json::object{{"address", str(*e, "address")}});
  json::value mobile = nullptr;
  for (const json::object* e : entries(card, "phones")) {
    std::string n = str(*e, "number");
    if (n.empty()) continue;
    if (flag(obj(*e, "features"), "mobile") && mobile.is_null()) mobile = n;
    else if (context_of(*e) == "private") home.push_back(json::value(n));
    else business.push_back(json::value(n));  // Outlook's first choice, "Business"
  }
  g["emailAddresses"] = std::move(emails);
  g["businessPhones"] = std::move(business);
  g["homePhones"] = std::move(home);
  g["mobilePhone"] = std::move(mobile);
  // each address to the slot of its context; the rest to the free ones in order
  json::object slots;
  std::vector<json::object> rest;
  for (const json::object* e : entries(card, "addresses")) {
    json::object pa;
    if (const json::array* comps = arr(*e, "components"))
      for (const auto& cv : *comps) {
        if (!cv.is_object()) continue;
        std::string kind = str(cv.get_object(), "kind"), v = str(cv.get_object(), "value");
        for (auto [f, want] : kAdr)
          if (kind == want) pa[f] = pa.contains(f) ? std::string(pa[f].get_string()) + "\n" + v : v;
      }
    std::string ctx = context_of(*e);
    bool placed = false;
    for (auto [k, c] : kAddresses)
      if (ctx == c && !slots.contains(k)) {
        slots[k] = std::move(pa);
        placed = true;
        break;
      }
    if (!placed) rest.push_back(std::move(pa));
  }
  for (json::object& pa : rest)
    for (auto [k, c] : kAddresses)
      if (!slots.contains(k)) {
        slots[k] = std::move(pa);
        break;
      }
  for (auto [k, c] : kAddresses) g[k] = slots.contains(k) ? slots[k] : json::value(json::object{});
  g["companyName"] = nullptr;
  g["department"] = nullptr;
  for (const json::object* e : entries(card, "organizations")) {
    if (std::string n = str(*e, "name"); !n.empty()) g["companyName"] = n;
    if (const json::array* u = arr(*e, "units"); u && !u->empty() && u->front().is_object())
      g["department"] = str(u->front().get_object(), "name");
    break;
  }
  g["jobTitle"] = nullptr;
  for (const json::object* e : entries(card, "titles"))
    if (str(*e, "kind") != "role") {
      g["jobTitle"] = str(*e, "name");
      break;
    }
  std::string notes;
  for (const json::object* e : entries(card, "notes")) notes += (notes.empty() ? "" : "\n\n") + str(*e, "note");
  g["personalNotes"] = notes.empty() ? json::value(nullptr) : json::value(notes);
  g["birthday"] = nullptr;
  for (const json::object* e : entries(card, "anniversaries")) {
    const json::object* d = obj(*e, "date");
    if (str(*e, "kind") != "birth" || !d) continue;
    auto part = [&](const char* k) -> int64_t {
      auto* x = d->if_contains(k);
      return x && x->is_int64() ? x->get_int64() : 0;
    };
    if (part("year") > 0 && part("month") > 0 && part("day") > 0) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT00:00:00Z", static_cast<long long>(part("year")),
                    static_cast<long long>(part("month")), static_cast<long long>(part("day")));
      g["birthday"] = buf;
    }
    break;
  }
  g["businessHomePage"] = nullptr;
  for (const json::object* e : entries(card, "links")) {
    g["businessHomePage"] = str(*e, "uri");
    break;
  }
  json::array cats;
  if (const json::object* kw = obj(card, "keywords"))
    for (const auto& [k, v] : *kw)
      if (v.is_bool() && v.get_bool()) cats.push_back(json::value(std::string(k)));
  g["categories"] = std::move(cats);
  return g;
}

json::object as_kept(const json::object& card) {
  json::object g;
  for (const auto& [k, v] : to_graph(card))  // Graph answers without the members a create left null or empty
    if (!v.is_null() && !(v.is_array() && v.get_array().empty())) g[k] = v;
  return to_card(g);
}

const std::vector<std::string>& fields() {
  static const std::vector<std::string> f = {
      "/name/components",  "/name/full",          "/nicknames/*/name",       "/emails/*/address",
      "/phones/*/number",  "/phones/*/contexts",  "/phones/*/features",      "/addresses/*/components",
      "/addresses/*/contexts", "/organizations/*/name", "/organizations/*/units", "/titles/*/name", "/titles/*/kind",
      "/notes/*/note",     "/anniversaries/*/date", "/anniversaries/*/kind", "/links/*/uri",
      "/links/*/contexts", "/keywords"};
  return f;
}

}  // namespace outlook::contacts
