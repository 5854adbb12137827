// SPDX-License-Identifier: Apache-2.0
// Writing: creates by APPEND (a re-sent one found again first), flag and
// label updates by STORE, folder changes by MOVE (or COPY and expunge),
// deletes by \Deleted and UID EXPUNGE or a move to the trash.

#include "gmail_imap_connector_p.hpp"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstring>

namespace gmail_imap {

namespace {

// Tests kill the process at a named point of a write (ACCORD_FAILPOINT=NAME,
// as the host's own failpoints): as a SIGKILL there, nothing after it runs.
// NAME:STOP stops the process there instead (SIGSTOP), until the test has
// done what it does in that window (another client's write) and sends SIGCONT.
// NAME:FAIL makes the step there fail as a server error would (failing()).
bool failpoint_is(const char* name, std::string_view mode) {
  const char* f = std::getenv("ACCORD_FAILPOINT");
  if (!f) return false;
  std::string_view want(f);
  return want.size() == std::strlen(name) + mode.size() && want.starts_with(name) && want.ends_with(mode);
}

void failpoint(const char* name) {
  if (failpoint_is(name, "")) std::raise(SIGKILL);
  if (failpoint_is(name, ":STOP")) std::raise(SIGSTOP);
}

}  // namespace

std::string ImapConnector::apply_ops(std::string_view ops_json) {
  std::vector<accord::kit::Op> ops = accord::kit::parse_ops(ops_json);
  std::map<std::string, std::string> renamed = rename_folders(ops);
  label_renamed_ = rename_labels(ops);
  std::vector<std::optional<Result>> moved = move_groups(ops, renamed);
  // a lost connection fails the whole call (guarded reconnects next time)
  std::vector<Result> results = accord::kit::apply_each<imap::SessionError>(*this, ops, [&](const accord::kit::Op& op) {
    if (auto& done = moved[static_cast<size_t>(&op - ops.data())]) return *done;
    return op.is_create() ? create(op) : change(op, op.is_delete(), renamed);
  });
  failpoint("gmail-imap.after_write");
  listed_forms(ops, results);
  failpoint("gmail-imap.after_apply");
  // what after_commit needs to know of these writes: where a moved message
  // came from, which folders were renamed
  for (size_t i = 0; i < ops.size() && i < results.size(); ++i) {
    if (!ops[i].is_create() && results[i].status == "ok" && !results[i].id.empty() && results[i].id != ops[i].id)
      moved_from_[results[i].id] = ops[i].id;
    // a write answered without its listed form: the state keeps the form
    // the host sent, so its folder is read back, not moved past
    if (!ops[i].is_delete() && results[i].is_ok() && !results[i].data)
      if (auto m = MessageId::parse(results[i].id)) unlisted_folders_.insert(m->folder);
  }
  for (auto& [from, to] : renamed) renamed_folders_[from] = to;
  return accord::kit::results_json(results);
}

// Each "ok" create and update answers the message as a listing gives it
// (its "data"), so that the host keeps that form, not the one it sent (the
// other store's size, date, header digest): then a write that
// accord.after_commit.v1 moves the cursor past is never folded, and need
// not be. One UID FETCH of the listing's items (no body) a hundred
// messages, per folder written; a message whose version is no longer the
// write's (another client changed it since) answers no data: its change is
// read by the next listing, as after_commit does not move past it either.
// Only with CONDSTORE (without it after_commit moves nothing).
void ImapConnector::listed_forms(const std::vector<accord::kit::Op>& ops, std::vector<Result>& results) {
  if (!condstore_) return;
  std::map<std::pair<std::string, uint32_t>, std::map<uint32_t, size_t>> by_folder;
  for (size_t i = 0; i < results.size() && i < ops.size(); ++i) {
    const Result& r = results[i];
    if (ops[i].is_delete() || !r.is_ok() || r.id.empty() || !r.version.starts_with("m")) continue;
    if (auto m = MessageId::parse(r.id)) by_folder[{m->folder, m->uidvalidity}][m->uid] = i;
  }
  for (auto& [where, uids] : by_folder) {
    throw_if_cancelled();
    try {
      if (failpoint_is("gmail-imap.listed_forms", ":FAIL"))
        throw accord::Error(ACCORD_ERROR, "failpoint gmail-imap.listed_forms:FAIL");
      Status st = select(where.first, false);
      if (st.uidvalidity != where.second) continue;
      FolderState state;
      state.uidvalidity = where.second;
      std::vector<uint32_t> asked;
      for (auto& [uid, i] : uids) asked.push_back(uid);
      json::array records;
      fetch_records(where.first, state, UidSet::of(asked), records);
      for (auto& rec : records) {
        json::object& o = rec.as_object();
        auto* data = o.if_contains("data");
        auto m = MessageId::parse(std::string(o.at("id").as_string()));
        if (!data || !data->is_object() || !m) continue;
        auto i = uids.find(m->uid);
        if (i == uids.end() || results[i->second].version != o.at("version").as_string()) continue;
        results[i->second].data = std::move(data->as_object());
      }
    } catch (const accord::Error& e) {
      // written all the same: these come back with the next listing
      host().log(ACCORD_LOG_INFO, std::string("gmail-imap: reading the written messages of \"") + where.first +
                                      "\" as listed failed (" + e.what() + "): the next run reads them");
    }
  }
}

// Moves of several messages from one folder into another (a folder renamed
// on the other side that no one call covers whole, messages filed in bulk)
// go together: one UID FETCH of their versions, one UID MOVE (or COPY,
// \Deleted and UID EXPUNGE), one UID FETCH of their new versions, instead
// of about five commands and two folder switches a message. A message whose
// flags change too, or that is alone in its move, goes by change(). Not on
// Gmail (labels). The results of the ops it did; nullopt for the others.
std::vector<std::optional<ImapConnector::Result>> ImapConnector::move_groups(
    const std::vector<accord::kit::Op>& ops, const std::map<std::string, std::string>& renamed) {
  std::vector<std::optional<Result>> out(ops.size());
  if (gmail_) return out;
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> groups;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (!ops[i].is_update()) continue;
    auto m = MessageId::parse(ops[i].id);
    if (!m || renamed.contains(m->folder)) continue;
    std::string to = mail::first_mailbox(ops[i].data, m->folder);
    if (to != m->folder) groups[{m->folder, to}].push_back(i);
  }
  for (const auto& [route, which] : groups) {
    if (which.size() < 2) continue;
    throw_if_cancelled();
    try {
      move_group(ops, route.first, route.second, which, out);
    } catch (const imap::SessionError&) {
      throw;
    } catch (const std::exception& e) {
      // before the MOVE (nothing moved): each goes alone, and says what fails
      host().log(ACCORD_LOG_INFO, std::string("gmail-imap: moving messages together failed (") + e.what() +
                                      "): each is moved alone");
    }
  }
  return out;
}

