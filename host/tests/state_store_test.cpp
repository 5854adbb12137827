// SPDX-License-Identifier: Apache-2.0
// The state store's first-sync load (data appended once, shared where equal,
// mirror rows in id order, an id read twice counted once, its later copy),
// the data rows' reference counts, links found from either side and held
// once, and the migration from schema 1.
#include "state/state_store.hpp"
#include "state_test_util.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

using accord::MirrorRef;
using accord::MirrorRow;
using accord::Side;
using accord::StateStore;
using accord::state_test::StateFile;
namespace sql = accord::sql;

namespace {

MirrorRef loaded(StateStore& s, const std::string& id, const std::string& data, const std::string& keys) {
  MirrorRef r;
  r.set(id, keys, "v-" + data, "2026-11-21T00:00:00Z");
  r.dirty = true;
  r.data_id = s.pair("").load().data({data})[0];
  return r;
}

// The first column of the first row sql answers, through a connection of
// its own (what is committed; -1: no row).
int64_t count_at(const std::string& path, const std::string& sql_text) {
  sql::Db db(path);
  sql::Stmt q(db, sql_text);
  return q.step() ? q.i64(0) : -1;
}

}  // namespace

TEST(StateStoreTest, FirstSyncLoadSharesEveryTwinInABatchAndAcrossBatches) {
  // Enough data that the waiting digests are grown and taken many times over.
  StateFile file;
  auto st = StateStore::open(file.path);
  ASSERT_TRUE(st) << st.error().message;
  StateStore& s = **st;
  const int n = 6000;
  std::vector<std::string> text;
  for (int i = 0; i < n; ++i) text.push_back("{\"n\":" + std::to_string(i) + "}");
  std::vector<std::string_view> left(text.begin(), text.end());
  std::vector<int64_t> left_ids = s.pair("").load().data(left);
  // the right side: the same data backwards, in three batches, the last one
  // holding one datum twice (its second copy waits for a twin of its own)
  std::vector<int64_t> right_ids;
  for (int b = 0; b < 3; ++b) {
    std::vector<std::string_view> batch;
    for (int i = n - 1 - b * (n / 3); i >= n - (b + 1) * (n / 3); --i) batch.push_back(text[i]);
    if (b == 2) batch.push_back(text[0]);
    std::vector<int64_t> ids = s.pair("").load().data(batch);
    right_ids.insert(right_ids.end(), ids.begin(), ids.end());
  }
  s.pair("").load().done();
  ASSERT_EQ(right_ids.size(), static_cast<size_t>(n) + 1);
  for (int i = 0; i < n; ++i) ASSERT_EQ(right_ids[n - 1 - i], left_ids[i]) << text[i];
  EXPECT_NE(right_ids[n], left_ids[0]);
  EXPECT_EQ(file.count("SELECT count(*) FROM record_data"), n + 1);
  EXPECT_EQ(file.count("SELECT count(*) FROM record_data WHERE refs = 2"), n);
  EXPECT_EQ(file.count("SELECT count(DISTINCT data) FROM record_data"), n);
}

