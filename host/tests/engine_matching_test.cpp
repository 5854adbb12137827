// SPDX-License-Identifier: Apache-2.0
// Matching (engine/matching.cpp), alone: two pools of candidates and the
// match keys in, who is whom out. Cases the shell tests cannot set up: keys
// shared by several records, a key held on one side only, records that are
// clean or filtered out, a second key that settles what the first could not,
// and copies found by the idempotency keys their creates stored.
#include "engine/keys.hpp"
#include "engine/matching.hpp"

#include <accord/json/exact.hpp>
#include <gtest/gtest.h>

using namespace accord;

namespace {

// A candidate: keys given one part per match key ("" where it has none);
// a stored idempotency key, where given, comes after them.
MirrorRef ref(std::string id, std::vector<std::string> parts, bool dirty = true, bool included = true,
              std::string stored = "") {
  MirrorRef r;
  r.dirty = dirty;
  r.included = included;
  std::string keys;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) keys += '\x1e';
    if (!parts[i].empty()) keys += parts[i] + '\x1f';
  }
  if (!stored.empty()) keys += '\x1e' + stored;
  r.set(id, keys);
  return r;
}

struct Pools {
  std::vector<MirrorRef> left, right;
  MatchSpec spec{"p", "contacts", {"email"}};
  Matching run() const { return find_matches({&left, &right}, spec); }
};

using Pairs = std::vector<std::pair<uint32_t, uint32_t>>;

}  // namespace

TEST(MatchingTest, OneRecordOnEachSideSharingAKeyLinks) {
  Pools p;
  p.left = {ref("l1", {"a@x"})};
  p.right = {ref("r1", {"a@x"}, false)};
  Matching m = p.run();
  EXPECT_EQ(m.matches, (Pairs{{0, 0}}));
  EXPECT_TRUE(m.linked.left[0] && m.linked.right[0]);
  EXPECT_TRUE(m.notes.empty());
}

TEST(MatchingTest, AmbiguousKeyHoldsEveryRecordAndLinksNone) {
  Pools p;
  p.left = {ref("l1", {"a@x"}), ref("l2", {"a@x"})};
  p.right = {ref("r1", {"a@x"})};
  Matching m = p.run();
  EXPECT_TRUE(m.matches.empty());
  EXPECT_TRUE(m.held.left[0] && m.held.left[1] && m.held.right[0]);
  EXPECT_FALSE(m.linked.left[0] || m.linked.left[1] || m.linked.right[0]);
  ASSERT_EQ(m.notes.size(), 1u);
  EXPECT_EQ(m.notes[0], "ambiguous match on email (2 left, 1 right): left:l1 left:l2 right:r1; not linked, not created");
}

TEST(MatchingTest, TwoOnEachSideIsAmbiguousToo) {
  Pools p;
  p.left = {ref("l1", {"a@x"}), ref("l2", {"a@x"})};
  p.right = {ref("r1", {"a@x"}), ref("r2", {"a@x"})};
  Matching m = p.run();
  EXPECT_TRUE(m.matches.empty());
  EXPECT_TRUE(m.held.right[0] && m.held.right[1]);
}

TEST(MatchingTest, SecondKeySettlesWhatAnAmbiguousFirstKeyHeld) {
  Pools p;
  p.spec.key_labels = {"name", "email"};
  p.left = {ref("l1", {"Ann", "a@x"}), ref("l2", {"Ann", "b@x"})};
  p.right = {ref("r1", {"Ann", "a@x"})};
  Matching m = p.run();
  EXPECT_EQ(m.matches, (Pairs{{0, 0}}));
  EXPECT_FALSE(m.held.left[0]);  // linked by the second key: no longer held
  EXPECT_FALSE(m.held.right[0]);
  EXPECT_TRUE(m.held.left[1]);  // still ambiguous by the first, matched by neither
  EXPECT_FALSE(m.linked.left[1]);
}

