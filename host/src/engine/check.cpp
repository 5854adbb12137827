// SPDX-License-Identifier: Apache-2.0
// What a plan's writes would leave behind in the target store's own
// converter (issue 21), asked before anything is written: each planned
// create's and update's record goes to the target connector's
// accord.check.v1 (accord/check.h), which answers it as the store would
// keep it; the same dropped() a write's answer goes through (applying.cpp)
// then names what would stay behind, under that op, so that `plan` and
// `run` say the same thing. A connector without the extension, or one that
// fails, leaves the plan as it was (the manifest's list); this never
// refuses or changes a write.
#include "engine/pair_run.hpp"
#include "mapping/field_travel.hpp"

#include <accord/json/exact.hpp>

#include <boost/json.hpp>

#include <algorithm>

namespace json = boost::json;

namespace accord {

void PairRun::check_losses(std::vector<Item>& items) {
  if (opts_.apply) return;  // a run hears them from each write's answer (applying.cpp)
  const size_t chunk = std::max<size_t>(opts_.fetch_batch, 1);
  for (Side s : kSides) {
    if (!inst_[s]) continue;
    std::vector<Action*> ops;
    for (auto& it : items)
      if (auto& op = it.op[s]; op && op->kind != OpKind::kDelete) ops.push_back(&*op);
    for (size_t begin = 0; begin < ops.size(); begin += chunk) {
      size_t end = std::min(ops.size(), begin + chunk);
      json::array records;
      records.reserve(end - begin);
      for (size_t i = begin; i < end; ++i) records.push_back(ops[i]->data);
      auto r = inst_[s]->check_records(stream(s), json::serialize(records));
      std::string why;
      json::value held;
      if (!r) {
        if (r.error().status == ACCORD_UNSUPPORTED) break;  // not offered: as before
        why = r.error().message;
      } else {
        boost::system::error_code ec;
        held = json_exact::parse(*r, ec);
        if (ec || !held.is_array() || held.get_array().size() != end - begin)
          why = "its answer is not a JSON array of one record per record asked";
      }
      if (!why.empty()) {
        rep_.notes.push_back("connector " + p_.endpoint(s).connector + " (" + stream(s) +
                             ") could not say what its writes would keep (" + why +
                             "); what its converter leaves behind is said when the run writes");
        break;
      }
      for (size_t i = begin; i < end; ++i) {
        json::value& kept = held.get_array()[i - begin];
        if (!kept.is_object()) continue;  // the connector cannot say for this one
        note_left_behind(ops[i]->left_behind, lost_in_write(s, ops[i]->data, kept.get_object()));
      }
    }
  }
}

std::vector<std::string> PairRun::lost_in_write(Side s, const json::value& sent, json::object& kept) const {
  for (const auto& f : lazy_[s]) kept.erase(std::string_view(f).substr(1));
  std::vector<std::string> lost = dropped(sent, kept, lazy_[s]);
  return lost.empty() || sp_.identity ? lost : dropped_by_rule(lost, sp_.rules, s);
}

void PairRun::note_left_behind(std::vector<std::string>& behind, const std::vector<std::string>& lost) {
  for (const auto& f : lost)
    if (std::find(behind.begin(), behind.end(), f) == behind.end()) behind.push_back(f);
}

}  // namespace accord