TEST(StateStoreTest, FirstSyncLoadKeepsTheLaterCopyOfARepeatedIdAndEqualDataOnce) {
  StateFile file;
  auto st = StateStore::open(file.path);
  ASSERT_TRUE(st) << st.error().message;
  StateStore& s = **st;
  std::vector<MirrorRef> left, right;
  left.push_back(loaded(s, "b", "{\"n\":2}", "b@x"));
  left.push_back(loaded(s, "a", "{\"n\":1}", "old@x"));
  left.push_back(loaded(s, "a", "{\"n\":3}", "new@x"));
  right.push_back(loaded(s, "ra", "{\"n\":3}", "new@x"));  // equal to left a's data: one row
  right.push_back(loaded(s, "rb", "{\"n\":4}", "rb@x"));
  s.pair("p").load().rows(Side::kLeft, left, s.pair("").load().drop_superseded(left));
  s.pair("p").load().rows(Side::kRight, right, s.pair("").load().drop_superseded(right));
  s.pair("").load().done();
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].id(), "b");  // in the order read, the later copy of a
  EXPECT_EQ(left[1].id(), "a");
  EXPECT_EQ(left[1].keys(), "new@x");
  EXPECT_TRUE(left[1].version().empty());  // planning needs no more of it
  auto a = s.pair("p").mirror(Side::kLeft).find("a");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->data, "{\"n\":3}");
  EXPECT_EQ(a->version, "v-{\"n\":3}");
  EXPECT_FALSE(a->dirty);
  EXPECT_EQ(s.pair("p").mirror(Side::kRight).find("ra")->data, "{\"n\":3}");
  EXPECT_FALSE(s.pair("p").mirror(Side::kRight).find("a"));
  // {"n":1} went with its superseded copy; {"n":3} is kept once for two rows
  EXPECT_EQ(file.count("SELECT count(*) FROM record_data"), 3);
  EXPECT_EQ(file.count("SELECT refs FROM record_data WHERE data = '{\"n\":3}'"), 2);
  s.pair("p").mirror(Side::kLeft).mark_dirty({"b"});
  EXPECT_TRUE(s.pair("p").mirror(Side::kLeft).find("b")->dirty);
  EXPECT_FALSE(s.pair("p").mirror(Side::kLeft).find("a")->dirty);

  // One side's change leaves the other's data as it was.
  MirrorRow changed = *a;
  changed.data = "{\"n\":5}";
  s.pair("p").mirror(Side::kLeft).put(changed);
  EXPECT_EQ(s.pair("p").mirror(Side::kLeft).find("a")->data, "{\"n\":5}");
  EXPECT_EQ(s.pair("p").mirror(Side::kRight).find("ra")->data, "{\"n\":3}");
  EXPECT_EQ(file.count("SELECT refs FROM record_data WHERE data = '{\"n\":3}'"), 1);
  // Unchanged data keeps its row; a dropped row takes its data with it.
  int64_t rows = file.count("SELECT count(*) FROM record_data");
  s.pair("p").mirror(Side::kLeft).put(changed);
  EXPECT_EQ(file.count("SELECT count(*) FROM record_data"), rows);
  s.pair("p").mirror(Side::kRight).drop("ra");
  s.pair("p").mirror(Side::kLeft).drop("a");
  EXPECT_EQ(file.count("SELECT count(*) FROM record_data WHERE data IN ('{\"n\":3}', '{\"n\":5}')"), 0);
  EXPECT_EQ(file.count("SELECT count(*) FROM mirror"), 2);  // the view: b and rb
}

TEST(StateStoreTest, DataReleasedDuringALoadIsNotSharedAfterwards) {
  StateFile file;
  auto st = StateStore::open(file.path);
  ASSERT_TRUE(st) << st.error().message;
  StateStore& s = **st;
  std::vector<MirrorRef> left{loaded(s, "a", "{\"n\":1}", "")};
  s.pair("").load().release(left[0].data_id);  // the side's listing started over
  left.clear();
  std::vector<MirrorRef> right{loaded(s, "ra", "{\"n\":1}", "")};
  s.pair("p").load().rows(Side::kLeft, left, s.pair("").load().drop_superseded(left));
  s.pair("p").load().rows(Side::kRight, right, s.pair("").load().drop_superseded(right));
  s.pair("").load().done();
  auto ra = s.pair("p").mirror(Side::kRight).find("ra");
  ASSERT_TRUE(ra);
  EXPECT_EQ(ra->data, "{\"n\":1}");

  // A released row's id taken by other data: what was remembered of the
  // released one must not lead there.
  std::vector<MirrorRef> again{loaded(s, "x", "{\"n\":7}", "")};
  s.pair("").load().release(again[0].data_id);
  again.clear();
  again.push_back(loaded(s, "y", "{\"n\":8}", ""));  // SQLite may give it x's id
  again.push_back(loaded(s, "z", "{\"n\":7}", ""));
  s.pair("q").load().rows(Side::kLeft, again, s.pair("").load().drop_superseded(again));
  s.pair("").load().done();
  EXPECT_EQ(s.pair("q").mirror(Side::kLeft).find("y")->data, "{\"n\":8}");
  EXPECT_EQ(s.pair("q").mirror(Side::kLeft).find("z")->data, "{\"n\":7}");
}

