// SPDX-License-Identifier: Apache-2.0
#include "engine/email_crm_run.hpp"

#include "plugins/instance.hpp"
#include "state/state_store.hpp"

#include <accord/json/exact.hpp>
#include <boost/json.hpp>

#include <memory>
#include <optional>

namespace json = boost::json;

namespace accord {

namespace {
std::string unresolved_pair(const std::string& pair) { return pair + "#unresolved"; }
struct Opened {
  std::optional<Instance> side[2];  // left, right
};
}  // namespace

PairLookups::PairLookups(StateStore& store, const StreamPair& sp, const std::function<Instance(Side)>& open,
                         bool keep, int64_t now, const std::atomic<bool>* cancel)
    : PairLookups(
          store, sp,
          [&, opened = std::make_shared<Opened>()](Side s, const std::string& stream, const std::string& cursor) {
            std::optional<Instance>& i = opened->side[s == Side::kLeft ? 0 : 1];  // for this read only
            if (!i) i.emplace(open(s));
            return i->read_changes(stream, cursor);
          },
          keep, now, cancel) {}

PairLookups::PairLookups(StateStore& store, const StreamPair& sp, const LookupReader& read, bool keep, int64_t now,
                         const std::atomic<bool>* cancel)
    : sp_(sp), now_(now) {
  stopped_ = !refresh_lookups(store, sp, read, keep, [&](const LookupStream& l, const std::string& id, const LookupEntry& e) {
    if (l.as == "messages") threads_.add(e.threads, e.contacts);
    else index_.add(l.as, id, e);
  }, cancel);
  index_.finish();
  if (sp_.email_crm)
    for (const MirrorRef& r : store.pair(unresolved_pair(sp_.name)).mirror(other(sp_.email_crm->crm)).unlinked())
      listed_.insert(r.id());
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
  else if (listed_.contains(id)) settled_.push_back(id);  // (only those: a first sync reads every message)
  return d.log;
}

void PairLookups::keep_unresolved(StateStore& store) const {
  if (!sp_.email_crm) return;
  Side mailbox = other(sp_.email_crm->crm);
  MirrorSide list = store.pair(unresolved_pair(sp_.name)).mirror(mailbox);
  for (const auto& id : settled_) list.drop(id);
  // an entry whose message the mailbox no longer holds settles too
  MirrorSide messages = store.pair(sp_.name).mirror(mailbox);
  for (const auto& id : listed_)
    if (auto m = messages.find_data(id); !m || m->deleted) list.drop(id);
  for (const auto& u : unresolved_) list.put(MirrorRow{u.id, {}, {}, json::serialize(json::value(u.why)), true, false, false, {}});
}

std::vector<PairLookups::Unresolved> PairLookups::unresolved(StateStore& store, const StreamPair& sp) {
  std::vector<Unresolved> out;
  if (!sp.email_crm) return out;
  MirrorSide list = store.pair(unresolved_pair(sp.name)).mirror(other(sp.email_crm->crm));
  for (const MirrorRef& r : list.unlinked())
    if (auto row = list.find_data(r.id())) {
      boost::system::error_code ec;
      json::value why = accord::json_exact::parse(row->data, ec);
      out.push_back({r.id(), !ec && why.is_string() ? std::string(why.get_string()) : std::string()});
    }
  return out;
}

std::string PairLookups::why_left_out(const std::string& data) {
  if (data.find("\"emailCrm\"") == std::string::npos) return {};
  boost::system::error_code ec;
  json::value v = accord::json_exact::parse(data, ec);
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
