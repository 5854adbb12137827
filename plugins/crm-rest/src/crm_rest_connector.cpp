// SPDX-License-Identifier: Apache-2.0
// The `crm-rest` connector: any CRM with a REST API, configured rather than
// coded. A profile (profiles/*.json, compiled in) describes a vendor's
// endpoints, paging, change detection and field names; the pipeline's config
// lays the account's own values (and overrides) over it.
//
// Reading: one page per read_changes call; the cursor carries the paging
// continuation mid-listing and, between runs, the change watermark (with the
// ids already seen inside the overlap window, so nothing is reported twice).
// Writing: batch endpoints where the profile has them (many ops per request,
// results matched back by order or by key; what a batch refuses is sent again
// one by one, so one bad record fails alone), else one request per op.
// Creates carry the idempotency key in an external-id field (upsert, or
// lookup-then-create) so a create repeated after a crash finds the first one.
#include "rest_client.hpp"
#include <accord/time/rest_time.hpp>
#include "spec.hpp"

#include <accord/text/ascii.hpp>
#include <accord/text/content_hash.hpp>
#include <accord/time/iso_duration.hpp>
#include <accord/status/result.hpp>
#include <accord/time/utc_time.hpp>
#include <accord/mapping/field_path.hpp>
#include <accord/mapping/transform.hpp>

#include <accord/connector.hpp>
#include <accord/json/schema.hpp>
#include <accord/kit/cursor.hpp>
#include <accord/kit/manifest.hpp>
#include <accord/kit/ops.hpp>

#include <boost/json.hpp>
#include <boost/json/src.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace json = boost::json;

extern const char kSchema_contact[], kSchema_note[], kSchema_event[], kSchema_task[];  // sdk/schema, compiled in

namespace crm {

namespace {

// The contact fields every shipped profile keeps. Most keep more (a title,
// a company, notes: see each profile's mapping); the manifest is one for all
// profiles, so it names only these, and the field report errs on the side
// of warning.
constexpr const char* kContactFields[] = {"/name/components", "/name/full", "/emails/e1/address", "/phones/p1/number"};

const accord::kit::Manifest& manifest() {
  static const accord::kit::Manifest m = [] {
    json::value schema = config_schema();
    json::array names;  // the profile enum: every shipped profile
    for (const auto& [name, _] : profiles()) names.emplace_back(name);
    schema.at_pointer("/properties/profile").as_object()["enum"] = std::move(names);
    using accord::kit::StreamInfo;
    std::vector<std::string> contact_fields(std::begin(kContactFields), std::end(kContactFields));
    return accord::kit::ManifestBuilder(
               "crm-rest", "CRM over REST", "0.1.0",
               "Any CRM with a REST API, by configuration: Salesforce, HubSpot, HighLevel, json-server and a generic template.")
        .custom_streams()
        .stream(StreamInfo("contact", "jscontact").with_fields(contact_fields))
        .stream(StreamInfo("note", "note").with_fields({"/title", "/body"}))
        // CRMs keep instants, not zones: times come back in UTC
        .stream(StreamInfo("event", "jscalendar-event").with_fields({"/title", "/description", "/start", "/duration"}))
        .stream(StreamInfo("task", "jscalendar-task").with_fields({"/title", "/description", "/due", "/progress"}))
        .config_schema(std::move(schema))
        // one account's data: the API root and the values its paths use (HighLevel's location)
        .store_identity({"profile", "base_url", "variables"})
        .build();
  }();
  return m;
}

// ---- small helpers ----------------------------------------------------------

const json::value* at_ptr(const json::value& v, const std::string& ptr) {
  if (ptr.empty()) return &v;
  boost::system::error_code ec;
  return v.find_pointer(ptr, ec);
}

std::string scalar_text(const json::value* v) {
  if (!v || v->is_null()) return "";
  if (v->is_string()) return std::string(v->get_string());
  return json::serialize(*v);
}

// Writes and removes by JSON pointer (the host's field paths, whose plain
// pointers are RFC 6901; the pointers were checked when the spec loaded).
void set_ptr(json::value& root, const std::string& ptr, const json::value& v) {
  if (ptr.empty()) root = v;
  else if (auto p = accord::FieldPath::parse(ptr)) p->set(root, v);
}

void erase_ptr(json::value& root, const std::string& ptr) {
  if (auto p = accord::FieldPath::parse(ptr)) p->erase(root);
}

void drop_nulls(json::value& v) {
  if (!v.is_object()) return;
  auto& o = v.get_object();
  for (auto it = o.begin(); it != o.end();) {
    if (it->value().is_null()) {
      it = o.erase(it);
    } else {
      drop_nulls(it->value());
      ++it;
    }
  }
}

// Whether an error message names one of `codes` (a vendor's error code).
bool names_any(const std::string& what, const std::vector<std::string>& codes) {
  for (const auto& c : codes)
    if (what.find(c) != std::string::npos) return true;
  return false;
}

std::string next_link(const std::string& link_header) {
  // Link: <url>; rel="next", <url>; rel="last"
  size_t pos = 0;
  while ((pos = link_header.find('<', pos)) != std::string::npos) {
    size_t end = link_header.find('>', pos);
    if (end == std::string::npos) break;
    size_t stop = link_header.find('<', end);
    std::string params = link_header.substr(end + 1, stop == std::string::npos ? std::string::npos : stop - end - 1);
    if (params.find("rel=\"next\"") != std::string::npos || params.find("rel=next") != std::string::npos)
      return link_header.substr(pos + 1, end - pos - 1);
    pos = end;
  }
  return "";
}

// ---- canonical ⇄ native ------------------------------------------------------

enum class Instant { kNone, kStart, kEnd, kDue };

struct CompiledRule {
  accord::FieldPath read;   // with * and [k=v], to read canonical records from any connector
  accord::FieldPath write;  // * made concrete ("e1"), to build ours
  std::string native;
  accord::Transform tf;     // canonical is its left side
  Instant instant = Instant::kNone;
  std::string format;
  std::string canonical;           // the rule's canonical path, as written
  std::vector<std::string> types;  // the JSON types the canonical schema allows there (none: any)
};

// The canonical forms' schemas (sdk/schema, compiled in: kSchema_*): what
// type each canonical field is, so that a CRM value of another type is said.
const json::value& canonical_schema(const std::string& form) {
  static const std::map<std::string, json::value> schemas = {
      {"jscontact", json::parse(kSchema_contact)}, {"note", json::parse(kSchema_note)},
      {"jscalendar-event", json::parse(kSchema_event)}, {"jscalendar-task", json::parse(kSchema_task)}};
  static const json::value none;
  auto it = schemas.find(form);
  return it == schemas.end() ? none : it->second;
}

// The JSON types `schema` allows at a canonical field path (a [k=v]
// selector is an item of its list); none when it does not say.
std::vector<std::string> types_at(const json::value& schema, const std::string& path) {
  std::string ptr;
  for (size_t at = 1; at <= path.size() && !path.empty();) {
    size_t end = path.find('/', at);
    std::string token = path.substr(at, end == std::string::npos ? std::string::npos : end - at);
    ptr += "/" + (token.starts_with("[") ? std::string("0") : token);
    if (end == std::string::npos) break;
    at = end + 1;
  }
  const json::value* node = accord::json_schema::schema_at(schema, ptr);
  std::vector<std::string> out;
  if (const json::value* t = node && node->is_object() ? node->get_object().if_contains("type") : nullptr) {
    if (t->is_string()) out.emplace_back(t->get_string());
    else if (t->is_array())
      for (const auto& x : t->get_array())
        if (x.is_string()) out.emplace_back(x.get_string());
  }
  return out;
}

const char* json_type(const json::value& v) {
  if (v.is_string()) return "string";
  if (v.is_bool()) return "boolean";
  if (v.is_int64() || v.is_uint64()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_array()) return "array";
  if (v.is_object()) return "object";
  return "null";
}

bool type_fits(const json::value& v, const std::vector<std::string>& types) {
  if (types.empty()) return true;
  std::string t = json_type(v);
  for (const auto& want : types)
    if (want == t || (want == "number" && t == "integer") ||
        (want == "integer" && v.is_double() && v.get_double() == static_cast<double>(static_cast<int64_t>(v.get_double()))))
      return true;
  return false;
}

std::vector<CompiledRule> compile(const StreamSpec& s) {
  std::vector<CompiledRule> out;
  for (const auto& r : s.mapping) {
    auto tf = accord::parse_transform(r.transform);
    if (!tf) throw accord::Error(ACCORD_ERROR, "config: stream " + s.name + " mapping " + r.canonical + ": " + tf.error().message);
    if (r.canonical[0] == '@') {
      CompiledRule c{*accord::FieldPath::parse("/_"), *accord::FieldPath::parse("/_"), r.native, *tf, Instant::kNone, r.format, r.canonical, {}};
      c.instant = r.canonical == "@start" ? Instant::kStart : r.canonical == "@end" ? Instant::kEnd : Instant::kDue;
      out.push_back(std::move(c));
      continue;
    }
    auto rp = accord::FieldPath::parse(r.canonical);
    if (!rp) throw accord::Error(ACCORD_ERROR, "config: stream " + s.name + " mapping " + r.canonical + ": " + rp.error().message);
    // "/emails/*/address" is written as "/emails/e1/address" (JSContact ids,
    // as the local connector names them)
    std::string w = r.canonical;
    for (size_t k; (k = w.find("/*/")) != std::string::npos;) {
      size_t prev = w.rfind('/', k - 1);
      char prefix = w[prev + 1];
      w.replace(k, 3, std::string("/") + prefix + "1/");
    }
    auto wp = accord::FieldPath::parse(w);
    if (!wp) throw accord::Error(ACCORD_ERROR, "config: stream " + s.name + " mapping " + w + ": " + wp.error().message);
    out.push_back(CompiledRule{*rp, *wp, r.native, *tf, Instant::kNone, r.format, r.canonical, types_at(canonical_schema(s.canonical), w)});
  }
  return out;
}

std::string full_name(const json::value& card) {
  std::string out;
  if (auto* comps = at_ptr(card, "/name/components"); comps && comps->is_array())
    for (const char* kind : {"given", "surname"})
      for (const auto& c : comps->get_array())
        if (c.is_object() && scalar_text(c.get_object().if_contains("kind")) == kind) {
          std::string v = scalar_text(c.get_object().if_contains("value"));
          if (!v.empty()) out += (out.empty() ? "" : " ") + v;
        }
  return out;
}

// JSCalendar times ⇄ the instants CRMs store. A canonical start (or due) is
// a local date-time in its timeZone (floating when there is none: taken as
// UTC); what comes from a CRM is written in UTC, with timeZone Etc/UTC and the
// duration from start to end.
std::optional<int64_t> canonical_instant_ms(const json::value& c, Instant which) {
  const json::value* local = at_ptr(c, which == Instant::kDue ? "/due" : "/start");
  if (!local || !local->is_string()) return std::nullopt;
  auto ms = parse_iso8601_ms(std::string(local->get_string()));  // read as if UTC
  if (!ms) return std::nullopt;
  int64_t secs = *ms / 1000;
  std::string zone = scalar_text(at_ptr(c, "/timeZone"));
  if (!zone.empty() && zone != "Etc/UTC" && zone != "UTC" && accord::zone_known(zone)) secs = accord::local_to_utc(secs, zone);
  if (which == Instant::kEnd) {
    auto d = accord::duration::parse(scalar_text(at_ptr(c, "/duration")));
    secs += d ? *d : 0;
  }
  return secs * 1000;
}

void set_instants(json::value& c, std::optional<int64_t> start, std::optional<int64_t> end, std::optional<int64_t> due) {
  auto local = [](int64_t ms) { return json::value(accord::utc::format(ms / 1000, accord::utc::Form::kLocal)); };
  if (start) {
    set_ptr(c, "/start", local(*start));
    if (end && *end >= *start) set_ptr(c, "/duration", json::value(accord::duration::format((*end - *start) / 1000)));
  }
  if (due) set_ptr(c, "/due", local(*due));
  if (start || due) set_ptr(c, "/timeZone", json::value("Etc/UTC"));
}

// ---- the connector ----------------------------------------------------------

struct Record {
  std::string id, version, modified;
  int64_t modified_ms = -1;
  json::value native;
};

using accord::kit::Op;
using accord::kit::Result;

class CrmRest final : public accord::Connector {
 public:
  CrmRest(const accord::Host& host, std::string_view config)
      : accord::Connector(host), spec_(load_spec(std::string(config), manifest().config_schema())), rest_(spec_, host) {
    for (const auto& [name, s] : spec_.streams) rules_[name] = compile(s);
  }

