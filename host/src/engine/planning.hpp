// SPDX-License-Identifier: Apache-2.0
// Planning: what to write for a pair of records. Pure: the records' mirror
// rows, their link and bases, the decisions taken on their conflicts and the
// pipeline's settings in, typed actions and a verdict on the pair out. The
// caller (plan_run.cpp) reads the state and writes the verdict into it; this
// file never touches either.
#pragma once

#include "engine/engine_types.hpp"
#include "engine/three_way_merge.hpp"
#include "mapping/field_map.hpp"
#include "mapping/field_travel.hpp"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace accord {

// What becomes of a pair of records.
enum class PairVerdict {
  kWrite,   // `item` (and keep-both's `copy`) go to the applier
  kSettle,  // nothing to write: link it as it stands (bases: `forms`, or kept for undecided fields)
  kUnlink,  // stop syncing it: the link goes, live rows are clean, gone rows forgotten
  kPark,    // a record out of its side's filter: nothing written, rows clean, the link and its bases stay
  kForget,  // deleted on both sides: the link and both rows go
};

struct PairPlan {
  PairVerdict verdict = PairVerdict::kWrite;
  Item item;
  std::optional<Item> copy;             // keep-both: the loser's version, as a new pair
  PerSide<Fields> forms;                // each side's pair form (kSettle's bases)
  bool merged = false;                  // the merge ran: its conflicts are settled in the state
  PerSide<std::string> ids;             // the linked records' ids, as they were merged
  std::string label;                    // the pair's name in conflicts and notes
  std::vector<FieldConflict> conflicts; // every conflict; those without a winner wait for a person
  std::vector<std::string> notes;
};

class Planner {
 public:
  // kept: the fields each side keeps (its instance's, else its manifest's).
  Planner(std::string pipeline, const StreamPair& sp, const FieldMap& fm, PerSide<std::vector<std::string>> kept)
      : pipeline_(std::move(pipeline)),
        sp_(sp),
        fm_(fm),
        kept_{KeptFields(std::move(kept.left)), KeptFields(std::move(kept.right))} {}

  // A linked pair, one of whose records changed (or went): `it` holds the
  // link and both rows as they stand (a missing row: never read, or gone).
  PairPlan plan_linked(Item it, const std::map<std::string, Side>& decided) const;
  // Two records matched for the first time: merged with no base.
  PairPlan plan_first_match(MirrorRow left, MirrorRow right) const;
  // A copy on `target` of a record of the other side.
  Item plan_create(Side target, const MirrorRow& src) const;

  Action make_op(Side target, OpKind kind, const std::string& id, const std::string& source_id,
                 boost::json::object data, const std::string& expect_version, Changes changes) const;
  // A right-side write's changes named and valued as the right side holds
  // them (its rule's right path, the value after the rule's transform), not
  // by the pair form's keys, which are the left side's paths.
  void in_right_terms(Action& op) const;

  // The key a copy of record `id` of side `s` carries: equal to a record's
  // stored key, it says that record was copied from this one.
  std::string self_key(Side s, std::string_view id) const;
  // The key keep-both's two copies of the right's record `right_id` are both
  // created with (one toward each side; neither is a copy of its source):
  // one per conflict, `kept` naming the version of it they keep (its
  // version and data). Its first 64 bits are the record's alone, its last 64
  // the version's: a second conflict of one record makes new copies, never
  // the first's again (an idempotent store answers a key it knows with the
  // record it made: the right's second version was kept nowhere, review s11
  // F4), and recovery knows a copy by its key and source id alone.
  std::string keep_both_key(std::string_view right_id, std::string_view kept) const;
  // Whether `key` is keep-both's for a copy of the right's record
  // `right_id` (of any of its conflicts; keys before F4's fix too).
  bool is_keep_both_key(std::string_view key, std::string_view right_id) const;
  // The idempotency key a record's keys carry ("" where it has none).
  std::string_view stored_key(std::string_view keys) const;

  Fields pair_of(Side s, const MirrorRow& r) const;
  // The pair form of a record's data (its text), as FieldMap::to_pair of it parsed.
  Fields pair_of_text(Side s, std::string_view data) const;
  // A link's base for one side: written out, or the pair form of the row.
  Fields base_of(const LinkRow& link, Side s, const std::optional<MirrorRow>& row) const;
  // A new record for `target` holding every field of `source`'s pair form.
  boost::json::object created_from(Side target, const Fields& source) const;
  boost::json::object was_of(Side target, const boost::json::object& before, const boost::json::object& after,
                             const Fields* source) const;
  // Writes `ch` into `data` and returns the changes that altered it, as the
  // side itself sees them (a transform may make a change a no-op there).
  Changes write_changes(Side t, boost::json::object& data, const Changes& ch) const;
  // The same where data's pair form is known already (`before`: not worked out again).
  Changes write_changes(Side t, boost::json::object& data, const Changes& ch, const Fields& before) const;
  // The merge's input for a pair as planning sees it.
  MergeInput merge_input(const PerSide<Fields>& bases, const PerSide<const Fields*>& now,
                         const PerSide<std::optional<MirrorRow>>& rows, Policy policy,
                         const std::map<std::string, Side>* decided) const;
  MergeInput merge_input(const PerSide<const Fields*>& bases, const PerSide<const Fields*>& now,
                         const PerSide<std::optional<MirrorRow>>& rows, Policy policy,
                         const std::map<std::string, Side>* decided) const;
  // was_of where a field is a top-level member (a pair with no rules): the
  // record after the write (`after`), what the write changed there (as
  // write_changes answered it) and the members it removed, with their
  // places before it, stand for the record before it (no copy of it).
  boost::json::object was_of_members(const boost::json::object& after, const Changes& effective,
                                     const std::vector<std::pair<size_t, const std::string*>>& removed,
                                     const Fields* source) const;

 private:
  std::string pipeline_;
  const StreamPair& sp_;
  const FieldMap& fm_;
  PerSide<KeptFields> kept_;
};

// The link a pair ends with: implicit bases (the rows as they stand), or,
// with undecided fields, bases written out that keep those fields' old values.
LinkRow link_for(const Item& it, Fields bl, Fields br);

}  // namespace accord
