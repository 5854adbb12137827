// SPDX-License-Identifier: Apache-2.0
#include <accord/formats/compare.hpp>

#include <accord/formats/icalendar.hpp>
#include <accord/formats/text_codec.hpp>
#include <accord/formats/vcard.hpp>

#include "content_lines.hpp"

#include <boost/json.hpp>

#include <functional>
#include <optional>
#include <set>

namespace json = boost::json;

namespace accord::formats::compare {

namespace {

struct Line {
  size_t begin, end;  // byte range of the logical line (folded continuations included)
  std::string logical;
};

std::vector<Line> lines_of(std::string_view t) {
  std::vector<Line> out;
  size_t pos = 0;
  while (pos < t.size()) {
    size_t nl = t.find('\n', pos);
    size_t end = nl == std::string_view::npos ? t.size() : nl + 1;
    std::string content(t.substr(pos, end - pos));
    while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) content.pop_back();
    if ((content.starts_with(" ") || content.starts_with("\t")) && !out.empty()) {
      out.back().end = end;
      out.back().logical += content.substr(1);
    } else if (!content.empty()) {
      out.push_back({pos, end, content});
    } else if (!out.empty()) {
      out.back().end = end;
    }
    pos = end;
  }
  // vCard 2.1 quoted-printable soft line breaks
  for (size_t i = 0; i + 1 < out.size();) {
    const std::string& l = out[i].logical;
    size_t colon = l.find(':');
    if (colon != std::string::npos && !l.empty() && l.back() == '=' &&
        codec::upper(l.substr(0, colon)).find("QUOTED-PRINTABLE") != std::string::npos) {
      out[i].logical.pop_back();
      out[i].logical += out[i + 1].logical;
      out[i].end = out[i + 1].end;
      out.erase(out.begin() + static_cast<std::ptrdiff_t>(i) + 1);
    } else {
      ++i;
    }
  }
  return out;
}

std::string name_of(const std::string& l) {
  std::string n = codec::upper(l.substr(0, l.find_first_of(";:")));
  if (auto dot = n.find('.'); dot != std::string::npos) n = n.substr(dot + 1);
  return n;
}

// Whether `v` is among the values of `m` (an object's member values or an
// array's elements): ids and order do not count.
bool among(const json::value& v, const json::value* m) {
  if (!m) return false;
  if (const auto* o = m->if_object()) {
    for (const auto& [k, x] : *o) {
      (void)k;
      if (x == v) return true;
    }
  } else if (const auto* a = m->if_array()) {
    for (const auto& x : *a)
      if (x == v) return true;
  }
  return false;
}

// Members whose values are collections of entries (ids and order aside).
bool is_collection(const json::value& v) {
  if (v.is_array()) return true;
  if (!v.is_object() || v.get_object().empty()) return false;
  for (const auto& [k, x] : v.get_object()) {
    (void)k;
    if (!x.is_object() && !x.is_array()) return false;
  }
  return true;
}

// What A has that A without the line has not: (member, value, whole?)
// pairs, collections entry by entry.
struct Delta {
  std::string key;
  json::value value;
  bool entry;  // an entry of a collection, else the member's whole value
};
std::vector<Delta> delta(const json::object& with, const json::object& without) {
  std::vector<Delta> out;
  for (const auto& [k, v] : with) {
    const json::value* w = without.if_contains(k);
    if (w && *w == v) continue;
    if (is_collection(v)) {
      auto each = [&](const json::value& x) {
        if (!among(x, w)) out.push_back({std::string(k), x, true});
      };
      if (v.is_object())
        for (const auto& [id, x] : v.get_object()) {
          (void)id;
          each(x);
        }
      else
        for (const auto& x : v.get_array()) each(x);
    } else {
      out.push_back({std::string(k), v, false});
    }
  }
  return out;
}

bool kept_in(const std::vector<Delta>& d, const json::object& b) {
  for (const auto& x : d) {
    const json::value* have = b.if_contains(x.key);
    if (x.entry ? !among(x.value, have) : (!have || *have != x.value)) return false;
  }
  return true;
}

Result run(std::string_view a, std::string_view b, const std::function<std::optional<json::object>(std::string_view)>& read,
           bool calendar) {
  Result r;
  auto ra = read(a), rb = read(b);
  if (!ra) return r;
  json::object empty;
  const json::object& bo = rb ? *rb : empty;
  auto lines = lines_of(a);
  std::vector<std::string> b_tzids;
  std::set<std::string> b_lines;
  for (const auto& l : lines_of(b)) {
    if (name_of(l.logical) == "TZID") b_tzids.push_back(l.logical.substr(l.logical.find(':') + 1));
    b_lines.insert(lines::normal(l.logical));
  }
  int depth_tz = 0;
  for (const auto& l : lines) {
    std::string n = name_of(l.logical);
    std::string value = l.logical.find(':') == std::string::npos ? "" : l.logical.substr(l.logical.find(':') + 1);
    if (n == "BEGIN" && codec::upper(value) == "VTIMEZONE") ++depth_tz;
    if (n == "END" && codec::upper(value) == "VTIMEZONE") --depth_tz;
    if (depth_tz > 0) {
      if (n == "TZID") {  // the zone counts once, by its name
        ++r.properties;
        bool found = false;
        for (const auto& t : b_tzids) found = found || t == value;
        if (found) ++r.kept;
        else r.lost.push_back("VTIMEZONE " + value);
      }
      continue;
    }
    if (n == "BEGIN" || n == "END" || n == "VERSION" || n == "PRODID" || n == "DTSTAMP" || n == "TZID") continue;
    (void)calendar;
    ++r.properties;
    std::string without(a.substr(0, l.begin));
    without += a.substr(l.end);
    auto rw = read(without);
    std::vector<Delta> d = rw ? delta(*ra, *rw) : std::vector<Delta>{};
    bool kept = rw && !d.empty() && kept_in(d, bo);
    // a line the record holds no trace of (a default: ACTION:DISPLAY; or what
    // gives a component its place: an override's UID and RECURRENCE-ID) is
    // kept where B has the same line
    if (!kept && (!rw || d.empty())) kept = b_lines.contains(lines::normal(l.logical));
    if (kept) ++r.kept;
    else r.lost.push_back(l.logical.substr(0, 120));
  }
  return r;
}

}  // namespace

Result vcards(std::string_view a, std::string_view b) {
  return run(a, b, [](std::string_view t) -> std::optional<json::object> {
    try {
      auto p = vcard::parse(t);
      if (!p.idempotency_key.empty()) p.card["@idempotency"] = p.idempotency_key;
      return p.card;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }, false);
}

Result calendars(std::string_view a, std::string_view b) {
  return run(a, b, [](std::string_view t) -> std::optional<json::object> {
    try {
      auto p = icalendar::parse(t);
      if (!p.idempotency_key.empty()) p.object["@idempotency"] = p.idempotency_key;
      return p.object;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }, true);
}

}  // namespace accord::formats::compare
