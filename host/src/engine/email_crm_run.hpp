// SPDX-License-Identifier: Apache-2.0
// A stream pair's lookups and email_crm rules during one run: what the
// pair's readers consult (engine/lookup.hpp, engine/email_crm.hpp). Built on
// the pair's thread before the sides are read; then each reader thread
// calls admit() for its own side's records only (the mailbox side's reader
// alone adds to the threads), so no lock is needed.
#pragma once

#include "engine/email_crm.hpp"
#include "engine/lookup.hpp"

#include <boost/json/object.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace accord {

class Instance;
class StateStore;

class PairLookups {
 public:
  // Reads the pair's lookup streams (kept in the state when `keep`) and
  // makes the indexes its rules ask. The CRM's own messages, when a lookup
  // has the role "messages", anchor the threads already logged.
  // Each side's lookup streams are read through an instance of their own
  // (`open`, throwing Failure), never the pair's: a connector may keep a
  // stream's listing state in its instance.
  // `cancel` set stops the reading between batches (refresh_lookups):
  // stopped() then, and the pair stops too.
  PairLookups(StateStore& store, const StreamPair& sp, const std::function<Instance(Side)>& open, bool keep,
              int64_t now, const std::atomic<bool>* cancel = nullptr);
  // The same, reading through `read` (tests give the batches).
  PairLookups(StateStore& store, const StreamPair& sp, const LookupReader& read, bool keep, int64_t now,
              const std::atomic<bool>* cancel = nullptr);
  bool stopped() const { return stopped_; }

  // Whether a record read on side `s` takes part in the pair; annotates
  // it (email_crm::annotate) for the CRM, or with the rule that left it out.
  // A pair without email_crm rules takes every record as it is.
  bool admit(Side s, const std::string& id, boost::json::object& record);

  // What this read found unresolved (sent to an unknown recipient without
  // the capture address) into the state's "<pair>#unresolved" list, and
  // out of it what it read again and settled, and what the mailbox no
  // longer holds (deleted, or left out of a full listing: gone from the
  // pair's mirror, folded by now); on the pair's thread, in the plan's
  // transaction. `accord status` lists them (unresolved()).
  void keep_unresolved(StateStore& store) const;
  struct Unresolved {
    std::string id, why;
  };
  static std::vector<Unresolved> unresolved(StateStore& store, const StreamPair& sp);

  const LookupIndex& index() const { return index_; }
  // How many read ids it holds until the plan (only those on the list).
  size_t settled_held() const { return settled_.size(); }

  // What `plan --explain` says of a record the rules left out (its
  // "emailCrm" annotation, in its data as mirrored); "" for any other.
  static std::string why_left_out(const std::string& data);

 private:
  const StreamPair& sp_;
  LookupIndex index_;
  email_crm::ThreadIndex threads_;  // the mailbox side's reader's
  std::vector<Unresolved> unresolved_;  // (the mailbox side's reader's too)
  std::set<std::string> listed_;         // the list as the run began (small: what awaits a person)
  std::vector<std::string> settled_;    // of those, read again and no longer unresolved
  int64_t now_;
  bool stopped_ = false;
};

}  // namespace accord
