// SPDX-License-Identifier: Apache-2.0
#include <accord/mail/message.hpp>

#include <accord/text/ascii.hpp>
#include <accord/text/charset.hpp>
#include <accord/text/quoted_printable.hpp>
#include <accord/text/utf8.hpp>
#include <accord/time/utc_time.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <fstream>
#include <memory>


namespace json = boost::json;

namespace accord::mail {

std::string lower(std::string_view s) { return ascii_lower(s); }

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

// Windows-1252's 0x80-0x9F (ISO-8859-1 has C1 controls there). The five
// bytes Windows-1252 leaves undefined map to the C1 controls of the same
// value, as browsers and mail clients do (WHATWG Encoding), so every byte
// has a character and the fallback never fails.
const uint16_t kCp1252[32] = {0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
                              0x2039, 0x0152, 0x8D,   0x017D, 0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
                              0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178};

std::string charset_key(std::string_view charset) {
  std::string cs = lower(trim(charset));
  if (auto star = cs.find('*'); star != std::string::npos) cs.resize(star);  // RFC 2231 language
  return cs;
}

bool is_utf8_name(const std::string& cs) { return cs == "utf-8" || cs == "utf8"; }
bool is_ascii_name(const std::string& cs) { return cs == "us-ascii" || cs == "ascii"; }
bool is_latin1_name(const std::string& cs) { return cs == "iso-8859-1" || cs == "latin1" || cs == "iso8859-1" || cs == "iso_8859-1"; }
bool is_cp1252_name(const std::string& cs) { return cs == "windows-1252" || cs == "cp1252"; }

std::string cp1252_to_utf8(std::string_view bytes, bool latin1) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 8);
  for (unsigned char c : bytes) {
    if (!latin1 && c >= 0x80 && c < 0xA0) utf8::append(out, kCp1252[c - 0x80]);
    else utf8::append(out, c);
  }
  return out;
}

// Bytes in a charset to UTF-8: nullopt for a charset iconv does not know,
// or bytes that are not text in it (UTF-8 that is not valid, a byte the
// charset has no character for).
std::optional<std::string> to_utf8(std::string_view charset, std::string_view bytes) {
  std::string cs = charset_key(charset);
  if (is_utf8_name(cs) || is_ascii_name(cs)) {
    if (!valid_utf8(bytes)) return std::nullopt;
    return std::string(bytes);
  }
  if (is_latin1_name(cs) || is_cp1252_name(cs)) return cp1252_to_utf8(bytes, is_latin1_name(cs));
  return accord::charset::to_utf8(cs, bytes);
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One encoded word's text, decoded; nullopt when it is not one.
std::optional<std::string> decode_word(std::string_view word) {
  // =?charset?E?text?=
  if (word.size() < 8 || !word.starts_with("=?") || !word.ends_with("?=")) return std::nullopt;
  std::string_view inner = word.substr(2, word.size() - 4);
  size_t q1 = inner.find('?');
  if (q1 == std::string_view::npos || q1 + 2 >= inner.size() || inner[q1 + 2] != '?') return std::nullopt;
  std::string_view charset = inner.substr(0, q1);
  char enc = ascii_upper(inner[q1 + 1]);
  std::string_view text = inner.substr(q1 + 3);
  std::string bytes;
  if (enc == 'B') {
    auto d = base64_decode(text);
    if (!d) return std::nullopt;
    bytes = std::move(*d);
  } else if (enc == 'Q') {
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '_') bytes += ' ';
      else if (text[i] == '=' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
        bytes += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
        i += 2;
      } else bytes += text[i];
    }
  } else {
    return std::nullopt;
  }
  return to_utf8(charset, bytes);
}

// ---- addresses (RFC 5322 3.4) ---------------------------------------------

struct AddressParser {
  std::string_view s;
  std::string_view fallback;
  size_t i = 0;

  void skip_cfws() {
    for (;;) {
      while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
      if (i < s.size() && s[i] == '(') {
        int depth = 0;
        for (; i < s.size(); ++i) {
          if (s[i] == '\\') { ++i; continue; }
          if (s[i] == '(') ++depth;
          else if (s[i] == ')' && --depth == 0) { ++i; break; }
        }
        continue;
      }
      return;
    }
  }

