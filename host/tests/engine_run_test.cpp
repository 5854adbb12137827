// SPDX-License-Identifier: Apache-2.0
// Whole runs of the engine (run_pipeline) through the real local connector,
// on SQLite stores in a temporary folder: what a run promises its caller
// beyond one phase (RunOptions::cancel: a stopped run applies what it
// committed and the next run the rest, every record once).
#include "engine_run_fixture.hpp"

#include <accord/sql/sqlite_db.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>

#include <unistd.h>

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace accord;

namespace {

// A pipeline of two local SQLite stores of notes, matched by title, in a
// folder of its own.
struct Fixture : test::NotesRun {
  Fixture() : NotesRun("engine-run") {}

  // the folder's pipeline made a one-way Maildir to Maildir: a (the source) to b
  void maildir_one_way() {
    std::ofstream(dir / "p.json") << R"({"name":"mail","state":"state.sqlite",
      "left":{"connector":"local","config":{"backend":"maildir","path":"a","index_path":"ia"}},
      "right":{"connector":"local","config":{"backend":"maildir","path":"b","index_path":"ib","create":true}},
      "streams":[{"left":"message","right":"message","direction":"left-to-right"}]})";
  }
  void create(const char* file, int n) {
    Instance i = side(file);
    json::array ops;
    for (int k = 0; k < n; ++k)
      ops.push_back(json::object{{"op", "create"}, {"data", json::object{{"title", "n" + std::to_string(k)}}}});
    auto r = i.apply("note", json::serialize(ops));
    if (!r) throw std::runtime_error(r.error().message);
  }
  // title → how many records hold it
  std::map<std::string, int> titles(const char* file) {
    Instance i = side(file);
    std::map<std::string, int> m;
    std::string cursor;
    for (;;) {
      auto r = i.read_changes("note", cursor);
      if (!r) throw std::runtime_error(r.error().message);
      json::value b = json::parse(*r);
      for (const auto& rec : b.at("records").as_array())
        if (!rec.as_object().contains("deleted") || !rec.at("deleted").as_bool())
          ++m[std::string(rec.at("data").at("title").as_string())];
      cursor = b.at("cursor").as_string();
      if (!b.at("more").as_bool()) break;
    }
    return m;
  }
  // The right id of the pair planned last (the linked pairs go in their
  // left ids' order): in a run's last batch.
  std::string last_right_id() {
    sql::Db db((dir / "state.sqlite").string());
    sql::Stmt s(db, "SELECT right_id FROM links ORDER BY left_id DESC LIMIT 1");
    if (!s.step()) throw std::runtime_error("no link");
    return std::string(s.text(0));
  }
  // A run in batches of 2 that makes `edit` to the right's record `id` once,
  // when its first batch is applied (a person's edit during the run); the
  // record's title into `title`.
  RunOptions edit_right_during_run(const std::string& id, std::function<void(json::object&)> edit, std::string& title,
                                   bool& edited) {
    RunOptions ro;
    ro.batch = 2;
    ro.progress = [this, id, edit, &title, &edited](const std::string& line) {
      if (edited || line.find(": applied 2 of ") == std::string::npos) return;
      edited = true;
      Instance r = side("right.sqlite");
      auto read = r.read_changes("note", "");
      if (!read) throw std::runtime_error(read.error().message);
      json::value v = json::parse(*read);
      for (const auto& rec : v.at("records").as_array())
        if (rec.at("id").as_string() == id) {
          json::object data = rec.at("data").as_object();
          title = data.at("title").as_string();
          edit(data);
          json::array ops{json::object{{"op", "update"}, {"id", id}, {"data", data}}};
          if (auto a = r.apply("note", json::serialize(ops)); !a) throw std::runtime_error(a.error().message);
        }
    };
    return ro;
  }
};

// Each title once, n of them.
void expect_each_once(const std::map<std::string, int>& m, size_t n) {
  EXPECT_EQ(m.size(), n);
  for (const auto& [t, k] : m) EXPECT_EQ(k, 1) << t;
}

// Sets the flag at the run's first applied write (inside the first batch).
struct StopAtFirstWrite : RunEvents {
  std::atomic<bool>& stop;
  int writes = 0;
  explicit StopAtFirstWrite(std::atomic<bool>& s) : stop(s) {}
  void applied(std::string_view, const PlannedOp&, const std::string&, bool, const std::string&,
               const std::string&) override {
    ++writes;
    stop = true;
  }
};

}  // namespace

