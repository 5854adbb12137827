// SPDX-License-Identifier: Apache-2.0
#include "spec.hpp"

#include <accord/net/oauth2.hpp>

#include <accord/connector.hpp>
#include <accord/kit/config.hpp>

#include <boost/json.hpp>

namespace json = boost::json;

namespace crm {

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

[[noreturn]] void bad(const std::string& at, const std::string& what) {
  throw accord::Error(ACCORD_ERROR, "config: " + (at.empty() ? std::string("/") : at) + ": " + what);
}

json::value parse_lenient(const std::string& text, const std::string& what) {
  json::parse_options po;
  po.allow_comments = true;
  po.allow_trailing_commas = true;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec, {}, po);
  if (ec) bad("", what + " is not JSON (" + ec.message() + ")");
  return v;
}

// Typed readers over one object, each naming the key on a wrong type.
struct Obj {
  const json::object* o;
  std::string at;

  const json::value* get(const char* k) const { return o ? o->if_contains(k) : nullptr; }
  std::string str(const char* k, std::string def = "") const {
    const json::value* v = get(k);
    if (!v || v->is_null()) return def;
    if (!v->is_string()) bad(at + "/" + k, "must be a string");
    return std::string(v->get_string());
  }
  double num(const char* k, double def) const {
    const json::value* v = get(k);
    if (!v || v->is_null()) return def;
    if (!v->is_number()) bad(at + "/" + k, "must be a number");
    return v->to_number<double>();
  }
  Obj sub(const char* k) const {
    const json::value* v = get(k);
    if (!v || v->is_null()) return {nullptr, at + "/" + k};
    if (!v->is_object()) bad(at + "/" + k, "must be an object");
    return {&v->get_object(), at + "/" + k};
  }
  std::vector<std::string> strings(const char* k) const {
    std::vector<std::string> out;
    const json::value* v = get(k);
    if (!v || v->is_null()) return out;
    if (!v->is_array()) bad(at + "/" + k, "must be an array of strings");
    for (const auto& e : v->get_array()) {
      if (!e.is_string()) bad(at + "/" + k, "must be an array of strings");
      out.emplace_back(e.get_string());
    }
    return out;
  }
};

void check_pointer(const std::string& at, const std::string& p) {
  if (!p.empty() && p[0] != '/') bad(at, "\"" + p + "\" is not a JSON pointer (it must start with /)");
}

