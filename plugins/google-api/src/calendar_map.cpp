// SPDX-License-Identifier: Apache-2.0
// Google events ⇄ JSCalendar through iCalendar (calendar_map.hpp).
#include "calendar_map.hpp"

#include <accord/formats/icalendar.hpp>
#include <accord/text/ascii.hpp>
#include <accord/time/rest_time.hpp>

#include "json_read.hpp"

#include <boost/json.hpp>
#include <libical/ical.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>

namespace json = boost::json;
using gapi::jr::str;
namespace ical = accord::formats::icalendar;

namespace gapi::calendar {

namespace {

icaltimezone* zone_named(const std::string& name) {
  if (name.empty()) return nullptr;
  if (name == "UTC" || name == "Etc/UTC" || name == "GMT" || name == "Z") return icaltimezone_get_utc_timezone();
  return icaltimezone_get_builtin_timezone(name.c_str());
}

std::string take(char* s) {
  std::string out = s ? s : "";
  std::free(s);
  return out;
}

// RFC 5545 TEXT escaping.
std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == ';' || c == ',') out += '\\', out += c;
    else if (c == '\n') out += "\\n";
    else if (c != '\r') out += c;
  }
  return out;
}

std::string compact_date(const std::string& d) {  // 2026-01-05 → 20260105
  std::string out;
  for (char c : d)
    if (c != '-') out += c;
  return out;
}

// A Google time as an iCalendar property's parameters and value
// (";VALUE=DATE:20260105", ";TZID=Europe/Berlin:20260105T100000", ":…Z"),
// in `zone` when the time names none.
std::string ical_time(const json::object& t, const std::string& fallback_zone) {
  if (std::string d = str(t, "date"); !d.empty()) return ";VALUE=DATE:" + compact_date(d);
  std::string dt = str(t, "dateTime");
  auto ms = accord::utc::parse_iso8601_ms(dt);
  if (!ms) throw std::runtime_error("an event time Google gave cannot be read: \"" + dt + "\"");
  int64_t secs = *ms / 1000;
  std::string zone = str(t, "timeZone");
  if (zone.empty()) zone = fallback_zone;
  if (std::string local = local_in(secs, zone); !local.empty() && zone_named(zone) != icaltimezone_get_utc_timezone())
    return ";TZID=" + zone + ":" + local;
  return ":" + local_in(secs, "UTC") + "Z";
}

void line(std::string& out, const std::string& l) { out += l + "\r\n"; }

void common(std::string& out, const json::object& e) {
  if (std::string s = str(e, "summary"); !s.empty()) line(out, "SUMMARY:" + escape(s));
  if (std::string s = str(e, "description"); !s.empty()) line(out, "DESCRIPTION:" + escape(s));
  if (std::string s = str(e, "location"); !s.empty()) line(out, "LOCATION:" + escape(s));
  // confirmed and opaque are Google's defaults, and iCalendar's: left unsaid
  if (str(e, "status") == "tentative") line(out, "STATUS:TENTATIVE");
  std::string vis = str(e, "visibility");
  if (vis == "public" || vis == "private" || vis == "confidential")
    line(out, "CLASS:" + std::string(vis == "public" ? "PUBLIC" : vis == "private" ? "PRIVATE" : "CONFIDENTIAL"));
  if (str(e, "transparency") == "transparent") line(out, "TRANSP:TRANSPARENT");
  // people: the organizer (read only in Google) and the attendees, as
  // Google's own iCalendar export writes them
  auto cn = [](const json::object& who) {
    std::string n = str(who, "displayName");
    std::erase(n, '"');
    return n.empty() ? std::string() : ";CN=\"" + n + "\"";
  };
  if (const json::object* o = jr::obj(e, "organizer"); o && !str(*o, "email").empty())
    line(out, "ORGANIZER" + cn(*o) + ":mailto:" + str(*o, "email"));
  if (const json::array* as = jr::arr(e, "attendees"))
    for (const auto& v : *as) {
      const json::object* a = v.if_object();
      if (!a || str(*a, "email").empty()) continue;
      std::string l = "ATTENDEE" + cn(*a);
      if (jr::flag(a, "resource")) l += ";CUTYPE=RESOURCE";
      l += jr::flag(a, "optional") ? ";ROLE=OPT-PARTICIPANT" : ";ROLE=REQ-PARTICIPANT";
      std::string rs = str(*a, "responseStatus");
      l += ";PARTSTAT=" + std::string(rs == "accepted" ? "ACCEPTED" : rs == "declined" ? "DECLINED"
                                     : rs == "tentative" ? "TENTATIVE" : "NEEDS-ACTION");
      line(out, l + ":mailto:" + str(*a, "email"));
    }
}