namespace {

// A UID set as the server wrote it, in its order ("5:3,9" → 5 4 3 9): a
// COPYUID's source and destination sets pair up in this order (RFC 4315).
std::vector<uint32_t> listed_uids(std::string_view text) {
  std::vector<uint32_t> out;
  size_t at = 0;
  while (at < text.size()) {
    size_t comma = text.find(',', at);
    std::string_view part = text.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at);
    size_t colon = part.find(':');
    uint32_t a = static_cast<uint32_t>(std::strtoul(std::string(part.substr(0, colon)).c_str(), nullptr, 10));
    uint32_t b = colon == std::string_view::npos ? a
                                                 : static_cast<uint32_t>(std::strtoul(std::string(part.substr(colon + 1)).c_str(), nullptr, 10));
    for (uint32_t u = a;; u = a <= b ? u + 1 : u - 1) {
      out.push_back(u);
      if (u == b) break;
    }
    if (comma == std::string_view::npos) break;
    at = comma + 1;
  }
  return out;
}

}  // namespace

void ImapConnector::move_group(const std::vector<accord::kit::Op>& ops, const std::string& from, const std::string& to,
                               const std::vector<size_t>& which, std::vector<std::optional<Result>>& out) {
  imap::Session& s = session();
  Status st = select(from, true);
  std::map<uint32_t, size_t> by_uid;
  for (size_t i : which) {
    auto m = MessageId::parse(ops[i].id);
    if (m->uidvalidity != st.uidvalidity)
      out[i] = Result::conflict("the folder \"" + from + "\" was renumbered (UIDVALIDITY changed); the next run relists it",
                                ops[i].id);
    else
      by_uid[m->uid] = i;
  }
  if (by_uid.size() < 2) return;  // (one alone: change())
  std::vector<uint32_t> asked;
  for (auto& [uid, i] : by_uid) asked.push_back(uid);
  // the versions and flags now
  auto versions = [&](const UidSet& set, std::map<uint32_t, std::vector<std::string>>* flags) {
    imap::Command c = s.command("UID FETCH");
    c.atom(set.text()).open().atom("UID").atom("FLAGS");
    if (condstore_) c.atom("MODSEQ");
    c.close();
    std::map<uint32_t, std::string> v;
    each_fetch(run_ok(c, "UID FETCH"), [&](auto& items) {
      if (!items.contains("UID")) return;
      uint32_t uid = static_cast<uint32_t>(items["UID"].number);
      auto fl = items.contains("FLAGS") ? flag_list(items["FLAGS"]) : std::vector<std::string>{};
      if (flags) (*flags)[uid] = fl;
      if (auto ms = items.find("MODSEQ"); ms != items.end() && !ms->second.list.empty())
        v[uid] = "m" + std::to_string(ms->second.list[0].number);
      else
        v[uid] = "f" + flags_key(fl);
    });
    return v;
  };
  std::map<uint32_t, std::vector<std::string>> now_flags;
  std::map<uint32_t, std::string> now = versions(UidSet::of(asked), &now_flags);
  std::vector<uint32_t> go;
  for (auto& [uid, i] : by_uid) {
    const accord::kit::Op& op = ops[i];
    auto v = now.find(uid);
    if (v == now.end() || has_flag(now_flags[uid], "\\DELETED")) continue;  // change() says it is gone
    if (op.expect_version && !op.expect_version->empty() && *op.expect_version != v->second) {
      out[i] = Result::conflict("the message changed since version " + *op.expect_version + " (now " + v->second + ")",
                                op.id, v->second);
      continue;
    }
    if (auto* k = op.data.if_contains("keywords"); k && k->is_object())
      if (flags_key(flags_for(k->get_object())) != flags_key(now_flags[uid])) continue;  // flags too: change()
    go.push_back(uid);
  }
  if (go.size() < 2) return;
  UidSet set = UidSet::of(go);
  auto run_move = [&] {
    imap::Command c = s.command(s.has("MOVE") ? "UID MOVE" : "UID COPY");
    c.atom(set.text()).mailbox(server_name(to));
    return s.run(c);
  };
  imap::Reply r = run_move();
  if (!r.ok() && r.done.code == "TRYCREATE") {
    imap::Command cr = s.command("CREATE");
    cr.mailbox(server_name(to));
    s.run(cr);
    r = run_move();
  }
  if (!r.ok()) {
    for (uint32_t uid : go)
      out[by_uid[uid]] = Result::error("moving the message to \"" + to + "\" was refused: " + r.done.text, ops[by_uid[uid]].id);
    return;
  }
  uint32_t uv = 0;
  std::map<uint32_t, uint32_t> new_uid;  // source UID → its UID in `to`
  auto take = [&](const imap::Response& resp) {
    if (resp.code != "COPYUID" || resp.code_args.size() < 3) return;
    uv = static_cast<uint32_t>(resp.code_args[0].number);
    std::vector<uint32_t> src = listed_uids(resp.code_args[1].str()), dst = listed_uids(resp.code_args[2].str());
    for (size_t k = 0; k < src.size() && k < dst.size(); ++k) new_uid[src[k]] = dst[k];
  };
  take(r.done);
  for (auto& u : r.untagged) take(u);
  if (!s.has("MOVE")) {
    imap::Command del = s.command("UID STORE");
    del.atom(set.text()).atom("+FLAGS.SILENT").open();
    for (auto& f : deleted_flags(st)) del.atom(f);
    del.close();
    s.run(del);
    failpoint("gmail-imap.after_mark_deleted");
    if (s.has("UIDPLUS")) s.run(s.command("UID EXPUNGE").atom(set.text()));
  }
  selected_.clear();
  std::map<uint32_t, std::string> after;
  if (!new_uid.empty()) {
    std::vector<uint32_t> dst;
    for (auto& [a, b] : new_uid) dst.push_back(b);
    try {
      select(to, true);
      after = versions(UidSet::of(dst), nullptr);
    } catch (const accord::Error&) {
      // moved; their versions come with the next listing
    }
  }
  for (uint32_t uid : go) {
    size_t i = by_uid[uid];
    auto n = new_uid.find(uid);
    // no COPYUID: the next listing finds it in its new folder
    out[i] = n == new_uid.end() ? Result::ok("")
                                : Result::ok(MessageId{to, uv, n->second}.text(),
                                             after.contains(n->second) ? after[n->second] : std::string());
  }
}

