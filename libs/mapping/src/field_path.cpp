// SPDX-License-Identifier: Apache-2.0
#include <accord/mapping/field_path.hpp>

#include <accord/json/pointer.hpp>

#include <boost/json.hpp>

namespace json = boost::json;

namespace accord {

namespace {
std::string unescape_token(const std::string& t) { return json_pointer::unescape(t); }
bool is_index(const std::string& s) {
  return !s.empty() && s.size() < 10 && s.find_first_not_of("0123456789") == std::string::npos;
}
}  // namespace

Result<FieldPath> FieldPath::parse(const std::string& text) {
  FieldPath p;
  p.text_ = text;
  if (text.empty() || text[0] != '/') return fail("\"" + text + "\" is not a JSON pointer: it must start with /");
  size_t pos = 1;
  while (pos <= text.size()) {
    size_t slash = text.find('/', pos);
    std::string tok = text.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
    pos = slash == std::string::npos ? text.size() + 1 : slash + 1;
    if (tok == "*") {
      p.segs_.push_back({Segment::kFirst, "", ""});
    } else if (tok.size() > 2 && tok.front() == '[' && tok.back() == ']') {
      size_t eq = tok.find('=');
      if (eq == std::string::npos || eq == 1)
        return fail("\"" + text + "\": selector " + tok + " must look like [field=value]");
      p.segs_.push_back({Segment::kWhere, unescape_token(tok.substr(1, eq - 1)), unescape_token(tok.substr(eq + 1, tok.size() - eq - 2))});
    } else {
      if (tok.empty() && pos <= text.size()) return fail("\"" + text + "\" has an empty segment");
      p.segs_.push_back({Segment::kKey, unescape_token(tok), ""});
    }
  }
  return p;
}

const json::value* FieldPath::get(const json::value& root) const {
  const json::value* cur = &root;
  for (const auto& s : segs_) {
    if (s.kind == Segment::kKey) {
      if (const json::object* o = cur->if_object()) {
        cur = o->if_contains(s.key);
      } else if (const json::array* a = cur->if_array(); a && is_index(s.key)) {
        size_t i = std::stoul(s.key);
        cur = i < a->size() ? &(*a)[i] : nullptr;
      } else {
        cur = nullptr;
      }
    } else if (s.kind == Segment::kFirst) {
      if (const json::object* o = cur->if_object(); o && !o->empty()) cur = &o->begin()->value();
      else if (const json::array* a = cur->if_array(); a && !a->empty()) cur = &a->front();
      else cur = nullptr;
    } else {
      const json::array* a = cur->if_array();
      cur = nullptr;
      if (a)
        for (const auto& e : *a)
          if (const json::object* eo = e.if_object())
            if (const json::value* k = eo->if_contains(s.key); k && k->is_string() && k->get_string() == s.value) {
              cur = &e;
              break;
            }
    }
    if (!cur) return nullptr;
  }
  return cur;
}

void FieldPath::set(json::value& root, const json::value& v) const {
  json::value* cur = &root;
  for (size_t i = 0; i < segs_.size(); ++i) {
    const Segment& s = segs_[i];
    bool last = i + 1 == segs_.size();
    // what the next level must be when created: an array before [k=v]
    bool next_is_array = !last && segs_[i + 1].kind == Segment::kWhere;
    json::value fresh = next_is_array ? json::value(json::array()) : json::value(json::object());
    if (s.kind == Segment::kKey) {
      if (json::array* a = cur->if_array(); a && is_index(s.key)) {
        size_t idx = std::stoul(s.key);
        while (a->size() <= idx) a->push_back(nullptr);
        cur = &(*a)[idx];
        if (last) *cur = v;
        else if (!cur->is_object() && !cur->is_array()) *cur = fresh;
        continue;
      }
      if (!cur->is_object()) *cur = json::object();
      json::object& o = cur->get_object();
      if (last) {
        o[s.key] = v;
        return;
      }
      json::value& child = o[s.key];
      if (!child.is_object() && !child.is_array()) child = fresh;
      cur = &child;
    } else if (s.kind == Segment::kFirst) {
      if (json::array* a = cur->if_array()) {
        if (a->empty()) a->push_back(last ? v : fresh);
        else if (last) a->front() = v;
        cur = &a->front();
      } else {
        if (!cur->is_object()) *cur = json::object();
        json::object& o = cur->get_object();
        if (o.empty()) o["1"] = last ? v : fresh;
        else if (last) o.begin()->value() = v;
        cur = &o.begin()->value();
      }
      if (last) return;
    } else {
      if (!cur->is_array()) *cur = json::array();
      json::array& a = cur->get_array();
      json::value* found = nullptr;
      for (auto& e : a)
        if (json::object* eo = e.if_object())
          if (json::value* k = eo->if_contains(s.key); k && k->is_string() && k->get_string() == s.value) {
            found = &e;
            break;
          }
      if (!found) {
        a.push_back(json::object{{s.key, s.value}});
        found = &a.back();
      }
      if (last) {
        *found = v;
        return;
      }
      cur = found;
    }
  }
}

void FieldPath::erase(json::value& root) const {
  if (segs_.empty()) return;
  // Find the parent of the leaf with get() on a prefix.
  FieldPath parent;
  parent.segs_.assign(segs_.begin(), segs_.end() - 1);
  json::value* p = const_cast<json::value*>(parent.segs_.empty() ? &root : parent.get(root));
  if (!p) return;
  const Segment& s = segs_.back();
  if (s.kind == Segment::kKey) {
    if (json::object* o = p->if_object()) o->erase(s.key);
    else if (json::array* a = p->if_array(); a && is_index(s.key) && std::stoul(s.key) < a->size())
      a->erase(a->begin() + static_cast<std::ptrdiff_t>(std::stoul(s.key)));
  } else if (s.kind == Segment::kFirst) {
    if (json::object* o = p->if_object(); o && !o->empty()) o->erase(o->begin());
    else if (json::array* a = p->if_array(); a && !a->empty()) a->erase(a->begin());
  } else if (json::array* a = p->if_array()) {
    for (auto it = a->begin(); it != a->end(); ++it)
      if (json::object* eo = it->if_object())
        if (json::value* k = eo->if_contains(s.key); k && k->is_string() && k->get_string() == s.value) {
          a->erase(it);
          return;
        }
  }
}

}  // namespace accord