  void cancel() noexcept override {
    rest_.cancel();
    accord::Connector::cancel();
  }

  std::string read_changes(std::string_view stream, std::string_view cursor_text) override {
    const StreamSpec& s = stream_spec(stream);
    json::object cur = parse_cursor(s, cursor_text);
    json::object run;
    if (auto* r = cur.if_contains("run"); r && r->is_object()) {
      run = r->get_object();
    } else {
      // a new pass: a full listing when there is no watermark yet, when the
      // stream has no change feed, or when absence checks are due
      // (a tombstone feed reports deletes; without one, a full listing finds them)
      // (a sync-token feed reports deletes itself)
      bool sync = s.change_mode == "sync_token";
      bool due = false;
      if (!s.tombstones.present && !sync)
        due = s.full_listing_hours <= 0 || !cur.contains("full_at") ||
              now_ms() - cur.at("full_at").to_number<int64_t>() > s.full_listing_hours * 3600000.0;
      // deletes a tombstone feed never reports (HubSpot's permanent deletes):
      // a full listing on a schedule all the same
      else if (s.absence_check_hours >= 0)
        due = s.absence_check_hours == 0 || !cur.contains("full_at") ||
              now_ms() - cur.at("full_at").to_number<int64_t>() > s.absence_check_hours * 3600000.0;
      bool full = cursor_text.empty() || s.change_mode == "full" || !cur.contains(sync ? "sync" : "since") || due;
      run = json::object{{"phase", "list"}, {"full", full}, {"start", now_ms()}};
    }
    bool first_page = !run.contains("seen_run");
    // what this pass will cost, against what the service allows today: known
    // before the first page once this instance has heard the service, else
    // from the first page's answer
    bool checked = first_page && fits_budget(s, cur, run);
    int64_t r0 = rest_.requests();
    json::array out;
    listed_total_.reset();
    bool more = page(s, cur, run, out);
    int64_t spent = (run.contains("spent") ? run.at("spent").to_number<int64_t>() : 0) + rest_.requests() - r0;
    if (more && first_page && !checked) fits_budget(s, cur, run, spent);
    json::object batch{{"records", std::move(out)}};
    if (first_page && run.at("full").as_bool()) batch["full"] = true;
    if (first_page && listed_total_) batch["total"] = *listed_total_;
    if (more) {
      run["spent"] = spent;
      cur["run"] = run;
    } else {
      cur.erase("run");
      said_cost(s, cur, run, spent);
    }
    batch["cursor"] = kCursor.write(cur);
    batch["more"] = more;
    return json::serialize(batch);
  }

  std::string apply(std::string_view stream, std::string_view ops_text) override {
    const StreamSpec& s = stream_spec(stream);
    std::vector<Op> ops = accord::kit::parse_ops(ops_text);
    std::vector<std::optional<Result>> batched(ops.size());
    if (s.batch.present && !s.parent.present) apply_batches(s, ops, batched);
    // the rest one by one (a cancel is looked at before each; what a batch did stands)
    return accord::kit::results_json(accord::kit::apply_each(ops, [&](const Op& op) {
      if (auto& done = batched[static_cast<size_t>(&op - ops.data())]) return *done;
      throw_if_cancelled();
      return apply_one(s, op);
    }));
  }

  // accord.streams.v1: a stream is this configuration's (its profile's and
  // its own streams), and it keeps the canonical fields its mapping names;
  // validate and the run report from them what cannot travel (the
  // manifest's list is what every profile keeps at least).
  const void* get_extension(std::string_view name) noexcept override {
    return name == ACCORD_STREAMS_V1 ? accord::streams_extension() : accord::Connector::get_extension(name);
  }
  void check_stream(std::string_view stream) override { (void)stream_spec(stream); }
  std::optional<std::vector<std::string>> stream_fields(std::string_view stream) override {
    auto it = spec_.streams.find(std::string(stream));
    if (it == spec_.streams.end() || it->second.canonical.empty() || it->second.mapping.empty()) return std::nullopt;
    std::vector<std::string> out;
    for (const auto& r : it->second.mapping) {
      // the instants are kept as the canonical start, duration and due
      std::string f = r.canonical == "@start" ? "/start" : r.canonical == "@end" ? "/duration" : r.canonical == "@due" ? "/due" : r.canonical;
      if (!f.empty() && f.front() == '/' && std::find(out.begin(), out.end(), f) == out.end()) out.push_back(std::move(f));
    }
    return out;
  }

