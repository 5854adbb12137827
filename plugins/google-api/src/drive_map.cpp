// SPDX-License-Identifier: Apache-2.0
// Drive files ⇄ canonical notes (drive_map.hpp).
#include "drive_map.hpp"

#include "json_read.hpp"

#include <accord/connector.hpp>

namespace json = boost::json;

namespace gapi::drive {

namespace {
// Drive's "Add custom file properties": key and value together at most 124 bytes (UTF-8)
constexpr size_t kPropertyBytes = 124;
}  // namespace

const std::vector<std::string>& fields() {
  static const std::vector<std::string> f = {"/title", "/body", "/categories", "/created", "/updated"};
  return f;
}

std::string key_of(const json::object& file) {
  const json::object* p = jr::obj(file, "appProperties");
  return p ? jr::str(*p, kKeyProperty) : "";
}

json::object to_note(const json::object& file, const std::string& content) {
  json::object n{{"title", jr::str(file, "name")}, {"body", content}};
  if (const json::object* p = jr::obj(file, "appProperties"))
    if (std::string c = jr::str(*p, kCategoriesProperty); !c.empty()) {
      boost::system::error_code ec;
      json::value v = json::parse(c, ec);
      json::array cats;
      if (!ec && v.is_array())
        for (const auto& x : v.get_array())
          if (x.is_string()) cats.push_back(x);
      if (!cats.empty()) n["categories"] = std::move(cats);
    }
  if (std::string t = jr::str(file, "createdTime"); !t.empty()) n["created"] = t;
  if (std::string t = jr::str(file, "modifiedTime"); !t.empty()) n["updated"] = t;
  return n;
}

std::string body_of(const json::object& note) { return jr::str(note, "body"); }

json::object to_file(const json::object& note, const std::string& key) {
  json::object props;
  json::array cats;
  if (const json::array* a = jr::arr(note, "categories"))
    for (const auto& x : *a)
      if (x.is_string()) cats.push_back(x);
  if (cats.empty()) {
    props[kCategoriesProperty] = nullptr;  // cleared ("Entries with null values are cleared")
  } else {
    std::string text = json::serialize(cats);
    if (text.size() + std::string_view(kCategoriesProperty).size() > kPropertyBytes)
      throw accord::Error(ACCORD_ERROR, "the note's categories (" + text + ") do not fit in the 124 bytes Drive keeps "
                                        "for a property");
    props[kCategoriesProperty] = text;
  }
  if (!key.empty() && key.size() + std::string_view(kKeyProperty).size() <= kPropertyBytes) props[kKeyProperty] = key;
  json::object f{{"name", jr::str(note, "title")}, {"appProperties", std::move(props)}};
  if (std::string t = jr::str(note, "updated"); !t.empty()) f["modifiedTime"] = t;
  return f;
}

std::string quoted(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace gapi::drive
