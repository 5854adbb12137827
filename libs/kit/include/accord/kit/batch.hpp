// SPDX-License-Identifier: Apache-2.0
// accord/kit/batch.hpp — what read_changes answers, written out: the one
// serialiser of the batch shape (sdk/schema/batch.schema.json), so that a
// connector sets "more", "full" and "total" by name instead of by hand.
//
// Part of the connector kit (C++17, optional). Thread safety: a value type.
#ifndef ACCORD_KIT_BATCH_HPP
#define ACCORD_KIT_BATCH_HPP

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace accord::kit {

struct Batch {
  // The records, each {"id", "version", "modified", "deleted", "data", …}
  // (sdk/schema/record.schema.json), oldest change first.
  boost::json::array records;
  std::string cursor;  // where the next call goes on; opaque to the host
  bool more = false;   // call again with this cursor for the rest of this read
  bool full = false;   // on a listing's first batch: it holds every live record
  // How many records this read lists in all (this batch's and those before
  // it in the read included), where it is known cheaply: a folder's file
  // count, IMAP's EXISTS, a list API's total. The host draws its reading
  // bar from it and never relies on it; leave it empty when unknown.
  std::optional<uint64_t> total;

  // Sets total only when n says something (a list API's -1 for unknown).
  Batch& with_total(int64_t n) {
    if (n >= 0) total = static_cast<uint64_t>(n);
    return *this;
  }
  // The batch's JSON: "full" and "total" left out when not said.
  boost::json::object to_json() const;
  std::string serialize() const { return boost::json::serialize(to_json()); }
};

}  // namespace accord::kit

#endif