// Reminders of the event's own (useDefault false): one VALARM each, so
// many minutes before the start; the calendar's default reminders are
// Google's and make none.
void alarms(std::string& out, const json::object& e) {
  const json::object* r = jr::obj(e, "reminders");
  if (!r || jr::flag(r, "useDefault")) return;
  if (const json::array* os = jr::arr(*r, "overrides"))
    for (const auto& v : *os) {
      const json::object* o = v.if_object();
      auto* m = o ? o->if_contains("minutes") : nullptr;
      if (!m || !m->is_int64()) continue;
      icaldurationtype d = icaldurationtype_from_int(static_cast<int>(-m->get_int64() * 60));
      line(out, "BEGIN:VALARM");
      line(out, std::string("ACTION:") + (str(*o, "method") == "email" ? "EMAIL" : "DISPLAY"));
      line(out, "TRIGGER:" + take(icaldurationtype_as_ical_string_r(d)));
      line(out, "END:VALARM");
    }
}

const json::object* time_of(const json::object& e, const char* k) {
  if (auto* v = e.if_contains(k); v && v->is_object()) return &v->get_object();
  return nullptr;
}

// A Google time as an instant (ms; a date at midnight UTC), or nullopt.
std::optional<int64_t> ms_of(const json::object* t) {
  if (!t) return std::nullopt;
  if (std::string d = str(*t, "date"); !d.empty()) return accord::utc::parse_iso8601_ms(d + "T00:00:00Z");
  return accord::utc::parse_iso8601_ms(str(*t, "dateTime"));
}

// What an occurrence carries of its own, with Google's defaults for what is unsaid.
std::string own(const json::object& e, const char* k) {
  std::string v = str(e, k);
  if (v.empty()) {
    if (std::string(k) == "status") return "confirmed";
    if (std::string(k) == "visibility") return "default";
    if (std::string(k) == "transparency") return "opaque";
  }
  return v;
}

// Whether exception `x` is its series' occurrence unchanged (an exception
// that was put back: Google keeps it as an event of its own).
bool plain(const json::object& m, const json::object& x, const json::object& orig) {
  for (const char* k : {"summary", "description", "location", "status", "visibility", "transparency"})
    if (own(m, k) != own(x, k)) return false;
  auto ms = ms_of(time_of(m, "start")), me = ms_of(time_of(m, "end"));
  auto xs = ms_of(time_of(x, "start")), xe = ms_of(time_of(x, "end")), o = ms_of(&orig);
  return ms && me && xs && xe && o && *xs == *o && *xe - *xs == *me - *ms;
}

}  // namespace

std::string local_in(int64_t utc_seconds, const std::string& zone) {
  icaltimezone* z = zone_named(zone);
  if (!z) return "";
  icaltimetype t = icaltime_from_timet_with_zone(static_cast<time_t>(utc_seconds), 0, z);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02d", t.year, t.month, t.day, t.hour, t.minute, t.second);
  return buf;
}

std::string instance_suffix(const json::object& t) {
  if (std::string d = str(t, "date"); !d.empty()) return compact_date(d);
  auto ms = accord::utc::parse_iso8601_ms(str(t, "dateTime"));
  if (!ms) return "";
  return local_in(*ms / 1000, "UTC") + "Z";
}

