// SPDX-License-Identifier: Apache-2.0
#include "imap_parser.hpp"

#include <accord/text/ascii.hpp>

#include <algorithm>
#include <cctype>
#include <type_traits>
#include <utility>

namespace imap {

namespace {

std::string upper(std::string_view s) { return ascii_upper(s); }

// Whether s upper-cased is `upper_name`, without making the upper-cased copy.
bool upper_is(std::string_view s, std::string_view upper_name) {
  if (s.size() != upper_name.size()) return false;
  for (size_t i = 0; i < s.size(); ++i)
    if (accord::ascii_upper(s[i]) != upper_name[i]) return false;
  return true;
}

// s upper-cased in place (a FETCH item's name taken out of its response).
std::string upper_in_place(std::string s) {
  for (char& c : s) c = accord::ascii_upper(c);
  return s;
}

// Reads one whole response. Positions are into `s`, which ends with CRLF.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  Response response() {
    Response r;
    if (peek() == '+') {
      ++i_;
      if (peek() == ' ') ++i_;
      r.kind = Response::Kind::kContinuation;
      r.text = rest_of_line();
      return r;
    }
    std::string tag = token();
    if (tag.empty()) fail("a tag, * or +");
    space();
    if (tag == "*") {
      r.kind = Response::Kind::kUntagged;
      std::string word = token();
      if (word.empty()) fail("a response name or number after *");
      if (all_digits(word)) {
        r.number = to_number(word);
        space();
        r.name = upper(token());
        if (r.name.empty()) fail("a name after the message number");
        values_to_end(r.args);
        return r;
      }
      std::string w = upper(word);
      if (w == "OK" || w == "NO" || w == "BAD" || w == "PREAUTH" || w == "BYE") {
        r.status = w;
        resp_text(r);
        return r;
      }
      r.name = w;
      values_to_end(r.args);
      return r;
    }
    r.kind = Response::Kind::kTagged;
    r.tag = tag;
    r.status = upper(token());
    if (r.status != "OK" && r.status != "NO" && r.status != "BAD" && r.status != "BYE") fail("OK, NO or BAD after the tag");
    resp_text(r);
    return r;
  }

 private:
  [[noreturn]] void fail(const std::string& wanted) const {
    size_t eol = s_.find("\r\n");
    std::string line(s_.substr(0, std::min<size_t>(eol == std::string_view::npos ? s_.size() : eol, 80)));
    for (char& c : line)
      if (static_cast<unsigned char>(c) < 0x20) c = '?';
    throw ParseError("IMAP response: expected " + wanted + " at byte " + std::to_string(i_) + " of \"" + line + "\"");
  }

  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  bool at_line_end() const { return i_ + 1 < s_.size() && s_[i_] == '\r' && s_[i_ + 1] == '\n'; }
  void space() {
    if (peek() != ' ') fail("a space");
    while (peek() == ' ') ++i_;
  }
  static bool all_digits(std::string_view t) {
    return !t.empty() && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
  }
  uint64_t to_number(std::string_view t) const {
    if (t.size() > 20) fail("a number that fits 64 bits");
    uint64_t n = 0;
    for (char c : t) {
      uint64_t d = static_cast<uint64_t>(c - '0');
      if (n > (UINT64_MAX - d) / 10) fail("a number that fits 64 bits");
      n = n * 10 + d;
    }
    return n;
  }
  // A tag or a response name: up to the next space or line end.
  std::string token() {
    size_t start = i_;
    while (i_ < s_.size() && s_[i_] != ' ' && !at_line_end()) ++i_;
    return std::string(s_.substr(start, i_ - start));
  }
  std::string rest_of_line() {
    size_t eol = s_.find("\r\n", i_);
    if (eol == std::string_view::npos) fail("CRLF");
    std::string t(s_.substr(i_, eol - i_));
    i_ = eol + 2;
    return t;
  }