 private:
  const StreamSpec& stream_spec(std::string_view stream) const {
    auto it = spec_.streams.find(std::string(stream));
    if (it == spec_.streams.end()) {
      std::string names;
      for (const auto& [n, _] : spec_.streams) names += (names.empty() ? "" : ", ") + n;
      throw accord::Error(ACCORD_UNSUPPORTED, "no stream \"" + std::string(stream) + "\" in this configuration (profile " +
                                                  spec_.profile + " has: " + names + ")");
    }
    return it->second;
  }

  // "crm1.{…}", as every version of this connector wrote it
  static inline const accord::kit::CursorFormat kCursor{"crm", 1};

  json::object parse_cursor(const StreamSpec& s, std::string_view text) {
    std::optional<json::object> cur = kCursor.read(text);
    if (!cur) return json::object{{"stream", s.name}};
    if (scalar_text(cur->if_contains("stream")) != s.name) kCursor.expire("it is the cursor of another stream");
    return std::move(*cur);
  }

  // ---- reading ----

  Record to_record(const StreamSpec& s, const json::value& native) {
    Record r;
    r.id = scalar_text(at_ptr(native, s.id));
    if (r.id.empty()) throw accord::Error(ACCORD_ERROR, "stream " + s.name + ": a record has no id at " + s.id +
                                                            " (check the stream's id pointer): " +
                                                            json::serialize(native).substr(0, 200));
    if (!s.modified.empty())
      if (auto* m = at_ptr(native, s.modified); m && !m->is_null())
        if (auto ms = parse_time_ms(*m)) {
          r.modified_ms = *ms;
          r.modified = format_time(*ms, "iso8601");
        }
    r.version = s.version.empty() ? "" : scalar_text(at_ptr(native, s.version));
    if (r.version.empty()) r.version = accord::hash::content_hash(json::serialize(native));
    r.native = native;
    return r;
  }

  // A listed record made by one of our creates carries its idempotency key
  // (the external-id field) beside its id: the host relinks by it after its
  // state was lost. Records made otherwise have none.
  void give_key(const StreamSpec& s, const Record& rec, json::object& o) {
    if (s.external_id.empty()) return;
    if (std::string key = scalar_text(at_ptr(rec.native, s.external_id)); !key.empty()) o["idempotency_key"] = key;
  }

  json::value to_data(const StreamSpec& s, const json::value& native) {
    if (s.canonical.empty()) {
      json::value d = native;
      erase_ptr(d, s.id);
      for (const auto& p : s.read_only) erase_ptr(d, p);
      if (!s.external_id.empty()) erase_ptr(d, s.external_id);
      drop_nulls(d);  // an unset field is absent (HubSpot answers every asked-for property, null when unset)
      return d;
    }
    json::value c = json::object{};
    if (s.canonical == "jscontact") c = json::object{{"@type", "Card"}, {"version", "1.0"}, {"kind", "individual"}};
    if (s.canonical == "jscalendar-event") c = json::object{{"@type", "Event"}};
    if (s.canonical == "jscalendar-task") c = json::object{{"@type", "Task"}};
    std::optional<int64_t> instants[4];
    for (const auto& r : rules_.at(s.name)) {
      const json::value* v = at_ptr(native, r.native);
      if (!v || v->is_null() || (v->is_string() && v->get_string().empty())) continue;
      if (r.instant != Instant::kNone) {
        if (auto ms = parse_time_ms(*v)) instants[static_cast<int>(r.instant)] = *ms;
        continue;
      }
      if (r.tf.is_constant) continue;  // a constant goes one way: to the CRM
      json::value got = r.tf.to_left(*v);
      if (!type_fits(got, r.types)) got = mistyped(s, native, r, std::move(got));
      r.write.set(c, std::move(got));
    }
    set_instants(c, instants[1], instants[2], instants[3]);
    if (s.canonical == "jscontact" && !at_ptr(c, "/name/full"))
      if (std::string full = full_name(c); !full.empty()) set_ptr(c, "/name/full", json::value(full));
    return c;
  }

  // A CRM value of another type than the canonical field wants (json-server
  // answering "email": 42): said, per record, with its id, the field and what
  // was expected. A number or true/false where text is wanted travels as its
  // text ("42": nothing is lost, and the other side can keep it); anything
  // else travels as the CRM has it, for the other side to take or refuse.
  json::value mistyped(const StreamSpec& s, const json::value& native, const CompiledRule& r, json::value got) {
    std::string want;
    for (const auto& t : r.types) want += (want.empty() ? "" : " or ") + t;
    bool as_text = std::find(r.types.begin(), r.types.end(), "string") != r.types.end() && (got.is_number() || got.is_bool());
    std::string text = json::serialize(got);
    host().log(ACCORD_LOG_WARN, ("crm-rest: " + s.name + " record " + scalar_text(at_ptr(native, s.id)) + ": " + r.native +
                                 " is " + (text.size() > 60 ? text.substr(0, 60) + "…" : text) + " (" + json_type(got) + "), where " +
                                 r.canonical + " wants " + want + ": " +
                                 (as_text ? "it travels as the text " + json::serialize(json::value(text))
                                          : std::string("it travels as the CRM has it")))
                                    .c_str());
    return as_text ? json::value(text) : got;
  }

  json::value to_native(const StreamSpec& s, const json::value& data) {
    if (s.canonical.empty()) {
      json::value n = data.is_object() ? data : json::object{};
      for (const auto& p : s.read_only) erase_ptr(n, p);
      erase_ptr(n, s.id);
      return n;
    }
    json::value n = json::object{};
    for (const auto& r : rules_.at(s.name)) {
      if (r.instant != Instant::kNone) {
        auto ms = canonical_instant_ms(data, r.instant);
        set_ptr(n, r.native, ms ? json::value(format_time(*ms, r.format)) : s.clear_value);
        continue;
      }
      const json::value* v = r.read.get(data);
      set_ptr(n, r.native, r.tf.is_constant ? r.tf.to_right(nullptr) : v ? r.tf.to_right(*v) : s.clear_value);
    }
    return n;
  }

  struct Page {
    Answer a;
    const json::value* recs = nullptr;  // into a.body (null when a.status is not 2xx)
    json::value next;                   // the following page's position; null after the last
  };
  // How many records the listing being read holds, where its answer said so
  // (paging.total): the host's reading bar. Reset by each read_changes.
  std::optional<uint64_t> listed_total_;