json::object to_event(const Series& s, const std::string& calendar_zone) {
  const json::object& m = s.master;
  const json::object* start = time_of(m, "start");
  const json::object* end = time_of(m, "end");
  if (!start) throw std::runtime_error("the event has no start");
  std::string zone = str(*start, "timeZone");
  if (zone.empty() && !str(*start, "dateTime").empty()) zone = calendar_zone;
  std::string uid = str(m, "iCalUID");
  if (uid.empty()) uid = str(m, "id");
  std::string text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Accord//google-api//EN\r\n";
  line(text, "BEGIN:VEVENT");
  line(text, "UID:" + uid);
  line(text, "DTSTART" + ical_time(*start, zone));
  if (end) line(text, "DTEND" + ical_time(*end, zone));
  common(text, m);
  if (auto* r = m.if_contains("recurrence"); r && r->is_array())
    for (const auto& l : r->get_array()) {
      if (!l.is_string()) continue;
      std::string v(l.get_string());
      for (const char* p : {"RRULE", "EXRULE", "RDATE", "EXDATE"})
        if (v.starts_with(p) && (v.size() > std::string(p).size()) && (v[std::string(p).size()] == ':' || v[std::string(p).size()] == ';'))
          line(text, v);
    }
  std::string ex;
  for (const json::object& x : s.exceptions) {
    const json::object* orig = time_of(x, "originalStartTime");
    if (!orig) continue;
    if (str(x, "status") != "cancelled" && plain(m, x, *orig)) continue;  // an exception put back: no override
    std::string rid = ical_time(*orig, zone);
    if (str(x, "status") == "cancelled") {  // a cancelled occurrence: an EXDATE of the series
      line(text, "EXDATE" + rid);
      continue;
    }
    const json::object* xs = time_of(x, "start");
    const json::object* xe = time_of(x, "end");
    line(ex, "BEGIN:VEVENT");
    line(ex, "UID:" + uid);
    line(ex, "RECURRENCE-ID" + rid);
    line(ex, "DTSTART" + ical_time(xs ? *xs : *orig, zone));
    if (xe) line(ex, "DTEND" + ical_time(*xe, zone));
    common(ex, x);
    alarms(ex, x);
    line(ex, "END:VEVENT");
  }
  alarms(text, m);
  line(text, "END:VEVENT");
  text += ex;
  line(text, "END:VCALENDAR");
  ical::Parsed p = ical::parse(text);
  return std::move(p.object);
}

namespace {

struct CompDeleter {
  void operator()(icalcomponent* c) const { icalcomponent_free(c); }
};

std::string prop_text(icalcomponent* c, icalproperty_kind k) {
  icalproperty* p = icalcomponent_get_first_property(c, k);
  if (!p) return "";
  const char* v = icalproperty_get_value_as_string(p);
  // TEXT values come back escaped: the formats lib unescapes the same way
  icalvalue* val = icalproperty_get_value(p);
  if (val && icalvalue_isa(val) == ICAL_TEXT_VALUE) return icalvalue_get_text(val) ? icalvalue_get_text(val) : "";
  return v ? v : "";
}

// A Google time for an iCalendar time property ("" zone: UTC or floating).
json::object google_time(icalproperty* p, const std::string& fallback_zone) {
  icaltimetype t = icalvalue_get_datetime(icalproperty_get_value(p));
  if (t.is_date) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", t.year, t.month, t.day);
    return json::object{{"date", buf}};
  }
  const char* tzid = icalproperty_get_parameter_as_string(p, "TZID");
  std::string zone = tzid ? tzid : "";
  icaltimezone* z = t.zone ? const_cast<icaltimezone*>(t.zone) : icaltime_is_utc(t) ? icaltimezone_get_utc_timezone() : zone_named(zone);
  if (!z) z = zone_named(fallback_zone);
  if (!z) z = icaltimezone_get_utc_timezone();
  time_t secs = icaltime_as_timet_with_zone(t, z);
  json::object out{{"dateTime", accord::utc::format_time(static_cast<int64_t>(secs) * 1000, "iso8601_seconds")}};
  if (zone.empty()) zone = icaltime_is_utc(t) && !fallback_zone.empty() ? fallback_zone : (icaltime_is_utc(t) ? "UTC" : fallback_zone);
  if (!zone.empty()) out["timeZone"] = zone;
  return out;
}

