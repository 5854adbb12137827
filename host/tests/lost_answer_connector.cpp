// SPDX-License-Identifier: Apache-2.0
// lost_answer_connector.cpp — a test fixture: notes in one JSON file, whose
// create can take effect in the store and still be answered "retry", as when
// the answer to a write is lost and the look-up by key that follows fails too
// (plugins/outlook-mapi's $batch). It keeps to the SDK's contract (docs/sdk.md,
// apply): a create stores its idempotency_key and looks the key up only when
// the host marks it "resend" (a fresh key cannot be stored yet).
//
// Config: {"path": FOLDER, "list_keys": true}. FOLDER/store.json holds the
// records; FOLDER/ops.log gets one line per create: "KEY resend|fresh", and
// FOLDER/sent_at.log one per resend: "KEY SENT_AT" ("-": none).
// A file FOLDER/lose holding N: the next N creates are stored and answered
// retry (retry_after 1 s, or the seconds FOLDER/retry-after holds, as a failed look-up's) with
// "maybe_written" (this try may have written). A
// file FOLDER/fail-lookups: a resend's look-up fails (answered a plain retry:
// this try stored nothing; the host keeps the key, an earlier try may have). A file FOLDER/refuse holding N: the next N
// creates are refused before anything is stored (a plain retry, as a
// 503 or a 429). A file FOLDER/slow holding S: the next create waits S s
// before it stores (FOLDER/stored.log: "KEY TIME" when stored). A file
// FOLDER/adopt holding an id: the next create is answered ok with that
// record, nothing stored (once). Deletes remove the
// record (FOLDER/deletes.log: its id). list_keys false: listings leave the
// key out (allowed: the host then finds copies by match keys only).
// Two streams over the one store: "note" declares no find_only (a connector
// older than it: the host never sends one), "look" does: a resend marked
// find_only looks its key up and writes nothing (FOLDER/ops.log: "KEY
// find_only"): ok with the record found (id, version, data), not_found, or a
// plain retry while FOLDER/fail-lookups exists. A delete whose expect_version
// is not the record's answers conflict and deletes nothing. A file
// FOLDER/found-data: a resend that finds its record answers its data as
// it is now (as Graph's look-ups do). A file
// FOLDER/normalise: a create stores its own form of what it is sent (a
// store that keeps only what it knows and stamps the rest): only /title and
// /body, and "created" (the time; a member no stream declares). A file
// FOLDER/own-form: a create stores the store's own form of what it is sent,
// as a vCard folder does: "kind": "note" added where none is sent (a member
// the streams keep) and the body's surrounding spaces trimmed; the
// connector says so through accord.check.v1 (what a write would keep),
// unless FOLDER/no-check exists (then, as without own-form, it cannot say).
// Never use it for real data.
#include <accord/check.h>
#include <accord/connector.hpp>

#include <boost/json/src.hpp>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

const char kManifest[] = R"json({"id":"lost-answer","name":"Lost answer (fixture)","version":"1.0.0",
"description":"Notes in a JSON file; a create may be made and answered retry (a host test fixture).",
"streams":[{"name":"note","canonical":"note","fields":["/title","/body","/kind"],"capabilities":["read","write","idempotent_create"]},
            {"name":"look","canonical":"note","fields":["/title","/body","/kind"]}],
"store_identity":["path"],
"config_schema":{"type":"object","required":["path"],"properties":{
  "path":{"type":"string","format":"path","description":"the folder holding store.json"},
  "list_keys":{"type":"boolean","default":true,"description":"whether listings give each record's key back"}}}})json";