  // A word or quoted string, or a special character as a one-char token.
  std::string token(bool& quoted) {
    quoted = false;
    skip_cfws();
    if (i >= s.size()) return "";
    if (s[i] == '"') {
      quoted = true;
      std::string out;
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        out += s[i];
      }
      if (i < s.size()) ++i;
      return out;
    }
    if (std::strchr("<>,:;@", s[i])) return std::string(1, s[i++]);
    size_t start = i;
    while (i < s.size() && !std::strchr("<>,:;@\"( \t\r\n", s[i])) ++i;
    return std::string(s.substr(start, i - start));
  }

  json::array parse() {
    json::array out;
    std::vector<std::pair<std::string, bool>> words;  // the phrase (display name or local part) so far
    std::string email;
    bool angle = false;
    auto flush = [&] {
      std::string phrase;
      for (size_t k = 0; k < words.size(); ++k) {
        if (k && !(words[k - 1].second == false && words[k - 1].first.starts_with("=?") && words[k].first.starts_with("=?")))
          phrase += ' ';
        phrase += words[k].second ? header_text(words[k].first, fallback) : decode_words(words[k].first, fallback);
      }
      if (!angle && email.empty() && !words.empty()) {
        // a bare addr-spec: the words were its local part and domain
        std::string spec;
        for (auto& w : words) spec += w.first;
        email = spec;
        phrase.clear();
      }
      if (!email.empty()) {
        json::object a;
        if (!phrase.empty()) a["name"] = phrase;
        a["email"] = header_text(email, fallback);
        out.push_back(std::move(a));
      }
      words.clear();
      email.clear();
      angle = false;
    };
    while (i < s.size()) {
      bool quoted;
      std::string t = token(quoted);
      if (t.empty() && !quoted) break;
      if (!quoted && t == ",") {
        flush();
      } else if (!quoted && t == ";") {
        flush();  // the end of a group
      } else if (!quoted && t == ":") {
        words.clear();  // a group's name: its members follow
      } else if (!quoted && t == "<") {
        angle = true;
        std::string spec;
        while (i < s.size() && s[i] != '>') {
          if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') spec += s[i];
          ++i;
        }
        if (i < s.size()) ++i;
        // an obsolete route ("@a,@b:user@host") is dropped
        if (auto colon = spec.find(':'); colon != std::string::npos && spec.starts_with("@")) spec = spec.substr(colon + 1);
        email = spec;
      } else if (!quoted && t == "@") {
        if (!words.empty()) words.back().first += "@";
        else words.push_back({"@", false});
        bool q2;
        std::string dom = token(q2);
        words.back().first += dom;
      } else {
        if (!words.empty() && !quoted && words.back().first.ends_with("@")) words.back().first += t;
        else words.push_back({t, quoted});
      }
    }
    flush();
    return out;
  }
};

json::array message_ids(std::string_view v) {
  json::array out;
  size_t i = 0;
  while ((i = v.find('<', i)) != std::string_view::npos) {
    size_t e = v.find('>', i);
    if (e == std::string_view::npos) break;
    std::string id;
    for (char c : v.substr(i + 1, e - i - 1))
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') id += c;
    if (!id.empty()) out.emplace_back(id);
    i = e + 1;
  }
  if (out.empty()) {
    // no brackets: one id as it stands (seen in the wild)
    std::string_view t = trim(v);
    if (!t.empty() && t.find(' ') == std::string_view::npos) out.emplace_back(t);
  }
  return out;
}

const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

int month_of(std::string_view m) {
  for (int k = 0; k < 12; ++k)
    if (ascii_iequals(m, kMonths[k])) return k + 1;
  return 0;
}

