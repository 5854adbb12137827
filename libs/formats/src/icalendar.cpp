// SPDX-License-Identifier: Apache-2.0
#include <accord/formats/icalendar.hpp>

#include <accord/formats/line_merge.hpp>
#include <accord/formats/text_codec.hpp>
#include <accord/formats/windows_zones.hpp>
#include <accord/time/iso_duration.hpp>
#include <accord/time/utc_time.hpp>

#include "content_lines.hpp"

#include <boost/json.hpp>
#include <libical/ical.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>

namespace json = boost::json;
using accord::formats::codec::lower;
using accord::formats::codec::upper;

namespace accord::formats::icalendar {

namespace {
// What an empty text value (DESCRIPTION:) is written as through libical,
// which drops a property without a value; taken out of the text after.
constexpr std::string_view kEmptyValue = "X-ACCORD-EMPTY-VALUE-3F1D";

// A text as libical is given it: lines it cannot read, and lines named as a
// carrier, go through as carriers (kVerbatim); and the text with the carriers
// libical wrote back as the lines they hold.
std::string with_carriers(const std::string& text);
std::string without_carriers(const std::string& text);
}  // namespace

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

std::string str(const json::object& o, const char* k) {
  auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->get_string()) : "";
}

json::object& obj_at(json::object& o, const char* k) {
  json::value& v = o[k];
  if (!v.is_object()) v = json::object();
  return v.as_object();
}

json::array& arr_at(json::object& o, const char* k) {
  json::value& v = o[k];
  if (!v.is_array()) v = json::array();
  return v.as_array();
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

// ---- time zones --------------------------------------------------------------

// The zones of one calendar: a TZID as written (IANA, a Windows name, a
// libical-prefixed id, or a name only the file's VTIMEZONE defines) resolved
// to the JSCalendar timeZone (IANA where known) and a zone for instants.
class Zones {
 public:
  explicit Zones(icalcomponent* cal) : cal_(cal) {}
  Zones(const Zones&) = delete;
  Zones& operator=(const Zones&) = delete;
  ~Zones() {
    for (icaltimezone* z : owned_) icaltimezone_free(z, 1);
  }

  struct Resolved {
    std::string name;        // the JSCalendar timeZone
    icaltimezone* zone = nullptr;
  };

  // Reading: the timeZone for a TZID; non-IANA TZIDs are recorded (with the
  // file's VTIMEZONE) in `kept` so that a rewrite names them as before.
  Resolved from_tzid(const std::string& tzid_in, json::object* kept) {
    std::string tzid = tzid_in;
    icaltimezone* in_file = cal_ ? icalcomponent_get_timezone(cal_, tzid.c_str()) : nullptr;
    std::string bare = tzid;
    if (bare.starts_with("/")) bare = bare.substr(bare.find('/', 1) == std::string::npos ? 1 : bare.find('/', 1) + 1);
    if (bare.starts_with("freeassociation.sourceforge.net/")) bare = bare.substr(32);
    if (icaltimezone* b = icaltimezone_get_builtin_timezone(bare.c_str())) {
      if (bare != tzid && kept) remember(*kept, bare, tzid, in_file);
      return {bare, b};
    }
    if (auto iana = zones::iana_from_windows(tzid)) {
      if (kept) remember(*kept, *iana, tzid, in_file);
      icaltimezone* b = icaltimezone_get_builtin_timezone(iana->c_str());
      return {*iana, b ? b : in_file};
    }
    if (kept) remember(*kept, tzid, tzid, in_file);
    return {tzid, in_file};
  }

  // Writing: the zone for a JSCalendar timeZone, from the kept VTIMEZONE when
  // the record came with one, else libical's built-in data.
  icaltimezone* for_name(const std::string& name, const json::object& kept) {
    if (name.empty()) return nullptr;
    if (name == "Etc/UTC" || name == "UTC") return icaltimezone_get_utc_timezone();
    if (auto* k = kept.if_contains(name); k && k->is_object())
      if (auto text = str(k->get_object(), "vtimezone"); !text.empty()) {
        if (auto it = parsed_.find(name); it != parsed_.end()) return it->second;
        CompPtr comp(icalparser_parse_string(with_carriers(text).c_str()));
        if (comp && icalcomponent_isa(comp.get()) == ICAL_VTIMEZONE_COMPONENT) {
          icaltimezone* z = icaltimezone_new();
          if (icaltimezone_set_component(z, comp.get())) {
            comp.release();  // the zone owns it now
            owned_.push_back(z);
            parsed_[name] = z;
            return z;
          }
          icaltimezone_free(z, 1);
        }
      }
    return icaltimezone_get_builtin_timezone(name.c_str());
  }

 private:
  static void remember(json::object& kept, const std::string& name, const std::string& tzid, icaltimezone* in_file) {
    json::object e{{"tzid", tzid}};
    if (in_file)
      if (icalcomponent* c = icaltimezone_get_component(in_file)) e["vtimezone"] = without_carriers(take(icalcomponent_as_ical_string_r(c)));
    kept[name] = std::move(e);
  }
  icalcomponent* cal_;
  std::vector<icaltimezone*> owned_;
  std::map<std::string, icaltimezone*> parsed_;
};

// Instants of local times in a zone (a floating time counts as UTC: only
// differences and round trips are taken of it).
int64_t instant(const std::string& local, icaltimezone* z) {
  if (!z) return seconds_of(local);
  icaltimetype t = icaltime_from_string(ical_from_local(local, false, false).c_str());
  return static_cast<int64_t>(icaltime_as_timet_with_zone(t, z));
}
std::string local_in(int64_t secs, icaltimezone* z) {
  if (!z) return local_from_seconds(secs);
  icaltimetype t = icaltime_from_timet_with_zone(static_cast<time_t>(secs), 0, z);
  char b[32];
  std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d", t.year, t.month, t.day, t.hour, t.minute, t.second);
  return b;
}

// ---- properties as jCal (iCalProps) ----------------------------------------

// libical's text of a property as one logical line.
std::string unfolded(const std::string& s) {
  std::string u;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' || s[i] == '\n') {
      size_t j = i;
      while (j < s.size() && (s[j] == '\r' || s[j] == '\n')) ++j;
      if (j < s.size() && (s[j] == ' ' || s[j] == '\t')) i = j;  // a fold: drop it and its space
      else i = j - 1;
      continue;
    }
    u += s[i];
  }
  return u;
}


std::string value_of(icalproperty* p) {
  icalvalue* val = icalproperty_get_value(p);
  if (val && icalvalue_isa(val) == ICAL_TEXT_VALUE) {
    const char* t = icalvalue_get_text(val);
    return t ? t : "";
  }
  const char* v = icalproperty_get_value_as_string(p);
  return v ? v : "";
}

// ---- lines libical cannot read ---------------------------------------------

// A content line of a component that libical 3.0 cannot read (RFC 9253's
// LINK, RELATED-TO;VALUE=UID, RFC 9073's properties, an RDATE;VALUE=TIME) or
// reads without some of its parameters (RELATED-TO's GAP) goes through libical
// as this X- property, its value the line's bytes in hex (libical unescapes
// an X- value), and comes out of the writer as the line it was.
constexpr std::string_view kVerbatim = "X-ACCORD-VERBATIM";

std::string verbatim_carrier(const std::string& line) {
  static const char* hex = "0123456789ABCDEF";
  std::string out = std::string(kVerbatim) + ":";
  for (unsigned char c : line) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

std::string from_hex(std::string_view h) {
  auto digit = [](char c) { return c <= '9' ? c - '0' : c - 'A' + 10; };
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out += static_cast<char>(digit(h[i]) * 16 + digit(h[i + 1]));
  return out;
}

std::string fold_lines(const std::vector<std::string>& logical);

std::string without_carriers(const std::string& text) {
  std::string out;
  size_t copied = 0;
  for (const auto& l : lines::content_lines(text, false)) {
    if (!l.logical.starts_with(kVerbatim) || l.logical.size() <= kVerbatim.size() || l.logical[kVerbatim.size()] != ':')
      continue;
    out += text.substr(copied, l.begin - copied) + fold_lines({from_hex(std::string_view(l.logical).substr(kVerbatim.size() + 1))});
    copied = l.end;
  }
  return copied == 0 ? text : out + text.substr(copied);
}

// Whether a line is named as a carrier (names are case-insensitive). Such a
// line a file holds already (a received invitation may) is never given to
// libical as it stands: it goes through as a carrier of its own bytes, so that
// the writer decodes only carriers the reader or the writer made.
bool carrier_named(const std::string& logical) { return lines::name_of(logical) == kVerbatim; }

// The line a carrier holds; "" for any other property.
std::string verbatim_of(icalproperty* p) {
  const char* n = icalproperty_get_property_name(p);
  if (!n || kVerbatim != n) return "";
  const char* v = icalproperty_get_value_as_string(p);
  return from_hex(v ? v : "");
}

// Whether libical reads the logical line `line` whole: as a property, with
// as many parameters as it has (libical drops those it does not know).
bool libical_reads(const std::string& line) {
  if (carrier_named(line)) return false;
  icalproperty* p = icalproperty_new_from_string(line.c_str());
  if (!p) return false;
  size_t n = 0;
  for (icalparameter* par = icalproperty_get_first_parameter(p, ICAL_ANY_PARAMETER); par;
       par = icalproperty_get_next_parameter(p, ICAL_ANY_PARAMETER))
    ++n;
  icalproperty_free(p);
  return n >= lines::params_of(line).size();
}

// A property for a content line: libical's, or a carrier of the line.
icalproperty* property_of(const std::string& line) {
  if (libical_reads(line)) return icalproperty_new_from_string(line.c_str());
  return icalproperty_new_from_string(verbatim_carrier(line).c_str());
}

// A comma inside one value of a list property on its way through libical
// (U+E000, private use; see one_line_lists()).
constexpr const char* kListComma = "\xEE\x80\x80";

std::string escape_text(std::string_view s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '\\': o += "\\\\"; break;
      case ';': o += "\\;"; break;
      case ',': o += "\\,"; break;
      case '\n': o += "\\n"; break;
      case '\r': break;
      default: o += c;
    }
  }
  return o;
}

