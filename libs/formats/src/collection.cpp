// SPDX-License-Identifier: Apache-2.0
#include <accord/formats/collection.hpp>

#include <accord/formats/text_codec.hpp>

#include "content_lines.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

namespace accord::formats::collection {

namespace {

using lines::name_of;
using lines::value_colon;
using lines::value_of;
using Line = lines::ContentLine;

// What names an override among its series' components: RECURRENCE-ID's
// value and zone, however the TZID is quoted.
std::string recurrence_id(const std::string& l) {
  std::set<std::string> zones;
  lines::tzid_params(l, zones);
  return codec::upper(value_of(l)) + "|" + (zones.empty() ? "" : *zones.begin());
}

std::string bytes(std::string_view text, size_t b, size_t e) { return std::string(text.substr(b, e - b)); }

// One component directly inside the VCALENDAR.
struct Comp {
  std::string type, uid, tzid;
  std::string rid;  // an override's RECURRENCE-ID (its value and TZID), "" for a master
  bool uid_given = false, override_ = false;
  size_t begin = 0, end = 0;
  std::set<std::string> zones;  // TZIDs its lines name
  size_t cal = 0;               // the VCALENDAR it stands in (a file may join several)
};

// The VCALENDAR's own bytes.
struct Head {
  std::string begin_line, own_lines, end_line;
};

// A file's calendars: one, or several joined (some exports, `cat a.ics b.ics`).
struct Calendar {
  std::vector<Head> heads;
  std::vector<Comp> comps;
};

Calendar scan_calendar(std::string_view text) {
  auto all = lines::content_lines(text, false);
  Calendar cal;
  std::vector<std::string> stack;
  Comp cur;
  bool done = false;  // the last VCALENDAR ended
  size_t line = 1, counted_to = 0;  // the line number of ln, for messages
  auto at = [&](const std::string& what) { return "line " + std::to_string(line) + ": " + what; };
  for (const Line& ln : all) {
    line += static_cast<size_t>(std::count(text.begin() + static_cast<std::ptrdiff_t>(counted_to),
                                           text.begin() + static_cast<std::ptrdiff_t>(ln.begin), '\n'));
    counted_to = ln.begin;
    std::string name = name_of(ln.logical);
    if (stack.empty()) {
      if (name == "BEGIN" && codec::upper(value_of(ln.logical)) == "VCALENDAR") {
        stack.push_back("VCALENDAR");
        cal.heads.push_back({bytes(text, ln.begin, ln.end), "", ""});
        done = false;
        continue;
      }
      if (done) continue;  // after the END:VCALENDAR: not ours to read (kept as it is)
      throw std::runtime_error(at("not iCalendar: " + name + " before BEGIN:VCALENDAR"));
    }
    if (name == "BEGIN") {
      std::string type = codec::upper(value_of(ln.logical));
      if (stack.size() == 1) cur = Comp{type, "", "", "", false, false, ln.begin, 0, {}, cal.heads.size() - 1};
      stack.push_back(type);
      continue;
    }
    if (name == "END") {
      std::string type = codec::upper(value_of(ln.logical));
      if (type != stack.back()) throw std::runtime_error(at("END:" + type + " closes BEGIN:" + stack.back()));
      stack.pop_back();
      if (stack.empty()) {
        cal.heads.back().end_line = bytes(text, ln.begin, ln.end);
        done = true;
      } else if (stack.size() == 1) {
        cur.end = ln.end;
        cal.comps.push_back(std::move(cur));
        cur = Comp{};
      }
      continue;
    }
    if (stack.size() == 1) {
      cal.heads.back().own_lines += bytes(text, ln.begin, ln.end);
      continue;
    }
    lines::tzid_params(ln.logical, cur.zones);
    if (stack.size() != 2) continue;  // a VALARM's, a STANDARD's lines
    if (name == "UID") cur.uid = value_of(ln.logical), cur.uid_given = true;
    else if (name == "RECURRENCE-ID") cur.override_ = true, cur.rid = recurrence_id(ln.logical);
    else if (name == "TZID") cur.tzid = value_of(ln.logical);
  }
  if (stack.empty() && !done) throw std::runtime_error("not iCalendar: no BEGIN:VCALENDAR");
  if (!done) throw std::runtime_error("BEGIN:" + stack.back() + " has no END:" + stack.back());
  return cal;
}

bool is_record(const std::string& type) { return type == "VEVENT" || type == "VTODO" || type == "VJOURNAL"; }

}  // namespace

std::vector<Member> calendar(std::string_view text) {
  Calendar cal = scan_calendar(text);
  std::vector<Member> out;
  std::map<std::string, size_t> by_key;
  std::map<std::string, int> masters;
  std::vector<std::vector<size_t>> comps_of;
  int no_uid = 0;
  for (size_t i = 0; i < cal.comps.size(); ++i) {
    const Comp& c = cal.comps[i];
    if (!is_record(c.type)) continue;
    std::string key = c.uid_given && !c.uid.empty() ? c.uid : "@" + std::to_string(++no_uid);
    auto [it, fresh] = by_key.emplace(key, out.size());
    if (fresh) {
      Member m;
      m.key = key;
      m.uid = c.uid;
      m.type = c.type;
      out.push_back(std::move(m));
      comps_of.emplace_back();
    }
    Member& m = out[it->second];
    if (!c.override_ && ++masters[key] > 1) m.duplicate = true;
    if (c.type != m.type) m.duplicate = true;  // one UID on an event and a task
    if (!c.override_) m.type = c.type;
    m.spans.emplace_back(c.begin, c.end);
    m.span_ids.push_back(c.rid);
    comps_of[it->second].push_back(i);
  }
  std::vector<const Comp*> timezones;  // looked through once a member, not every component
  for (const Comp& c : cal.comps)
    if (c.type == "VTIMEZONE") timezones.push_back(&c);
  for (size_t k = 0; k < out.size(); ++k) {
    std::set<std::string> zones;
    std::string own;
    for (size_t i : comps_of[k]) {
      zones.insert(cal.comps[i].zones.begin(), cal.comps[i].zones.end());
      own += bytes(text, cal.comps[i].begin, cal.comps[i].end);
    }
    // its own calendar's lines and zones (a zone of another calendar of the
    // file where its own has none of that name)
    size_t ci = cal.comps[comps_of[k][0]].cal;
    std::string tz;
    std::set<std::string> found;
    for (int pass = 0; pass < 2; ++pass)
      for (const Comp* c : timezones)
        if (zones.contains(c->tzid) && (pass == 0 ? c->cal == ci : !found.contains(c->tzid)) && found.insert(c->tzid).second)
          tz += bytes(text, c->begin, c->end);
    const Head& h = cal.heads[ci];
    out[k].text = h.begin_line + h.own_lines + tz + own + h.end_line;
  }
  return out;
}

std::vector<Member> vcards(std::string_view text) {
  auto all = lines::content_lines(text, true);  // 2.1's soft breaks
  std::vector<Member> out;
  std::map<std::string, size_t> by_uid;
  std::map<std::string, int> by_fn;
  int depth = 0;  // 2.1 nests an AGENT's card
  Member cur;
  std::string fn;
  size_t n = 0;
  for (const Line& ln : all) {
    ++n;
    std::string name = name_of(ln.logical);
    bool card = codec::upper(value_of(ln.logical)) == "VCARD";
    if (name == "BEGIN" && card) {
      if (depth++ == 0) cur = Member{}, fn.clear(), cur.type = "VCARD", cur.spans = {{ln.begin, 0}};
      continue;
    }
    if (depth == 0)
      throw std::runtime_error("line " + std::to_string(n) + ": content outside BEGIN:VCARD … END:VCARD");
    if (name == "END" && card) {
      if (--depth > 0) continue;
      cur.spans[0].second = ln.end;
      cur.text = bytes(text, cur.spans[0].first, ln.end);
      if (!cur.uid.empty()) {
        cur.key = cur.uid;
      } else {
        int seen = ++by_fn[fn];
        cur.key = "@" + fn + (seen > 1 ? "~" + std::to_string(seen) : "");
      }
      if (!cur.uid.empty()) {
        if (auto it = by_uid.find(cur.uid); it != by_uid.end()) {
          out[it->second].duplicate = true;
          cur.duplicate = true;
        } else {
          by_uid.emplace(cur.uid, out.size());
        }
      }
      out.push_back(std::move(cur));
      continue;
    }
    if (depth != 1) continue;
    if (name == "UID") cur.uid = value_of(ln.logical);
    else if (name == "FN") fn = value_of(ln.logical);
  }
  if (depth > 0) throw std::runtime_error("BEGIN:VCARD has no END:VCARD");
  return out;
}

std::string calendar_put_back(std::string_view file, const Member& m, std::string_view record_text) {
  Calendar have = scan_calendar(file), neu = scan_calendar(record_text);
  std::set<std::string> zones;
  for (const Comp& c : have.comps)
    if (c.type == "VTIMEZONE") zones.insert(c.tzid);
  std::string tz;
  std::vector<const Comp*> comps;  // the member's components as written anew
  for (const Comp& c : neu.comps) {
    if (c.type == "VTIMEZONE" && !zones.contains(c.tzid)) tz += bytes(record_text, c.begin, c.end);
    else if (is_record(c.type)) comps.push_back(&c);
  }
  std::vector<bool> used(comps.size(), false);
  std::string out;
  size_t pos = 0;
  for (size_t i = 0; i < m.spans.size(); ++i) {
    out += file.substr(pos, m.spans[i].first - pos);
    if (i == 0) out += tz;
    // the component of the same RECURRENCE-ID (or the master) where it stood
    for (size_t k = 0; k < comps.size(); ++k)
      if (!used[k] && i < m.span_ids.size() && comps[k]->rid == m.span_ids[i]) {
        out += bytes(record_text, comps[k]->begin, comps[k]->end);
        used[k] = true;
        break;
      }
    pos = m.spans[i].second;
    if (i + 1 == m.spans.size())  // new ones (an instance moved since) after its last
      for (size_t k = 0; k < comps.size(); ++k)
        if (!used[k]) out += bytes(record_text, comps[k]->begin, comps[k]->end);
  }
  out += file.substr(pos);
  return out;
}

std::string vcard_replacement(std::string_view card_text) {
  auto cards = vcards(card_text);
  if (cards.size() != 1) throw std::runtime_error("one card expected");
  return cards[0].text;
}

std::string splice(std::string_view file, const Member& m, std::string_view replacement) {
  std::string out;
  size_t pos = 0;
  for (size_t i = 0; i < m.spans.size(); ++i) {
    out += file.substr(pos, m.spans[i].first - pos);
    if (i == 0) out += replacement;
    pos = m.spans[i].second;
    // a removed card takes the blank lines after it along
    if (replacement.empty())
      while (pos < file.size() && (file[pos] == '\n' || (file[pos] == '\r' && pos + 1 < file.size() && file[pos + 1] == '\n')))
        pos += file[pos] == '\n' ? 1 : 2;
  }
  out += file.substr(pos);
  return out;
}

std::string encode_key(std::string_view key) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : key) {
    if (c == '%' || c == '/' || c <= 0x20 || c == 0x7F) {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string decode_key(std::string_view in) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && digit(in[i + 1]) >= 0 && digit(in[i + 2]) >= 0) {
      out += static_cast<char>(digit(in[i + 1]) * 16 + digit(in[i + 2]));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

}  // namespace accord::formats::collection
