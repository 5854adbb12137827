// SPDX-License-Identifier: Apache-2.0
// One stream pair's run, private to host/src/engine. The orchestrator
// (pair_run.cpp) runs its phases in order; each phase is a file of its own:
//   reading.cpp     A. both sides read at once, staged (or, a first sync, loaded)
//   folding.cpp     B. the changes folded into the mirror (echoes, renumbering, gone records)
//   plan_run.cpp       planning from the state: the dirty rows through the pure
//                      matcher (matching.cpp), planner (planning.cpp) and guards (guards.cpp)
//   undo.cpp, explain.cpp  the other plans: a run's inverse, one record explained
//   applying.cpp    C. intents journaled, writes in batches with lazy-fetch prefetch, results committed
//   journal.cpp        the intents an interrupted run left (journal_plan.cpp: the pure half)
// Thread safety: one PairRun per pair, on its own thread; its reader threads
// touch neither the state nor the report (see read_side).
#pragma once

#include "engine/engine_types.hpp"
#include "engine/guards.hpp"
#include "engine/matching.hpp"
#include "engine/email_crm_run.hpp"
#include "engine/planning.hpp"
#include "engine/spill.hpp"
#include "mapping/field_map.hpp"
#include "plugins/instance.hpp"
#include "plugins/wire.hpp"
#include "state/state_store.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace accord {

class PhaseMeter;

// Tests kill the process at a named point (ACCORD_FAILPOINT=NAME), as a
// SIGKILL there would: nothing after it runs, nothing is committed; or
// interrupt it there (NAME:INT), as Ctrl-C would.
void failpoint(const char* name);

// A run whose only stream pair applies: it alone uses the state, and so a
// first sync may load it in the rollback journal (sql::BulkWrites).
bool alone_on_state(const Pipeline& p, const RunOptions& o);

struct SideRead {
  long count = 0;  // the changes themselves wait in the state's staging table
  bool full = false;
  std::string cursor;
  std::string budget;  // the last batch's "budget" (wire::Batch), passed on to the report
  // deleted records the connector marked "renumbered" (their store gave the
  // same records new ids: an IMAP UIDVALIDITY change), in the order read
  std::vector<std::string> renumbered;
  // records the connector sent that could not be read (skipped), and the
  // ones the state listed so that were read well this time (their keys)
  std::vector<std::pair<int, wire::Problem>> unreadable;  // with the batch (0, 1…) it came in
  std::vector<std::string> readable;
  bool listing = false;  // a full listing (even where `full` had to be dropped)
};

class PairRun {
 public:
  PairRun(const Pipeline& p, const StreamPair& sp, const Registry& reg, const RunOptions& o, PairReport& report,
          std::filesystem::path state_path, int64_t run_id = 0)
      : p_(p), sp_(sp), reg_(reg), opts_(o), rep_(report), fm_(sp), state_path_(std::move(state_path)), run_id_(run_id) {}

  void run();

 private:
  // ---- pair_run.cpp: wiring
  void open_sides();
  const LoadedPlugin& plugin_of(Side s) const;  // its connector (Failure if not installed)
  Instance open_instance(Side s) const;          // Failure naming the side, connector and config key
  void untravelled_from_instances();
  std::string keys_of(Side s, const boost::json::value& data, std::string_view stored_key = {}) const;
  const std::string& stream(Side s) const { return s == Side::kLeft ? sp_.left : sp_.right; }  // (the pipeline's)
  void refuse(const GuardVerdict& v);  // a guard's verdict into the report

  // ---- reading.cpp
  struct Staging;
  class StagingQueue;
  void read_both(PerSide<SideRead>& reads);
  void note_unreadable(Side s, const SideRead& read);
  void load(Staging& batch);
  void set_read_total(Side s, int64_t total);
  SideRead read_side(Side s, std::string cursor, StagingQueue& queue, std::vector<std::string>& notes);

  // ---- folding.cpp
  void fold(Side s, SideRead& read);
  std::string identity_of(Side s, const std::string& data) const;
  void follow_renumbering(Side s, const std::vector<std::string>& renumbered,
                          const std::vector<std::pair<std::string, std::string>>& fresh, bool strict);
  void materialise_base(Side s, const MirrorRow& old);
  // (record_filter.cpp) the side's rows judged again where its filter changed
  void rejudge_filter(Side s);

