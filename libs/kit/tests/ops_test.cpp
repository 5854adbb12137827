// SPDX-License-Identifier: Apache-2.0
// The one op parser, result serialiser and apply_each.
#include <accord/kit/ops.hpp>

#include <gtest/gtest.h>

#include <stdexcept>

namespace json = boost::json;
namespace kit = accord::kit;

namespace {
int32_t status_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const accord::Error& e) {
    return e.status();
  }
  return ACCORD_OK;
}
}  // namespace

TEST(KitOps, ParsesEveryMemberOfAnOp) {
  auto ops = kit::parse_ops(R"([{"op":"create","idempotency_key":"k1","resend":true,"sent_at":"2026-12-06T18:26:00Z","first_sent_at":"2026-12-06T18:20:00Z","data":{"a":1}},
                                {"op":"update","id":"x","expect_version":"7","data":{"b":2}},
                                {"op":"delete","id":"y"}])");
  ASSERT_EQ(ops.size(), 3u);
  EXPECT_TRUE(ops[0].is_create());
  EXPECT_EQ(ops[0].idempotency_key, "k1");
  EXPECT_TRUE(ops[0].resend);
  EXPECT_FALSE(ops[0].find_only);
  EXPECT_EQ(ops[0].sent_at.value_or(""), "2026-12-06T18:26:00Z");
  EXPECT_EQ(ops[0].first_sent_at.value_or(""), "2026-12-06T18:20:00Z");
  EXPECT_EQ(ops[0].data.at("a"), 1);
  EXPECT_FALSE(ops[0].expect_version);
  EXPECT_TRUE(ops[1].is_update());
  EXPECT_EQ(*ops[1].expect_version, "7");
  EXPECT_FALSE(ops[1].resend);
  EXPECT_FALSE(ops[1].sent_at);
  EXPECT_FALSE(ops[1].first_sent_at);
  EXPECT_TRUE(ops[2].is_delete());
  EXPECT_TRUE(ops[2].data.empty());
}

// a look-up-only resend (ACCORD_CAP_FIND_ONLY): its find_only is read
TEST(KitOps, ReadsALookUpOnlyResend) {
  auto ops = kit::parse_ops(R"([{"op":"create","idempotency_key":"k","resend":true,"find_only":true,"data":{}}])");
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_TRUE(ops[0].resend);
  EXPECT_TRUE(ops[0].find_only);
}

// an update's "was" (the previous values of what it changes) is read; a
// create's is not (only updates carry one); absent, it is nullopt
TEST(KitOps, ReadsAnUpdatesWas) {
  auto ops = kit::parse_ops(R"([{"op":"update","id":"a","data":{"mailboxIds":{"P":true}},"was":{"mailboxIds":{"W":true}}},
                                {"op":"update","id":"b","data":{}},{"op":"create","data":{},"was":{"x":1}}])");
  ASSERT_EQ(ops.size(), 3u);
  ASSERT_TRUE(ops[0].was);
  EXPECT_EQ(json::value(*ops[0].was), json::parse(R"({"mailboxIds":{"W":true}})"));
  EXPECT_FALSE(ops[1].was);
  EXPECT_FALSE(ops[2].was);
  EXPECT_EQ(status_of([] { kit::parse_ops(R"([{"op":"update","id":"a","data":{},"was":[]}])"); }), ACCORD_ERROR);
}

// The host reads a record nested up to 32 levels from its own object, so a
// record's data up to 31; an op carries it two levels down ([{"data": …}]).
// Parsed at the records' 32, the ops of a batch holding one such record all
// failed as "ops must be a JSON array" (review s18 F0), the others with it.
TEST(KitOps, AnOpCarriesTheDeepestDataAHostReads) {
  auto nested = [](int levels) {  // data nested `levels` deep: {"emails":…,"name":{"full":[[…1…]]}}
    return R"({"emails":{"e1":{"address":"deep@example.org"}},"name":{"full":)" + std::string(levels - 2, '[') + "1" +
           std::string(levels - 2, ']') + "}}";
  };
  std::string data = nested(31);
  EXPECT_FALSE(json::parse(R"({"id":"l-5","data":)" + data + "}", {}, {}).is_null());  // a record the host reads
  std::string ops = R"([{"op":"update","id":"a","data":{"n":1}},{"op":"update","id":"l-5","data":)" + data +
                    R"(,"was":)" + data + "}]";
  auto parsed = kit::parse_ops(ops);
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(json::serialize(parsed[1].data), data);
  EXPECT_EQ(json::serialize(*parsed[1].was), data);
  // deeper than any record the host reads: still refused
  EXPECT_EQ(status_of([&] { kit::parse_ops(R"([{"op":"create","data":)" + nested(32) + "}]"); }), ACCORD_ERROR);
}

TEST(KitOps, MalformedOpsFailTheCallNamingTheOp) {
  for (const char* bad : {"{}", "[1]", R"([{"op":"move","id":"x"}])", R"([{"op":"update","data":{}}])",
                          R"([{"op":"create"}])", R"([{"op":"create","data":[]}])", R"([{"op":"delete","id":5}])",
                          R"([{"op":"create","resend":true,"sent_at":1765045560,"data":{}}])"})
    EXPECT_EQ(status_of([&] { kit::parse_ops(bad); }), ACCORD_ERROR) << bad;
  try {
    kit::parse_ops(R"([{"op":"delete","id":"a"},{"op":"update","id":"b"}])");
    FAIL();
  } catch (const accord::Error& e) {
    EXPECT_STREQ(e.what(), "op /1: update needs \"data\"");
  }
}

