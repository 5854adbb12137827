// SPDX-License-Identifier: Apache-2.0
#include "spec.hpp"

#include <accord/net/oauth2.hpp>

#include <accord/connector.hpp>
#include <accord/json/pointer.hpp>
#include <accord/json/schema.hpp>
#include <accord/kit/config.hpp>

#include <boost/json.hpp>

namespace json = boost::json;
namespace json_schema = accord::json_schema;

extern const char kConfigSchema[];  // config_schema.json, compiled in

namespace crm {

json::value config_schema() {
  json::value schema = json::parse(kConfigSchema);
  // a batch endpoint and the token exchange are requests with keys of their
  // own: the request's keys are added to theirs (one list of them)
  json::object& defs = schema.at("definitions").as_object();
  const json::object& req = defs.at("request").as_object();
  for (const char* d : {"batch_op", "token_exchange"}) {
    json::object& o = defs[d].as_object();
    o["type"] = req.at("type");
    o["additionalProperties"] = false;
    for (const auto& [k, v] : req.at("properties").as_object()) o["properties"].as_object().emplace(k, v);
  }
  return schema;
}

void merge_into(json::value& base, const json::value& over) {
  if (base.is_object() && over.is_object()) {
    for (const auto& [k, v] : over.get_object()) {
      if (auto* b = base.get_object().if_contains(k)) merge_into(*b, v);
      else base.get_object()[k] = v;
    }
    return;
  }
  base = over;
}

namespace {

[[noreturn]] void bad(const std::string& at, const std::string& what) { accord::kit::Config::fail(at, what); }

json::value parse_lenient(const std::string& text, const std::string& what) {
  json::parse_options po;
  po.allow_comments = true;
  po.allow_trailing_commas = true;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec, {}, po);
  if (ec) bad("", what + " is not JSON (" + ec.message() + ")");
  return v;
}

// A place in the configuration, read through the kit's Config: the schema
// (config_schema.json) has checked every type, enum, pointer and unknown
// key; what is left here is reading, defaults, and the rules a schema cannot
// say (Config::fail, naming the pointer).
struct At {
  const accord::kit::Config* k;
  std::string at;

