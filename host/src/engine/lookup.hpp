// SPDX-License-Identifier: Apache-2.0
// Lookup streams: streams of either side that a stream pair names in its
// `lookup` (docs/email-crm.md) so that its rules may ask what they hold (is
// this address a contact, a user, which contacts). The engine reads each one
// incrementally with its own cursor and mirrors it in the state under a pair
// of its own (lookup_pair_name), like any stream, and never writes to it.
//
// LookupIndex is the in-memory answer to the rules' questions, built from
// the mirrored records (pure). refresh_lookups does the reading (the
// engine's part); it runs on the pair's thread before the pair reads.
#pragma once

#include "pipeline/pipeline.hpp"

#include <boost/json/object.hpp>

#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace accord {

class Instance;
class StateStore;

// The state's pair a lookup stream is mirrored under ("<pair>#lookup:<side>:<stream>").
std::string lookup_pair_name(const std::string& pair, const LookupStream& l);

// The lower-cased addresses a record holds: /email, /emails (an array or a
// JSContact object) /*/address or /*/email or a string.
std::vector<std::string> record_addresses(const boost::json::object& record);

class LookupIndex {
 public:
  struct Contact {
    std::string id;
    std::string created;  // when the CRM made it (the record's /created or /modified), for "oldest"
  };
  // Adds a record of the lookup stream that has the role `as` ("contacts",
  // "users", or any other name a rule asks for).
  void add(const std::string& as, const std::string& id, const boost::json::object& record,
           const std::string& modified = {});
  // The records of `as` holding this address (lower case), oldest first.
  std::vector<Contact> find(const std::string& as, std::string_view email) const;
  bool has(const std::string& as, std::string_view email) const { return !find(as, email).empty(); }
  size_t size(const std::string& as) const;

 private:
  std::map<std::string, std::map<std::string, std::vector<Contact>, std::less<>>> by_role_;
};

// Each live record of a lookup stream, as refresh_lookups finds it.
using LookupVisitor = std::function<void(const LookupStream& l, const std::string& id,
                                         const boost::json::object& record, const std::string& modified)>;

// Reads each lookup stream of the pair from its cursor into the state (a full
// listing drops what it no longer lists), then hands `visit` every record the
// state holds of it. Written in a transaction of its own, committed only
// when `keep` (a plan keeps nothing). `instance(side)` is that side's
// connector instance. Throws Failure on a read error.
void refresh_lookups(StateStore& store, const StreamPair& sp, const std::function<Instance&(Side)>& instance, bool keep,
                     const LookupVisitor& visit);

}  // namespace accord