// The parameters of a property, names lower-cased (jCal), values unquoted.
json::object params_of(icalproperty* p, const std::set<std::string>& skip = {}) {
  json::object out;
  for (icalparameter* par = icalproperty_get_first_parameter(p, ICAL_ANY_PARAMETER); par;
       par = icalproperty_get_next_parameter(p, ICAL_ANY_PARAMETER)) {
    std::string s = take(icalparameter_as_ical_string_r(par));
    size_t eq = s.find('=');
    if (eq == std::string::npos) continue;
    std::string k = lower(s.substr(0, eq));
    if (skip.contains(k)) continue;
    out[k] = lines::unquoted(s.substr(eq + 1));
  }
  return out;
}

// An iCalendar value type (RFC 5545 §3.3) other than TEXT.
bool is_value_type(const std::string& type) {
  static const std::set<std::string> real = {"binary", "boolean", "cal-address", "date", "date-time", "duration",
                                             "float", "integer", "period", "recur", "time", "uri", "utc-offset"};
  return real.contains(type);
}

// A property as a jCal array: [name, {params}, type, value] (RFC 7265; the
// conversion draft's iCalProps). Multiple values stay one string.
json::array to_jcal(icalproperty* p) {
  if (std::string line = verbatim_of(p); !line.empty()) {
    // as written: type unknown (RFC 7265 §5), the parameters (VALUE among
    // them) in their order, the value as it stands in the line
    json::object prm;
    for (const auto& par : lines::params_of(line)) {
      size_t eq = par.find('=');
      prm[lower(par.substr(0, eq))] = eq == std::string::npos ? "" : lines::unquoted(par.substr(eq + 1));
    }
    return json::array{lower(line.substr(0, line.find_first_of(";:"))), std::move(prm), "unknown", lines::value_of(line)};
  }
  const char* n = icalproperty_get_property_name(p);
  icalvalue* val = icalproperty_get_value(p);
  std::string type = val ? lower(icalvalue_kind_to_string(icalvalue_isa(val))) : "unknown";
  // libical's kind of an ATTACH or IMAGE value is "attach", a URI or BINARY:
  // binary, where the VALUE parameter says so (a URI, their default, stays so)
  if (type == "attach")
    if (icalparameter* vp = icalproperty_get_first_parameter(p, ICAL_VALUE_PARAMETER))
      if (icalparameter_get_value(vp) == ICAL_VALUE_BINARY) type = "binary";
  if (type.empty() || type == "x" || type == "none") type = "unknown";
  // VALUE is the jCal type, not a parameter
  return json::array{lower(n ? n : ""), params_of(p, {"value"}), type, value_of(p)};
}

// A property as one logical line: a carrier's line as it was, else libical's text.
std::string line_of(icalproperty* p) {
  if (std::string line = verbatim_of(p); !line.empty()) return line;
  return unfolded(take(icalproperty_as_ical_string_r(p)));
}

// The VALUE parameter a jCal property needs: its type where that is an
// iCalendar value type other than the property's default (RDATE;VALUE=PERIOD).
std::string value_param(const std::string& name, const std::string& type) {
  icalproperty_kind pk = icalproperty_string_to_kind(upper(name).c_str());
  // an X- property has no default type: libical reads it as TEXT only where
  // the line said so (X-WR-CALNAME;VALUE=TEXT), and so it is written back
  if (type == "text") return pk == ICAL_X_PROPERTY ? ";VALUE=TEXT" : "";
  if (!is_value_type(type)) return "";
  icalvalue_kind def = pk == ICAL_NO_PROPERTY ? ICAL_NO_VALUE : icalproperty_kind_to_value_kind(pk);
  icalvalue_kind vk = icalvalue_string_to_kind(upper(type).c_str());
  if (vk == ICAL_NO_VALUE || vk == def) return "";
  return ";VALUE=" + upper(type);
}

std::string param_text(const std::string& k, const json::value& v) {
  std::string val = v.is_string() ? std::string(v.get_string()) : json::serialize(v);
  bool quote = val.find_first_of(",;:") != std::string::npos && !val.starts_with("\"");
  return ";" + upper(k) + "=" + (quote ? "\"" + val + "\"" : val);
}

std::string params_text(const json::object& params) {
  std::string out;
  for (const auto& [k, v] : params) out += param_text(std::string(k), v);
  return out;
}

// The content line of a jCal property.
std::string jcal_line(const json::array& a) {
  if (a.size() < 4 || !a[0].is_string()) return "";
  std::string line = upper(std::string(a[0].get_string()));
  std::string type = a[2].is_string() ? std::string(a[2].get_string()) : "unknown";
  line += value_param(line, type);
  if (a[1].is_object()) line += params_text(a[1].get_object());
  std::string v = a[3].is_string() ? std::string(a[3].get_string()) : json::serialize(a[3]);
  line += ":" + (type == "text" ? escape_text(v) : v);
  return line;
}

void add(icalcomponent* c, icalproperty* p) {
  if (p) icalcomponent_add_property(c, p);
}
void add_line(icalcomponent* c, const std::string& line) {
  if (!line.empty()) add(c, property_of(line));
}

// ---- RRULE ------------------------------------------------------------------

struct ZoneCtx {
  icaltimezone* zone = nullptr;  // the start's zone (null: floating)
  bool utc_zone = false;
  bool date_only = false;
};

json::array rrule_to_json(const std::string& v, const ZoneCtx& z) {
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
    else if (k == "UNTIL") {
      // RFC 8984: until is a local time in the start's zone. A UTC UNTIL
      // (what RFC 5545 requires beside a TZID'd DTSTART) is converted to it.
      DateTime d = date_time(val);
      r["until"] = d.utc && z.zone && !z.utc_zone ? local_in(seconds_of(d.local), z.zone) : d.local;
    } else if (k == "WKST") r["firstDayOfWeek"] = lower(val);
    else if (k == "BYMONTHDAY") r["byMonthDay"] = list(true);
    else if (k == "BYYEARDAY") r["byYearDay"] = list(true);
    else if (k == "BYWEEKNO") r["byWeekNo"] = list(true);
    else if (k == "BYHOUR") r["byHour"] = list(true);
    else if (k == "BYMINUTE") r["byMinute"] = list(true);
    else if (k == "BYSECOND") r["bySecond"] = list(true);
    else if (k == "BYSETPOS") r["bySetPosition"] = list(true);
    else if (k == "BYMONTH") r["byMonth"] = list(false);
    else if (k == "RSCALE") r["rscale"] = lower(val);
    else if (k == "SKIP") r["skip"] = lower(val);
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

std::string rrule_from_json(const json::object& r, const ZoneCtx& z) {
  auto s = [&](const char* k) { return str(r, k); };
  std::string out = "FREQ=" + upper(s("frequency"));
  if (r.contains("interval")) out += ";INTERVAL=" + json::serialize(r.at("interval"));
  if (r.contains("count")) out += ";COUNT=" + json::serialize(r.at("count"));
  if (!s("until").empty()) {
    if (z.date_only) out += ";UNTIL=" + ical_from_local(s("until"), true, false);
    else if (z.zone)  // RFC 5545: UNTIL in UTC when DTSTART has a zone
      out += ";UNTIL=" + ical_from_local(local_from_seconds(instant(s("until"), z.zone)), false, true);
    else out += ";UNTIL=" + ical_from_local(s("until"), false, false);
  }
  if (!s("firstDayOfWeek").empty()) out += ";WKST=" + upper(s("firstDayOfWeek"));
  if (!s("rscale").empty()) out += ";RSCALE=" + upper(s("rscale"));
  if (!s("skip").empty()) out += ";SKIP=" + upper(s("skip"));
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
      out += upper(str(o, "day"));
      first = false;
    }
  }
  ints("byMonthDay", "BYMONTHDAY");
  ints("byYearDay", "BYYEARDAY");
  ints("byWeekNo", "BYWEEKNO");
  ints("byMonth", "BYMONTH");
  ints("byHour", "BYHOUR");
  ints("byMinute", "BYMINUTE");
  ints("bySecond", "BYSECOND");
  ints("bySetPosition", "BYSETPOS");
  return out;
}

