// SPDX-License-Identifier: Apache-2.0
#include "engine/lookup.hpp"

#include "plugins/wire.hpp"
#include "state/state_store.hpp"

#include <accord/json/exact.hpp>
#include <accord/status/result.hpp>
#include <accord/text/ascii.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <map>
#include <optional>
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

namespace {

constexpr std::string_view kEntryTag = "L1";  // the form of LookupEntry::encode
constexpr char kSep = '\x1e';

void add_unique(std::vector<std::string>& v, std::string x) {
  if (!x.empty() && std::find(v.begin(), v.end(), x) == v.end()) v.push_back(std::move(x));
}

}  // namespace

std::vector<std::string> thread_keys(const json::object& m) {
  std::vector<std::string> keys;
  for (const char* f : {"messageId", "inReplyTo", "references"})
    if (const json::value* v = m.if_contains(f)) {
      if (const json::array* a = v->if_array()) {
        for (const auto& x : *a)
          if (x.is_string()) add_unique(keys, "id:" + std::string(x.get_string()));
      } else if (v->is_string()) {
        add_unique(keys, "id:" + std::string(v->get_string()));
      }
    }
  if (const json::value* t = m.if_contains("threadId"); t && t->is_string() && !t->get_string().empty())
    add_unique(keys, "thread:" + std::string(t->get_string()));
  return keys;
}

LookupEntry LookupEntry::of(const json::object& record, const std::string& modified) {
  LookupEntry e;
  e.created = modified;
  for (const char* k : {"created", "dateAdded", "createdAt"})
    if (const json::value* c = record.if_contains(k); c && c->is_string()) {
      e.created = std::string(c->get_string());
      break;
    }
  e.addresses = record_addresses(record);
  e.threads = thread_keys(record);
  if (const json::value* c = record.if_contains("contactIds"); c && c->is_array())
    for (const auto& x : c->get_array())
      if (x.is_string()) add_unique(e.contacts, std::string(x.get_string()));
  return e;
}

std::string LookupEntry::encode() const {
  std::string out(kEntryTag);
  auto put = [&](char tag, const std::string& v) {
    if (v.find(kSep) != std::string::npos) return;  // (no address or id holds one)
    out += kSep;
    out += tag;
    out += v;
  };
  put('d', created);
  for (const auto& a : addresses) put('a', a);
  for (const auto& t : threads) put('t', t);
  for (const auto& c : contacts) put('c', c);
  return out;
}

std::optional<LookupEntry> LookupEntry::decode(std::string_view keys) {
  if (!keys.starts_with(kEntryTag)) return std::nullopt;
  LookupEntry e;
  keys.remove_prefix(kEntryTag.size());
  while (!keys.empty() && keys.front() == kSep) {
    keys.remove_prefix(1);
    size_t end = std::min(keys.find(kSep), keys.size());
    if (end > 0) {
      std::string v(keys.substr(1, end - 1));
      switch (keys.front()) {
        case 'd': e.created = std::move(v); break;
        case 'a': e.addresses.push_back(std::move(v)); break;
        case 't': e.threads.push_back(std::move(v)); break;
        case 'c': e.contacts.push_back(std::move(v)); break;
        default: break;  // a later form's: not ours to read
      }
    }
    keys.remove_prefix(end);
  }
  return e;
}

void LookupIndex::add(const std::string& as, const std::string& id, const json::object& record,
                      const std::string& modified) {
  add(as, id, LookupEntry::of(record, modified));
}

void LookupIndex::add(const std::string& as, const std::string& id, const LookupEntry& e) {
  auto& role = by_role_[as];
  for (const auto& a : e.addresses) role[a].push_back(Contact{id, e.created});
  finished_ = false;
}

namespace {

// A list as find() answers it: each record once (as it was first added),
// oldest first; a record without a date after those with one, by id.
void sort_and_dedup(std::vector<LookupIndex::Contact>& list) {
  using Contact = LookupIndex::Contact;
  std::stable_sort(list.begin(), list.end(), [](const Contact& x, const Contact& y) { return x.id < y.id; });
  list.erase(std::unique(list.begin(), list.end(), [](const Contact& x, const Contact& y) { return x.id == y.id; }),
             list.end());
  std::sort(list.begin(), list.end(), [](const Contact& x, const Contact& y) {
    if (x.created.empty() != y.created.empty()) return y.created.empty();
    return x.created != y.created ? x.created < y.created : x.id < y.id;
  });
}

}  // namespace

void LookupIndex::finish() {
  if (finished_) return;
  for (auto& [_, role] : by_role_)
    for (auto& [_, list] : role) sort_and_dedup(list);
  finished_ = true;
}

const std::vector<LookupIndex::Contact>* LookupIndex::list(const std::string& as, std::string_view email) const {
  auto role = by_role_.find(as);
  if (role == by_role_.end()) return nullptr;
  auto it = role->second.find(ascii_lower(std::string(email)));
  return it == role->second.end() ? nullptr : &it->second;
}