  // ---- plan_run.cpp
  MirrorRow row_of(Side s, const std::string& id);
  MatchSpec match_spec() const;
  std::vector<Item> plan();
  std::vector<Item> plan_changes();
  std::vector<Item> plan_first_sync();
  void match_and_create(PerSide<std::vector<MirrorRef>>& dirty, bool dirty_is_pool, std::vector<Item>& items);
  void settle_matches(const PerSide<std::vector<MirrorRef>>& dirty, bool dirty_is_pool,
                      const PerSide<const std::vector<MirrorRef>*>& pools, const Matching& m, std::vector<Item>& items);
  void relink_copies(const PerSide<const std::vector<MirrorRef>*>& pools, const Matching& m,
                     std::vector<std::pair<std::string_view, std::string_view>>& equal);
  void take(PairPlan plan, std::vector<Item>& items);
  void settle(Item& it, Fields bl, Fields br);
  void unlink_now(Item& it);
  void report_ops(std::vector<Item>& items);
  // A run's planned creates (not a plan's), in plan order after the items:
  // planned once (report_ops), for the report and into the run's spill
  // (spill.hpp), as linked pairs' writes are; applying reads each back as
  // planned when its batch is due, never planned again, so a run holds a
  // batch of creates, not all (issues 22, 24).
  struct PendingCreate {
    Side target = Side::kLeft;
    std::string source_id;
    std::string modified;  // a first sync's order (oldest first); then dropped
    // its lazy fields' size as planned (report_ops; applying.cpp fetches a
    // create batch's first chunk ahead by it)
    static constexpr uint64_t kUnsized = UINT64_MAX;
    uint64_t lazy_bytes = kUnsized;
    PlanSpill::At at{};  // where the spill holds it, once planned (its bytes' checksum: checked as it is read back)
  };
  std::vector<PendingCreate> pending_;
  // A run's writes to linked pairs (not a plan's) wait in the run's spill
  // (spill.hpp), in plan order before every other item: planned once, each
  // is read back as planned when its batch is due, so a run holds a batch of
  // them, not all (issue 24). The run's first batch of them, and a pair
  // whose plan read a decided conflict or met one, or that keeps both, are
  // held whole (few).
  struct PendingLinked {
    PlanSpill::At at;   // where the spill holds it (where not held)
    std::string place;  // a move's place (applying.cpp's move_place): moves go last
    uint64_t ops = 0;   // its ops' fingerprint (checked as it is read back)
    PerSide<size_t> shown{SIZE_MAX, SIZE_MAX};  // its ops in the report (SIZE_MAX: counted, not listed)
    std::unique_ptr<Item> held;
    std::vector<PlannedOp> held_ops;  // a held one's ops where the report does not list them
  };
  std::vector<PendingLinked> linked_;
  PerSide<SideWrites> linked_writes_;  // theirs, for the guards
  OpFingerprint fp_;                   // the plan's ops in plan order: theirs, then report_ops'
  void stream_linked(PairPlan plan, bool decided);
  // one, as applying takes it (its report ops into `shown`, where given)
  Item planned_linked(PendingLinked& p, std::vector<PlannedOp>* shown = nullptr);
  std::unique_ptr<PlanSpill> spill_;  // (made at the first pair spilled)
  size_t linked_shown_ = 0;  // the report lists theirs first, up to here
  void note_plan(const PairPlan& plan);   // a pair's notes and conflicts, into the state and the report
  size_t pending_shown_ = 0;  // where their ops start in the report
  size_t listed_creates_ = SIZE_MAX;  // how many of them it lists (RunOptions::list_creates; SIZE_MAX: not reported yet)
  bool streams_creates() const { return opts_.apply && !opts_.undo_run; }  // (and linked pairs' writes)
  // one planned from its source's mirror row (report_ops; show_pending_fields)
  Item planned_create(const PendingCreate& c, std::vector<PlannedOp>& shown);
  // pending_[begin, end), read back from the spill as planned, as the applier takes them
  std::vector<Item> planned_creates(size_t begin, size_t end);
  void show_pending_fields() noexcept;  // their ops' fields, where the report lists them unapplied
  void lighten(Item& it);                          // what applying does not need of a planned pair, dropped
  void finish_ops(Item& it, std::vector<PlannedOp>& shown);  // its ops as applied, and as reported
  PerSide<std::vector<std::string>> placement_;  // each target's placement fields (moves)
  void load_placement();                         // (from the manifests)
  void check_losses(std::vector<Item>& items);  // check.cpp: what the targets' converters would drop (plan only)
  void check_guards(const std::vector<Item>& items);

