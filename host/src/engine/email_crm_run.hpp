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

#include <cstdint>
#include <functional>
#include <string>

namespace accord {

class Instance;
class StateStore;

class PairLookups {
 public:
  // Reads the pair's lookup streams (kept in the state when `keep`) and
  // makes the indexes its rules ask. The CRM's own messages, when a lookup
  // has the role "messages", anchor the threads already logged.
  PairLookups(StateStore& store, const StreamPair& sp, const std::function<Instance&(Side)>& instance, bool keep,
              int64_t now);

  // Whether a record read on side `s` takes part in the pair; annotates
  // it (email_crm::annotate) for the CRM, or with the rule that left it out.
  // A pair without email_crm rules takes every record as it is.
  bool admit(Side s, boost::json::object& record);

  const LookupIndex& index() const { return index_; }

  // What `plan --explain` says of a record the rules left out (its
  // "emailCrm" annotation, in its data as mirrored); "" for any other.
  static std::string why_left_out(const std::string& data);

 private:
  const StreamPair& sp_;
  LookupIndex index_;
  email_crm::ThreadIndex threads_;  // the mailbox side's reader's
  int64_t now_;
};

}  // namespace accord
