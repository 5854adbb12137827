// SPDX-License-Identifier: Apache-2.0
// Person ⇄ JSContact Card (people_map.hpp).
#include "people_map.hpp"

#include "json_read.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <set>
#include <span>
#include <utility>

namespace json = boost::json;
using gapi::jr::arr;
using gapi::jr::flag;
using gapi::jr::obj;
using gapi::jr::objects;
using gapi::jr::str;

namespace gapi::people {

namespace {

void put(json::object& card, const char* key, const char* prefix, json::object v) {
  json::object& m = card[key].is_object() ? card[key].as_object() : (card[key] = json::object()).as_object();
  m[prefix + std::to_string(m.size() + 1)] = std::move(v);
}

// Google's home/work/other type as JSContact contexts (vCard's TYPE=home is "private").
void contexts_from(const std::string& type, json::object& o) {
  if (type == "work" || type.starts_with("work")) o["contexts"] = json::object{{"work", true}};
  else if (type == "home" || type.starts_with("home")) o["contexts"] = json::object{{"private", true}};
}

std::string type_from(const json::object& o) {
  const json::object* c = obj(o, "contexts");
  if (flag(c, "work")) return "work";
  if (flag(c, "private")) return "home";
  return "";
}

// An item's type as contexts, and Google's primary one as pref 1.
void placed(const json::object& item, json::object& o) {
  contexts_from(str(item, "type"), o);
  if (const json::object* m = obj(item, "metadata"); flag(m, "primary")) o["pref"] = 1;
}

// Name components: vCard's N order (title, given, given2, surname, credential).
constexpr std::pair<const char*, const char*> kNameParts[] = {
    {"honorificPrefix", "title"}, {"givenName", "given"}, {"middleName", "given2"},
    {"familyName", "surname"},    {"honorificSuffix", "credential"}};

constexpr std::pair<const char*, const char*> kAdrParts[] = {
    {"poBox", "postOfficeBox"}, {"extendedAddress", "apartment"}, {"streetAddress", "name"}, {"city", "locality"},
    {"region", "region"},       {"postalCode", "postcode"},        {"country", "country"}};

using Parts = std::span<const std::pair<const char*, const char*>>;

// A Google name or address as JSContact components, in `parts`' order.
json::array components_of(const json::object& item, Parts parts) {
  json::array comps;
  for (auto [g, k] : parts)
    if (std::string v = str(item, g); !v.empty()) comps.push_back(json::object{{"kind", k}, {"value", v}});
  return comps;
}

// JSContact components as Google's fields; two of a kind join with `sep`.
void fields_of(const json::object& e, Parts parts, const char* sep, json::object& out) {
  if (const json::array* comps = arr(e, "components"))
    for (const auto& cv : *comps) {
      if (!cv.is_object()) continue;
      std::string k = str(cv.get_object(), "kind"), v = str(cv.get_object(), "value");
      for (auto [g, kind] : parts)
        if (k == kind) {
          std::string have = str(out, g);
          out[g] = have.empty() ? v : have + sep + v;
        }
    }
}

}  // namespace

Read to_card(const json::object& p, const GroupNames& groups) {
  Read r;
  json::object& c = r.card;
  c["@type"] = "Card";
  c["version"] = "1.0";
  c["kind"] = "individual";
  if (const json::array* names = arr(p, "names"); names && !names->empty() && names->front().is_object()) {
    const json::object& n = names->front().get_object();
    json::object name;
    json::array comps = components_of(n, kNameParts);
    if (!comps.empty()) name["components"] = std::move(comps);
    std::string full = str(n, "unstructuredName");
    if (full.empty()) full = str(n, "displayName");
    if (!full.empty()) name["full"] = full;
    if (!name.empty()) c["name"] = std::move(name);
  }
  for (const json::object* v : objects(p, "nicknames"))
    if (std::string nick = str(*v, "value"); !nick.empty()) put(c, "nicknames", "k", {{"name", nick}});
  for (const json::object* v : objects(p, "emailAddresses")) {
    json::object e{{"address", str(*v, "value")}};
    placed(*v, e);
    put(c, "emails", "e", std::move(e));
  }
  for (const json::object* v : objects(p, "phoneNumbers")) {
    std::string type = str(*v, "type");
    json::object t{{"number", str(*v, "value")}};
    json::object f;
    if (type == "mobile" || type == "workMobile") f["mobile"] = true;
    if (type == "homeFax" || type == "workFax" || type == "otherFax") f["fax"] = true;
    if (type == "pager" || type == "workPager") f["pager"] = true;
    if (!f.empty()) t["features"] = std::move(f);
    placed(*v, t);
    put(c, "phones", "p", std::move(t));
  }
  for (const json::object* v : objects(p, "addresses")) {
    json::array comps = components_of(*v, kAdrParts);
    // formattedValue is left out: Google makes one up from the parts when
    // none was given, and it would travel back as an edit
    json::object ad{{"components", std::move(comps)}};
    placed(*v, ad);
    put(c, "addresses", "a", std::move(ad));
  }
  for (const json::object* v : objects(p, "organizations")) {
    const json::object& o = *v;
    if (std::string name = str(o, "name"); !name.empty() || !str(o, "department").empty()) {
      json::object org{{"name", name}};
      if (std::string d = str(o, "department"); !d.empty()) org["units"] = json::array{json::object{{"name", d}}};
      put(c, "organizations", "o", std::move(org));
    }
    if (std::string t = str(o, "title"); !t.empty()) put(c, "titles", "t", {{"name", t}, {"kind", "title"}});
  }
  for (const json::object* v : objects(p, "biographies"))
    if (std::string n = str(*v, "value"); !n.empty()) put(c, "notes", "n", {{"note", n}});
  for (const json::object* v : objects(p, "birthdays")) {
    const json::object* d = obj(*v, "date");
    if (!d) continue;
    json::object date{{"@type", "PartialDate"}};
    for (const char* k : {"year", "month", "day"})
      if (auto* x = d->if_contains(k); x && x->is_int64() && x->get_int64() != 0) date[k] = x->get_int64();
    put(c, "anniversaries", "b", {{"kind", "birth"}, {"date", std::move(date)}});
    break;  // Google keeps one birthday per source
  }
  for (const json::object* v : objects(p, "urls")) {
    json::object l{{"uri", str(*v, "value")}};
    contexts_from(str(*v, "type"), l);
    put(c, "links", "l", std::move(l));
  }
  for (const json::object* v : objects(p, "memberships")) {
    const json::object* m = obj(*v, "contactGroupMembership");
    if (!m) continue;
    if (auto it = groups.find(str(*m, "contactGroupResourceName")); it != groups.end() && !it->second.empty()) {
      json::object& kw = c["keywords"].is_object() ? c["keywords"].as_object() : (c["keywords"] = json::object()).as_object();
      kw[it->second] = true;
    }
  }
  if (const json::array* a = arr(p, "clientData"))
    for (const auto& v : *a)
      if (v.is_object() && str(v.get_object(), "key") == kKeyName) r.key = str(v.get_object(), "value");
  if (const json::object* m = obj(p, "metadata"))
    if (const json::array* s = arr(*m, "sources"))
      for (const auto& v : *s)
        if (v.is_object() && str(v.get_object(), "type") == "CONTACT") r.modified = str(v.get_object(), "updateTime");
  return r;
}

namespace {

// The map's entries in id order as JSContact ids sort ("e2" before "e10").
std::vector<const json::object*> entries(const json::object& card, const char* key) {
  std::vector<std::pair<std::string, const json::object*>> v;
  if (auto* m = card.if_contains(key); m && m->is_object())
    for (const auto& [id, e] : m->get_object())
      if (e.is_object()) v.emplace_back(std::string(id), &e.get_object());
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.first.size() != b.first.size() ? a.first.size() < b.first.size() : a.first < b.first;
  });
  std::vector<const json::object*> out;
  for (auto& [_, e] : v) out.push_back(e);
  return out;
}

