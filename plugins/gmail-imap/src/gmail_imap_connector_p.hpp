// SPDX-License-Identifier: Apache-2.0
// Private to the gmail-imap connector: the ImapConnector class and what its
// parts share (settings, message ids, the state of a folder). The class's
// members are defined by concern, one file each: gmail_imap_connector.cpp
// (configuration, the session, opening and searching folders),
// gmail_labels.cpp (Gmail's dialect: special-use folders, labels ⇄
// mailboxIds), listing.cpp (read_changes and its cursor, bodies by fetch),
// idle.cpp (push by IDLE), apply_ops.cpp (APPEND, STORE, MOVE, EXPUNGE).
// Included by those files only, never by another target.
#pragma once

#include "imap_session.hpp"
#include "uid_set.hpp"

#include <accord/connector.hpp>
#include <accord/kit/account_slots.hpp>
#include <accord/kit/cursor.hpp>
#include <accord/kit/ops.hpp>
#include <accord/mail/message.hpp>
#include <accord/net/oauth2.hpp>
#include <accord/text/content_hash.hpp>

#include <boost/json.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace gmail_imap {

namespace json = boost::json;
namespace mail = accord::mail;
using imap::UidSet;

struct Settings {
  imap::SessionOptions session;
  std::optional<accord::net::OAuth2Config> oauth;  // renewing access tokens
  std::vector<std::string> folders, exclude;
  std::string delete_mode, trash;  // empty: the default for the server (see ImapConnector)
  std::string gmail;
  std::string fallback_charset = std::string(mail::kFallbackCharset);
  bool folders_given = false;
  size_t batch = 500;
  int max_connections = 4;  // IMAP connections to the account at once, all instances on this machine together
};

// The configuration, through the manifest's schema (gmail_imap_connector.cpp).
Settings parse_config(std::string_view text);

// Beside \Deleted, the keyword that marks a message this connector is
// expunging (a delete, or the source of a move without MOVE) where the
// server keeps keywords. A run killed between that STORE and its UID
// EXPUNGE leaves the message marked; the next listing that meets it
// finishes the expunge (expunge_own). A message another client marked
// \Deleted lacks it and is never expunged by this connector.
inline constexpr const char* kExpungeMark = "$AccordExpunge";

struct MessageId {
  std::string folder;
  uint32_t uidvalidity = 0, uid = 0;
  static std::optional<MessageId> parse(const std::string& id) {
    size_t a = id.rfind(";UIDVALIDITY=");
    size_t b = id.rfind("/;UID=");
    if (a == std::string::npos || b == std::string::npos || b < a) return std::nullopt;
    MessageId m;
    m.folder = id.substr(0, a);
    try {
      m.uidvalidity = static_cast<uint32_t>(std::stoul(id.substr(a + 13, b - a - 13)));
      m.uid = static_cast<uint32_t>(std::stoul(id.substr(b + 6)));
    } catch (...) {
      return std::nullopt;
    }
    return m;
  }
  std::string text() const {
    return folder + ";UIDVALIDITY=" + std::to_string(uidvalidity) + "/;UID=" + std::to_string(uid);
  }
};

// A folder as the cursor remembers it.
struct FolderState {
  uint32_t uidvalidity = 0, uidnext = 0;
  uint64_t modseq = 0;  // HIGHESTMODSEQ (0: none)
  UidSet uids;          // the messages the host has been told of
  std::map<std::string, UidSet> flags;  // without CONDSTORE: flags (sorted, joined) → UIDs
  // The folder's signature: the highest UID listed and the digest of its
  // header fields (headerDigest). A folder new to the cursor with this
  // UIDVALIDITY and this message under this UID is this folder renamed
  // (RFC 3501 RENAME keeps both). 0: none yet (a cursor of an earlier version).
  uint32_t sig_uid = 0;
  std::string sig;

  json::object to_json() const {
    json::object o{{"uv", uidvalidity}, {"next", uidnext}, {"ms", std::to_string(modseq)}, {"uids", uids.text()}};
    if (sig_uid) o["sig"] = std::to_string(sig_uid) + " " + sig;
    if (!flags.empty()) {
      json::object f;
      for (auto& [k, v] : flags) f[k] = v.text();
      o["fl"] = std::move(f);
    }
    return o;
  }
  static FolderState from(const json::object& o) {
    FolderState s;
    s.uidvalidity = static_cast<uint32_t>(o.at("uv").to_number<uint64_t>());
    s.uidnext = static_cast<uint32_t>(o.at("next").to_number<uint64_t>());
    s.modseq = std::stoull(std::string(o.at("ms").as_string()));
    auto u = UidSet::parse(o.at("uids").as_string());
    if (!u) throw std::runtime_error("bad uid set");
    s.uids = *u;
    if (auto* f = o.if_contains("fl"))
      for (auto& [k, v] : f->as_object()) s.flags[std::string(k)] = UidSet::parse(v.as_string()).value();
    if (auto* g = o.if_contains("sig")) {
      std::string t(g->as_string());
      size_t sp = t.find(' ');
      if (sp == std::string::npos) throw std::runtime_error("bad folder signature");
      s.sig_uid = static_cast<uint32_t>(std::stoul(t.substr(0, sp)));
      s.sig = t.substr(sp + 1);
    }
    return s;
  }
};

