// SPDX-License-Identifier: Apache-2.0
#include "mapping/field_travel.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <string_view>

namespace accord {

namespace {

// A pointer's segments one at a time, as splitting it at each "/" would give
// them (one leading "/" dropped; "" has none, "/a/" has "a" and ""), without
// the vector: `covers` runs for every field of every record a run plans
// (issue 22: 20% of a 20,000-message pull's main thread went to splitting).
class Segments {
 public:
  explicit Segments(std::string_view p) : rest_(p.starts_with('/') ? p.substr(1) : p), done_(rest_.empty()) {}
  bool next(std::string_view& seg) {
    if (done_) return false;
    size_t slash = rest_.find('/');
    if (slash == std::string_view::npos) {
      seg = rest_;
      done_ = true;
    } else {
      seg = rest_.substr(0, slash);
      rest_.remove_prefix(slash + 1);
    }
    return true;
  }

 private:
  std::string_view rest_;
  bool done_;
};

}  // namespace

bool covers(std::string_view a, std::string_view b) {
  Segments sa(a), sb(b);
  std::string_view x, y;
  while (sa.next(x)) {
    if (!sb.next(y)) return false;  // a is deeper than b
    if (x != y && x != "*" && y != "*") return false;
  }
  return true;
}

namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// The fields of `mine` that `theirs` does not keep: whole, or only in part.
void compare(const TravelSide& mine, const TravelSide& theirs, const char* my_word, const char* their_word,
             std::vector<std::string>& out) {
  if (mine.fields.empty() || theirs.fields.empty()) return;  // a side that keeps any field
  std::vector<std::string> lost, part;
  for (const auto& f : mine.fields) {
    bool whole = false;
    std::vector<std::string> parts;
    for (const auto& t : theirs.fields) {
      if (covers(t, f)) whole = true;
      else if (covers(f, t)) parts.push_back(t);
    }
    if (whole) continue;
    if (parts.empty()) lost.push_back(f);
    else part.push_back(f + " (only " + joined(parts) + ")");
  }
  std::string who = std::string("kept by ") + my_word + " " + mine.name + ", ";
  if (!lost.empty()) out.push_back(who + "not by " + their_word + " " + theirs.name + ": " + joined(lost));
  if (!part.empty()) out.push_back(who + "by " + their_word + " " + theirs.name + " only in part: " + joined(part));
}

// The fields `theirs` keeps of mine but only reads (a side that keeps any
// field may send any of them).
void read_only_of(const TravelSide& mine, const TravelSide& theirs, const char* my_word, const char* their_word,
                  std::vector<std::string>& out) {
  std::vector<std::string> read_only;
  for (const auto& r : theirs.read_only)
    if (mine.fields.empty() ||
        std::any_of(mine.fields.begin(), mine.fields.end(), [&](const std::string& f) { return covers(f, r) || covers(r, f); }))
      read_only.push_back(r);
  if (!read_only.empty())
    out.push_back("read only on " + std::string(their_word) + " side " + theirs.name + ": " + joined(read_only) + ": what " +
                  my_word + " changes there stays behind");
}

}  // namespace

std::vector<std::string> untravelled_fields(const TravelSide& left, const TravelSide& right) {
  std::vector<std::string> out;
  compare(left, right, "the left side", "the right", out);
  compare(right, left, "the right side", "the left", out);
  read_only_of(left, right, "the left side", "the right", out);
  read_only_of(right, left, "the right side", "the left", out);
  return out;
}

std::vector<std::string> writable_fields(const std::vector<std::string>& fields, const std::vector<std::string>& read_only) {
  std::vector<std::string> out;
  for (const auto& f : fields)
    if (std::find(read_only.begin(), read_only.end(), f) == read_only.end()) out.push_back(f);
  if (out.empty() && !fields.empty()) out.emplace_back(kKeepsNone);  // (empty would say "keeps any field")
  return out;
}

std::vector<std::string> unmapped_fields(const std::vector<std::string>& left_fields,
                                         const std::vector<std::string>& read) {
  std::vector<std::string> lost;
  for (const auto& f : left_fields) {
    bool covered = false;
    for (const auto& r : read) covered = covered || covers(f, r) || covers(r, f);
    if (!covered) lost.push_back(f);
  }
  if (lost.empty()) return {};
  return {"left fields no mapping rule reads: " + joined(lost)};
}

namespace {

void walk(const boost::json::value& v, const std::vector<std::string>& kept, const std::string& path,
          std::vector<std::string>& out) {
  if (v.is_null()) return;
  bool under = false;  // a kept field lies inside this one: look deeper
  for (const auto& k : kept) {
    if (covers(k, path)) return;  // kept whole
    under = under || covers(path, k);
  }
  const boost::json::object* o = v.if_object();
  if (!under || !o) {
    out.push_back(path);
    return;
  }
  for (const auto& [key, child] : *o)
    if (!key.starts_with('@')) walk(child, kept, path + "/" + std::string(key), out);  // @type: the form's own
}

}  // namespace

std::vector<std::string> left_behind(const boost::json::value& data, const std::vector<std::string>& kept,
                                     const std::string& prefix) {
  std::vector<std::string> out;
  if (kept.empty()) return out;
  if (prefix.empty()) {
    if (const boost::json::object* o = data.if_object())
      for (const auto& [key, child] : *o)
        if (!key.starts_with('@') && key != "version")  // @type, a Card's version: the form's own markers
          walk(child, kept, "/" + std::string(key), out);
  } else {
    walk(data, kept, prefix, out);
  }
  return out;
}

