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

// A state of schema 10 knows no filter its records were judged by: it
// migrates with its rows as they were and no mark (its next run takes the
// pipeline's filter as the mark, judging nothing again: PairRun::
// rejudge_filter). The store's re-judge itself, asked: every row passes an
// empty filter, those out of the old one come back in, dirty.
TEST(StateSchemaTest, SchemaTenKeepsItsRowsAndKnowsNoFilterMark) {
  StateFile f;
  {
    sql::Db db(f.path.string());
    for (int v = 0; v < 10; ++v) db.exec(StateStore::migration(v));
    db.exec(
        "INSERT INTO record_data VALUES (1, '{\"c\":\"Sync\"}', 1), (2, '{\"c\":\"Other\"}', 1);"
        "INSERT INTO mirror_rows VALUES ('p', 'left', 'a', 'v', 't', 1, 1, 0, ''), ('p', 'left', 'b', 'v', 't', 2, 0, 0, '');"
        "PRAGMA user_version = 10;");
  }
  auto s = f.open();
  ASSERT_TRUE(s);
  EXPECT_EQ(f.count("PRAGMA user_version"), kStateSchemaVersion);
  EXPECT_FALSE(s->filter_mark("p", Side::kLeft));
  EXPECT_EQ(f.count("SELECT count(*) FROM mirror_rows WHERE included = 0"), 1);
  auto r = s->rejudge_included("p", Side::kLeft, {});
  EXPECT_EQ(r.judged, 1);  // (only the rows out of it are read)
  EXPECT_EQ(r.in, 1);
  EXPECT_EQ(r.out, 0);
  s->set_filter_mark("p", Side::kLeft, "[]");
  EXPECT_EQ(s->filter_mark("p", Side::kLeft).value_or(""), "[]");
  EXPECT_FALSE(s->filter_mark("p", Side::kRight));
  EXPECT_EQ(f.count("SELECT count(*) FROM mirror_rows WHERE included = 0"), 0);
  EXPECT_EQ(f.count("SELECT count(*) FROM dirty WHERE pair = 'p' AND side = 'left' AND id = 'b'"), 1);
  EXPECT_EQ(f.count("SELECT count(*) FROM dirty"), 1);
}

// Judging again goes a batch at a time over every live row of the side: the
// rows whose verdict flips (either way) are marked dirty, the others are not
// touched; a row it cannot judge keeps its verdict, a deleted row its last;
// the other side and the other pairs are not read.
TEST(StateSchemaTest, RejudgingFlipsOnlyTheRowsWhoseVerdictChangedAndMarksThemDirty) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  MirrorSide left = s->pair("p").mirror(Side::kLeft);
  auto put = [&](MirrorSide m, const std::string& id, const std::string& data, bool included, bool deleted = false) {
    MirrorRow r = state_test::row(id, data);
    r.included = included;
    r.deleted = deleted;
    m.put(r);
  };
  put(left, "a", R"({"c":"in"})", true);    // stays in
  put(left, "b", R"({"c":"out"})", true);   // goes out
  put(left, "c", R"({"c":"in"})", false);   // comes back
  put(left, "d", "not json", false);        // cannot be judged: stays out
  put(left, "e", R"({"c":"in"})", false, true);  // deleted: keeps its last verdict
  put(left, "f", R"({"c":"out"})", false);  // stays out
  put(s->pair("p").mirror(Side::kRight), "b", R"({"c":"out"})", true);
  put(s->pair("q").mirror(Side::kLeft), "b", R"({"c":"out"})", true);
  int batches = 0;
  auto r = s->rejudge_included(
      "p", Side::kLeft,
      [](std::string_view data) -> std::optional<bool> {
        if (data.front() != '{') return std::nullopt;
        return data.find("\"in\"") != std::string_view::npos;
      },
      2, [&] { ++batches; });
  EXPECT_EQ(batches, 3);  // a, b | c, d | f
  EXPECT_EQ(r.judged, 5);
  EXPECT_EQ(r.in, 1);
  EXPECT_EQ(r.out, 1);
  auto included = [&](const std::string& pair, const char* side, const char* id) {
    return f.count("SELECT included FROM mirror_rows WHERE pair = '" + pair + "' AND side = '" + side + "' AND id = '" +
                   id + "'");
  };
  EXPECT_EQ(included("p", "left", "a"), 1);
  EXPECT_EQ(included("p", "left", "b"), 0);
  EXPECT_EQ(included("p", "left", "c"), 1);
  EXPECT_EQ(included("p", "left", "d"), 0);
  EXPECT_EQ(included("p", "left", "e"), 0);
  EXPECT_EQ(included("p", "left", "f"), 0);
  EXPECT_EQ(included("p", "right", "b"), 1);
  EXPECT_EQ(included("q", "left", "b"), 1);
  EXPECT_EQ(f.count("SELECT count(*) FROM dirty WHERE pair = 'p' AND side = 'left' AND id IN ('b', 'c')"), 2);
  EXPECT_EQ(f.count("SELECT count(*) FROM dirty"), 2);
}

// A linked pair one of whose live records is out of its filter is parked:
// `accord status` counts them (a deleted one is not: its pair is unlinked).
TEST(StateSchemaTest, ParkedCountsTheLinksWithARecordOutOfItsFilter) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  PairState p = s->pair("p");
  auto put = [&](Side side, const std::string& id, bool included, bool deleted = false) {
    MirrorRow r = state_test::row(id, "{}");
    r.included = included;
    r.deleted = deleted;
    p.mirror(side).put(r);
  };
  put(Side::kLeft, "a", true), put(Side::kRight, "x", true);
  put(Side::kLeft, "b", false), put(Side::kRight, "y", true);
  put(Side::kLeft, "c", true), put(Side::kRight, "z", false);
  put(Side::kLeft, "d", false, true), put(Side::kRight, "w", true);
  p.links().add({{"a", "x"}, {"b", "y"}, {"c", "z"}, {"d", "w"}});
  EXPECT_EQ(s->parked("p"), 2);
  EXPECT_EQ(s->parked("q"), 0);
}