// The status of a folder on the server now.
struct Status {
  uint32_t uidvalidity = 0, uidnext = 0, messages = 0;
  uint64_t modseq = 0;
  bool known = false;     // LIST-STATUS (or SELECT) told us
  bool keywords = false;  // SELECT: PERMANENTFLAGS has \* (new keywords are kept)
};

class BodyFile;  // (listing.cpp: a body written to a file in pieces)

// A SELECT or EXAMINE the server refused with [NONEXISTENT] (RFC 5530), or
// a folder found gone when its FETCH failed (fetch_in): the folder is not
// there (renamed or deleted since it was listed or selected).
struct FolderGone : accord::Error {
  using accord::Error::Error;
};

// Flags as the server sends them (gmail_imap_connector.cpp).
std::string flags_key(std::vector<std::string> flags);
std::vector<std::string> flag_list(const imap::Value& v);
bool has_flag(const std::vector<std::string>& flags, std::string_view upper);
// Gmail labels as sent (gmail_labels.cpp).
std::vector<std::string> label_list(const imap::Value& v);

class ImapConnector : public accord::Connector {
 public:
  ImapConnector(const accord::Host& host, std::string_view config) : Connector(host), cfg_(parse_config(config)) {
    account_ = accord::hash::content_hash(cfg_.session.url + "\n" + cfg_.session.user);
    if (cfg_.oauth) {  // neither connects before its first use
      http_ = std::make_unique<accord::net::HttpClient>(accord::net::HttpOptions{15, 30, 60, cfg_.session.ca_file});
      oauth_.emplace(*cfg_.oauth);
    }
  }

  ~ImapConnector() override {
    {
      std::lock_guard lk(reaper_mu_);
      reaper_stop_ = true;
    }
    reaper_cv_.notify_all();
    if (reaper_.joinable()) reaper_.join();
  }

  void cancel() noexcept override {
    Connector::cancel();
    std::lock_guard lk(session_mu_);
    if (session_) session_->cancel();
    if (http_) http_->cancel();
  }

  std::string read_changes(std::string_view stream, std::string_view cursor) override {
    check_stream(stream);
    throw_if_cancelled();
    return guarded([&] {
      try {
        return read(std::string(cursor));
      } catch (const FolderGone& e) {
        // A folder renamed or deleted on the server while this listing read
        // it (between its pages, or between the LIST and its EXAMINE): a
        // retry, not a failure. The host keeps nothing of a read that
        // failed; the next run lists again from the cursor it kept and
        // follows a rename
        throw accord::Error(ACCORD_RETRY, std::string(e.what()) +
                                              " (renamed or deleted on the server while it was being listed: the "
                                              "next run lists again, following a rename)");
      }
    });
  }

  std::string fetch(std::string_view stream, std::string_view ids_json) override {
    check_stream(stream);
    return guarded([&] { return fetch_bodies(ids_json, nullptr); });
  }

  // accord.lazy_files.v1: each body written to a file in `dir`, fetched in
  // pieces (BODY.PEEK[]<offset.length>), so that no message is held whole
  std::string fetch_files(std::string_view stream, std::string_view ids_json, std::string_view dir) override {
    check_stream(stream);
    std::string d(dir);
    return guarded([&] { return fetch_bodies(ids_json, &d); });
  }
  // ACCORD_LAZY_FILES_RANGES: the bodies a FETCH answers whole go into one
  // file of the call, each a part of it (one file made and removed a call,
  // not one a message); a large one, fetched in pieces, into its own
  std::string fetch_ranges(std::string_view stream, std::string_view ids_json, std::string_view dir) override {
    check_stream(stream);
    std::string d(dir);
    return guarded([&] { return fetch_bodies(ids_json, &d, true); });
  }

  std::string apply(std::string_view stream, std::string_view ops_json) override {
    check_stream(stream);
    return guarded([&] { return apply_ops(ops_json); });
  }

