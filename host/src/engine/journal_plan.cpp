// SPDX-License-Identifier: Apache-2.0
// The pure half of journal reconciliation (journal.hpp).
#include "engine/journal.hpp"

#include <accord/json/exact.hpp>

namespace json = boost::json;

namespace accord {

JournalPlan plan_journal(const std::vector<JournalRow>& pending, const RowLookup& mirror, const Planner& planner) {
  JournalPlan out;
  for (const auto& j : pending) {
    Side target = j.side == "left" ? Side::kLeft : Side::kRight;  // the journal's word
    std::optional<OpKind> kind = op_kind(j.op);
    if (kind != OpKind::kCreate || j.idem_key.empty()) {
      // Planned again; but an update may have given the record a new id (a
      // move) before the kill: the read that follows looks for it by
      // identity (fold). The intent stays until the plan commits, so that
      // a run stopped before then still knows.
      if (kind == OpKind::kUpdate && !j.target_id.empty()) out.inflight[target].insert(j.target_id);
      out.stale.push_back(j.id);
      ++out.dropped;
      continue;
    }
    Side from = other(target);
    boost::system::error_code ec;
    json::value data = accord::json_exact::parse(j.data, ec);
    if (ec || !data.is_object()) {  // not ours to resend: plan it again
      out.unreadable.push_back(j.id);
      ++out.dropped;
      continue;
    }
    Item it;
    auto src = mirror(from, j.source_id);
    if (src && !src->deleted) {
      it.id[from] = j.source_id;
      std::string().swap(src->data);  // commit_item needs its id, not its data
      it.row[from] = std::move(*src);
    }
    it.op[target] = planner.make_op(target, OpKind::kCreate, "", j.source_id, std::move(data.get_object()), "", {});
    it.op[target]->idempotency_key = j.idem_key;
    it.op[target]->resend = true;
    it.resumed_journal[target] = j.id;
    it.sent_at[target] = j.created;
    it.quarantine_side_id[from] = j.source_id;
    out.resend.push_back(std::move(it));
  }
  return out;
}

}  // namespace accord