TEST(EngineRunTest, CancelAfterTheFirstBatchAppliesThatBatchAndTheNextRunTheRest) {
  Fixture f;
  f.create("left.sqlite", 10);
  std::atomic<bool> stop{false};
  StopAtFirstWrite events(stop);
  RunOptions ro;
  ro.batch = 3;
  ro.cancel = &stop;
  ro.events = &events;
  RunReport first = f.run(ro);
  ASSERT_EQ(first.pairs.size(), 1u);
  EXPECT_EQ(first.status, "stopped");
  EXPECT_TRUE(first.pairs[0].stopped);
  EXPECT_TRUE(first.pairs[0].error.empty()) << first.pairs[0].error;
  EXPECT_EQ(first.pairs[0].applied, 3);  // the batch under way, and no more
  EXPECT_EQ(events.writes, 3);
  expect_each_once(f.titles("right.sqlite"), 3);

  RunOptions again;
  again.batch = 3;
  RunReport second = f.run(again);
  EXPECT_EQ(second.status, "ok");
  EXPECT_FALSE(second.pairs[0].stopped);
  EXPECT_EQ(second.pairs[0].applied, 7);
  expect_each_once(f.titles("right.sqlite"), 10);
  expect_each_once(f.titles("left.sqlite"), 10);

  RunReport third = f.run(again);
  EXPECT_EQ(third.pairs[0].applied, 0);
  EXPECT_TRUE(third.pairs[0].ops.empty());
}

TEST(EngineRunTest, CancelWhilePlanningCommitsNothingAndTheNextRunReadsItAgain) {
  Fixture f;
  f.create("left.sqlite", 5);
  f.run({});  // linked: a pair the state knows (not a first sync)
  {
    Instance l = f.side("left.sqlite");
    json::array ops;
    for (int k = 5; k < 9; ++k)
      ops.push_back(json::object{{"op", "create"}, {"data", json::object{{"title", "n" + std::to_string(k)}}}});
    ASSERT_TRUE(l.apply("note", json::serialize(ops)));
  }
  std::atomic<bool> stop{false};
  RunOptions ro;
  ro.cancel = &stop;
  ro.progress = [&](const std::string& line) {
    if (line.ends_with(": planning")) stop = true;
  };
  RunReport stopped = f.run(ro);
  EXPECT_EQ(stopped.status, "stopped");
  EXPECT_TRUE(stopped.pairs[0].stopped);
  EXPECT_EQ(stopped.pairs[0].applied, 0);
  expect_each_once(f.titles("right.sqlite"), 5);

  RunReport next = f.run({});
  EXPECT_EQ(next.status, "ok");
  EXPECT_EQ(next.pairs[0].applied, 4);  // the cursors had not moved: the four read again
  expect_each_once(f.titles("right.sqlite"), 9);
}

TEST(EngineRunTest, CancelBeforeAPairBeginsReadsNothing) {
  Fixture f;
  f.create("left.sqlite", 4);
  std::atomic<bool> stop{true};
  RunOptions ro;
  ro.cancel = &stop;
  RunReport r = f.run(ro);
  EXPECT_EQ(r.status, "stopped");
  EXPECT_TRUE(r.pairs[0].stopped);
  EXPECT_EQ(r.pairs[0].read[0], 0);
  EXPECT_TRUE(f.titles("right.sqlite").empty());
  RunReport next = f.run({});
  EXPECT_EQ(next.pairs[0].applied, 4);
  expect_each_once(f.titles("right.sqlite"), 4);
}

// accord.after_commit.v1 (the local connector's sqlite backend offers it):
// the run after a run that wrote reads none of its own writes back.
TEST(EngineRunTest, AfterCommitTheNextRunReadsNoneOfTheRunsOwnWrites) {
  Fixture f;
  f.create("left.sqlite", 10);
  RunReport first = f.run({});
  EXPECT_EQ(first.pairs[0].applied, 10);
  RunReport quiet = f.run({});
  EXPECT_EQ(quiet.pairs[0].read[0], 0);
  EXPECT_EQ(quiet.pairs[0].read[1], 0);  // the ten creates: not read back
  {
    Instance l = f.side("left.sqlite");
    json::array ops;
    auto r = l.read_changes("note", "");
    ASSERT_TRUE(r);
    json::value b = json::parse(*r);
    for (const auto& rec : b.at("records").as_array()) {
      if (ops.size() == 2) break;
      ops.push_back(json::object{{"op", "update"}, {"id", rec.at("id")},
                                 {"data", json::object{{"title", rec.at("data").at("title")}, {"body", "edited"}}}});
    }
    ASSERT_TRUE(l.apply("note", json::serialize(ops)));
  }
  RunReport edits = f.run({});
  EXPECT_EQ(edits.pairs[0].read[0], 2);
  EXPECT_EQ(edits.pairs[0].applied, 2);
  RunReport again = f.run({});
  EXPECT_EQ(again.pairs[0].read[0], 0);
  EXPECT_EQ(again.pairs[0].read[1], 0);  // the two updates: not read back
  expect_each_once(f.titles("right.sqlite"), 10);
}

// Someone else's change made while the run writes is never skipped: the
// cursor moves past the run's own writes only up to it.
struct WriteElsewhereAtFirstWrite : RunEvents {
  Fixture& f;
  bool done = false;
  explicit WriteElsewhereAtFirstWrite(Fixture& fx) : f(fx) {}
  void applied(std::string_view, const PlannedOp&, const std::string&, bool, const std::string&,
               const std::string&) override {
    if (done) return;
    done = true;
    Instance r = f.side("right.sqlite");
    auto a = r.apply("note", R"([{"op":"create","data":{"title":"theirs"}}])");
    if (!a) throw std::runtime_error(a.error().message);
  }
};