  const void* get_extension(std::string_view name) noexcept override {
    return name == ACCORD_PUSH_V1           ? accord::push_extension()
           : name == ACCORD_LAZY_FILES_V1   ? accord::lazy_files_extension(ACCORD_LAZY_FILES_RANGES)
           // (apply answers each write as listed: listed_forms)
           : name == ACCORD_AFTER_COMMIT_V1 && after_commit_on() ? accord::after_commit_extension()
                                            : nullptr;
  }

  // accord.after_commit.v1 is offered unless ACCORD_GMAIL_IMAP_AFTER_COMMIT=0
  // (every write read back by the next run, as before it)
  static bool after_commit_on() noexcept {
    const char* v = std::getenv("ACCORD_GMAIL_IMAP_AFTER_COMMIT");
    return !v || std::string_view(v) != "0";
  }

  // accord.after_commit.v1 (after_commit.cpp): the cursor moved past this
  // run's own writes in each folder written, where nothing else changed there
  std::optional<std::string> after_commit(std::string_view stream, std::string_view cursor,
                                          std::string_view written_json) override {
    check_stream(stream);
    return guarded([&] { return past_own_writes(std::string(cursor), written_json); });
  }

  // accord.push.v1 by IMAP IDLE: first the folders' status against the
  // cursor (one LIST-STATUS: a change anywhere answers at once), then IDLE on
  // INBOX (All Mail on Gmail) until the server reports a change there or the
  // time is up; the status is looked at again every 25 minutes (RFC 2177
  // asks a client to re-IDLE within 29).
  bool wait_for_changes(std::string_view stream, std::string_view cursor, int64_t timeout_ms) override {
    check_stream(stream);
    return guarded([&] {
      bool changed = wait_idle(std::string(cursor), timeout_ms);
      // a run follows: the connection (and its max_connections slot) is the
      // run's to take, the next wait signs in again
      if (changed) drop_session();
      return changed;
    });
  }

 private:
  using Result = accord::kit::Result;

  struct Cursor {
    std::map<std::string, FolderState> folders;
    // a listing in progress (several batches): folders still to read, and
    // the UIDs of the current one still to fetch
    bool running = false;
    bool incremental = false;  // the listing started from a cursor (not from "")
    std::vector<std::string> todo;
    std::optional<UidSet> pending;
    std::optional<FolderState> next_state;  // the current folder once done
    std::map<std::string, std::string> names;  // Gmail: "\\ALL" → the key this state uses (gmail_names)
    bool digests = false;  // every record the host holds has its headerDigest (see read)
    bool relist = false;   // this listing reads every message again (to give them one)

    std::string text(const std::string& account) const;
  };

  // "imap1.{…}", as every version of this connector wrote it
  static inline const accord::kit::CursorFormat kCursor{"imap", 1};

  // ---- connection (gmail_imap_connector.cpp) -------------------------------

  // Every call goes through here, holding call_mu_ (the idle reaper's sign
  // that the connection is in use) and noting when it ended.
  template <class Fn>
  auto guarded(Fn&& fn) -> decltype(fn()) {
    std::unique_lock call(call_mu_);
    struct Ended {
      std::atomic<int64_t>& at;
      ~Ended() { at = now_ms(); }
    } ended{last_call_ms_};
    try {
      session();  // signed in first: what the server offers (Gmail's labels) decides what the call does
      return fn();
    } catch (const imap::SessionError& e) {
      drop_session();
      if (cancelled()) throw accord::Error(ACCORD_CANCELLED, "cancelled");
      throw accord::Error(e.status, e.what(), e.status != ACCORD_RETRY ? 0 : e.retry_after_ms ? e.retry_after_ms : 5000);
    }
  }
  void check_stream(std::string_view stream) const;
  void drop_session();
  void take_slot();
  void start_reaper();
  // a connection no call has used for this long is closed (its
  // max_connections slot freed for another instance: a pipeline's other
  // stream, another run); the next call signs in again
  static constexpr int64_t kIdleCloseMs = 5000;
  std::unique_ptr<imap::Session> sign_in();
  void renew_token();
  imap::Session& session();
  std::string server_name(const std::string& folder) const;
  std::string canonical_name(const std::string& server, const std::string& delim) const;
  // (throws FolderGone where the server says the folder does not exist)
  Status select(const std::string& folder, bool write, bool fresh = false);
  imap::Reply run_ok(const imap::Command& c, const std::string& what);
  // The same, the untagged responses `take` answers true for its own (Session::run)
  imap::Reply run_ok(const imap::Command& c, const std::string& what, const std::function<bool(imap::Response&)>& take);
  UidSet search(const std::string& criteria_set, const std::string& header = "", const std::string& value = "");
  UidSet live(const std::string& set);
  // Calls fn(items) for each FETCH response of a reply.
  template <class Fn>
  static void each_fetch(const imap::Reply& r, Fn&& fn) {
    for (auto& u : r.untagged)
      if (u.name == "FETCH") {
        auto items = imap::fetch_items(u);
        fn(items);
      }
  }
  // UID SEARCH with the criteria `criteria` adds.
  template <class Criteria>
  UidSet run_search(Criteria criteria) {
    imap::Session& s = session();
    imap::Command c = s.command("UID SEARCH");
    bool esearch = s.has("ESEARCH");
    if (esearch) c.atom("RETURN").open().atom("ALL").close();
    criteria(c);
    imap::Reply r = s.run(c);
    if (!r.ok()) throw accord::Error(ACCORD_ERROR, "UID SEARCH failed: " + r.done.text);
    std::vector<uint32_t> out;
    for (auto& u : r.untagged) {
      if (u.name == "SEARCH")
        for (auto& a : u.args) out.push_back(static_cast<uint32_t>(a.number));
      if (u.name == "ESEARCH")
        for (size_t i = 0; i + 1 < u.args.size(); ++i)
          if (u.args[i].is_atom("ALL"))
            if (auto set = UidSet::parse(u.args[i + 1].str())) return *set;
    }
    return UidSet::of(std::move(out));
  }

