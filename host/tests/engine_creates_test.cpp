// SPDX-License-Identifier: Apache-2.0
// A run's creates through whole runs of the engine (run_pipeline), the real
// local connector on SQLite stores in a temporary folder: planned once, for
// the report and into the run's spill, and written as planned a batch at a
// time (issues 22, 24; engine/plan_run.cpp report_ops, planned_creates).
#include "engine_run_fixture.hpp"

#include <accord/sql/sqlite_db.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <unistd.h>

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace accord;

namespace {

// Two local SQLite stores of notes, matched by title, in a folder of their own.
struct Fixture : test::NotesRun {
  Fixture() : NotesRun("engine-creates") {}

  void create(const char* file, int n, const std::string& prefix) {
    Instance i = side(file);
    json::array ops;
    for (int k = 0; k < n; ++k)
      ops.push_back(json::object{{"op", "create"},
                                 {"data", json::object{{"title", prefix + std::to_string(k)}, {"n", k}}}});
    auto r = i.apply("note", json::serialize(ops));
    if (!r) throw std::runtime_error(r.error().message);
  }
  // every record's data, by title (a title held twice: counted in `twice`)
  std::map<std::string, json::object> records(const char* file, int& twice) {
    Instance i = side(file);
    std::map<std::string, json::object> m;
    std::string cursor;
    twice = 0;
    for (;;) {
      auto r = i.read_changes("note", cursor);
      if (!r) throw std::runtime_error(r.error().message);
      json::value b = json::parse(*r);
      for (const auto& rec : b.at("records").as_array()) {
        if (rec.as_object().contains("deleted") && rec.at("deleted").as_bool()) continue;
        const json::object& d = rec.at("data").as_object();
        if (!m.emplace(std::string(d.at("title").as_string()), d).second) ++twice;
      }
      cursor = b.at("cursor").as_string();
      if (!b.at("more").as_bool()) break;
    }
    return m;
  }
  void sql(const std::string& q) {
    sql::Db db((dir / "state.sqlite").string());
    db.exec(q);
  }
};

// A run's creates are planned once, when the run plans (the report counts
// and fingerprints each as planned then), and each is written as planned
// when its batch is due: never planned again from the state. Here the
// sources' mirror rows are changed under the run after its first batch
// (each waiting source made to hold a body; nothing in a run does that, the
// state is locked): the run writes every create as it planned it, each
// once, without the body. Before, each batch's creates were planned again
// from the state and written with it. With the rows put back, the next run
// has nothing to do.
TEST(EngineCreatesTest, ACreateIsPlannedOnceAndWrittenAsPlannedWhenItsBatchIsDue) {
  Fixture f;
  f.create("left.sqlite", 2, "old");
  ASSERT_EQ(f.run({}).pairs[0].applied, 2);
  f.create("left.sqlite", 9, "new");
  bool changed = false;
  RunOptions ro;
  ro.batch = 2;
  ro.list_creates = 3;
  ro.progress = [&](const std::string& line) {
    if (changed || line.find(": applied 2 of ") == std::string::npos) return;
    changed = true;  // (the sources still waiting: their left rows not linked yet)
    f.sql("UPDATE record_data SET data = json_set(data, '$.body', 'not planned') WHERE id IN"
          " (SELECT data_id FROM mirror_rows WHERE side = 'left' AND id NOT IN (SELECT left_id FROM links))");
  };
  RunReport run = f.run(ro);
  ASSERT_TRUE(changed);
  const PairReport& p = run.pairs[0];
  EXPECT_EQ(run.status, "ok") << p.refused << p.error;
  EXPECT_TRUE(p.error.empty()) << p.error;
  EXPECT_EQ(p.applied, 9);
  EXPECT_EQ(p.planned.create[1], 9);
  // the rows put back as the left store holds them
  f.sql("UPDATE record_data SET data = json_remove(data, '$.body') WHERE json_extract(data, '$.body') = 'not planned'");
  int twice = 0;
  auto right = f.records("right.sqlite", twice);
  EXPECT_EQ(twice, 0);
  ASSERT_EQ(right.size(), 11u);
  for (const auto& [title, data] : right) {
    EXPECT_FALSE(data.contains("body")) << title << ": " << json::serialize(data);
    EXPECT_EQ(data.at("n"), json::value(std::stoi(title.substr(3)))) << title;
  }
  EXPECT_EQ(f.run({}).pairs[0].planned.total(), 0);
}

// What a run reports of its creates is what a plan of the same state says
// (the ops, in order, listed up to list_creates and counted past it, and
// the fingerprint `accord apply --plan` checks), and what it writes is every
// create once, past several batches and the spill's buffer.
TEST(EngineCreatesTest, ARunsCreatesAreReportedAsAPlanOfThemSaysAndWrittenEachOnce) {
  Fixture f;
  f.create("left.sqlite", 600, "new");  // (some 100 KB of planned creates: the spill's buffer written out)
  f.create("right.sqlite", 5, "rgt");
  RunOptions plan;
  plan.apply = false;
  RunReport planned = f.run(plan);
  const PairReport& pp = planned.pairs[0];
  ASSERT_TRUE(pp.error.empty()) << pp.error;
  ASSERT_EQ(pp.planned.create[1], 600);
  ASSERT_EQ(pp.planned.create[0], 5);
  RunOptions ro;
  ro.batch = 7;
  ro.list_creates = 4;
  ro.expect_fingerprint[pp.name] = pp.fingerprint;  // (as `apply --plan` does)
  RunReport run = f.run(ro);
  const PairReport& p = run.pairs[0];
  EXPECT_EQ(run.status, "ok") << run.stale << p.refused << p.error;
  EXPECT_EQ(p.fingerprint, pp.fingerprint);
  EXPECT_EQ(p.applied, 605);
  EXPECT_EQ(p.planned.create[0], 5);
  EXPECT_EQ(p.planned.create[1], 600);
  // the listed ones: the plan's first ones, in its order (a plan lists all)
  std::vector<const PlannedOp*> listed, all;
  for (const auto& op : p.ops)
    if (op.op == "create") listed.push_back(&op);
  for (const auto& op : pp.ops)
    if (op.op == "create") all.push_back(&op);
  ASSERT_EQ(all.size(), 605u);
  ASSERT_EQ(listed.size(), 4u);
  for (size_t k = 0; k < listed.size(); ++k) {
    EXPECT_EQ(listed[k]->side, all[k]->side) << k;
    EXPECT_EQ(listed[k]->source_id, all[k]->source_id) << k;
    EXPECT_EQ(listed[k]->label, all[k]->label) << k;
  }
  for (const char* file : {"left.sqlite", "right.sqlite"}) {
    int twice = 0;
    auto recs = f.records(file, twice);
    EXPECT_EQ(twice, 0) << file;
    EXPECT_EQ(recs.size(), 605u) << file;
  }
  EXPECT_EQ(f.run({}).pairs[0].planned.total(), 0);
}

}  // namespace