// ---- reading ----------------------------------------------------------------

// Participants: ORGANIZER (role owner) and ATTENDEE, RFC 8984 §4.4.6.
json::object participant_of(icalproperty* p, bool organizer) {
  static const std::set<std::string> mapped = {"cn", "role", "partstat", "rsvp", "cutype"};
  json::object part{{"@type", "Participant"}};
  std::string addr = value_of(p);
  if (auto cn = take(icalproperty_get_parameter_as_string_r(p, "CN")); !cn.empty()) part["name"] = cn;
  if (lower(addr).starts_with("mailto:")) part["email"] = addr.substr(7);
  part["sendTo"] = json::object{{lower(addr).starts_with("mailto:") ? "imip" : "other", addr}};
  json::object roles;
  if (organizer) {
    roles["owner"] = true;
  } else {
    std::string role = upper(take(icalproperty_get_parameter_as_string_r(p, "ROLE")));
    if (role == "CHAIR") roles["chair"] = true, roles["attendee"] = true;
    else if (role == "OPT-PARTICIPANT") roles["optional"] = true, roles["attendee"] = true;
    else if (role == "NON-PARTICIPANT") roles["informational"] = true;
    else if (role.empty() || role == "REQ-PARTICIPANT") roles["attendee"] = true;
    else roles[lower(role)] = true;
    if (auto ps = take(icalproperty_get_parameter_as_string_r(p, "PARTSTAT")); !ps.empty())
      part["participationStatus"] = lower(ps);
    if (upper(take(icalproperty_get_parameter_as_string_r(p, "RSVP"))) == "TRUE") part["expectReply"] = true;
  }
  part["roles"] = std::move(roles);
  if (auto cu = take(icalproperty_get_parameter_as_string_r(p, "CUTYPE")); !cu.empty())
    part["kind"] = lower(cu) == "room" ? "location" : lower(cu);
  json::object rest = params_of(p, mapped);
  if (!rest.empty()) part["iCalParams"] = std::move(rest);
  return part;
}

struct Reader {
  Zones& zones;
  json::object& kept_zones;  // iCalTimeZones
};

// Converts one VEVENT/VTODO into `o` (fields of that component only).
// `master_zone` is the master's start zone (overrides' keys are read in it).
void convert(Reader& rd, icalcomponent* c, json::object& o, std::string& idem, const ZoneCtx* master_zone,
             std::vector<std::string>* unknown) {
  bool is_task = icalcomponent_isa(c) == ICAL_VTODO_COMPONENT;
  std::string start_local, end_local;
  Zones::Resolved start_zone, end_zone;
  bool have_end = false;
  int64_t explicit_duration = -1;
  bool date_only = false, due_date_only = false;
  json::object participants, alerts;
  std::vector<icalproperty*> rdates, exdates;
  json::array ical_props;
  // added and excluded dates are keys in the start's zone: without a start
  // (RFC 5545's own RDATE examples) they are kept as they were
  const bool has_start = icalcomponent_get_first_property(c, ICAL_DTSTART_PROPERTY) != nullptr;
  std::set<std::string> seen_once;
  auto zone_of = [&](icalproperty* p, const DateTime& d) -> Zones::Resolved {
    std::string tz = param(p, ICAL_TZID_PARAMETER);
    if (!tz.empty()) return rd.zones.from_tzid(tz, &rd.kept_zones);
    if (d.utc) return {"Etc/UTC", icaltimezone_get_utc_timezone()};
    return {};
  };
  for (icalproperty* p = icalcomponent_get_first_property(c, ICAL_ANY_PROPERTY); p;
       p = icalcomponent_get_next_property(c, ICAL_ANY_PROPERTY)) {
    const char* n = icalproperty_get_property_name(p);
    std::string name = n ? n : "";
    std::string v = value_of(p);
    // a property RFC 5545 allows once, there again (two DTSTARTs): the first
    // makes the field, the others are kept as they are
    static const std::set<std::string> once = {
        "UID",     "SUMMARY",  "DESCRIPTION", "LOCATION", "GEO",           "DTSTART", "DTEND",    "DUE",
        "DURATION", "STATUS",  "CLASS",       "TRANSP",   "LAST-MODIFIED", "CREATED", "SEQUENCE", "PRIORITY",
        "PERCENT-COMPLETE"};
    if (once.contains(name) && !seen_once.insert(name).second) {
      ical_props.push_back(to_jcal(p));
      if (unknown) unknown->push_back(line_of(p));
      continue;
    }
    if (name == "SUMMARY" || name == "DESCRIPTION" || name == "LOCATION") {
      // their parameters (LANGUAGE, ALTREP…), by property; SUMMARY's
      // LANGUAGE is the record's locale (RFC 8984)
      json::object prm = params_of(p);
      if (!prm.empty()) obj_at(o, "iCalParams")[lower(name)] = prm;
      if (name == "SUMMARY")
        if (auto* lang = prm.if_contains("language"); lang && lang->is_string()) o["locale"] = *lang;
    }
    if (name == "UID") o["uid"] = v;
    else if (name == "SUMMARY") o["title"] = v;
    else if (name == "DESCRIPTION") o["description"] = v;
    else if (name == "LOCATION") obj_at(obj_at(o, "locations"), "l1")["name"] = v;
    else if (name == "GEO") {
      // libical prints floats with six decimals: 52.520000 → 52.52
      std::string g;
      for (std::string part : {v.substr(0, v.find(';')), v.find(';') == std::string::npos ? "" : v.substr(v.find(';') + 1)}) {
        if (part.find('.') != std::string::npos)
          while (part.size() > 1 && part.back() == '0' && part[part.size() - 2] != '.') part.pop_back();
        g += (g.empty() ? "" : ",") + part;
      }
      obj_at(obj_at(o, "locations"), "l1")["coordinates"] = "geo:" + g;
    } else if (name == "DTSTART") {
      DateTime d = date_time(v);
      start_local = d.local;
      date_only = d.date_only;
      start_zone = zone_of(p, d);
    } else if (name == "DTEND") {
      DateTime d = date_time(v);
      end_local = d.local;
      end_zone = zone_of(p, d);
      have_end = true;
    } else if (name == "DUE") {
      DateTime d = date_time(v);
      o["due"] = d.local;
      due_date_only = d.date_only;
      if (start_zone.name.empty()) start_zone = zone_of(p, d);
    } else if (name == "DURATION") {
      explicit_duration = accord::duration::parse(v).value_or(0);
    } else if (name == "STATUS") {
      std::string s = lower(v);
      if (is_task) o["progress"] = s;
      else o["status"] = s;
    } else if (name == "CLASS") {
      std::string s = lower(v);
      o["privacy"] = s == "confidential" ? "secret" : s;
    } else if (name == "TRANSP") {
      o["freeBusyStatus"] = upper(v) == "TRANSPARENT" ? "free" : "busy";
    } else if (name == "CATEGORIES") {
      // libical gives one property a value, unescaped: a comma left in it
      // belongs to the category ("Meeting\, John")
      if (!v.empty()) obj_at(o, "keywords")[v] = true;
    } else if (name == "RRULE") {
      // zones are known once DTSTART is read: converted after the loop
      arr_at(o, "recurrenceRules").push_back(json::value(v));
    } else if (name == "EXDATE" && has_start) {
      exdates.push_back(p);
    } else if (name == "RDATE" && has_start && v.find('/') == std::string::npos) {
      rdates.push_back(p);
    } else if (name == "ORGANIZER" || name == "ATTENDEE") {
      participants["p" + std::to_string(participants.size() + 1)] = participant_of(p, name == "ORGANIZER");
    } else if (name == "URL") {
      json::object& links = obj_at(o, "links");
      std::string id = "k" + std::to_string(links.size() + 1);
      links[id] = json::object{{"@type", "Link"}, {"href", v}};
    } else if (name == "LAST-MODIFIED") {
      o["updated"] = date_time(v).local + "Z";
    } else if (name == "CREATED") {
      o["created"] = date_time(v).local + "Z";
    } else if (name == "SEQUENCE") {
      o["sequence"] = std::stoll(v.empty() ? "0" : v);
    } else if (name == "PRIORITY") {
      o["priority"] = std::stoll(v.empty() ? "0" : v);
    } else if (name == "PERCENT-COMPLETE") {
      o["percentComplete"] = std::stoll(v.empty() ? "0" : v);
    } else if (name == "X-ACCORD-ID") {
      idem = v;
    } else if (name == "RECURRENCE-ID") {
      // an override's key; on the record itself, an instance whose series the
      // file does not hold: kept as it was (it stays that instance). One with
      // RANGE=THISANDFUTURE (RFC 5545 §3.2.13: this and every later instance)
      // is kept as it was too, its override's key aside: a patch is one instance
      if (!master_zone || icalproperty_get_first_parameter(p, ICAL_RANGE_PARAMETER)) {
        ical_props.push_back(to_jcal(p));
        if (unknown) unknown->push_back(line_of(p));
      }
    } else if (name == "DTSTAMP") {
      // when this copy of the file was made: written anew (from updated)
    } else if (name == "X-LIC-ERROR") {
      // libical's note where it dropped a line, never the user's: a text
      // property with an empty value (Google's DESCRIPTION: and LOCATION:)
      // is read as the empty text it is, so a rewrite keeps the line
      static const std::string kNoValue = "No value for ";
      if (v.starts_with(kNoValue)) {
        std::string dropped = v.substr(kNoValue.size(), v.find(' ', kNoValue.size()) - kNoValue.size());
        if (dropped == "DESCRIPTION") o["description"] = "";
        else if (dropped == "SUMMARY") o["title"] = "";
        else if (dropped == "LOCATION") obj_at(obj_at(o, "locations"), "l1")["name"] = "";
      }
    } else {
      // DTSTAMP, COMPLETED, COMMENT, CONTACT, RESOURCES, ATTACH, RDATE
      // periods, X- and unknown properties: as jCal, written back as they were
      ical_props.push_back(to_jcal(p));
      if (unknown) unknown->push_back(line_of(p));
    }
  }
  ZoneCtx zc;
  zc.zone = start_zone.zone;
  zc.utc_zone = start_zone.name == "Etc/UTC";
  zc.date_only = date_only;
  if (!start_local.empty()) {
    o["start"] = start_local;
    if (date_only) o["showWithoutTime"] = true;
    int64_t dur = explicit_duration;
    if (dur < 0 && have_end) {
      // each end in its own zone: the duration is the difference of instants
      dur = date_only ? seconds_of(end_local) - seconds_of(start_local)
                      : instant(end_local, end_zone.zone) - instant(start_local, start_zone.zone);
      if (!date_only && end_zone.name != start_zone.name && !end_zone.name.empty())
        obj_at(o, "locations")["end"] =
            json::object{{"@type", "Location"}, {"relativeTo", "end"}, {"timeZone", end_zone.name}};
    }
    if (dur >= 0 && !is_task) o["duration"] = accord::duration::format(dur);
  } else if (explicit_duration >= 0 && is_task) {
    o["estimatedDuration"] = accord::duration::format(explicit_duration);
  }
  if (is_task && due_date_only && (start_local.empty() || date_only)) o["showWithoutTime"] = true;
  if (!start_zone.name.empty()) o["timeZone"] = start_zone.name;
  if (auto* rr = o.if_contains("recurrenceRules"); rr && rr->is_array()) {
    json::array rules;
    for (const auto& r : rr->get_array())
      if (r.is_string()) rules.push_back(rrule_to_json(std::string(r.get_string()), zc)[0]);
    o["recurrenceRules"] = std::move(rules);
  }
  // EXDATE/RDATE values as keys in the master's zone
  const ZoneCtx& key_zone = master_zone ? *master_zone : zc;
  auto key_of = [&](icalproperty* p, const std::string& d) {
    DateTime dt = date_time(d);
    if (dt.date_only || key_zone.date_only) return dt.local.substr(0, 10) + "T00:00:00";
    std::string tz = param(p, ICAL_TZID_PARAMETER);
    icaltimezone* from = dt.utc ? icaltimezone_get_utc_timezone()
                                : tz.empty() ? nullptr : rd.zones.from_tzid(tz, nullptr).zone;
    if (from == key_zone.zone || !from || !key_zone.zone) return dt.local;
    return local_in(instant(dt.local, from), key_zone.zone);
  };
  auto each_value = [](const std::string& v, auto&& f) {
    size_t pos = 0;
    while (pos <= v.size()) {
      size_t comma = v.find(',', pos);
      std::string d = v.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      if (!d.empty()) f(d);
      pos = comma == std::string::npos ? v.size() + 1 : comma + 1;
    }
  };
  for (icalproperty* p : rdates)
    each_value(value_of(p), [&](const std::string& d) { obj_at(o, "recurrenceOverrides")[key_of(p, d)] = json::object(); });
  for (icalproperty* p : exdates)
    each_value(value_of(p), [&](const std::string& d) {
      obj_at(o, "recurrenceOverrides")[key_of(p, d)] = json::object{{"excluded", true}};
    });
  if (!participants.empty()) o["participants"] = std::move(participants);
  if (!ical_props.empty()) o["iCalProps"] = std::move(ical_props);
  int n = 0;
  for (icalcomponent* a = icalcomponent_get_first_component(c, ICAL_VALARM_COMPONENT); a;
       a = icalcomponent_get_next_component(c, ICAL_VALARM_COMPONENT)) {
    json::object alert{{"@type", "Alert"}};
    json::array rest;
    std::string action = "display";
    for (icalproperty* p = icalcomponent_get_first_property(a, ICAL_ANY_PROPERTY); p;
         p = icalcomponent_get_next_property(a, ICAL_ANY_PROPERTY)) {
      const char* pn = icalproperty_get_property_name(p);
      std::string name = pn ? pn : "";
      std::string tv = value_of(p);
      if (name == "TRIGGER") {
        if (tv.starts_with("P") || tv.starts_with("-P") || tv.starts_with("+P")) {
          json::object t{{"@type", "OffsetTrigger"}, {"offset", tv.starts_with("+") ? tv.substr(1) : tv}};
          icalparameter* rel = icalproperty_get_first_parameter(p, ICAL_RELATED_PARAMETER);
          if (rel && icalparameter_get_related(rel) == ICAL_RELATED_END) t["relativeTo"] = "end";
          alert["trigger"] = std::move(t);
        } else {
          alert["trigger"] = json::object{{"@type", "AbsoluteTrigger"}, {"when", date_time(tv).local + "Z"}};
        }
      } else if (name == "ACTION" && (upper(tv) == "DISPLAY" || upper(tv) == "EMAIL")) {
        action = lower(tv);
      } else {
        // DESCRIPTION, SUMMARY, ATTENDEE, REPEAT, DURATION, ATTACH, an AUDIO
        // or PROCEDURE action, X- properties: kept as they are
        rest.push_back(to_jcal(p));
      }
    }
    alert["action"] = action;
    // always, even empty: an alarm read from a file is written back as it
    // was, without the DESCRIPTION a new one gets (Nextcloud writes none)
    alert["iCalProps"] = std::move(rest);
    alerts["a" + std::to_string(++n)] = std::move(alert);
  }
  if (!alerts.empty()) o["alerts"] = std::move(alerts);
}