  // One page of `req` from paging position `next_in` (null: the first page):
  // the position put into the request as its paging style wants, the call
  // made, the record array found, and the next position worked out.
  Page fetch_page(const StreamSpec& s, const Request& req, Vars vars, const json::value* next_in,
                  const std::vector<long>& accept = {}) {
    const Paging& pg = req.paging;
    std::string url;
    if (next_in && !next_in->is_null()) {
      if (pg.style == "link_header" || pg.style == "next_url") url = rest_.resolve(scalar_text(next_in));
      else if (pg.style == "cursor") vars["after"] = *next_in;
      else if (pg.style == "offset") vars["offset"] = *next_in;
      else if (pg.style == "page") vars["page"] = *next_in;
    } else {
      if (pg.style == "offset") vars["offset"] = json::value(0);
      if (pg.style == "page") vars["page"] = json::value(pg.first_page);
    }
    Request r = req;
    if (pg.style == "cursor" && !pg.param.empty()) r.query.emplace_back(pg.param, "{after}");
    if ((pg.style == "offset" || pg.style == "page") && !pg.param.empty())
      r.query.emplace_back(pg.param, pg.style == "offset" ? "{offset}" : "{page}");
    if (!pg.limit_param.empty()) r.query.emplace_back(pg.limit_param, "{limit}");
    if (r.body) {
      if (pg.style == "cursor" && !pg.body_pointer.empty() && vars.contains("after"))
        set_ptr(*r.body, pg.body_pointer, json::value("{after}"));
      if (!pg.limit_pointer.empty()) set_ptr(*r.body, pg.limit_pointer, json::value("{limit}"));
    }
    Page out;
    out.a = rest_.call(r, vars, accept, {}, url);
    if (out.a.status / 100 != 2) return out;
    out.recs = at_ptr(out.a.body, req.records);
    if (!out.recs || !out.recs->is_array())
      throw accord::Error(ACCORD_ERROR, "stream " + s.name + ": the answer of " + req.path + " has no record array at \"" +
                                            req.records + "\" (check the stream's records pointer)");
    const json::array& recs = out.recs->get_array();
    if (pg.total.starts_with("header:")) {  // json-server's X-Total-Count
      std::string h = out.a.raw.header(accord::ascii_lower(pg.total.substr(7)));
      if (!h.empty() && h.find_first_not_of("0123456789") == std::string::npos && h.size() < 19) listed_total_ = std::stoull(h);
    } else if (const json::value* t = pg.total.empty() ? nullptr : at_ptr(out.a.body, pg.total);
               t && (t->is_uint64() || (t->is_int64() && t->get_int64() >= 0))) {  // HubSpot's /total, Salesforce's /totalSize
      listed_total_ = t->to_number<uint64_t>();
    }
    size_t n = recs.size();
    bool full_page = static_cast<int64_t>(n) >= s.page_size;
    int64_t prev = next_in && !next_in->is_null() && next_in->is_number() ? next_in->to_number<int64_t>() : -1;
    if (pg.style == "link_header") {
      std::string l = next_link(out.a.raw.header("link"));
      if (!l.empty()) out.next = json::value(l);
    } else if (pg.style == "next_url" || pg.style == "cursor") {
      const json::value* in = &out.a.body;
      if (pg.next_in_last) in = n > 0 && full_page ? &recs.back() : nullptr;
      if (auto* nx = in ? at_ptr(*in, pg.next) : nullptr;
          nx && !nx->is_null() && !(nx->is_string() && nx->get_string().empty()))
        out.next = *nx;
      // newest first: the page that reaches a record older than {since} is the last
      if (auto sm = vars.find("since_ms"); !pg.stop_before_since.empty() && n > 0 && sm != vars.end())
        if (const json::value* t = at_ptr(recs.back(), pg.stop_before_since))
          if (auto ms = parse_time_ms(*t); ms && *ms < sm->second.to_number<int64_t>()) out.next = nullptr;
      // the answer says whether another page follows (HighLevel's nextPage)
      if (const json::value* more = pg.more.empty() ? nullptr : at_ptr(out.a.body, pg.more);
          !pg.more.empty() && !(more && more->is_bool() && more->get_bool()))
        out.next = nullptr;
    } else if (pg.style == "offset") {
      if (full_page) out.next = (prev < 0 ? 0 : prev) + static_cast<int64_t>(n);
    } else if (pg.style == "page") {
      if (full_page) out.next = (prev < 0 ? pg.first_page : prev) + 1;
    }
    return out;
  }

  // ---- the day's budget ----

  // "full" or "changes": a pass's kind, whose last cost (cur["cost"]) is the
  // estimate of the next one of its kind.
  static const char* pass_kind(const json::object& run) { return run.at("full").as_bool() ? "full" : "changes"; }

  std::string pass_words(const StreamSpec& s, const json::object& run) {
    if (s.parent.present)
      return "a full listing, a request per " + s.parent.stream + " and page: the CRM documents no way to find the changed ones";
    return run.at("full").as_bool() ? "a full listing" : "the changes since the last run";
  }

  // Whether the pass `run` starts fits in what the service says is left
  // today, `spent` of it already made. One that would not waits for a later
  // run (RETRY) rather than stop half way on the vendor's refusals. True
  // when it could tell (the service has said what is left), false when not.
  bool fits_budget(const StreamSpec& s, const json::object& cur, const json::object& run, int64_t spent = 0) {
    int64_t left = rest_.daily_remaining();
    if (left < 0) return false;
    const json::value* cost = cur.contains("cost") && cur.at("cost").is_object() ? cur.at("cost").get_object().if_contains(pass_kind(run)) : nullptr;
    if (!cost || !cost->is_number()) return true;  // never read this way yet: nothing to go on
    int64_t still = std::max<int64_t>(0, cost->to_number<int64_t>() - spent);
    if (still > left)
      throw accord::Error(ACCORD_RETRY, "stream " + s.name + ": reading it costs about " + std::to_string(cost->to_number<int64_t>()) +
                                            " requests (" + pass_words(s, run) + ") and the service allows " + std::to_string(left) +
                                            " more today; it is left for a later run",
                          spec_.limit_exceeded_retry_s * 1000);
    return true;
  }

  // A pass is over: what it cost is kept as the next one's estimate and said
  // (a warning line, so that plan shows it), with what is left today.
  void said_cost(const StreamSpec& s, json::object& cur, const json::object& run, int64_t spent) {
    if (!cur.contains("cost") || !cur.at("cost").is_object()) cur["cost"] = json::object{};
    cur["cost"].get_object()[pass_kind(run)] = spent;
    int64_t left = rest_.daily_remaining();
    host().log(ACCORD_LOG_WARN, ("crm-rest: " + s.name + ": reading it took " + std::to_string(spent) + " request" +
                                 (spent == 1 ? "" : "s") + " (" + pass_words(s, run) + ")" +
                                 (left >= 0 ? "; the service allows " + std::to_string(left) + " more today" : std::string()))
                                    .c_str());
  }

  // A stream nested under a parent (HighLevel's /contacts/{id}/notes): one
  // page of the parent's listing per call, then every child of each parent on
  // it. Always a full listing (such APIs have no change feed), so deletes are
  // found by absence. Ids are "<parent id>/<child id>".
  bool parent_page(const StreamSpec& s, json::object& cur, json::object& run, json::array& out) {
    const StreamSpec& ps = stream_spec(s.parent.stream);
    const json::value* pn = run.contains("pnext") ? &run.at("pnext") : nullptr;
    bool pass_start = !run.contains("seen_run");
    Page parents = fetch_page(ps, ps.list, base_vars(ps), pn);
    // One request per parent (and page) every pass: checked against what is
    // left today once the parents' first page has said, before the children
    if (pass_start) fits_budget(s, cur, run, 1);
    if (!run.contains("seen_run")) run["seen_run"] = json::array{};
    for (const auto& pv : parents.recs->get_array()) {
      throw_if_cancelled();
      std::string pid = scalar_text(at_ptr(pv, ps.id));
      if (pid.empty()) continue;
      Vars v = base_vars(s);
      v[s.parent.var] = json::value(pid);
      json::value next = nullptr;
      do {
        Page kids = fetch_page(s, s.list, v, &next);
        for (const auto& nv : kids.recs->get_array()) {
          Record rec = to_record(s, nv);
          json::object o{{"id", pid + "/" + rec.id}, {"version", rec.version}, {"data", to_data(s, rec.native)}};
          give_key(s, rec, o);
          out.push_back(std::move(o));
        }
        next = kids.next;
      } while (!next.is_null());
    }
    if (!parents.next.is_null()) {
      run["pnext"] = parents.next;
      return true;
    }
    run.erase("pnext");
    finish_pass(s, cur, run);
    return false;
  }