// A folder whose every message this call moves into one folder the server
// does not have is a folder renamed on the other side (mv .A .B in a
// Maildir): it is renamed by one RENAME (RFC 3501 6.3.5), which keeps its
// UIDVALIDITY and UIDs, so each message keeps its UID under the new name,
// instead of a MOVE per message. Not on Gmail (labels), nor INBOX (whose
// RENAME moves its messages and leaves it), nor a folder with subfolders
// (RENAME takes them along) or into one of its own. A message of the folder
// that the call does not move (one the other side has not seen yet) keeps
// it a move per message. Returns what was renamed: old name → new.
std::map<std::string, std::string> ImapConnector::rename_folders(const std::vector<accord::kit::Op>& ops) {
  std::map<std::string, std::string> done;
  if (gmail_) return done;
  struct Moves {
    std::set<std::string> to;
    std::set<uint32_t> uidvalidity;
    std::vector<uint32_t> uids;
  };
  std::map<std::string, Moves> from;
  for (const auto& op : ops) {
    if (op.is_create() || op.is_delete()) continue;
    auto m = MessageId::parse(op.id);
    if (!m) continue;
    std::string to = mail::first_mailbox(op.data, m->folder);
    if (to == m->folder) continue;
    Moves& mv = from[m->folder];
    mv.to.insert(to);
    mv.uidvalidity.insert(m->uidvalidity);
    mv.uids.push_back(m->uid);
  }
  imap::Session& s = session();
  auto listed = [&](const std::string& pattern) {
    imap::Command c = s.command("LIST");
    c.string("").mailbox(pattern);
    imap::Reply r = s.run(c);
    return r.ok() && std::any_of(r.untagged.begin(), r.untagged.end(), [](auto& u) { return u.name == "LIST"; });
  };
  for (auto& [folder, mv] : from) {
    if (mv.to.size() != 1 || mv.uidvalidity.size() != 1 || folder == "INBOX") continue;
    const std::string& to = *mv.to.begin();
    if (to == "INBOX" || to.starts_with(folder + "/")) continue;
    std::string sep = delim_.empty() ? "/" : delim_;
    if (listed(server_name(to)) || listed(server_name(folder) + sep + "*")) continue;
    Status st;
    try {
      st = select(folder, true, true);
    } catch (const accord::Error&) {
      continue;
    }
    if (st.uidvalidity != *mv.uidvalidity.begin()) continue;
    UidSet moving = UidSet::of(mv.uids);
    if (st.messages && !live("1:*").minus(moving).empty()) continue;
    imap::Command c = s.command("RENAME");
    c.mailbox(server_name(folder)).mailbox(server_name(to));
    if (s.has("UNSELECT")) s.run(s.command("UNSELECT"));  // a server may refuse to rename the selected folder
    selected_.clear();
    imap::Reply r = s.run(c);
    if (!r.ok()) {
      host().log(ACCORD_LOG_INFO, "gmail-imap: renaming \"" + folder + "\" to \"" + to + "\" was refused (" + r.done.text +
                                      "): its messages are moved one by one");
      continue;
    }
    host().log(ACCORD_LOG_INFO, "gmail-imap: \"" + folder + "\" renamed to \"" + to + "\" (every message of it moved there)");
    done[folder] = to;
  }
  return done;
}

