// SPDX-License-Identifier: Apache-2.0
#include "state/mirror.hpp"

#include "state/staging.hpp"

#include <algorithm>

using accord::sql::Stmt;

namespace accord {

static MirrorRow mirror_from(Stmt& s) {
  MirrorRow r;
  r.id = s.text(0);
  r.version = s.text(1);
  r.modified = s.text(2);
  r.data = s.text(3);
  r.included = s.i64(4) != 0;
  r.dirty = s.i64(5) != 0;
  r.deleted = s.i64(6) != 0;
  r.keys = s.text(7);
  r.data_id = s.i64(8);
  return r;
}

std::optional<MirrorRow> MirrorSide::find(const std::string& id) {
  Stmt s(*db_, "SELECT m.id, m.version, m.modified, d.data, m.included,"
               " EXISTS (SELECT 1 FROM dirty x WHERE x.pair = m.pair AND x.side = m.side AND x.id = m.id), m.deleted, m.keys,"
               " m.data_id FROM mirror_rows m JOIN record_data d ON d.id = m.data_id WHERE m.pair=?1 AND m.side=?2 AND m.id=?3");
  s.bind(1, pair_).bind(2, side_name(side_)).bind(3, id);
  if (s.step()) return mirror_from(s);
  return std::nullopt;
}

std::optional<MirrorRow> MirrorSide::find_data(const std::string& id) {
  Stmt s(*db_, "SELECT m.id, m.version, m.modified, d.data, m.included, 0, m.deleted, m.keys, m.data_id"
               " FROM mirror_rows m JOIN record_data d ON d.id = m.data_id WHERE m.pair=?1 AND m.side=?2 AND m.id=?3");
  s.bind(1, pair_).bind(2, side_name(side_)).bind(3, id);
  if (s.step()) return mirror_from(s);
  return std::nullopt;
}

int64_t MirrorSide::put(const MirrorRow& r, const MirrorRow* was, bool was_data_taken, bool history_holds) {
  // The row's data keeps its data row when it did not change.
  int64_t data_id = 0;
  auto replace = [&](int64_t old_id, bool same) {
    if (same) data_id = old_id;
    else data_->release(old_id);
  };
  if (was && was->data_id && was_data_taken && was->data != r.data) {
    // (its reference went to a link's base)
  } else if (was && was->data_id) {
    replace(was->data_id, was->data == r.data);  // (read just before: not read again)
  } else {
    Stmt old(*db_, "SELECT m.data_id, d.data FROM mirror_rows m JOIN record_data d ON d.id = m.data_id"
                   " WHERE m.pair=?1 AND m.side=?2 AND m.id=?3");
    old.bind(1, pair_).bind(2, side_name(side_)).bind(3, r.id);
    if (old.step()) {
      int64_t id = old.i64(0);
      bool same = old.text(1) == r.data;
      old.reset();
      replace(id, same);
    }
  }
  if (!data_id) data_id = data_->add(r.data, history_holds ? 2 : 1);
  else if (history_holds) data_->hold(data_id);
  Stmt s(*db_, "INSERT OR REPLACE INTO mirror_rows(pair, side, id, version, modified, data_id, included, deleted, keys)"
               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  s.bind(1, pair_).bind(2, side_name(side_)).bind(3, r.id).bind(4, r.version).bind(5, r.modified).bind(6, data_id);
  s.bind(7, int64_t{r.included}).bind(8, int64_t{r.deleted}).bind(9, r.keys).run();
  if (r.dirty) {
    set_dirty(r.id);
  } else {
    clear_dirty(r.id);
  }
  return data_id;
}

int64_t MirrorSide::put_for_history(const MirrorRow& r, int64_t& before) {
  before = 0;
  int64_t data_id = 0;
  {
    Stmt old(*db_, "SELECT m.data_id, d.data FROM mirror_rows m JOIN record_data d ON d.id = m.data_id"
                   " WHERE m.pair=?1 AND m.side=?2 AND m.id=?3");
    old.bind(1, pair_).bind(2, side_name(side_)).bind(3, r.id);
    if (old.step()) {
      before = old.i64(0);  // the row's reference, handed to the history
      if (old.text(1) == r.data) data_id = before;
    }
  }
  if (data_id) {
    // unchanged: the row keeps its reference, the history's before and after take one each
    Stmt u(*db_, "UPDATE record_data SET refs = refs + 2 WHERE id = ?1");
    u.bind(1, data_id).run();
  } else {
    data_id = data_->add(r.data, 2);  // the row's and the history's after
  }
  Stmt s(*db_, "INSERT OR REPLACE INTO mirror_rows(pair, side, id, version, modified, data_id, included, deleted, keys)"
               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  s.bind(1, pair_).bind(2, side_name(side_)).bind(3, r.id).bind(4, r.version).bind(5, r.modified).bind(6, data_id);
  s.bind(7, int64_t{r.included}).bind(8, int64_t{r.deleted}).bind(9, r.keys).run();
  if (r.dirty) set_dirty(r.id);  // (clean: the caller clears it, with its batch's others)
  return data_id;
}

int64_t MirrorSide::put_for_history(const MirrorRow& r, int64_t& before, int64_t was_data_id) {
  if (!was_data_id) return put_for_history(r, before);
  // unchanged data (the store answered the text it held): the row keeps its
  // data row, the history's before and after take one reference each
  {
    Stmt same(*db_, "UPDATE record_data SET refs = refs + 2 WHERE id = ?1 AND data = ?2");
    same.bind(1, was_data_id).bind_static(2, r.data).run();
  }
  bool same = sqlite3_changes(db_->raw()) > 0;
  int64_t data_id = same ? was_data_id : data_->add(r.data, 2);  // (the row's and the history's after)
  {
    Stmt u(*db_, "UPDATE mirror_rows SET version = ?4, modified = ?5, data_id = ?6, included = ?7, deleted = ?8, keys = ?9"
                 " WHERE pair=?1 AND side=?2 AND id=?3 AND data_id = ?10");
    u.bind(1, pair_).bind(2, side_name(side_)).bind(3, r.id).bind(4, r.version).bind(5, r.modified).bind(6, data_id);
    u.bind(7, int64_t{r.included}).bind(8, int64_t{r.deleted}).bind(9, r.keys).bind(10, was_data_id).run();
  }
  if (sqlite3_changes(db_->raw()) == 0) {
    // the row is not as it was read (changed since, or gone): the two
    // references taken above go back (a new data row goes with them), and
    // the row is read and written as above
    data_->release(data_id);
    data_->release(data_id);
    return put_for_history(r, before);
  }
  before = was_data_id;  // the row's reference, handed to the history
  if (r.dirty) set_dirty(r.id);  // (clean: the caller clears it, with its batch's others)
  return data_id;
}

int64_t MirrorSide::hold_data(const std::string& id) {
  Stmt s(*db_, "SELECT data_id FROM mirror_rows WHERE pair=?1 AND side=?2 AND id=?3");
  s.bind(1, pair_).bind(2, side_name(side_)).bind(3, id);
  if (!s.step()) return 0;
  int64_t data_id = s.i64(0);
  s.reset();
  data_->hold(data_id);
  return data_id;
}

void MirrorSide::drop(const std::string& id) {
  {
    Stmt old(*db_, "SELECT data_id FROM mirror_rows WHERE pair=?1 AND side=?2 AND id=?3");
    old.bind(1, pair_).bind(2, side_name(side_)).bind(3, id);
    if (!old.step()) return;
    int64_t was = old.i64(0);
    old.reset();
    data_->release(was);
  }
  Stmt s(*db_, "DELETE FROM mirror_rows WHERE pair=?1 AND side=?2 AND id=?3");
  s.bind(1, pair_).bind(2, side_name(side_)).bind(3, id).run();
  clear_dirty(id);
}

void MirrorSide::drop_taken(const std::string& id) {
  Stmt s(*db_, "DELETE FROM mirror_rows WHERE pair=?1 AND side=?2 AND id=?3");
  s.bind(1, pair_).bind(2, side_name(side_)).bind(3, id).run();
  clear_dirty(id);
}

static MirrorRef ref_from(Stmt& s) {
  MirrorRef r;
  r.set(s.text(0), s.text(4), s.text(5), s.text(6));
  r.deleted = s.i64(1) != 0;
  r.included = s.i64(2) != 0;
  r.dirty = s.i64(3) != 0;
  r.data_id = s.i64(7);
  return r;
}

std::vector<MirrorRef> MirrorSide::dirty(bool with_rows) {
  // CROSS JOIN: the dirty rows lead (SQLite otherwise may walk the whole
  // mirror of the side and look each row up in dirty: O(records), not O(changes))
  Stmt s(*db_, std::string("SELECT m.id, m.deleted, m.included, 1, m.keys, ") +
                   (with_rows ? "m.version, m.modified, m.data_id" : "'', '', 0") + " FROM dirty d"
               " CROSS JOIN mirror_rows m ON m.pair = d.pair AND m.side = d.side AND m.id = d.id"
               " WHERE d.pair=?1 AND d.side=?2 ORDER BY m.modified, m.id");
  s.bind(1, pair_).bind(2, side_name(side_));
  std::vector<MirrorRef> out;
  while (s.step()) out.push_back(ref_from(s));
  return out;
}

std::optional<MirrorRow> MirrorSide::row_of(const MirrorRef& ref) {
  Stmt s(*db_, "SELECT data FROM record_data WHERE id = ?1");
  s.bind(1, ref.data_id);
  if (!s.step()) return std::nullopt;
  MirrorRow r{ref.id(), ref.version(), ref.modified(), std::string(s.text(0)), ref.included, false, ref.deleted, ref.keys()};
  r.data_id = ref.data_id;
  return r;
}

std::vector<MirrorRef> MirrorSide::unlinked() {
  // Three walks in id order, merged here: the side's live included rows,
  // the ids of this side the pair links, and the side's dirty ids. Each is
  // one pass along its table's key (no look-up a row): the rows are nearly
  // all linked, and a look-up in links for each of them (the query this
  // was) cost about 6,000 instructions a row, 246 M of a 3.9 G re-sync at
  // 20,000 messages (issue 22). The keys are SQLite's BINARY order, which
  // string_view's compare is (bytes unsigned, a prefix first).
  Stmt rows(*db_, "SELECT id, keys FROM mirror_rows WHERE pair=?1 AND side=?2 AND deleted = 0 AND included = 1"
                  " ORDER BY id");
  rows.bind(1, pair_).bind(2, side_name(side_));
  Stmt linked(*db_, side_ == Side::kLeft ? "SELECT left_id FROM links WHERE pair=?1 ORDER BY left_id"
                                         : "SELECT right_id FROM link_rights WHERE pair=?1 ORDER BY right_id");
  linked.bind(1, pair_);
  Stmt dirty(*db_, "SELECT id FROM dirty WHERE pair=?1 AND side=?2 ORDER BY id");
  dirty.bind(1, pair_).bind(2, side_name(side_));
  bool more_linked = linked.step(), more_dirty = dirty.step();
  std::vector<MirrorRef> out;
  while (rows.step()) {
    std::string_view id = rows.text(0);
    while (more_linked && linked.text(0) < id) more_linked = linked.step();
    if (more_linked && linked.text(0) == id) continue;
    while (more_dirty && dirty.text(0) < id) more_dirty = dirty.step();
    MirrorRef r;
    r.set(id, rows.text(1));
    r.deleted = false;
    r.included = true;
    r.dirty = more_dirty && dirty.text(0) == id;
    out.push_back(std::move(r));
  }
  return out;
}

void MirrorSide::set_dirty(const std::string& id) {
  Stmt d(*db_, "INSERT OR IGNORE INTO dirty(pair, side, id) VALUES (?1, ?2, ?3)");
  d.bind(1, pair_).bind(2, side_name(side_)).bind(3, id).run();
}

void MirrorSide::mark_dirty(std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());  // in key order: appended, not scattered
  for (const auto& id : ids) set_dirty(id);
}

void MirrorSide::clear_dirty(const std::string& id) {
  Stmt s(*db_, "DELETE FROM dirty WHERE pair=?1 AND side=?2 AND id=?3");
  s.bind(1, pair_).bind(2, side_name(side_)).bind(3, id).run();
}

void MirrorSide::clear_dirty(std::vector<std::string> ids) {
  if (ids.empty()) return;
  std::sort(ids.begin(), ids.end());
  sql::FeedOf feed(ids.size(), [&](size_t row, int, sqlite3_context* out) { sql::Feed::text(out, ids[row]); });
  Stmt s(*db_, "DELETE FROM dirty WHERE pair=?1 AND side=?2 AND id IN (SELECT c0 FROM accord_feed(?3))");
  s.bind(1, pair_).bind(2, side_name(side_)).bind_feed(3, feed).run();
}

bool MirrorSide::any() {
  Stmt s(*db_, "SELECT 1 FROM mirror_rows WHERE pair=?1 AND side=?2 LIMIT 1");
  s.bind(1, pair_).bind(2, side_name(side_));
  return s.step();
}

int64_t MirrorSide::count_live() {
  Stmt s(*db_, "SELECT count(*) FROM mirror_rows WHERE pair=?1 AND side=?2 AND deleted = 0");
  s.bind(1, pair_).bind(2, side_name(side_));
  return s.step() ? s.i64(0) : 0;
}

int64_t MirrorSide::count_live(int64_t at_most) {
  Stmt s(*db_, "SELECT count(*) FROM (SELECT 1 FROM mirror_rows WHERE pair=?1 AND side=?2 AND deleted = 0 LIMIT ?3)");
  s.bind(1, pair_).bind(2, side_name(side_)).bind(3, at_most);
  return s.step() ? s.i64(0) : 0;
}

std::vector<std::string> MirrorSide::not_staged() {
  std::string t = staged_table(side_);
  db_->exec("CREATE INDEX IF NOT EXISTS " + t + "_id ON " + t.substr(5) + "(id)");
  Stmt s(*db_, "SELECT id FROM mirror_rows m WHERE pair=?1 AND side=?2 AND deleted = 0"
               " AND NOT EXISTS (SELECT 1 FROM " + t + " t WHERE t.id = m.id)"
               " AND NOT EXISTS (SELECT 1 FROM unreadable u WHERE u.pair = m.pair AND u.side = m.side AND u.key = m.id)");
  s.bind(1, pair_).bind(2, side_name(side_));
  std::vector<std::string> out;
  while (s.step()) out.emplace_back(s.text(0));
  return out;
}

}  // namespace accord