  // Reads one page (or one tombstone page) into out. Returns whether more follow.
  bool page(const StreamSpec& s, json::object& cur, json::object& run, json::array& out) {
    bool full = run.at("full").as_bool();
    std::string phase = scalar_text(run.if_contains("phase"));
    // a server that refused the change search's shape once is read through
    // the fallback from then on (cur["fallback"])
    bool fallback = !full && phase == "list" && s.changes_fallback.present && cur.contains("fallback");
    const Request& req = phase == "tomb"                      ? s.tombstones
                         : fallback                           ? s.changes_fallback
                         : (!full && s.changes.present) ? s.changes
                                                        : s.list;
    Vars vars = base_vars(s);
    int64_t tomb_floor = 0;
    if (phase == "tomb") {
      int64_t since = cur.contains("tomb") ? cur.at("tomb").to_number<int64_t>() : run.at("start").to_number<int64_t>();
      tomb_floor = since - s.overlap_s * 1000;
      // the feed refuses a window shorter than this (getDeleted: a minute)
      tomb_floor = std::min(tomb_floor, now_ms() - s.tombstone_min_window_s * 1000);
      vars["since"] = json::value(format_time(tomb_floor, s.since_format));
    } else if (auto* w = run.if_contains("window")) {
      // past a search's result cap: a new query from the newest time seen
      vars["since"] = json::value(format_time(w->to_number<int64_t>(), s.since_format));
    } else if (!full && s.change_mode == "sync_token") {
      vars["sync_token"] = cur.at("sync");
    } else if (!full && cur.contains("since")) {
      vars["since"] = json::value(format_time(cur.at("since").to_number<int64_t>() - s.overlap_s * 1000, s.since_format));
      vars["since_ms"] = cur.at("since").to_number<int64_t>() - s.overlap_s * 1000;
    }
    if (s.parent.present && phase == "list") return parent_page(s, cur, run, out);
    bool sync_changes = !full && phase == "list" && s.change_mode == "sync_token";
    const json::value* next_in = run.contains("next") ? &run.at("next") : nullptr;
    // (returned, not assigned: recs points into the answer it was read from)
    std::string gone, refused;
    auto fetch = [&]() -> Page {
      try {
        return fetch_page(s, req, vars, next_in, sync_changes ? std::vector<long>{410} : std::vector<long>{});
      } catch (const accord::Error& e) {
        if (e.status() == ACCORD_ERROR && &req == &s.changes && s.changes_fallback.present && !next_in) {
          refused = e.what();
          return Page{};
        }
        if (e.status() != ACCORD_ERROR || !names_any(e.what(), req.expired)) throw;
        gone = e.what();
        return Page{};
      }
    };
    Page pgr = fetch();
    if (!refused.empty()) {
      // the server does not take the change search as the profile writes it:
      // read newest first down to the watermark instead (cheap), from now on
      host().log(ACCORD_LOG_WARN, ("crm-rest: " + s.name + ": the change search was refused (" + refused +
                                   "); reading newest first down to the last run's time instead").c_str());
      cur["fallback"] = true;
      return page(s, cur, run, out);
    }
    if (!gone.empty()) {
      if (phase != "tomb" && next_in) {
        // a listing's next-page locator expired (Salesforce's live two days):
        // this listing starts again from its first page
        host().log(ACCORD_LOG_INFO, ("crm-rest: " + s.name + ": the server no longer knows the listing's next page (" +
                                     gone + "); listing again from the start").c_str());
        run.erase("next");
        return page(s, cur, run, out);
      }
      if (phase == "tomb" && full) {  // a full listing found every delete: the feed is not needed
        finish_pass(s, cur, run);
        return false;
      }
      // the server's window of changes or deletes is gone (getDeleted's log
      // purged: INVALID_REPLICATION_DATE): the host lists everything and diffs
      throw accord::Error(ACCORD_CURSOR_EXPIRED, "stream " + s.name + ": " + gone);
    }
    const Answer& a = pgr.a;
    if (phase == "tomb" && !s.tombstone_covered.empty())
      if (auto* c = at_ptr(a.body, s.tombstone_covered); c && !c->is_null())
        if (auto t = parse_time_ms(*c)) run["tomb_covered"] = *t;
    if (a.status == 410)  // the server no longer knows the token: the host lists everything and diffs
      throw accord::Error(ACCORD_CURSOR_EXPIRED, "stream " + s.name + ": the server's sync token expired (HTTP 410: " +
                                                     error_text(a.body, a.raw.body) + ")");
    if (s.change_mode == "sync_token" && phase == "list")
      if (auto* t = at_ptr(a.body, s.sync_token); t && t->is_string() && !t->get_string().empty()) run["sync"] = *t;
    if (!run.contains("server_start"))
      if (auto d = parse_http_date_ms(a.raw.header("date"))) run["server_start"] = *d;
    const json::value* recs = pgr.recs;
    if (!run.contains("seen_run")) run["seen_run"] = json::array{};
    std::set<std::string> old_seen;
    if (auto* sv = cur.if_contains("seen"); sv && sv->is_array() && !full)
      for (const auto& e : sv->get_array()) old_seen.insert(scalar_text(&e.get_array().at(0)));
    json::array& seen_run = run["seen_run"].get_array();
    std::set<std::string> old_tombs;
    if (auto* tv = cur.if_contains("tomb_seen"); tv && tv->is_array() && !full)
      for (const auto& e : tv->get_array()) old_tombs.insert(scalar_text(&e.get_array().at(0)));
    int64_t max_ms = run.contains("max") ? run.at("max").to_number<int64_t>() : -1;
    std::set<std::string> this_run;  // a windowed search reads its boundary again
    if (run.contains("window"))
      for (const auto& e : seen_run) this_run.insert(scalar_text(&e.get_array().at(0)));

    for (const auto& nv : recs->get_array()) {
      if (phase == "tomb") {
        // Tombstones are read back over the overlap window too: the ones an
        // earlier pass saw (or that were gone before a full listing) are
        // remembered, and not reported twice.
        std::string id = scalar_text(at_ptr(nv, s.tombstone_id));
        if (id.empty()) continue;
        int64_t at = run.at("start").to_number<int64_t>();
        if (const json::value* d = s.tombstone_deleted_at.empty() ? nullptr : at_ptr(nv, s.tombstone_deleted_at))
          if (auto t = parse_time_ms(*d)) at = *t;
        // a feed the server does not filter by time (HubSpot's archived
        // listing) brings old tombstones too: those were reported before
        if (!full && at < tomb_floor) continue;
        if (!run.contains("tomb_seen")) run["tomb_seen"] = json::array{};
        run["tomb_seen"].get_array().push_back(json::array{id, at});
        if (full || old_tombs.contains(id)) continue;
        out.push_back(json::object{{"id", id}, {"deleted", true}});
        continue;
      }
      if (!s.deleted_flag.empty())
        if (auto* d = at_ptr(nv, s.deleted_flag); d && d->is_bool() && d->get_bool()) {
          std::string id = scalar_text(at_ptr(nv, s.id));
          if (!id.empty() && !full) out.push_back(json::object{{"id", id}, {"deleted", true}});
          continue;
        }
      Record rec = to_record(s, nv);
      std::string tag = accord::hash::content_hash(rec.id + '\x1f' + rec.version).substr(0, 12);
      if (rec.modified_ms >= 0) {
        max_ms = std::max(max_ms, rec.modified_ms);
        seen_run.push_back(json::array{tag, rec.modified_ms});
      }
      if (old_seen.contains(tag) || this_run.contains(tag)) continue;  // reported already, unchanged since
      json::object o{{"id", rec.id}, {"version", rec.version}, {"data", to_data(s, rec.native)}};
      if (!rec.modified.empty()) o["modified"] = rec.modified;
      give_key(s, rec, o);
      out.push_back(std::move(o));
    }
    // keep only what falls inside the overlap window of the newest seen
    if (max_ms >= 0) {
      run["max"] = max_ms;
      json::array kept;
      for (auto& e : seen_run)
        if (e.get_array().at(1).to_number<int64_t>() >= max_ms - s.overlap_s * 1000) kept.push_back(std::move(e));
      run["seen_run"] = std::move(kept);
    }

    json::value next = pgr.next;
    size_t n = recs->get_array().size();
    if (!next.is_null() && s.max_results > 0 && phase == "list" && !full) {
      int64_t count = (run.contains("wcount") ? run.at("wcount").to_number<int64_t>() : 0) + static_cast<int64_t>(n);
      run["wcount"] = count;
      if (count + s.page_size > s.max_results) {
        // The search answers at most max_results per query (HubSpot: 10,000):
        // start a new query from the newest modification time seen. Records
        // at that very time come again and are skipped (seen_run).
        if (run.contains("window") && run.at("window").to_number<int64_t>() >= max_ms)
          throw accord::Error(ACCORD_ERROR, "stream " + s.name + ": more than " + std::to_string(s.max_results) +
                                                " records share one modification time; the search cannot page past them "
                                                "(set changes.full_listing_hours to 0 to list them in full instead)");
        run["window"] = max_ms;
        run["wcount"] = 0;
        run.erase("next");
        return true;
      }
    }
    if (!next.is_null()) {
      run["next"] = next;
      return true;
    }
    run.erase("next");
    if (phase == "list" && s.tombstones.present) {
      run["phase"] = "tomb";
      return true;
    }
    finish_pass(s, cur, run);
    return false;
  }