TEST(StateStoreTest, SchemaOneMigratesWithEveryMirrorRowAndItsData) {
  std::string path = (std::filesystem::temp_directory_path() / ("accord-state-v1-" + std::to_string(::getpid()) + ".sqlite")).string();
  std::filesystem::remove(path);
  {
    sql::Db db(path);
    db.exec(StateStore::migration(0));  // schema 1, as an older accord left it
    db.exec(
        "INSERT INTO mirror VALUES ('p', 'left', 'x', '1', 't1', '{\"a\":1}', 1, 0, 'k1'),"
        "  ('p', 'right', 'y', '2', 't2', '{\"a\":1}', 1, 1, 'k2'), ('p', 'left', 'z', '3', 't3', NULL, 0, 0, '');"
        "INSERT INTO dirty VALUES ('p', 'right', 'y');"
        "INSERT INTO links VALUES ('p', 'x', 'y', '{\"a\":1}', '');"
        "UPDATE meta SET value = '4' WHERE key = 'generation';"
        "PRAGMA user_version = 1;");
  }
  auto st = StateStore::open(path);
  ASSERT_TRUE(st) << st.error().message;
  StateStore& s = **st;
  EXPECT_EQ(s.generation(), 4);
  auto x = s.pair("p").mirror(Side::kLeft).find("x");
  ASSERT_TRUE(x);
  EXPECT_EQ(x->data, "{\"a\":1}");
  EXPECT_EQ(x->version, "1");
  EXPECT_EQ(x->keys, "k1");
  auto y = s.pair("p").mirror(Side::kRight).find("y");
  ASSERT_TRUE(y);
  EXPECT_TRUE(y->deleted);
  EXPECT_TRUE(y->dirty);
  auto z = s.pair("p").mirror(Side::kLeft).find("z");
  ASSERT_TRUE(z);
  EXPECT_EQ(z->data, "");
  EXPECT_FALSE(z->included);
  auto by_right = s.pair("p").links().find(Side::kRight, "y");
  ASSERT_TRUE(by_right);
  EXPECT_EQ(by_right->left_id, "x");
  EXPECT_EQ(by_right->base_left, "{\"a\":1}");
  EXPECT_EQ(count_at(path, "PRAGMA user_version"), accord::kStateSchemaVersion);
  st->reset();
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
}

namespace {
std::string right_of(StateStore& s, const std::string& left) {
  auto l = s.pair("p").links().find(Side::kLeft, left);
  return l ? l->right_id : "-";
}
std::string left_of(StateStore& s, const std::string& right) {
  auto l = s.pair("p").links().find(Side::kRight, right);
  return l ? l->left_id : "-";
}
std::string unlinked(StateStore& s, Side side) {
  std::string ids;
  for (const auto& r : s.pair("p").mirror(side).unlinked()) ids += r.id() + " ";
  return ids;
}
}  // namespace

