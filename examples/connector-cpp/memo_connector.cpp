// memo_connector.cpp — a complete Accord connector in C++17, written against
// the SDK headers alone (docs/sdk.md walks through it). It keeps "note"
// records in memory, shared by every instance in the process, and passes the
// conformance kit. JSON is handled with Boost.JSON; use any library you like.
//
// Build (any C++17 compiler; no Accord source needed), all on one line:
//   g++ -std=c++17 -O2 -shared -fPIC -fvisibility=hidden -Wl,--no-undefined
//       -Wl,--version-script=connector.map -I<accord>/include
//       memo_connector.cpp -o libaccord-memo.so -lboost_json
#include <accord/connector.hpp>

#include <boost/json.hpp>

#include <map>
#include <mutex>

namespace json = boost::json;

namespace {

const char* kManifest = R"manifest({
  "id": "memo",
  "name": "Memo (example)",
  "version": "1.0.0",
  "description": "Notes in memory: the SDK guide's example connector.",
  "streams": [{"name": "note", "canonical": "note", "fields": ["/title", "/body", "/categories"]}],
  "config_schema": {"type": "object", "properties": {
    "prefix": {"type": "string", "default": "m", "description": "prefix of new record ids"}}}
})manifest";

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

class Memo : public accord::Connector {
 public:
  Memo(const accord::Host& host, std::string_view config) : Connector(host) {
    json::value c = json::parse(config);
    if (!c.is_object()) throw accord::Error(ACCORD_ERROR, "config must be a JSON object");
    if (auto* p = c.as_object().if_contains("prefix")) {
      if (!p->is_string()) throw accord::Error(ACCORD_ERROR, "config: \"prefix\" must be a string");
      prefix_ = p->as_string();
    }
  }

  std::string read_changes(std::string_view stream, std::string_view cursor) override {
    check(stream);
    Store& s = store();
    std::lock_guard lock(s.m);
    long since = 0;
    bool full = cursor.empty();
    if (!full) {
      // cursors look like "<epoch>:<seq>"; anything else cannot be resumed
      std::string c(cursor);
      auto colon = c.find(':');
      if (colon == std::string::npos || c.substr(0, colon) != s.epoch)
        throw accord::Error(ACCORD_CURSOR_EXPIRED, "cursor is not from this store");
      since = std::stol(c.substr(colon + 1));
    }
    std::vector<std::pair<long, const std::pair<const std::string, Record>*>> changed;
    for (const auto& kv : s.records)
      if (kv.second.seq > since && !(full && kv.second.deleted)) changed.push_back({kv.second.seq, &kv});
    std::sort(changed.begin(), changed.end());  // oldest change first
    json::array records;
    for (const auto& [seq, kv] : changed) {
      throw_if_cancelled();
      json::object r{{"id", kv->first}, {"version", kv->second.version}, {"deleted", kv->second.deleted},
                     {"modified", "2026-01-01T00:00:00Z"}};
      if (!kv->second.deleted) r["data"] = kv->second.data;
      records.push_back(std::move(r));
    }
    return json::serialize(json::object{
        {"records", records}, {"cursor", s.epoch + ":" + std::to_string(s.seq)}, {"more", false}});
  }

  std::string apply(std::string_view stream, std::string_view ops_json) override {
    check(stream);
    Store& s = store();
    std::lock_guard lock(s.m);
    json::array results;
    json::value ops = json::parse(ops_json);  // keep it alive: the loop borrows from it
    for (const auto& ov : ops.as_array()) {
      const json::object& op = ov.as_object();
      std::string kind(op.at("op").as_string());
      auto str = [&](const char* k) {
        auto* v = op.if_contains(k);
        return v && v->is_string() ? std::string(v->as_string()) : std::string();
      };
      if (kind == "create") {
        std::string key = str("idempotency_key");
        auto found = std::find_if(s.records.begin(), s.records.end(),
                                  [&](const auto& kv) { return !key.empty() && kv.second.idem == key; });
        if (found != s.records.end()) {  // created before: answer the same record
          results.push_back(json::object{{"status", "ok"}, {"id", found->first}, {"version", found->second.version}});
          continue;
        }
        std::string id = prefix_ + std::to_string(++s.next_id);
        Record& r = s.records[id];
        r.idem = key;
        r.data = op.at("data").as_object();
        r.seq = ++s.seq;
        r.version = std::to_string(r.seq);
        results.push_back(json::object{{"status", "ok"}, {"id", id}, {"version", r.version}});
        continue;
      }
      auto it = s.records.find(str("id"));
      if (it == s.records.end() || it->second.deleted) {
        results.push_back(json::object{{"status", "error"}, {"id", str("id")}, {"message", "no such record"}});
        continue;
      }
      Record& r = it->second;
      if (op.contains("expect_version") && str("expect_version") != r.version) {
        results.push_back(json::object{{"status", "conflict"}, {"id", it->first}, {"version", r.version},
                                       {"message", "changed since " + str("expect_version")}});
        continue;
      }
      if (kind == "update") r.data = op.at("data").as_object();
      else r.deleted = true;
      r.seq = ++s.seq;
      r.version = std::to_string(r.seq);
      results.push_back(json::object{{"status", "ok"}, {"id", it->first}, {"version", r.version}});
    }
    return json::serialize(results);
  }

 private:
  static void check(std::string_view stream) {
    if (stream != "note") throw accord::Error(ACCORD_UNSUPPORTED, "memo has only the stream \"note\"");
  }
  std::string prefix_ = "m";
};

}  // namespace

ACCORD_CONNECTOR(Memo, kManifest,
                 ACCORD_CAP_READ | ACCORD_CAP_WRITE | ACCORD_CAP_DELETE | ACCORD_CAP_CHANGE_FEED |
                     ACCORD_CAP_IDEMPOTENT_CREATE)