  void finish_pass(const StreamSpec& s, json::object& cur, json::object& run) {
    bool full = run.at("full").as_bool();
    int64_t start = run.at("start").to_number<int64_t>();
    if (full) cur["full_at"] = start;
    if (auto* t = run.if_contains("sync")) cur["sync"] = *t;
    if (s.tombstones.present) {
      // the next window starts where the feed said this one's coverage ended
      // (getDeleted's latestDateCovered), else where this pass started
      cur["tomb"] = run.contains("tomb_covered") ? std::min(start, run.at("tomb_covered").to_number<int64_t>()) : start;
      json::array kept;
      auto keep = [&](const json::value& e) {
        if (e.get_array().at(1).to_number<int64_t>() >= start - 2 * s.overlap_s * 1000) kept.push_back(e);
      };
      if (!full)
        if (auto* old = cur.if_contains("tomb_seen"); old && old->is_array())
          for (const auto& e : old->get_array()) keep(e);
      if (auto* now = run.if_contains("tomb_seen"); now && now->is_array())
        for (const auto& e : now->get_array()) keep(e);
      cur["tomb_seen"] = std::move(kept);
    }
    if (run.contains("max")) {
      int64_t max_ms = run.at("max").to_number<int64_t>();
      int64_t since = cur.contains("since") && !full ? std::max(cur.at("since").to_number<int64_t>(), max_ms) : max_ms;
      // A full listing is not ordered by time: what changed while it ran may
      // sort before records it had already passed. Do not move past its start.
      if (full && run.contains("server_start")) since = std::min(since, run.at("server_start").to_number<int64_t>());
      json::array seen;
      if (!full)
        if (auto* old = cur.if_contains("seen"); old && old->is_array())
          for (const auto& e : old->get_array())
            if (e.get_array().at(1).to_number<int64_t>() >= since - s.overlap_s * 1000) seen.push_back(e);
      for (const auto& e : run.at("seen_run").get_array())
        if (e.get_array().at(1).to_number<int64_t>() >= since - s.overlap_s * 1000) seen.push_back(e);
      cur["since"] = since;
      cur["seen"] = std::move(seen);
    } else if (full && !cur.contains("since")) {
      // an empty store: changes start from when this listing began
      if (run.contains("server_start")) cur["since"] = run.at("server_start");
      else cur["since"] = start;
      cur["seen"] = json::array{};
    }
  }

  // ---- writing ----

  // The variables every request of a stream may use.
  Vars base_vars(const StreamSpec& s) {
    Vars v{{"object", json::value(s.object)}, {"limit", json::value(s.page_size)},
           {"now", json::value(format_time(now_ms(), s.since_format))}};
    for (const auto& [k, val] : s.variables) v[k] = json::value(val);
    if (!s.fields.empty()) {
      std::string f;
      json::array list;
      for (const auto& x : s.fields) {
        f += (f.empty() ? "" : ",") + x;
        list.emplace_back(x);
      }
      v["fields"] = json::value(f);
      v["field_list"] = std::move(list);
    }
    return v;
  }

  Vars op_vars(const StreamSpec& s, const Op& op) {
    Vars v = base_vars(s);
    v["id"] = json::value(op.id);
    v["key"] = json::value(op.idempotency_key);
    return v;
  }

  // A nested stream's ids are "<parent id>/<own id>": puts the parent's id
  // into vars (as the parent's variable) and the record's own as {id}.
  void nested_id(const StreamSpec& s, const std::string& id, Vars& vars) {
    if (!s.parent.present) return;
    size_t slash = id.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == id.size())
      throw accord::Error(ACCORD_ERROR, "stream " + s.name + ": id \"" + id + "\" is not <" + s.parent.stream + " id>/<" +
                                            s.name + " id>");
    vars[s.parent.var] = json::value(id.substr(0, slash));
    vars["id"] = json::value(id.substr(slash + 1));
  }

  Record fetch_one(const StreamSpec& s, const std::string& id) {
    Vars v = base_vars(s);
    v["id"] = json::value(id);
    nested_id(s, id, v);
    Answer a = rest_.call(s.get, v, {404});
    if (a.status == 404) throw accord::Error(ACCORD_CONFLICT, "record " + id + " is gone from the server");
    const json::value* rec = at_ptr(a.body, s.get.record);
    if (!rec || !rec->is_object()) throw accord::Error(ACCORD_ERROR, "GET " + s.get.path + ": no record in the answer");
    Record r = to_record(s, *rec);
    if (s.parent.present) r.id = id;
    return r;
  }

  // The id and version of what a write answered; a GET when the answer does
  // not hold the record itself. `pid`: a nested record's parent id.
  Result written(const StreamSpec& s, const Request& req, const Answer& a, const std::string& known_id,
                       const std::string& pid = "") {
    const json::value* rec = a.body.is_null() ? nullptr : at_ptr(a.body, req.record);
    std::string id = !req.answer_id.empty() && !a.body.is_null() ? scalar_text(at_ptr(a.body, req.answer_id))
                     : rec                                          ? scalar_text(at_ptr(*rec, s.id))
                                                                    : "";
    if (!id.empty() && !pid.empty()) id = pid + "/" + id;
    if (id.empty()) id = known_id;
    if (id.empty()) throw accord::Error(ACCORD_ERROR, req.method + " " + req.path + ": the answer holds no id at " + s.id);
    // a nested stream's version is its content's hash: the record answered is the record
    bool full_record = rec && rec->is_object() && (s.version.empty() ? s.parent.present : at_ptr(*rec, s.version) != nullptr);
    if (!full_record && s.get.present) {
      try {
        Record r = fetch_one(s, id);
        // the record as the CRM holds it (its own form: fields it has no
        // place for dropped, defaults added), for the host's base
        return with_data(Result::ok(r.id, r.version), to_data(s, r.native));
      } catch (const accord::Error& e) {
        if (e.status() == ACCORD_CANCELLED || e.status() == ACCORD_AUTH_REQUIRED) throw;
        // The write is done and its id known: a failure here would have the
        // host write it again (a second record, for a create). The next
        // listing brings the version.
        host().log(ACCORD_LOG_WARN, ("crm-rest: " + req.method + " " + req.path + " was done (id " + id +
                                     "), but reading its version failed: " + e.what()).c_str());
        return Result::ok(id);
      }
    }
    if (!full_record) return Result::ok(id);
    return with_data(Result::ok(id, to_record(s, *rec).version), to_data(s, *rec));
  }

  std::vector<std::string> version_headers(const StreamSpec& s, const Op& op) {
    std::string expect = op.expect_version.value_or("");
    if (expect.empty()) return {};
    if (s.version_check == "if-match") return {"If-Match: \"" + expect + "\""};
    if (s.version_check == "read-compare") {
      Record now = fetch_one(s, op.id);
      if (now.version != expect)
        throw accord::Error(ACCORD_CONFLICT, "record " + now.id + " changed on the server (version " + now.version +
                                                 ", expected " + expect + ")");
    }
    return {};
  }

  // The record an op writes, in native form; a create carries its key in the
  // external-id field.
  json::value op_native(const StreamSpec& s, const Op& op) {
    json::value native = to_native(s, op.data);
    if (op.is_create() && !op.idempotency_key.empty() && !s.external_id.empty())
      set_ptr(native, s.external_id, json::value(op.idempotency_key));
    return native;
  }

  // A result with the record as the CRM holds it, for the host's base.
  static Result with_data(Result r, json::value data) {
    if (data.is_object()) r.data = std::move(data.get_object());
    return r;
  }

  // ---- batches ----

