// SPDX-License-Identifier: Apache-2.0
#include "pipeline/pipeline.hpp"
#include "pipeline/lookup_config.hpp"

#include <accord/json/pointer.hpp>
#include "mapping/field_travel.hpp"

#include "plugins/registry.hpp"

#include <accord/net/redact.hpp>
#include <accord/net/url_rules.hpp>
#include <accord/json/schema.hpp>
#include <accord/kit/atomic_write.hpp>

#include <boost/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>

namespace json = boost::json;
namespace fs = std::filesystem;

extern const char kPipelineSchema[];
extern const char kAdminSchema[];

namespace accord {

const char* policy_name(Policy p) {
  switch (p) {
    case Policy::kNewest: return "newest";
    case Policy::kLeftWins: return "left-wins";
    case Policy::kRightWins: return "right-wins";
    case Policy::kKeepBoth: return "keep-both";
    case Policy::kManual: return "manual";
  }
  return "?";
}

namespace {

fs::path expand_home(const std::string& p) {
  if (p.starts_with("~/"))
    if (const char* home = std::getenv("HOME")) return fs::path(home) / p.substr(2);
  return p;
}

// The store an endpoint works on (Endpoint::store): a path property's value
// made absolute through any symbolic links, so that two names for one
// folder are one store.
json::object store_of(const Endpoint& ep, const Manifest& m) {
  json::object store{{"connector", ep.connector}};
  const json::object* props = nullptr;
  if (auto* p = m.config_schema.get_object().if_contains("properties")) props = p->if_object();
  for (const auto& key : m.store_identity) {
    const json::value* v = ep.config.get_object().if_contains(key);
    if (!v) continue;
    bool path = false;
    if (props)
      if (auto* spec = props->if_contains(key); spec && spec->is_object())
        if (auto* f = spec->get_object().if_contains("format")) path = *f == "path";
    if (path && v->is_string()) {
      std::error_code ec;
      fs::path abs = fs::weakly_canonical(expand_home(std::string(v->get_string())), ec);
      store[key] = ec ? std::string(v->get_string()) : abs.string();
    } else {
      store[key] = *v;
    }
  }
  return store;
}

std::string escape_token(const std::string& k) { return json_pointer::escape(k); }

// Collects messages "FILE: POINTER: what is wrong".
struct Errors {
  std::string file;
  std::vector<std::string> lines;
  void add(const std::string& pointer, const std::string& msg) {
    std::string line = file + ": " + (pointer.empty() ? "/" : pointer) + ": " + msg;
    if (std::find(lines.begin(), lines.end(), line) == lines.end()) lines.push_back(std::move(line));  // said once
  }
  bool any() const { return !lines.empty(); }
  Failure failure() const {
    std::string m;
    for (size_t i = 0; i < lines.size() && i < 20; ++i) m += (i ? "\n" : "") + lines[i];
    if (lines.size() > 20) m += "\n… and " + std::to_string(lines.size() - 20) + " more";
    return Failure{ACCORD_ERROR, m, 0};
  }
};

using json_schema::edit_distance;

// Validates `doc` against `schema` (json_schema::check, in words for
// people); adds one message per error. `whose` names the schema's author
// for a schema that is itself unusable ("" for our own).
void validate_schema(const json::value& schema_doc, const json::value& doc, Errors& errors, const std::string& prefix,
                     const std::string& whose = "") {
  json_schema::Verdict v = json_schema::check(schema_doc, doc, json_schema::Words::kPeople);
  if (!v.unusable.empty())
    errors.add(prefix, (whose.empty() ? std::string("the schema itself is invalid") : whose) + ": " + v.unusable);
  for (const auto& e : v.errors) errors.add(prefix + e.pointer, e.message);
}

const json::value& pipeline_schema() {
  static const json::value s = json::parse(kPipelineSchema);
  return s;
}

// ---- admin layering ----


// Merges `defaults` under `user`: the user's keys win; objects merge deeply.
void merge_defaults(json::value& user, const json::value& defaults) {
  if (!user.is_object() || !defaults.is_object()) return;
  for (const auto& [k, dv] : defaults.get_object()) {
    json::object& uo = user.get_object();
    if (k == "streams" && dv.is_object()) {  // one object applied under every stream
      if (auto* s = uo.if_contains("streams"); s && s->is_array())
        for (auto& st : s->get_array()) merge_defaults(st, dv);
      continue;
    }
    auto* uv = uo.if_contains(k);
    if (!uv) uo[k] = dv;
    else if (uv->is_object() && dv.is_object()) merge_defaults(*uv, dv);
  }
}

// Expands "/streams/*/conflict/policy" against doc into concrete pointers.
void expand(const json::value& doc, const std::vector<std::string>& toks, size_t i, const std::string& at,
            std::vector<std::string>& out) {
  if (i == toks.size()) {
    out.push_back(at);
    return;
  }
  if (toks[i] == "*") {
    if (const json::array* a = doc.if_array()) {
      for (size_t k = 0; k < a->size(); ++k) expand((*a)[k], toks, i + 1, at + "/" + std::to_string(k), out);
      return;
    }
    if (const json::object* o = doc.if_object()) {
      for (const auto& [k, v] : *o) expand(v, toks, i + 1, at + "/" + escape_token(std::string(k)), out);
      return;
    }
    return;
  }
  const json::value* next = nullptr;
  if (const json::object* o = doc.if_object()) next = o->if_contains(toks[i]);
  else if (const json::array* a = doc.if_array(); a && !toks[i].empty() &&
                                                 toks[i].find_first_not_of("0123456789") == std::string::npos) {
    size_t k = std::stoul(toks[i]);
    if (k < a->size()) next = &(*a)[k];
  }
  static const json::value kNull;
  expand(next ? *next : kNull, toks, i + 1, at + "/" + toks[i], out);
}

void apply_admin(json::value& doc, const fs::path& admin_file, Errors& errors, std::vector<std::string>& locked_out) {
  if (admin_file.empty()) return;
  auto admin = parse_json_file(admin_file);
  if (!admin) {
    errors.lines.push_back(admin.error().message);
    return;
  }
  Errors admin_errors{admin_file.string(), {}};
  if (!admin->is_object()) {
    admin_errors.add("", "an administrator file is {\"defaults\": {…}, \"locked\": {POINTER: value}}");
    errors.lines.insert(errors.lines.end(), admin_errors.lines.begin(), admin_errors.lines.end());
    return;
  }
  // Its own schema: a misspelt key would otherwise lock nothing, silently.
  static const json::value admin_schema = json::parse(kAdminSchema);
  const json::object& known = admin_schema.at("properties").get_object();
  for (const auto& [k, _] : admin->get_object())
    if (!known.contains(k)) {
      std::string best;
      size_t best_d = 3;  // at most two edits away
      for (const auto& [name, _s] : known)
        if (size_t dist = edit_distance(k, name); dist < best_d) best_d = dist, best = name;
      admin_errors.add("/" + escape_token(std::string(k)),
                       "unknown key" + (best.empty() ? std::string() : ": did you mean \"" + std::string(best) + "\"?") +
                           " (an administrator file holds \"defaults\" and \"locked\")");
    }
  if (auto* l = admin->get_object().if_contains("locked"); l && l->is_object())
    for (const auto& [k, _] : l->get_object())
      if (!k.starts_with("/"))
        admin_errors.add("/locked/" + escape_token(std::string(k)),
                         "is not a JSON pointer: write it from the pipeline's root, e.g. \"/streams/*/guards/max_delete_share\"");
  if (!admin_errors.any()) validate_schema(admin_schema, *admin, admin_errors, "");
  if (admin_errors.any()) {
    errors.lines.insert(errors.lines.end(), admin_errors.lines.begin(), admin_errors.lines.end());
    return;
  }
  if (auto* d = admin->get_object().if_contains("defaults")) merge_defaults(doc, *d);
  auto* locked = admin->get_object().if_contains("locked");
  if (!locked) return;
  if (!locked->is_object()) {
    admin_errors.add("/locked", "must be an object of JSON pointer → value");
    errors.lines.insert(errors.lines.end(), admin_errors.lines.begin(), admin_errors.lines.end());
    return;
  }
  for (const auto& [ptr_raw, value] : locked->get_object()) {
    std::string ptr(ptr_raw);
    std::vector<std::string> toks;
    std::stringstream ss(ptr.substr(1));
    std::string t;
    while (std::getline(ss, t, '/')) toks.push_back(t);
    std::vector<std::string> concrete;
    expand(doc, toks, 0, "", concrete);
    for (const auto& c : concrete) {
      boost::system::error_code ec;
      json::value* cur = doc.find_pointer(c, ec);
      if (cur && *cur != value) {
        errors.add(c, "is locked to " + json::serialize(value) + " by " + admin_file.string() +
                          "; remove it from the pipeline or ask your administrator");
        continue;
      }
      // set it (creating parents)
      json::value* node = &doc;
      std::stringstream cs(c.substr(1));
      std::vector<std::string> parts;
      while (std::getline(cs, t, '/')) parts.push_back(t);
      for (size_t i = 0; i < parts.size(); ++i) {
        std::string key;
        for (size_t k = 0; k < parts[i].size(); ++k) {
          if (parts[i][k] == '~' && k + 1 < parts[i].size()) key += parts[i][++k] == '0' ? '~' : '/';
          else key += parts[i][k];
        }
        if (json::array* a = node->if_array()) {
          node = &(*a)[std::stoul(key)];
          continue;
        }
        if (!node->is_object()) *node = json::object();
        if (i + 1 == parts.size()) node->get_object()[key] = value;
        else node = &node->get_object()[key];
      }
      locked_out.push_back(c);
    }
  }
}

// ---- secrets ----

// Replaces {"$secret": N} and {"$env": N} in v. With `reveal` false each
// becomes "<secret N>" (for validation and printing); with true, the value.
void resolve_secrets(json::value& v, bool reveal, const fs::path& secrets_file, Errors& errors, const std::string& at) {
  if (json::object* o = v.if_object()) {
    if (o->size() == 1 && (o->contains("$secret") || o->contains("$env"))) {
      bool is_env = o->contains("$env");
      const json::value& n = is_env ? o->at("$env") : o->at("$secret");
      if (!n.is_string()) {
        errors.add(at, std::string(is_env ? "$env" : "$secret") + " takes a name (a string)");
        return;
      }
      std::string name(n.get_string());
      if (!reveal) {
        v = json::value("<" + std::string(is_env ? "env " : "secret ") + name + ">");
        return;
      }
      if (is_env) {
        const char* e = std::getenv(name.c_str());
        if (!e) errors.add(at, "the environment variable " + name + " is not set");
        else v = json::value(e);
      } else {
        auto s = read_secret(secrets_file, name);
        if (!s) errors.add(at, s.error().message);
        else v = json::value(*s);
      }
      // every message, log line and stored error is redacted of it
      // (redact.hpp); a secret goes into a header, where a line break would
      // add headers of its own
      if (v.is_string()) {
        std::string_view got = v.get_string();
        net::add_secret(got);
        if (!net::header_value_ok(got))
          errors.add(at, std::string(is_env ? "the environment variable " : "the secret \"") + name + (is_env ? "" : "\"") +
                             " holds a line break (CR or LF) or NUL, which would add headers of its own to a request; "
                             "remove it (a value copied with its newline?)");
      }
      return;
    }
    for (auto& [k, c] : *o) resolve_secrets(c, reveal, secrets_file, errors, at + "/" + escape_token(std::string(k)));
  } else if (json::array* a = v.if_array()) {
    for (size_t i = 0; i < a->size(); ++i) resolve_secrets((*a)[i], reveal, secrets_file, errors, at + "/" + std::to_string(i));
  }
}

// The connector's config checked against the rules its schema names by
// "format" (url_rules.hpp, the same code the connector runs): a URL that
// carries credentials ("url-loopback-http": https://, or http:// to this
// machine, no user name in it) and a value that goes into a header
// ("header-value": no line break). `v` has the secrets resolved; messages
// never show a value.
void check_formats(const json::value& schema, const json::value& v, Errors& errors, const std::string& at) {
  const json::object* so = schema.if_object();
  if (!so) return;
  if (const json::value* f = so->if_contains("format"); f && f->is_string() && v.is_string()) {
    std::string text(v.get_string());
    if (*f == "url-loopback-http" && text.find('{') == std::string::npos)  // {origin}…: filled from base_url
      if (std::string why = net::credential_url_problem(text); !why.empty()) errors.add(at, why);
    bool said = std::any_of(errors.lines.begin(), errors.lines.end(),
                            [&](const std::string& l) { return l.find(": " + at + ": ") != std::string::npos; });
    if (*f == "header-value" && !net::header_value_ok(text) && !said)
      errors.add(at, "holds a line break (CR or LF) or NUL: it goes into a request header, where it would add headers "
                     "of its own; remove it");
  }
  if (const json::object* o = v.if_object()) {
    const json::value* props = so->if_contains("properties");
    const json::value* extra = so->if_contains("additionalProperties");
    for (const auto& [k, c] : *o) {
      const json::value* sub = props && props->is_object() ? props->get_object().if_contains(k) : nullptr;
      if (!sub) sub = extra;
      if (sub) check_formats(*sub, c, errors, at + "/" + escape_token(std::string(k)));
    }
  } else if (const json::array* a = v.if_array()) {
    if (const json::value* items = so->if_contains("items"))
      for (size_t i = 0; i < a->size(); ++i) check_formats(*items, (*a)[i], errors, at + "/" + std::to_string(i));
  }
}

// ---- stream pairs ----

std::optional<FieldPath> path_at(const json::value& v, const std::string& ptr, Errors& errors) {
  if (!v.is_string()) return std::nullopt;
  auto p = FieldPath::parse(std::string(v.get_string()));
  if (!p) {
    errors.add(ptr, p.error().message);
    return std::nullopt;
  }
  return *p;
}

// A pointer's segments ("/emails/*/address" → emails, *, address).
std::vector<std::string_view> segments(std::string_view p) {
  std::vector<std::string_view> out;
  for (size_t at = p.starts_with('/') ? 1 : 0; at <= p.size();) {
    size_t slash = std::min(p.find('/', at), p.size());
    out.push_back(p.substr(at, slash - at));
    at = slash + 1;
  }
  return out;
}

// A match, mapping or filter pointer whose property no connector of the
// pair keeps is an error (a misspelt key never matches: every record would
// be copied again), with the nearest property suggested. Only the top-level
// property is checked, against what either side's manifest names for the
// canonical form (a manifest may name fewer fields than its profile keeps);
// streams that declare no fields (a CRM's own objects) are not checked.
void check_filled(const std::optional<FieldPath>& path, const StreamInfo& a, const StreamInfo& b, const std::string& at,
                  Errors& errors) {
  if (!path || a.fields.empty() || a.canonical == "custom") return;
  auto top = [](std::string_view p) { return std::string(segments(p).front()); };
  std::set<std::string> known;
  for (const StreamInfo* s : {&a, &b})
    if (s->canonical == a.canonical)
      for (const auto& f : s->fields) known.insert(top(f));
  std::string want = top(path->text());
  if (known.contains(want)) return;
  std::string best, kept;
  size_t best_d = std::string::npos;
  for (const auto& k : known) {
    kept += (kept.empty() ? "/" : ", /") + k;
    if (size_t d = edit_distance(k, want); d < best_d) best_d = d, best = k;
  }
  std::string suggestion = path->text();
  suggestion.replace(1, want.size(), best);
  errors.add(at, "no connector of this pair fills /" + want + " in a " + a.canonical + " record (they keep " + kept + ")" +
                     (best_d <= std::max<size_t>(3, want.size() / 2) ? ": did you mean " + suggestion + "?" : ""));
}

Flow flow_of(const json::value* v) {
  if (!v || !v->is_string()) return Flow::kBoth;
  std::string s(v->get_string());
  return s == "left-to-right" ? Flow::kLeftToRight : s == "right-to-left" ? Flow::kRightToLeft : Flow::kBoth;
}

std::string str(const json::object& o, const char* k, const std::string& def = "") {
  auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->get_string()) : def;
}

const StreamInfo* find_stream(const Manifest& m, const std::string& name, StreamInfo& custom) {
  if (const StreamInfo* s = m.stream(name)) return s;
  if (!m.custom_streams) return nullptr;
  // custom stream names: lower-case letters, digits and _, as in the SDK guide
  bool ok = !name.empty() && name.size() <= 63 && name[0] >= 'a' && name[0] <= 'z';
  for (char c : name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  if (!ok) return nullptr;
  custom = StreamInfo{};
  custom.name = name;
  custom.canonical = "custom";
  return &custom;
}

// What a date filter's "after" or "before" may be (engine/record_filter.cpp
// compares them): a date (2026-01-31), a time (2026-01-31T09:30:00Z, seconds,
// fraction and zone optional), or "now" with an optional offset in days,
// hours or minutes (now-30d, now+12h, now-90m). "" when it is one, else why not.
std::string date_problem(const std::string& s) {
  auto digits = [&](size_t at, size_t n) {
    if (at + n > s.size()) return -1;
    int v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  const std::string forms = "a date (2026-01-31), a time (2026-01-31T09:30:00Z) or now with an offset (now-30d, now+12h, now-90m)";
  if (s.starts_with("now")) {
    if (s.size() == 3) return "";
    size_t i = 4;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if ((s[3] == '+' || s[3] == '-') && i > 4 && i + 1 == s.size() && (s[i] == 'd' || s[i] == 'h' || s[i] == 'm'))
      return "";
    return "\"" + s + "\" is not a date: write " + forms;
  }
  int y = digits(0, 4), mo = digits(5, 2), d = digits(8, 2);
  if (y < 0 || mo < 0 || d < 0 || s.size() < 10 || s[4] != '-' || s[7] != '-')
    return "\"" + s + "\" is not a date: write " + forms;
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] || (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))))
    return "\"" + s + "\": there is no such day";
  if (s.size() == 10) return "";
  int h = digits(11, 2), mi = digits(14, 2);
  size_t i = 16;
  bool ok = (s[10] == 'T' || s[10] == 't' || s[10] == ' ') && h >= 0 && h < 24 && s.size() >= 16 && s[13] == ':' && mi >= 0 && mi < 60;
  if (ok && i < s.size() && s[i] == ':') {
    int sec = digits(17, 2);
    ok = sec >= 0 && sec <= 60;
    i = 19;
    if (ok && i < s.size() && s[i] == '.') {
      size_t j = i + 1;
      while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
      ok = j > i + 1;
      i = j;
    }
  }
  if (ok && i < s.size()) {
    if (s[i] == 'Z' || s[i] == 'z') ok = i + 1 == s.size();
    else ok = (s[i] == '+' || s[i] == '-') && i + 6 == s.size() && digits(i + 1, 2) >= 0 && digits(i + 1, 2) < 24 &&
              s[i + 3] == ':' && digits(i + 4, 2) >= 0 && digits(i + 4, 2) < 60;
  }
  return ok ? "" : "\"" + s + "\" is not a date: write " + forms;
}

