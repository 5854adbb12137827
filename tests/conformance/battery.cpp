// SPDX-License-Identifier: Apache-2.0
// The conformance battery: see battery.hpp. Every answer a connector gives
// is also checked against the SDK's schemas (schemas.hpp), and reported by
// the last check, "schemas".
#include "battery.hpp"

#include "schemas.hpp"

#include <accord/mail/message.hpp>
#include <accord/watch.h>

#include "daemon/file_watch.hpp"
#include "plugins/instance.hpp"
#include "plugins/wire.hpp"

#include <boost/json.hpp>

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

namespace json = boost::json;
using namespace std::chrono_literals;

namespace accord::conformance {

namespace {

// A check stops at its first failed expectation by throwing this.
struct CheckFailed {
  std::string why;
};
struct CheckSkipped {
  std::string why;
};

void expect(bool cond, const std::string& why) {
  if (!cond) throw CheckFailed{why};
}

template <class T>
T must(Result<T> r, const std::string& what) {
  if (!r) throw CheckFailed{what + " failed: " + status_name(r.error().status) + ": " + r.error().message};
  return std::move(*r);
}

// An answer holds its records (or results) up to three levels down
// ({"records": [{…}]}), and the host reads a record nested up to 32 levels
// from its own object (docs/sdk.md): the kit reads answers that deep.
json::parse_options answer_depth() {
  json::parse_options o;
  o.max_depth = 34;
  return o;
}

json::value parse(std::string_view text, const std::string& what) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec, {}, answer_depth());
  if (ec) throw CheckFailed{what + " is not valid JSON: " + ec.message()};
  return v;
}

struct Record {
  std::string id, version;
  bool deleted = false;
  json::value data;
};

struct Page {
  std::vector<std::string> ids;  // in the order sent
  std::string cursor;            // the cursor this page answered
  bool more = false;
};

struct Listing {
  std::vector<Record> records;
  std::string cursor;
  bool full = false;       // a batch said "full": every live record, changed or not
  bool full_late = false;  // "full" came on a batch other than the first
  std::vector<Page> pages;
  std::optional<uint64_t> total;  // the latest "total" a batch said: how many the listing holds
};

const Record* find(const Listing& l, const std::string& id) {
  const Record* last = nullptr;  // a change feed may list an id twice: the last counts
  for (const auto& r : l.records)
    if (r.id == id) last = &r;
  return last;
}

struct OpResult {
  std::string status, id, version, message;
};

// Each field the manifest says the stream keeps must come back as it went in.
void expect_round_trip(const StreamInfo& s, const json::value& sent, const json::value& got,
                       const std::string& when) {
  auto compare = [&](const std::string& ptr) {
    boost::system::error_code ec1, ec2;
    const json::value* a = sent.find_pointer(ptr, ec1);
    if (!a) return;  // the sample does not set this field
    const json::value* b = got.find_pointer(ptr, ec2);
    expect(b != nullptr, when + ": field " + ptr + " is missing from the record read back");
    expect(*a == *b, when + ": field " + ptr + " went in as " + json::serialize(*a) + " and came back as " +
                         json::serialize(*b));
  };
  if (!s.fields.empty()) {
    for (const auto& f : s.fields)
      if (std::find(s.lazy.begin(), s.lazy.end(), f) == s.lazy.end()) compare(f);
  } else {
    for (const auto& [k, v] : sent.get_object()) compare("/" + std::string(k));
  }
}

std::string random_salt() {
  std::random_device rd;
  std::mt19937_64 g(rd());
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(g()));
  return buf;
}

