// SPDX-License-Identifier: Apache-2.0
// Mail sent from HighLevel, through the mailbox (docs/email-crm.md, "Mail
// sent from HighLevel"). Accord is the location's Email conversation
// provider: HighLevel POSTs each outbound email to the provider's Delivery
// URL ("Conversation Provider - Outbound Message", signed Ed25519 over the
// raw body in X-GHL-Signature). This verifies the signature, sends the
// email through the mailbox's SMTP submission with a Message-ID of
// Accord's own (made from HighLevel's ids, so a retry reuses it), files a
// copy in the mailbox's \Sent folder and sets the message's status in
// HighLevel (PUT /conversations/messages/{messageId}/status).
//
// Only deliveries for this install: the delivery's locationId (and
// conversationProviderId, when it carries one) must be the configured
// ones, and before the first send the message must exist in HighLevel
// (GET /conversations/messages/{messageId}): of this location, outbound, to
// the delivery's contact, not yet delivered. Else 403, nothing journalled.
//
// At most once, by HighLevel's messageId: a journal table in the
// pipeline's state file (email_crm_provider_outbound; each row names its
// provider, owner: the stream pair, and a provider finishes only its own
// rows, with its own mailbox; a try is taken in one UPDATE, told 0 → 1)
// holds each message's
// step: "sending" (written before the SMTP transaction; told = 1 once a
// try started), "sent" (after it), "filed" (the Sent copy is there),
// "done" (HighLevel has the status), "failed" (nothing was sent; HighLevel
// told) or "unknown" (a try started and its end is not known: a stop during
// or after the SMTP transaction, the server's last reply lost; never tried
// again: its copy is filed in Sent flagged $AccordMaybeSent and HighLevel
// told "failed: may have been sent"; told = 1 once both are done). A
// server that files submitted mail itself (Gmail) is asked first: a copy
// found in Sent by the Message-ID means it went.
//
// Thread safety: one Outbound serves one request at a time (a mutex).
#pragma once

#include "engine/email_crm.hpp"
#include "engine/email_crm_provider_config.hpp"

#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace accord::email_crm {

// Whether `signature_b64` (base64, as in X-GHL-Signature) is an Ed25519
// signature of `body` by the key in `public_key_pem`; `why` says why not.
bool verify_ed25519(std::string_view body, std::string_view signature_b64, const std::string& public_key_pem,
                    std::string& why);

// The fields of an outbound Email delivery Accord uses (ProviderOutboundMessage).
struct OutboundEmail {
  std::string type, message_id, email_message_id, contact_id, location_id, user_id;
  std::string from;                  // emailFrom: "Name <address>" or an address
  std::vector<std::string> to;       // emailTo: a string or a list (the page shows both)
  std::string subject, html;
  std::vector<std::string> attachments;  // URLs
  std::string reply_to_alt_id;       // replyToAltId: the altId (Message-ID) of the message replied to
  std::string conversation_provider_id;  // conversationProviderId, if the delivery carries it
};
// The delivery's JSON; a message saying what is missing or wrong.
std::optional<OutboundEmail> parse_outbound(std::string_view body, std::string& error);

// The address in "Name <address>" (or the text itself), lower-cased.
std::string address_of(std::string_view mailbox);

// Accord's Message-ID for it, without angles: accord-hl.<messageId>[.<emailMessageId>]@<the sender's domain>.
// The same for every delivery of one message; an answer's In-Reply-To
// names HighLevel's ids (crm-rest threads the answer on them).
std::string outbound_message_id(const OutboundEmail& e);
// (parse_outbound_message_id, engine/email_crm.hpp, reads one back)

// OutboundConfig, load_outbound_config: engine/email_crm_provider_config.hpp

// What `accord status` lists of the journal in a state file (read only;
// none when the file holds no journal): the messages whose end is
// "unknown" (never sent again: the user checks Sent), for 30 days after,
// and those not finished yet (sending, sent, filed; the daemon finishes
// them). Oldest first.
struct OutboundEntry {
  std::string hl_id, message_id, state, rcpt, error, received, updated;
  int told = 0;
  std::string owner;  // the stream pair whose provider sends it ("": the --provider file's)
};
std::vector<OutboundEntry> outbound_to_list(const std::filesystem::path& state_file);
// What the user does about one (a sentence).
std::string outbound_what_to_do(const OutboundEntry& e);

struct WebhookAnswer {
  int status = 200;
  std::string body;
};

class Outbound {
 public:
  explicit Outbound(OutboundConfig c);
  // One POST to the Delivery URL: its raw body and X-GHL-Signature.
  WebhookAnswer handle(std::string_view body, std::string_view signature);
  // Messages a kill left half-way (sending, sent, filed, unknown or failed
  // not yet told): finished; a "sending" one whose try started is never
  // sent again ("unknown", or "filed" when found in a filing server's Sent). The count.
  int recover();
  // Tests: called at "after_smtp" (the mail accepted, "sent" not yet written)
  // and "after_sent" ("sent" written, no Sent copy nor status yet); and
  // "before_claim" (a "sending" row read, its try not yet taken).
  std::function<void(const char*)> crash_point;
  // Log lines (the daemon's log); default stderr.
  std::function<void(const std::string&)> log;

 private:
  WebhookAnswer finish(const std::string& hl_id);
  OutboundConfig c_;
  std::mutex mu_;
};

}  // namespace accord::email_crm
