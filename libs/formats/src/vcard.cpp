// SPDX-License-Identifier: Apache-2.0
#include <accord/formats/vcard.hpp>

#include <accord/formats/line_merge.hpp>
#include <accord/formats/text_codec.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

namespace json = boost::json;
using accord::formats::codec::lower;
using accord::formats::codec::upper;

namespace accord::formats::vcard {

namespace {

// ---- reading ---------------------------------------------------------------

struct Prop {
  std::string name;                                  // upper case, group stripped
  std::string group;                                 // "item1" of item1.ADR, as written
  std::map<std::string, std::vector<std::string>> params;  // upper-case keys
  std::string value;                                 // decoded to UTF-8, still escaped
  std::string line;                                  // the logical line as read
  bool has(const std::string& k, const std::string& v) const {
    auto it = params.find(k);
    if (it == params.end()) return false;
    for (const auto& x : it->second)
      if (lower(x) == lower(v)) return true;
    return false;
  }
  std::string param(const std::string& k) const {
    auto it = params.find(k);
    return it == params.end() || it->second.empty() ? std::string() : it->second.front();
  }
};

// Physical lines, CRLF or LF (or CR CR LF: a CRLF file converted once more).
std::vector<std::string_view> physical_lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view l = text.substr(start, end - start);
    while (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    out.push_back(l);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}

// Splits at `sep` outside double quotes.
std::vector<std::string> split_unquoted(std::string_view s, char sep, bool keep_quotes = false) {
  std::vector<std::string> out;
  std::string cur;
  bool q = false;
  for (char c : s) {
    if (c == '"') {
      q = !q;
      if (keep_quotes) cur += c;
      continue;
    }
    if (c == sep && !q) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

size_t find_unquoted(std::string_view s, char c) {
  bool q = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '"') q = !q;
    else if (s[i] == c && !q) return i;
  }
  return std::string_view::npos;
}

std::vector<std::string> logical_lines(std::string_view text) {
  auto phys = physical_lines(text);
  std::vector<std::string> out;
  for (size_t i = 0; i < phys.size(); ++i) {
    std::string_view l = phys[i];
    if ((l.starts_with(' ') || l.starts_with('\t')) && !out.empty()) {
      out.back().append(l.substr(1));
      continue;
    }
    if (l.empty()) continue;
    out.emplace_back(l);
    // vCard 2.1 quoted-printable soft line breaks: "=" at the end continues.
    std::string& cur = out.back();
    size_t colon = find_unquoted(cur, ':');
    bool qp = colon != std::string::npos && upper(cur.substr(0, colon)).find("QUOTED-PRINTABLE") != std::string::npos;
    while (qp && !cur.empty() && cur.back() == '=' && i + 1 < phys.size()) {
      cur.pop_back();
      cur.append(phys[++i]);
    }
  }
  return out;
}

Prop parse_line(const std::string& line, size_t lineno) {
  size_t colon = find_unquoted(line, ':');
  if (colon == std::string::npos)
    throw std::runtime_error("line " + std::to_string(lineno) + ": no ':' in \"" + line.substr(0, 40) + "\"");
  Prop p;
  p.line = line;
  // name and parameters; split_unquoted drops the quotes around parameter values
  auto head = split_unquoted(std::string_view(line).substr(0, colon), ';', true);
  std::string name = upper(head[0]);
  if (auto dot = name.find('.'); dot != std::string::npos) {
    p.group = head[0].substr(0, dot);
    name = name.substr(dot + 1);
  }
  p.name = name;
  for (size_t i = 1; i < head.size(); ++i) {
    std::string kv = head[i];
    size_t eq = kv.find('=');
    if (eq == std::string::npos) {
      std::erase(kv, '"');
      std::string bare = upper(kv);
      if (bare == "QUOTED-PRINTABLE" || bare == "BASE64" || bare == "8BIT" || bare == "7BIT")
        p.params["ENCODING"].push_back(bare);  // vCard 2.1: ADR;QUOTED-PRINTABLE:…
      else
        p.params["TYPE"].push_back(lower(kv));  // vCard 2.1 bare type: TEL;WORK;VOICE
      continue;
    }
    std::string k = upper(kv.substr(0, eq));
    std::erase(k, '"');
    // GEO="geo:1,2" is one value: commas split only outside quotes
    // (TYPE="work,voice" is a list, RFC 6350 §5.6)
    std::string vals = kv.substr(eq + 1);
    if (k == "TYPE") std::erase(vals, '"');
    for (auto& v : split_unquoted(vals, ',')) p.params[k].push_back(k == "TYPE" ? lower(v) : v);
  }
  std::string value = line.substr(colon + 1);
  std::string enc = upper(p.param("ENCODING"));
  if (enc == "QUOTED-PRINTABLE") value = codec::quoted_printable_decode(value);
  if (enc != "B" && enc != "BASE64") {
    std::string cs = p.param("CHARSET");
    if (!cs.empty()) value = codec::to_utf8(value, cs);
    else if (!codec::is_valid_utf8(value)) value = codec::to_utf8(value, "WINDOWS-1252");
  }
  // Line breaks inside values are "\n" whatever the exporter used (Outlook's
  // quoted-printable =0D=0A included).
  for (size_t at = value.find("\r\n"); at != std::string::npos; at = value.find("\r\n", at)) value.erase(at, 1);
  p.value = std::move(value);
  return p;
}

std::string unescape(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      char n = s[++i];
      o += (n == 'n' || n == 'N') ? '\n' : n;
    } else {
      o += s[i];
    }
  }
  return o;
}

// Splits an escaped value at unescaped `sep`, unescaping each part.
std::vector<std::string> split_escaped(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      cur += s[i];
      cur += s[++i];
    } else if (s[i] == sep) {
      out.push_back(unescape(cur));
      cur.clear();
    } else {
      cur += s[i];
    }
  }
  out.push_back(unescape(cur));
  return out;
}

json::object contexts_of(const Prop& p) {
  json::object c;
  if (p.has("TYPE", "work")) c["work"] = true;
  if (p.has("TYPE", "home")) c["private"] = true;
  return c;
}

