// SPDX-License-Identifier: Apache-2.0
// Reading: read_changes (which folders moved since the cursor, the UIDs new,
// changed and gone in each, the records in batches), the cursor, a run of
// ours stopped before its expunge finished, and bodies for fetch.

#include "gmail_imap_connector_p.hpp"

#include <accord/kit/ops.hpp>
#include <accord/text/content_hash.hpp>
#include <accord/time/utc_time.hpp>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>

namespace gmail_imap {

namespace {

const char* kHeaderItem =
    "BODY.PEEK[HEADER.FIELDS (DATE FROM SENDER REPLY-TO TO CC BCC SUBJECT MESSAGE-ID IN-REPLY-TO REFERENCES)]";

// IMAP LIST-style pattern match: "*" anything, "%" anything but "/".
bool matches(std::string_view pat, std::string_view name) {
  if (pat.empty()) return name.empty();
  if (pat[0] == '*' || pat[0] == '%') {
    for (size_t i = 0; i <= name.size(); ++i) {
      if (matches(pat.substr(1), name.substr(i))) return true;
      if (i < name.size() && pat[0] == '%' && name[i] == '/') return false;
    }
    return false;
  }
  return !name.empty() && pat[0] == name[0] && matches(pat.substr(1), name.substr(1));
}

// The UIDs from lo up to, not including, hi (none when hi <= lo).
UidSet uid_range(uint32_t lo, uint32_t hi) {
  lo = std::max<uint32_t>(lo, 1);
  return hi > lo ? UidSet::parse(std::to_string(lo) + ":" + std::to_string(hi - 1)).value() : UidSet{};
}

// More UIDs than this that a cursor never saw and that are gone (each one a
// deleted record): a full listing costs less.
constexpr size_t kMaxUnseenGone = 50000;

// A body-fld-param list ("name" "value" …) into lower-case names, raw values.
void params_of(const imap::Value& v, std::map<std::string, std::string>& out) {
  for (size_t i = 0; i + 1 < v.list.size(); i += 2) out[mail::lower(v.list[i].str())] = v.list[i + 1].str();
}

// A BODYSTRUCTURE (RFC 3501 7.4.2) as the structure mail::parse_structure
// makes of the message itself.
mail::Part part_of(const imap::Value& v) {
  mail::Part p;
  const auto& l = v.list;
  if (l.empty()) return p;
  if (l[0].kind == imap::Value::Kind::kList) {  // multipart: its parts, subtype, [params [disposition …]]
    size_t k = 0;
    while (k < l.size() && l[k].kind == imap::Value::Kind::kList) p.sub_parts.push_back(part_of(l[k++]));
    p.type = "multipart/" + (k < l.size() ? mail::lower(l[k].str()) : std::string("mixed"));
    if (k + 1 < l.size()) params_of(l[k + 1], p.type_params);
    return p;
  }
  if (l.size() < 7) return p;
  // type subtype params id description encoding octets [lines | envelope body lines] md5 disposition …
  p.type = mail::lower(l[0].str()) + "/" + mail::lower(l[1].str());
  params_of(l[2], p.type_params);
  p.cid = l[3].str();
  p.size = l[6].number;
  size_t dsp = p.type.starts_with("text/") ? 9 : p.type == "message/rfc822" ? 11 : 8;
  if (dsp < l.size() && l[dsp].kind == imap::Value::Kind::kList && !l[dsp].list.empty()) {
    p.disposition = mail::lower(l[dsp].list[0].str());
    if (l[dsp].list.size() > 1) params_of(l[dsp].list[1], p.disposition_params);
  }
  return p;
}

}  // namespace

std::string ImapConnector::Cursor::text(const std::string& account) const {
  json::object f;
  for (auto& [k, v] : folders) f[k] = v.to_json();
  json::object o{{"v", 1}, {"acct", account}, {"f", std::move(f)}};
  if (digests) o["hd"] = 1;
  if (!names.empty()) {
    json::object n;
    for (auto& [k, v] : names) n[k] = v;
    o["gm"] = std::move(n);
  }
  if (running) {
    json::array todo_j;
    for (auto& t : todo) todo_j.emplace_back(t);
    json::object run{{"todo", std::move(todo_j)}};
    if (incremental) run["inc"] = true;
    if (relist) run["all"] = true;
    if (pending) run["pending"] = pending->text();
    if (next_state) run["next"] = next_state->to_json();
    o["run"] = std::move(run);
  }
  return kCursor.write(o);
}

ImapConnector::Cursor ImapConnector::parse_cursor(const std::string& text) {
  Cursor c;
  std::optional<json::object> body = kCursor.read(text);
  if (!body) return c;
  try {
    const json::object& o = *body;
    if (o.at("acct").as_string() != account_) kCursor.expire("it belongs to another account or server");
    for (auto& [k, fv] : o.at("f").as_object()) c.folders[std::string(k)] = FolderState::from(fv.as_object());
    c.digests = o.contains("hd");
    if (auto* n = o.if_contains("gm"))
      for (auto& [k, v] : n->as_object()) c.names[std::string(k)] = std::string(v.as_string());
    if (auto* run = o.if_contains("run")) {
      c.running = true;
      for (auto& t : run->at("todo").as_array()) c.todo.emplace_back(t.as_string());
      c.incremental = run->as_object().contains("inc");
      c.relist = run->as_object().contains("all");
      if (auto* p = run->as_object().if_contains("pending")) c.pending = UidSet::parse(p->as_string()).value();
      if (auto* n = run->as_object().if_contains("next")) c.next_state = FolderState::from(n->as_object());
    }
  } catch (const accord::Error&) {
    throw;
  } catch (const std::exception& e) {
    kCursor.expire(std::string("malformed: ") + e.what());
  }
  return c;
}

bool ImapConnector::wanted(const std::string& folder) const {
  bool in = std::any_of(cfg_.folders.begin(), cfg_.folders.end(), [&](auto& p) { return matches(p, folder); });
  bool out = std::any_of(cfg_.exclude.begin(), cfg_.exclude.end(), [&](auto& p) { return matches(p, folder); });
  return in && !out;
}

// Every selectable folder we sync, with its status where LIST-STATUS gives it.
std::map<std::string, Status> ImapConnector::list_folders() {
  imap::Session& s = session();
  bool list_status = s.has("LIST-STATUS");
  if (list_status && !selected_.empty()) {
    // a server may answer STATUS for the selected folder from this session's
    // own view of it, which has not seen other clients' changes: leave it
    s.run(s.command(s.has("UNSELECT") ? "UNSELECT" : "NOOP"));
    if (s.has("UNSELECT")) selected_.clear();
  }
  imap::Command c = s.command("LIST");
  c.string("").string("*");
  if (list_status) {
    c.atom("RETURN").open().atom("STATUS").open().atom("MESSAGES").atom("UIDNEXT").atom("UIDVALIDITY");
    if (condstore_) c.atom("HIGHESTMODSEQ");
    c.close().close();
  }
  imap::Reply r = s.run(c);
  if (!r.ok()) throw accord::Error(ACCORD_ERROR, "LIST failed: " + r.done.text);
  std::map<std::string, std::string> by_server;  // server name → canonical
  std::map<std::string, Status> out;
  for (auto& u : r.untagged) {
    if (u.name == "LIST" && u.args.size() >= 3) {
      bool noselect = false;
      for (auto& f : u.args[0].list)
        if (f.is_atom("\\NOSELECT") || f.is_atom("\\NONEXISTENT")) noselect = true;
      std::string name = canonical_name(u.args[2].str(), u.args[1].is_nil() ? "" : u.args[1].str());
      if (gmail_) name = name == special("\\ALL") ? all_key() : "";  // Gmail: All Mail alone, by its key
      by_server[u.args[2].str()] = name;
      if (!noselect && !name.empty() && (gmail_ || wanted(name))) out[name];
    }
  }
  for (auto& u : r.untagged) {
    if (u.name != "STATUS" || u.args.size() < 2) continue;
    auto it = by_server.find(u.args[0].str());
    if (it == by_server.end() || !out.contains(it->second)) continue;
    Status& st = out[it->second];
    st.known = true;
    const auto& items = u.args[1].list;
    for (size_t i = 0; i + 1 < items.size(); i += 2) {
      std::string k = imap::ascii_upper(items[i].str());
      uint64_t n = items[i + 1].number;
      if (k == "MESSAGES") st.messages = static_cast<uint32_t>(n);
      if (k == "UIDNEXT") st.uidnext = static_cast<uint32_t>(n);
      if (k == "UIDVALIDITY") st.uidvalidity = static_cast<uint32_t>(n);
      if (k == "HIGHESTMODSEQ") st.modseq = n;
    }
  }
  return out;
}

// Whether a folder's status differs from what the cursor recorded (with
// CONDSTORE, flag changes too); unchanged: it surely does not, and the
// listing skips it.
bool ImapConnector::moved(const FolderState& f, const Status& st) const {
  return f.uidvalidity != st.uidvalidity || f.uidnext != st.uidnext || f.uids.size() != st.messages ||
         (condstore_ && f.modseq != st.modseq);
}

bool ImapConnector::unchanged(const FolderState& f, const Status& st) const {
  return st.known && condstore_ && !moved(f, st);
}

// Gives a folder's state its signature: its highest known UID's header
// fields (see FolderState), fetched now. Left without one when that message
// is gone (the next listing of the folder signs it).
void ImapConnector::sign(const std::string& folder, FolderState& state) {
  select(folder, false);
  uint32_t uid = state.uids.max();
  if (auto digest = header_digest(folder, uid)) {
    state.sig_uid = uid;
    state.sig = *digest;
  }
}

// The headerDigest of a message of the selected folder (the digest of the
// header fields a listing reads); nullopt when it is not there.
std::optional<std::string> ImapConnector::header_digest(const std::string& folder, uint32_t uid) {
  imap::Command c = session().command("UID FETCH");
  c.atom(std::to_string(uid)).open().atom("UID").atom(kHeaderItem).close();
  std::optional<std::string> out;
  each_fetch(run_ok(c, "UID FETCH in " + folder), [&](auto& items) {
    auto u = items.find("UID");
    if (u == items.end() || u->second.number != uid) return;
    for (auto& [k, v] : items)
      if (k.starts_with("BODY[HEADER")) out = accord::hash::content_hash(v.str());
  });
  return out;
}

// Whether the folder `to` (new to the cursor) is the folder `was` renamed:
// the same UIDVALIDITY, and its signature message under the same UID with
// the same header fields. Then the UIDs of `was` still there; else nullopt.
// What it saw of `to` (its status, its live UIDs) is kept for begin_folder
// (examined_), which lists `to` next.
std::optional<UidSet> ImapConnector::renamed_to(const FolderState& was, const std::string& to) {
  Status st = select(to, false, true);
  if (st.uidvalidity != was.uidvalidity || st.uidnext < was.uidnext || !st.messages) return std::nullopt;
  if (header_digest(to, was.sig_uid) != was.sig) return std::nullopt;
  UidSet all = live("1:*");
  UidSet kept = all.both(was.uids);
  examined_ = Examined{to, st, std::move(all)};
  return kept;
}

// renumbered: the folder's UIDVALIDITY changed, the message may be there
// under a new UID (the host finds it again by the manifest's "identity")
json::object ImapConnector::deleted_record(const std::string& id, bool renumbered) {
  json::object o{{"id", id}, {"deleted", true}};
  if (renumbered) o["renumbered"] = true;
  return o;
}

std::string ImapConnector::read(const std::string& cursor_text) {
  Cursor c = parse_cursor(cursor_text);
  bool full = cursor_text.empty();
  gmail_names(c, full);
  json::array records;
  std::optional<uint64_t> total;  // how many this read lists, where the server said
  if (!c.running) {
    // a new listing: which folders need reading
    std::map<std::string, Status> now = list_folders();
    std::set<std::string> renamed;  // folders new to the cursor found to be one gone
    for (auto it = c.folders.begin(); it != c.folders.end();) {
      if (now.contains(it->first)) {
        ++it;
        continue;
      }
      // A folder gone (or no longer synced): its messages are gone from
      // this side, unless it was renamed: then those still there are
      // reported renumbered, and the listing of the folder under its new
      // name (new to the cursor, so listed whole: header fields, never
      // bodies) gives them again, which the host follows by their identity
      // (a move on the other side, no copy).
      std::optional<UidSet> kept;
      const FolderState& was = it->second;
      if (!gmail_ && was.sig_uid)
        for (auto& [name, st] : now) {
          if (c.folders.contains(name) || renamed.contains(name) || (st.known && st.uidvalidity != was.uidvalidity))
            continue;
          if ((kept = renamed_to(was, name))) {
            renamed.insert(name);
            host().log(ACCORD_LOG_INFO, "gmail-imap: the folder \"" + it->first + "\" was renamed to \"" + name +
                                            "\" on the server (same UIDVALIDITY and messages)");
            break;
          }
        }
      for (uint32_t uid : was.uids.values())
        records.push_back(deleted_record(MessageId{it->first, was.uidvalidity, uid}.text(), kept && kept->contains(uid)));
      it = c.folders.erase(it);
    }
    c.running = true;
    c.incremental = !full;
    // A cursor of a version that gave no headerDigest: its records get one
    // from a listing that reads every message's header fields once more
    // (same versions: the host takes them in as they are, no change)
    c.relist = !full && !c.digests;
    c.digests = true;
    for (auto& [name, st] : now) {
      auto f = c.folders.find(name);
      if (f != c.folders.end() && !c.relist && unchanged(f->second, st)) {
        // a folder an earlier version listed has no signature yet: one
        // fetch of its highest UID's header fields gives it one, once
        if (!gmail_ && !f->second.sig_uid && !f->second.uids.empty()) sign(name, f->second);
        continue;
      }
      c.todo.push_back(name);
    }
    // a rename's new folder, just examined (renamed_to), is listed first:
    // while it is still selected, begin_folder asks nothing again
    if (examined_)
      if (auto at = std::find(c.todo.begin(), c.todo.end(), examined_->folder); at != c.todo.end())
        std::rotate(c.todo.begin(), at, at + 1);
    // A full listing lists each message of each folder once: the host's
    // reading bar has the folders' MESSAGES (EXISTS) summed, where
    // LIST-STATUS gave every one of them.
    if (full && std::all_of(now.begin(), now.end(), [](const auto& kv) { return kv.second.known; })) {
      total = 0;
      for (const auto& [name, st] : now) *total += st.messages;
    }
  }
  while (!c.todo.empty() && records.size() < cfg_.batch) {
    throw_if_cancelled();
    const std::string folder = c.todo.front();
    if (c.pending && c.next_state && select(folder, false).uidvalidity != c.next_state->uidvalidity) {
      // A listing resumed mid-folder (from its cursor, maybe in a new session,
      // or after this one selected another folder) fetches its UIDs in that
      // folder, selected above. Renumbered since the last page: what the host
      // knows of it under the old UIDVALIDITY is what the listing has said so
      // far, which begin_folder reports renumbered before reading it again.
      c.folders[folder] = std::move(*c.next_state);
      c.next_state.reset();
      c.pending.reset();
    }
    if (!c.pending || !c.next_state) begin_folder(c, folder, records);
    auto [now, later] = c.pending->split(cfg_.batch - std::min(cfg_.batch, records.size()));
    fetch_records(folder, *c.next_state, now, records);
    c.pending = later;
    if (c.pending->empty()) {
      c.folders[folder] = std::move(*c.next_state);
      c.next_state.reset();
      c.pending.reset();
      c.todo.erase(c.todo.begin());
    }
  }
  bool more = !c.todo.empty();
  if (!more) c.running = c.relist = false;
  // The next page of the folder being listed, still selected, is asked for
  // now: the server answers while the host takes in this one, and the next
  // read_changes reads the replies (fetch_records). Not a folder still to
  // open (its first page comes after commands of its own).
  if (more && c.pending && !c.pending->empty() && c.next_state && session_ && session_->ahead().empty() &&
      selected_ == c.todo.front()) {
    UidSet next = c.pending->split(cfg_.batch).first;
    try {
      imap::Session& s = session();
      if (s.send_ahead(record_fetches(s, next))) ahead_ = Ahead{c.todo.front(), std::move(next)};
    } catch (const imap::SessionError&) {
      drop_session();  // (this page is read; the next read_changes signs in again and asks)
    }
  }
  json::object batch{{"records", std::move(records)}, {"cursor", c.text(account_)}, {"more", more}};
  if (full) batch["full"] = true;
  if (total) batch["total"] = *total;
  return json::serialize(batch);
}

// Opens a folder of the listing: its deletes go into records now, the UIDs
// to fetch into c.pending, and what the cursor will say once they are
// fetched into c.next_state.
//
// The cursor only knows the UIDs it listed. Our own writes come after the
// read that took it (an APPEND, a MOVE to another folder): the host knows
// those messages by the UIDs the server answered (APPENDUID, COPYUID, a
// search), which the cursor never saw, and VANISHED, the count and the
// search of known UIDs say nothing of them. So of the UIDs the cursor never
// saw below UIDNEXT (from its UIDNEXT on; from 1 in a folder new to an
// incremental listing) the ones not there now are reported deleted. The
// host ignores a delete of an id it never knew (another client's message
// that came and went); each UID is reported once, as UIDNEXT moves past it.
void ImapConnector::begin_folder(Cursor& c, const std::string& folder, json::array& records) {
  // (a rename's new folder as renamed_to just saw it, still selected: its
  // status and live UIDs of one moment, as an EXAMINE and a search now
  // would give them)
  std::optional<Examined> seen;
  if (examined_ && examined_->folder == folder && selected_ == folder) seen = std::move(examined_);
  examined_.reset();
  Status st = seen ? seen->st : select(folder, false, true);
  auto old_it = c.folders.find(folder);
  std::optional<FolderState> old;
  if (old_it != c.folders.end()) old = old_it->second;
  FolderState next;
  next.uidvalidity = st.uidvalidity;
  next.uidnext = st.uidnext;
  next.modseq = condstore_ ? st.modseq : 0;
  UidSet pending, gone;  // gone: UIDs the cursor never saw, not there now
  UidSet own;            // marked \Deleted by a run of ours that was stopped before its expunge
  if (!old || old->uidvalidity != st.uidvalidity) {
    if (old)  // UIDVALIDITY changed: every UID the cursor knew means nothing now
      for (uint32_t uid : old->uids.values())
        records.push_back(deleted_record(MessageId{folder, old->uidvalidity, uid}.text(), true));
    if (condstore_) {
      pending = !st.messages ? UidSet{} : seen ? std::move(seen->all) : live("1:*");
      if (st.messages) own = marked_here();
    } else {
      flag_scan(folder, nullptr, pending, next, own);
    }
    // (a full listing needs none: the host takes what it does not list for gone)
    if (c.incremental) gone = uid_range(1, st.uidnext).minus(pending);
  } else {
    next.uids = old->uids;
    next.flags = old->flags;
    next.sig_uid = old->sig_uid;
    next.sig = old->sig;
    uint32_t from = std::max<uint32_t>(old->uidnext, 1);
    // "n:*" answers the last message even below n
    UidSet fresh = st.uidnext > old->uidnext && st.messages ? live(std::to_string(from) + ":*") : UidSet{};
    if (from > 1) fresh = fresh.minus(uid_range(1, from));
    gone = uid_range(from, st.uidnext).minus(fresh);
    UidSet vanished, changed;
    if (condstore_) {
      if (old->modseq && st.modseq != old->modseq && old->uidnext > 1) {
        imap::Command cmd = session().command("UID FETCH");
        cmd.atom("1:" + std::to_string(old->uidnext - 1)).open().atom("UID").atom("FLAGS").close();
        cmd.open().atom("CHANGEDSINCE").number(old->modseq);
        if (qresync_) cmd.atom("VANISHED");
        cmd.close();
        imap::Reply r = run_ok(cmd, "UID FETCH CHANGEDSINCE in " + folder);
        std::vector<uint32_t> ch, mine;
        each_fetch(r, [&](auto& items) {
          auto it = items.find("UID");
          if (it == items.end()) return;
          ch.push_back(static_cast<uint32_t>(it->second.number));
          if (auto fl = items.find("FLAGS"); fl != items.end() && marked_by_us(flag_list(fl->second)))
            mine.push_back(static_cast<uint32_t>(it->second.number));
        });
        own = UidSet::of(std::move(mine));
        changed = UidSet::of(std::move(ch));
        for (auto& u : r.untagged)
          if (u.name == "VANISHED")
            for (auto& a : u.args)  // "(EARLIER)" is a list; the UID set is not
              if (a.kind != imap::Value::Kind::kList)
                if (auto set = UidSet::parse(a.str())) vanished = vanished.plus(*set);
      }
      if (!qresync_) {
        // without VANISHED: the count says whether anything went; a search says what
        size_t expect = old->uids.size() + fresh.size();
        if (st.messages != expect && !old->uids.empty()) vanished = old->uids.minus(search(old->uids.text()));
      }
    } else {
      // the scan's changes include the new UIDs (no flags recorded for them)
      flag_scan(folder, &*old, changed, next, own);
      vanished = old->uids.minus(next.uids);
    }
    vanished = vanished.plus(own).both(old->uids).minus(gone);
    for (uint32_t uid : vanished.values())
      records.push_back(deleted_record(MessageId{folder, old->uidvalidity, uid}.text()));
    next.uids = next.uids.minus(vanished);
    if (vanished.contains(next.sig_uid)) {  // the signature's message is gone: signed again later
      next.sig_uid = 0;
      next.sig.clear();
    }
    pending = changed.plus(fresh).minus(vanished);
    if (c.relist) pending = pending.plus(next.uids);
  }
  if (gone.size() > kMaxUnseenGone)  // a server whose UIDs leap, a big folder new to the listing
    throw accord::Error(ACCORD_CURSOR_EXPIRED, "the cursor cannot be resumed (" + std::to_string(gone.size()) +
                                                   " UIDs it never saw came and went in \"" + folder +
                                                   "\"): listing everything");
  for (uint32_t uid : gone.values()) records.push_back(deleted_record(MessageId{folder, st.uidvalidity, uid}.text()));
  next.uids = next.uids.minus(gone);  // (one the cursor had above its UIDNEXT: a search outran the SELECT)
  c.pending = pending.minus(gone).minus(own);
  c.next_state = std::move(next);
  expunge_own(folder, own);
}

// The UIDs of the selected folder marked \\Deleted and kExpungeMark (a
// server that cannot search keywords: none).
UidSet ImapConnector::marked_here() {
  try {
    return run_search([&](imap::Command& cmd) { cmd.atom("DELETED").atom("KEYWORD").atom(kExpungeMark); });
  } catch (const accord::Error&) {
    return {};
  }
}

bool ImapConnector::marked_by_us(const std::vector<std::string>& flags) const {
  return has_flag(flags, "\\DELETED") && has_flag(flags, imap::ascii_upper(kExpungeMark));
}

// Finishes the expunges a stopped run of ours left: the messages of the
// folder being listed that it marked \Deleted and kExpungeMark (and that
// the listing reports gone). Selected read-write for the UID EXPUNGE of
// just those UIDs; without UIDPLUS they stay marked, as such a delete
// leaves them.
void ImapConnector::expunge_own(const std::string& folder, const UidSet& own) {
  if (own.empty() || !session().has("UIDPLUS")) return;
  select(folder, true);
  imap::Reply r = session().run(session().command("UID EXPUNGE").atom(own.text()));
  if (!r.ok())
    host().log(ACCORD_LOG_WARN, "gmail-imap: expunging " + std::to_string(own.size()) + " message(s) an interrupted run "
                                "marked \\Deleted in \"" + folder + "\" was refused (" + r.done.text + "); they stay marked");
}

// Without CONDSTORE: FLAGS of every message, compared with what the cursor
// remembers (`old`, or nothing): the UIDs whose flags differ (or that are
// new) go into `changed`; next.uids/flags become what the server holds.
void ImapConnector::flag_scan(const std::string& folder, const FolderState* old, UidSet& changed, FolderState& next,
                              UidSet& own) {
  imap::Session& s = session();
  imap::Command cmd = s.command("UID FETCH");
  cmd.atom("1:*").open().atom("UID").atom("FLAGS").close();
  imap::Reply r = run_ok(cmd, "UID FETCH FLAGS in " + folder);
  std::map<std::string, std::vector<uint32_t>> groups;
  std::vector<uint32_t> all, diff, mine;
  each_fetch(r, [&](auto& items) {
    auto uid = items.find("UID");
    auto fl = items.find("FLAGS");
    if (uid == items.end() || fl == items.end()) return;
    auto flags = flag_list(fl->second);
    uint32_t id = static_cast<uint32_t>(uid->second.number);
    if (marked_by_us(flags)) mine.push_back(id);
    if (has_flag(flags, "\\DELETED")) return;  // on its way out: treated as gone
    std::string key = flags_key(flags);
    all.push_back(id);
    groups[key].push_back(id);
    bool same = false;
    if (old) {
      auto g = old->flags.find(key);
      same = g != old->flags.end() && g->second.contains(id);
    }
    if (!same) diff.push_back(id);
  });
  next.uids = UidSet::of(all);
  next.flags.clear();
  for (auto& [k, v] : groups) next.flags[k] = UidSet::of(std::move(v));
  changed = UidSet::of(diff);
  own = UidSet::of(std::move(mine));
}

// The UID FETCHes of a listing's page: its records' items, 100 UIDs each.
std::vector<imap::Command> ImapConnector::record_fetches(imap::Session& s, const UidSet& uids) {
  std::vector<imap::Command> cmds;
  UidSet rest = uids;
  while (!rest.empty()) {
    auto [head, tail] = rest.split(100);
    imap::Command c = s.command("UID FETCH");
    c.atom(head.text()).open().atom("UID").atom("FLAGS").atom("INTERNALDATE").atom("RFC822.SIZE");
    if (condstore_) c.atom("MODSEQ");
    if (gmail_) c.atom("X-GM-LABELS").atom("X-GM-THRID");
    c.atom("BODYSTRUCTURE").atom(kHeaderItem).close();
    cmds.push_back(std::move(c));
    rest = tail;
  }
  return cmds;
}

// The header fields, flags, date and size of these UIDs, as records;
// `state` learns the UIDs that are there.
void ImapConnector::fetch_records(const std::string& folder, FolderState& state, const UidSet& uids, json::array& records) {
  if (uids.empty()) return;
  imap::Session& s = session();
  // this page asked for already, at the end of the last read_changes, and
  // nothing sent since (else the session dropped its replies): its replies
  std::optional<Ahead> ahead = std::move(ahead_);
  ahead_.reset();
  bool asked = ahead && ahead->folder == folder && ahead->uids == uids && !s.ahead().empty();
  std::vector<imap::Command> cmds;
  if (!asked) cmds = record_fetches(s, uids);
  std::vector<std::pair<uint32_t, json::object>> got;
  // what the answers say of each UID, the last answer winning: there
  // (true) or gone; state.uids learns them once at the end (a UidSet's add
  // rebuilds the whole set: one a message cost O(n) each, O(n^2) for a
  // folder listed whole, as a renamed one is)
  std::map<uint32_t, bool> seen;
  auto known = [&](uint32_t uid) {
    auto k = seen.find(uid);
    return k != seen.end() ? k->second : state.uids.contains(uid);
  };
  // one FETCH response made its record (or its UID's going)
  auto take_one = [&](imap::Response& u) {
    auto items = imap::fetch_items(std::move(u));
    auto uid_it = items.find("UID");
    if (uid_it == items.end() || !uids.contains(static_cast<uint32_t>(uid_it->second.number))) return;
    uint32_t uid = static_cast<uint32_t>(uid_it->second.number);
    std::vector<std::string> flags = items.contains("FLAGS") ? flag_list(items["FLAGS"]) : std::vector<std::string>{};
    std::string id = MessageId{folder, state.uidvalidity, uid}.text();
    if (has_flag(flags, "\\DELETED")) {
      if (known(uid)) got.push_back({uid, deleted_record(id)});
      seen[uid] = false;
      return;
    }
    std::string headers;
    for (auto& [k, v] : items)
      if (k.starts_with("BODY[HEADER")) headers = v.str();
    json::object data = mail::header_fields(headers, cfg_.fallback_charset);
    // what finds the message again when its folder is renumbered (the
    // manifest's identity, with its size and date): a message without a
    // Message-ID has one too
    data["headerDigest"] = accord::hash::content_hash(headers);
    if (uid >= state.sig_uid) {  // the folder's signature (see FolderState)
      state.sig_uid = uid;
      state.sig = std::string(data["headerDigest"].as_string());
    }
    int64_t received = 0;
    if (auto d = items.find("INTERNALDATE"); d != items.end())
      received = mail::internaldate_seconds(d->second.str()).value_or(0);
    data["receivedAt"] = accord::utc::format(received);
    if (auto sz = items.find("RFC822.SIZE"); sz != items.end()) data["size"] = sz->second.number;
    data["mailboxIds"] = json::object{{folder, true}};
    data["keywords"] = mail::keywords_from_flags(flags);
    data["keywords"].as_object().erase(mail::lower(kExpungeMark));  // ours, not the user's
    if (auto b = items.find("BODYSTRUCTURE"); b != items.end())
      for (auto& [k, v] : mail::structure_fields(part_of(b->second), cfg_.fallback_charset)) data[k] = std::move(v);
    if (gmail_) {
      std::vector<std::string> labels;
      if (auto l = items.find("X-GM-LABELS"); l != items.end()) labels = label_list(l->second);
      data["mailboxIds"] = mailboxes_of(labels);
      if (has_flag(labels, "\\IMPORTANT")) data["keywords"].as_object()["$important"] = true;
      if (auto t = items.find("X-GM-THRID"); t != items.end()) data["threadId"] = std::to_string(t->second.number);
    }
    std::string version;
    if (auto ms = items.find("MODSEQ"); ms != items.end() && !ms->second.list.empty())
      version = "m" + std::to_string(ms->second.list[0].number);
    else
      version = "f" + flags_key(flags);
    seen[uid] = true;
    got.push_back({uid, json::object{{"id", id},
                                     {"version", version},
                                     {"modified", accord::utc::format(received)},
                                     {"data", std::move(data)}}});
  };
  // Each response is taken as it is read, while the server goes on
  // answering the commands still in flight (not once every reply has ended:
  // it waited meanwhile). A failure while they are read is thrown once the
  // replies have ended, so that the connection stays in step.
  std::exception_ptr failed;
  auto take = [&](imap::Response& u) {
    if (u.name != "FETCH") return false;
    if (!failed) {
      try {
        take_one(u);
      } catch (...) {
        failed = std::current_exception();
      }
    }
    return true;
  };
  std::vector<imap::Reply> replies;
  if (asked) {
    replies = s.finish_ahead(take);
    // The page asked for ahead was answered before the host took the last
    // one: a FETCH of its last UID's UID now hears what changed since (a
    // folder renamed or deleted under the listing: Dovecot's BYE, "Mailbox
    // was deleted under us"), as the page's own FETCH would have. Its
    // answer is not a record.
    imap::Command check = s.command("UID FETCH");
    check.atom(std::to_string(uids.max())).open().atom("UID").close();
    s.run(check);
  } else {
    replies = s.run_all(cmds, take);
  }
  for (auto& r : replies)
    if (!r.ok()) throw accord::Error(ACCORD_ERROR, "UID FETCH failed in " + folder + ": " + r.done.text);
  if (failed) std::rethrow_exception(failed);
  std::vector<uint32_t> in, out;
  for (auto [uid, there] : seen) (there ? in : out).push_back(uid);
  state.uids = state.uids.minus(UidSet::of(std::move(out))).plus(UidSet::of(std::move(in)));
  std::sort(got.begin(), got.end(), [](auto& a, auto& b) { return a.first < b.first; });
  for (auto& [uid, rec] : got) records.push_back(std::move(rec));
}

// ---- fetch: bodies ------------------------------------------------------

// A new file in `dir` for a body written in pieces (accord.lazy_files.v1).
class BodyFile {
 public:
  explicit BodyFile(const std::string& dir) : path_(dir + "/imap-XXXXXX") {
    fd_ = ::mkstemp(path_.data());
    if (fd_ < 0) throw accord::Error(ACCORD_ERROR, dir + ": cannot make a file: " + std::strerror(errno));
  }
  ~BodyFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!kept_) ::unlink(path_.c_str());
  }
  BodyFile(const BodyFile&) = delete;
  BodyFile& operator=(const BodyFile&) = delete;
  void write(std::string_view bytes) {
    for (size_t at = 0; at < bytes.size();) {
      ssize_t w = ::write(fd_, bytes.data() + at, bytes.size() - at);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) throw accord::Error(ACCORD_ERROR, path_ + ": cannot write: " + std::strerror(errno));
      at += static_cast<size_t>(w);
      size_ += static_cast<size_t>(w);
    }
  }
  uint64_t size() const { return size_; }
  // the file stays (the host removes it) and its path
  std::string keep() {
    kept_ = true;
    return path_;
  }

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
  bool kept_ = false;
};