Predicate predicate_of(const json::object& p, const std::string& at, const std::string& canonical, Errors& errors) {
  Predicate out;
  auto category_field = [&]() -> FieldPath {
    return *FieldPath::parse(canonical == "note" ? "/categories" : "/keywords");
  };
  if (auto* c = p.if_contains("category"); c && c->is_object()) {
    const json::object& co = c->get_object();
    out.kind = co.contains("contains") ? "category-contains" : "category-lacks";
    out.value = co.contains("contains") ? co.at("contains") : co.at("lacks");
    out.field = co.contains("field") ? path_at(co.at("field"), at + "/category/field", errors) : category_field();
    if (co.contains("field")) out.pointer = at + "/category/field";
    if (co.contains("contains") && co.contains("lacks"))
      errors.add(at + "/category", "give \"contains\" or \"lacks\", not both: write two predicates for both");
  } else if (auto* pr = p.if_contains("private"); pr && pr->is_bool()) {
    out.kind = pr->get_bool() ? "any" : "not-private";
  } else if (auto* d = p.if_contains("date"); d && d->is_object()) {
    out.kind = "date";
    out.field = path_at(d->get_object().at("field"), at + "/date/field", errors);
    out.pointer = at + "/date/field";
    out.after = str(d->get_object(), "after");
    out.before = str(d->get_object(), "before");
    for (const auto& [key, value] : {std::pair{"after", out.after}, std::pair{"before", out.before}})
      if (std::string why = value.empty() ? "" : date_problem(value); !why.empty()) errors.add(at + "/date/" + key, why);
    if (!d->get_object().contains("after") && !d->get_object().contains("before"))
      errors.add(at + "/date", "a date filter needs \"after\", \"before\" or both (it would let everything through)");
    else if (!out.after.empty() && !out.before.empty() && !out.after.starts_with("now") && !out.before.starts_with("now") &&
             date_problem(out.after).empty() && date_problem(out.before).empty() && out.before.substr(0, 19) <= out.after.substr(0, 19))
      errors.add(at + "/date", "\"before\" (" + out.before + ") is not later than \"after\" (" + out.after +
                                   "): no record would pass; swap them");
  } else if (auto* ms = p.if_contains("max_size")) {
    out.kind = "max-size";
    out.value = *ms;
  } else if (auto* t = p.if_contains("type")) {
    out.kind = "type";
    out.value = *t;
  } else if (auto* f = p.if_contains("field")) {
    out.field = path_at(*f, at + "/field", errors);
    out.pointer = at + "/field";
    if (p.contains("equals")) out.kind = "equals", out.value = p.at("equals");
    else if (p.contains("in")) out.kind = "in", out.value = p.at("in");
    else if (p.contains("exists")) out.kind = "exists", out.value = p.at("exists");
    else errors.add(at, "a \"field\" predicate needs \"equals\", \"in\" or \"exists\"");
  } else {
    errors.add(at, "unknown predicate (known: category, private, field, date, max_size, type)");
  }
  return out;
}

