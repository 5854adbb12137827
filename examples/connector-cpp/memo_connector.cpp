// SPDX-License-Identifier: Apache-2.0
// memo_connector.cpp — a complete Accord connector in C++17, written against
// the SDK headers and the connector kit (docs/sdk.md walks through it). It
// keeps "note" records in memory, shared by every instance in the process,
// and passes the conformance kit. The kit (accord/kit/*.hpp, libaccord_kit.a)
// reads the ops, writes the results, turns what an op throws into its
// status, versions the cursors and reads the configuration through the
// manifest's own schema; JSON is Boost.JSON.
//
// Build (any C++17 compiler), all on one line:
//   g++ -std=c++17 -O2 -shared -fPIC -fvisibility=hidden -Wl,--no-undefined
//       -Wl,--version-script=connector.map -I<accord>/include
//       memo_connector.cpp -o libaccord-memo.so -L<accord>/lib -laccord_kit -laccord_json -lboost_json
#include <accord/connector.hpp>
#include <accord/kit/cursor.hpp>
#include <accord/kit/manifest.hpp>
#include <accord/kit/ops.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <map>
#include <mutex>

namespace json = boost::json;
namespace kit = accord::kit;

namespace {

const kit::Manifest& manifest() {
  static const kit::Manifest m =
      kit::ManifestBuilder("memo", "Memo (example)", "1.0.0", "Notes in memory: the SDK guide's example connector.")
          .stream(kit::StreamInfo("note", "note").with_fields({"/title", "/body", "/categories"}))
          .config_schema(R"({"type": "object", "additionalProperties": false, "properties": {
              "prefix": {"type": "string", "default": "m", "description": "prefix of new record ids"}}})")
          .build();
  return m;
}

struct Record {
  std::string version;  // bumped on every change
  long seq = 0;         // position in the change feed
  bool deleted = false;
  std::string idem;
  json::object data;
};

// The "system behind the connector": shared by all instances.
struct Store {
  std::mutex m;
  std::map<std::string, Record> records;
  long seq = 0;
  long next_id = 0;
  const std::string epoch = std::to_string(reinterpret_cast<uintptr_t>(&seq));
};
Store& store() {
  static Store s;
  return s;
}

// memo1.{"epoch":…,"seq":…}: a cursor of another store, or of another
// version of this connector, is expired (the host lists everything again)
const kit::CursorFormat kCursor("memo", 1);

class Memo : public accord::Connector {
 public:
  Memo(const accord::Host& host, std::string_view config)
      : Connector(host), prefix_(manifest().config(config).str("/prefix")) {}

  std::string read_changes(std::string_view stream, std::string_view cursor) override {
    check(stream);
    Store& s = store();
    std::lock_guard lock(s.m);
    long since = 0;
    std::optional<json::object> c = kCursor.read(cursor);
    if (c) {
      const json::value* epoch = c->if_contains("epoch");
      const json::value* seq = c->if_contains("seq");
      if (!epoch || !epoch->is_string() || epoch->get_string() != s.epoch || !seq || !seq->is_int64())
        kCursor.expire("it is not from this store");
      since = static_cast<long>(seq->get_int64());
    }
    std::vector<std::pair<long, const std::pair<const std::string, Record>*>> changed;
    for (const auto& kv : s.records)
      if (kv.second.seq > since && !(!c && kv.second.deleted)) changed.push_back({kv.second.seq, &kv});
    std::sort(changed.begin(), changed.end());  // oldest change first
    json::array records;
    for (const auto& [seq, kv] : changed) {
      throw_if_cancelled();
      json::object r{{"id", kv->first}, {"version", kv->second.version}, {"deleted", kv->second.deleted},
                     {"modified", "2026-01-01T00:00:00Z"}};
      if (!kv->second.deleted) r["data"] = kv->second.data;
      if (!kv->second.deleted && !kv->second.idem.empty()) r["idempotency_key"] = kv->second.idem;
      records.push_back(std::move(r));
    }
    return json::serialize(json::object{{"records", records},
                                        {"cursor", kCursor.write(json::object{{"epoch", s.epoch}, {"seq", s.seq}})},
                                        {"more", false}});
  }

  std::string apply(std::string_view stream, std::string_view ops_json) override {
    check(stream);
    std::vector<kit::Op> ops = kit::parse_ops(ops_json);
    Store& s = store();
    std::lock_guard lock(s.m);
    // what one op throws becomes that op's status (kit::failure)
    return kit::results_json(kit::apply_each(*this, ops, [&](const kit::Op& op) { return apply_one(s, op); }));
  }

 private:
  kit::Result apply_one(Store& s, const kit::Op& op) {
    if (op.is_create()) {
      const std::string& key = op.idempotency_key;
      auto found = std::find_if(s.records.begin(), s.records.end(),
                                [&](const auto& kv) { return !key.empty() && kv.second.idem == key; });
      if (found != s.records.end()) return kit::Result::ok(found->first, found->second.version);  // made before
      std::string id = prefix_ + std::to_string(++s.next_id);
      Record& r = s.records[id];
      r.idem = key;
      r.data = op.data;
      r.seq = ++s.seq;
      r.version = std::to_string(r.seq);
      return kit::Result::ok(id, r.version);
    }
    auto it = s.records.find(op.id);
    if (it == s.records.end() || it->second.deleted) return kit::Result::error("no such record", op.id);
    Record& r = it->second;
    if (op.expect_version && *op.expect_version != r.version)
      throw accord::Error(ACCORD_CONFLICT, "changed since " + *op.expect_version);  // a "conflict" result
    if (op.is_update()) r.data = op.data;
    else r.deleted = true;
    r.seq = ++s.seq;
    r.version = std::to_string(r.seq);
    return kit::Result::ok(it->first, r.version);
  }

  static void check(std::string_view stream) {
    if (stream != "note") throw accord::Error(ACCORD_UNSUPPORTED, "memo has only the stream \"note\"");
  }
  std::string prefix_;
};

}  // namespace

ACCORD_CONNECTOR(Memo, manifest().c_str(),
                 ACCORD_CAP_READ | ACCORD_CAP_WRITE | ACCORD_CAP_DELETE | ACCORD_CAP_CHANGE_FEED |
                     ACCORD_CAP_IDEMPOTENT_CREATE)
