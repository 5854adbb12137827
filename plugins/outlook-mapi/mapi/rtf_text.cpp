// SPDX-License-Identifier: Apache-2.0
#include "rtf_text.hpp"

#include <accord/text/charset.hpp>
#include <accord/text/utf8.hpp>

#include <cstdint>
#include <cstdlib>
#include <vector>

namespace accord::outlook::mapi {

namespace {

// Destinations whose content is not the document's text.
bool skipped_destination(std::string_view w) {
  static constexpr std::string_view kSkip[] = {
      "fonttbl", "colortbl", "stylesheet", "info", "pict", "object", "fldinst", "header", "footer", "headerl",
      "headerr", "headerf", "footerl", "footerr", "footerf", "listtable", "listoverridetable", "rsidtbl",
      "generator", "themedata", "colorschememapping", "latentstyles", "datastore", "xmlnstbl", "mmathPr",
      "filetbl", "revtbl", "pntxta", "pntxtb", "pn", "pnseclvl", "footnote", "annotation", "bkmkstart",
      "bkmkend", "nonshppict", "shppict", "userprops", "pgdsctbl", "wgrffmtfilter", "defchp", "defpap"};
  for (std::string_view s : kSkip)
    if (w == s) return true;
  return false;
}

struct State {
  bool skip = false;     // inside a destination that is not text
  bool htmlrtf = false;  // inside \htmlrtf … \htmlrtf0 (RTF-only runs of encapsulated HTML)
  int uc = 1;            // characters after \uN to skip (\ucN)
};

}  // namespace

std::string rtf_text(std::string_view rtf) {
  std::string out;
  std::string bytes;  // \'hh bytes and plain text in the code page, flushed as UTF-8
  std::string codepage = "WINDOWS-1252";
  uint32_t high = 0;  // a \uN high surrogate waiting for its low half (a character past U+FFFF)
  auto emit = [&](uint32_t cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;  // a half alone
    accord::utf8::append(out, cp);
  };
  auto flush = [&] {
    if (high) {  // a high half no low half followed
      emit(0xFFFD);
      high = 0;
    }
    if (bytes.empty()) return;
    if (auto u = charset::to_utf8(codepage, bytes)) out += *u;
    else if (auto w = charset::to_utf8("WINDOWS-1252", bytes)) out += *w;
    bytes.clear();
  };
  auto put_code_point = [&](uint32_t cp) {
    if (cp >= 0xDC00 && cp <= 0xDFFF && high && bytes.empty()) {  // the low half of the waiting high one
      emit(0x10000 + ((high - 0xD800) << 10) + (cp - 0xDC00));
      high = 0;
      return;
    }
    flush();
    if (cp >= 0xD800 && cp <= 0xDBFF) high = cp;
    else emit(cp);
  };
  std::vector<State> stack{State{}};
  int pending_skip = 0;  // fallback characters of the last \uN still to skip
  bool group_start = false;
  size_t i = 0;
  const size_t n = rtf.size();
  while (i < n) {
    State& st = stack.back();
    char c = rtf[i];
    if (c == '{') {
      stack.push_back(stack.back());
      group_start = true;
      pending_skip = 0;
      ++i;
      continue;
    }
    if (c == '}') {
      if (stack.size() > 1) stack.pop_back();
      group_start = false;
      pending_skip = 0;
      ++i;
      continue;
    }
    if (c == '\r' || c == '\n' || c == '\0') {
      ++i;
      continue;
    }
    bool text = !st.skip && !st.htmlrtf;
    if (c != '\\') {
      group_start = false;
      if (pending_skip > 0) {
        --pending_skip;
      } else if (text) {
        bytes += c;
      }
      ++i;
      continue;
    }
    // a control symbol or word
    if (i + 1 >= n) break;
    char d = rtf[i + 1];
    if (d == '\'') {  // \'hh
      if (i + 3 >= n) break;
      char h[3] = {rtf[i + 2], rtf[i + 3], 0};
      i += 4;
      group_start = false;
      if (pending_skip > 0) {
        --pending_skip;
      } else if (text) {
        bytes += static_cast<char>(std::strtol(h, nullptr, 16));
      }
      continue;
    }
    if (!((d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z'))) {  // a control symbol
      i += 2;
      if (d == '*') {
        if (group_start) st.skip = true;  // {\*\dest …}: an ignorable destination
        continue;
      }
      group_start = false;
      if (!text) continue;
      if (d == '\\' || d == '{' || d == '}') bytes += d;
      else if (d == '~') put_code_point(0xA0);
      else if (d == '_') put_code_point(0x2011);
      continue;
    }
    size_t j = i + 1;
    while (j < n && ((rtf[j] >= 'a' && rtf[j] <= 'z') || (rtf[j] >= 'A' && rtf[j] <= 'Z'))) ++j;
    std::string_view word = rtf.substr(i + 1, j - i - 1);
    bool has_param = false;
    long param = 0;
    size_t k = j;
    if (k < n && (rtf[k] == '-' || (rtf[k] >= '0' && rtf[k] <= '9'))) {
      size_t s = k;
      ++k;
      while (k < n && rtf[k] >= '0' && rtf[k] <= '9') ++k;
      param = std::strtol(std::string(rtf.substr(s, k - s)).c_str(), nullptr, 10);
      has_param = true;
    }
    if (k < n && rtf[k] == ' ') ++k;  // the delimiting space belongs to the word
    i = k;
    bool first = group_start;
    group_start = false;
    if (first && skipped_destination(word)) {
      st.skip = true;
      continue;
    }
    if (word == "ansicpg" && has_param) {
      flush();
      codepage = "CP" + std::to_string(param);
      if (!charset::known(codepage)) codepage = "WINDOWS-1252";
      continue;
    }
    if (word == "htmlrtf") {
      st.htmlrtf = !has_param || param != 0;
      continue;
    }
    if (word == "uc" && has_param) {
      st.uc = static_cast<int>(param);
      continue;
    }
    if (!text) continue;
    if (word == "u" && has_param) {
      put_code_point(static_cast<uint32_t>(param < 0 ? param + 65536 : param));
      pending_skip = st.uc;
      continue;
    }
    if (word == "par" || word == "line" || word == "sect" || word == "page") {
      flush();
      out += '\n';
    } else if (word == "tab") {
      flush();
      out += '\t';
    } else if (word == "emdash") {
      put_code_point(0x2014);
    } else if (word == "endash") {
      put_code_point(0x2013);
    } else if (word == "bullet") {
      put_code_point(0x2022);
    } else if (word == "lquote") {
      put_code_point(0x2018);
    } else if (word == "rquote") {
      put_code_point(0x2019);
    } else if (word == "ldblquote") {
      put_code_point(0x201C);
    } else if (word == "rdblquote") {
      put_code_point(0x201D);
    }
  }
  flush();
  // a body's text as Outlook shows it: no blank lines or spaces around it
  size_t b = out.find_first_not_of(" \t\n");
  if (b == std::string::npos) return "";
  size_t e = out.find_last_not_of(" \t\n");
  return out.substr(b, e - b + 1);
}

}  // namespace accord::outlook::mapi