// FOLDER/own-form's form of a record: "kind" added, the body trimmed
json::value own_form(json::value data) {
  json::object& o = data.as_object();
  if (!o.contains("kind")) o["kind"] = "note";
  if (json::value* b = o.if_contains("body"); b && b->is_string()) {
    std::string t(b->as_string());
    t.erase(0, t.find_first_not_of(' '));
    t.erase(t.find_last_not_of(' ') + 1);
    *b = t;
  }
  return data;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class LostAnswer : public accord::Connector {
 public:
  LostAnswer(const accord::Host& host, std::string_view config) : Connector(host) {
    json::object o = json::parse(config).as_object();
    dir_ = std::string(o.at("path").as_string());
    if (auto* k = o.if_contains("list_keys")) list_keys_ = k->as_bool();
  }

  std::string read_changes(std::string_view, std::string_view) override {
    // FOLDER/slow-read holding S: each listing takes S s (a long read, in
    // which a quarantine's wait can end)
    if (long slow = fs::exists(dir_ / "slow-read") ? std::stol(slurp(dir_ / "slow-read")) : 0; slow > 0)
      std::this_thread::sleep_for(std::chrono::seconds(slow));
    json::object st = load();
    json::array out;
    for (const auto& [id, r] : st.at("records").as_object()) {
      json::object rec{{"id", id}, {"version", r.at("version")}, {"data", r.at("data")}};
      if (list_keys_ && !r.at("key").as_string().empty()) rec["idempotency_key"] = r.at("key");
      out.push_back(std::move(rec));
    }
    return json::serialize(json::object{{"records", std::move(out)}, {"cursor", "all"}, {"more", false}, {"full", true}});
  }

  const void* get_extension(std::string_view name) noexcept override {
    return name == ACCORD_CHECK_V1 ? accord::check_extension() : accord::Connector::get_extension(name);
  }

  // accord.check.v1: each record as FOLDER/own-form keeps it
  std::string check_records(std::string_view, std::string_view records_json) override {
    if (!fs::exists(dir_ / "own-form") || fs::exists(dir_ / "no-check"))
      throw accord::Error(ACCORD_UNSUPPORTED, "this store keeps every field as it is sent");
    json::array out;
    json::value records = json::parse(records_json);  // (held: a range-for over a temporary's member dangles)
    for (const auto& r : records.as_array()) out.push_back(own_form(r));
    return json::serialize(out);
  }

  std::string apply(std::string_view, std::string_view ops_json) override {
    json::object st = load();
    int64_t seq = st.at("seq").as_int64();
    json::object& recs = st.at("records").as_object();
    json::array results;
    json::value ops = json::parse(ops_json);
    for (const auto& ov : ops.as_array()) {
      const json::object& op = ov.as_object();
      std::string kind(op.at("op").as_string());
      auto version = [&](const std::string& id) { return id + "." + std::to_string(++seq); };
      if (kind == "delete") {  // gone already: done (docs/sdk.md, apply)
        std::string id(op.at("id").as_string());
        if (const json::value* ev = op.if_contains("expect_version"); ev && recs.contains(id) &&
                                                                      recs.at(id).at("version") != *ev) {
          results.push_back(json::object{{"status", "conflict"}, {"id", id}, {"version", recs.at(id).at("version")},
                                         {"message", "changed since that version"}});
          continue;
        }
        recs.erase(id);
        std::ofstream(dir_ / "deletes.log", std::ios::app) << op.at("id").as_string() << "\n";
        results.push_back(json::object{{"status", "ok"}});
        continue;
      }
      if (kind != "create") {  // an update
        std::string id(op.at("id").as_string());
        json::object& r = recs.at(id).as_object();
        r["data"] = op.at("data");
        r["version"] = version(id);
        results.push_back(json::object{{"status", "ok"}, {"id", id}, {"version", r.at("version")}});
        continue;
      }
      std::string key(op.at("idempotency_key").as_string());
      bool resend = op.contains("resend") && op.at("resend").as_bool();
      if (op.contains("find_only") && op.at("find_only").as_bool()) {  // a look-up only: never writes
        std::ofstream(dir_ / "ops.log", std::ios::app) << key << " find_only\n";
        if (fs::exists(dir_ / "fail-lookups")) {
          results.push_back(json::object{{"status", "retry"}, {"retry_after", retry_after()}, {"message", "the look-up failed"}});
          continue;
        }
        json::value found = json::object{{"status", "not_found"}, {"message", "no record holds that key"}};
        for (const auto& [id, r] : recs)
          if (r.at("key").as_string() == key)
            found = json::object{{"status", "ok"}, {"id", id}, {"version", r.at("version")}, {"data", r.at("data")}};
        results.push_back(std::move(found));
        continue;
      }
      std::ofstream(dir_ / "ops.log", std::ios::app) << key << (resend ? " resend\n" : " fresh\n");
      if (resend) {
        const json::value* at = op.if_contains("sent_at");
        std::ofstream(dir_ / "sent_at.log", std::ios::app)
            << key << " " << (at && at->is_string() ? std::string(at->as_string()) : std::string("-")) << "\n";
      }
      if (resend) {
        if (fs::exists(dir_ / "fail-lookups")) {
          results.push_back(json::object{{"status", "retry"}, {"retry_after", retry_after()}, {"message", "the look-up failed"}});
          continue;
        }
        json::value found;
        for (const auto& [id, r] : recs)
          if (r.at("key").as_string() == key) {
            found = json::object{{"status", "ok"}, {"id", id}, {"version", r.at("version")}};
            if (fs::exists(dir_ / "found-data")) found.as_object()["data"] = r.at("data");  // (the record as it is now)
          }
        if (!found.is_null()) {
          results.push_back(std::move(found));
          continue;
        }
      }
      // FOLDER/adopt holding an id: the next create stores nothing and is
      // answered ok with that record (a look-up that took a look-alike)
      if (fs::exists(dir_ / "adopt")) {
        std::string id = slurp(dir_ / "adopt");
        fs::remove(dir_ / "adopt");
        results.push_back(json::object{{"status", "ok"}, {"id", id}, {"version", recs.at(id).at("version")}});
        continue;
      }
      if (long refuse = fs::exists(dir_ / "refuse") ? std::stol(slurp(dir_ / "refuse")) : 0; refuse > 0) {
        std::ofstream(dir_ / "refuse") << refuse - 1;
        results.push_back(json::object{{"status", "retry"}, {"retry_after", 1}, {"message", "unavailable; nothing was made"}});
        continue;
      }
      // FOLDER/slow holding S: the next create takes S s before it is stored
      // (an op late in a long batch); FOLDER/stored.log gets "KEY TIME" (UTC, s)
      if (long slow = fs::exists(dir_ / "slow") ? std::stol(slurp(dir_ / "slow")) : 0; slow > 0) {
        fs::remove(dir_ / "slow");  // (once)
        std::this_thread::sleep_for(std::chrono::seconds(slow));
      }
      {
        std::time_t t = std::time(nullptr);
        std::tm tm{};
        gmtime_r(&t, &tm);
        char b[32];
        std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", &tm);
        std::ofstream(dir_ / "stored.log", std::ios::app) << key << " " << b << "\n";
      }
      std::string id = "r" + std::to_string(seq + 1);
      json::value stored = op.at("data");
      if (fs::exists(dir_ / "normalise")) {
        json::object own{{"created", std::to_string(std::time(nullptr))}};
        for (const char* k : {"title", "body"})
          if (const json::value* v = stored.as_object().if_contains(k)) own[k] = *v;
        stored = std::move(own);
      }
      if (fs::exists(dir_ / "own-form")) stored = own_form(std::move(stored));
      recs[id] = json::object{{"key", key}, {"data", std::move(stored)}, {"version", version(id)}};
      if (long lose = fs::exists(dir_ / "lose") ? std::stol(slurp(dir_ / "lose")) : 0; lose > 0) {
        std::ofstream(dir_ / "lose") << lose - 1;
        results.push_back(json::object{{"status", "retry"}, {"retry_after", retry_after()}, {"maybe_written", true},
                                       {"message", "the answer was lost; looked for again before it is sent again"}});
        continue;
      }
      results.push_back(json::object{{"status", "ok"}, {"id", id}, {"version", recs[id].at("version")}});
    }
    st.at("seq") = seq;
    std::ofstream(dir_ / "store.json", std::ios::trunc) << json::serialize(st);
    return json::serialize(results);
  }

 private:
  json::object load() const {
    fs::create_directories(dir_);
    if (!fs::exists(dir_ / "store.json")) return json::object{{"seq", 0}, {"records", json::object{}}};
    return json::parse(slurp(dir_ / "store.json")).as_object();
  }

  // the seconds a retry asks to wait: FOLDER/retry-after's, else 1
  long retry_after() const { return fs::exists(dir_ / "retry-after") ? std::stol(slurp(dir_ / "retry-after")) : 1; }
  fs::path dir_;
  bool list_keys_ = true;
};

}  // namespace

ACCORD_CONNECTOR(LostAnswer, kManifest,
                 ACCORD_CAP_READ | ACCORD_CAP_WRITE | ACCORD_CAP_IDEMPOTENT_CREATE | ACCORD_CAP_DELETE | ACCORD_CAP_FIND_ONLY)
