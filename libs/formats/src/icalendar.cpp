#include <accord/formats/icalendar.hpp>

#include <accord/formats/text_codec.hpp>
#include <accord/time/iso_duration.hpp>
#include <accord/time/utc_time.hpp>

#include <boost/json.hpp>
#include <libical/ical.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <set>
#include <stdexcept>

namespace json = boost::json;
using accord::formats::codec::lower;
using accord::formats::codec::upper;

namespace accord::formats::icalendar {

namespace {

struct CompFree {
  void operator()(icalcomponent* c) const noexcept { icalcomponent_free(c); }
};
using CompPtr = std::unique_ptr<icalcomponent, CompFree>;

std::string take(char* s) {  // libical *_r strings are ours to free
  std::string out = s ? s : "";
  icalmemory_free_buffer(s);
  return out;
}

std::string param(icalproperty* p, icalparameter_kind k) {
  icalparameter* par = icalproperty_get_first_parameter(p, k);
  if (!par) return "";
  const char* v = nullptr;
  if (k == ICAL_TZID_PARAMETER) v = icalparameter_get_tzid(par);
  return v ? v : "";
}

// "20260301T100000[Z]" / "20260301" → local JSCalendar date-time.
struct DateTime {
  std::string local;  // 2026-03-01T10:00:00
  bool utc = false, date_only = false;
};
DateTime date_time(const std::string& v) {
  DateTime d;
  if (v.size() >= 8) {
    d.local = v.substr(0, 4) + "-" + v.substr(4, 2) + "-" + v.substr(6, 2);
    if (v.size() >= 15 && v[8] == 'T')
      d.local += "T" + v.substr(9, 2) + ":" + v.substr(11, 2) + ":" + v.substr(13, 2);
    else {
      d.local += "T00:00:00";
      d.date_only = true;
    }
    d.utc = v.back() == 'Z';
  }
  return d;
}
std::string ical_from_local(const std::string& local, bool date_only, bool utc) {
  std::string s;
  for (char c : local)
    if (c != '-' && c != ':') s += c;
  if (date_only) return s.substr(0, 8);
  return s.substr(0, 15) + (utc ? "Z" : "");
}

int64_t seconds_of(const std::string& local) {
  std::tm tm{};
  if (std::sscanf(local.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec) != 6)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm));
}
std::string local_from_seconds(int64_t s) { return accord::utc::format(s, accord::utc::Form::kLocal); }

json::array rrule_to_json(const std::string& v) {
  json::object r{{"@type", "RecurrenceRule"}};
  size_t pos = 0;
  while (pos <= v.size()) {
    size_t semi = v.find(';', pos);
    std::string part = v.substr(pos, semi == std::string::npos ? std::string::npos : semi - pos);
    pos = semi == std::string::npos ? v.size() + 1 : semi + 1;
    size_t eq = part.find('=');
    if (eq == std::string::npos) continue;
    std::string k = upper(part.substr(0, eq)), val = part.substr(eq + 1);
    auto list = [&](bool as_int) {
      json::array a;
      size_t p = 0;
      while (p <= val.size()) {
        size_t c = val.find(',', p);
        std::string item = val.substr(p, c == std::string::npos ? std::string::npos : c - p);
        p = c == std::string::npos ? val.size() + 1 : c + 1;
        if (as_int) a.push_back(std::stoll(item));
        else a.push_back(json::value(item));
      }
      return a;
    };
    if (k == "FREQ") r["frequency"] = lower(val);
    else if (k == "INTERVAL") r["interval"] = std::stoll(val);
    else if (k == "COUNT") r["count"] = std::stoll(val);
    else if (k == "UNTIL") r["until"] = date_time(val).local;
    else if (k == "WKST") r["firstDayOfWeek"] = lower(val);
    else if (k == "BYMONTHDAY") r["byMonthDay"] = list(true);
    else if (k == "BYSETPOS") r["bySetPosition"] = list(true);
    else if (k == "BYMONTH") r["byMonth"] = list(false);
    else if (k == "BYDAY") {
      json::array days;
      for (auto& d : list(false)) {
        std::string s(d.get_string());
        json::object nd{{"@type", "NDay"}, {"day", lower(s.substr(s.size() - 2))}};
        if (s.size() > 2) nd["nthOfPeriod"] = std::stoll(s.substr(0, s.size() - 2));
        days.push_back(std::move(nd));
      }
      r["byDay"] = std::move(days);
    }
  }
  return json::array{r};
}