Filter filter_of(const json::value* spec, const std::string& at, const std::string& canonical, Errors& errors) {
  Filter f;
  if (!spec) return f;
  if (const json::array* a = spec->if_array()) {
    for (size_t i = 0; i < a->size(); ++i)
      if ((*a)[i].is_object()) f.all.push_back(predicate_of((*a)[i].get_object(), at + "/" + std::to_string(i), canonical, errors));
    return f;
  }
  if (const json::object* o = spec->if_object()) {  // a preset
    std::string preset = str(*o, "preset"), name = str(*o, "name");
    Predicate p;
    p.field = *FieldPath::parse(canonical == "note" ? "/categories" : "/keywords");
    if (preset == "manual") {
      p.kind = "category-contains";
      p.value = json::value("Sync with " + name);
    } else {
      p.kind = "category-lacks";
      p.value = json::value("Don't sync with " + name);
    }
    f.all.push_back(p);
    bool include_private = o->contains("include_private") && o->at("include_private").is_bool() && o->at("include_private").get_bool();
    if (!include_private) f.all.push_back(Predicate{"not-private", std::nullopt, nullptr, "", "", ""});
    if (auto* more = o->if_contains("and"); more && more->is_array())
      for (size_t i = 0; i < more->get_array().size(); ++i)
        if (more->get_array()[i].is_object())
          f.all.push_back(predicate_of(more->get_array()[i].get_object(), at + "/and/" + std::to_string(i), canonical, errors));
  }
  return f;
}

