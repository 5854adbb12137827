// SPDX-License-Identifier: Apache-2.0
// A run of a pipeline: the state's identity checked, the run recorded in its
// history, each stream pair run (pair_run.cpp; several side by side), and
// the run's status and summary written when it ends.
#include "engine/sync_run.hpp"

#include <accord/json/exact.hpp>
#include <accord/json/text.hpp>
#include <accord/text/content_hash.hpp>
#include "engine/pair_run.hpp"
#include "state/state_store.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <string_view>
#include <thread>

namespace json = boost::json;
namespace fs = std::filesystem;

namespace accord {

std::string record_label(const json::object& data, const std::string& id) {
  // /name/full, /title, /Name, /FullName, /subject, /name: walked member by
  // member (the record is not copied into a value to take a pointer)
  static constexpr std::string_view kPaths[][2] = {{"name", "full"}, {"title", ""},   {"Name", ""},
                                                   {"FullName", ""}, {"subject", ""}, {"name", ""}};
  for (const auto& path : kPaths) {
    const json::value* v = data.if_contains(path[0]);
    if (v && !path[1].empty()) v = v->is_object() ? v->get_object().if_contains(path[1]) : nullptr;
    if (v && v->is_string() && !v->get_string().empty()) return std::string(v->get_string());
  }
  std::string first, last;
  for (const auto& [k, v] : data) {
    std::string key(k);
    if (!v.is_string()) continue;
    if (key == "FirstName" || key == "first_name") first = v.get_string();
    if (key == "LastName" || key == "last_name") last = v.get_string();
  }
  if (!first.empty() || !last.empty()) return first + (first.empty() || last.empty() ? "" : " ") + last;
  return id;
}

const char* phase_name(Phase p) {
  return p == Phase::kReading ? "reading" : p == Phase::kPlanning ? "planning" : "applying";
}

OpFingerprint::OpFingerprint() : fp_(hash::kFnvOffset) {}

void OpFingerprint::add(const PlannedOp& op) {
  // The changes' text: json::serialize's of an object of them in the map's
  // order (a saved plan's fingerprint still holds), written from the map
  // (json_text), not from a copy of every value: a mail create's changes
  // are its whole record (36 k instructions an op with the copy).
  std::string changes;
  {
    json_text::Writer w(changes);
    w.raw('{');
    for (auto it = op.changes.begin(); it != op.changes.end(); ++it) {
      if (it != op.changes.begin()) w.raw(',');
      w.string(it->first);
      w.raw(':');
      if (it->second) w.value(*it->second);
      else w.value(json::value(nullptr));
    }
    w.raw('}');
  }
  for (std::string_view part : {std::string_view(side_name(op.side)), std::string_view(op.op), std::string_view(op.id),
                                std::string_view(op.source_id), std::string_view(changes), std::string_view("\n")})
    fp_ = hash::fnv1a(part, fp_);
}

namespace {

// How a run ended, as the state's run history records it.
enum class RunStatus { kOk, kPartial, kConflicts, kRefused, kFailed, kStopped };

const char* run_status_name(RunStatus s) {
  switch (s) {
    case RunStatus::kOk: return "ok";
    case RunStatus::kPartial: return "partial";
    case RunStatus::kConflicts: return "conflicts";
    case RunStatus::kRefused: return "refused";
    case RunStatus::kFailed: return "failed";
    case RunStatus::kStopped: return "stopped";  // RunOptions::cancel: the next run goes on
  }
  return "failed";
}

// Why the state at `path`, made for `was`, is not this pipeline's (`now`);
// "" when it is.
std::string identity_mismatch(const std::string& was, const json::object& now, const fs::path& path) {
  boost::system::error_code ec;
  json::value old = accord::json_exact::parse(was, ec);
  if (ec || !old.is_object()) return "";  // unreadable: nothing to compare with
  const json::object& o = old.get_object();
  std::string where = path.string();
  if (auto* name = o.if_contains("pipeline"); name && *name != now.at("pipeline"))
    return where + " is the state of pipeline " + json::serialize(*name) + ", not of " + json::serialize(now.at("pipeline"));
  for (const char* side : {"left", "right"})
    if (auto* store = o.if_contains(side); store && *store != now.at(side))
      return where + " was made with the " + std::string(side) + " side's store " + json::serialize(*store) +
             ", and the pipeline now names " + json::serialize(now.at(side));
  return "";
}

}  // namespace

Result<RunReport> run_pipeline(const Pipeline& p, const Registry& registry, const RunOptions& opts) {
  // A plan writes nothing: no lock, and where there is no state yet, an empty
  // one in memory (each pair plans alone, so one per pair is enough).
  std::optional<PipelineLock> lock;
  fs::path state_path = p.state_path;
  if (opts.apply) {
    auto l = PipelineLock::acquire(p.state_path, p.name);
    if (!l) return std::unexpected(l.error());
    lock.emplace(std::move(*l));
    remove_stale_lazy_spools(p.state_path.string());
  } else if (std::error_code ec; !fs::exists(p.state_path, ec)) {
    state_path = ":memory:";
  }
  RunReport report;
  auto st = StateStore::open(state_path);
  if (!st) return std::unexpected(st.error());
  std::unique_ptr<StateStore> history = std::move(*st);
  report.generation = history->generation();
  if (opts.expect_generation && *opts.expect_generation != report.generation) {
    report.stale = "the state moved since the plan was made (generation " + std::to_string(*opts.expect_generation) +
                   ", now " + std::to_string(report.generation) + "); plan again";
    return report;
  }
  // The state belongs to one pipeline and its two stores: another's (a
  // --state pointing elsewhere, a folder path edited) is refused, for it
  // would delete and copy again what it takes for changes.
  json::object identity{{"pipeline", p.name}, {"left", p.left.store}, {"right", p.right.store}};
  if (auto was = history->identity()) {
    if (std::string why = identity_mismatch(*was, identity, state_path); !why.empty()) {
      if (!opts.forces("store")) {
        report.pairs.resize(p.streams.size());
        for (size_t i = 0; i < p.streams.size(); ++i) {
          report.pairs[i].name = p.streams[i].name;
          report.pairs[i].refused = why + "; if the pipeline is right and the store only moved, run with --force=store "
                                          "to adopt it; otherwise point the pipeline at its own state (\"state\")";
        }
        return report;
      }
      report.forced.push_back(why + " (--force=store)");
      if (opts.apply) history->set_identity(json::serialize(identity));
    }
  } else if (opts.apply) {
    history->set_identity(json::serialize(identity));
  }
  int64_t run_id = opts.apply ? history->begin_run(opts.kind) : 0;
  report.run_id = run_id;
  if (opts.events) opts.events->run_started(run_id);
  // A lone pair may load a first sync in the rollback journal, which wants
  // the state to itself: this connection waits closed meanwhile.
  if (alone_on_state(p, opts)) history.reset();
  report.pairs.resize(p.streams.size());
  auto one = [&](size_t i) {
    if (opts.cancelled()) {  // asked to stop before this pair began: it does not
      report.pairs[i].name = p.streams[i].name;
      report.pairs[i].stopped = true;
      if (opts.events) opts.events->pair_done(report.pairs[i]);
      return;
    }
    try {
      PairRun(p, p.streams[i], registry, opts, report.pairs[i], state_path, run_id).run();
    } catch (const Failure& f) {
      report.pairs[i].error = f.message;
      report.pairs[i].error_status = f.status == ACCORD_OK ? ACCORD_ERROR : f.status;
      report.pairs[i].retry_after_ms = f.retry_after_ms;
    } catch (const std::exception& e) {
      report.pairs[i].error = e.what();
      report.pairs[i].error_status = ACCORD_ERROR;
    }
    if (opts.events) opts.events->pair_done(report.pairs[i]);
  };
  if (opts.apply && p.streams.size() > 1) {
    // one thread per stream pair, as mail, contacts and calendar sync side by side
    std::vector<std::thread> threads;
    for (size_t i = 0; i < p.streams.size(); ++i) threads.emplace_back(one, i);
    for (auto& t : threads) t.join();
  } else {
    for (size_t i = 0; i < p.streams.size(); ++i) one(i);
  }
  report.applied = opts.apply;
  if (opts.apply) {
    RunStatus status = RunStatus::kOk;
    std::string error;
    json::object summary;
    for (const auto& pr : report.pairs) {
      // (gone: creates skipped, their source gone since it was read; accord status shows them)
      summary[pr.name] = json::object{{"applied", pr.applied}, {"failed", pr.failed}, {"gone", pr.gone},
                                      {"conflicts", pr.conflicts.size()}, {"read_left", pr.read[0]}, {"read_right", pr.read[1]}};
      // the run's sync issues: how many writes left fields behind, which
      // and how often (accord status shows them)
      long behind = pr.behind.records;
      json::object fields;
      for (const auto& [f, n] : pr.behind.fields) fields[f] = n;
      // how the pair failed, by status (auth_required: accord status says
      // which account needs signing in; retry: when to come back)
      if (!pr.error.empty()) summary[pr.name].as_object()["error_status"] = status_name(pr.error_status);
      if (pr.retry_after_ms) summary[pr.name].as_object()["retry_after_ms"] = pr.retry_after_ms;
      if (pr.stopped) summary[pr.name].as_object()["stopped"] = true;
      if (behind)
        summary[pr.name].as_object()["left_behind"] = json::object{{"records", behind}, {"fields", std::move(fields)}};
      if (!pr.error.empty()) status = RunStatus::kFailed, error += (error.empty() ? "" : "; ") + pr.name + ": " + pr.error;
      else if (!pr.refused.empty() && status == RunStatus::kOk) status = RunStatus::kRefused, error += pr.name + ": " + pr.refused;
      else if (pr.stopped && status != RunStatus::kFailed && status != RunStatus::kRefused) status = RunStatus::kStopped;
      else if (pr.failed && status == RunStatus::kOk) status = RunStatus::kPartial;
      else if (status == RunStatus::kOk && std::any_of(pr.conflicts.begin(), pr.conflicts.end(), [](const ConflictReport& c) {
                 return c.resolution.starts_with("left for you");
               }))
        status = RunStatus::kConflicts;  // done, but a person has to decide (accord conflicts list)
    }
    if (!history) {
      auto again = StateStore::open(state_path);
      if (!again) return std::unexpected(again.error());
      history = std::move(*again);
    }
    if (opts.undo_run) summary["undo_of"] = *opts.undo_run;
    report.status = run_status_name(status);
    history->end_run(run_id, report.status, json::serialize(summary), error);
    // the writes of the runs before the last history.keep_runs are forgotten
    StateStore::Transaction pruning(*history);
    history->prune_history(p.history_keep_runs);
    pruning.commit();
  }
  return report;
}

}  // namespace accord
