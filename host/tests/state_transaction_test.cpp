// SPDX-License-Identifier: Apache-2.0
// Transactions through the store (StateStore::Transaction): what a pair's
// views write inside one that is not committed (left early, or by an
// exception) is not in the state after, to the last table; a committed one
// is; a deferred one, on the staging tables only, keeps no other writer out.
#include "state_test_util.hpp"

#include <stdexcept>

using namespace accord;
using accord::state_test::row;
using accord::state_test::StateFile;

namespace {

// One write of every concern of pair p.
void write_everything(StateStore& s) {
  PairState p = s.pair("p");
  p.set_cursor(Side::kLeft, "c9");
  p.mirror(Side::kLeft).put(row("a", "{\"n\":1}", "t", true));
  int64_t after = p.mirror(Side::kRight).put(row("x", "{\"n\":2}"));
  p.links().put({"a", "x", "", ""});
  p.journal().add({0, "", "right", "update", "x", "a", "k1", "{}"});
  p.quarantine().add(Side::kLeft, "a", "it failed", 0);
  p.unreadable().note(Side::kLeft, {{"", "", "b", "b", "local", "contact", "/name", "not text", ""}}, {}, false);
  p.conflicts().add({0, "", "a", "x", "/name", "\"A\"", "\"B\"", "", ""});
  int64_t run = s.begin_run("sync");
  p.history().add({0, run, "", "right", "x", "update", "v2", "a", std::nullopt, std::nullopt}, 0, after);
  s.bump_generation();
}

// How many rows the state holds in each table a pair's views write, and its generation.
std::string contents(const StateFile& f) {
  std::string out;
  for (const char* t : {"cursors", "mirror_rows", "record_data", "dirty", "links", "link_rights", "journal",
                        "quarantine", "unreadable", "conflicts", "history", "runs"})
    out += std::string(t) + "=" + std::to_string(f.count(std::string("SELECT count(*) FROM ") + t)) + " ";
  return out + "generation=" + std::to_string(f.count("SELECT value FROM meta WHERE key = 'generation'"));
}

const char* kEmpty =
    "cursors=0 mirror_rows=0 record_data=0 dirty=0 links=0 link_rights=0 journal=0 quarantine=0 unreadable=0 "
    "conflicts=0 history=0 runs=0 generation=0";

}  // namespace

TEST(StateTransactionTest, ATransactionLeftUncommittedLeavesNothingInAnyTable) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  {
    StateStore::Transaction tx(*s);
    write_everything(*s);
  }
  EXPECT_EQ(contents(f), kEmpty);
  EXPECT_FALSE(s->pair("p").mirror(Side::kLeft).any());  // nor in the store's own connection
  EXPECT_FALSE(s->pair("p").cursor(Side::kLeft));
}

TEST(StateTransactionTest, ATransactionLeftByAnExceptionLeavesNothing) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  EXPECT_THROW(
      {
        StateStore::Transaction tx(*s);
        write_everything(*s);
        throw std::runtime_error("a connector failed");
      },
      std::runtime_error);
  EXPECT_EQ(contents(f), kEmpty);
}

TEST(StateTransactionTest, ACommittedTransactionKeepsEveryWrite) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  {
    StateStore::Transaction tx(*s);
    write_everything(*s);
    tx.commit();
  }
  EXPECT_EQ(contents(f),
            "cursors=1 mirror_rows=2 record_data=2 dirty=1 links=1 link_rights=1 journal=1 quarantine=1 unreadable=1 "
            "conflicts=1 history=1 runs=1 generation=1");
}

TEST(StateTransactionTest, ADeferredTransactionOnStagingKeepsNoOtherWriterOut) {
  StateFile f;
  auto reading = f.open();
  auto other = f.open();  // another pair of the same run, on its own connection
  ASSERT_TRUE(reading && other);
  other->wait_for_writers(std::chrono::milliseconds(0));  // busy fails at once
  StateStore::Transaction staging(*reading, StateStore::Transaction::kDeferred);
  reading->staging().reset();
  reading->staging().add(Side::kLeft, {"a", "v1", "t", "{}", "", false, true, {0, 0}});
  {
    StateStore::Transaction tx(*other);
    other->pair("q").mirror(Side::kLeft).put(row("b", "{}"));
    tx.commit();
  }
  staging.commit();
  int staged = 0;
  reading->staging().for_each(Side::kLeft, [&](StagedRow& r) { staged += r.id == "a"; });
  EXPECT_EQ(staged, 1);
  EXPECT_EQ(f.count("SELECT count(*) FROM mirror_rows WHERE pair = 'q'"), 1);
}
