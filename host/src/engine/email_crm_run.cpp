// SPDX-License-Identifier: Apache-2.0
#include "engine/email_crm_run.hpp"

#include <boost/json.hpp>

namespace json = boost::json;

namespace accord {

PairLookups::PairLookups(StateStore& store, const StreamPair& sp, const std::function<Instance&(Side)>& instance,
                         bool keep, int64_t now)
    : sp_(sp), now_(now) {
  refresh_lookups(store, sp, instance, keep,
                  [&](const LookupStream& l, const std::string& id, const json::object& r, const std::string& modified) {
                    if (l.as == "messages") {
                      std::vector<std::string> contacts;
                      if (const json::value* c = r.if_contains("contactIds"); c && c->is_array())
                        for (const auto& x : c->get_array())
                          if (x.is_string()) contacts.emplace_back(x.get_string());
                      threads_.add(r, contacts);
                    } else {
                      index_.add(l.as, id, r, modified);
                    }
                  });
}

bool PairLookups::admit(Side s, json::object& record) {
  if (!sp_.email_crm) return true;
  const email_crm::Settings& e = *sp_.email_crm;
  if (s == e.crm) {
    email_crm::Decision d = email_crm::decide_crm(e, record);
    if (!d.log) email_crm::annotate(record, d);
    return d.log;
  }
  email_crm::Decision d = email_crm::decide_mailbox(e, index_, threads_, record, now_);
  email_crm::annotate(record, d);
  if (d.log) threads_.add(record, d.contact_ids);  // its later replies in this read follow it
  return d.log;
}

std::string PairLookups::why_left_out(const std::string& data) {
  if (data.find("\"emailCrm\"") == std::string::npos) return {};
  boost::system::error_code ec;
  json::value v = json::parse(data, ec);
  const json::value* e = !ec && v.is_object() ? v.get_object().if_contains("emailCrm") : nullptr;
  if (!e || !e->is_object()) return {};
  auto text = [&](const char* k) {
    const json::value* x = e->get_object().if_contains(k);
    return x && x->is_string() ? std::string(x->get_string()) : std::string();
  };
  const json::value* u = e->get_object().if_contains("unresolved");
  return "left out by the email_crm rule " + text("rule") + ": " + text("why") +
         (u && u->is_bool() && u->get_bool() ? " (unresolved: see accord status)" : "");
}

}  // namespace accord