// An offset "+0200", "-0700", or an obsolete zone name; minutes east of UTC.
std::optional<int> zone_minutes(std::string_view z) {
  if (z.size() == 5 && (z[0] == '+' || z[0] == '-') &&
      std::all_of(z.begin() + 1, z.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    int h = (z[1] - '0') * 10 + (z[2] - '0'), m = (z[3] - '0') * 10 + (z[4] - '0');
    int total = h * 60 + m;
    return z[0] == '-' ? -total : total;
  }
  static const std::pair<const char*, int> kNames[] = {{"UT", 0},       {"GMT", 0},      {"Z", 0},       {"EST", -300},
                                                       {"EDT", -240},   {"CST", -360},   {"CDT", -300},  {"MST", -420},
                                                       {"MDT", -360},   {"PST", -480},   {"PDT", -420}};
  for (auto& [n, m] : kNames)
    if (ascii_iequals(z, n)) return m;
  return std::nullopt;
}

struct DateParts {
  int year, month, day, hour, minute, second, zone;
};

// A word of 1-9 ASCII digits: its value (what std::stoi and sscanf's %d
// read there); nullopt for any other word, which goes to them as it did.
std::optional<int> plain_number(std::string_view w) {
  if (w.empty() || w.size() > 9) return std::nullopt;
  int v = 0;
  for (char c : w) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// std::stoi's reading of a word (leading space, a sign, digits up to the
// first non-digit); nullopt where it throws.
std::optional<int> stoi_of(std::string_view w) {
  if (auto v = plain_number(w)) return v;
  try {
    return std::stoi(std::string(w));
  } catch (...) {
    return std::nullopt;
  }
}

// sscanf(w, "%d:%d:%d", &h, &m, &s) >= 2, h, m and s set as it sets them
// (left as they are where it stops): "HH:MM" and "HH:MM:SS" read here,
// anything else by sscanf.
bool scan_time(std::string_view w, int& h, int& m, int& s) {
  std::array<int, 3> v{h, m, s};
  size_t n = 0, at = 0;
  bool plain = true;
  while (plain && n < 3) {
    size_t colon = w.find(':', at);
    auto x = plain_number(w.substr(at, colon == std::string_view::npos ? std::string_view::npos : colon - at));
    if (!x) plain = false;
    else v[n++] = *x;
    if (colon == std::string_view::npos) break;
    at = colon + 1;
    if (n == 3) plain = false;  // a third colon
  }
  if (plain && n >= 2) {
    h = v[0], m = v[1], s = v[2];
    return true;
  }
  return std::sscanf(std::string(w).c_str(), "%d:%d:%d", &h, &m, &s) >= 2;
}

// "[Day,] DD Mon YYYY HH:MM[:SS] zone" (and the obsolete two-digit years).
// The words are read in place (a Date header's every message: no copy of
// it, no word copied).
std::optional<DateParts> parse_date(std::string_view text) {
  // drop a trailing comment such as "(PDT)"
  if (auto p = text.find('('); p != std::string_view::npos) text = text.substr(0, p);
  // the words between spaces, commas, tabs and line ends: the first six, and how many
  std::array<std::string_view, 6> w;
  size_t count = 0;
  auto gap = [](char c) { return c == ' ' || c == ',' || c == '\t' || c == '\r' || c == '\n'; };
  for (size_t i = 0; i < text.size();) {
    while (i < text.size() && gap(text[i])) ++i;
    size_t st = i;
    while (i < text.size() && !gap(text[i])) ++i;
    if (i > st) {
      if (count < w.size()) w[count] = text.substr(st, i - st);
      ++count;
    }
  }
  size_t f = 0;  // the first word after a weekday
  if (count > 0 && std::isalpha(static_cast<unsigned char>(w[0][0])) && !month_of(w[0])) f = 1;
  if (count - f < 4) return std::nullopt;
  DateParts d{};
  std::optional<int> day = stoi_of(w[f]), year = stoi_of(w[f + 2]);
  if (!day || !year) return std::nullopt;
  d.day = *day;
  d.month = month_of(w[f + 1]);
  d.year = *year;
  if (!d.month || d.day < 1 || d.day > 31) return std::nullopt;
  if (w[f + 2].size() <= 2) d.year += d.year < 50 ? 2000 : 1900;
  else if (w[f + 2].size() == 3) d.year += 1900;
  int h = 0, m = 0, sec = 0;
  if (!scan_time(w[f + 3], h, m, sec)) return std::nullopt;
  if (h > 23 || m > 59 || sec > 60) return std::nullopt;
  d.hour = h;
  d.minute = m;
  d.second = sec == 60 ? 59 : sec;
  d.zone = 0;
  if (count - f > 4)
    if (auto z = zone_minutes(w[f + 4])) d.zone = *z;
  return d;
}

std::string rfc3339(const DateParts& d) {
  int z = d.zone < 0 ? -d.zone : d.zone;
  auto two = [](int v) { return v >= 0 && v <= 99; };
  if (d.year >= 0 && d.year <= 9999 && two(d.month) && two(d.day) && two(d.hour) && two(d.minute) && two(d.second) &&
      two(z / 60)) {
    // (what the snprintf below writes, for the values every real date has)
    char b[25];
    auto put = [&](size_t at, int v, int digits) {
      for (int k = digits - 1; k >= 0; --k, v /= 10) b[at + static_cast<size_t>(k)] = static_cast<char>('0' + v % 10);
    };
    put(0, d.year, 4);
    b[4] = '-';
    put(5, d.month, 2);
    b[7] = '-';
    put(8, d.day, 2);
    b[10] = 'T';
    put(11, d.hour, 2);
    b[13] = ':';
    put(14, d.minute, 2);
    b[16] = ':';
    put(17, d.second, 2);
    if (d.zone == 0) {
      b[19] = 'Z';
      return std::string(b, 20);
    }
    b[19] = d.zone < 0 ? '-' : '+';
    put(20, z / 60, 2);
    b[22] = ':';
    put(23, z % 60, 2);
    return std::string(b, 25);
  }
  char b[40];
  if (d.zone == 0) {
    std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02dZ", d.year, d.month, d.day, d.hour, d.minute, d.second);
  } else {
    std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", d.year, d.month, d.day, d.hour, d.minute,
                  d.second, d.zone < 0 ? '-' : '+', z / 60, z % 60);
  }
  return b;
}

}  // namespace

const std::vector<std::string>& canonical_fields() {
  static const std::vector<std::string> f = {"/messageId",  "/inReplyTo",     "/references",    "/subject",
                                             "/from",       "/sender",        "/replyTo",       "/to",
                                             "/cc",         "/bcc",           "/sentAt",        "/receivedAt",
                                             "/size",       "/mailboxIds",    "/keywords",      "/bodyStructure",
                                             "/attachments", "/hasAttachment", "/raw"};
  return f;
}

std::string_view header_block(std::string_view message) {
  if (message.starts_with("\r\n")) return {};
  if (message.starts_with("\n")) return {};
  // The first LF that ends an empty line ("\n\n", or the second LF of
  // "\r\n\r\n"): the block ends after it. (Not a search of the whole message
  // for each of the two forms: a CRLF message has no "\n\n" and was read to
  // its end for it, every message a pull writes.)
  const char* d = message.data();
  size_t n = message.size();
  for (size_t p = message.find('\n'); p != std::string_view::npos; p = message.find('\n', p + 1)) {
    if (p + 1 < n && (d[p + 1] == '\n' || (p >= 1 && d[p - 1] == '\r' && d[p + 1] == '\r' && p + 2 < n && d[p + 2] == '\n')))
      return message.substr(0, p + 1);
  }
  return message;
}

