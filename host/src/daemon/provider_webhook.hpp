// SPDX-License-Identifier: Apache-2.0
// The Delivery URL of Accord as HighLevel's Email conversation provider
// (engine/email_crm_outbound.hpp): POCO's HTTP server on a configured
// address (127.0.0.1 unless another is given: HighLevel reaches it through
// the user's HTTPS reverse proxy), one route:
//   POST /highlevel/outbound   the "Conversation Provider - Outbound Message"
//                              delivery; X-GHL-Signature verified over the raw
//                              body before anything else (401 and a log line
//                              when missing or wrong); at most 32 MiB.
// No token: HighLevel cannot send one; the signature is the check. Every
// 5 minutes (and at start, by the caller) what is unfinished in the journal
// is finished: a status HighLevel did not take, a Sent copy not yet filed.
//
// Thread safety: requests on POCO's threads; Outbound serialises them.
#pragma once

#include "engine/email_crm_outbound.hpp"

#include <accord/status/result.hpp>

#include <memory>
#include <string>

namespace accord::daemon {

class ProviderWebhook {
 public:
  // spec: "PORT" (127.0.0.1) or "HOST:PORT" (0: the system picks).
  static Result<std::unique_ptr<ProviderWebhook>> start(const std::string& spec, std::shared_ptr<email_crm::Outbound> out);
  ~ProviderWebhook();
  uint16_t port() const;
  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace accord::daemon