void typed(const json::object& e, json::object& item) {
  if (std::string t = type_from(e); !t.empty()) item["type"] = t;
}

}  // namespace

json::object to_person(const json::object& card, const std::string& key) {
  json::object p;
  json::array names;
  if (const json::object* n = obj(card, "name")) {
    json::object name;
    fields_of(*n, kNameParts, " ", name);  // a second given name joins the first
    if (std::string full = str(*n, "full"); !full.empty()) name["unstructuredName"] = full;
    if (!name.empty()) names.push_back(std::move(name));
  }
  p["names"] = std::move(names);
  json::array nicks, emails, phones, addrs, orgs, bios, bdays, urls;
  for (const json::object* e : entries(card, "nicknames")) nicks.push_back(json::object{{"value", str(*e, "name")}});
  for (const json::object* e : entries(card, "emails")) {
    json::object item{{"value", str(*e, "address")}};
    typed(*e, item);
    emails.push_back(std::move(item));
  }
  for (const json::object* e : entries(card, "phones")) {
    json::object item{{"value", str(*e, "number")}};
    const json::object* f = obj(*e, "features");
    std::string ctx = type_from(*e);
    std::string type = ctx;
    if (flag(f, "mobile")) type = ctx == "work" ? "workMobile" : "mobile";
    else if (flag(f, "fax")) type = ctx == "work" ? "workFax" : ctx == "home" ? "homeFax" : "otherFax";
    else if (flag(f, "pager")) type = ctx == "work" ? "workPager" : "pager";
    if (!type.empty()) item["type"] = type;
    phones.push_back(std::move(item));
  }
  for (const json::object* e : entries(card, "addresses")) {
    json::object item;
    fields_of(*e, kAdrParts, "\n", item);
    typed(*e, item);
    addrs.push_back(std::move(item));
  }
  std::vector<const json::object*> titles = entries(card, "titles");
  size_t ti = 0;
  for (const json::object* e : entries(card, "organizations")) {
    json::object item{{"name", str(*e, "name")}};
    if (const json::array* u = arr(*e, "units"); u && !u->empty() && u->front().is_object())
      item["department"] = str(u->front().get_object(), "name");
    while (ti < titles.size() && str(*titles[ti], "kind") == "role") ++ti;
    if (ti < titles.size()) item["title"] = str(*titles[ti++], "name");
    orgs.push_back(std::move(item));
  }
  for (; ti < titles.size(); ++ti)  // titles without an organization
    if (str(*titles[ti], "kind") != "role") orgs.push_back(json::object{{"title", str(*titles[ti], "name")}});
  for (const json::object* e : entries(card, "notes")) {
    // Google keeps one biography: the notes joined
    if (bios.empty()) bios.push_back(json::object{{"value", str(*e, "note")}, {"contentType", "TEXT_PLAIN"}});
    else bios.front().as_object()["value"] = str(bios.front().as_object(), "value") + "\n\n" + str(*e, "note");
  }
  for (const json::object* e : entries(card, "anniversaries")) {
    if (str(*e, "kind") != "birth") continue;
    const json::object* d = obj(*e, "date");
    if (!d) continue;
    json::object date;
    for (const char* k : {"year", "month", "day"})
      if (auto* x = d->if_contains(k); x && x->is_int64()) date[k] = x->get_int64();
    if (!date.empty()) bdays.push_back(json::object{{"date", std::move(date)}});
    break;
  }
  for (const json::object* e : entries(card, "links")) {
    json::object item{{"value", str(*e, "uri")}};
    typed(*e, item);
    urls.push_back(std::move(item));
  }
  p["nicknames"] = std::move(nicks);
  p["emailAddresses"] = std::move(emails);
  p["phoneNumbers"] = std::move(phones);
  p["addresses"] = std::move(addrs);
  p["organizations"] = std::move(orgs);
  p["biographies"] = std::move(bios);
  p["birthdays"] = std::move(bdays);
  p["urls"] = std::move(urls);
  if (!key.empty()) p["clientData"] = json::array{json::object{{"key", kKeyName}, {"value", key}}};
  return p;
}