std::string param(icalproperty* p, const char* name) {
  const char* v = icalproperty_get_parameter_as_string(p, name);
  std::string s = v ? v : "";
  for (char& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

// ATTENDEE → attendees (the organizer is Google's to set: read only
// but on import).
void people(icalcomponent* c, json::object& e) {
  json::array out;
  for (icalproperty* p = icalcomponent_get_first_property(c, ICAL_ATTENDEE_PROPERTY); p;
       p = icalcomponent_get_next_property(c, ICAL_ATTENDEE_PROPERTY)) {
    const char* v = icalproperty_get_attendee(p);
    std::string addr = v ? v : "";
    if (addr.size() < 8 || !accord::ascii_iequals(std::string_view(addr).substr(0, 7), "mailto:")) continue;
    json::object a{{"email", addr.substr(7)}};
    if (const char* name = icalproperty_get_parameter_as_string(p, "CN"); name && *name) a["displayName"] = name;
    if (param(p, "ROLE") == "OPT-PARTICIPANT") a["optional"] = true;
    std::string cu = param(p, "CUTYPE");
    if (cu == "RESOURCE" || cu == "ROOM") a["resource"] = true;
    std::string ps = param(p, "PARTSTAT");
    a["responseStatus"] = ps == "ACCEPTED" ? "accepted" : ps == "DECLINED" ? "declined" : ps == "TENTATIVE" ? "tentative"
                                                                                                    : "needsAction";
    out.push_back(std::move(a));
  }
  if (!out.empty()) e["attendees"] = std::move(out);
}

// VALARMs → reminders: an alarm so long before the start (up to Google's
// 4 weeks, 5 at most), by popup (DISPLAY, AUDIO) or email; none: the
// calendar's default reminders.
void reminders(icalcomponent* c, json::object& e) {
  json::array overrides;
  for (icalcomponent* a = icalcomponent_get_first_component(c, ICAL_VALARM_COMPONENT); a && overrides.size() < 5;
       a = icalcomponent_get_next_component(c, ICAL_VALARM_COMPONENT)) {
    icalproperty* t = icalcomponent_get_first_property(a, ICAL_TRIGGER_PROPERTY);
    if (!t) continue;
    icaltriggertype tr = icalproperty_get_trigger(t);
    icalparameter* rel = icalproperty_get_first_parameter(t, ICAL_RELATED_PARAMETER);
    if (!icaltime_is_null_time(tr.time) || (rel && icalparameter_get_related(rel) == ICAL_RELATED_END)) continue;
    int secs = icaldurationtype_as_int(tr.duration);
    if (secs > 0 || -secs > 40320 * 60 || secs % 60) continue;
    icalproperty* act = icalcomponent_get_first_property(a, ICAL_ACTION_PROPERTY);
    bool email = act && icalproperty_get_action(act) == ICAL_ACTION_EMAIL;
    overrides.push_back(json::object{{"method", email ? "email" : "popup"}, {"minutes", -secs / 60}});
  }
  if (overrides.empty()) e["reminders"] = json::object{{"useDefault", true}};
  else e["reminders"] = json::object{{"useDefault", false}, {"overrides", std::move(overrides)}};
}

json::object event_of(icalcomponent* c, const std::string& zone) {
  json::object e;
  if (std::string s = prop_text(c, ICAL_SUMMARY_PROPERTY); !s.empty()) e["summary"] = s;
  if (std::string s = prop_text(c, ICAL_DESCRIPTION_PROPERTY); !s.empty()) e["description"] = s;
  if (std::string s = prop_text(c, ICAL_LOCATION_PROPERTY); !s.empty()) e["location"] = s;
  std::string status = prop_text(c, ICAL_STATUS_PROPERTY);
  e["status"] = status == "TENTATIVE" ? "tentative" : "confirmed";
  std::string cls = prop_text(c, ICAL_CLASS_PROPERTY);
  e["visibility"] = cls == "PUBLIC" ? "public" : cls == "PRIVATE" ? "private" : cls == "CONFIDENTIAL" ? "confidential" : "default";
  e["transparency"] = prop_text(c, ICAL_TRANSP_PROPERTY) == "TRANSPARENT" ? "transparent" : "opaque";
  people(c, e);
  reminders(c, e);
  if (icalproperty* p = icalcomponent_get_first_property(c, ICAL_DTSTART_PROPERTY)) e["start"] = google_time(p, zone);
  if (icalproperty* p = icalcomponent_get_first_property(c, ICAL_DTEND_PROPERTY)) {
    e["end"] = google_time(p, zone);
  } else if (e.contains("start")) {
    // DURATION (or none): the end from the start
    icaltimetype end = icalcomponent_get_dtend(c);
    icalproperty* sp = icalcomponent_get_first_property(c, ICAL_DTSTART_PROPERTY);
    if (!icaltime_is_null_time(end) && sp) {
      icalproperty* tmp = icalproperty_new_dtend(end);
      if (const char* tz = icalproperty_get_parameter_as_string(sp, "TZID"))
        icalproperty_add_parameter(tmp, icalparameter_new_tzid(tz));
      e["end"] = google_time(tmp, zone);
      icalproperty_free(tmp);
    } else {
      e["end"] = e["start"];
    }
  }
  return e;
}

std::string unfolded(icalproperty* p) {
  std::string s = take(icalproperty_as_ical_string_r(p));
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') continue;
    if (s[i] == '\n') {
      if (i + 1 < s.size() && (s[i + 1] == ' ' || s[i + 1] == '\t')) ++i;
      continue;
    }
    out += s[i];
  }
  return out;
}

}  // namespace