// Gmail: a label renamed on the other side (mv .Work .Projects in a
// Maildir: the same records asking for label Projects instead of Work) is
// renamed by one RENAME: Gmail renames a label when its folder is renamed,
// on every message that carries it, instead of a STORE -X-GM-LABELS and
// +X-GM-LABELS a message. Taken only when each message this call moves to
// the label B, which Gmail does not have yet, trades exactly one user label
// A for it, every message carrying A is among them, A has no nested labels
// and each message is at the version the op expects. A label some messages
// keep (on a Maildir a message with two labels is filed under its first) is
// relabelled message by message, as before. Returns All Mail's UIDs whose
// labels the RENAME changed: their MODSEQ moved on, which change() knows.
std::set<uint32_t> ImapConnector::rename_labels(const std::vector<accord::kit::Op>& ops) {
  std::set<uint32_t> done;
  if (!gmail_) return done;
  std::map<uint32_t, size_t> by_uid;
  bool user_labels = false;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (!ops[i].is_update()) continue;
    auto m = MessageId::parse(ops[i].id);
    if (!m || resolve(m->folder) != special("\\ALL")) continue;
    by_uid[m->uid] = i;
    for (const auto& l : labels_of(ops[i].data)) user_labels = user_labels || !l.starts_with("\\");
  }
  if (by_uid.empty() || !user_labels) return done;
  imap::Session& s = session();
  // the labels Gmail has (its folders)
  std::set<std::string> exists;
  {
    imap::Reply r = s.run(s.command("LIST").string("").string("*"));
    if (!r.ok()) return done;
    for (auto& u : r.untagged)
      if (u.name == "LIST" && u.args.size() >= 3)
        exists.insert(canonical_name(u.args[2].str(), u.args[1].is_nil() ? "" : u.args[1].str()));
  }
  std::map<std::string, std::vector<uint32_t>> to_new;  // a label Gmail lacks → the messages asking for it
  for (auto& [uid, i] : by_uid)
    for (const auto& l : labels_of(ops[i].data))
      if (!l.starts_with("\\") && !exists.contains(l)) to_new[l].push_back(uid);
  if (to_new.empty()) return done;
  std::vector<uint32_t> asked;
  for (auto& [label, uids] : to_new) asked.insert(asked.end(), uids.begin(), uids.end());
  select(all_key(), true);
  // their labels and versions now
  std::map<uint32_t, std::pair<std::set<std::string>, std::string>> now;
  {
    imap::Command c = s.command("UID FETCH");
    c.atom(UidSet::of(asked).text()).open().atom("UID").atom("FLAGS").atom("X-GM-LABELS");
    if (condstore_) c.atom("MODSEQ");
    c.close();
    each_fetch(run_ok(c, "UID FETCH X-GM-LABELS"), [&](auto& items) {
      if (!items.contains("UID") || !items.contains("X-GM-LABELS")) return;
      auto& [labels, version] = now[static_cast<uint32_t>(items["UID"].number)];
      for (auto& l : label_list(items["X-GM-LABELS"]))
        if (std::string m = managed_label(l); !m.empty()) labels.insert(m);
      if (auto ms = items.find("MODSEQ"); ms != items.end() && !ms->second.list.empty())
        version = "m" + std::to_string(ms->second.list[0].number);
      else
        version = "f" + flags_key(items.contains("FLAGS") ? flag_list(items["FLAGS"]) : std::vector<std::string>{});
    });
  }
  for (auto& [to, uids] : to_new) {
    std::optional<std::string> from;
    bool rename = true;
    for (uint32_t uid : uids) {
      const accord::kit::Op& op = ops[by_uid[uid]];
      auto it = now.find(uid);
      if (it == now.end() || (op.expect_version && !op.expect_version->empty() && *op.expect_version != it->second.second)) {
        rename = false;
        break;
      }
      std::set<std::string> want = labels_of(op.data), add, drop;
      const std::set<std::string>& have = it->second.first;
      std::set_difference(want.begin(), want.end(), have.begin(), have.end(), std::inserter(add, add.end()));
      std::set_difference(have.begin(), have.end(), want.begin(), want.end(), std::inserter(drop, drop.end()));
      if (add != std::set<std::string>{to} || drop.size() != 1 || drop.begin()->starts_with("\\") ||
          (from && *from != *drop.begin())) {
        rename = false;
        break;
      }
      from = *drop.begin();
    }
    if (!rename || !from || to.starts_with(*from + "/")) continue;
    bool nested = std::any_of(exists.begin(), exists.end(), [&](const std::string& n) { return n.starts_with(*from + "/"); });
    if (nested) continue;
    // every message carrying the label is one this call moves
    UidSet carrying = run_search([&](imap::Command& c) { c.atom("X-GM-LABELS").mailbox(*from); });
    if (carrying != UidSet::of(uids)) continue;
    imap::Command c = s.command("RENAME");
    c.mailbox(server_name(*from)).mailbox(server_name(to));
    imap::Reply r = s.run(c);
    if (!r.ok()) {
      host().log(ACCORD_LOG_INFO, "gmail-imap: renaming the label \"" + *from + "\" to \"" + to + "\" was refused (" +
                                      r.done.text + "): its messages are relabelled one by one");
      continue;
    }
    host().log(ACCORD_LOG_INFO, "gmail-imap: the label \"" + *from + "\" renamed to \"" + to + "\" (" +
                                    std::to_string(uids.size()) + " messages)");
    done.insert(uids.begin(), uids.end());
    selected_.clear();  // All Mail's HIGHESTMODSEQ moved on
  }
  return done;
}

