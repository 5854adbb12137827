// SPDX-License-Identifier: Apache-2.0
// A connector's manifest, parsed and checked. Built only from the static JSON
// the plugin returns; never from user input.
#pragma once

#include <accord/status/result.hpp>

#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace accord {

struct StreamInfo {
  std::string name;
  std::string canonical;            // "jscontact", "jscalendar-event", … or "custom"
  std::vector<std::string> fields;  // JSON pointers of the canonical fields kept
  std::vector<std::string> capabilities;  // empty: the connector's
  // Fields never in a listing, only in what fetch answers (a message's raw
  // body): the host fetches them for the records it copies, when it copies.
  std::vector<std::string> lazy;
  // A JSON pointer to how many bytes a record's lazy fields carry (a
  // message's "/size"): the host keeps each fetch to a bounded size by it.
  std::string lazy_size;
  // JSON pointers that together pick out one record of this stream across a
  // renumbering (a message: Message-ID, size, arrival time): a deleted record
  // marked "renumbered" is the same record as a new one with equal values.
  std::vector<std::string> identity;
  // Fields (among `fields`) the connector reads but never writes: the
  // service sets them (Google's primary address as JSContact pref). A
  // change the other side makes to one stays behind, and is said so.
  std::vector<std::string> read_only;
  // Fields (among `fields`) that say where a record sits, not what it holds
  // (a message's folders, "/mailboxIds"): an update of only these is a move
  // (not counted by max_update_share; a run of them into one place is applied
  // in one call, so a renamed folder can be one rename).
  std::vector<std::string> placement;
};

struct Manifest {
  std::string id;
  std::string name;
  std::string version;
  std::string description;
  std::vector<StreamInfo> streams;
  bool custom_streams = false;  // config may name streams beyond `streams`
  boost::json::value config_schema;
  // The configuration properties whose values together name the store an
  // instance works on (a folder's path, a server and account): the state
  // remembers them and refuses another store, and a pipeline may not name
  // one store on both sides.
  std::vector<std::string> store_identity;
  boost::json::value raw;

  const StreamInfo* stream(const std::string& name) const;
};

// Parses and checks manifest_json; the message names the missing or bad key.
Result<Manifest> parse_manifest(const char* manifest_json);

// Capability bits as names ("read", "write", …), in bit order.
std::vector<std::string> capability_names(uint64_t caps);

}  // namespace accord