std::string rrule_from_json(const json::object& r) {
  auto str = [&](const char* k) { return r.contains(k) && r.at(k).is_string() ? std::string(r.at(k).get_string()) : ""; };
  std::string out = "FREQ=" + upper(str("frequency"));
  if (r.contains("interval")) out += ";INTERVAL=" + json::serialize(r.at("interval"));
  if (r.contains("count")) out += ";COUNT=" + json::serialize(r.at("count"));
  if (!str("until").empty()) out += ";UNTIL=" + ical_from_local(str("until"), false, false);
  if (!str("firstDayOfWeek").empty()) out += ";WKST=" + upper(str("firstDayOfWeek"));
  auto ints = [&](const char* k, const char* name) {
    if (auto* a = r.if_contains(k); a && a->is_array() && !a->get_array().empty()) {
      out += std::string(";") + name + "=";
      bool first = true;
      for (const auto& x : a->get_array()) {
        out += (first ? "" : ",") + (x.is_string() ? std::string(x.get_string()) : json::serialize(x));
        first = false;
      }
    }
  };
  if (auto* a = r.if_contains("byDay"); a && a->is_array() && !a->get_array().empty()) {
    out += ";BYDAY=";
    bool first = true;
    for (const auto& d : a->get_array()) {
      if (!d.is_object()) continue;
      const json::object& o = d.get_object();
      out += first ? "" : ",";
      if (o.contains("nthOfPeriod")) out += json::serialize(o.at("nthOfPeriod"));
      out += upper(o.contains("day") && o.at("day").is_string() ? std::string(o.at("day").get_string()) : "");
      first = false;
    }
  }
  ints("byMonthDay", "BYMONTHDAY");
  ints("byMonth", "BYMONTH");
  ints("bySetPosition", "BYSETPOS");
  return out;
}

const std::set<std::string>& known_props() {
  static const std::set<std::string> k = {"UID", "SUMMARY", "DESCRIPTION", "LOCATION", "DTSTART", "DTEND", "DUE",
                                          "DURATION", "STATUS", "CLASS", "CATEGORIES", "RRULE", "EXDATE",
                                          "RECURRENCE-ID", "LAST-MODIFIED", "DTSTAMP", "SEQUENCE", "PRIORITY",
                                          "PERCENT-COMPLETE", "X-ACCORD-ID", "COMPLETED", "CREATED"};
  return k;
}

// The value as text; TEXT values unescaped (libical's string form keeps \, \; \n).
std::string value_of(icalproperty* p) {
  icalvalue* val = icalproperty_get_value(p);
  if (val && icalvalue_isa(val) == ICAL_TEXT_VALUE) {
    const char* t = icalvalue_get_text(val);
    return t ? t : "";
  }
  const char* v = icalproperty_get_value_as_string(p);
  return v ? v : "";
}

// The time zone of a date-time property: TZID, "Etc/UTC" for a Z time, or
// empty for a floating time.
std::string zone_of(icalproperty* p, const DateTime& d) {
  std::string tz = param(p, ICAL_TZID_PARAMETER);
  if (!tz.empty()) {
    if (tz.starts_with("/")) tz = tz.substr(tz.find('/', 1) == std::string::npos ? 1 : tz.find('/', 1) + 1);
    return tz;
  }
  return d.utc ? "Etc/UTC" : "";
}