// The version a message has now (MODSEQ or flags); nullopt when it is gone.
std::optional<std::string> ImapConnector::current_version(uint32_t uid, std::vector<std::string>* flags_out,
                                                          std::vector<std::string>* labels_out) {
  imap::Session& s = session();
  imap::Command c = s.command("UID FETCH");
  c.atom(std::to_string(uid)).open().atom("UID").atom("FLAGS");
  if (condstore_) c.atom("MODSEQ");
  if (labels_out) c.atom("X-GM-LABELS");
  c.close();
  std::optional<std::string> out;
  each_fetch(run_ok(c, "UID FETCH"), [&](auto& items) {
    if (!items.contains("UID") || items["UID"].number != uid) return;
    auto flags = items.contains("FLAGS") ? flag_list(items["FLAGS"]) : std::vector<std::string>{};
    if (flags_out) *flags_out = flags;
    if (labels_out && items.contains("X-GM-LABELS")) *labels_out = label_list(items["X-GM-LABELS"]);
    if (auto ms = items.find("MODSEQ"); ms != items.end() && !ms->second.list.empty())
      out = "m" + std::to_string(ms->second.list[0].number);
    else
      out = "f" + flags_key(flags);
  });
  return out;
}

ImapConnector::Result ImapConnector::found(const std::string& folder, uint32_t uidvalidity, uint32_t uid) {
  auto v = current_version(uid);
  return Result::ok(MessageId{folder, uidvalidity, uid}.text(), v.value_or(""));
}

// A message this create may already have made: by Message-ID (or our
// X-Accord-Id) and size.
std::optional<ImapConnector::Result> ImapConnector::find_existing(const std::string& folder, const std::string& header,
                                                                 const std::string& value, uint64_t size) {
  Status st;
  try {
    st = select(folder, true);
  } catch (const accord::Error&) {
    return std::nullopt;  // no such folder yet: nothing was made
  }
  UidSet hits = search("", header, value);
  if (hits.empty()) return std::nullopt;
  imap::Session& s = session();
  imap::Command c = s.command("UID FETCH");
  c.atom(hits.text()).open().atom("UID").atom("RFC822.SIZE").close();
  std::optional<uint32_t> match;
  each_fetch(run_ok(c, "UID FETCH"), [&](auto& items) {
    if (!match && items.contains("UID") && items.contains("RFC822.SIZE") && items["RFC822.SIZE"].number == size)
      match = static_cast<uint32_t>(items["UID"].number);
  });
  if (!match) return std::nullopt;
  return found(folder, st.uidvalidity, *match);
}

