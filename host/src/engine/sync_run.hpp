// SPDX-License-Identifier: Apache-2.0
// One run of a pipeline: for each stream pair, on its own thread,
//   A. read both sides' changes since their cursors (a full listing where
//      there is none or it expired), staged in a private TEMP table with their
//      match keys and filter results; no state is written;
//   B. in one state transaction: fold the changes into the mirror (echoes of
//      our own writes recognised by version), plan (link by match keys,
//      three-way merge of linked pairs, creates, deletes), check the guards;
//      a plan, a refusal or a saved plan that no longer matches rolls back;
//   C. apply in batches: the intent of every write (with its idempotency key)
//      is committed to the journal first; after the connector answers, the
//      mirror, links and bases are committed and the intents removed.
// A run killed anywhere leaves either dirty mirror rows (planned again) or
// journal intents (creates re-sent with their key, which the connector
// answers with the record it already made): nothing is lost or duplicated.
#pragma once

#include "engine/three_way_merge.hpp"
#include "pipeline/pipeline.hpp"
#include "plugins/registry.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace accord {

// A planned write, as the report holds it (the op's kind as text) and as
// the engine does (Action in engine_types.hpp, the kind typed): both are
// its target and its content, listed once here.
struct WriteTarget {
  Side side = Side::kLeft;
  std::string id;         // target id (empty for a create)
  std::string source_id;  // the record it comes from: on the other side, or
  bool source_same_side = false;  // on this one (keep-both's copy of the right)
  std::string label;      // a name a person recognises
  std::string expect_version;
  std::string idempotency_key;  // a create's: derived from its source, the same in every run
  bool resend = false;          // a create an interrupted run may have made already
};
struct WriteContent {
  Changes changes;  // field → new value (display)
  boost::json::object data;
  // what of data (a create) or of the changes (an update) the target does
  // not keep, by pointer: it stays behind (pairs without mapping rules)
  std::vector<std::string> left_behind;
};
struct PlannedOp : WriteTarget, WriteContent {
  std::string op;  // create, update, delete
};

// The fingerprint of a plan's writes, op by op in the plan's order (FNV-1a
// over each op's side, kind, ids and changed fields): `plan --out` saves it,
// and `apply` refuses a plan whose ops no longer give it (edited) or whose
// sides and state no longer plan to it (moved).
class OpFingerprint {
 public:
  OpFingerprint();
  void add(const PlannedOp& op);
  std::string text() const { return std::to_string(fp_); }
  uint64_t value() const { return fp_; }

 private:
  uint64_t fp_;
};

struct ConflictReport {
  std::string left_id, right_id, label, field, resolution;
  std::optional<boost::json::value> left, right;
  // In the conflicts table (accord conflicts list, resolve) where left for
  // you to decide; an undo's record not undone is not (it stays as it is,
  // its resolution says what to do instead)
  bool listed = true;
};

// A record a side's connector sent that the host could not read: skipped
// (the others commit), and listed by `accord status` until it is read well.
struct UnreadableReport {
  Side side = Side::kLeft;
  std::string connector, stream;
  std::string id;       // as far as it could be read; "" when it has none
  std::string pointer;  // into the connector's answer: /records/3/data/subject
  std::string reason;
};

// Every write a pair planned, by target side and kind (create, update,
// delete): its report's `ops` may list only some of a run's creates
// (RunOptions::list_creates); these count them all.
struct WriteCounts {
  long create[2] = {0, 0}, update[2] = {0, 0}, remove[2] = {0, 0};
  void add(const PlannedOp& op) {
    size_t at = op.side == Side::kLeft ? 0 : 1;
    ++(op.op == "create" ? create : op.op == "update" ? update : remove)[at];
  }
  long of(Side s, std::string_view op) const {
    size_t at = s == Side::kLeft ? 0 : 1;
    return (op == "create" ? create : op == "update" ? update : remove)[at];
  }
  long total() const { return create[0] + create[1] + update[0] + update[1] + remove[0] + remove[1]; }
};

