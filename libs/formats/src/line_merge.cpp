// SPDX-License-Identifier: Apache-2.0
#include <accord/formats/line_merge.hpp>

#include <accord/formats/text_codec.hpp>

#include "content_lines.hpp"

#include <map>
#include <string>
#include <vector>

namespace accord::formats::merge {

namespace {

struct Entry {
  std::string raw;      // the physical lines, as in the file (endings included)
  std::string logical;  // unfolded
};

// Logical lines with the bytes they came from. Blank lines stay with the
// line before them (their bytes are kept, they mean nothing).
std::vector<Entry> entries(std::string_view text, bool qp_soft_breaks, std::string& prefix) {
  auto ls = lines::content_lines(text, qp_soft_breaks);
  std::vector<Entry> out;
  prefix += text.substr(0, ls.empty() ? text.size() : ls[0].begin);
  for (size_t i = 0; i < ls.size(); ++i) {
    size_t end = i + 1 < ls.size() ? ls[i + 1].begin : text.size();
    out.push_back({std::string(text.substr(ls[i].begin, end - ls[i].begin)), std::move(ls[i].logical)});
  }
  return out;
}

using lines::name_of;
using lines::value_of;

struct Item {
  bool comp = false;
  std::string name;  // property name, or the component type
  std::string key;
  std::string raw;   // a line's bytes
  // a component
  std::string begin_raw, end_raw;
  std::vector<Item> items;
};

std::vector<Item> items_of(const std::vector<Entry>& es, size_t& i, const std::string& until, const Rules& r) {
  std::vector<Item> out;
  while (i < es.size()) {
    const Entry& e = es[i];
    std::string name = name_of(e.logical);
    if (name == "END" && codec::upper(value_of(e.logical)) == until) return out;
    ++i;
    Item it;
    if (name == "BEGIN") {
      it.comp = true;
      it.name = codec::upper(value_of(e.logical));
      it.begin_raw = e.raw;
      it.items = items_of(es, i, it.name, r);
      if (i < es.size()) it.end_raw = es[i++].raw;
      std::vector<std::string> own;
      for (const auto& x : it.items)
        if (!x.comp) own.push_back(x.key);
      it.key = "BEGIN:" + it.name + "\n" + (r.identity ? r.identity(it.name, own) : std::string());
    } else {
      it.name = name;
      it.key = r.key ? r.key(e.logical) : e.logical;
      it.raw = e.raw;
    }
    out.push_back(std::move(it));
  }
  return out;
}

std::string with_endings(const std::string& s, bool crlf) {
  std::string o;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') {
      o += crlf ? "\r\n" : "\n";
      ++i;
    } else if (s[i] == '\n') {
      o += crlf ? "\r\n" : "\n";
    } else {
      o += s[i];
    }
  }
  return o;
}

std::string whole(const Item& it, bool crlf) {
  if (!it.comp) return with_endings(it.raw, crlf);
  std::string o = with_endings(it.begin_raw, crlf);
  for (const auto& x : it.items) o += whole(x, crlf);
  return o + with_endings(it.end_raw, crlf);
}

std::string merge_items(const std::vector<Item>& old, const std::vector<Item>& neu, const Rules& r, bool keep_lines,
                        bool crlf);

std::string merge_comp(const Item& o, const Item& n, const Rules& r, bool crlf) {
  if (r.keep_old_components.contains(o.name) && o.key == n.key) return whole(o, crlf);
  return o.begin_raw + merge_items(o.items, n.items, r, r.keep_all_lines_of.contains(o.name), crlf) + o.end_raw;
}

std::string merge_items(const std::vector<Item>& old, const std::vector<Item>& neu, const Rules& r, bool keep_lines,
                        bool crlf) {
  const size_t none = static_cast<size_t>(-1);
  std::vector<size_t> match(neu.size(), none), repl(neu.size(), none);
  std::vector<bool> used(old.size(), false), replaced(old.size(), false);
  std::multimap<std::string, size_t> by_key;
  for (size_t i = 0; i < old.size(); ++i) by_key.emplace(old[i].key, i);
  for (size_t j = 0; j < neu.size(); ++j) {
    auto range = by_key.equal_range(neu[j].key);
    for (auto it = range.first; it != range.second; ++it)
      if (!used[it->second]) {
        match[j] = it->second;
        used[it->second] = true;
        break;
      }
  }
  // lines whose old form is kept whenever the new text has one (PRODID)
  for (size_t j = 0; j < neu.size(); ++j) {
    if (match[j] != none || neu[j].comp || !r.keep_old.contains(neu[j].name)) continue;
    for (size_t i = 0; i < old.size(); ++i)
      if (!used[i] && !old[i].comp && old[i].name == neu[j].name) {
        match[j] = i;
        used[i] = true;
        break;
      }
  }
  // a changed line (or component) takes the place of the old one of its name
  for (size_t j = 0; j < neu.size(); ++j) {
    if (match[j] != none) continue;
    for (size_t i = 0; i < old.size(); ++i)
      if (!used[i] && !replaced[i] && old[i].comp == neu[j].comp && old[i].name == neu[j].name &&
          !(keep_lines && !old[i].comp)) {
        repl[j] = i;
        replaced[i] = true;
        break;
      }
  }
  // the rest goes after what it follows in the new text
  std::map<size_t, std::vector<size_t>> after;  // old index (none: first) → new items
  // a VTIMEZONE is added only to a file that carries its zones (one that
  // names IANA zones alone stays so)
  auto skip_new_comp = [&](const std::string& type) {
    if (!r.keep_old_components.contains(type)) return false;
    for (const auto& o : old)
      if (o.comp && o.name == type) return false;
    return true;
  };
  size_t anchor = none;
  for (size_t j = 0; j < neu.size(); ++j) {
    if (match[j] != none) anchor = match[j];
    else if (repl[j] != none) anchor = repl[j];
    else if (neu[j].comp ? !skip_new_comp(neu[j].name) : !r.keep_old.contains(neu[j].name)) after[anchor].push_back(j);
  }
  std::vector<size_t> inverse(old.size(), none);
  for (size_t j = 0; j < neu.size(); ++j) {
    if (match[j] != none) inverse[match[j]] = j;
    if (repl[j] != none) inverse[repl[j]] = j;
  }
  std::string out;
  auto inserts = [&](size_t at) {
    if (auto it = after.find(at); it != after.end())
      for (size_t j : it->second) out += whole(neu[j], crlf);
  };
  inserts(none);
  for (size_t i = 0; i < old.size(); ++i) {
    size_t j = inverse[i];
    if (j != none) {
      if (old[i].comp) out += merge_comp(old[i], neu[j], r, crlf);
      else out += match[j] == i ? old[i].raw : with_endings(neu[j].raw, crlf);
    } else if (keep_lines && !old[i].comp) {
      out += old[i].raw;
    }
    inserts(i);
  }
  return out;
}

}  // namespace

std::string merge(std::string_view old_text, std::string_view new_text, const Rules& rules) {
  std::string old_prefix, new_prefix;
  auto old_entries = entries(old_text, rules.qp_soft_breaks, old_prefix);
  auto new_entries = entries(new_text, rules.qp_soft_breaks, new_prefix);
  size_t i = 0, k = 0;
  auto old_items = items_of(old_entries, i, "", rules);
  auto new_items = items_of(new_entries, k, "", rules);
  bool crlf = old_text.find("\r\n") != std::string_view::npos || old_text.find('\n') == std::string_view::npos;
  return old_prefix + merge_items(old_items, new_items, rules, false, crlf);
}

}  // namespace accord::formats::merge