// A message without a Message-ID this create may already have made (a
// resend): the same size, the internal date the APPEND gave it and the same
// header bytes. Nothing is added to the message to find it by, so the
// server's copy is the other side's byte for byte. Byte-identical twins
// (same headers, size and date) cannot be told apart: the newest is taken.
std::optional<ImapConnector::Result> ImapConnector::find_same(const std::string& folder, const std::string& msg,
                                                             std::optional<int64_t> when) {
  if (msg.empty()) return std::nullopt;
  Status st;
  try {
    st = select(folder, true);
  } catch (const accord::Error&) {
    return std::nullopt;  // no such folder yet: nothing was made
  }
  UidSet hits = run_search([&](imap::Command& c) {
    // LARGER and SMALLER are strict: exactly msg.size() octets
    c.atom("LARGER").atom(std::to_string(msg.size() - 1)).atom("SMALLER").atom(std::to_string(msg.size() + 1));
  });
  if (hits.empty()) return std::nullopt;
  std::string_view want = mail::header_block(msg);
  imap::Session& s = session();
  imap::Command c = s.command("UID FETCH");
  c.atom(hits.text()).open().atom("UID").atom("INTERNALDATE").atom("BODY.PEEK[HEADER]").close();
  std::optional<uint32_t> match;
  each_fetch(run_ok(c, "UID FETCH"), [&](auto& items) {
    if (!items.contains("UID")) return;
    if (when) {
      auto d = items.find("INTERNALDATE");
      if (d == items.end() || mail::internaldate_seconds(d->second.str()) != when) return;
    }
    std::string headers;
    for (auto& [k, v] : items)
      if (k.starts_with("BODY[HEADER")) headers = v.str();
    if (mail::header_block(headers) != want) return;
    uint32_t uid = static_cast<uint32_t>(items["UID"].number);
    if (!match || uid > *match) match = uid;
  });
  if (!match) return std::nullopt;
  return found(folder, st.uidvalidity, *match);
}

ImapConnector::Result ImapConnector::create(const accord::kit::Op& op) {
  const json::object& data = op.data;
  const std::string& key = op.idempotency_key;
  bool resend = op.resend;
  auto* raw = data.if_contains("raw");
  if (!raw)
    return Result::error("a new message needs its body in \"raw\" (base64 of the RFC 5322 message); "
                                   "the host fetches it from the other side");
  std::string why;
  auto bytes = mail::lazy_bytes(*raw, why);  // base64 text, or a file the host handed over
  if (!bytes) return Result::error("\"raw\" " + why);
  // one copy of a large message: converted only when a line lacks its CR
  std::string msg = mail::crlf_size(*bytes) == bytes->size() ? std::move(*bytes) : mail::to_crlf(*bytes);
  bytes.reset();
  // on Gmail a message goes into All Mail, and its labels are set after
  std::string folder = gmail_ ? all_key() : mail::first_mailbox(data, "INBOX");
  std::string header = "Message-ID", value = mail::header_value(mail::header_block(msg), "Message-ID");
  std::vector<std::string> flags;
  if (auto* k = data.if_contains("keywords"); k && k->is_object()) flags = flags_for(k->get_object());
  std::optional<int64_t> when;
  if (auto* t = data.if_contains("receivedAt"); t && t->is_string()) when = mail::rfc3339_seconds(t->get_string());
  // found again by Message-ID, or without one by its bytes: the message is
  // sent as it is. Earlier versions prepended "X-Accord-Id: <key>" to find
  // it by: a create they left unfinished is found by that header.
  auto existing_one = [&]() -> std::optional<Result> {
    if (!value.empty()) return find_existing(folder, header, value, msg.size());
    if (auto same = find_same(folder, msg, when)) return same;
    if (key.empty()) return std::nullopt;
    return find_existing(folder, "X-Accord-Id", key, msg.size() + ("X-Accord-Id: " + key + "\r\n").size());
  };
  if (resend)
    if (auto existing = existing_one()) return relabelled(*existing, data);
  imap::Session& s = session();
  auto append = [&] {
    imap::Command c = s.command("APPEND");
    c.mailbox(server_name(resolve(folder))).open();
    for (auto& f : flags) c.atom(f);
    c.close();
    if (when) c.string(mail::internaldate(*when));
    c.literal_ref(msg);  // sent from msg itself, not copied
    return s.run(c);
  };
  imap::Reply r = append();
  if (!r.ok() && r.done.code == "TRYCREATE") {
    imap::Command cr = s.command("CREATE");
    cr.mailbox(server_name(resolve(folder)));
    imap::Reply made = s.run(cr);
    if (!made.ok()) return Result::error("cannot create the folder \"" + folder + "\": " + made.done.text);
    r = append();
  }
  if (!r.ok()) return Result::error("APPEND to \"" + folder + "\" refused: " + r.done.text);
  if (selected_ == folder) selected_.clear();  // its status moved on
  if (r.done.code == "APPENDUID" && r.done.code_args.size() >= 2) {
    uint32_t uv = static_cast<uint32_t>(r.done.code_args[0].number);
    uint32_t uid = static_cast<uint32_t>(r.done.code_args[1].number);
    select(folder, true);
    if (!gmail_) return found(folder, uv, uid);
    // Gmail keeps one message per Message-ID: an APPEND of one it holds is
    // answered with a UID and dropped. The one it holds is this record's; it
    // may carry labels of its own (an mbsync-made Maildir holds a copy of it
    // per label): this create adds its labels and takes none off.
    bool ours = true;
    if (!current_version(uid, nullptr, nullptr) && header == "Message-ID" && !value.empty()) {
      std::vector<uint32_t> same = search("", header, value).values();
      if (!same.empty()) uid = same.front(), ours = false;
    }
    return labelled(MessageId{folder, uv, uid}, data, ours);
  }
  if (auto existing = existing_one()) return relabelled(*existing, data);
  return Result::error("the message was appended to \"" + folder + "\" but cannot be found again "
                                 "(the server has no UIDPLUS and the search missed it)");
}