  // ---- explain.cpp, undo.cpp
  void explain(const std::string& id);
  std::vector<Item> plan_undo(int64_t run);

  // ---- applying.cpp
  using Results = std::map<std::pair<size_t, Side>, Outcome>;
  struct LazyWant;
  void apply(std::vector<Item>& items);
  void apply_batch(std::vector<Item>& items, size_t begin, size_t end);
  // (its notes go to `notes`, else the report's: a call on a thread of its own)
  void apply_call(Side s, boost::json::array ops, const std::vector<size_t>& which, Results& results,
                  std::vector<std::string>* notes = nullptr);
  uint64_t lazy_bytes(Side from, const boost::json::object& data) const;  // (data: a create's)
  struct LazyRun;
  void attach_lazy(std::vector<LazyWant>& want);
  // (the source rows it leaves clean go into `cleaned`, for one statement a batch)
  void commit_item(Item& it, size_t i, Results& results, PerSide<std::vector<std::string>>& cleaned);
  void record_landed(Item& it, Side s, int64_t& before);
  void tell_committed(const std::vector<Item>& items, size_t begin, size_t end, Results& results);
  void answer_dataless_resends(const std::vector<Item>& items, size_t begin, size_t end, Results& results);
  void keep_edits_past_resends(std::vector<Item>& items, size_t begin, size_t end, Results& results);
  // (check.cpp) What a write of `sent` to side s leaves behind, `kept` being
  // the record as the target's converter keeps it (an object: its lazy
  // fields are taken out here, never kept): said by the source fields the
  // rules read where the pair maps by rules. A plan's check and a run's
  // answer alike, so that plan and run say the same.
  std::vector<std::string> lost_in_write(Side s, const boost::json::value& sent, boost::json::object& kept) const;
  static void note_left_behind(std::vector<std::string>& behind, const std::vector<std::string>& lost);  // each once

  // ---- journal.cpp
  void reconcile_journal();
  // An interrupted run's update or delete planned again (a stale intent),
  // with its target's row and partner as the state held them before this
  // run read: one the read finds done goes into that run's history, at the
  // plan's commit (confirm_interrupted: its run's write, which the next
  // run confirms, review s18 F2)
  struct Interrupted {
    JournalRow intent;
    MirrorRow was;        // the target's row before the write
    std::string partner;  // the record it is linked to on the other side ("": none)
  };
  std::vector<Interrupted> interrupted_;
  void confirm_interrupted(const std::vector<Item>& items);
  // The run whose plan a write is: an interrupted run's intent sent again
  // (Item::resumed_journal, by its id) is that run's; any other, this run's
  std::map<int64_t, int64_t> resumed_runs_;  // intent id → its run (0s left out)
  int64_t run_of(int64_t resumed_intent) const {
    auto r = resumed_intent ? resumed_runs_.find(resumed_intent) : resumed_runs_.end();
    return r != resumed_runs_.end() ? r->second : run_id_;
  }
  // Whether a new unlinked record read on `side` is held (not copied across):
  // it may be the record a create toward that side answered retry made
  // while that create is unsettled (said in the report's notes)
  bool held_for_retried(Side side, const MirrorRef& ref);
  struct KeptCreate {
    std::string source_id, key, keys;  // keys: as the target would hold its sent form (record_keys)
    std::optional<Fields> form;        // that form's pair form (none: unreadable)
  };
  std::optional<PerSide<std::vector<KeptCreate>>> unsettled_;  // read at the first unsettled()
  PerSide<std::unordered_set<std::string>> kept_sources_;     // their source ids, by target side
  const PerSide<std::vector<KeptCreate>>& unsettled();
  // made_of's forms of records sent to side s, each as its pair form
  // (none: unreadable), for edited_since_made (journal.cpp)
  std::vector<std::optional<Fields>> made_forms(Side s, std::vector<boost::json::object> sent);
  // whether that source's create toward the other side is kept, unsettled
  // (it is left to the resend pass: stays dirty, not planned)
  bool create_kept(Side side, std::string_view id);
  // The kept creates not sent as resends (source deleted, parked), looked
  // up with find_only where the target declares it, and settled by what
  // the look-up found (journal.cpp)
  struct KeptLook {
    JournalRow row;
    std::string why;  // "deleted", "filter", "direction"
  };
  void look_up_kept(std::vector<KeptLook>& looks);
  PerSide<bool> find_only_{};  // a side's connector takes find_only resends (for this stream)

