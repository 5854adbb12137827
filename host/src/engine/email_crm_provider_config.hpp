// SPDX-License-Identifier: Apache-2.0
// The settings of Accord as HighLevel's Email conversation provider (mail
// sent from HighLevel goes out through the mailbox: engine/
// email_crm_outbound, docs/email-crm.md "Mail sent from HighLevel"), read
// by one piece of code wherever they are written: in the pipeline, as the
// stream pair's "email_crm": {"provider": {…}}, or in a file of their own
// (`accord daemon --provider FILE`). Pure: no network, so the pipeline's
// checks (accord validate, every load) use it too.
#pragma once

#include <boost/json/object.hpp>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace accord::email_crm {

// HighLevel's published Ed25519 key for X-GHL-Signature (SPKI, PEM), from
// https://marketplace.gohighlevel.com/docs/webhook/WebhookIntegrationGuide
extern const char* const kHighLevelPublicKeyPem;

struct OutboundConfig {
  std::string public_key_pem = kHighLevelPublicKeyPem;
  std::vector<std::string> mailbox;  // the mailbox's own addresses: emailFrom must be one
  std::string smtp_url;              // smtp://host:587 (STARTTLS required), smtps://host:465; plain only to 127.0.0.1/localhost
  std::string imap_url;              // imap://host:143 (STARTTLS required) or imaps://host:993; plain only to loopback
  std::string user, password;        // the mailbox's credentials (SMTP AUTH and IMAP)
  std::string ca_file;               // extra CA for the servers (tests)
  std::string sent_folder;           // "": the folder LIST marks \Sent (RFC 6154)
  bool server_files_sent = false;    // the server files submitted mail in Sent itself (Gmail): no APPEND
                                     // (default: true for smtp.gmail.com / imap.gmail.com)
  std::string location_id;           // HighLevel's location this Delivery URL serves (required)
  std::string conversation_provider_id;  // the location's conversation provider id ("": not compared)
  std::string highlevel_base = "https://services.leadconnectorhq.com";
  std::string highlevel_token;       // the provider app's location token (status updates need it)
  std::filesystem::path journal;     // the pipeline's state file
  std::string owner;                 // its rows in the journal: the stream pair's name ("": --provider FILE's);
                                     // a provider finishes only its own (each pair's its own mailbox)
};

// What the place the settings are written in gives them.
struct OutboundSource {
  std::string where;                 // names it in messages: "FILE" or "PIPELINE: /streams/0/email_crm/provider"
  // {"$secret": NAME} → its value; nullptr: only checked (a pipeline's
  // checks read no secret), each such value taken as "(secret)".
  std::function<std::optional<std::string>(const std::string& name, std::string& error)> secret;
  // In a pipeline: the journal is the pipeline's state file ("journal" is
  // refused there), and "mailbox" defaults to email_crm.mailbox.
  std::optional<std::filesystem::path> journal;
  std::vector<std::string> mailbox;
  std::string owner;                 // in a pipeline: the stream pair's name (OutboundConfig::owner)
};

// The provider's settings: "listen" (into `listen`; default
// 127.0.0.1:8787), "smtp_url", "imap_url", "user", "password" and
// "highlevel_token" (text or {"$secret": NAME}), "location_id" (required),
// "conversation_provider_id", "mailbox", "ca_file", "sent_folder",
// "server_files_sent" (default: true for Gmail's hosts), "highlevel_base",
// "public_key" (PEM; default HighLevel's), "journal" (the pipeline's state
// file; in a file only). nullopt: `error` says what is wrong, naming where.
std::optional<OutboundConfig> outbound_config(const boost::json::object& o, const OutboundSource& from, std::string& listen,
                                              std::string& error);

// The same from a JSON file of its own (`accord daemon --provider FILE`),
// secrets from `secrets_file` (empty: the default one).
std::optional<OutboundConfig> load_outbound_config(const std::filesystem::path& file,
                                                   const std::filesystem::path& secrets_file, std::string& listen,
                                                   std::string& error);

}  // namespace accord::email_crm
