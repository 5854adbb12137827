// SPDX-License-Identifier: Apache-2.0
// The scanner of an answer whose records' data is in json::serialize's form:
// see wire_canonical.hpp. What it takes, the parser would read alike (valid
// JSON, within the parser's depth) and json::serialize would write back to
// the same bytes; everything else ends it, and the answer goes to the parser
// (ReadingTextsTest and WireTest hold the two readings equal). It recurses,
// at most 30 containers deep.
#include "plugins/wire_canonical.hpp"

#include <accord/json/text.hpp>

#include <boost/json/detail/format.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace json = boost::json;

namespace accord::wire::canonical {

namespace {

constexpr int kMostDepth = 30;  // containers open, from the answer's object (the parser's kMaxDepth is 32)

bool digit(char c) { return c >= '0' && c <= '9'; }

// Past one well-formed UTF-8 sequence at q (its first byte 0x80 or more), or
// null (Unicode 15, table 3-7: no overlong forms, surrogates or code points
// past U+10FFFF: what the parser takes).
const char* utf8(const char* q, const char* e) {
  auto at = [&](std::ptrdiff_t i) { return static_cast<unsigned char>(q[i]); };
  auto tail = [&](std::ptrdiff_t i) { return (at(i) & 0xC0) == 0x80; };
  unsigned char c = at(0);
  std::ptrdiff_t left = e - q;
  if (c >= 0xC2 && c <= 0xDF) return left >= 2 && tail(1) ? q + 2 : nullptr;
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3 || !tail(1) || !tail(2)) return nullptr;
    if (c == 0xE0 && at(1) < 0xA0) return nullptr;  // overlong
    if (c == 0xED && at(1) > 0x9F) return nullptr;  // a surrogate
    return q + 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4 || !tail(1) || !tail(2) || !tail(3)) return nullptr;
    if (c == 0xF0 && at(1) < 0x90) return nullptr;  // overlong
    if (c == 0xF4 && at(1) > 0x8F) return nullptr;  // past U+10FFFF
    return q + 4;
  }
  return nullptr;
}

int hex(char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; }

// A checked canonical string's characters (b, e: inside its quotes), unescaped, appended.
template <class Out>
void unescape(const char* b, const char* e, Out& out) {
  for (const char* q = b; q < e;) {
    const char* s = static_cast<const char*>(std::memchr(q, '\\', static_cast<std::size_t>(e - q)));
    if (!s) s = e;
    out.append(std::string_view(q, static_cast<std::size_t>(s - q)));
    if (s == e) return;
    char c = s[1];
    switch (c) {
      case 'b': c = '\b'; break;
      case 't': c = '\t'; break;
      case 'n': c = '\n'; break;
      case 'f': c = '\f'; break;
      case 'r': c = '\r'; break;
      case 'u': c = static_cast<char>(hex(s[4]) * 16 + hex(s[5])); break;
      default: break;  // '"', '\\'
    }
    out.append(std::string_view(&c, 1));
    q = s + (s[1] == 'u' ? 6 : 2);
  }
}

class Reader {
 public:
  Reader(std::string_view text, const json::storage_ptr& sp, const Texts& texts, Batch& b)
      : p_(text.data()), e_(text.data() + text.size()), base_(text.data()), sp_(sp), texts_(texts), b_(b) {}

  std::optional<RecordsAt> answer() {
    ws();
    if (at() != '{') return std::nullopt;
    ++p_;
    ws();
    std::optional<RecordsAt> records;
    if (at() == '}') return std::nullopt;  // (no records)
    for (;;) {
      ws();
      const char* kb = p_;
      bool escaped = false;
      if (at() != '"' || !string(escaped) || escaped) return std::nullopt;  // (an escaped key may spell "records")
      std::string_view key(kb + 1, static_cast<std::size_t>(p_ - kb - 2));
      ws();
      if (at() != ':') return std::nullopt;
      ++p_;
      ws();
      if (key == "records") {
        if (records || at() != '[') return std::nullopt;
        std::size_t begin = static_cast<std::size_t>(p_ - base_);
        if (!record_list()) return std::nullopt;
        records = RecordsAt{begin, static_cast<std::size_t>(p_ - base_)};
      } else if (!skip()) {
        return std::nullopt;
      }
      ws();
      if (at() == ',') {
        ++p_;
        continue;
      }
      if (at() != '}') return std::nullopt;
      ++p_;
      break;
    }
    ws();
    if (p_ != e_) return std::nullopt;
    return records;
  }

