// SPDX-License-Identifier: Apache-2.0
// The pure half of journal reconciliation (journal.hpp).
#include "engine/journal.hpp"

#include <accord/json/exact.hpp>

#include <map>

namespace json = boost::json;

namespace accord {

JournalPlan plan_journal(const std::vector<JournalRow>& pending, const RowLookup& mirror, const Planner& planner) {
  JournalPlan out;
  std::map<std::string, size_t> kept_copies;  // a keep-both key → its item in out.resend
  for (const auto& j : pending) {
    Side target = j.side == "left" ? Side::kLeft : Side::kRight;  // the journal's word
    std::optional<OpKind> kind = op_kind(j.op);
    if (kind != OpKind::kCreate || j.idem_key.empty()) {
      // Planned again; but an update may have given the record a new id (a
      // move) before the kill: the read that follows looks for it by
      // identity (fold). The intent stays until the plan commits, so that
      // a run stopped before then still knows.
      if (kind == OpKind::kUpdate && !j.target_id.empty()) out.inflight[target].insert(j.target_id);
      if ((kind == OpKind::kUpdate || kind == OpKind::kDelete) && !j.target_id.empty()) out.stale_writes.push_back(j);
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
    // Keep-both's copies of the right's record (one toward each side, both
    // with one key, in one item and so one batch): each is linked to the
    // other, never to the record they copy, which is linked to the left's
    // version. Taken for a copy of that record, the left copy was linked to
    // it, the right's version overwritten on the left, the left's record
    // unlinked and copied again (review s10 N5). One alone (a kept create
    // answered retry: only the left copy is kept) is sent linked to nothing:
    // the record it makes is matched as any (its stored key is its partner's).
    if (planner.is_keep_both_key(j.idem_key, j.source_id)) {
      auto [at, fresh] = kept_copies.emplace(j.idem_key, out.resend.size());
      if (fresh || out.resend[at->second].op[target]) {
        at->second = out.resend.size();
        out.resend.emplace_back();
      }
      Item& it = out.resend[at->second];
      it.op[target] = planner.make_op(target, OpKind::kCreate, "", j.source_id, std::move(data.get_object()), "", {});
      it.op[target]->idempotency_key = j.idem_key;
      it.op[target]->resend = true;
      it.op[target]->source_same_side = target == Side::kRight;
      it.op[target]->label += " (kept: the right's version)";
      it.resumed_journal[target] = j.id;
      it.sent_at[target] = j.created;
      it.first_sent_at[target] = j.created;  // (the intent's: before its write)
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
    it.first_sent_at[target] = j.created;  // (the intent's: before its write)
    it.quarantine_side_id[from] = j.source_id;
    out.resend.push_back(std::move(it));
  }
  return out;
}

std::string earliest_sent(const std::map<std::pair<std::string, std::string>, std::string>& kept,
                          const std::pair<std::string, std::string>& key, const std::string& resumed) {
  auto k = kept.find(key);
  if (k == kept.end()) return resumed;
  if (k->second.empty() || resumed.empty()) return k->second;  // (not known stays not known)
  return std::min(k->second, resumed);  // (RFC 3339 UTC texts of one form sort as their times)
}

}  // namespace accord
