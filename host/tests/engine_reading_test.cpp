// SPDX-License-Identifier: Apache-2.0
// What reading makes of a record read in a first sync (reading.cpp): its
// pair form's text (the digest that links equal pairs with no merge) and
// its own text (its data in the state), made together by
// FieldMap::pair_text(side, data, out, text), which writes each member's
// value once for both. Each must be what it is made alone: the pair text of
// FieldMap::pair_text(side, data, out), the text of json::serialize.
#include "mapping/field_map.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

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
