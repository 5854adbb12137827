// SPDX-License-Identifier: Apache-2.0
#include "content_lines.hpp"

#include <accord/formats/text_codec.hpp>

#include <set>

namespace accord::formats::lines {

std::vector<ContentLine> content_lines(std::string_view text, bool qp_soft_breaks) {
  std::vector<ContentLine> out;
  size_t pos = 0;
  bool continues_qp = false;
  while (pos < text.size()) {
    size_t start = pos, nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    std::string_view content = text.substr(pos, end - pos);
    while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) content.remove_suffix(1);
    if (start == 0 && content.starts_with("\xEF\xBB\xBF")) content.remove_prefix(3);  // BOM
    pos = end;
    if (continues_qp && !out.empty()) {
      out.back().logical.pop_back();  // the soft break's '='
      out.back().logical += content;
      out.back().end = end;
    } else if ((content.starts_with(' ') || content.starts_with('\t')) && !out.empty()) {
      out.back().logical += content.substr(1);
      out.back().end = end;
    } else if (content.empty()) {
      continue;
    } else {
      out.push_back({start, end, std::string(content)});
    }
    const std::string& l = out.back().logical;
    size_t colon = l.find(':');
    continues_qp = qp_soft_breaks && colon != std::string::npos && !l.empty() && l.back() == '=' &&
                   codec::upper(l.substr(0, colon)).find("QUOTED-PRINTABLE") != std::string::npos;
  }
  return out;
}

std::string name_of(const std::string& logical) {
  std::string n = codec::upper(logical.substr(0, logical.find_first_of(";:")));
  if (auto dot = n.find('.'); dot != std::string::npos) n = n.substr(dot + 1);  // a vCard group
  return n;
}

size_t value_colon(const std::string& l) {
  bool q = false;
  for (size_t i = 0; i < l.size(); ++i) {
    if (l[i] == '"') q = !q;
    else if (l[i] == ':' && !q) return i;
  }
  return std::string::npos;
}

std::string value_of(const std::string& logical) {
  size_t c = value_colon(logical);
  return c == std::string::npos ? std::string() : logical.substr(c + 1);
}

std::vector<std::string> params_of(const std::string& l) {
  std::string head = l.substr(0, value_colon(l));
  std::vector<std::string> parts;
  size_t at = 0;
  bool q = false;
  for (size_t i = 0; i <= head.size(); ++i) {
    if (i < head.size() && head[i] == '"') q = !q;
    if (i == head.size() || (head[i] == ';' && !q)) {
      if (at != 0) parts.push_back(head.substr(at, i - at));
      at = i + 1;
    }
  }
  return parts;
}

std::string unquoted(std::string v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"' && v.find('"', 1) == v.size() - 1) v = v.substr(1, v.size() - 2);
  return v;
}

void tzid_params(const std::string& l, std::set<std::string>& out) {
  for (const auto& p : params_of(l))
    if (codec::upper(p.substr(0, 5)) == "TZID=") out.insert(unquoted(p.substr(5)));
}

std::string normal(const std::string& l) {
  size_t colon = value_colon(l);
  std::string out = codec::upper(l.substr(0, l.find_first_of(";:")));
  std::set<std::string> params;
  for (const auto& p : params_of(l)) {
    size_t eq = p.find('=');
    std::string v = eq == std::string::npos ? "" : unquoted(p.substr(eq + 1));
    params.insert(codec::upper(p.substr(0, eq)) + (eq == std::string::npos ? "" : "=" + v));
  }
  for (const auto& p : params) out += ";" + p;
  return out + ":" + (colon == std::string::npos ? "" : l.substr(colon + 1));
}

}  // namespace accord::formats::lines