KeptFields::KeptFields(std::vector<std::string> kept) : list_(std::move(kept)) {
  for (const auto& k : list_) {
    Segments s(k);
    std::string_view first, second;
    if (!s.next(first)) {
      all_ = true;
      continue;
    }
    Under& u = first == "*" ? star_ : first_.try_emplace(std::string(first)).first->second;
    (s.next(second) ? u.deeper : u.whole) = true;
  }
}

std::vector<std::string> KeptFields::left_behind(const boost::json::value& data) const {
  std::vector<std::string> out;
  const boost::json::object* o = data.if_object();
  if (list_.empty() || !o) return out;  // (a side that keeps any field; a record that is no object)
  for (const auto& [key, child] : *o) {
    if (key.starts_with('@') || key == "version") continue;  // @type, a Card's version: the form's own markers
    std::string_view name(key.data(), key.size());
    if (name.empty() || name == "*" || name.find('/') != std::string_view::npos) {
      // a name `covers` reads otherwise than as one segment of its own
      walk(child, list_, "/" + std::string(name), out);
      continue;
    }
    if (child.is_null() || all_ || star_.whole) continue;
    auto f = first_.find(name);
    if (f != first_.end() && f->second.whole) continue;
    bool under = star_.deeper || (f != first_.end() && f->second.deeper);
    if (under && child.is_object()) walk(child, list_, "/" + std::string(name), out);
    else out.push_back("/" + std::string(name));
  }
  return out;
}

namespace {

// A member whose value is the one its absence means (RFC 8984 for
// JSCalendar, RFC 9553 for JSContact): a converter that leaves it out keeps
// it (an alert's relativeTo "start", an event's showWithoutTime false...).
bool implicit_default(std::string_view key, const boost::json::value& v) {
  static const std::pair<std::string_view, std::string_view> kStrings[] = {
      {"relativeTo", "start"},     {"freeBusyStatus", "busy"}, {"privacy", "public"},
      {"status", "confirmed"},     {"action", "display"},      {"participationStatus", "needs-action"},
      {"kind", "individual"}};
  static const std::string_view kFalse[] = {"showWithoutTime", "excluded", "useDefaultAlerts", "expectReply"};
  static const std::string_view kZero[] = {"sequence", "priority"};
  if (v.is_string())
    return std::any_of(std::begin(kStrings), std::end(kStrings),
                       [&](const auto& d) { return d.first == key && d.second == v.get_string(); });
  if (v.is_bool()) return !v.get_bool() && std::find(std::begin(kFalse), std::end(kFalse), key) != std::end(kFalse);
  if (v.is_int64()) return v.get_int64() == 0 && std::find(std::begin(kZero), std::end(kZero), key) != std::end(kZero);
  return false;
}

void dropped_walk(const boost::json::value& sent, const boost::json::value& held, const std::string& path,
                  const std::vector<std::string>& ignore, std::vector<std::string>& out) {
  const boost::json::object* s = sent.if_object();
  const boost::json::object* h = held.if_object();
  if (!s || !h) return;  // a value both have: kept (changed or not)
  for (const auto& [key, child] : *s) {
    if (key.starts_with('@') || child.is_null()) continue;
    std::string p = path + "/" + std::string(key);
    if (std::any_of(ignore.begin(), ignore.end(), [&](const std::string& i) { return covers(i, p); })) continue;
    const boost::json::value* there = h->if_contains(key);
    if (!there || there->is_null()) {
      if (!implicit_default(key, child)) out.push_back(p);
    }
    else dropped_walk(child, *there, p, ignore, out);
  }
}

}  // namespace

std::vector<std::string> dropped(const boost::json::value& sent, const boost::json::value& held,
                                 const std::vector<std::string>& ignore) {
  std::vector<std::string> out;
  const boost::json::object* s = sent.if_object();
  if (!s || !held.is_object()) return out;
  boost::json::object top(*s);  // a Card's version: the form's own marker
  top.erase("version");
  dropped_walk(top, held, "", ignore, out);
  return out;
}

std::vector<std::string> dropped_by_rule(const std::vector<std::string>& lost, const std::vector<Rule>& rules,
                                         Side target) {
  std::vector<std::string> out;
  auto add = [&](const std::string& p) {
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  };
  for (const auto& p : lost) {
    bool said = false;
    for (const auto& r : rules) {
      // the rule writes p, or a field holding p, on the target
      std::vector<std::string> there, source;
      if (target == Side::kRight) {
        there.push_back(r.right.text());
        for (const auto& l : r.left) source.push_back(l.text());
      } else {
        for (const auto& l : r.left) there.push_back(l.text());
        source.push_back(r.right.text());
      }
      if (source.empty()) continue;  // a constant: nothing of the source's was lost
      if (std::none_of(there.begin(), there.end(), [&](const std::string& t) { return covers(t, p) || covers(p, t); }))
        continue;
      for (const auto& f : source) add(f);
      said = true;
    }
    if (!said) add(p);
  }
  return out;
}

std::vector<std::string> pair_untravelled(bool identity, const TravelSide& left, const TravelSide& right,
                                          const std::vector<std::string>& rules_read) {
  return identity ? untravelled_fields(left, right) : unmapped_fields(left.fields, rules_read);
}

}  // namespace accord