std::vector<LookupIndex::Contact> LookupIndex::find(const std::string& as, std::string_view email) const {
  const std::vector<Contact>* l = list(as, email);
  if (!l) return {};
  std::vector<Contact> out = *l;
  if (!finished_) sort_and_dedup(out);  // (an index still being added to: this answer alone)
  return out;
}

size_t LookupIndex::size(const std::string& as) const {
  auto role = by_role_.find(as);
  if (role == by_role_.end()) return 0;
  std::set<std::string> ids;
  for (const auto& [_, list] : role->second)
    for (const auto& c : list) ids.insert(c.id);
  return ids.size();
}

bool refresh_lookups(StateStore& store, const StreamPair& sp, const LookupReader& read, bool keep,
                     const LookupVisitor& visit, const std::atomic<bool>* cancel) {
  for (const LookupStream& l : sp.lookups) {
    const std::string name = lookup_pair_name(sp.name, l);
    std::string cursor = store.pair(name).cursor(l.side).value_or("");
    bool full = cursor.empty();
    std::set<std::string> listed;  // a full listing's ids (what it leaves out is gone)
    std::map<std::string, std::optional<LookupEntry>> read_now;  // a plan's read (nullopt: deleted)
    bool relisted = false;
    for (bool first = true;; first = false) {
      if (cancel && cancel->load(std::memory_order_relaxed)) return false;  // (whole batches kept: above)
      // (no transaction held: the connector may take its time)
      auto r = read(l.side, l.stream, cursor);
      if (!r && r.error().status == ACCORD_CURSOR_EXPIRED && !cursor.empty() && !relisted) {
        // Its change window lapsed (a purge of deleted ids, a daemon
        // stopped for weeks): listed again from the start, as the main read
        // does (reading.cpp), through this stream's own full listing, whose
        // end drops what it no longer lists (rows an incremental page kept
        // before the expiry too). Once: a listing that expires fails.
        relisted = true;
        cursor.clear();
        full = true;
        listed.clear();
        read_now.clear();
        continue;  // (a stop asked meanwhile is heard first)
      }
      if (!r)
        throw Failure{r.error().status, "reading the lookup stream " + l.stream + " of the " + side_name(l.side) +
                                            " side (" + l.pointer + "): " + r.error().message,
                      r.error().retry_after_ms};
      wire::Batch batch = wire::read_batch(*r);
      if (!batch.error.empty())
        throw Failure{ACCORD_ERROR, "the lookup stream " + l.stream + " (" + l.pointer + ") answered a batch that is " + batch.error, 0};
      if (first && batch.full) full = true;  // the connector lists everything this time
      std::optional<StateStore::Transaction> tx;  // this batch's rows, at once
      if (keep) tx.emplace(store);
      MirrorSide mirror = store.pair(name).mirror(l.side);
      for (wire::Record& rec : batch.records) {
        if (rec.deleted) {
          listed.erase(rec.id);
          if (keep) mirror.drop(rec.id);
          else read_now[rec.id] = std::nullopt;
          continue;
        }
        if (full) listed.insert(rec.id);
        LookupEntry e = LookupEntry::of(rec.data.get_object(), rec.modified);
        if (keep)
          mirror.put(MirrorRow{rec.id, rec.version, rec.modified, json::serialize(rec.data), true, false, false, e.encode()});
        else
          read_now[rec.id] = std::move(e);
      }
      cursor = std::move(batch.cursor);
      // an incremental read is kept with its cursor, batch by batch: stopped
      // (or killed) between two, the next run reads on from here
      if (keep && !full && batch.more) store.pair(name).set_cursor(l.side, cursor);
      if (tx) tx->commit();
      if (!batch.more) break;
    }
    // The rows left are the stream (never linked: every live row is
    // "unlinked"); each one's entry is in its keys, read in one statement.
    // The cursor moves last, with a full listing's drops: a run killed
    // before reads the same changes again.
    std::optional<StateStore::Transaction> tx;
    if (keep) tx.emplace(store);
    PairState ps = store.pair(name);
    MirrorSide mirror = ps.mirror(l.side);
    for (const MirrorRef& ref : mirror.unlinked()) {
      if (!keep && (full || read_now.contains(ref.id()))) continue;  // (what the plan read, below)
      if (keep && full && !listed.contains(ref.id())) {
        mirror.drop(ref.id());
        continue;
      }
      std::optional<LookupEntry> e = LookupEntry::decode(ref.keys());
      if (!e) {  // written before entries were kept: read once, kept from now on
        auto row = mirror.find_data(ref.id());
        if (!row) continue;
        boost::system::error_code ec;
        json::value data = accord::json_exact::parse(row->data, ec);
        if (ec || !data.is_object()) continue;
        e = LookupEntry::of(data.get_object(), row->modified);
        if (keep) {
          row->keys = e->encode();
          mirror.put(*row);
        }
      }
      visit(l, ref.id(), *e);
    }
    for (const auto& [id, e] : read_now)
      if (e) visit(l, id, *e);
    if (keep) {
      ps.set_cursor(l.side, cursor);
      tx->commit();
    }
  }
  return true;
}

}  // namespace accord