TEST(KitOps, ParsesIds) {
  EXPECT_EQ(kit::parse_ids(R"(["a","b"])"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(status_of([] { kit::parse_ids(R"(["a",1])"); }), ACCORD_ERROR);
}

TEST(KitOps, ResultsLeaveEmptyMembersOut) {
  std::vector<kit::Result> rs{kit::Result::ok("id1", "v1"), kit::Result::conflict("changed", "id2", "v9"),
                              kit::Result::error("no")};
  rs[0].data = json::object{{"kind", "individual"}};
  kit::Result retry = kit::Result::failed("retry", "busy");
  retry.retry_after_s = 3;
  rs.push_back(retry);
  EXPECT_EQ(kit::results_json(rs),
            R"([{"status":"ok","id":"id1","version":"v1","data":{"kind":"individual"}},)"
            R"({"status":"conflict","id":"id2","version":"v9","message":"changed"},)"
            R"({"status":"error","message":"no"},{"status":"retry","message":"busy","retry_after":3}])");
  EXPECT_EQ(kit::results_json({}), "[]");
  kit::Result d = kit::Result::ok("x");
  d.with_data_text(R"({"a":[1]})");
  EXPECT_EQ(json::serialize(d.to_json()), R"({"status":"ok","id":"x","data":{"a":[1]}})");
}

TEST(KitOps, ApplyEachMapsWhatAnOpThrowsToItsStatus) {
  auto ops = kit::parse_ops(R"([{"op":"delete","id":"a"},{"op":"delete","id":"b"},{"op":"delete","id":"c"},
                                {"op":"delete","id":"d"},{"op":"delete","id":"e"}])");
  auto rs = kit::apply_each(ops, [](const kit::Op& op) -> kit::Result {
    if (op.id == "a") return kit::Result::ok(op.id, "1");
    if (op.id == "b") throw accord::Error(ACCORD_CONFLICT, "changed");
    if (op.id == "c") throw accord::Error(ACCORD_RETRY, "later", 1500);
    if (op.id == "d") throw std::runtime_error("broken");
    throw accord::Error(ACCORD_UNSUPPORTED, "cannot");
  });
  ASSERT_EQ(rs.size(), 5u);
  EXPECT_EQ(rs[0].status, "ok");
  EXPECT_EQ(rs[1].status, "conflict");
  EXPECT_EQ(rs[1].id, "b");
  EXPECT_EQ(rs[1].message, "changed");
  EXPECT_EQ(rs[2].status, "retry");
  EXPECT_EQ(rs[2].retry_after_s, 2);  // rounded up
  EXPECT_EQ(rs[3].status, "error");
  EXPECT_EQ(rs[3].message, "broken");
  EXPECT_EQ(rs[4].status, "unsupported");
}

TEST(KitOps, ApplyEachLetsCancelRefusedCredentialsAndNamedTypesEndTheCall) {
  auto ops = kit::parse_ops(R"([{"op":"delete","id":"a"}])");
  EXPECT_EQ(status_of([&] { kit::apply_each(ops, [](const kit::Op&) -> kit::Result { throw accord::Error(ACCORD_CANCELLED, "c"); }); }),
            ACCORD_CANCELLED);
  EXPECT_EQ(status_of([&] {
              kit::apply_each(ops, [](const kit::Op&) -> kit::Result { throw accord::Error(ACCORD_AUTH_REQUIRED, "a"); });
            }),
            ACCORD_AUTH_REQUIRED);
  EXPECT_THROW(kit::apply_each<std::out_of_range>(ops, [](const kit::Op&) -> kit::Result { throw std::out_of_range("gone"); }),
               std::out_of_range);
  // not named: an op's error
  EXPECT_EQ(kit::apply_each<std::length_error>(ops, [](const kit::Op&) -> kit::Result { throw std::out_of_range("x"); })[0].status,
            "error");
  int calls = 0;
  EXPECT_EQ(status_of([&] {
              kit::apply_each(ops, [&](const kit::Op& op) { ++calls; return kit::Result::ok(op.id); }, [] { return true; });
            }),
            ACCORD_CANCELLED);
  EXPECT_EQ(calls, 0);
}

TEST(KitOps, StatusNameIsTheNameAResultCarries) {
  // as the kit always spelled them: every result status by its name, and
  // "error" for what no op answers (CURSOR_EXPIRED) or no code names
  const std::pair<int32_t, const char*> names[] = {
      {ACCORD_OK, "ok"},         {ACCORD_RETRY, "retry"},         {ACCORD_ERROR, "error"},
      {ACCORD_AUTH_REQUIRED, "auth_required"}, {ACCORD_CURSOR_EXPIRED, "error"}, {ACCORD_CONFLICT, "conflict"},
      {ACCORD_UNSUPPORTED, "unsupported"},     {ACCORD_CANCELLED, "cancelled"},   {-1, "error"}, {99, "error"}};
  for (auto [code, name] : names) EXPECT_STREQ(kit::status_name(code), name) << code;
  EXPECT_EQ(kit::Result::conflict("changed", "a", "2").status, "conflict");
}