// Keys an override never carries (they belong to the master or the file).
bool master_only(std::string_view k) {
  return k == "uid" || k == "@type" || k == "recurrenceRules" || k == "recurrenceOverrides" || k == "iCalTimeZones" ||
         k == "iCalCalendarProps";
}

}  // namespace

namespace {
// Mozilla Calendar (2002) wrote a blank line before each folded part
// ("UID\r\n\r\n :956630271"); libical reads the line as ended there. Such
// blank lines are taken out before it reads (content_lines() already reads
// across them, so a rewrite keeps their bytes).
std::string without_blank_lines_in_folds(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    std::string_view l = text.substr(pos, end - pos);
    pos = end;
    if (l == "\n" || l == "\r\n") {
      size_t next = pos;
      while (next < text.size() && (text[next] == '\r' || text[next] == '\n')) ++next;
      if (next < text.size() && next > pos - l.size() && (text[next] == ' ' || text[next] == '\t') && !out.empty()) {
        pos = next;  // the blank lines go; the fold follows the line before them
        continue;
      }
    }
    out += l;
  }
  return out;
}

// The properties convert() turns into fields: one libical reads without some
// parameter is still read by libical (the field matters more).
bool converted(const std::string& name) {
  static const std::set<std::string> names = {
      "UID",      "SUMMARY",  "DESCRIPTION", "LOCATION", "GEO",      "DTSTART",       "DTEND",         "DUE",
      "DURATION", "STATUS",   "CLASS",       "TRANSP",   "CATEGORIES", "RRULE",       "EXDATE",        "RDATE",
      "ORGANIZER", "ATTENDEE", "URL",        "LAST-MODIFIED", "CREATED", "SEQUENCE", "PRIORITY", "PERCENT-COMPLETE",
      "X-ACCORD-ID", "RECURRENCE-ID", "DTSTAMP", "TRIGGER", "ACTION"};
  return names.contains(name);
}

// The text libical is given: the lines of events, tasks, journal entries
// and alarms it cannot read whole as carriers (kVerbatim).
std::string with_carriers(const std::string& text) {
  auto ls = lines::content_lines(text, false);
  std::string out;
  std::vector<std::string> stack;
  size_t copied = 0;
  for (const auto& l : ls) {
    std::string name = lines::name_of(l.logical);
    if (name == "BEGIN") stack.push_back(upper(lines::value_of(l.logical)));
    else if (name == "END" && !stack.empty()) stack.pop_back();
    if (name == "BEGIN" || name == "END") continue;
    if (!carrier_named(l.logical)) {  // one is carried wherever it stands
      if (stack.empty()) continue;
      const std::string& in = stack.back();
      if (in != "VEVENT" && in != "VTODO" && in != "VJOURNAL" && in != "VALARM") continue;
      if (libical_reads(l.logical)) continue;
      if (icalproperty* p = icalproperty_new_from_string(l.logical.c_str())) {
        icalproperty_free(p);
        if (converted(name)) continue;  // read, some parameter aside
      }
    }
    out += text.substr(copied, l.begin - copied) + verbatim_carrier(l.logical) + "\r\n";
    copied = l.end;
  }
  return copied == 0 ? text : out + text.substr(copied);
}

