// SPDX-License-Identifier: Apache-2.0
// What reading makes of a record read in a first sync (reading.cpp): its
// pair form's text (the digest that links equal pairs with no merge) and
// its own text (its data in the state), made together by
// FieldMap::pair_text(side, data, out, text), which writes each member's
// value once for both. Each must be what it is made alone: the pair text of
// FieldMap::pair_text(side, data, out), the text of json::serialize.
#include "engine/keys.hpp"
#include "mapping/field_map.hpp"
#include "plugins/wire.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <optional>
#include <random>

using namespace accord;
namespace json = boost::json;

namespace {

const char* kRecords[] = {
    R"({})",
    R"({"@type":"Card","uid":"urn:uuid:bench-1","name":{"full":"Person 1","components":[{"kind":"given","value":"Person"}]},)"
    R"("emails":{"e1":{"address":"person1@example.org"}},"phones":{"p1":{"number":"+1 555 1"}}})",
    // members out of key order, a null one (no field of the pair form), escapes, numbers of each kind
    R"({"z":1,"a":null,"m":"tab\there \"quoted\" \\ \u0001 é","b":[1.5,-0.0,18446744073709551615,-9,true,false,null],"":{"":[]}})",
    R"({"notes":"line\nline","title":"x\u007fy","k\u0000":"nul key"})",
    // brackets, commas and quotes inside strings and keys; a string ending in a backslash; a value last and nested
    R"({"a\"},":"},]\\","b":{"c":"{[\"","d":[{"e":"]"},[[]],{}]},"n":-1e300,"t":true,"s":"\\","o":{"x":{"y":[1,{"z":null}]}}})",
    // more members than pair_text keeps on its stack (16), out of order, keys one the other's prefix
    R"({"t":1,"s":2,"r":3,"q":4,"p":5,"o":null,"n":7,"m":8,"l":9,"k":10,"j":11,"i":12,"h":13,"g":14,"f":15,"e":16,)"
    R"("d":17,"c":18,"b":19,"ab":20,"a":21,"a\u0000":22})",
};

StreamPair pair(bool identity) {
  StreamPair sp;
  sp.name = "contacts";
  sp.identity = identity;
  if (!identity) {
    Rule r;
    r.left = {*FieldPath::parse("/name/full")};
    r.right = *FieldPath::parse("/fn");
    r.key = "name";
    sp.rules.push_back(r);
  }
  return sp;
}

}  // namespace

TEST(ReadingTextsTest, ARecordsTextAndPairTextAreEachWhatTheyAreMadeAlone) {
  for (bool identity : {true, false}) {
    StreamPair sp = pair(identity);
    FieldMap fm(sp);
    std::string out = "left over", text = "left over";  // (reused buffers: what they held goes)
    for (const char* r : kRecords) {
      json::object data = json::parse(r).as_object();
      for (Side s : {Side::kLeft, Side::kRight}) {
        std::string alone;
        fm.pair_text(s, data, alone);
        fm.pair_text(s, data, out, text);
        EXPECT_EQ(out, alone) << r << (identity ? " (identity)" : " (rules)");
        EXPECT_EQ(text, json::serialize(data)) << r;
      }
    }
  }
}

// The parts the two texts share are each member's value: a member's value
// in the pair text is that member's bytes in the record's text.
TEST(ReadingTextsTest, EqualPairFormsGiveEqualPairTextsWhateverTheMembersOrder) {
  StreamPair sp = pair(true);
  FieldMap fm(sp);
  std::string a, b, ta, tb;
  fm.pair_text(Side::kLeft, json::parse(R"({"n":"Ann","e":["a@x"],"gone":null})").as_object(), a, ta);
  fm.pair_text(Side::kRight, json::parse(R"({"e":["a@x"],"n":"Ann"})").as_object(), b, tb);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, "/e\x1f[\"a@x\"]\x1e/n\x1f\"Ann\"\x1e");
  EXPECT_NE(ta, tb);
}

