// SPDX-License-Identifier: Apache-2.0
// Which canonical fields cannot travel between the two sides of a stream
// pair, from what each side's manifest says it keeps, grouped for a person
// (one line a group, each field once). Fields are JSON pointers compared
// by their segments: a side that keeps /emails keeps /emails/e1/address; a
// side that keeps only /emails/e1/address keeps /emails in part. "*" stands
// for any one segment. Pure: no I/O.
#pragma once

#include <string>
#include <vector>

namespace accord {

struct TravelSide {
  std::string name;                 // "the left side (local)"
  std::vector<std::string> fields;  // as the manifest lists them; empty: keeps any field
};

// Lines such as
//   kept by the left side (local), not by the right (crm-rest): /uid, /kind
//   kept by the left side (local), by the right (crm-rest) only in part:
//     /emails (only /emails/e1/address)
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

}  // namespace accord
