// SPDX-License-Identifier: Apache-2.0
// Graph event ⇄ JSCalendar Event (event_map.hpp). Graph's shapes:
// event.md, patternedrecurrence.md, recurrencepattern.md, recurrencerange.md,
// datetimetimezone.md; JSCalendar's: RFC 8984 sections 4.3 (recurrence) and 5.
#include "event_map.hpp"

#include <accord/formats/windows_zones.hpp>
#include <accord/json/lenient.hpp>
#include <accord/text/ascii.hpp>
#include <accord/time/iso_duration.hpp>
#include <accord/time/utc_time.hpp>

#include <boost/json.hpp>

#include <libical/ical.h>

#include <algorithm>
#include <cstdio>
#include <optional>

namespace json = boost::json;
using accord::json_read::arr;
using accord::json_read::obj;
using accord::json_read::str;
using accord::json_read::strings;

namespace outlook::events {

namespace {

// ---- times -------------------------------------------------------------------
// A local date-time is kept as its seconds "as if UTC" (2026-03-01T10:00:00 →
// the epoch seconds of 2026-03-01T10:00:00Z), as libs/mapping does.

icaltimezone* zone_named(const std::string& name) {
  if (name.empty() || name == "UTC" || name == "Etc/UTC") return icaltimezone_get_utc_timezone();
  return icaltimezone_get_builtin_timezone(name.c_str());
}

}  // namespace

// "2026-03-01T10:00:00.0000000" (any fraction, no offset) → seconds as if UTC.
std::optional<int64_t> wall(const std::string& s) {
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (s.size() < 10 || std::sscanf(s.c_str(), "%4d-%2d-%2d", &y, &mo, &d) != 3) return std::nullopt;
  if (s.size() >= 19) std::sscanf(s.c_str() + 11, "%2d:%2d:%2d", &h, &mi, &sec);
  return accord::utc::to_seconds(y, mo, d, h, mi, sec);
}

namespace {

int64_t utc_to_local(int64_t utc, const std::string& zone) {
  icaltimetype t = icaltime_from_timet_with_zone(static_cast<time_t>(utc), 0, zone_named(zone));
  return accord::utc::to_seconds(t.year, t.month, t.day, t.hour, t.minute, t.second);
}

int64_t local_to_utc(int64_t local, const std::string& zone) {
  icaltimetype t = icaltime_from_timet_with_zone(static_cast<time_t>(local), 0, nullptr);
  t.zone = zone_named(zone);
  return static_cast<int64_t>(icaltime_as_timet_with_zone(t, zone_named(zone)));
}

std::string local_text(int64_t secs) { return accord::utc::format(secs, accord::utc::Form::kLocal); }

// Outlook's zone name (Windows "W. Europe Standard Time", or IANA) as IANA.
std::string iana(const std::string& outlook_zone) {
  if (outlook_zone.empty()) return "";
  if (outlook_zone == "UTC" || outlook_zone == "tzone://Microsoft/Utc" || outlook_zone == "Coordinated Universal Time")
    return "Etc/UTC";
  if (outlook_zone.find('/') != std::string::npos && zone_named(outlook_zone)) return outlook_zone;
  if (auto z = accord::formats::zones::iana_from_windows(outlook_zone)) return *z;
  return "";
}

// ---- recurrence ----------------------------------------------------------------

constexpr std::pair<const char*, const char*> kDays[] = {{"sunday", "su"},   {"monday", "mo"}, {"tuesday", "tu"},
                                                         {"wednesday", "we"}, {"thursday", "th"}, {"friday", "fr"},
                                                         {"saturday", "sa"}};
constexpr std::pair<const char*, int> kIndex[] = {{"first", 1}, {"second", 2}, {"third", 3}, {"fourth", 4}, {"last", -1}};

json::array by_day(const json::object& p, bool nth) {
  json::array out;
  int n = 0;
  if (nth)
    for (auto [k, v] : kIndex)
      if (str(p, "index") == k || (str(p, "index").empty() && v == 1)) n = v;
  for (const std::string& d : strings(p, "daysOfWeek"))
    for (auto [g, j] : kDays)
      if (d == g) {
        json::object day{{"@type", "NDay"}, {"day", j}};
        if (nth) day["nthOfPeriod"] = n;
        out.push_back(std::move(day));
      }
  return out;
}

int64_t num(const json::object& o, const char* k) {
  if (auto* v = o.if_contains(k); v && v->is_int64()) return v->get_int64();
  return 0;
}

}  // namespace

std::optional<json::object> rule_of(const json::object& rec) {
  const json::object* p = obj(rec, "pattern");
  const json::object* r = obj(rec, "range");
  if (!p) return std::nullopt;
  std::string type = str(*p, "type");
  json::object rule{{"@type", "RecurrenceRule"}};
  if (type == "daily") rule["frequency"] = "daily";
  else if (type == "weekly") rule["frequency"] = "weekly";
  else if (type == "absoluteMonthly" || type == "relativeMonthly") rule["frequency"] = "monthly";
  else if (type == "absoluteYearly" || type == "relativeYearly") rule["frequency"] = "yearly";
  else return std::nullopt;
  if (int64_t i = num(*p, "interval"); i > 1) rule["interval"] = i;
  if (type == "weekly") rule["byDay"] = by_day(*p, false);
  if (type == "relativeMonthly" || type == "relativeYearly") rule["byDay"] = by_day(*p, true);
  if (type == "absoluteYearly" || type == "relativeYearly")
    rule["byMonth"] = json::array{json::value(std::to_string(num(*p, "month")))};
  if (type == "absoluteMonthly" || type == "absoluteYearly") rule["byMonthDay"] = json::array{num(*p, "dayOfMonth")};
  if (r) {
    if (str(*r, "type") == "numbered" && num(*r, "numberOfOccurrences") > 0) rule["count"] = num(*r, "numberOfOccurrences");
    if (str(*r, "type") == "endDate" && !str(*r, "endDate").empty()) rule["until"] = str(*r, "endDate") + "T23:59:59";
  }
  return rule;
}

// A JSCalendar rule as Graph's patternedRecurrence, from the series' local start
// and zone. Rules Graph cannot say (BYHOUR, BYSETPOS, several month days…) throw.
json::object recurrence_of(const json::object& rule, int64_t start_local, const std::string& zone) {
  std::string freq = str(rule, "frequency");
  json::object p{{"interval", std::max<int64_t>(1, num(rule, "interval"))}};
  const json::array* days = arr(rule, "byDay");
  bool nth = false;
  json::array dow;
  std::string index;
  if (days)
    for (const auto& v : *days) {
      if (!v.is_object()) continue;
      for (auto [g, j] : kDays)
        if (str(v.get_object(), "day") == j) dow.push_back(json::value(g));
      if (auto n = num(v.get_object(), "nthOfPeriod"); n != 0) {
        nth = true;
        std::string mine;
        for (auto [k, i] : kIndex)
          if (i == n) mine = k;
        if (mine.empty()) throw std::invalid_argument("Outlook repeats on the first to fourth or the last weekday only");
        if (!index.empty() && index != mine)
          throw std::invalid_argument("Outlook repeats on weekdays of one week of the month (\"" + index + "\" and \"" + mine + "\")");
        index = mine;
      }
    }
  std::string date = accord::utc::format(start_local, accord::utc::Form::kDate);
  int month = std::stoi(date.substr(5, 2)), mday = std::stoi(date.substr(8, 2));
  auto first_int = [&](const char* k, int fallback) -> int64_t {
    if (const json::array* a = arr(rule, k); a && !a->empty()) {
      if ((*a)[0].is_int64()) return (*a)[0].get_int64();
      if ((*a)[0].is_string()) return std::stoll(std::string((*a)[0].get_string()));
    }
    return fallback;
  };
  if (freq == "daily") {
    p["type"] = "daily";
  } else if (freq == "weekly") {
    p["type"] = "weekly";
    if (dow.empty()) dow.push_back(json::value(kDays[(start_local / 86400 + 4) % 7].first));  // the start's weekday
    p["daysOfWeek"] = dow;
  } else if (freq == "monthly") {
    if (nth) {
      p["type"] = "relativeMonthly";
      p["daysOfWeek"] = dow;
      p["index"] = index;
    } else {
      p["type"] = "absoluteMonthly";
      p["dayOfMonth"] = first_int("byMonthDay", mday);
    }
  } else if (freq == "yearly") {
    p["month"] = first_int("byMonth", month);
    if (nth) {
      p["type"] = "relativeYearly";
      p["daysOfWeek"] = dow;
      p["index"] = index;
    } else {
      p["type"] = "absoluteYearly";
      p["dayOfMonth"] = first_int("byMonthDay", mday);
    }
  } else {
    throw std::invalid_argument("Outlook repeats daily, weekly, monthly or yearly, not \"" + freq + "\"");
  }
  json::object r{{"startDate", date}, {"recurrenceTimeZone", zone.empty() ? "UTC" : zone}};
  if (int64_t c = num(rule, "count"); c > 0) {
    r["type"] = "numbered";
    r["numberOfOccurrences"] = c;
  } else if (std::string u = str(rule, "until"); u.size() >= 10) {
    r["type"] = "endDate";
    r["endDate"] = u.substr(0, 10);
  } else {
    r["type"] = "noEnd";
  }
  return json::object{{"pattern", std::move(p)}, {"range", std::move(r)}};
}

namespace {

// ---- one event's own fields ------------------------------------------------------

struct Times {
  int64_t start = 0, end = 0;  // local (all-day: the dates at midnight)
  std::string zone;            // IANA, "" for all-day (floating)
  bool all_day = false;
};

Times times_of(const json::object& e, const std::string& series_zone) {
  Times t;
  t.all_day = e.contains("isAllDay") && e.at("isAllDay").is_bool() && e.at("isAllDay").get_bool();
  const json::object* s = obj(e, "start");
  const json::object* en = obj(e, "end");
  int64_t s_utc = s ? wall(str(*s, "dateTime")).value_or(0) : 0;
  int64_t e_utc = en ? wall(str(*en, "dateTime")).value_or(s_utc) : s_utc;
  // times come in UTC (Prefer: outlook.timezone="UTC"); one in another zone is read in it
  std::string given = s ? str(*s, "timeZone") : "";
  if (!given.empty() && given != "UTC") {
    std::string z = iana(given);
    s_utc = local_to_utc(s_utc, z);
    e_utc = local_to_utc(e_utc, z);
  }
  if (t.all_day) {  // midnight to midnight, a floating date
    t.start = s_utc;
    t.end = e_utc;
    return t;
  }
  t.zone = series_zone.empty() ? iana(str(e, "originalStartTimeZone")) : series_zone;
  if (t.zone.empty()) t.zone = "Etc/UTC";
  t.start = utc_to_local(s_utc, t.zone);
  t.end = utc_to_local(e_utc, t.zone);
  return t;
}

std::string body_text(const json::object& e) {
  const json::object* b = obj(e, "body");
  if (!b) return "";
  std::string c = str(*b, "content");
  if (str(*b, "contentType") == "html" || str(*b, "contentType") == "HTML") return c.empty() ? c : c;  // asked as text
  return c;
}

void own_fields(const json::object& e, const Times& t, json::object& out) {
  if (std::string s = str(e, "subject"); !s.empty()) out["title"] = s;
  if (std::string d = body_text(e); !d.empty()) out["description"] = d;
  if (const json::object* l = obj(e, "location"))
    if (std::string n = str(*l, "displayName"); !n.empty())
      out["locations"] = json::object{{"l1", json::object{{"@type", "Location"}, {"name", n}}}};
  out["start"] = local_text(t.start);
  if (t.all_day) out["showWithoutTime"] = true;
  else out["timeZone"] = t.zone;
  out["duration"] = accord::duration::format(std::max<int64_t>(0, t.end - t.start));
}

// ---- people and reminders ----------------------------------------------------------
// attendee.md: {type: required|optional|resource, status: responseStatus, emailAddress};
// responsestatus.md: response none|organizer|tentativelyAccepted|accepted|declined|notResponded.
// As the formats lib reads ORGANIZER and ATTENDEE (RFC 8984 4.4.6): the organizer
// first with the role owner, attendees with the role attendee (optional: and
// optional; a resource: kind "resource"), sendTo imip mailto:, the response as
// participationStatus (none and notResponded: needs-action).

json::object participant(const json::object& who, json::object roles) {
  json::object p{{"@type", "Participant"}};
  const json::object* ea = obj(who, "emailAddress");
  std::string addr = ea ? str(*ea, "address") : "", name = ea ? str(*ea, "name") : "";
  if (!name.empty() && name != addr) p["name"] = name;
  if (addr.find('@') != std::string::npos) {
    p["email"] = addr;
    p["sendTo"] = json::object{{"imip", "mailto:" + addr}};
  } else if (!addr.empty()) {  // an Exchange (X.500) address an attendee can show (no SMTP form)
    p["sendTo"] = json::object{{"other", addr}};
  }
  p["roles"] = std::move(roles);
  return p;
}

std::string partstat(const std::string& response) {
  if (response == "accepted" || response == "organizer") return "accepted";
  if (response == "declined") return "declined";
  if (response == "tentativelyAccepted") return "tentative";
  return "needs-action";
}

// The address to write back: the email, a mailto: sendTo, else an Exchange
// (X.500) address participant() read as sendTo "other". Graph's PATCH replaces
// the whole attendees list, so an attendee dropped here leaves the meeting. A
// URI with a scheme (urn:, http:) another store gave is no Outlook address.
std::string address_of(const json::object& p) {
  if (std::string e = str(p, "email"); !e.empty()) return e;
  const json::object* st = obj(p, "sendTo");
  if (!st) return "";
  for (const auto& [k, v] : *st)
    if (std::string u = v.is_string() ? std::string(v.get_string()) : ""; accord::ascii_lower(u.substr(0, 7)) == "mailto:")
      return u.substr(7);
  std::string other = str(*st, "other");
  size_t colon = other.find(':');
  bool scheme = colon != std::string::npos && colon > 0 && accord::ascii_lower(other[0]) >= 'a' &&
                accord::ascii_lower(other[0]) <= 'z' &&
                other.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-") == colon;
  return scheme ? "" : other;
}

}  // namespace

json::object participants_of(const json::object& e) {
  json::object out;
  const json::array* as = arr(e, "attendees");
  if (!as || as->empty()) return out;  // an appointment: its organizer is the mailbox, said by no one
  if (const json::object* o = obj(e, "organizer"))
    if (const json::object* ea = obj(*o, "emailAddress"); ea && !str(*ea, "address").empty())
      out["p1"] = participant(*o, json::object{{"owner", true}});
  for (const auto& v : *as) {
    if (!v.is_object()) continue;
    const json::object& a = v.get_object();
    const json::object* ea = obj(a, "emailAddress");
    if (!ea || str(*ea, "address").empty()) continue;
    std::string type = str(a, "type");
    json::object roles{{"attendee", true}};
    if (type == "optional") roles["optional"] = true;
    json::object p = participant(a, std::move(roles));
    if (const json::object* st = obj(a, "status")) p["participationStatus"] = partstat(str(*st, "response"));
    else p["participationStatus"] = "needs-action";
    if (type == "resource") p["kind"] = "resource";
    out["p" + std::to_string(out.size() + 1)] = std::move(p);
  }
  return out;
}

json::array attendees_of(const json::object& event) {
  json::array out;
  const json::object* ps = obj(event, "participants");
  if (!ps) return out;
  std::vector<std::pair<std::string, const json::object*>> v;
  for (const auto& [k, p] : *ps)
    if (p.is_object()) v.emplace_back(std::string(k), &p.get_object());
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.first.size() != b.first.size() ? a.first.size() < b.first.size() : a.first < b.first;
  });
  for (const auto& [k, p] : v) {
    const json::object* roles = obj(*p, "roles");
    bool owner = roles && roles->contains("owner"), attendee = !roles || roles->empty() || roles->contains("attendee") ||
                                                                roles->contains("optional") || roles->contains("chair");
    if (owner && !(roles->contains("attendee"))) continue;  // the organizer: Outlook's is the mailbox
    if (!attendee) continue;                                   // informational: no Outlook type
    std::string addr = address_of(*p);
    if (addr.empty()) continue;
    json::object ea{{"address", addr}};
    if (std::string n = str(*p, "name"); !n.empty()) ea["name"] = n;
    std::string kind = str(*p, "kind");
    std::string type = kind == "resource" || kind == "location" ? "resource"
                       : roles && roles->contains("optional") ? "optional" : "required";
    // the response (status) is the attendee's own to send (event-accept.md, event-decline.md): not written
    out.push_back(json::object{{"emailAddress", std::move(ea)}, {"type", type}});
  }
  return out;
}

