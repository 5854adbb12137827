// SPDX-License-Identifier: Apache-2.0
// Journal reconciliation (engine/journal_plan.cpp), alone, over a real state
// in memory: the intents an interrupted run left in the journal in, the work
// that settles them out. A create whose write may have landed is sent again
// with the key it was first sent with (never a new one), so that the
// connector answers the record it made; one whose write did not land is sent
// the same way and made now. Updates and deletes are planned again; an
// update's target is watched, for it may have moved.
#include "engine/journal.hpp"
#include "engine/keys.hpp"

#include <gtest/gtest.h>

using namespace accord;

namespace {

struct Fixture {
  std::unique_ptr<StateStore> store = std::move(*StateStore::open(":memory:"));
  StreamPair sp;
  FieldMap fm{sp};
  std::string pipeline = "p";
  Planner planner{pipeline, sp, fm, {}};
  Fixture() { sp.name = "contacts"; }
  int64_t intent(const char* side, const char* op, std::string target, std::string source, std::string key,
                 std::string data) {
    return store->pair("contacts").journal().add({0, "contacts", side, op, std::move(target), std::move(source), std::move(key), std::move(data)});
  }
  JournalPlan run() {
    return plan_journal(
        store->pair("contacts").journal().list(),
        [&](Side s, const std::string& id) { return store->pair("contacts").mirror(s).find_data(id); }, planner);
  }
};

}  // namespace

TEST(JournalTest, AnInterruptedCreateIsSentAgainWithItsOwnKey) {
  Fixture f;
  f.store->pair("contacts").mirror(Side::kLeft).put(MirrorRow{"l1", "v1", "", R"({"name":"Ann"})", true, false, false, ""});
  // a key as an older version derived it: the resend must carry this one, not derive its own
  int64_t id = f.intent("right", "create", "", "l1", "accord-old-key", R"({"name":"Ann"})");
  JournalPlan p = f.run();
  ASSERT_EQ(p.resend.size(), 1u);
  const Item& it = p.resend[0];
  ASSERT_TRUE(it.op.right);
  EXPECT_FALSE(it.op.left);
  EXPECT_EQ(it.op.right->kind, OpKind::kCreate);
  EXPECT_TRUE(it.op.right->resend);
  EXPECT_EQ(it.op.right->idempotency_key, "accord-old-key");
  EXPECT_EQ(it.op.right->data.at("name"), "Ann");
  EXPECT_EQ(it.resumed_journal.right, id);  // the new intent replaces it
  // linked to its source when it lands (the row without its data)
  EXPECT_EQ(it.id.left, "l1");
  ASSERT_TRUE(it.row.left);
  EXPECT_EQ(it.row.left->data, "");
  EXPECT_EQ(it.quarantine_side_id.left, "l1");
  EXPECT_TRUE(p.stale.empty());
  EXPECT_EQ(p.dropped, 0);
}

TEST(JournalTest, ACreateWhoseSourceIsGoneIsSentAgainLinkedToNothing) {
  Fixture f;
  f.store->pair("contacts").mirror(Side::kRight).put(MirrorRow{"r1", "v1", "", "{}", true, false, true, ""});
  f.intent("left", "create", "", "r1", "accord-k", R"({"name":"Bo"})");
  JournalPlan p = f.run();
  ASSERT_EQ(p.resend.size(), 1u);
  EXPECT_TRUE(p.resend[0].op.left);
  EXPECT_TRUE(p.resend[0].id.right.empty());
  EXPECT_FALSE(p.resend[0].row.right);
}

TEST(JournalTest, AnInterruptedUpdateIsPlannedAgainAndItsTargetWatched) {
  Fixture f;
  int64_t id = f.intent("right", "update", "r5", "", "", R"({"name":"Cy"})");
  JournalPlan p = f.run();
  EXPECT_TRUE(p.resend.empty());
  EXPECT_EQ(p.stale, std::vector<int64_t>{id});  // done only when the new plan commits
  EXPECT_TRUE(p.unreadable.empty());
  EXPECT_EQ(p.inflight.right, std::set<std::string>{"r5"});
  EXPECT_TRUE(p.inflight.left.empty());
  EXPECT_EQ(p.dropped, 1);
}

TEST(JournalTest, AnInterruptedDeleteIsPlannedAgainNotWatched) {
  Fixture f;
  int64_t id = f.intent("left", "delete", "l5", "", "", "{}");
  JournalPlan p = f.run();
  EXPECT_EQ(p.stale, std::vector<int64_t>{id});
  EXPECT_TRUE(p.inflight.left.empty() && p.inflight.right.empty());
}

TEST(JournalTest, ACreateWithoutAKeyIsPlannedAgainNotResent) {
  Fixture f;
  int64_t id = f.intent("left", "create", "", "r1", "", R"({"name":"Di"})");
  JournalPlan p = f.run();
  EXPECT_TRUE(p.resend.empty());
  EXPECT_EQ(p.stale, std::vector<int64_t>{id});
}

TEST(JournalTest, ACreateWhoseDataIsNotARecordIsDoneAtOnce) {
  Fixture f;
  int64_t id = f.intent("left", "create", "", "r1", "accord-k", "[1,2]");
  JournalPlan p = f.run();
  EXPECT_TRUE(p.resend.empty());
  EXPECT_TRUE(p.stale.empty());
  EXPECT_EQ(p.unreadable, std::vector<int64_t>{id});
  EXPECT_EQ(p.dropped, 1);
}

TEST(JournalTest, EveryIntentIsSettledOnceInTheJournalsOrder) {
  Fixture f;
  f.intent("right", "create", "", "l1", "accord-a", R"({"n":1})");
  int64_t u = f.intent("left", "update", "l2", "", "", R"({"n":2})");
  f.intent("right", "create", "", "l3", "accord-b", R"({"n":3})");
  JournalPlan p = f.run();
  ASSERT_EQ(p.resend.size(), 2u);
  EXPECT_EQ(p.resend[0].op.right->idempotency_key, "accord-a");
  EXPECT_EQ(p.resend[1].op.right->idempotency_key, "accord-b");
  EXPECT_EQ(p.stale, std::vector<int64_t>{u});
}