  // Sorts the ops the stream's batch endpoints can take into batches; what
  // they cannot (a create that must look for an earlier try, an If-Match
  // check) is left for one-by-one.
  void apply_batches(const StreamSpec& s, const std::vector<Op>& ops, std::vector<std::optional<Result>>& out) {
    const Batch& b = s.batch;
    std::vector<size_t> upserts, creates, updates, deletes;
    for (size_t i = 0; i < ops.size(); ++i) {
      const Op& op = ops[i];
      const std::string& kind = op.op;
      bool key = !op.idempotency_key.empty();
      bool checked = !op.expect_version.value_or("").empty() && s.version_check != "none";
      bool checkable = !checked || (s.version_check == "read-compare" && b.read.present);
      if (kind == "create" && key && b.upsert.present) upserts.push_back(i);
      else if (kind == "create" && b.create.present && !(key && op.resend && s.lookup.present)) creates.push_back(i);
      else if (kind == "update" && b.update.present && checkable) updates.push_back(i);
      else if (kind == "delete" && b.del.present && checkable) deletes.push_back(i);
    }
    auto run = [&](const BatchOp& bo, const std::vector<size_t>& idx, const char* kind) {
      for (size_t at = 0; at < idx.size(); at += b.size) {
        throw_if_cancelled();
        std::vector<size_t> chunk(idx.begin() + at, idx.begin() + std::min(idx.size(), at + b.size));
        run_batch(s, bo, ops, chunk, kind, out);
      }
    };
    run(b.upsert, upserts, "create");
    run(b.create, creates, "create");
    run(b.update, updates, "update");
    run(b.del, deletes, "delete");
  }

  // Reads many records by id through the batch read endpoint.
  std::map<std::string, Record> read_many(const StreamSpec& s, const std::vector<std::string>& ids) {
    std::map<std::string, Record> got;
    const BatchOp& r = s.batch.read;
    for (size_t at = 0; at < ids.size(); at += s.batch.size) {
      std::vector<std::string> chunk(ids.begin() + at, ids.begin() + std::min(ids.size(), at + s.batch.size));
      Vars v = base_vars(s);
      json::array items, id_list;
      std::string joined;
      for (const auto& id : chunk) {
        Vars iv = v;
        iv["id"] = json::value(id);
        items.push_back(fill(r.item, iv));
        id_list.emplace_back(id);
        joined += (joined.empty() ? "" : ",") + id;
      }
      v["items"] = std::move(items);
      v["id_list"] = std::move(id_list);
      v["ids"] = json::value(joined);
      Answer a = rest_.call(r.req, v);
      const json::value* recs = at_ptr(a.body, r.results);
      if (recs && recs->is_array())
        for (const auto& rv : recs->get_array())
          if (rv.is_object()) {  // Salesforce answers null for an id it does not have
            Record rec = to_record(s, rv);
            got.emplace(rec.id, std::move(rec));
          }
    }
    return got;
  }

  void run_batch(const StreamSpec& s, const BatchOp& b, const std::vector<Op>& ops, const std::vector<size_t>& idx,
                 const std::string& kind, std::vector<std::optional<Result>>& out) {
    auto fail = [&](size_t i, const char* status, const std::string& message) {
      out[i] = Result::failed(status, message, ops[i].id);
    };
    // read-compare: one batch read for the lot, conflicts answered here
    std::vector<size_t> go;
    if (kind != "create" && s.version_check == "read-compare") {
      std::vector<std::string> ids;
      for (size_t i : idx)
        if (!ops[i].expect_version.value_or("").empty()) ids.push_back(ops[i].id);
      std::map<std::string, Record> now;
      try {
        if (!ids.empty()) now = read_many(s, ids);
      } catch (const accord::Error& e) {
        if (e.status() != ACCORD_ERROR) throw_or_retry(e, idx, out);
        return;  // an ERROR: one by one
      }
      for (size_t i : idx) {
        std::string id = ops[i].id, expect = ops[i].expect_version.value_or("");
        auto it = now.find(id);
        if (expect.empty()) go.push_back(i);
        else if (it == now.end()) {
          if (kind == "delete") out[i] = Result::ok(id);  // already gone, as asked
          else fail(i, "conflict", "record " + id + " is gone from the server");
        } else if (it->second.version != expect)
          fail(i, "conflict", "record " + id + " changed on the server (version " + it->second.version + ", expected " + expect + ")");
        else go.push_back(i);
      }
    } else {
      go = idx;
    }
    if (go.empty()) return;

    Vars v = base_vars(s);
    json::array items, id_list;
    std::string ids, keys;
    for (size_t i : go) {
      const Op& op = ops[i];
      Vars iv = op_vars(s, op);
      if (kind != "delete") iv["data"] = op_native(s, op);
      json::value item = fill(b.item, iv);
      for (const auto& [ptr, t] : b.item_set) set_ptr(item, ptr, fill(t, iv));
      items.push_back(std::move(item));
      id_list.emplace_back(ops[i].id);
      ids += (ids.empty() ? "" : ",") + ops[i].id;
      keys += (keys.empty() ? "" : ",") + ops[i].idempotency_key;
    }
    v["items"] = std::move(items);
    v["id_list"] = std::move(id_list);
    v["ids"] = json::value(ids);
    v["keys"] = json::value(keys);
    Answer a;
    try {
      a = rest_.call(b.req, v);
    } catch (const LostAnswer& e) {
      // a create batch whose answer was lost: each record is looked for
      for (size_t i : go) {
        const Op& op = ops[i];
        try {
          out[i] = after_lost_create(s, op.idempotency_key, op_vars(s, op), op_native(s, op), "", e.what());
        } catch (...) {
          out[i] = accord::kit::failure(op);
        }
      }
      return;
    } catch (const accord::Error& e) {
      if (e.status() != ACCORD_ERROR && e.status() != ACCORD_CONFLICT) throw_or_retry(e, go, out);
      host().log(ACCORD_LOG_WARN, ("crm-rest: the " + kind + " batch of " + std::to_string(go.size()) + " " + s.name +
                                   " records was refused (" + e.what() + "); sending them one by one").c_str());
      return;
    }

    // match results to ops
    const json::value* res = b.has_results && !a.body.is_null() ? at_ptr(a.body, b.results) : nullptr;
    std::map<std::string, const json::value*> by;
    if (res && res->is_array() && b.match != "order")
      for (const auto& r : res->get_array()) by[scalar_text(at_ptr(r, b.match))] = &r;
    std::set<std::string> named_in_errors;
    if (!b.errors.empty() && !a.body.is_null())
      if (auto* errs = at_ptr(a.body, b.errors); errs && errs->is_array())
        for (const auto& e : errs->get_array())
          if (auto* m = at_ptr(e, b.error_match)) {
            if (m->is_array())
              for (const auto& x : m->get_array()) named_in_errors.insert(scalar_text(&x));
            else
              named_in_errors.insert(scalar_text(m));
          }

    std::vector<std::pair<size_t, std::string>> need_version;
    for (size_t k = 0; k < go.size(); ++k) {
      size_t i = go[k];
      std::string mv = kind == "create" ? ops[i].idempotency_key : ops[i].id;
      if (!b.has_results) {  // a 2xx answer without per-record results: all done
        if (kind == "delete") out[i] = Result::ok(mv);
        else if (kind == "update") {
          out[i] = Result::ok(mv);
          need_version.emplace_back(i, mv);
        } else
          fail(i, "retry", "the create batch answered without ids; the record is looked for on the next try");
        continue;
      }
      const json::value* r = nullptr;
      if (res && res->is_array()) {
        if (b.match == "order") r = k < res->get_array().size() ? &res->get_array()[k] : nullptr;
        else if (auto it = by.find(mv); it != by.end()) r = it->second;
      }
      bool ok = r && r->is_object() && !named_in_errors.contains(mv);
      if (ok && !b.ok.empty()) {
        const json::value* f = at_ptr(*r, b.ok);
        ok = f && f->is_bool() && f->get_bool();
      }
      if (!ok) {
        // Not written: sent again alone, so that its own answer (a 404 that
        // means "already gone", a 5xx to retry, a message) decides. A plain
        // create not mentioned at all may have been made: the next try looks.
        if (kind == "create" && !r && !named_in_errors.contains(mv) && &b == &s.batch.create)
          fail(i, "retry", "the create batch did not say what became of this record; it is looked for on the next try");
        else if (r && !b.error.empty())
          host().log(ACCORD_LOG_INFO, ("crm-rest: a " + s.name + " " + kind + " in a batch failed (" +
                                       scalar_text(at_ptr(*r, b.error)) + "); sending it alone").c_str());
        continue;
      }
      if (kind == "delete") {
        out[i] = Result::ok(ops[i].id);
        continue;
      }
      std::string id = scalar_text(at_ptr(*r, b.req.answer_id.empty() ? s.id : b.req.answer_id));
      if (id.empty()) id = ops[i].id;
      std::string version = s.version.empty() ? "" : scalar_text(at_ptr(*r, s.version));
      out[i] = Result::ok(id, version);
      // an answer that is the whole record is the record as the CRM holds it
      if (!version.empty()) out[i] = with_data(*out[i], to_data(s, *r));
      else need_version.emplace_back(i, id);
    }
    learn_versions(s, need_version, out);
  }

