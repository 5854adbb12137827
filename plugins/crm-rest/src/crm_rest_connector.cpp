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
//
// This file is the entry point and the read/apply calls; the rest lives in
// listing.cpp, daily_budget.cpp, canonical_mapping.cpp, write_ops.cpp and
// batches.cpp, behind the private header crm_rest_p.hpp.
#include "crm_rest_p.hpp"

#include <accord/kit/manifest.hpp>

#include <boost/json/src.hpp>

#include <algorithm>

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
        // a CRM's email messages (highlevel: logged on a contact's conversation)
        .stream(StreamInfo("message", "jmap-email")
                    .with_fields({"/messageId", "/threadId", "/subject", "/from", "/to", "/cc", "/bcc", "/sentAt",
                                  "/attachments", "/hasAttachment", "/raw"}))
        .config_schema(std::move(schema))
        // one account's data: the API root and the values its paths use (HighLevel's location)
        .store_identity({"profile", "base_url", "variables"})
        .build();
  }();
  return m;
}
}  // namespace

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

// ---- the connector ----------------------------------------------------------

CrmRest::CrmRest(const accord::Host& host, std::string_view config)
    : accord::Connector(host), spec_(load_spec(std::string(config), manifest().config_schema())), rest_(spec_, host) {
  for (const auto& [name, s] : spec_.streams) rules_[name] = compile(s);
}

void CrmRest::cancel() noexcept {
  rest_.cancel();
  accord::Connector::cancel();
}

std::string CrmRest::read_changes(std::string_view stream, std::string_view cursor_text) {
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
    batch["budget"] = budget_said(s, spent);  // the host's plan sums the writes' cost against it
  }
  batch["cursor"] = kCursor.write(cur);
  batch["more"] = more;
  return json::serialize(batch);
}

std::string CrmRest::apply(std::string_view stream, std::string_view ops_text) {
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
const void* CrmRest::get_extension(std::string_view name) noexcept {
  return name == ACCORD_STREAMS_V1 ? accord::streams_extension() : accord::Connector::get_extension(name);
}
void CrmRest::check_stream(std::string_view stream) { (void)stream_spec(stream); }
std::optional<std::vector<std::string>> CrmRest::stream_fields(std::string_view stream) {
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
const StreamSpec& CrmRest::stream_spec(std::string_view stream) const {
  auto it = spec_.streams.find(std::string(stream));
  if (it == spec_.streams.end()) {
    std::string names;
    for (const auto& [n, _] : spec_.streams) names += (names.empty() ? "" : ", ") + n;
    throw accord::Error(ACCORD_UNSUPPORTED, "no stream \"" + std::string(stream) + "\" in this configuration (profile " +
                                                spec_.profile + " has: " + names + ")");
  }
  return it->second;
}

json::object CrmRest::parse_cursor(const StreamSpec& s, std::string_view text) {
  std::optional<json::object> cur = kCursor.read(text);
  if (!cur) return json::object{{"stream", s.name}};
  if (scalar_text(cur->if_contains("stream")) != s.name) kCursor.expire("it is the cursor of another stream");
  return std::move(*cur);
}

// The variables every request of a stream may use.
Vars CrmRest::base_vars(const StreamSpec& s) {
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

}  // namespace crm

ACCORD_CONNECTOR(crm::CrmRest, crm::manifest().c_str(),
                 ACCORD_CAP_READ | ACCORD_CAP_WRITE | ACCORD_CAP_DELETE | ACCORD_CAP_IDEMPOTENT_CREATE |
                     ACCORD_CAP_FIND_ONLY)
