// SPDX-License-Identifier: Apache-2.0
// The orchestrator of one stream pair's run (pair_run.hpp): wires the host's
// services and both connectors, then runs the phases in order, each in its
// own file, and decides what commits. It holds no phase's logic itself.
#include "engine/pair_run.hpp"

#include "engine/keys.hpp"
#include "engine/phase_meter.hpp"
#include "mapping/field_travel.hpp"
#include "state/writeback.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <csignal>
#include <ctime>
#include <cstdlib>
#include <cstring>

namespace json = boost::json;

namespace accord {

void failpoint(const char* name) {
  const char* f = std::getenv("ACCORD_FAILPOINT");
  if (!f) return;
  std::string_view want(f);
  if (want == name) std::raise(SIGKILL);
  if (want.size() == std::strlen(name) + 4 && want.starts_with(name) && want.ends_with(":INT")) std::raise(SIGINT);
}

bool alone_on_state(const Pipeline& p, const RunOptions& o) { return o.apply && p.streams.size() == 1; }

void PairRun::run() {
  rep_.name = sp_.name;
  rep_.left_stream = sp_.left;
  rep_.right_stream = sp_.right;
  rep_.untravelled = sp_.untravelled;
  auto st = StateStore::open(state_path_);
  if (!st) throw Failure(st.error());
  store_ = std::move(*st);
  pv_.emplace(store_->pair(sp_.name));
  // The other writers are this run's other pairs (the pipeline lock keeps
  // other runs out), and a pair's first sync holds the state from its
  // first read to its plan: wait for them as long as they take.
  store_->wait_for_writers(std::chrono::hours(1));
  open_sides();
  // (a resend that settles a create ends its source's wait: the change the
  // read then gives follows in this run, not after a retry already answered)
  for (Side s : kSides) quarantined_[s] = pv_->quarantine().ids(s, false);
  if (opts_.apply) reconcile_journal();
  if (!sp_.lookups.empty())  // read before the pair's sides (docs/email-crm.md)
    lookups_.emplace(
        *store_, sp_,
        [this](Side s) { return open_instance(s); },  // an instance of its own: never the pair's (email_crm_run.hpp)
        opts_.apply, std::time(nullptr), opts_.cancel);
  if (lookups_ && lookups_->stopped()) {  // asked to stop while a lookup was paged: read on next run
    rep_.stopped = true;
    return;
  }
  // A pair the state knows nothing of yet: read, matched and linked in bulk.
  first_sync_ = !pv_->mirror(Side::kLeft).any() && !pv_->mirror(Side::kRight).any() && !pv_->links().any();
  rep_.first_sync = first_sync_;
  if (first_sync_) store_->page_cache_kib(StateStore::kBulkPageCacheKib);
  PerSide<SideRead> reads;
  store_->staging().reset();
  // A first sync loads what it reads straight into the state, inside the
  // transaction that plans it: a plan, a refusal or a failure rolls it all
  // back. (The state's other pairs wait for it, as for any planning.) A
  // pipeline's only pair loads in the rollback journal, writing the state's
  // pages once, not twice: no side is written before it is WAL again.
  std::optional<StateStore::BulkWrites> bulk;
  std::optional<EarlyWriteback> writeback;  // (its pages go to the disk as they are written, not at the commit)
  std::optional<StateStore::Transaction> tx;
  // (a run's creates that nothing applied are reported with their fields,
  // read before a refusal's rollback: plan_run.cpp)
  struct ShowPending {
    PairRun& run;
    ~ShowPending() { run.show_pending_fields(); }
  } show_pending{*this};
  if (first_sync_) {
    if (alone_on_state(p_, opts_)) bulk.emplace(*store_);
    if (bulk && bulk->active()) writeback.emplace(state_path_);
    tx.emplace(*store_);
  }
  read_both(reads);
  if (opts_.cancelled()) {  // asked to stop: nothing of this read is kept (rolled back)
    rep_.stopped = true;
    return;
  }
  if (opts_.progress)
    opts_.progress(sp_.name + ": read " + std::to_string(rep_.read[0]) + " + " + std::to_string(rep_.read[1]) + " changes");
  // The saved plan was made from these cursors onward: anything newer means
  // a side moved since. A full listing (a first sync) is compared by the
  // fingerprint alone: the plan read it through a read-only instance,
  // whose index lived in memory, and the index this run makes on disk
  // numbers the same records under another epoch (the fingerprint covers
  // every write with its values, so a record that moved still refuses).
  if (auto it = opts_.expect_cursor.find(sp_.name); it != opts_.expect_cursor.end())
    for (Side s : kSides)
      if (reads[s].cursor != it->second[index_of(s)] && !reads[s].listing) {
        rep_.refused = std::string("the ") + side_name(s) + " side changed since the plan was made; plan again";
        return;
      }
  std::vector<Item> items;
  {
    if (!tx) tx.emplace(*store_);
    // (before folding: a full listing never takes a listed record for deleted)
    for (Side s : kSides) note_unreadable(s, reads[s]);
    for (Side s : kSides) fold(s, reads[s]);
    if (!rep_.refused.empty()) return;  // rolled back
    if (opts_.progress) opts_.progress(sp_.name + ": planning");
    if (!opts_.explain.empty()) explain(opts_.explain);
    {
      PhaseMeter planning(opts_.events, sp_.name, Phase::kPlanning);
      plan_meter_ = &planning;
      items = opts_.undo_run ? plan_undo(*opts_.undo_run) : plan();
      plan_meter_ = nullptr;
    }
    if (opts_.progress) opts_.progress(sp_.name + ": planned " + std::to_string(rep_.planned.total()) + " writes");
    check_guards(items);
    if (rep_.refused.empty() && opts_.apply && opts_.check_plan) rep_.refused = opts_.check_plan(rep_);
    if (!rep_.refused.empty()) return;
    if (auto it = opts_.expect_fingerprint.find(sp_.name);
        it != opts_.expect_fingerprint.end() && it->second != rep_.fingerprint) {
      rep_.refused = "the plan no longer matches what the sides and the state hold; plan again";
      return;
    }
    if (!opts_.apply) return;  // a plan writes nothing
    if (opts_.cancelled()) {  // asked to stop while planning: rolled back, read again next run
      rep_.stopped = true;
      return;
    }
    for (Side s : kSides) pv_->set_cursor(s, reads[s].cursor);
    confirm_interrupted(items);  // (the stale intents' writes found done: their run's history)
    for (int64_t id : stale_intents_) pv_->journal().done(id);  // planned again, in this plan
    store_->bump_generation();
    if (lookups_) lookups_->keep_unresolved(*store_);  // (accord status lists them)
    tx->commit();
  }
  writeback.reset();
  bulk.reset();
  // applying touches the state's pages once or twice each: the first sync's
  // larger cache would only stay resident (a first pull's peak: issue 24)
  if (first_sync_) store_->page_cache_kib(StateStore::kStatePageCacheKib);
  apply(items);
  StateStore::Transaction settled(*store_);
  pv_->quarantine().release_settled();
  settled.commit();
}

// The host's services for the pair's connectors, and each side's instance
// with what its manifest says of its stream.
void PairRun::open_sides() {
  host_.on_log([this](int32_t level, const std::string& m) {
    if (opts_.log) opts_.log(level, sp_.name + ": " + m);
  });
  host_.on_secret([this](const std::string& name) -> std::optional<std::string> {
    auto s = read_secret(p_.secrets_file, name);
    if (!s) return std::nullopt;
    return *s;
  });
  host_.on_store_secret([this](const std::string& name, const std::string& value) {
    auto r = store_secret(p_.secrets_file, name, value);
    if (opts_.log)
      opts_.log(r ? ACCORD_LOG_INFO : ACCORD_LOG_ERROR,
                sp_.name + ": " + (r ? "stored the renewed secret \"" + name + "\" in " + p_.secrets_file.string()
                                     : r.error().message));
    return static_cast<bool>(r);
  });
  // A plan reads only: its connectors create nothing (no folder, index, file).
  if (!opts_.apply) host_.set_open_flags(ACCORD_OPEN_READ_ONLY);
  for (Side s : kSides) {
    inst_[s].emplace(open_instance(s));
    // Fields the side lists only through fetch travel when the other side
    // keeps them too (or keeps any field).
    const LoadedPlugin& plugin = plugin_of(s);
    const StreamInfo* mine = plugin.manifest.stream(stream(s));
    if (mine && (plugin.table->capabilities & ACCORD_CAP_FETCH)) lazy_[s] = mine->lazy, lazy_size_[s] = mine->lazy_size;
    if (mine) identity_[s] = mine->identity;
    find_only_[s] = (plugin.table->capabilities & ACCORD_CAP_FIND_ONLY) &&
                    (!mine || mine->capabilities.empty() ||
                     std::find(mine->capabilities.begin(), mine->capabilities.end(), "find_only") != mine->capabilities.end());
  }
  untravelled_from_instances();
  for (Side s : kSides) {
    const StreamInfo* theirs = plugin_of(other(s)).manifest.stream(stream(other(s)));
    std::erase_if(lazy_[s], [&](const std::string& f) {
      return theirs && !theirs->fields.empty() &&
             std::find(theirs->fields.begin(), theirs->fields.end(), f) == theirs->fields.end();
    });
  }
  planner_.emplace(p_.name, sp_, fm_, kept_);
}

const LoadedPlugin& PairRun::plugin_of(Side s) const {
  const std::string& id = p_.endpoint(s).connector;
  const LoadedPlugin* plugin = reg_.find(id);  // (load_pipeline found it in its registry, maybe not this one)
  if (!plugin) throw Failure{ACCORD_ERROR, std::string(side_name(s)) + " connector " + id + " is not installed", 0};
  return *plugin;
}

// One instance of a side's connector, with the side's configuration: the
// pair's (open_sides) and its lookups' alike, so that a connector's refusal
// reads the same wherever it comes, naming the side, the connector and,
// where the connector's words say "in the config", the pipeline's key.
Instance PairRun::open_instance(Side s) const {
  const Endpoint& ep = p_.endpoint(s);
  auto inst = Instance::create(plugin_of(s), host_, json::serialize(ep.resolved_config));
  if (!inst)
    throw Failure{inst.error().status, std::string(side_name(s)) + " connector " + ep.connector + ": " +
                                           config_error_at(inst.error().message, std::string(side_name(s)) + ".config"),
                  0};
  return std::move(*inst);
}

// What cannot travel, again, where an instance says which fields it keeps
// (its configuration decides them: a CRM's profile); the pipeline's list
// came from the manifests alone (mapping/field_travel.hpp).
void PairRun::untravelled_from_instances() {
  PerSide<std::vector<std::string>> kept;
  bool asked = false;
  for (Side s : kSides) {
    if (auto f = inst_[s]->stream_fields(stream(s))) {
      kept[s] = std::move(*f);
      asked = true;
    } else if (const StreamInfo* info = plugin_of(s).manifest.stream(stream(s))) {
      kept[s] = info->fields;
    }
    // each write's own losses (make_op): what the side only reads stays behind too
    const StreamInfo* info = plugin_of(s).manifest.stream(stream(s));
    kept_[s] = info ? writable_fields(kept[s], info->read_only) : kept[s];
  }
  if (!asked) return;
  std::vector<std::string> read;
  for (const auto& r : sp_.rules)
    for (const auto& path : r.left) read.push_back(path.text());
  rep_.untravelled = pair_untravelled(sp_.identity, {"(" + p_.left.connector + ")", std::move(kept.left)},
                                      {"(" + p_.right.connector + ")", std::move(kept.right)}, read);
}

std::string PairRun::keys_of(Side s, const json::value& data, std::string_view stored_key) const {
  return record_keys(sp_.match, s, data, stored_key);
}

void PairRun::refuse(const GuardVerdict& v) {
  rep_.forced.insert(rep_.forced.end(), v.forced.begin(), v.forced.end());
  if (rep_.refused.empty()) rep_.refused = v.refused;
}

}  // namespace accord