namespace {
// The BODY[] item of a FETCH answer, whole or a piece ("BODY[]<0>").
const imap::Value* body_item(const std::map<std::string, imap::Value>& items) {
  for (auto& [k, v] : items)
    if (k.starts_with("BODY[]")) return &v;
  return nullptr;
}
}  // namespace

std::string ImapConnector::fetch_bodies(std::string_view ids_json, const std::string* dir, bool ranges) {
  std::map<std::string, std::vector<MessageId>> by_folder;
  for (const auto& id : accord::kit::parse_ids(ids_json))
    if (auto m = MessageId::parse(id)) by_folder[m->folder].push_back(*m);
  json::array out;
  // ranges: the file the whole bodies of this call share (made at the first)
  std::unique_ptr<BodyFile> shared;
  // the folder already open first: each switch costs the server a look at
  // the whole folder (Dovecot rescans a Maildir)
  std::vector<std::pair<const std::string, std::vector<MessageId>>*> order;
  for (auto& f : by_folder) order.push_back(&f);
  std::stable_partition(order.begin(), order.end(), [&](auto* f) { return f->first == selected_; });
  for (auto* f : order) {
    const std::string& folder = f->first;
    const std::vector<MessageId>& ids = f->second;
    throw_if_cancelled();
    // A folder renamed or deleted on the server since it was listed: its
    // messages are left out of the answer (each "gone"; the next listing
    // follows the rename), not the whole call failed with the other
    // folders' messages in it (review s16 L1: a rename during a first pull
    // failed whole chunks of INBOX's)
    Status st;
    try {
      st = select(folder, false);
    } catch (const FolderGone&) {
      continue;
    }
    std::vector<uint32_t> uids;
    for (auto& m : ids)
      if (m.uidvalidity == st.uidvalidity) uids.push_back(m.uid);
    if (uids.empty()) continue;
    size_t mark = out.size();  // (where this folder's records begin)
    try {
      fetch_folder(folder, st, uids, dir, ranges, shared, out);
    } catch (const FolderGone&) {
      out.erase(out.begin() + static_cast<std::ptrdiff_t>(mark), out.end());
    }
  }
  // the shared file stays (the host removes it); its parts name it
  if (shared) {
    std::string path = shared->keep();
    for (auto& r : out)
      if (auto* raw = r.get_object()["data"].get_object().if_contains("raw"); raw && raw->is_object())
        if (auto* f = raw->get_object().if_contains("$file"); f && f->is_string() && f->get_string().empty()) *f = path;
  }
  return json::serialize(json::object{{"records", std::move(out)}});
}