TEST(MatchingTest, AKeyOnOneSideOnlyMatchesNothingAndHoldsNothing) {
  Pools p;
  p.left = {ref("l1", {"a@x"}), ref("l2", {"a@x"})};
  p.right = {ref("r1", {"b@x"})};
  Matching m = p.run();
  EXPECT_TRUE(m.matches.empty());
  EXPECT_FALSE(m.held.left[0] || m.held.left[1] || m.held.right[0]);
  EXPECT_TRUE(m.notes.empty());
}

TEST(MatchingTest, CleanRecordsOnBothSidesAreNotMatchedAgain) {
  Pools p;
  p.left = {ref("l1", {"a@x"}, false)};
  p.right = {ref("r1", {"a@x"}, false)};
  EXPECT_TRUE(p.run().matches.empty());
}

TEST(MatchingTest, AFilteredOutRecordIsNoCandidate) {
  Pools p;
  p.left = {ref("l1", {"a@x"})};
  p.right = {ref("r1", {"a@x"}, true, false), ref("r2", {"a@x"})};
  Matching m = p.run();
  EXPECT_EQ(m.matches, (Pairs{{0, 1}}));  // r1 does not make the key ambiguous
}

TEST(MatchingTest, EmptyKeysNeverMatchEachOther) {
  Pools p;
  p.left = {ref("l1", {""})};
  p.right = {ref("r1", {""})};
  Matching m = p.run();
  EXPECT_TRUE(m.matches.empty());
  EXPECT_FALSE(m.held.left[0] || m.held.right[0]);
}

TEST(MatchingTest, MatchesComeInLeftIdOrder) {
  Pools p;
  p.left = {ref("l3", {"c"}), ref("l1", {"b"}), ref("l2", {"a"})};
  p.right = {ref("r1", {"a"}), ref("r2", {"b"}), ref("r3", {"c"})};
  EXPECT_EQ(p.run().matches, (Pairs{{1, 1}, {2, 0}, {0, 2}}));
}

TEST(MatchingTest, ACopyIsFoundByTheKeyItsCreateStoredBeforeAnyMatchKey) {
  Pools p;
  std::string key = derive_idempotency_key("p", "contacts", Side::kLeft, "l1");
  p.left = {ref("l1", {"a@x"}, false)};
  // the copy's email was changed since: no match key would find it
  p.right = {ref("r9", {"z@x"}, true, true, key), ref("r2", {"a@x"})};
  Matching m = p.run();
  EXPECT_EQ(m.copies, (Pairs{{0, 0}}));
  EXPECT_TRUE(m.matches.empty());  // l1 is linked to its copy, not to r2
  EXPECT_TRUE(m.linked.left[0] && m.linked.right[0]);
  EXPECT_FALSE(m.linked.right[1]);
}

TEST(MatchingTest, TwoCopiesOfOneRecordAreHeldNotLinked) {
  Pools p;
  std::string key = derive_idempotency_key("p", "contacts", Side::kLeft, "l1");
  p.left = {ref("l1", {""})};
  p.right = {ref("r1", {""}, true, true, key), ref("r2", {""}, true, true, key)};
  Matching m = p.run();
  EXPECT_TRUE(m.copies.empty());
  EXPECT_TRUE(m.held.left[0] && m.held.right[0] && m.held.right[1]);
  ASSERT_EQ(m.notes.size(), 1u);
  EXPECT_NE(m.notes[0].find("more than one copy of one record"), std::string::npos);
}

TEST(MatchingTest, AKeyOfAnotherPipelineFindsNoCopy) {
  Pools p;
  std::string key = derive_idempotency_key("another", "contacts", Side::kLeft, "l1");
  p.left = {ref("l1", {""})};
  p.right = {ref("r1", {""}, true, true, key)};
  EXPECT_TRUE(p.run().copies.empty());
}

