// SPDX-License-Identifier: Apache-2.0
#include <accord/mapping/transform.hpp>

#include <accord/text/ascii.hpp>
#include <accord/time/utc_time.hpp>

#include <boost/json.hpp>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <optional>

namespace json = boost::json;

namespace accord {

namespace {

using Fn = std::function<json::value(const json::value&)>;

Fn on_strings(std::function<std::string(std::string)> f) {
  return [f](const json::value& v) -> json::value {
    if (!v.is_string()) return v;
    return json::value(f(std::string(v.get_string())));
  };
}

std::string upper(std::string s) { return ascii_upper(std::move(s)); }
std::string trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::string e164(const std::string& in, const std::string& cc) {
  std::string digits;
  for (char c : in)
    if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
  if (digits.empty()) return in;
  std::string t = trim(in);
  if (t.starts_with("+")) return "+" + digits;
  if (t.starts_with("00")) return "+" + digits.substr(2);
  if (!cc.empty()) return "+" + cc + (digits.starts_with("0") ? digits.substr(1) : digits);
  return "+" + digits;
}

// ---- dates ----
bool parse_iso(const std::string& s, std::tm& tm, bool& has_time) {
  tm = {};
  has_time = false;
  int y, mo, d, h = 0, mi = 0, se = 0;
  if (std::sscanf(s.c_str(), "%d-%d-%d", &y, &mo, &d) != 3) return false;
  if (s.size() >= 19 && (s[10] == 'T' || s[10] == ' ')) {
    if (std::sscanf(s.c_str() + 11, "%d:%d:%d", &h, &mi, &se) != 3) return false;
    has_time = true;
  }
  std::time_t t = static_cast<std::time_t>(utc::to_seconds(y, mo, d, h, mi, se));
  gmtime_r(&t, &tm);
  return true;
}

// Converts between date formats via seconds since the epoch (UTC).
std::optional<int64_t> to_epoch(const json::value& v, const std::string& fmt) {
  if (fmt == "epoch" || fmt == "epoch_ms") {
    int64_t n;
    if (v.is_int64()) n = v.get_int64();
    else if (v.is_uint64()) n = static_cast<int64_t>(v.get_uint64());
    else if (v.is_double()) n = static_cast<int64_t>(v.get_double());
    else if (v.is_string()) {
      try {
        n = std::stoll(std::string(v.get_string()));
      } catch (...) {
        return std::nullopt;
      }
    } else return std::nullopt;
    return fmt == "epoch_ms" ? n / 1000 : n;
  }
  if (!v.is_string()) return std::nullopt;
  std::tm tm;
  bool has_time;
  if (!parse_iso(std::string(v.get_string()), tm, has_time)) return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

json::value from_epoch(int64_t t, const std::string& fmt) {
  if (fmt == "epoch") return t;
  if (fmt == "epoch_ms") return t * 1000;
  return json::value(utc::format(t, fmt == "date" ? utc::Form::kDate : utc::Form::kTimestamp));
}

bool valid_date_format(const std::string& f) {
  return f == "iso8601" || f == "date" || f == "epoch" || f == "epoch_ms";
}

// ---- time zones: the offset of a zone at a UTC instant, from the system's zoneinfo ----
// std::chrono::zoned_time needs a newer libstdc++; localtime_r under a TZ is
// process-global, so conversions take a lock.
std::mutex g_tz_lock;
int64_t offset_at(const std::string& zone, int64_t utc) {
  std::lock_guard lk(g_tz_lock);
  const char* old = std::getenv("TZ");
  std::string saved = old ? old : "";
  setenv("TZ", zone.c_str(), 1);
  tzset();
  std::time_t t = static_cast<std::time_t>(utc);
  std::tm tm{};
  localtime_r(&t, &tm);
  int64_t off = tm.tm_gmtoff;
  if (old) setenv("TZ", saved.c_str(), 1);
  else unsetenv("TZ");
  tzset();
  return off;
}
// The "left" and "right" strings of a two-sided transform ("" where absent).
std::pair<std::string, std::string> sides(const json::object& o) {
  auto side = [&](const char* k) -> std::string {
    auto* f = o.if_contains(k);
    return f && f->is_string() ? std::string(f->get_string()) : "";
  };
  return {side("left"), side("right")};
}

// A local date-time string in zone `from` → the same instant as local time in `to`.
json::value convert_zone(const json::value& v, const std::string& from, const std::string& to) {
  if (!v.is_string()) return v;
  std::tm tm;
  bool has_time;
  if (!parse_iso(std::string(v.get_string()), tm, has_time) || !has_time) return v;
  int64_t utc = local_to_utc(static_cast<int64_t>(timegm(&tm)), from);
  return json::value(utc::format(utc + offset_at(to, utc), utc::Form::kLocal));
}

}  // namespace

int64_t local_to_utc(int64_t local, const std::string& zone) {
  int64_t utc = local - offset_at(zone, local);
  return local - offset_at(zone, utc);  // second pass settles DST edges
}

bool zone_known(const std::string& z) {
  if (z == "UTC" || z == "Etc/UTC") return true;
  std::error_code ec;
  return z.find("..") == std::string::npos && std::filesystem::is_regular_file("/usr/share/zoneinfo/" + z, ec);
}

Result<Transform> parse_transform(const json::value& spec) {
  Transform t;
  if (spec.is_null()) return t;
  if (spec.is_string()) {
    std::string n(spec.get_string());
    t.name = n;
    if (n == "lowercase") t.to_right = t.to_left = on_strings([](std::string s) { return ascii_lower(std::move(s)); });
    else if (n == "uppercase") t.to_right = t.to_left = on_strings(upper);
    else if (n == "trim") t.to_right = t.to_left = on_strings(trim);
    else if (n == "e164") t.to_right = t.to_left = on_strings([](std::string s) { return e164(s, ""); });
    else if (n == "identity") {
    } else
      return fail("unknown transform \"" + n + "\" (known: lowercase, uppercase, trim, e164, or an object: "
                  "e164, map, constant, join, date, timezone)");
    return t;
  }
  if (!spec.is_object() || spec.get_object().empty())
    return fail("a transform is a name (\"lowercase\") or an object ({\"map\": {…}})");
  const json::object& o = spec.get_object();
  if (auto* e = o.if_contains("e164")) {
    std::string cc;
    if (e->is_object())
      if (auto* c = e->get_object().if_contains("country_code"); c && c->is_string()) cc = c->get_string();
    t.name = "e164";
    t.to_right = t.to_left = on_strings([cc](std::string s) { return e164(s, cc); });
  } else if (auto* m = o.if_contains("map")) {
    if (!m->is_object()) return fail("\"map\" must be an object of left value → right value");
    json::object fwd = m->get_object(), back;
    for (const auto& [k, v] : fwd) {
      if (back.contains(json::serialize(v))) return fail("\"map\" sends two left values to " + json::serialize(v) + "; it must be one-to-one");
      back[json::serialize(v)] = json::value(k);
    }
    std::optional<json::value> def;
    if (auto* d = o.if_contains("default")) def = *d;
    t.name = "map";
    t.to_right = [fwd, def](const json::value& v) -> json::value {
      if (v.is_string())
        if (auto* x = fwd.if_contains(v.get_string())) return *x;
      return def ? *def : v;
    };
    t.to_left = [back](const json::value& v) -> json::value {
      if (auto* x = back.if_contains(json::serialize(v))) return *x;
      return v;
    };
  } else if (auto* c = o.if_contains("constant")) {
    json::value k = *c;
    t.name = "constant";
    t.is_constant = true;
    t.to_right = t.to_left = [k](const json::value&) { return k; };
  } else if (auto* j = o.if_contains("join")) {
    if (!j->is_string() || j->get_string().empty()) return fail("\"join\" must be a non-empty separator string");
    t.name = "join";
    t.is_join = true;
    t.join_separator = j->get_string();
  } else if (auto* d = o.if_contains("date")) {
    if (!d->is_object()) return fail("\"date\" must be {\"left\": FORMAT, \"right\": FORMAT}");
    auto [lf, rf] = sides(d->get_object());
    if (!valid_date_format(lf) || !valid_date_format(rf))
      return fail("\"date\" formats must be iso8601, date, epoch or epoch_ms (got \"" + lf + "\", \"" + rf + "\")");
    t.name = "date";
    t.to_right = [lf, rf](const json::value& v) -> json::value {
      auto e = to_epoch(v, lf);
      return e ? from_epoch(*e, rf) : v;
    };
    t.to_left = [lf, rf](const json::value& v) -> json::value {
      auto e = to_epoch(v, rf);
      return e ? from_epoch(*e, lf) : v;
    };
  } else if (auto* z = o.if_contains("timezone")) {
    if (!z->is_object()) return fail("\"timezone\" must be {\"left\": ZONE, \"right\": ZONE}");
    auto [lz, rz] = sides(z->get_object());
    for (const auto& zn : {lz, rz})
      if (!zone_known(zn)) return fail("\"timezone\": unknown zone \"" + zn + "\" (use IANA names like Europe/London)");
    t.name = "timezone";
    t.to_right = [lz, rz](const json::value& v) { return convert_zone(v, lz, rz); };
    t.to_left = [lz, rz](const json::value& v) { return convert_zone(v, rz, lz); };
  } else {
    return fail("unknown transform " + json::serialize(spec) + " (known: e164, map, constant, join, date, timezone)");
  }
  return t;
}

Result<std::function<std::string(const json::value&)>> parse_normaliser(const std::string& name) {
  auto text = [](const json::value& v) { return v.is_string() ? std::string(v.get_string()) : json::serialize(v); };
  if (name == "exact" || name.empty()) return std::function<std::string(const json::value&)>(text);
  if (name == "trim") return std::function<std::string(const json::value&)>([text](const json::value& v) { return trim(text(v)); });
  if (name == "lowercase" || name == "email")
    return std::function<std::string(const json::value&)>([text](const json::value& v) { return ascii_lower(trim(text(v))); });
  if (name == "phone")
    return std::function<std::string(const json::value&)>([text](const json::value& v) {
      std::string d;
      for (char c : text(v))
        if (std::isdigit(static_cast<unsigned char>(c))) d += c;
      return d.size() > 9 ? d.substr(d.size() - 9) : d;  // national significant digits, prefix-free
    });
  if (name == "name")
    return std::function<std::string(const json::value&)>([text](const json::value& v) {
      std::string out;
      bool space = false;
      for (char c : ascii_lower(trim(text(v)))) {
        if (std::isspace(static_cast<unsigned char>(c))) {
          space = true;
          continue;
        }
        if (space && !out.empty()) out += ' ';
        space = false;
        out += c;
      }
      return out;
    });
  return fail("unknown normaliser \"" + name + "\" (known: email, phone, name, lowercase, trim, exact)");
}

}  // namespace accord
