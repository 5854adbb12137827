// SPDX-License-Identifier: Apache-2.0
// A plan's fingerprint (engine/sync_run.cpp, OpFingerprint): FNV-1a over
// each op's side, kind, ids and changes' text, in the plan's order. `plan
// --out` saves it and `apply --plan` compares it, so its bytes must not move
// between builds: here against the definition written out the slow way
// (an object of the changes through json::serialize), and one pinned value.
#include "engine/sync_run.hpp"

#include <accord/text/content_hash.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <random>

namespace json = boost::json;
using namespace accord;

namespace {

uint64_t by_definition(const std::vector<PlannedOp>& ops) {
  uint64_t fp = hash::kFnvOffset;
  for (const auto& op : ops) {
    json::object ch;
    for (const auto& [k, v] : op.changes) ch[k] = v ? *v : json::value(nullptr);
    std::string changes = json::serialize(ch);
    for (std::string_view part : {std::string_view(op.side == Side::kLeft ? "left" : "right"), std::string_view(op.op),
                                  std::string_view(op.id), std::string_view(op.source_id), std::string_view(changes),
                                  std::string_view("\n")})
      fp = hash::fnv1a(part, fp);
  }
  return fp;
}

PlannedOp op(Side side, std::string kind, std::string id, std::string source, Changes changes) {
  PlannedOp o;
  o.side = side;
  o.op = std::move(kind);
  o.id = std::move(id);
  o.source_id = std::move(source);
  o.changes = std::move(changes);
  return o;
}

uint64_t fingerprint(const std::vector<PlannedOp>& ops) {
  OpFingerprint fp;
  for (const auto& o : ops) fp.add(o);
  return fp.value();
}

}  // namespace

TEST(OpFingerprintTest, IsFnvOverEachOpsPartsAndItsChangesAsJsonText) {
  std::vector<PlannedOp> ops;
  ops.push_back(op(Side::kRight, "create", "", "l1",
                   {{"email", json::value("ann@example.org")},
                    {"name", json::parse(R"({"first":"Ann \"A\" \\","last":"Öz\n\t\u0001"})")},
                    {"phones", json::parse(R"([1,-2,3.5,1e300,18446744073709551615,true,false,null])")}}));
  ops.push_back(op(Side::kLeft, "update", "l2", "r2", {{"gone", std::nullopt}, {"note", json::value(nullptr)}, {"x", json::value("")}}));
  ops.push_back(op(Side::kLeft, "delete", "l3", "", {}));
  EXPECT_EQ(fingerprint(ops), by_definition(ops));
  // (pinned: the value 92a61f0's serialize-a-copy code gave these three ops)
  EXPECT_EQ(fingerprint(ops), 9507981926632120227u) << "pinned value";
}

TEST(OpFingerprintTest, AgreesWithItsDefinitionOverRandomChanges) {
  std::mt19937 rng(7);
  auto text = [&](size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s += static_cast<char>(rng() % 128);  // every ASCII byte, controls, quotes
    return s;
  };
  std::function<json::value(int)> value = [&](int depth) -> json::value {
    switch (rng() % (depth > 2 ? 5 : 7)) {
      case 0: return nullptr;
      case 1: return static_cast<int64_t>(rng()) - (1ll << 31);
      case 2: return static_cast<double>(rng()) / 7.0;
      case 3: return json::value(json::string(text(rng() % 40)));
      case 4: return rng() % 2 == 0;
      case 5: {
        json::array a;
        for (size_t i = rng() % 4; i > 0; --i) a.push_back(value(depth + 1));
        return a;
      }
      default: {
        json::object o;
        for (size_t i = rng() % 4; i > 0; --i) o[text(rng() % 8)] = value(depth + 1);
        return o;
      }
    }
  };
  for (int round = 0; round < 300; ++round) {
    std::vector<PlannedOp> ops;
    for (size_t n = rng() % 4; n > 0; --n) {
      Changes ch;
      for (size_t k = rng() % 6; k > 0; --k) {
        if (rng() % 5 == 0) ch[text(rng() % 10)] = std::nullopt;
        else ch[text(rng() % 10)] = value(0);
      }
      ops.push_back(op(rng() % 2 ? Side::kLeft : Side::kRight, "update", text(5), text(5), std::move(ch)));
    }
    ASSERT_EQ(fingerprint(ops), by_definition(ops)) << "round " << round;
  }
}