json::object alerts_of(const json::object& e) {
  const json::value* on = e.if_contains("isReminderOn");
  if (!on || !on->is_bool() || !on->get_bool()) return {};
  const json::value* m = e.if_contains("reminderMinutesBeforeStart");
  int64_t minutes = m && m->is_int64() ? m->get_int64() : 15;
  return json::object{{"a1", json::object{{"@type", "Alert"},
                                          {"trigger", json::object{{"@type", "OffsetTrigger"},
                                                                   {"offset", accord::duration::format(-minutes * 60)}}},
                                          {"action", "display"}}}};
}

std::optional<int64_t> reminder_minutes(const json::object& event, int64_t duration_s, std::vector<std::string>* lost) {
  const json::object* al = obj(event, "alerts");
  if (!al) return std::nullopt;
  std::optional<int64_t> best;
  for (const auto& [k, v] : *al) {
    const json::object* a = v.if_object();
    const json::object* t = a ? obj(*a, "trigger") : nullptr;
    if (!t) continue;
    if (str(*t, "@type") == "AbsoluteTrigger") {
      if (lost) lost->push_back("alert \"" + std::string(k) + "\" at " + str(*t, "when") +
                                ": Outlook's reminder is a number of minutes before the start, never a date");
      continue;
    }
    auto off = accord::duration::parse(str(*t, "offset"));
    if (!off) continue;
    // relative to the end (RFC 8984 section 4.5.2 OffsetTrigger "relativeTo"): the same moment from the start
    bool from_end = str(*t, "relativeTo") == "end";
    int64_t from_start = from_end ? duration_s + *off : *off;
    if (from_start > 0) {  // after the start: Outlook reminds before it only
      if (lost) lost->push_back("alert \"" + std::string(k) + "\" " + str(*t, "offset") + (from_end ? " from the end" : " from the start") +
                                " falls after the start: Outlook keeps one reminder, before the start");
      continue;
    }
    int64_t mins = -from_start / 60;
    if (!best || mins < *best) best = mins;  // the one nearest the start
  }
  return best;
}