TEST(StateStoreTest, ALinkIsFoundFromEitherSideAndEachRecordIsLinkedOnce) {
  StateFile file;
  auto st = StateStore::open(file.path);
  ASSERT_TRUE(st) << st.error().message;
  StateStore& s = **st;
  for (Side side : {Side::kLeft, Side::kRight})
    for (std::string id : side == Side::kLeft ? std::vector<std::string>{"a", "b"} : std::vector<std::string>{"x", "y"})
      s.pair("p").mirror(side).put(MirrorRow{id, "1", "t", "{}", true, false, false, ""});
  EXPECT_EQ(unlinked(s, Side::kRight), "x y ");
  s.pair("p").links().put({"a", "x", "ba", "bx"});
  s.pair("p").links().put({"b", "y", "", ""});
  s.pair("q").links().put({"a", "y", "", ""});  // another pair's links are its own
  EXPECT_EQ(unlinked(s, Side::kLeft), "");
  EXPECT_EQ(unlinked(s, Side::kRight), "");
  EXPECT_EQ(right_of(s, "a"), "x");
  EXPECT_EQ(left_of(s, "x"), "a");
  EXPECT_EQ(s.pair("p").links().find(Side::kRight, "x")->base_right, "bx");
  // a linked to y: a's old partner x and y's old partner b are unlinked
  s.pair("p").links().put({"a", "y", "", ""});
  EXPECT_EQ(right_of(s, "a"), "y");
  EXPECT_EQ(left_of(s, "y"), "a");
  EXPECT_EQ(left_of(s, "x"), "-");
  EXPECT_EQ(right_of(s, "b"), "-");
  EXPECT_EQ(unlinked(s, Side::kLeft), "b ");
  EXPECT_EQ(unlinked(s, Side::kRight), "x ");
  EXPECT_EQ(s.pair("p").links().count(), 1);
  EXPECT_EQ(s.pair("q").links().count(), 1);
  // the same link again changes its bases only
  s.pair("p").links().put({"a", "y", "1", "2"});
  EXPECT_EQ(s.pair("p").links().find(Side::kRight, "y")->base_left, "1");
  EXPECT_EQ(s.pair("p").links().count(), 1);
  s.pair("p").links().drop("a");
  EXPECT_EQ(left_of(s, "y"), "-");
  EXPECT_EQ(unlinked(s, Side::kRight), "x y ");
  EXPECT_FALSE(s.pair("p").links().any());
  EXPECT_EQ(left_of(s, "x"), "-");
  EXPECT_EQ(s.pair("q").links().find(Side::kRight, "y")->left_id, "a");
}

TEST(StateStoreTest, ManyLinksGoInAtOnceAndAreFoundFromEitherSide) {
  StateFile file;
  auto st = StateStore::open(file.path);
  ASSERT_TRUE(st) << st.error().message;
  StateStore& s = **st;
  // right ids in another order than the left ones, many sharing their first
  // 8 bytes
  std::vector<std::string> lefts, rights;
  for (int i = 0; i < 3000; ++i) {
    lefts.push_back("left-" + std::to_string(100000 + i));
    rights.push_back((i % 2 ? "r" : "rightsid") + std::to_string((i * 7919) % 3000));
  }
  std::vector<std::pair<std::string_view, std::string_view>> links;
  for (int i = 0; i < 3000; ++i) links.emplace_back(lefts[i], rights[i]);
  StateStore::Transaction tx(s);
  s.pair("p").links().add(links);
  tx.commit();
  EXPECT_EQ(s.pair("p").links().count(), 3000);
  int wrong = 0;
  for (int i = 0; i < 3000; ++i) wrong += left_of(s, rights[i]) != lefts[i] || right_of(s, lefts[i]) != rights[i];
  EXPECT_EQ(wrong, 0);
  // a right id linked twice is refused, and nothing of the batch stays
  std::vector<std::pair<std::string_view, std::string_view>> twice = {{"m", "new"}, {"n", "new"}};
  {
    StateStore::Transaction again(s);
    EXPECT_THROW(s.pair("p").links().add(twice), std::exception);
  }
  EXPECT_EQ(s.pair("p").links().count(), 3000);
  EXPECT_EQ(right_of(s, "m"), "-");
  EXPECT_EQ(left_of(s, "new"), "-");
}

TEST(StateStoreTest, RekeyMovesALinkWithItsBasesOnEitherSide) {
  StateFile file;
  auto st = StateStore::open(file.path);
  ASSERT_TRUE(st) << st.error().message;
  StateStore& s = **st;
  s.pair("p").links().put({"a", "x", "ba", "bx"});
  s.pair("p").links().put({"b", "y", "", ""});
  s.pair("p").rekey(Side::kRight, "x", "x2");
  EXPECT_EQ(right_of(s, "a"), "x2");
  EXPECT_EQ(left_of(s, "x2"), "a");
  EXPECT_EQ(left_of(s, "x"), "-");
  s.pair("p").rekey(Side::kLeft, "a", "a2");
  EXPECT_EQ(right_of(s, "a2"), "x2");
  EXPECT_EQ(left_of(s, "x2"), "a2");
  EXPECT_EQ(right_of(s, "a"), "-");
  auto l = s.pair("p").links().find(Side::kRight, "x2");
  EXPECT_EQ(l->base_left, "ba");
  EXPECT_EQ(l->base_right, "bx");
  EXPECT_EQ(left_of(s, "y"), "b");
  EXPECT_EQ(s.pair("p").links().count(), 2);
}