// What a pair's writes leave behind (fields their targets do not keep),
// over every planned write, listed in `ops` or not: how many writes leave
// any, and how often each field (the run's sync issues: accord status).
struct LeftBehindCounts {
  long records = 0;
  std::vector<std::pair<std::string, long>> fields;  // in the order first met (a few fields)
  // a write's planned list, counted
  void count(const std::vector<std::string>& behind) {
    records += !behind.empty();
    for (const auto& f : behind) one(f);
  }
  // a write's list `behind` gains what its answer says was not kept, each
  // field once, counted
  void add(std::vector<std::string>& behind, const std::vector<std::string>& lost) {
    bool none = behind.empty();
    for (const auto& f : lost)
      if (std::find(behind.begin(), behind.end(), f) == behind.end()) behind.push_back(f), one(f);
    records += none && !behind.empty();
  }

 private:
  void one(const std::string& f) {
    auto at = std::find_if(fields.begin(), fields.end(), [&](const auto& x) { return x.first == f; });
    if (at == fields.end()) fields.emplace_back(f, 1);
    else ++at->second;
  }
};

struct PairReport {
  std::string name, left_stream, right_stream;
  std::vector<PlannedOp> ops;  // what each write does (without the record's data)
  WriteCounts planned;         // every planned write, listed in ops or not
  LeftBehindCounts behind;     // what they leave behind, listed or not
  std::vector<ConflictReport> conflicts;
  std::vector<std::string> notes;  // ambiguous matches, unlinks, reconciliations, expiries
  std::vector<UnreadableReport> unreadable;  // records skipped: the host could not read them
  std::vector<std::string> untravelled;
  std::vector<std::string> forced;  // guards overridden by --force
  std::string refused;              // a guard refused the run
  std::string error;                // the pair could not run
  int32_t error_status = ACCORD_OK; // and the status it failed with (ACCORD_AUTH_REQUIRED: sign in again)
  int64_t retry_after_ms = 0;       // an error's RETRY: how long the side asked to be left alone
  long read[2] = {0, 0};
  long matched = 0, applied = 0, failed = 0;
  long relinked = 0;                // linked to the copies Accord made of them, by idempotency key
  bool first_sync = false;          // the state knew nothing of the pair: every record read is new to it
  // RunOptions::cancel was set before the pair finished: what it applied is
  // committed, the rest is left for the next run (not a failure)
  bool stopped = false;
  long quarantined = 0;             // of the failed: their records wait in quarantine
  // Creates skipped, not failed: their source answered the fetch of their
  // lazy fields (a message's body) without the record, renamed or deleted
  // since it was read; the next run reads where it went
  long gone = 0;
  std::string fingerprint;          // of the ops: a saved plan must match it
  boost::json::object explain;      // RunOptions::explain: the record's link, fields, filter, keys, quarantine
  std::string cursor[2];            // after reading (and past the run's own writes: accord.after_commit.v1)
  std::string budget[2];            // each side's last "budget" object (JSON text, "" if none): the CLI's plan reads it
};

// What a run tells whoever shows it, as it happens: the program's progress
// line on a terminal and its --json events. The engine knows nothing of
// terminals; it calls these from the run's threads (a pair's own, its
// readers'), so an implementation serialises what it prints, and never
// blocks for long. progress() comes at most about ten times a second a
// phase (the engine's PhaseMeter), the others once per event.
enum class Phase { kReading, kPlanning, kApplying };
const char* phase_name(Phase p);  // reading, planning, applying

struct PhaseProgress {
  std::string_view pair;
  Phase phase = Phase::kReading;
  uint64_t done = 0;     // records read (both sides), pairs planned, writes applied
  uint64_t total = 0;    // 0: not known (a side that does not say how many it lists)
  double seconds = 0;    // since the phase began
  bool finished = false; // the phase's last report
};

class RunEvents {
 public:
  virtual ~RunEvents() = default;
  virtual void run_started(int64_t /*run_id*/) {}
  virtual void progress(const PhaseProgress&) {}
  // One write, as its result is committed: `id` is the record's id on the
  // target (a create's: the one it got there).
  virtual void applied(std::string_view /*pair*/, const PlannedOp& /*op*/, const std::string& /*id*/, bool /*ok*/,
                       const std::string& /*status*/, const std::string& /*message*/) {}
  // A pair's planning, and applying where it applies, is over (or failed).
  virtual void pair_done(const PairReport&) {}
};

