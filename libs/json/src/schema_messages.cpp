// SPDX-License-Identifier: Apache-2.0
// The common mistakes of a document against its schema, in words (see
// accord/json/schema.hpp): a walk beside valijson, never more lenient.
#include <accord/json/schema.hpp>

#include <accord/json/pointer.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace json = boost::json;

namespace accord::json_schema {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string nearest(std::string_view want, const std::vector<std::string>& known) {
  std::string best;
  size_t best_d = std::string::npos;
  for (const auto& k : known)
    if (size_t d = edit_distance(want, k); d < best_d) best_d = d, best = k;
  // a typing mistake: a few letters off, relative to the word's length
  return best_d <= std::max<size_t>(2, want.size() / 3) && best_d < want.size() ? best : "";
}

namespace {

std::string token(std::string_view k) { return json_pointer::escape(k); }

std::string quoted(std::string_view s) { return json::serialize(json::value(s)); }

// A value as a person writes it (2.5, not Boost.JSON's 2.5E0).
std::string text_of(const json::value& v) {
  if (v.is_double()) {
    char b[32];
    std::snprintf(b, sizeof b, "%.15g", v.get_double());
    return b;
  }
  return json::serialize(v);
}

// What a value is, in words, with a short copy of it.
std::string what_is(const json::value& v) {
  auto shown = [&] {
    std::string s = text_of(v);
    return s.size() > 40 ? s.substr(0, 37) + "…" : s;
  };
  switch (v.kind()) {
    case json::kind::string: return "a string (" + shown() + ")";
    case json::kind::int64:
    case json::kind::uint64: return "an integer (" + shown() + ")";
    case json::kind::double_: return "a number (" + shown() + ")";
    case json::kind::bool_: return std::string(v.get_bool() ? "true" : "false");
    case json::kind::null: return "null";
    case json::kind::object: return "an object";
    case json::kind::array: return "an array";
  }
  return "a value";
}

std::string type_words(std::string_view t) {
  if (t == "string") return "a string (in quotes)";
  if (t == "integer") return "a whole number (no quotes)";
  if (t == "number") return "a number (no quotes)";
  if (t == "boolean") return "true or false (no quotes)";
  if (t == "object") return "an object ({…})";
  if (t == "array") return "a list ([…])";
  if (t == "null") return "null";
  return std::string(t);
}

bool has_type(const json::value& v, std::string_view t) {
  if (t == "string") return v.is_string();
  if (t == "integer")
    return v.is_int64() || v.is_uint64() || (v.is_double() && std::floor(v.get_double()) == v.get_double());
  if (t == "number") return v.is_number();
  if (t == "boolean") return v.is_bool();
  if (t == "object") return v.is_object();
  if (t == "array") return v.is_array();
  if (t == "null") return v.is_null();
  return true;
}

class Walker {
 public:
  Walker(const json::value& root, std::vector<SchemaMessage>& out) : root_(root), out_(out) {}