  // ---- Gmail labels ⇄ mailboxIds (gmail_labels.cpp) ------------------------

  std::string special(const char* use, const std::string& fallback = "") const;
  std::string use_of(const std::string& name) const;
  std::string resolve(const std::string& key) const;
  std::string all_key() const;
  std::string state_name(const char* use, const char* flag) const;
  json::object mailboxes_of(const std::vector<std::string>& labels) const;
  std::set<std::string> labels_of(const json::object& data) const;
  bool system_folder(const std::string& name) const;
  static std::string managed_label(const std::string& l);
  // `only_add`: a message this call did not make keeps every label it has
  std::optional<std::string> store_labels(uint32_t uid, const json::object& data, const std::vector<std::string>& now,
                                          const json::object* was = nullptr, bool only_add = false);
  std::optional<std::string> store_label_list(uint32_t uid, const char* how, const std::vector<std::string>& labels);
  std::vector<std::string> flags_for(const json::object& keywords) const;
  void gmail_names(Cursor& c, bool fresh);
  std::optional<uint64_t> gmail_msgid(uint32_t uid);

  // ---- reading (listing.cpp) -----------------------------------------------

  Cursor parse_cursor(const std::string& text);
  bool wanted(const std::string& folder) const;
  std::map<std::string, Status> list_folders();
  bool moved(const FolderState& f, const Status& st) const;
  bool unchanged(const FolderState& f, const Status& st) const;
  static json::object deleted_record(const std::string& id, bool renumbered = false);
  std::optional<UidSet> renamed_to(const FolderState& was, const std::string& to);
  void sign(const std::string& folder, FolderState& state);
  std::optional<std::string> header_digest(const std::string& folder, uint32_t uid);
  std::string read(const std::string& cursor_text);
  void begin_folder(Cursor& c, const std::string& folder, json::array& records);
  UidSet marked_here();
  bool marked_by_us(const std::vector<std::string>& flags) const;
  void expunge_own(const std::string& folder, const UidSet& own);
  void flag_scan(const std::string& folder, const FolderState* old, UidSet& changed, FolderState& next, UidSet& own);
  void fetch_records(const std::string& folder, FolderState& state, const UidSet& uids, json::array& records);
  std::vector<imap::Command> record_fetches(imap::Session& s, const UidSet& uids);
  std::string fetch_bodies(std::string_view ids_json, const std::string* dir, bool ranges = false);
  void fetch_folder(const std::string& folder, const Status& st, const std::vector<uint32_t>& uids, const std::string* dir,
                    bool ranges, std::unique_ptr<BodyFile>& shared, json::array& out);
  // (throws FolderGone where the folder is found gone: renamed or deleted since it was selected)
  imap::Reply fetch_in(const std::string& folder, const imap::Command& c, const std::function<bool(imap::Response&)>& take);
  // the piece of a body one FETCH asks for when writing it to a file
  static constexpr uint64_t kBodyPiece = uint64_t(4) << 20;

  // ---- told of committed writes (after_commit.cpp) ---------------------------

  std::optional<std::string> past_own_writes(const std::string& cursor_text, std::string_view written_json);

