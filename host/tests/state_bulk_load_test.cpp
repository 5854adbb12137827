// SPDX-License-Identifier: Apache-2.0
// A first sync's bulk load (state/bulk_load.cpp, record_data.cpp), then the
// lookups of later runs: each side's rows found by id with their data (one
// data row for both sides' equal records), links found from either side,
// nothing unlinked or dirty; and the shared data row counted right when one
// side's record changes and the other's goes.
#include "state/writeback.hpp"
#include "state_test_util.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <thread>

using namespace accord;
using accord::state_test::StateFile;

namespace {

constexpr int kN = 1500;

std::string data_of(int i) { return "{\"n\":" + std::to_string(i) + "}"; }
std::string left_id(int i) { return "L" + std::to_string((i * 7919) % 10007); }  // out of order
std::string right_id(int i) { return "R" + std::to_string(kN - i); }

// Loads one side: data in three batches as read, rows in id order.
void load_side(PairState& p, Side side, std::vector<std::string>& text) {
  BulkLoad load = p.load();
  std::vector<MirrorRef> refs;
  for (int b = 0; b < 3; ++b) {
    std::vector<std::string_view> batch;
    for (int i = b * kN / 3; i < (b + 1) * kN / 3; ++i) batch.push_back(text[i]);
    std::vector<int64_t> got = load.data(batch);
    for (int k = 0; k < static_cast<int>(got.size()); ++k) {
      int i = b * kN / 3 + k;
      MirrorRef& r = refs.emplace_back();
      r.set(side == Side::kLeft ? left_id(i) : right_id(i), "k" + std::to_string(i), "v" + std::to_string(i),
            "2026-11-21T00:00:00Z");
      r.data_id = got[k];
    }
  }
  std::vector<uint32_t> order = load.drop_superseded(refs);
  load.rows(side, refs, order);
}

}  // namespace

TEST(StateBulkLoadTest, ALoadedPairIsFoundFromEitherSideWithOneDataRowForEqualRecords) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  std::vector<std::string> text;
  for (int i = 0; i < kN; ++i) text.push_back(data_of(i));
  PairState p = s->pair("p");
  ASSERT_TRUE(p.empty());
  {
    StateStore::Transaction tx(*s);
    load_side(p, Side::kLeft, text);
    load_side(p, Side::kRight, text);
    std::vector<std::string> l, r;
    for (int i = 0; i < kN; ++i) l.push_back(left_id(i)), r.push_back(right_id(i));
    std::vector<std::pair<std::string_view, std::string_view>> links;
    std::vector<int> by_left(kN);
    for (int i = 0; i < kN; ++i) by_left[i] = i;
    std::sort(by_left.begin(), by_left.end(), [&](int a, int b) { return l[a] < l[b]; });
    for (int i : by_left) links.emplace_back(l[i], r[i]);
    p.links().add(links);
    p.load().done();
    tx.commit();
  }
  EXPECT_FALSE(p.empty());
  EXPECT_EQ(f.count("SELECT count(*) FROM record_data"), kN);
  EXPECT_EQ(f.count("SELECT count(*) FROM record_data WHERE refs != 2"), 0);
  EXPECT_EQ(p.links().count(), kN);
  for (Side side : {Side::kLeft, Side::kRight}) {
    EXPECT_EQ(p.mirror(side).count_live(), kN);
    EXPECT_TRUE(p.mirror(side).unlinked().empty());
    EXPECT_TRUE(p.mirror(side).dirty().empty());
  }
  for (int i : {0, 1, 499, 500, 1000, kN - 1}) {
    auto l = p.mirror(Side::kLeft).find(left_id(i));
    auto r = p.mirror(Side::kRight).find_data(right_id(i));
    ASSERT_TRUE(l && r) << i;
    EXPECT_EQ(l->data, data_of(i));
    EXPECT_EQ(r->data, data_of(i));
    EXPECT_EQ(l->version, "v" + std::to_string(i));
    EXPECT_EQ(l->keys, "k" + std::to_string(i));
    auto by_right = p.links().find(Side::kRight, right_id(i));
    ASSERT_TRUE(by_right) << i;
    EXPECT_EQ(by_right->left_id, left_id(i));
    EXPECT_EQ(p.links().find(Side::kLeft, left_id(i))->right_id, right_id(i));
  }
  // the left record changes: its side takes a row of its own, the right keeps the shared one
  MirrorRow changed = *p.mirror(Side::kLeft).find(left_id(7));
  changed.data = "{\"n\":\"changed\"}";
  p.mirror(Side::kLeft).put(changed);
  EXPECT_EQ(f.count("SELECT count(*) FROM record_data"), kN + 1);
  EXPECT_EQ(p.mirror(Side::kRight).find(right_id(7))->data, data_of(7));
  // and the right one goes: its row with it
  p.mirror(Side::kRight).drop(right_id(7));
  EXPECT_EQ(f.count("SELECT count(*) FROM record_data"), kN);
  EXPECT_EQ(p.mirror(Side::kLeft).find(left_id(7))->data, "{\"n\":\"changed\"}");
}

