// SPDX-License-Identifier: Apache-2.0
#include "state/bulk_load.hpp"

using accord::sql::Stmt;

namespace accord {

std::vector<uint32_t> id_order(const std::vector<MirrorRef>& refs) {
  return text_order(refs.size(), [&](uint32_t i) { return std::string_view(refs[i].id()); });
}

std::vector<uint32_t> BulkLoad::drop_superseded(std::vector<MirrorRef>& refs) {
  // Of an id read twice, the later copy (last of its run in id order) stays;
  // the earlier one and its data go. refs stay in the order read. (Read
  // whole by now: what a load keeps waiting goes in.)
  data_->settle();
  std::vector<uint32_t> order = id_order(refs);
  std::vector<char> superseded(refs.size(), 0);
  size_t dropped = 0;
  for (size_t k = 0; k + 1 < order.size(); ++k)
    if (refs[order[k + 1]].id() == refs[order[k]].id()) {
      data_->release(refs[order[k]].data_id);
      superseded[order[k]] = 1;
      ++dropped;
    }
  if (!dropped) return order;
  std::vector<uint32_t> moved_to(refs.size());
  size_t kept = 0;
  for (size_t i = 0; i < refs.size(); ++i) {
    moved_to[i] = static_cast<uint32_t>(kept);
    if (superseded[i]) continue;
    if (kept != i) refs[kept] = std::move(refs[i]);
    ++kept;
  }
  refs.resize(kept);
  std::vector<uint32_t> out;
  out.reserve(kept);
  for (uint32_t at : order)
    if (!superseded[at]) out.push_back(moved_to[at]);
  return out;
}

void BulkLoad::rows(Side side, std::vector<MirrorRef>& refs, const std::vector<uint32_t>& order) {
  // In id order: the mirror grows at its end instead of being written all
  // over. What planning no longer needs (version, modified) goes after.
  sql::FeedOf feed(order.size(), [&](size_t row, int col, sqlite3_context* out) {
    const MirrorRef& r = refs[order[row]];
    switch (col) {
      case 0:
        // visited out of the order they lie in memory: fetched ahead
        if (row + 16 < order.size()) __builtin_prefetch(&refs[order[row + 16]]);
        if (row + 8 < order.size()) {
          __builtin_prefetch(refs[order[row + 8]].id().data());  // (the ref's texts are one block)
        }
        return sql::Feed::text(out, r.id());
      case 1: return sql::Feed::text(out, r.version());
      case 2: return sql::Feed::text(out, r.modified());
      case 3: return sql::Feed::integer(out, r.data_id);
      case 4: return sql::Feed::integer(out, r.included);
      default: return sql::Feed::text(out, r.keys());
    }
  });
  Stmt s(*db_, "INSERT INTO mirror_rows(pair, side, id, version, modified, data_id, included, deleted, keys)"
               " SELECT ?1, ?2, c0, c1, c2, c3, c4, 0, c5 FROM accord_feed(?3)");
  s.bind_static(1, pair_).bind_static(2, side_name(side)).bind_feed(3, feed).run();
  for (MirrorRef& r : refs) r.drop_version_and_modified();
}

}  // namespace accord