// Runs `sh -c 'CMD "$@"' accord-mutate ARGS…`; its exit status (-1: could
// not run it). Its output goes where the kit's goes.
int run_hook(const std::string& cmd, const std::vector<std::string>& args) {
  std::vector<std::string> argv_s = {"sh", "-c", cmd + " \"$@\"", "accord-mutate"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    ::execv("/bin/sh", argv.data());
    ::_exit(127);
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

std::string shorten(std::string_view s, std::size_t max = 2000) {
  if (s.size() <= max) return std::string(s);
  return std::string(s.substr(0, max)) + "… (" + std::to_string(s.size()) + " bytes)";
}

class Battery {
 public:
  Battery(const LoadedPlugin& p, const Options& o) : plugin_(p), opts_(o), salt_(random_salt()) {
    host_.on_log([this](int32_t level, const std::string& message) {
      std::lock_guard lk(log_mutex_);
      if (level >= ACCORD_LOG_WARN) warnings_.push_back(message);
      if (opts_.trace) opts_.trace("  log " + std::to_string(level) + ": " + message);
    });
  }

  std::vector<CheckResult> run(const std::function<void(const CheckResult&)>& cb) {
    std::vector<CheckResult> out;
    auto step = [&](const std::string& name, auto&& fn) {
      CheckResult r{name, Outcome::kPass, ""};
      if (opts_.trace) opts_.trace("-- " + name);
      try {
        if (!ready_ && name != "manifest" && name != "create-destroy" && name != "schemas")
          throw CheckSkipped{"setup failed"};
        fn();
      } catch (const CheckFailed& f) {
        r.outcome = Outcome::kFail;
        r.detail = f.why;
      } catch (const CheckSkipped& s) {
        r.outcome = Outcome::kSkip;
        r.detail = s.why;
      } catch (const std::exception& e) {
        r.outcome = Outcome::kFail;
        r.detail = std::string("unexpected: ") + e.what();
      }
      if (cb) cb(r);
      out.push_back(std::move(r));
    };
    step("manifest", [&] { check_manifest(); });
    step("create-destroy", [&] { check_create_destroy(); });
    step("list", [&] { check_list(); });
    step("round-trip", [&] { check_round_trip(); });
    step("idempotent-create", [&] { check_idempotent_create(); });
    step("find-only", [&] { check_find_only(); });
    step("deep-record", [&] { check_deep_record(); });
    step("stale-version-conflict", [&] { check_stale_version(); });
    step("cursor-resume", [&] { check_cursor_resume(); });
    step("cursor-expiry", [&] { check_cursor_expiry(); });
    step("cancel", [&] { check_cancel(); });
    step("paging", [&] { check_paging(); });
    step("outside-changes", [&] { check_outside_changes(); });
    step("full-listing", [&] { check_full_listing(); });
    step("unreadable-record", [&] { check_unreadable_record(); });
    step("pre-store-cursor", [&] { check_pre_store_cursor(); });
    step("watch", [&] { check_watch(); });
    cleanup();
    step("schemas", [&] { check_schemas(); });
    return out;
  }

 private:
  Instance make() { return must(Instance::create(plugin_, host_, opts_.config_json), "create"); }

  void trace(const std::string& line) {
    if (opts_.trace) opts_.trace(line);
  }

  // ---- the calls, traced and checked against the schemas ------------------

  // Notes what does not match a schema; the "schemas" check reports it.
  void schema_check(const char* schema, const json::value& v, const std::string& what) {
    if (schemas_quiet_) return;
    for (auto& e : Schemas::get().validate(schema, v)) schema_problems_.push_back(what + ": " + e);
  }
  // A listing's or fetch's live records against the stream's canonical form.
  void data_check(const json::value& answer, const std::string& what) {
    if (data_schema_.empty() || !answer.is_object() || schemas_quiet_) return;
    const json::value* recs = answer.get_object().if_contains("records");
    if (!recs || !recs->is_array()) return;
    std::size_t i = 0;
    for (const auto& r : recs->get_array()) {
      const json::value* d = r.is_object() ? r.get_object().if_contains("data") : nullptr;
      if (d && d->is_object())
        for (auto& e : Schemas::get().validate(data_schema_, *d))
          schema_problems_.push_back(what + ": /records/" + std::to_string(i) + "/data" + (e[0] == '/' && e[1] == ':' ? e.substr(1) : e) +
                                     " (" + data_schema_ + ".schema.json)");
      ++i;
    }
  }

  // A listing's or fetch's answer: the answer against `schema`, its records'
  // data against the canonical form (what is not JSON, other checks report).
  void answer_check(const std::string& text, const char* schema, const std::string& what) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec, {}, answer_depth());
    if (ec) return;
    schema_check(schema, v, what);
    data_check(v, what);
  }

  std::string call_read(Instance& inst, const std::string& cursor) {
    trace("> read_changes " + stream_ + " " + json::serialize(json::value(cursor)));
    auto r = inst.read_changes(stream_, cursor);
    if (!r) {
      trace("< " + std::string(status_name(r.error().status)) + ": " + r.error().message);
      throw CheckFailed{"read_changes failed: " + std::string(status_name(r.error().status)) + ": " + r.error().message};
    }
    trace("< " + shorten(*r));
    std::string text(*r);
    answer_check(text, "batch", "a read_changes batch");
    return text;
  }

  // Reads every batch from `cursor` until "more" is false.
  Listing read_all(Instance& inst, std::string cursor) {
    Listing out;
    for (int guard = 0; guard < 100000; ++guard) {
      std::string text = call_read(inst, cursor);
      json::value v = parse(text, "a read_changes batch");
      expect(v.is_object(), "a batch must be a JSON object");
      const json::object& b = v.get_object();
      if (auto* f = b.if_contains("full"); f && f->is_bool() && f->get_bool()) {
        out.full = true;
        if (!out.pages.empty()) out.full_late = late_full_ = true;
      }
      expect(b.contains("records") && b.at("records").is_array(), "a batch needs a \"records\" array");
      expect(b.contains("cursor") && b.at("cursor").is_string(), "a batch needs a string \"cursor\"");
      if (auto* t = b.if_contains("total"); t && (t->is_uint64() || (t->is_int64() && t->get_int64() >= 0)))
        out.total = t->to_number<uint64_t>();  // the schemas check says what is wrong with any other
      Page page;
      for (const auto& rv : b.at("records").get_array()) {
        expect(rv.is_object(), "each record must be an object");
        const json::object& r = rv.get_object();
        expect(r.contains("id") && r.at("id").is_string(), "each record needs a string \"id\"");
        Record rec;
        rec.id = r.at("id").get_string();
        if (auto* ver = r.if_contains("version"); ver && ver->is_string()) rec.version = ver->get_string();
        rec.deleted = r.contains("deleted") && r.at("deleted").is_bool() && r.at("deleted").get_bool();
        if (!rec.deleted) {
          expect(r.contains("data") && r.at("data").is_object(), "record " + rec.id + " needs a \"data\" object");
          rec.data = r.at("data");
        }
        page.ids.push_back(rec.id);
        out.records.push_back(std::move(rec));
      }
      out.cursor = b.at("cursor").get_string();
      page.cursor = out.cursor;
      bool more = b.contains("more") && b.at("more").is_bool() && b.at("more").get_bool();
      page.more = more;
      out.pages.push_back(std::move(page));
      if (more) paged_ = true;
      if (!more) return out;
      expect(out.cursor != cursor, "\"more\" is true but the cursor did not advance");
      cursor = out.cursor;
    }
    throw CheckFailed{"read_changes never said more:false"};
  }

  std::vector<OpResult> apply(Instance& inst, const json::array& ops) {
    std::string sent = json::serialize(ops);
    trace("> apply " + stream_ + " " + shorten(sent));
    auto r = inst.apply(stream_, sent);
    if (!r) trace("< " + std::string(status_name(r.error().status)) + ": " + r.error().message);
    auto text = must(std::move(r), "apply");
    trace("< " + shorten(text));
    json::value v = parse(text, "apply's answer");
    schema_check("results", v, "apply's answer");
    expect(v.is_array(), "apply must answer a JSON array");
    expect(v.get_array().size() == ops.size(), "apply must answer one result per op (got " +
                                                   std::to_string(v.get_array().size()) + " for " +
                                                   std::to_string(ops.size()) + ")");
    std::vector<OpResult> out;
    std::size_t k = 0;
    for (const auto& rv : v.get_array()) {
      expect(rv.is_object() && rv.get_object().contains("status"), "each result needs a \"status\"");
      const json::object& op = ops[k++].as_object();
      bool ok = rv.get_object().at("status") == "ok";
      if (op.at("op") == "delete" && ok) deleted_.insert(std::string(op.at("id").as_string()));
      // an update may answer a new id (a message moved to another folder): the kit follows it
      if (const json::value* nid = rv.get_object().if_contains("id");
          op.at("op") == "update" && ok && nid && nid->is_string() && *nid != op.at("id")) {
        std::string from(op.at("id").as_string()), to(nid->get_string());
        std::replace(created_.begin(), created_.end(), from, to);
        if (auto t = tag_of_.find(from); t != tag_of_.end()) tag_of_[to] = t->second;
      }
      const json::object& o = rv.get_object();
      auto str = [&](const char* k) {
        auto* x = o.if_contains(k);
        return x && x->is_string() ? std::string(x->get_string()) : std::string();
      };
      out.push_back({str("status"), str("id"), str("version"), str("message")});
    }
    return out;
  }

  OpResult apply_one(Instance& inst, json::object op) { return apply(inst, json::array{std::move(op)}).front(); }

  std::string call_fetch(Instance& inst, const json::array& ids) {
    std::string sent = json::serialize(ids);
    trace("> fetch " + stream_ + " " + shorten(sent));
    auto r = inst.fetch(stream_, sent);
    if (!r) trace("< " + std::string(status_name(r.error().status)) + ": " + r.error().message);
    std::string text(must(std::move(r), "fetch"));
    trace("< " + shorten(text));
    answer_check(text, "fetch", "fetch's answer");
    return text;
  }

  // ---- records the kit makes ----------------------------------------------

  json::object sample_create(const std::string& tag) {
    json::object o = sample_.create.get_object();
    if (o.contains("uid")) o["uid"] = "urn:uuid:accord-conformance-" + salt_ + "-" + tag;
    if (o.contains("messageId") && o.contains("raw")) {
      // a message: its own Message-ID per tag, in the record and in its raw form
      std::string id = "conformance-" + salt_ + "-" + tag + "@accord.test";
      std::string old = std::string(o["messageId"].as_array().at(0).as_string());
      std::string raw = accord::mail::base64_decode(o["raw"].as_string()).value_or("");
      if (auto at = raw.find(old); at != std::string::npos) raw.replace(at, old.size(), id);
      o["messageId"] = json::array{json::value(id)};
      o["raw"] = accord::mail::base64_encode(raw);
      o["size"] = raw.size();
    }
    return o;
  }
  json::object sample_update(const std::string& tag) {
    json::object upd = sample_.update.get_object();
    if (upd.contains("uid")) upd["uid"] = sample_create(tag)["uid"];
    return upd;
  }
  std::string key(const std::string& tag) { return "accord-conformance-" + salt_ + "-" + tag; }

  json::object create_op(const std::string& tag, bool with_key = true) {
    json::object op{{"op", "create"}, {"data", sample_create(tag)}};
    if (with_key) op["idempotency_key"] = key(tag);
    return op;
  }

  OpResult create_record(Instance& inst, const std::string& tag) {
    OpResult r = apply_one(inst, create_op(tag));
    expect(r.status == "ok", "create answered " + r.status + ": " + r.message);
    expect(!r.id.empty(), "create must answer the new record's id");
    created_.push_back(r.id);
    tag_of_[r.id] = tag;
    return r;
  }

  // `n` records the kit created that `l` holds live (their tags in
  // tag_of_), creating what is missing: the later checks reuse the records
  // the earlier ones left, so that a store whose deletes leave tombstones (a
  // CRM's archive) gains few.
  // The sample data of the kit's record `id` that differs from `now`, its
  // data as listed: the update sample, or the create sample when it already
  // has the update's fields.
  json::object other_form(const std::string& id, const json::value& now) {
    const std::string& tag = tag_of_[id];
    json::object upd = sample_update(tag);
    bool same = true;
    for (const auto& [k, v] : upd) {
      const json::value* got = now.is_object() ? now.get_object().if_contains(k) : nullptr;
      if (!got || *got != v) same = false;
    }
    if (!same) return upd;
    json::object c = sample_create(tag);
    c.erase("raw");  // an update carries no body (lazy fields are not updated)
    return c;
  }

  std::vector<std::string> kit_records(const Listing& l, std::size_t n, const std::string& tag) {
    std::vector<std::string> out;
    for (const auto& id : alive_created(l))
      if (out.size() < n && tag_of_.contains(id) && std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
    for (int i = 1; out.size() < n; ++i) out.push_back(create_record(*inst_, tag + std::to_string(i)).id);
    return out;
  }

  void need_write() {
    if (!(caps_ & ACCORD_CAP_WRITE)) throw CheckSkipped{"connector is read-only"};
  }

  // ---- the checks -----------------------------------------------------------

  void check_manifest() {
    const Manifest& m = plugin_.manifest;
    expect(m.config_schema.is_object(), "config_schema must be an object");
    stream_ = opts_.stream.empty() ? m.streams.front().name : opts_.stream;
    const StreamInfo* s = m.stream(stream_);
    if (!s && m.custom_streams) {
      custom_.name = stream_;
      s = &custom_;
    }
    expect(s != nullptr, "the manifest declares no stream \"" + stream_ + "\"");
    info_ = *s;
    data_schema_ = Schemas::for_canonical(info_.canonical);
    auto sample = opts_.sample ? opts_.sample : builtin_sample(info_.canonical, salt_);
    expect(sample.has_value(), "stream \"" + stream_ + "\" is " + info_.canonical +
                                   ": give a sample record with --sample FILE");
    sample_ = *sample;
    caps_ = plugin_.table->capabilities;
  }

  void check_create_destroy() {
    auto start = std::chrono::steady_clock::now();
    { Instance i = make(); }
    auto took = std::chrono::steady_clock::now() - start;
    expect(took < 2s, "create+destroy took " +
                          std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()) +
                          " ms; create must be cheap (no network)");
    inst_.emplace(make());
    ready_ = true;
  }

  void check_list() {
    Listing l = read_all(*inst_, "");
    // the first cursor, before the kit wrote anything (pre-store-cursor)
    first_cursor_ = l.cursor;
    first_empty_ = l.records.empty();
    first_taken_ = true;
    for (const auto& r : l.records) expect(!r.deleted, "a full listing must not contain deleted records");
  }

  void check_round_trip() {
    need_write();
    Listing before = read_all(*inst_, "");
    OpResult c = create_record(*inst_, "rt");
    Listing after = read_all(*inst_, before.cursor);
    const Record* got = find(after, c.id);
    expect(got && !got->deleted, "the created record " + c.id + " is not in the changes after it");
    expect(got->version == c.version || c.version.empty(),
           "create answered version " + c.version + " but the record reads back as " + got->version);
    expect_round_trip(info_, json::value(sample_create("rt")), got->data, "after create");
    check_lazy(*got);

    json::object upd = sample_update("rt");
    OpResult u = apply_one(*inst_, json::object{{"op", "update"}, {"id", c.id}, {"expect_version", got->version}, {"data", upd}});
    expect(u.status == "ok", "update answered " + u.status + ": " + u.message);
    expect(u.version != got->version, "update must change the version (still " + u.version + ")");
    Listing after_upd = read_all(*inst_, after.cursor);
    const Record* got2 = find(after_upd, c.id);
    expect(got2 && !got2->deleted, "the updated record is not in the changes after the update");
    expect_round_trip(info_, json::value(upd), got2->data, "after update");

    if (!(caps_ & ACCORD_CAP_DELETE)) return;
    OpResult d = apply_one(*inst_, json::object{{"op", "delete"}, {"id", c.id}, {"expect_version", u.version}});
    expect(d.status == "ok", "delete answered " + d.status + ": " + d.message);
    Listing after_del = read_all(*inst_, after_upd.cursor);
    const Record* got3 = find(after_del, c.id);
    if (caps_ & ACCORD_CAP_CHANGE_FEED)
      expect(got3 && got3->deleted, "a change feed must report the delete of " + c.id + " as deleted:true");
    Listing full = read_all(*inst_, "");
    expect(find(full, c.id) == nullptr, "the deleted record " + c.id + " is still in a full listing");
  }

  // Lazy fields are never in a listing (`listed`, as read back after its
  // create); fetch gives them as they went in.
  void check_lazy(const Record& listed) {
    if (info_.lazy.empty()) return;
    expect(caps_ & ACCORD_CAP_FETCH, "the stream declares lazy fields but the connector lacks the fetch capability");
    json::value sent(sample_create("rt"));
    auto text = call_fetch(*inst_, json::array{json::value(listed.id)});
    json::value v = parse(text, "fetch's answer");
    const json::value* recs = v.is_object() ? v.get_object().if_contains("records") : nullptr;
    expect(recs && recs->is_array() && recs->get_array().size() == 1, "fetch of one id must answer one record");
    for (const auto& f : info_.lazy) {
      boost::system::error_code ec;
      expect(!listed.data.find_pointer(f, ec), "the lazy field " + f + " must not be in a listing");
      const json::value* want = sent.find_pointer(f, ec);
      if (!want) continue;
      const json::value* got = recs->get_array()[0].find_pointer("/data" + f, ec);
      expect(got && *got == *want, "the lazy field " + f + " fetched back differs from what was created");
    }
  }

  void check_idempotent_create() {
    if (!(caps_ & ACCORD_CAP_IDEMPOTENT_CREATE)) throw CheckSkipped{"idempotent_create not declared"};
    // RFC 3339 UTC, as the host writes a resend's times
    auto utc = [](std::time_t t) {
      std::tm tm{};
      gmtime_r(&t, &tm);
      char b[80];
      std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", &tm);
      return std::string(b);
    };
    auto live = [&] {
      std::set<std::string> ids;
      for (const auto& r : read_all(*inst_, "").records)
        if (!r.deleted) ids.insert(r.id);
      return ids;
    };
    std::string first_sent = utc(std::time(nullptr));  // (rounded down: before the write)
    OpResult a = create_record(*inst_, "idem");
    std::string sent = utc(std::time(nullptr) + 1);  // (rounded up: after it)
    // the same create again, as the host sends it after a crash: marked as a
    // resend, with when its first try was sent and by when it had written
    json::object again = create_op("idem");
    again["resend"] = true;
    again["first_sent_at"] = first_sent;
    again["sent_at"] = sent;
    std::set<std::string> before = live();
    OpResult b = apply_one(*inst_, again);
    // A store that keeps no key finds its record by content and takes none
    // it cannot tell from a look-alike (docs/sdk.md, first_sent_at): a plain
    // retry that made nothing keeps the promise (never two records).
    if (b.status == "retry" && live() == before)
      throw CheckSkipped{"the resend could not tell the record its first try made, and made none (answered retry: " +
                         b.message + ")"};
    expect(b.status == "ok", "the second create with the same key answered " + b.status + ": " + b.message);
    if (b.id != a.id) created_.push_back(b.id);
    expect(b.id == a.id, "two creates with one idempotency key made two records (" + a.id + ", " + b.id + ")");
    // A fresh instance must find the key too: it is stored with the record.
    Instance other = make();
    OpResult c = apply_one(other, again);
    if (c.id != a.id && !c.id.empty()) created_.push_back(c.id);
    expect(c.id == a.id, "a new instance made a second record for an existing key (" + c.id + ")");
  }

  // A connector declaring find_only: a create sent with "resend" and
  // "find_only" looks its key up and writes nothing: not_found (or a plain
  // retry, a look-up that may lag) for a key no record holds, the record's
  // id for one a create stored.
  // A record nested as deep as the host reads (its data 31 levels: the
  // record 32 from its own object, docs/sdk.md), sent in one call with a
  // plain create: the ops then nest 33 levels. The call answers each op
  // (the store may drop or refuse the deep member: any status for that
  // one), and the plain create is written. A connector parsing ops at the
  // records' own depth (Boost.JSON's default 32) failed every write of
  // such a call, and again at each retry.
  void check_deep_record() {
    need_write();
    json::value deep_value = 1;
    for (int i = 0; i < 30; ++i) {
      json::array a;
      a.push_back(std::move(deep_value));
      deep_value = std::move(a);
    }
    json::object deep = create_op("deep");
    deep["data"].as_object()["accordConformanceDeep"] = std::move(deep_value);
    std::vector<OpResult> r;
    try {
      r = apply(*inst_, json::array{create_op("deep-plain"), std::move(deep)});
    } catch (const CheckFailed& f) {
      throw CheckFailed{f.why + " (a call holding a record whose data nests 31 levels: ops nest up to 33, parse them "
                                "with that depth, docs/sdk.md)"};
    }
    const char* tags[] = {"deep-plain", "deep"};
    for (std::size_t i = 0; i < r.size(); ++i)
      if (r[i].status == "ok" && !r[i].id.empty()) {
        created_.push_back(r[i].id);
        tag_of_[r[i].id] = tags[i];
      }
    expect(r[0].status == "ok", "a create sent in one call with a record whose data nests 31 levels answered " +
                                    r[0].status + ": " + r[0].message + " (ops nest up to 33 levels, docs/sdk.md)");
    // the later checks start from the records they start from without it
    if (caps_ & ACCORD_CAP_DELETE) {
      json::array gone;
      for (std::size_t i = 0; i < r.size(); ++i)
        if (r[i].status == "ok" && !r[i].id.empty()) gone.push_back(json::object{{"op", "delete"}, {"id", r[i].id}});
      if (!gone.empty()) (void)apply(*inst_, gone);
    }
  }

  void check_find_only() {
    if (!(caps_ & ACCORD_CAP_FIND_ONLY)) throw CheckSkipped{"find_only not declared"};
    need_write();
    auto live = [&] {
      std::set<std::string> ids;
      for (const auto& r : read_all(*inst_, "").records)
        if (!r.deleted) ids.insert(r.id);
      return ids;
    };
    std::set<std::string> before = live();
    json::object absent = create_op("find-absent");
    absent["resend"] = true;
    absent["find_only"] = true;
    OpResult a = apply_one(*inst_, absent);
    if (!a.id.empty()) created_.push_back(a.id);
    // a stream of a connector declaring the capability that cannot look
    // its keys up (docs/sdk.md: the host then does as without it)
    if (a.status == "unsupported" && live() == before) throw CheckSkipped{"stream answers find_only unsupported: " + a.message};
    expect(a.status == "not_found" || a.status == "retry",
           "a find_only create of a key no record holds answered " + a.status + " (want not_found): " + a.message);
    std::set<std::string> after = live();
    for (const auto& id : after)
      if (!before.contains(id)) {
        created_.push_back(id);
        expect(false, "a find_only create wrote a record (" + id + ")");
      }
    OpResult c = create_record(*inst_, "find");
    json::object look = create_op("find");
    look["resend"] = true;
    look["find_only"] = true;
    OpResult f = apply_one(*inst_, look);
    expect(f.status == "ok" || f.status == "retry",
           "a find_only create of a stored key answered " + f.status + " (want ok): " + f.message);
    if (f.status == "ok") expect(f.id == c.id, "a find_only create found " + f.id + ", not " + c.id);
  }

  void check_stale_version() {
    need_write();
    OpResult c = create_record(*inst_, "stale");
    json::object upd = sample_update("stale");
    OpResult u = apply_one(*inst_, json::object{{"op", "update"}, {"id", c.id}, {"expect_version", c.version}, {"data", upd}});
    expect(u.status == "ok", "update answered " + u.status + ": " + u.message);
    OpResult stale = apply_one(*inst_, json::object{{"op", "update"}, {"id", c.id}, {"expect_version", c.version}, {"data", upd}});
    expect(stale.status == "conflict", "an update with the stale version " + c.version + " answered " +
                                           stale.status + " (want conflict)");
    if (caps_ & ACCORD_CAP_DELETE) {
      OpResult d = apply_one(*inst_, json::object{{"op", "delete"}, {"id", c.id}, {"expect_version", c.version}});
      expect(d.status == "conflict", "a delete with a stale version answered " + d.status + " (want conflict)");
    }
  }

  static bool unchanged(const Listing& before, const Record& r) {
    const Record* b = find(before, r.id);
    return b && b->version == r.version;
  }

  void check_cursor_resume() {
    need_write();
    Listing base = read_all(*inst_, "");
    OpResult c = create_record(*inst_, "resume");
    // A new instance resumes from the cursor: cursors outlive instances.
    Instance other = make();
    Listing since = read_all(other, base.cursor);
    expect(find(since, c.id) != nullptr, "the record created after the cursor is not in the changes since it");
    // A listing marked "full" (a stream without a change feed) holds every
    // live record; the others must be unchanged, and nothing may be missing.
    for (const auto& r : since.records)
      expect(r.id == c.id || (since.full && unchanged(base, r)),
             "the changes since the cursor also hold " + r.id + ", which did not change");
    Listing again = read_all(other, since.cursor);
    if (again.full) {
      expect(find(again, c.id) != nullptr, "a full listing after the create misses " + c.id);
      for (const auto& r : again.records)
        expect(unchanged(since, r) || (r.id != c.id && unchanged(base, r)),
               "nothing changed, but a full listing holds " + r.id + " with a new version");
    } else {
      expect(again.records.empty(), "nothing changed, but the changes since the last cursor hold " +
                                        std::to_string(again.records.size()) + " records");
    }
  }

  void check_cursor_expiry() {
    trace("> read_changes " + stream_ + " (a foreign cursor)");
    auto r = inst_->read_changes(stream_, "accord-conformance-foreign-cursor:" + salt_);
    expect(!r, "a cursor the connector never issued was accepted; it must answer cursor_expired");
    trace("< " + std::string(status_name(r.error().status)) + ": " + r.error().message);
    expect(r.error().status == ACCORD_CURSOR_EXPIRED,
           std::string("a foreign cursor answered ") + status_name(r.error().status) + " (want cursor_expired)");
  }

  void check_cancel() {
    Instance victim = make();
    std::atomic<int> calls{0};
    std::atomic<int> last_status{-1};
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    std::thread worker([&] {
      auto deadline = std::chrono::steady_clock::now() + 4s;
      while (std::chrono::steady_clock::now() < deadline) {
        auto r = victim.read_changes(stream_, "");
        calls.fetch_add(1);
        if (!r) {
          last_status = r.error().status;
          if (r.error().status == ACCORD_CANCELLED) break;
        }
      }
      std::lock_guard lk(m);
      done = true;
      cv.notify_all();
    });
    while (calls.load() == 0 && !worker_stopped(m, done)) std::this_thread::yield();
    victim.cancel();
    bool returned;
    {
      std::unique_lock lk(m);
      returned = cv.wait_for(lk, 2s, [&] { return done; });
    }
    worker.join();
    expect(returned, "after cancel(), calls went on for more than 2 s");
    expect(last_status == ACCORD_CANCELLED, std::string("after cancel() calls answered ") +
                                                status_name(last_status) + ", not cancelled");
  }

  static bool worker_stopped(std::mutex& m, bool& done) {
    std::lock_guard lk(m);
    return done;
  }

  // A listing in pages ("more": true) holds each live record once, and a new
  // instance given the cursor of a page in the middle reads the same rest.
  void check_paging() {
    // at least 3 live records, to fill 2 pages of 2
    Listing l = read_all(*inst_, "");
    std::vector<std::string> made;
    if ((caps_ & ACCORD_CAP_WRITE) && l.records.size() < 3) {
      for (std::size_t i = l.records.size(); i < 3; ++i) made.push_back(create_record(*inst_, "page" + std::to_string(i)).id);
      l = read_all(*inst_, "");
    }
    if (l.pages.size() < 2) {
      if (!paged_)
        throw CheckSkipped{"every listing came in one batch; configure a small page size (say 2 records) to test paging"};
      throw CheckSkipped{"other listings came in pages, but the full listing of " + std::to_string(l.records.size()) +
                         " records came in one batch; configure a page size below " + std::to_string(l.records.size())};
    }
    std::set<std::string> seen;
    for (const auto& r : l.records) {
      expect(!r.deleted, "a full listing in pages holds " + r.id + " as deleted");
      expect(seen.insert(r.id).second, "a full listing in pages holds " + r.id + " twice");
    }
    for (const auto& id : made) expect(seen.contains(id), "a full listing in pages misses " + id);
    // resume after the first page, from a new instance
    Instance other = make();
    Listing rest = read_all(other, l.pages.front().cursor);
    std::vector<std::string> want, got;
    for (std::size_t p = 1; p < l.pages.size(); ++p) want.insert(want.end(), l.pages[p].ids.begin(), l.pages[p].ids.end());
    for (const auto& r : rest.records) got.push_back(r.id);
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    expect(want == got, "a new instance resuming after the first page read " + std::to_string(got.size()) +
                            " records; the listing's later pages held " + std::to_string(want.size()));
  }

  // Changes made behind this instance's back (by a second instance, as
  // another client of the store would) show in its next read.
  void check_outside_changes() {
    need_write();
    bool del = caps_ & ACCORD_CAP_DELETE;
    Listing base = read_all(*inst_, "");
    std::vector<std::string> mine = kit_records(base, del ? 2 : 1, "outside");
    if (std::any_of(mine.begin(), mine.end(), [&](const std::string& id) { return !find(base, id); }))
      base = read_all(*inst_, "");  // it made some
    std::string x = mine[0], y = del ? mine[1] : "";
    const Record* bx = find(base, x);
    expect(bx != nullptr, "the created record " + x + " is not in a full listing");
    std::string old_version = bx->version;
    json::object upd = other_form(x, bx->data);
    {
      Instance outside = make();
      OpResult u = apply_one(outside, json::object{{"op", "update"}, {"id", x}, {"expect_version", old_version}, {"data", upd}});
      expect(u.status == "ok", "an update from a second instance answered " + u.status + ": " + u.message);
      if (!y.empty()) {
        OpResult d = apply_one(outside, json::object{{"op", "delete"}, {"id", y}});
        expect(d.status == "ok", "a delete from a second instance answered " + d.status + ": " + d.message);
      }
    }
    Listing since = read_all(*inst_, base.cursor);
    const Record* sx = find(since, x);
    expect(sx && !sx->deleted, "a record updated by another instance is not in this instance's changes since");
    expect(sx->version != old_version, "a record updated by another instance reads back with its old version " + old_version);
    expect_round_trip(info_, json::value(upd), sx->data, "after an update by another instance");
    if (!y.empty()) {
      const Record* sy = find(since, y);
      bool reported = (sy && sy->deleted) || (since.full && !sy);
      if (caps_ & ACCORD_CAP_CHANGE_FEED)
        expect(reported, "a record deleted by another instance is not reported deleted in this instance's changes since");
      Listing full = read_all(*inst_, "");
      expect(find(full, y) == nullptr, "a record deleted by another instance is still in this instance's full listing");
      const Record* fx = find(full, x);
      expect(fx && fx->version != old_version, "a record updated by another instance is in this instance's full listing with its old version");
    }
  }

  // A listing marked "full" says so on its first batch and holds every live
  // record; cursor "" always lists them all.
  void check_full_listing() {
    Listing all = read_all(*inst_, "");
    std::string changed;
    if (caps_ & ACCORD_CAP_WRITE) {
      changed = kit_records(all, 1, "full").front();
      if (!find(all, changed)) all = read_all(*inst_, "");
    }
    expect(!all.full_late, "\"full\": true came on a later batch of a listing; it belongs on the first");
    // "total", where a listing says it, is how many it holds: the host's
    // reading bar. A hint, but on a store nobody else changes meanwhile it
    // should be right (within a tenth, for a server that estimates).
    if (all.total) {
      uint64_t n = all.records.size(), t = *all.total, off = t > n ? t - n : n - t;
      expect(off <= std::max<uint64_t>(1, n / 10), "the full listing said \"total\": " + std::to_string(t) +
                                                        " but held " + std::to_string(n) + " records");
    }
    std::set<std::string> live;
    for (const auto& r : all.records)
      if (!r.deleted) live.insert(r.id);
    for (const auto& id : created_)
      if (!deleted_.contains(id)) expect(live.contains(id), "the full listing misses " + id + ", which the kit created");
    // change one record, then read on: a listing marked full must hold them all
    if (!changed.empty()) {
      const Record* a = find(all, changed);
      expect(a != nullptr, "the full listing misses " + changed);
      OpResult u = apply_one(*inst_, json::object{{"op", "update"}, {"id", a->id}, {"expect_version", a->version},
                                                  {"data", other_form(changed, a->data)}});
      expect(u.status == "ok", "update answered " + u.status + ": " + u.message);
    }
    Listing next = read_all(*inst_, all.cursor);
    expect(!late_full_, "\"full\": true came on a later batch of a listing; it belongs on the first");
    if (!next.full) return;
    std::set<std::string> got;
    for (const auto& r : next.records)
      if (!r.deleted) got.insert(r.id);
    for (const auto& id : live)
      expect(got.contains(id), "a listing marked \"full\" misses " + id + ", which is live (the host would take it as deleted)");
  }

  // The records the kit created that a listing still holds.
  std::vector<std::string> alive_created(const Listing& l) {
    std::vector<std::string> out;
    for (const auto& id : created_)
      if (const Record* r = find(l, id); r && !r->deleted) out.push_back(id);
    return out;
  }

  // A record the connector cannot read (put there by --mutate) is reported
  // (a warning in the log, or a record the host's wire reader refuses) and
  // the listing goes on with the others.
  void check_unreadable_record() {
    if (opts_.mutate.empty())
      throw CheckSkipped{"give --mutate CMD (a command that puts an unreadable record into the store) to run it"};
    Listing before = read_all(*inst_, "");
    trace("> " + opts_.mutate + " unreadable " + stream_);
    int rc = run_hook(opts_.mutate, {"unreadable", stream_});
    expect(rc == 0, "the --mutate command failed (\"" + opts_.mutate + " unreadable " + stream_ + "\" exited " +
                        std::to_string(rc) + ")");
    struct Repair {
      Battery* b;
      ~Repair() {
        b->trace("> " + b->opts_.mutate + " repair " + b->stream_);
        (void)run_hook(b->opts_.mutate, {"repair", b->stream_});
      }
    } repair{this};
    {
      std::lock_guard lk(log_mutex_);
      warnings_.clear();
    }
    // what the connector answers about the bad record is this check's
    // business, not the schemas check's
    struct Quiet {
      bool& flag;
      Quiet(bool& f) : flag(f) { flag = true; }
      ~Quiet() { flag = false; }
    } quiet{schemas_quiet_};
    Instance fresh = make();
    Wired all = read_wired(fresh, "", "the listing");
    for (const auto& r : before.records)
      expect(all.ids.contains(r.id), "with an unreadable record in the store, the listing misses " + r.id +
                                         (all.refused_why.contains(r.id)
                                              ? " (the host cannot read it: " + all.refused_why[r.id] + ")"
                                              : ""));
    bool warned;
    {
      std::lock_guard lk(log_mutex_);
      warned = !warnings_.empty();
    }
    if (!warned && all.refused == 0) {
      std::string listed, why;  // what the listing holds that it did not before
      for (const auto& id : all.ids)
        if (!find(before, id)) {
          listed += (listed.empty() ? "" : ", ") + id;
          if (why.empty() && !data_schema_.empty())
            if (auto e = Schemas::get().validate(data_schema_, all.data[id]); !e.empty())
              why = "; its data does not match " + data_schema_ + ".schema.json: " + e.front();
        }
      throw CheckFailed{listed.empty()
                            ? "the unreadable record was skipped without a word: log a warning naming it"
                            : "the record --mutate made unreadable was listed (" + listed +
                                  ") as if it were readable, and nothing was logged" + why};
    }
    // reading changes goes on past it too
    (void)read_wired(fresh, before.cursor, "reading changes");
  }

  // A listing read page by page with the host's own wire reader, which
  // skips (and reports) the records it cannot read, as the host does.
  struct Wired {
    std::set<std::string> ids;  // live records read
    std::map<std::string, json::value> data;  // their data
    std::size_t refused = 0;
    std::map<std::string, std::string> refused_why;  // id → why the reader refused it
  };
  Wired read_wired(Instance& inst, std::string cursor, const std::string& what) {
    Wired out;
    for (int guard = 0; guard < 100000; ++guard) {
      std::string text;
      try {
        text = call_read(inst, cursor);
      } catch (const CheckFailed& f) {
        throw CheckFailed{"with an unreadable record in the store, " + what + " failed: " + f.why};
      }
      wire::Batch b = wire::read_batch(text);
      expect(b.error.empty(), "with an unreadable record in the store, " + what + " is unreadable: " + b.error);
      out.refused += b.unreadable.size();
      for (const auto& p : b.unreadable)
        if (!p.id.empty()) out.refused_why[p.id] = p.pointer + ": " + p.reason;
      for (const auto& r : b.records)
        if (!r.deleted) {
          out.ids.insert(r.id);
          out.data[r.id] = r.data;
        }
      if (!b.more) return out;
      expect(b.cursor != cursor, "\"more\" is true but the cursor did not advance");
      cursor = b.cursor;
    }
    throw CheckFailed{what + " never said more:false"};
  }

  // The cursor of the first listing, taken before the kit wrote anything
  // (on a store that did not exist yet, when the kit is run so), still
  // resumes, and brings what was written since.
  void check_pre_store_cursor() {
    need_write();
    if (!first_taken_) throw CheckSkipped{"the list check took no cursor"};
    Listing now = read_all(*inst_, "");
    (void)kit_records(now, 1, "prestore");  // at least one record written since
    Instance other = make();
    trace("-- the cursor of the first listing" + std::string(first_empty_ ? ", taken on an empty store" : ""));
    Listing since;
    try {
      since = read_all(other, first_cursor_);
    } catch (const CheckFailed& f) {
      throw CheckFailed{std::string("the cursor of the first listing") +
                        (first_empty_ ? " (taken while the store was empty or did not exist)" : "") +
                        " no longer resumes: " + f.why};
    }
    for (const auto& id : alive_created(read_all(*inst_, "")))
      expect(find(since, id) && !find(since, id)->deleted,
             "the changes since the first listing's cursor miss " + id + ", created after it");
  }

  // ---- accord.watch.v1 -------------------------------------------------------

  // What every file under the watched paths is now (a folder with its
  // subfolders, a file with the names beside it that begin with its name),
  // those under an ignored path left out: as the daemon judges an event.
  static std::map<std::string, daemon::FileSig> snapshot(const std::vector<std::string>& paths,
                                                        const std::vector<std::string>& ignore) {
    namespace fs = std::filesystem;
    auto ignored = [&](const std::string& p) {
      return std::any_of(ignore.begin(), ignore.end(), [&](const std::string& i) {
        return p == i || (p.size() > i.size() && p.compare(0, i.size(), i) == 0 && p[i.size()] == '/');
      });
    };
    std::map<std::string, daemon::FileSig> out;
    auto take = [&](const fs::path& f) {
      if (!ignored(f.string())) out[f.string()] = daemon::file_sig(f.string());
    };
    std::error_code ec;
    for (const auto& p : paths) {
      if (fs::is_directory(p, ec)) {
        for (auto it = fs::recursive_directory_iterator(p, fs::directory_options::skip_permission_denied, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
          if (ignored(it->path().string())) {
            if (it->is_directory(ec)) it.disable_recursion_pending();
            continue;
          }
          take(it->path());
        }
      } else {
        fs::path f(p);
        for (const auto& e : fs::directory_iterator(f.parent_path(), ec))
          if (e.path().filename().string().starts_with(f.filename().string())) take(e.path());
      }
    }
    return out;
  }

  // What moved under the watch since `before` (the daemon's own inotify
  // watch, drained for up to `wait`; a path made and removed is as before).
  std::vector<std::string> moved_since(daemon::FileWatch& w, const std::map<std::string, daemon::FileSig>& before,
                                       std::chrono::milliseconds wait) {
    std::vector<std::string> out;
    auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
      for (const auto& [key, paths] : w.drain())
        for (const auto& p : paths) {
          auto it = before.find(p);
          if ((p.empty() || daemon::file_sig(p) != (it == before.end() ? daemon::FileSig{} : it->second)) &&
              std::find(out.begin(), out.end(), p) == out.end())
            out.push_back(p.empty() ? "(events lost)" : p);
        }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (!out.empty() || left.count() <= 0) return out;
      pollfd fd{w.fd(), POLLIN, 0};
      ::poll(&fd, 1, static_cast<int>(std::min<int64_t>(left.count(), 100)));
    }
  }

  // A connector offering accord.watch.v1 names, cheaply, absolute paths the
  // daemon watches: a record created, updated and deleted by another
  // instance (another program) moves a file under them, not only under
  // "ignore", within 2 s; reading the stream through an instance, closed
  // after, leaves every file under them as it was (else every run would
  // start the next: the daemon looks at most a few times, then leaves the
  // pair to its schedule, and a person's edit waits for it).
  void check_watch() {
    constexpr auto kBound = 2000ms;
    inst_.reset();  // no instance of the kit's open meanwhile: as between the daemon's runs
    struct Reopen {
      Battery& b;
      ~Reopen() {
        try {
          b.inst_.emplace(b.make());
        } catch (...) {
        }
      }
    } reopen{*this};
    std::optional<std::string> text;
    {
      Instance asked = make();
      if (!asked.extension(ACCORD_WATCH_V1)) throw CheckSkipped{"the connector does not offer accord.watch.v1"};
      auto start = std::chrono::steady_clock::now();
      text = asked.watch_paths(stream_);
      auto took = std::chrono::steady_clock::now() - start;
      expect(took < 1s, "accord.watch.v1's paths() took " +
                            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()) +
                            " ms; it must be cheap (no I/O beyond stat)");
    }
    if (!text) throw CheckSkipped{"accord.watch.v1 names nothing to watch for " + stream_ + " (its store is not on this machine)"};
    trace("< watch paths " + *text);
    json::value v = parse(*text, "accord.watch.v1's paths()");
    expect(v.is_object(), "accord.watch.v1's paths() must answer a JSON object {\"paths\": [...], \"ignore\": [...]}");
    std::vector<std::string> paths, ignore;
    auto strings = [&](const char* k, std::vector<std::string>& out, bool required) {
      const json::value* a = v.get_object().if_contains(k);
      if (!a) {
        expect(!required, std::string("accord.watch.v1's paths() answer has no \"") + k + "\"");
        return;
      }
      expect(a->is_array(), std::string("accord.watch.v1's \"") + k + "\" must be an array of paths");
      for (const auto& x : a->get_array()) {
        expect(x.is_string() && !x.get_string().empty() && x.get_string().front() == '/',
               std::string("accord.watch.v1's \"") + k + "\" holds " + json::serialize(x) + ", not an absolute path");
        out.emplace_back(x.get_string());
      }
    };
    strings("paths", paths, true);
    strings("ignore", ignore, false);
    expect(!paths.empty(), "accord.watch.v1's \"paths\" is empty (answer NULL when there is nothing to watch)");
    need_write();

    daemon::FileWatch w;
    std::string why = w.add(0, paths, ignore);
    expect(why.empty(), "the paths accord.watch.v1 names cannot be watched: " + why);
    // another program writes: each change must wake the watch
    auto by_other = [&](const std::string& what, const std::function<void(Instance&)>& write) {
      (void)w.drain();
      auto before = snapshot(paths, ignore);
      {
        Instance other = make();
        write(other);
      }
      auto moved = moved_since(w, before, kBound);
      expect(!moved.empty(), what + " by another instance moved no file under the paths accord.watch.v1 names (" +
                                 *text + ") within 2 s: the daemon would not see it until the pair's schedule");
      trace("-- " + what + " moved " + moved.front());
    };
    std::string id, version;
    by_other("a record created", [&](Instance& i) {
      OpResult c = create_record(i, "watch");
      id = c.id, version = c.version;
    });
    if (!id.empty()) {
      json::object upd = sample_update(tag_of_[id]);
      by_other("a record updated", [&](Instance& i) {
        OpResult u = apply_one(i, json::object{{"op", "update"}, {"id", id}, {"expect_version", version}, {"data", upd}});
        expect(u.status == "ok", "an update answered " + u.status + ": " + u.message);
      });
      if (caps_ & ACCORD_CAP_DELETE)
        by_other("a record deleted", [&](Instance& i) {
          OpResult d = apply_one(i, json::object{{"op", "delete"}, {"id", id}});
          expect(d.status == "ok", "a delete answered " + d.status + ": " + d.message);
        });
    }
    // reading must not wake it (a full listing, then the changes since its cursor)
    {  // a record to read
      Instance i = make();
      (void)create_record(i, "watchread");
    }
    (void)w.drain();
    auto before = snapshot(paths, ignore);
    {
      Instance reader = make();
      Listing all = read_all(reader, "");
      (void)read_all(reader, all.cursor);
    }
    auto moved = moved_since(w, before, 300ms);
    std::string list;
    for (const auto& p : moved) list += (list.empty() ? "" : ", ") + p;
    expect(moved.empty(), "reading the stream moved " + list +
                              " under the paths accord.watch.v1 names, not under \"ignore\": every run would start another");
  }

  void check_schemas() {
    schema_check("manifest", plugin_.manifest.raw, "the manifest");
    if (schema_problems_.empty()) return;
    // each problem once, in the order first seen
    std::vector<std::string> distinct;
    for (const auto& p : schema_problems_)
      if (std::find(distinct.begin(), distinct.end(), p) == distinct.end()) distinct.push_back(p);
    std::string why = std::to_string(schema_problems_.size()) + " part" + (schema_problems_.size() == 1 ? "" : "s") +
                      " of the answers did not match the SDK's schemas (sdk/schema): ";
    for (std::size_t i = 0; i < distinct.size() && i < 5; ++i) why += (i ? "; " : "") + distinct[i];
    if (distinct.size() > 5) why += "; and " + std::to_string(distinct.size() - 5) + " more";
    throw CheckFailed{why};
  }

  // Leaves the store as the kit found it: deletes what it created.
  void cleanup() {
    if (!inst_ || created_.empty() || !(caps_ & ACCORD_CAP_DELETE)) return;
    Listing full;
    try {
      full = read_all(*inst_, "");
    } catch (...) {
      return;
    }
    json::array ops;
    for (const auto& id : created_)
      if (find(full, id)) ops.push_back(json::object{{"op", "delete"}, {"id", id}});
    if (ops.empty()) return;
    try {
      (void)apply(*inst_, ops);
    } catch (...) {
    }
  }

  const LoadedPlugin& plugin_;
  Options opts_;
  std::string salt_;
  HostServices host_;
  std::optional<Instance> inst_;
  bool ready_ = false;
  std::string stream_;
  StreamInfo info_, custom_;
  std::string data_schema_;
  Sample sample_;
  uint64_t caps_ = 0;
  std::vector<std::string> created_;
  std::map<std::string, std::string> tag_of_;  // id → the tag it was created with
  std::set<std::string> deleted_;              // what the kit deleted (answered ok)
  std::string first_cursor_;
  bool first_empty_ = false;
  bool first_taken_ = false;
  bool paged_ = false;
  bool late_full_ = false;
  bool schemas_quiet_ = false;  // during unreadable-record  // some listing of the run said "full" after its first batch
  std::vector<std::string> schema_problems_;
  std::mutex log_mutex_;
  std::vector<std::string> warnings_;
};

}  // namespace