// A message just made (or found again) in Gmail's All Mail gets the labels
// its record asks for; its id and version after that.
ImapConnector::Result ImapConnector::labelled(const MessageId& m, const json::object& data, bool ours) {
  select(m.folder, true);
  std::vector<std::string> labels;
  if (!current_version(m.uid, nullptr, &labels)) return Result::error("the new message is gone again", m.text());
  if (auto bad = store_labels(m.uid, data, labels, nullptr, !ours)) return Result::error(*bad, m.text());
  return found(m.folder, m.uidvalidity, m.uid);
}

// The same for a message a search found (a re-sent create, or one found by
// Message-ID that this create may not have made): labels only added.
ImapConnector::Result ImapConnector::relabelled(const Result& r, const json::object& data) {
  auto m = MessageId::parse(r.id);
  return gmail_ && m ? labelled(*m, data, false) : r;
}

ImapConnector::Result ImapConnector::change(const accord::kit::Op& op, bool is_delete,
                                            const std::map<std::string, std::string>& renamed) {
  const std::string& id = op.id;
  auto m = MessageId::parse(id);
  if (!m) return Result::error("not a message id of this connector: " + id, id);
  // its folder renamed by this call: the message has its UID there
  if (auto r = renamed.find(m->folder); r != renamed.end()) m->folder = r->second;
  Status st = select(m->folder, true);
  if (st.uidvalidity != m->uidvalidity)
    return Result::conflict("the folder \"" + m->folder + "\" was renumbered (UIDVALIDITY changed); the next run relists it", id);
  std::string expect = op.expect_version.value_or("");
  std::vector<std::string> now_flags, now_labels;
  auto now = current_version(m->uid, &now_flags, gmail_ ? &now_labels : nullptr);
  if (!now) return Result::error("the message is gone from \"" + m->folder + "\" (the next run sees the delete)", id);
  // (a label this call renamed moved the message's MODSEQ on: rename_labels
  // checked the version before it)
  if (!expect.empty() && expect != *now && !(gmail_ && label_renamed_.contains(m->uid)))
    return Result::conflict("the message changed since version " + expect + " (now " + *now + ")", id, *now);
  imap::Session& s = session();
  auto store = [&](const char* how, const std::vector<std::string>& flags) -> std::optional<Result> {
    imap::Command c = s.command("UID STORE");
    c.atom(std::to_string(m->uid));
    if (condstore_ && now->starts_with("m")) c.open().atom("UNCHANGEDSINCE").atom(now->substr(1)).close();
    c.atom(how).open();
    for (auto& f : flags) c.atom(f);
    c.close();
    imap::Reply r = s.run(c);
    if (r.done.code == "MODIFIED")
      return Result::conflict("the message changed on the server while it was being written", id);
    if (!r.ok()) return Result::error("UID STORE refused: " + r.done.text, id);
    return std::nullopt;
  };
  if (is_delete) {
    std::string mode = !cfg_.delete_mode.empty() ? cfg_.delete_mode : gmail_ ? "trash" : "expunge";
    // the trash is the folder marked \Trash (RFC 6154), never one found by its
    // name: names are localised ("[Gmail]/Papierkorb") and a folder merely
    // called "Trash" may be the user's own
    std::string trash = !cfg_.trash.empty() ? cfg_.trash : special("\\TRASH");
    if (mode == "trash" && trash.empty())
      return Result::error("delete: \"trash\" needs the trash folder, and the server marks none \\Trash (RFC 6154 "
                           "SPECIAL-USE): set \"trash_folder\", or delete: \"expunge\"", id);
    if (mode == "trash" && m->folder != trash) return move(*m, trash, id);
    std::optional<uint64_t> gm_id = gmail_ ? gmail_msgid(m->uid) : std::nullopt;
    if (auto bad = store("+FLAGS.SILENT", deleted_flags(st))) return *bad;
    failpoint("gmail-imap.after_mark_deleted");
    if (s.has("UIDPLUS")) {
      imap::Reply r = s.run(s.command("UID EXPUNGE").atom(std::to_string(m->uid)));
      if (!r.ok()) return Result::error("UID EXPUNGE refused: " + r.done.text, id);
    }
    // without UIDPLUS the message stays marked \Deleted (an EXPUNGE would take
    // every marked message in the folder): it reads as deleted from now on
    selected_.clear();
    if (gm_id && s.has("UIDPLUS")) {
      // Gmail does with an expunge what the account's setting "When a message
      // is marked as deleted and expunged from the last visible IMAP folder"
      // says: archive it (the default: it stays in All Mail), move it to the
      // Trash, or delete it forever. A delete is reported once the message is
      // no longer in All Mail.
      select(m->folder, false, true);
      UidSet still = run_search([&](imap::Command& c) { c.atom("X-GM-MSGID").atom(std::to_string(*gm_id)); });
      if (!still.empty()) {
        // Archiving took its labels off: they are put back (and the marks
        // taken off), so that the message is as the other side last saw it
        // and the next run tries the delete again, instead of seeing a change
        // on this side that wins over the delete and brings the message back.
        // (best effort: the delete fails either way, and says why)
        select(m->folder, true);
        uint32_t uid = still.values().front();
        imap::Command c = s.command("UID STORE");
        c.atom(std::to_string(uid)).atom("-FLAGS.SILENT").open();
        for (auto& f : deleted_flags(st)) c.atom(f);  // (flags are atoms, keywords too)
        c.close();
        s.run(c);
        store_label_list(uid, "+X-GM-LABELS.SILENT", now_labels);
        selected_.clear();
        return Result::error("Gmail archived the message instead of deleting it (it is still in All Mail): its setting "
                             "\"When a message is marked as deleted and expunged from the last visible IMAP folder\" "
                             "is \"Archive the message\"; set it to \"Move the message to the Trash\" or \"Immediately "
                             "delete the message forever\" (Settings, Forwarding and POP/IMAP), or use delete: \"trash\"",
                             id);
      }
    }
    return Result::ok(id);
  }
  const json::object& data = op.data;
  if (auto* k = data.if_contains("keywords"); k && k->is_object()) {
    std::vector<std::string> flags = flags_for(k->get_object());
    if (flags_key(flags) != flags_key([&] {
          auto f = now_flags;
          std::erase_if(f, [](const std::string& x) { return imap::ascii_upper(x) == "\\DELETED"; });
          return f;
        }()))
      if (auto bad = store("FLAGS.SILENT", flags)) return *bad;
  }
  if (gmail_) {
    // a change of mailboxIds is a change of labels; the message stays in All Mail
    if (auto bad = store_labels(m->uid, data, now_labels, op.was ? &*op.was : nullptr)) return Result::error(*bad, id);
  } else if (std::string to = mail::first_mailbox(data, m->folder); to != m->folder) {
    return move(*m, to, id);
  }
  auto v = current_version(m->uid);
  return Result::ok(m->text(), v.value_or(""));
}

