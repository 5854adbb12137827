// SPDX-License-Identifier: Apache-2.0
// Which canonical fields cannot travel between the two sides of a stream
// pair, from what each side's manifest says it keeps, grouped for a person
// (one line a group, each field once). Fields are JSON pointers compared
// by their segments: a side that keeps /emails keeps /emails/e1/address; a
// side that keeps only /emails/e1/address keeps /emails in part. "*" stands
// for any one segment. Pure: no I/O.
#pragma once

#include "pipeline/pipeline.hpp"

#include <boost/json/value.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace accord {

struct TravelSide {
  std::string name;                 // "the left side (local)"
  std::vector<std::string> fields;  // as the manifest lists them; empty: keeps any field
  std::vector<std::string> read_only = {};  // those of `fields` it reads but never writes
};

// Lines such as
//   kept by the left side (local), not by the right (crm-rest): /uid, /kind
//   kept by the left side (local), by the right (crm-rest) only in part:
//     /emails (only /emails/e1/address)
//   read only on the right side (google-api): /emails/*/pref: what the left
//   side changes there stays behind
// none when everything travels.
std::vector<std::string> untravelled_fields(const TravelSide& left, const TravelSide& right);

// With mapping rules: the left fields no rule reads (`read` holds the rules'
// left pointers), as one line.
std::vector<std::string> unmapped_fields(const std::vector<std::string>& left_fields,
                                         const std::vector<std::string>& read);

// A stream pair's lines: with no mapping rules (`identity`), what each side
// keeps that the other does not; with rules, the left fields none reads.
std::vector<std::string> pair_untravelled(bool identity, const TravelSide& left, const TravelSide& right,
                                          const std::vector<std::string>& rules_read);

// `fields` less those of `read_only` (what a write to that side keeps).
// A side that writes none of its fields keeps kKeepsNone, a path no record
// holds: left_behind then names every field (an empty list would mean a
// side that keeps any field).
inline constexpr std::string_view kKeepsNone = "/\x1f(none)";
std::vector<std::string> writable_fields(const std::vector<std::string>& fields, const std::vector<std::string>& read_only);

// `a` is `b` or one of its ancestors, segment by segment, "*" matching any
// one segment on either side (/emails covers /emails/e1/address; /emails/*
// covers /emails/e1).
bool covers(std::string_view a, std::string_view b);

// One record's part of it: the paths of `data` (under `prefix`, a pointer)
// holding a value that a side keeping `kept` does not keep, each at the
// shallowest level it is lost (/media; /emails/e1/label where the side
// keeps /emails/*/address), in the record's order. None when `kept` is
// empty (a side that keeps any field). Null values are not counted.
std::vector<std::string> left_behind(const boost::json::value& data, const std::vector<std::string>& kept,
                                     const std::string& prefix = "");

// `kept` made ready for left_behind a whole record at a time: a top-level
// member's verdict (kept whole, kept in part: look deeper, or lost) found
// by its name among the kept fields' first segments, not by `covers` over
// every kept field (issue 22: a first pull's planning spent 38 k
// instructions a message there). Immutable once made.
class KeptFields {
 public:
  KeptFields() = default;
  explicit KeptFields(std::vector<std::string> kept);
  const std::vector<std::string>& list() const { return list_; }
  // left_behind(data, list()): the same paths in the same order.
  std::vector<std::string> left_behind(const boost::json::value& data) const;

 private:
  struct Under {
    bool whole = false;   // a kept field is this segment alone ("/name")
    bool deeper = false;  // a kept field lies below it ("/emails/*/address")
  };
  std::vector<std::string> list_;
  bool all_ = false;      // a kept field with no segment ("", "/") covers every path
  Under star_;            // kept fields whose first segment is "*"
  std::map<std::string, Under, std::less<>> first_;  // the others, by their first segment
};

// What a store's converter could not carry of one record it was sent: the
// paths of `sent` holding a value (not null) that `held`, the record as the
// store answered it after the write, lacks, each at the shallowest level
// (/alerts/a1/relativeTo where the alert itself is there). A value the
// store changed is not counted (its own form), only what it dropped;
// '@' members, a Card's version, a value its absence means (relativeTo
// "start", showWithoutTime false: RFC 8984, RFC 9553) and the paths under
// `ignore` (lazy fields, which listings leave out) aside.
std::vector<std::string> dropped(const boost::json::value& sent, const boost::json::value& held,
                                 const std::vector<std::string>& ignore = {});

// A mapped pair's `lost` (paths of the record written to `target`, as
// dropped() gives them) said by the fields the pair's rules read on the
// other side, where a rule writes that path or a field holding it (the
// mapping says where the field went); a path no rule writes as it is.
std::vector<std::string> dropped_by_rule(const std::vector<std::string>& lost, const std::vector<Rule>& rules,
                                         Side target);

}  // namespace accord
