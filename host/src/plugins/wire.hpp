// SPDX-License-Identifier: Apache-2.0
// The connector wire, read into types once, in one place: a read_changes
// batch, a fetch answer, apply results (the JSON shapes of
// sdk/include/accord/connector.h). Nothing else in the host looks into a
// plugin's JSON.
//
// A record is read whole or not at all. One the host cannot read (not JSON
// inside, invalid UTF-8, a field of the wrong type, no id) becomes a Problem
// that says where (a JSON pointer into the answer) and why; the other records
// of the answer are read as if it were not there. Only an answer whose frame
// cannot be read (not JSON at all, not an object, no records array, no
// cursor) is an error as a whole. Wrong input never throws out of here and
// never reaches undefined behaviour (the libFuzzer target
// host/fuzz/wire_fuzz.cpp holds it to that).
//
// Thread safety: pure functions; call them from any thread.
// Compiles as C++20 (the fuzzer's clang) as well as C++23.
#pragma once

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace accord::wire {

// Deeper than this, an answer (a record, a result) is not read. Boost.JSON's
// default depth, which every reader of a stored record's data uses (the
// engine's planning, folding, undo, the CLI): an answer read deeper would put
// data in the state that the next step cannot parse back. In effect counted
// from a record's own object (docs/sdk.md): the fast path, the scanner and
// the DOM path's whole parse count from the answer's, but a record too deep
// for them sends the answer to the DOM path, which then parses each record
// alone. So a record's data nests up to 31 levels, and reads back alone.
inline constexpr std::size_t kMaxDepth = 32;

// A part of an answer the host could not read.
struct Problem {
  std::string id;       // the record's id where it has a readable one (invalid UTF-8 shown as '?'), else ""
  std::string pointer;  // where in the answer: /records/3/data/subject
  std::string reason;   // why, one line: invalid UTF-8 (byte 0xE9); "id" must be a string, not a number
  bool id_sure = false; // id is the record's own, byte for byte (not shown with '?' nor guessed)
};

struct Record {
  std::string id, version, modified, idempotency_key;
  bool deleted = false;
  bool renumbered = false;    // a deleted record whose store gave it a new id
  // A live record's data: always an object (null when deleted), in the
  // answer's storage. A value, not an object, so that code taking values
  // (match keys, field paths) reads it without a copy.
  boost::json::value data;
  // Read for a first sync (read_batch's `texts`, the fast path): the data's
  // text as json::serialize writes the object the DOM path reads, and its
  // members with a value (not null): Batch::members[members_at, +members_n).
  // `data` then holds only the members `texts` named (the rest are in the
  // text alone). Empty (data whole) where the record was read otherwise.
  std::string text;
  std::size_t members_at = 0, members_n = 0;
};

// A member of a record's data read with its text (Record::text).
struct Member {
  std::size_t key_at, key_n;  // its key (unescaped) in Batch::member_keys
  std::size_t at, n;          // its value's text in the record's text
};

// What a first sync reads of each live record (read_batch's `texts`): its
// text and top-level members (Record::text, tops), and as values only the
// members named here (and the first, where `first`): those its match keys
// start at. Any object in the data with a key twice is left to the DOM
// path (the record whole, as today).
struct Texts {
  std::vector<std::string> names;
  bool first = false;
};

struct Batch {
  std::vector<Record> records;      // the readable records, in the order sent
  std::vector<Problem> unreadable;  // the others
  std::vector<Member> members;      // of the records read with their text, in their data's order
  std::string member_keys;
  std::string cursor;
  bool more = false, full = false;
  // How many records the connector expects this read to list in all (its
  // batches from the first through the one with more:false), where it said
  // so; a progress bar's total, never a count the host relies on.
  std::optional<uint64_t> total;
  // The connector's optional "budget" object (requests left today, what
  // the read took, what writes cost), as its JSON text; "" when not said.
  // Passed on untouched: only the CLI's plan output reads it.
  std::string budget;
  // An optional field the host could not read (a negative "total"), taken
  // as absent, one line each: the batch is read all the same.
  std::vector<std::string> notes;
  // Not empty: the answer as a whole could not be read (why, without the
  // plugin's name, which the caller adds); nothing above holds.
  std::string error;
};

// A read_changes batch: {"records":[…],"cursor":"…","more":…,"full":…,"total":…}.
// Records' data is allocated from sp (an arena the caller frees at once).
// With `texts`, each live record the fast path reads comes as Record::text
// says; one it leaves to the DOM path comes whole (its text empty).
Batch read_batch(std::string_view text, boost::json::storage_ptr sp = {}, const Texts* texts = nullptr);
// A fetch answer: {"records":[…]}, no cursor.
Batch read_fetch(std::string_view text, boost::json::storage_ptr sp = {});

namespace detail {
// The two ways read_batch (need_cursor) and read_fetch read an answer, for
// the tests that hold them equal: the fast one, none where it leaves the
// answer to the other; the DOM one, which reads any answer.
std::optional<Batch> read_fast(std::string_view text, const boost::json::storage_ptr& sp, bool need_cursor,
                               const Texts* texts = nullptr);
Batch read_dom(std::string_view text, boost::json::storage_ptr sp, bool need_cursor);
// With `texts`, read_batch and read_fetch try first a scanner of records
// whose data is in json::serialize's form (plugins/wire_canonical.hpp), which
// takes each record's text as the answer's bytes: none where it leaves the
// answer to the fast path; where it reads one, what the fast path reads.
std::optional<Batch> read_canonical(std::string_view text, const boost::json::storage_ptr& sp, bool need_cursor,
                                    const Texts& texts);
}  // namespace detail

struct ApplyResult {
  std::string status;  // ok, retry, error, auth_required, conflict, unsupported, cancelled
  std::string id, version, message;
  // The record as the store now holds it (JSON object text), where the
  // connector answered it; "" where it did not.
  std::string data;
  int64_t retry_after_s = 0;
  bool maybe_written = false;  // a retry whose write may have reached the store (its answer lost)
  bool unreadable = false;  // missing or unreadable: the message is the host's, not the connector's
  bool ok() const { return status == "ok"; }
};

struct ApplyResults {
  // One per op, in order. An op the answer has no result for, or whose
  // result cannot be read, has status "error" and a message saying why.
  std::vector<ApplyResult> results;
  // What was wrong beside that (more results than ops, an optional field
  // of the wrong type, which is then taken as absent), one line each.
  std::vector<std::string> notes;
  std::string error;  // not empty: the answer is not a JSON array; nothing above holds
};

// Results for ops whose kinds are `ops` ("create", "update", "delete"): a
// create answered "ok" must name the record it made.
ApplyResults read_results(std::string_view text, const std::vector<std::string>& ops);

// The first byte of `text` that does not begin a well-formed UTF-8 sequence
// (Unicode 15, table 3-7: no overlong forms, surrogates or code points past
// U+10FFFF), or npos.
std::size_t first_invalid_utf8(std::string_view text);

}  // namespace accord::wire
