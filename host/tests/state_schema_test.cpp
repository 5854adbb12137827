// SPDX-License-Identifier: Apache-2.0
// The state's schema (state/schema.cpp): a state left by any older accord
// migrates to this one with what it held, one step after another; a state
// newer than this program is refused and left as it is.
#include "state_test_util.hpp"

using namespace accord;
using accord::state_test::StateFile;

namespace {

// The state's schema as SQLite prints it, every object by name.
std::string schema_of(const StateFile& f) {
  sql::Db db(f.path.string());
  sql::Stmt q(db, "SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_master ORDER BY name");
  std::string out;
  while (q.step()) out += std::string(q.text(0)) + "\n";
  return out;
}

}  // namespace

TEST(StateSchemaTest, SchemaTwoMigratesItsLinksToBeFoundByTheirRightId) {
  StateFile f;
  {
    sql::Db db(f.path.string());
    for (int v = 0; v < 2; ++v) db.exec(StateStore::migration(v));  // schema 2: links found by right through an index
    db.exec(
        "INSERT INTO links VALUES ('p', 'a', 'x', '', ''), ('p', 'b', 'y', '{\"n\":1}', ''), ('q', 'a', 'z', '', '');"
        "PRAGMA user_version = 2;");
  }
  auto s = f.open();
  ASSERT_TRUE(s);
  auto by_right = s->pair("p").links().find(Side::kRight, "y");
  ASSERT_TRUE(by_right);
  EXPECT_EQ(by_right->left_id, "b");
  EXPECT_EQ(by_right->base_left, "{\"n\":1}");
  auto other_pair = s->pair("q").links().find(Side::kRight, "z");
  ASSERT_TRUE(other_pair);
  EXPECT_EQ(other_pair->left_id, "a");
  EXPECT_FALSE(s->pair("p").links().find(Side::kRight, "z"));
  EXPECT_EQ(f.count("SELECT count(*) FROM link_rights"), 3);
  EXPECT_EQ(f.count("SELECT count(*) FROM sqlite_master WHERE name = 'links_right'"), 0);
  EXPECT_EQ(f.count("PRAGMA user_version"), kStateSchemaVersion);
}

TEST(StateSchemaTest, AStateOfEveryOlderVersionMigratesToTheSchemaOfANewOne) {
  StateFile fresh;
  ASSERT_TRUE(fresh.open());
  std::string want = schema_of(fresh);
  for (int from = 0; from < kStateSchemaVersion; ++from) {
    StateFile f;
    {
      sql::Db db(f.path.string());
      for (int v = 0; v < from; ++v) db.exec(StateStore::migration(v));
      db.exec("PRAGMA user_version = " + std::to_string(from));
    }
    ASSERT_TRUE(f.open()) << "from " << from;
    EXPECT_EQ(schema_of(f), want) << "from " << from;
    EXPECT_EQ(f.count("PRAGMA user_version"), kStateSchemaVersion) << "from " << from;
  }
  EXPECT_EQ(StateStore::migration(kStateSchemaVersion), nullptr);
  EXPECT_EQ(StateStore::migration(-1), nullptr);
}

TEST(StateSchemaTest, AStateNewerThanThisProgramIsRefusedAndLeftAsItIs) {
  StateFile f;
  {
    auto s = f.open();
    ASSERT_TRUE(s);
    s->pair("p").set_cursor(Side::kLeft, "c1");
  }
  {
    sql::Db db(f.path.string());
    db.exec("PRAGMA user_version = " + std::to_string(kStateSchemaVersion + 1));
  }
  auto again = StateStore::open(f.path);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("newer accord"), std::string::npos) << again.error().message;
  EXPECT_EQ(f.count("PRAGMA user_version"), kStateSchemaVersion + 1);
  EXPECT_EQ(f.count("SELECT count(*) FROM cursors WHERE cursor = 'c1'"), 1);
}