// The calendar's own properties (METHOD, CALSCALE, X-WR-CALNAME, an RFC
// 7986 UID…): what the draft keeps in a Group's iCalProps, kept with the
// record (events, tasks and notes alike).
void keep_calendar_props(icalcomponent* cal, json::object& record) {
  json::array cal_props;
  for (icalproperty* p = icalcomponent_get_first_property(cal, ICAL_ANY_PROPERTY); p;
       p = icalcomponent_get_next_property(cal, ICAL_ANY_PROPERTY)) {
    icalproperty_kind k = icalproperty_isa(p);
    if (k != ICAL_VERSION_PROPERTY && k != ICAL_PRODID_PROPERTY) cal_props.push_back(to_jcal(p));
  }
  if (!cal_props.empty()) record["iCalCalendarProps"] = std::move(cal_props);
}

}  // namespace

Parsed parse(std::string_view text) {
  std::string s = with_carriers(without_blank_lines_in_folds(text));
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
  if (!master) {
    // a journal entry is a note
    if (icalcomponent* j = icalcomponent_get_first_component(cal, ICAL_VJOURNAL_COMPONENT)) {
      if (icalcomponent_get_next_component(cal, ICAL_VJOURNAL_COMPONENT))
        throw std::runtime_error("more than one journal entry in one file (one per file)");
      out.kind = Kind::kJournal;
      json::object& n = out.object;
      json::array cats, rest;
      std::string body;
      for (icalproperty* p = icalcomponent_get_first_property(j, ICAL_ANY_PROPERTY); p;
           p = icalcomponent_get_next_property(j, ICAL_ANY_PROPERTY)) {
        const char* pn = icalproperty_get_property_name(p);
        std::string name = pn ? pn : "", v = value_of(p);
        if (name == "UID") n["uid"] = v;
        else if (name == "SUMMARY") n["title"] = v;
        else if (name == "DESCRIPTION" && !n.contains("body")) n["body"] = v;
        else if (name == "CATEGORIES") cats.push_back(json::value(v));
        else if (name == "CREATED") n["created"] = date_time(v).local + "Z";
        else if (name == "LAST-MODIFIED") n["updated"] = date_time(v).local + "Z";
        else if (name == "X-ACCORD-ID") out.idempotency_key = v;
        else if (name != "DTSTAMP") {
          rest.push_back(to_jcal(p));
          out.unknown.push_back(line_of(p));
        }
      }
      if (!cats.empty()) n["categories"] = std::move(cats);
      if (!rest.empty()) n["iCalProps"] = std::move(rest);
      keep_calendar_props(cal, n);  // (a note's calendar lines were dropped before)
    }
    return out;  // else kOther: a calendar of free/busy, …
  }
  Zones zones(cal);
  json::object kept_zones;
  Reader rd{zones, kept_zones};
  out.object["@type"] = out.kind == Kind::kEvent ? "Event" : "Task";
  convert(rd, master, out.object, out.idempotency_key, nullptr, &out.unknown);
  ZoneCtx mz;
  mz.zone = out.object.contains("timeZone") ? zones.for_name(str(out.object, "timeZone"), kept_zones) : nullptr;
  mz.date_only = out.object.contains("showWithoutTime");
  for (icalcomponent* c : overrides) {
    icalproperty* rid = icalcomponent_get_first_property(c, ICAL_RECURRENCEID_PROPERTY);
    DateTime rd_time = date_time(value_of(rid));
    std::string key = rd_time.local;
    if (!rd_time.date_only && !mz.date_only) {
      std::string tz = param(rid, ICAL_TZID_PARAMETER);
      icaltimezone* from = rd_time.utc ? icaltimezone_get_utc_timezone() : tz.empty() ? nullptr : zones.from_tzid(tz, nullptr).zone;
      if (from && mz.zone && from != mz.zone) key = local_in(instant(key, from), mz.zone);
    }
    json::object inst;
    std::string ignored;
    convert(rd, c, inst, ignored, &mz, nullptr);
    // an override is a patch: what differs from the master, and null for
    // what the master has and the instance has not (RFC 5545: an overriding
    // component is the whole instance)
    json::object patch;
    for (const auto& [k, v] : inst) {
      if (master_only(k)) continue;
      const json::value* m = out.object.if_contains(k);
      if ((m && *m == v) || (k == "start" && v == json::value(key))) continue;
      patch[k] = v;
    }
    for (const auto& [k, v] : out.object) {
      (void)v;
      if (!master_only(k) && k != "start" && !inst.contains(k)) patch[k] = nullptr;
    }
    obj_at(out.object, "recurrenceOverrides")[key] = std::move(patch);
  }
  if (!kept_zones.empty()) out.object["iCalTimeZones"] = std::move(kept_zones);
  keep_calendar_props(cal, out.object);
  return out;
}

// ---- writing ----------------------------------------------------------------

namespace {

struct Writer {
  Zones& zones;
  const json::object& kept;  // iCalTimeZones
  std::set<std::string> used_zones;
  bool prefer_duration = false;  // DURATION rather than DTEND (a rewrite of a file that used it)

  std::string tzid_for(const std::string& name) {
    if (auto* k = kept.if_contains(name); k && k->is_object())
      if (auto t = str(k->get_object(), "tzid"); !t.empty()) return t;
    return name;
  }

  // A date-time property from JSCalendar local time + zone.
  std::string time_line(const char* name, const std::string& local, const std::string& tz, bool date_only) {
    std::string line = name;
    bool utc = tz == "Etc/UTC" || tz == "UTC";
    if (date_only) line += ";VALUE=DATE";
    else if (!tz.empty() && !utc) {
      line += param_text("TZID", json::value(tzid_for(tz)));
      used_zones.insert(tz);
    }
    line += ":" + ical_from_local(local, date_only, utc && !date_only);
    return line;
  }

  // The instance a kept RECURRENCE-ID (jCal) names, as an override's key:
  // local time in the series' zone `tz` (the reader's keying, parse()).
  std::string instance_of(const json::array& rid, const std::string& tz, bool date_only) {
    if (rid.size() < 4 || !rid[3].is_string()) return "";
    DateTime d = date_time(std::string(rid[3].get_string()));
    if (d.date_only || date_only) return d.local;
    std::string tzid;
    if (rid[1].is_object()) tzid = str(rid[1].get_object(), "tzid");
    icaltimezone* series = zones.for_name(tz, kept);
    icaltimezone* from = d.utc              ? icaltimezone_get_utc_timezone()
                         : tzid.empty()     ? nullptr
                         : tzid == tzid_for(tz) ? series
                                            : zones.from_tzid(tzid, nullptr).zone;
    return from && series && from != series ? local_in(instant(d.local, from), series) : d.local;
  }

