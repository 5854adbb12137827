// SPDX-License-Identifier: Apache-2.0
#include "engine/lookup.hpp"

#include "plugins/instance.hpp"
#include "plugins/wire.hpp"
#include "state/state_store.hpp"

#include <accord/status/result.hpp>
#include <accord/text/ascii.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <set>

namespace json = boost::json;

namespace accord {

namespace {

void add_address(std::vector<std::string>& out, const json::value& v) {
  if (!v.is_string() || v.get_string().find('@') == json::string::npos) return;
  std::string a = ascii_lower(std::string(v.get_string()));
  if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(std::move(a));
}

void add_member(std::vector<std::string>& out, const json::value& v) {
  if (const json::object* o = v.if_object()) {
    for (const char* k : {"address", "email", "value"})
      if (const json::value* x = o->if_contains(k)) add_address(out, *x);
  } else {
    add_address(out, v);
  }
}

}  // namespace

std::string lookup_pair_name(const std::string& pair, const LookupStream& l) {
  return pair + "#lookup:" + side_name(l.side) + ":" + l.stream;
}

std::vector<std::string> record_addresses(const json::object& r) {
  std::vector<std::string> out;
  if (const json::value* e = r.if_contains("email")) add_member(out, *e);
  if (const json::value* e = r.if_contains("emails")) {
    if (const json::object* o = e->if_object()) {
      for (const auto& [_, v] : *o) add_member(out, v);
    } else if (const json::array* a = e->if_array()) {
      for (const auto& v : *a) add_member(out, v);
    }
  }
  return out;
}

void LookupIndex::add(const std::string& as, const std::string& id, const json::object& record,
                      const std::string& modified) {
  std::string created = modified;
  for (const char* k : {"created", "dateAdded", "createdAt"})
    if (const json::value* c = record.if_contains(k); c && c->is_string()) {
      created = std::string(c->get_string());
      break;
    }
  auto& role = by_role_[as];
  for (const auto& a : record_addresses(record)) {
    auto& list = role[a];
    if (std::any_of(list.begin(), list.end(), [&](const Contact& c) { return c.id == id; })) continue;
    Contact c{id, created};
    // oldest first; a record without a date after those with one, by id
    auto at = std::upper_bound(list.begin(), list.end(), c, [](const Contact& x, const Contact& y) {
      if (x.created.empty() != y.created.empty()) return y.created.empty();
      return x.created != y.created ? x.created < y.created : x.id < y.id;
    });
    list.insert(at, std::move(c));
  }
}

std::vector<LookupIndex::Contact> LookupIndex::find(const std::string& as, std::string_view email) const {
  auto role = by_role_.find(as);
  if (role == by_role_.end()) return {};
  auto it = role->second.find(ascii_lower(std::string(email)));
  return it == role->second.end() ? std::vector<Contact>{} : it->second;
}

size_t LookupIndex::size(const std::string& as) const {
  auto role = by_role_.find(as);
  if (role == by_role_.end()) return 0;
  std::set<std::string> ids;
  for (const auto& [_, list] : role->second)
    for (const auto& c : list) ids.insert(c.id);
  return ids.size();
}

void refresh_lookups(StateStore& store, const StreamPair& sp, const std::function<Instance&(Side)>& instance, bool keep,
                     const LookupVisitor& visit) {
  if (sp.lookups.empty()) return;
  StateStore::Transaction tx(store);
  for (const LookupStream& l : sp.lookups) {
    PairState ps = store.pair(lookup_pair_name(sp.name, l));
    MirrorSide mirror = ps.mirror(l.side);
    std::string cursor = ps.cursor(l.side).value_or("");
    bool full = cursor.empty();
    std::set<std::string> listed;
    for (;;) {
      auto r = instance(l.side).read_changes(l.stream, cursor);
      if (!r)
        throw Failure{r.error().status, "reading the lookup stream " + l.stream + " of the " + side_name(l.side) +
                                            " side (" + l.pointer + "): " + r.error().message,
                      r.error().retry_after_ms};
      wire::Batch batch = wire::read_batch(*r);
      if (!batch.error.empty())
        throw Failure{ACCORD_ERROR, "the lookup stream " + l.stream + " (" + l.pointer + ") answered a batch that is " + batch.error, 0};
      if (batch.full) full = true;
      for (wire::Record& rec : batch.records) {
        if (rec.deleted) {
          mirror.drop(rec.id);
          continue;
        }
        listed.insert(rec.id);
        mirror.put(MirrorRow{rec.id, rec.version, rec.modified, json::serialize(rec.data), true, false, false, {}});
      }
      cursor = std::move(batch.cursor);
      if (!batch.more) break;
    }
    // What a full listing leaves out is gone; the rows left are the stream
    // (never linked: every live row is "unlinked").
    for (const MirrorRef& ref : mirror.unlinked()) {
      if (full && !listed.contains(ref.id)) {
        mirror.drop(ref.id);
        continue;
      }
      auto row = mirror.find_data(ref.id);
      if (!row) continue;
      boost::system::error_code ec;
      json::value data = json::parse(row->data, ec);
      if (!ec && data.is_object()) visit(l, ref.id, data.get_object(), row->modified);
    }
    ps.set_cursor(l.side, cursor);
  }
  if (keep) tx.commit();  // a plan keeps nothing (uncommitted, it rolls back)
}

}  // namespace accord