// The flags that mark a message this connector expunges (see kExpungeMark)
// in a folder selected with status `st`.
std::vector<std::string> ImapConnector::deleted_flags(const Status& st) {
  if (st.keywords) return {"\\Deleted", kExpungeMark};
  return {"\\Deleted"};
}

// Moves a message to another folder: its id changes (a new UID there).
ImapConnector::Result ImapConnector::move(const MessageId& m, const std::string& to, const std::string& id) {
  imap::Session& s = session();
  auto run_move = [&] {
    imap::Command c = s.command(s.has("MOVE") ? "UID MOVE" : "UID COPY");
    c.atom(std::to_string(m.uid)).mailbox(server_name(to));
    return s.run(c);
  };
  imap::Reply r = run_move();
  if (!r.ok() && r.done.code == "TRYCREATE") {
    imap::Command cr = s.command("CREATE");
    cr.mailbox(server_name(to));
    s.run(cr);
    r = run_move();
  }
  if (!r.ok()) return Result::error("moving the message to \"" + to + "\" was refused: " + r.done.text, id);
  std::optional<std::pair<uint32_t, uint32_t>> copyuid;
  auto take = [&](const imap::Response& resp) {
    if (resp.code == "COPYUID" && resp.code_args.size() >= 3)
      if (auto dst = UidSet::parse(resp.code_args[2].str()); dst && !dst->empty())
        copyuid = {static_cast<uint32_t>(resp.code_args[0].number), dst->max()};
  };
  take(r.done);
  for (auto& u : r.untagged) take(u);
  if (!s.has("MOVE")) {
    imap::Command del = s.command("UID STORE");
    del.atom(std::to_string(m.uid)).atom("+FLAGS.SILENT").open();
    for (auto& f : deleted_flags(selected_status_)) del.atom(f);
    del.close();
    s.run(del);
    failpoint("gmail-imap.after_mark_deleted");
    if (s.has("UIDPLUS")) s.run(s.command("UID EXPUNGE").atom(std::to_string(m.uid)));
  }
  selected_.clear();
  if (!copyuid) return Result::ok("");  // no COPYUID: the next listing finds it in its new folder
  select(to, true);
  return found(to, copyuid->first, copyuid->second);
}

}  // namespace gmail_imap