TEST(EngineRunTest, AfterCommitNeverSkipsAChangeMadeMeanwhile) {
  Fixture f;
  f.create("left.sqlite", 10);
  WriteElsewhereAtFirstWrite events(f);
  RunOptions ro;
  ro.batch = 3;
  ro.events = &events;
  RunReport first = f.run(ro);
  EXPECT_EQ(first.pairs[0].applied, 10);
  RunReport next = f.run({});
  // "theirs", made after the first batch of three, and the seven creates
  // after it (the cursor moved past the first three only)
  EXPECT_EQ(next.pairs[0].read[1], 8);
  EXPECT_EQ(next.pairs[0].applied, 1);
  expect_each_once(f.titles("left.sqlite"), 11);
  expect_each_once(f.titles("right.sqlite"), 11);
  EXPECT_EQ(f.titles("left.sqlite").count("theirs"), 1u);
}

// A write that succeeded on one side of an item whose other side failed is
// not recorded (the item stays dirty for the next run), so that side must
// read its echo back: a cursor moved past it left the state holding the old
// version, and the next run's write there failed on that version for ever.
// Found in review (after_commit told every ok result).
TEST(EngineRunTest, AfterCommitIsNotToldTheWritesOfAnItemThatFailedOnTheOtherSide) {
  Fixture f;
  f.create("left.sqlite", 1);
  ASSERT_EQ(f.run({}).pairs[0].applied, 1);
  // both sides edit different fields of n0: the merge writes each side
  auto edit = [&](const char* file, json::object fields) {
    Instance i = f.side(file);
    auto r = i.read_changes("note", "");
    ASSERT_TRUE(r);
    json::value rec = json::parse(*r).at("records").at(0);
    json::object data = rec.at("data").as_object();
    for (auto& [k, v] : fields) data[k] = v;
    auto a = i.apply("note", json::serialize(json::array{json::object{{"op", "update"}, {"id", rec.at("id")}, {"data", data}}}));
    ASSERT_TRUE(a);
  };
  edit("left.sqlite", {{"body", "left's"}});
  edit("right.sqlite", {{"place", "right's"}});
  RunOptions ro;
  // once planned, the right's record moves on: its write fails (a version
  // conflict), the left's succeeds
  ro.check_plan = [&](const PairReport&) {
    edit("right.sqlite", {{"place", "right's again"}});
    return std::string();
  };
  RunReport merge = f.run(ro);
  EXPECT_EQ(merge.pairs[0].failed, 1);
  RunReport last;
  for (int k = 0; k < 3; ++k) last = f.run({});
  EXPECT_EQ(last.pairs[0].failed, 0);
  EXPECT_EQ(last.pairs[0].applied, 0);
  // the two sides agree (which "place" wins is the conflict policy's: the
  // left's echo of the failed item reads as a left edit, newer than the
  // right's; the same without the extension)
  json::value data[2];
  int k = 0;
  for (const char* file : {"left.sqlite", "right.sqlite"}) {
    Instance i = f.side(file);
    auto r = i.read_changes("note", "");
    ASSERT_TRUE(r);
    data[k] = json::parse(*r).at("records").at(0).at("data");
    EXPECT_EQ(data[k].at("body"), "left's") << file;
    ++k;
  }
  EXPECT_EQ(data[0], data[1]);
}

// A run holds its planned creates as their sources only and plans each
// again when its batch is applied (issue 24): a run refused after planning
// still lists every create with the fields it sets, as the plan does, and
// plans them to the same fingerprint, in the same order; nothing is written.
TEST(EngineRunTest, ARefusedRunListsItsCreatesWithTheirFieldsAsThePlanDoes) {
  Fixture f;
  f.create("left.sqlite", 5);
  RunOptions plan;
  plan.apply = false;
  RunReport planned = f.run(plan);
  ASSERT_EQ(planned.pairs.size(), 1u);
  const PairReport& p = planned.pairs[0];
  ASSERT_EQ(p.ops.size(), 5u);
  RunOptions ro;
  ro.batch = 2;
  ro.expect_fingerprint[p.name] = "not the plan's";
  RunReport refused = f.run(ro);
  ASSERT_EQ(refused.pairs.size(), 1u);
  const PairReport& r = refused.pairs[0];
  EXPECT_FALSE(r.refused.empty());
  EXPECT_EQ(r.fingerprint, p.fingerprint);
  ASSERT_EQ(r.ops.size(), p.ops.size());
  for (size_t i = 0; i < r.ops.size(); ++i) {
    EXPECT_EQ(r.ops[i].op, "create");
    EXPECT_EQ(r.ops[i].label, p.ops[i].label);
    EXPECT_EQ(r.ops[i].source_id, p.ops[i].source_id);
    EXPECT_FALSE(r.ops[i].changes.empty()) << r.ops[i].label;
    EXPECT_EQ(r.ops[i].changes, p.ops[i].changes) << r.ops[i].label;
  }
  EXPECT_TRUE(f.titles("right.sqlite").empty());
  // and the same plan, applied in batches of two, makes each record once
  RunOptions again;
  again.batch = 2;
  again.expect_fingerprint[p.name] = p.fingerprint;
  RunReport applied = f.run(again);
  EXPECT_EQ(applied.status, "ok") << applied.pairs[0].refused;
  EXPECT_EQ(applied.pairs[0].applied, 5);
  expect_each_once(f.titles("right.sqlite"), 5);
  expect_each_once(f.titles("left.sqlite"), 5);
}

