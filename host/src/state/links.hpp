// SPDX-License-Identifier: Apache-2.0
// One pair's links: which left record is which right record, with each
// side's base where it differs from the mirror. Found from either side
// (links by left id, link_rights by right id); a record is linked once.
// A base is written out (LinkRow::base_left, an undecided conflict's) or
// kept by reference (LinkRow::kept_left, a change's: link_bases holds the
// record_data row the mirror row had), else it is the mirror row's own.
//
// A view: cheap to copy, valid while its store lives; thread safety is that
// of its store (one thread).
#pragma once

#include "state/record_data.hpp"
#include "state/rows.hpp"

#include <accord/sql/sqlite_db.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace accord {

class Links {
 public:
  Links(sql::Db& db, RecordData& data, std::string pair) : db_(&db), data_(&data), pair_(std::move(pair)) {}

  std::optional<LinkRow> find(Side side, const std::string& id);  // the link of that side's record
  // Links the two records as the row says (the links either had go first),
  // kept bases too: the link holds the data rows it keeps and lets go of
  // those it no longer keeps (a link written with no kept base, once its
  // pair is in accord again, lets go of its old ones).
  // fresh: the caller knows of no link of either record (a create's): the
  // rows go in first, and only where one was there after all (nothing of
  // it kept) is the old link read and dropped as without it.
  void put(const LinkRow& link, bool fresh = false);
  // A change is about to overwrite the mirror row of side s whose data row
  // is data_id, and the link (as find read it) has no base of that side
  // apart from that row: the link keeps data_id as its base, holding it, or
  // taking over the caller's reference (take_over: the mirror row's, which
  // MirrorSide::put is then told not to release; no page of the data row
  // is written). Answers whether it did (false: a base of that side was
  // already there, and nothing was taken over).
  bool keep(const LinkRow& link, Side s, int64_t data_id, bool take_over = false);
  // The same for the link of side s's record `id`, not read before: its
  // ids and written-out bases only, and a kept base of that side found by
  // the insert that would add one (the fold's change of a linked record:
  // three statements and the kept bases' two data rows fewer than find and
  // keep). False too where the record has no link.
  bool keep_of(Side s, const std::string& id, int64_t data_id, bool take_over = false);
  // The record old_id of side s is new_id now (a store renumbered it: a
  // folder renamed on an IMAP server): its link follows it in place, kept
  // bases and all (the keys of its rows change; no data row is held or let
  // go, and the link is not dropped and written again). A link new_id had
  // goes first, with what it kept: a record is linked once (as put). Answers
  // the link as it stands now, its kept bases' ids without their data;
  // nullopt: old_id had none.
  std::optional<LinkRow> rekey(Side s, const std::string& old_id, const std::string& new_id);
  // New links with implicit bases, in left-id order, for records not linked
  // yet (a first sync).
  void add(const std::vector<std::pair<std::string_view, std::string_view>>& links);
  void drop(const std::string& left_id);  // with the bases it kept
  int64_t count();
  bool any();  // cheap

 private:
  // The kept base of side s of the link of left_id goes from `from` to `to`
  // (data row ids, 0: none), holding `to` unless its reference is taken over.
  void set_kept(const std::string& left_id, Side s, int64_t from, int64_t to, bool take_over = false);
  // put's link where neither record has one (false: one had, nothing written)
  bool put_fresh(const LinkRow& link);
  sql::Db* db_;
  RecordData* data_;
  std::string pair_;
};

}  // namespace accord
