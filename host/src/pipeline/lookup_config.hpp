// SPDX-License-Identifier: Apache-2.0
// The lookup parts of a pipeline's stream pair: `lookup` (streams of either
// side the pair's rules query, mirrored by the engine, never written) and
// `email_crm` (the rules of a mailbox ⇄ CRM pair, docs/email-crm.md), read
// and checked once. Every message names the file, the JSON pointer and the
// expected form, as the rest of the pipeline's do.
#pragma once

#include "pipeline/pipeline.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace accord {

class Manifest;

namespace email_crm {

enum class MatchMultiple { kAll, kOldest };              // several contacts share an address
enum class ThreadStart { kAny, kCrm };                   // which threads are logged
enum class Unknown { kNever, kCaptureOnly, kAlways };    // unknown recipients of sent mail
enum class Oversize { kSkipMessage, kDropAttachment };   // an attachment outside the rule

struct Settings {
  bool connected = true;                                 // false: nothing syncs, nothing is deleted
  Side crm = Side::kRight;                               // the side of the CRM's message stream
  std::vector<std::string> mailbox;                      // the mailbox's own addresses, lower case
  std::vector<std::string> participants{"from", "to", "cc"};
  MatchMultiple match_multiple = MatchMultiple::kAll;
  ThreadStart thread_start = ThreadStart::kAny;
  std::string capture_address;                           // lower case; "" none
  Unknown unknown_recipients = Unknown::kCaptureOnly;
  bool exclude_crm_users = true;
  std::vector<std::string> exclude_addresses;            // lower case, '*' any run of characters
  std::vector<std::string> exclude_domains;              // lower case; a domain and its subdomains
  int64_t max_bytes = 0;                                 // 0: no limit
  std::vector<std::string> types;                        // file extensions, lower case, no dot; empty: any
  Oversize oversize = Oversize::kSkipMessage;
  int64_t since_seconds = 0;                             // 0: any age
  std::string pointer;                                   // "/streams/0/email_crm", for messages
  // "provider": Accord as HighLevel's Email conversation provider, its
  // settings as written (engine/email_crm_provider_config.hpp; checked on
  // load, secrets read by the daemon that serves it); nullopt: none
  std::optional<boost::json::object> provider;
};

}  // namespace email_crm

// Collects a pipeline's problems, one line each ("file: /pointer: message").
using ConfigError = std::function<void(const std::string& pointer, const std::string& message)>;

// Reads the pair `s` (at sp.pointer)'s "lookup" and "email_crm" into sp.
// `manifest(side)` answers that side's connector manifest (nullptr: unknown).
void read_lookup_config(const boost::json::object& s, StreamPair& sp,
                        const std::function<const Manifest*(Side)>& manifest, const ConfigError& error);

// An ISO 8601 duration of days, hours, minutes or seconds ("P30D", "PT12H",
// "P1DT2H") in seconds; -1 when it is not one.
int64_t iso_duration_seconds(std::string_view text);

}  // namespace accord