// Parameters no JSContact property holds, and the group: vCardParams (RFC
// 9555), lower-case names, values as written (several joined by commas).
// `types` are the TYPE values the caller converted; `params` the parameters.
void add_vcard_params(json::object& o, const Prop& p, const std::set<std::string>& types,
                      const std::set<std::string>& params = {}) {
  static const std::set<std::string> always = {"PREF", "PROP-ID", "ENCODING", "CHARSET", "VALUE"};
  json::object vp;
  if (!p.group.empty()) vp["group"] = p.group;
  for (const auto& [k, vals] : p.params) {
    std::string joined;
    if (k == "TYPE") {
      for (const auto& t : vals)
        if (!types.contains(lower(t)) && lower(t) != "pref") joined += (joined.empty() ? "" : ",") + lower(t);
    } else if (!always.contains(k) && !params.contains(k)) {
      for (const auto& v : vals) joined += (joined.empty() ? "" : ",") + v;
    } else {
      continue;
    }
    if (!joined.empty()) vp[lower(k)] = joined;
  }
  if (!vp.empty()) o["vCardParams"] = std::move(vp);
}

void add_common(json::object& o, const Prop& p, std::set<std::string> types = {}, const std::set<std::string>& params = {}) {
  auto c = contexts_of(p);
  if (!c.empty()) o["contexts"] = std::move(c);
  std::string pref = p.param("PREF");
  if (!pref.empty()) {
    try {
      o["pref"] = std::stoi(pref);
    } catch (...) {
    }
  } else if (p.has("TYPE", "pref")) {
    o["pref"] = 1;
  }
  types.insert({"work", "home"});
  add_vcard_params(o, p, types, params);
}

// Adds value v to map `key` of card, under the PROP-ID or the next positional id.
void add_to_map(json::object& card, const char* key, const char* prefix, const Prop& p, json::object v) {
  json::object& m = card[key].is_object() ? card[key].as_object() : (card[key] = json::object()).as_object();
  std::string id = p.param("PROP-ID");
  if (id.empty() || m.contains(id)) {
    for (size_t n = m.size() + 1;; ++n) {
      id = prefix + std::to_string(n);
      if (!m.contains(id)) break;
    }
  }
  m[id] = std::move(v);
}

// "20090808T1430-0500", "1996-04-15T14:30:00Z" → "2009-08-08T19:30:00Z";
// nullopt for a local time (no zone) or what is not a date-time.
std::optional<std::string> utc_of(const std::string& raw) {
  size_t t = raw.find('T');
  if (t == std::string::npos) return std::nullopt;
  std::string d = raw.substr(0, t), tm = raw.substr(t + 1);
  std::erase(d, '-');
  int off = 0;
  if (tm.ends_with("Z") || tm.ends_with("z")) {
    tm.pop_back();
  } else {
    size_t sign = tm.find_last_of("+-");
    if (sign == std::string::npos) return std::nullopt;
    std::string o = tm.substr(sign + 1);
    std::erase(o, ':');
    if (o.size() != 4 && o.size() != 2) return std::nullopt;
    try {
      off = std::stoi(o.substr(0, 2)) * 3600 + (o.size() == 4 ? std::stoi(o.substr(2, 2)) * 60 : 0);
    } catch (...) {
      return std::nullopt;
    }
    if (tm[sign] == '-') off = -off;
    tm = tm.substr(0, sign);
  }
  std::erase(tm, ':');
  if (d.size() != 8 || (tm.size() != 4 && tm.size() != 6)) return std::nullopt;
  std::tm x{};
  try {
    x.tm_year = std::stoi(d.substr(0, 4)) - 1900;
    x.tm_mon = std::stoi(d.substr(4, 2)) - 1;
    x.tm_mday = std::stoi(d.substr(6, 2));
    x.tm_hour = std::stoi(tm.substr(0, 2));
    x.tm_min = std::stoi(tm.substr(2, 2));
    x.tm_sec = tm.size() == 6 ? std::stoi(tm.substr(4, 2)) : 0;
  } catch (...) {
    return std::nullopt;
  }
  time_t secs = timegm(&x) - off;
  std::tm u{};
  gmtime_r(&secs, &u);
  char b[64];
  std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02dZ", u.tm_year + 1900, u.tm_mon + 1, u.tm_mday, u.tm_hour,
                u.tm_min, u.tm_sec);
  return std::string(b);
}

json::value partial_date(const std::string& raw) {
  if (raw.find('T') != std::string::npos) {
    // a date and time (ANNIVERSARY:20090808T1430-0500): a Timestamp where it
    // names its zone, else kept as written; never cut to the date
    if (auto utc = utc_of(raw)) return json::object{{"@type", "Timestamp"}, {"utc", *utc}};
    return json::value(raw);
  }
  std::string d = raw;
  d.erase(std::remove(d.begin(), d.end(), '-'), d.end());
  json::object o{{"@type", "PartialDate"}};
  bool no_year = raw.starts_with("--");
  try {
    if (no_year && d.size() == 4) {
      o["month"] = std::stoi(d.substr(0, 2));
      o["day"] = std::stoi(d.substr(2, 2));
    } else if (d.size() == 8) {
      o["year"] = std::stoi(d.substr(0, 4));
      o["month"] = std::stoi(d.substr(4, 2));
      o["day"] = std::stoi(d.substr(6, 2));
    } else if (d.size() == 4) {
      o["year"] = std::stoi(d);
    } else {
      return json::value(raw);
    }
  } catch (...) {
    return json::value(raw);
  }
  return o;
}

std::string timestamp_from_rev(std::string r) {
  // a decimal comma (Exchange: 2018-03-07T07:02:33,904Z) is ISO 8601's too
  if (auto comma = r.find(','); comma != std::string::npos && comma > 8) r[comma] = '.';
  // 20260101T120000Z (or …T120000.118Z) → 2026-01-01T12:00:00Z (…:00.118Z);
  // extended forms pass through
  if (r.size() >= 16 && r[8] == 'T' && r.back() == 'Z' && r.find('-') == std::string::npos &&
      (r.size() == 16 || r[15] == '.'))
    return r.substr(0, 4) + "-" + r.substr(4, 2) + "-" + r.substr(6, 2) + "T" + r.substr(9, 2) + ":" +
           r.substr(11, 2) + ":" + r.substr(13);
  return r;
}