void check_enum(const std::string& at, const std::string& v, std::initializer_list<const char*> allowed) {
  std::string list;
  for (const char* a : allowed) {
    if (v == a) return;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  bad(at, "\"" + v + "\" is not one of " + list);
}

Paging parse_paging(const Obj& p) {
  Paging g;
  if (!p.o) return g;
  g.style = p.str("style", "none");
  check_enum(p.at + "/style", g.style, {"none", "link_header", "next_url", "cursor", "offset", "page"});
  g.next = p.str("next");
  check_pointer(p.at + "/next", g.next);
  if (auto* nl = p.get("next_in_last_record"); nl && !nl->is_null()) {
    if (!nl->is_bool()) bad(p.at + "/next_in_last_record", "must be true or false");
    g.next_in_last = nl->get_bool();
  }
  g.param = p.str("param");
  g.body_pointer = p.str("body_pointer");
  check_pointer(p.at + "/body_pointer", g.body_pointer);
  g.limit_param = p.str("limit_param");
  g.limit_pointer = p.str("limit_pointer");
  g.more = p.str("more");
  g.stop_before_since = p.str("stop_before_since");
  check_pointer(p.at + "/stop_before_since", g.stop_before_since);
  check_pointer(p.at + "/more", g.more);
  g.first_page = static_cast<int64_t>(p.num("first_page", 1));
  if ((g.style == "next_url" || g.style == "cursor") && g.next.empty())
    bad(p.at + "/next", "paging style " + g.style + " needs the pointer to the next page in the answer");
  if ((g.style == "offset" || g.style == "page") && g.param.empty())
    bad(p.at + "/param", "paging style " + g.style + " needs the query parameter that carries it");
  if (g.style == "cursor" && g.param.empty() && g.body_pointer.empty())
    bad(p.at, "paging style cursor needs param (a query parameter) or body_pointer");
  return g;
}

Request parse_request(const Obj& r) {
  Request q;
  if (!r.o) return q;
  q.present = true;
  q.method = r.str("method", "GET");
  check_enum(r.at + "/method", q.method, {"GET", "POST", "PUT", "PATCH", "DELETE"});
  q.path = r.str("path");
  if (q.path.empty()) bad(r.at + "/path", "required: the endpoint's path (or an absolute URL)");
  if (Obj qq = r.sub("query"); qq.o)
    for (const auto& [k, v] : *qq.o) {
      if (!v.is_string() && !v.is_number()) bad(qq.at + "/" + std::string(k), "must be a string or a number");
      q.query.emplace_back(std::string(k), v.is_string() ? std::string(v.get_string()) : json::serialize(v));
    }
  if (auto* b = r.get("body"); b && !b->is_null()) q.body = *b;
  if (Obj set = r.sub("set"); set.o)
    for (const auto& [k, v] : *set.o) {
      check_pointer(set.at + "/" + std::string(k), std::string(k));
      q.set.emplace_back(std::string(k), v);
    }
  q.records = r.str("records");
  check_pointer(r.at + "/records", q.records);
  q.record = r.str("record");
  check_pointer(r.at + "/record", q.record);
  q.answer_id = r.str("id");
  check_pointer(r.at + "/id", q.answer_id);
  q.paging = parse_paging(r.sub("paging"));
  if (Obj h = r.sub("headers"); h.o)
    for (const auto& [k, v] : *h.o) {
      if (!v.is_string()) bad(h.at + "/" + std::string(k), "must be a string");
      std::string val(v.get_string());
      if (val.find_first_of("\r\n") != std::string::npos || k.find_first_of("\r\n:") != json::string_view::npos)
        bad(h.at + "/" + std::string(k), "a header name or value cannot hold a line break or (in the name) a colon");
      q.headers.emplace_back(std::string(k), val);
    }
  q.send_fields = r.strings("send_fields");
  for (const auto& f : q.send_fields) {
    check_pointer(r.at + "/send_fields", f);
    if (f.size() < 2 || f.find('/', 1) != std::string::npos) bad(r.at + "/send_fields", "\"" + f + "\" is not a top-level field (/name)");
  }
  if (Obj d = r.sub("defaults"); d.o)
    for (const auto& [k, v] : *d.o) {
      check_pointer(d.at + "/" + std::string(k), std::string(k));
      if (k.size() < 2 || k.find('/', 1) != json::string_view::npos) bad(d.at + "/" + std::string(k), "not a top-level field (/name)");
      q.defaults.emplace_back(std::string(k), v);
    }
  q.expired = r.strings("expired");
  q.rate_per_s = r.num("requests_per_second", 0);
  if (q.rate_per_s < 0) bad(r.at + "/requests_per_second", "must be 0 (none) or more");
  return q;
}

BatchOp parse_batch_op(const Obj& b) {
  BatchOp o;
  if (!b.o) return o;
  o.present = true;
  o.req = parse_request(b);
  o.item = b.get("item") ? *b.get("item") : json::value("{data}");
  if (Obj set = b.sub("item_set"); set.o)
    for (const auto& [k, v] : *set.o) {
      check_pointer(set.at + "/" + std::string(k), std::string(k));
      o.item_set.emplace_back(std::string(k), v);
    }
  o.has_results = b.get("results") != nullptr;
  o.results = b.str("results");
  o.match = b.str("match", "order");
  if (o.match != "order") check_pointer(b.at + "/match", o.match);
  o.ok = b.str("ok");
  o.error = b.str("error");
  o.errors = b.str("errors");
  o.error_match = b.str("error_match");
  o.error_message = b.str("error_message", "/message");
  for (auto [k, v] : {std::pair{"results", &o.results}, {"ok", &o.ok}, {"error", &o.error}, {"errors", &o.errors},
                      {"error_match", &o.error_match}, {"error_message", &o.error_message}})
    check_pointer(b.at + "/" + k, *v);
  if (!o.errors.empty() && o.error_match.empty())
    bad(b.at + "/error_match", "errors needs the pointer, in each error, to the keys or ids it names");
  return o;
}

StreamSpec parse_stream(const std::string& name, const Obj& s) {
  StreamSpec t;
  t.name = name;
  t.canonical = s.str("canonical");
  if (!t.canonical.empty()) check_enum(s.at + "/canonical", t.canonical, {"jscontact", "note", "jscalendar-event", "jscalendar-task"});
  t.object = s.str("object", name);
  t.id = s.str("id", "/id");
  t.version = s.str("version");
  t.modified = s.str("modified");
  for (auto [k, v] : {std::pair{"id", &t.id}, {"version", &t.version}, {"modified", &t.modified}})
    check_pointer(s.at + "/" + k, *v);
  t.read_only = s.strings("read_only");
  t.fields = s.strings("fields");
  if (Obj v = s.sub("variables"); v.o)
    for (const auto& [k, val] : *v.o) {
      if (!val.is_string()) bad(v.at + "/" + std::string(k), "must be a string");
      t.variables[std::string(k)] = std::string(val.get_string());
    }
  t.list = parse_request(s.sub("list"));
  if (!t.list.present) bad(s.at + "/list", "required: how to list the stream's records");
  t.get = parse_request(s.sub("get"));
  t.create = parse_request(s.sub("create"));
  t.update = parse_request(s.sub("update"));
  t.del = parse_request(s.sub("delete"));
  t.lookup = parse_request(s.sub("lookup"));
  t.upsert = parse_request(s.sub("upsert"));
  t.page_size = static_cast<int64_t>(s.num("page_size", 100));
  if (t.page_size < 1) bad(s.at + "/page_size", "must be at least 1");
  if (Obj b = s.sub("batch"); b.o) {
    t.batch.present = true;
    t.batch.size = static_cast<int64_t>(b.num("size", 100));
    if (t.batch.size < 1) bad(b.at + "/size", "must be at least 1");
    t.batch.create = parse_batch_op(b.sub("create"));
    t.batch.upsert = parse_batch_op(b.sub("upsert"));
    t.batch.update = parse_batch_op(b.sub("update"));
    t.batch.del = parse_batch_op(b.sub("delete"));
    t.batch.read = parse_batch_op(b.sub("read"));
    if (t.batch.upsert.present && s.str("external_id").empty())
      bad(s.at + "/external_id", "a batch upsert needs the external-id field that carries the idempotency key");
  }

  if (Obj par = s.sub("parent"); par.o) {
    t.parent.present = true;
    t.parent.stream = par.str("stream");
    t.parent.var = par.str("var");
    t.parent.field = par.str("field");
    check_pointer(par.at + "/field", t.parent.field);
    if (t.parent.stream.empty() || t.parent.var.empty() || t.parent.field.empty())
      bad(par.at, "a nested stream needs stream (its parent stream), var (the {name} the parent's id fills) and field "
                  "(the pointer to the parent's id in a record)");
  }
  Obj ch = s.sub("changes");
  t.change_mode = ch.str("mode", "full");
  check_enum(ch.at + "/mode", t.change_mode, {"modified_since", "sync_token", "full"});
  t.sync_token = ch.str("token");
  t.deleted_flag = ch.str("deleted");
  check_pointer(ch.at + "/token", t.sync_token);
  check_pointer(ch.at + "/deleted", t.deleted_flag);
  t.changes = parse_request(ch.sub("request"));
  t.changes_fallback = parse_request(ch.sub("fallback"));
  t.since_format = ch.str("since_format", "iso8601");
  check_enum(ch.at + "/since_format", t.since_format, {"iso8601", "iso8601_seconds", "epoch_ms"});
  t.overlap_s = static_cast<int64_t>(ch.num("overlap_seconds", 300));
  t.full_listing_hours = ch.num("full_listing_hours", 24);
  t.absence_check_hours = ch.num("absence_check_hours", -1);
  t.max_results = static_cast<int64_t>(ch.num("max_results", 0));
  if (t.max_results > 0 && t.max_results < t.page_size)
    bad(ch.at + "/max_results", "must be at least page_size (" + std::to_string(t.page_size) + ")");
  if (t.parent.present && t.change_mode != "full")
    bad(ch.at + "/mode", "a nested stream is listed in full, parent by parent; its changes.mode must be full");
  if (t.change_mode == "sync_token" && (t.sync_token.empty() || !t.changes.present))
    bad(ch.at, "changes.mode sync_token needs token (the pointer to the next sync token in an answer) and a request "
               "that sends {sync_token}");
  if (t.change_mode == "modified_since" && t.modified.empty())
    bad(s.at + "/modified", "changes.mode modified_since needs the pointer to the record's modification time");

  Obj tomb = s.sub("tombstones");
  t.tombstones = parse_request(tomb.sub("request"));
  t.tombstone_id = tomb.str("id", "/id");
  t.tombstone_deleted_at = tomb.str("deleted_at");
  t.tombstone_min_window_s = static_cast<int64_t>(tomb.num("min_window_seconds", 0));
  t.tombstone_covered = tomb.str("covered");
  check_pointer(tomb.at + "/covered", t.tombstone_covered);

  // every request but a create may be sent again after a lost answer
  for (Request* r : {&t.list, &t.changes, &t.changes_fallback, &t.tombstones, &t.get, &t.update, &t.del, &t.lookup, &t.upsert,
                     &t.batch.upsert.req, &t.batch.update.req, &t.batch.del.req, &t.batch.read.req})
    r->idempotent = true;

  t.external_id = s.str("external_id");
  check_pointer(s.at + "/external_id", t.external_id);
  t.version_check = s.str("version_check", "none");
  check_enum(s.at + "/version_check", t.version_check, {"if-match", "read-compare", "none"});
  if (t.version_check == "read-compare" && !t.get.present)
    bad(s.at + "/get", "version_check read-compare needs a get endpoint");

  if (auto* m = s.get("mapping"); m && !m->is_null()) {
    if (!m->is_array()) bad(s.at + "/mapping", "must be an array of {canonical, native}");
    size_t i = 0;
    for (const auto& r : m->get_array()) {
      std::string at = s.at + "/mapping/" + std::to_string(i++);
      if (!r.is_object()) bad(at, "must be an object {canonical, native}");
      Obj ro{&r.get_object(), at};
      MapRule rule;
      rule.canonical = ro.str("canonical");
      rule.native = ro.str("native");
      if (rule.canonical.empty() || rule.native.empty()) bad(at, "needs both canonical and native");
      check_pointer(at + "/native", rule.native);
      if (auto* tf = ro.get("transform")) rule.transform = *tf;
      rule.format = ro.str("format", "iso8601");
      check_enum(at + "/format", rule.format, {"iso8601", "iso8601_seconds", "epoch_ms", "date"});
      if (rule.canonical[0] == '@') {
        check_enum(at + "/canonical", rule.canonical, {"@start", "@end", "@due"});
        if (!t.canonical.starts_with("jscalendar"))
          bad(at + "/canonical", rule.canonical + " is an instant of a JSCalendar event or task; this stream is " +
                                     (t.canonical.empty() ? "native" : t.canonical));
      }
      t.mapping.push_back(std::move(rule));
    }
  }
  if (!t.canonical.empty() && t.mapping.empty())
    bad(s.at + "/mapping", "a canonical stream (" + t.canonical + ") needs mapping rules to its native fields");
  if (auto* c = s.get("clear_value")) t.clear_value = *c;
  return t;
}

}  // namespace

