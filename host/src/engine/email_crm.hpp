// SPDX-License-Identifier: Apache-2.0
// The `email_crm` rules of a stream pair (docs/email-crm.md): which of a
// mailbox's messages are logged in a CRM, on which contact(s), and which of
// the CRM's messages go to the mailbox. Pure: it reads a message (the
// canonical `message` record, libs/mail/message.hpp), the pair's settings,
// what the lookup streams hold (engine/lookup.hpp) and the threads already
// logged, and says what to do and why. A message no rule lets through is
// never an error: the decision names the rule.
//
// Never touches the state, a connector or the clock (the caller gives `now`).
// Thread safety: pure functions; a ThreadIndex is one thread's.
#pragma once

#include "engine/lookup.hpp"
#include "pipeline/lookup_config.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace accord::email_crm {

// The threads logged so far: a message id (or "thread:" + a store's thread
// id) → the contacts its thread is logged on.
class ThreadIndex {
 public:
  // Records a message of a logged thread (every key of it: its own id, the
  // ids it answers or refers to, its store thread id).
  void add(const boost::json::object& message, const std::vector<std::string>& contact_ids);
  void add(const std::vector<std::string>& keys, const std::vector<std::string>& contact_ids);  // (thread_keys)
  // The contacts of a logged thread this message belongs to; none: no such thread.
  std::optional<std::vector<std::string>> find(const boost::json::object& message) const;
  size_t size() const { return by_key_.size(); }

 private:
  std::map<std::string, std::vector<std::string>> by_key_;
};

// One address the CRM should know as a contact before the message is logged.
struct NewContact {
  std::string email, name;
};

struct Decision {
  bool log = false;                          // the message goes to the other side
  std::string rule;                          // the rule that decided: "contact", "thread", "capture_address",
                                             // "connected", "since", "crm_sent", "exclude.crm_users", "exclude.addresses",
                                             // "exclude.domains", "thread_start", "no_contact", "attachments"
  std::string why;                           // one sentence for `plan --explain`
  bool unresolved = false;                   // sent to an unknown recipient with no capture address
  bool outbound = false;                     // sent from the mailbox
  std::vector<std::string> contact_ids;      // the contacts the message is logged on
  std::vector<NewContact> create;            // unknown recipients to create as contacts (then log on them)
  std::vector<std::string> omit_parts;       // attachments left out (their partIds)
  std::string note;                          // what was left out, for the CRM message
};

// A mailbox message: whether and how it is logged in the CRM. `now` in
// seconds since the epoch.
Decision decide_mailbox(const Settings& s, const LookupIndex& lookups, const ThreadIndex& threads,
                        const boost::json::object& message, int64_t now);

// A CRM message: whether it goes to the mailbox (connected, and not a user's).
Decision decide_crm(const Settings& s, const boost::json::object& message);

// The record as it goes to the CRM: the decision's contactIds, createContacts,
// direction, omitAttachments and crmNote added (shared.md, issue 28); an
// excluded record gets "emailCrm": {"rule", "why", "unresolved"} instead, for
// `plan --explain` and `status`.
void annotate(boost::json::object& message, const Decision& d);

// Whether a Message-ID (angles or not) is one Accord gave a mail HighLevel
// sent through it as the Email provider (accord-hl.<messageId>[.<emailMessageId>]@…,
// engine/email_crm_outbound), and HighLevel's ids: {messageId, emailMessageId}
// (the latter may be empty).
std::optional<std::pair<std::string, std::string>> parse_outbound_message_id(std::string_view id);

// Whether an address matches a pattern with '*' (any run of characters).
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace accord::email_crm