  void walk(const json::value& schema_in, const json::value& v, const std::string& ptr, int depth = 0) {
    if (depth > 64) return;
    const json::object* s = resolve(schema_in);
    if (!s) return;
    // one of several forms: follow the one whose type fits, or say which forms there are
    for (const char* k : {"oneOf", "anyOf"})
      if (auto* alts = s->if_contains(k); alts && alts->is_array()) {
        std::vector<const json::value*> fit;
        std::vector<std::string> forms;
        for (const auto& alt : alts->get_array()) {
          std::vector<std::string> types = types_of(alt);
          if (types.empty() || std::any_of(types.begin(), types.end(), [&](const std::string& t) { return has_type(v, t); }))
            fit.push_back(&alt);
          for (const auto& t : types)
            if (std::find(forms.begin(), forms.end(), type_words(t)) == forms.end()) forms.push_back(type_words(t));
        }
        if (fit.empty() && !forms.empty()) {
          std::string expected;
          for (size_t i = 0; i < forms.size(); ++i) expected += (i == 0 ? "" : i + 1 == forms.size() ? " or " : ", ") + forms[i];
          say(ptr, "is " + what_is(v) + "; expected " + expected);
          return;
        }
        if (fit.size() == 1) walk(*fit[0], v, ptr, depth + 1);
      }
    if (auto* t = s->if_contains("type")) {
      std::vector<std::string> types;
      if (t->is_string()) types.emplace_back(t->get_string());
      else if (t->is_array())
        for (const auto& x : t->get_array())
          if (x.is_string()) types.emplace_back(x.get_string());
      if (!types.empty() && std::none_of(types.begin(), types.end(), [&](const std::string& x) { return has_type(v, x); })) {
        std::string expected;
        for (size_t i = 0; i < types.size(); ++i) expected += (i ? " or " : "") + type_words(types[i]);
        say(ptr, "is " + what_is(v) + "; expected " + expected);
        return;
      }
    }
    if (auto* e = s->if_contains("enum"); e && e->is_array()) {
      const json::array& allowed = e->get_array();
      if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
        std::string list;
        std::vector<std::string> names;
        for (const auto& a : allowed) {
          list += (list.empty() ? "" : ", ") + text_of(a);
          if (a.is_string()) names.emplace_back(a.get_string());
        }
        std::string hint = v.is_string() ? nearest(std::string(v.get_string()), names) : "";
        say(ptr, "is " + text_of(v) + ", which is not allowed here" +
                     (hint.empty() ? "" : ": did you mean " + quoted(hint) + "?") + " (allowed: " + list + ")");
        return;
      }
    }
    if (v.is_number()) {
      double x = v.to_number<double>();
      if (auto* m = s->if_contains("minimum"); m && m->is_number() && x < m->to_number<double>())
        say(ptr, "is " + text_of(v) + "; the least allowed is " + text_of(*m));
      if (auto* m = s->if_contains("maximum"); m && m->is_number() && x > m->to_number<double>())
        say(ptr, "is " + text_of(v) + "; the most allowed is " + text_of(*m));
    }
    if (v.is_string())
      if (auto* m = s->if_contains("minLength"); m && m->is_int64() && m->get_int64() > 0 && v.get_string().empty())
        say(ptr, "is empty; give a value");
    if (const json::array* a = v.if_array()) {
      if (auto* m = s->if_contains("minItems"); m && m->is_int64() && static_cast<int64_t>(a->size()) < m->get_int64())
        say(ptr, a->empty() ? "is an empty list; it needs at least " + json::serialize(*m) + " item" +
                                  (m->get_int64() == 1 ? "" : "s")
                            : "has " + std::to_string(a->size()) + " items; it needs at least " + json::serialize(*m));
      if (auto* items = s->if_contains("items"); items && items->is_object())
        for (size_t i = 0; i < a->size(); ++i) walk(*items, (*a)[i], ptr + "/" + std::to_string(i), depth + 1);
    }
    if (const json::object* o = v.if_object()) {
      const json::object* props = nullptr;
      if (auto* p = s->if_contains("properties"); p && p->is_object()) props = &p->get_object();
      if (auto* r = s->if_contains("required"); r && r->is_array())
        for (const auto& k : r->get_array())
          if (k.is_string() && !o->contains(k.get_string()))
            say(ptr, "needs " + quoted(k.get_string()) + ", which is missing" + described(props, k.get_string()));
      const json::value* extra = s->if_contains("additionalProperties");
      for (const auto& [k, val] : *o) {
        std::string at = ptr + "/" + token(k);
        if (props && props->contains(k)) {
          walk(props->at(k), val, at, depth + 1);
        } else if (extra && extra->is_bool() && !extra->get_bool() && props) {
          std::vector<std::string> known;
          for (const auto& [name, _] : *props) known.emplace_back(name);
          std::string hint = nearest(std::string(k), known), list;
          for (const auto& n : known) list += (list.empty() ? "" : ", ") + n;
          say(at, "unknown key " + quoted(k) +
                      (hint.empty() ? ": remove it, or use one of the keys here: " + list
                                    : ": did you mean " + quoted(hint) + "? (the keys here: " + list + ")"));
        } else if (extra && extra->is_object()) {
          walk(*extra, val, at, depth + 1);
        }
      }
    }
  }

 private:
  // The schema object, through a local "$ref" ("#/definitions/x").
  const json::object* resolve(const json::value& s) const {
    const json::value* at = &s;
    for (int hops = 0; hops < 16 && at->is_object(); ++hops) {
      auto* ref = at->get_object().if_contains("$ref");
      if (!ref || !ref->is_string()) return &at->get_object();
      std::string_view r = ref->get_string();
      if (r.empty() || r[0] != '#') return nullptr;  // not ours to follow
      boost::system::error_code ec;
      at = root_.find_pointer(r.substr(1), ec);
      if (!at || ec) return nullptr;
    }
    return at->if_object();
  }
  // The types a form accepts ({} for a form that says nothing of types).
  std::vector<std::string> types_of(const json::value& alt) const {
    std::vector<std::string> out;
    const json::object* s = resolve(alt);
    if (!s) return out;
    if (auto* t = s->if_contains("type")) {
      if (t->is_string()) out.emplace_back(t->get_string());
      else if (t->is_array())
        for (const auto& x : t->get_array())
          if (x.is_string()) out.emplace_back(x.get_string());
    } else if (auto* e = s->if_contains("enum"); e && e->is_array()) {
      for (const auto& x : e->get_array()) {
        std::string t = x.is_string() ? "string" : x.is_bool() ? "boolean" : x.is_number() ? "number" : x.is_null() ? "null" : "";
        if (!t.empty() && std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
      }
    }
    return out;
  }
  std::string described(const json::object* props, std::string_view key) const {
    if (!props) return "";
    auto* p = props->if_contains(key);
    const json::object* s = p ? resolve(*p) : nullptr;
    auto* d = s ? s->if_contains("description") : nullptr;
    return d && d->is_string() ? " (" + std::string(d->get_string()) + ")" : "";
  }
  void say(const std::string& ptr, std::string msg) { out_.push_back({ptr, std::move(msg)}); }

  const json::value& root_;
  std::vector<SchemaMessage>& out_;
};

}  // namespace

std::vector<SchemaMessage> explain_schema(const json::value& schema, const json::value& doc) {
  std::vector<SchemaMessage> out;
  Walker(schema, out).walk(schema, doc, "");
  return out;
}

}  // namespace accord::json_schema