// Converts one VEVENT/VTODO into `o` (fields of that component only).
void convert(icalcomponent* c, json::object& o, std::string& idem, std::vector<std::string>* unknown) {
  std::string start_local, end_local, tz;
  int64_t explicit_duration = -1;
  bool date_only = false;
  json::object alerts;
  for (icalproperty* p = icalcomponent_get_first_property(c, ICAL_ANY_PROPERTY); p;
       p = icalcomponent_get_next_property(c, ICAL_ANY_PROPERTY)) {
    const char* n = icalproperty_get_property_name(p);
    std::string name = n ? n : "";
    std::string v = value_of(p);
    if (name == "UID") o["uid"] = v;
    else if (name == "SUMMARY") o["title"] = v;
    else if (name == "DESCRIPTION") o["description"] = v;
    else if (name == "LOCATION") o["locations"] = json::object{{"l1", json::object{{"name", v}}}};
    else if (name == "DTSTART") {
      DateTime d = date_time(v);
      start_local = d.local;
      date_only = d.date_only;
      tz = zone_of(p, d);
    } else if (name == "DTEND") {
      end_local = date_time(v).local;
    } else if (name == "DUE") {
      DateTime d = date_time(v);
      o["due"] = d.local;
      if (tz.empty()) tz = zone_of(p, d);
    } else if (name == "DURATION") {
      explicit_duration = accord::duration::parse(v).value_or(0);
    } else if (name == "STATUS") {
      std::string s = lower(v);
      if (icalcomponent_isa(c) == ICAL_VTODO_COMPONENT) o["progress"] = s == "in-process" ? "in-process" : s;
      else o["status"] = s;
    } else if (name == "CLASS") {
      std::string s = lower(v);
      o["privacy"] = s == "confidential" ? "secret" : s;
    } else if (name == "CATEGORIES") {
      json::object& kw = o["keywords"].is_object() ? o["keywords"].as_object() : (o["keywords"] = json::object()).as_object();
      size_t pos = 0;
      while (pos <= v.size()) {
        size_t comma = v.find(',', pos);
        std::string cat = v.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        if (!cat.empty()) kw[cat] = true;
        pos = comma == std::string::npos ? v.size() + 1 : comma + 1;
      }
    } else if (name == "RRULE") {
      o["recurrenceRules"] = rrule_to_json(v);
    } else if (name == "EXDATE") {
      json::object& ov = o["recurrenceOverrides"].is_object() ? o["recurrenceOverrides"].as_object()
                                                              : (o["recurrenceOverrides"] = json::object()).as_object();
      size_t pos = 0;
      while (pos <= v.size()) {
        size_t comma = v.find(',', pos);
        std::string d = v.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        if (!d.empty()) ov[date_time(d).local] = json::object{{"excluded", true}};
        pos = comma == std::string::npos ? v.size() + 1 : comma + 1;
      }
    } else if (name == "LAST-MODIFIED") {
      DateTime d = date_time(v);
      o["updated"] = d.local + "Z";
    } else if (name == "SEQUENCE") {
      o["sequence"] = std::stoll(v.empty() ? "0" : v);
    } else if (name == "PRIORITY") {
      o["priority"] = std::stoll(v.empty() ? "0" : v);
    } else if (name == "PERCENT-COMPLETE") {
      o["percentComplete"] = std::stoll(v.empty() ? "0" : v);
    } else if (name == "X-ACCORD-ID") {
      idem = v;
    } else if (unknown && !known_props().contains(name)) {
      unknown->push_back(take(icalproperty_as_ical_string_r(p)));
    }
  }
  if (!start_local.empty()) {
    o["start"] = start_local;
    if (date_only) o["showWithoutTime"] = true;
    int64_t dur = explicit_duration;
    if (dur < 0 && !end_local.empty()) dur = seconds_of(end_local) - seconds_of(start_local);
    if (dur >= 0 && icalcomponent_isa(c) == ICAL_VEVENT_COMPONENT) o["duration"] = accord::duration::format(dur);
  } else if (explicit_duration >= 0 && icalcomponent_isa(c) == ICAL_VTODO_COMPONENT) {
    o["estimatedDuration"] = accord::duration::format(explicit_duration);
  }
  if (!tz.empty()) o["timeZone"] = tz;
  int n = 0;
  for (icalcomponent* a = icalcomponent_get_first_component(c, ICAL_VALARM_COMPONENT); a;
       a = icalcomponent_get_next_component(c, ICAL_VALARM_COMPONENT)) {
    json::object alert{{"@type", "Alert"}};
    icalproperty* trig = icalcomponent_get_first_property(a, ICAL_TRIGGER_PROPERTY);
    if (trig) {
      std::string tv = value_of(trig);
      if (tv.starts_with("P") || tv.starts_with("-P") || tv.starts_with("+P")) {
        json::object t{{"@type", "OffsetTrigger"}, {"offset", tv.starts_with("+") ? tv.substr(1) : tv}};
        icalparameter* rel = icalproperty_get_first_parameter(trig, ICAL_RELATED_PARAMETER);
        if (rel && icalparameter_get_related(rel) == ICAL_RELATED_END) t["relativeTo"] = "end";
        alert["trigger"] = std::move(t);
      } else {
        alert["trigger"] = json::object{{"@type", "AbsoluteTrigger"}, {"when", date_time(tv).local + "Z"}};
      }
    }
    icalproperty* act = icalcomponent_get_first_property(a, ICAL_ACTION_PROPERTY);
    alert["action"] = act && lower(value_of(act)) == "email" ? "email" : "display";
    alerts["a" + std::to_string(++n)] = std::move(alert);
  }
  if (!alerts.empty()) o["alerts"] = std::move(alerts);
}

}  // namespace