  void fill(icalcomponent* c, const json::object& o, Kind kind) {
    std::string tz = str(o, "timeZone");
    bool date_only = o.contains("showWithoutTime") && o.at("showWithoutTime").is_bool() && o.at("showWithoutTime").get_bool();
    ZoneCtx zc;
    zc.zone = zones.for_name(tz, kept);
    zc.utc_zone = tz == "Etc/UTC" || tz == "UTC";
    zc.date_only = date_only;
    auto text_prop = [&](const char* name, const std::string& v) {
      std::string prm;
      const json::object* all = o.if_contains("iCalParams") ? o.at("iCalParams").if_object() : nullptr;
      const json::value* mine = all ? all->if_contains(lower(name)) : nullptr;
      if (mine && mine->is_object()) prm = params_text(mine->get_object());
      else if (std::string(name) == "SUMMARY" && !str(o, "locale").empty()) prm = param_text("LANGUAGE", json::value(str(o, "locale")));
      // libical drops a property without a value: a mark it keeps, taken
      // out of the text it writes (serialize_with)
      add_line(c, name + prm + ":" + (v.empty() ? std::string(kEmptyValue) : escape_text(v)));
    };
    // an empty one present is written (Google's exports have DESCRIPTION:
    // and LOCATION: lines: a rewrite keeps them)
    auto given = [](const json::object& x, const char* k) { return x.contains(k) && x.at(k).is_string(); };
    if (given(o, "title")) text_prop("SUMMARY", str(o, "title"));
    if (given(o, "description")) text_prop("DESCRIPTION", str(o, "description"));
    std::string end_tz = tz;
    if (auto* locs = o.if_contains("locations"); locs && locs->is_object())
      for (const auto& [id, lv] : locs->get_object()) {
        (void)id;
        if (!lv.is_object()) continue;
        const json::object& l = lv.get_object();
        if (str(l, "relativeTo") == "end") {
          if (auto t = str(l, "timeZone"); !t.empty()) end_tz = t;
          continue;
        }
        if (given(l, "name")) text_prop("LOCATION", str(l, "name"));
        if (auto g = str(l, "coordinates"); g.starts_with("geo:")) {
          std::string v = g.substr(4);
          if (auto comma = v.find(','); comma != std::string::npos) v[comma] = ';';
          add_line(c, "GEO:" + v);
        }
        break;  // iCalendar has one LOCATION
      }
    std::string start = str(o, "start");
    if (!start.empty()) {
      add_line(c, time_line("DTSTART", start, tz, date_only));
      if (kind == Kind::kEvent)
        if (auto d = str(o, "duration"); !d.empty()) {
          int64_t secs = accord::duration::parse(d).value_or(0);
          if (prefer_duration && end_tz == tz) {
            add_line(c, "DURATION:" + d);  // as the file had it
          } else if (date_only) {
            add_line(c, time_line("DTEND", local_from_seconds(seconds_of(start) + secs), tz, true));
          } else if (end_tz != tz) {
            icaltimezone* ez = zones.for_name(end_tz, kept);
            add_line(c, time_line("DTEND", local_in(instant(start, zc.zone) + secs, ez), end_tz, false));
          } else {
            add_line(c, time_line("DTEND", local_in(instant(start, zc.zone) + secs, zc.zone), tz, false));
          }
        }
    }
    if (auto due = str(o, "due"); !due.empty()) add_line(c, time_line("DUE", due, tz, date_only));
    if (auto ed = str(o, "estimatedDuration"); !ed.empty() && start.empty()) add_line(c, "DURATION:" + ed);
    if (auto s = str(o, kind == Kind::kTask ? "progress" : "status"); !s.empty()) add_line(c, "STATUS:" + upper(s));
    if (auto p = str(o, "privacy"); !p.empty()) add_line(c, "CLASS:" + upper(p == "secret" ? "confidential" : p));
    if (auto f = str(o, "freeBusyStatus"); !f.empty()) add_line(c, std::string("TRANSP:") + (f == "free" ? "TRANSPARENT" : "OPAQUE"));
    if (auto* kw = o.if_contains("keywords"); kw && kw->is_object())
      for (const auto& [k, on] : kw->get_object())  // one line again: see one_line_lists()
        if (on.is_bool() && on.get_bool()) {
          // libical writes a list's values with their commas bare: a comma
          // inside one goes through as kListComma, one_line_lists() escapes it
          std::string cat(k);
          for (size_t at = cat.find(','); at != std::string::npos; at = cat.find(',', at + 1))
            cat.replace(at, 1, kListComma);
          add(c, icalproperty_new_categories(cat.c_str()));
        }
    if (auto* rr = o.if_contains("recurrenceRules"); rr && rr->is_array())
      for (const auto& r : rr->get_array())
        if (r.is_object()) add_line(c, "RRULE:" + rrule_from_json(r.get_object(), zc));
    for (const char* k : {"sequence", "priority", "percentComplete"}) {
      auto* v = o.if_contains(k);
      if (!v || !v->is_int64()) continue;
      std::string name = std::string(k) == "sequence" ? "SEQUENCE" : std::string(k) == "priority" ? "PRIORITY" : "PERCENT-COMPLETE";
      add_line(c, name + ":" + std::to_string(v->get_int64()));
    }
    if (auto u = str(o, "created"); !u.empty()) add_line(c, "CREATED:" + ical_from_local(u.substr(0, 19), false, true));
    if (auto u = str(o, "updated"); !u.empty()) add_line(c, "LAST-MODIFIED:" + ical_from_local(u.substr(0, 19), false, true));
    if (auto* links = o.if_contains("links"); links && links->is_object())
      for (const auto& [id, lv] : links->get_object()) {
        (void)id;
        if (lv.is_object())
          if (auto h = str(lv.get_object(), "href"); !h.empty()) add_line(c, "URL:" + h);
      }
    if (auto* ps = o.if_contains("participants"); ps && ps->is_object())
      for (const auto& [id, pv] : ps->get_object()) {
        (void)id;
        if (!pv.is_object()) continue;
        const json::object& p = pv.get_object();
        std::string addr;
        if (auto* st = p.if_contains("sendTo"); st && st->is_object() && !st->get_object().empty()) {
          const auto& first = st->get_object().begin()->value();
          if (first.is_string()) addr = std::string(first.get_string());
        }
        if (addr.empty() && !str(p, "email").empty()) addr = "mailto:" + str(p, "email");
        if (addr.empty()) continue;
        const json::object* roles = p.if_contains("roles") ? p.at("roles").if_object() : nullptr;
        auto has = [&](const char* r) { return roles && roles->contains(r); };
        std::string prm;
        if (auto n = str(p, "name"); !n.empty()) prm += param_text("CN", json::value(n));
        bool organizer = has("owner") && !has("attendee") && !has("informational") && !has("chair") && !has("optional");
        if (!organizer) {
          if (has("chair")) prm += ";ROLE=CHAIR";
          else if (has("optional")) prm += ";ROLE=OPT-PARTICIPANT";
          else if (has("informational")) prm += ";ROLE=NON-PARTICIPANT";
          if (auto s = str(p, "participationStatus"); !s.empty()) prm += ";PARTSTAT=" + upper(s);
          if (auto* e = p.if_contains("expectReply"); e && e->is_bool() && e->get_bool()) prm += ";RSVP=TRUE";
        }
        if (auto k = str(p, "kind"); !k.empty()) prm += ";CUTYPE=" + upper(k == "location" ? "room" : k);
        if (auto* extra = p.if_contains("iCalParams"); extra && extra->is_object()) prm += params_text(extra->get_object());
        if (has("owner") && !organizer) add_line(c, "ORGANIZER" + (str(p, "name").empty() ? "" : param_text("CN", json::value(str(p, "name")))) + ":" + addr);
        add_line(c, std::string(organizer ? "ORGANIZER" : "ATTENDEE") + prm + ":" + addr);
      }
    if (auto* props = o.if_contains("iCalProps"); props && props->is_array()) {
      for (const auto& pv : props->get_array())
        if (pv.is_array()) add_line(c, jcal_line(pv.get_array()));
    }
    if (!icalcomponent_get_first_property(c, ICAL_DTSTAMP_PROPERTY)) {
      // DTSTAMP (RFC 5545: when the object was last revised, in a file that
      // is no scheduling message): the record's updated time, else now; never 1970
      std::string u = str(o, "updated");
      add_line(c, "DTSTAMP:" + (u.size() >= 19 ? ical_from_local(u.substr(0, 19), false, true)
                                                : ical_from_local(local_from_seconds(static_cast<int64_t>(std::time(nullptr))), false, true)));
    }
    if (auto* al = o.if_contains("alerts"); al && al->is_object())
      for (const auto& [id, av] : al->get_object()) {
        (void)id;
        if (!av.is_object()) continue;
        const json::object& a = av.get_object();
        icalcomponent* alarm = icalcomponent_new(ICAL_VALARM_COMPONENT);
        std::set<std::string> present;
        const json::array* rest = a.if_contains("iCalProps") ? a.at("iCalProps").if_array() : nullptr;
        if (rest)
          for (const auto& pv : *rest)
            if (pv.is_array() && !pv.get_array().empty() && pv.get_array()[0].is_string())
              present.insert(upper(std::string(pv.get_array()[0].get_string())));
        std::string action = str(a, "action") == "email" ? "EMAIL" : "DISPLAY";
        if (!present.contains("ACTION")) add_line(alarm, "ACTION:" + action);
        if (auto* t = a.if_contains("trigger"); t && t->is_object()) {
          const json::object& tr = t->get_object();
          if (str(tr, "@type") == "AbsoluteTrigger")
            add_line(alarm, "TRIGGER;VALUE=DATE-TIME:" + ical_from_local(str(tr, "when").substr(0, 19), false, true));
          else
            add_line(alarm, (str(tr, "relativeTo") == "end" ? "TRIGGER;RELATED=END:" : "TRIGGER:") + str(tr, "offset"));
        }
        if (rest)
          for (const auto& pv : *rest)
            if (pv.is_array()) add_line(alarm, jcal_line(pv.get_array()));
        // what RFC 5545 requires of a new alarm (one not read from a file:
        // no iCalProps at all), where the record had none
        bool fresh = !rest;
        std::string title = str(o, "title").empty() ? "Reminder" : str(o, "title");
        if (fresh && !present.contains("DESCRIPTION")) add(alarm, icalproperty_new_description(title.c_str()));
        if (fresh && action == "EMAIL" && !present.contains("SUMMARY"))
          add(alarm, icalproperty_new_summary(title.c_str()));
        icalcomponent_add_component(c, alarm);
      }
  }
};


}  // namespace