  // ---- push: IDLE (idle.cpp) -----------------------------------------------

  bool status_moved(const Cursor& c);
  bool wait_idle(const std::string& cursor_text, int64_t timeout_ms);
  static int64_t now_ms();

  // ---- apply (apply_ops.cpp) -----------------------------------------------

  std::string apply_ops(std::string_view ops_json);
  void listed_forms(const std::vector<accord::kit::Op>& ops, std::vector<Result>& results);
  std::optional<std::string> current_version(uint32_t uid, std::vector<std::string>* flags_out = nullptr,
                                             std::vector<std::string>* labels_out = nullptr);
  Result found(const std::string& folder, uint32_t uidvalidity, uint32_t uid);
  std::optional<Result> find_existing(const std::string& folder, const std::string& header, const std::string& value,
                                      uint64_t size);
  std::optional<Result> find_same(const std::string& folder, const std::string& msg, std::optional<int64_t> when);
  Result create(const accord::kit::Op& op);
  // `ours`: this call made the message; otherwise (one Gmail already held,
  // or one found again) labels are only added, never taken off
  Result labelled(const MessageId& m, const json::object& data, bool ours);
  Result relabelled(const Result& r, const json::object& data);
  std::map<std::string, std::string> rename_folders(const std::vector<accord::kit::Op>& ops);
  std::set<uint32_t> rename_labels(const std::vector<accord::kit::Op>& ops);
  std::vector<std::optional<Result>> move_groups(const std::vector<accord::kit::Op>& ops,
                                                 const std::map<std::string, std::string>& renamed);
  void move_group(const std::vector<accord::kit::Op>& ops, const std::string& from, const std::string& to,
                  const std::vector<size_t>& which, std::vector<std::optional<Result>>& out);
  Result change(const accord::kit::Op& op, bool is_delete, const std::map<std::string, std::string>& renamed = {});
  static std::vector<std::string> deleted_flags(const Status& st);
  Result move(const MessageId& m, const std::string& to, const std::string& id);

  Settings cfg_;
  std::string account_;
  // max_connections: the account's connection slots (made at the first
  // sign-in), and the one this instance's session holds (released with it)
  std::unique_ptr<accord::kit::AccountSlots> slots_;
  accord::kit::AccountSlots::Held slot_;
  std::recursive_mutex call_mu_;  // held by a call in progress (guarded)
  std::atomic<int64_t> last_call_ms_{0};
  std::thread reaper_;  // closes an idle connection (start_reaper)
  std::mutex reaper_mu_;
  std::condition_variable reaper_cv_;
  bool reaper_stop_ = false;
  std::mutex session_mu_;
  std::unique_ptr<imap::Session> session_;
  std::unique_ptr<accord::net::HttpClient> http_;     // the token endpoint (with oauth2 only)
  std::optional<accord::net::OAuth2Refresher> oauth_;
  bool condstore_ = false, qresync_ = false;
  bool gmail_ = false;                        // X-GM-EXT-1 with labels: All Mail only
  std::map<std::string, std::string> special_;  // "\\ALL", "\\TRASH", … → folder
  std::map<std::string, std::string> names_;    // Gmail: "\\ALL", … → this state's key for it (gmail_names)
  std::string delim_ = "/";
  std::map<std::string, std::string> moved_from_;       // this run's moves: the new id → the old (apply_ops)
  std::map<std::string, std::string> renamed_folders_;  // this run's RENAMEs: old folder → new
  std::set<std::string> unlisted_folders_;  // folders of writes answered without their listed form (apply_ops)
  std::set<uint32_t> label_renamed_;  // Gmail: All Mail's UIDs whose label this apply call renamed (rename_labels)
  std::string selected_;
  bool selected_rw_ = false;
  Status selected_status_;
  // A folder new to the listing that renamed_to examined and searched (a
  // rename's new name): its status and live UIDs, which begin_folder takes
  // while no other SELECT or EXAMINE came since and the folder is still
  // selected, instead of asking the server again (issue 22: a renamed
  // folder was examined and searched twice a listing)
  struct Examined {
    std::string folder;
    Status st;
    UidSet all;  // live("1:*")
  };
  std::optional<Examined> examined_;
  // The page of a folder's listing read_changes asked for before it
  // returned (Session::send_ahead), the folder selected then: the next
  // read_changes takes its replies where it lists the same UIDs there
  // (issue 22: the server answers while the host takes in the page before)
  struct Ahead {
    std::string folder;
    UidSet uids;
  };
  std::optional<Ahead> ahead_;
};

}  // namespace gmail_imap