StreamPair stream_pair_of(const json::object& s, size_t index, const Manifest& lm, const Manifest& rm, Errors& errors) {
  StreamPair sp;
  sp.pointer = "/streams/" + std::to_string(index);
  const std::string& at = sp.pointer;
  sp.left = str(s, "left");
  sp.right = str(s, "right");
  sp.name = str(s, "name", sp.left == sp.right ? sp.left : sp.left + "-" + sp.right);
  StreamInfo lcustom, rcustom;
  const StreamInfo* ls = find_stream(lm, sp.left, lcustom);
  const StreamInfo* rs = find_stream(rm, sp.right, rcustom);
  auto names = [](const Manifest& m) {
    std::string n;
    for (const auto& x : m.streams) n += (n.empty() ? "" : ", ") + x.name;
    return n + (m.custom_streams ? ", or a custom stream named [a-z][a-z0-9_]*" : "");
  };
  if (!ls) errors.add(at + "/left", "connector " + lm.id + " has no stream \"" + sp.left + "\" (it has: " + names(lm) + ")");
  if (!rs) errors.add(at + "/right", "connector " + rm.id + " has no stream \"" + sp.right + "\" (it has: " + names(rm) + ")");
  if (!ls || !rs) return sp;
  sp.left_canonical = ls->canonical;
  sp.right_canonical = rs->canonical;

  Flow dir = flow_of(s.if_contains("direction"));
  sp.to_right = dir != Flow::kRightToLeft;
  sp.to_left = dir != Flow::kLeftToRight;
  if (auto* ops = s.if_contains("operations"); ops && ops->is_object()) {
    auto set_of = [](const json::value& a) {
      std::set<std::string> out;
      for (const auto& x : a.get_array()) out.insert(std::string(x.get_string()));
      return out;
    };
    if (auto* l2r = ops->get_object().if_contains("left-to-right")) sp.ops_to_right = set_of(*l2r);
    if (auto* r2l = ops->get_object().if_contains("right-to-left")) sp.ops_to_left = set_of(*r2l);
  }

  std::set<std::string> keys;
  if (auto* mapping = s.if_contains("mapping"); mapping && mapping->is_array()) {
    sp.identity = false;
    for (size_t i = 0; i < mapping->get_array().size(); ++i) {
      std::string rat = at + "/mapping/" + std::to_string(i);
      const json::object& r = mapping->get_array()[i].get_object();
      Rule rule;
      rule.flow = flow_of(r.if_contains("direction"));
      auto right = path_at(r.at("right"), rat + "/right", errors);
      if (!right) continue;
      check_filled(right, *rs, *ls, rat + "/right", errors);
      rule.right = *right;
      if (auto* l = r.if_contains("left")) {
        if (l->is_string()) {
          if (auto p = path_at(*l, rat + "/left", errors)) {
            check_filled(p, *ls, *rs, rat + "/left", errors);
            rule.left.push_back(*p);
          }
        } else if (l->is_array()) {
          for (size_t k = 0; k < l->get_array().size(); ++k)
            if (auto p = path_at(l->get_array()[k], rat + "/left/" + std::to_string(k), errors)) rule.left.push_back(*p);
        }
      }
      if (auto* t = r.if_contains("transform")) {
        auto tr = parse_transform(*t);
        if (!tr) errors.add(rat + "/transform", tr.error().message);
        else rule.transform = *tr;
      }
      if (rule.transform.is_constant) {
        if (!rule.left.empty()) errors.add(rat + "/left", "a constant rule has no left field: it writes its value to the right");
        if (rule.flow != Flow::kLeftToRight)
          errors.add(rat + "/direction", "a constant rule must be \"direction\": \"left-to-right\"");
      } else if (rule.left.empty()) {
        errors.add(rat, "needs \"left\" (or a constant transform)");
      }
      if (rule.left.size() > 1 && !rule.transform.is_join)
        errors.add(rat + "/transform", "several left fields need {\"join\": SEPARATOR}");
      if (rule.transform.is_join && rule.left.size() < 2)
        errors.add(rat + "/left", "a join needs at least two left fields");
      for (const auto& p : rule.left) rule.key += (rule.key.empty() ? "" : "+") + p.text();
      if (rule.key.empty()) rule.key = "=" + rule.right.text();
      if (!keys.insert(rule.key).second) errors.add(rat + "/left", "maps " + rule.key + " a second time");
      sp.rules.push_back(std::move(rule));
    }
    // Right fields named twice would fight.
    std::set<std::string> rights;
    for (size_t i = 0; i < sp.rules.size(); ++i)
      if (!rights.insert(sp.rules[i].right.text()).second)
        errors.add(at + "/mapping/" + std::to_string(i) + "/right", "writes " + sp.rules[i].right.text() + " a second time");
    // What cannot travel: left fields no rule reads (mapping/field_travel.hpp).
    std::vector<std::string> read;
    for (const auto& r : sp.rules)
      for (const auto& p : r.left) read.push_back(p.text());
    sp.untravelled = unmapped_fields(ls->fields, read);
  } else {
    if (ls->canonical != rs->canonical || ls->canonical == "custom")
      errors.add(at, "left " + sp.left + " (" + ls->canonical + ") and right " + sp.right + " (" + rs->canonical +
                         ") are not the same canonical type: add \"mapping\" rules");
    keys.insert(ls->fields.begin(), ls->fields.end());
    keys.insert(rs->fields.begin(), rs->fields.end());
    // grouped, each field once, by pointer segments (mapping/field_travel.hpp)
    sp.untravelled = untravelled_fields({"(" + lm.id + ")", ls->fields, ls->read_only},
                                        {"(" + rm.id + ")", rs->fields, rs->read_only});
  }

  if (auto* match = s.if_contains("match"); match && match->is_array()) {
    for (size_t i = 0; i < match->get_array().size(); ++i) {
      std::string mat = at + "/match/" + std::to_string(i);
      const json::value& kv = match->get_array()[i];
      json::array fields = kv.is_array() ? kv.get_array() : json::array{kv};
      MatchKey key;
      for (size_t k = 0; k < fields.size(); ++k) {
        std::string fat = kv.is_array() ? mat + "/" + std::to_string(k) : mat;
        const json::object& fo = fields[k].get_object();
        MatchField mf;
        mf.left = path_at(fo.at("left"), fat + "/left", errors);
        check_filled(mf.left, *ls, *rs, fat + "/left", errors);
        if (fo.contains("right")) {
          mf.right = path_at(fo.at("right"), fat + "/right", errors);
          check_filled(mf.right, *rs, *ls, fat + "/right", errors);
        } else if (sp.identity) {
          mf.right = mf.left;
          check_filled(mf.right, *rs, *ls, fat + "/left", errors);
        } else {
          errors.add(fat, "needs \"right\": the sides have different shapes");
        }
        auto norm = parse_normaliser(str(fo, "normalise", "exact"));
        if (!norm) errors.add(fat + "/normalise", norm.error().message);
        else mf.normalise = *norm;
        key.label += (key.label.empty() ? "" : " + ") + (mf.left ? mf.left->text() : std::string("?"));
        key.fields.push_back(std::move(mf));
      }
      sp.match.push_back(std::move(key));
    }
  }

  if (auto* f = s.if_contains("filter"); f && f->is_object()) {
    sp.filter_left = filter_of(f->get_object().if_contains("left"), at + "/filter/left", ls->canonical, errors);
    sp.filter_right = filter_of(f->get_object().if_contains("right"), at + "/filter/right", rs->canonical, errors);
    // a filter on a field no connector fills lets nothing (or everything) through
    for (const auto& p : sp.filter_left.all)
      if (!p.pointer.empty()) check_filled(p.field, *ls, *rs, p.pointer, errors);
    for (const auto& p : sp.filter_right.all)
      if (!p.pointer.empty()) check_filled(p.field, *rs, *ls, p.pointer, errors);
  }

  if (auto* c = s.if_contains("conflict"); c && c->is_object()) {
    std::string p = str(c->get_object(), "policy", "newest");
    sp.policy = p == "left-wins" ? Policy::kLeftWins
                : p == "right-wins" ? Policy::kRightWins
                : p == "keep-both"  ? Policy::kKeepBoth
                : p == "manual"     ? Policy::kManual
                                    : Policy::kNewest;
    if (auto* owners = c->get_object().if_contains("owners"); owners && owners->is_object())
      for (const auto& [k, v] : owners->get_object()) {
        std::string key(k);
        if (!keys.empty() && !keys.contains(key)) {
          std::string known;
          for (const auto& x : keys) known += (known.empty() ? "" : ", ") + x;
          errors.add(at + "/conflict/owners/" + escape_token(key), "is not a field of this stream pair (fields: " + known + ")");
          continue;
        }
        sp.owners[key] = v.get_string() == "left" ? Side::kLeft : Side::kRight;
      }
  }

  if (auto* sc = s.if_contains("schedule"); sc && sc->is_object()) {
    const json::object& so = sc->get_object();
    if (auto* e = so.if_contains("every"); e && e->is_string()) {
      // the schema checked the form: digits and one unit
      std::string_view t = e->get_string();
      int64_t n = 0;
      for (char ch : t.substr(0, t.size() - 1)) n = n > 100000000 ? n : n * 10 + (ch - '0');
      sp.every_s = n * (t.back() == 'h' ? 3600 : t.back() == 'm' ? 60 : 1);
      if (sp.every_s < 10) errors.add(at + "/schedule/every", "is less than 10s: a pair runs at most every 10 seconds (push and file watching start a run at once anyway)");
    }
    if (auto* x = so.if_contains("push"); x && x->is_bool()) sp.push = x->get_bool();
    if (auto* x = so.if_contains("watch"); x && x->is_bool()) sp.watch = x->get_bool();
  }

  if (auto* g = s.if_contains("guards"); g && g->is_object()) {
    const json::object& go = g->get_object();
    if (auto* x = go.if_contains("max_delete_share")) sp.guards.max_delete_share = x->to_number<double>();
    if (auto* x = go.if_contains("max_update_share")) sp.guards.max_update_share = x->to_number<double>();
    if (auto* x = go.if_contains("max_create_share")) sp.guards.max_create_share = x->to_number<double>();
    if (auto* x = go.if_contains("min_records")) sp.guards.min_records = x->to_number<long>();
    if (auto* x = go.if_contains("refuse_empty_side")) sp.guards.refuse_empty_side = x->get_bool();
    if (auto* x = go.if_contains("max_records")) sp.guards.max_records = x->to_number<long>();
  }
  read_lookup_config(s, sp, [&](Side x) { return &(x == Side::kLeft ? lm : rm); },
                     [&](const std::string& p, const std::string& m) { errors.add(p, m); });
  return sp;
}

}  // namespace