TEST(StateSchemaTest, SchemaFiveKeepsItsLinksBasesAndGainsBasesKeptByReference) {
  StateFile f;
  {
    sql::Db db(f.path.string());
    for (int v = 0; v < 5; ++v) db.exec(StateStore::migration(v));
    db.exec(
        "INSERT INTO links VALUES ('p', 'a', 'x', '{\"n\":1}', ''), ('p', 'b', 'y', '', '');"
        "INSERT INTO link_rights VALUES ('p', 'x', 'a'), ('p', 'y', 'b');"
        "PRAGMA user_version = 5;");
  }
  auto s = f.open();
  ASSERT_TRUE(s);
  auto a = s->pair("p").links().find(Side::kRight, "x");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->base_left, "{\"n\":1}");
  EXPECT_EQ(a->kept_left.id + a->kept_right.id, 0);
  auto b = s->pair("p").links().find(Side::kLeft, "b");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->right_id, "y");
  EXPECT_EQ(f.count("SELECT count(*) FROM link_bases"), 0);
  EXPECT_EQ(f.count("PRAGMA user_version"), kStateSchemaVersion);
}

// A state of schema 7 keeps its creates answered retry, each counted as one
// try with its answer unknown and its time as it was (the first try's), and
// the next try counts two.
TEST(StateSchemaTest, SchemaSevenKeepsItsCreatesAnsweredRetryCountedOnce) {
  StateFile f;
  {
    sql::Db db(f.path.string());
    for (int v = 0; v < 7; ++v) db.exec(StateStore::migration(v));
    db.exec(
        "INSERT INTO retried_creates VALUES ('p', 'right', 'k-a', 'a', '{\"n\":1}', '2026-01-02T03:04:05Z');"
        "PRAGMA user_version = 7;");
  }
  auto s = f.open();
  ASSERT_TRUE(s);
  EXPECT_EQ(f.count("PRAGMA user_version"), kStateSchemaVersion);
  Journal p = s->pair("p").journal();
  auto kept = p.retried_creates();
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].side, "right");
  EXPECT_EQ(kept[0].source_id, "a");
  EXPECT_EQ(kept[0].idem_key, "k-a");
  EXPECT_EQ(kept[0].data, "{\"n\":1}");
  EXPECT_EQ(kept[0].created, "2026-01-02T03:04:05Z");
  EXPECT_EQ(kept[0].tries, 1);
  EXPECT_EQ(kept[0].last_answer, "");
  p.retried({{0, "", "right", "create", "", "a", "k-a", "{\"n\":1}", "2026-01-02T03:04:05Z", 0, "the look-up failed"}});
  kept = p.retried_creates();
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].tries, 2);
  EXPECT_EQ(kept[0].last_answer, "the look-up failed");
  EXPECT_EQ(kept[0].created, "2026-01-02T03:04:05Z");
}

// A state of schema 8 keeps its creates answered retry, none parked (each
// is sent again, or parked again with its reason, by the next run); a
// create parked says why until a try of it is kept again (it was sent).
TEST(StateSchemaTest, SchemaEightKeepsItsCreatesAnsweredRetryNoneParked) {
  StateFile f;
  {
    sql::Db db(f.path.string());
    for (int v = 0; v < 8; ++v) db.exec(StateStore::migration(v));
    db.exec(
        "INSERT INTO retried_creates VALUES ('p', 'right', 'k-a', 'a', '{\"n\":1}', '2026-01-02T03:04:05Z', 2, 'lost');"
        "PRAGMA user_version = 8;");
  }
  auto s = f.open();
  ASSERT_TRUE(s);
  EXPECT_EQ(f.count("PRAGMA user_version"), kStateSchemaVersion);
  Journal p = s->pair("p").journal();
  auto kept = p.retried_creates();
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].tries, 2);
  EXPECT_EQ(kept[0].last_answer, "lost");
  EXPECT_EQ(kept[0].parked, "");
  p.park({{"right", "k-a"}}, "filter");
  EXPECT_EQ(p.retried_creates().at(0).parked, "filter");
  p.retried({{0, "", "right", "create", "", "a", "k-a", "{\"n\":1}", "2026-01-02T03:04:06Z", 0, "the look-up failed"}});
  kept = p.retried_creates();
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].parked, "");
  EXPECT_EQ(kept[0].tries, 3);
}