  // resp-text: [ "[" code [SP args] "]" SP ] text
  void resp_text(Response& r) {
    while (peek() == ' ') ++i_;
    if (peek() == '[') {
      ++i_;
      size_t start = i_;
      while (i_ < s_.size() && s_[i_] != ' ' && s_[i_] != ']' && !at_line_end()) ++i_;
      r.code = upper(s_.substr(start, i_ - start));
      if (r.code.empty()) fail("a response code");
      for (;;) {
        while (peek() == ' ') ++i_;
        if (peek() == ']') break;
        if (at_line_end() || i_ >= s_.size()) fail("] after the response code");
        r.code_args.push_back(value(true));
      }
      ++i_;
      while (peek() == ' ') ++i_;
    }
    r.text = rest_of_line();
  }

  void values_to_end(std::vector<Value>& out) {
    for (;;) {
      while (peek() == ' ') ++i_;
      if (at_line_end()) {
        i_ += 2;
        return;
      }
      if (i_ >= s_.size()) fail("CRLF");
      out.push_back(value(false));
    }
  }

  static bool atom_char(char c, bool in_code) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return false;
    if (c == '(' || c == ')' || c == '{' || c == '"') return false;
    if (c == ']' && in_code) return false;
    return true;
  }

  Value value(bool in_code) {
    Value v;
    char c = peek();
    if (c == '(') {
      ++i_;
      v.kind = Value::Kind::kList;
      for (;;) {
        while (peek() == ' ') ++i_;
        if (peek() == ')') {
          ++i_;
          return v;
        }
        if (at_line_end() || i_ >= s_.size()) fail(") to close a list");
        if (v.list.empty()) v.list.reserve(8);  // (a BODYSTRUCTURE part has 7 to 12 members)
        v.list.push_back(value(in_code));
      }
    }
    if (c == '"') {
      ++i_;
      v.kind = Value::Kind::kString;
      for (;;) {
        // the run of plain characters up to the next quote, backslash or CR,
        // appended at once
        size_t run = i_;
        while (run < s_.size() && s_[run] != '"' && s_[run] != '\\' && s_[run] != '\r') ++run;
        v.text.append(s_.data() + i_, run - i_);
        i_ = run;
        if (i_ >= s_.size() || at_line_end()) fail("a closing quote");
        char q = s_[i_++];
        if (q == '"') return v;
        if (q == '\\') {
          if (i_ >= s_.size()) fail("a quoted character");
          q = s_[i_++];
        }
        v.text += q;
      }
    }
    if (c == '{' || (c == '~' && i_ + 1 < s_.size() && s_[i_ + 1] == '{')) {
      if (c == '~') ++i_;
      ++i_;
      size_t start = i_;
      while (peek() >= '0' && peek() <= '9') ++i_;
      std::string digits(s_.substr(start, i_ - start));
      if (digits.empty()) fail("a literal's length");
      uint64_t n = to_number(digits);
      if (peek() == '+' || peek() == '-') ++i_;
      if (peek() != '}') fail("} after a literal's length");
      ++i_;
      if (!at_line_end()) fail("CRLF after a literal's length");
      i_ += 2;
      if (n > Parser::kMaxLiteral || i_ + n > s_.size()) fail("a literal of the length announced");
      v.kind = Value::Kind::kString;
      v.literal = true;
      v.text = std::string(s_.substr(i_, n));
      i_ += n;
      return v;
    }
    // An atom; a [section] inside it (BODY[HEADER.FIELDS (FROM TO)]<0.512>)
    // may hold spaces and parentheses.
    size_t start = i_;
    int depth = 0;
    while (i_ < s_.size() && !at_line_end()) {
      char a = s_[i_];
      if (depth > 0) {
        if (a == '[') ++depth;
        if (a == ']') --depth;
        ++i_;
        continue;
      }
      if (a == '[') {
        ++depth;
        ++i_;
        continue;
      }
      if (!atom_char(a, in_code)) break;
      ++i_;
    }
    if (depth > 0) fail("] to close a section");
    if (i_ == start) fail("a value");
    v.text = std::string(s_.substr(start, i_ - start));
    if (upper_is(v.text, "NIL")) {
      v.kind = Value::Kind::kNil;
      v.text.clear();
    } else if (all_digits(v.text) && v.text.size() <= 20) {
      v.kind = Value::Kind::kNumber;
      v.number = to_number(v.text);
    } else {
      v.kind = Value::Kind::kAtom;
    }
    return v;
  }

  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