void keep_types(json::object& person, const json::object& current) {
  auto value_of = [](const json::object& o) {
    std::string v = str(o, "value");
    if (v.empty()) v = str(o, "streetAddress") + "\n" + str(o, "city") + "\n" + str(o, "postalCode");  // an address
    return v;
  };
  for (const char* k : {"emailAddresses", "phoneNumbers", "addresses", "urls"}) {
    auto* mine = person.if_contains(k);
    const json::array* theirs = arr(current, k);
    if (!mine || !mine->is_array() || !theirs) continue;
    for (auto& v : mine->get_array()) {
      if (!v.is_object() || v.get_object().contains("type")) continue;
      for (const auto& t : *theirs)
        if (t.is_object() && value_of(t.get_object()) == value_of(v.get_object()) && !str(t.get_object(), "type").empty()) {
          v.get_object()["type"] = str(t.get_object(), "type");
          break;
        }
    }
  }
}

std::vector<std::string> keywords_of(const json::object& card) {
  std::vector<std::string> out;
  if (const json::object* kw = obj(card, "keywords"))
    for (const auto& [k, v] : *kw)
      if (v.is_bool() && v.get_bool() && !k.empty()) out.emplace_back(k);
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

// What finds an entry of a card's map again after a round trip.
std::string identity(const char* map, const json::object& e) {
  auto member = [&](const char* k) {
    auto* v = e.if_contains(k);
    return v ? json::serialize(*v) : std::string();
  };
  std::string m = map;
  if (m == "emails") return member("address");
  if (m == "phones") return member("number");
  if (m == "links") return member("uri");
  if (m == "notes") return member("note");
  if (m == "anniversaries") return member("kind");
  if (m == "addresses") {  // the components' values, in any order
    std::vector<std::string> vs;
    if (const json::array* cs = arr(e, "components"))
      for (const auto& c : *cs)
        if (c.is_object()) vs.push_back(str(c.get_object(), "value"));
    std::sort(vs.begin(), vs.end());
    std::string out;
    for (auto& v : vs) out += v + "\n";
    return out;
  }
  return member("name");  // nicknames, organizations, titles
}

}  // namespace