namespace {

// A header's value from the rest of its first line on (`first`, after the
// colon; `eol`: where that line's LF is, or the end), its continuation lines
// (folding) joined on, trimmed.
std::string unfolded(std::string_view headers, std::string_view first, size_t eol) {
  size_t j = eol + 1;
  if (j >= headers.size() || (headers[j] != ' ' && headers[j] != '\t')) return std::string(trim(first));
  std::string v(first);
  while (j < headers.size() && (headers[j] == ' ' || headers[j] == '\t')) {
    size_t e2 = headers.find('\n', j);
    if (e2 == std::string_view::npos) e2 = headers.size();
    if (!v.empty() && v.back() == '\r') v.pop_back();
    v.append(headers.substr(j, e2 - j));
    j = e2 + 1;
  }
  if (!v.empty() && v.back() == '\r') v.pop_back();
  return std::string(trim(v));
}

// Each line of the block that begins a header, as f(name, rest of the line
// after the colon, where the line ends) until f answers true.
template <class F>
void each_header(std::string_view headers, F&& f) {
  size_t i = 0;
  while (i < headers.size()) {
    size_t eol = headers.find('\n', i);
    if (eol == std::string_view::npos) eol = headers.size();
    std::string_view line = headers.substr(i, eol - i);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos && line[0] != ' ' && line[0] != '\t' &&
        f(trim(line.substr(0, colon)), line.substr(colon + 1), eol))
      return;
    i = eol + 1;
  }
}

// The values of several headers, each as header_value gives it (the first
// of its name, unfolded; "" when absent), in one pass over the block, not
// one pass a name.
template <size_t N>
std::array<std::string, N> header_values(std::string_view headers, const std::array<std::string_view, N>& names) {
  std::array<std::string, N> out;
  std::array<bool, N> found{};
  size_t left = N;
  each_header(headers, [&](std::string_view name, std::string_view first, size_t eol) {
    for (size_t k = 0; k < N; ++k)
      if (!found[k] && ascii_iequals(name, names[k])) {
        found[k] = true;
        out[k] = unfolded(headers, first, eol);
        return --left == 0;
      }
    return false;
  });
  return out;
}

}  // namespace

std::string header_value(std::string_view headers, std::string_view name) {
  std::string v;
  each_header(headers, [&](std::string_view n, std::string_view first, size_t eol) {
    if (!ascii_iequals(n, name)) return false;
    v = unfolded(headers, first, eol);
    return true;
  });
  return v;
}

bool valid_utf8(std::string_view bytes) { return utf8::valid(bytes); }

bool known_charset(std::string_view charset) {
  std::string cs = charset_key(charset);
  if (is_utf8_name(cs) || is_ascii_name(cs) || is_latin1_name(cs) || is_cp1252_name(cs)) return true;
  return accord::charset::known(cs);
}

std::string header_text(std::string_view bytes, std::string_view fallback) {
  if (valid_utf8(bytes)) return std::string(bytes);
  if (auto t = to_utf8(fallback, bytes)) return std::move(*t);
  return cp1252_to_utf8(bytes, false);  // every byte has a character there
}

std::string decode_words(std::string_view text, std::string_view fallback) {
  // Text between encoded words is gathered as bytes and read as a whole
  // (header_text: UTF-8 when valid, else the fallback charset); an encoded
  // word that does not decode (bad base64, bytes not text in its charset, a
  // charset not known) stays as it came, as text.
  std::string out, raw;
  size_t i = 0;
  bool last_was_word = false;
  std::string pending_space;
  auto flush = [&] {
    if (!raw.empty()) out += header_text(raw, fallback);
    raw.clear();
  };
  while (i < text.size()) {
    if (text.substr(i).starts_with("=?")) {
      // an encoded word runs to the "?=" after its charset and encoding parts
      size_t q1 = text.find('?', i + 2);
      size_t q2 = q1 == std::string_view::npos ? q1 : text.find('?', q1 + 1);
      size_t end = q2 == std::string_view::npos ? q2 : text.find("?=", q2 + 1);
      if (end != std::string_view::npos) {
        if (auto d = decode_word(text.substr(i, end + 2 - i))) {
          if (!last_was_word) raw += pending_space;  // whitespace between two encoded words is dropped
          pending_space.clear();
          flush();
          out += *d;
          i = end + 2;
          last_was_word = true;
          continue;
        }
      }
    }
    char c = text[i++];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (c == '\r' || c == '\n') continue;
      pending_space += ' ';
      continue;
    }
    raw += pending_space;
    pending_space.clear();
    raw += c;
    last_was_word = false;
  }
  raw += pending_space;
  flush();
  return out;
}

json::object header_fields(std::string_view headers, std::string_view fallback) {
  // the headers read in one pass (header_values), the fields made in this order
  enum { kMessageId, kInReplyTo, kReferences, kSubject, kFrom, kSender, kReplyTo, kTo, kCc, kBcc, kDate, kCount };
  static constexpr std::array<std::string_view, kCount> kNames = {
      "Message-ID", "In-Reply-To", "References", "Subject", "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Date"};
  std::array<std::string, kCount> v = header_values(headers, kNames);
  json::object o;
  auto ids = [&](int k, const char* field) {
    if (v[k].empty()) return;
    json::array a = message_ids(header_text(v[k], fallback));
    if (!a.empty()) o[field] = std::move(a);
  };
  ids(kMessageId, "messageId");
  ids(kInReplyTo, "inReplyTo");
  ids(kReferences, "references");
  if (!v[kSubject].empty()) o["subject"] = decode_words(v[kSubject], fallback);
  for (auto [k, field] : {std::pair{kFrom, "from"}, {kSender, "sender"}, {kReplyTo, "replyTo"},
                          {kTo, "to"}, {kCc, "cc"}, {kBcc, "bcc"}}) {
    if (v[k].empty()) continue;
    json::array a = AddressParser{v[k], fallback}.parse();
    if (!a.empty()) o[field] = std::move(a);
  }
  if (!v[kDate].empty())
    if (auto t = date_to_rfc3339(v[kDate])) o["sentAt"] = *t;
  return o;
}

