// SPDX-License-Identifier: Apache-2.0
#include "state/links.hpp"

#include "common/beside.hpp"

using accord::sql::Stmt;

namespace accord {

// A link's row with its kept bases beside it: one row a kept base, its
// side, data row id and (kBases) data; a link that keeps none, one row whose
// base columns are NULL. One walk of link_bases' key (pair, left_id) for
// both sides, not a look-up a side: find 33.6 k -> 28.1 k instructions a
// call, find_ids 22.4 k -> 18.8 k (the 1% run at 300,000 pairs, issue 24).
static constexpr std::string_view kLinkColumns =
    "SELECT l.left_id, l.right_id, l.base_left, l.base_right, k.side, k.data_id";
static constexpr std::string_view kBases =
    ", d.data FROM %s LEFT JOIN link_bases k ON k.pair = l.pair AND k.left_id = l.left_id"
    " LEFT JOIN record_data d ON d.id = k.data_id";
static constexpr std::string_view kBaseIds = " FROM %s LEFT JOIN link_bases k ON k.pair = l.pair AND k.left_id = l.left_id";
static constexpr std::string_view kByLeft = "links l";
static constexpr std::string_view kByRight = "link_rights r JOIN links l ON l.pair = r.pair AND l.left_id = r.left_id";

// The statement that finds the link of side's record ?2 in pair ?1.
static std::string link_query(Side side, bool with_data) {
  std::string from(with_data ? kBases : kBaseIds);
  from.replace(from.find("%s"), 2, side == Side::kLeft ? kByLeft : kByRight);
  return std::string(kLinkColumns) + from +
         (side == Side::kLeft ? " WHERE l.pair=?1 AND l.left_id = ?2" : " WHERE r.pair=?1 AND r.right_id = ?2");
}

// The link the statement's first row (stepped) is of, with the kept bases
// of that row and the rows after it (each side's once: a key of link_bases).
static LinkRow link_of(Stmt& s, bool with_data) {
  LinkRow l{std::string(s.text(0)), std::string(s.text(1)), std::string(s.text(2)), std::string(s.text(3))};
  do {
    if (s.is_null(4)) continue;  // (keeps none)
    std::string_view side = s.text(4);
    LinkRow::Kept* kept = side == side_name(Side::kLeft)    ? &l.kept_left
                          : side == side_name(Side::kRight) ? &l.kept_right
                                                            : nullptr;
    if (!kept) continue;  // (no side of a pair: never written)
    kept->id = s.i64(5);
    if (with_data) kept->data = s.text(6);
  } while (s.step());
  return l;
}

std::optional<LinkRow> Links::find(Side side, const std::string& id) {
  static const std::string by_left = link_query(Side::kLeft, true);
  static const std::string by_right = link_query(Side::kRight, true);
  Stmt s(*db_, side == Side::kLeft ? by_left : by_right);
  s.bind(1, pair_).bind(2, id);
  if (!s.step()) return std::nullopt;
  return link_of(s, true);
}

// The link of a record (by default a left one) with its kept bases' data
// row ids, not their data (Links::put compares ids only: two data rows
// fewer read per write).
static std::optional<LinkRow> find_ids(sql::Db& db, const std::string& pair, const std::string& id,
                                       Side side = Side::kLeft) {
  static const std::string by_left = link_query(Side::kLeft, false);
  static const std::string by_right = link_query(Side::kRight, false);
  Stmt s(db, side == Side::kLeft ? by_left : by_right);
  s.bind(1, pair).bind(2, id);
  if (!s.step()) return std::nullopt;
  return link_of(s, false);
}

bool Links::put_fresh(const LinkRow& l) {
  // Each table's row goes in only where its key is free, which is the look-up
  // put makes first (two seeks fewer: a first pull's link a message, issue 22).
  {
    Stmt s(*db_, "INSERT INTO links(pair, left_id, right_id, base_left, base_right) VALUES (?1, ?2, ?3, ?4, ?5)"
                 " ON CONFLICT DO NOTHING");
    s.bind(1, pair_).bind(2, l.left_id).bind(3, l.right_id).bind(4, l.base_left).bind(5, l.base_right).run();
  }
  if (sqlite3_changes(db_->raw()) == 0) return false;  // the left record is linked: nothing written
  {
    Stmt r(*db_, "INSERT INTO link_rights(pair, right_id, left_id) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING");
    r.bind(1, pair_).bind(2, l.right_id).bind(3, l.left_id).run();
  }
  if (sqlite3_changes(db_->raw()) == 0) {  // the right record is linked: the row just written goes again
    Stmt d(*db_, "DELETE FROM links WHERE pair=?1 AND left_id=?2");
    d.bind(1, pair_).bind(2, l.left_id).run();
    return false;
  }
  for (Side side : {Side::kLeft, Side::kRight}) {
    int64_t kept = (side == Side::kLeft ? l.kept_left : l.kept_right).id;
    if (!kept) continue;
    data_->hold(kept);
    Stmt k(*db_, "INSERT OR REPLACE INTO link_bases(pair, left_id, side, data_id) VALUES (?1, ?2, ?3, ?4)");
    k.bind(1, pair_).bind(2, l.left_id).bind(3, side_name(side)).bind(4, kept).run();
  }
  return true;
}

void Links::put(const LinkRow& l, bool fresh) {
  if (fresh && put_fresh(l)) return;
  // The link as it stands (a pair written again after an update, the usual
  // case): no page is written for it; new bases alone: those alone (a kept
  // base is not in the links row).
  auto was = find_ids(*db_, pair_, l.left_id);
  if (was && was->right_id == l.right_id) {
    if (was->base_left != l.base_left || was->base_right != l.base_right) {
      Stmt u(*db_, "UPDATE links SET base_left = ?3, base_right = ?4 WHERE pair=?1 AND left_id=?2");
      u.bind(1, pair_).bind(2, l.left_id).bind(3, l.base_left).bind(4, l.base_right).run();
    }
    set_kept(l.left_id, Side::kLeft, was->kept_left.id, l.kept_left.id);
    set_kept(l.left_id, Side::kRight, was->kept_right.id, l.kept_right.id);
    return;
  }
  // A record is linked once: the links either id had go first, with what
  // they kept; the data rows this link keeps are held before (a link moved
  // to a new id keeps its own).
  for (int64_t kept : {l.kept_left.id, l.kept_right.id})
    if (kept) data_->hold(kept);
  if (was) drop(was->left_id);
  std::string other_left;
  {
    Stmt o(*db_, "SELECT left_id FROM link_rights WHERE pair=?1 AND right_id=?2");
    o.bind(1, pair_).bind(2, l.right_id);
    if (o.step()) other_left = o.text(0);
  }
  if (!other_left.empty()) drop(other_left);
  Stmt s(*db_, "INSERT OR REPLACE INTO links(pair, left_id, right_id, base_left, base_right) VALUES (?1, ?2, ?3, ?4, ?5)");
  s.bind(1, pair_).bind(2, l.left_id).bind(3, l.right_id).bind(4, l.base_left).bind(5, l.base_right).run();
  Stmt r(*db_, "INSERT OR REPLACE INTO link_rights(pair, right_id, left_id) VALUES (?1, ?2, ?3)");
  r.bind(1, pair_).bind(2, l.right_id).bind(3, l.left_id).run();
  for (Side side : {Side::kLeft, Side::kRight}) {
    int64_t kept = (side == Side::kLeft ? l.kept_left : l.kept_right).id;
    if (!kept) continue;
    Stmt k(*db_, "INSERT OR REPLACE INTO link_bases(pair, left_id, side, data_id) VALUES (?1, ?2, ?3, ?4)");
    k.bind(1, pair_).bind(2, l.left_id).bind(3, side_name(side)).bind(4, kept).run();
  }
}

bool Links::keep(const LinkRow& link, Side s, int64_t data_id, bool take_over) {
  const std::string& base = s == Side::kLeft ? link.base_left : link.base_right;
  const LinkRow::Kept& kept = s == Side::kLeft ? link.kept_left : link.kept_right;
  if (!base.empty() || kept.id || !data_id) return false;
  set_kept(link.left_id, s, 0, data_id, take_over);
  return true;
}

bool Links::keep_of(Side s, const std::string& id, int64_t data_id, bool take_over) {
  if (!data_id) return false;
  static constexpr std::string_view kByLeft =
      "SELECT l.left_id, l.base_left, l.base_right FROM links l WHERE l.pair=?1 AND l.left_id = ?2";
  static constexpr std::string_view kByRight =
      "SELECT l.left_id, l.base_left, l.base_right FROM link_rights r JOIN links l ON l.pair = r.pair AND l.left_id = r.left_id"
      " WHERE r.pair=?1 AND r.right_id = ?2";
  std::string left_id;
  {
    Stmt q(*db_, s == Side::kLeft ? kByLeft : kByRight);
    q.bind(1, pair_).bind(2, id);
    if (!q.step() || !q.text(s == Side::kLeft ? 1 : 2).empty()) return false;  // no link, or a base written out
    left_id = q.text(0);
  }
  // (a kept base of that side already: the row stays as it is, nothing held)
  Stmt k(*db_, "INSERT OR IGNORE INTO link_bases(pair, left_id, side, data_id) VALUES (?1, ?2, ?3, ?4)");
  k.bind(1, pair_).bind(2, left_id).bind(3, side_name(s)).bind(4, data_id).run();
  if (sqlite3_changes(db_->raw()) == 0) return false;
  if (!take_over) data_->hold(data_id);
  return true;
}

std::optional<LinkRow> Links::rekey(Side s, const std::string& old_id, const std::string& new_id) {
  auto link = find_ids(*db_, pair_, old_id, s);
  if (!link || old_id == new_id) return link;
  if (auto other = find_ids(*db_, pair_, new_id, s)) drop(other->left_id);  // (never link: old_id != new_id)
  if (s == Side::kLeft) {
    Stmt l(*db_, "UPDATE links SET left_id = ?3 WHERE pair=?1 AND left_id=?2");
    l.bind(1, pair_).bind(2, old_id).bind(3, new_id).run();
    Stmt r(*db_, "UPDATE link_rights SET left_id = ?3 WHERE pair=?1 AND right_id=?2");
    r.bind(1, pair_).bind(2, link->right_id).bind(3, new_id).run();
    if (link->kept_left.id || link->kept_right.id) {
      Stmt k(*db_, "UPDATE link_bases SET left_id = ?3 WHERE pair=?1 AND left_id=?2");
      k.bind(1, pair_).bind(2, old_id).bind(3, new_id).run();
    }
    link->left_id = new_id;
  } else {
    Stmt l(*db_, "UPDATE links SET right_id = ?3 WHERE pair=?1 AND left_id=?2");
    l.bind(1, pair_).bind(2, link->left_id).bind(3, new_id).run();
    Stmt r(*db_, "UPDATE link_rights SET right_id = ?3 WHERE pair=?1 AND right_id=?2");
    r.bind(1, pair_).bind(2, old_id).bind(3, new_id).run();
    link->right_id = new_id;
  }
  return link;
}

void Links::set_kept(const std::string& left_id, Side s, int64_t from, int64_t to, bool take_over) {
  if (from == to) return;
  if (to) {
    if (!take_over) data_->hold(to);
    Stmt k(*db_, "INSERT OR REPLACE INTO link_bases(pair, left_id, side, data_id) VALUES (?1, ?2, ?3, ?4)");
    k.bind(1, pair_).bind(2, left_id).bind(3, side_name(s)).bind(4, to).run();
  } else {
    Stmt d(*db_, "DELETE FROM link_bases WHERE pair=?1 AND left_id=?2 AND side=?3");
    d.bind(1, pair_).bind(2, left_id).bind(3, side_name(s)).run();
  }
  if (from) data_->release(from);
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
  std::vector<int64_t> kept;
  {
    Stmt k(*db_, "SELECT data_id FROM link_bases WHERE pair=?1 AND left_id=?2");
    k.bind(1, pair_).bind(2, left_id);
    while (k.step()) kept.push_back(k.i64(0));
  }
  if (!kept.empty()) {
    Stmt d(*db_, "DELETE FROM link_bases WHERE pair=?1 AND left_id=?2");
    d.bind(1, pair_).bind(2, left_id).run();
    for (int64_t id : kept) data_->release(id);
  }
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