// An environment variable that is set and not empty.
static const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

fs::path default_secrets_file() {
  if (const char* e = env("ACCORD_SECRETS")) return e;
  if (const char* x = env("XDG_CONFIG_HOME")) return fs::path(x) / "accord/secrets.json";
  if (const char* h = env("HOME")) return fs::path(h) / ".config/accord/secrets.json";
  return "secrets.json";
}

Result<std::string> read_secret(const fs::path& file, const std::string& name) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0)
    return fail("secret \"" + name + "\": no secrets file " + file.string() +
                " (create it, mode 0600, as {\"" + name + "\": \"…\"})");
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    return fail("secret \"" + name + "\": " + file.string() +
                " is readable by others; run chmod 600 " + file.string());
  if (st.st_uid != ::geteuid())
    return fail("secret \"" + name + "\": " + file.string() + " belongs to another user");
  auto doc = parse_json_file(file);
  if (!doc) return std::unexpected(doc.error());
  if (!doc->is_object()) return fail(file.string() + ": must be a JSON object of name → secret");
  auto* v = doc->get_object().if_contains(name);
  if (!v || !v->is_string()) return fail("secret \"" + name + "\" is not in " + file.string());
  net::add_secret(v->get_string());  // never shown again (redact.hpp)
  return std::string(v->get_string());
}