std::optional<std::string> date_to_rfc3339(std::string_view date) {
  auto d = parse_date(date);
  if (!d) return std::nullopt;
  return rfc3339(*d);
}

std::optional<int64_t> internaldate_seconds(std::string_view date) {
  // "17-Jul-1996 02:44:25 -0700" (the day may be space-padded)
  std::string s(trim(date));
  // the date's two dashes become spaces; the zone's sign stays
  for (int n = 0, k = 0; n < 2 && k < static_cast<int>(s.size()); ++k)
    if (s[k] == '-') s[k] = ' ', ++n;
  auto d = parse_date(s);
  if (!d) return std::nullopt;
  return utc::to_seconds(d->year, d->month, d->day, d->hour, d->minute, d->second) - int64_t(d->zone) * 60;
}

std::string internaldate(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char b[40];
  std::snprintf(b, sizeof b, "%02d-%s-%04d %02d:%02d:%02d +0000", tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  return b;
}

std::optional<int64_t> rfc3339_seconds(std::string_view text) {
  int y, mo, d, h, mi, s;
  // "YYYY-MM-DDTHH:MM:SS" read in place (a create's receivedAt, each
  // message a pull writes); anything else as sscanf reads it
  auto digits = [&](size_t at, size_t n, int& v) {
    v = 0;
    for (size_t k = at; k < at + n; ++k) {
      if (text[k] < '0' || text[k] > '9') return false;
      v = v * 10 + (text[k] - '0');
    }
    return true;
  };
  bool plain = text.size() >= 19 && text[4] == '-' && text[7] == '-' && text[10] == 'T' && text[13] == ':' &&
               text[16] == ':' && digits(0, 4, y) && digits(5, 2, mo) && digits(8, 2, d) && digits(11, 2, h) &&
               digits(14, 2, mi) && digits(17, 2, s);
  if (!plain && std::sscanf(std::string(text).c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6)
    return std::nullopt;
  std::string_view t = text;
  size_t p = 19;
  if (p < t.size() && t[p] == '.')
    while (++p < t.size() && std::isdigit(static_cast<unsigned char>(t[p]))) {
    }
  int64_t off = 0;
  if (p < t.size() && (t[p] == '+' || t[p] == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(std::string(t).c_str() + p + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
    off = (oh * 60 + om) * 60 * (t[p] == '-' ? -1 : 1);
  } else if (p >= t.size() || (t[p] != 'Z' && t[p] != 'z')) {
    return std::nullopt;
  }
  return utc::to_seconds(y, mo, d, h, mi, s) - off;
}

namespace {
const std::pair<const char*, const char*> kSystemFlags[] = {
    {"\\SEEN", "$seen"}, {"\\FLAGGED", "$flagged"}, {"\\ANSWERED", "$answered"}, {"\\DRAFT", "$draft"}};
const std::pair<char, const char*> kLetters[] = {
    {'D', "$draft"}, {'F', "$flagged"}, {'P', "$forwarded"}, {'R', "$answered"}, {'S', "$seen"}};
}  // namespace

json::object keywords_from_flags(const std::vector<std::string>& flags) {
  json::object k;
  for (const auto& f : flags) {
    std::string up;
    for (char c : f) up += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (up == "\\RECENT" || up == "\\DELETED") continue;
    const char* mapped = nullptr;
    for (auto& [flag, kw] : kSystemFlags)
      if (up == flag) mapped = kw;
    if (mapped) k[mapped] = true;
    else if (!f.starts_with("\\")) k[lower(f)] = true;
  }
  return k;
}

std::vector<std::string> flags_from_keywords(const json::object& keywords) {
  std::vector<std::string> out;
  for (const auto& [kw, v] : keywords) {
    if (!v.is_bool() || !v.get_bool()) continue;
    const char* mapped = nullptr;
    for (auto& [flag, name] : kSystemFlags)
      if (kw == name) mapped = flag;
    if (mapped) {
      std::string f = mapped;  // "\SEEN" → "\Seen"
      for (size_t i = 2; i < f.size(); ++i) f[i] = ascii_lower(f[i]);
      out.push_back(f);
    } else if (kw == "$forwarded") {
      out.push_back("$Forwarded");
    } else if (!kw.empty() && kw.find_first_of(" ()\\\"{%*]\r\n") == json::string::npos) {
      out.emplace_back(kw);
    }
  }
  return out;
}

json::object keywords_from_letters(const std::set<char>& letters, const json::value* others) {
  json::object k;
  for (auto& [c, kw] : kLetters)
    if (letters.contains(c)) k[kw] = true;
  if (others && others->is_object())
    for (const auto& [name, v] : others->get_object()) {
      bool lettered = std::any_of(std::begin(kLetters), std::end(kLetters), [&](auto& l) { return name == l.second; });
      if (!lettered && v.is_bool() && v.get_bool()) k[name] = true;
    }
  return k;
}

std::string first_mailbox(const json::object& data, const std::string& fallback) {
  if (auto* m = data.if_contains("mailboxIds"); m && m->is_object())
    for (const auto& [name, v] : m->get_object())
      if (v.is_bool() && v.get_bool()) return std::string(name);
  return fallback;
}

std::set<char> letters_from_keywords(const json::object& keywords) {
  std::set<char> out;
  for (auto& [c, kw] : kLetters)
    if (auto* v = keywords.if_contains(kw); v && v->is_bool() && v->get_bool()) out.insert(c);
  return out;
}

// The line-end helpers copy the runs between line ends in bulk (memchr),
// not byte by byte: they see every message body that travels.
std::string to_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 40);
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    if (nl == std::string_view::npos) nl = text.size();
    out.append(text.data() + at, nl - at);
    if (nl == text.size()) break;
    if (nl == 0 || text[nl - 1] != '\r') out += '\r';
    out += '\n';
    at = nl + 1;
  }
  return out;
}

std::string to_lf(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    if (nl == std::string_view::npos) nl = text.size();
    size_t stop = nl > at && nl < text.size() && text[nl - 1] == '\r' ? nl - 1 : nl;  // a CR before the LF goes
    out.append(text.data() + at, stop - at);
    if (nl == text.size()) break;
    out += '\n';
    at = nl + 1;
  }
  return out;
}