// The ambiguous groups are said in the order of their keys, however the
// matcher sorts them to find them (a hash of the key: ten groups, which in
// their hashes' order would come in key order once in 3.6 million).
TEST(MatchingTest, AmbiguousGroupsAreSaidInKeyOrder) {
  Pools p;
  std::vector<std::string> said;
  for (char c = 'a'; c <= 'j'; ++c) {
    std::string key = std::string("person") + c + "@example.org";
    p.left.push_back(ref(std::string("l") + c, {key}));
    p.left.push_back(ref(std::string("m") + c, {key}));
    p.right.push_back(ref(std::string("r") + c, {key}));
    said.push_back(std::string("ambiguous match on email (2 left, 1 right): left:l") + c + " left:m" + c + " right:r" + c +
                   "; not linked, not created");
  }
  p.left.push_back(ref("lz", {"z@x"}));
  p.right.push_back(ref("rz", {"z@x"}));
  Matching m = p.run();
  EXPECT_EQ(m.notes, said);
  EXPECT_EQ(m.matches, (Pairs{{20, 10}}));
}

// identity_key (engine/keys.cpp) reads a record's top-level identity fields
// off its text (issue 22); what it answers is what parsing the record whole
// and looking each pointer up answers: the last of a repeated key, numbers
// exact, escapes in keys and values, a field that is null or missing, an
// object or array named (the data parsed whole), nested pointers, data that
// is not an object or not JSON.
TEST(EngineMatchingTest, AnIdentityReadOffTheTextIsTheOneOfTheRecordParsedWhole) {
  auto parsed = [](const std::vector<std::string>& pointers, const std::string& data) {
    boost::system::error_code ec;
    boost::json::value v = json_exact::parse(data, ec);
    if (ec) return std::string();
    std::string key;
    for (const auto& ptr : pointers) {
      const boost::json::value* f = v.find_pointer(ptr, ec);
      if (!f || f->is_null()) return std::string();
      key += boost::json::serialize(*f) + '\x1f';
    }
    return key;
  };
  const std::vector<std::vector<std::string>> identities = {
      {"/size", "/receivedAt", "/headerDigest"}, {"/size"}, {"/a/b"}, {"/x~1y"}, {"/size", "/size"},
      {"/list"},                                 {"/obj"},  {""},     {"/"},     {"/0"}};
  const std::vector<std::string> records = {
      R"({"size":1243,"receivedAt":"2026-01-02T03:04:05Z","headerDigest":"abc","keywords":{"$seen":true}})",
      R"({"subject":"x","size":-7,"receivedAt":"t\"q\\u00e9\n","headerDigest":"d","size":12})",
      R"({"size":5e71,"receivedAt":"r","headerDigest":"h"})",
      R"({"size":-122.41941550000001,"receivedAt":"r","headerDigest":"h"})",
      R"({"size":18446744073709551615,"receivedAt":"r","headerDigest":null})",
      R"({"si\u007ae":3,"receivedAt":"r","headerDigest":"h","a":{"b":[1,{"size":9}]}})",
      R"({"size":3,"receivedAt":"r","nested":{"headerDigest":"no","size":8},"headerDigest":"yes"})",
      R"({"size":{"n":1},"receivedAt":"r","headerDigest":"h"})",
      R"({"size":1,"receivedAt":"r","headerDigest":"h","size":[1,2]})",
      R"({"size":[1,2],"receivedAt":"r","headerDigest":"h","size":4})",
      R"({"x/y":true,"list":[true,false],"obj":{},"":0})",
      R"({"size":true,"receivedAt":false,"headerDigest":0.5})",
      R"([{"size":1},2])",
      R"("size")",
      R"(12)",
      R"({"size":1,"receivedAt":"r","headerDigest":"h")",
      R"({"size":1,"receivedAt":"r","headerDigest":"h"} extra)",
      R"({})",
      "",
  };
  for (const auto& pointers : identities)
    for (const auto& data : records)
      EXPECT_EQ(identity_key(pointers, data), parsed(pointers, data))
          << "pointers " << pointers.front() << "… data " << data;
}