std::string ascii_upper(std::string_view s) { return accord::ascii_upper(s); }

bool Value::is_atom(std::string_view upper_name) const {
  return kind == Kind::kAtom && upper_is(text, upper_name);
}

std::string Value::str() const { return kind == Kind::kNil || kind == Kind::kList ? "" : text; }

namespace {
template <class R>
std::map<std::string, Value> items_of(R&& r) {
  if (r.name != "FETCH" || r.args.size() != 1 || r.args[0].kind != Value::Kind::kList)
    throw ParseError("IMAP response: expected * n FETCH (items)");
  std::map<std::string, Value> out;
  auto& l = r.args[0].list;
  if (l.size() % 2) throw ParseError("IMAP response: a FETCH item without a value");
  for (size_t k = 0; k + 1 < l.size(); k += 2) {
    if (l[k].kind != Value::Kind::kAtom) throw ParseError("IMAP response: a FETCH item name must be an atom");
    if constexpr (std::is_const_v<std::remove_reference_t<R>>) out[upper(l[k].text)] = l[k + 1];
    else out[upper_in_place(std::move(l[k].text))] = std::move(l[k + 1]);
  }
  return out;
}
}  // namespace

std::map<std::string, Value> fetch_items(const Response& r) { return items_of(r); }
std::map<std::string, Value> fetch_items(Response&& r) { return items_of(std::move(r)); }

Response parse_response(std::string_view whole) { return Reader(whole).response(); }

void Parser::feed(std::string_view bytes) {
  if (pos_ > 0 && pos_ >= buf_.size() / 2) {  // keep the buffer from growing without end
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(bytes);
}

size_t Parser::complete_length() const {
  size_t i = pos_;
  for (;;) {
    size_t eol = buf_.find("\r\n", i);
    if (eol == std::string::npos) {
      if (buf_.size() - i > (1u << 20)) throw ParseError("IMAP response: a line longer than 1 MiB");
      return 0;
    }
    // a line that ends in {n}, {n+}, {n-} or ~{n} goes on after n bytes
    if (eol > i && buf_[eol - 1] == '}') {
      size_t open = buf_.rfind('{', eol - 1);
      if (open != std::string::npos && open >= i) {
        size_t d = open + 1, e = eol - 1;
        if (e > d && (buf_[e - 1] == '+' || buf_[e - 1] == '-')) --e;
        bool digits = e > d && e - d <= 20 &&
                      std::all_of(buf_.begin() + static_cast<long>(d), buf_.begin() + static_cast<long>(e),
                                  [](char c) { return c >= '0' && c <= '9'; });
        if (digits) {
          uint64_t n = 0;
          for (size_t k = d; k < e; ++k) {
            n = n * 10 + static_cast<uint64_t>(buf_[k] - '0');
            if (n > kMaxLiteral)
              throw ParseError("IMAP response: a literal of " + buf_.substr(d, e - d) + " bytes is too long");
          }
          if (eol + 2 + n > buf_.size()) return 0;
          i = eol + 2 + n;
          continue;
        }
      }
    }
    return eol + 2 - pos_;
  }
}

std::optional<Response> Parser::next() {
  size_t n = complete_length();
  if (n == 0) return std::nullopt;
  std::string_view whole(buf_.data() + pos_, n);
  Response r = parse_response(whole);
  pos_ += n;
  return r;
}

}  // namespace imap