// A UID FETCH of bodies in the selected folder, or FolderGone where the
// folder was renamed or deleted since it was selected: a server may answer
// such a fetch NO ([NONEXISTENT]), and Dovecot answers it "* BYE ... Mailbox
// was deleted under us" and closes the connection. Gone only where the
// server says so or a fresh look finds no such folder (after a BYE, on a new
// connection); anything else is the error it was.
imap::Reply ImapConnector::fetch_in(const std::string& folder, const imap::Command& c,
                                    const std::function<bool(imap::Response&)>& take) {
  auto gone_now = [&] {
    try {
      select(folder, false, true);
      return false;
    } catch (const FolderGone&) {
      return true;
    }
  };
  imap::Reply r;
  try {
    r = session().run(c, take);
  } catch (const imap::SessionError& e) {
    if (e.status != ACCORD_RETRY || !session_ || session_->bye().empty()) throw;
    host().log(ACCORD_LOG_INFO, "gmail-imap: " + std::string(e.what()) + " while fetching bodies in \"" + folder +
                                    "\"; signing in again to see whether the folder is still there");
    drop_session();
    if (gone_now()) throw FolderGone(ACCORD_ERROR, "the folder \"" + folder + "\" is gone from the server");
    throw;
  }
  if (!r.ok()) {
    if (r.done.code == "NONEXISTENT" || gone_now())
      throw FolderGone(ACCORD_ERROR, "the folder \"" + folder + "\" is gone from the server: " + r.done.text);
    throw accord::Error(ACCORD_ERROR, "UID FETCH BODY[] in " + folder + " failed: " + r.done.text);
  }
  return r;
}