const std::vector<std::string>& check_names() {
  static const std::vector<std::string> names = {
      "manifest",      "create-destroy", "list",         "round-trip",   "idempotent-create", "find-only", "deep-record",
      "stale-version-conflict",
      "cursor-resume", "cursor-expiry",  "cancel",       "paging",       "outside-changes",   "full-listing",
      "unreadable-record", "pre-store-cursor", "watch", "schemas"};
  return names;
}

std::optional<Sample> builtin_sample(const std::string& canonical, const std::string& salt) {
  std::string uid = "urn:uuid:accord-conformance-" + salt;
  if (canonical == "note")
    return Sample{json::object{{"title", "Conformance note"}, {"body", "Line one\nLine two \xE2\x9C\x93"},
                               {"categories", json::array{"accord", "test"}}},
                  json::object{{"title", "Conformance note, edited"}, {"body", "Edited"},
                               {"categories", json::array{"accord"}}}};
  if (canonical == "jmap-email") {
    // a message: its header fields must agree with its raw form
    std::string raw = "Message-ID: <conformance-" + salt + "@accord.test>\r\n"
                      "Date: Sun, 01 Mar 2026 10:00:00 +0100\r\n"
                      "From: Ada Lovelace <ada@example.org>\r\n"
                      "To: bob@example.org\r\n"
                      "Subject: Conformance =?UTF-8?Q?m=C3=A9ssage?=\r\n"
                      "MIME-Version: 1.0\r\n"
                      "Content-Type: text/plain; charset=utf-8\r\n"
                      "\r\n"
                      "Line one\r\nLine two\r\n";
    std::string b64 = accord::mail::base64_encode(raw);
    json::object create{{"messageId", json::array{"conformance-" + salt + "@accord.test"}},
                        {"subject", "Conformance m\xC3\xA9ssage"},
                        {"from", json::array{json::object{{"name", "Ada Lovelace"}, {"email", "ada@example.org"}}}},
                        {"sentAt", "2026-03-01T10:00:00+01:00"},
                        {"receivedAt", "2026-03-01T09:00:05Z"},
                        {"size", raw.size()},
                        {"mailboxIds", json::object{{"INBOX", true}}},
                        {"keywords", json::object{{"$seen", true}}},
                        {"raw", b64}};
    json::object update{{"mailboxIds", json::object{{"INBOX", true}}},
                        {"keywords", json::object{{"$seen", true}, {"$flagged", true}}}};
    return Sample{create, update};
  }
  if (canonical == "jscontact")
    return Sample{
        json::parse(R"({"@type":"Card","version":"1.0","uid":")" + uid + R"(","kind":"individual",
          "name":{"components":[{"kind":"given","value":"Ada"},{"kind":"surname","value":"Lovelace"}],"full":"Ada Lovelace"},
          "emails":{"e1":{"address":"ada@example.org","contexts":{"work":true}}},
          "phones":{"p1":{"number":"+44 20 7946 0000","features":{"voice":true}}},
          "organizations":{"o1":{"name":"Analytical Engines, Ltd; London"}},
          "notes":{"n1":{"note":"Line one\nLine two: commas, semicolons; done \u2713"}}})"),
        json::parse(R"({"@type":"Card","version":"1.0","uid":")" + uid + R"(","kind":"individual",
          "name":{"components":[{"kind":"given","value":"Ada"},{"kind":"surname","value":"King"}],"full":"Ada King"},
          "emails":{"e1":{"address":"ada.king@example.org","contexts":{"work":true}}},
          "organizations":{"o1":{"name":"Analytical Engines, Ltd; London"}}})")};
  if (canonical == "jscalendar-event")
    return Sample{json::parse(R"({"@type":"Event","uid":")" + uid + R"(","title":"Conformance meeting",
          "start":"2026-03-01T10:00:00","timeZone":"Europe/London","duration":"PT1H","description":"Agenda, items; more"})"),
                  json::parse(R"({"@type":"Event","uid":")" + uid + R"(","title":"Conformance meeting, moved",
          "start":"2026-03-02T11:30:00","timeZone":"Europe/London","duration":"PT30M","description":"Moved"})")};
  if (canonical == "jscalendar-task")
    return Sample{json::parse(R"({"@type":"Task","uid":")" + uid + R"(","title":"Conformance task",
          "due":"2026-03-05T17:00:00","timeZone":"Europe/Paris","progress":"needs-action"})"),
                  json::parse(R"({"@type":"Task","uid":")" + uid + R"(","title":"Conformance task",
          "due":"2026-03-06T17:00:00","timeZone":"Europe/Paris","progress":"completed"})")};
  return std::nullopt;
}

std::vector<CheckResult> run(const LoadedPlugin& plugin, const Options& opts,
                             const std::function<void(const CheckResult&)>& on_result) {
  return Battery(plugin, opts).run(on_result);
}

}  // namespace accord::conformance
