// SPDX-License-Identifier: Apache-2.0
// A first sync's load of one pair: each side goes straight into the state,
// with no staging table and no second copy. data() appends a batch of
// records' data as it is read and answers their rows' ids (data equal byte
// for byte to data this load appended before, in this batch or an earlier
// one, share its row); once a side is read, drop_superseded() keeps only the
// later copy of an id read twice in `refs` (which keep the order read) and
// answers their positions in id order; rows() then adds the side's clean
// mirror rows in that order, in one statement, and touches no field of refs
// but version and modified (which it empties without moving a byte of the
// ref's texts: matching reads their ids and keys meanwhile, from another
// thread); done() forgets what data()
// remembered. The links go in through Links::add.
//
// A view: cheap to copy, valid while its store lives; what data() remembers
// lives in the store. Thread safety is that of its store (one thread).
#pragma once

#include "state/record_data.hpp"
#include "state/rows.hpp"

#include <accord/sql/sqlite_db.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace accord {

class BulkLoad {
 public:
  BulkLoad(sql::Db& db, RecordData& data, std::string pair) : db_(&db), data_(&data), pair_(std::move(pair)) {}
  std::vector<int64_t> data(const std::vector<std::string_view>& data) { return data_->load(data); }
  std::vector<uint32_t> drop_superseded(std::vector<MirrorRef>& refs);
  // Data the load will not use after all (a superseded copy, a listing that
  // started over); a load shares nothing loaded before it.
  void release(int64_t data_id) { data_->release(data_id); }
  void rows(Side side, std::vector<MirrorRef>& refs, const std::vector<uint32_t>& order);
  void done() { data_->forget_loaded(); }

 private:
  sql::Db* db_;
  RecordData* data_;
  std::string pair_;
};

}  // namespace accord
