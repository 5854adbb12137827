// SPDX-License-Identifier: Apache-2.0
// The engine's own types, private to host/src/engine: a value per side
// indexed by Side (never an `s == 0 ? … : …` or a `left_id : right_id`
// flip), typed op kinds, a planned write (Action) and a unit of work (Item).
// Strings stand for them only at the boundaries: the wire, the state and its
// journal, the pipeline's op lists and the report (PlannedOp).
#pragma once

#include "engine/sync_run.hpp"
#include "state/state_store.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace accord {

inline constexpr Side kSides[] = {Side::kLeft, Side::kRight};

// One value for each side, read and written by side.
template <class T>
struct PerSide {
  T left{}, right{};
  T& operator[](Side s) { return s == Side::kLeft ? left : right; }
  const T& operator[](Side s) const { return s == Side::kLeft ? left : right; }
};

// A side's place in the report's and the saved plan's two-element arrays
// (PairReport::read, ::cursor; RunOptions::expect_cursor): their boundary.
inline size_t index_of(Side s) { return s == Side::kLeft ? 0 : 1; }

// What a write does to its target.
enum class OpKind { kCreate, kUpdate, kDelete };

// The op's word at the boundaries (wire, journal, history, report): create,
// update, delete.
inline const char* op_name(OpKind k) {
  return k == OpKind::kCreate ? "create" : k == OpKind::kUpdate ? "update" : "delete";
}
inline std::optional<OpKind> op_kind(std::string_view name) {
  if (name == "create") return OpKind::kCreate;
  if (name == "update") return OpKind::kUpdate;
  if (name == "delete") return OpKind::kDelete;
  return std::nullopt;
}

// Whether the pipeline lets this kind of write reach `target`.
inline bool allowed(const StreamPair& sp, Side target, OpKind k) { return sp.allowed(target, op_name(k)); }

// A planned write, as the engine holds it until it is applied; the report's
// PlannedOp is its text (shown(), without the record's data).
struct Action : WriteTarget, WriteContent {
  OpKind kind = OpKind::kCreate;
  // An update of only the target's placement fields (the manifest's: a
  // message's folders): a move, not an edit (guards, apply batches).
  bool move = false;
  // An update's "was" (docs/sdk.md): the changed top-level fields' values
  // on the side the change comes from, as last synced, in the target's form.
  boost::json::object was;

  // What an event tells of it (RunEvents::applied): no data, no changes.
  PlannedOp told() const {
    PlannedOp t;
    static_cast<WriteTarget&>(t) = *this;
    t.op = op_name(kind);
    return t;
  }
  // The report's form: what it changes, not the data it writes. Its
  // changes and losses move to the report (the applier needs neither).
  PlannedOp release_shown() {
    PlannedOp shown = told();
    shown.changes = std::move(changes);
    shown.left_behind = std::move(left_behind);
    changes.clear();
    left_behind.clear();
    return shown;
  }
};

// One unit of work that writes to a side: a create, an update, a delete.
// Pairs that need no write are settled while planning and never become items.
struct Item {
  PerSide<std::string> id;  // empty where a create will make it
  PerSide<std::optional<MirrorRow>> row;
  std::optional<LinkRow> link;
  PerSide<std::optional<Action>> op;
  PerSide<std::optional<Fields>> pair;  // a side's pair form, when planning already had it
  PerSide<std::string> op_text;         // each op's data, serialised once (journal, mirror)
  std::vector<std::string> manual_fields;
  bool drop_link = false;               // forget the pair (both deleted, or filtered out)
  PerSide<bool> forget;                 // drop this side's mirror row
  PerSide<std::string> quarantine_side_id;  // the source record a failure is charged to
  PerSide<int64_t> resumed_journal;         // the interrupted run's intent this op sends again
  // A kept create's resend whose source was edited since the first try: the
  // pair form that try sent, the source's base once the resend is answered
  // ok, the source left dirty (in the same commit: journal.cpp)
  PerSide<std::string> resend_base;
  // A resend's sent_at (RFC 3339 UTC), told to its connector: when the
  // latest try that may have made the record was sent (a kept create's
  // time, an interrupted run's intent's: the later)
  PerSide<std::string> sent_at;
  // A resend's first_sent_at: when the first try that may have made the
  // record was sent (the kept create's, an interrupted run's intent's: the
  // earlier; "": not known)
  PerSide<std::string> first_sent_at;
  bool unlisted = false;  // a run's write its report counts, not lists: its ops keep their left_behind
  PerSide<size_t> shown{SIZE_MAX, SIZE_MAX};  // where the report lists its op to each side (SIZE_MAX: nowhere)
  bool has_ops() const { return op.left || op.right; }
};

// How one write ended, as the connector answered it.
enum class WriteResult {
  kOk,
  kFailed,
  kVersionConflict,  // the record changed since it was read: not the record's fault, the next run re-reads it
  // A create not sent: its source answered the fetch of its lazy fields
  // without the record (renamed or deleted since it was read). Neither
  // failed nor quarantined; its source stays dirty, and the next run reads
  // where it went (PairReport::gone).
  kSourceGone,
};

struct Outcome {
  WriteResult result = WriteResult::kFailed;
  std::string id, version, message;
  std::string status;  // the connector's word for it (the wire's), shown to a person: ok, error, conflict, …
  int64_t retry_after_s = 0;
  std::string data;  // the record as the target now holds it, where the connector said
  bool maybe_written = false;  // a retry whose write may have reached the target (kept: later tries resend)
  bool ok() const { return result == WriteResult::kOk; }
};

// An outcome from the wire's status word.
inline WriteResult write_result(bool ok, std::string_view status) {
  return ok ? WriteResult::kOk : status == "conflict" ? WriteResult::kVersionConflict : WriteResult::kFailed;
}

// "1 record", "2 records": the notes and refusals a person reads.
inline std::string count_of(size_t n, std::string_view one, std::string_view many = {}) {
  return std::to_string(n) + " " +
         std::string(n == 1 ? one : many.empty() ? std::string(one) + "s" : std::string(many));
}

}  // namespace accord
