// SPDX-License-Identifier: Apache-2.0
// Canonical ⇄ native: a stream's mapping rules compiled once, the CRM's
// record turned into the canonical form (JSContact, JSCalendar, note) and
// back, instants in UTC, and a CRM value of the wrong type said. No I/O.
#include "crm_rest_p.hpp"

#include <accord/json/schema.hpp>
#include <accord/time/iso_duration.hpp>
#include <accord/time/utc_time.hpp>

#include <algorithm>
#include <map>

extern const char kSchema_contact[], kSchema_note[], kSchema_event[], kSchema_task[];  // sdk/schema, compiled in

namespace crm {

namespace {

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

}  // namespace

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

json::value CrmRest::to_data(const StreamSpec& s, const json::value& native) {
  if (s.canonical == "jmap-email" && s.email_api == "hubspot") return hubspot_email_to_data(native);
  if (s.canonical == "jmap-email" && s.email_api == "salesforce") return sf_email_to_data(native);
  if (s.canonical == "jmap-email") return email_to_data(native);
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
json::value CrmRest::mistyped(const StreamSpec& s, const json::value& native, const CompiledRule& r, json::value got) {
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

json::value CrmRest::to_native(const StreamSpec& s, const json::value& data) {
  if (s.canonical == "jmap-email" && s.email_api == "hubspot") return hubspot_email_to_native(data);
  if (s.canonical == "jmap-email" && s.email_api == "salesforce") return sf_email_to_native(data);
  if (s.canonical == "jmap-email") return email_to_native(data);
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

}  // namespace crm