std::string recurrence_id(const std::string& original_start_utc, const std::string& zone) {
  auto w = wall(original_start_utc);
  return w ? local_text(zone.empty() ? *w : utc_to_local(*w, zone)) : "";
}

std::string cancelled_date(const std::string& entry) {
  size_t dot = entry.rfind('.');
  return dot == std::string::npos ? "" : entry.substr(dot + 1, 10);
}

json::object to_event(const Series& s) {
  const json::object& m = s.master;
  Times t = times_of(m, "");
  json::object ev{{"@type", "Event"}};
  own_fields(m, t, ev);
  std::string sens = str(m, "sensitivity");
  if (sens == "private" || sens == "personal") ev["privacy"] = "private";
  else if (sens == "confidential") ev["privacy"] = "secret";
  if (std::vector<std::string> cats = strings(m, "categories"); !cats.empty()) {
    json::object kw;
    for (const std::string& k : cats) kw[k] = true;
    ev["keywords"] = std::move(kw);
  }
  if (const json::object* rec = obj(m, "recurrence"))
    if (auto rule = rule_of(*rec)) ev["recurrenceRules"] = json::array{std::move(*rule)};
  if (json::object ps = participants_of(m); !ps.empty()) ev["participants"] = std::move(ps);
  if (json::object al = alerts_of(m); !al.empty()) ev["alerts"] = std::move(al);
  json::object overrides;
  const std::string tod = local_text(t.start).substr(10);  // "T10:00:00"
  for (const std::string& c : strings(m, "cancelledOccurrences"))
    if (std::string d = cancelled_date(c); !d.empty()) overrides[d + tod] = json::object{{"excluded", true}};
  for (const json::object& x : s.exceptions) {
    std::string rid = t.all_day ? str(x, "originalStart").substr(0, 10) + "T00:00:00"
                                : recurrence_id(str(x, "originalStart"), t.zone);
    if (rid.empty()) continue;
    json::object own;
    own_fields(x, times_of(x, t.zone), own);
    // an exception's own attendees and reminder (attendee.md, event.md: an exception is an event of its own)
    if (x.contains("attendees")) {
      json::object ps = participants_of(x);
      if (!ps.empty()) own["participants"] = std::move(ps);
    }
    if (x.contains("isReminderOn")) {
      json::object al = alerts_of(x);
      if (!al.empty()) own["alerts"] = std::move(al);
    }
    json::object patch;
    for (const char* k : {"title", "description", "locations", "start", "duration", "participants", "alerts"}) {
      const json::value* mine = own.if_contains(k);
      const json::value* theirs = ev.if_contains(k);
      if ((std::string(k) == "participants" && !x.contains("attendees")) || (std::string(k) == "alerts" && !x.contains("isReminderOn")))
        continue;  // not told: the master's
      if (std::string(k) == "start") {
        if (mine && *mine != json::value(rid)) patch[k] = *mine;
      } else if (mine && (!theirs || *mine != *theirs)) {
        patch[k] = *mine;
      } else if (!mine && theirs) {
        patch[k] = nullptr;
      }
    }
    overrides[rid] = std::move(patch);
  }
  if (!overrides.empty()) ev["recurrenceOverrides"] = std::move(overrides);
  return ev;
}

