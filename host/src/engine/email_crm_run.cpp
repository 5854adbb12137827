// SPDX-License-Identifier: Apache-2.0
#include "engine/email_crm_run.hpp"

#include "plugins/instance.hpp"
#include "state/state_store.hpp"

#include <boost/json.hpp>

#include <optional>

namespace json = boost::json;

namespace accord {

PairLookups::PairLookups(StateStore& store, const StreamPair& sp, const std::function<Instance(Side)>& open,
                         bool keep, int64_t now)
    : sp_(sp), now_(now) {
  std::optional<Instance> opened[2];  // left, right: for this read only
  auto instance = [&](Side s) -> Instance& {
    std::optional<Instance>& i = opened[s == Side::kLeft ? 0 : 1];
    if (!i) i.emplace(open(s));
    return *i;
  };
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

bool PairLookups::admit(Side s, const std::string& id, json::object& record) {
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
  if (d.unresolved) unresolved_.push_back({id, d.why});
  else settled_.push_back(id);
  return d.log;
}

namespace {
std::string unresolved_pair(const std::string& pair) { return pair + "#unresolved"; }
}  // namespace

void PairLookups::keep_unresolved(StateStore& store) const {
  if (!sp_.email_crm || (unresolved_.empty() && settled_.empty())) return;
  MirrorSide list = store.pair(unresolved_pair(sp_.name)).mirror(other(sp_.email_crm->crm));
  for (const auto& id : settled_) list.drop(id);
  for (const auto& u : unresolved_) list.put(MirrorRow{u.id, {}, {}, json::serialize(json::value(u.why)), true, false, false, {}});
}

std::vector<PairLookups::Unresolved> PairLookups::unresolved(StateStore& store, const StreamPair& sp) {
  std::vector<Unresolved> out;
  if (!sp.email_crm) return out;
  MirrorSide list = store.pair(unresolved_pair(sp.name)).mirror(other(sp.email_crm->crm));
  for (const MirrorRef& r : list.unlinked())
    if (auto row = list.find_data(r.id)) {
      boost::system::error_code ec;
      json::value why = json::parse(row->data, ec);
      out.push_back({r.id, !ec && why.is_string() ? std::string(why.get_string()) : std::string()});
    }
  return out;
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