uint64_t crlf_size(std::string_view text) {
  uint64_t n = text.size();
  for (size_t nl = text.find('\n'); nl != std::string_view::npos; nl = text.find('\n', nl + 1))
    if (nl == 0 || text[nl - 1] != '\r') ++n;
  return n;
}

namespace {
constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
// a byte's value in base64: 0-63, kSkip for white space, kEnd for '=', kBad
constexpr uint8_t kSkip = 64, kEnd = 65, kBad = 66;
constexpr std::array<uint8_t, 256> kBase64Value = [] {
  std::array<uint8_t, 256> t{};
  t.fill(kBad);
  for (uint8_t i = 0; i < 64; ++i) t[static_cast<uint8_t>(kBase64[i])] = i;
  for (char c : {' ', '\r', '\n', '\t'}) t[static_cast<uint8_t>(c)] = kSkip;
  t['='] = kEnd;
  return t;
}();
}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out((bytes.size() + 2) / 3 * 4, '=');
  char* o = out.data();
  const auto* b = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3, o += 4) {
    uint32_t v = (uint32_t{b[i]} << 16) | (uint32_t{b[i + 1]} << 8) | b[i + 2];
    o[0] = kBase64[v >> 18];
    o[1] = kBase64[(v >> 12) & 63];
    o[2] = kBase64[(v >> 6) & 63];
    o[3] = kBase64[v & 63];
  }
  if (i < bytes.size()) {  // one or two bytes left: two or three letters, then '='
    uint32_t v = uint32_t{b[i]} << 16 | (i + 1 < bytes.size() ? uint32_t{b[i + 1]} << 8 : 0);
    o[0] = kBase64[v >> 18];
    o[1] = kBase64[(v >> 12) & 63];
    if (i + 1 < bytes.size()) o[2] = kBase64[(v >> 6) & 63];
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  char* o = out.data();
  const auto* t = reinterpret_cast<const uint8_t*>(text.data());
  size_t i = 0, n = text.size();
  uint32_t acc = 0;
  int bits = 0;
  while (i < n) {
    // four letters at once where no white space or end falls among them
    if (bits == 0 && i + 4 <= n) {
      uint8_t a = kBase64Value[t[i]], b = kBase64Value[t[i + 1]], c = kBase64Value[t[i + 2]], d = kBase64Value[t[i + 3]];
      if ((a | b | c | d) < 64) {
        uint32_t v = (uint32_t{a} << 18) | (uint32_t{b} << 12) | (uint32_t{c} << 6) | d;
        o[0] = static_cast<char>(v >> 16);
        o[1] = static_cast<char>(v >> 8);
        o[2] = static_cast<char>(v);
        o += 3;
        i += 4;
        continue;
      }
    }
    uint8_t v = kBase64Value[t[i++]];
    if (v == kSkip) continue;
    if (v == kEnd) break;
    if (v == kBad) return std::nullopt;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *o++ = static_cast<char>((acc >> bits) & 0xFF);
    }
    if (bits == 0) acc = 0;
  }
  out.resize(static_cast<size_t>(o - out.data()));
  return out;
}

// ---- MIME structure --------------------------------------------------------

namespace {

// RFC 2231: charset'language'percent-encoded text.
std::string decode_2231(std::string_view v, std::string_view fallback) {
  size_t q1 = v.find('\''), q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
  std::string_view charset = q2 == std::string_view::npos ? std::string_view("us-ascii") : v.substr(0, q1);
  std::string_view text = q2 == std::string_view::npos ? v : v.substr(q2 + 1);
  std::string bytes;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      bytes += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      bytes += text[i];
    }
  }
  return to_utf8(charset, bytes).value_or(header_text(bytes, fallback));
}

// A parameter's value: name*=… (RFC 2231), name*0…name*N continuations, or
// name=… (RFC 2047 words, as mail programs send them).
std::string param_text(const std::map<std::string, std::string>& params, const std::string& name, std::string_view fallback) {
  if (auto it = params.find(name + "*"); it != params.end()) return decode_2231(it->second, fallback);
  if (params.contains(name + "*0") || params.contains(name + "*0*")) {
    std::string raw;
    bool encoded = false;
    for (int i = 0;; ++i) {
      std::string k = name + "*" + std::to_string(i);
      if (auto e = params.find(k + "*"); e != params.end()) raw += e->second, encoded = true;
      else if (auto p = params.find(k); p != params.end()) raw += p->second;
      else break;
    }
    return encoded ? decode_2231(raw, fallback) : decode_words(raw, fallback);
  }
  if (auto it = params.find(name); it != params.end()) return decode_words(it->second, fallback);
  return "";
}