Written from_event(const json::object& e) {
  Written w;
  json::object& g = w.master;
  bool all_day = e.contains("showWithoutTime") && e.at("showWithoutTime").is_bool() && e.at("showWithoutTime").get_bool();
  std::string zone = all_day ? "" : str(e, "timeZone");
  if (!all_day && zone.empty()) zone = "Etc/UTC";  // a floating time is taken as UTC
  auto start = wall(str(e, "start"));
  if (!start) throw std::invalid_argument("the event has no start");
  int64_t dur = accord::duration::parse(str(e, "duration")).value_or(all_day ? 86400 : 0);
  auto dtz = [&](int64_t local) {
    return json::object{{"dateTime", local_text(local)}, {"timeZone", all_day ? "UTC" : zone}};
  };
  g["subject"] = str(e, "title");
  g["body"] = json::object{{"contentType", "text"}, {"content", str(e, "description")}};
  g["start"] = dtz(*start);
  g["end"] = dtz(*start + dur);
  g["isAllDay"] = all_day;
  std::string loc;
  if (const json::object* ls = obj(e, "locations"))
    for (const auto& [k, v] : *ls)
      if (v.is_object() && !str(v.get_object(), "name").empty()) {
        loc = str(v.get_object(), "name");
        break;
      }
  g["location"] = json::object{{"displayName", loc}};
  std::string privacy = str(e, "privacy");
  g["sensitivity"] = privacy == "private" ? "private" : privacy == "secret" ? "confidential" : "normal";
  json::array cats;
  if (const json::object* kw = obj(e, "keywords"))
    for (const auto& [k, v] : *kw)
      if (v.is_bool() && v.get_bool()) cats.push_back(json::value(std::string(k)));
  g["categories"] = std::move(cats);
  // reminders: Outlook keeps one (event.md: isReminderOn, reminderMinutesBeforeStart)
  if (auto mins = reminder_minutes(e, dur, &w.notes)) {
    g["isReminderOn"] = true;
    g["reminderMinutesBeforeStart"] = *mins;
  } else {
    g["isReminderOn"] = false;
  }
  w.attendees = attendees_of(e);
  g["recurrence"] = nullptr;
  if (const json::array* rules = arr(e, "recurrenceRules"); rules && !rules->empty() && rules->front().is_object()) {
    if (rules->size() > 1) throw std::invalid_argument("Outlook keeps one recurrence rule per series");
    g["recurrence"] = recurrence_of(rules->front().get_object(), *start, all_day ? "UTC" : zone);
  }
  if (const json::object* ov = obj(e, "recurrenceOverrides"))
    for (const auto& [rid, v] : *ov) {
      if (!v.is_object()) continue;
      const json::object& o = v.get_object();
      if (o.contains("excluded") && o.at("excluded").is_bool() && o.at("excluded").get_bool()) {
        w.excluded.emplace_back(rid);
        continue;
      }
      Written::Change c{std::string(rid), {}, std::nullopt};
      if (auto* t = o.if_contains("title")) c.patch["subject"] = t->is_string() ? *t : json::value("");
      if (auto* d = o.if_contains("description"))
        c.patch["body"] = json::object{{"contentType", "text"}, {"content", d->is_string() ? *d : json::value("")}};
      auto os = o.contains("start") ? wall(str(o, "start")) : wall(std::string(rid));
      int64_t odur = o.contains("duration") ? accord::duration::parse(str(o, "duration")).value_or(dur) : dur;
      if (os && (o.contains("start") || o.contains("duration"))) {
        c.patch["start"] = dtz(*os);
        c.patch["end"] = dtz(*os + odur);
      }
      if (auto* l = o.if_contains("locations")) {
        std::string n;
        if (l->is_object())
          for (const auto& [k, lv] : l->get_object())
            if (lv.is_object()) n = str(lv.get_object(), "name");
        c.patch["location"] = json::object{{"displayName", n}};
      }
      if (o.contains("participants"))  // null: no attendees of its own
        c.attendees = attendees_of(o);
      if (auto* al = o.if_contains("alerts")) {
        std::vector<std::string> lost;
        auto mins = al->is_object() ? reminder_minutes(o, odur, &lost) : std::nullopt;
        for (const std::string& l : lost) w.notes.push_back("the occurrence of " + std::string(rid) + ": " + l);
        c.patch["isReminderOn"] = mins.has_value();
        if (mins) c.patch["reminderMinutesBeforeStart"] = *mins;
      }
      w.changed.push_back(std::move(c));
    }
  return w;
}