// The bodies of `uids` in `folder`, selected with status `st`, into `out`
// (fetch_bodies' records; with dir, in files: `shared` where ranges).
void ImapConnector::fetch_folder(const std::string& folder, const Status& st, const std::vector<uint32_t>& uids,
                                 const std::string* dir, bool ranges, std::unique_ptr<BodyFile>& shared,
                                 json::array& out) {
  imap::Session& s = session();
  imap::Command c = s.command("UID FETCH");
  c.atom(UidSet::of(uids).text()).open().atom("UID");
  // into files: the first piece of each, then the rest of the large ones
  if (dir) c.atom("RFC822.SIZE").atom("BODY.PEEK[]<0." + std::to_string(kBodyPiece) + ">");
  else c.atom("BODY.PEEK[]");
  c.close();
  auto record = [&](uint64_t uid, json::object data) {
    if (!gmail_) data["mailboxIds"] = json::object{{folder, true}};
    out.push_back(json::object{{"id", MessageId{folder, st.uidvalidity, static_cast<uint32_t>(uid)}.text()},
                               {"data", std::move(data)}});
  };
  if (!dir) {
    each_fetch(fetch_in(folder, c, {}), [&](auto& items) {
      auto uid = items.find("UID");
      const imap::Value* body = body_item(items);
      if (uid == items.end() || !body) return;
      const std::string& raw = body->text;
      record(uid->second.number, json::object{{"raw", mail::base64_encode(raw)}, {"size", raw.size()}});
    });
    return;
  }
  // Each FETCH response's piece goes to its file as it is read, not held
  // with the whole reply (issue 22 item 5); the rest of the large ones
  // once the reply has ended (no other command can run meanwhile).
  struct Got {
    uint64_t uid;
    json::object data;                // a whole body's, its file closed
    std::unique_ptr<BodyFile> file;   // or its first piece's, open for the rest
    uint64_t want = 0;                // RFC822.SIZE
  };
  std::vector<Got> got;
  // A failure while the reply is read (a file not written) is thrown once
  // the reply has ended: the connection stays in step for the next command.
  std::exception_ptr failed;
  auto in_step = [&failed](auto fn) {
    return [&failed, fn](imap::Response& u) {
      if (u.name != "FETCH") return false;
      if (failed) return true;
      try {
        fn(u);
      } catch (...) {
        failed = std::current_exception();
      }
      return true;
    };
  };
  fetch_in(folder, c, in_step([&](imap::Response& u) {
    auto items = imap::fetch_items(std::move(u));
    auto uid = items.find("UID");
    const imap::Value* body = body_item(items);
    if (uid == items.end() || !body) return;
    auto size = items.find("RFC822.SIZE");
    uint64_t want = size != items.end() ? size->second.number : 0;
    if (ranges && body->text.size() >= want) {  // whole: a part of the call's file
      if (!shared) shared = std::make_unique<BodyFile>(*dir);
      uint64_t at = shared->size();
      shared->write(body->text);
      got.push_back({uid->second.number,
                     json::object{{"raw", json::object{{"$file", ""}, {"offset", at}, {"length", body->text.size()}}},
                                  {"size", body->text.size()}},
                     nullptr, 0});
      return;
    }
    auto file = std::make_unique<BodyFile>(*dir);
    file->write(body->text);
    if (file->size() < want) {
      got.push_back({uid->second.number, {}, std::move(file), want});
    } else {
      uint64_t n = file->size();
      got.push_back({uid->second.number, json::object{{"raw", json::object{{"$file", file->keep()}}}, {"size", n}}, nullptr, 0});
    }
  }));
  if (failed) std::rethrow_exception(failed);
  for (Got& g : got) {
    if (!g.file) {
      // (a part of the shared file: its path once fetch_bodies keeps the file)
      record(g.uid, std::move(g.data));
      continue;
    }
    BodyFile& file = *g.file;
    bool gone = false;
    while (file.size() < g.want) {
      throw_if_cancelled();
      imap::Command more = s.command("UID FETCH");
      more.atom(std::to_string(g.uid)).open().atom("UID")
          .atom("BODY.PEEK[]<" + std::to_string(file.size()) + "." + std::to_string(kBodyPiece) + ">").close();
      uint64_t before = file.size();
      bool answered = false;
      fetch_in(folder, more, in_step([&](imap::Response& u) {
        auto piece = imap::fetch_items(std::move(u));
        if (const imap::Value* b = body_item(piece)) file.write(b->text), answered = true;
      }));
      if (failed) std::rethrow_exception(failed);
      if (!answered) {  // expunged meanwhile: no body at all, the next listing says so
        gone = true;
        break;
      }
      if (file.size() == before) break;  // the end (a server whose RFC822.SIZE said more)
    }
    if (gone) continue;
    uint64_t size = file.size();
    record(g.uid, json::object{{"raw", json::object{{"$file", file.keep()}}}, {"size", size}});
    g.file.reset();  // (closed now: a chunk of many keeps no descriptor open)
  }
}

}  // namespace gmail_imap
