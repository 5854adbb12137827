// SPDX-License-Identifier: Apache-2.0
// One pair's links: which left record is which right record, with each
// side's base where it differs from the mirror. Found from either side
// (links by left id, link_rights by right id); a record is linked once.
//
// A view: cheap to copy, valid while its store lives; thread safety is that
// of its store (one thread).
#pragma once

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
  Links(sql::Db& db, std::string pair) : db_(&db), pair_(std::move(pair)) {}

  std::optional<LinkRow> find(Side side, const std::string& id);  // the link of that side's record
  // Links the two records (the links either had go first).
  void put(const LinkRow& link);
  // New links with implicit bases, in left-id order, for records not linked
  // yet (a first sync).
  void add(const std::vector<std::pair<std::string_view, std::string_view>>& links);
  void drop(const std::string& left_id);
  int64_t count();
  bool any();  // cheap

 private:
  sql::Db* db_;
  std::string pair_;
};

}  // namespace accord
