// SPDX-License-Identifier: Apache-2.0
#include "engine/sync_run.hpp"

#include "common/beside.hpp"
#include <accord/text/content_hash.hpp>
#include "common/digest.hpp"
#include <accord/text/join.hpp>
#include "engine/record_filter.hpp"
#include "mapping/field_travel.hpp"
#include "plugins/instance.hpp"
#include "plugins/wire.hpp"
#include "state/state_store.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <set>
#include <string_view>
#include <thread>
#include <unordered_map>

namespace json = boost::json;
namespace fs = std::filesystem;

namespace accord {

std::string record_label(const json::object& data, const std::string& id) {
  json::value root(data);
  for (const char* p : {"/name/full", "/title", "/Name", "/FullName", "/subject", "/name"}) {
    boost::system::error_code ec;
    if (const json::value* v = root.find_pointer(p, ec); v && v->is_string() && !v->get_string().empty())
      return std::string(v->get_string());
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

namespace {

int idx(Side s) { return s == Side::kLeft ? 0 : 1; }

// "1 record", "2 records": the notes and refusals a person reads.
std::string count_of(size_t n, std::string_view one, std::string_view many = {}) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many.empty() ? std::string(one) + "s" : std::string(many));
}

// A phase's progress, told to the run's events at most every 100 ms (and
// at its start and end): add() is called per record or batch from any of
// the pair's threads and costs an atomic add and a clock read (nothing when
// no one listens).
class PhaseMeter {
 public:
  PhaseMeter(RunEvents* events, std::string_view pair, Phase phase, uint64_t total = 0)
      : events_(events), pair_(pair), phase_(phase), total_(total) {
    tell(false);
  }
  PhaseMeter(const PhaseMeter&) = delete;
  PhaseMeter& operator=(const PhaseMeter&) = delete;
  ~PhaseMeter() { tell(true); }  // the phase is over, however it ended
  void set_total(uint64_t total) { total_.store(total, std::memory_order_relaxed); }
  void add(uint64_t n = 1) {
    if (!events_) return;
    done_.fetch_add(n, std::memory_order_relaxed);
    int64_t now = clock::now().time_since_epoch().count();
    int64_t next = next_.load(std::memory_order_relaxed);
    if (now >= next && next_.compare_exchange_strong(next, now + kEvery)) tell(false);
  }

 private:
  using clock = std::chrono::steady_clock;
  static constexpr int64_t kEvery = std::chrono::duration_cast<clock::duration>(std::chrono::milliseconds(100)).count();
  void tell(bool finished) {
    if (!events_) return;
    std::lock_guard lock(mu_);  // one report at a time, in order
    PhaseProgress p{pair_, phase_, done_.load(), total_.load(), std::chrono::duration<double>(clock::now() - start_).count(),
                    finished};
    events_->progress(p);
  }
  RunEvents* events_;
  std::string_view pair_;
  Phase phase_;
  std::atomic<uint64_t> total_;
  clock::time_point start_ = clock::now();
  std::atomic<uint64_t> done_{0};
  std::atomic<int64_t> next_{0};
  std::mutex mu_;
};

// The idempotency key of a create: derived from the pipeline, the stream
// pair and the record it copies, never drawn at random, so that the copy it
// leaves in the target store names its source for good. A state lost or
// restored from an old backup then finds each copy by the key the connector
// lists with it (self_key of the source equals the copy's stored key) instead
// of copying it again. XXH3's 128 bits, whose output xxHash keeps stable
// across versions (it is stored in users' stores); "how" tells a plain copy
// from keep-both's pair of copies.
// Tests kill the process at a named point (ACCORD_FAILPOINT=NAME), as a
// SIGKILL there would: nothing after it runs, nothing is committed; or
// interrupt it there (NAME:INT), as Ctrl-C would.
void failpoint(const char* name) {
  const char* f = std::getenv("ACCORD_FAILPOINT");
  if (!f) return;
  std::string_view want(f);
  if (want == name) std::raise(SIGKILL);
  if (want.size() == std::strlen(name) + 4 && want.starts_with(name) && want.ends_with(":INT")) std::raise(SIGINT);
}

using KeyBits = std::pair<uint64_t, uint64_t>;  // a derived key's 128 bits

KeyBits derive_key_bits(const std::string& pipeline, const std::string& pair, Side source, std::string_view source_id,
                        std::string_view how = "copy") {
  std::string text = pipeline;
  for (std::string_view part : {std::string_view(pair), std::string_view(side_name(source)), how, source_id})
    text.append(1, '\0').append(part);
  XXH128_hash_t h = XXH3_128bits(text.data(), text.size());
  return {h.high64, h.low64};
}

std::string derive_idempotency_key(const std::string& pipeline, const std::string& pair, Side source,
                                   std::string_view source_id, std::string_view how = "copy") {
  KeyBits k = derive_key_bits(pipeline, pair, source, source_id, how);
  char b[40];
  std::snprintf(b, sizeof b, "accord-%016llx%016llx", static_cast<unsigned long long>(k.first),
                static_cast<unsigned long long>(k.second));
  return b;
}

// The bits of a key in derive_idempotency_key's form; none for any other key
// (a store's own, another tool's), which no derived key can equal.
std::optional<KeyBits> key_bits(std::string_view key) {
  if (key.size() != 39 || key.substr(0, 7) != "accord-") return std::nullopt;
  KeyBits k{0, 0};
  for (size_t i = 7; i < 39; ++i) {
    char c = key[i];
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (v < 0) return std::nullopt;
    uint64_t& half = i < 23 ? k.first : k.second;
    half = half << 4 | static_cast<uint64_t>(v);
  }
  return k;
}

struct SideRead {
  long count = 0;  // the changes themselves wait in the state's staging table
  bool full = false;
  std::string cursor;
  // deleted records the connector marked "renumbered" (their store gave the
  // same records new ids: an IMAP UIDVALIDITY change), in the order read
  std::vector<std::string> renumbered;
  // records the connector sent that could not be read (skipped), and the
  // ones the state listed so that were read well this time (their keys)
  std::vector<std::pair<int, wire::Problem>> unreadable;  // with the batch (0, 1…) it came in
  std::vector<std::string> readable;
  bool listing = false;  // a full listing (even where `full` had to be dropped)
};

// One unit of work that writes to a side: a create, an update, a delete.
// Pairs that need no write are settled while planning and never become items.
struct Item {
  std::string left_id, right_id;  // empty where a create will make it
  std::optional<MirrorRow> row[2];
  std::optional<LinkRow> link;
  std::optional<PlannedOp> op[2];
  std::optional<Fields> pair[2];     // a side's pair form, when planning already had it
  std::string op_text[2];            // each op's data, serialised once (journal, mirror)
  std::vector<std::string> manual_fields;
  bool drop_link = false;       // forget the pair (both deleted, or filtered out)
  bool forget[2] = {false, false};  // drop this side's mirror row
  std::string quarantine_side_id[2];  // the source record a failure is charged to
  int64_t resumed_journal[2] = {0, 0};  // the interrupted run's intent this op sends again
  bool has_ops() const { return op[0] || op[1]; }
};

// A run whose only stream pair applies: it alone uses the state, and so a
// first sync may load it in the rollback journal (sql::BulkWrites).
bool alone_on_state(const Pipeline& p, const RunOptions& o) { return o.apply && p.streams.size() == 1; }

class PairRun {
 public:
  PairRun(const Pipeline& p, const StreamPair& sp, const Registry& reg, const RunOptions& o, PairReport& report,
          fs::path state_path, int64_t run_id = 0)
      : p_(p), sp_(sp), reg_(reg), opts_(o), rep_(report), fm_(sp), state_path_(std::move(state_path)), run_id_(run_id) {}

  void run() {
    rep_.name = sp_.name;
    rep_.left_stream = sp_.left;
    rep_.right_stream = sp_.right;
    rep_.untravelled = sp_.untravelled;
    auto st = StateStore::open(state_path_);
    if (!st) throw Failure(st.error());
    store_ = std::move(*st);
    // The other writers are this run's other pairs (the pipeline lock keeps
    // other runs out), and a pair's first sync holds the state from its
    // first read to its plan: wait for them as long as they take.
    sqlite3_busy_timeout(store_->db().raw(), 3600 * 1000);
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
    for (Side s : {Side::kLeft, Side::kRight}) {
      const Endpoint& ep = p_.endpoint(s);
      const LoadedPlugin* plugin = reg_.find(ep.connector);
      auto inst = Instance::create(*plugin, host_, json::serialize(ep.resolved_config));
      if (!inst)
        throw Failure{inst.error().status, std::string(side_name(s)) + " connector " + ep.connector + ": " +
                                               config_error_at(inst.error().message, std::string(side_name(s)) + ".config"), 0};
      inst_[idx(s)].emplace(std::move(*inst));
      // Fields the side lists only through fetch travel when the other side
      // keeps them too (or keeps any field).
      const StreamInfo* mine = plugin->manifest.stream(s == Side::kLeft ? sp_.left : sp_.right);
      if (mine && (plugin->table->capabilities & ACCORD_CAP_FETCH)) lazy_[idx(s)] = mine->lazy, lazy_size_[idx(s)] = mine->lazy_size;
      if (mine) identity_[idx(s)] = mine->identity;
    }
    untravelled_from_instances();
    for (Side s : {Side::kLeft, Side::kRight}) {
      const LoadedPlugin* target = reg_.find(p_.endpoint(other(s)).connector);
      const StreamInfo* theirs = target->manifest.stream(s == Side::kLeft ? sp_.right : sp_.left);
      std::erase_if(lazy_[idx(s)], [&](const std::string& f) {
        return theirs && !theirs->fields.empty() &&
               std::find(theirs->fields.begin(), theirs->fields.end(), f) == theirs->fields.end();
      });
    }
    if (opts_.apply) reconcile_journal();
    // A pair the state knows nothing of yet: read, matched and linked in bulk.
    first_sync_ = !store_->any(sp_.name, Side::kLeft) && !store_->any(sp_.name, Side::kRight) &&
                  !store_->any_links(sp_.name);
    rep_.first_sync = first_sync_;
    SideRead reads[2];
    store_->stage_reset();
    // A first sync loads what it reads straight into the state, inside the
    // transaction that plans it: a plan, a refusal or a failure rolls it all
    // back. (The state's other pairs wait for it, as for any planning.) A
    // pipeline's only pair loads in the rollback journal, writing the state's
    // pages once, not twice: no side is written before it is WAL again.
    std::optional<sql::BulkWrites> bulk;
    std::optional<sql::Transaction> tx;
    if (first_sync_) {
      if (alone_on_state(p_, opts_)) bulk.emplace(store_->db());
      tx.emplace(store_->db());
    }
    read_both(reads);
    if (opts_.progress) opts_.progress(sp_.name + ": read " + std::to_string(rep_.read[0]) + " + " + std::to_string(rep_.read[1]) + " changes");
    // The saved plan was made from these cursors onward: anything newer means
    // a side moved since. A full listing (a first sync) is compared by the
    // fingerprint alone: the plan read it through a read-only instance,
    // whose index lived in memory, and the index this run makes on disk
    // numbers the same records under another epoch (the fingerprint covers
    // every write with its values, so a record that moved still refuses).
    if (auto it = opts_.expect_cursor.find(sp_.name); it != opts_.expect_cursor.end())
      for (Side s : {Side::kLeft, Side::kRight})
        if (reads[idx(s)].cursor != it->second[idx(s)] && !reads[idx(s)].listing) {
          rep_.refused = std::string("the ") + side_name(s) + " side changed since the plan was made; plan again";
          return;
        }
    std::vector<Item> items;
    {
      if (!tx) tx.emplace(store_->db());
      // (before folding: a full listing never takes a listed record for deleted)
      for (Side s : {Side::kLeft, Side::kRight}) note_unreadable(s, reads[idx(s)]);
      for (Side s : {Side::kLeft, Side::kRight}) fold(s, reads[idx(s)]);
      if (!rep_.refused.empty()) return;  // rolled back
      if (opts_.progress) opts_.progress(sp_.name + ": planning");
      if (!opts_.explain.empty()) explain(opts_.explain);
      {
        PhaseMeter planning(opts_.events, sp_.name, Phase::kPlanning);
        plan_meter_ = &planning;
        items = opts_.undo_run ? plan_undo(*opts_.undo_run) : plan();
        plan_meter_ = nullptr;
      }
      if (opts_.progress) opts_.progress(sp_.name + ": planned " + std::to_string(rep_.ops.size()) + " writes");
      check_guards();
      if (!rep_.refused.empty()) return;
      if (auto it = opts_.expect_fingerprint.find(sp_.name);
          it != opts_.expect_fingerprint.end() && it->second != rep_.fingerprint) {
        rep_.refused = "the plan no longer matches what the sides and the state hold; plan again";
        return;
      }
      if (!opts_.apply) return;  // a plan writes nothing
      for (Side s : {Side::kLeft, Side::kRight}) store_->set_cursor(sp_.name, s, reads[idx(s)].cursor);
      for (int64_t id : stale_intents_) store_->journal_done(id);  // planned again, in this plan
      store_->bump_generation();
      tx->commit();
    }
    bulk.reset();
    apply(items);
    sql::Transaction settled(store_->db());
    store_->release_settled(sp_.name);
    settled.commit();
  }

 private:
  // The match keys of a record, one per key of the pair, joined by \x1e (an
  // empty part: the record has no value for that key), then, where the
  // record carries one, the idempotency key its create stored (a copy Accord
  // made: see stored_key).
  std::string keys_of(Side s, const json::value& data, std::string_view stored_key = {}) {
    std::string out;
    for (size_t i = 0; i < sp_.match.size(); ++i) {
      if (i) out += '\x1e';
      out += key_of(sp_.match[i], s, data);
    }
    if (!stored_key.empty() && stored_key.find_first_of("\x1e\x1f") == std::string_view::npos) {
      if (!sp_.match.empty()) out += '\x1e';
      out += stored_key;
    }
    return out;
  }

  // The idempotency key a record's keys carry: the create that made it
  // stored it ("" where it has none).
  std::string_view stored_key(std::string_view keys) const { return key_part(keys, sp_.match.size()); }

  // The key a copy of record `id` of side `s` carries: equal to a record's
  // stored key, it says that record was copied from this one.
  std::string self_key(Side s, std::string_view id) const { return derive_idempotency_key(p_.name, sp_.name, s, id); }

  std::string key_of(const MatchKey& k, Side s, const json::value& data) {
    std::string key;
    for (const auto& f : k.fields) {
      const auto& path = s == Side::kLeft ? f.left : f.right;
      if (!path) return "";
      const json::value* v = path->get(data);
      if (!v || v->is_null()) return "";
      std::string part = f.normalise(*v);
      if (part.empty()) return "";
      key += part + '\x1f';
    }
    return key;
  }

  static std::string_view key_part(std::string_view keys, size_t i) {
    size_t start = 0;
    for (size_t k = 0; k < i; ++k) {
      start = keys.find('\x1e', start);
      if (start == std::string_view::npos) return {};
      ++start;
    }
    size_t end = keys.find('\x1e', start);
    return keys.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
  }

  // What cannot travel, again, where an instance says which fields it keeps
  // (its configuration decides them: a CRM's profile); the pipeline's list
  // came from the manifests alone (mapping/field_travel.hpp).
  void untravelled_from_instances() {
    std::vector<std::string> kept[2];
    bool asked = false;
    for (Side s : {Side::kLeft, Side::kRight}) {
      const std::string& stream = s == Side::kLeft ? sp_.left : sp_.right;
      if (auto f = inst_[idx(s)]->stream_fields(stream)) {
        kept[idx(s)] = std::move(*f);
        asked = true;
      } else if (const StreamInfo* info = reg_.find(p_.endpoint(s).connector)->manifest.stream(stream)) {
        kept[idx(s)] = info->fields;
      }
      kept_[idx(s)] = kept[idx(s)];  // each write's own losses (make_op)
    }
    if (!asked) return;
    std::vector<std::string> read;
    for (const auto& r : sp_.rules)
      for (const auto& path : r.left) read.push_back(path.text());
    rep_.untravelled = pair_untravelled(sp_.identity, {"(" + p_.left.connector + ")", std::move(kept[0])},
                                        {"(" + p_.right.connector + ")", std::move(kept[1])}, read);
  }

  // ---- A. reading ---------------------------------------------------------

  static void wait_ms(int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

  // What a side's reader hands the thread that owns the state: a batch of
  // records to stage, or word that its listing starts over.
  struct Staging {
    Side side = Side::kLeft;
    bool restart = false;
    std::vector<StateStore::Staged> records;
  };

  // Bounded: a reader waits while the stager is behind, so memory holds a
  // few batches however much a side lists.
  class StagingQueue {
   public:
    explicit StagingQueue(int producers) : open_(producers) {}
    bool push(Staging item) {  // false: the pair failed; stop reading
      std::unique_lock lock(mu_);
      room_.wait(lock, [&] { return q_.size() < kDepth || aborted_; });
      if (aborted_) return false;
      q_.push_back(std::move(item));
      ready_.notify_one();
      return true;
    }
    bool pop(Staging& item) {  // false: every reader is done
      std::unique_lock lock(mu_);
      ready_.wait(lock, [&] { return !q_.empty() || open_ == 0; });
      if (q_.empty()) return false;
      item = std::move(q_.front());
      q_.pop_front();
      room_.notify_one();
      return true;
    }
    void done() {
      std::lock_guard lock(mu_);
      --open_;
      ready_.notify_all();
    }
    void abort() {
      std::lock_guard lock(mu_);
      aborted_ = true;
      room_.notify_all();
    }

   private:
    static constexpr size_t kDepth = 4;
    std::mutex mu_;
    std::condition_variable ready_, room_;
    std::deque<Staging> q_;
    int open_;
    bool aborted_ = false;
  };

  // Reads both sides at once, each on a thread of its own (two connector
  // instances, each used by one thread), while this thread, which owns the
  // state's connection, stages what they read.
  void read_both(SideRead reads[2]) {
    std::string cursors[2];
    for (Side s : {Side::kLeft, Side::kRight}) {
      cursors[idx(s)] = store_->cursor(sp_.name, s).value_or("");
      watch_[idx(s)] = store_->unreadable_keys(sp_.name, s);  // the readers note which of them read well
      if (opts_.progress)
        opts_.progress(sp_.name + ": reading " + side_name(s) + (cursors[idx(s)].empty() ? " (full listing)" : ""));
    }
    PhaseMeter reading(opts_.events, sp_.name, Phase::kReading);
    read_meter_ = &reading;
    read_total_[0] = read_total_[1] = -1;
    StagingQueue queue(2);
    std::exception_ptr failed[2];
    std::vector<std::string> notes[2];
    std::thread readers[2];
    for (Side s : {Side::kLeft, Side::kRight})
      readers[idx(s)] = std::thread([&, s] {
        try {
          reads[idx(s)] = read_side(s, std::move(cursors[idx(s)]), queue, notes[idx(s)]);
        } catch (...) {
          failed[idx(s)] = std::current_exception();
          queue.abort();  // the pair fails: the other side need not read on
        }
        queue.done();
      });
    std::exception_ptr staging_failed;
    try {
      for (Staging batch; queue.pop(batch);) {
        if (batch.restart) {
          store_->stage_reset_side(batch.side);
          for (const auto& r : loaded_[idx(batch.side)]) store_->release_data(r.data_id);
          loaded_[idx(batch.side)].clear();
          continue;
        }
        if (first_sync_) {
          load(batch);
          continue;
        }
        sql::Transaction staging(store_->db(), sql::Transaction::kDeferred);  // touches only TEMP: no state lock
        for (const auto& c : batch.records) store_->stage(batch.side, c);
        staging.commit();
      }
    } catch (...) {
      staging_failed = std::current_exception();
      queue.abort();
    }
    for (auto& t : readers) t.join();
    read_meter_ = nullptr;
    for (int s = 0; s < 2; ++s) rep_.notes.insert(rep_.notes.end(), notes[s].begin(), notes[s].end());
    if (staging_failed) std::rethrow_exception(staging_failed);
    for (int s = 0; s < 2; ++s)
      if (failed[s]) std::rethrow_exception(failed[s]);
    for (Side s : {Side::kLeft, Side::kRight}) {
      rep_.cursor[idx(s)] = reads[idx(s)].cursor;
      rep_.read[idx(s)] = reads[idx(s)].count;
      for (const auto& [batch, u] : reads[idx(s)].unreadable)
        rep_.unreadable.push_back({s, p_.endpoint(s).connector, s == Side::kLeft ? sp_.left : sp_.right, u.id,
                                   u.pointer, u.reason});
    }
  }

  // What a side's read found unreadable, into the state (in the planning
  // transaction, with the cursor that moves past it).
  void note_unreadable(Side s, const SideRead& read) {
    std::vector<UnreadableRow> rows;
    for (const auto& [batch, u] : read.unreadable) {
      UnreadableRow& r = rows.emplace_back();
      // one without an id the host can trust: by where it came (batch, pointer)
      r.key = u.id_sure && !u.id.empty() ? u.id : "@" + std::to_string(batch) + u.pointer;
      r.id = u.id;
      r.connector = p_.endpoint(s).connector;
      r.stream = s == Side::kLeft ? sp_.left : sp_.right;
      r.pointer = u.pointer;
      r.reason = u.reason;
    }
    store_->note_unreadable(sp_.name, s, rows, read.readable, read.listing);
  }

  // A first sync's batch: each live record's data goes into the state now,
  // what planning needs of it stays in memory (mirror rows follow in id
  // order once the side is read).
  void load(Staging& batch) {
    auto& refs = loaded_[idx(batch.side)];
    std::vector<std::string_view> data;
    for (const auto& c : batch.records)
      if (!c.deleted) data.push_back(c.data);  // a deleted record is gone before the state knew it
    std::vector<int64_t> data_ids = store_->load_data(data);
    size_t at = 0;
    for (auto& c : batch.records) {
      if (c.deleted) continue;
      MirrorRef& r = refs.emplace_back();
      r.id = std::move(c.id);
      r.included = c.included;
      r.dirty = true;
      r.keys = std::move(c.keys);
      r.form[0] = c.form[0];
      r.form[1] = c.form[1];
      r.version = std::move(c.version);
      r.modified = std::move(c.modified);
      r.data_id = data_ids[at++];
    }
  }

  // A side's part of the reading bar's total (-1: unknown); the bar has a
  // total when both sides' parts are known. From the reader threads.
  void set_read_total(Side s, int64_t total) {
    read_total_[idx(s)] = total;
    int64_t l = read_total_[0], r = read_total_[1];
    read_meter_->set_total(l >= 0 && r >= 0 ? static_cast<uint64_t>(l + r) : 0);
  }

  // One side's changes since `cursor`, handed to `queue` batch by batch.
  // Runs on a reader thread: touches neither the state nor the report.
  SideRead read_side(Side s, std::string cursor, StagingQueue& queue, std::vector<std::string>& notes) {
    SideRead out;
    const std::string& stream = s == Side::kLeft ? sp_.left : sp_.right;
    const Filter& filter = s == Side::kLeft ? sp_.filter_left : sp_.filter_right;
    out.full = cursor.empty();
    int retries = 0;
    int64_t waited_ms = 0;  // in all, against opts_.max_retry_wait_ms
    std::string pair_text;  // reused: a first sync's digests
    constexpr size_t kArenaBlock = 8 << 20;
    std::unique_ptr<unsigned char[]> arena_block(new unsigned char[kArenaBlock]);
    int batches = 0;  // read so far (an unreadable record without an id is known by its batch and place)
    uint64_t counted = 0, read_from = 0;  // records told to the reading bar: in all, and before this read began
    for (;;) {
      auto r = inst_[idx(s)]->read_changes(stream, cursor);
      if (!r && r.error().status == ACCORD_RETRY && retries < opts_.read_retries &&
          waited_ms + std::max<int64_t>(r.error().retry_after_ms, 100) <= opts_.max_retry_wait_ms) {
        // rate limited or briefly unavailable: wait as asked, then the same call again
        ++retries;
        waited_ms += std::max<int64_t>(r.error().retry_after_ms, 100);
        notes.push_back(std::string(side_name(s)) + " side asked to wait " +
                        std::to_string((r.error().retry_after_ms + 999) / 1000) + " s (" + r.error().message + ")");
        wait_ms(std::max<int64_t>(r.error().retry_after_ms, 100));
        continue;
      }
      if (!r) {
        if (r.error().status == ACCORD_CURSOR_EXPIRED && !out.full) {
          notes.push_back(std::string(side_name(s)) + " cursor expired (" + r.error().message +
                          "): listed everything and compared it with the state; nothing is wiped");
          out = SideRead{};
          out.full = true;
          cursor.clear();
          read_from = counted;
          set_read_total(s, -1);
          if (!queue.push(Staging{s, true, {}})) return out;
          continue;
        }
        std::string later;
        if (r.error().status == ACCORD_RETRY)
          later = " (it asks to wait " + std::to_string((r.error().retry_after_ms + 999) / 1000) +
                  " s: run again then; nothing of this pair was written)";
        throw Failure{r.error().status, std::string("reading the ") + side_name(s) + " side (" +
                                            p_.endpoint(s).connector + " " + stream + "): " + r.error().message + later,
                      r.error().retry_after_ms};
      }
      // The batch and everything made from it live in one arena, freed at
      // once: nothing of it outlives this iteration. Its first block is
      // the same memory each time (a fresh block each batch costs page faults).
      json::monotonic_resource arena(arena_block.get(), kArenaBlock);
      // Each record is read on its own (plugins/wire): one the host cannot
      // read is skipped and reported, the others go on.
      wire::Batch batch = wire::read_batch(*r, &arena);
      if (!batch.error.empty())
        throw Failure{ACCORD_ERROR, std::string(side_name(s)) + " connector " + p_.endpoint(s).connector + " (" +
                                        stream + ") answered a batch that is " + batch.error, 0};
      if (!out.full && out.count == 0 && batch.full)
        out.full = true;  // the connector lists everything this time: what it leaves out is gone
      out.listing = out.full;
      Staging staged{s, false, {}};
      staged.records.reserve(batch.records.size());
      for (wire::Record& rec : batch.records) {
        StateStore::Staged& c = staged.records.emplace_back();
        c.id = std::move(rec.id);
        c.version = std::move(rec.version);
        c.modified = std::move(rec.modified);
        c.deleted = rec.deleted;
        if (rec.renumbered) out.renumbered.push_back(c.id);
        if (!watch_[idx(s)].empty() && watch_[idx(s)].contains(c.id)) out.readable.push_back(c.id);
        if (!c.deleted) {
          const json::value& d = rec.data;  // an object (wire::Record)
          c.included = record_passes(filter, d.get_object());
          c.keys = keys_of(s, d, rec.idempotency_key);
          c.data = json::serialize(d);
          if (first_sync_ && c.included) {
            // equal digests: equal pair forms, nothing to merge
            fm_.pair_text(s, d.get_object(), pair_text);
            std::tie(c.form[0], c.form[1]) = hash::digest128(pair_text);
          }
        }
        ++out.count;
      }
      for (auto& u : batch.unreadable) out.unreadable.emplace_back(batches, std::move(u));
      ++batches;
      for (auto& n : batch.notes) {
        n = std::string(side_name(s)) + " connector " + p_.endpoint(s).connector + " (" + stream + ") " + n;
        if (std::find(notes.begin(), notes.end(), n) == notes.end()) notes.push_back(std::move(n));
      }
      counted += batch.records.size() + batch.unreadable.size();
      // the connector's count of this read, never below what it has listed
      if (batch.total) set_read_total(s, static_cast<int64_t>(read_from + std::max(*batch.total, counted - read_from)));
      else if (read_total_[idx(s)] >= 0 && static_cast<uint64_t>(read_total_[idx(s)]) < counted)
        set_read_total(s, static_cast<int64_t>(counted));
      read_meter_->add(batch.records.size() + batch.unreadable.size());
      if (!queue.push(std::move(staged))) return out;
      cursor = std::move(batch.cursor);
      if (!batch.more) break;
    }
    set_read_total(s, static_cast<int64_t>(counted));  // read: its part of the bar is what it listed
    // A full listing holding a record the host cannot name may hold one the
    // state knows: this time nothing is taken for deleted by its absence.
    if (out.full && std::any_of(out.unreadable.begin(), out.unreadable.end(),
                                [](const auto& u) { return !u.second.id_sure || u.second.id.empty(); })) {
      out.full = false;
      notes.push_back(std::string("the ") + side_name(s) + " side's full listing holds a record that cannot be read or named;"
                      " nothing is taken for deleted by its absence this run");
    }
    out.cursor = cursor;
    return out;
  }

  // ---- B. folding into the mirror, planning --------------------------------

  void fold(Side s, SideRead& read) {
    if (first_sync_) {
      // every record is new: of an id read twice the later copy stays;
      // planning adds the clean rows in one pass and marks dirty the few
      // that wait for a write
      order_[idx(s)] = store_->drop_superseded(loaded_[idx(s)]);
      if (s == Side::kRight) store_->load_done();
      return;
    }
    // A side the state knows nothing of yet needs no lookups.
    bool known_side = read.count > 0 && store_->any(sp_.name, s);
    // records new to the state, by identity, when some were renumbered
    std::vector<std::pair<std::string, std::string>> fresh;
    // records an interrupted update may have moved (gone under this id)
    std::vector<std::string> moved;
    bool renumbering = known_side && (!read.renumbered.empty() || !inflight_[idx(s)].empty()) &&
                       !identity_[idx(s)].empty();
    store_->for_each_staged(s, [&](StateStore::Staged& c) {
      auto m = known_side ? store_->mirror(sp_.name, s, c.id) : std::nullopt;
      if (renumbering && !c.deleted && !m) fresh.emplace_back(c.id, identity_of(s, c.data));
      if (c.deleted && m && !m->deleted && inflight_[idx(s)].contains(c.id)) moved.push_back(c.id);
      if (c.deleted) {
        if (m && !m->deleted) {
          m->deleted = true;
          m->dirty = true;
          store_->put_mirror(sp_.name, s, *m);
        }
        return;
      }
      if (m && !m->deleted && !c.version.empty() && m->version == c.version) {
        // Our own write coming back, or a record we already know: not a change.
        // Take in what the connector made of it (normalised fields), and
        // move the base with it so that it never looks like an edit.
        // (An implicit base follows the row; an explicit one, kept for an
        // undecided conflict, stays as it is.)
        if (m->data != c.data && !m->dirty) {
          m->data = c.data;
          m->keys = c.keys;
          store_->put_mirror(sp_.name, s, *m);
        }
        return;
      }
      // (materialise_base is a no-op where the base is already written out)
      if (m && m->data != c.data) materialise_base(s, *m);
      store_->put_mirror(sp_.name, s, MirrorRow{c.id, c.version, c.modified, std::move(c.data), c.included, true, false,
                                                std::move(c.keys)});
    });
    if (renumbering && !read.renumbered.empty()) follow_renumbering(s, read.renumbered, fresh, true);
    if (!moved.empty()) follow_renumbering(s, moved, fresh, false);
    if (!rep_.refused.empty()) return;
    if (!read.full) return;
    // A full listing: what the state knows but the side no longer lists is gone.
    std::vector<std::string> gone = store_->mirror_ids_not_staged(sp_.name, s);
    if (read.count == 0 && !gone.empty() && sp_.guards.refuse_empty_side) {
      std::string msg = std::string("the ") + side_name(s) + " side listed no records, but " +
                        std::to_string(gone.size()) + " were there before";
      if (!opts_.forces("empty")) {
        rep_.refused = msg + "; refusing to delete them all (check the connector's configuration, or run with --force=empty)";
        return;
      }
      rep_.forced.push_back(msg);
    }
    for (const auto& id : gone) {
      auto m = store_->mirror(sp_.name, s, id);
      m->deleted = true;
      m->dirty = true;
      store_->put_mirror(sp_.name, s, *m);
    }
  }

  // The values of a record's identity fields, joined; "" when one is missing
  // (such a record is never taken for another).
  std::string identity_of(Side s, const std::string& data) {
    boost::system::error_code ec;
    json::value v = json::parse(data, ec);
    if (ec) return "";
    std::string key;
    for (const auto& ptr : identity_[idx(s)]) {
      const json::value* f = v.find_pointer(ptr, ec);
      if (!f || f->is_null()) return "";
      key += json::serialize(*f) + '\x1f';
    }
    return key;
  }

  // A store renumbered records (an IMAP folder's UIDVALIDITY changed): the
  // connector reported the old ids deleted, marked "renumbered", and lists
  // the same messages under new ids. Each old record whose identity fields
  // equal a new record's is that record: its link, base, conflicts and
  // quarantine move to the new id, and nothing is deleted or copied. Equal
  // identities pair up in the order read. An old record that no new one
  // matches stops the pair (its deletion is not taken on trust) unless
  // --force, which lets it count as deleted.
  //
  // Not strict: the old ids are records an update interrupted by a kill
  // may have given a new id (an IMAP message moved to another folder, whose
  // commit never came): one found again by identity is followed; one that
  // is not was deleted, as the side says.
  void follow_renumbering(Side s, const std::vector<std::string>& renumbered,
                          const std::vector<std::pair<std::string, std::string>>& fresh, bool strict) {
    std::unordered_map<std::string, std::vector<MirrorRow>> olds;
    std::unordered_map<std::string, std::vector<std::string>> news;
    std::vector<std::string> unmatched;
    for (const auto& id : renumbered) {
      auto m = store_->mirror(sp_.name, s, id);
      if (!m) continue;  // never seen: nothing to follow
      std::string key = identity_of(s, m->data);
      if (key.empty()) unmatched.push_back(id);
      else olds[key].push_back(std::move(*m));
    }
    for (const auto& [id, key] : fresh)
      if (!key.empty() && olds.contains(key)) news[key].push_back(id);
    size_t followed = 0;
    for (auto& [key, rows] : olds) {
      auto n = news.find(key);
      if (n == news.end() || n->second.size() != rows.size()) {
        for (const auto& r : rows) unmatched.push_back(r.id);
        continue;
      }
      for (size_t i = 0; i < rows.size(); ++i) {
        materialise_base(s, rows[i]);  // the new row is compared with what the old one was
        store_->rekey(sp_.name, s, rows[i].id, n->second[i]);
        ++followed;
      }
    }
    if (followed)
      rep_.notes.push_back(std::string("the ") + side_name(s) + " side " +
                           (strict ? "renumbered " + count_of(followed, "record") + " (e.g. an IMAP UIDVALIDITY change)"
                                   : "gave " + count_of(followed, "record") +
                                         " a new id in a write the last run was stopped in (e.g. a move)") +
                           "; found each again by " + join(identity_[idx(s)], ", ") + ": nothing copied or deleted");
    if (unmatched.empty() || !strict) return;
    std::string msg = std::string("the ") + side_name(s) + " side renumbered its records, and " +
                      std::to_string(unmatched.size()) + " of them (e.g. \"" + unmatched.front() +
                      "\") match no record it lists now by " + join(identity_[idx(s)], ", ");
    if (!opts_.forces("renumbered")) {
      rep_.refused = msg + "; nothing was changed. If they were deleted, run with --force=renumbered to take them as deleted";
      return;
    }
    rep_.forced.push_back(msg + ": taken as deleted");
  }

  Fields pair_of(Side s, const MirrorRow& r) { return fm_.to_pair(s, json::parse(r.data).get_object()); }

  // A change is about to overwrite `old`, the mirror row a link's implicit
  // base stands for: write that base out first.
  void materialise_base(Side s, const MirrorRow& old) {
    auto link = store_->link_by(sp_.name, s, old.id);
    if (!link) return;
    std::string& base = s == Side::kLeft ? link->base_left : link->base_right;
    if (!base.empty()) return;
    base = fields_json(pair_of(s, old));
    store_->put_link(sp_.name, *link);
  }

  // A link's base for one side: written out, or the pair form of the row.
  Fields base_of(const LinkRow& link, Side s, const std::optional<MirrorRow>& row) {
    const std::string& base = s == Side::kLeft ? link.base_left : link.base_right;
    if (!base.empty()) return fields_from_json(base);
    return row ? pair_of(s, *row) : Fields{};
  }

  MirrorRow row_of(Side s, const std::string& id) {
    auto r = store_->mirror_data(sp_.name, s, id);
    if (!r) throw Failure{ACCORD_ERROR, "state: no mirror row for " + std::string(side_name(s)) + " " + id, 0};
    return *r;
  }

  // Writes `ch` into `data` and returns the changes that altered it, as the
  // side itself sees them (a transform may make a change a no-op there).
  Changes write_changes(Side t, json::object& data, const Changes& ch) {
    Fields before = fm_.to_pair(t, data);
    fm_.write(t, data, ch);
    Fields after = fm_.to_pair(t, data);
    Changes effective;
    for (const auto& [k, v] : ch) {
      auto b = before.find(k), a = after.find(k);
      bool same = (b == before.end() && a == after.end()) ||
                  (b != before.end() && a != after.end() && b->second == a->second);
      if (!same) effective[k] = v;
    }
    return effective;
  }

  // A new record for `target` holding every field of `source`'s pair form.
  json::object created_from(Side target, const Fields& source) {
    json::object data;
    Changes all;
    for (const auto& [k, v] : source)
      if (fm_.flows_to(k, target)) all[k] = v;
    fm_.write(target, data, all);
    return data;
  }

  PlannedOp make_op(Side target, const std::string& op, const std::string& id, const std::string& source_id,
                    json::object data, const std::string& expect_version, Changes changes) {
    PlannedOp o;
    o.side = target;
    o.op = op;
    o.id = id;
    o.source_id = source_id;
    o.label = record_label(data.empty() ? json::object{} : data, id.empty() ? source_id : id);
    o.data = std::move(data);
    o.expect_version = expect_version;
    o.changes = std::move(changes);
    if (op == "create") o.idempotency_key = self_key(other(target), source_id);
    // what this record carries that the target does not keep: said per
    // record by plan (issue 21), the pair's list says it per field
    if (sp_.identity && op == "create") {
      o.left_behind = left_behind(o.data, kept_[idx(target)]);
    } else if (sp_.identity && op == "update") {
      for (const auto& [k, v] : o.changes)
        if (v)
          for (auto& x : left_behind(*v, kept_[idx(target)], k)) o.left_behind.push_back(std::move(x));
    }
    return o;
  }

  void plan_create(Side target, const MirrorRow& src, std::vector<Item>& items) {
    Side from = other(target);
    Fields f = pair_of(from, src);
    Item it;
    (from == Side::kLeft ? it.left_id : it.right_id) = src.id;
    it.row[idx(from)] = src;
    json::object data = created_from(target, f);
    Changes ch;
    for (const auto& [k, v] : f) ch[k] = v;
    std::string label = record_label(data, src.id);
    it.pair[idx(from)] = std::move(f);
    it.op[idx(target)] = make_op(target, "create", "", src.id, std::move(data), "", std::move(ch));
    it.op[idx(target)]->label = std::move(label);
    it.quarantine_side_id[idx(from)] = src.id;
    items.push_back(std::move(it));
  }

  // A pair whose merge writes nothing: link it (or move its bases) now, in the
  // planning transaction. A plan rolls that back with everything else.
  void settle(Item& it, Fields bl, Fields br) {
    for (int s = 0; s < 2; ++s)
      if (it.row[s]) store_->clear_dirty(sp_.name, s == 0 ? Side::kLeft : Side::kRight, it.row[s]->id);
    store_->put_link(sp_.name, link_for(it, std::move(bl), std::move(br)));
  }

  // The link a pair ends with: implicit bases (the rows as they stand), or,
  // with undecided fields, bases written out that keep those fields' old values.
  LinkRow link_for(const Item& it, Fields bl, Fields br) {
    if (it.manual_fields.empty()) return LinkRow{it.left_id, it.right_id, "", ""};
    keep_manual_bases(it, bl, br);
    return LinkRow{it.left_id, it.right_id, fields_json(bl), fields_json(br)};
  }

  // An undecided field keeps its old base, so that it stays a conflict.
  void keep_manual_bases(const Item& it, Fields& bl, Fields& br) {
    if (!it.link || it.manual_fields.empty()) return;
    Fields obl = fields_from_json(it.link->base_left), obr = fields_from_json(it.link->base_right);
    for (const auto& f : it.manual_fields) {
      if (obl.contains(f)) bl[f] = obl[f]; else bl.erase(f);
      if (obr.contains(f)) br[f] = obr[f]; else br.erase(f);
    }
  }

  // Planning from what changed since the last run: the dirty mirror rows.
  std::vector<Item> plan_changes() {
    std::vector<Item> items;
    std::map<std::string, LinkRow> linked;  // by left id
    std::vector<MirrorRef> unlinked_dirty[2];
    bool any_links = store_->any_links(sp_.name);  // none: a first sync, no lookups
    for (Side s : {Side::kLeft, Side::kRight}) {
      std::set<std::string> waiting = store_->quarantined(sp_.name, s, true);
      quarantined_[idx(s)] = store_->quarantined(sp_.name, s, false);
      for (auto& ref : store_->dirty(sp_.name, s)) {
        if (waiting.contains(ref.id)) continue;
        auto link = any_links ? store_->link_by(sp_.name, s, ref.id) : std::nullopt;
        if (link) {
          linked.emplace(link->left_id, std::move(*link));
        } else if (ref.deleted) {
          store_->drop_mirror(sp_.name, s, ref.id);  // never linked, now gone: forget it
        } else if (!ref.included) {
          store_->clear_dirty(sp_.name, s, ref.id);  // filtered out and never linked
        } else {
          unlinked_dirty[idx(s)].push_back(std::move(ref));
        }
      }
    }
    if (plan_meter_) plan_meter_->set_total(linked.size());
    for (auto& [lid, link] : linked) {
      if (plan_meter_) plan_meter_->add();
      Item it;
      it.left_id = link.left_id;
      it.right_id = link.right_id;
      it.row[0] = store_->mirror_data(sp_.name, Side::kLeft, it.left_id);
      it.row[1] = store_->mirror_data(sp_.name, Side::kRight, it.right_id);
      it.link = std::move(link);
      plan_linked(it, items);
    }
    // No links and every record waiting (a first sync stopped before its
    // links were made): the candidates for matching are exactly the dirty
    // records just loaded; no second copy.
    match_and_create(unlinked_dirty, !any_links && !store_->any_clean(sp_.name), items);
    return items;
  }

  // A first sync: the staged records are the candidates (each side's
  // included ones, the later copy of an id read twice); pairs whose pair
  // forms are equal are linked without reading their data again; only the
  // records that wait for a write are marked dirty.
  std::vector<Item> plan_first_sync() {
    std::vector<Item> items;
    std::vector<MirrorRef> refs[2] = {std::move(loaded_[0]), std::move(loaded_[1])};
    // The mirror rows go in while a second thread matches the records: it
    // reads only what the load leaves as it is.
    Matching m;
    run_beside([&] { m = find_matches(refs[0], refs[1]); },
               [&] {
                 for (Side s : {Side::kLeft, Side::kRight}) store_->load_rows(sp_.name, s, refs[idx(s)], order_[idx(s)]);
               });
    const std::vector<MirrorRef>* pools[2] = {&refs[0], &refs[1]};
    settle_matches(refs, true, pools, m, items);
    // creates, oldest first
    auto creates = std::stable_partition(items.begin(), items.end(), [](const Item& it) { return it.row[0] && it.row[1]; });
    std::stable_sort(creates, items.end(), [](const Item& a, const Item& b) {
      const MirrorRow& x = a.row[0] ? *a.row[0] : *a.row[1];
      const MirrorRow& y = b.row[0] ? *b.row[0] : *b.row[1];
      return std::tie(x.modified, x.id) < std::tie(y.modified, y.id);
    });
    for (Side s : {Side::kLeft, Side::kRight}) {
      std::vector<std::string> waiting;
      for (const auto& it : items)
        if (it.row[idx(s)]) waiting.push_back(it.row[idx(s)]->id);
      store_->mark_dirty(sp_.name, s, std::move(waiting));
    }
    return items;
  }

  std::vector<Item> plan() {
    std::vector<Item> items = first_sync_ ? plan_first_sync() : plan_changes();
    report_ops(items);
    return items;
  }

  // A right-side write's changes named and valued as the right side holds
  // them (its rule's right path, the value after the rule's transform), not
  // by the pair form's keys, which are the left side's paths.
  void in_right_terms(PlannedOp& op) const {
    if (sp_.identity || sp_.rules.empty() || op.changes.empty()) return;
    json::value data(op.data);
    Changes named;
    for (auto& [k, v] : op.changes) {
      auto rule = std::find_if(sp_.rules.begin(), sp_.rules.end(), [&](const Rule& r) { return r.key == k; });
      if (rule == sp_.rules.end()) {
        named[k] = std::move(v);
        continue;
      }
      const json::value* now = v ? rule->right.get(data) : nullptr;
      named[rule->right.text()] = now ? std::optional<json::value>(*now) : std::move(v);
    }
    op.changes = std::move(named);
  }

  void report_ops(std::vector<Item>& items) {
    // The fingerprint of what would be written, in a stable order, and the
    // report's copy of each op without its data.
    OpFingerprint fp;
    for (auto& it : items) {
      for (Side s : {Side::kLeft, Side::kRight})
        if (auto& op = it.op[idx(s)]) {
          if (s == Side::kRight) in_right_terms(*op);
          fp.add(*op);
          // the report keeps what each write changes; the item keeps the data to write
          PlannedOp shown{op->side, op->op, op->id, op->source_id, op->source_same_side, op->label,
                          std::move(op->changes), {}, op->expect_version, op->idempotency_key, op->resend,
                          std::move(op->left_behind)};
          op->changes.clear();
          rep_.ops.push_back(std::move(shown));
        }
      // What applying needs of a pair without undecided fields: ids and the
      // data to write, not the records' old data nor their pair forms (a
      // first sync of many records holds every item at once).
      if (it.manual_fields.empty())
        for (int s = 0; s < 2; ++s) {
          if (it.row[s]) std::string().swap(it.row[s]->data);
          it.pair[s].reset();
        }
    }
    rep_.fingerprint = fp.text();
  }

  // ---- explain ------------------------------------------------------------

  // `accord plan --explain ID`: how one record (an id on either side) stands
  // and is planned: its mirror row, the filter's verdict, its link, the
  // three-way decision per field (base, left, right), its match keys with
  // the unlinked records of the other side that share them, its quarantine
  // entry. Read only: the plan that follows it rolls everything back.
  void explain(const std::string& id) {
    json::object& e = rep_.explain;
    e["id"] = id;
    if (first_sync_) {
      e["note"] = "the state knows nothing of this pair yet (a first sync): each record is linked by its match keys, "
                  "else copied";
      return;
    }
    json::array found;
    for (Side s : {Side::kLeft, Side::kRight}) {
      auto m = store_->mirror(sp_.name, s, id);
      if (!m) continue;
      json::object r{{"side", side_name(s)}, {"version", m->version}, {"modified", m->modified},
                     {"deleted", m->deleted}, {"changed_since_last_run", m->dirty},
                     {"filter", m->included ? "passes the " + std::string(side_name(s)) + " filter"
                                            : "filtered out by the " + std::string(side_name(s)) + " filter"}};
      json::array keys;
      for (size_t k = 0; k < sp_.match.size(); ++k) {
        std::string key(key_part(m->keys, k));
        json::array candidates;
        if (!key.empty())
          for (const auto& c : store_->unlinked(sp_.name, other(s)))
            if (key_part(c.keys, k) == key) candidates.emplace_back(c.id);
        std::string shown = key;  // its fields' normal forms, each ended by \x1f
        if (!shown.empty()) shown.pop_back();
        std::replace(shown.begin(), shown.end(), '\x1f', ' ');
        keys.push_back(json::object{{"key", sp_.match[k].label}, {"value", key.empty() ? json::value(nullptr) : json::value(shown)},
                                    {"unlinked_candidates_on_the_" + std::string(side_name(other(s))), candidates}});
      }
      r["match_keys"] = keys;
      for (const auto& q : store_->quarantine_list())
        if (q.pair == sp_.name && q.side == side_name(s) && q.id == id)
          r["quarantine"] = json::object{{"error", q.error}, {"attempts", q.attempts}, {"next_retry", q.next_retry}};
      if (auto link = store_->link_by(sp_.name, s, id)) {
        r["link"] = json::object{{"left", link->left_id}, {"right", link->right_id}};
        auto L = store_->mirror_data(sp_.name, Side::kLeft, link->left_id);
        auto R = store_->mirror_data(sp_.name, Side::kRight, link->right_id);
        bool l_live = L && !L->deleted, r_live = R && !R->deleted;
        Fields lf, rf, bl = base_of(*link, Side::kLeft, L), br = base_of(*link, Side::kRight, R);
        if (l_live) lf = pair_of(Side::kLeft, *L);
        if (r_live) rf = pair_of(Side::kRight, *R);
        auto decided = store_->decisions(sp_.name, link->left_id);
        MergeInput in;
        in.base_left = &bl, in.base_right = &br;
        in.left = l_live ? &lf : nullptr, in.right = r_live ? &rf : nullptr;
        in.left_modified = L ? L->modified : "", in.right_modified = R ? R->modified : "";
        in.policy = sp_.policy, in.owners = &sp_.owners, in.decided = &decided;
        in.flows_to = [this](const std::string& k, Side t) { return fm_.flows_to(k, t); };
        MergeResult mr = three_way_merge(in);
        std::set<std::string> names;
        for (const Fields* f : {&bl, &br, &lf, &rf})
          for (const auto& [k, v] : *f) names.insert(k);
        auto val = [](const Fields& f, const std::string& k) { auto i = f.find(k); return i == f.end() ? json::value(nullptr) : i->second; };
        json::array fields;
        for (const auto& k : names) {
          bool lc = l_live && val(lf, k) != val(bl, k), rc = r_live && val(rf, k) != val(br, k);
          std::string decision = !lc && !rc ? "unchanged on both sides since they were last in accord"
                                 : lc && !rc ? "changed on the left only"
                                 : rc && !lc ? "changed on the right only"
                                             : "changed on both sides";
          if (mr.to_right.contains(k)) decision += ": copied to the right";
          else if (mr.to_left.contains(k)) decision += ": copied to the left";
          for (const auto& c : mr.conflicts)
            if (c.field == k)
              decision += c.winner ? std::string(": a conflict, ") + side_name(*c.winner) + " wins (" + c.reason + ")"
                                   : ": a conflict left for you to decide (accord conflicts list)";
          fields.push_back(json::object{{"field", k}, {"base_left", val(bl, k)}, {"left", l_live ? val(lf, k) : json::value(nullptr)},
                                        {"base_right", val(br, k)}, {"right", r_live ? val(rf, k) : json::value(nullptr)},
                                        {"decision", decision}});
        }
        r["fields"] = fields;
        r["record"] = !l_live && !r_live ? "deleted on both sides: the link goes"
                      : !l_live ? (mr.delete_right ? "deleted on the left: deleted on the right" : mr.recreate_left ? "deleted on the left, changed on the right: made again on the left" : "deleted on the left")
                      : !r_live ? (mr.delete_left ? "deleted on the right: deleted on the left" : mr.recreate_right ? "deleted on the right, changed on the left: made again on the right" : "deleted on the right")
                      : mr.nothing() && mr.conflicts.empty() ? "in accord: nothing to write" : "linked: fields to write";
      } else {
        r["link"] = nullptr;
        r["record"] = m->deleted ? "deleted, and linked to nothing: forgotten"
                      : !m->included ? "filtered out, and linked to nothing: not synced"
                      : "linked to nothing: linked by a match key that finds exactly one unlinked record on the other "
                        "side, else copied there (when it is new or changed since the last run)";
      }
      found.push_back(std::move(r));
    }
    e["records"] = found;
    if (found.empty()) e["note"] = "no record " + id + " in this pair's state (on either side)";
  }

  // ---- undo ---------------------------------------------------------------

  // A record's top-level fields that differ between two of its data, with
  // their values in `to` (none: not in it).
  static Changes field_changes(const json::object& from, const json::object& to) {
    Changes out;
    for (const auto& [k, v] : to)
      if (const json::value* was = from.if_contains(k); !was || *was != v) out["/" + std::string(k)] = v;
    for (const auto& [k, v] : from)
      if (!to.contains(k)) out["/" + std::string(k)] = std::nullopt;
    return out;
  }

  static json::object object_of(const std::string& text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    return !ec && v.is_object() ? std::move(v.get_object()) : json::object{};
  }

  // The inverse of run `run`'s writes to this pair (the state's history), as
  // items for the same apply path, journal and guards as a sync's: what the
  // run created is deleted, what it updated is written back and what it
  // deleted is created again, from the data the record had before the run
  // (linked again to the record it was linked to, where that one is still
  // there and linked to nothing). A record that is no longer as the run left
  // it (changed, deleted or made again since) is a conflict: reported, and
  // left as it is.
  std::vector<Item> plan_undo(int64_t run) {
    std::vector<Item> items;
    if (first_sync_) return items;  // the state knows nothing of this pair
    // A record's net effect in the run: the first write's before, the last one's after.
    struct Net {
      std::string op, version, other_id;
      std::optional<std::string> before, after;
      bool created = false;
    };
    std::map<std::pair<std::string, std::string>, Net> net;  // by side, id
    std::vector<std::pair<std::string, std::string>> order;
    for (auto& h : store_->history(run, sp_.name, "")) {
      auto key = std::make_pair(h.side, h.record_id);
      auto [at, fresh] = net.try_emplace(key);
      Net& n = at->second;
      if (fresh) {
        order.push_back(key);
        n.before = std::move(h.before);
        n.created = h.op == "create";
      }
      n.op = h.op, n.version = h.version, n.other_id = h.other_id, n.after = std::move(h.after);
    }
    const std::string since = " since run " + std::to_string(run) + " wrote it; not undone";
    for (auto k = order.rbegin(); k != order.rend(); ++k) {  // the newest write first
      const Net& n = net[*k];
      Side t = k->first == "left" ? Side::kLeft : Side::kRight;
      const std::string& id = k->second;
      auto m = store_->mirror_data(sp_.name, t, id);
      json::object before = n.before ? object_of(*n.before) : json::object{};
      json::object now = m && !m->deleted ? object_of(m->data) : json::object{};
      std::string label = record_label(now.empty() ? before : now, id);
      auto conflict = [&](const std::string& what) {
        rep_.conflicts.push_back({t == Side::kLeft ? id : "", t == Side::kRight ? id : "", label, "(record)",
                                  "left for you to decide: the " + std::string(side_name(t)) + " record " + what + since,
                                  std::nullopt, std::nullopt});
      };
      // as the run left it: its version (or, where the store gives none, its data)
      bool as_left = m && !m->deleted && m->version == n.version &&
                     (!n.version.empty() || (n.after && object_of(*n.after) == now));
      Item it;
      if (n.op == "delete") {
        if (n.created) continue;  // made and deleted by the run: nothing to undo
        if (m && !m->deleted) {
          conflict("is there again");
          continue;
        }
        // linked again to the record it was linked to, if that one waits
        // unlinked: that record is the create's source (its lazy fields are
        // fetched from it; an interrupted create, sent again by the next
        // run, is linked to it too); else it has none
        std::string partner;
        if (!n.other_id.empty() && !store_->link_by(sp_.name, other(t), n.other_id))
          if (auto o = store_->mirror_data(sp_.name, other(t), n.other_id); o && !o->deleted) {
            partner = (t == Side::kLeft ? it.right_id : it.left_id) = n.other_id;
            std::string().swap(o->data);
            it.row[idx(other(t))] = std::move(*o);
          }
        Changes all;
        for (const auto& [f, v] : before) all["/" + std::string(f)] = v;
        PlannedOp op = make_op(t, "create", "", partner, std::move(before), "", std::move(all));
        op.label = label;
        op.idempotency_key = derive_idempotency_key(p_.name, sp_.name, t, id, "undo:" + std::to_string(run_id_));
        it.op[idx(t)] = std::move(op);
        items.push_back(std::move(it));
        continue;
      }
      if (!m || m->deleted) {
        if (!n.created) conflict("was deleted");
        continue;  // (one the run made that is gone already: nothing to undo)
      }
      if (!as_left) {
        conflict("changed");
        continue;
      }
      (t == Side::kLeft ? it.left_id : it.right_id) = id;
      it.link = store_->link_by(sp_.name, t, id);
      // (the partner's id, without its row: the history names it, and the
      // commit neither touches its row nor, with one row, the link)
      if (it.link) (t == Side::kLeft ? it.right_id : it.left_id) = t == Side::kLeft ? it.link->right_id : it.link->left_id;
      if (n.created) {
        it.op[idx(t)] = make_op(t, "delete", id, "", {}, m->version, {});
      } else {
        Changes ch = field_changes(now, before);
        if (ch.empty()) continue;  // it holds what it held before the run
        it.op[idx(t)] = make_op(t, "update", id, "", std::move(before), m->version, std::move(ch));
      }
      it.op[idx(t)]->label = label;
      it.row[idx(t)] = std::move(*m);
      items.push_back(std::move(it));
    }
    report_ops(items);
    return items;
  }

  void plan_linked(Item& it, std::vector<Item>& items) {
    auto& L = it.row[0];
    auto& R = it.row[1];
    bool l_live = L && !L->deleted, r_live = R && !R->deleted;
    // A side filtered out of the sync: stop syncing the pair, delete nothing.
    if ((l_live && !L->included) || (r_live && !R->included)) {
      rep_.notes.push_back("unlinked " + it.left_id + " ⇄ " + it.right_id + ": no longer passes the " +
                           (l_live && !L->included ? "left" : "right") + " filter (nothing deleted)");
      unlink_now(it);
      return;
    }
    Fields lf, rf, bl = base_of(*it.link, Side::kLeft, L), br = base_of(*it.link, Side::kRight, R);
    if (l_live) lf = pair_of(Side::kLeft, *L);
    if (r_live) rf = pair_of(Side::kRight, *R);
    auto decided = store_->decisions(sp_.name, it.left_id);
    MergeInput in;
    in.base_left = &bl;
    in.base_right = &br;
    in.left = l_live ? &lf : nullptr;
    in.right = r_live ? &rf : nullptr;
    in.left_modified = L ? L->modified : "";
    in.right_modified = R ? R->modified : "";
    in.policy = sp_.policy;
    in.owners = &sp_.owners;
    in.decided = &decided;
    in.flows_to = [this](const std::string& k, Side t) { return fm_.flows_to(k, t); };
    MergeResult m = three_way_merge(in);
    if (m.nothing() && m.conflicts.empty()) {
      if (opts_.apply) store_->close_conflicts(sp_.name, it.left_id, {});
      settle(it, std::move(lf), std::move(rf));
      return;
    }
    std::string label = record_label(json::parse(l_live ? L->data : r_live ? R->data : std::string("{}")).get_object(),
                                     it.left_id);
    for (const auto& c : m.conflicts) {
      std::string res = c.winner ? std::string(side_name(*c.winner)) + " wins (" + c.reason + ")" : "left for you to decide";
      rep_.conflicts.push_back({it.left_id, it.right_id, label, c.field, res, c.left, c.right});
      if (!c.winner && opts_.apply)
        store_->add_conflict({0, sp_.name, it.left_id, it.right_id, c.field, c.left ? json::serialize(*c.left) : "null",
                              c.right ? json::serialize(*c.right) : "null", "", ""});
    }
    if (opts_.apply) store_->close_conflicts(sp_.name, it.left_id, m.manual_fields);
    it.manual_fields = m.manual_fields;
    if (!it.manual_fields.empty()) {  // the undecided fields' bases must outlive the rows
      it.link->base_left = fields_json(bl);
      it.link->base_right = fields_json(br);
    }
    if (m.both_deleted) {
      store_->drop_link(sp_.name, it.left_id);
      store_->drop_mirror(sp_.name, Side::kLeft, it.left_id);
      store_->drop_mirror(sp_.name, Side::kRight, it.right_id);
      return;
    }
    for (Side t : {Side::kLeft, Side::kRight}) {
      bool del = t == Side::kLeft ? m.delete_left : m.delete_right;
      if (del) {
        it.forget[idx(other(t))] = true;  // the deleted source row
        if (sp_.allowed(t, "delete")) {
          it.op[idx(t)] = make_op(t, "delete", t == Side::kLeft ? it.left_id : it.right_id, "", {}, it.row[idx(t)]->version, {});
          it.op[idx(t)]->label = label;
        } else {
          it.drop_link = true;  // the survivor stays, unlinked
          rep_.notes.push_back(std::string("not deleting ") + label + " on the " + side_name(t) + ": deletes to that side are not allowed");
        }
        it.quarantine_side_id[idx(other(t))] = t == Side::kLeft ? it.right_id : it.left_id;
      }
      bool recreate = t == Side::kLeft ? m.recreate_left : m.recreate_right;
      if (recreate && sp_.allowed(t, "create")) {
        const Fields& src = t == Side::kLeft ? rf : lf;
        Changes ch;
        for (const auto& [k, v] : src) ch[k] = v;
        it.op[idx(t)] = make_op(t, "create", "", t == Side::kLeft ? it.right_id : it.left_id, created_from(t, src), "", ch);
        it.op[idx(t)]->label = label;
        (t == Side::kLeft ? it.left_id : it.right_id).clear();
        it.row[idx(t)].reset();
        it.quarantine_side_id[idx(other(t))] = t == Side::kLeft ? it.right_id : it.left_id;
      } else if (recreate) {
        it.drop_link = true;
      }
      const Changes& ch = t == Side::kLeft ? m.to_left : m.to_right;
      if (!ch.empty() && it.row[idx(t)] && !it.row[idx(t)]->deleted) {
        if (!sp_.allowed(t, "update")) continue;  // the base absorbs the divergence
        json::object data = json::parse(it.row[idx(t)]->data).get_object();
        Changes effective = write_changes(t, data, ch);
        if (effective.empty()) continue;  // the side already holds it, in its own terms
        it.op[idx(t)] = make_op(t, "update", t == Side::kLeft ? it.left_id : it.right_id, "", std::move(data),
                                it.row[idx(t)]->version, effective);
        it.op[idx(t)]->label = label;
        it.quarantine_side_id[idx(other(t))] = t == Side::kLeft ? it.right_id : it.left_id;
      }
    }
    if (m.keep_both && r_live) {
      // Keep the right's version too, as a new pair of records.
      Item copy;
      json::object ldata = created_from(Side::kLeft, rf);
      json::object rdata = json::parse(R->data).get_object();
      Changes ch;
      for (const auto& [k, v] : rf) ch[k] = v;
      copy.op[0] = make_op(Side::kLeft, "create", "", it.right_id, std::move(ldata), "", ch);
      copy.op[1] = make_op(Side::kRight, "create", "", it.right_id, std::move(rdata), "", ch);
      copy.op[0]->label = copy.op[1]->label = label + " (kept: the right's version)";
      copy.op[1]->source_same_side = true;
      copy.op[0]->idempotency_key = copy.op[1]->idempotency_key =
          derive_idempotency_key(p_.name, sp_.name, Side::kRight, it.right_id, "keep-both");
      items.push_back(std::move(it));
      items.push_back(std::move(copy));
      return;
    }
    if (!it.has_ops()) {  // nothing to write: a refused delete, a divergence the bases absorb
      if (it.drop_link) unlink_now(it);
      else settle(it, std::move(lf), std::move(rf));
      return;
    }
    if (l_live) it.pair[0] = std::move(lf);
    if (r_live) it.pair[1] = std::move(rf);
    items.push_back(std::move(it));
  }

  // Stops syncing a pair now: the link goes, live rows are clean, gone rows forgotten.
  void unlink_now(Item& it) {
    store_->drop_link(sp_.name, it.link ? it.link->left_id : it.left_id);
    for (int s = 0; s < 2; ++s) {
      if (!it.row[s]) continue;
      Side side = s == 0 ? Side::kLeft : Side::kRight;
      if (it.row[s]->deleted || it.forget[s]) store_->drop_mirror(sp_.name, side, it.row[s]->id);
      else store_->clear_dirty(sp_.name, side, it.row[s]->id);
    }
  }

  // Who matches whom among two pools of candidates: indexes into them.
  struct Matching {
    std::vector<char> linked[2], held[2];  // by pool index: linked; ambiguous (neither linked nor created)
    std::vector<std::pair<uint32_t, uint32_t>> matches;  // left, right; in left-id order
    std::vector<std::pair<uint32_t, uint32_t>> copies;   // left, right: one is the other's copy (match_copies)
    std::vector<std::string> notes;
  };

  // Reads of each candidate only its id, keys, whether it is dirty and
  // whether it is included (an excluded one is no candidate): a first sync
  // runs it beside the load of its mirror rows.
  Matching find_matches(const std::vector<MirrorRef>& left, const std::vector<MirrorRef>& right) const {
    const std::vector<MirrorRef>* pools[2] = {&left, &right};
    auto pool = [&](int s) -> const std::vector<MirrorRef>& { return *pools[s]; };
    Matching m;
    for (int s = 0; s < 2; ++s) m.linked[s].assign(pool(s).size(), 0), m.held[s].assign(pool(s).size(), 0);
    // Records sharing a key are found by sorting (key, side, index): no
    // map of a million strings. Groups in key order keep plans
    // deterministic. Most comparisons end at the keys' heads.
    struct Entry {
      uint64_t head;
      std::string_view key;
      uint32_t side, i;
      bool operator<(const Entry& o) const {
        if (head != o.head) return head < o.head;
        return std::tie(key, side, i) < std::tie(o.key, o.side, o.i);
      }
    };
    match_copies(pools, m);
    for (size_t k = 0; k < sp_.match.size(); ++k) {
      std::vector<Entry> entries;
      for (uint32_t s = 0; s < 2; ++s)
        for (uint32_t i = 0; i < pool(s).size(); ++i)
          if (!m.linked[s][i] && pool(s)[i].included)
            if (std::string_view key = key_part(pool(s)[i].keys, k); !key.empty()) entries.push_back({head8(key), key, s, i});
      std::sort(entries.begin(), entries.end());
      for (size_t a = 0, b; a < entries.size(); a = b) {
        size_t mid = a;
        for (b = a; b < entries.size() && entries[b].key == entries[a].key; ++b)
          if (entries[b].side == 0) mid = b + 1;
        if (mid == a || mid == b) continue;  // on one side only: nothing to match
        bool involves_dirty = false;
        for (size_t e = a; e < b; ++e) involves_dirty = involves_dirty || pool(entries[e].side)[entries[e].i].dirty;
        if (!involves_dirty) continue;
        if (mid - a != 1 || b - mid != 1) {
          std::string who;
          for (size_t e = a; e < b; ++e) {
            who += std::string(entries[e].side == 0 ? " left:" : " right:") + pool(entries[e].side)[entries[e].i].id;
            m.held[entries[e].side][entries[e].i] = 1;
          }
          m.notes.push_back("ambiguous match on " + sp_.match[k].label + " (" + std::to_string(mid - a) + " left, " +
                            std::to_string(b - mid) + " right):" + who + "; not linked, not created");
          continue;
        }
        uint32_t l = entries[a].i, r = entries[mid].i;
        m.linked[0][l] = m.linked[1][r] = 1;
        m.held[0][l] = m.held[1][r] = 0;
        m.matches.emplace_back(l, r);
      }
    }
    // Settled in left-id order: lookups walk the mirror's key order instead
    // of jumping about (a first sync of a million pairs is bound by this).
    if (m.matches.empty()) return m;
    std::vector<uint32_t> rank(pool(0).size());
    std::vector<uint32_t> order = id_order(pool(0));
    for (uint32_t k = 0; k < order.size(); ++k) rank[order[k]] = k;
    std::sort(m.matches.begin(), m.matches.end(), [&](const auto& a, const auto& b) { return rank[a.first] < rank[b.first]; });
    return m;
  }

  // Before any match key: a record whose stored idempotency key is another's
  // self key is that record's copy (Accord made it; the state that linked
  // them was lost or is older than the copy); two records that store the
  // same key are keep-both's two copies of one record. Exactly one on each
  // side links them; more (duplicates an older version left) is reported and
  // neither linked nor copied again. Costs nothing where no record stores a
  // key.
  void match_copies(const std::vector<MirrorRef>* const pools[2], Matching& m) const {
    struct Entry {
      KeyBits key;
      uint32_t side, i;
      bool operator<(const Entry& o) const { return std::tie(key, side, i) < std::tie(o.key, o.side, o.i); }
    };
    std::vector<Entry> entries;
    bool stores[2] = {false, false};  // a side holds copies: the other's self keys are wanted
    for (uint32_t s = 0; s < 2; ++s)
      for (uint32_t i = 0; i < pools[s]->size(); ++i)
        if (const MirrorRef& r = (*pools[s])[i]; r.included)
          if (auto k = key_bits(stored_key(r.keys))) {
            entries.push_back({*k, s, i});
            stores[s] = true;
          }
    if (entries.empty()) return;
    for (uint32_t s = 0; s < 2; ++s)
      if (stores[1 - s])
        for (uint32_t i = 0; i < pools[s]->size(); ++i)
          if (const MirrorRef& r = (*pools[s])[i]; r.included)
            entries.push_back({derive_key_bits(p_.name, sp_.name, s == 0 ? Side::kLeft : Side::kRight, r.id), s, i});
    std::sort(entries.begin(), entries.end());
    for (size_t a = 0, b; a < entries.size(); a = b) {
      size_t mid = a;
      bool involves_dirty = false;
      for (b = a; b < entries.size() && entries[b].key == entries[a].key; ++b) {
        if (entries[b].side == 0) mid = b + 1;
        involves_dirty = involves_dirty || (*pools[entries[b].side])[entries[b].i].dirty;
      }
      if (mid == a || mid == b || !involves_dirty) continue;
      if (mid - a != 1 || b - mid != 1) {
        std::string who;
        for (size_t e = a; e < b; ++e) {
          who += std::string(entries[e].side == 0 ? " left:" : " right:") + (*pools[entries[e].side])[entries[e].i].id;
          m.held[entries[e].side][entries[e].i] = 1;
        }
        m.notes.push_back("more than one copy of one record, by the idempotency key their creates stored (" +
                          std::to_string(mid - a) + " left, " + std::to_string(b - mid) + " right):" + who +
                          "; not linked, not copied again: delete the extra copies, then run again");
        continue;
      }
      uint32_t l = entries[a].i, r = entries[mid].i;
      if (m.linked[0][l] || m.linked[1][r]) continue;
      m.linked[0][l] = m.linked[1][r] = 1;
      m.copies.emplace_back(l, r);
    }
  }

  // dirty_is_pool: every unlinked record is among `dirty` (nothing is linked
  // or clean yet), so they are the candidates themselves.
  void match_and_create(std::vector<MirrorRef> dirty[2], bool dirty_is_pool, std::vector<Item>& items) {
    // Candidates: every unlinked included record on each side (the dirty
    // ones are among them), by the keys worked out when each was read; a
    // match needs a dirty record on one side.
    std::vector<MirrorRef> loaded[2];
    // (without match keys too: a copy is found by the key its create stored)
    bool matching = !dirty[0].empty() || !dirty[1].empty();
    if (matching && !dirty_is_pool)
      for (Side s : {Side::kLeft, Side::kRight}) loaded[idx(s)] = store_->unlinked(sp_.name, s);
    const std::vector<MirrorRef>* pools[2] = {dirty_is_pool ? &dirty[0] : &loaded[0], dirty_is_pool ? &dirty[1] : &loaded[1]};
    Matching m = find_matches(*pools[0], *pools[1]);
    settle_matches(dirty, dirty_is_pool, pools, m, items);
  }

  // Links the matches (or plans their first merge) and plans a create for
  // every dirty record neither matched nor held.
  void settle_matches(const std::vector<MirrorRef> dirty[2], bool dirty_is_pool, const std::vector<MirrorRef>* const pools[2],
                      const Matching& m, std::vector<Item>& items) {
    auto pool = [&](int s) -> const std::vector<MirrorRef>& { return *pools[s]; };
    rep_.notes.insert(rep_.notes.end(), m.notes.begin(), m.notes.end());
    rep_.matched += static_cast<long>(m.matches.size());
    std::vector<std::pair<std::string_view, std::string_view>> equal;  // linked as they are
    for (const auto& [l, r] : m.matches) {
      const MirrorRef& lr = pool(0)[l];
      const MirrorRef& rr = pool(1)[r];
      if (first_sync_ && lr.form[0] == rr.form[0] && lr.form[1] == rr.form[1] && lr.form[0]) {
        equal.emplace_back(lr.id, rr.id);  // equal pair forms: the merge would write nothing
        continue;
      }
      plan_first_match(row_of(Side::kLeft, lr.id), row_of(Side::kRight, rr.id), items);
    }
    relink_copies(pools, m, equal);
    if (!equal.empty()) store_->add_links(sp_.name, equal);
    for (int s = 0; s < 2; ++s) {
      // where a dirty record sits in the pool (where it is not the pool itself)
      std::unordered_map<std::string_view, uint32_t> at;
      if (!dirty_is_pool)
        for (uint32_t i = 0; i < pool(s).size(); ++i)
          if (m.linked[s][i] || m.held[s][i]) at.emplace(pool(s)[i].id, i);
      Side side = s == 0 ? Side::kLeft : Side::kRight;
      for (size_t d = 0; d < dirty[s].size(); ++d) {
        const MirrorRef& ref = dirty[s][d];
        if (!ref.included) continue;  // a first sync's excluded record: no candidate
        bool is_linked = false, is_held = false;
        if (dirty_is_pool) {
          is_linked = m.linked[s][d];
          is_held = m.held[s][d];
        } else if (auto f = at.find(ref.id); f != at.end()) {
          is_linked = m.linked[s][f->second];
          is_held = m.held[s][f->second];
        }
        if (is_linked) continue;
        if (is_held || !sp_.allowed(other(side), "create")) {
          if (!first_sync_) store_->clear_dirty(sp_.name, side, ref.id);  // waits, clean, until it changes
          continue;
        }
        plan_create(other(side), row_of(side, ref.id), items);
      }
    }
  }

  // Copies found by their keys are linked as they stand, with no write: the
  // pair was in accord when the copy was made, and what differs now is most
  // likely the target's own form of it (a vCard adds "kind"), which a merge
  // with no base would copy back over the source. Pairs that differ are
  // named, so that a person can look.
  void relink_copies(const std::vector<MirrorRef>* const pools[2], const Matching& m,
                     std::vector<std::pair<std::string_view, std::string_view>>& equal) {
    if (m.copies.empty()) return;
    rep_.relinked += static_cast<long>(m.copies.size());
    std::vector<std::string> differ;
    for (const auto& [l, r] : m.copies) {
      const MirrorRef& lr = (*pools[0])[l];
      const MirrorRef& rr = (*pools[1])[r];
      if (first_sync_) {
        if (lr.form[0] != rr.form[0] || lr.form[1] != rr.form[1]) differ.push_back(lr.id + " ⇄ " + rr.id);
        equal.emplace_back(lr.id, rr.id);
        continue;
      }
      if (pair_of(Side::kLeft, row_of(Side::kLeft, lr.id)) != pair_of(Side::kRight, row_of(Side::kRight, rr.id)))
        differ.push_back(lr.id + " ⇄ " + rr.id);
      store_->clear_dirty(sp_.name, Side::kLeft, lr.id);
      store_->clear_dirty(sp_.name, Side::kRight, rr.id);
      store_->put_link(sp_.name, LinkRow{lr.id, rr.id, "", ""});
    }
    std::string note = "relinked " + count_of(m.copies.size(), "record") +
                       " to the copies Accord made of them, by the idempotency keys the copies carry "
                       "(the state did not know them: lost, or restored from an older copy)";
    if (!differ.empty()) {
      note += "; " + std::to_string(differ.size()) + " differ from their copy and were kept as they are (e.g. " +
              differ.front() + "): edit the side that is right and the edit travels";
    }
    rep_.notes.push_back(note + "; nothing written for them");
  }

  // Two records linked for the first time: merged with no base.
  void plan_first_match(MirrorRow L, MirrorRow R, std::vector<Item>& items) {
    Item it;
    it.left_id = L.id;
    it.right_id = R.id;
    Fields lf = pair_of(Side::kLeft, L), rf = pair_of(Side::kRight, R);
    MergeInput in;
    in.left = &lf;
    in.right = &rf;
    in.left_modified = L.modified;
    in.right_modified = R.modified;
    in.policy = sp_.policy == Policy::kKeepBoth || sp_.policy == Policy::kManual ? Policy::kNewest : sp_.policy;
    in.owners = &sp_.owners;
    in.flows_to = [this](const std::string& k, Side t) { return fm_.flows_to(k, t); };
    MergeResult m = three_way_merge(in);
    it.row[0] = std::move(L);
    it.row[1] = std::move(R);
    std::string label;
    for (Side t : {Side::kLeft, Side::kRight}) {
      const Changes& ch = t == Side::kLeft ? m.to_left : m.to_right;
      if (ch.empty() || !sp_.allowed(t, "update")) continue;
      json::object data = json::parse(it.row[idx(t)]->data).get_object();
      Changes effective = write_changes(t, data, ch);
      if (effective.empty()) continue;
      if (label.empty()) label = record_label(json::parse(it.row[0]->data).get_object(), it.left_id);
      it.op[idx(t)] = make_op(t, "update", t == Side::kLeft ? it.left_id : it.right_id, "", std::move(data),
                              it.row[idx(t)]->version, effective);
      it.op[idx(t)]->label = label;
      it.quarantine_side_id[idx(other(t))] = t == Side::kLeft ? it.right_id : it.left_id;
    }
    if (!it.has_ops()) {
      settle(it, std::move(lf), std::move(rf));
      return;
    }
    it.pair[0] = std::move(lf);
    it.pair[1] = std::move(rf);
    items.push_back(std::move(it));
  }

  // Refuses (or, forced, reports) what the guards stop: a side left with no
  // records, shares of a side deleted, updated or created, too many writes.
  void check_guards() {
    auto guard = [&](const char* name, const std::string& msg, const std::string& fix) {
      if (opts_.forces(name)) rep_.forced.push_back(msg + " (--force=" + name + ")");
      else if (rep_.refused.empty()) rep_.refused = msg + "; " + fix + ", or run with --force=" + name + " if it is right";
    };
    long total = 0;
    for (Side t : {Side::kLeft, Side::kRight}) {
      long deletes = 0, updates = 0, creates = 0;
      for (const auto& op : rep_.ops) {
        if (op.side != t) continue;
        ++total;
        if (op.op == "delete") ++deletes;
        if (op.op == "update") ++updates;
        if (op.op == "create") ++creates;
      }
      if (deletes == 0 && updates == 0 && creates == 0) continue;  // nothing to guard: spare the count
      long count = store_->count_live(sp_.name, t);  // the target side as it is, before this run's writes
      // Whatever its size, a side that had records is never emptied without
      // being asked (three vCards moved away must not delete three contacts).
      if (deletes > 0 && sp_.guards.refuse_empty_side && count - deletes + creates <= 0)
        guard("empty",
              "this run would delete " + (deletes == 1 ? std::string("the only record") : "all " + count_of(deletes, "record")) +
                  " on the " + side_name(t) +
                  " side and leave it with none",
              std::string("check that the ") + side_name(other(t)) + " side's configuration points where it should");
      auto share = [&](long n, long of, double max, const char* what, const char* name) {
        if (of <= sp_.guards.min_records || n <= max * static_cast<double>(of)) return;
        guard(name,
              std::to_string(n) + " " + what + " of " + count_of(of, "record") +
                  (std::string_view(name) == "creates" ? " linked to nothing" : "") + " on the " + side_name(t) +
                  " side is more than the guard allows (" + std::to_string(static_cast<int>(max * 100)) + "%)",
              "look at the plan");
      };
      share(deletes, count, sp_.guards.max_delete_share, "deletes", "deletes");
      share(updates, count, sp_.guards.max_update_share, "updates", "updates");
      // Creating more than half again of the records a side holds that are
      // linked to nothing is how duplicates look (a match key that never
      // matches, the wrong store); records already linked (a first sync
      // resumed, copies made before) are no such risk.
      if (creates > 0) {
        long unlinked = count - store_->count_links(sp_.name);
        share(creates, unlinked, sp_.guards.max_create_share, "creates", "creates");
      }
    }
    if (sp_.guards.max_records > 0 && total > sp_.guards.max_records)
      guard("records", std::to_string(total) + " writes is more than max_records (" +
                           std::to_string(sp_.guards.max_records) + ")", "raise the guard");
  }

  // ---- C. applying --------------------------------------------------------

  struct Outcome {
    bool ok = false;
    std::string id, version, message, status;
    int64_t retry_after_s = 0;
    std::string data;  // the record as the target now holds it, where the connector said
  };

  void apply(std::vector<Item>& items) {
    PhaseMeter applying(opts_.events, sp_.name, Phase::kApplying, rep_.ops.size());
    apply_meter_ = &applying;
    size_t at = 0;
    while (at < items.size()) {
      size_t end = std::min(items.size(), at + opts_.batch);
      apply_batch(items, at, end);
      at = end;
      if (opts_.progress) {
        char times[200];
        std::snprintf(times, sizeof times,
                      " (%.1f s: writing %.1f s, waiting for fetches %.1f s, committing %.1f s; fetching %.1f s in %zu chunks)",
                      apply_time_.total_s, apply_time_.write_s, apply_time_.wait_s, apply_time_.commit_s,
                      apply_time_.fetch_s, apply_time_.fetches);
        opts_.progress(sp_.name + ": applied " + std::to_string(at) + " of " + std::to_string(items.size()) + times);
      }
    }
    apply_meter_ = nullptr;
  }

  // Where the applying phase's time went, for the progress lines.
  struct ApplyTime {
    double total_s = 0, write_s = 0, wait_s = 0, fetch_s = 0, commit_s = 0;
    size_t fetches = 0;  // chunks whose lazy fields were fetched
  };
  static double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  }

  void apply_batch(std::vector<Item>& items, size_t begin, size_t end) {
    // 1. intents, committed before any remote write
    auto started = std::chrono::steady_clock::now();
    std::map<std::pair<size_t, int>, int64_t> journal_ids;
    {
      sql::Transaction tx(store_->db());
      for (size_t i = begin; i < end; ++i)
        for (int s = 0; s < 2; ++s)
          if (const auto& op = items[i].op[s]) {
            items[i].op_text[s] = json::serialize(op->data);
            journal_ids[{i, s}] = store_->journal_add({0, sp_.name, s == 0 ? "left" : "right", op->op, op->id,
                                                       op->source_id, op->idempotency_key, items[i].op_text[s]});
            // an interrupted run's intent gives way to this one, in the same transaction
            if (items[i].resumed_journal[s]) store_->journal_done(items[i].resumed_journal[s]);
          }
      tx.commit();
    }
    // 2. the writes, one apply call per side (per fetch_batch creates when
    // their lazy fields are fetched from the source first)
    std::map<std::pair<size_t, int>, Outcome> results;
    for (int s = 0; s < 2; ++s) {
      std::vector<json::object> ops;
      std::vector<size_t> which;
      for (size_t i = begin; i < end; ++i)
        if (const auto& op = items[i].op[s]) {
          json::object o{{"op", op->op}};
          if (!op->id.empty()) o["id"] = op->id;
          if (!op->expect_version.empty()) o["expect_version"] = op->expect_version;
          if (op->op == "create") o["idempotency_key"] = op->idempotency_key;
          if (op->resend) o["resend"] = true;
          if (op->op != "delete") o["data"] = op->data;
          ops.push_back(std::move(o));
          which.push_back(i);
        }
      Side target = s == 0 ? Side::kLeft : Side::kRight;
      bool lazy = !lazy_[idx(other(target))].empty() || !lazy_[s].empty();
      size_t size = lazy ? std::max<size_t>(1, opts_.fetch_batch) : std::max<size_t>(1, ops.size());
      struct Chunk {
        size_t at = 0, stop = 0;
        std::vector<std::string> missing;
        std::vector<LazyWant> want;
        bool from_target = false;  // fetches from the side it writes to: no overlap
      };
      // At most fetch_batch creates a chunk and, where the source's manifest
      // says how big a record's lazy fields are (lazy_size), about
      // fetch_bytes of them: one big message goes alone, small ones go in
      // hundreds (a fetch call costs the source a round trip or a folder
      // switch, whatever its size).
      std::deque<Chunk> chunks;  // the wants point into each chunk's `missing`
      for (size_t at = 0; at < ops.size();) {
        Chunk& c = chunks.emplace_back();
        c.at = at;
        uint64_t bytes = 0;
        for (c.stop = at; c.stop < ops.size() && c.stop - at < size; ++c.stop) {
          if (!lazy) continue;
          const PlannedOp& op = *items[which[c.stop]].op[s];
          uint64_t b = op.op == "create" ? lazy_bytes(op.source_same_side ? target : other(target), ops[c.stop]) : 0;
          if (c.stop > at && bytes + b > opts_.fetch_bytes) break;
          bytes += b;
        }
        at = c.stop;
        c.missing.resize(c.stop - c.at);
        if (!lazy) continue;
        for (size_t k = c.at; k < c.stop; ++k) {
          const PlannedOp& op = *items[which[k]].op[s];
          if (op.op != "create") continue;
          Side from = op.source_same_side ? target : other(target);
          c.from_target = c.from_target || from == target;
          c.want.push_back({&ops[k].at("data").get_object(), &c.missing[k - c.at], op.source_id, from});
        }
      }
      // The next chunk's bodies are fetched from the source while this
      // chunk is written to the target (two instances, one call each at a
      // time): the network and the disk work at once.
      std::future<void> fetching;
      auto fetch = [this](Chunk& c) {
        auto t = std::chrono::steady_clock::now();
        attach_lazy(c.want);
        apply_time_.fetch_s += seconds_since(t);  // one fetch at a time: read after get()
        ++apply_time_.fetches;
      };
      for (size_t i = 0; i < chunks.size(); ++i) {
        Chunk& c = chunks[i];
        auto waited = std::chrono::steady_clock::now();
        if (fetching.valid()) fetching.get();
        else if (!c.want.empty()) fetch(c);
        apply_time_.wait_s += seconds_since(waited);
        if (i + 1 < chunks.size() && !chunks[i + 1].want.empty() && !chunks[i + 1].from_target)
          fetching = std::async(std::launch::async, fetch, std::ref(chunks[i + 1]));
        json::array call;
        std::vector<size_t> sent;
        for (size_t k = c.at; k < c.stop; ++k) {
          if (!c.missing[k - c.at].empty()) {
            results[{which[k], s}] = Outcome{false, "", "", c.missing[k - c.at], "error", 0, ""};
            continue;
          }
          call.push_back(std::move(ops[k]));
          sent.push_back(which[k]);
        }
        auto writing = std::chrono::steady_clock::now();
        if (!call.empty()) apply_call(s, call, sent, results);
        apply_time_.write_s += seconds_since(writing);
      }
    }
    failpoint("apply.after_write");
    // 3. commit what happened
    auto committing = std::chrono::steady_clock::now();
    sql::Transaction tx(store_->db());
    for (size_t i = begin; i < end; ++i) commit_item(items[i], i, results, journal_ids);
    tx.commit();
    apply_time_.commit_s += seconds_since(committing);
    apply_time_.total_s += seconds_since(started);
  }

  // One apply call to side s; its results under {item, s}.
  void apply_call(int s, const json::array& ops, const std::vector<size_t>& which,
                  std::map<std::pair<size_t, int>, Outcome>& results) {
    const std::string& stream = s == 0 ? sp_.left : sp_.right;
    auto r = inst_[s]->apply(stream, json::serialize(ops));
    if (!r) {
      if (r.error().status == ACCORD_CANCELLED || r.error().status == ACCORD_AUTH_REQUIRED)
        throw Failure{r.error().status, std::string("writing to the ") + (s == 0 ? "left" : "right") + " side: " + r.error().message, 0};
      for (size_t i : which)
        results[{i, s}] = Outcome{false, "", "", r.error().message, status_name(r.error().status),
                                  r.error().retry_after_ms / 1000, ""};
      return;
    }
    // Read into types (plugins/wire): a result that is missing or cannot be
    // read fails its own op only. Answers that are not JSON at all are as
    // good as lost: the pair stops and the journal's intents stay for the
    // next run to reconcile.
    const std::string& connector = p_.endpoint(s == 0 ? Side::kLeft : Side::kRight).connector;
    std::vector<std::string> kinds;
    kinds.reserve(ops.size());
    for (const auto& op : ops) {
      const json::value* k = op.is_object() ? op.get_object().if_contains("op") : nullptr;
      kinds.emplace_back(k && k->is_string() ? std::string_view(k->get_string()) : std::string_view());
    }
    wire::ApplyResults answer = wire::read_results(*r, kinds);
    if (!answer.error.empty())
      throw Failure{ACCORD_ERROR, std::string("writing to the ") + (s == 0 ? "left" : "right") + " side: connector " +
                                      connector + " (" + stream + ") answered apply results that are " + answer.error +
                                      "; the next run reconciles these writes",
                    0};
    for (const auto& n : answer.notes) rep_.notes.push_back(connector + " (" + stream + ") " + n);
    for (size_t k = 0; k < which.size() && k < answer.results.size(); ++k) {
      wire::ApplyResult& a = answer.results[k];
      results[{which[k], s}] = Outcome{a.ok(), std::move(a.id), std::move(a.version),
                                       a.unreadable ? connector + " " + a.message : std::move(a.message),
                                       std::move(a.status), a.retry_after_s, std::move(a.data)};
    }
  }

  // About how many bytes a create's lazy fields from `from` will add: the
  // value at that side's lazy_size pointer in the data, 0 where it has none.
  uint64_t lazy_bytes(Side from, const json::object& op) const {
    const std::string& at = lazy_size_[idx(from)];
    if (at.empty()) return 0;
    boost::system::error_code ec;
    const json::value* v = op.at("data").find_pointer(at, ec);
    if (!v) return 0;
    if (v->is_uint64()) return v->get_uint64();
    if (v->is_int64()) return static_cast<uint64_t>(std::max<int64_t>(0, v->get_int64()));
    return 0;
  }

  // A create whose data needs the source's lazy fields (a message's body).
  struct LazyWant {
    json::object* data;
    std::string* error;  // set when the source could not give them
    std::string source_id;
    Side source;
  };

  // Fetches the lazy fields of the wanted records from their source sides
  // (one fetch call per side) and writes them into each create's data. They
  // are never kept: not in the journal, the mirror, a base or a saved plan.
  void attach_lazy(const std::vector<LazyWant>& want) {
    for (Side from : {Side::kLeft, Side::kRight}) {
      const auto& fields = lazy_[idx(from)];
      if (fields.empty()) continue;
      json::array ids;
      for (const auto& w : want)
        if (w.source == from) ids.emplace_back(w.source_id);
      if (ids.empty()) continue;
      const std::string& stream = from == Side::kLeft ? sp_.left : sp_.right;
      auto r = inst_[idx(from)]->fetch(stream, json::serialize(ids));
      // a RETRY (the server's limit, a lost connection) stops the run for later:
      // quarantining each record for it would keep them from the next run
      if (!r && (r.error().status == ACCORD_CANCELLED || r.error().status == ACCORD_AUTH_REQUIRED ||
                 r.error().status == ACCORD_RETRY))
        throw Failure{r.error().status, std::string("fetching from the ") + side_name(from) + " side: " + r.error().message,
                      r.error().retry_after_ms};
      // Read into types (plugins/wire): a fetched record that cannot be read
      // fails only the create that wanted it, saying why. (This may run on
      // a thread of its own: it touches neither the state nor the report.)
      const std::string& connector = p_.endpoint(from).connector;
      std::map<std::string, json::value> got;         // data objects, by id
      std::map<std::string, std::string> unreadable;  // why not, by id
      std::string whole;                              // the answer could not be read at all
      if (r) {
        wire::Batch b = wire::read_fetch(*r);
        if (!b.error.empty()) whole = "connector " + connector + " (" + stream + ") answered a fetch that is " + b.error;
        for (auto& rec : b.records)
          if (!rec.deleted) got[rec.id] = std::move(rec.data);
        for (const auto& u : b.unreadable)
          if (u.id_sure) unreadable[u.id] = u.pointer + ": " + u.reason;
      }
      for (const auto& w : want) {
        if (w.source != from) continue;
        auto g = got.find(w.source_id);
        if (g == got.end()) {
          auto u = unreadable.find(w.source_id);
          *w.error = u != unreadable.end()
                         ? std::string("could not read the record's body from the ") + side_name(from) + " side (" +
                               connector + " " + stream + " at " + u->second + ")"
                     : !whole.empty() ? std::string("could not fetch the record's body from the ") + side_name(from) +
                                            " side: " + whole
                                      : std::string("could not fetch the record's body from the ") + side_name(from) +
                                            " side" +
                                            (r ? " (it is gone; the next run sees that)" : ": " + r.error().message);
          continue;
        }
        const json::object& fetched = g->second.get_object();  // wire::Record: an object
        for (const auto& f : fields)
          if (auto* v = fetched.if_contains(std::string_view(f).substr(1))) (*w.data)[std::string_view(f).substr(1)] = *v;
      }
    }
  }

  void commit_item(Item& it, size_t i, std::map<std::pair<size_t, int>, Outcome>& results,
                   std::map<std::pair<size_t, int>, int64_t>& journal_ids) {
    bool failed = false;
    written_[0] = written_[1] = false;
    int64_t before[2] = {0, 0};  // the history's references to what an update or delete replaced
    for (int s = 0; s < 2; ++s) {
      if (!it.op[s]) continue;
      const Outcome& o = results[{i, s}];
      store_->journal_done(journal_ids[{i, s}]);
      if (apply_meter_) apply_meter_->add();
      if (opts_.events)
        opts_.events->applied(sp_.name, *it.op[s], o.ok && !o.id.empty() ? o.id : it.op[s]->id, o.ok,
                              o.ok ? "ok" : o.status.empty() ? "error" : o.status, o.message);
      if (!o.ok) {
        failed = true;
        ++rep_.failed;
        int src = 1 - s;
        std::string charged = !it.quarantine_side_id[src].empty() ? it.quarantine_side_id[src]
                                                                  : (src == 0 ? it.left_id : it.right_id);
        std::string msg = std::string(side_name(s == 0 ? Side::kLeft : Side::kRight)) + " " + it.op[s]->op + " of " +
                          it.op[s]->label + ": " + (o.status.empty() ? "error" : o.status) + ": " + o.message;
        rep_.notes.push_back(msg);
        // a version conflict is not the record's fault: the next run re-reads it
        if (o.status != "conflict" && !charged.empty()) {
          store_->quarantine(sp_.name, src == 0 ? Side::kLeft : Side::kRight, charged, msg, o.retry_after_s);
          ++rep_.quarantined;
        }
        continue;
      }
      ++rep_.applied;
      PlannedOp& op = *it.op[s];
      Side side = s == 0 ? Side::kLeft : Side::kRight;
      if (op.op != "create" && run_id_) before[s] = store_->hold_mirror_data(sp_.name, side, op.id);
      if (op.op == "delete") {
        it.forget[s] = true;
        it.drop_link = true;
        continue;
      }
      if (op.op == "create") (s == 0 ? it.left_id : it.right_id) = o.id;
      if (op.op == "update" && !o.id.empty() && o.id != op.id) {
        // the update gave the record a new id (a message moved to another
        // IMAP folder): the link and the mirror follow it
        store_->drop_mirror(sp_.name, side, op.id);
        (s == 0 ? it.left_id : it.right_id) = o.id;
      }
      // What the target holds now: its own form of the record where the
      // connector answered it (fields it dropped or added are then never
      // taken for a person's edit), else what was sent. Lazy fields are
      // never kept.
      json::value written = op.data;
      std::string text = std::move(it.op_text[s]);
      if (!o.data.empty()) {
        boost::system::error_code ec;
        json::value held = json::parse(o.data, ec);
        if (!ec && held.is_object()) {
          for (const auto& f : lazy_[s]) held.get_object().erase(std::string_view(f).substr(1));
          written = std::move(held);
          text = json::serialize(written);
        }
      }
      // the key a create stored stays with the record through its updates
      std::string stored(op.op == "create" ? op.idempotency_key : it.row[s] ? stored_key(it.row[s]->keys) : "");
      it.row[s] = MirrorRow{o.id.empty() ? op.id : o.id, o.version, now_rfc3339(), std::move(text), true,
                            false, false, keys_of(side, written, stored)};
      if (!it.manual_fields.empty()) it.pair[s] = fm_.to_pair(side, written.get_object());  // the new base (below)
      written_[s] = true;
    }
    if (failed) {  // the sources stay dirty (or quarantined); nothing else moves
      for (int64_t b : before)
        if (b) store_->release_data(b);
      return;
    }
    for (int s = 0; s < 2; ++s) {
      Side side = s == 0 ? Side::kLeft : Side::kRight;
      const std::string& id = s == 0 ? it.left_id : it.right_id;
      if (id.empty()) continue;
      // what the write did, for `accord log` and `accord undo` (a delete's id
      // is the op's: a forgotten source row has none)
      const std::optional<PlannedOp>& op = it.op[s];
      bool wrote = op && (written_[s] || op->op == "delete");
      auto remember = [&](int64_t after_id) {
        if (!wrote || !run_id_) return;
        store_->add_history({0, run_id_, sp_.name, side_name(side), op->op == "delete" ? op->id : id, op->op,
                             written_[s] ? it.row[s]->version : "", s == 0 ? it.right_id : it.left_id, {}, {}},
                            before[s], after_id);
      };
      if (it.forget[s]) {
        store_->drop_mirror(sp_.name, side, id);
        remember(0);
        continue;
      }
      if (it.row[s]) {
        if (written_[s]) remember(store_->put_mirror(sp_.name, side, *it.row[s]));
        else store_->clear_dirty(sp_.name, side, id);
        if (quarantined_[s].contains(id)) store_->release(sp_.name, side, id);
      }
    }
    std::string old_left = it.link ? it.link->left_id : "";
    if (it.drop_link || it.forget[0] || it.forget[1]) {
      if (!old_left.empty()) store_->drop_link(sp_.name, old_left);
      return;
    }
    if (it.left_id.empty() || it.right_id.empty() || !it.row[0] || !it.row[1]) return;  // unlinked record, cleaned
    if (!old_left.empty() && old_left != it.left_id) store_->drop_link(sp_.name, old_left);
    if (it.manual_fields.empty()) {
      store_->put_link(sp_.name, LinkRow{it.left_id, it.right_id, "", ""});
      return;
    }
    Fields bl = it.pair[0] ? std::move(*it.pair[0]) : pair_of(Side::kLeft, *it.row[0]);
    Fields br = it.pair[1] ? std::move(*it.pair[1]) : pair_of(Side::kRight, *it.row[1]);
    store_->put_link(sp_.name, link_for(it, std::move(bl), std::move(br)));
  }

  // Writes that were in flight when an earlier run stopped. It runs before
  // anything is read, so each source's mirror row is still what its create
  // was made from. Updates and deletes are planned again from the
  // still-dirty mirror: if they were done, the sides now agree and nothing
  // is written twice. Creates are sent again, marked "resend", with the key
  // they were first sent with (the connector answers the record the first
  // try made, if it did), in the same batches and through the same commit
  // as any create: the target's row takes the version the connector answers
  // (what it reads back later is taken in as its own form, never as an
  // edit), the link's bases are the rows as they stand, failures are
  // quarantined.
  void reconcile_journal() {
    auto pending = store_->journal(sp_.name);
    if (pending.empty()) return;
    long dropped = 0;
    std::vector<Item> items;
    {
      sql::Transaction tx(store_->db());
      for (const auto& j : pending) {
        if (j.op != "create" || j.idem_key.empty()) {
          // Planned again; but an update may have given the record a new
          // id (a move) before the kill: the read that follows looks for it
          // by identity (fold). The intent stays until the plan commits, so
          // that a run stopped before then still knows.
          if (j.op == "update" && !j.target_id.empty()) inflight_[j.side == "left" ? 0 : 1].insert(j.target_id);
          stale_intents_.push_back(j.id);
          ++dropped;
          continue;
        }
        Side target = j.side == "left" ? Side::kLeft : Side::kRight, from = other(target);
        boost::system::error_code ec;
        json::value data = json::parse(j.data, ec);
        if (ec || !data.is_object()) {  // not ours to resend: plan it again
          store_->journal_done(j.id);
          ++dropped;
          continue;
        }
        Item it;
        auto src = store_->mirror_data(sp_.name, from, j.source_id);
        if (src && !src->deleted) {
          (from == Side::kLeft ? it.left_id : it.right_id) = j.source_id;
          std::string().swap(src->data);  // commit_item needs its id, not its data
          it.row[idx(from)] = std::move(*src);
        }
        it.op[idx(target)] = make_op(target, "create", "", j.source_id, std::move(data.get_object()), "", {});
        it.op[idx(target)]->idempotency_key = j.idem_key;
        it.op[idx(target)]->resend = true;
        it.resumed_journal[idx(target)] = j.id;
        it.quarantine_side_id[idx(from)] = j.source_id;
        items.push_back(std::move(it));
      }
      tx.commit();
    }
    long failed = rep_.failed;
    apply(items);
    rep_.notes.push_back("resumed an interrupted run: " + count_of(items.size(), "pending create") +
                         " sent again with their idempotency keys (" + std::to_string(rep_.failed - failed) +
                         " failed), " + count_of(dropped, "pending update or delete", "pending updates and deletes") +
                         " planned again");
  }

  const Pipeline& p_;
  const StreamPair& sp_;
  const Registry& reg_;
  const RunOptions& opts_;
  PairReport& rep_;
  FieldMap fm_;
  fs::path state_path_;
  HostServices host_;
  std::unique_ptr<StateStore> store_;
  std::optional<Instance> inst_[2];
  std::vector<std::string> identity_[2];    // a side's identity pointers (manifest)
  std::vector<std::string> kept_[2];        // the fields a side keeps (its instance's, else its manifest's)
  std::vector<std::string> lazy_[2];        // a side's fields that only fetch gives
  std::string lazy_size_[2];                // where a record says how big they are
  std::set<std::string> quarantined_[2];  // at planning time: released when they succeed
  std::set<std::string> inflight_[2];       // ids an interrupted update was writing (it may have moved them)
  std::vector<int64_t> stale_intents_;      // the interrupted updates' and deletes' intents, done at the plan's commit
  int64_t run_id_ = 0;                      // this run's number in the state: its writes' history
  PhaseMeter* read_meter_ = nullptr;        // while reading, planning, applying: that phase's
  // The reading bar's total, a side's part of it: what its connector says
  // its read lists ("total"), or, once read, what it listed; -1: unknown.
  // The bar has a total only when both sides' are known.
  std::atomic<int64_t> read_total_[2] = {-1, -1};
  PhaseMeter* plan_meter_ = nullptr;
  PhaseMeter* apply_meter_ = nullptr;
  bool written_[2] = {false, false};      // commit_item: which side of the item was written
  ApplyTime apply_time_;
  bool first_sync_ = false;               // the state knew nothing of this pair when the run began
  std::vector<MirrorRef> loaded_[2];       // a first sync's records, as loaded
  std::vector<uint32_t> order_[2];         // where loaded_ holds each id, in id order
  std::set<std::string> watch_[2];         // records the state lists unreadable, by key (read-only while reading)
};

}  // namespace

OpFingerprint::OpFingerprint() : fp_(hash::kFnvOffset) {}

void OpFingerprint::add(const PlannedOp& op) {
  json::object ch;
  for (const auto& [k, v] : op.changes) ch[k] = v ? *v : json::value(nullptr);
  std::string changes = json::serialize(ch);
  for (std::string_view part : {std::string_view(side_name(op.side)), std::string_view(op.op), std::string_view(op.id),
                                std::string_view(op.source_id), std::string_view(changes), std::string_view("\n")})
    fp_ = hash::fnv1a(part, fp_);
}

namespace {

// Why the state at `path`, made for `was`, is not this pipeline's (`now`);
// "" when it is.
std::string identity_mismatch(const std::string& was, const json::object& now, const fs::path& path) {
  boost::system::error_code ec;
  json::value old = json::parse(was, ec);
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
    try {
      PairRun(p, p.streams[i], registry, opts, report.pairs[i], state_path, run_id).run();
    } catch (const Failure& f) {
      report.pairs[i].error = f.message;
    } catch (const std::exception& e) {
      report.pairs[i].error = e.what();
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
    std::string status = "ok", error;
    json::object summary;
    for (const auto& pr : report.pairs) {
      summary[pr.name] = json::object{{"applied", pr.applied}, {"failed", pr.failed}, {"conflicts", pr.conflicts.size()},
                                      {"read_left", pr.read[0]}, {"read_right", pr.read[1]}};
      // the run's sync issues: how many writes left fields behind, which
      // and how often (accord status shows them)
      long behind = 0;
      json::object fields;
      for (const auto& op : pr.ops) {
        behind += !op.left_behind.empty();
        for (const auto& f : op.left_behind) {
          json::value& n = fields[f];
          n = (n.is_int64() ? n.as_int64() : 0) + 1;
        }
      }
      if (behind)
        summary[pr.name].as_object()["left_behind"] = json::object{{"records", behind}, {"fields", std::move(fields)}};
      if (!pr.error.empty()) status = "failed", error += (error.empty() ? "" : "; ") + pr.name + ": " + pr.error;
      else if (!pr.refused.empty() && status == "ok") status = "refused", error += pr.name + ": " + pr.refused;
      else if (pr.failed && status == "ok") status = "partial";
      else if (status == "ok" && std::any_of(pr.conflicts.begin(), pr.conflicts.end(), [](const ConflictReport& c) {
                 return c.resolution.starts_with("left for you");
               }))
        status = "conflicts";  // done, but a person has to decide (accord conflicts list)
    }
    if (!history) {
      auto again = StateStore::open(state_path);
      if (!again) return std::unexpected(again.error());
      history = std::move(*again);
    }
    if (opts.undo_run) summary["undo_of"] = *opts.undo_run;
    report.status = status;
    history->end_run(run_id, status, json::serialize(summary), error);
    // the writes of the runs before the last history.keep_runs are forgotten
    sql::Transaction pruning(history->db());
    history->prune_history(p.history_keep_runs);
    pruning.commit();
  }
  return report;
}

}  // namespace accord