// A first sync with no rules, filter or lookups reads each record without a
// DOM (wire::Texts): its text, its pair text and, of its data as values,
// only the members its match keys begin at (keys.hpp match_heads). Each
// must be what the DOM path gives the same answer: the text json::serialize
// writes of the data, the pair text FieldMap::pair_text makes of it, the
// keys record_keys reads from it; a record the fast path leaves (an object
// with a key twice) comes whole, as before. Answers of records of every
// shape, written as a connector might (spaces, escapes of any character,
// numbers in any form), at random.
namespace {

struct Maker {
  std::mt19937 rng;
  // Writes as json::serialize does (the local connector's records), but
  // for the one thing begin_answer picks (of those an answer asks for, the
  // odd_at-th, if there are that many): a space, an escape or a number
  // serialize writes otherwise, a key twice, a byte that is not UTF-8.
  bool canonical = false;
  size_t calls = 0, odd_at = 0;
  void begin_answer() { calls = 0, odd_at = pick(1200); }
  size_t pick(size_t n) { return rng() % n; }
  bool odd() { return !canonical || calls++ == odd_at; }
  std::string ws() {
    static const char* kWs[] = {"", "", "", " ", "\n  ", "\t"};
    if (canonical) return odd() ? kWs[3 + pick(3)] : "";
    return kWs[pick(std::size(kWs))];
  }
  std::string str() {  // a JSON string's text, its characters escaped or not
    static const char* kParts[] = {
        "a", "Person", "e1", "address", "x@example.org", "\\u00e9", "é", "\\\"", "\\\\", "\\n", "\\u0001", "\\u001f",
        "\\ud83d\\ude00", "😀", "\\/", "/", "~", "\\u0041", "\\t", "\\u007f", "\x7f", "kind", "given", "v", "k", " ", ""};
    // serialize's escapes, and UTF-8 at its edges
    static const char* kCanonical[] = {
        "a", "Person", "e1", "address", "x@example.org", "é", "\\\"", "\\\\", "\\n", "\\u0001", "\\u001f", "\\u0000",
        "\\b", "\\f", "\\r", "\\t", "\\u001e", "😀", "/", "~", "\x7f", "kind", "given", "v", "k", " ", "",
        "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf", "\xf0\x90\x80\x80",
        "\xf4\x8f\xbf\xbf"};
    // what serialize writes otherwise, and what the parser refuses (UTF-8, a control character)
    static const char* kOdd[] = {"\\u00e9", "\\ud83d\\ude00", "\\/", "\\u0041", "\\u007f", "\\u0008", "\\u0009", "\\u000a",
                                 "\\u000C", "\\u000c", "\\u000d", "\\u001F", "\\u0022", "\\u005c", "\\u005C", "\\ud800",
                                 "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe0\x9f\xbf", "\x80", "\xff",
                                 "\xe2\x82", "\xc3", "\t", "\x01"};
    std::string s = "\"";
    size_t n = pick(6);
    if (pick(40) == 0) n = 700 + pick(3000);  // (long: the parser hands it in parts)
    for (size_t i = 0; i < n; ++i)
      if (!canonical) s += kParts[pick(std::size(kParts))];
      else if (!odd()) s += kCanonical[pick(std::size(kCanonical))];
      else s += kOdd[pick(std::size(kOdd))];
    return s + "\"";
  }
  std::string key() {  // few names: a key given twice happens
    static const char* kKeys[] = {"\"emails\"", "\"a\"", "\"b\"", "\"k~\"", "\"a/b\"", "\"a\\/b\"", "\"\"",
                                  "\"name\"", "\"e\\u0031\"", "\"e1\"", "\"address\"", "\"kind\"", "\"x\"", "\"k\"",
                                  "\"\\u00e9\"", "\"é\"", "\"z\"", "\"m\"", "\"n\\u0000\"", "\"v\""};
    static const char* kCanonicalKeys[] = {"\"emails\"", "\"a\"", "\"b\"", "\"k~\"", "\"a/b\"", "\"\"", "\"name\"",
                                           "\"e1\"", "\"address\"", "\"kind\"", "\"x\"", "\"k\"", "\"é\"", "\"z\"",
                                           "\"m\"", "\"n\\u0000\"", "\"v\"", "\"\\\"\"", "\"\\\\\""};
    static const char* kOddKeys[] = {"\"a\\/b\"", "\"e\\u0031\"", "\"\\u00e9\"", "\"\\u0065mails\"", "\"\\u0008\"", "\"e\\u00311\""};
    if (pick(8) == 0) return str();
    if (!canonical) return kKeys[pick(std::size(kKeys))];
    return odd() ? kOddKeys[pick(std::size(kOddKeys))] : kCanonicalKeys[pick(std::size(kCanonicalKeys))];
  }
  std::string number() {
    static const char* kNumbers[] = {"0", "-0", "1", "-1", "1.5", "1e2", "-1E-2", "1.0", "0.1", "5e-324",
                                     "1.7976931348623157e308", "-122.41941550000001", "18446744073709551615",
                                     "-9223372036854775808", "9223372036854775807", "9223372036854775808",
                                     "123456789012345678901234567890", "2.5E+3", "-0.0", "100000000000000000000"};
    static const char* kCanonical[] = {"0", "1", "-1", "1.5E0", "1E2", "-1E-2", "1E-1", "5E-324", "1.7976931348623157E308",
                                       "-1.2241941550000001E2", "18446744073709551615", "-9223372036854775808",
                                       "9223372036854775807", "9223372036854775808", "123456789012345678", "2.5E3",
                                       "-0E0", "1E20", "1234567890123456789", "-1234567890123456789"};
    static const char* kOdd[] = {"-0", "1.0", "1e2", "1E+2", "0.1", "1.5", "15E-1", "1.50E0", "-0.0", "0E0", "00",
                                 "18446744073709551616", "-9223372036854775809", "100000000000000000000", "1E400",
                                 "1e-400", "7e731", "0.30000000000000004", "1E0", "-1.224194155E2"};
    if (!canonical) return kNumbers[pick(std::size(kNumbers))];
    return odd() ? kOdd[pick(std::size(kOdd))] : kCanonical[pick(std::size(kCanonical))];
  }
  std::string value(int depth) {
    switch (pick(depth > 3 ? 6 : 8)) {
      case 0: return "null";
      case 1: return pick(2) ? "true" : "false";
      case 2: return number();
      case 3:
      case 4:
      case 5: return str();
      case 6: return object(depth + 1, 5);
      default: {
        std::string s = "[" + ws();
        for (size_t i = 0, n = pick(5); i < n; ++i) s += (i ? "," + ws() : "") + value(depth + 1) + ws();
        return s + "]";
      }
    }
  }
  std::string object(int depth, size_t most) {
    std::string s = "{" + ws();
    std::vector<std::string> keys;
    for (size_t i = 0, n = pick(most + 1); i < n; ++i) {
      std::string k = key();
      if ((canonical ? odd() : pick(30) == 0) && !keys.empty()) k = keys[pick(keys.size())];  // a key twice, now and then
      else if (std::find(keys.begin(), keys.end(), k) != keys.end()) k = "\"" + std::to_string(i) + "\"";
      keys.push_back(k);
      s += (i ? "," + ws() : "") + k + ws() + ":" + ws() + value(depth) + ws();
    }
    return s + "}";
  }
};

MatchKey match_key(const char* left, const char* right) {
  MatchField f;
  f.left = *FieldPath::parse(left);
  f.right = *FieldPath::parse(right);
  f.normalise = [](const json::value& v) { return json::serialize(v); };
  return {{f}, left};
}

// What reading.cpp makes of a record read with its text.
std::string pair_text_of(const wire::Batch& b, const wire::Record& rec) {
  std::vector<FieldMap::TextMember> members;
  for (size_t i = 0; i < rec.members_n; ++i) {
    const wire::Member& m = b.members[rec.members_at + i];
    members.push_back({std::string_view(b.member_keys).substr(m.key_at, m.key_n), m.at, m.n});
  }
  std::string out = "left over";
  FieldMap::pair_text_of(rec.text, members.data(), members.size(), out);
  return out;
}

// A record as read with its text: all of it, its members too.
std::string described(const wire::Batch& b, const wire::Record& r) {
  std::string out = "id=" + r.id + " version=" + r.version + " modified=" + r.modified + " key=" + r.idempotency_key +
                    " deleted=" + std::to_string(r.deleted) + " renumbered=" + std::to_string(r.renumbered) +
                    " data=" + json::serialize(r.data) + " text=" + r.text + " members=";
  for (size_t i = 0; i < r.members_n; ++i) {
    const wire::Member& m = b.members[r.members_at + i];
    out += " " + b.member_keys.substr(m.key_at, m.key_n) + "@" + std::to_string(m.at) + "+" + std::to_string(m.n);
  }
  return out;
}

struct Counts {
  int fast = 0, whole = 0;  // records read_batch read with their text, and whole
  int scanned = 0, left = 0;  // records the scanner read; answers it left
};

// An answer read as a first sync reads it (read_batch with texts: the
// scanner first, then the fast path) and as any other read does (whole),
// and by the scanner alone: each must give what the whole reading implies,
// and the scanner, where it reads the answer, what the fast path reads.
void read_each_way(const std::string& answer, const StreamPair& sp, const FieldMap& fm, Side s, Counts& counts) {
  wire::Texts texts;
  texts.names = match_heads(sp.match, s, texts.first);
  wire::Batch dom = wire::read_batch(answer);
  wire::Batch read = wire::read_batch(answer, {}, &texts);
  json::monotonic_resource scan_arena, fast_arena;
  std::optional<wire::Batch> scanned = wire::detail::read_canonical(answer, &scan_arena, true, texts);
  if (!scanned) ++counts.left;
  for (const wire::Batch* batch : {&read, scanned ? &*scanned : nullptr}) {
    if (!batch) continue;
    ASSERT_EQ(batch->error, dom.error) << answer;
    ASSERT_EQ(batch->records.size(), dom.records.size()) << answer;
    EXPECT_EQ(batch->unreadable.size(), dom.unreadable.size()) << answer;
    for (size_t i = 0; i < dom.records.size(); ++i) {
      const wire::Record &a = batch->records[i], &b = dom.records[i];
      EXPECT_EQ(a.id, b.id);
      EXPECT_EQ(a.deleted, b.deleted);
      EXPECT_TRUE(b.text.empty());
      if (b.deleted) {
        EXPECT_TRUE(a.text.empty());
        continue;
      }
      EXPECT_EQ(record_keys(sp.match, s, a.data, "k"), record_keys(sp.match, s, b.data, "k")) << answer;
      if (a.text.empty()) {  // left to the DOM path: whole
        EXPECT_NE(batch, &*scanned) << answer;  // (the scanner reads each record with its text)
        ++counts.whole;
        EXPECT_EQ(json::serialize(a.data), json::serialize(b.data)) << answer;
        continue;
      }
      ++(batch == &read ? counts.fast : counts.scanned);
      EXPECT_EQ(a.text, json::serialize(b.data)) << answer;
      std::string alone;
      fm.pair_text(s, b.data.as_object(), alone);
      EXPECT_EQ(pair_text_of(*batch, a), alone) << answer;
    }
  }
  if (!scanned) return;
  std::optional<wire::Batch> fast = wire::detail::read_fast(answer, &fast_arena, true, &texts);
  ASSERT_TRUE(fast) << "the fast path leaves what the scanner read: " << answer;
  ASSERT_EQ(fast->records.size(), scanned->records.size()) << answer;
  for (size_t i = 0; i < fast->records.size(); ++i)
    EXPECT_EQ(described(*scanned, scanned->records[i]), described(*fast, fast->records[i])) << answer;
}

std::string answer_of(Maker& make, int round, bool canonical) {
  if (canonical) make.begin_answer();
  std::string answer = "{\"records\":[";
  for (int i = 0; i < 8; ++i) {
    std::string data = make.object(0, 8);
    if (i == 0) {
      data = kRecords[round % std::size(kRecords)];
      if (canonical && make.pick(4)) data = json::serialize(json::parse(data));
    }
    answer += std::string(i ? "," : "") + "{\"id\":\"r" + std::to_string(i) + "\"," + make.ws() + "\"data\":" +
              make.ws() + data + make.ws() + (i == 5 ? ",\"deleted\":true" : "") + "}";
  }
  return answer + "],\"cursor\":\"c\"}";
}

StreamPair matched_pair() {
  StreamPair sp = pair(true);
  sp.match = {match_key("/emails/*/address", "/*"), match_key("/a", "/[k=v]/x"), match_key("/b/0", "/a~1b"),
              match_key("/", "/k~0"), match_key("/name/components/[kind=given]/v", "/e1/*")};
  return sp;
}

}  // namespace