// `delimited`: a delimiter line follows the part (the CRLF cut off before it);
// `base`: the first byte of the whole message (a leaf's offset is counted from it).
void parse_part(std::string_view text, bool in_digest, bool delimited, Part& p, const char* base) {
  std::string_view headers = header_block(text);
  std::string_view body;
  if (text.starts_with("\r\n")) body = text.substr(2);
  else if (size_t blank = text.find("\r\n\r\n"); blank != std::string_view::npos) body = text.substr(blank + 4);
  static constexpr std::array<std::string_view, 4> kNames = {"Content-Type", "Content-Disposition", "Content-ID",
                                                              "Content-Transfer-Encoding"};
  std::array<std::string, 4> h = header_values(headers, kNames);
  p.type = header_params(h[0], p.type_params);
  if (p.type.find('/') == std::string::npos) p.type = in_digest ? "message/rfc822" : "text/plain";
  if (!h[1].empty()) p.disposition = header_params(h[1], p.disposition_params);
  p.cid = std::move(h[2]);
  p.encoding = lower(trim(h[3]));
  auto boundary = p.type_params.find("boundary");
  if (!p.type.starts_with("multipart/") || boundary == p.type_params.end() || boundary->second.empty()) {
    if (p.type.starts_with("multipart/")) p.type = "text/plain";  // no boundary: read as text, as servers do
    p.size = body.size();
    p.offset = body.empty() ? text.data() + text.size() - base : body.data() - base;
    // An attached message that is all header (no empty line ends it) before
    // a delimiter: the CRLF before the delimiter also ends its header, and
    // IMAP servers count it in the part (Dovecot's BODYSTRUCTURE and BODY[n]:
    // "Subject: x" + CRLF + "--b" is 12 octets, not 10), so the two sides of
    // a message agree. RFC 2046 gives that CRLF to the delimiter alone.
    if (delimited && p.type == "message/rfc822" && !body.empty() && !body.starts_with("\r\n") &&
        body.find("\r\n\r\n") == std::string_view::npos)
      p.size += 2;
    return;
  }
  // Delimiter lines: "--boundary" at the start of a line; a part runs from
  // after its delimiter line to the CRLF before the next one.
  std::string delim = "--" + boundary->second;
  std::vector<std::string_view> parts;
  bool last_delimited = true;  // false: the last part runs to the end, no delimiter after it
  size_t start = std::string_view::npos;
  size_t at = 0;
  while (at <= body.size()) {
    size_t eol = body.find("\r\n", at);
    std::string_view line = body.substr(at, eol == std::string_view::npos ? std::string_view::npos : eol - at);
    if (line.starts_with(delim)) {
      std::string_view rest = line.substr(delim.size());
      bool close = rest.starts_with("--");
      if (start != std::string_view::npos) parts.push_back(body.substr(start, at >= start + 2 ? at - 2 - start : 0));
      if (close) {
        start = std::string_view::npos;
        break;
      }
      start = eol == std::string_view::npos ? body.size() : eol + 2;
    }
    if (eol == std::string_view::npos) break;
    at = eol + 2;
  }
  if (start != std::string_view::npos) {
    parts.push_back(body.substr(start));  // no close delimiter
    last_delimited = false;
  }
  for (size_t i = 0; i < parts.size(); ++i)
    parse_part(parts[i], p.type == "multipart/digest", i + 1 < parts.size() || last_delimited, p.sub_parts.emplace_back(), base);
}

json::object leaf_json(const Part& p, const std::string& part_id, std::string_view fallback) {
  json::object o{{"partId", header_text(part_id, fallback)}, {"type", header_text(p.type, fallback)}, {"size", p.size}};
  std::string name = param_text(p.disposition_params, "filename", fallback);
  if (name.empty()) name = param_text(p.type_params, "name", fallback);
  if (!name.empty()) o["name"] = name;
  if (!p.disposition.empty()) o["disposition"] = header_text(p.disposition, fallback);
  std::string_view cid = trim(p.cid);
  if (cid.size() >= 2 && cid.front() == '<' && cid.back() == '>') cid = cid.substr(1, cid.size() - 2);
  if (!cid.empty()) o["cid"] = header_text(cid, fallback);
  return o;
}

// A leaf is an attachment when it says so, or has a name, or is not text,
// unless it says it is inline.
bool is_attachment(const Part& p, const json::object& leaf) {
  if (p.disposition == "attachment") return true;
  if (p.disposition == "inline") return false;
  return leaf.contains("name") || !p.type.starts_with("text/");
}

json::object node_json(const Part& p, const std::string& part_id, json::array& attachments, std::string_view fallback) {
  if (!p.type.starts_with("multipart/")) {
    json::object leaf = leaf_json(p, part_id.empty() ? "1" : part_id, fallback);
    if (is_attachment(p, leaf)) attachments.push_back(leaf);
    return leaf;
  }
  json::array subs;
  for (size_t i = 0; i < p.sub_parts.size(); ++i)
    subs.push_back(node_json(p.sub_parts[i], (part_id.empty() ? "" : part_id + ".") + std::to_string(i + 1), attachments, fallback));
  return json::object{{"type", header_text(p.type, fallback)}, {"subParts", std::move(subs)}};
}

}  // namespace