// A run's report lists only the first RunOptions::list_creates of its
// creates and counts them all (issue 22: a first pull of 50,000 messages
// held an entry of 400-500 B for each, about 25 MB); every create is
// applied, each once. A run refused before writing lists them all again,
// with their fields, as a plan does.
TEST(EngineRunTest, ARunListsTheCreatesItWasAskedForAndCountsEveryOne) {
  Fixture f;
  f.create("left.sqlite", 10);
  RunOptions plan;
  plan.apply = false;
  plan.list_creates = 2;  // (a plan lists every write)
  RunReport planned = f.run(plan);
  ASSERT_EQ(planned.pairs.size(), 1u);
  EXPECT_EQ(planned.pairs[0].ops.size(), 10u);
  RunOptions refuse;
  refuse.list_creates = 2;
  refuse.expect_fingerprint[planned.pairs[0].name] = "not the plan's";
  RunReport refused = f.run(refuse);
  ASSERT_EQ(refused.pairs.size(), 1u);
  const PairReport& r = refused.pairs[0];
  EXPECT_FALSE(r.refused.empty());
  EXPECT_EQ(r.planned.of(Side::kRight, "create"), 10);
  ASSERT_EQ(r.ops.size(), 10u);
  for (const auto& op : r.ops) EXPECT_FALSE(op.changes.empty()) << op.label;
  EXPECT_TRUE(f.titles("right.sqlite").empty());

  RunOptions ro;
  ro.batch = 3;
  ro.list_creates = 2;
  RunReport run = f.run(ro);
  ASSERT_EQ(run.pairs.size(), 1u);
  const PairReport& p = run.pairs[0];
  EXPECT_EQ(run.status, "ok") << p.refused << p.error;
  EXPECT_EQ(p.ops.size(), 2u);
  EXPECT_EQ(p.planned.of(Side::kRight, "create"), 10);
  EXPECT_EQ(p.planned.total(), 10);
  EXPECT_EQ(p.applied, 10);
  EXPECT_EQ(p.fingerprint, r.fingerprint);
  expect_each_once(f.titles("right.sqlite"), 10);
  RunOptions none;
  none.list_creates = 0;
  RunReport again = f.run(none);
  EXPECT_EQ(again.pairs[0].planned.total(), 0);
  EXPECT_TRUE(again.pairs[0].ops.empty());
}

// A run's writes to linked pairs are listed as its creates are (issue 24:
// a run held every planned update, and its report an entry for each): the
// first RunOptions::list_creates listed with what each changes, every one
// counted and applied once, planned again a batch at a time, the plan's
// fingerprint. A run refused before writing lists them all with their
// fields, in the plan's order, as a plan does.
TEST(EngineRunTest, ARunListsTheUpdatesItWasAskedForAndCountsEveryOne) {
  Fixture f;
  f.create("left.sqlite", 10);
  ASSERT_EQ(f.run({}).pairs[0].applied, 10);
  {
    Instance l = f.side("left.sqlite");
    auto r = l.read_changes("note", "");
    ASSERT_TRUE(r);
    json::array ops;
    json::value read = json::parse(*r);  // (held: a range-for over a temporary's member dangles before P2718)
    for (const auto& rec : read.at("records").as_array())
      ops.push_back(json::object{{"op", "update"}, {"id", rec.at("id")},
                                 {"data", json::object{{"title", rec.at("data").at("title")}, {"body", "edited"}}}});
    ASSERT_EQ(ops.size(), 10u);
    ASSERT_TRUE(l.apply("note", json::serialize(ops)));
  }
  RunOptions plan;
  plan.apply = false;
  plan.list_creates = 2;  // (a plan lists every write)
  RunReport planned = f.run(plan);
  ASSERT_EQ(planned.pairs.size(), 1u);
  const PairReport& all = planned.pairs[0];
  ASSERT_EQ(all.ops.size(), 10u);
  RunOptions refuse;
  refuse.list_creates = 2;
  refuse.expect_fingerprint[all.name] = "not the plan's";
  RunReport refused = f.run(refuse);
  const PairReport& r = refused.pairs[0];
  EXPECT_FALSE(r.refused.empty());
  EXPECT_EQ(r.fingerprint, all.fingerprint);
  EXPECT_EQ(r.planned.of(Side::kRight, "update"), 10);
  ASSERT_EQ(r.ops.size(), 10u);
  for (size_t k = 0; k < r.ops.size(); ++k) {
    EXPECT_EQ(r.ops[k].id, all.ops[k].id) << k;
    EXPECT_EQ(r.ops[k].op, "update") << k;
    EXPECT_FALSE(r.ops[k].changes.empty()) << k;
  }

  RunOptions ro;
  ro.batch = 3;
  ro.list_creates = 2;
  RunReport run = f.run(ro);
  const PairReport& p = run.pairs[0];
  EXPECT_EQ(run.status, "ok") << p.refused << p.error;
  EXPECT_EQ(p.fingerprint, all.fingerprint);
  ASSERT_EQ(p.ops.size(), 2u);
  for (size_t k = 0; k < p.ops.size(); ++k) {
    EXPECT_EQ(p.ops[k].id, all.ops[k].id) << k;
    EXPECT_FALSE(p.ops[k].changes.empty()) << k;
  }
  EXPECT_EQ(p.planned.of(Side::kRight, "update"), 10);
  EXPECT_EQ(p.planned.total(), 10);
  EXPECT_EQ(p.applied, 10);
  expect_each_once(f.titles("right.sqlite"), 10);
  {
    Instance right = f.side("right.sqlite");
    auto rr = right.read_changes("note", "");
    ASSERT_TRUE(rr);
    json::value read = json::parse(*rr);
    for (const auto& rec : read.at("records").as_array())
      EXPECT_EQ(rec.at("data").as_object().if_contains("body") ? json::serialize(rec.at("data").at("body")) : "",
                "\"edited\"")
          << json::serialize(rec);
  }
  EXPECT_EQ(f.run({}).pairs[0].planned.total(), 0);
}