json::object as_kept(const json::object& card) {
  json::object p = to_person(card, "");
  // Google makes the first item of each kind the primary one (metadata.primary)
  for (auto& [k, v] : p)
    if (v.is_array() && !v.get_array().empty() && v.get_array().front().is_object())
      v.get_array().front().get_object()["metadata"] = json::object{{"primary", true}};
  GroupNames groups;
  json::array ms;
  for (const std::string& k : keywords_of(card)) {
    std::string rn = "contactGroups/check" + std::to_string(groups.size());
    groups[rn] = k;
    ms.push_back(json::object{{"contactGroupMembership", json::object{{"contactGroupResourceName", rn}}}});
  }
  if (!ms.empty()) p["memberships"] = std::move(ms);
  json::object held = to_card(p, groups).card;
  // each entry under the card's id where it is found again
  for (const char* map : {"nicknames", "emails", "phones", "addresses", "organizations", "titles", "notes",
                          "anniversaries", "links"}) {
    const json::object* sent = obj(card, map);
    auto* h = held.if_contains(map);
    if (!sent || !h || !h->is_object()) continue;
    std::set<std::string> used;
    json::object renamed;
    for (auto& [hid, hv] : h->get_object()) {
      std::string key(hid);
      if (hv.is_object())
        for (const auto& [sid, sv] : *sent)
          if (sv.is_object() && !used.count(std::string(sid)) &&
              identity(map, sv.get_object()) == identity(map, hv.get_object())) {
            key = std::string(sid);
            break;
          }
      while (used.count(key)) key = "check-" + key;  // an id a found entry took: held, not the card's
      used.insert(key);
      renamed[key] = std::move(hv);
    }
    *h = std::move(renamed);
  }
  return held;
}

const std::vector<std::string>& fields() {
  static const std::vector<std::string> f = {
      "/name/components", "/name/full",       "/nicknames/*/name",    "/emails/*/address",  "/emails/*/contexts",
      "/emails/*/pref",   "/phones/*/number", "/phones/*/features",   "/phones/*/contexts", "/phones/*/pref",
      "/addresses/*/components", "/addresses/*/contexts", "/addresses/*/pref", "/organizations/*/name",
      "/organizations/*/units",  "/titles/*/name",        "/notes/*/note",     "/anniversaries/*/date",
      "/anniversaries/*/kind",   "/links/*/uri",          "/links/*/contexts",     "/keywords"};
  return f;
}

}  // namespace gapi::people