struct RunOptions {
  bool apply = true;   // false: plan only, nothing written
  // Guards to override, by name (kGuardNames; "all": every one); each
  // override is reported.
  std::set<std::string> force;
  bool forces(std::string_view guard) const { return force.contains("all") || force.contains(std::string(guard)); }
  std::string kind = "run";  // recorded in the state's run history: run, apply or undo
  // Undo: instead of planning a sync, plan the inverse of this run's writes
  // (kept in the state's history): creates deleted, updates and deletes
  // written back from the data before them. A record changed since is a
  // conflict, not overwritten.
  std::optional<int64_t> undo_run;
  // Plan only: explain how this record (an id on either side) is planned.
  std::string explain;
  size_t batch = 2000;
  // How many of a run's creates its report lists (PairReport::ops), the
  // rest only counted (PairReport::planned): a first pull of 50,000
  // messages holds no entry for each (issue 22). As many of its writes to
  // linked pairs (updates, deletes) are listed, the rest counted (issue
  // 24). The CLI lists what it shows (25, or every one with --all; none
  // with --json, which tells each write as it is applied). A run that applies none of them (refused,
  // stopped or failed before its first write) lists every one with its
  // fields, as a plan does; a plan lists all.
  size_t list_creates = SIZE_MAX;
  // Records whose lazy fields (a message's body) are fetched per apply call:
  // at most this many, and about this many bytes of them where the source
  // says how big they are (its manifest's lazy_size). The run holds two
  // such chunks at once: one being written, the next being fetched.
  size_t fetch_batch = 500;
  uint64_t fetch_bytes = uint64_t{8} << 20;
  // A side that answers RETRY (rate limited, briefly unavailable) while
  // being read is waited for, as it asks, up to this often and for at most
  // this long in all within the run; a longer back-off (Gmail's 60 s for
  // too many connections, an hour for a quota) ends the pair at once with
  // RETRY and its wait, and the next run resumes: a run never sits idle
  // for minutes.
  int read_retries = 5;
  int64_t max_retry_wait_ms = 30000;
  // From a saved plan: the state generation and per-pair fingerprints and
  // cursors it was made with; any difference refuses the apply.
  std::optional<int64_t> expect_generation;
  std::map<std::string, std::string> expect_fingerprint;
  std::map<std::string, std::array<std::string, 2>> expect_cursor;
  // ACCORD_TRACE's diagnostics: one line per phase step, with where the
  // applying phase's time went.
  std::function<void(const std::string&)> progress;
  RunEvents* events = nullptr;  // progress and events as they happen (not owned)
  std::function<void(int32_t, const std::string&)> log;
  // Called (apply only) once a pair is planned and its guards passed,
  // before anything is written: a non-empty answer refuses the pair as a guard does (the
  // CLI's check of the planned writes against a side's daily budget).
  std::function<std::string(const PairReport&)> check_plan;
  // Set (from any thread: a signal's, the daemon's) to stop the run at its
  // next safe point: a pair not begun is not begun; a pair still reading
  // or planning stops there and commits nothing (its cursors stay, the next
  // run reads the same again); a pair applying finishes and commits the
  // batch under way and leaves the rest planned for the next run (its
  // records stay dirty in the state, as after a kill). Each such pair is
  // reported `stopped`, the run's status is "stopped" (not "failed").
  const std::atomic<bool>* cancel = nullptr;
  bool cancelled() const { return cancel && cancel->load(std::memory_order_relaxed); }
};

// The guards `--force=NAME,…` can override, each with what it guards.
inline constexpr std::pair<const char*, const char*> kGuardNames[] = {
    {"empty", "a side that had records would be left with none (or lists none)"},
    {"deletes", "more deletes than max_delete_share of a side"},
    {"updates", "more updates than max_update_share of a side"},
    {"creates", "more creates than max_create_share of a side that has records"},
    {"records", "more writes than max_records"},
    {"renumbered", "records a store renumbered that match none it lists now"},
    {"store", "the state was made with another pipeline or other stores"},
    {"budget", "writes that would cost more requests than a side's service allows for the rest of its day"},
};

struct RunReport {
  std::vector<PairReport> pairs;
  int64_t generation = 0;
  bool applied = false;
  std::string stale;  // a saved plan no longer applies: why
  std::vector<std::string> forced;  // pipeline-wide guards overridden by --force (the state's identity)
  int64_t run_id = 0;               // this run's number in the state (0: a plan)
  std::string status;               // as recorded in the state: ok, partial, conflicts, refused, failed, stopped
};

Result<RunReport> run_pipeline(const Pipeline& p, const Registry& registry, const RunOptions& opts);

// A display name for a record: its full name, title, or first text field.
std::string record_label(const boost::json::object& data, const std::string& id);

}  // namespace accord