json::object as_kept(const json::object& event, bool write_attendees, const std::string& mailbox) {
  Written w = from_event(event);
  json::object m = std::move(w.master);
  const std::string id = "accordcheck";  // stands for the id Graph would give
  m["id"] = id;
  const json::object* start = obj(m, "start");
  const std::string sent_zone = start ? str(*start, "timeZone") : "UTC";
  const bool all_day = m.contains("isAllDay") && m.at("isAllDay").is_bool() && m.at("isAllDay").get_bool();
  m["originalStartTimeZone"] = sent_zone;
  const bool invited = write_attendees && !w.attendees.empty();
  auto attendees = [](const json::array& as) {  // as Graph holds them: no response yet
    json::array out;
    for (const auto& a : as) {
      json::object x = a.get_object();
      x["status"] = json::object{{"response", "none"}};
      out.push_back(std::move(x));
    }
    return out;
  };
  if (invited) m["attendees"] = attendees(w.attendees);
  if (!mailbox.empty()) {
    // Graph names the organizer with the mailbox's display name, which a
    // check may not ask for: the record's own name for the mailbox stands for it
    json::object ea{{"address", mailbox}};
    if (const json::object* ps = obj(event, "participants"))
      for (const auto& [k, v] : *ps)
        if (const json::object* p = v.if_object(); p && accord::ascii_lower(address_of(*p)) == accord::ascii_lower(mailbox))
          if (std::string n = str(*p, "name"); !n.empty()) ea["name"] = n;
    m["organizer"] = json::object{{"emailAddress", std::move(ea)}};
  }
  json::array cancelled;
  for (const std::string& rid : w.excluded) cancelled.push_back(json::value("OID." + id + "." + rid.substr(0, 10)));
  if (!cancelled.empty()) m["cancelledOccurrences"] = std::move(cancelled);
  Series s;
  const int64_t dur = [&] {
    const json::object* e = obj(m, "end");
    auto a = start ? wall(str(*start, "dateTime")) : std::nullopt;
    auto b = e ? wall(str(*e, "dateTime")) : std::nullopt;
    return a && b ? *b - *a : 0;
  }();
  for (const Written::Change& c : w.changed) {
    auto rid = wall(c.recurrence_id);
    if (!rid) continue;
    json::object x = m;  // the occurrence as the series makes it, then its change
    for (const char* k : {"recurrence", "cancelledOccurrences", "originalStartTimeZone"}) x.erase(k);
    x["id"] = id + "_" + c.recurrence_id;
    x["type"] = "exception";
    x["seriesMasterId"] = id;
    x["start"] = json::object{{"dateTime", local_text(*rid)}, {"timeZone", sent_zone}};
    x["end"] = json::object{{"dateTime", local_text(*rid + dur)}, {"timeZone", sent_zone}};
    int64_t original = all_day ? *rid : local_to_utc(*rid, sent_zone == "UTC" ? "Etc/UTC" : iana(sent_zone));
    x["originalStart"] = accord::utc::format(original, accord::utc::Form::kTimestamp);
    for (const auto& [k, v] : c.patch) x[k] = v;
    if (write_attendees && c.attendees) x["attendees"] = attendees(*c.attendees);
    s.exceptions.push_back(std::move(x));
  }
  s.master = std::move(m);
  return to_event(s);
}

const std::vector<std::string>& fields() {
  static const std::vector<std::string> f = {"/title",      "/description",     "/locations/*/name", "/start",
                                             "/timeZone",   "/duration",        "/showWithoutTime",  "/privacy",
                                             "/keywords",   "/recurrenceRules", "/recurrenceOverrides",
                                             "/participants/*/name", "/participants/*/email", "/participants/*/sendTo",
                                             "/participants/*/roles", "/participants/*/participationStatus",
                                             "/participants/*/kind", "/alerts/*/trigger", "/alerts/*/action"};
  return f;
}

}  // namespace outlook::events
