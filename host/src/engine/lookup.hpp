// SPDX-License-Identifier: Apache-2.0
// Lookup streams: streams of either side that a stream pair names in its
// `lookup` (docs/email-crm.md) so that its rules may ask what they hold (is
// this address a contact, a user, which contacts). The engine reads each one
// incrementally with its own cursor and mirrors it in the state under a pair
// of its own (lookup_pair_name), like any stream, and never writes to it.
//
// LookupIndex is the in-memory answer to the rules' questions, built from
// each mirrored record's LookupEntry (pure). refresh_lookups does the
// reading (the engine's part); it runs on the pair's thread before the pair
// reads.
#pragma once

#include "pipeline/pipeline.hpp"

#include <accord/status/result.hpp>

#include <boost/json/object.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace accord {

class StateStore;

// The state's pair a lookup stream is mirrored under ("<pair>#lookup:<side>:<stream>").
std::string lookup_pair_name(const std::string& pair, const LookupStream& l);

// The lower-cased addresses a record holds: /email, /emails (an array or a
// JSContact object) /*/address or /*/email or a string.
std::vector<std::string> record_addresses(const boost::json::object& record);

// A message's thread keys ("id:" + its own Message-ID, those it answers or
// refers to; "thread:" + its store's thread id).
std::vector<std::string> thread_keys(const boost::json::object& message);

// What the rules need of one lookup record, small enough to keep in its
// mirror row's keys (so a run rebuilds its index without reading or
// parsing the records): when the CRM made it, its addresses; for a
// "messages" lookup, its thread keys and the contacts it is logged on.
struct LookupEntry {
  std::string created;
  std::vector<std::string> addresses, threads, contacts;
  static LookupEntry of(const boost::json::object& record, const std::string& modified);
  std::string encode() const;
  // nullopt: not an entry's text (a row an older Accord wrote): read its data.
  static std::optional<LookupEntry> decode(std::string_view keys);
};

class LookupIndex {
 public:
  struct Contact {
    std::string id;
    std::string created;  // when the CRM made it (the record's /created or /modified), for "oldest"
  };
  // Adds a record of the lookup stream that has the role `as` ("contacts",
  // "users", or any other name a rule asks for). A record added twice is
  // kept once, as first added.
  void add(const std::string& as, const std::string& id, const boost::json::object& record,
           const std::string& modified = {});
  void add(const std::string& as, const std::string& id, const LookupEntry& e);
  // Once every record is added: sorts each address's records once (many
  // contacts may share one address, info@ or a shared inbox: adding stays
  // O(1) a record, not O(k)). find() answers the same before, sorting each
  // answer itself.
  void finish();
  // The records of `as` holding this address (lower case), oldest first.
  std::vector<Contact> find(const std::string& as, std::string_view email) const;
  bool has(const std::string& as, std::string_view email) const { return list(as, email) != nullptr; }
  size_t size(const std::string& as) const;

 private:
  const std::vector<Contact>* list(const std::string& as, std::string_view email) const;
  std::map<std::string, std::map<std::string, std::vector<Contact>, std::less<>>> by_role_;
  bool finished_ = true;  // every list sorted and each record in it once
};

// Each live record of a lookup stream, as refresh_lookups finds it.
using LookupVisitor = std::function<void(const LookupStream& l, const std::string& id, const LookupEntry& entry)>;

// One batch of a side's stream from a cursor (the side's connector's
// read_changes; its answer is read before the next call).
using LookupReader = std::function<Result<std::string_view>(Side, const std::string& stream, const std::string& cursor)>;

// Reads each lookup stream of the pair from its cursor into the state (a full
// listing drops what it no longer lists), then hands `visit` every record the
// state holds of it. No transaction is held while a connector is read (the
// run's other pairs write meanwhile): each batch is written in a short one
// of its own, the cursor (and a full listing's drops) last. A plan (`keep`
// false) writes nothing: what it read is laid over the state in memory.
// A stream whose cursor expired (ACCORD_CURSOR_EXPIRED) is listed again in
// full, once, as the main read does. Throws Failure on a read error.
//
// `cancel` set (RunOptions::cancel: SIGTERM to the daemon) stops it before
// the next batch is read, so a CRM paged at its rate limit does not outlast
// a service manager's stop timeout: false, nothing visited. What it kept is
// whole batches; an incremental read's cursor moves with each batch (the
// next run reads on from there), a full listing's only at its end (its
// drops need every id it lists: the next run lists again, the rows already
// kept put again, none twice). True when every stream was read to its end.
bool refresh_lookups(StateStore& store, const StreamPair& sp, const LookupReader& read, bool keep,
                     const LookupVisitor& visit, const std::atomic<bool>* cancel = nullptr);

}  // namespace accord