TEST(ReadingTextsTest, AFirstSyncReadsWithoutADomWhatItReadsWithOne) {
  StreamPair sp = matched_pair();
  FieldMap fm(sp);
  Maker make{std::mt19937(24)};
  Counts counts;
  for (int round = 0; round < 1500 && !HasFailure(); ++round) {
    std::string answer = answer_of(make, round, false);
    for (Side s : {Side::kLeft, Side::kRight}) read_each_way(answer, sp, fm, s, counts);
  }
  EXPECT_GT(counts.fast, 2500);  // (enough of each to mean something)
  EXPECT_GT(counts.whole, 200);
}

// The local connector's records are in json::serialize's form: read_batch's
// scanner reads them (detail::read_canonical), each record's text the
// answer's own bytes. Answers written so, but for one thing now and then (a
// space, an escape or a number serialize writes otherwise, a key twice, a
// byte that is not UTF-8), read each way: where the scanner reads one, what
// the fast path reads; where it leaves one, read_batch still reads it.
TEST(ReadingTextsTest, TheScannerReadsWhatTheParserReads) {
  StreamPair sp = matched_pair();
  FieldMap fm(sp);
  Maker make{std::mt19937(18)};
  make.canonical = true;
  Counts counts;
  for (int round = 0; round < 1500 && !HasFailure(); ++round) {
    std::string answer = answer_of(make, round, true);
    for (Side s : {Side::kLeft, Side::kRight}) read_each_way(answer, sp, fm, s, counts);
  }
  EXPECT_GT(counts.scanned, 6000);  // (enough of each to mean something)
  EXPECT_GT(counts.left, 1000);
  EXPECT_GT(counts.whole, 100);
}

