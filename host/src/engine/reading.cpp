// SPDX-License-Identifier: Apache-2.0
// Phase A, reading: both sides read at once, each on a reader thread of its
// own, their batches parsed record by record (plugins/wire) and handed
// through a bounded queue to the pair's thread, which stages them in the
// state's TEMP table (or, a first sync, loads them into the state). A reader
// touches neither the state nor the report.
#include "engine/pair_run.hpp"

#include "common/digest.hpp"
#include "engine/keys.hpp"
#include "engine/phase_meter.hpp"
#include "engine/record_filter.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

namespace json = boost::json;

namespace accord {

namespace {

void wait_ms(int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// A record read with its text (wire::Texts): its pair text, as
// FieldMap::pair_text makes it with no rules.
void pair_text_of(const wire::Batch& batch, const wire::Record& rec, std::string& out) {
  FieldMap::TextMember few[16];
  std::vector<FieldMap::TextMember> many;
  FieldMap::TextMember* members = few;
  if (rec.members_n > std::size(few)) {
    many.resize(rec.members_n);
    members = many.data();
  }
  for (size_t i = 0; i < rec.members_n; ++i) {
    const wire::Member& m = batch.members[rec.members_at + i];
    members[i] = {std::string_view(batch.member_keys).substr(m.key_at, m.key_n), m.at, m.n};
  }
  FieldMap::pair_text_of(rec.text, members, rec.members_n, out);
}

}  // namespace

// What a side's reader hands the thread that owns the state: a batch of
// records to stage, or word that its listing starts over.
struct PairRun::Staging {
  Side side = Side::kLeft;
  bool restart = false;
  std::vector<StateStore::Staged> records;
};

// Bounded: a reader waits while the stager is behind, so memory holds a
// few batches however much a side lists.
class PairRun::StagingQueue {
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
void PairRun::read_both(PerSide<SideRead>& reads) {
  PerSide<std::string> cursors;
  for (Side s : kSides) {
    cursors[s] = pv_->cursor(s).value_or("");
    watch_[s] = pv_->unreadable().keys(s);  // the readers note which of them read well
    if (opts_.progress)
      opts_.progress(sp_.name + ": reading " + side_name(s) + (cursors[s].empty() ? " (full listing)" : ""));
  }
  PhaseMeter reading(opts_.events, sp_.name, Phase::kReading);
  read_meter_ = &reading;
  read_total_.left = read_total_.right = -1;
  StagingQueue queue(2);
  PerSide<std::exception_ptr> failed;
  PerSide<std::vector<std::string>> notes;
  PerSide<std::thread> readers;
  for (Side s : kSides)
    readers[s] = std::thread([&, s] {
      try {
        reads[s] = read_side(s, std::move(cursors[s]), queue, notes[s]);
      } catch (...) {
        failed[s] = std::current_exception();
        queue.abort();  // the pair fails: the other side need not read on
      }
      queue.done();
    });
  std::exception_ptr staging_failed;
  try {
    for (Staging batch; queue.pop(batch);) {
      if (batch.restart) {
        store_->staging().reset_side(batch.side);
        for (const auto& r : loaded_[batch.side]) pv_->load().release(r.data_id);
        loaded_[batch.side].clear();
        continue;
      }
      if (first_sync_) {
        load(batch);
        continue;
      }
      StateStore::Transaction staging(*store_, StateStore::Transaction::kDeferred);  // touches only TEMP: no state lock
      for (const auto& c : batch.records) store_->staging().add(batch.side, c);
      staging.commit();
    }
  } catch (...) {
    staging_failed = std::current_exception();
    queue.abort();
  }
  for (Side s : kSides) readers[s].join();
  read_meter_ = nullptr;
  for (Side s : kSides) rep_.notes.insert(rep_.notes.end(), notes[s].begin(), notes[s].end());
  if (staging_failed) std::rethrow_exception(staging_failed);
  for (Side s : kSides)
    if (failed[s]) std::rethrow_exception(failed[s]);
  for (Side s : kSides) {
    rep_.cursor[index_of(s)] = reads[s].cursor;
    rep_.budget[index_of(s)] = reads[s].budget;
    rep_.read[index_of(s)] = reads[s].count;
    for (const auto& [batch, u] : reads[s].unreadable)
      rep_.unreadable.push_back({s, p_.endpoint(s).connector, stream(s), u.id, u.pointer, u.reason});
  }
}

// What a side's read found unreadable, into the state (in the planning
// transaction, with the cursor that moves past it).
void PairRun::note_unreadable(Side s, const SideRead& read) {
  std::vector<UnreadableRow> rows;
  for (const auto& [batch, u] : read.unreadable) {
    UnreadableRow& r = rows.emplace_back();
    // one without an id the host can trust: by where it came (batch, pointer)
    r.key = u.id_sure && !u.id.empty() ? u.id : "@" + std::to_string(batch) + u.pointer;
    r.id = u.id;
    r.connector = p_.endpoint(s).connector;
    r.stream = stream(s);
    r.pointer = u.pointer;
    r.reason = u.reason;
  }
  pv_->unreadable().note(s, rows, read.readable, read.listing);
}

// A first sync's batch: each live record's data goes into the state now,
// what planning needs of it stays in memory (mirror rows follow in id
// order once the side is read).
void PairRun::load(Staging& batch) {
  auto& refs = loaded_[batch.side];
  // room for the whole listing at once where the side said how many it
  // lists: a vector grown by doubling holds up to twice what it needs, and
  // three times while it moves (a million records: 160 MB a side)
  if (int64_t total = read_total_[batch.side]; refs.capacity() == 0 && total > 0)
    refs.reserve(static_cast<size_t>(std::min<int64_t>(total, int64_t{1} << 24)));  // (untouched room is not resident)
  std::vector<std::string_view> data;
  for (const auto& c : batch.records)
    if (!c.deleted) data.push_back(c.data);  // a deleted record is gone before the state knew it
  std::vector<int64_t> data_ids = pv_->load().data(data);
  size_t at = 0;
  for (auto& c : batch.records) {
    if (c.deleted) continue;
    MirrorRef& r = refs.emplace_back();
    r.set(c.id, c.keys, c.version, c.modified);
    r.included = c.included;
    r.dirty = true;
    r.form[0] = c.form[0];
    r.form[1] = c.form[1];
    r.data_id = data_ids[at++];
  }
}

// A side's part of the reading bar's total (-1: unknown); the bar has a
// total when both sides' parts are known. From the reader threads.
void PairRun::set_read_total(Side s, int64_t total) {
  read_total_[s] = total;
  int64_t l = read_total_.left, r = read_total_.right;
  read_meter_->set_total(l >= 0 && r >= 0 ? static_cast<uint64_t>(l + r) : 0);
}

// One side's changes since `cursor`, handed to `queue` batch by batch.
// Runs on a reader thread: touches neither the state nor the report.
SideRead PairRun::read_side(Side s, std::string cursor, StagingQueue& queue, std::vector<std::string>& notes) {
  SideRead out;
  const std::string& stream = this->stream(s);
  const Filter& filter = s == Side::kLeft ? sp_.filter_left : sp_.filter_right;  // (the pipeline's)
  out.full = cursor.empty();
  // A first sync whose records go in as they are (no rules, no filter, no
  // lookups) takes each record's text and pair text off the parser, and of
  // its data as values only the members its match keys begin at.
  std::optional<wire::Texts> texts;
  if (first_sync_ && sp_.identity && filter.empty() && !lookups_) {
    texts.emplace();
    texts->names = match_heads(sp_.match, s, texts->first);
  }
  int retries = 0;
  int64_t waited_ms = 0;  // in all, against opts_.max_retry_wait_ms
  std::string pair_text;  // reused: a first sync's digests
  std::string text;       // reused: a record's text
  constexpr size_t kArenaBlock = 8 << 20;
  std::unique_ptr<unsigned char[]> arena_block(new unsigned char[kArenaBlock]);
  int batches = 0;  // read so far (an unreadable record without an id is known by its batch and place)
  uint64_t counted = 0, read_from = 0;  // records told to the reading bar: in all, and before this read began
  for (;;) {
    if (batches > 0 && opts_.cancelled()) return out;  // the pair stops after reading (pair_run.cpp): nothing kept
    auto r = inst_[s]->read_changes(stream, cursor);
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
    wire::Batch batch = wire::read_batch(*r, &arena, texts ? &*texts : nullptr);
    if (!batch.error.empty())
      throw Failure{ACCORD_ERROR, std::string(side_name(s)) + " connector " + p_.endpoint(s).connector + " (" +
                                      stream + ") answered a batch that is " + batch.error,
                    0};
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
      if (!watch_[s].empty() && watch_[s].contains(c.id)) out.readable.push_back(c.id);
      if (!c.deleted) {
        // an object (wire::Record): with its text, only the members the match keys begin at
        const json::value& d = rec.data;
        c.included = record_passes(filter, d.get_object());
        if (c.included && lookups_) c.included = lookups_->admit(s, c.id, rec.data.as_object());  // (may annotate it)
        c.keys = keys_of(s, d, rec.idempotency_key);
        if (!rec.text.empty()) {  // (texts: a first sync, the filter empty)
          pair_text_of(batch, rec, pair_text);
          std::tie(c.form[0], c.form[1]) = hash::digest128(pair_text);
          c.data = std::move(rec.text);
        } else if (first_sync_ && c.included) {
          // equal digests: equal pair forms, nothing to merge (the
          // record's text is made beside its pair text, of the same parts)
          fm_.pair_text(s, d.get_object(), pair_text, text);
          std::tie(c.form[0], c.form[1]) = hash::digest128(pair_text);
          c.data = text;  // (json::serialize's text, copied out at its length)
        } else {
          c.data = json::serialize(d);
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
    else if (read_total_[s] >= 0 && static_cast<uint64_t>(read_total_[s]) < counted)
      set_read_total(s, static_cast<int64_t>(counted));
    read_meter_->add(batch.records.size() + batch.unreadable.size());
    if (!queue.push(std::move(staged))) return out;
    cursor = std::move(batch.cursor);
    if (!batch.budget.empty()) out.budget = std::move(batch.budget);
    if (!batch.more) break;
  }
  set_read_total(s, static_cast<int64_t>(counted));  // read: its part of the bar is what it listed
  // A full listing holding a record the host cannot name may hold one the
  // state knows: this time nothing is taken for deleted by its absence.
  if (out.full && std::any_of(out.unreadable.begin(), out.unreadable.end(),
                              [](const auto& u) { return !u.second.id_sure || u.second.id.empty(); })) {
    out.full = false;
    notes.push_back(std::string("the ") + side_name(s) +
                    " side's full listing holds a record that cannot be read or named;"
                    " nothing is taken for deleted by its absence this run");
  }
  out.cursor = cursor;
  return out;
}

}  // namespace accord