  const Planner& planner() const { return *planner_; }

  const Pipeline& p_;
  const StreamPair& sp_;
  const Registry& reg_;
  const RunOptions& opts_;
  PairReport& rep_;
  FieldMap fm_;
  std::filesystem::path state_path_;
  HostServices host_;
  std::unique_ptr<StateStore> store_;
  std::optional<PairState> pv_;  // the pair's state (a view of store_), once run() opened it
  PerSide<std::optional<Instance>> inst_;
  std::optional<PairLookups> lookups_;  // the pair's lookup streams and email_crm rules (reading.cpp asks them)
  std::optional<Planner> planner_;               // once each side says what it keeps
  PerSide<std::vector<std::string>> identity_;   // a side's identity pointers (manifest)
  PerSide<std::vector<std::string>> kept_;       // the fields a side keeps (its instance's, else its manifest's)
  PerSide<std::vector<std::string>> lazy_;       // a side's fields that only fetch gives
  PerSide<std::string> lazy_size_;               // where a record says how big they are
  PerSide<std::set<std::string>> quarantined_;   // at planning time: released when they succeed
  PerSide<std::set<std::string>> inflight_;      // ids an interrupted update was writing (it may have moved them)
  // the report's op of an item's write to side s (Item::shown), or null
  PlannedOp* shown_op(const Item& it, Side s);
  std::vector<int64_t> stale_intents_;  // the interrupted updates' and deletes' intents, done at the plan's commit
  int64_t run_id_ = 0;                  // this run's number in the state: its writes' history
  PhaseMeter* read_meter_ = nullptr;    // while reading, planning, applying: that phase's
  // The reading bar's total, a side's part of it: what its connector says
  // its read lists ("total"), or, once read, what it listed; -1: unknown.
  // The bar has a total only when both sides' are known.
  PerSide<std::atomic<int64_t>> read_total_{-1, -1};
  PhaseMeter* plan_meter_ = nullptr;
  PhaseMeter* apply_meter_ = nullptr;
  PerSide<bool> written_;  // commit_item: which side of the item was written
  PerSide<bool> after_commit_;  // the side's connector offers accord.after_commit.v1 (applying)
  // Where the applying phase's time went, for the progress lines.
  struct ApplyTime {
    double total_s = 0, write_s = 0, wait_s = 0, fetch_s = 0, commit_s = 0;
    size_t fetches = 0;  // chunks whose lazy fields were fetched
  };
  ApplyTime apply_time_;
  bool spool_failure_said_ = false;  // the lazy fields' folder could not be made (applying.cpp): logged once
  bool first_sync_ = false;                    // the state knew nothing of this pair when the run began
  PerSide<std::vector<MirrorRef>> loaded_;     // a first sync's records, as loaded
  PerSide<std::vector<uint32_t>> order_;       // where loaded_ holds each id, in id order
  PerSide<std::set<std::string>> watch_;       // records the state lists unreadable, by key (read-only while reading)
  // while applying: the lazy fields' spool and a chunk fetched ahead (applying.cpp);
  // last, so that a fetch ahead has ended before any other member goes
  std::shared_ptr<LazyRun> lazy_run_;
};

// Where a move puts its record (its target's placement values, as text);
// "" for any other write (applying.cpp).
std::string move_place(const Item& it, const PerSide<std::vector<std::string>>& placement);

// Where a run's lazy fields' spool folder goes, named after its state
// (.accord-lazy-STATE-XXXXXX, beside it): the next run of that state, holding
// its lock, removes what a killed run left of them (applying.cpp).
std::filesystem::path spool_prefix(const std::string& state_path);

// Removes the lazy fields' hand-over directories (accord.lazy_files.v1) a
// killed run of this state left beside it; called with the state's lock held.
void remove_stale_lazy_spools(const std::string& state_path);

}  // namespace accord