namespace {
accord::UnreadableRow bad_row(const std::string& key, const std::string& reason) {
  accord::UnreadableRow r;
  r.key = key;
  r.id = key.starts_with("@") ? "" : key;
  r.connector = "liar";
  r.stream = "note";
  r.pointer = "/records/1/data/title";
  r.reason = reason;
  return r;
}
std::string listed(StateStore& s) {
  std::string out;
  for (const auto& r : s.unreadable_list()) out += r.pair + ":" + r.side + ":" + r.key + ":" + r.reason + " ";
  return out;
}
}  // namespace

TEST(StateStoreTest, SchemaThreeMigratesToFourWithAnEmptyListOfUnreadableRecords) {
  std::string path = (std::filesystem::temp_directory_path() / ("accord-state-v3-" + std::to_string(::getpid()) + ".sqlite")).string();
  std::filesystem::remove(path);
  {
    sql::Db db(path);
    for (int v = 0; v < 3; ++v) db.exec(StateStore::migration(v));  // schema 3, as the last accord left it
    db.exec(
        "INSERT INTO record_data VALUES (1, '{\"a\":1}', 1);"
        "INSERT INTO mirror_rows VALUES ('p', 'left', 'x', '1', 't1', 1, 1, 0, '');"
        "INSERT INTO cursors VALUES ('p', 'left', 'c7');"
        "PRAGMA user_version = 3;");
  }
  auto st = StateStore::open(path);
  ASSERT_TRUE(st) << st.error().message;
  StateStore& s = **st;
  EXPECT_EQ(count_at(path, "PRAGMA user_version"), accord::kStateSchemaVersion);
  EXPECT_EQ(s.pair("p").mirror(Side::kLeft).find("x")->data, "{\"a\":1}");
  EXPECT_EQ(s.pair("p").cursor(Side::kLeft), "c7");
  EXPECT_TRUE(s.unreadable_list().empty());
  s.pair("p").unreadable().note(Side::kLeft, {bad_row("latin", "invalid UTF-8 (byte 0xE9)")}, {}, false);
  EXPECT_EQ(listed(s), "p:left:latin:invalid UTF-8 (byte 0xE9) ");
  st->reset();
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
}

TEST(StateStoreTest, SchemaFourMigratesToFiveWithAnEmptyHistory) {
  std::string path = (std::filesystem::temp_directory_path() / ("accord-state-v4-" + std::to_string(::getpid()) + ".sqlite")).string();
  std::filesystem::remove(path);
  {
    sql::Db db(path);
    for (int v = 0; v < 4; ++v) db.exec(StateStore::migration(v));  // schema 4, as the last accord left it
    db.exec(
        "INSERT INTO record_data VALUES (1, '{\"a\":1}', 1);"
        "INSERT INTO mirror_rows VALUES ('p', 'left', 'x', '1', 't1', 1, 1, 0, '');"
        "INSERT INTO runs(id, kind, status) VALUES (7, 'run', 'ok');"
        "PRAGMA user_version = 4;");
  }
  auto st = StateStore::open(path);
  ASSERT_TRUE(st) << st.error().message;
  StateStore& s = **st;
  EXPECT_EQ(count_at(path, "PRAGMA user_version"), accord::kStateSchemaVersion);  // (through 5)
  EXPECT_EQ(s.pair("p").mirror(Side::kLeft).find("x")->data, "{\"a\":1}");
  EXPECT_TRUE(s.history(std::nullopt, "", "").empty());
  EXPECT_FALSE(s.has_history(7));
  EXPECT_EQ(s.runs(10).size(), 1u);
  st->reset();
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
}

