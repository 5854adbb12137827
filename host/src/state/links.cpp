// SPDX-License-Identifier: Apache-2.0
#include "state/links.hpp"

#include "common/beside.hpp"

using accord::sql::Stmt;

namespace accord {

std::optional<LinkRow> Links::find(Side side, const std::string& id) {
  Stmt s(*db_, side == Side::kLeft ? "SELECT left_id, right_id, base_left, base_right FROM links WHERE pair=?1 AND left_id = ?2"
                                   : "SELECT l.left_id, l.right_id, l.base_left, l.base_right FROM link_rights r"
                                     " JOIN links l ON l.pair = r.pair AND l.left_id = r.left_id WHERE r.pair=?1 AND r.right_id = ?2");
  s.bind(1, pair_).bind(2, id);
  if (!s.step()) return std::nullopt;
  return LinkRow{std::string(s.text(0)), std::string(s.text(1)), std::string(s.text(2)), std::string(s.text(3))};
}

void Links::put(const LinkRow& l) {
  // The link as it stands (a pair written again after an update, the usual
  // case): no page is written for it; new bases alone: the links row alone.
  if (auto was = find(Side::kLeft, l.left_id); was && was->right_id == l.right_id) {
    if (was->base_left == l.base_left && was->base_right == l.base_right) return;
    Stmt u(*db_, "UPDATE links SET base_left = ?3, base_right = ?4 WHERE pair=?1 AND left_id=?2");
    u.bind(1, pair_).bind(2, l.left_id).bind(3, l.base_left).bind(4, l.base_right).run();
    return;
  }
  // A record is linked once: the links either id had go first.
  Stmt old_right(*db_, "DELETE FROM link_rights WHERE pair=?1 AND right_id = (SELECT right_id FROM links WHERE pair=?1 AND left_id=?2)");
  old_right.bind(1, pair_).bind(2, l.left_id).run();
  Stmt old_left(*db_, "DELETE FROM links WHERE pair=?1 AND left_id = (SELECT left_id FROM link_rights WHERE pair=?1 AND right_id=?2)");
  old_left.bind(1, pair_).bind(2, l.right_id).run();
  Stmt s(*db_, "INSERT OR REPLACE INTO links(pair, left_id, right_id, base_left, base_right) VALUES (?1, ?2, ?3, ?4, ?5)");
  s.bind(1, pair_).bind(2, l.left_id).bind(3, l.right_id).bind(4, l.base_left).bind(5, l.base_right).run();
  Stmt r(*db_, "INSERT OR REPLACE INTO link_rights(pair, right_id, left_id) VALUES (?1, ?2, ?3)");
  r.bind(1, pair_).bind(2, l.right_id).bind(3, l.left_id).run();
}

void Links::add(const std::vector<std::pair<std::string_view, std::string_view>>& links) {
  // Each table takes its rows in its own key order, so that they are
  // appended, not scattered: a second thread sorts the right ids while the
  // links go in. The ids lie where the records were read, out of either
  // order: each is fetched ahead.
  auto feed_of = [&](auto at, bool right_first) {
    return sql::FeedOf(links.size(), [&links, at, right_first](size_t row, int col, sqlite3_context* out) {
      const auto& l = links[at(row)];
      if (col == 0) {
        if (row + 16 < links.size()) __builtin_prefetch(&links[at(row + 16)]);
        if (row + 8 < links.size()) {
          __builtin_prefetch(links[at(row + 8)].first.data());
          __builtin_prefetch(links[at(row + 8)].second.data());
        }
      }
      sql::Feed::text(out, (col == 0) != right_first ? l.first : l.second);
    });
  };
  std::vector<uint32_t> by_right;
  run_beside([&] { by_right = text_order(links.size(), [&](uint32_t i) { return links[i].second; }); },
             [&] {
               auto feed = feed_of([](size_t row) { return row; }, false);
               Stmt s(*db_, "INSERT INTO links(pair, left_id, right_id, base_left, base_right)"
                            " SELECT ?1, c0, c1, '', '' FROM accord_feed(?2)");
               s.bind_static(1, pair_).bind_feed(2, feed).run();
             });
  auto feed = feed_of([&by_right](size_t row) { return by_right[row]; }, true);
  Stmt s(*db_, "INSERT INTO link_rights(pair, right_id, left_id) SELECT ?1, c0, c1 FROM accord_feed(?2)");
  s.bind_static(1, pair_).bind_feed(2, feed).run();
}

void Links::drop(const std::string& left_id) {
  Stmt r(*db_, "DELETE FROM link_rights WHERE pair=?1 AND right_id = (SELECT right_id FROM links WHERE pair=?1 AND left_id=?2)");
  r.bind(1, pair_).bind(2, left_id).run();
  Stmt s(*db_, "DELETE FROM links WHERE pair=?1 AND left_id=?2");
  s.bind(1, pair_).bind(2, left_id).run();
}

int64_t Links::count() {
  Stmt s(*db_, "SELECT count(*) FROM links WHERE pair=?1");
  s.bind(1, pair_);
  return s.step() ? s.i64(0) : 0;
}

bool Links::any() {
  Stmt s(*db_, "SELECT 1 FROM links WHERE pair=?1 LIMIT 1");
  s.bind(1, pair_);
  return s.step();
}

}  // namespace accord