  std::string ptr(std::string_view key) const { return at + "/" + accord::json_pointer::escape(key); }
  const json::value* get(std::string_view key) const {
    const json::value* v = k->find(ptr(key));
    return v && !v->is_null() ? v : nullptr;
  }
  bool present() const { return k->find(at) && !k->find(at)->is_null(); }
  std::string str(std::string_view key, std::string def = "") const { return k->str(ptr(key), def); }
  double num(std::string_view key, double def) const { return k->number(ptr(key), def); }
  int64_t integer(std::string_view key, int64_t def) const { return k->integer(ptr(key), def); }
  bool boolean(std::string_view key, bool def) const { return k->boolean(ptr(key), def); }
  std::vector<std::string> strings(std::string_view key) const { return k->strings(ptr(key)); }
  At sub(std::string_view key) const { return At{k, ptr(key)}; }
  const json::object* object(std::string_view key) const {
    const json::value* v = get(key);
    return v ? v->if_object() : nullptr;
  }
};

Paging parse_paging(const At& p) {
  Paging g;
  if (!p.present()) return g;
  g.style = p.str("style", "none");
  g.next = p.str("next");
  g.next_in_last = p.boolean("next_in_last_record", false);
  g.param = p.str("param");
  g.body_pointer = p.str("body_pointer");
  g.limit_param = p.str("limit_param");
  g.limit_pointer = p.str("limit_pointer");
  g.more = p.str("more");
  g.total = p.str("total");
  g.stop_before_since = p.str("stop_before_since");
  g.first_page = p.integer("first_page", 1);
  if ((g.style == "next_url" || g.style == "cursor") && g.next.empty())
    bad(p.ptr("next"), "paging style " + g.style + " needs the pointer to the next page in the answer");
  if ((g.style == "offset" || g.style == "page") && g.param.empty())
    bad(p.ptr("param"), "paging style " + g.style + " needs the query parameter that carries it");
  if (g.style == "cursor" && g.param.empty() && g.body_pointer.empty())
    bad(p.at, "paging style cursor needs param (a query parameter) or body_pointer");
  return g;
}

Request parse_request(const At& r) {
  Request q;
  if (!r.present()) return q;
  q.present = true;
  q.method = r.str("method", "GET");
  q.path = r.str("path");
  if (q.path.empty()) bad(r.ptr("path"), "required: the endpoint's path (or an absolute URL)");
  if (const json::object* qq = r.object("query"))
    for (const auto& [k, v] : *qq) q.query.emplace_back(std::string(k), v.is_string() ? std::string(v.get_string()) : json::serialize(v));
  if (const json::value* b = r.get("body")) q.body = *b;
  if (const json::object* set = r.object("set"))
    for (const auto& [k, v] : *set) q.set.emplace_back(std::string(k), v);
  q.records = r.str("records");
  q.record = r.str("record");
  q.answer_id = r.str("id");
  q.paging = parse_paging(r.sub("paging"));
  if (const json::object* h = r.object("headers"))
    for (const auto& [k, v] : *h) {
      std::string val(v.get_string());
      if (val.find_first_of("\r\n") != std::string::npos || k.find_first_of("\r\n:") != json::string_view::npos)
        bad(r.sub("headers").ptr(k), "a header name or value cannot hold a line break or (in the name) a colon");
      q.headers.emplace_back(std::string(k), val);
    }
  q.send_fields = r.strings("send_fields");
  if (const json::object* d = r.object("defaults"))
    for (const auto& [k, v] : *d) q.defaults.emplace_back(std::string(k), v);
  q.expired = r.strings("expired");
  q.expand = r.str("expand");
  q.file_field = r.str("file_field");
  q.max_files = static_cast<int64_t>(r.num("max_files", 0));
  q.max_file_bytes = static_cast<int64_t>(r.num("max_file_bytes", 0));
  q.rate_per_s = r.num("requests_per_second", 0);
  return q;
}

BatchOp parse_batch_op(const At& b) {
  BatchOp o;
  if (!b.present()) return o;
  o.present = true;
  o.req = parse_request(b);
  const json::value* item = b.get("item");
  o.item = item ? *item : json::value("{data}");
  if (const json::object* set = b.object("item_set"))
    for (const auto& [k, v] : *set) o.item_set.emplace_back(std::string(k), v);
  o.has_results = b.get("results") != nullptr;
  o.results = b.str("results");
  o.match = b.str("match", "order");
  o.ok = b.str("ok");
  o.error = b.str("error");
  o.errors = b.str("errors");
  o.error_match = b.str("error_match");
  o.error_message = b.str("error_message", "/message");
  if (!o.errors.empty() && o.error_match.empty())
    bad(b.ptr("error_match"), "errors needs the pointer, in each error, to the keys or ids it names");
  return o;
}

StreamSpec parse_stream(const std::string& name, const At& s) {
  StreamSpec t;
  t.name = name;
  t.canonical = s.str("canonical");
  t.contacts_stream = s.str("contacts");
  t.email_api = s.str("email_api", "highlevel");
  t.object = s.str("object", name);
  t.id = s.str("id", "/id");
  t.version = s.str("version");
  t.modified = s.str("modified");
  t.read_only = s.strings("read_only");
  t.fields = s.strings("fields");
  if (const json::object* v = s.object("variables"))
    for (const auto& [k, val] : *v) t.variables[std::string(k)] = std::string(val.get_string());
  t.list = parse_request(s.sub("list"));
  if (!t.list.present) bad(s.ptr("list"), "required: how to list the stream's records");
  t.get = parse_request(s.sub("get"));
  t.create = parse_request(s.sub("create"));
  t.update = parse_request(s.sub("update"));
  t.del = parse_request(s.sub("delete"));
  t.lookup = parse_request(s.sub("lookup"));
  t.upsert = parse_request(s.sub("upsert"));
  t.upsert_lookup = parse_request(s.sub("upsert_lookup"));
  t.upsert_match = s.str("upsert_match");
  if (t.upsert_lookup.present != !t.upsert_match.empty())
    bad(s.ptr(t.upsert_lookup.present ? "upsert_match" : "upsert_lookup"),
        "upsert_lookup and upsert_match go together: the look-up of what an upsert would update, and the field it "
        "matches by");
  t.upload = parse_request(s.sub("upload"));
  t.page_size = s.integer("page_size", 100);
  if (At b = s.sub("batch"); b.present()) {
    t.batch.present = true;
    t.batch.size = b.integer("size", 100);
    t.batch.create = parse_batch_op(b.sub("create"));
    t.batch.upsert = parse_batch_op(b.sub("upsert"));
    t.batch.update = parse_batch_op(b.sub("update"));
    t.batch.del = parse_batch_op(b.sub("delete"));
    t.batch.read = parse_batch_op(b.sub("read"));
    if (t.batch.upsert.present && s.str("external_id").empty())
      bad(s.ptr("external_id"), "a batch upsert needs the external-id field that carries the idempotency key");
  }

  if (At par = s.sub("parent"); par.present()) {
    t.parent.present = true;
    t.parent.stream = par.str("stream");
    t.parent.var = par.str("var");
    t.parent.field = par.str("field");
    if (t.parent.stream.empty() || t.parent.var.empty() || t.parent.field.empty())
      bad(par.at, "a nested stream needs stream (its parent stream), var (the {name} the parent's id fills) and field "
                   "(the pointer to the parent's id in a record)");
  }
  At ch = s.sub("changes");
  t.change_mode = ch.str("mode", "full");
  t.sync_token = ch.str("token");
  t.deleted_flag = ch.str("deleted");
  t.changes = parse_request(ch.sub("request"));
  t.changes_fallback = parse_request(ch.sub("fallback"));
  t.since_format = ch.str("since_format", "iso8601");
  t.overlap_s = static_cast<int64_t>(ch.num("overlap_seconds", 300));
  t.full_listing_hours = ch.num("full_listing_hours", 24);
  t.absence_check_hours = ch.num("absence_check_hours", -1);
  t.max_results = ch.integer("max_results", 0);
  if (t.max_results > 0 && t.max_results < t.page_size)
    bad(ch.ptr("max_results"), "must be at least page_size (" + std::to_string(t.page_size) + ")");
  if (t.parent.present && t.change_mode != "full")
    bad(ch.ptr("mode"), "a nested stream is listed in full, parent by parent; its changes.mode must be full");
  if (t.change_mode == "sync_token" && (t.sync_token.empty() || !t.changes.present))
    bad(ch.at, "changes.mode sync_token needs token (the pointer to the next sync token in an answer) and a request "
                "that sends {sync_token}");
  if (t.change_mode == "modified_since" && t.modified.empty())
    bad(s.ptr("modified"), "changes.mode modified_since needs the pointer to the record's modification time");

  At tomb = s.sub("tombstones");
  t.tombstones = parse_request(tomb.sub("request"));
  t.tombstone_id = tomb.str("id", "/id");
  t.tombstone_deleted_at = tomb.str("deleted_at");
  t.tombstone_min_window_s = static_cast<int64_t>(tomb.num("min_window_seconds", 0));
  t.tombstone_covered = tomb.str("covered");

  // every request but a create may be sent again after a lost answer (an
  // upload sent again leaves at most a file no message refers to)
  for (Request* r : {&t.list, &t.changes, &t.changes_fallback, &t.tombstones, &t.get, &t.update, &t.del, &t.lookup, &t.upsert,
                     &t.upsert_lookup, &t.upload, &t.batch.upsert.req, &t.batch.update.req, &t.batch.del.req, &t.batch.read.req})
    r->idempotent = true;

  t.external_id = s.str("external_id");
  t.created = s.str("created");
  t.version_check = s.str("version_check", "none");
  if (t.version_check == "read-compare" && !t.get.present)
    bad(s.ptr("get"), "version_check read-compare needs a get endpoint");

  if (const json::value* m = s.get("mapping")) {
    At rules = s.sub("mapping");
    for (size_t i = 0; i < m->get_array().size(); ++i) {
      At ro = rules.sub(std::to_string(i));
      MapRule rule;
      rule.canonical = ro.str("canonical");
      rule.native = ro.str("native");
      if (const json::value* tf = ro.get("transform")) rule.transform = *tf;
      rule.format = ro.str("format", "iso8601");
      if (rule.canonical[0] == '@') {
        if (rule.canonical != "@start" && rule.canonical != "@end" && rule.canonical != "@due")
          bad(ro.ptr("canonical"), "\"" + rule.canonical + "\" is not one of @start, @end, @due (or a canonical field path)");
        if (!t.canonical.starts_with("jscalendar"))
          bad(ro.ptr("canonical"), rule.canonical + " is an instant of a JSCalendar event or task; this stream is " +
                                        (t.canonical.empty() ? "native" : t.canonical));
      }
      t.mapping.push_back(std::move(rule));
    }
  }
  if (t.canonical == "jmap-email") {  // converted in email_messages.cpp, not by rules
    if (!t.mapping.empty()) bad(s.ptr("mapping"), "a jmap-email stream is converted by the connector; it takes no mapping rules");
    if (t.email_api == "highlevel" && !t.parent.present)
      bad(s.ptr("parent"), "a jmap-email stream is nested under its conversations (parent)");
  } else if (!t.canonical.empty() && t.mapping.empty())
    bad(s.ptr("mapping"), "a canonical stream (" + t.canonical + ") needs mapping rules to its native fields");
  if (const json::value* c = s.k->find(s.ptr("clear_value"))) t.clear_value = *c;
  return t;
}

}  // namespace