TEST(StateStoreTest, HistoryKeepsABeforeImageAfterItsMirrorRowChangesOrGoesUntilPruned) {
  StateFile file;
  auto st = StateStore::open(file.path);
  ASSERT_TRUE(st) << st.error().message;
  StateStore& s = **st;
  int64_t run1 = s.begin_run("run");
  s.pair("p").mirror(Side::kRight).put(MirrorRow{"x", "1", "t1", "{\"n\":\"old\"}", true, false, false, ""});
  // run 1 updates x, then run 2 deletes it: each keeps what it replaced
  int64_t before = s.pair("p").mirror(Side::kRight).hold_data("x");
  int64_t after = s.pair("p").mirror(Side::kRight).put(MirrorRow{"x", "2", "t2", "{\"n\":\"new\"}", true, false, false, ""});
  s.pair("p").history().add({0, run1, "p", "right", "x", "update", "2", "y", {}, {}}, before, after);
  int64_t run2 = s.begin_run("run");
  int64_t gone = s.pair("p").mirror(Side::kRight).hold_data("x");
  s.pair("p").mirror(Side::kRight).drop("x");
  s.pair("p").history().add({0, run2, "p", "right", "x", "delete", "", "y", {}, {}}, gone, 0);
  auto h = s.history(std::nullopt, "p", "x");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].before, "{\"n\":\"old\"}");
  EXPECT_EQ(h[0].after, "{\"n\":\"new\"}");
  EXPECT_EQ(h[1].before, "{\"n\":\"new\"}");
  EXPECT_FALSE(h[1].after);
  EXPECT_EQ(s.history(run2, "", "y").size(), 1u);  // found by the record it was linked to
  EXPECT_EQ(file.count("SELECT count(*) FROM record_data"), 2);
  EXPECT_EQ(s.prune_history(1), 1);  // run 1's write goes, and the data only it held
  EXPECT_FALSE(s.has_history(run1));
  EXPECT_TRUE(s.has_history(run2));
  EXPECT_EQ(file.count("SELECT count(*) FROM record_data"), 1);
  EXPECT_EQ(s.history(run2, "", "")[0].before, "{\"n\":\"new\"}");
  s.begin_run("run");
  EXPECT_EQ(s.prune_history(1), 1);
  EXPECT_EQ(file.count("SELECT count(*) FROM record_data"), 0);
}