  // Versions for written records whose write answer held none: a batch read
  // where there is one, else a GET each.
  void learn_versions(const StreamSpec& s, const std::vector<std::pair<size_t, std::string>>& need,
                      std::vector<std::optional<Result>>& out) {
    if (need.empty() || (!s.batch.read.present && !s.get.present)) return;
    std::map<std::string, Record> got;
    std::vector<std::string> ids;
    for (const auto& [i, id] : need) ids.push_back(id);
    try {
      if (s.batch.read.present) got = read_many(s, ids);
      else
        for (const auto& id : ids) got.emplace(id, fetch_one(s, id));
    } catch (const accord::Error& e) {
      if (e.status() == ACCORD_CANCELLED || e.status() == ACCORD_AUTH_REQUIRED) throw;
      return;  // written all the same; the next read brings the version
    }
    for (const auto& [i, id] : need)
      if (auto it = got.find(id); it != got.end()) {
        out[i]->version = it->second.version;
        out[i] = with_data(*out[i], to_data(s, it->second.native));  // as the CRM holds it, for the host's base
      }
  }

  // A batch that could not be sent: a retry for each of its ops, or the end
  // of the call (cancelled, credentials refused).
  void throw_or_retry(const accord::Error& e, const std::vector<size_t>& idx, std::vector<std::optional<Result>>& out) {
    if (e.status() == ACCORD_CANCELLED || e.status() == ACCORD_AUTH_REQUIRED) throw e;
    for (size_t i : idx) {
      out[i] = Result::failed(accord::kit::status_name(e.status()), e.what());
      out[i]->retry_after_s = (e.retry_after_ms() + 999) / 1000;
    }
  }

  Result apply_one(const StreamSpec& s, const Op& op) {
    const std::string& kind = op.op;
    const std::string& id = op.id;
    const std::string& key = op.idempotency_key;
    Vars vars = op_vars(s, op);
    json::value native = kind == "delete" ? json::value() : op_native(s, op);
    std::string pid;  // a nested stream's parent
    if (s.parent.present) {
      if (kind == "create") {
        pid = scalar_text(at_ptr(native, s.parent.field));
        if (pid.empty())
          throw accord::Error(ACCORD_ERROR, "stream " + s.name + ": a new record needs the id of its " + s.parent.stream +
                                                " at " + s.parent.field + " (the " + s.parent.stream + " it belongs to)");
        vars[s.parent.var] = json::value(pid);
      } else {
        nested_id(s, id, vars);
        pid = scalar_text(&vars.at(s.parent.var));
      }
    }
    if (kind == "delete") {
      if (!s.del.present) throw accord::Error(ACCORD_UNSUPPORTED, "stream " + s.name + " has no delete endpoint");
      auto hdr = version_headers(s, op);
      Answer a = rest_.call(s.del, vars, {404, 410}, hdr);
      (void)a;  // 404/410: already gone, which is what was asked
      return Result::ok(id);
    }
    if (kind == "update") {
      if (!s.update.present) throw accord::Error(ACCORD_UNSUPPORTED, "stream " + s.name + " has no update endpoint");
      auto hdr = version_headers(s, op);
      vars["data"] = std::move(native);
      Answer a = rest_.call(s.update, vars, {}, hdr);
      return written(s, s.update, a, id, pid);
    }
    if (kind != "create") throw accord::Error(ACCORD_ERROR, "unknown op \"" + kind + "\"");
    if (!key.empty() && s.upsert.present) {  // the server finds the key itself (it is in the path or body template)
      // a key in the path stays out of the body (Salesforce: "Do not specify
      // Id or an external ID field in the request body")
      if (s.upsert.path.find("{key}") != std::string::npos && !s.external_id.empty()) erase_ptr(native, s.external_id);
      vars["data"] = std::move(native);
      Answer a = rest_.call(s.upsert, vars);
      return written(s, s.upsert, a, "");
    }
    if (op.resend)  // find a record an earlier try made (a fresh key has none)
      if (auto found = find_earlier(s, key, vars, native, pid)) return *found;
    if (!s.create.present) throw accord::Error(ACCORD_UNSUPPORTED, "stream " + s.name + " has no create endpoint");
    vars["data"] = native;
    try {
      Answer a = rest_.call(s.create, vars);
      return written(s, s.create, a, "", pid);
    } catch (const LostAnswer& e) {
      return after_lost_create(s, key, vars, native, pid, e.what());
    }
  }

  // The record an earlier try of this create made, found through the
  // stream's lookup (nullopt: none, or the stream cannot look). Only a
  // record that carries the key counts: some APIs ignore a filter on a field
  // no record has yet and answer everything. Without an external-id field
  // (HighLevel's notes), a record with exactly this content under the same
  // parent is taken for the earlier try.
  std::optional<Result> find_earlier(const StreamSpec& s, const std::string& key, const Vars& vars,
                                           const json::value& native, const std::string& pid) {
    if (key.empty() || !s.lookup.present) return std::nullopt;
    // a lookup by key in the path (Salesforce's sObject Rows by External ID)
    // answers the one record, or 404 when there is none
    Answer a = rest_.call(s.lookup, vars, {404});
    if (a.status == 404) return std::nullopt;
    const json::value* recs = at_ptr(a.body, s.lookup.records);
    // compared as the create sends it (its fields and defaults)
    auto sent = [&](json::value d) {
      shape_record(s.create, d);
      return d;
    };
    json::value want = s.external_id.empty() ? sent(to_data(s, native)) : json::value();
    auto is_it = [&](const json::value& rv) {
      return rv.is_object() &&
             (s.external_id.empty() ? sent(to_data(s, rv)) == want : scalar_text(at_ptr(rv, s.external_id)) == key);
    };
    const json::value* hit = nullptr;
    if (recs && recs->is_array()) {
      for (const auto& rv : recs->get_array())
        if (is_it(rv)) {
          hit = &rv;
          break;
        }
    } else if (recs && is_it(*recs)) {
      hit = recs;
    }
    if (!hit) return std::nullopt;
    Record r = to_record(s, *hit);
    return with_data(Result::ok(pid.empty() ? r.id : pid + "/" + r.id, r.version), to_data(s, *hit));
  }

  // A create was sent and its answer lost: the CRM may hold the record. It
  // is looked for by its key; what cannot be found is not sent again here
  // (a server may still be doing the first try), and what cannot be looked
  // for is never answered "ok" with a guessed id: RETRY, and the host's
  // resend ("resend": true) looks again first.
  Result after_lost_create(const StreamSpec& s, const std::string& key, const Vars& vars, const json::value& native,
                                 const std::string& pid, const std::string& what) {
    if (key.empty() || !s.lookup.present)
      throw accord::Error(ACCORD_ERROR, what + "; stream " + s.name + " has no lookup to find a record by its "
                                                 "idempotency key, so it is not sent again: check the CRM for it "
                                                 "(the stream's lookup endpoint would let Accord do that)");
    std::optional<Result> found;
    try {
      found = find_earlier(s, key, vars, native, pid);
    } catch (const accord::Error& e) {
      if (e.status() == ACCORD_CANCELLED || e.status() == ACCORD_AUTH_REQUIRED) throw;
      throw accord::Error(ACCORD_RETRY, what + "; looking for the record by its idempotency key failed too (" +
                                            e.what() + "): it is looked for again before it is sent again", 5000);
    }
    if (!found)
      throw accord::Error(ACCORD_RETRY, what + "; no record carries its idempotency key yet: it is looked for "
                                                "again before it is sent again", 5000);
    host().log(ACCORD_LOG_INFO, ("crm-rest: the answer to a " + s.name + " create was lost; the record it made was "
                                 "found by its idempotency key (" + found->id + ")").c_str());
    return *found;
  }

  Spec spec_;
  RestClient rest_;
  std::map<std::string, std::vector<CompiledRule>> rules_;
};

}  // namespace
}  // namespace crm

ACCORD_CONNECTOR(crm::CrmRest, crm::manifest().c_str(),
                 ACCORD_CAP_READ | ACCORD_CAP_WRITE | ACCORD_CAP_DELETE | ACCORD_CAP_IDEMPOTENT_CREATE)
