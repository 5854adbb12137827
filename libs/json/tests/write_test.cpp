// SPDX-License-Identifier: Apache-2.0
// A value's text (libs/json write.hpp): byte for byte boost::json::serialize's,
// on the values that take its every branch and on many made at random.
#include <accord/json/write.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

namespace jt = accord::json_text;
namespace json = boost::json;

namespace {

void expect_as_boost(const json::value& v) {
  std::string ours = "prefix:";  // (appended: what the string held stays)
  jt::append(ours, v);
  EXPECT_EQ(ours, "prefix:" + json::serialize(v));
  EXPECT_EQ(jt::serialize(v), json::serialize(v));
}

// A string of n bytes drawn from all 256 (control characters, quotes,
// backslashes, DEL, bytes of UTF-8 and bytes that are none) or, half the
// time, mostly letters.
std::string any_bytes(std::mt19937_64& rng, size_t n) {
  std::string s;
  bool wild = rng() & 1;
  for (size_t i = 0; i < n; ++i) {
    unsigned r = static_cast<unsigned>(rng());
    s += wild ? static_cast<char>(r & 0xff) : (r % 7 == 0 ? "\"\\\n\x01\x7f/\xc3\xa9"[r % 9] : static_cast<char>('a' + r % 26));
  }
  return s;
}

json::value any_value(std::mt19937_64& rng, int depth) {
  switch (rng() % (depth > 3 ? 6 : 8)) {
    case 0: return nullptr;
    case 1: return (rng() & 1) != 0;
    case 2: return static_cast<std::int64_t>(rng());
    case 3: return (rng() & 1) ? json::value(static_cast<std::uint64_t>(rng())) : json::value(-static_cast<std::int64_t>(rng() % 1000));
    case 4: {
      double d;
      switch (rng() % 4) {
        case 0: d = static_cast<double>(static_cast<std::int64_t>(rng() % 2000001) - 1000000) / 1000; break;
        case 1: d = std::ldexp(static_cast<double>(rng() % (1ull << 53)), static_cast<int>(rng() % 2000) - 1000); break;
        case 2: d = (rng() & 1) ? -0.0 : 0.5; break;
        default: {
          std::uint64_t bits = rng();
          std::memcpy(&d, &bits, sizeof d);  // any double: subnormals, infinities, NaNs
        }
      }
      return d;
    }
    case 5: return json::string(any_bytes(rng, rng() % 40));
    case 6: {
      json::array a;
      for (size_t i = 0, n = rng() % 5; i < n; ++i) a.push_back(any_value(rng, depth + 1));
      return a;
    }
    default: {
      json::object o;
      for (size_t i = 0, n = rng() % 20; i < n; ++i) o[any_bytes(rng, rng() % 6)] = any_value(rng, depth + 1);
      return o;
    }
  }
}

}  // namespace

TEST(JsonWriteTest, EachKindIsWrittenAsBoostWritesIt) {
  for (const char* t : {"null", "true", "false", "0", "-0", "-1", "9223372036854775807", "-9223372036854775808",
                        "18446744073709551615", "0.5", "-0.0", "1e300", "5e-324", "1.5E10", "-122.41941550000001",
                        "\"\"", "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u0000\\u001f\\u007f\\u00e9\\ud83d\\ude00\"", "[]",
                        "{}", "[[],{},[{}]]",
                        "{\"@type\":\"Card\",\"uid\":\"urn:uuid:x\",\"name\":{\"full\":\"Person 1\"},"
                        "\"emails\":{\"e1\":{\"address\":\"p1@example.org\"}},\"n\":[1,2.5,null,true]}",
                        "{\"k\\n\\u0001\":1,\"\":{\"\":[]}}"})
    expect_as_boost(json::parse(t));
  for (double d : {std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                   std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::denorm_min(),
                   std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest()})
    expect_as_boost(d);
  std::string every;  // every byte, alone and in a run
  for (int c = 0; c < 256; ++c) {
    expect_as_boost(json::string(1, static_cast<char>(c)));
    every += static_cast<char>(c);
  }
  expect_as_boost(json::string(every));
  expect_as_boost(json::object{{every, every}});
  expect_as_boost(json::string(100000, 'x'));  // longer than the serializer's buffer
}

TEST(JsonWriteTest, ValuesMadeAtRandomAreWrittenAsBoostWritesThem) {
  std::mt19937_64 rng(20261207);
  for (int i = 0; i < 20000; ++i) {
    json::value v = any_value(rng, 0);
    std::string ours = jt::serialize(v), theirs = json::serialize(v);
    ASSERT_EQ(ours, theirs) << "value " << i;
  }
}
