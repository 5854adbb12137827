// SPDX-License-Identifier: Apache-2.0
// JSON Schema checks through valijson (see accord/json/schema.hpp). The only
// source that includes valijson: it is built to throw here, so that a schema
// it cannot use is an answer, never the end of the program.
#include <accord/json/schema.hpp>

#include <accord/json/pointer.hpp>

#include <boost/json.hpp>
#define VALIJSON_USE_EXCEPTIONS 1
#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace json = boost::json;

namespace accord::json_schema {

namespace {

// A "$ref" valijson would follow for ever (it recurses until the stack
// overflows): one naming another document by a relative name where no
// absolute "$id" gives a base (valijson resolves it as this document), or a
// schema that is nothing but a reference to itself. Its reason, or "".
std::string endless_ref(const json::value& schema) {
  const json::object* root = schema.if_object();
  if (!root) return "";
  auto absolute = [](std::string_view uri) {
    size_t colon = uri.find(':');
    return colon != std::string_view::npos && colon > 0 && uri.find_first_of("/?#") > colon;
  };
  const json::value* id = root->if_contains("$id");
  bool based = id && id->is_string() && absolute(id->get_string());
  std::vector<const json::value*> todo{&schema};
  while (!todo.empty()) {
    const json::value* at = todo.back();
    todo.pop_back();
    if (const json::array* a = at->if_array()) {
      for (const auto& v : *a) todo.push_back(&v);
      continue;
    }
    const json::object* o = at->if_object();
    if (!o) continue;
    if (const json::value* r = o->if_contains("$ref"); r && r->is_string()) {
      std::string_view ref = r->get_string();
      std::string_view doc = ref.substr(0, ref.find('#'));
      if (!doc.empty() && !absolute(doc) && !based)
        return "a \"$ref\" names another document by a relative name (\"" + std::string(ref) +
               "\") and the schema has no absolute \"$id\" to resolve it against: give the schema an \"$id\" or "
               "the reference an absolute URI";
      if (o == root && (ref.empty() || ref == "#")) return "the schema is a \"$ref\" to itself";
    }
    for (const auto& m : *o) todo.push_back(&m.value());
  }
  return "";
}

// Parses `schema` into `out`; "" when valijson can use it, else its reason.
// `refs` (may be empty) resolves "$ref"s to other documents.
std::string parse(const json::value& schema, valijson::Schema& out, const Schema::Refs& refs = {}) {
  if (std::string why = endless_ref(schema); !why.empty()) return why;
  try {
    valijson::SchemaParser parser;
    // Always a fetcher: without one, valijson takes a "$ref" to another
    // document as one into this document and recurses until the stack
    // overflows. With nothing to resolve it by, such a ref is unusable.
    Schema::Refs none = [](const std::string&) -> const json::value* { return nullptr; };
    auto release = [](const json::value*) {};  // refs' documents are the caller's
    parser.populateSchema(valijson::adapters::BoostJsonAdapter(schema), out, refs ? refs : none, release);
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

std::string unusable(const json::value& schema) {
  valijson::Schema parsed;
  return parse(schema, parsed);
}

// Where in an unusable schema its fault `why` lies, as a pointer into the
// schema ("/properties/size/type"): the deepest subschema that fails alone
// for the same reason, then the keyword of it that does ("" when none does
// alone, e.g. a "$ref" elsewhere).
std::string unusable_at(const json::value& schema, const std::string& why) {
  const json::object* o = schema.if_object();
  if (!o) return "";
  auto descend = [&](const std::string& at, const json::value& sub) -> std::optional<std::string> {
    if (!sub.is_object() || unusable(sub) != why) return std::nullopt;
    return at + unusable_at(sub, why);
  };
  for (const auto& [k, v] : *o) {
    std::string at = "/" + json_pointer::escape(k);
    if ((k == "properties" || k == "patternProperties" || k == "definitions" || k == "dependencies") && v.is_object()) {
      for (const auto& [name, sub] : v.get_object())
        if (auto r = descend(at + "/" + json_pointer::escape(name), sub)) return *r;
    } else if ((k == "allOf" || k == "anyOf" || k == "oneOf" || k == "items") && v.is_array()) {
      for (size_t i = 0; i < v.get_array().size(); ++i)
        if (auto r = descend(at + "/" + std::to_string(i), v.get_array()[i])) return *r;
    } else if (auto r = descend(at, v)) {  // items, additionalProperties, not, if/then/else, contains…
      return *r;
    }
  }
  for (const auto& [k, v] : *o)
    if (unusable(json::object{{k, v}}) == why) return "/" + json_pointer::escape(k);
  return "";
}

// The "description" of the schema node for a document position, or "".
std::string described(const json::value& schema, const std::string& pointer) {
  const json::value* node = schema_at(schema, pointer);
  const json::value* d = node && node->is_object() ? node->get_object().if_contains("description") : nullptr;
  return d && d->is_string() ? std::string(d->get_string()) : "";
}

}  // namespace

const json::value* schema_at(const json::value& schema, std::string_view pointer) {
  auto deref = [&](const json::value* n) {
    for (int hops = 0; n && hops < 16 && n->is_object(); ++hops) {
      const json::value* ref = n->get_object().if_contains("$ref");
      if (!ref || !ref->is_string() || ref->get_string().empty() || ref->get_string()[0] != '#') break;
      boost::system::error_code ec;
      n = schema.find_pointer(ref->get_string().subview(1), ec);
      if (ec) n = nullptr;
    }
    return n;
  };
  const json::value* node = &schema;
  size_t at = 1;
  while (!pointer.empty() && at <= pointer.size()) {
    size_t end = pointer.find('/', at);
    std::string token = json_pointer::unescape(pointer.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at));
    node = deref(node);
    const json::object* o = node ? node->if_object() : nullptr;
    if (!o) return nullptr;
    const json::value* next = nullptr;
    if (auto* props = o->if_contains("properties"); props && props->is_object()) next = props->get_object().if_contains(token);
    if (!next && !token.empty() && std::all_of(token.begin(), token.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
      next = o->if_contains("items");
    if (!next) next = o->if_contains("additionalProperties");
    if (!next) return nullptr;
    node = next;
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  return deref(node);
}

struct Schema::Impl {
  json::value doc;  // for the words (explain_schema, a pattern's description)
  valijson::Schema parsed;
  std::string unusable;
};

Schema::Schema(const json::value& schema_doc, Refs refs) : impl_(std::make_unique<Impl>()) {
  impl_->doc = schema_doc;
  if (std::string why = parse(schema_doc, impl_->parsed, refs); !why.empty()) {
    std::string at = unusable_at(schema_doc, why);
    impl_->unusable = (at.empty() ? "" : "at " + at + ": ") + why;
  }
}

Schema::~Schema() = default;
Schema::Schema(Schema&&) noexcept = default;
Schema& Schema::operator=(Schema&&) noexcept = default;

const std::string& Schema::unusable() const { return impl_->unusable; }

Verdict check(const json::value& schema_doc, const json::value& doc, Words words) {
  return Schema(schema_doc).check(doc, words);
}

Verdict Schema::check(const json::value& doc, Words words) const {
  Verdict out;
  if (!impl_->unusable.empty()) {
    out.unusable = impl_->unusable;
    return out;
  }
  const json::value& schema_doc = impl_->doc;
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::BoostJsonAdapter target(doc);
  if (validator.validate(impl_->parsed, target, &results)) return out;
  // The common mistakes in words; valijson's own only where they say
  // nothing at or below its pointer.
  std::vector<SchemaMessage> plain;
  if (words == Words::kPeople) plain = explain_schema(schema_doc, doc);
  out.errors = plain;
  auto related = [&](const std::string& ptr) {
    return std::any_of(plain.begin(), plain.end(), [&](const SchemaMessage& m) {
      return ptr.empty() || m.pointer == ptr || m.pointer.compare(0, ptr.size() + 1, ptr + "/") == 0;  // said there, or deeper
    });
  };
  valijson::ValidationResults::Error e;
  std::map<std::string, std::string> deepest;
  std::vector<std::string> order;
  while (results.popError(e)) {
    std::string ptr = json_pointer::from_validator_context(e.context);
    if (!deepest.count(ptr)) order.push_back(ptr);
    deepest[ptr] = e.description;  // later errors are the more specific ones
    // a value the schema describes: what it should be, in the schema's own words
    if (words == Words::kPeople)
      if (std::string d = described(schema_doc, ptr); !d.empty() && e.description.find("pattern") != std::string::npos)
        deepest[ptr] = "does not have the expected form: " + d;
  }
  // A parent is left out when a child explains it.
  for (const auto& ptr : order) {
    bool has_child = std::any_of(order.begin(), order.end(), [&](const std::string& other) {
      return other.size() > ptr.size() && other.compare(0, ptr.size() + 1, ptr + "/") == 0;
    });
    if (!has_child && !related(ptr)) out.errors.push_back(SchemaMessage{ptr, deepest[ptr]});
  }
  return out;
}

}  // namespace accord::json_schema
