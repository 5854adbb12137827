// SPDX-License-Identifier: Apache-2.0
#include "pipeline/lookup_config.hpp"

#include "engine/email_crm_provider_config.hpp"

#include "plugins/manifest.hpp"

#include <accord/text/ascii.hpp>
#include <accord/time/iso_duration.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

namespace json = boost::json;

namespace accord {

namespace {

std::string lower(std::string_view s) { return ascii_lower(std::string(s)); }

// The string at key, or "" (and a message when it is there but not a string).
std::string text_at(const json::object& o, const char* key, const std::string& at, const ConfigError& error) {
  const json::value* v = o.if_contains(key);
  if (!v) return {};
  if (!v->is_string()) {
    error(at + "/" + key, "must be a string");
    return {};
  }
  return std::string(v->get_string());
}

// A list of strings (a single string is a list of one).
std::vector<std::string> strings_at(const json::object& o, const char* key, const std::string& at,
                                    const ConfigError& error) {
  std::vector<std::string> out;
  const json::value* v = o.if_contains(key);
  if (!v) return out;
  if (v->is_string()) return {lower(v->get_string())};
  if (!v->is_array()) {
    error(at + "/" + key, "must be a list of strings, e.g. [\"a@example.com\"]");
    return out;
  }
  for (size_t i = 0; i < v->get_array().size(); ++i) {
    const json::value& x = v->get_array()[i];
    if (!x.is_string() || x.get_string().empty())
      error(at + "/" + key + "/" + std::to_string(i), "must be a string that is not empty");
    else out.push_back(lower(x.get_string()));
  }
  return out;
}

// One of `choices` at key (else the default, and a message naming them).
template <class E>
E choice_at(const json::object& o, const char* key, const std::string& at,
            std::initializer_list<std::pair<const char*, E>> choices, E fallback, const ConfigError& error) {
  const json::value* v = o.if_contains(key);
  if (!v) return fallback;
  std::string names;
  for (const auto& [name, e] : choices) {
    if (v->is_string() && v->get_string() == name) return e;
    names += (names.empty() ? "" : ", ") + std::string("\"") + name + "\"";
  }
  error(at + "/" + key, "must be one of " + names + (v->is_string() ? " (not \"" + std::string(v->get_string()) + "\")" : ""));
  return fallback;
}

bool flag_at(const json::object& o, const char* key, const std::string& at, bool fallback, const ConfigError& error) {
  const json::value* v = o.if_contains(key);
  if (!v) return fallback;
  if (!v->is_bool()) {
    error(at + "/" + key, "must be true or false");
    return fallback;
  }
  return v->get_bool();
}

bool plain_address(const std::string& a) {
  auto at = a.find('@');
  return at != std::string::npos && at > 0 && at + 1 < a.size() && a.find('@', at + 1) == std::string::npos &&
         std::none_of(a.begin(), a.end(), [](unsigned char c) { return std::isspace(c) || c == '<' || c == '>'; });
}

void read_lookups(const json::object& s, StreamPair& sp, const std::function<const Manifest*(Side)>& manifest,
                  const ConfigError& error) {
  const json::value* v = s.if_contains("lookup");
  if (!v) return;
  std::string at = sp.pointer + "/lookup";
  if (!v->is_array()) {
    error(at, "must be a list of {\"side\": \"left\"|\"right\", \"stream\": NAME, \"as\": ROLE}, e.g. "
              "[{\"side\": \"right\", \"stream\": \"contact\", \"as\": \"contacts\"}]");
    return;
  }
  for (size_t i = 0; i < v->get_array().size(); ++i) {
    std::string here = at + "/" + std::to_string(i);
    const json::value& x = v->get_array()[i];
    if (!x.is_object()) {
      error(here, "must be an object {\"side\", \"stream\", \"as\"}");
      continue;
    }
    const json::object& o = x.get_object();
    for (const auto& [k, _] : o)
      if (k != "side" && k != "stream" && k != "as")
        error(here + "/" + std::string(k), "is not a lookup setting (side, stream, as)");
    LookupStream l;
    l.pointer = here;
    l.side = choice_at(o, "side", here, {{"left", Side::kLeft}, {"right", Side::kRight}}, Side::kRight, error);
    l.stream = text_at(o, "stream", here, error);
    l.as = text_at(o, "as", here, error);
    if (l.stream.empty()) error(here + "/stream", "is missing: the name of a stream of the " + std::string(side_name(l.side)) + " connector");
    if (l.as.empty()) l.as = l.stream;
    const Manifest* m = manifest(l.side);
    if (m && !l.stream.empty() && !m->custom_streams && !m->stream(l.stream)) {
      std::string names;
      for (const auto& st : m->streams) names += (names.empty() ? "" : ", ") + st.name;
      error(here + "/stream", "the " + std::string(side_name(l.side)) + " connector " + m->id + " has no stream \"" +
                                  l.stream + "\" (it has: " + names + ")");
    }
    for (const auto& other : sp.lookups)
      if (other.as == l.as) error(here + "/as", "\"" + l.as + "\" is already the role of " + other.pointer + ": give each lookup a role of its own");
    sp.lookups.push_back(std::move(l));
  }
}

bool has_role(const StreamPair& sp, const std::string& as) {
  return std::any_of(sp.lookups.begin(), sp.lookups.end(), [&](const LookupStream& l) { return l.as == as; });
}

void read_email_crm(const json::object& s, StreamPair& sp, const ConfigError& error) {
  const json::value* v = s.if_contains("email_crm");
  if (!v) return;
  std::string at = sp.pointer + "/email_crm";
  if (!v->is_object()) {
    error(at, "must be an object of the email ⇄ CRM rules (docs/email-crm.md)");
    return;
  }
  const json::object& o = v->get_object();
  static const std::set<std::string> known{"connected", "crm",        "mailbox",  "participants", "match_multiple",
                                           "thread_start", "capture_address", "unknown_recipients", "exclude",
                                           "attachments",  "since",        "provider"};
  for (const auto& [k, _] : o)
    if (!known.contains(std::string(k)))
      error(at + "/" + std::string(k), "is not an email_crm setting (docs/email-crm.md lists them)");
  auto set = std::make_shared<email_crm::Settings>();
  email_crm::Settings& e = *set;
  e.pointer = at;
  e.connected = flag_at(o, "connected", at, true, error);
  e.crm = choice_at(o, "crm", at, {{"left", Side::kLeft}, {"right", Side::kRight}}, Side::kRight, error);
  e.mailbox = strings_at(o, "mailbox", at, error);
  if (e.mailbox.empty())
    error(at + "/mailbox", "is missing: the mailbox's own address(es), e.g. \"mailbox\": [\"me@example.com\"] "
                           "(what tells a sent message from a received one)");
  for (const auto& a : e.mailbox)
    if (!plain_address(a)) error(at + "/mailbox", "\"" + a + "\" is not an address like me@example.com");
  if (o.contains("participants")) {
    e.participants = strings_at(o, "participants", at, error);
    for (const auto& p : e.participants)
      if (p != "from" && p != "to" && p != "cc" && p != "bcc")
        error(at + "/participants", "\"" + p + "\" is not one of \"from\", \"to\", \"cc\", \"bcc\"");
    if (e.participants.empty()) error(at + "/participants", "names no field: list some of \"from\", \"to\", \"cc\", \"bcc\"");
  }
  e.match_multiple = choice_at(o, "match_multiple", at,
                               {{"all", email_crm::MatchMultiple::kAll}, {"oldest", email_crm::MatchMultiple::kOldest}},
                               email_crm::MatchMultiple::kAll, error);
  e.thread_start = choice_at(o, "thread_start", at,
                             {{"any", email_crm::ThreadStart::kAny}, {"crm", email_crm::ThreadStart::kCrm}},
                             email_crm::ThreadStart::kAny, error);
  e.capture_address = lower(text_at(o, "capture_address", at, error));
  if (!e.capture_address.empty() && !plain_address(e.capture_address))
    error(at + "/capture_address", "\"" + e.capture_address + "\" is not an address like log@crm.example.com");
  e.unknown_recipients = choice_at(o, "unknown_recipients", at,
                                   {{"never", email_crm::Unknown::kNever},
                                    {"capture_only", email_crm::Unknown::kCaptureOnly},
                                    {"always", email_crm::Unknown::kAlways}},
                                   email_crm::Unknown::kCaptureOnly, error);
  if (e.unknown_recipients == email_crm::Unknown::kCaptureOnly && o.contains("unknown_recipients") &&
      e.capture_address.empty())
    error(at + "/unknown_recipients", "is \"capture_only\" but no capture_address is set: set \"capture_address\" "
                                      "or choose \"never\" or \"always\"");
  if (const json::value* x = o.if_contains("exclude")) {
    std::string ex = at + "/exclude";
    if (!x->is_object()) {
      error(ex, "must be an object {\"crm_users\": true, \"addresses\": [...], \"domains\": [...]}");
    } else {
      const json::object& xo = x->get_object();
      for (const auto& [k, _] : xo)
        if (k != "crm_users" && k != "addresses" && k != "domains")
          error(ex + "/" + std::string(k), "is not an exclude setting (crm_users, addresses, domains)");
      e.exclude_crm_users = flag_at(xo, "crm_users", ex, true, error);
      e.exclude_addresses = strings_at(xo, "addresses", ex, error);
      e.exclude_domains = strings_at(xo, "domains", ex, error);
      for (auto& d : e.exclude_domains) {
        if (d.starts_with("@")) d.erase(0, 1);
        if (d.find('@') != std::string::npos || d.empty())
          error(ex + "/domains", "\"" + d + "\" is not a domain like corp.example (addresses go in \"addresses\")");
      }
    }
  }
  if (const json::value* x = o.if_contains("attachments")) {
    std::string ax = at + "/attachments";
    if (!x->is_object()) {
      error(ax, "must be an object {\"max_bytes\": N, \"types\": [...], \"oversize\": \"skip_message\"|\"drop_attachment\"}");
    } else {
      const json::object& xo = x->get_object();
      for (const auto& [k, _] : xo)
        if (k != "max_bytes" && k != "types" && k != "oversize")
          error(ax + "/" + std::string(k), "is not an attachments setting (max_bytes, types, oversize)");
      if (const json::value* m = xo.if_contains("max_bytes")) {
        if (!m->is_int64() || m->get_int64() <= 0) error(ax + "/max_bytes", "must be a whole number of bytes above 0, e.g. 3145728 (3 MiB)");
        else e.max_bytes = m->get_int64();
      }
      e.types = strings_at(xo, "types", ax, error);
      for (auto& t : e.types)
        if (t.starts_with(".")) t.erase(0, 1);
      e.oversize = choice_at(xo, "oversize", ax,
                             {{"skip_message", email_crm::Oversize::kSkipMessage},
                              {"drop_attachment", email_crm::Oversize::kDropAttachment}},
                             email_crm::Oversize::kSkipMessage, error);
    }
  }
  if (std::string since = text_at(o, "since", at, error); !since.empty()) {
    e.since_seconds = iso_duration_seconds(since);
    if (e.since_seconds <= 0)
      error(at + "/since", "\"" + since + "\" is not a duration like \"P30D\" (30 days) or \"PT12H\" (12 hours)");
  }
  // Accord as HighLevel's Email provider (docs/email-crm.md): its settings
  // checked here as the daemon reads them, no secret read
  if (const json::value* x = o.if_contains("provider")) {
    if (!x->is_object()) {
      error(at + "/provider", "must be an object of the provider's settings (docs/email-crm.md, \"Mail sent from HighLevel\")");
    } else {
      email_crm::OutboundSource from;
      from.where = at + "/provider";
      from.journal = std::filesystem::path("(the pipeline's state file)");
      from.mailbox = e.mailbox;
      std::string listen, why;
      if (!email_crm::outbound_config(x->get_object(), from, listen, why)) {
        // why starts with where: the pointer is given apart
        error(at + "/provider", why.substr(why.find(": ") == std::string::npos ? 0 : why.find(": ") + 2));
      }
      e.provider = x->get_object();
    }
  }
  // The rules query the CRM's contacts (and users, to leave them out).
  if (!has_role(sp, "contacts"))
    error(at, "needs the CRM's contacts: add \"lookup\": [{\"side\": \"" + std::string(side_name(e.crm)) +
                  "\", \"stream\": \"contact\", \"as\": \"contacts\"}] to this stream pair");
  if (e.exclude_crm_users && !has_role(sp, "users"))
    error(at + "/exclude/crm_users", "needs the CRM's users: add {\"side\": \"" + std::string(side_name(e.crm)) +
                                         "\", \"stream\": \"user\", \"as\": \"users\"} to \"lookup\", or set crm_users to false");
  sp.email_crm = std::move(set);
  // A message logged in the CRM is never deleted through this pair, either
  // way (a changed or disconnected mailbox deletes nothing).
  sp.ops_to_left.erase("delete");
  sp.ops_to_right.erase("delete");
}

}  // namespace

int64_t iso_duration_seconds(std::string_view t) {
  // the shared parser (libs/time), less a sign: "since" looks back, never ahead
  if (t.empty() || t[0] == '-' || t[0] == '+') return -1;
  auto secs = accord::duration::parse(t);
  return secs ? *secs : -1;
}

void read_lookup_config(const json::object& s, StreamPair& sp, const std::function<const Manifest*(Side)>& manifest,
                        const ConfigError& error) {
  read_lookups(s, sp, manifest, error);
  read_email_crm(s, sp, error);
}

}  // namespace accord