std::string header_params(std::string_view value, std::map<std::string, std::string>& params) {
  // split at ';' outside quoted strings; a quoted value loses its quotes and escapes
  std::vector<std::string> pieces(1);
  bool quoted = false;
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (quoted && c == '\\' && i + 1 < value.size()) {
      pieces.back() += value[++i];
      continue;
    }
    if (c == '"') {
      quoted = !quoted;
      continue;
    }
    if (c == ';' && !quoted) {
      pieces.emplace_back();
      continue;
    }
    pieces.back() += c;
  }
  for (size_t i = 1; i < pieces.size(); ++i) {
    size_t eq = pieces[i].find('=');
    if (eq == std::string::npos) continue;
    std::string name = lower(trim(std::string_view(pieces[i]).substr(0, eq)));
    if (!name.empty()) params[name] = std::string(trim(std::string_view(pieces[i]).substr(eq + 1)));
  }
  std::string head = lower(trim(pieces[0]));
  head.erase(std::remove_if(head.begin(), head.end(), [](unsigned char c) { return std::isspace(c); }), head.end());
  return head;
}

Part parse_structure(std::string_view message) {
  Part root;
  if (crlf_size(message) == message.size()) {  // CRLF already: no copy of a large message
    parse_part(message, false, false, root, message.data());
    return root;
  }
  std::string text = to_crlf(message);
  parse_part(text, false, false, root, text.data());
  return root;
}

json::object structure_fields(const Part& root, std::string_view fallback) {
  json::array attachments;
  json::object tree = node_json(root, "", attachments, fallback);
  bool any = !attachments.empty();
  return json::object{{"bodyStructure", std::move(tree)}, {"attachments", std::move(attachments)}, {"hasAttachment", any}};
}

std::optional<std::string> lazy_bytes(const boost::json::value& v, std::string& why) {
  if (v.is_string()) {
    auto bytes = base64_decode(v.get_string());
    if (!bytes) why = "is not base64";
    return bytes;
  }
  const boost::json::value* f = v.is_object() ? v.get_object().if_contains("$file") : nullptr;
  if (!f || !f->is_string()) {
    why = "is neither base64 text nor a {\"$file\": path} the host handed over";
    return std::nullopt;
  }
  std::string path(f->get_string());
  // a part of the file (accord.lazy_files.v1's RANGES): "offset" and "length"
  const auto& ref = v.get_object();
  const boost::json::value* off = ref.if_contains("offset");
  const boost::json::value* len = ref.if_contains("length");
  auto count = [](const boost::json::value* n) -> std::optional<uint64_t> {
    if (!n) return uint64_t{0};
    if (n->is_uint64()) return n->get_uint64();
    if (n->is_int64() && n->get_int64() >= 0) return static_cast<uint64_t>(n->get_int64());
    return std::nullopt;
  };
  auto offset = count(off), length = count(len);
  if (!offset || !length || (off && !len)) {
    why = "names a part of " + path + " without a whole number for \"offset\" and \"length\"";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  std::string out;
  if (in) {
    uint64_t size = static_cast<uint64_t>(in.tellg());
    if (len && (*offset > size || *length > size - *offset)) {
      why = "names a part beyond the end of " + path;
      return std::nullopt;
    }
    out.resize(static_cast<size_t>(len ? *length : size));
    in.seekg(static_cast<std::streamoff>(len ? *offset : 0));
    in.read(out.data(), static_cast<std::streamsize>(out.size()));
  }
  if (!in) {
    why = "names a file that cannot be read: " + path;
    return std::nullopt;
  }
  return out;
}

const Part* part_at(const Part& root, std::string_view id) {
  const Part* p = &root;
  while (!id.empty()) {
    size_t dot = id.find('.');
    std::string_view n = id.substr(0, dot);
    size_t k = 0;
    for (char c : n) {
      if (c < '0' || c > '9' || k > 100000) return nullptr;
      k = k * 10 + static_cast<size_t>(c - '0');
    }
    if (p->sub_parts.empty()) {
      if (k != 1 || p != &root) return nullptr;  // a leaf at the top is part 1 (a leaf within has no parts)
    } else {
      if (k < 1 || k > p->sub_parts.size()) return nullptr;
      p = &p->sub_parts[k - 1];
    }
    id = dot == std::string_view::npos ? std::string_view() : id.substr(dot + 1);
  }
  return p;
}

std::optional<std::string> leaf_bytes(std::string_view crlf, const Part& p) {
  if (p.offset > crlf.size()) return std::nullopt;
  std::string_view body = crlf.substr(p.offset, p.size);
  if (p.encoding == "base64") return base64_decode(body);
  if (p.encoding.empty() || p.encoding == "7bit" || p.encoding == "8bit" || p.encoding == "binary") return std::string(body);
  if (p.encoding == "quoted-printable") return accord::quoted_printable_decode(body);
  return std::nullopt;
}

std::string encode_header_text(std::string_view text) {
  bool printable = true;
  for (unsigned char c : text)
    if (c < 0x20 || c >= 0x7F) printable = false;
  if (printable) return std::string(text);
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = std::min(text.size(), pos + 45);
    while (end < text.size() && end > pos && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    if (end == pos) end = std::min(text.size(), pos + 45);  // (not UTF-8: cut where it falls)
    if (!out.empty()) out += "\r\n ";
    out += "=?utf-8?B?" + base64_encode(text.substr(pos, end - pos)) + "?=";
    pos = end;
  }
  return out;
}

}  // namespace accord::mail