// A run's writes to linked pairs past its first batch are planned once and
// spilled (engine/spill.cpp), read back as planned when their batch is due
// (issue 24): never planned again from the state. Before, they were planned
// again, and a pair that then planned otherwise stopped the run there (review
// s12 L8). Here the state is changed under the run after its first batch (the
// last pair's left row made to hold another body; nothing in a run does that,
// the state is locked): the run writes every pair as it planned it, each
// once, then the three creates; with the row put back the next run has
// nothing to do.
TEST(EngineRunTest, APairIsPlannedOnceAndWrittenAsPlannedWhenItsBatchIsDue) {
  Fixture f;
  f.create("left.sqlite", 10);
  ASSERT_EQ(f.run({}).pairs[0].applied, 10);
  {
    Instance l = f.side("left.sqlite");
    auto r = l.read_changes("note", "");
    ASSERT_TRUE(r);
    json::array ops;
    json::value read = json::parse(*r);
    for (const auto& rec : read.at("records").as_array())
      ops.push_back(json::object{{"op", "update"}, {"id", rec.at("id")},
                                 {"data", json::object{{"title", rec.at("data").at("title")}, {"body", "edited"}}}});
    for (int k = 0; k < 3; ++k)
      ops.push_back(json::object{{"op", "create"}, {"data", json::object{{"title", "new" + std::to_string(k)}}}});
    ASSERT_TRUE(l.apply("note", json::serialize(ops)));
  }
  const std::string state = (f.dir / "state.sqlite").string();
  auto sql = [&](const std::string& q) {
    sql::Db db(state);
    db.exec(q);
  };
  // the last pair planned (the linked pairs go in their left ids' order):
  // its left row pointed at a copy of its data with another body, and back
  std::string left_id;
  int64_t data_id = 0;
  {
    sql::Db db(state);
    sql::Stmt s(db, "SELECT l.left_id, m.data_id FROM links l JOIN mirror_rows m ON m.pair = l.pair AND"
                    " m.side = 'left' AND m.id = l.left_id ORDER BY l.left_id DESC LIMIT 1");
    ASSERT_TRUE(s.step());
    left_id = s.text(0);
    data_id = s.i64(1);
  }
  bool changed = false;
  RunOptions ro;
  ro.batch = 2;
  ro.progress = [&](const std::string& line) {
    if (changed || line.find(": applied 2 of ") == std::string::npos) return;
    changed = true;
    sql("INSERT INTO record_data(id, data, refs) SELECT max(id) + 1, json_set((SELECT data FROM record_data WHERE id = " +
        std::to_string(data_id) + "), '$.body', 'not planned'), 1 FROM record_data;"
        "UPDATE mirror_rows SET data_id = (SELECT max(id) FROM record_data) WHERE side = 'left' AND id = '" + left_id + "'");
  };
  RunReport run = f.run(ro);
  ASSERT_TRUE(changed);
  const PairReport& p = run.pairs[0];
  EXPECT_EQ(run.status, "ok") << p.refused << p.error;
  EXPECT_TRUE(p.error.empty()) << p.error;
  EXPECT_EQ(p.applied, 13);  // the ten updates as planned, the three creates
  sql("UPDATE mirror_rows SET data_id = " + std::to_string(data_id) + " WHERE side = 'left' AND id = '" + left_id +
      "'; DELETE FROM record_data WHERE id = (SELECT max(id) FROM record_data)");
  for (const char* file : {"left.sqlite", "right.sqlite"}) {
    Instance i = f.side(file);
    auto r = i.read_changes("note", "");
    ASSERT_TRUE(r);
    json::value read = json::parse(*r);
    std::map<std::string, int> titles;
    for (const auto& rec : read.at("records").as_array()) {
      const json::object& d = rec.at("data").as_object();
      std::string title(d.at("title").as_string());
      ++titles[title];
      if (!title.starts_with("new")) {
        EXPECT_EQ(d.if_contains("body") ? json::serialize(d.at("body")) : "", "\"edited\"") << file << " " << title;
      }
    }
    expect_each_once(titles, 13);
  }
  EXPECT_EQ(f.run({}).pairs[0].planned.total(), 0);
}