Result<void> store_secret(const fs::path& link, const std::string& name, const std::string& value) {
  static std::mutex mu;  // stream pairs run on their own threads
  std::lock_guard lock(mu);
  // A secrets file that is a symbolic link (into a vault, a synced folder) is
  // read and checked through it, and atomic_write writes through it to its
  // target: renaming over the link would leave the target with the old, now
  // retired, token.
  const fs::path& file = link;
  json::value doc = json::object();
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0) {
    if (st.st_mode & (S_IRWXG | S_IRWXO))
      return fail("storing secret \"" + name + "\": " + file.string() + " is readable by others; run chmod 600 " + file.string());
    if (st.st_uid != ::geteuid()) return fail("storing secret \"" + name + "\": " + file.string() + " belongs to another user");
    auto d = parse_json_file(file);
    if (!d) return std::unexpected(d.error());
    if (!d->is_object()) return fail(file.string() + ": must be a JSON object of name → secret");
    doc = std::move(*d);
  }
  net::add_secret(value);  // a rotated token is as secret as the one it replaces
  doc.get_object()[name] = value;
  try {
    // temp file, fsync, rename, fsync of the folder; a new file 0600
    kit::atomic_write(file, json::serialize(doc) + "\n", {0600});
  } catch (const std::system_error& e) {
    return fail("storing secret \"" + name + "\": " + e.what());
  }
  return {};
}