 private:
  // The byte at p_; '\0' past the end (a byte no JSON has outside a string).
  char at() const { return p_ < e_ ? *p_ : '\0'; }
  void ws() {
    while (p_ < e_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool word(const char* w, std::size_t n) {
    if (static_cast<std::size_t>(e_ - p_) < n || std::memcmp(p_, w, n) != 0) return false;
    p_ += n;
    return true;
  }

  // At '"': past the closing quote of a string in serialize's form (valid
  // UTF-8, only serialize's escapes); `escaped`: it has one.
  bool string(bool& escaped) {
    const char* q = p_ + 1;
    for (;;) {
      // to the next byte that is not plain ASCII: 16 at a time, but near the end
#if defined(__SSE2__)
      if (e_ - q >= 16) {
        __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
        unsigned m = json_text::detail::escapes(x) | static_cast<unsigned>(_mm_movemask_epi8(x));  // (and 0x80 up)
        if (!m) {
          q += 16;
          continue;
        }
        q += __builtin_ctz(m);
      } else
#endif
        while (q < e_ && static_cast<unsigned char>(*q) >= 0x20 && static_cast<unsigned char>(*q) < 0x80 && *q != '"' &&
               *q != '\\')
          ++q;
      if (q >= e_) return false;
      auto c = static_cast<unsigned char>(*q);
      if (c == '"') {
        p_ = q + 1;
        return true;
      }
      if (c == '\\') {
        escaped = true;
        if (e_ - q < 2) return false;
        switch (q[1]) {
          case '"':
          case '\\':
          case 'b':
          case 't':
          case 'n':
          case 'f':
          case 'r': q += 2; continue;
          case 'u': {
            // \u00xx for a control character serialize has no short form for
            if (e_ - q < 6 || q[2] != '0' || q[3] != '0' || (q[4] != '0' && q[4] != '1') || hex(q[5]) < 0) return false;
            int v = (q[4] - '0') * 16 + hex(q[5]);
            if (v == '\b' || v == '\t' || v == '\n' || v == '\f' || v == '\r') return false;
            q += 6;
            continue;
          }
          default: return false;  // \/ and the like
        }
      }
      if (c < 0x20) return false;  // (not JSON)
      if (!(q = utf8(q, e_))) return false;
    }
  }

  // A number in serialize's form.
  bool number() {
    const char* s = p_;
    bool neg = at() == '-';
    if (neg) ++p_;
    if (at() == '0') {
      ++p_;
      if (digit(at())) return false;  // (not JSON)
    } else if (digit(at())) {
      while (digit(at())) ++p_;
    } else {
      return false;
    }
    bool integer = true;
    if (at() == '.') {
      integer = false;
      ++p_;
      if (!digit(at())) return false;
      while (digit(at())) ++p_;
    }
    if (at() == 'e' || at() == 'E') {
      integer = false;
      ++p_;
      if (at() == '+' || at() == '-') ++p_;
      if (!digit(at())) return false;
      while (digit(at())) ++p_;
    }
    std::size_t n = static_cast<std::size_t>(p_ - s);
    if (integer) {
      if (neg && n == 2 && s[1] == '0') return false;  // -0: the parser reads 0
      if (n - neg <= 18) return true;                  // within int64 either way
      // an int64, or past its maximum a uint64; else the parser reads a double
      if (neg) {
        std::int64_t i;
        auto [end, err] = std::from_chars(s, p_, i);
        return err == std::errc() && end == p_;
      }
      std::uint64_t u;
      auto [end, err] = std::from_chars(s, p_, u);
      return err == std::errc() && end == p_;
    }
    // a double: its exact value (json_exact), which serialize writes back alike
    double d = 0;
    auto [end, err] = std::from_chars(s, p_, d);
    if (err != std::errc() || end != p_ || !std::isfinite(d)) return false;
    char buf[json::detail::max_number_chars + 8];
    unsigned w = json::detail::format_double(buf, d);
    return w == n && std::memcmp(buf, s, n) == 0;
  }

  // A value in serialize's form, at `depth` containers open around it.
  bool value(int depth) {
    switch (at()) {
      case '"': {
        bool escaped = false;
        return string(escaped);
      }
      case '{': return object(depth + 1, nullptr);
      case '[': return array(depth + 1);
      case 't': return word("true", 4);
      case 'f': return word("false", 5);
      case 'n': return word("null", 4);
      default: return number();
    }
  }

  bool array(int depth) {
    if (depth > kMostDepth) return false;
    ++p_;
    if (at() == ']') return ++p_, true;
    for (;;) {
      if (!value(depth)) return false;
      if (at() == ',') {
        ++p_;
        continue;
      }
      if (at() != ']') return false;
      ++p_;
      return true;
    }
  }

  // The data of a live record being read (object's `top`), its members noted.
  struct Top {
    const char* text;  // where its text begins (its '{')
  };

  // At '{': an object in serialize's form, `depth` containers open with it;
  // `top`: a record's data, whose members are noted (and kept where asked).
  bool object(int depth, Top* top) {
    if (depth > kMostDepth) return false;
    ++p_;
    if (at() == '}') return ++p_, true;
    std::size_t keys_at = keys_.size();
    for (std::size_t i = 0;; ++i) {
      if (at() != '"') return false;
      const char* kb = p_;
      bool escaped = false;
      if (!string(escaped)) return false;
      keys_.emplace_back(kb, static_cast<std::size_t>(p_ - kb));  // (quoted: "a" is not "a\"")
      if (at() != ':') return false;
      ++p_;
      const char* vb = p_;
      if (!value(depth)) return false;
      if (top) {
        std::size_t key_at = b_.member_keys.size();
        if (escaped) unescape(kb + 1, vb - 2, b_.member_keys);
        else b_.member_keys.append(kb + 1, static_cast<std::size_t>(vb - kb - 3));
        std::string_view key = std::string_view(b_.member_keys).substr(key_at);
        std::size_t n = static_cast<std::size_t>(p_ - vb);
        if (!(n == 4 && std::memcmp(vb, "null", 4) == 0))
          b_.members.push_back({key_at, key.size(), static_cast<std::size_t>(vb - top->text), n});
        if ((texts_.first && i == 0) || std::find(texts_.names.begin(), texts_.names.end(), key) != texts_.names.end()) {
          captured_.emplace_back(key_at, key.size(), vb);
        }
      }
      if (at() == ',') {
        ++p_;
        continue;
      }
      if (at() != '}') return false;
      ++p_;
      break;
    }
    // a key twice: the DOM keeps one (serialize's form is one text a
    // string: equal keys are equal bytes)
    std::size_t n = keys_.size() - keys_at;
    bool twice = false;
    if (n <= 16) {
      // (quoted, so at least 2 bytes each: the first after the quote tells most apart)
      for (std::size_t i = keys_at + 1; i < keys_.size() && !twice; ++i)
        for (std::size_t j = keys_at; j < i && !twice; ++j)
          twice = keys_[i].size() == keys_[j].size() && keys_[i][1] == keys_[j][1] && keys_[i] == keys_[j];
    } else {
      std::sort(keys_.begin() + static_cast<std::ptrdiff_t>(keys_at), keys_.end());
      twice = std::adjacent_find(keys_.begin() + static_cast<std::ptrdiff_t>(keys_at), keys_.end()) != keys_.end();
    }
    keys_.resize(keys_at);
    return !twice;
  }

  // A checked value onto st_ (as the parser pushes it): past it.
  struct Chars {  // (unescape's output: the string's parts, to st_)
    json::value_stack& st;
    void append(std::string_view s) {
      if (!s.empty()) st.push_chars(json::string_view(s.data(), s.size()));
    }
  };
  const char* string_end(const char* q, bool& escaped) {  // at a checked string's first character: its closing quote
    for (;; ++q) {
      if (*q == '"') return q;
      if (*q == '\\') {
        escaped = true;
        ++q;
      }
    }
  }
  // A checked string's characters, q at its first and left at its closing
  // quote: as they stand, or, where it has escapes, unescaped onto the
  // stack's pending characters and an empty view (which value_stack then
  // takes with them). Never a null view: value_stack copies it with
  // memcpy, which a null pointer makes undefined even for no bytes (the
  // wire fuzzer's UBSan found `push_string({})`).
  json::string_view take_chars(const char*& q) {
    const char* b = q;
    bool escaped = false;
    q = string_end(q, escaped);
    if (!escaped) return json::string_view(b, static_cast<std::size_t>(q - b));
    Chars out{st_};
    unescape(b, q, out);
    return json::string_view(q, 0);
  }
  void push(const char*& q) {
    switch (*q) {
      case '"': {
        st_.push_string(take_chars(++q));
        ++q;
        return;
      }
      case '{': {
        std::size_t n = 0;
        if (*++q != '}')
          for (;;) {
            st_.push_key(take_chars(++q));  // (past '"')
            q += 2;  // '"', ':'
            push(q);
            ++n;
            if (*q == '}') break;
            ++q;  // ','
          }
        ++q;
        st_.push_object(n);
        return;
      }
      case '[': {
        std::size_t n = 0;
        if (*++q != ']')
          for (;;) {
            push(q);
            ++n;
            if (*q++ == ']') break;
          }
        else
          ++q;
        st_.push_array(n);
        return;
      }
      case 't': q += 4, st_.push_bool(true); return;
      case 'f': q += 5, st_.push_bool(false); return;
      case 'n': q += 4, st_.push_null(); return;
      default: {
        const char* s = q;
        bool integer = true;
        if (*q == '-') ++q;
        for (; q < e_ && (digit(*q) || *q == '.' || *q == 'e' || *q == 'E' || *q == '+' || *q == '-'); ++q)
          if (!digit(*q)) integer = false;
        if (!integer) {
          double d = 0;
          std::from_chars(s, q, d);
          st_.push_double(d);
        } else if (*s == '-') {
          std::int64_t i = 0;
          std::from_chars(s, q, i);
          st_.push_int64(i);
        } else {
          std::uint64_t u = 0;
          std::from_chars(s, q, u);
          if (u <= static_cast<std::uint64_t>(INT64_MAX)) st_.push_int64(static_cast<std::int64_t>(u));
          else st_.push_uint64(u);
        }
        return;
      }
    }
  }

  // At '"' or 'n': a record's member that is text (into `into`, unescaped) or null ("").
  bool text_field(std::string& into, bool& has) {
    if (at() == 'n') {
      into.clear();
      has = false;
      return word("null", 4);
    }
    if (at() != '"') return false;
    const char* b = p_;
    bool escaped = false;
    if (!string(escaped)) return false;
    into.clear();
    if (escaped) unescape(b + 1, p_ - 1, into);
    else into.assign(b + 1, static_cast<std::size_t>(p_ - b - 2));
    has = true;
    return true;
  }
  bool flag_field(bool& into) {
    if (word("true", 4)) return into = true;
    if (word("false", 5) || word("null", 4)) return into = false, true;
    return false;
  }

  // A record's members the host reads, by their key (kOther: another).
  enum : unsigned { kId, kVersion, kModified, kIdempotencyKey, kDeleted, kRenumbered, kData, kProblem, kOther };
  static unsigned field_of(std::string_view key) {
    switch (key.size()) {
      case 2: return key == "id" ? kId : kOther;
      case 4: return key == "data" ? kData : kOther;
      case 7: return key == "version" ? kVersion : key == "deleted" ? kDeleted : key == "problem" ? kProblem : kOther;
      case 8: return key == "modified" ? kModified : kOther;
      case 10: return key == "renumbered" ? kRenumbered : kOther;
      case 15: return key == "idempotency_key" ? kIdempotencyKey : kOther;
      default: return kOther;
    }
  }

  bool record() {
    if (at() != '{') return false;
    ++p_;
    ws();
    if (at() == '}') return false;  // (no id)
    std::string id, version, modified, idempotency_key;
    bool deleted = false, renumbered = false, has_id = false, has = false;
    unsigned seen = 0;
    std::size_t members_at = b_.members.size(), keys_at = b_.member_keys.size();
    captured_.clear();
    Top top{nullptr};
    const char* text_end = nullptr;
    for (;;) {
      ws();
      const char* kb = p_;
      bool escaped = false;
      if (at() != '"' || !string(escaped) || escaped) return false;  // (an escaped key may spell one the host reads)
      std::string_view key(kb + 1, static_cast<std::size_t>(p_ - kb - 2));
      ws();
      if (at() != ':') return false;
      ++p_;
      ws();
      unsigned f = field_of(key);
      if (f < kOther) {
        if (seen & (1u << f)) return false;  // a field twice: the parser's paths say which counts
        seen |= 1u << f;
      }
      bool ok = false;
      switch (f) {
        case kId: ok = text_field(id, has_id); break;
        case kVersion: ok = text_field(version, has); break;
        case kModified: ok = text_field(modified, has); break;
        case kIdempotencyKey: ok = text_field(idempotency_key, has); break;
        case kDeleted: ok = flag_field(deleted); break;
        case kRenumbered: ok = flag_field(renumbered); break;
        case kData:
          if (at() == '{') {
            top.text = p_;
            ok = object(4, &top);
            text_end = p_;
          } else {
            ok = word("null", 4);
          }
          break;
        case kProblem: ok = word("null", 4); break;  // (a problem said: the parser's paths read it)
        default: ok = value(3); break;        // a member the host does not read
      }
      if (!ok) return false;
      ws();
      if (at() == ',') {
        ++p_;
        continue;
      }
      if (at() != '}') return false;
      ++p_;
      break;
    }
    if (!has_id || id.empty() || (!deleted && !text_end)) return false;
    if (deleted) {  // its data, if any, is not read
      b_.members.resize(members_at);
      b_.member_keys.resize(keys_at);
      b_.records.push_back(Record{std::move(id), std::move(version), std::move(modified), std::move(idempotency_key),
                                  true, renumbered, json::value(), {}, 0, 0});
      return true;
    }
    // its data: the members kept, as the parser's values (constructed in
    // place: an assignment would copy them out of sp_)
    st_.reset(sp_);
    for (auto& [key_at, key_n, v] : captured_) {
      st_.push_key(json::string_view(b_.member_keys.data() + key_at, key_n));
      push(v);
    }
    st_.push_object(captured_.size());
    b_.records.push_back(Record{std::move(id), std::move(version), std::move(modified), std::move(idempotency_key),
                                false, false, st_.release(),
                                std::string(top.text, static_cast<std::size_t>(text_end - top.text)), members_at,
                                b_.members.size() - members_at});
    return true;
  }

  bool record_list() {
    ++p_;  // '['
    ws();
    if (at() == ']') return ++p_, true;
    for (;;) {
      ws();
      if (!record()) return false;
      ws();
      if (at() == ',') {
        ++p_;
        continue;
      }
      if (at() != ']') return false;
      ++p_;
      return true;
    }
  }

  // Past a value of the frame, by its brackets and strings only (the
  // frame's parse judges it).
  bool skip_string() {  // at '"'
    for (++p_; p_ < e_ && *p_ != '"'; ++p_)
      if (*p_ == '\\') ++p_;
    if (p_ >= e_) return false;
    ++p_;
    return true;
  }
  bool skip() {
    char c = at();
    if (c == '"') return skip_string();
    if (c != '{' && c != '[') {  // a number, true, false, null (or not JSON)
      const char* s = p_;
      while (p_ < e_ && ((*p_ >= '0' && *p_ <= '9') || (*p_ >= 'a' && *p_ <= 'z') || (*p_ >= 'A' && *p_ <= 'Z') ||
                         *p_ == '+' || *p_ == '-' || *p_ == '.'))
        ++p_;
      return p_ > s;
    }
    int open = 0;
    do {
      if (p_ >= e_) return false;
      c = *p_;
      if (c == '"') {
        if (!skip_string()) return false;
        continue;
      }
      if (c == '{' || c == '[') ++open;
      else if (c == '}' || c == ']') --open;
      ++p_;
    } while (open > 0);
    return true;
  }

  const char* p_;
  const char* e_;
  const char* base_;
  const json::storage_ptr& sp_;
  const Texts& texts_;
  Batch& b_;
  std::vector<std::string_view> keys_;  // of the objects open in a record's data, as written
  std::vector<std::tuple<std::size_t, std::size_t, const char*>> captured_;  // a record's members kept: key, value
  json::value_stack st_;  // their values made (its own stack on the heap, reused; their values in sp_)
};

}  // namespace

std::optional<RecordsAt> read_records(std::string_view text, const json::storage_ptr& sp, const Texts& texts, Batch& b) {
  std::size_t records = b.records.size(), members = b.members.size(), keys = b.member_keys.size();
  Reader r(text, sp, texts, b);
  std::optional<RecordsAt> at = r.answer();
  if (!at) {
    b.records.resize(records);
    b.members.resize(members);
    b.member_keys.resize(keys);
  }
  return at;
}

}  // namespace accord::wire::canonical