Spec load_spec(const std::string& config_json, const json::value& schema) {
  json::value user = parse_lenient(config_json, "the configuration");
  if (!user.is_object()) bad("", "must be a JSON object");
  std::string profile = Obj{&user.get_object(), ""}.str("profile", "generic");
  auto it = profiles().find(profile);
  if (it == profiles().end()) {
    std::string names;
    for (const auto& [n, _] : profiles()) names += (names.empty() ? "" : ", ") + n;
    bad("/profile", "no profile \"" + profile + "\" (there are: " + names + ")");
  }
  json::value merged = parse_lenient(it->second, "profile " + profile);
  merge_into(merged, user);
  // the account's keys through the manifest's schema (its types, enums and
  // defaults); the streams' definitions below
  const accord::kit::Config k(merged, schema);
  Obj c{&merged.get_object(), ""};

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

  if (Obj te = c.sub("token_exchange"); te.o) {
    sp.token_exchange = parse_request(te);
    if (Obj f = te.sub("form"); f.o)
      for (const auto& [name, v] : *f.o) {
        if (!v.is_string()) bad(f.at + "/" + std::string(name), "must be a string");
        sp.exchange_form.emplace_back(std::string(name), std::string(v.get_string()));
      }
    sp.exchange_token = te.str("token", "/access_token");
    check_pointer(te.at + "/token", sp.exchange_token);
  }

  Obj st = c.sub("streams");
  if (!st.o || st.o->empty()) bad("/streams", "no streams: name at least one (profile " + profile + " has none)");
  // stream_defaults: what every stream has unless it says otherwise (a
  // vendor's endpoints differ only in the object's name)
  Obj defaults = c.sub("stream_defaults");
  for (const auto& [k, v] : *st.o) {
    std::string name(k);
    if (v.is_null()) continue;  // a user may switch a profile's stream off with null
    if (!v.is_object()) bad(st.at + "/" + name, "must be an object");
    json::value stream = defaults.o ? json::value(*defaults.o) : json::value(json::object{});
    merge_into(stream, v);
    sp.streams[name] = parse_stream(name, Obj{&stream.get_object(), st.at + "/" + name});
  }
  // The manifest names contact, note, event and task as canonical streams: the
  // host pairs them by that form, so a stream of one of those names must be it.
  static const std::map<std::string, std::string> kCanonical = {
      {"contact", "jscontact"}, {"note", "note"}, {"event", "jscalendar-event"}, {"task", "jscalendar-task"}};
  for (const auto& [name, s] : sp.streams)
    if (auto it = kCanonical.find(name); it != kCanonical.end() && s.canonical != it->second)
      bad(st.at + "/" + name + "/canonical", "a stream named \"" + name + "\" is the canonical " + it->second +
                                                 " stream: set canonical and mapping, or give a native stream another name");
  for (const auto& [name, s] : sp.streams)
    if (s.parent.present && (!sp.streams.contains(s.parent.stream) || sp.streams.at(s.parent.stream).parent.present))
      bad(st.at + "/" + name + "/parent/stream", "\"" + s.parent.stream + "\" is not a (top-level) stream of this configuration");
  return sp;
}

}  // namespace crm
