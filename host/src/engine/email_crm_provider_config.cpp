// SPDX-License-Identifier: Apache-2.0
// The provider's settings (email_crm_provider_config.hpp).
#include "engine/email_crm_provider_config.hpp"

#include "pipeline/pipeline.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

namespace json = boost::json;

namespace accord::email_crm {

const char* const kHighLevelPublicKeyPem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAi2HR1srL4o18O8BRa7gVJY7G7bupbN3H9AwJrHCDiOg=\n"
    "-----END PUBLIC KEY-----\n";

namespace {

// The host of scheme://[user@]host[:port][/…], lower case.
std::string host_of(const std::string& url) {
  size_t p = url.find("://");
  if (p == std::string::npos) return {};
  std::string rest = url.substr(p + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest.front() == '[') rest = rest.substr(0, rest.find(']') + 1);
  else rest = rest.substr(0, rest.find(':'));
  std::transform(rest.begin(), rest.end(), rest.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return rest;
}

bool gmail_url(const std::string& url) {
  std::string h = host_of(url);
  return h == "smtp.gmail.com" || h == "imap.gmail.com";
}

}  // namespace

std::optional<OutboundConfig> outbound_config(const json::object& o, const OutboundSource& from, std::string& listen,
                                              std::string& error) {
  const std::string& at = from.where;
  static const char* known[] = {"listen", "smtp_url", "imap_url", "user", "password", "highlevel_token", "mailbox", "ca_file",
                                "sent_folder", "server_files_sent", "highlevel_base", "public_key", "journal", "location_id",
                                "conversation_provider_id"};
  for (const auto& [k, _] : o)
    if (std::find_if(std::begin(known), std::end(known), [&](const char* n) { return k == n; }) == std::end(known))
      return error = at + ": unknown key \"" + std::string(k) + "\" (docs/email-crm.md lists the provider's settings)",
             std::nullopt;
  if (from.journal && o.contains("journal"))
    return error = at + ": \"journal\" is the pipeline's state file here: leave it out", std::nullopt;
  auto str = [&](const char* k) -> std::optional<std::string> {
    const json::value* x = o.if_contains(k);
    if (!x) return std::string();
    if (x->is_string()) return std::string(x->get_string());
    if (const json::object* s = x->if_object(); s && s->size() == 1 && s->contains("$secret") && s->at("$secret").is_string()) {
      if (!from.secret) return std::string("(secret)");
      std::string why;
      auto got = from.secret(std::string(s->at("$secret").get_string()), why);
      if (!got) return error = at + ": " + k + ": " + why, std::nullopt;
      return *got;
    }
    return error = at + ": " + k + " must be a text or {\"$secret\": NAME}", std::nullopt;
  };
  OutboundConfig c;
  std::optional<std::string> got;
  if (!(got = str("listen"))) return std::nullopt;
  listen = got->empty() ? "127.0.0.1:8787" : *got;
  for (auto [k, dst] : {std::pair{"smtp_url", &c.smtp_url}, {"imap_url", &c.imap_url}, {"user", &c.user}, {"password", &c.password},
                        {"highlevel_token", &c.highlevel_token}, {"ca_file", &c.ca_file}, {"sent_folder", &c.sent_folder},
                        {"location_id", &c.location_id}, {"conversation_provider_id", &c.conversation_provider_id}}) {
    if (!(got = str(k))) return std::nullopt;
    *dst = *got;
  }
  if (!(got = str("highlevel_base"))) return std::nullopt;
  if (!got->empty()) c.highlevel_base = *got;
  if (!(got = str("public_key"))) return std::nullopt;
  if (!got->empty()) c.public_key_pem = *got;
  c.owner = from.owner;
  if (from.journal) {
    c.journal = *from.journal;
  } else {
    if (!(got = str("journal"))) return std::nullopt;
    c.journal = *got;
  }
  if (const json::value* m = o.if_contains("mailbox")) {
    if (!m->is_array()) return error = at + ": mailbox must be a list of the mailbox's addresses", std::nullopt;
    for (const auto& x : m->get_array())
      if (x.is_string()) c.mailbox.emplace_back(x.get_string());
  } else {
    c.mailbox = from.mailbox;
  }
  // Gmail files what it sends in Sent itself: the default there (an APPEND
  // would make a second copy)
  c.server_files_sent = gmail_url(c.smtp_url) || gmail_url(c.imap_url);
  if (const json::value* b = o.if_contains("server_files_sent")) {
    if (!b->is_bool()) return error = at + ": server_files_sent must be true or false", std::nullopt;
    c.server_files_sent = b->get_bool();
  }
  for (auto [k, val] : {std::pair{"smtp_url", &c.smtp_url}, {"imap_url", &c.imap_url}, {"highlevel_token", &c.highlevel_token},
                        {"location_id", &c.location_id}})
    if (val->empty()) return error = at + ": \"" + k + "\" is required", std::nullopt;
  if (c.journal.empty()) return error = at + ": \"journal\" (the pipeline's state file) is required", std::nullopt;
  if (c.mailbox.empty()) return error = at + ": \"mailbox\" (the mailbox's own addresses) is required", std::nullopt;
  if (c.smtp_url.rfind("smtp://", 0) != 0 && c.smtp_url.rfind("smtps://", 0) != 0)
    return error = at + ": smtp_url must be smtp:// (STARTTLS) or smtps://", std::nullopt;
  if (c.imap_url.rfind("imap://", 0) != 0 && c.imap_url.rfind("imaps://", 0) != 0)
    return error = at + ": imap_url must be imap:// (STARTTLS) or imaps://", std::nullopt;
  return c;
}

std::optional<OutboundConfig> load_outbound_config(const std::filesystem::path& file,
                                                   const std::filesystem::path& secrets_file, std::string& listen,
                                                   std::string& error) {
  std::ifstream in(file);
  if (!in) return error = "cannot read " + file.string(), std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  boost::system::error_code ec;
  json::value v = json::parse(ss.str(), ec);
  if (ec || !v.is_object()) return error = file.string() + ": not a JSON object", std::nullopt;
  OutboundSource from;
  from.where = file.string();
  from.secret = [&](const std::string& name, std::string& why) -> std::optional<std::string> {
    auto got = read_secret(secrets_file.empty() ? default_secrets_file() : secrets_file, name);
    if (!got) return why = got.error().message, std::nullopt;
    return *got;
  };
  return outbound_config(v.get_object(), from, listen, error);
}

}  // namespace accord::email_crm