std::string media_type_of(const Prop& p) {
  std::string mt = p.param("MEDIATYPE");
  if (!mt.empty()) return mt;
  for (const auto& t : p.params.count("TYPE") ? p.params.at("TYPE") : std::vector<std::string>{}) {
    std::string l = lower(t);
    if (l == "jpeg" || l == "jpg") return "image/jpeg";
    if (l == "png" || l == "gif" || l == "bmp" || l == "tiff") return "image/" + l;
  }
  return "";
}

const std::set<std::string>& known_names() {
  static const std::set<std::string> k = {"BEGIN", "END", "VERSION", "PRODID"};
  return k;
}

// JSContact address component kinds for the seven ADR fields.
const char* kAdrKinds[7] = {"postOfficeBox", "apartment", "name", "locality", "region", "postcode", "country"};
// JSContact name component kinds for the five N fields.
const char* kNKinds[5] = {"surname", "given", "given2", "title", "credential"};

}  // namespace

Parsed parse(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // BOM
  auto lines = logical_lines(text);
  Parsed out;
  json::object& c = out.card;
  c["@type"] = "Card";
  c["version"] = "1.0";
  bool begun = false, ended = false;
  std::string kind = "individual";
  json::array props;                 // vCardProps
  std::vector<Prop> labels;          // 2.1/3.0 LABEL properties, matched to ADRs below
  // an unconverted property as jCard (RFC 7095): [name, {params}, "unknown", value as written]
  auto carry = [&](const Prop& p) {
    json::object params;
    if (!p.group.empty()) params["group"] = p.group;
    for (const auto& [k, vals] : p.params) {
      if (k == "ENCODING" || k == "CHARSET") continue;  // the value is decoded
      std::string joined;
      for (const auto& v : vals) joined += (joined.empty() ? "" : ",") + v;
      params[lower(k)] = joined;
    }
    props.push_back(json::array{lower(p.name), std::move(params), "unknown", p.value});
    out.unknown.push_back(p.line);
  };
  for (size_t i = 0; i < lines.size(); ++i) {
    Prop p = parse_line(lines[i], i + 1);
    if (p.name == "BEGIN") {
      if (begun) throw std::runtime_error("line " + std::to_string(i + 1) + ": nested BEGIN (one card per file)");
      if (upper(p.value) != "VCARD") throw std::runtime_error("line " + std::to_string(i + 1) + ": BEGIN:VCARD expected");
      begun = true;
      continue;
    }
    if (!begun) throw std::runtime_error("line " + std::to_string(i + 1) + ": content before BEGIN:VCARD");
    if (p.name == "END") {
      ended = true;
      break;
    }
    const std::string& v = p.value;
    if (p.name == "VERSION") out.version = unescape(v);
    else if (p.name == "UID") c["uid"] = unescape(v);
    else if (p.name == "KIND" || p.name == "X-ADDRESSBOOKSERVER-KIND") kind = lower(unescape(v));
    else if (p.name == "FN") {
      json::object& n = c["name"].is_object() ? c["name"].as_object() : (c["name"] = json::object()).as_object();
      n["full"] = unescape(v);
    } else if (p.name == "N") {
      auto parts = split_escaped(v, ';');
      json::array comps;
      for (int k : {3, 1, 2, 0, 4}) {
        if (static_cast<size_t>(k) >= parts.size()) continue;
        for (auto& piece : split_unquoted(parts[static_cast<size_t>(k)], ','))
          if (!piece.empty()) comps.push_back(json::object{{"kind", kNKinds[k]}, {"value", piece}});
      }
      if (!comps.empty()) {
        json::object& n = c["name"].is_object() ? c["name"].as_object() : (c["name"] = json::object()).as_object();
        n["components"] = std::move(comps);
      }
    } else if (p.name == "NICKNAME") {
      for (auto& nick : split_escaped(v, ','))
        if (!nick.empty()) {
          json::object k{{"name", nick}};
          add_common(k, p);
          add_to_map(c, "nicknames", "k", p, std::move(k));
        }
    } else if (p.name == "EMAIL") {
      json::object e{{"address", unescape(v)}};
      add_common(e, p);
      add_to_map(c, "emails", "e", p, std::move(e));
    } else if (p.name == "TEL") {
      std::string num = unescape(v);
      if (num.starts_with("tel:")) num = num.substr(4);
      json::object t{{"number", num}};
      json::object f;
      static const std::pair<const char*, const char*> kFeat[] = {
          {"cell", "mobile"}, {"voice", "voice"}, {"fax", "fax"},     {"pager", "pager"},
          {"text", "text"},   {"video", "video"}, {"textphone", "textphone"}};
      std::set<std::string> mapped;
      for (auto [vt, js] : kFeat)
        if (p.has("TYPE", vt)) f[js] = true, mapped.insert(vt);
      if (!f.empty()) t["features"] = std::move(f);
      add_common(t, p, mapped);
      add_to_map(c, "phones", "p", p, std::move(t));
    } else if (p.name == "ADR") {
      auto parts = split_escaped(v, ';');
      json::array comps;
      for (size_t k = 0; k < 7 && k < parts.size(); ++k)
        if (!parts[k].empty()) comps.push_back(json::object{{"kind", kAdrKinds[k]}, {"value", parts[k]}});
      json::object a{{"components", std::move(comps)}};
      if (std::string label = p.param("LABEL"); !label.empty()) a["full"] = unescape(label);
      if (std::string geo = p.param("GEO"); !geo.empty()) a["coordinates"] = geo;
      if (std::string tz = p.param("TZ"); !tz.empty()) a["timeZone"] = tz;
      add_common(a, p, {}, {"LABEL", "GEO", "TZ"});
      add_to_map(c, "addresses", "a", p, std::move(a));
    } else if (p.name == "LABEL") {
      labels.push_back(p);
    } else if (p.name == "ORG") {
      auto parts = split_escaped(v, ';');
      json::object o{{"name", parts[0]}};
      json::array units;
      for (size_t k = 1; k < parts.size(); ++k)
        if (!parts[k].empty()) units.push_back(json::object{{"name", parts[k]}});
      if (!units.empty()) o["units"] = std::move(units);
      add_common(o, p);
      add_to_map(c, "organizations", "o", p, std::move(o));
    } else if (p.name == "TITLE" || p.name == "ROLE") {
      json::object t{{"name", unescape(v)}, {"kind", p.name == "TITLE" ? "title" : "role"}};
      add_common(t, p);
      add_to_map(c, "titles", "t", p, std::move(t));
    } else if (p.name == "NOTE") {
      json::object n{{"note", unescape(v)}};
      add_common(n, p);
      add_to_map(c, "notes", "n", p, std::move(n));
    } else if ((p.name == "BDAY" || p.name == "ANNIVERSARY" || p.name == "DEATHDATE") && lower(p.param("VALUE")) == "text") {
      // a date as text (RFC 6350 §6.2.5: "circa 1800", or FullContact's
      // second birthday under the same ALTID) is no date: kept as written
      carry(p);
    } else if (p.name == "BDAY" || p.name == "ANNIVERSARY" || p.name == "X-ANNIVERSARY" || p.name == "DEATHDATE") {
      const char* k = p.name == "BDAY" ? "birth" : p.name == "DEATHDATE" ? "death" : "wedding";
      json::object a{{"kind", k}, {"date", partial_date(unescape(v))}};
      add_common(a, p);
      add_to_map(c, "anniversaries", "b", p, std::move(a));
    } else if (p.name == "URL") {
      json::object l{{"uri", unescape(v)}};
      add_common(l, p);
      add_to_map(c, "links", "l", p, std::move(l));
    } else if (p.name == "IMPP") {
      json::object s{{"uri", unescape(v)}};
      add_common(s, p);
      add_to_map(c, "onlineServices", "s", p, std::move(s));
    } else if (p.name == "LANG") {
      json::object l{{"language", unescape(v)}};
      add_common(l, p);
      add_to_map(c, "preferredLanguages", "g", p, std::move(l));
    } else if (p.name == "RELATED") {
      json::object rel;
      if (auto it = p.params.find("TYPE"); it != p.params.end())
        for (const auto& t : it->second) rel[lower(t)] = true;
      json::object r{{"@type", "Relation"}};
      if (!rel.empty()) r["relation"] = std::move(rel);
      std::set<std::string> types;
      if (auto it = p.params.find("TYPE"); it != p.params.end())
        for (const auto& t : it->second) types.insert(lower(t));
      add_vcard_params(r, p, types);
      json::object& m = c["relatedTo"].is_object() ? c["relatedTo"].as_object() : (c["relatedTo"] = json::object()).as_object();
      m[unescape(v)] = std::move(r);
    } else if (p.name == "PHOTO" || p.name == "LOGO" || p.name == "SOUND") {
      std::string enc = upper(p.param("ENCODING"));
      std::string uri;
      std::string mt = media_type_of(p);
      if (enc == "B" || enc == "BASE64") {
        std::string b64 = v;
        std::erase_if(b64, [](char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n'; });
        std::string def = p.name == "SOUND" ? "audio/basic" : "image/jpeg";
        uri = "data:" + (mt.empty() ? def : mt) + ";base64," + b64;
      } else {
        uri = v;  // 4.0 data: URI or a link
      }
      json::object m{{"kind", lower(p.name)}, {"uri", uri}};
      if (!mt.empty() && !uri.starts_with("data:")) m["mediaType"] = mt;
      std::set<std::string> media_types = {"jpeg", "jpg", "png", "gif", "bmp", "tiff"};
      add_common(m, p, media_types, {"MEDIATYPE"});
      add_to_map(c, "media", "m", p, std::move(m));
    } else if (p.name == "CATEGORIES") {
      json::object& kw = c["keywords"].is_object() ? c["keywords"].as_object() : (c["keywords"] = json::object()).as_object();
      for (auto& cat : split_escaped(v, ','))
        if (!cat.empty()) kw[cat] = true;
    } else if (p.name == "REV") {
      c["updated"] = timestamp_from_rev(unescape(v));
    } else if (p.name == "X-ACCORD-ID") {
      out.idempotency_key = unescape(v);
    } else if (!known_names().contains(p.name)) {
      // GEO, TZ, GENDER, KEY, MEMBER, X-ABLabel, X-SOCIALPROFILE, …
      carry(p);
    }
  }
  if (!begun) throw std::runtime_error("no BEGIN:VCARD");
  if (!ended) throw std::runtime_error("no END:VCARD (truncated file?)");
  // 2.1/3.0 LABEL: the full form of the address of the same types
  for (const Prop& l : labels) {
    json::object* match = nullptr;
    if (auto* m = c.if_contains("addresses"); m && m->is_object())
      for (auto& [id, av] : m->as_object()) {
        (void)id;
        if (!av.is_object() || av.as_object().contains("full")) continue;
        json::object ctx = contexts_of(l);
        const json::value* have = av.as_object().if_contains("contexts");
        if ((ctx.empty() && !have) || (have && *have == json::value(ctx))) {
          match = &av.as_object();
          break;
        }
      }
    if (match) (*match)["full"] = unescape(l.value);
    else carry(l);
  }
  c["kind"] = kind;
  if (!props.empty()) c["vCardProps"] = std::move(props);
  return out;
}

// ---- writing ---------------------------------------------------------------

namespace {

std::string escape(std::string_view s, bool structured) {
  std::string o;
  for (char ch : s) {
    switch (ch) {
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\r': break;
      case ',': o += "\\,"; break;
      case ';': o += structured ? "\\;" : ";"; break;
      default: o += ch;
    }
  }
  return o;
}

// Folds a content line at 75 octets, never inside a UTF-8 sequence.
void emit(std::string& out, const std::string& line) {
  size_t pos = 0, limit = 75;
  while (line.size() - pos > limit) {
    size_t cut = pos + limit;
    while (cut > pos && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
    if (cut == pos) cut = pos + limit;  // no character boundary (bytes that are not UTF-8): cut anyway
    out.append(line, pos, cut - pos);
    out += "\r\n ";
    pos = cut;
    limit = 74;
  }
  out.append(line, pos, std::string::npos);
  out += "\r\n";
}

std::string str(const json::value* v) { return v && v->is_string() ? std::string(v->get_string()) : std::string(); }

// A parameter value as written: quoted where it holds , ; or :
std::string param_value(const std::string& v) {
  return v.find_first_of(",;:") != std::string::npos && !v.starts_with("\"") ? "\"" + v + "\"" : v;
}

std::string quoted_printable(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string o;
  for (unsigned char ch : s) {
    if (ch == '\n') {
      o += "=0D=0A";
    } else if (ch >= 0x80 || ch == '=' || ch < 0x20) {
      o += '=';
      o += hex[ch >> 4];
      o += hex[ch & 15];
    } else {
      o += static_cast<char>(ch);
    }
  }
  return o;
}

struct Writer {
  std::string out;
  bool v4;
  bool v21 = false;

  // Emits a content line; vCard 2.1 gets quoted-printable (UTF-8) for
  // values with line breaks or non-ASCII text, with soft line breaks.
  void line(const std::string& l) {
    if (!v21) return emit(out, l);
    size_t colon = find_unquoted(l, ':');
    if (colon == std::string::npos) return emit(out, l);
    std::string head = l.substr(0, colon), value = l.substr(colon + 1);
    if (upper(head).find("ENCODING=") != std::string::npos) return emit(out, l);  // base64 photos
    std::string plain;  // 2.1 escapes only ';' in structured values
    for (size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '\\' && i + 1 < value.size() && (value[i + 1] == 'n' || value[i + 1] == 'N')) {
        plain += '\n';
        ++i;
      } else if (value[i] == '\\' && i + 1 < value.size() && (value[i + 1] == ',' || value[i + 1] == '\\')) {
        plain += value[++i];
      } else {
        plain += value[i];
      }
    }
    bool ascii = std::all_of(plain.begin(), plain.end(), [](char ch) { return static_cast<unsigned char>(ch) < 0x80 && ch != '\n'; });
    if (ascii) return emit(out, head + ":" + plain);
    std::string qp = head + ";CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:" + quoted_printable(plain);
    size_t pos = 0;
    while (qp.size() - pos > 75) {  // soft line breaks, never inside an =XX
      size_t cut = pos + 74;
      if (qp[cut - 1] == '=') cut -= 1;
      else if (qp[cut - 2] == '=') cut -= 2;
      out.append(qp, pos, cut - pos);
      out += "=\r\n";
      pos = cut;
    }
    out.append(qp, pos, std::string::npos);
    out += "\r\n";
  }

  static std::string group(const json::object& o) {
    if (auto* vp = o.if_contains("vCardParams"); vp && vp->is_object())
      if (auto* g = vp->get_object().if_contains("group"); g && g->is_string() && !g->get_string().empty())
        return std::string(g->get_string()) + ".";
    return "";
  }

  std::string params(const json::object& o, const std::string& id, const std::string& positional,
                     std::vector<std::string> types) {
    std::string p;
    if (auto* c = o.if_contains("contexts"); c && c->is_object()) {
      if (c->get_object().contains("work")) types.push_back("work");
      if (c->get_object().contains("private")) types.push_back("home");
    }
    std::string extra;
    if (auto* vp = o.if_contains("vCardParams"); vp && vp->is_object())
      for (const auto& [k, v] : vp->get_object()) {
        std::string val = v.is_string() ? std::string(v.get_string()) : json::serialize(v);
        if (k == "group") continue;
        if (k == "type") {
          for (size_t at = 0; at <= val.size();) {
            size_t comma = val.find(',', at);
            std::string t = val.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
            if (!t.empty()) types.push_back(t);
            at = comma == std::string::npos ? val.size() + 1 : comma + 1;
          }
          continue;
        }
        extra += ";" + upper(std::string(k)) + "=" + param_value(val);
      }
    int pref = 0;
    if (auto* pv = o.if_contains("pref"); pv && pv->is_int64()) pref = static_cast<int>(pv->get_int64());
    if (pref && !v4) types.push_back("pref");
    if (v21) {
      for (const auto& t : types) p += ";" + upper(t);  // 2.1: bare types, TEL;WORK;VOICE
    } else if (!types.empty()) {
      p += ";TYPE=";
      for (size_t i = 0; i < types.size(); ++i) p += (i ? "," : "") + types[i];
    }
    if (pref && v4) p += ";PREF=" + std::to_string(pref);
    if (v4 && id != positional) p += ";PROP-ID=" + id;
    return p + extra;
  }

  template <class F>
  void each(const json::object& card, const char* key, const char* prefix, F&& f) {
    auto* m = card.if_contains(key);
    if (!m || !m->is_object()) return;
    size_t n = 0;
    for (const auto& [id, v] : m->get_object()) {
      if (!v.is_object()) continue;
      f(std::string(id), prefix + std::to_string(++n), v.get_object());
    }
  }
};

std::string full_name(const json::object& card) {
  const json::object* name = card.if_contains("name") ? card.at("name").if_object() : nullptr;
  if (name) {
    if (auto s = str(name->if_contains("full")); !s.empty()) return s;
    std::string given, surname;
    if (auto* comps = name->if_contains("components"); comps && comps->is_array())
      for (const auto& cv : comps->get_array()) {
        if (!cv.is_object()) continue;
        std::string k = str(cv.get_object().if_contains("kind")), v = str(cv.get_object().if_contains("value"));
        if (k == "given" && given.empty()) given = v;
        if (k == "surname" && surname.empty()) surname = v;
      }
    std::string f = given + (given.empty() || surname.empty() ? "" : " ") + surname;
    if (!f.empty()) return f;
  }
  for (const char* k : {"organizations", "emails"})
    if (auto* m = card.if_contains(k); m && m->is_object() && !m->get_object().empty()) {
      const auto& first = m->get_object().begin()->value();
      if (first.is_object()) {
        auto s = str(first.get_object().if_contains(std::string(k) == "emails" ? "address" : "name"));
        if (!s.empty()) return s;
      }
    }
  return "Unnamed";
}

std::string date_value(const json::value& d, bool v4) {
  if (d.is_string()) return std::string(d.get_string());
  if (!d.is_object()) return "";
  const json::object& o = d.get_object();
  if (str(o.if_contains("@type")) == "Timestamp") {  // 2009-08-08T19:30:00Z → 20090808T193000Z
    std::string u = str(o.if_contains("utc"));
    std::erase_if(u, [](char ch) { return ch == '-' || ch == ':'; });
    return u;
  }
  auto num = [&](const char* k, int width) -> std::string {
    auto* v = o.if_contains(k);
    if (!v || !v->is_int64()) return "";
    char b[8];
    std::snprintf(b, sizeof b, "%0*lld", width, static_cast<long long>(v->get_int64()));
    return b;
  };
  std::string y = num("year", 4), m = num("month", 2), dd = num("day", 2);
  if (y.empty()) return "--" + m + (v4 ? "" : "-") + dd;
  if (m.empty()) return y;
  return v4 ? y + m + dd : y + "-" + m + "-" + dd;
}

}  // namespace

// A content line reduced to what it means: the card it makes on its own (so
// escaping, date forms, encodings and parameter order do not count), or,
// for a line that makes none (VERSION, PRODID), its name, parameters and value.
std::string meaning(const std::string& l) {
  try {
    std::string one = "BEGIN:VCARD\r\n" + l + "\r\nEND:VCARD\r\n";
    Parsed p = parse(one);
    json::object c = std::move(p.card);
    c.erase("@type");
    c.erase("version");
    if (c.contains("kind") && c.at("kind") == "individual") c.erase("kind");
    // REV is written in whole seconds: a line with a fraction means the same
    if (auto* u = c.if_contains("updated"); u && u->is_string())
      if (std::string t(u->get_string()); t.find('.') != std::string::npos && t.ends_with('Z'))
        *u = t.substr(0, t.find('.')) + "Z";
    if (!c.empty() || !p.idempotency_key.empty()) return json::serialize(c) + "\n" + p.idempotency_key;
    Prop x = parse_line(l, 0);
    std::string k = lower(x.group) + "." + x.name;
    for (auto [name, vals] : x.params) {
      if (name == "ENCODING" || name == "CHARSET") continue;
      std::sort(vals.begin(), vals.end());
      k += ";" + name + "=";
      for (const auto& v : vals) k += v + ",";
    }
    return k + ":" + x.value;
  } catch (const std::exception&) {
    return l;
  }
}

namespace {
std::string serialize_card(const json::object& card, const std::string& version, const std::string& idem,
                           const std::vector<std::string>& keep, bool explicit_kind, bool fn_optional = false,
                           const std::vector<std::string>& old_labels = {});
}

std::string serialize(const json::object& card, const std::string& version, const std::string& idem,
                      const std::vector<std::string>& keep) {
  return serialize_card(card, version, idem, keep, false);
}

namespace {
// The head (group, name and parameters but ENCODING and CHARSET, as
// written) of the first unused LABEL line of `labels` that parse() would
// match to address `o` whose full form is `full`: the same group, the same
// contexts and that text.
std::optional<std::string> old_label_head(const std::vector<std::string>& labels, std::vector<bool>& used,
                                          const json::object& o, const std::string& full) {
  std::string group = Writer::group(o);
  const json::value* have = o.if_contains("contexts");
  for (size_t i = 0; i < labels.size(); ++i) {
    if (used[i]) continue;
    Prop l = parse_line(labels[i], 0);
    json::object ctx = contexts_of(l);
    bool same_contexts = have ? *have == json::value(ctx) : ctx.empty();
    if (!same_contexts || (l.group.empty() ? "" : l.group + ".") != group || unescape(l.value) != full) continue;
    used[i] = true;
    std::string head;
    for (const auto& piece : split_unquoted(std::string_view(labels[i]).substr(0, find_unquoted(labels[i], ':')), ';', true)) {
      std::string u = upper(piece);
      if (u.starts_with("ENCODING=") || u.starts_with("CHARSET=") || u == "QUOTED-PRINTABLE" || u == "BASE64" ||
          u == "8BIT" || u == "7BIT")
        continue;
      head += (head.empty() ? "" : ";") + piece;
    }
    return head;
  }
  return std::nullopt;
}

std::string serialize_card(const json::object& card, const std::string& version, const std::string& idem,
                           const std::vector<std::string>& keep, bool explicit_kind, bool fn_optional,
                           const std::vector<std::string>& old_labels) {
  Writer w{"", version != "3.0" && version != "2.1"};
  std::vector<bool> used_labels(old_labels.size(), false);
  w.v21 = version == "2.1";
  std::string& out = w.out;
  auto emit_line = [&](const std::string& l) { w.line(l); };
  emit(out, "BEGIN:VCARD");
  emit(out, "VERSION:" + std::string(w.v4 ? "4.0" : w.v21 ? "2.1" : "3.0"));
  emit(out, "PRODID:-//Accord//local connector//EN");
  if (auto uid = str(card.if_contains("uid")); !uid.empty()) emit_line("UID:" + escape(uid, false));
  {
    std::string kind = str(card.if_contains("kind"));
    // "individual" is the default: written only where the old file said it
    if (!kind.empty() && (kind != "individual" || explicit_kind))
      emit_line((w.v4 ? "KIND:" : "X-ADDRESSBOOKSERVER-KIND:") + kind);
  }
  // FN is required but in 2.1: a 2.1 card that had none gets one only when
  // the record names someone (not a name made up from the address)
  bool named = false;
  if (auto* name = card.if_contains("name"); name && name->is_object())
    named = !str(name->get_object().if_contains("full")).empty() || name->get_object().contains("components");
  if (!fn_optional || named) emit_line("FN:" + escape(full_name(card), false));
  if (auto* name = card.if_contains("name"); name && name->is_object())
    if (auto* comps = name->get_object().if_contains("components"); comps && comps->is_array()) {
      std::string fields[5];
      for (const auto& cv : comps->get_array()) {
        if (!cv.is_object()) continue;
        std::string k = str(cv.get_object().if_contains("kind")), v = str(cv.get_object().if_contains("value"));
        for (int i = 0; i < 5; ++i)
          if (k == kNKinds[i]) fields[i] += (fields[i].empty() ? "" : ",") + escape(v, true);
      }
      emit_line("N:" + fields[0] + ";" + fields[1] + ";" + fields[2] + ";" + fields[3] + ";" + fields[4]);
    }
  auto G = [](const json::object& o) { return Writer::group(o); };
  {
    // nicknames without parameters share one line (NICKNAME:Countess,Enchantress)
    std::string plain;
    w.each(card, "nicknames", "k", [&](const std::string& id, const std::string& pos, const json::object& o) {
      std::string prm = w.params(o, id, pos, {});
      if (prm.empty() && G(o).empty()) plain += (plain.empty() ? "" : ",") + escape(str(o.if_contains("name")), false);
    });
    if (!plain.empty()) emit_line("NICKNAME:" + plain);
    w.each(card, "nicknames", "k", [&](const std::string& id, const std::string& pos, const json::object& o) {
      std::string prm = w.params(o, id, pos, {});
      if (!prm.empty() || !G(o).empty())
        emit_line(G(o) + "NICKNAME" + prm + ":" + escape(str(o.if_contains("name")), false));
    });
  }
  w.each(card, "emails", "e", [&](const std::string& id, const std::string& pos, const json::object& o) {
    emit_line(G(o) + "EMAIL" + w.params(o, id, pos, {}) + ":" + escape(str(o.if_contains("address")), false));
  });
  w.each(card, "phones", "p", [&](const std::string& id, const std::string& pos, const json::object& o) {
    std::vector<std::string> types;
    if (auto* f = o.if_contains("features"); f && f->is_object())
      for (const auto& [k, v] : f->get_object()) {
        (void)v;
        types.push_back(k == "mobile" ? "cell" : std::string(k));
      }
    emit_line(G(o) + "TEL" + w.params(o, id, pos, types) + ":" + escape(str(o.if_contains("number")), false));
  });
  w.each(card, "addresses", "a", [&](const std::string& id, const std::string& pos, const json::object& o) {
    std::string f[7];
    if (auto* comps = o.if_contains("components"); comps && comps->is_array())
      for (const auto& cv : comps->get_array()) {
        if (!cv.is_object()) continue;
        std::string k = str(cv.get_object().if_contains("kind")), v = str(cv.get_object().if_contains("value"));
        int slot = k == "number" ? 2 : -1;
        for (int i = 0; i < 7; ++i)
          if (k == kAdrKinds[i]) slot = i;
        if (slot < 0) slot = 2;  // other street-level parts join the street
        f[slot] += (f[slot].empty() ? "" : " ") + v;
      }
    std::string p = w.params(o, id, pos, {});
    std::string full = str(o.if_contains("full"));
    if (w.v4) {
      if (!full.empty()) p += ";LABEL=\"" + escape(full, false) + "\"";
      if (auto g = str(o.if_contains("coordinates")); !g.empty()) p += ";GEO=\"" + g + "\"";
      if (auto tz = str(o.if_contains("timeZone")); !tz.empty()) p += ";TZ=" + param_value(tz);
    }
    std::string v;
    for (int i = 0; i < 7; ++i) v += (i ? ";" : "") + escape(f[i], true);
    emit_line(G(o) + "ADR" + p + ":" + v);
    // 2.1 and 3.0 write the full form as a LABEL of the same types, or as
    // the old file's LABEL of this address had them (Outlook writes
    // LABEL;WORK;PREF, Lotus Notes other types than the ADR's): its head as
    // it was, the value as it is now
    if (!w.v4 && !full.empty()) {
      if (auto head = old_label_head(old_labels, used_labels, o, full); head) {
        emit_line(*head + ":" + escape(full, false));
        return;
      }
      json::object lo = o;  // the LABEL's own types: the contexts (TYPE=postal and the like stay on ADR)
      lo.erase("pref");
      if (auto* vp = lo.if_contains("vCardParams"); vp && vp->is_object()) {
        json::object only_group;
        if (auto* g = vp->get_object().if_contains("group")) only_group["group"] = *g;
        if (only_group.empty()) lo.erase("vCardParams");
        else lo["vCardParams"] = std::move(only_group);
      }
      emit_line(G(o) + "LABEL" + w.params(lo, id, pos, {}) + ":" + escape(full, false));
    }
  });
  w.each(card, "organizations", "o", [&](const std::string& id, const std::string& pos, const json::object& o) {
    std::string v = escape(str(o.if_contains("name")), true);
    if (auto* units = o.if_contains("units"); units && units->is_array())
      for (const auto& u : units->get_array())
        if (u.is_object()) v += ";" + escape(str(u.get_object().if_contains("name")), true);
    emit_line(G(o) + "ORG" + w.params(o, id, pos, {}) + ":" + v);
  });
  w.each(card, "titles", "t", [&](const std::string& id, const std::string& pos, const json::object& o) {
    emit_line(G(o) + std::string(str(o.if_contains("kind")) == "role" ? "ROLE" : "TITLE") + w.params(o, id, pos, {}) +
              ":" + escape(str(o.if_contains("name")), false));
  });
  w.each(card, "anniversaries", "b", [&](const std::string& id, const std::string& pos, const json::object& o) {
    const json::value* d = o.if_contains("date");
    if (!d) return;
    std::string k = str(o.if_contains("kind"));
    // 2.1/3.0 have no ANNIVERSARY: X-ANNIVERSARY, which Apple, Evolution and Outlook read
    std::string name = k == "birth" ? "BDAY" : k == "death" ? "DEATHDATE" : w.v4 ? "ANNIVERSARY" : "X-ANNIVERSARY";
    emit_line(G(o) + name + w.params(o, id, pos, {}) + ":" + date_value(*d, w.v4));
  });
  w.each(card, "links", "l", [&](const std::string& id, const std::string& pos, const json::object& o) {
    emit_line(G(o) + "URL" + w.params(o, id, pos, {}) + ":" + str(o.if_contains("uri")));
  });
  w.each(card, "onlineServices", "s", [&](const std::string& id, const std::string& pos, const json::object& o) {
    emit_line(G(o) + "IMPP" + w.params(o, id, pos, {}) + ":" + str(o.if_contains("uri")));
  });
  w.each(card, "preferredLanguages", "g", [&](const std::string& id, const std::string& pos, const json::object& o) {
    emit_line(G(o) + "LANG" + w.params(o, id, pos, {}) + ":" + str(o.if_contains("language")));
  });
  if (auto* rel = card.if_contains("relatedTo"); rel && rel->is_object())
    for (const auto& [uri, rv] : rel->get_object()) {
      if (!rv.is_object()) continue;
      std::vector<std::string> types;
      if (auto* r = rv.get_object().if_contains("relation"); r && r->is_object())
        for (const auto& [t, on] : r->get_object()) {
          (void)on;
          types.push_back(std::string(t));
        }
      emit_line(G(rv.get_object()) + "RELATED" + w.params(rv.get_object(), "", "", types) + ":" + std::string(uri));
    }
  w.each(card, "media", "m", [&](const std::string& id, const std::string& pos, const json::object& o) {
    std::string uri = str(o.if_contains("uri"));
    std::string kind = str(o.if_contains("kind"));
    if (uri.empty() || (kind != "photo" && kind != "logo" && kind != "sound")) return;
    std::string name = G(o) + upper(kind);
    std::string p = w.params(o, id, pos, {});
    if (w.v4) {
      if (auto mt = str(o.if_contains("mediaType")); !mt.empty()) p += ";MEDIATYPE=" + mt;
      emit_line(name + p + ":" + uri);
    } else if (uri.starts_with("data:") && uri.find(";base64,") != std::string::npos) {
      std::string mt = uri.substr(5, uri.find(';') - 5);
      std::string type = upper(mt.substr(mt.find('/') + 1));
      emit_line(name + (w.v21 ? ";ENCODING=BASE64;TYPE=" : ";ENCODING=b;TYPE=") + type + ":" +
                uri.substr(uri.find(";base64,") + 8));
    } else {
      emit_line(name + (w.v21 ? ";VALUE=URL:" : ";VALUE=uri:") + uri);
    }
  });
  w.each(card, "notes", "n", [&](const std::string& id, const std::string& pos, const json::object& o) {
    emit_line(G(o) + "NOTE" + w.params(o, id, pos, {}) + ":" + escape(str(o.if_contains("note")), false));
  });
  if (auto* kw = card.if_contains("keywords"); kw && kw->is_object() && !kw->get_object().empty()) {
    std::string v;
    for (const auto& [k, on] : kw->get_object())
      if (on.is_bool() && on.get_bool()) v += (v.empty() ? "" : ",") + escape(k, false);
    if (!v.empty()) emit_line("CATEGORIES:" + v);
  }
  if (auto upd = str(card.if_contains("updated")); !upd.empty()) {
    std::string rev = upd;
    std::erase_if(rev, [](char ch) { return ch == '-' || ch == ':'; });
    if (auto dot = rev.find('.'); dot != std::string::npos) rev = rev.substr(0, dot) + "Z";
    emit_line("REV:" + rev);
  }
  if (!idem.empty()) emit_line("X-ACCORD-ID:" + escape(idem, false));
  // vCardProps: written as the previous file had them where it had them
  std::map<std::string, size_t> kept;
  std::vector<bool> used(keep.size(), false);
  for (size_t i = 0; i < keep.size(); ++i) kept.emplace(meaning(keep[i]), i);
  if (auto* props = card.if_contains("vCardProps"); props && props->is_array())
    for (const auto& pv : props->get_array()) {
      if (!pv.is_array() || pv.get_array().size() < 4 || !pv.get_array()[0].is_string()) continue;
      const json::array& a = pv.get_array();
      std::string l;
      std::string params;
      if (a[1].is_object())
        for (const auto& [k, v] : a[1].get_object()) {
          std::string val = v.is_string() ? std::string(v.get_string()) : json::serialize(v);
          if (k == "group") l = val + ".";
          else params += ";" + upper(std::string(k)) + "=" + param_value(val);
        }
      std::string value = a[3].is_string() ? std::string(a[3].get_string()) : json::serialize(a[3]);
      l += upper(std::string(a[0].get_string())) + params + ":" + value;
      if (auto it = kept.find(meaning(l)); it != kept.end() && !used[it->second]) {
        used[it->second] = true;
        emit(out, keep[it->second]);
      } else {
        emit_line(l);
      }
    }
  for (size_t i = 0; i < keep.size(); ++i)
    if (!used[i]) emit(out, keep[i]);
  emit(out, "END:VCARD");
  return out;
}
}  // namespace

std::string rewrite(std::string_view old_text, const json::object& card, const std::string& idem) {
  Parsed old = parse(old_text);
  std::string version = old.version == "2.1" || old.version == "3.0" ? old.version : "4.0";
  bool explicit_kind = false, has_fn = false;
  std::vector<std::string> labels;
  for (const auto& l : logical_lines(old_text)) {
    std::string n = upper(l.substr(0, l.find_first_of(";:")));
    explicit_kind = explicit_kind || n == "KIND" || n.ends_with(".KIND") || n == "X-ADDRESSBOOKSERVER-KIND";
    has_fn = has_fn || n == "FN" || n.ends_with(".FN");
    if (n == "LABEL" || n.ends_with(".LABEL")) labels.push_back(l);
  }
  std::string fresh =
      serialize_card(card, version, idem, old.unknown, explicit_kind, version == "2.1" && !has_fn, labels);
  merge::Rules rules;
  rules.key = meaning;
  rules.keep_old = {"VERSION", "PRODID"};
  rules.qp_soft_breaks = true;
  return merge::merge(old_text, fresh, rules);
}

const std::vector<std::string>& fields() {
  static const std::vector<std::string> f = {
      "/uid",           "/kind",   "/name",     "/nicknames",      "/emails",   "/phones",
      "/addresses",     "/organizations",       "/titles",         "/notes",    "/anniversaries",
      "/links",         "/onlineServices",      "/media",          "/keywords", "/updated",
      "/preferredLanguages", "/relatedTo",      "/vCardProps"};
  return f;
}

}  // namespace accord::formats::vcard
