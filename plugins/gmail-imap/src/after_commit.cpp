// SPDX-License-Identifier: Apache-2.0
// accord.after_commit.v1: after the host committed a batch of this
// connector's writes, the cursor is moved past them in each folder written,
// so that the next run does not read its own writes back (issue 22 item 6):
// creates (APPEND, and a move's copy in its new folder) and updates in
// place. A folder a message left (a delete, the source of a move, a rename)
// is read back as before: the host forgets the old id only when a listing
// reports it gone. A folder moves on only when what the server holds now is exactly the
// cursor's state plus these writes: the same UIDVALIDITY; the messages the
// cursor knew, less those this run expunged or moved out, plus those it
// appended or moved in (APPENDUID, COPYUID), and no others (MESSAGES and
// UIDNEXT agree); and every message changed since the cursor's
// HIGHESTMODSEQ is one of the writes at the version its result gave (and,
// with QRESYNC, every message VANISHED is one this run took out). Anything
// else, or a server without CONDSTORE, keeps that folder's state: its
// changes are read as before.

#include "gmail_imap_connector_p.hpp"

namespace gmail_imap {

namespace {

// What this run did in one folder, by UID.
struct Writes {
  UidSet added, removed;
  std::map<uint32_t, std::string> versions;  // a message written and its version after the write
  bool unknown = false;                      // a write here that cannot be accounted for
};

}  // namespace

std::optional<std::string> ImapConnector::past_own_writes(const std::string& cursor_text, std::string_view written_json) {
  if (!condstore_) return std::nullopt;  // (flags kept per UID without CONDSTORE: read as before)
  Cursor c = parse_cursor(cursor_text);
  if (c.running || c.folders.empty()) return std::nullopt;
  json::value written = json::parse(written_json);
  if (!written.is_array()) return std::nullopt;
  bool changed = false;
  std::map<std::string, Writes> by_folder;
  // Messages taken out of a folder (expunged, moved out, the folder
  // renamed) are still read back: the host drops an old id's row when a
  // listing reports it gone (a move's result names the new id only), so
  // those folders keep their state
  for (auto& [from, to] : renamed_folders_) by_folder[from].unknown = by_folder[to].unknown = true;
  renamed_folders_.clear();
  // a folder where a write was answered without its listed form (reading
  // it back failed): the state holds the form the host sent, so the next
  // listing must read that write (after_commit.h)
  for (auto& f : unlisted_folders_) by_folder[f].unknown = true;
  unlisted_folders_.clear();
  for (const auto& w : written.as_array()) {
    if (!w.is_object()) continue;
    const json::object& o = w.get_object();
    auto* op = o.if_contains("op");
    auto* id = o.if_contains("id");
    if (!op || !op->is_string() || !id || !id->is_string()) continue;
    std::string kind(op->get_string()), text(id->get_string());
    auto m = MessageId::parse(text);
    if (!m) continue;
    std::string version;
    if (auto* v = o.if_contains("version"); v && v->is_string()) version = std::string(v->get_string());
    bool moved_in = false;
    if (auto from = moved_from_.find(text); from != moved_from_.end()) {
      if (auto old = MessageId::parse(from->second)) {
        std::string folder = old->folder;
        if (auto r = renamed_folders_.find(folder); r != renamed_folders_.end()) folder = r->second;
        if (folder != m->folder) {
          by_folder[folder].removed.add(old->uid);
          by_folder[folder].unknown = true;
          moved_in = true;
        }
      }
      moved_from_.erase(from);
    }
    Writes& here = by_folder[m->folder];
    if (kind == "delete") {
      if (!moved_in) here.removed.add(m->uid), here.unknown = true;  // (a delete to the trash: its copy there is not ours to read)
      continue;
    }
    if (kind == "create" || moved_in) here.added.add(m->uid);
    if (!version.starts_with("m")) here.unknown = true;  // no MODSEQ to compare: read as before
    here.versions[m->uid] = version;
  }
  for (auto& [folder, w] : by_folder) {
    auto state = c.folders.find(folder);
    if (state == c.folders.end() || w.unknown) continue;
    FolderState& fs = state->second;
    Status st;
    try {
      st = select(folder, false, true);
    } catch (const accord::Error&) {
      continue;
    }
    UidSet expect = fs.uids.minus(w.removed).plus(w.added);
    uint32_t next = std::max(fs.uidnext, w.added.max() + 1);
    if (st.uidvalidity != fs.uidvalidity || st.messages != expect.size() || st.uidnext != next || !st.modseq) continue;
    bool others = false;
    if (st.modseq != fs.modseq && st.uidnext > 1) {  // the folder as it is now: one empty at the cursor holds our writes
      imap::Command cmd = session().command("UID FETCH");
      cmd.atom("1:" + std::to_string(st.uidnext - 1)).open().atom("UID").atom("MODSEQ").close();
      cmd.open().atom("CHANGEDSINCE").number(fs.modseq);
      if (qresync_) cmd.atom("VANISHED");
      cmd.close();
      imap::Reply r = run_ok(cmd, "UID FETCH CHANGEDSINCE in " + folder);
      each_fetch(r, [&](auto& items) {
        auto uid = items.find("UID");
        auto ms = items.find("MODSEQ");
        if (uid == items.end()) return;
        auto v = w.versions.find(static_cast<uint32_t>(uid->second.number));
        if (v == w.versions.end() || ms == items.end() || ms->second.list.empty() ||
            v->second != "m" + std::to_string(ms->second.list[0].number))
          others = true;  // someone else's change, or ours changed again since
      });
      for (auto& u : r.untagged)
        if (u.name == "VANISHED")
          for (auto& a : u.args)
            if (a.kind != imap::Value::Kind::kList)
              if (auto set = UidSet::parse(a.str()); set && !set->minus(w.removed).empty()) others = true;
    }
    if (others) continue;
    bool resign = fs.sig_uid && w.removed.contains(fs.sig_uid);
    fs.uids = expect;
    fs.uidnext = st.uidnext;
    fs.modseq = st.modseq;
    // the signature's message taken out by this run: signed again now (one
    // header fetch), not by the next listing (which would open the folder)
    if (resign) {
      fs.sig_uid = 0, fs.sig.clear();
      if (!fs.uids.empty()) sign(folder, fs);
    }
    changed = true;
  }
  if (!changed) return std::nullopt;
  return c.text(account_);
}

}  // namespace gmail_imap
