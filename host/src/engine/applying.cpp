// SPDX-License-Identifier: Apache-2.0
// Phase C, applying, in batches: the intent of every write (with its
// idempotency key) is committed to the journal first; then one apply call a
// side (per chunk of creates whose lazy fields, a message's body, are fetched
// from the source while the chunk before is written); after the connector
// answers, the mirror, links, bases and history are committed and the
// intents removed. Where the time went is kept for the progress lines.
#include "engine/journal.hpp"
#include "engine/pair_run.hpp"

#include "engine/phase_meter.hpp"
#include "mapping/field_travel.hpp"

#include <accord/json/exact.hpp>
#include <accord/lazy_files.h>
#include <accord/mail/message.hpp>
#include <accord/time/utc_time.hpp>
#include <boost/json.hpp>

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <exception>
#include <filesystem>
#include <optional>
#include <future>

namespace json = boost::json;

namespace accord {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

// A create whose data needs the source's lazy fields (a message's body).
struct PairRun::LazyWant {
  // Why a create's lazy fields are not there ("": they are), and whether
  // its source answered the fetch without the record (`gone`: renamed or
  // deleted since it was read; the create is skipped, not failed: the next
  // run reads where it went). A fetch that failed, or whose answer could
  // not be read, is no such answer: the create fails.
  struct Miss {
    std::string why;
    bool gone = false;
    bool empty() const { return why.empty(); }
  };
  json::object* data;
  Miss* error;  // set when the source could not give them
  std::string source_id;
  Side source;
  // accord.lazy_files.v1: the directory the source writes the fields into
  // ("" for none), whether the target takes the files as they are (one op
  // each: a target with ACCORD_LAZY_FILES_TAKE may move or remove them),
  // and the files made for this record (what is left of them removed once
  // its apply call answered)
  const std::string* spool = nullptr;
  bool target_takes_files = false;
  bool target_takes_ranges = false;  // parts of files (ACCORD_LAZY_FILES_RANGES): one file a fetch call
  std::vector<std::string> files;
};

// A run's directory for lazy fields handed over in files
// (accord.lazy_files.v1), beside the state (not /tmp, often in memory);
// removed with what is left in it.
// Named after the state (.accord-lazy-STATE-XXXXXX), so that the next run of
// that state, holding its lock, knows which a killed run left behind.
std::filesystem::path spool_prefix(const std::string& state_path) {
  namespace fs = std::filesystem;
  if (state_path.empty() || state_path == ":memory:") return fs::temp_directory_path() / ".accord-lazy-";
  fs::path state = fs::absolute(fs::path(state_path));
  return state.parent_path() / (".accord-lazy-" + state.filename().string() + "-");
}

namespace {

// A field {"$file": path} is a body the host hands a connector in a file of
// its spool (accord.lazy_files.v1), which a target may read and remove
// (ACCORD_LAZY_FILES_TAKE). One a record brings itself (a store holding such
// an object, a source answering one from fetch) names any file on this
// machine: it is never handed on, so no sync reads or removes a file outside
// its stores (review s14 F1). "" when the op holds none; else why not.
// `prefix`: spool_prefix of the run's state.
std::string not_ours_file(const json::value& op, const std::filesystem::path& prefix) {
  const json::value* data = op.is_object() ? op.get_object().if_contains("data") : nullptr;
  if (!data || !data->is_object()) return "";
  const std::string spools = prefix.filename().string();
  for (const auto& [key, v] : data->get_object()) {
    const json::value* file = v.is_object() ? v.get_object().if_contains("$file") : nullptr;
    if (!file) continue;
    if (file->is_string()) {
      std::filesystem::path dir = std::filesystem::path(std::string(file->get_string())).parent_path();
      if (dir.parent_path() == prefix.parent_path() && dir.filename().string().starts_with(spools) &&
          dir.filename().string().size() == spools.size() + 6)
        continue;  // (a spool of this state's: mkdtemp's six letters)
    }
    return "the record's field /" + std::string(key) + " names a file (" + json::serialize(v) +
           "), which only Accord itself hands to a connector: nothing written; correct that field in the source "
           "store (its body as text)";
  }
  return "";
}

struct Spool {
  std::string dir;
  std::string error;  // why it could not be made ("": it was): lazy fields then travel in the answers
  explicit Spool(const std::string& state_path) {
    std::string t = spool_prefix(state_path).string() + "XXXXXX";
    if (::mkdtemp(t.data())) {
      dir = t;
    } else {
      const int e = errno;
      error = "could not make the folder " + spool_prefix(state_path).string() + "XXXXXX: " + std::strerror(e);
    }
  }
  ~Spool() {
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;
};
}  // namespace

// A run's lazy fields in files while it applies: the spool (made when first
// needed, removed with what is left in it when applying ends), and the next
// create batch's first chunk fetched ahead. A batch of creates with lazy
// fields is one fetch chunk (kLazyCreateBatch == fetch_batch), so the
// overlap of one chunk's fetch with the write of the one before never
// happened there (issue 22): the next batch's first chunk is fetched from
// the source while this batch's last chunk is written, the batch committed,
// the next one planned and its intents written, the network working while
// the target's disk and the state's do (not after the write: a first pull
// waited for its fetches a fifth of its applying). A target that takes its
// files (ACCORD_LAZY_FILES_TAKE) removes them before its next flush.
struct PairRun::LazyRun {
  std::optional<Spool> spool;
  // each side's accord.lazy_files.v1 flags, asked once before any fetch
  // ahead: an instance answers one call at a time, and the source's is
  // busy in the fetch ahead's (review s14 L4: asked again each batch, they
  // reached the source's connector while that thread was in its fetch)
  PerSide<uint32_t> flags{};
  size_t next_at = 0, next_end = 0;  // the next create batch: pending_[next_at, next_end)
  struct Ahead {
    Side target = Side::kLeft;
    std::vector<std::string> ids;      // its creates' source ids, in the chunk's order
    std::vector<json::object> fields;  // what each create's data gets (its lazy fields)
    std::vector<LazyWant::Miss> missing;  // why a create's could not be fetched
    std::vector<LazyWant> want;           // (into fields and missing)
    double fetch_s = 0;
    std::future<void> fetching;
  };
  std::optional<Ahead> ahead;
  // a chunk fetched ahead and not taken: its fetch ended, its files removed
  void drop_ahead() {
    if (!ahead) return;
    if (ahead->fetching.valid()) try {
        ahead->fetching.get();
      } catch (...) {  // (fetched again when due, which says why)
      }
    for (auto& w : ahead->want)
      for (auto& f : w.files) ::unlink(f.c_str());
    ahead.reset();
  }
  ~LazyRun() { drop_ahead(); }
};

void remove_stale_lazy_spools(const std::string& state_path) {
  namespace fs = std::filesystem;
  if (state_path.empty() || state_path == ":memory:") return;  // /tmp's are anyone's: left to the system
  fs::path prefix = spool_prefix(state_path);
  std::string name = prefix.filename().string();
  std::error_code ec;
  for (fs::directory_iterator it(prefix.parent_path(), ec), end; !ec && it != end; it.increment(ec)) {
    std::string f = it->path().filename().string();
    // the prefix and six characters of mkdtemp's: never a longer state name's
    if (f.size() == name.size() + 6 && f.starts_with(name)) {
      std::error_code rm;
      fs::remove_all(it->path(), rm);
    }
  }
}

namespace {
// The moves of a run into one place are applied together, up to this many:
// a folder renamed reaches its connector in one apply call (one IMAP
// RENAME, issue 22 item 3) where the batch size would cut it.
constexpr size_t kMoveRun = 25000;

// A run's creates on a stream whose records have lazy fields (a message's
// body) are read back from the run's spill and applied this many at a
// time, not opts.batch: each create read back holds its item and its data until its
// batch commits, some KB a message beside its body (issue 22: a
// 20,000-message first pull peaked at 65.7 MiB with 2,000, 54.0 with 500).
constexpr size_t kLazyCreateBatch = 500;

}  // namespace

std::string move_place(const Item& it, const PerSide<std::vector<std::string>>& placement) {
  for (Side s : kSides) {
    const auto& op = it.op[s];
    if (!op || !op->move) continue;
    std::string out(side_name(s));
    for (const auto& p : placement[s]) {  // ("/mailboxIds": top-level members)
      const json::value* v = p.size() > 1 ? op->data.if_contains(std::string_view(p).substr(1)) : nullptr;
      out += "\x1f" + (v ? json::serialize(*v) : std::string());
    }
    return out;
  }
  return "";
}

void PairRun::apply(std::vector<Item>& items) {
  PhaseMeter applying(opts_.events, sp_.name, Phase::kApplying, rep_.planned.total());
  apply_meter_ = &applying;
  // The run's writes in plan order: its linked pairs' (plan_run.cpp: read
  // back from the run's spill a batch at a time), then the items; moves
  // last, those into one place together (every other write keeps its order)
  struct Slot {
    bool linked;  // linked_[at], else items[at]
    size_t at;
  };
  std::vector<Slot> order;
  order.reserve(linked_.size() + items.size());
  for (size_t k = 0; k < linked_.size(); ++k) order.push_back({true, k});
  for (size_t i = 0; i < items.size(); ++i) order.push_back({false, i});
  PerSide<std::vector<std::string>> placement;
  for (Side s : kSides)
    if (const StreamInfo* info = reg_.find(p_.endpoint(s).connector)->manifest.stream(stream(s)))
      placement[s] = info->placement;
  std::vector<std::string> place;
  if (!placement.left.empty() || !placement.right.empty()) {
    std::vector<std::pair<std::string, Slot>> keyed;
    keyed.reserve(order.size());
    for (const Slot& o : order)
      keyed.emplace_back(o.linked ? std::move(linked_[o.at].place) : move_place(items[o.at], placement), o);
    if (std::any_of(keyed.begin(), keyed.end(), [](const auto& o) { return !o.first.empty(); })) {
      std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      for (size_t j = 0; j < keyed.size(); ++j) {
        order[j] = keyed[j].second;
        place.push_back(std::move(keyed[j].first));
      }
    }
  }
  for (Side s : kSides) after_commit_[s] = inst_[s]->offers_after_commit();
  // A run's pending creates (plan_run.cpp) go where a plan has them: after
  // every write but the moves, read back from the run's spill a batch at a
  // time, as planned. Each batch is dropped once committed: a run holds one
  // batch's data.
  size_t creates_at = place.empty() ? order.size()
                                    : static_cast<size_t>(std::find_if(place.begin(), place.end(),
                                                                       [](const std::string& k) { return !k.empty(); }) -
                                                          place.begin());
  const size_t total = order.size() + pending_.size();
  size_t applied = 0;
  // the lazy fields' spool and a chunk fetched ahead live while applying
  lazy_run_ = std::make_shared<LazyRun>();
  for (Side s : kSides) lazy_run_->flags[s] = inst_[s]->lazy_files();
  struct Ended {
    PairRun* run;
    ~Ended() { run->lazy_run_.reset(); }  // (a fetch ahead ended first, its files removed)
  } ended{this};
  // false: asked to stop (the batches applied are committed; the rest stays
  // planned, dirty in the state, its intents not yet written, for the next run)
  // Each batch is made when it is due (`make`: its writes, [at, end)) and
  // dropped once committed: nothing of it is read again.
  // (creates: pending_'s, whose next batch's first chunk may be fetched ahead)
  auto batches = [&](size_t at, size_t stop, size_t size, bool moves, const auto& make, bool creates) {
    while (at < stop) {
      if (opts_.cancelled()) {
        rep_.stopped = true;
        return false;
      }
      size_t end = std::min(stop, at + std::max<size_t>(size, 1));
      while (moves && end < stop && end - at < kMoveRun && !place.empty() && !place[end].empty() && place[end] == place[end - 1])
        ++end;
      lazy_run_->next_at = creates ? end : 0;
      lazy_run_->next_end = creates ? std::min(stop, end + std::max<size_t>(size, 1)) : 0;
      std::vector<Item> batch = make(at, end);
      apply_batch(batch, 0, batch.size());
      applied += end - at;
      at = end;
      if (opts_.progress) {
        char times[200];
        std::snprintf(times, sizeof times,
                      " (%.1f s: writing %.1f s, waiting for fetches %.1f s, committing %.1f s; fetching %.1f s in %zu chunks)",
                      apply_time_.total_s, apply_time_.write_s, apply_time_.wait_s, apply_time_.commit_s,
                      apply_time_.fetch_s, apply_time_.fetches);
        opts_.progress(sp_.name + ": applied " + std::to_string(applied) + " of " + std::to_string(total) + times);
      }
    }
    return true;
  };
  auto slots = [&](size_t at, size_t end) {
    std::vector<Item> batch;
    batch.reserve(end - at);
    for (size_t j = at; j < end; ++j) {
      const Slot& o = order[j];
      batch.push_back(o.linked ? planned_linked(linked_[o.at]) : std::move(items[o.at]));
    }
    return batch;
  };
  bool on = batches(0, creates_at, opts_.batch, false, slots, false);
  size_t create_batch = lazy_.left.empty() && lazy_.right.empty() ? opts_.batch : std::min(opts_.batch, kLazyCreateBatch);
  if (on)
    on = batches(0, pending_.size(), create_batch, false, [&](size_t at, size_t end) { return planned_creates(at, end); },
                 true);
  if (on) batches(creates_at, order.size(), opts_.batch, true, slots, false);
  apply_meter_ = nullptr;
}

void PairRun::apply_batch(std::vector<Item>& items, size_t begin, size_t end) {
  // 1. intents, committed before any remote write
  auto started = std::chrono::steady_clock::now();
  const std::string sending = utc::format(static_cast<int64_t>(std::time(nullptr)));  // (before any write: rounded down)
  // (the batch's intents go in, and later out, in one statement each)
  std::map<std::pair<size_t, Side>, int64_t> journal_ids;
  std::map<std::pair<std::string, std::string>, std::string> kept;  // the creates answered retry, kept: their times
  {
    std::vector<JournalRow> intents;
    std::vector<std::pair<size_t, Side>> whose;
    std::vector<int64_t> resumed;
    // a create answered retry before may have been made: every later try
    // of it goes as a resend, which looks for it by its key first, telling
    // when the latest try that may have made it was sent (sent_at: the kept
    // time, or an interrupted run's intent's if later)
    kept = pv_->journal().retried_keys();
    const auto& retried = kept;
    // and when its first try that may have written was sent (first_sent_at:
    // the kept one's, an interrupted run's intent's if earlier; a store that
    // finds it by content takes no older look-alike: review s11 F6)
    const auto firsts = retried.empty() ? decltype(pv_->journal().retried_first_sent()){}
                                        : pv_->journal().retried_first_sent();
    for (size_t i = begin; i < end; ++i)
      for (Side s : kSides)
        if (auto& op = items[i].op[s]) {
          if (op->kind == OpKind::kCreate && !retried.empty())
            if (auto k = retried.find({side_name(s), op->idempotency_key}); k != retried.end()) {
              op->resend = true;
              items[i].sent_at[s] = std::max(items[i].sent_at[s], k->second);  // (RFC 3339 UTC texts sort as times)
              items[i].first_sent_at[s] = earliest_sent(firsts, k->first, items[i].first_sent_at[s]);
            }
          if (!op->resend) items[i].sent_at[s].clear(), items[i].first_sent_at[s].clear();
          items[i].op_text[s] = json::serialize(op->data);
          intents.push_back({0, sp_.name, side_name(s), op_name(op->kind), op->id, op->source_id,
                             op->idempotency_key, items[i].op_text[s]});
          intents.back().run = run_of(items[i].resumed_journal[s]);  // (a resumed one's: its run's)
          whose.emplace_back(i, s);
          // an interrupted run's intent gives way to this one, in the same transaction
          if (items[i].resumed_journal[s]) resumed.push_back(items[i].resumed_journal[s]);
        }
    // on the disk before any write goes out (review s13 L6): one sync a batch
    StateStore::DurableTransaction tx(*store_);
    std::vector<int64_t> ids = pv_->journal().add(intents);
    for (size_t k = 0; k < ids.size(); ++k) journal_ids[whose[k]] = ids[k];
    pv_->journal().done(resumed);
    tx.commit();
  }
  // 2. the writes, one apply call per side (per fetch_batch creates when
  // their lazy fields are fetched from the source first). A side's calls
  // put their answers in `results`, their notes in `notes`, their times in
  // `time` (write_side may run on a thread of its own: below).
  auto write_side = [&](Side target, Results& results, std::vector<std::string>& notes, ApplyTime& time) {
    std::vector<json::object> ops;
    std::vector<size_t> which;
    for (size_t i = begin; i < end; ++i)
      if (const auto& op = items[i].op[target]) {
        json::object o{{"op", op_name(op->kind)}};
        if (!op->id.empty()) o["id"] = op->id;
        if (!op->expect_version.empty()) o["expect_version"] = op->expect_version;
        if (op->kind == OpKind::kCreate) o["idempotency_key"] = op->idempotency_key;
        if (op->resend) o["resend"] = true;
        if (op->resend && !items[i].sent_at[target].empty()) o["sent_at"] = items[i].sent_at[target];
        if (op->resend && !items[i].first_sent_at[target].empty()) o["first_sent_at"] = items[i].first_sent_at[target];
        if (op->kind != OpKind::kDelete) o["data"] = op->data;
        if (op->kind == OpKind::kUpdate && !op->was.empty()) o["was"] = op->was;
        ops.push_back(std::move(o));
        which.push_back(i);
      }
    bool lazy = !lazy_[other(target)].empty() || !lazy_[target].empty();
    // lazy fields in files where the source writes them (accord.lazy_files.v1)
    std::optional<Spool>& spool = lazy_run_->spool;
    PerSide<bool> files{};
    const PerSide<uint32_t>& flags = lazy_run_->flags;
    bool target_takes_files = lazy && (flags[target] & ACCORD_LAZY_FILES_APPLY);
    bool target_takes_ranges = target_takes_files && (flags[target] & ACCORD_LAZY_FILES_RANGES);
    for (Side s : kSides)
      if (lazy && !lazy_[s].empty() && (flags[s] & ACCORD_LAZY_FILES_FETCH)) {
        if (!spool) spool.emplace(p_.state_path.string());
        files[s] = !spool->dir.empty();
        if (!files[s] && !spool_failure_said_ && opts_.log) {  // (once a run)
          spool_failure_said_ = true;
          opts_.log(ACCORD_LOG_WARN, sp_.name + ": lazy fields travel inside the connectors' answers, not in files: " +
                                         spool->error);
        }
      }
    size_t size = lazy ? std::max<size_t>(1, opts_.fetch_batch) : std::max<size_t>(1, ops.size());
    struct Chunk {
      size_t at = 0, stop = 0;
      std::vector<LazyWant::Miss> missing;
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
      // only creates count: an update or a delete fetches nothing, so the
      // moves of a renamed folder reach the connector in one call (one IMAP
      // RENAME), however many creates limit a chunk
      size_t creates = 0;
      for (c.stop = at; c.stop < ops.size() && creates < size; ++c.stop) {
        if (!lazy) continue;
        const Action& op = *items[which[c.stop]].op[target];
        uint64_t b = op.kind == OpKind::kCreate ? lazy_bytes(op.source_same_side ? target : other(target), ops[c.stop].at("data").get_object()) : 0;
        if (c.stop > at && bytes + b > opts_.fetch_bytes) break;
        bytes += b;
        if (op.kind == OpKind::kCreate) ++creates;
      }
      at = c.stop;
      c.missing.resize(c.stop - c.at);
      if (!lazy) continue;
      for (size_t k = c.at; k < c.stop; ++k) {
        const Action& op = *items[which[k]].op[target];
        if (op.kind != OpKind::kCreate) continue;
        Side from = op.source_same_side ? target : other(target);
        c.from_target = c.from_target || from == target;
        c.want.push_back({&ops[k].at("data").get_object(), &c.missing[k - c.at], op.source_id, from,
                          files[from] ? &spool->dir : nullptr, target_takes_files, target_takes_ranges, {}});
      }
    }
    // A chunk fetched ahead (LazyRun) is taken where it is this side's
    // first chunk, else dropped: either way before any call to a connector
    // here (a source answers one call at a time).
    bool ahead_taken = false;
    if (!ops.empty() && lazy_run_->ahead) {
      LazyRun::Ahead& a = *lazy_run_->ahead;
      bool same = a.target == target && !chunks.empty() && chunks[0].want.size() == a.ids.size();
      for (size_t k = 0; same && k < a.ids.size(); ++k)
        same = chunks[0].want[k].source_id == a.ids[k] && chunks[0].want[k].source == a.want[k].source &&
               chunks[0].want[k].spool == a.want[k].spool &&
               chunks[0].want[k].target_takes_files == a.want[k].target_takes_files &&
               chunks[0].want[k].target_takes_ranges == a.want[k].target_takes_ranges;
      if (same) {
        auto waited = std::chrono::steady_clock::now();
        a.fetching.get();  // (its failure is this chunk's, as its own fetch's would be)
        time.wait_s += seconds_since(waited);
        time.fetch_s += a.fetch_s;
        ++time.fetches;
        for (size_t k = 0; k < a.ids.size(); ++k) {
          LazyWant& w = chunks[0].want[k];
          for (auto& f : a.fields[k]) (*w.data)[f.key()] = std::move(f.value());
          *w.error = std::move(a.missing[k]);
          w.files = std::move(a.want[k].files);
        }
        lazy_run_->ahead.reset();
        ahead_taken = true;
      } else {
        lazy_run_->drop_ahead();
      }
    }
    // The next create batch's first chunk, fetched ahead once this side's
    // last chunk has its bodies, while it is written (LazyRun): only into
    // files (its bodies are not held in memory beside this batch's), from a
    // source no write of this batch or of the next goes to (nothing else
    // calls it meanwhile: the flags were asked once, LazyRun::flags), and
    // made as the next batch will make it (its creates' lazy_bytes, from
    // report_ops).
    auto fetch_ahead = [&] {
      LazyRun& lr = *lazy_run_;
      Side from = other(target);
      if (lr.ahead || lr.next_at >= lr.next_end || !files[from] || lazy_[from].empty()) return;
      for (size_t i = begin; i < end; ++i)
        if (items[i].op[from]) return;
      for (size_t k = lr.next_at; k < lr.next_end; ++k)
        if (pending_[k].target != target || pending_[k].lazy_bytes == PendingCreate::kUnsized) return;
      std::vector<std::string> ids;
      uint64_t bytes = 0;
      for (size_t k = lr.next_at; k < lr.next_end && ids.size() < std::max<size_t>(1, opts_.fetch_batch); ++k) {
        if (!ids.empty() && bytes + pending_[k].lazy_bytes > opts_.fetch_bytes) break;
        bytes += pending_[k].lazy_bytes;
        ids.push_back(pending_[k].source_id);
      }
      LazyRun::Ahead& a = lr.ahead.emplace();
      a.target = target;
      a.ids = std::move(ids);
      a.fields.resize(a.ids.size());
      a.missing.resize(a.ids.size());
      for (size_t k = 0; k < a.ids.size(); ++k)
        a.want.push_back({&a.fields[k], &a.missing[k], a.ids[k], from, &spool->dir, target_takes_files,
                          target_takes_ranges, {}});
      a.fetching = std::async(std::launch::async, [this, &a] {
        auto t = std::chrono::steady_clock::now();
        attach_lazy(a.want);
        a.fetch_s = seconds_since(t);
      });
    };
    // The next chunk's bodies are fetched from the source while this
    // chunk is written to the target (two instances, one call each at a
    // time): the network and the disk work at once.
    std::future<void> fetching;
    auto fetch = [this, &time](Chunk& c) {
      auto t = std::chrono::steady_clock::now();
      attach_lazy(c.want);
      time.fetch_s += seconds_since(t);  // one fetch at a time: read after get()
      ++time.fetches;
    };
    const std::filesystem::path spools = spool_prefix(p_.state_path.string());  // (not_ours_file)
    for (size_t i = 0; i < chunks.size(); ++i) {
      Chunk& c = chunks[i];
      auto waited = std::chrono::steady_clock::now();
      if (fetching.valid()) fetching.get();
      else if (!c.want.empty() && !(i == 0 && ahead_taken)) fetch(c);
      time.wait_s += seconds_since(waited);
      if (i + 1 < chunks.size() && !chunks[i + 1].want.empty() && !chunks[i + 1].from_target)
        fetching = std::async(std::launch::async, fetch, std::ref(chunks[i + 1]));
      json::array call;
      std::vector<size_t> sent;
      for (size_t k = c.at; k < c.stop; ++k) {
        const LazyWant::Miss& miss = c.missing[k - c.at];
        std::string why = miss.empty() ? not_ours_file(ops[k], spools) : "";
        if (!miss.empty() || !why.empty()) {
          Outcome& o = results[{which[k], target}];
          o.message = why.empty() ? miss.why : why;
          // its source gone since it was read: skipped (commit_item), not failed
          bool gone = why.empty() && miss.gone;
          o.result = gone ? WriteResult::kSourceGone : WriteResult::kFailed;
          o.status = gone ? "gone" : "error";
          continue;
        }
        call.push_back(std::move(ops[k]));
        sent.push_back(which[k]);
      }
      if (i + 1 == chunks.size()) fetch_ahead();  // (its bodies are all here: the source is free)
      auto writing = std::chrono::steady_clock::now();
      if (!call.empty()) apply_call(target, std::move(call), sent, results, &notes);
      time.write_s += seconds_since(writing);
      for (auto& w : c.want)
        for (const auto& f : w.files) ::unlink(f.c_str());
    }
  };
  Results results;
  // Where no lazy field travels (nothing is fetched from one side while the
  // other is written, nothing of LazyRun is touched), the two sides' calls
  // share nothing but the batch's items, which they only read: they go to
  // the two instances at once, the left on a thread of its own, so that
  // one store's work and its sync (a local store's apply is durable when it
  // answers: one fdatasync a call) overlap the other's (issue 24: the 1%
  // run's two stores each wrote its half of every batch while the other
  // waited). Both calls have returned, or thrown, before anything goes on:
  // the intents were committed before either, the results are committed
  // after both, as before. A side that throws (cancelled, an answer that
  // is not JSON) leaves its intents for the next run, whatever the other
  // side did, as a throw of the second side's call always has.
  PerSide<bool> writes{};
  for (size_t i = begin; i < end; ++i)
    for (Side s : kSides) writes[s] = writes[s] || items[i].op[s].has_value();
  if (lazy_.left.empty() && lazy_.right.empty() && writes.left && writes.right) {
    PerSide<Results> got;
    PerSide<std::vector<std::string>> notes;
    PerSide<ApplyTime> times;
    auto writing = std::chrono::steady_clock::now();
    auto left = std::async(std::launch::async, [&] { write_side(Side::kLeft, got.left, notes.left, times.left); });
    std::exception_ptr failed;
    try {
      write_side(Side::kRight, got.right, notes.right, times.right);
    } catch (...) {
      failed = std::current_exception();
    }
    try {
      left.get();
    } catch (...) {
      failed = std::current_exception();  // (the left's first, as when it was called first)
    }
    apply_time_.write_s += seconds_since(writing);  // (the two at once: the time they took together)
    for (Side s : kSides) {
      results.merge(got[s]);
      rep_.notes.insert(rep_.notes.end(), notes[s].begin(), notes[s].end());
    }
    if (failed) std::rethrow_exception(failed);
  } else {
    for (Side target : kSides) write_side(target, results, rep_.notes, apply_time_);
  }
  // When the calls have returned: a try answered maybe_written wrote, if it
  // did, before this (review s10 R2: sent_at must not be before the write,
  // a connector's lag window runs from it; the next second, the text being
  // rounded down to the second).
  std::string answered = utc::format(static_cast<int64_t>(std::time(nullptr)) + 1);
  failpoint("apply.after_write");
  // 3. commit what happened
  auto committing = std::chrono::steady_clock::now();
  StateStore::Transaction tx(*store_);
  // A create answered with a record already linked to another record of the
  // pair (a connector whose look-up took a look-alike: review s11 F1) is
  // refused, for every connector: linking it would silently take that
  // record's link (Links::put drops it), leave its source unlinked and the
  // record the create made orphaned. The create fails as any failed write
  // (its source stays dirty, quarantined), nothing is linked, no link
  // changes. So too a second create of the batch answered the same record.
  {
    std::map<std::pair<Side, std::string>, std::string> taken;  // this batch's answers: (side, id) → the other side's id
    for (size_t i = begin; i < end; ++i)
      for (Side s : kSides) {
        const auto& op = items[i].op[s];
        auto r = results.find({i, s});
        if (!op || op->kind != OpKind::kCreate || r == results.end() || !r->second.ok() || r->second.id.empty()) continue;
        Side o = other(s);
        auto ro = results.find({i, o});
        std::string partner = items[i].op[o] && ro != results.end() && ro->second.ok() && !ro->second.id.empty()
                                  ? ro->second.id
                                  : items[i].id[o];
        std::string holder;
        if (auto link = pv_->links().find(s, r->second.id)) holder = s == Side::kLeft ? link->right_id : link->left_id;
        else if (auto t = taken.find({s, r->second.id}); t != taken.end()) holder = t->second;
        if (holder.empty() || holder == partner) {
          taken.emplace(std::pair{s, r->second.id}, partner);
          continue;
        }
        Outcome& out = r->second;
        out.result = WriteResult::kFailed;
        out.status = "error";
        out.message = "the connector answered " + std::string(side_name(s)) + " record " + out.id +
                      ", which is already linked to " + side_name(o) + " record " + holder +
                      ": refused (linking it would take that record's link); nothing linked, " + side_name(o) +
                      " record " + (partner.empty() ? op->source_id : partner) +
                      " stays unlinked. Check " + side_name(s) + " for a copy this create may have made";
        out.id.clear();
        out.version.clear();
        out.data.clear();
      }
  }
  PerSide<std::vector<std::string>> cleaned;  // source rows whose writes landed
  // A create answered retry that may have been made (maybe_written: this
  // try may have written, its answer lost and the connector's look-up by
  // key failed too; or the whole call failed RETRY) is kept by its key
  // apart from the intents (Journal::retried) until a try is answered ok,
  // so that every later try goes as a resend and the next run sends it
  // before it reads (journal.cpp); its time is when this try's call returned
  // (an upper bound of its write). A resend answered
  // a plain retry (this try wrote nothing; an earlier one, kept or
  // interrupted, may have) stays kept with the time it had (the kept one,
  // or the recovering run's start, if later). A plain retry of a first
  // try (a 429, a 503 before anything was made) is only tried again. Not a
  // keep-both copy's (its source is on its own side).
  {
    std::vector<JournalRow> retried;
    std::vector<std::pair<std::string, std::string>> settled;
    for (size_t i = begin; i < end; ++i)
      for (Side s : kSides) {
        const auto& op = items[i].op[s];
        auto r = results.find({i, s});
        if (!op || op->kind != OpKind::kCreate || op->idempotency_key.empty() || r == results.end()) continue;
        if (r->second.ok() && op->resend) settled.emplace_back(side_name(s), op->idempotency_key);
        else if (r->second.status == "retry" && (r->second.maybe_written || op->resend) && !op->source_same_side)
          retried.push_back({0, sp_.name, side_name(s), "create", "", op->source_id, op->idempotency_key,
                             items[i].op_text[s], r->second.maybe_written ? answered : items[i].sent_at[s], 0,
                             r->second.message, "", op->resend ? items[i].first_sent_at[s] : sending});
      }
    pv_->journal().settled(settled);
    pv_->journal().retried(retried);
  }
  answer_dataless_resends(items, begin, end, results);
  for (size_t i = begin; i < end; ++i) commit_item(items[i], i, results, cleaned);
  for (Side s : kSides) pv_->mirror(s).clear_dirty(std::move(cleaned[s]));
  keep_edits_past_resends(items, begin, end, results);
  std::vector<int64_t> done;  // every intent of the batch: each write's result is in
  done.reserve(journal_ids.size());
  for (const auto& [key, id] : journal_ids) done.push_back(id);
  pv_->journal().done(done);
  tx.commit();
  failpoint("apply.after_commit");
  tell_committed(items, begin, end, results);
  apply_time_.commit_s += seconds_since(committing);
  apply_time_.total_s += seconds_since(started);
}

// A resend answered ok with the record it found but without its data (the
// local sqlite backend answers a known key with the id and version only):
// commit_item would keep what was sent as the target's row, with the found
// record's version, so an edit made there since the lost try read as our
// own echo and was lost, or deleted with its source (review s13 F2). The
// record as this or an earlier run read it, at that version, is the found
// record's data, judged as an answer's is (keep_edits_past_resends). Read
// at another version or not at all: its version is not known, so the next
// read of it is a change, merged against what was sent.
void PairRun::answer_dataless_resends(const std::vector<Item>& items, size_t begin, size_t end, Results& results) {
  for (size_t i = begin; i < end; ++i)
    for (Side s : kSides) {
      const auto& op = items[i].op[s];
      auto r = results.find({i, s});
      if (!op || !op->resend || op->kind != OpKind::kCreate || r == results.end() || !r->second.ok() ||
          !r->second.data.empty() || r->second.id.empty())
        continue;
      Outcome& o = r->second;
      auto row = pv_->mirror(s).find_data(o.id);
      if (row && !row->deleted && !o.version.empty() && row->version == o.version) o.data = row->data;
      else o.version.clear();
    }
}

// A kept create's resend answered ok whose source was edited since the
// first try (Item::resend_base, journal.cpp): the pair form that try sent
// becomes the source's base and the source is dirty again, so the merge
// after the read sends the edit as an update. In the batch's commit, after
// commit_item cleaned the source: a kill between two commits would leave
// the source clean and the edit unsent, silently.
//
// A resend answered with the record it found as it is now (Graph's and
// crm-rest's look-ups by key), edited there since the lost try made it:
// the found form was the target's base, so the edit never followed, and a
// delete of the source read in the same run deleted the edited record (the
// user's edit lost; outlook_mapi.find_only, session 12). Now the members
// edited there (edited_since_made: the found record against what the store
// made of what the try sent, its own check's form where its connector says
// it, so a store's own form is no edit: c7dd5cd) hold in the target's base
// what the store made, its row is dirty, and the merge after the read
// carries those members to the source, or weighs them against the source's
// delete (the edit wins). Only those: what else the found form holds is
// the base, as a create's answer is. A record found as created: as before.
// (The check is a connector call in the commit's transaction: it writes
// nothing and makes no request, accord/check.h, and is asked only for the
// resends answered with data.)
void PairRun::keep_edits_past_resends(std::vector<Item>& items, size_t begin, size_t end, Results& results) {
  PerSide<std::vector<std::string>> dirty;
  for (Side s : kSides) {
    std::vector<size_t> found;  // items whose resend to s was answered ok with the record's data
    std::vector<json::object> sent;
    for (size_t i = begin; i < end; ++i) {
      const auto& op = items[i].op[s];
      auto r = results.find({i, s});
      if (!op || !op->resend || op->kind != OpKind::kCreate || r == results.end() || !r->second.ok() ||
          r->second.data.empty())
        continue;
      found.push_back(i);
      sent.push_back(op->data);  // (op_text went into the row: commit_item)
    }
    if (found.empty()) continue;
    std::vector<std::optional<Fields>> made = made_forms(s, std::move(sent));
    const StreamInfo* info = nullptr;
    if (const auto* c = reg_.find(p_.endpoint(s).connector)) info = c->manifest.stream(stream(s));
    for (size_t j = 0; j < found.size(); ++j) {
      const Action& op = *items[found[j]].op[s];
      const Outcome& o = results[{found[j], s}];
      try {
        boost::system::error_code ec;
        json::value held = accord::json_exact::parse(o.data, ec);
        if (ec || !held.is_object() || !made[j]) continue;
        const Fields& then = *made[j];
        MirrorRow found_row;
        found_row.data = o.data;
        Fields now = planner().pair_of(s, found_row);
        std::vector<std::string> edited =
            edited_since_made(planner(), s, info, sp_.identity, lazy_[s], then, now, held.get_object());
        if (edited.empty()) continue;
        auto link = pv_->links().find(other(s), op.source_id);
        if (!link) continue;
        Fields base = now;
        for (const auto& k : edited)
          if (auto m = then.find(k); m != then.end() && !m->second.is_null()) base[k] = m->second;
          else base.erase(k);
        (s == Side::kLeft ? link->base_left : link->base_right) = fields_json(base);
        pv_->links().put(*link);
        dirty[s].push_back(s == Side::kLeft ? link->left_id : link->right_id);
        rep_.notes.push_back("a create answered retry (" + std::string(side_name(other(s))) + " " + op.source_id +
                             ", key " + op.idempotency_key + ") found its " + side_name(s) + " record " + o.id +
                             " edited there since its lost try (" + join(edited, ", ") +
                             "): the edit follows to the " + side_name(other(s)));
      } catch (const std::exception&) {  // (its form unknown: as before)
      }
    }
  }
  for (size_t i = begin; i < end; ++i)
    for (Side s : kSides) {
      Item& it = items[i];
      if (it.resend_base[s].empty() || !it.op[s]) continue;
      auto r = results.find({i, s});
      if (r == results.end() || !r->second.ok()) continue;
      Side from = other(s);
      auto link = pv_->links().find(from, it.op[s]->source_id);
      if (!link) continue;
      (from == Side::kLeft ? link->base_left : link->base_right) = std::move(it.resend_base[s]);
      pv_->links().put(*link);
      dirty[from].push_back(it.op[s]->source_id);
    }
  for (Side s : kSides)
    if (!dirty[s].empty()) pv_->mirror(s).mark_dirty(std::move(dirty[s]));
}

// accord.after_commit.v1: each side that offers it is told the writes of
// the batch just committed, and the cursor it answers (past its own
// writes, so that the next run does not read them back) is held from now
// on: stored after the call, in a transaction of its own (a kill between
// them keeps the old cursor: the echoes are read and recognised, as
// without the extension). A failure keeps the cursor and is logged.
//
// Only the writes commit_item recorded: an item that failed on either side
// records neither (it stays dirty for the next run), so the side whose
// write succeeded must read its echo back, or the state keeps the version
// before it and the next write there fails on it for ever.
void PairRun::tell_committed(const std::vector<Item>& items, size_t begin, size_t end, Results& results) {
  auto ok = [&](size_t i, Side t) {
    auto r = results.find({i, t});
    return r != results.end() && r->second.ok();
  };
  for (Side s : kSides) {
    if (!after_commit_[s]) continue;
    json::array written;
    for (size_t i = begin; i < end; ++i) {
      const auto& op = items[i].op[s];
      if (!op || !ok(i, s) || (items[i].op[other(s)] && !ok(i, other(s)))) continue;
      auto r = results.find({i, s});
      written.push_back(json::object{{"op", op_name(op->kind)},
                                     {"id", r->second.id.empty() ? op->id : r->second.id},
                                     {"version", r->second.version}});
    }
    if (written.empty()) continue;
    std::string& held = rep_.cursor[index_of(s)];
    auto moved = inst_[s]->after_commit(stream(s), held, json::serialize(written));
    if (!moved) {
      if (opts_.log)
        opts_.log(ACCORD_LOG_WARN, sp_.name + ": the " + side_name(s) + " side's after_commit failed (its writes are read back "
                                   "next run): " + moved.error().message);
      continue;
    }
    if (!*moved || **moved == held) continue;
    StateStore::Transaction tx(*store_);
    pv_->set_cursor(s, **moved);
    tx.commit();
    held = std::move(**moved);
  }
}

// One apply call to side s; its results under {item, s}.
void PairRun::apply_call(Side s, json::array ops, const std::vector<size_t>& which, Results& results,
                         std::vector<std::string>* notes) {
  const std::string& stream = this->stream(s);
  std::vector<std::string> kinds;
  kinds.reserve(ops.size());
  for (const auto& op : ops) {
    const json::value* k = op.is_object() ? op.get_object().if_contains("op") : nullptr;
    kinds.emplace_back(k && k->is_string() ? std::string_view(k->get_string()) : std::string_view());
  }
  // The ops' data as text only while the connector works: a call of
  // thousands of moves (a folder renamed) held it twice (issue 22)
  std::string text = json::serialize(ops);
  ops = json::array();
  auto r = inst_[s]->apply(stream, text);
  std::string().swap(text);
  if (!r) {
    if (r.error().status == ACCORD_CANCELLED || r.error().status == ACCORD_AUTH_REQUIRED)
      throw Failure{r.error().status, std::string("writing to the ") + side_name(s) + " side: " + r.error().message, 0};
    for (size_t i : which) {
      std::string status = status_name(r.error().status);
      // a whole call answered RETRY may have written any of its ops
      results[{i, s}] = Outcome{write_result(false, status), "", "", r.error().message, status,
                                r.error().retry_after_ms / 1000, "", r.error().status == ACCORD_RETRY};
    }
    return;
  }
  // Read into types (plugins/wire): a result that is missing or cannot be
  // read fails its own op only. Answers that are not JSON at all are as
  // good as lost: the pair stops and the journal's intents stay for the
  // next run to reconcile.
  const std::string& connector = p_.endpoint(s).connector;
  wire::ApplyResults answer = wire::read_results(*r, kinds);
  if (!answer.error.empty())
    throw Failure{ACCORD_ERROR, std::string("writing to the ") + side_name(s) + " side: connector " + connector + " (" +
                                    stream + ") answered apply results that are " + answer.error +
                                    "; the next run reconciles these writes",
                  0};
  for (const auto& n : answer.notes) (notes ? *notes : rep_.notes).push_back(connector + " (" + stream + ") " + n);
  for (size_t k = 0; k < which.size() && k < answer.results.size(); ++k) {
    wire::ApplyResult& a = answer.results[k];
    results[{which[k], s}] = Outcome{write_result(a.ok(), a.status), std::move(a.id), std::move(a.version),
                                     a.unreadable ? connector + " " + a.message : std::move(a.message),
                                     std::move(a.status), a.retry_after_s, std::move(a.data), a.maybe_written};
  }
}

// About how many bytes a create's lazy fields from `from` will add: the
// value at that side's lazy_size pointer in the data, 0 where it has none.
uint64_t PairRun::lazy_bytes(Side from, const json::object& data) const {
  const std::string& at = lazy_size_[from];
  if (at.empty() || at[0] != '/') return 0;
  // (the pointer's first member looked up in the object itself: no copy of it)
  size_t slash = at.find('/', 1);
  std::string key = at.substr(1, slash == std::string::npos ? std::string::npos : slash - 1);
  for (size_t t = key.find('~'); t != std::string::npos; t = key.find('~', t + 1))
    if (t + 1 < key.size() && (key[t + 1] == '0' || key[t + 1] == '1')) key.replace(t, 2, key[t + 1] == '1' ? "/" : "~");
  const json::value* v = data.if_contains(key);
  boost::system::error_code ec;
  if (v && slash != std::string::npos) v = v->find_pointer(std::string_view(at).substr(slash), ec);
  if (!v) return 0;
  if (v->is_uint64()) return v->get_uint64();
  if (v->is_int64()) return static_cast<uint64_t>(std::max<int64_t>(0, v->get_int64()));
  return 0;
}

// Fetches the lazy fields of the wanted records from their source sides
// (one fetch call per side) and writes them into each create's data. They
// are never kept: not in the journal, the mirror, a base or a saved plan.
void PairRun::attach_lazy(std::vector<LazyWant>& want) {
  for (Side from : kSides) {
    const auto& fields = lazy_[from];
    if (fields.empty()) continue;
    json::array ids;
    for (const auto& w : want)
      if (w.source == from) ids.emplace_back(w.source_id);
    if (ids.empty()) continue;
    const std::string& stream = this->stream(from);
    const std::string* spool = nullptr;
    bool ranges = true;  // every create's target reads parts of files: fetch_ranges
    for (const auto& w : want)
      if (w.source == from) {
        if (w.spool) spool = w.spool;
        ranges = ranges && w.target_takes_ranges;
      }
    auto r = spool ? inst_[from]->fetch_files(stream, json::serialize(ids), *spool, ranges)
                   : inst_[from]->fetch(stream, json::serialize(ids));
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
    std::set<std::string> handed;                   // files (parts) handed to a target as they are: one op each
    std::set<std::string> listed;                   // files put in a want's `files` (a shared one in one only)
    std::map<std::string, json::value> got;         // data objects, by id
    std::map<std::string, std::string> unreadable;  // why not, by id
    std::string whole;                              // the answer could not be read at all
    bool unsure = false;                            // a record it could not read has no id to trust
    if (r) {
      wire::Batch b = wire::read_fetch(*r);
      if (!b.error.empty()) whole = "connector " + connector + " (" + stream + ") answered a fetch that is " + b.error;
      for (auto& rec : b.records)
        if (!rec.deleted) got[rec.id] = std::move(rec.data);
      for (const auto& u : b.unreadable)
        if (u.id_sure) unreadable[u.id] = u.pointer + ": " + u.reason;
        else unsure = true;
    }
    for (auto& w : want) {
      if (w.source != from) continue;
      auto g = got.find(w.source_id);
      if (g == got.end()) {
        auto u = unreadable.find(w.source_id);
        const std::string cannot = std::string("could not fetch the record's body from the ") + side_name(from) + " side";
        // Gone: the source answered the fetch, readably, without the record
        // (or with it deleted): renamed or deleted since it was read. Not a
        // failure (the create is skipped; the source stays dirty, and the
        // next run's listing says where it went). Any other miss is one.
        // (An undo's creates are the history's records, not a source's row:
        // no later run brings back one whose body is gone from its source
        // too. It fails, saying so; review s17.)
        w.error->gone = r && whole.empty() && !unsure && u == unreadable.end() && !opts_.undo_run;
        w.error->why = u != unreadable.end()
                           ? std::string("could not read the record's body from the ") + side_name(from) + " side (" +
                                 connector + " " + stream + " at " + u->second + ")"
                       : !whole.empty() ? cannot + ": " + whole
                       : !r             ? cannot + ": " + r.error().message
                       : unsure ? cannot + " (the answer left it out and holds a record it could not read: that one may be "
                                           "it)"
                       : opts_.undo_run ? cannot + " (it is gone from there too since it was read): the undo cannot restore "
                                                   "it, and no later run will"
                                : std::string("the record is gone from the ") + side_name(from) +
                                      " side since it was read (its fetch answered without it: renamed or deleted); "
                                      "skipped, the next run reads where it went";
        continue;
      }
      const json::object& fetched = g->second.get_object();  // wire::Record: an object
      for (const auto& f : fields) {
        auto* v = fetched.if_contains(std::string_view(f).substr(1));
        if (!v) continue;
        const json::value* file = spool && v->is_object() ? v->get_object().if_contains("$file") : nullptr;
        if (!file || !file->is_string()) {
          (*w.data)[std::string_view(f).substr(1)] = *v;
          continue;
        }
        // only a file of the spool is the host's to hand on and remove
        std::string path(file->get_string());
        if (std::filesystem::path(path).parent_path() != std::filesystem::path(*spool)) {
          w.error->why = "connector " + connector + " (" + stream + ") wrote a field outside the directory it was given: " + path;
          break;
        }
        // (a second op wanting the same record's field gets its own text:
        // a target may take a file it is handed, ACCORD_LAZY_FILES_TAKE; the
        // parts of one shared file, ACCORD_LAZY_FILES_RANGES, are each one's)
        const json::object& ref = v->get_object();
        std::string part = path + (ref.contains("offset") ? "\x1f" + json::serialize(ref.at("offset")) : "");
        bool again = w.target_takes_files && !handed.insert(part).second;
        if (!again && listed.insert(path).second) w.files.push_back(path);
        if (w.target_takes_files && !again) {
          (*w.data)[std::string_view(f).substr(1)] = *v;
          continue;
        }
        // a target without the extension gets base64 text, as from fetch
        std::string why;
        auto bytes = mail::lazy_bytes(*v, why);
        if (!bytes) {
          w.error->why = "could not read the record's body from the " + std::string(side_name(from)) + " side: " + why;
          break;
        }
        (*w.data)[std::string_view(f).substr(1)] = mail::base64_encode(*bytes);
        if (!again) ::unlink(path.c_str());
      }
    }
  }
}

PlannedOp* PairRun::shown_op(const Item& it, Side s) {
  return it.shown[s] < rep_.ops.size() ? &rep_.ops[it.shown[s]] : nullptr;
}

// A linked pair's update that landed on side `s` while its write to the
// other side failed (review s15 F2: that record was edited in its store
// during the run, answered conflict). Not recording it made its echo, read
// back next run, a person's edit of `s`, newer than the real edit on the
// other side, which "newest" then lost on both sides. So: the written row
// goes into the mirror (its echo is recognised; still dirty, as the pair's
// sources stay), into the history (undo takes it back), and `s`'s base
// moves by the fields written to `s` only, so that `s`'s own changes still
// travel and the other side's edit meets an unchanged field next run. A
// landed create or delete, or an update that moved its record to a new id,
// is left as before: planned again from what is read next run.
void PairRun::record_landed(Item& it, Side s, int64_t& before) {
  const std::optional<Action>& op = it.op[s];
  if (!op || op->kind != OpKind::kUpdate || !it.link || !it.row[s] || it.row[s]->id != op->id) return;
  std::optional<MirrorRow> was = pv_->mirror(s).find_data(op->id);  // (as the plan read it: not yet overwritten)
  if (!was) return;
  Fields base = planner().base_of(*it.link, s, was);
  Fields then = planner().pair_of(s, *was), now = planner().pair_of(s, *it.row[s]);
  auto moved = [&](const std::string& k) {
    auto a = then.find(k), b = now.find(k);
    if (b == now.end()) {
      if (a != then.end()) base.erase(k);
    } else if (a == then.end() || a->second != b->second) {
      base[k] = b->second;
    }
  };
  for (const auto& [k, v] : then) moved(k);
  for (const auto& [k, v] : now) moved(k);
  if (run_id_ && !before) before = pv_->mirror(s).hold_data(op->id);
  it.row[s]->dirty = true;
  int64_t after = pv_->mirror(s).put(*it.row[s]);
  if (run_id_) {
    pv_->history().add({0, run_id_, sp_.name, side_name(s), it.id[s], op_name(op->kind), it.row[s]->version,
                        it.id[other(s)], {}, {}},
                       before, after, false);
    before = 0;  // (the history holds it now)
  }
  LinkRow link = *it.link;
  (s == Side::kLeft ? link.base_left : link.base_right) = fields_json(base);
  (s == Side::kLeft ? link.kept_left : link.kept_right) = {};
  pv_->links().put(link);
}

void PairRun::commit_item(Item& it, size_t i, Results& results, PerSide<std::vector<std::string>>& cleaned) {
  bool failed = false;
  written_.left = written_.right = false;
  PerSide<int64_t> before;  // the history's references to what an update or delete replaced
  // an update in place: its row's reference to the data it replaced goes to
  // the history when the row is written (MirrorSide::put_for_history), none
  // taken before (nothing to let go of where the pair fails)
  PerSide<bool> handed{};
  // the rows' data rows as planned (find_data): the row is written by them,
  // not read again, where it still has that data row (put_for_history)
  PerSide<int64_t> planned_data{};
  for (Side s : kSides) {
    if (!it.op[s]) continue;
    const Outcome& o = results[{i, s}];  // (its intent is done with the batch's, in apply_batch)
    if (apply_meter_) apply_meter_->add();
    if (opts_.events)
      opts_.events->applied(sp_.name, it.op[s]->told(), o.ok() && !o.id.empty() ? o.id : it.op[s]->id, o.ok(),
                            o.ok() ? "ok" : o.status.empty() ? "error" : o.status, o.message);
    if (!o.ok()) {
      failed = true;  // (the sources stay dirty: below)
      // a create whose source was gone when its body was fetched: skipped,
      // not failed, nothing quarantined (the next run's listing says where
      // the record went: a rename's new id, or its delete)
      if (o.result == WriteResult::kSourceGone) {
        ++rep_.gone;
        continue;
      }
      ++rep_.failed;
      Side src = other(s);
      std::string charged = !it.quarantine_side_id[src].empty() ? it.quarantine_side_id[src] : it.id[src];
      std::string msg = std::string(side_name(s)) + " " + op_name(it.op[s]->kind) + " of " + it.op[s]->label + ": " +
                        (o.status.empty() ? "error" : o.status) + ": " + o.message;
      rep_.notes.push_back(msg);
      // a version conflict is not the record's fault: the next run re-reads it
      if (o.result != WriteResult::kVersionConflict && !charged.empty()) {
        pv_->quarantine().add(src, charged, msg, o.retry_after_s);
        ++rep_.quarantined;
      }
      continue;
    }
    ++rep_.applied;
    Action& op = *it.op[s];
    handed[s] = run_id_ && op.kind == OpKind::kUpdate && (o.id.empty() || o.id == op.id) && !it.forget[s];
    if (op.kind != OpKind::kCreate && run_id_ && !handed[s]) before[s] = pv_->mirror(s).hold_data(op.id);
    if (op.kind == OpKind::kDelete) {
      it.forget[s] = true;
      it.drop_link = true;
      continue;
    }
    if (op.kind == OpKind::kCreate) it.id[s] = o.id;
    if (op.kind == OpKind::kUpdate && !o.id.empty() && o.id != op.id) {
      // the update gave the record a new id (a message moved to another
      // IMAP folder): the link and the mirror follow it
      pv_->mirror(s).drop(op.id);
      it.id[s] = o.id;
    }
    // What the target holds now: its own form of the record where the
    // connector answered it (fields it dropped or added are then never
    // taken for a person's edit), else what was sent. Lazy fields are
    // never kept.
    // (what was sent copied only where the store answered no form of its own)
    json::value written;
    std::string text = std::move(it.op_text[s]);
    if (!o.data.empty()) {
      boost::system::error_code ec;
      json::value held = accord::json_exact::parse(o.data, ec);
      if (!ec && held.is_object()) {
        // what the store's converter could not carry of this record (issue
        // 21): said under its write and counted in the run's sync issues
        if (auto lost = lost_in_write(s, op.data, held.get_object()); !lost.empty()) {
          if (PlannedOp* shown = shown_op(it, s)) rep_.behind.add(shown->left_behind, lost);
          else if (it.unlisted) rep_.behind.add(op.left_behind, lost);  // (counted, not listed)
        }
        written = std::move(held);
        text = json::serialize(written);
      }
    }
    if (!written.is_object()) written = op.data;
    // the key a create stored stays with the record through its updates
    std::string stored(op.kind == OpKind::kCreate ? op.idempotency_key
                       : it.row[s]                ? planner().stored_key(it.row[s]->keys)
                                                  : "");
    planned_data[s] = it.row[s] ? it.row[s]->data_id : 0;
    it.row[s] = MirrorRow{o.id.empty() ? op.id : o.id, o.version, now_rfc3339(), std::move(text), true,
                          false, false, keys_of(s, written, stored)};
    if (!it.manual_fields.empty()) it.pair[s] = fm_.to_pair(s, written.get_object());  // the new base (below)
    written_[s] = true;
  }
  if (failed) {  // the sources stay dirty (or quarantined)
    for (Side s : kSides)
      if (written_[s]) record_landed(it, s, before[s]);  // (takes its reference to the replaced data)
    for (Side s : kSides)
      if (before[s]) pv_->mirror(s).release_data(before[s]);
    return;
  }
  for (Side s : kSides) {
    const std::string& id = it.id[s];
    if (id.empty()) continue;
    // what the write did, for `accord log` and `accord undo` (a delete's id
    // is the op's: a forgotten source row has none)
    const std::optional<Action>& op = it.op[s];
    bool wrote = op && (written_[s] || op->kind == OpKind::kDelete);
    auto remember = [&](int64_t after_id, bool after_held = false) {
      if (!wrote || !run_id_) return;
      // (an interrupted run's create, sent again: that run's write)
      pv_->history().add({0, run_of(it.resumed_journal[s]), sp_.name, side_name(s), op->kind == OpKind::kDelete ? op->id : id,
                          op_name(op->kind), written_[s] ? it.row[s]->version : "", it.id[other(s)], {}, {}},
                         before[s], after_id, after_held);
    };
    if (it.forget[s]) {
      pv_->mirror(s).drop(id);
      remember(0);
      continue;
    }
    if (it.row[s]) {
      if (written_[s] && handed[s]) {
        int64_t after = pv_->mirror(s).put_for_history(*it.row[s], before[s], planned_data[s]);
        remember(after, true);
        cleaned[s].push_back(it.row[s]->id);  // (its dirty flag, cleared with the batch's others)
      } else if (written_[s]) {
        // (its data row holding the history's reference too, where it keeps one)
        bool held = wrote && run_id_;
        remember(pv_->mirror(s).put(*it.row[s], nullptr, false, held), held);
      } else {
        cleaned[s].push_back(id);  // (clean with the batch's others, in apply_batch)
      }
      if (quarantined_[s].contains(id)) pv_->quarantine().release(s, id);
    }
  }
  std::string old_left = it.link ? it.link->left_id : "";
  if (it.drop_link || it.forget.left || it.forget.right) {
    if (!old_left.empty()) pv_->links().drop(old_left);
    return;
  }
  if (it.id.left.empty() || it.id.right.empty() || !it.row.left || !it.row.right) return;  // unlinked record, cleaned
  if (!old_left.empty() && old_left != it.id.left) pv_->links().drop(old_left);
  // (no link planned: a create's records are looked up only where one is linked after all)
  bool fresh = !it.link;
  if (it.manual_fields.empty()) {
    pv_->links().put(LinkRow{it.id.left, it.id.right, "", ""}, fresh);
    return;
  }
  Fields bl = it.pair.left ? std::move(*it.pair.left) : planner().pair_of(Side::kLeft, *it.row.left);
  Fields br = it.pair.right ? std::move(*it.pair.right) : planner().pair_of(Side::kRight, *it.row.right);
  pv_->links().put(link_for(it, std::move(bl), std::move(br)), fresh);
}

}  // namespace accord
