// SPDX-License-Identifier: Apache-2.0
// The text boost::json::serialize gives a value, written at the end of a
// string: the same bytes (Boost.JSON 1.81's serializer: members in the
// object's order, no spaces, '"' and '\\' escaped, control characters as
// \b \t \n \f \r or \u00xx in lowercase hex, every other byte as it is;
// integers in decimal; a double in Boost's own digits), without Boost's
// resumable serializer: the room is made ahead, strings are checked and
// copied 16 bytes at a time. A first sync writes each record's text and
// pair text this way (reading.cpp, FieldMap::pair_text); Boost's
// serializer, reset for each member, took about 5,200 instructions for a
// contact of the engine bench, this 2,800.
//
// Header-only, C++17, Boost.JSON; any thread.
#pragma once

#include <boost/json/value.hpp>

#include <boost/json/detail/format.hpp>  // (after Boost.JSON's config: format_double)

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace accord::json_text {

namespace detail {

#if defined(__SSE2__)
// The bytes of s[0, n), n < 16, in 16, padded with a byte that needs no
// escape (loads of fixed sizes: no call, no read past s + n).
inline __m128i load_short(const char* s, size_t n) {
  alignas(16) char b[16];
  std::memset(b, 'a', sizeof b);
  if (n >= 8) {
    std::memcpy(b, s, 8);
    std::memcpy(b + n - 8, s + n - 8, 8);
  } else if (n >= 4) {
    std::memcpy(b, s, 4);
    std::memcpy(b + n - 4, s + n - 4, 4);
  } else if (n > 0) {
    b[0] = s[0];
    b[n / 2] = s[n / 2];
    b[n - 1] = s[n - 1];
  }
  return _mm_load_si128(reinterpret_cast<const __m128i*>(b));
}

// A bit for each of 16 bytes that needs an escape: '"', '\\', below 0x20.
inline unsigned escapes(__m128i x) {
  __m128i esc = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
                             _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1f)), x));  // (unsigned: <= 0x1f)
  return static_cast<unsigned>(_mm_movemask_epi8(esc));
}
#endif

}  // namespace detail

// Writes JSON text at the end of a string: its room is made ahead (a
// string's bytes, each of which may take six, and 16 more), and its length
// set once, by done() (or the destructor).
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {
    size_t at = out.size();
    out_.resize(std::max(out_.capacity(), at + 256));  // (within its capacity: no allocation)
    to_ = out_.data() + at;
    end_ = out_.data() + out_.size();
  }
  ~Writer() { done(); }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  size_t size() const { return static_cast<size_t>(to_ - out_.data()); }  // the string's, so far
  void done() { out_.resize(size()); }

  void raw(char c) {
    need(1);
    *to_++ = c;
  }

  // s as a JSON string (its quotes and escapes).
  void string(std::string_view s) {
    const char* p = s.data();
    size_t n = s.size();
    need(6 * n + 18);
    *to_++ = '"';
    size_t i = 0;
#if defined(__SSE2__)
    // 16 bytes at a time, copied whole (the room allows it) and checked
    for (; i + 16 <= n; i += 16) {
      __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(to_ + i), x);
      if (unsigned m = detail::escapes(x)) return escaped(p, n, i + static_cast<size_t>(__builtin_ctz(m)));
    }
    if (i < n) {
      __m128i x = detail::load_short(p + i, n - i);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(to_ + i), x);
      if (unsigned m = detail::escapes(x)) return escaped(p, n, i + static_cast<size_t>(__builtin_ctz(m)));
    }
    to_ += n;
#else
    for (; i < n; ++i) {
      auto c = static_cast<unsigned char>(p[i]);
      if (c < 0x20 || c == '"' || c == '\\') return escaped(p, n, i);
      to_[i] = p[i];
    }
    to_ += n;
#endif
    *to_++ = '"';
  }

  // v's text, as boost::json::serialize(v) gives it.
  void value(const boost::json::value& v) {
    namespace json = boost::json;
    switch (v.kind()) {
      case json::kind::null: return word("null", 4);
      case json::kind::bool_: return v.get_bool() ? word("true", 4) : word("false", 5);
      case json::kind::int64:
        need(32);
        to_ = std::to_chars(to_, to_ + 32, v.get_int64()).ptr;
        return;
      case json::kind::uint64:
        need(32);
        to_ = std::to_chars(to_, to_ + 32, v.get_uint64()).ptr;
        return;
      case json::kind::double_:
        static_assert(json::detail::max_number_chars <= 32);
        need(32);
        to_ += json::detail::format_double(to_, v.get_double());  // (Boost's own digits)
        return;
      case json::kind::string: {
        const json::string& s = v.get_string();
        return string(std::string_view(s.data(), s.size()));
      }
      case json::kind::array: {
        raw('[');
        bool first = true;
        for (const json::value& e : v.get_array()) {
          if (!first) raw(',');
          first = false;
          value(e);
        }
        return raw(']');
      }
      case json::kind::object: return object(v.get_object());
    }
  }

  void object(const boost::json::object& o) {
    raw('{');
    bool first = true;
    for (const boost::json::key_value_pair& kv : o) {
      if (!first) raw(',');
      first = false;
      string(std::string_view(kv.key().data(), kv.key().size()));
      raw(':');
      value(kv.value());
    }
    raw('}');
  }

 private:
  void need(size_t n) {
    if (static_cast<size_t>(end_ - to_) < n) grow(n);
  }
  void grow(size_t n) {
    size_t at = size();
    out_.resize(std::max(out_.size() * 2, at + n + 256));
    to_ = out_.data() + at;
    end_ = out_.data() + out_.size();
  }
  void word(const char* w, size_t n) {
    need(n);
    std::memcpy(to_, w, n);
    to_ += n;
  }
  // The string from its first byte to escape (p[i]) on; its quote is
  // written, and its first i bytes.
  void escaped(const char* p, size_t n, size_t i) {
    static constexpr char kHex[] = "0123456789abcdef";
    to_ += i;
    for (; i < n; ++i) {
      auto c = static_cast<unsigned char>(p[i]);
      if (c >= 0x20 && c != '"' && c != '\\') {
        *to_++ = static_cast<char>(c);
        continue;
      }
      *to_++ = '\\';
      switch (c) {
        case '"': *to_++ = '"'; break;
        case '\\': *to_++ = '\\'; break;
        case '\b': *to_++ = 'b'; break;
        case '\t': *to_++ = 't'; break;
        case '\n': *to_++ = 'n'; break;
        case '\f': *to_++ = 'f'; break;
        case '\r': *to_++ = 'r'; break;
        default:
          std::memcpy(to_, "u00", 3);
          to_[3] = kHex[c >> 4];
          to_[4] = kHex[c & 15];
          to_ += 5;
      }
    }
    *to_++ = '"';
  }

  std::string& out_;
  char* to_;
  char* end_;
};

// s as a JSON string (its quotes and escapes), appended.
inline void append_string(std::string& out, std::string_view s) { Writer(out).string(s); }

// v's text, as boost::json::serialize(v) gives it, appended.
inline void append(std::string& out, const boost::json::value& v) { Writer(out).value(v); }

// An object's text, as boost::json::serialize(o) gives it, appended.
inline void append(std::string& out, const boost::json::object& o) { Writer(out).object(o); }

}  // namespace accord::json_text