// The members a side's match keys begin at.
TEST(ReadingTextsTest, TheMatchKeysBeginAtTheirPathsFirstMembers) {
  std::vector<MatchKey> match = {match_key("/emails/*/address", "/*/x"), match_key("/a~1b~0/c", "/[k=v]/x"),
                                 match_key("/emails", "/")};
  bool first = true;
  EXPECT_EQ(match_heads(match, Side::kLeft, first), (std::vector<std::string>{"emails", "a/b~"}));
  EXPECT_FALSE(first);
  EXPECT_EQ(match_heads(match, Side::kRight, first), (std::vector<std::string>{""}));
  EXPECT_TRUE(first);
}

// A match key whose record lacks one of its fields (absent or null) gives
// an empty part of the record's keys, whichever field it is; the parts
// after it are the record's as ever.
TEST(ReadingTextsTest, AMatchKeyMissingOneOfItsFieldsIsAnEmptyPartOfTheKeys) {
  MatchKey two = match_key("/x", "/x");
  MatchField y;
  y.left = *FieldPath::parse("/y");
  y.right = *FieldPath::parse("/y");
  y.normalise = [](const json::value& v) { return json::serialize(v); };
  two.fields.push_back(y);
  std::vector<MatchKey> match = {two, match_key("/z", "/z")};
  EXPECT_EQ(record_keys(match, Side::kLeft, json::parse(R"({"x":1,"z":2})")), "\x1e" "2\x1f");
  EXPECT_EQ(record_keys(match, Side::kLeft, json::parse(R"({"x":1,"y":null,"z":2})"), "k"), "\x1e" "2\x1f\x1ek");
  EXPECT_EQ(record_keys(match, Side::kRight, json::parse(R"({"y":1,"z":2})")), "\x1e" "2\x1f");
  EXPECT_EQ(record_keys(match, Side::kLeft, json::parse(R"({"x":1,"y":"a","z":2})")), "1\x1f\"a\"\x1f\x1e" "2\x1f");
}