Result<json::value> parse_json_file(const fs::path& file, std::size_t max_depth) {
  if (std::error_code ec; fs::is_directory(file, ec)) {
    std::string inside;
    int n = 0;
    for (const auto& e : fs::directory_iterator(file, ec))
      if (e.path().extension() == ".json" && n++ < 5) inside += (inside.empty() ? "" : ", ") + e.path().filename().string();
    return fail(file.string() + ": is a folder, not a JSON file: give the file's path" +
                (inside.empty() ? std::string() : " (the folder holds " + inside + (n > 5 ? ", …" : "") + ")"));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    int e = errno;
    if (std::error_code ec; !fs::exists(fs::symlink_status(file, ec)))
      return fail(file.string() + ": no such file: check the path (it is taken from " +
                  (file.is_absolute() ? std::string("/") : fs::current_path(ec).string()) + ")");
    return fail(file.string() + ": cannot read: " + std::strerror(e));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  // A UTF-8 byte order mark, as some Windows editors save one: JSON does
  // not want it (RFC 8259 §8.1), but a parser may ignore it, and we do.
  if (text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);
  else if (text.starts_with("\xFF\xFE") || text.starts_with("\xFE\xFF"))
    return fail(file.string() + ": is UTF-16 (it starts with a UTF-16 byte order mark): save it as UTF-8");
  json::parse_options opt;
  opt.max_depth = max_depth;
  json::stream_parser p({}, opt);
  boost::system::error_code ec;
  size_t used = p.write_some(text.data(), text.size(), ec);
  if (!ec) p.finish(ec);
  if (ec) {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < used && i < text.size(); ++i) {
      if (text[i] == '\n') ++line, col = 1;
      else ++col;
    }
    return fail(file.string() + ": line " + std::to_string(line) + ", column " + std::to_string(col) +
                ": not valid JSON: " + ec.message());
  }
  return p.release();
}