namespace {
std::string serialize_with(const json::object& obj, Kind kind, const std::string& idem,
                           const std::vector<std::string>& keep, bool prefer_duration);

std::string fold_lines(const std::vector<std::string>& logical);
std::vector<std::string> logical_lines(std::string_view text);
std::string line_key(const std::string& logical);

// libical reads CATEGORIES:A,B (and RESOURCES) as one property a value and
// writes a line each: the values of consecutive lines of one property with
// the same parameters go back on one line, as calendars write them. Folded
// again at 75 octets, never inside a UTF-8 character.
std::string one_line_lists(const std::string& text) {
  auto escaped_commas = [](std::string l) {
    for (size_t at = l.find(kListComma); at != std::string::npos; at = l.find(kListComma, at + 2))
      l.replace(at, std::string_view(kListComma).size(), "\\,");
    return l;
  };
  std::vector<std::string> logical = logical_lines(text);
  std::vector<std::string> out;
  for (auto& l : logical) {
    if (l.starts_with(kVerbatim) && l.size() > kVerbatim.size() && l[kVerbatim.size()] == ':')
      l = from_hex(std::string_view(l).substr(kVerbatim.size() + 1));  // the line as it was
    bool list = l.starts_with("CATEGORIES") || l.starts_with("RESOURCES");
    if (list) l = escaped_commas(l);
    size_t colon = l.find(':');
    if (list && colon != std::string::npos && !out.empty() && out.back().size() > colon &&
        out.back().compare(0, colon + 1, l, 0, colon + 1) == 0) {
      out.back() += "," + l.substr(colon + 1);
      continue;
    }
    out.push_back(l);
  }
  return fold_lines(out);
}

std::vector<std::string> logical_lines(std::string_view text) {
  std::vector<std::string> logical;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string::npos ? text.size() : nl + 1;
    std::string l(text.substr(pos, end - pos));
    while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.pop_back();
    pos = end;
    if ((l.starts_with(" ") || l.starts_with("\t")) && !logical.empty()) logical.back() += l.substr(1);
    else logical.push_back(l);
  }
  return logical;
}