Parsed parse(std::string_view text) {
  std::string s(text);
  CompPtr root(icalparser_parse_string(s.c_str()));
  if (!root) throw std::runtime_error("not iCalendar (libical could not parse it)");
  icalcomponent* cal = root.get();
  if (icalcomponent_isa(cal) != ICAL_VCALENDAR_COMPONENT)
    throw std::runtime_error("not iCalendar: no BEGIN:VCALENDAR");
  Parsed out;
  icalcomponent* master = nullptr;
  std::vector<icalcomponent*> overrides;
  for (icalcomponent_kind k : {ICAL_VEVENT_COMPONENT, ICAL_VTODO_COMPONENT}) {
    for (icalcomponent* c = icalcomponent_get_first_component(cal, k); c; c = icalcomponent_get_next_component(cal, k)) {
      if (icalcomponent_get_first_property(c, ICAL_RECURRENCEID_PROPERTY)) overrides.push_back(c);
      else if (!master) master = c;
      else throw std::runtime_error("more than one event or task in one file (one per file)");
      out.kind = k == ICAL_VEVENT_COMPONENT ? Kind::kEvent : Kind::kTask;
    }
  }
  if (!master && !overrides.empty()) master = overrides.front(), overrides.erase(overrides.begin());
  if (!master) return out;  // kOther: a calendar of journals, free/busy, …
  out.object["@type"] = out.kind == Kind::kEvent ? "Event" : "Task";
  convert(master, out.object, out.idempotency_key, &out.unknown);
  for (icalcomponent* c : overrides) {
    icalproperty* rid = icalcomponent_get_first_property(c, ICAL_RECURRENCEID_PROPERTY);
    std::string key = date_time(value_of(rid)).local;
    json::object patch;
    std::string ignored;
    convert(c, patch, ignored, nullptr);
    patch.erase("uid");
    patch.erase("@type");
    // keep only what differs from the master: an override is a patch
    for (auto it = patch.begin(); it != patch.end();) {
      const json::value* m = out.object.if_contains(it->key());
      bool same = (m && *m == it->value()) || (it->key() == "start" && it->value() == json::value(key));
      it = same ? patch.erase(it) : it + 1;
    }
    json::object& ov = out.object["recurrenceOverrides"].is_object()
                           ? out.object["recurrenceOverrides"].as_object()
                           : (out.object["recurrenceOverrides"] = json::object()).as_object();
    ov[key] = std::move(patch);
  }
  return out;
}

namespace {

std::string str(const json::object& o, const char* k) {
  auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->get_string()) : "";
}

void add(icalcomponent* c, icalproperty* p) {
  if (p) icalcomponent_add_property(c, p);
}

// A date-time property from JSCalendar local time + zone.
icalproperty* time_prop(const char* name, const std::string& local, const std::string& tz, bool date_only) {
  std::string line = name;
  bool utc = tz == "Etc/UTC" || tz == "UTC";
  if (date_only) line += ";VALUE=DATE";
  else if (!tz.empty() && !utc) line += ";TZID=" + tz;
  line += ":" + ical_from_local(local, date_only, utc && !date_only);
  return icalproperty_new_from_string(line.c_str());
}