// What a first sync holds of each record a side until its rows are in (two
// million at a million pairs): the four texts in one block, each read back
// as set, through copies, changes made from its own texts, and the drop of
// version and modified once the rows hold them (which moves none of its
// texts: matching reads them meanwhile); and the ref stays small.
TEST(StateBulkLoadTest, ALoadedRefKeepsItsFourTextsInOneSmallBlock) {
  static_assert(sizeof(MirrorRef) <= 56, "a loaded record's ref: 56 bytes and its texts");
  MirrorRef r;
  EXPECT_EQ(r.id(), "");
  EXPECT_EQ(r.keys(), "");
  r.set("7f3a-id", "a@x\x1f\x1e" "bench-7", "v12", "2026-12-06T18:00:00.123Z");
  r.data_id = 9;
  EXPECT_EQ(r.id(), "7f3a-id");
  EXPECT_EQ(r.keys(), "a@x\x1f\x1e" "bench-7");
  EXPECT_EQ(r.version(), "v12");
  EXPECT_EQ(r.modified(), "2026-12-06T18:00:00.123Z");
  MirrorRef c = r;  // a copy holds a block of its own
  r.set_id("changed");
  EXPECT_EQ(c.id(), "7f3a-id");
  EXPECT_EQ(c.data_id, 9);
  EXPECT_EQ(r.keys(), "a@x\x1f\x1e" "bench-7");
  EXPECT_EQ(r.modified(), "2026-12-06T18:00:00.123Z");
  c.set_keys(c.keys().substr(5));  // from its own text
  EXPECT_EQ(c.keys(), "bench-7");
  EXPECT_EQ(c.version(), "v12");
  const char* keys_at = c.keys().data();
  c.drop_version_and_modified();  // (while matching reads id and keys on another thread: nothing moves)
  EXPECT_EQ(c.keys().data(), keys_at);
  EXPECT_EQ(c.id(), "7f3a-id");
  EXPECT_EQ(c.keys(), "bench-7");
  EXPECT_EQ(c.version(), "");
  EXPECT_EQ(c.modified(), "");
  std::string id = c.id();  // where a string is wanted
  EXPECT_EQ(id + "|" + c.id() + "|" + c.keys(), "7f3a-id|7f3a-id|bench-7");
  MirrorRef moved = std::move(c);
  EXPECT_EQ(moved.keys(), "bench-7");
}