// What may change under a spilled write between its planning and its batch
// is its record in the target store (a person's edit there, mid-run): the
// write carries the version the plan read (expect_version), the store
// answers conflict, and nothing of that edit is lost: the next run reads
// it and merges it with the source's change, both ways.
TEST(EngineRunTest, ARecordEditedInItsStoreAfterThePlanIsNotOverwrittenByItsSpilledWrite) {
  Fixture f;
  f.create("left.sqlite", 10);
  ASSERT_EQ(f.run({}).pairs[0].applied, 10);
  {
    Instance l = f.side("left.sqlite");
    auto r = l.read_changes("note", "");
    ASSERT_TRUE(r);
    json::array ops;
    json::value read = json::parse(*r);
    for (const auto& rec : read.at("records").as_array())
      ops.push_back(json::object{{"op", "update"}, {"id", rec.at("id")},
                                 {"data", json::object{{"title", rec.at("data").at("title")}, {"body", "edited"}}}});
    ASSERT_TRUE(l.apply("note", json::serialize(ops)));
  }
  std::string right_id = f.last_right_id();  // spilled, in the last batch
  std::string title;
  bool edited = false;
  // the right's record made {title, tag} (its data as the run planned it went)
  RunOptions ro = f.edit_right_during_run(
      right_id, [](json::object& d) { d = json::object{{"title", d.at("title")}, {"tag", "right"}}; }, title, edited);
  RunReport run = f.run(ro);
  ASSERT_TRUE(edited);
  const PairReport& p = run.pairs[0];
  EXPECT_EQ(p.applied, 9);
  EXPECT_EQ(p.failed, 1);       // answered conflict: its version moved
  EXPECT_EQ(p.quarantined, 0);  // (not the record's fault)
  RunReport next = f.run({});
  EXPECT_EQ(next.pairs[0].applied, 2) << next.pairs[0].error;  // the body to the right, the tag to the left
  EXPECT_EQ(next.pairs[0].failed, 0);
  for (const char* file : {"left.sqlite", "right.sqlite"}) {
    Instance i = f.side(file);
    auto r = i.read_changes("note", "");
    ASSERT_TRUE(r);
    json::value read = json::parse(*r);
    std::map<std::string, int> titles;
    for (const auto& rec : read.at("records").as_array()) {
      const json::object& d = rec.at("data").as_object();
      std::string t(d.at("title").as_string());
      ++titles[t];
      EXPECT_EQ(d.if_contains("body") ? json::serialize(d.at("body")) : "", "\"edited\"") << file << " " << t;
      EXPECT_EQ(d.if_contains("tag") ? json::serialize(d.at("tag")) : "", t == title ? "\"right\"" : "") << file << " " << t;
    }
    expect_each_once(titles, 10);
  }
  EXPECT_EQ(f.run({}).pairs[0].planned.total(), 0);
}

// Review s15 F2: a pair whose write to one side landed while its write to
// the other was answered conflict (the record edited in its store during
// the run). The landed write is recorded (its echo is not a person's edit)
// and the pair's base on that side moves by what was written there only:
// the next run carries the mid-run edit across and the other side's own
// change still travels. Before, nothing was recorded, the echo came back
// newer than the person's edit and "newest" gave it the field: the edit was
// lost on both sides.
TEST(EngineRunTest, AWriteThatLandedBesideOneAnsweredConflictIsRecordedAndTheMidRunEditWins) {
  Fixture f;
  f.create("left.sqlite", 10);
  ASSERT_EQ(f.run({}).pairs[0].applied, 10);
  auto edit_all = [&](const char* file, const char* field, const char* value) {
    Instance i = f.side(file);
    auto r = i.read_changes("note", "");
    ASSERT_TRUE(r);
    json::array ops;
    json::value read = json::parse(*r);
    for (const auto& rec : read.at("records").as_array()) {
      json::object data = rec.at("data").as_object();
      data[field] = value;
      ops.push_back(json::object{{"op", "update"}, {"id", rec.at("id")}, {"data", data}});
    }
    ASSERT_TRUE(i.apply("note", json::serialize(ops)));
  };
  edit_all("left.sqlite", "body", "edited");  // each pair writes both sides: the body right, the tag left
  edit_all("right.sqlite", "tag", "right");
  std::string right_id = f.last_right_id();  // in the last batch
  std::string title;
  bool edited = false;
  RunOptions ro = f.edit_right_during_run(right_id, [](json::object& d) { d["tag"] = "mid"; }, title, edited);
  RunReport run = f.run(ro);
  ASSERT_TRUE(edited);
  EXPECT_EQ(run.pairs[0].failed, 1);  // the body to the right: answered conflict
  EXPECT_EQ(run.pairs[0].applied, 19) << run.pairs[0].error;
  for (int k = 0; k < 3 && f.run({}).pairs[0].planned.total() > 0; ++k) {
  }
  EXPECT_EQ(f.run({}).pairs[0].planned.total(), 0);
  for (const char* file : {"left.sqlite", "right.sqlite"}) {
    Instance i = f.side(file);
    auto r = i.read_changes("note", "");
    ASSERT_TRUE(r);
    std::map<std::string, int> titles;
    json::value read = json::parse(*r);
    for (const auto& rec : read.at("records").as_array()) {
      const json::object& d = rec.at("data").as_object();
      std::string t(d.at("title").as_string());
      ++titles[t];
      EXPECT_EQ(d.if_contains("body") ? json::serialize(d.at("body")) : "", "\"edited\"") << file << " " << t;
      EXPECT_EQ(d.if_contains("tag") ? json::serialize(d.at("tag")) : "", t == title ? "\"mid\"" : "\"right\"")
          << file << " " << t;
    }
    expect_each_once(titles, 10);
  }
}

