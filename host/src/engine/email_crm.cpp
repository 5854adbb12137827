// SPDX-License-Identifier: Apache-2.0
#include "engine/email_crm.hpp"

#include <accord/mail/message.hpp>
#include <accord/text/ascii.hpp>

#include <boost/json.hpp>

#include <algorithm>

namespace json = boost::json;

namespace accord::email_crm {

namespace {

std::string lower(std::string_view s) { return ascii_lower(std::string(s)); }

bool contains(const std::vector<std::string>& v, std::string_view x) { return std::find(v.begin(), v.end(), x) != v.end(); }

void add_unique(std::vector<std::string>& v, const std::string& x) {
  if (!x.empty() && !contains(v, x)) v.push_back(x);
}

struct Address {
  std::string email, name;
};

// The addresses of a header field (/from, /to…: [{"name"?, "email"}]).
std::vector<Address> addresses(const json::object& m, std::string_view field) {
  std::vector<Address> out;
  const json::value* v = m.if_contains(field);
  if (!v || !v->is_array()) return out;
  for (const auto& x : v->get_array())
    if (const json::object* o = x.if_object())
      if (const json::value* e = o->if_contains("email"); e && e->is_string() && !e->get_string().empty()) {
        Address a{lower(e->get_string()), {}};
        if (const json::value* n = o->if_contains("name"); n && n->is_string()) a.name = n->get_string();
        out.push_back(std::move(a));
      }
  return out;
}

std::string domain_of(const std::string& email) {
  auto at = email.rfind('@');
  return at == std::string::npos ? std::string() : email.substr(at + 1);
}

// The exclude rule an address falls under ("" none).
std::string excluded_by(const Settings& s, const std::string& email) {
  for (const auto& p : s.exclude_addresses)
    if (glob_match(p, email)) return "exclude.addresses";
  std::string d = domain_of(email);
  for (const auto& x : s.exclude_domains)
    if (d == x || (d.size() > x.size() && d.ends_with(x) && d[d.size() - x.size() - 1] == '.')) return "exclude.domains";
  return {};
}

Decision skip(std::string rule, std::string why) {
  Decision d;
  d.rule = std::move(rule);
  d.why = std::move(why);
  return d;
}

std::string extension(const std::string& name) {
  auto dot = name.rfind('.');
  return dot == std::string::npos ? std::string() : lower(name.substr(dot + 1));
}

std::optional<int64_t> message_time(const json::object& m) {
  for (const char* f : {"sentAt", "receivedAt"})
    if (const json::value* v = m.if_contains(f); v && v->is_string())
      if (auto t = mail::rfc3339_seconds(v->get_string())) return t;
  return std::nullopt;
}

}  // namespace

bool glob_match(std::string_view p, std::string_view t) {
  // iterative match with backtracking to the last '*'
  size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
  while (ti < t.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = ti;
    } else if (pi < p.size() && p[pi] == t[ti]) {
      ++pi, ++ti;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

void ThreadIndex::add(const json::object& message, const std::vector<std::string>& contact_ids) {
  add(thread_keys(message), contact_ids);
}

void ThreadIndex::add(const std::vector<std::string>& keys, const std::vector<std::string>& contact_ids) {
  for (const auto& k : keys) {
    auto& ids = by_key_[k];
    for (const auto& c : contact_ids) add_unique(ids, c);
  }
}

std::optional<std::vector<std::string>> ThreadIndex::find(const json::object& message) const {
  std::optional<std::vector<std::string>> out;
  for (const auto& k : thread_keys(message))
    if (auto it = by_key_.find(k); it != by_key_.end()) {
      if (!out) out.emplace();
      for (const auto& c : it->second) add_unique(*out, c);
    }
  return out;
}

std::optional<std::pair<std::string, std::string>> parse_outbound_message_id(std::string_view id) {
  std::string s(id);
  if (!s.empty() && s.front() == '<') s.erase(0, 1);
  if (!s.empty() && s.back() == '>') s.pop_back();
  static const std::string kPrefix = "accord-hl.";
  if (s.rfind(kPrefix, 0) != 0) return std::nullopt;
  auto at = s.find('@');
  if (at == std::string::npos) return std::nullopt;
  std::string ids = s.substr(kPrefix.size(), at - kPrefix.size());
  auto dot = ids.find('.');
  if (ids.empty() || dot == 0) return std::nullopt;
  if (dot == std::string::npos) return std::make_pair(ids, std::string());
  return std::make_pair(ids.substr(0, dot), ids.substr(dot + 1));
}

namespace {

// The ids of a message's field (a list or one text) that are Accord's
// provider Message-IDs: HighLevel's message ids.
std::vector<std::string> sent_through_accord(const json::object& m, const char* field) {
  std::vector<std::string> out;
  auto one = [&](const json::value& x) {
    if (x.is_string())
      if (auto ids = parse_outbound_message_id(x.get_string())) out.push_back(ids->first);
  };
  if (const json::value* v = m.if_contains(field)) {
    if (const json::array* a = v->if_array())
      for (const auto& x : *a) one(x);
    else
      one(*v);
  }
  return out;
}

}  // namespace

Decision decide_mailbox(const Settings& s, const LookupIndex& lookups, const ThreadIndex& threads,
                        const json::object& m, int64_t now) {
  if (!s.connected) return skip("connected", "the mailbox is disconnected (email_crm.connected is false)");
  if (s.since_seconds > 0)
    if (auto t = message_time(m); t && *t < now - s.since_seconds)
      return skip("since", "older than email_crm.since");
  std::vector<Address> from = addresses(m, "from");
  bool outbound = !from.empty() && contains(s.mailbox, from.front().email);
  // a mail HighLevel sent through Accord (the provider's Delivery URL), from
  // the mailbox: its copy in Sent is HighLevel's own message, never logged a
  // second time (a received one bearing such an id is read as any other)
  if (auto hl = sent_through_accord(m, "messageId"); !hl.empty() && outbound)
    return skip("crm_sent", "sent from HighLevel through Accord as its Email provider: HighLevel has it as message " +
                                hl.front() + " already");
  std::string sender = from.empty() ? std::string() : from.front().email;
  if (!sender.empty() && !outbound) {
    if (std::string rule = excluded_by(s, sender); !rule.empty())
      return skip(rule, "the sender " + sender + " is excluded (email_crm." + rule + ")");
    if (s.exclude_crm_users && lookups.has("users", sender))
      return skip("exclude.crm_users", "the sender " + sender + " is a CRM user: a user's mail is never logged");
  }
  // The participants the rules look at: not the mailbox itself, nor the
  // capture address, nor an excluded address or a CRM user.
  std::vector<Address> people;
  bool captured = false;
  for (const char* f : {"from", "to", "cc", "bcc"}) {
    std::vector<Address> got = addresses(m, f);
    for (auto& a : got) {
      if (!s.capture_address.empty() && a.email == s.capture_address) {
        if (std::string_view(f) == "cc" || std::string_view(f) == "bcc") captured = true;
        continue;
      }
      if (!contains(s.participants, f) || contains(s.mailbox, a.email)) continue;
      if (!excluded_by(s, a.email).empty()) continue;
      if (s.exclude_crm_users && lookups.has("users", a.email)) continue;
      if (std::none_of(people.begin(), people.end(), [&](const Address& p) { return p.email == a.email; }))
        people.push_back(std::move(a));
    }
  }
  Decision d;
  d.outbound = outbound;
  std::vector<Address> unknown;
  for (const auto& a : people) {
    std::vector<LookupIndex::Contact> found = lookups.find("contacts", a.email);
    if (found.empty()) {
      unknown.push_back(a);
      continue;
    }
    if (s.match_multiple == MatchMultiple::kOldest) found.resize(1);  // (find: oldest first)
    for (const auto& c : found) add_unique(d.contact_ids, c.id);
  }
  std::optional<std::vector<std::string>> thread = threads.find(m);
  if (thread)
    for (const auto& c : *thread) add_unique(d.contact_ids, c);
  // an answer to a mail HighLevel sent through Accord: a thread the CRM started
  bool crm_started = !sent_through_accord(m, "inReplyTo").empty() || !sent_through_accord(m, "references").empty();
  if (s.thread_start == ThreadStart::kCrm && !thread && !crm_started)
    return skip("thread_start", "the thread did not start in the CRM (email_crm.thread_start is \"crm\")");
  bool may_create = outbound && (s.unknown_recipients == Unknown::kAlways ||
                                 (s.unknown_recipients == Unknown::kCaptureOnly && captured));
  if (may_create && (!thread || thread->empty()))
    for (const auto& a : unknown) d.create.push_back({a.email, a.name});
  if (d.contact_ids.empty() && d.create.empty()) {
    if (outbound && !unknown.empty()) {
      Decision u = skip("no_contact", "sent to " + unknown.front().email +
                                          ", who is no CRM contact, without the capture address in Cc or Bcc");
      u.unresolved = true;
      u.outbound = true;
      return u;
    }
    return skip("no_contact", people.empty() ? std::string("no participant the rules look at")
                                             : "no participant is a CRM contact (" + people.front().email + " is not)");
  }
  d.rule = !d.create.empty() && d.contact_ids.empty() ? "capture_address"
           : thread && !thread->empty()              ? "thread"
                                                     : "contact";
  // Attachments within the size and type rule.
  if (const json::value* at = m.if_contains("attachments"); at && at->is_array()) {
    std::vector<std::string> left_out;
    for (const auto& x : at->get_array()) {
      const json::object* a = x.if_object();
      if (!a) continue;
      std::string name;
      if (const json::value* n = a->if_contains("name"); n && n->is_string()) name = n->get_string();
      int64_t size = 0;
      if (const json::value* z = a->if_contains("size"); z && z->is_number()) size = z->to_number<int64_t>();
      std::string reason;
      if (s.max_bytes > 0 && size > s.max_bytes)
        reason = std::to_string(size) + " bytes, over " + std::to_string(s.max_bytes);
      else if (!s.types.empty() && !contains(s.types, extension(name)))
        reason = "type ." + (extension(name).empty() ? std::string("(none)") : extension(name)) + " not carried";
      if (reason.empty()) continue;
      if (s.oversize == Oversize::kSkipMessage)
        return skip("attachments", "the attachment " + (name.empty() ? std::string("(unnamed)") : name) + " is " +
                                       reason + " (email_crm.attachments.oversize is \"skip_message\")");
      if (const json::value* p = a->if_contains("partId"); p && p->is_string()) d.omit_parts.push_back(std::string(p->get_string()));
      left_out.push_back((name.empty() ? std::string("(unnamed)") : name) + " (" + reason + ")");
    }
    if (!left_out.empty()) {
      d.note = "Accord left out " + std::to_string(left_out.size()) + " attachment" + (left_out.size() > 1 ? "s" : "") + ": ";
      for (size_t i = 0; i < left_out.size(); ++i) d.note += (i ? "; " : "") + left_out[i];
      d.note += ".";
    }
  }
  d.log = true;
  d.why = d.rule == "thread"            ? "its thread is logged in the CRM"
          : d.rule == "capture_address" ? "sent with the capture address: its unknown recipients become contacts"
                                        : "a participant is a CRM contact";
  return d;
}

Decision decide_crm(const Settings& s, const json::object&) {
  if (!s.connected) return skip("connected", "the mailbox is disconnected (email_crm.connected is false)");
  Decision d;
  d.log = true;
  d.rule = "crm";
  d.why = "a message of the CRM's conversations";
  return d;
}

void annotate(json::object& m, const Decision& d) {
  if (!d.log) {
    m["emailCrm"] = json::object{{"rule", d.rule}, {"why", d.why}, {"unresolved", d.unresolved}};
    return;
  }
  json::array ids;
  for (const auto& c : d.contact_ids) ids.emplace_back(c);
  m["contactIds"] = std::move(ids);
  if (!d.create.empty()) {
    json::array create;
    for (const auto& c : d.create) {
      json::object o{{"email", c.email}};
      if (!c.name.empty()) o["name"] = c.name;
      create.emplace_back(std::move(o));
    }
    m["createContacts"] = std::move(create);
  }
  m["direction"] = d.outbound ? "outbound" : "inbound";
  if (!d.omit_parts.empty()) {
    json::array parts;
    for (const auto& p : d.omit_parts) parts.emplace_back(p);
    m["omitAttachments"] = std::move(parts);
  }
  if (!d.note.empty()) m["crmNote"] = d.note;
}

}  // namespace accord::email_crm