void fill(icalcomponent* c, const json::object& o, Kind kind, const std::string& tz_default) {
  std::string tz = o.contains("timeZone") ? str(o, "timeZone") : tz_default;
  bool date_only = o.contains("showWithoutTime") && o.at("showWithoutTime").is_bool() && o.at("showWithoutTime").get_bool();
  if (auto t = str(o, "title"); !t.empty()) add(c, icalproperty_new_summary(t.c_str()));
  if (auto d = str(o, "description"); !d.empty()) add(c, icalproperty_new_description(d.c_str()));
  if (auto* locs = o.if_contains("locations"); locs && locs->is_object() && !locs->get_object().empty()) {
    const auto& first = locs->get_object().begin()->value();
    if (first.is_object())
      if (auto n = str(first.get_object(), "name"); !n.empty()) add(c, icalproperty_new_location(n.c_str()));
  }
  std::string start = str(o, "start");
  if (!start.empty()) {
    add(c, time_prop("DTSTART", start, tz, date_only));
    if (kind == Kind::kEvent)
      if (auto d = str(o, "duration"); !d.empty())
        add(c, time_prop("DTEND", local_from_seconds(seconds_of(start) + accord::duration::parse(d).value_or(0)), tz, date_only));
  }
  if (auto due = str(o, "due"); !due.empty()) add(c, time_prop("DUE", due, tz, date_only));
  if (auto ed = str(o, "estimatedDuration"); !ed.empty() && start.empty())
    add(c, icalproperty_new_from_string(("DURATION:" + ed).c_str()));
  if (auto s = str(o, kind == Kind::kTask ? "progress" : "status"); !s.empty())
    add(c, icalproperty_new_from_string(("STATUS:" + upper(s)).c_str()));
  if (auto p = str(o, "privacy"); !p.empty())
    add(c, icalproperty_new_from_string(("CLASS:" + upper(p == "secret" ? "confidential" : p)).c_str()));
  if (auto* kw = o.if_contains("keywords"); kw && kw->is_object())
    for (const auto& [k, on] : kw->get_object())
      if (on.is_bool() && on.get_bool()) add(c, icalproperty_new_categories(std::string(k).c_str()));
  if (auto* rr = o.if_contains("recurrenceRules"); rr && rr->is_array())
    for (const auto& r : rr->get_array())
      if (r.is_object()) add(c, icalproperty_new_from_string(("RRULE:" + rrule_from_json(r.get_object())).c_str()));
  for (const char* k : {"sequence", "priority", "percentComplete"}) {
    auto* v = o.if_contains(k);
    if (!v || !v->is_int64()) continue;
    std::string name = std::string(k) == "sequence" ? "SEQUENCE" : std::string(k) == "priority" ? "PRIORITY" : "PERCENT-COMPLETE";
    add(c, icalproperty_new_from_string((name + ":" + std::to_string(v->get_int64())).c_str()));
  }
  if (auto u = str(o, "updated"); !u.empty()) {
    std::string local = u.substr(0, 19);
    add(c, icalproperty_new_from_string(("LAST-MODIFIED:" + ical_from_local(local, false, true)).c_str()));
  }
  if (auto* al = o.if_contains("alerts"); al && al->is_object())
    for (const auto& [id, av] : al->get_object()) {
      (void)id;
      if (!av.is_object()) continue;
      const json::object& a = av.get_object();
      icalcomponent* alarm = icalcomponent_new(ICAL_VALARM_COMPONENT);
      std::string action = str(a, "action") == "email" ? "EMAIL" : "DISPLAY";
      add(alarm, icalproperty_new_from_string(("ACTION:" + action).c_str()));
      if (auto* t = a.if_contains("trigger"); t && t->is_object()) {
        const json::object& tr = t->get_object();
        if (str(tr, "@type") == "AbsoluteTrigger")
          add(alarm, icalproperty_new_from_string(
                         ("TRIGGER;VALUE=DATE-TIME:" + ical_from_local(str(tr, "when").substr(0, 19), false, true)).c_str()));
        else
          add(alarm, icalproperty_new_from_string(
                         ((str(tr, "relativeTo") == "end" ? "TRIGGER;RELATED=END:" : "TRIGGER:") + str(tr, "offset")).c_str()));
      }
      add(alarm, icalproperty_new_description(str(o, "title").empty() ? "Reminder" : str(o, "title").c_str()));
      icalcomponent_add_component(c, alarm);
    }
}

}  // namespace