Result<Pipeline> load_pipeline(const fs::path& file, const Registry& registry, const LoadOptions& opts) {
  auto parsed = parse_json_file(file);
  if (!parsed) return std::unexpected(parsed.error());
  json::value doc = std::move(*parsed);
  Errors errors{file.string(), {}};
  Pipeline p;
  p.file = file;

  fs::path admin = opts.admin_file;
  if (admin.empty()) {
    if (const char* e = env("ACCORD_ADMIN")) admin = e;
    else if (std::error_code ec; fs::exists("/etc/accord/admin.json", ec)) admin = "/etc/accord/admin.json";
  }
  apply_admin(doc, admin, errors, p.locked_by_admin);
  if (errors.any()) return std::unexpected(errors.failure());

  validate_schema(pipeline_schema(), doc, errors, "");
  if (errors.any()) return std::unexpected(errors.failure());

  const json::object& o = doc.get_object();
  p.name = o.at("name").get_string();
  fs::path secrets = opts.secrets_file.empty() ? default_secrets_file() : opts.secrets_file;
  p.secrets_file = secrets;
  const Manifest* manifests[2] = {nullptr, nullptr};
  for (Side side : {Side::kLeft, Side::kRight}) {
    const json::object& e = o.at(side_name(side)).get_object();
    Endpoint ep;
    ep.connector = e.at("connector").get_string();
    ep.config = e.contains("config") ? e.at("config") : json::value(json::object());
    const LoadedPlugin* plugin = registry.find(ep.connector);
    std::string at = std::string("/") + side_name(side);
    if (!plugin) {
      std::string have;
      for (const auto& q : registry.plugins()) have += (have.empty() ? "" : ", ") + q.manifest.id;
      errors.add(at + "/connector", "no connector \"" + ep.connector + "\" is installed (installed: " +
                                        (have.empty() ? "none" : have) + "; see accord plugins)");
      continue;
    }
    manifests[side == Side::kLeft ? 0 : 1] = &plugin->manifest;
    json::value placeholder = ep.config;
    resolve_secrets(placeholder, false, secrets, errors, at + "/config");
    validate_schema(plugin->manifest.config_schema, placeholder, errors, at + "/config",
                    "cannot be checked: the connector \"" + ep.connector + "\" (" + plugin->path.string() +
                        ") carries a config_schema that is not a usable JSON Schema, a fault of the plugin (tell its "
                        "author)");
    ep.resolved_config = ep.config;
    resolve_secrets(ep.resolved_config, true, secrets, errors, at + "/config");
    check_formats(plugin->manifest.config_schema, ep.resolved_config, errors, at + "/config");
    // Properties the connector declares as paths ("format": "path") are
    // relative to the pipeline file, not to wherever accord was started.
    if (auto* props = plugin->manifest.config_schema.get_object().if_contains("properties"); props && props->is_object())
      for (const auto& [k, spec] : props->get_object()) {
        const json::object* so = spec.if_object();
        if (!so || !so->contains("format") || so->at("format") != "path") continue;
        for (json::value* cfg : {&ep.resolved_config, &ep.config})
          if (auto* v = cfg->get_object().if_contains(k); v && v->is_string()) {
            std::string val(v->get_string());
            if (!val.empty() && val[0] != '/' && !val.starts_with("~/"))
              *v = (fs::absolute(file).parent_path() / val).lexically_normal().string();
          }
      }
    ep.store = store_of(ep, plugin->manifest);
    (side == Side::kLeft ? p.left : p.right) = std::move(ep);
  }
  if (errors.any()) return std::unexpected(errors.failure());
  if (manifests[0]->store_identity.size() && p.left.store == p.right.store)
    errors.add("/right/config", "the left and right sides are the same store (" + json::serialize(p.right.store) +
                                    "): a pipeline keeps two different stores in accord; point one side elsewhere");
  if (errors.any()) return std::unexpected(errors.failure());

  const json::array& streams = o.at("streams").get_array();
  std::set<std::string> names;
  for (size_t i = 0; i < streams.size(); ++i) {
    StreamPair sp = stream_pair_of(streams[i].get_object(), i, *manifests[0], *manifests[1], errors);
    if (!names.insert(sp.name).second)
      errors.add("/streams/" + std::to_string(i), "a second stream pair named \"" + sp.name + "\": give each a distinct \"name\"");
    p.streams.push_back(std::move(sp));
  }
  if (errors.any()) return std::unexpected(errors.failure());

  if (auto* h = o.if_contains("history"); h && h->is_object())
    if (auto* k = h->get_object().if_contains("keep_runs"); k && k->is_int64()) p.history_keep_runs = static_cast<int>(k->get_int64());
  if (!opts.state_override.empty()) p.state_path = opts.state_override;
  else if (o.contains("state")) {
    fs::path sp = expand_home(std::string(o.at("state").get_string()));
    p.state_path = sp.is_absolute() ? sp : fs::absolute(file).parent_path() / sp;
  } else {
    fs::path base;
    if (const char* x = env("XDG_STATE_HOME")) base = x;
    else if (const char* h = env("HOME")) base = fs::path(h) / ".local/state";
    else {
      // Not the working directory: a state that moves with wherever accord
      // was started is a state lost, and every record linked again or copied.
      errors.add("/state", "no place for the state: neither HOME nor XDG_STATE_HOME is set; give the pipeline a "
                           "\"state\" (a file path) or set HOME");
      return std::unexpected(errors.failure());
    }
    p.state_path = base / "accord" / (p.name + ".sqlite");
  }
  return p;
}

}  // namespace accord
