// SPDX-License-Identifier: Apache-2.0
#include "mapping/field_map.hpp"

#include <accord/json/text.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <string_view>
#include <vector>

namespace json = boost::json;

namespace accord {

Fields FieldMap::to_pair(Side side, const json::object& data) const {
  Fields out;
  if (sp_.identity) {
    for (const auto& [k, v] : data) out["/" + std::string(k)] = v;
    return out;
  }
  json::value root(data);
  for (const auto& r : sp_.rules) {
    if (r.transform.is_constant) {
      out[r.key] = r.transform.to_left(nullptr);
      continue;
    }
    if (side == Side::kLeft) {
      if (r.transform.is_join) {
        std::string joined;
        bool any = false;
        for (size_t i = 0; i < r.left.size(); ++i) {
          const json::value* v = r.left[i].get(root);
          std::string part = v && v->is_string() ? std::string(v->get_string()) : "";
          any = any || !part.empty();
          if (i) joined += r.transform.join_separator;
          joined += part;
        }
        if (any) out[r.key] = json::value(joined);
      } else if (const json::value* v = r.left[0].get(root); v && !v->is_null()) {
        out[r.key] = *v;
      }
    } else if (const json::value* v = r.right.get(root); v && !v->is_null()) {
      // a join keeps the right's text whole: the pair value is the joined form
      out[r.key] = r.transform.is_join ? *v : r.transform.to_left(*v);
    }
  }
  return out;
}

void FieldMap::pair_text(Side side, const json::object& data, std::string& out) const {
  auto add = [&out](std::string_view key, const json::value& v) {
    if (v.is_null()) return;
    out += key;
    out += '\x1f';
    json_text::append(out, v);  // (json::serialize's text)
    out += '\x1e';
  };
  out.clear();
  if (!sp_.identity) {
    for (const auto& [k, v] : to_pair(side, data)) add(k, v);
    return;
  }
  // the keys of to_pair's map ("/" + member) sort as the members do
  std::vector<const json::key_value_pair*> members;
  members.reserve(data.size());
  for (const auto& kv : data) members.push_back(&kv);
  std::sort(members.begin(), members.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
  for (const auto* kv : members)
    if (!kv->value().is_null()) {
      out += '/';
      add(kv->key(), kv->value());
    }
}

void FieldMap::pair_text(Side side, const json::object& data, std::string& out, std::string& text) const {
  text.clear();
  if (!sp_.identity) {
    json_text::append(text, data);
    pair_text(side, data, out);
    return;
  }
  // each member's value serialised once, into the record's text (as
  // json::serialize writes an object: {"key":value,...}); the pair text
  // takes those bytes, in its own order (as pair_text above)
  // (a record's members are few: on the stack, no allocation a record)
  TextMember few[16];
  std::vector<TextMember> many;
  TextMember* members = few;
  if (data.size() > std::size(few)) {
    many.resize(data.size());
    members = many.data();
  }
  size_t count = 0;
  {
    json_text::Writer w(text);
    w.raw('{');
    for (const auto& kv : data) {
      if (w.size() > 1) w.raw(',');
      w.string(kv.key());
      w.raw(':');
      size_t at = w.size();
      w.value(kv.value());
      if (kv.value().is_null()) continue;
      members[count++] = {kv.key(), at, w.size() - at};
    }
    w.raw('}');
  }
  pair_text_of(text, members, count, out);
}

void FieldMap::pair_text_of(std::string_view text, TextMember* members, size_t count, std::string& out) {
  // in key order (an object's keys are unique: one order), by insertion
  size_t size = 0;
  for (size_t i = 0; i < count; ++i) {
    TextMember m = members[i];
    size += m.key.size() + m.n + 3;
    size_t j = i;
    for (; j > 0 && m.key < members[j - 1].key; --j) members[j] = members[j - 1];
    members[j] = m;
  }
  out.resize(size);
  char* to = out.data();
  for (size_t i = 0; i < count; ++i) {
    const TextMember& m = members[i];
    *to++ = '/';
    std::memcpy(to, m.key.data(), m.key.size());
    to += m.key.size();
    *to++ = '\x1f';
    std::memcpy(to, text.data() + m.at, m.n);
    to += m.n;
    *to++ = '\x1e';
  }
}

bool FieldMap::flows_to(const std::string& key, Side target) const {
  if (sp_.identity) return true;
  for (const auto& r : sp_.rules)
    if (r.key == key)
      return r.flow == Flow::kBoth || (target == Side::kRight ? r.flow == Flow::kLeftToRight : r.flow == Flow::kRightToLeft);
  return true;
}

void FieldMap::write(Side side, json::object& data, const std::map<std::string, std::optional<json::value>>& changes) const {
  json::value root(std::move(data));
  for (const auto& [key, val] : changes) {
    if (sp_.identity) {
      std::string member = key.substr(1);
      if (val) root.get_object()[member] = *val;
      else root.get_object().erase(member);
      continue;
    }
    for (const auto& r : sp_.rules) {
      if (r.key != key) continue;
      if (side == Side::kRight) {
        if (!val) r.right.erase(root);
        else r.right.set(root, r.transform.is_join ? *val : r.transform.to_right(*val));
      } else if (r.transform.is_join) {
        // split the joined text over the left fields: the last takes the rest
        std::string text = val && val->is_string() ? std::string(val->get_string()) : "";
        for (size_t i = 0; i < r.left.size(); ++i) {
          std::string part;
          if (i + 1 == r.left.size()) {
            part = text;
          } else {
            size_t at = text.find(r.transform.join_separator);
            part = text.substr(0, at);
            text = at == std::string::npos ? "" : text.substr(at + r.transform.join_separator.size());
          }
          if (part.empty()) r.left[i].erase(root);
          else r.left[i].set(root, json::value(part));
        }
      } else if (!r.left.empty()) {
        if (!val) r.left[0].erase(root);
        else r.left[0].set(root, *val);
      }
    }
  }
  data = std::move(root.get_object());
}

std::string fields_json(const Fields& f) {
  json::object o;
  for (const auto& [k, v] : f) o[k] = v;
  return json::serialize(o);
}

Fields fields_from_json(std::string_view text) {
  Fields f;
  if (text.empty()) return f;
  json::value v = json::parse(text);
  for (const auto& [k, val] : v.get_object()) f[std::string(k)] = val;
  return f;
}

}  // namespace accord