std::string serialize(const json::object& obj, Kind kind, const std::string& idem,
                      const std::vector<std::string>& keep) {
  CompPtr cal(icalcomponent_new(ICAL_VCALENDAR_COMPONENT));
  add(cal.get(), icalproperty_new_version("2.0"));
  add(cal.get(), icalproperty_new_prodid("-//Accord//local connector//EN"));
  std::string tz = str(obj, "timeZone");
  if (!tz.empty() && tz != "Etc/UTC" && tz != "UTC")
    if (icaltimezone* zone = icaltimezone_get_builtin_timezone(tz.c_str()))
      if (icalcomponent* vtz = icaltimezone_get_component(zone)) {
        icalcomponent* copy = icalcomponent_new_clone(vtz);
        // libical names its built-in zones with a prefix; our TZIDs are plain
        if (icalproperty* id = icalcomponent_get_first_property(copy, ICAL_TZID_PROPERTY))
          icalproperty_set_tzid(id, tz.c_str());
        icalcomponent_add_component(cal.get(), copy);
      }
  icalcomponent_kind ck = kind == Kind::kTask ? ICAL_VTODO_COMPONENT : ICAL_VEVENT_COMPONENT;
  icalcomponent* master = icalcomponent_new(ck);
  std::string uid = str(obj, "uid");
  add(master, icalproperty_new_uid(uid.c_str()));
  add(master, icalproperty_new_from_string("DTSTAMP:19700101T000000Z"));
  fill(master, obj, kind, "");
  if (!idem.empty()) add(master, icalproperty_new_from_string(("X-ACCORD-ID:" + idem).c_str()));
  for (const auto& line : keep)
    if (icalproperty* p = icalproperty_new_from_string(line.c_str())) icalcomponent_add_property(master, p);
  icalcomponent_add_component(cal.get(), master);
  bool date_only = obj.contains("showWithoutTime") && obj.at("showWithoutTime").is_bool() && obj.at("showWithoutTime").get_bool();
  if (auto* ov = obj.if_contains("recurrenceOverrides"); ov && ov->is_object())
    for (const auto& [when, patch] : ov->get_object()) {
      if (!patch.is_object()) continue;
      const json::object& p = patch.get_object();
      if (p.contains("excluded") && p.at("excluded").is_bool() && p.at("excluded").get_bool()) {
        std::string line = "EXDATE";
        if (date_only) line += ";VALUE=DATE";
        else if (!tz.empty() && tz != "Etc/UTC") line += ";TZID=" + tz;
        line += ":" + ical_from_local(std::string(when), date_only, tz == "Etc/UTC");
        add(master, icalproperty_new_from_string(line.c_str()));
        continue;
      }
      icalcomponent* oc = icalcomponent_new(ck);
      add(oc, icalproperty_new_uid(uid.c_str()));
      add(oc, icalproperty_new_from_string("DTSTAMP:19700101T000000Z"));
      add(oc, time_prop("RECURRENCE-ID", std::string(when), tz, date_only));
      json::object merged = obj;  // an override is the master patched
      merged.erase("recurrenceRules");
      merged.erase("recurrenceOverrides");
      merged["start"] = std::string(when);
      for (const auto& [k, v] : p) merged[k] = v;
      fill(oc, merged, kind, tz);
      icalcomponent_add_component(cal.get(), oc);
    }
  return take(icalcomponent_as_ical_string_r(cal.get()));
}

const std::vector<std::string>& event_fields() {
  static const std::vector<std::string> f = {"/uid", "/title", "/description", "/locations", "/start", "/timeZone",
                                             "/duration", "/showWithoutTime", "/status", "/privacy", "/keywords",
                                             "/recurrenceRules", "/recurrenceOverrides", "/alerts", "/updated",
                                             "/sequence", "/priority"};
  return f;
}
const std::vector<std::string>& task_fields() {
  static const std::vector<std::string> f = {"/uid", "/title", "/description", "/start", "/due", "/timeZone",
                                             "/progress", "/percentComplete", "/privacy", "/keywords",
                                             "/recurrenceRules", "/alerts", "/updated", "/priority"};
  return f;
}

}  // namespace accord::formats::icalendar