Spec load_spec(const std::string& config_json, const json::value& schema) {
  json::value user = parse_lenient(config_json, "the configuration");
  if (!user.is_object()) bad("", "must be a JSON object");
  std::string profile = "generic";
  if (const json::value* pv = user.get_object().if_contains("profile"); pv && !pv->is_null()) {
    if (!pv->is_string()) bad("/profile", "must be a string: the name of a profile");
    profile = std::string(pv->get_string());
  }
  auto it = profiles().find(profile);
  if (it == profiles().end()) {
    std::string names;
    for (const auto& [n, _] : profiles()) names += (names.empty() ? "" : ", ") + n;
    bad("/profile", "no profile \"" + profile + "\" (there are: " + names + ")");
  }
  json::value merged = parse_lenient(it->second, "profile " + profile);
  merge_into(merged, user);
  // stream_defaults: what every stream has unless it says otherwise (a
  // vendor's endpoints differ only in the object's name), laid under each
  // stream; a stream set to null (a user switching a profile's off) goes
  if (json::value* st = merged.get_object().if_contains("streams"); st && st->is_object()) {
    const json::value* defaults = merged.get_object().if_contains("stream_defaults");
    json::object streams;
    for (const auto& [name, v] : st->get_object()) {
      if (v.is_null()) continue;
      json::value stream = defaults && defaults->is_object() ? *defaults : json::value(json::object{});
      merge_into(stream, v);
      streams[name] = std::move(stream);
    }
    *st = std::move(streams);
  }
  // The whole of it, the streams' definitions as the account's keys, through
  // the manifest's schema (config_schema.json: types, enums, pointers,
  // unknown keys with the nearest known one), in the words the host checks
  // the pipeline's own part with; then read through the kit's Config
  if (json_schema::Verdict v = json_schema::check(schema, merged, json_schema::Words::kPeople); !v.valid()) {
    std::string m = v.unusable.empty() ? "" : "config: /: the schema cannot be used: " + v.unusable;
    for (size_t i = 0; i < v.errors.size() && i < 10; ++i)
      m += (m.empty() ? "" : "\n") + std::string("config: ") + (v.errors[i].pointer.empty() ? "/" : v.errors[i].pointer) + ": " +
           v.errors[i].message;
    throw accord::Error(ACCORD_ERROR, m);
  }
  const accord::kit::Config k(merged, schema);
  At c{&k, ""};

  Spec sp;
  sp.profile = profile;
  sp.base_url = k.str("/base_url");
  if (sp.base_url.empty()) bad("/base_url", "required: the API's base URL, e.g. https://api.example.com");
  while (sp.base_url.ends_with('/')) sp.base_url.pop_back();
  if (!sp.base_url.starts_with("https://") && !sp.base_url.starts_with("http://"))
    bad("/base_url", "must start with https:// (or http:// for a server on this machine)");
  if (std::string why = accord::net::credential_url_problem(sp.base_url); !why.empty()) bad("/base_url", why);

  sp.auth_type = k.str("/auth/type", "none");
  sp.token = k.str("/auth/token");
  sp.api_key_header = k.str("/auth/header", "X-API-Key");
  sp.api_key = k.str("/auth/key");
  sp.token_url = k.str("/auth/token_url");
  sp.client_id = k.str("/auth/client_id");
  sp.client_secret = k.str("/auth/client_secret");
  sp.refresh_token = k.str("/auth/refresh_token");
  sp.refresh_token_secret = k.str("/auth/refresh_token_secret");
  if (sp.auth_type == "bearer" && sp.token.empty()) bad("/auth/token", "bearer auth needs a token ({\"$secret\": NAME})");
  if (sp.auth_type == "api_key" && sp.api_key.empty()) bad("/auth/key", "api_key auth needs a key ({\"$secret\": NAME})");
  if (sp.auth_type == "oauth2") {
    if (sp.token_url.empty()) bad("/auth/token_url", "oauth2 needs the token endpoint");
    if (sp.refresh_token.empty() && sp.refresh_token_secret.empty() && sp.token.empty())
      bad("/auth/refresh_token", "oauth2 needs refresh_token_secret (the secret's name, so that a rotated token "
                                 "is kept), a refresh_token, or at least an access token in token");
    if (!sp.refresh_token.empty() && !sp.refresh_token_secret.empty())
      bad("/auth/refresh_token", "give refresh_token or refresh_token_secret, not both");
  }

  if (const json::value* h = k.find("/headers"))
    for (const auto& [name, v] : h->get_object()) {
      std::string val(v.get_string());  // the schema says strings
      if (val.find_first_of("\r\n") != std::string::npos || name.find_first_of("\r\n:") != json::string_view::npos)
        bad("/headers/" + std::string(name), "a header name or value cannot hold a line break or (in the name) a colon");
      sp.headers.push_back(std::string(name) + ": " + val);
    }
  if (const json::value* v = k.find("/variables"))
    for (const auto& [name, val] : v->get_object()) sp.variables[std::string(name)] = std::string(val.get_string());
  sp.rate_per_s = k.number("/rate_limit/requests_per_second", 0);
  sp.rate_burst = k.number("/rate_limit/burst", std::max(1.0, sp.rate_per_s));
  sp.rate_headers.remaining = k.str("/rate_limit/remaining_header");
  sp.rate_headers.interval_ms = k.str("/rate_limit/interval_ms_header");
  sp.rate_headers.max = k.str("/rate_limit/max_header");
  sp.rate_headers.daily_remaining = k.str("/rate_limit/daily_remaining_header");
  sp.rate_headers.daily_usage = k.str("/rate_limit/daily_usage_header");
  sp.rate_headers.daily_usage_field = k.str("/rate_limit/daily_usage_field");
  if (sp.rate_headers.daily_usage.empty() != sp.rate_headers.daily_usage_field.empty())
    bad("/rate_limit/daily_usage_field", "daily_usage_header and daily_usage_field go together: the header, and the "
                                         "field in it that says used/limit (Salesforce: sforce-limit-info, api-usage)");
  sp.limit_exceeded_retry_s = static_cast<int64_t>(k.number("/rate_limit/limit_exceeded_retry_seconds", 900));
  sp.connect_timeout_s = static_cast<long>(k.number("/timeouts/connect_seconds", 10));
  sp.stall_timeout_s = static_cast<long>(k.number("/timeouts/stall_seconds", 30));
  sp.total_timeout_s = static_cast<long>(k.number("/timeouts/total_seconds", 300));
  sp.ca_file = k.str("/ca_file");

  if (At te = c.sub("token_exchange"); te.present()) {
    sp.token_exchange = parse_request(te);
    if (const json::object* f = te.object("form"))
      for (const auto& [name, v] : *f) sp.exchange_form.emplace_back(std::string(name), std::string(v.get_string()));
    sp.exchange_token = te.str("token", "/access_token");
  }

  const json::object* st = c.object("streams");
  if (!st || st->empty()) bad("/streams", "no streams: name at least one (profile " + profile + " has none)");
  for (const auto& [name, v] : *st) sp.streams[std::string(name)] = parse_stream(std::string(name), c.sub("streams").sub(name));
  // The manifest names contact, note, event and task as canonical streams: the
  // host pairs them by that form, so a stream of one of those names must be it.
  static const std::map<std::string, std::string> kCanonical = {
      {"contact", "jscontact"}, {"note", "note"}, {"event", "jscalendar-event"}, {"task", "jscalendar-task"},
      {"message", "jmap-email"}};
  for (const auto& [name, s] : sp.streams)
    if (auto it = kCanonical.find(name); it != kCanonical.end() && s.canonical != it->second)
      bad(c.sub("streams").sub(name).ptr("canonical"), "a stream named \"" + name + "\" is the canonical " + it->second +
                                                 " stream: set canonical and mapping, or give a native stream another name");
  for (const auto& [name, s] : sp.streams)
    if (!s.contacts_stream.empty() && !sp.streams.contains(s.contacts_stream))
      bad(c.sub("streams").sub(name).ptr("contacts"), "\"" + s.contacts_stream + "\" is not a stream of this configuration");
  for (const auto& [name, s] : sp.streams)
    if (s.parent.present && (!sp.streams.contains(s.parent.stream) || sp.streams.at(s.parent.stream).parent.present))
      bad(c.sub("streams").sub(name).sub("parent").ptr("stream"), "\"" + s.parent.stream + "\" is not a (top-level) stream of this configuration");
  return sp;
}

}  // namespace crm
