// SPDX-License-Identifier: Apache-2.0
// A JSON value's text, byte for byte what boost::json::serialize gives it
// (Boost 1.81: no whitespace; in strings '"' and '\' escaped, the control
// characters as \b \t \n \f \r or \u00xx, every other byte as it is; numbers
// through the serializer's own formatting), appended to a string the caller
// reuses. Boost's serializer is resumable (a state machine writing into a
// fixed buffer, then copied into the string): a first sync writes a million
// records' texts and their fields' through it, at about a quarter of the
// cost. libs/json/tests/write_test.cpp holds it to boost::json::serialize.
//
// Header-only, C++17, Boost.JSON (the host's library or a plugin's own
// header-only copy); any thread.
#pragma once

#include <boost/json/detail/config.hpp>
#include <boost/json/detail/format.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <cstring>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <string>
#include <string_view>

namespace accord::json_text {

namespace detail {

// The escape each byte takes in a string: 0 none, 'u' \u00xx, else \ and it.
inline constexpr char kEscape[256] = {
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'b', 't', 'n', 'u', 'f', 'r', 'u', 'u',
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
    0,   0,   '"', 0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   '\\', 0,  0,   0,
};

// Writes into a string's own storage through a pointer: the string is kept
// as long as its room while writing (grown by doubling), and cut to what
// was written at the end (no capacity check and call per byte or per token).
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out), at_(out.size()) {
    out_.resize(out_.capacity() > at_ + 64 ? out_.capacity() : at_ + 256);
  }
  ~Writer() { out_.resize(at_); }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // room for n more bytes: where they go
  char* room(std::size_t n) {
    if (out_.size() - at_ < n) out_.resize(2 * out_.size() > at_ + n ? 2 * out_.size() : at_ + n + 256);
    return &out_[at_];
  }
  void wrote(char* end) { at_ = static_cast<std::size_t>(end - out_.data()); }
  void put(char c) { *room(1) = c, ++at_; }
  void put(const char* s, std::size_t n) {
    std::memcpy(room(n), s, n);
    at_ += n;
  }

  void string(const char* p, std::size_t n) {
    static constexpr char kHex[] = "0123456789abcdef";
    const char* end = p + n;
    char* w = room(6 * n + 2);  // (at most \u00xx a byte, and the quotes)
    *w++ = '"';
#ifdef __SSE2__
    // 16 bytes at a time while none needs an escape (most strings: all)
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), below = _mm_set1_epi8(0x1f);
    while (end - p >= 16) {
      __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      // a control character: 0x1f or below, unsigned (min(b, 0x1f) == b)
      __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(b, below), b);
      if (_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(b, quote), _mm_cmpeq_epi8(b, backslash)), control)))
        break;  // (the bytes below take it)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(w), b);
      p += 16, w += 16;
    }
#endif
    // then 8 at a time (SWAR), for the strings shorter than 16 and the tails
    while (end - p >= 8) {
      std::uint64_t x;
      std::memcpy(&x, p, 8);
      constexpr std::uint64_t kOnes = 0x0101010101010101u, kHigh = 0x8080808080808080u;
      std::uint64_t q = x ^ (kOnes * '"'), b = x ^ (kOnes * '\\');
      // a byte below 0x20, a '"', a '\\' (a zero byte of q or b): the exact
      // test of "has a byte less than n" (n <= 128)
      if (((x - kOnes * 0x20) & ~x & kHigh) | ((q - kOnes) & ~q & kHigh) | ((b - kOnes) & ~b & kHigh)) break;
      std::memcpy(w, &x, 8);
      p += 8, w += 8;
    }
    for (; p < end; ++p) {
      unsigned char c = static_cast<unsigned char>(*p);
      char e = kEscape[c];
      if (!e) {
        *w++ = static_cast<char>(c);
      } else if (e != 'u') {
        *w++ = '\\', *w++ = e;
      } else {
        w[0] = '\\', w[1] = 'u', w[2] = '0', w[3] = '0', w[4] = kHex[c >> 4], w[5] = kHex[c & 15];
        w += 6;
      }
    }
    *w++ = '"';
    wrote(w);
  }

  void value(const boost::json::value& v) {
    namespace json = boost::json;
    switch (v.kind()) {
      case json::kind::null: return put("null", 4);
      case json::kind::bool_: return v.get_bool() ? put("true", 4) : put("false", 5);
      case json::kind::int64: {
        char* w = room(json::detail::max_number_chars);
        return wrote(w + json::detail::format_int64(w, v.get_int64()));
      }
      case json::kind::uint64: {
        char* w = room(json::detail::max_number_chars);
        return wrote(w + json::detail::format_uint64(w, v.get_uint64()));
      }
      case json::kind::double_: {
        char* w = room(json::detail::max_number_chars);
        return wrote(w + json::detail::format_double(w, v.get_double()));
      }
      case json::kind::string: {
        const json::string& s = v.get_string();
        return string(s.data(), s.size());
      }
      case json::kind::array: {
        put('[');
        bool first = true;
        for (const json::value& e : v.get_array()) {
          if (!first) put(',');
          first = false;
          value(e);
        }
        return put(']');
      }
      case json::kind::object: return object(v.get_object(), [](const json::key_value_pair&, std::size_t, std::size_t) {});
    }
  }

  // member(kv, at, n) is told where each member's value went: n bytes at at.
  template <class Member>
  void object(const boost::json::object& o, Member&& member) {
    put('{');
    bool first = true;
    for (const boost::json::key_value_pair& kv : o) {
      if (!first) put(',');
      first = false;
      string(kv.key().data(), kv.key().size());
      put(':');
      std::size_t at = at_;
      value(kv.value());
      member(kv, at, at_ - at);
    }
    put('}');
  }

 private:
  std::string& out_;
  std::size_t at_;  // the end of what is written
};

}  // namespace detail

// Appends v's text to out.
inline void append(std::string& out, const boost::json::value& v) {
  detail::Writer w(out);
  w.value(v);
}

// Appends the text of o (as of the value holding it), and tells
// member(kv, at, n) where each member's value went in out: n bytes at at
// (a caller making something more of the same texts writes each once).
template <class Member>
void append_object(std::string& out, const boost::json::object& o, Member&& member) {
  detail::Writer w(out);
  w.object(o, member);
}

// v's text, as boost::json::serialize(v).
inline std::string serialize(const boost::json::value& v) {
  std::string out;
  append(out, v);
  return out;
}

}  // namespace accord::json_text