// A record's name in notes, conflicts and the report (record_label): the
// first of /name/full, /title, /Name, /FullName, /subject, /name that is a
// non-empty string, else FirstName/first_name and LastName/last_name, else
// its id. (It walks the record's members instead of copying it into a
// value for a JSON pointer, issue 24: the answers are the pointer's.)
TEST(RecordLabelTest, ARecordIsNamedByTheFirstFieldThatNamesIt) {
  auto label = [](const char* data) { return record_label(json::parse(data).as_object(), "id-1"); };
  EXPECT_EQ(label(R"({"name":{"full":"Ann Lee"},"title":"T"})"), "Ann Lee");
  EXPECT_EQ(label(R"({"name":{"full":""},"title":"T"})"), "T");
  EXPECT_EQ(label(R"({"name":{"given":"Ann"},"subject":"S"})"), "S");
  EXPECT_EQ(label(R"({"name":["full"],"Name":"N"})"), "N");
  EXPECT_EQ(label(R"({"FullName":"F","name":"n"})"), "F");
  EXPECT_EQ(label(R"({"name":"n"})"), "n");
  EXPECT_EQ(label(R"({"title":7,"FirstName":"Ann","LastName":"Lee"})"), "Ann Lee");
  EXPECT_EQ(label(R"({"last_name":"Lee"})"), "Lee");
  EXPECT_EQ(label(R"({"name":{"full":{"x":1}}})"), "id-1");
  EXPECT_EQ(label("{}"), "id-1");
}

// A create's source gone by the time its body is fetched (a message deleted,
// its folder renamed, between the listing and the fetch: a first pull's
// fetches come minutes after its listing; gmail-imap leaves a folder gone
// since it was listed out of its answer). The fetch answered without the
// record: the create is skipped, not failed (the run does not fail for it)
// and nothing is quarantined under the old id. The next run reads where the
// records went: the renamed folder's message is copied, under its new
// folder, the deleted one nowhere; each message once.
TEST(EngineRunTest, ACreateWhoseSourceIsGoneWhenItsBodyIsFetchedIsSkippedNotFailed) {
  Fixture f;
  f.maildir_one_way();
  auto put = [&](const std::string& folder, const std::string& tag) {
    fs::path d = f.dir / "a" / folder;
    for (const char* sub : {"cur", "new", "tmp"}) fs::create_directories(d / sub);
    std::ofstream(d / "cur" / ("1700000000." + tag + ".test:2,S"))
        << "From: ada@example.org\r\nTo: bo@example.org\r\nSubject: " << tag << "\r\nMessage-ID: <" << tag
        << "@example.org>\r\nDate: Mon, 1 Jun 2026 10:00:00 +0000\r\n\r\nhello " << tag << "\r\n";
  };
  put(".", "stays");
  put(".", "deleted");
  put(".Other", "renamed");
  bool changed = false;
  RunOptions ro;
  ro.check_plan = [&](const PairReport& pr) {  // planned (listed), not yet fetched
    EXPECT_EQ(pr.planned.total(), 3);
    fs::remove(f.dir / "a" / "cur" / "1700000000.deleted.test:2,S");
    fs::rename(f.dir / "a" / ".Other", f.dir / "a" / ".Renamed");
    changed = true;
    return std::string();
  };
  RunReport first = f.run(ro);
  ASSERT_TRUE(changed) << first.pairs[0].error << first.pairs[0].refused;
  const PairReport& one = first.pairs[0];
  EXPECT_EQ(one.error, "");
  EXPECT_EQ(one.applied, 1);
  EXPECT_EQ(one.failed, 0);       // (the CLI's exit is 0: nothing failed, nothing to decide)
  EXPECT_EQ(one.quarantined, 0);
  EXPECT_EQ(one.gone, 2);
  for (const auto& n : one.notes) ADD_FAILURE() << "note: " << n;
  {
    sql::Db db((f.dir / "state.sqlite").string());
    sql::Stmt q(db, "SELECT count(*) FROM quarantine");
    ASSERT_TRUE(q.step());
    EXPECT_EQ(q.i64(0), 0) << "a gone source quarantined";
  }
  RunReport second = f.run({});
  EXPECT_EQ(second.pairs[0].error, "");
  EXPECT_EQ(second.pairs[0].applied, 1);  // the renamed folder's message, under its new id
  EXPECT_EQ(second.pairs[0].failed, 0);
  EXPECT_EQ(second.pairs[0].gone, 0);
  EXPECT_EQ(f.run({}).pairs[0].planned.total(), 0);
  // each message once on the right, in its folder as the left has it now
  std::map<std::string, std::string> where;  // tag → folder on the right
  for (const auto& e : fs::recursive_directory_iterator(f.dir / "b")) {
    std::string sub = e.path().parent_path().filename().string();
    if (!e.is_regular_file() || (sub != "cur" && sub != "new")) continue;
    std::ifstream in(e.path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const char* tag : {"stays", "deleted", "renamed"})
      if (text.find(std::string("<") + tag + "@example.org>") != std::string::npos) {
        EXPECT_FALSE(where.contains(tag)) << tag << " copied twice";
        where[tag] = e.path().parent_path().parent_path().filename().string();
      }
  }
  EXPECT_EQ(where.size(), 2u);
  EXPECT_EQ(where["stays"], "b");
  EXPECT_EQ(where["renamed"], ".Renamed");
  EXPECT_FALSE(where.contains("deleted"));
}