Written from_event(const json::object& event) {
  std::string text = ical::serialize(event, ical::Kind::kEvent, "", {});
  std::unique_ptr<icalcomponent, CompDeleter> cal(icalparser_parse_string(text.c_str()));
  if (!cal) throw std::runtime_error("the event could not be written as iCalendar");
  std::string zone = str(event, "timeZone");
  Written w;
  bool have_master = false;
  for (icalcomponent* c = icalcomponent_get_first_component(cal.get(), ICAL_VEVENT_COMPONENT); c;
       c = icalcomponent_get_next_component(cal.get(), ICAL_VEVENT_COMPONENT)) {
    icalproperty* rid = icalcomponent_get_first_property(c, ICAL_RECURRENCEID_PROPERTY);
    json::object e = event_of(c, zone);
    if (!rid) {
      if (have_master) continue;
      have_master = true;
      if (std::string uid = prop_text(c, ICAL_UID_PROPERTY); !uid.empty()) e["iCalUID"] = uid;
      json::array rec;
      for (icalproperty_kind k : {ICAL_RRULE_PROPERTY, ICAL_EXRULE_PROPERTY, ICAL_RDATE_PROPERTY, ICAL_EXDATE_PROPERTY})
        for (icalproperty* p = icalcomponent_get_first_property(c, k); p; p = icalcomponent_get_next_property(c, k))
          rec.push_back(json::value(unfolded(p)));
      if (!rec.empty()) e["recurrence"] = std::move(rec);
      for (icalproperty* p = icalcomponent_get_first_property(c, ICAL_EXDATE_PROPERTY); p;
           p = icalcomponent_get_next_property(c, ICAL_EXDATE_PROPERTY))
        w.excluded.push_back(instance_suffix(google_time(p, zone)));
      w.master = std::move(e);
      continue;
    }
    Instance in;
    json::object orig = google_time(rid, zone);
    in.suffix = instance_suffix(orig);
    e["originalStartTime"] = std::move(orig);
    in.body = std::move(e);
    w.instances.push_back(std::move(in));
  }
  if (!have_master) throw std::runtime_error("the event has no master component");
  return w;
}

json::object as_kept(const json::object& event, const std::string& calendar_zone, const std::string& organizer) {
  Written w = from_event(event);
  Series s;
  s.master = std::move(w.master);
  const std::string id = "accordcheck";  // stands for the id Google would give
  s.master["id"] = id;
  if (!organizer.empty()) s.master["organizer"] = json::object{{"email", organizer}, {"self", true}};
  for (Instance& in : w.instances) {
    in.body["id"] = id + "_" + in.suffix;
    in.body["recurringEventId"] = id;
    if (!organizer.empty()) in.body["organizer"] = s.master["organizer"];
    s.exceptions.push_back(std::move(in.body));
  }
  return to_event(s, calendar_zone);
}

json::object plain_instance(const Written& w, const json::object& original_start) {
  json::object x;
  for (const char* k : {"summary", "description", "location", "visibility", "transparency"})
    if (auto* v = w.master.if_contains(k)) x[k] = *v;
  x["status"] = str(w.master, "status").empty() ? "confirmed" : str(w.master, "status");
  auto ms = ms_of(time_of(w.master, "start")), me = ms_of(time_of(w.master, "end")), o = ms_of(&original_start);
  int64_t dur = ms && me ? *me - *ms : 0;
  x["originalStartTime"] = original_start;
  x["start"] = original_start;
  if (std::string d = str(original_start, "date"); !d.empty() && o) {
    x["end"] = json::object{{"date", accord::utc::format_time(*o + dur, "date")}};
  } else if (o) {
    json::object end{{"dateTime", accord::utc::format_time(*o + dur, "iso8601_seconds")}};
    if (std::string tz = str(original_start, "timeZone"); !tz.empty()) end["timeZone"] = tz;
    x["end"] = std::move(end);
  }
  return x;
}

const std::vector<std::string>& fields() {
  static const std::vector<std::string> f = {
      "/uid",    "/title",         "/description",   "/locations/*/name", "/start",
      "/duration", "/timeZone",    "/showWithoutTime", "/status",         "/privacy",
      "/freeBusyStatus", "/recurrenceRules", "/recurrenceOverrides", "/participants/*/name",
      "/participants/*/email", "/participants/*/sendTo", "/participants/*/roles",
      "/participants/*/participationStatus", "/participants/*/kind", "/alerts/*/trigger", "/alerts/*/action"};
  return f;
}

}  // namespace gapi::calendar
