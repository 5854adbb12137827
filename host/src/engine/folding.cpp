// SPDX-License-Identifier: Apache-2.0
// Phase B, folding: a side's staged changes into the mirror, inside the
// planning transaction. Echoes of the run's own writes are recognised by
// version; records a store renumbered are followed by identity; a full
// listing takes what it no longer holds for deleted (behind the empty-side
// guard). A first sync's records were loaded as they were read.
#include "engine/keys.hpp"
#include "engine/pair_run.hpp"

#include <accord/json/exact.hpp>
#include <accord/text/join.hpp>

#include <boost/json.hpp>

#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace json = boost::json;

namespace accord {

// The link of `old` (as MirrorSide::find read it), if any, keeps its data
// row as its base, holding it or taking over the row's reference
// (Links::keep_of: the link's kept bases are not read); answers whether it did.
static bool keep_base(PairState& pv, Side s, const MirrorRow& old, bool take_over) {
  if (!old.data_id) {  // (never, from MirrorSide::find: a linked record's is an error)
    if (!pv.links().find(s, old.id)) return false;
    throw Failure{ACCORD_ERROR, "state: the base of " + old.id + " was read without its data row", 0};
  }
  return pv.links().keep_of(s, old.id, old.data_id, take_over);
}

void PairRun::fold(Side s, SideRead& read) {
  if (first_sync_) {
    // every record is new: of an id read twice the later copy stays;
    // planning adds the clean rows in one pass and marks dirty the few
    // that wait for a write
    order_[s] = pv_->load().drop_superseded(loaded_[s]);
    if (s == Side::kRight) pv_->load().done();
    rejudge_filter(s);  // (judged as read: keeps the filter's mark)
    return;
  }
  rejudge_filter(s);  // the filter changed since the last run: every row judged again
  // A side the state knows nothing of yet needs no lookups.
  bool known_side = read.count > 0 && pv_->mirror(s).any();
  // records new to the state, by identity, when some were renumbered
  std::vector<std::pair<std::string, std::string>> fresh;
  // records an interrupted update may have moved (gone under this id)
  std::vector<std::string> moved;
  bool renumbering =
      known_side && (!read.renumbered.empty() || !inflight_[s].empty()) && !identity_[s].empty();
  MirrorSide mirror = pv_->mirror(s);
  // In id order (the state's key order) unless records may have been
  // renumbered: those pair up by identity in the order read.
  bool by_id = !renumbering && inflight_[s].empty();
  // The renumbered records' old rows are left as they are here:
  // follow_renumbering drops each one it follows (a folder renamed: every
  // message of it) and marks the others deleted, as below.
  std::unordered_set<std::string_view> renumbered;
  if (renumbering)
    for (const auto& id : read.renumbered) renumbered.insert(id);
  store_->staging().for_each(s, [&](StateStore::Staged& c) {
    if (c.deleted && renumbered.contains(c.id) && !inflight_[s].contains(c.id)) return;
    auto m = known_side ? mirror.find(c.id) : std::nullopt;
    if (renumbering && !c.deleted && !m) fresh.emplace_back(c.id, identity_of(s, c.data));
    if (c.deleted && m && !m->deleted && inflight_[s].contains(c.id)) moved.push_back(c.id);
    if (c.deleted) {
      if (m && !m->deleted) {
        m->deleted = true;
        m->dirty = true;
        mirror.put(*m, &*m);  // (its data as it was)
      }
      return;
    }
    if (m && !m->deleted && !c.version.empty() && m->version == c.version) {
      // Our own write coming back, or a record we already know: not a change.
      // Take in what the connector made of it (normalised fields), and
      // move the base with it so that it never looks like an edit.
      // (An implicit base follows the row; an explicit one, kept for an
      // undecided conflict, stays as it is.)
      if (m->data != c.data && !m->dirty) {
        MirrorRow now = *m;
        now.data = c.data;
        now.keys = c.keys;
        mirror.put(now, &*m);
      }
      return;
    }
    // The link keeps the row's data as its base, unless it has one: the
    // row's reference to it goes to the link (no page of it is written).
    bool taken = m && m->data != c.data && keep_base(*pv_, s, *m, true);
    mirror.put(MirrorRow{c.id, c.version, c.modified, std::move(c.data), c.included, true, false, std::move(c.keys)},
               m ? &*m : nullptr, taken);
  }, by_id);
  if (renumbering && !read.renumbered.empty()) follow_renumbering(s, read.renumbered, fresh, true);
  if (!moved.empty()) follow_renumbering(s, moved, fresh, false);
  if (!rep_.refused.empty()) return;
  if (!read.full) return;
  // A full listing: what the state knows but the side no longer lists is gone.
  std::vector<std::string> gone = pv_->mirror(s).not_staged();
  if (read.count == 0) {
    refuse(empty_listing_verdict(s, gone.size(), sp_.guards, [&](std::string_view g) { return opts_.forces(g); }));
    if (!rep_.refused.empty()) return;
  }
  for (const auto& id : gone) {
    auto m = pv_->mirror(s).find(id);
    m->deleted = true;
    m->dirty = true;
    pv_->mirror(s).put(*m, &*m);  // (its data as it was)
  }
}

// The values of a record's identity fields, joined; "" when one is missing
// (such a record is never taken for another).
std::string PairRun::identity_of(Side s, const std::string& data) const {
  return identity_key(identity_[s], data);  // (keys.hpp: top-level fields read off the text)
}

// A store renumbered records (an IMAP folder's UIDVALIDITY changed): the
// connector reported the old ids deleted, marked "renumbered", and lists
// the same messages under new ids. Each old record whose identity fields
// equal a new record's is that record: its link, base, conflicts and
// quarantine move to the new id, and nothing is deleted or copied. Equal
// identities pair up in the order read. An old record that no new one
// matches stops the pair (its deletion is not taken on trust) unless
// --force, which lets it count as deleted.
//
// Not strict: the old ids are records an update interrupted by a kill
// may have given a new id (an IMAP message moved to another folder, whose
// commit never came): one found again by identity is followed; one that
// is not was deleted, as the side says.
void PairRun::follow_renumbering(Side s, const std::vector<std::string>& renumbered,
                                 const std::vector<std::pair<std::string, std::string>>& fresh, bool strict) {
  std::unordered_map<std::string, std::vector<MirrorRow>> olds;
  std::unordered_map<std::string, std::vector<std::string>> news;
  std::vector<std::string> unmatched;
  std::vector<std::string> alone;  // of unmatched, those whose identity no new record has
  for (const auto& id : renumbered) {
    auto m = pv_->mirror(s).find(id);
    if (!m) continue;  // never seen: nothing to follow
    std::string key = identity_of(s, m->data);
    if (key.empty()) unmatched.push_back(id), alone.push_back(id);
    else olds[key].push_back(std::move(*m));
  }
  for (const auto& [id, key] : fresh)
    if (!key.empty() && olds.contains(key)) news[key].push_back(id);
  size_t followed = 0;
  bool held = pv_->holds_any(s);  // (conflicts and quarantine entries to move with the links)
  for (auto& [key, rows] : olds) {
    auto n = news.find(key);
    if (n == news.end() || n->second.size() != rows.size()) {
      for (const auto& r : rows) {
        unmatched.push_back(r.id);
        if (n == news.end()) alone.push_back(r.id);
      }
      continue;
    }
    for (size_t i = 0; i < rows.size(); ++i) {
      // the new row is compared with what the old one was: the link keeps
      // the old row's data as its base, by the dropped row's reference
      pv_->rekey(s, rows[i], n->second[i], held);
      ++followed;
    }
  }
  // An old row not followed is deleted, as the side says (strict: unless
  // the run is refused below); fold left it as it was.
  for (const auto& id : unmatched) {
    auto m = pv_->mirror(s).find(id);
    if (!m || m->deleted) continue;
    m->deleted = true;
    m->dirty = true;
    pv_->mirror(s).put(*m, &*m);  // (its data as it was)
  }
  if (followed)
    rep_.notes.push_back(std::string("the ") + side_name(s) + " side " +
                         (strict ? "renumbered " + count_of(followed, "record") + " (e.g. an IMAP UIDVALIDITY change)"
                                 : "gave " + count_of(followed, "record") +
                                       " a new id in a write the last run was stopped in (e.g. a move)") +
                         "; found each again by " + join(identity_[s], ", ") + ": nothing copied or deleted");
  if (unmatched.empty() || !strict) return;
  // (told apart: an old record no new one matches, and old records whose
  // identity new ones share but in another number, e.g. one of two
  // byte-identical copies expunged: which one went cannot be told)
  size_t shared = unmatched.size() - alone.size();
  std::string msg = std::string("the ") + side_name(s) + " side renumbered its records, and ";
  if (!alone.empty())
    msg += std::to_string(alone.size()) + " of them (e.g. \"" + alone.front() + "\") match no record it lists now by " +
           join(identity_[s], ", ");
  if (shared)
    msg += std::string(alone.empty() ? "" : ", and ") + std::to_string(shared) +
           " share their " + join(identity_[s], ", ") +
           " with a different number of records it lists now (copies alike, one gone or added: which cannot be told)";
  if (!opts_.forces("renumbered")) {
    rep_.refused = msg + "; nothing was changed. If they were deleted, run with --force=renumbered to take them as deleted";
    return;
  }
  rep_.forced.push_back(msg + ": taken as deleted");
}

}  // namespace accord
