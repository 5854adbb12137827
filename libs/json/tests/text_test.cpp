// SPDX-License-Identifier: Apache-2.0
// A value's text (libs/json text.hpp): byte for byte what
// boost::json::serialize gives, for every kind, every escape and every byte.
#include <accord/json/text.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>

namespace jt = accord::json_text;
namespace json = boost::json;

namespace {

std::string text_of(const json::value& v) {
  std::string out = "x";  // appended, never replaced
  jt::append(out, v);
  return out.substr(1);
}

}  // namespace

TEST(JsonTextTest, EveryKindReadsAsBoostWritesIt) {
  for (const char* t :
       {"null", "true", "false", "0", "-1", "9223372036854775807", "-9223372036854775808", "18446744073709551615",
        "1.5", "-0.0", "5e71", "1e-7", "0.30000000000000004", "\"\"", "\"plain\"", "[]", "{}", "[[],{},[{}]]",
        "{\"a\":1,\"b\":[true,null,\"x\"],\"c\":{\"d\":{\"e\":-2.25}}}",
        "{\"@type\":\"Card\",\"name\":{\"full\":\"Person 1\",\"components\":[{\"kind\":\"given\",\"value\":\"P\"}]}}",
        "{\"z\":1,\"a\":2,\"m\":3}", "\"caf\\u00e9 \\u2603 \\ud83d\\ude00\"", "\"a\\u007fb\\u0000c\""}) {
    json::value v = json::parse(t);
    EXPECT_EQ(text_of(v), json::serialize(v)) << t;
  }
  json::object o;
  o["k\"ey\n"] = "v\\al\tue";
  EXPECT_EQ(text_of(o), json::serialize(o));
  std::string out;
  jt::append(out, o);
  EXPECT_EQ(out, json::serialize(o));  // the object's own overload
  EXPECT_EQ(text_of(json::value(std::numeric_limits<int64_t>::min())), "-9223372036854775808");
  EXPECT_EQ(text_of(json::value(std::numeric_limits<uint64_t>::max())), "18446744073709551615");
}

TEST(JsonTextTest, EveryByteOfAStringAndAKeyIsEscapedAsBoostEscapesIt) {
  for (int c = 0; c < 256; ++c) {
    std::string s = "a";
    s += static_cast<char>(c);
    s += "b";
    json::value str(s);
    EXPECT_EQ(text_of(str), json::serialize(str)) << "byte " << c;
    json::object o;
    o[s] = s;
    EXPECT_EQ(text_of(o), json::serialize(o)) << "byte " << c;
  }
}

TEST(JsonTextTest, AnEscapeAnywhereInAStringOfAnyLengthIsWritten) {
  // (the writer checks 16 bytes at a time, and the last few apart)
  for (size_t n = 0; n <= 40; ++n) {
    std::string plain(n, 'x');
    for (size_t i = 0; i < n; ++i) plain[i] = static_cast<char>('a' + i % 26);
    json::value v(plain);
    EXPECT_EQ(text_of(v), json::serialize(v)) << n;
    for (size_t at = 0; at < n; ++at)
      for (char c : {'"', '\\', '\n', '\x01', '\x1f'}) {
        std::string s = plain;
        s[at] = c;
        json::value e(s);
        ASSERT_EQ(text_of(e), json::serialize(e)) << n << " " << at << " " << int(c);
      }
  }
}

TEST(JsonTextTest, OneWriterWritesAManyPartText) {
  json::value v = json::parse(R"({"a":[1,2.5,"\u0007"]})");
  const std::string want = "kept[\"" + std::string(300, 'y') + "\"," + json::serialize(v) + "]";
  std::string out = "kept";
  {
    jt::Writer w(out);
    w.raw('[');
    w.string(std::string(300, 'y'));  // past the room made at first
    w.raw(',');
    w.value(v);
    w.raw(']');
    EXPECT_EQ(w.size(), want.size());
  }
  EXPECT_EQ(out, want);
}

TEST(JsonTextTest, RandomValuesReadAsBoostWritesThem) {
  std::mt19937 rng(24);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  std::function<json::value(int)> make = [&](int depth) -> json::value {
    switch (depth > 3 ? pick(6) : pick(8)) {
      case 0: return nullptr;
      case 1: return pick(2) == 1;
      case 2: return static_cast<int64_t>(rng()) - (int64_t{1} << 31);
      case 3: return std::ldexp(static_cast<double>(rng()), pick(200) - 100);
      case 4:
      case 5: {
        std::string s;
        for (int i = pick(12); i > 0; --i) s += static_cast<char>(pick(256));
        return json::value(s);
      }
      case 6: {
        json::array a;
        for (int i = pick(5); i > 0; --i) a.push_back(make(depth + 1));
        return a;
      }
      default: {
        json::object o;
        for (int i = pick(5); i > 0; --i) o[std::string(1, static_cast<char>(pick(256)))] = make(depth + 1);
        return o;
      }
    }
  };
  for (int k = 0; k < 2000; ++k) {
    json::value v = make(0);
    ASSERT_EQ(text_of(v), json::serialize(v)) << k;
  }
}
