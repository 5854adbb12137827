// SPDX-License-Identifier: Apache-2.0
// The records of a first sync's answer whose data is already in
// json::serialize's form (the local connector stores serialize's text), read
// by a scanner of its own: a record's text is then the answer's bytes as they
// are, checked canonical in place, its members and match heads noted on the
// way. wire.cpp's read_batch tries it first where it is given wire::Texts,
// and reads the frame around the records itself; anything the scanner cannot
// prove the same as the parser's reading goes to the parser's paths.
//
// Internal to plugins/wire (wire.cpp and the tests through
// wire::detail::read_canonical). C++20 (the fuzzer's clang) as well as C++23.
#pragma once

#include "plugins/wire.hpp"

#include <boost/json.hpp>

#include <cstddef>
#include <optional>
#include <string_view>

namespace accord::wire::canonical {

// Where an answer's "records" array is: [begin, end) in its text.
struct RecordsAt {
  std::size_t begin, end;
};

// The records of `text` into b.records (each live one with its text, its
// members in b.members and b.member_keys, and as values in sp only the
// members `texts` names, as the fast path gives them), and where the records
// array is; none (b as it was) where the answer is not what this reads:
//  - the answer is an object with "records" once at its top, spelled so (no
//    key at the top with an escape); its other members are skipped by their
//    brackets and strings only: the caller parses the frame (the answer with
//    its records array as []), which judges them;
//  - each record an object whose every member is one the fast path reads
//    with no complaint (an id not empty, each field of its type or null,
//    "problem" null, "data" an object or null, no field twice, a live record
//    with data), or one the host does not read whose value is canonical;
//  - each record's data, and any member's value the host does not read, in
//    json::serialize's form: no whitespace, strings valid UTF-8 with only
//    the escapes serialize writes (\" \\ \b \t \n \f \r and \u00xx in
//    lowercase hex for the other control characters), numbers as serialize
//    writes them (integers in int64 or uint64 range without leading zeros
//    or a "-0", doubles in Boost's own shortest digits), no object with a
//    key twice, nested at most 30 containers from the answer's top (the
//    parser's limit is 32).
std::optional<RecordsAt> read_records(std::string_view text, const boost::json::storage_ptr& sp, const Texts& texts,
                                      Batch& b);

}  // namespace accord::wire::canonical