// A run whose every create was gone when its body was fetched went on (it
// applied nothing because there was nothing left to apply): its report
// lists the creates as a run's, without their fields, not as a plan's
// (show_pending_fields is for runs refused, stopped or failed first).
TEST(EngineRunTest, ARunWhoseEveryCreateWasGoneListsThemAsARunNotAsAPlan) {
  Fixture f;
  f.maildir_one_way();
  fs::path file = f.dir / "a" / "cur" / "1700000000.only.test:2,S";
  for (const char* sub : {"cur", "new", "tmp"}) fs::create_directories(f.dir / "a" / sub);
  std::ofstream(file) << "From: ada@example.org\r\nSubject: only\r\nMessage-ID: <only@example.org>\r\n\r\nhi\r\n";
  RunOptions ro;
  ro.check_plan = [&](const PairReport&) {
    fs::remove(file);
    return std::string();
  };
  RunReport r = f.run(ro);
  const PairReport& p = r.pairs[0];
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.gone, 1);
  EXPECT_EQ(p.applied + p.failed, 0);
  ASSERT_EQ(p.ops.size(), 1u);
  EXPECT_TRUE(p.ops[0].changes.empty()) << "listed with its fields, as if the run had not gone on";
}

// An undo's create is the run's history, not a source's row: where its
// body's source is gone when it is fetched, no later run brings the record
// back, so it is not "gone, skipped, the next run reads where it went" but
// a failure that says the undo cannot restore it (review s17, on f0231fa).
TEST(EngineRunTest, AnUndosCreateWhoseBodyIsGoneFromItsSourceFailsSayingSo) {
  Fixture f;
  f.maildir_one_way();
  fs::path file = f.dir / "a" / "cur" / "1700000000.m.test:2,S";
  auto put = [&] {
    for (const char* sub : {"cur", "new", "tmp"}) fs::create_directories(f.dir / "a" / sub);
    std::ofstream(file) << "From: ada@example.org\r\nTo: bo@example.org\r\nSubject: m\r\nMessage-ID: <m@example.org>\r\n"
                           "Date: Mon, 1 Jun 2026 10:00:00 +0000\r\n\r\nhello\r\n";
  };
  put();
  for (const char* keep : {"k1", "k2", "k3", "k4"})  // (one delete of five: no guard's business)
    std::ofstream(f.dir / "a" / "cur" / ("1700000000." + std::string(keep) + ".test:2,S"))
        << "From: ada@example.org\r\nSubject: " << keep << "\r\nMessage-ID: <" << keep << "@example.org>\r\n\r\nhi\r\n";
  ASSERT_EQ(f.run({}).pairs[0].applied, 5);  // copied to the right
  fs::remove(file);
  RunReport deleted = f.run({});
  ASSERT_EQ(deleted.pairs[0].applied, 1) << deleted.pairs[0].refused << deleted.pairs[0].error;  // and deleted there
  put();  // back on the left, unlinked: the undo's create takes its body from it
  RunOptions ro;
  ro.kind = "undo";
  ro.undo_run = deleted.run_id;
  bool removed = false;
  ro.check_plan = [&](const PairReport&) {  // planned, not yet fetched: gone again
    removed = fs::remove(file);
    return std::string();
  };
  struct Told : RunEvents {
    std::string messages;
    void applied(std::string_view, const PlannedOp&, const std::string&, bool, const std::string& status,
                 const std::string& message) override {
      messages += status + ": " + message + "\n";
    }
  } told;
  ro.events = &told;
  RunReport undo = f.run(ro);
  ASSERT_TRUE(removed) << undo.pairs[0].error << undo.pairs[0].refused;
  const PairReport& u = undo.pairs[0];
  EXPECT_EQ(u.gone, 0) << "an undo's create skipped as if a later run would bring it back";
  EXPECT_EQ(u.failed, 1);
  EXPECT_NE(told.messages.find("the undo cannot restore it"), std::string::npos) << told.messages;
}