// put_for_history hands the row's reference to what it replaced to the
// history and holds the new data for it (issue 24: commit_item without
// hold_data and History's hold): the counts come out as hold_data + put +
// add do, data changed or not, and pruning lets each row go once.
TEST(StateStoreTest, APutForTheHistoryHandsItTheRowsOldDataAndHoldsTheNew) {
  StateFile file;
  auto st = StateStore::open(file.path);
  ASSERT_TRUE(st) << st.error().message;
  StateStore& s = **st;
  auto refs = [&](int64_t id) { return file.count("SELECT refs FROM record_data WHERE id = " + std::to_string(id)); };
  int64_t run1 = s.begin_run("run");
  auto m = s.pair("p").mirror(Side::kRight);
  int64_t old_id = m.put(MirrorRow{"x", "1", "t1", "{\"n\":\"old\"}", true, false, false, ""});
  // changed: the old row's one reference is the history's now, the new row has the mirror's and the history's
  int64_t before = -1;
  int64_t after = m.put_for_history(MirrorRow{"x", "2", "t2", "{\"n\":\"new\"}", true, false, false, ""}, before);
  s.pair("p").history().add({0, run1, "p", "right", "x", "update", "2", "y", {}, {}}, before, after, true);
  EXPECT_EQ(before, old_id);
  EXPECT_NE(after, old_id);
  EXPECT_EQ(refs(old_id), 1);
  EXPECT_EQ(refs(after), 2);
  EXPECT_EQ(m.find("x")->data, "{\"n\":\"new\"}");
  // unchanged (the store answered the same text): one row, held by the mirror and twice by the history
  int64_t run2 = s.begin_run("run");
  int64_t same_before = -1;
  int64_t same_after = m.put_for_history(MirrorRow{"x", "3", "t3", "{\"n\":\"new\"}", true, false, false, ""}, same_before);
  s.pair("p").history().add({0, run2, "p", "right", "x", "update", "3", "y", {}, {}}, same_before, same_after, true);
  EXPECT_EQ(same_before, after);
  EXPECT_EQ(same_after, after);
  EXPECT_EQ(refs(after), 4);
  // no row yet: nothing before, the new data held twice
  int64_t none = -1;
  int64_t fresh = m.put_for_history(MirrorRow{"z", "1", "t1", "{\"n\":\"z\"}", true, false, false, ""}, none);
  EXPECT_EQ(none, 0);
  EXPECT_EQ(refs(fresh), 2);
  s.pair("p").history().add({0, run2, "p", "right", "z", "update", "1", "w", {}, {}}, none, fresh, true);
  auto h = s.history(std::nullopt, "p", "x");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].before, "{\"n\":\"old\"}");
  EXPECT_EQ(h[0].after, "{\"n\":\"new\"}");
  EXPECT_EQ(h[1].before, "{\"n\":\"new\"}");
  // the history pruned, then the rows dropped: every data row goes, none before its last holder
  s.begin_run("run");
  s.begin_run("run");
  EXPECT_EQ(s.prune_history(1), 3);
  EXPECT_EQ(file.count("SELECT count(*) FROM record_data WHERE id = " + std::to_string(old_id)), 0);
  EXPECT_EQ(refs(after), 1);
  EXPECT_EQ(refs(fresh), 1);
  m.drop("x");
  m.drop("z");
  EXPECT_EQ(file.count("SELECT count(*) FROM record_data"), 0);
}

TEST(StateStoreTest, AnUnreadableRecordIsListedUntilItIsReadWellOrAFullListingLeavesItOut) {
  StateFile file;
  auto st = StateStore::open(file.path);
  ASSERT_TRUE(st) << st.error().message;
  StateStore& s = **st;
  s.pair("p").unreadable().note(Side::kLeft, {bad_row("a", "r1"), bad_row("b", "r1"), bad_row("@/records/4", "no id")}, {}, false);
  s.pair("p").unreadable().note(Side::kRight, {bad_row("a", "r1")}, {}, false);
  s.pair("q").unreadable().note(Side::kLeft, {bad_row("a", "r1")}, {}, false);
  EXPECT_EQ(s.pair("p").unreadable().keys(Side::kLeft), (std::set<std::string>{"@/records/4", "a", "b"}));
  // seen bad again (another reason): one entry; read well: it leaves the list
  s.pair("p").unreadable().note(Side::kLeft, {bad_row("b", "r2")}, {"a"}, false);
  EXPECT_EQ(listed(s), "p:left:@/records/4:no id p:left:b:r2 p:right:a:r1 q:left:a:r1 ");
  // a full listing replaces the side's list: what it does not show bad is gone or good
  s.pair("p").unreadable().note(Side::kLeft, {bad_row("c", "r3")}, {}, true);
  EXPECT_EQ(listed(s), "p:left:c:r3 p:right:a:r1 q:left:a:r1 ");
}

TEST(StateStoreTest, AFullListingDoesNotTakeAnUnreadableRecordForDeleted) {
  StateFile file;
  auto st = StateStore::open(file.path);
  ASSERT_TRUE(st) << st.error().message;
  StateStore& s = **st;
  for (std::string id : {"a", "b", "c"}) s.pair("p").mirror(Side::kLeft).put(MirrorRow{id, "1", "t", "{}", true, false, false, ""});
  s.staging().reset();
  s.staging().add(Side::kLeft, StateStore::Staged{"a", "1", "t", "{}", "", false, true});
  s.pair("p").unreadable().note(Side::kLeft, {bad_row("b", "invalid UTF-8")}, {}, true);
  EXPECT_EQ(s.pair("p").mirror(Side::kLeft).not_staged(), std::vector<std::string>{"c"});
}