// A first sync's load hands its pages to the disk as it writes them
// (state/writeback.hpp), through the descriptor SQLite has open: it asks the
// kernel while it lives, and its end lets go of none of SQLite's locks (a
// descriptor of the file closed by the process would let go of them all:
// another process could then write the file under the open transaction);
// a file no one has open is left alone.
TEST(StateBulkLoadTest, EarlyWritebackAsksThroughSqlitesOwnDescriptorAndKeepsItsLocks) {
  StateFile f;
  sql::Db db(f.path.string());
  db.exec("CREATE TABLE t(x TEXT)");
  sql::BulkWrites bulk(db);
  ASSERT_TRUE(bulk.active());
  sql::Transaction tx(db);
  db.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)"
          " INSERT INTO t SELECT printf('%0500d', i) FROM n");  // (10 MB: pages spilled to the file)
  {
    EarlyWriteback wb(f.path);
    for (int i = 0; i < 300 && wb.asked() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_GE(wb.asked(), 2);
  }
  // Another process still sees this one's write lock: SQLite's lock bytes
  // (from its PENDING_BYTE, 0x40000000) held. (Asked by the kernel, not by
  // SQLite, which a forked child would answer from the parent's memory.)
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int fd = ::open(f.path.c_str(), O_RDWR);
    struct flock l{};
    l.l_type = F_WRLCK;
    l.l_whence = SEEK_SET;
    l.l_start = 0x40000000;
    l.l_len = 512;
    ::_exit(fd >= 0 && ::fcntl(fd, F_GETLK, &l) == 0 && l.l_type != F_UNLCK ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the state's write lock was let go";
  tx.commit();
  EXPECT_EQ(f.count("SELECT count(*) FROM t"), 20000);

  std::filesystem::path alone = f.dir / "alone.txt";
  std::ofstream(alone) << "nobody holds this open";
  EarlyWriteback none(alone);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  EXPECT_EQ(none.asked(), 0);
}

// A first sync's data rows as a load numbers, shares and counts them,
// whatever waits in memory before it is written (RecordData::load keeps a
// few batches' new rows back, so that a twin read soon after is counted in
// the row as it goes in, issue 24): checked against the plain reading of
// the rule (equal data read before and not yet shared shares its row; ids
// follow the table's last, in the order first read; a release forgets
// what was read before it). Data of 700 KiB: twins near each other and
// farther apart than the rows kept back (16 MiB), one read three times,
// twins within a batch, a row there before the load, releases of rows
// written and of rows still waiting (a listing that starts over).
TEST(StateBulkLoadTest, ALoadNumbersSharesAndCountsDataRowsAsTheRuleSaysWhateverWaitsToBeWritten) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  PairState p = s->pair("p");
  auto big = [](int k) { return std::string(700 << 10, static_cast<char>('a' + k % 26)) + std::to_string(k); };
  // the rule, in plain maps
  std::map<int64_t, std::pair<std::string, int64_t>> rows;  // id: data, refs
  std::map<std::string, int64_t> waiting;
  auto read = [&](const std::vector<std::string>& batch) {
    int64_t next = (rows.empty() ? 0 : rows.rbegin()->first) + 1;  // after the table's last
    std::vector<int64_t> ids;
    for (const auto& d : batch) {
      if (auto w = waiting.find(d); w != waiting.end()) {
        ids.push_back(w->second);
        ++rows[w->second].second;
        waiting.erase(w);
        continue;
      }
      ids.push_back(next);
      rows[next] = {d, 1};
      waiting[d] = next++;
    }
    return ids;
  };
  auto release = [&](int64_t id) {
    waiting.clear();
    if (--rows[id].second == 0) rows.erase(id);
  };
  std::mt19937 rng(24);
  int late_read = 0;
  {
    StateStore::Transaction tx(*s);
    p.mirror(Side::kLeft).put(state_test::row("before", "{\"there\":1}"));  // a row there before the load
    rows[1] = {"{\"there\":1}", 1};
    BulkLoad load = p.load();
    // 60 batches of 1-4 data: about half the data read again a few
    // batches later (within 16 MiB of it), a few three times, and some 35
    // batches or more later (60 MiB and more: written, then counted again)
    std::vector<int> pool, late;
    int made = 0;
    for (int b = 0; b < 60; ++b) {
      std::vector<std::string> batch;
      int n = 1 + static_cast<int>(rng() % 4);
      for (int i = 0; i < n; ++i) {
        if (!pool.empty() && rng() % 2) {
          size_t at = rng() % pool.size();
          batch.push_back(big(pool[at]));
          if (rng() % 6) pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(at));
        } else {
          batch.push_back(big(made));
          if (int fate = static_cast<int>(rng() % 8); fate == 1 && b < 20) late.push_back(made);
          else if (fate) pool.push_back(made);
          ++made;
        }
      }
      if (b >= 55 && !late.empty()) {  // the late ones
        for (int k : late) batch.push_back(big(k));
        late_read += static_cast<int>(late.size());
        late.clear();
      }
      if (b == 20) batch.push_back(batch.front());  // a twin in its own batch
      std::vector<std::string_view> views(batch.begin(), batch.end());
      std::vector<int64_t> want = read(batch);
      ASSERT_EQ(load.data(views), want) << "batch " << b;
      if (b == 30 || b == 45) {  // a listing that starts over: one written long ago, one just read, let go
        int64_t old_id = rows.begin()->first == 1 ? std::next(rows.begin())->first : rows.begin()->first;
        int64_t fresh_id = want.back();
        for (int64_t id : {old_id, fresh_id}) {
          if (!rows.contains(id)) continue;
          load.release(id);
          release(id);
        }
      }
    }
    load.done();
    tx.commit();
  }
  sql::Db db(f.path.string());
  sql::Stmt q(db, "SELECT id, data, refs FROM record_data ORDER BY id");
  std::map<int64_t, std::pair<std::string, int64_t>> got;
  while (q.step()) got[q.i64(0)] = {std::string(q.text(1)), q.i64(2)};
  ASSERT_EQ(got.size(), rows.size());
  for (const auto& [id, row] : rows) {
    ASSERT_TRUE(got.contains(id)) << id;
    EXPECT_EQ(got[id].first.size(), row.first.size()) << id;
    EXPECT_TRUE(got[id].first == row.first) << id;
    EXPECT_EQ(got[id].second, row.second) << id;
  }
  int64_t twice = 0;
  for (const auto& [id, row] : rows) twice += row.second == 2;
  EXPECT_GT(twice, 20);  // (the case the rows kept back are for)
  EXPECT_GT(late_read, 3);  // (and twins read after their row was written)
}
