// SPDX-License-Identifier: Apache-2.0
// Outlook note ⇄ canonical note (note_map.hpp). Graph's shape: note.md
// (v1.0, api-reference/v1.0/resources/note.md of microsoft-graph-docs-contrib),
// itembody.md.
#include "note_map.hpp"

#include <accord/json/lenient.hpp>
#include <accord/text/ascii.hpp>
#include <accord/text/utf8.hpp>

#include <boost/json.hpp>

#include <cctype>
#include <cstdint>

namespace json = boost::json;
using accord::json_read::obj;
using accord::json_read::str;
using accord::json_read::strings;

namespace outlook::notes {

namespace {

// "2024-01-20T10:30:00.1234567Z" → "2024-01-20T10:30:00Z" (the canonical form: RFC 3339 UTC, whole seconds)
std::string utc_seconds(std::string t) {
  if (auto dot = t.find('.'); dot != std::string::npos && dot == 19) {
    size_t end = dot + 1;
    while (end < t.size() && t[end] >= '0' && t[end] <= '9') ++end;
    t.erase(dot, end - dot);
  }
  return t;
}

void utf8_append(std::string& out, uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return;
  accord::utf8::append(out, cp);
}

}  // namespace

std::string html_text(const std::string& html) {
  std::string out;
  size_t i = 0;
  const size_t n = html.size();
  auto skip_to_close = [&](const std::string& name) {  // past </name>
    std::string lower = accord::ascii_lower(html);
    size_t at = lower.find("</" + name, i);
    i = at == std::string::npos ? n : lower.find('>', at) == std::string::npos ? n : lower.find('>', at) + 1;
  };
  while (i < n) {
    char c = html[i];
    if (c == '<') {
      size_t end = html.find('>', i);
      if (end == std::string::npos) break;
      std::string tag = accord::ascii_lower(html.substr(i + 1, end - i - 1));
      bool closing = !tag.empty() && tag[0] == '/';
      std::string name;
      for (size_t k = closing ? 1 : 0; k < tag.size() && (std::isalnum(static_cast<unsigned char>(tag[k])) != 0); ++k) name += tag[k];
      i = end + 1;
      if (!closing && (name == "head" || name == "style" || name == "script" || name == "title")) {
        skip_to_close(name);
        continue;
      }
      if (name == "br" || (closing && (name == "p" || name == "div" || name == "li" || name == "tr" ||
                                       (name.size() == 2 && name[0] == 'h' && name[1] >= '1' && name[1] <= '6'))))
        out += '\n';
      continue;
    }
    if (c == '&') {
      size_t semi = html.find(';', i);
      if (semi != std::string::npos && semi - i <= 10) {
        std::string e = html.substr(i + 1, semi - i - 1);
        uint32_t cp = 0;
        bool known = true;
        if (e == "amp") cp = '&';
        else if (e == "lt") cp = '<';
        else if (e == "gt") cp = '>';
        else if (e == "quot") cp = '"';
        else if (e == "apos") cp = '\'';
        else if (e == "nbsp") cp = ' ';
        else if (e.size() > 1 && e[0] == '#') {
          try {
            cp = static_cast<uint32_t>(e[1] == 'x' || e[1] == 'X' ? std::stoul(e.substr(2), nullptr, 16) : std::stoul(e.substr(1)));
          } catch (...) {
            known = false;
          }
        } else known = false;
        if (known) {
          utf8_append(out, cp == 0xA0 ? ' ' : cp);
          i = semi + 1;
          continue;
        }
      }
    }
    if (c == '\r') {
      ++i;
      continue;
    }
    // HTML's own line breaks are white space: the tags above make the lines
    out += c == '\n' ? ' ' : c;
    ++i;
  }
  // each line without the blanks HTML's layout left around it; no blank lines at either end
  std::string clean, line;
  auto flush = [&] {
    size_t a = line.find_first_not_of(' '), b = line.find_last_not_of(' ');
    clean += a == std::string::npos ? "" : line.substr(a, b - a + 1);
  };
  for (char ch : out) {
    if (ch == '\n') {
      flush();
      clean += '\n';
      line.clear();
    } else {
      line += ch;
    }
  }
  flush();
  size_t a = clean.find_first_not_of('\n'), b = clean.find_last_not_of('\n');
  return a == std::string::npos ? "" : clean.substr(a, b - a + 1);
}

json::object to_note(const json::object& g) {
  json::object n;
  n["title"] = str(g, "subject");
  std::string body;
  if (const json::object* b = obj(g, "body")) {
    body = str(*b, "content");
    if (accord::ascii_lower(str(*b, "contentType")) == "html") {
      body = html_text(body);
    } else {
      std::string lf;
      for (char c : body)
        if (c != '\r') lf += c;
      body = std::move(lf);
    }
  }
  n["body"] = body;
  if (auto cats = strings(g, "categories"); !cats.empty()) {
    json::array a;
    for (auto& c : cats) a.push_back(json::string(c));
    n["categories"] = std::move(a);
  }
  if (std::string t = str(g, "createdDateTime"); !t.empty()) n["created"] = utc_seconds(t);
  if (std::string t = str(g, "lastModifiedDateTime"); !t.empty()) n["updated"] = utc_seconds(t);
  return n;
}

json::object to_graph(const json::object& note) {
  json::array cats;
  for (auto& c : strings(note, "categories")) cats.push_back(json::string(c));
  return json::object{{"subject", str(note, "title")},
                      {"body", json::object{{"contentType", "text"}, {"content", str(note, "body")}}},
                      {"categories", std::move(cats)}};
}

const std::vector<std::string>& fields() {
  static const std::vector<std::string> f = {"/title", "/body", "/categories", "/created", "/updated"};
  return f;
}

}  // namespace outlook::notes
