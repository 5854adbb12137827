// SPDX-License-Identifier: Apache-2.0
// Gmail's dialect (X-GM-EXT-1): its special folders found by their
// SPECIAL-USE flag whatever the account's language, the names a state keeps
// for them, and labels ⇄ mailboxIds (reading them, setting them by STORE).

#include "gmail_imap_connector_p.hpp"

#include "mutf7.hpp"

#include <algorithm>

namespace gmail_imap {

namespace {

constexpr const char* kUses[] = {"\\ALL", "\\SENT", "\\DRAFTS", "\\TRASH", "\\JUNK"};

}  // namespace

// Gmail labels as sent: system ones ("\\Inbox") as they are, others decoded
// from modified UTF-7.
std::vector<std::string> label_list(const imap::Value& v) {
  std::vector<std::string> out;
  for (auto& l : v.list) {
    std::string t = l.str();
    out.push_back(t.starts_with("\\") ? t : imap::mutf7_decode(t).value_or(t));
  }
  return out;
}

std::string ImapConnector::special(const char* use, const std::string& fallback) const {
  auto it = special_.find(use);
  return it == special_.end() ? fallback : it->second;
}

// The SPECIAL-USE flag ("\\SENT") a Gmail folder key or mailbox name
// stands for: the flag itself ("\\Sent"), the name this state uses for it,
// or the name the server gives it now; "" for any other.
std::string ImapConnector::use_of(const std::string& name) const {
  std::string up = imap::ascii_upper(name);
  for (const char* use : kUses)
    if (up == use) return use;
  for (auto& [use, n] : names_)
    if (n == name) return use;
  for (auto& [use, n] : special_)
    if (n == name) return use;
  return "";
}

// The server's folder a key names. On Gmail a special folder's key (its
// flag, or the name an earlier version's state holds) is the folder the
// server marks with that flag now; any other key but INBOX and the trash
// is All Mail too (only All Mail is read): an id of a state made before the
// account's language changed, whose All Mail had another name. Elsewhere
// the key is the folder.
std::string ImapConnector::resolve(const std::string& key) const {
  if (!gmail_ || key == "INBOX" || key == cfg_.trash) return key;
  std::string use = use_of(key);
  if (!use.empty()) return special(use.c_str(), key);
  return special("\\ALL", key);
}

// The key of All Mail in this state's ids and cursor.
std::string ImapConnector::all_key() const {
  auto it = names_.find("\\ALL");
  return it == names_.end() ? "\\All" : it->second;
}

// The name this state gives the special folder `use` in mailboxIds.
std::string ImapConnector::state_name(const char* use, const char* flag) const {
  auto it = names_.find(use);
  return it == names_.end() ? flag : it->second;
}

// mailboxIds of a Gmail message: INBOX, Sent, Drafts, then its own labels
// (sorted); none of them: All Mail (an archived message). \Important is
// the keyword $important and \Starred the flag \Flagged, not mailboxes.
json::object ImapConnector::mailboxes_of(const std::vector<std::string>& labels) const {
  std::vector<std::string> sys, user;
  for (const auto& l : labels) {
    std::string up = imap::ascii_upper(l);
    if (up == "\\INBOX") sys.insert(sys.begin(), "INBOX");
    else if (up == "\\SENT") sys.push_back(state_name("\\SENT", "\\Sent"));
    else if (up == "\\DRAFT") sys.push_back(state_name("\\DRAFTS", "\\Drafts"));
    else if (!l.starts_with("\\")) user.push_back(l);
  }
  std::sort(user.begin(), user.end());
  json::object out;
  for (auto& n : sys) out[n] = true;
  for (auto& n : user) out[n] = true;
  if (out.empty()) out[state_name("\\ALL", "\\All")] = true;
  return out;
}

// The labels a record asks for (those this connector manages: \Inbox,
// \Sent, \Draft, \Important and the user's own).
std::set<std::string> ImapConnector::labels_of(const json::object& data) const {
  std::set<std::string> out;
  if (auto* m = data.if_contains("mailboxIds"); m && m->is_object())
    for (const auto& [k, v] : m->get_object()) {
      if (!v.is_bool() || !v.get_bool()) continue;
      std::string name(k), use = use_of(name);
      if (imap::ascii_upper(name) == "INBOX") out.insert("\\Inbox");
      else if (use == "\\SENT") out.insert("\\Sent");
      else if (use == "\\DRAFTS") out.insert("\\Draft");
      else if (use.empty() && !system_folder(name)) out.insert(name);
    }
  if (auto* k = data.if_contains("keywords"); k && k->is_object())
    if (auto* i = k->get_object().if_contains("$important"); i && i->is_bool() && i->get_bool()) out.insert("\\Important");
  return out;
}

// A name under Gmail's folder of system folders ("[Gmail]/…", "[Google
// Mail]/…" in some countries), or a flag: no user label can be called so
// (Gmail refuses such labels); a special folder's name in another language
// than the account's now, never made a label.
bool ImapConnector::system_folder(const std::string& name) const {
  if (name.starts_with("\\") || name.starts_with("[Gmail]/") || name.starts_with("[Google Mail]/")) return true;
  std::string all = special("\\ALL");
  size_t slash = all.rfind('/');
  return slash != std::string::npos && name.starts_with(all.substr(0, slash + 1));
}

// A label this connector manages, spelt as labels_of spells it; "" for
// the others (\\Starred is the \\Flagged flag; Gmail's other system labels).
std::string ImapConnector::managed_label(const std::string& l) {
  if (!l.starts_with("\\")) return l;
  std::string up = imap::ascii_upper(l);
  for (const char* sys : {"\\Inbox", "\\Sent", "\\Draft", "\\Important"})
    if (up == imap::ascii_upper(sys)) return sys;
  return "";
}

// Brings a message's labels (in the selected All Mail) to what the record
// asks for: one +X-GM-LABELS and one -X-GM-LABELS at most. An update whose
// `was` (docs/sdk.md) names mailboxIds is a change the other side made from
// what it showed then: the labels it showed and no longer does go, the new
// ones come, every label it never showed stays (moved in Outlook from Work
// to Personal: Work off, Personal on, any third label kept). A record in an
// Archive folder ("\Archive" in mailboxIds: Outlook's Archive, an IMAP
// server's \Archive folder; this connector writes \All for its own
// archived mail, which keeps meaning "no label") is archived as Gmail's
// Archive does it: INBOX off, other labels kept but the folder it left
// (named by `was`; without it, from an older host, every other label stays).
std::optional<std::string> ImapConnector::store_labels(uint32_t uid, const json::object& data,
                                                       const std::vector<std::string>& now, const json::object* was,
                                                       bool only_add) {
  std::set<std::string> want = labels_of(data), have;
  for (auto& l : now)
    if (std::string m = managed_label(l); !m.empty()) have.insert(m);
  bool archive = false;
  if (auto* m = data.if_contains("mailboxIds"); m && m->is_object())
    for (const auto& [k, v] : m->get_object())
      if (v.is_bool() && v.get_bool() && imap::ascii_upper(k) == "\\ARCHIVE") archive = true;
  const json::value* before = was ? was->if_contains("mailboxIds") : nullptr;
  if (before || archive) {
    // the labels the other side showed then and no longer does
    std::set<std::string> gone;
    if (before && before->is_object())
      for (auto& l : labels_of(json::object{{"mailboxIds", *before}}))
        if (!want.contains(l)) gone.insert(l);
    for (auto& l : have)
      if (l != "\\Important" && !gone.contains(l)) want.insert(l);  // (\\Important follows the keyword)
    if (archive) want.erase("\\Inbox");
  }
  std::vector<std::string> add, drop;
  std::set_difference(want.begin(), want.end(), have.begin(), have.end(), std::back_inserter(add));
  if (!only_add) std::set_difference(have.begin(), have.end(), want.begin(), want.end(), std::back_inserter(drop));
  for (auto [how, list] : {std::pair{"+X-GM-LABELS.SILENT", &add}, std::pair{"-X-GM-LABELS.SILENT", &drop}})
    if (auto bad = store_label_list(uid, how, *list)) return bad;
  return std::nullopt;
}

// One UID STORE of Gmail labels (`how`: +X-GM-LABELS.SILENT or -…): system
// labels ("\\Inbox") as atoms, the others as mailbox names (modified UTF-7).
std::optional<std::string> ImapConnector::store_label_list(uint32_t uid, const char* how,
                                                           const std::vector<std::string>& labels) {
  if (labels.empty()) return std::nullopt;
  imap::Session& s = session();
  imap::Command c = s.command("UID STORE");
  c.atom(std::to_string(uid)).atom(how).open();
  for (auto& l : labels) {
    if (l.starts_with("\\")) c.atom(l);
    else c.mailbox(l);
  }
  c.close();
  imap::Reply r = s.run(c);
  if (!r.ok()) return "setting Gmail labels refused: " + r.done.text;
  return std::nullopt;
}

// Flags to store for a record's keywords ($important is a Gmail label there).
std::vector<std::string> ImapConnector::flags_for(const json::object& keywords) const {
  std::vector<std::string> flags = mail::flags_from_keywords(keywords);
  if (gmail_) std::erase_if(flags, [](const std::string& f) { return imap::ascii_upper(f) == "$IMPORTANT"; });
  return flags;
}

// On Gmail, the names a state uses for the special folders in its ids,
// cursor and mailboxIds (c.names, kept in the cursor): for a new state
// their flags, which no change of the account's language moves. A cursor
// an earlier version wrote has none: it keeps what it holds (All Mail's key
// from its folders, the others as the server names them now), so that no
// record of the state changes id or folder.
void ImapConnector::gmail_names(Cursor& c, bool fresh) {
  if (!gmail_) return;
  if (c.names.empty()) {
    if (fresh) {
      c.names = {{"\\ALL", "\\All"}, {"\\SENT", "\\Sent"}, {"\\DRAFTS", "\\Drafts"}};
    } else {
      std::string all = special("\\ALL");
      if (!c.folders.contains(all) && c.folders.size() == 1) all = c.folders.begin()->first;
      c.names = {{"\\ALL", all}, {"\\SENT", special("\\SENT", "\\Sent")}, {"\\DRAFTS", special("\\DRAFTS", "\\Drafts")}};
    }
  }
  names_ = c.names;
}

// Gmail's X-GM-MSGID of a message of the selected folder (nullopt: none).
std::optional<uint64_t> ImapConnector::gmail_msgid(uint32_t uid) {
  imap::Command c = session().command("UID FETCH");
  c.atom(std::to_string(uid)).open().atom("UID").atom("X-GM-MSGID").close();
  std::optional<uint64_t> out;
  each_fetch(run_ok(c, "UID FETCH X-GM-MSGID"), [&](auto& items) {
    if (auto g = items.find("X-GM-MSGID"); g != items.end() && items.contains("UID") && items["UID"].number == uid)
      out = g->second.number;
  });
  return out;
}

}  // namespace gmail_imap