// libical writes RDATE/EXDATE one date a line; a file may hold several on
// one line (RDATE;VALUE=DATE:19970101,19970120). Where the fresh text has
// each date of such an old line, with the same parameters (in any order and
// quoting: compared by line_key), they become that old line again (at the
// first one's place), so the merge keeps it as it was.
std::string regroup_date_lists(std::string_view old_text, const std::string& fresh) {
  std::vector<std::string> olds;
  for (auto& l : logical_lines(old_text))
    if ((l.starts_with("RDATE") || l.starts_with("EXDATE")) && l.find(',') != std::string::npos) olds.push_back(l);
  if (olds.empty()) return fresh;
  std::vector<std::string> out = logical_lines(fresh);
  std::vector<std::string> keys(out.size());
  for (size_t i = 0; i < out.size(); ++i)
    if (out[i].starts_with("RDATE") || out[i].starts_with("EXDATE")) keys[i] = line_key(out[i]);
  for (const auto& ol : olds) {
    size_t colon = ol.find(':');
    if (colon == std::string::npos) continue;
    std::string head = ol.substr(0, colon + 1);
    std::vector<std::string> values;
    for (size_t at = colon + 1;;) {
      size_t comma = ol.find(',', at);
      values.push_back(ol.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
    std::vector<size_t> where;
    for (const auto& v : values) {
      std::string k = line_key(head + v);
      auto it = std::find(keys.begin(), keys.end(), k);
      if (it == keys.end()) break;
      where.push_back(static_cast<size_t>(it - keys.begin()));
      *it = "";  // taken
    }
    if (where.size() != values.size()) continue;
    std::sort(where.begin(), where.end());
    out[where[0]] = ol;
    keys[where[0]] = "";
    for (size_t i = where.size(); i-- > 1;) {
      out.erase(out.begin() + static_cast<std::ptrdiff_t>(where[i]));
      keys.erase(keys.begin() + static_cast<std::ptrdiff_t>(where[i]));
    }
  }
  return fold_lines(out);
}

std::string fold_lines(const std::vector<std::string>& out) {
  std::string r;
  for (const auto& l : out) {
    size_t at = 0, limit = 75;
    while (l.size() - at > limit) {
      size_t cut = at + limit;
      while (cut > at && (static_cast<unsigned char>(l[cut]) & 0xC0) == 0x80) --cut;
      if (cut == at) cut = at + limit;
      r.append(l, at, cut - at);
      r += "\r\n ";
      at = cut;
      limit = 74;
    }
    r.append(l, at, std::string::npos);
    r += "\r\n";
  }
  return r;
}
}

std::string serialize(const json::object& obj, Kind kind, const std::string& idem,
                      const std::vector<std::string>& keep) {
  return serialize_with(obj, kind, idem, keep, false);
}

namespace {
std::string serialize_with(const json::object& obj, Kind kind, const std::string& idem,
                           const std::vector<std::string>& keep, bool prefer_duration) {
  CompPtr cal(icalcomponent_new(ICAL_VCALENDAR_COMPONENT));
  add(cal.get(), icalproperty_new_version("2.0"));
  add(cal.get(), icalproperty_new_prodid("-//Accord//local connector//EN"));
  if (auto* cp = obj.if_contains("iCalCalendarProps"); cp && cp->is_array())
    for (const auto& pv : cp->get_array())
      if (pv.is_array()) add_line(cal.get(), jcal_line(pv.get_array()));
  static const json::object kNone;
  const json::object& kept = obj.contains("iCalTimeZones") && obj.at("iCalTimeZones").is_object()
                                 ? obj.at("iCalTimeZones").get_object()
                                 : kNone;
  Zones zones(nullptr);
  Writer w{zones, kept, {}, prefer_duration};
  icalcomponent_kind ck = kind == Kind::kTask      ? ICAL_VTODO_COMPONENT
                          : kind == Kind::kJournal ? ICAL_VJOURNAL_COMPONENT
                                                   : ICAL_VEVENT_COMPONENT;
  icalcomponent* master = icalcomponent_new(ck);
  // a component without UID (files made by hand or by scripts) stays without
  std::string uid = str(obj, "uid");
  if (!uid.empty()) add(master, icalproperty_new_uid(uid.c_str()));
  if (kind == Kind::kJournal) {  // a note
    if (auto t = str(obj, "title"); !t.empty()) add(master, icalproperty_new_summary(t.c_str()));
    if (auto b = str(obj, "body"); !b.empty()) add(master, icalproperty_new_description(b.c_str()));
    if (auto* cats = obj.if_contains("categories"); cats && cats->is_array())
      for (const auto& cv : cats->get_array())
        if (cv.is_string()) add(master, icalproperty_new_categories(std::string(cv.get_string()).c_str()));
    if (auto u = str(obj, "created"); u.size() >= 19) add_line(master, "CREATED:" + ical_from_local(u.substr(0, 19), false, true));
    if (auto u = str(obj, "updated"); u.size() >= 19) add_line(master, "LAST-MODIFIED:" + ical_from_local(u.substr(0, 19), false, true));
    if (auto* props = obj.if_contains("iCalProps"); props && props->is_array())
      for (const auto& pv : props->get_array())
        if (pv.is_array()) add_line(master, jcal_line(pv.get_array()));
    std::string u = str(obj, "updated");
    add_line(master, "DTSTAMP:" + (u.size() >= 19 ? ical_from_local(u.substr(0, 19), false, true)
                                                  : ical_from_local(local_from_seconds(static_cast<int64_t>(std::time(nullptr))), false, true)));
  } else {
    w.fill(master, obj, kind);
  }
  if (!idem.empty()) add_line(master, "X-ACCORD-ID:" + idem);
  // lines of the previous file the record does not describe (a record from a
  // side that keeps no iCalProps); those it describes are written once
  // (a line libical cannot read, by what it says: lines::normal)
  auto written_key = [](icalproperty* p) {
    std::string line = verbatim_of(p);
    return line.empty() ? unfolded(take(icalproperty_as_ical_string_r(p))) : lines::normal(line);
  };
  std::set<std::string> written;
  for (icalproperty* p = icalcomponent_get_first_property(master, ICAL_ANY_PROPERTY); p;
       p = icalcomponent_get_next_property(master, ICAL_ANY_PROPERTY))
    written.insert(written_key(p));
  for (const auto& line : keep) {
    icalproperty* p = property_of(line);
    if (!p) continue;
    if (written.insert(written_key(p)).second) add(master, p);
    else icalproperty_free(p);
  }
  std::vector<icalcomponent*> comps{master};
  std::string tz = str(obj, "timeZone");
  bool date_only = obj.contains("showWithoutTime") && obj.at("showWithoutTime").is_bool() && obj.at("showWithoutTime").get_bool();
  if (auto* ov = obj.if_contains("recurrenceOverrides"); ov && ov->is_object())
    for (const auto& [when, patch] : ov->get_object()) {
      if (!patch.is_object()) continue;
      const json::object& p = patch.get_object();
      if (p.contains("excluded") && p.at("excluded").is_bool() && p.at("excluded").get_bool()) {
        add_line(master, w.time_line("EXDATE", std::string(when), tz, date_only));
        continue;
      }
      if (p.empty()) {  // an added date (RDATE), the master as it is
        add_line(master, w.time_line("RDATE", std::string(when), tz, date_only));
        continue;
      }
      icalcomponent* oc = icalcomponent_new(ck);
      if (!uid.empty()) add(oc, icalproperty_new_uid(uid.c_str()));
      json::object merged = obj;  // the instance: the master patched
      for (const char* k : {"recurrenceRules", "recurrenceOverrides", "iCalTimeZones", "iCalCalendarProps", "uid"})
        merged.erase(k);
      merged["start"] = std::string(when);
      for (const auto& [k, v] : p) {
        if (v.is_null()) merged.erase(k);
        else merged[k] = v;
      }
      // a RECURRENCE-ID kept as it was (RANGE=THISANDFUTURE) is in iCalProps:
      // written while it names the override's key, else the key's line with
      // the range (the key moved: the kept line would change other instances)
      bool kept_rid = false, ranged = false;
      if (auto* ip = merged.if_contains("iCalProps"); ip && ip->is_array()) {
        json::array& props = ip->as_array();
        for (auto it = props.begin(); it != props.end();) {
          if (!it->is_array() || it->get_array().empty() || it->get_array()[0] != "recurrence-id") {
            ++it;
            continue;
          }
          const json::array& rid = it->get_array();
          ranged = ranged || (rid.size() > 1 && rid[1].is_object() && !str(rid[1].get_object(), "range").empty());
          if (!kept_rid && w.instance_of(rid, tz, date_only) == when) {
            kept_rid = true;
            ++it;
          } else {
            it = props.erase(it);
          }
        }
      }
      if (!kept_rid)
        add_line(oc, w.time_line(ranged ? "RECURRENCE-ID;RANGE=THISANDFUTURE" : "RECURRENCE-ID", std::string(when), tz,
                                 date_only));
      w.fill(oc, merged, kind);
      comps.push_back(oc);
    }
  // VTIMEZONEs first: the file's own where the record kept it, else libical's
  for (const auto& name : w.used_zones) {
    std::string text;
    if (auto* k = kept.if_contains(name); k && k->is_object()) text = str(k->get_object(), "vtimezone");
    if (!text.empty()) {
      if (icalcomponent* vtz = icalparser_parse_string(with_carriers(text).c_str())) {
        if (icalcomponent_isa(vtz) == ICAL_VTIMEZONE_COMPONENT) icalcomponent_add_component(cal.get(), vtz);
        else icalcomponent_free(vtz);
        continue;
      }
    }
    if (icaltimezone* zone = icaltimezone_get_builtin_timezone(name.c_str()))
      if (icalcomponent* vtz = icaltimezone_get_component(zone)) {
        icalcomponent* copy = icalcomponent_new_clone(vtz);
        // libical names its built-in zones with a prefix; our TZIDs are plain
        if (icalproperty* id = icalcomponent_get_first_property(copy, ICAL_TZID_PROPERTY))
          icalproperty_set_tzid(id, w.tzid_for(name).c_str());
        icalcomponent_add_component(cal.get(), copy);
      }
  }
  for (icalcomponent* c : comps) icalcomponent_add_component(cal.get(), c);
  std::string text = one_line_lists(take(icalcomponent_as_ical_string_r(cal.get())));
  for (size_t at = text.find(kEmptyValue); at != std::string::npos; at = text.find(kEmptyValue, at))
    text.erase(at, kEmptyValue.size());
  return text;
}
}  // namespace

namespace {

// A content line reduced to what it means, through libical: name, sorted
// parameters, value (folding, escaping and parameter order aside).
std::string line_key(const std::string& logical) {
  if (!libical_reads(logical)) return lines::normal(logical);
  icalproperty* p = icalproperty_new_from_string(logical.c_str());
  if (!p) return logical;
  const char* n = icalproperty_get_property_name(p);
  std::string key = n ? n : "";
  std::set<std::string> params;
  for (icalparameter* par = icalproperty_get_first_parameter(p, ICAL_ANY_PARAMETER); par;
       par = icalproperty_get_next_parameter(p, ICAL_ANY_PARAMETER)) {
    std::string t = take(icalparameter_as_ical_string_r(par));
    // the value's type shows in the value; defaults say nothing (RFC 5545)
    static const std::set<std::string> defaults = {"ROLE=REQ-PARTICIPANT", "CUTYPE=INDIVIDUAL", "RSVP=FALSE",
                                                   "PARTSTAT=NEEDS-ACTION", "RELATED=START"};
    if (!upper(t).starts_with("VALUE=") && !defaults.contains(upper(t))) params.insert(t);
  }
  for (const auto& x : params) key += ";" + x;
  icalproperty_kind k = icalproperty_isa(p);
  if (k == ICAL_CATEGORIES_PROPERTY || k == ICAL_RESOURCES_PROPERTY) {
    // a list: libical keeps only its first value from one line
    size_t colon = std::string::npos;
    bool q = false;
    for (size_t i = 0; i < logical.size() && colon == std::string::npos; ++i) {
      if (logical[i] == '"') q = !q;
      else if (logical[i] == ':' && !q) colon = i;
    }
    key += ":" + (colon == std::string::npos ? std::string() : logical.substr(colon + 1));
  } else {
    const char* v = icalproperty_get_value_as_string(p);
    key += ":" + std::string(v ? v : "");
  }
  icalproperty_free(p);
  return key;
}

// The old file's VTIMEZONEs that none of its lines names (a calendar's
// default zone) put into the fresh text before its first component, so the
// merge keeps them where they were: the record has no use for them, the file
// keeps them.
std::string with_unnamed_zones(std::string_view old_text, const std::string& fresh) {
  auto ls = lines::content_lines(old_text, false);
  std::set<std::string> named;
  std::vector<std::pair<std::string, std::string>> zones;  // TZID, bytes
  size_t begin = std::string::npos;
  for (const auto& l : ls) {
    std::string name = lines::name_of(l.logical);
    std::string v = upper(lines::value_of(l.logical));
    if (name == "BEGIN" && v == "VTIMEZONE") begin = l.begin, zones.emplace_back("", "");
    else if (name == "TZID" && begin != std::string::npos && zones.back().first.empty()) zones.back().first = lines::value_of(l.logical);
    else if (name == "END" && v == "VTIMEZONE" && begin != std::string::npos) {
      zones.back().second = std::string(old_text.substr(begin, l.end - begin));
      begin = std::string::npos;
    } else if (begin == std::string::npos) {
      lines::tzid_params(l.logical, named);
    }
  }
  std::string add;
  for (const auto& [tzid, bytes] : zones)
    if (!tzid.empty() && !named.contains(tzid) && fresh.find("TZID:" + tzid + "\r\n") == std::string::npos) add += bytes;
  if (add.empty()) return fresh;
  size_t at = std::string::npos;
  for (const char* c : {"BEGIN:VTIMEZONE", "BEGIN:VEVENT", "BEGIN:VTODO", "BEGIN:VJOURNAL"}) at = std::min(at, fresh.find(c));
  if (at == std::string::npos) return fresh;
  return fresh.substr(0, at) + add + fresh.substr(at);
}

std::string identity(const std::string& type, const std::vector<std::string>& keys) {
  std::string id;
  for (const auto& k : keys) {
    bool uid = k.starts_with("UID:") || k.starts_with("UID;");
    bool rid = k.starts_with("RECURRENCE-ID");
    bool tzid = type == "VTIMEZONE" && k.starts_with("TZID");
    if (uid || rid || tzid) id += k + "\n";
  }
  return id;
}

}  // namespace

std::string rewrite(std::string_view old_text, const json::object& obj, Kind kind, const std::string& idem) {
  Parsed old = parse(old_text);
  bool duration = false;  // the file says DURATION, not DTEND: keep its form
  for (size_t at = old_text.find("DURATION:"); at != std::string::npos; at = old_text.find("DURATION:", at + 1))
    duration = duration || at == 0 || old_text[at - 1] == '\n';
  std::string fresh = with_unnamed_zones(
      old_text, regroup_date_lists(old_text, serialize_with(obj, kind, idem, old.unknown, duration)));
  merge::Rules rules;
  rules.key = line_key;
  rules.identity = identity;
  rules.keep_old = {"PRODID", "VERSION", "DTSTAMP"};
  rules.keep_all_lines_of = {"VCALENDAR"};
  rules.keep_old_components = {"VTIMEZONE"};
  return merge::merge(old_text, fresh, rules);
}

const std::vector<std::string>& event_fields() {
  static const std::vector<std::string> f = {
      "/uid",          "/title",       "/description",     "/locations",          "/start",  "/timeZone",
      "/duration",     "/showWithoutTime", "/status",      "/privacy",            "/keywords",
      "/recurrenceRules", "/recurrenceOverrides", "/alerts", "/updated",          "/created", "/sequence",
      "/priority",     "/participants", "/freeBusyStatus", "/links",              "/iCalProps", "/iCalTimeZones",
      "/iCalCalendarProps", "/iCalParams", "/locale"};
  return f;
}
const std::vector<std::string>& task_fields() {
  static const std::vector<std::string> f = {
      "/uid",     "/title",    "/description", "/start",           "/due",           "/timeZone", "/showWithoutTime",
      "/progress", "/percentComplete", "/privacy", "/keywords",    "/recurrenceRules", "/alerts",  "/updated",
      "/created", "/priority", "/participants", "/estimatedDuration", "/iCalProps",  "/iCalTimeZones",
      "/iCalCalendarProps", "/iCalParams", "/locale"};
  return f;
}

const std::vector<std::string>& journal_fields() {
  static const std::vector<std::string> f = {"/uid",    "/title",   "/body",     "/categories",
                                             "/created", "/updated", "/iCalProps"};
  return f;
}

}  // namespace accord::formats::icalendar
