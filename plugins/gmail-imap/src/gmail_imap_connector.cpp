// SPDX-License-Identifier: Apache-2.0
// The gmail-imap connector: any IMAP4rev1 server as the stream `message`
// (canonical JMAP Email, accord/mail), read incrementally and written back.
//
// Records: one per message per folder; id "<folder>;UIDVALIDITY=<v>/;UID=<u>"
// (RFC 5092's form, folder names "/"-separated UTF-8); version "m<MODSEQ>"
// where the server has CONDSTORE, else "f<flags>". Listings carry the header
// fields, flags, INTERNALDATE and size; the body ("raw") only comes through
// fetch, when the host copies a message.
//
// Reading: one LIST (with STATUS where LIST-STATUS is offered) per listing;
// a folder whose UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and count are as the
// cursor left them is not opened. Otherwise: new UIDs since UIDNEXT;
// changed ones by CHANGEDSINCE (CONDSTORE), expunged ones by VANISHED
// (QRESYNC), else by comparing the count and, when it differs, a search of
// the UIDs the cursor knows; a server without CONDSTORE is scanned for
// FLAGS, compared with the flags the cursor remembers. UIDs since UIDNEXT
// that are gone again are deleted too: the host may know them from our own
// APPEND or MOVE after the read. Oldest (lowest UID) first, batch_size
// messages per call, fetched in pipelined commands.
//
// Writing: APPEND with the flags and internal date (APPENDUID gives the id,
// else a search by Message-ID); a re-sent create finds the message it may
// already have made by Message-ID and size (a message without one by its
// size, internal date and header bytes: nothing is added to a message).
// Flag updates by STORE with UNCHANGEDSINCE
// (a MODIFIED answer is a conflict), a folder change by MOVE (or COPY and
// expunge); deletes as \Deleted plus UID EXPUNGE, or a move to the trash.
//
// Gmail (X-GM-EXT-1, unless gmail_labels is off): only All Mail is read, so
// a message is one record however many labels it has; its labels are its
// mailboxIds (\Important the keyword $important), X-GM-THRID its threadId.
// Creates append to All Mail and then label; a mailboxIds change adds and
// removes labels; a delete moves the message to the Trash. Gmail's special
// folders are localised ("[Google Mail]/Alle Nachrichten"), so ids and
// mailboxIds name them by their SPECIAL-USE flag ("\All;UIDVALIDITY=…",
// {"\Sent": true}), found by the flag each session; a state an earlier
// version made keeps the names it holds (see gmail_names).
//
// This file: the manifest, the configuration, signing in, opening and
// searching folders. The rest of ImapConnector is beside it, a file a
// concern: gmail_labels.cpp, listing.cpp, idle.cpp, apply_ops.cpp (the class
// is in gmail_imap_connector_p.hpp).
#include "gmail_imap_connector_p.hpp"
#include "mutf7.hpp"

#include <accord/kit/manifest.hpp>
#include <accord/text/content_hash.hpp>

#include <boost/json/src.hpp>

#include <algorithm>
#include <chrono>

namespace gmail_imap {

namespace {

const accord::kit::Manifest& manifest() {
  static const accord::kit::Manifest m =
      accord::kit::ManifestBuilder("gmail-imap", "IMAP and Gmail", "0.1.0",
                                   "Mail on any IMAP4rev1 server (Gmail, Dovecot, Exchange…): folders, flags, bodies; "
                                   "incremental with CONDSTORE/QRESYNC.")
          .stream(accord::kit::StreamInfo("message", "jmap-email")
                      .with_lazy({"/raw"}, "/size")
                      .with_identity({"/size", "/receivedAt", "/headerDigest"})
                      .with_placement({"/mailboxIds"})  // a change of folder (or Gmail label) only is a move
                      .with_fields(mail::canonical_fields()))
          .config_schema(R"schema({
      "type": "object",
      "additionalProperties": false,
      "required": ["url", "user"],
      "properties": {
        "url": {"type": "string", "description": "imaps://host[:993] (TLS), or imap://host[:143] with STARTTLS; e.g. imaps://imap.gmail.com"},
        "user": {"type": "string", "description": "the account's user name (for Gmail: the address)"},
        "password": {"type": "string", "description": "the password or app password: give it as {\"$secret\": NAME}"},
        "oauth2_token": {"type": "string", "description": "an OAuth 2.0 access token for SASL XOAUTH2 (Gmail, Outlook.com), as {\"$secret\": NAME}; instead of password. With oauth2, optional: renewed when refused"},
        "oauth2": {"type": "object", "additionalProperties": false, "required": ["token_url", "client_id"],
          "description": "instead of password: renew OAuth 2.0 access tokens (SASL XOAUTH2) with a refresh token",
          "properties": {
            "token_url": {"type": "string", "format": "url-loopback-http",
              "description": "the token endpoint (https://; http:// only to this machine), e.g. https://oauth2.googleapis.com/token (Google) or https://login.microsoftonline.com/common/oauth2/v2.0/token (Microsoft)"},
            "client_id": {"type": "string", "description": "the OAuth client (app) id the refresh token was issued to"},
            "client_secret": {"type": "string", "description": "that client's secret, as {\"$secret\": NAME} (none for a public client)"},
            "refresh_token": {"type": "string", "description": "the refresh token, as {\"$secret\": NAME}; or"},
            "refresh_token_secret": {"type": "string", "description": "the NAME of the secret holding the refresh token: a token the service rotates is written back there"}}},
        "starttls": {"type": "boolean", "default": true, "description": "imap:// only: require STARTTLS (turning it off is allowed only to this machine)"},
        "ca_file": {"type": "string", "description": "a PEM bundle of the CA that signed a private server's certificate (verification cannot be turned off)"},
        "folders": {"type": "array", "items": {"type": "string"}, "default": ["*"],
          "description": "folders to sync, \"/\"-separated; \"*\" matches anything, \"%\" anything but \"/\""},
        "exclude_folders": {"type": "array", "items": {"type": "string"}, "default": [],
          "description": "folders left out (same patterns)"},
        "delete": {"type": "string", "enum": ["expunge", "trash"],
          "description": "how a delete is done: \\\\Deleted and UID EXPUNGE of that message only, or a move to trash_folder (default: expunge; trash on Gmail with labels)"},
        "trash_folder": {"type": "string", "description": "delete: trash moves here (default: the folder marked \\\\Trash, RFC 6154; never a folder found by its name)"},
        "gmail_labels": {"type": "string", "enum": ["auto", "on", "off"], "default": "auto",
          "description": "Gmail (X-GM-EXT-1): one record per message from [Gmail]/All Mail, its labels as mailboxIds, X-GM-THRID as threadId; auto: when the server offers it; off: every label folder as a folder"},
        "fallback_charset": {"type": "string", "default": "windows-1252",
          "description": "the charset header bytes that are not UTF-8 are read in (undeclared 8-bit: a Latin-1 From, Subject or file name), as mail clients do; any name iconv knows (iso-8859-1, iso-8859-2, koi8-r, shift_jis…). The message's own bytes are never changed"},
        "batch_size": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 500, "description": "messages per read_changes batch"},
        "pipeline_depth": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 32, "description": "IMAP commands in flight at once"},
        "io_timeout_seconds": {"type": "integer", "minimum": 1, "maximum": 3600, "default": 120, "description": "a server silent this long fails the run (it resumes next time)"},
        "max_connections": {"type": "integer", "minimum": 1, "maximum": 15, "default": 4,
          "description": "IMAP connections to this account at once, counted over every gmail-imap instance of this user on this machine (a pipeline's streams, pipelines run at once, the daemon's push, which holds one while it waits); a connection waits for a free one up to io_timeout_seconds, then the pair is tried again later. Gmail allows 15 per account, shared with the user's other mail clients. Give every pipeline on one account the same number"}
      }})schema")
          .store_identity({"url", "user"})  // one mailbox
          .build();
  return m;
}

}  // namespace

// The configuration, through the manifest's schema; here only what a schema
// cannot say (which keys exclude each other, what a URL must start with).
Settings parse_config(std::string_view text) {
  using accord::kit::Config;
  const Config k = manifest().config(text);
  Settings c;
  c.session.url = k.str("/url");
  if (!c.session.url.starts_with("imaps://") && !c.session.url.starts_with("imap://"))
    Config::fail("/url", "must start with imaps:// or imap:// (got \"" + c.session.url + "\")");
  c.session.user = k.str("/user");
  c.session.password = k.str("/password");
  c.session.oauth_token = k.str("/oauth2_token");
  if (k.has("/oauth2")) {
    // "oauth2": {"token_url", "client_id", "client_secret", "refresh_token" or "refresh_token_secret"}
    accord::net::OAuth2Config o{k.str("/oauth2/token_url"), k.str("/oauth2/client_id"), k.str("/oauth2/client_secret"),
                                k.str("/oauth2/refresh_token"), k.str("/oauth2/refresh_token_secret"), "gmail-imap",
                                "the mail account"};
    if (o.token_url.empty()) Config::fail("/oauth2/token_url", "is required (Google: https://oauth2.googleapis.com/token)");
    if (!accord::net::safe_for_credentials(o.token_url))
      Config::fail("/oauth2/token_url", "must start with https:// (plain http:// only to this machine): the refresh "
                                        "token would cross the network unencrypted");
    if (o.client_id.empty()) Config::fail("/oauth2/client_id", "is required (the app the refresh token was issued to)");
    if (o.refresh_token.empty() == o.refresh_token_secret.empty())
      Config::fail("/oauth2", "give exactly one of \"refresh_token_secret\" (the secret's name, so that a rotated token "
                              "can be kept) and \"refresh_token\" (as {\"$secret\": NAME})");
    c.oauth = std::move(o);
  }
  if (c.session.password.empty() == (c.session.oauth_token.empty() && !c.oauth))
    Config::fail("", "give exactly one of \"password\" and OAuth 2.0 (\"oauth2\" to renew tokens, or an "
                     "\"oauth2_token\"), each secret as {\"$secret\": NAME}");
  c.session.starttls = k.boolean("/starttls");
  c.session.ca_file = k.str("/ca_file");
  c.folders = k.strings("/folders");
  c.exclude = k.strings("/exclude_folders");
  c.folders_given = k.given("/folders") || k.given("/exclude_folders");
  c.gmail = k.str("/gmail_labels");
  c.delete_mode = k.str("/delete");
  c.trash = k.str("/trash_folder");
  c.fallback_charset = k.str("/fallback_charset");
  if (!mail::known_charset(c.fallback_charset))
    Config::fail("/fallback_charset", "is not a charset this system knows (\"" + c.fallback_charset +
                                          "\"; `iconv --list` names them, e.g. windows-1252, iso-8859-2)");
  c.batch = static_cast<size_t>(k.integer("/batch_size"));
  c.session.pipeline_depth = static_cast<size_t>(k.integer("/pipeline_depth"));
  c.session.io_timeout_s = k.integer("/io_timeout_seconds");
  c.max_connections = static_cast<int>(k.integer("/max_connections"));
  return c;
}

std::string flags_key(std::vector<std::string> flags) {
  for (auto& f : flags) f = imap::ascii_upper(f);
  std::erase_if(flags, [](const std::string& f) { return f == "\\RECENT"; });
  std::sort(flags.begin(), flags.end());
  std::string out;
  for (auto& f : flags) out += (out.empty() ? "" : " ") + f;
  return out;
}

std::vector<std::string> flag_list(const imap::Value& v) {
  std::vector<std::string> out;
  for (auto& f : v.list) out.push_back(f.str());
  return out;
}

bool has_flag(const std::vector<std::string>& flags, std::string_view upper) {
  return std::any_of(flags.begin(), flags.end(), [&](const std::string& f) { return imap::ascii_upper(f) == upper; });
}

void ImapConnector::check_stream(std::string_view stream) const {
  if (stream != "message")
    throw accord::Error(ACCORD_UNSUPPORTED, "gmail-imap has one stream, \"message\" (asked for \"" + std::string(stream) + "\")");
}

void ImapConnector::drop_session() {
  std::lock_guard lk(session_mu_);
  session_.reset();
  slot_.release();  // (after the connection is closed)
  selected_.clear();
}

// One of the account's max_connections slots for the connection about to
// be opened (accord/kit/account_slots.hpp): waits while every one is held
// by another instance, here or in another process, up to io_timeout_seconds.
void ImapConnector::take_slot() {
  if (slot_.held()) return;  // a sign-in that failed before keeps it for the next
  if (!slots_)
    slots_ = std::make_unique<accord::kit::AccountSlots>(
        "imap", account_, cfg_.max_connections,
        [this](const std::string& m) { host().log(ACCORD_LOG_WARN, "gmail-imap: " + m); });
  using Taken = accord::kit::AccountSlots::Taken;
  accord::kit::AccountSlots::Held held;
  switch (slots_->take(held, [this] { return cancelled(); }, int64_t{cfg_.session.io_timeout_s} * 1000)) {
    case Taken::kCancelled:
      throw imap::SessionError(ACCORD_CANCELLED, "cancelled");
    case Taken::kTimedOut:
      throw imap::SessionError(
          ACCORD_RETRY,
          "all " + std::to_string(cfg_.max_connections) + " connections to " + cfg_.session.user +
              " this machine may open (max_connections) stayed in use by other runs for " +
              std::to_string(cfg_.session.io_timeout_s) + " s; tried again later",
          30000);
    default:
      break;
  }
  std::lock_guard lk(session_mu_);
  slot_ = std::move(held);
  start_reaper();
}

// The idle reaper: a thread of this instance that closes the connection
// once no call has used it for kIdleCloseMs, when no call is in progress
// (call_mu_ free), so that an instance done with its part of a run (a
// stream finished before the pipeline's others) does not keep a slot.
void ImapConnector::start_reaper() {
  if (reaper_.joinable()) return;
  reaper_ = std::thread([this] {
    std::unique_lock lk(reaper_mu_);
    while (!reaper_stop_) {
      reaper_cv_.wait_for(lk, std::chrono::milliseconds(500));
      if (reaper_stop_ || now_ms() - last_call_ms_ < kIdleCloseMs) continue;
      std::unique_lock call(call_mu_, std::try_to_lock);
      if (!call.owns_lock()) continue;
      bool open;
      {
        std::lock_guard s(session_mu_);
        open = session_ || slot_.held();
      }
      if (open) drop_session();
    }
  });
}

// Signs in. With oauth2, an access token is asked for first when none is
// at hand, and once more when the server refuses the one given (they last
// an hour); a refusal of a fresh one is the server's word.
std::unique_ptr<imap::Session> ImapConnector::sign_in() {
  bool renewed = false;
  if (oauth_ && cfg_.session.oauth_token.empty()) renew_token(), renewed = true;
  try {
    return std::make_unique<imap::Session>(cfg_.session);
  } catch (const imap::SessionError& e) {
    if (e.status != ACCORD_AUTH_REQUIRED || !oauth_ || renewed) throw;
  }
  renew_token();
  return std::make_unique<imap::Session>(cfg_.session);
}

void ImapConnector::renew_token() {
  throw_if_cancelled();
  cfg_.session.oauth_token = oauth_->renew(*http_, host());
}

imap::Session& ImapConnector::session() {
  if (session_) return *session_;
  take_slot();
  auto s = sign_in();
  condstore_ = s->has("CONDSTORE") || s->has("QRESYNC");
  qresync_ = s->has("QRESYNC") && s->has("ENABLE");
  if (s->has("ENABLE") && condstore_) {
    imap::Reply r = s->run(s->command("ENABLE").atom(qresync_ ? "QRESYNC" : "CONDSTORE"));
    if (!r.ok()) qresync_ = false;
  }
  // the hierarchy separator
  imap::Reply r = s->run(s->command("LIST").string("").string(""));
  for (auto& u : r.untagged)
    if (u.name == "LIST" && u.args.size() >= 2 && !u.args[1].is_nil()) delim_ = u.args[1].str();
  bool gm = s->has("X-GM-EXT-1");
  if (cfg_.gmail == "on" && !gm)
    throw accord::Error(ACCORD_ERROR, "config: \"gmail_labels\" is \"on\", but the server does not offer X-GM-EXT-1 "
                                      "(it is not Gmail): set it to \"auto\" or \"off\"");
  gmail_ = gm && cfg_.gmail != "off";
  if (gmail_ && cfg_.folders_given)
    throw accord::Error(ACCORD_ERROR, "config: \"folders\" and \"exclude_folders\" do not apply to Gmail with labels (one "
                                      "record per message, from All Mail): filter on /mailboxIds in the pipeline instead, "
                                      "or set \"gmail_labels\": \"off\" to sync label folders as folders");
  special_.clear();
  {
    // special-use folders (RFC 6154): the trash, and on Gmail All Mail, Sent,
    // Drafts; only those where the server can list just them
    imap::Command list = s->command("LIST");
    if (s->has("SPECIAL-USE")) list.open().atom("SPECIAL-USE").close();
    imap::Reply all = s->run(list.string("").string("*"));
    for (auto& u : all.untagged)
      if (u.name == "LIST" && u.args.size() >= 3)
        for (auto& f : u.args[0].list)
          for (const char* use : {"\\ALL", "\\TRASH", "\\SENT", "\\DRAFTS", "\\JUNK"})
            if (f.is_atom(use))
              special_[use] = canonical_name(u.args[2].str(), u.args[1].is_nil() ? "" : u.args[1].str());
  }
  if (gmail_ && !special_.contains("\\ALL"))
    throw accord::Error(ACCORD_ERROR, "Gmail lists no All Mail folder (\\All) over IMAP: tick \"Show in IMAP\" for All Mail "
                                      "in Gmail's settings (Labels), or set \"gmail_labels\": \"off\"");
  std::lock_guard lk(session_mu_);
  session_ = std::move(s);
  return *session_;
}

// The server's name of a folder ("/"-separated UTF-8 → its separator, modified UTF-7 by the command).
std::string ImapConnector::server_name(const std::string& folder) const {
  if (delim_.empty() || delim_ == "/") return folder;
  std::string out = folder;
  for (char& c : out)
    if (c == '/') c = delim_[0];
  return out;
}

std::string ImapConnector::canonical_name(const std::string& server, const std::string& delim) const {
  std::string name = imap::mutf7_decode(server).value_or(server);
  if (imap::ascii_upper(name) == "INBOX") return "INBOX";
  if (!delim.empty() && delim != "/")
    for (char& c : name)
      if (c == delim[0]) c = '/';
  return name;
}

// Selects a folder (read-write, or read-only with EXAMINE), once unless
// `fresh` (a listing wants the status as it is now); its status.
Status ImapConnector::select(const std::string& folder, bool write, bool fresh) {
  if (!fresh && selected_ == folder && (!write || selected_rw_)) return selected_status_;
  examined_.reset();  // (what renamed_to saw holds only until the next SELECT or EXAMINE)
  imap::Session& s = session();
  imap::Command c = s.command(write ? "SELECT" : "EXAMINE");
  c.mailbox(server_name(resolve(folder)));
  imap::Reply r = s.run(c);
  if (!r.ok()) {
    selected_.clear();
    std::string why = "the server refused to open the folder \"" + folder + "\": " + r.done.text;
    // Gone, where the server says so ([NONEXISTENT], RFC 5530: Gmail) or a
    // LIST of its name answers none (Dovecot's refusal carries no code)
    bool gone = r.done.code == "NONEXISTENT";
    if (!gone) {
      std::string name = server_name(resolve(folder));
      imap::Reply l = s.run(s.command("LIST").string("").mailbox(name));
      gone = l.ok() && std::none_of(l.untagged.begin(), l.untagged.end(), [&](const imap::Response& u) {
               if (u.name != "LIST" || u.args.size() < 3 || u.args[2].str() != name) return false;
               for (const auto& f : u.args[0].list)
                 if (f.is_atom("\\NONEXISTENT") || f.is_atom("\\NOSELECT")) return false;
               return true;
             });
    }
    if (gone) throw FolderGone(ACCORD_ERROR, why);
    throw accord::Error(ACCORD_ERROR, why);
  }
  Status st;
  st.known = true;
  for (auto& u : r.untagged) {
    if (u.name == "EXISTS" && u.number) st.messages = static_cast<uint32_t>(*u.number);
    if (u.code == "UIDVALIDITY" && !u.code_args.empty()) st.uidvalidity = static_cast<uint32_t>(u.code_args[0].number);
    if (u.code == "UIDNEXT" && !u.code_args.empty()) st.uidnext = static_cast<uint32_t>(u.code_args[0].number);
    if (u.code == "HIGHESTMODSEQ" && !u.code_args.empty()) st.modseq = u.code_args[0].number;
    if (u.code == "PERMANENTFLAGS" && !u.code_args.empty())
      for (auto& f : u.code_args[0].list) st.keywords = st.keywords || f.str() == "\\*";
  }
  selected_ = folder;
  selected_rw_ = write;
  selected_status_ = st;
  return st;
}

// Runs a command that must succeed; `what` names it in the error.
imap::Reply ImapConnector::run_ok(const imap::Command& c, const std::string& what) { return run_ok(c, what, {}); }

imap::Reply ImapConnector::run_ok(const imap::Command& c, const std::string& what,
                                  const std::function<bool(imap::Response&)>& take) {
  imap::Reply r = session().run(c, take);
  if (!r.ok()) throw accord::Error(ACCORD_ERROR, what + " failed: " + r.done.text);
  return r;
}

// UIDs a UID SEARCH (or ESEARCH) answered.
UidSet ImapConnector::search(const std::string& criteria_set, const std::string& header, const std::string& value) {
  return run_search([&](imap::Command& c) {
    if (!header.empty()) c.atom("HEADER").astring(header).string(value);
    else c.atom("UID").atom(criteria_set);
  });
}

// The UIDs of `set` not marked \Deleted: a marked message is on its way
// out, and reads as gone (as in flag_scan).
UidSet ImapConnector::live(const std::string& set) {
  return run_search([&](imap::Command& c) { c.atom("UID").atom(set).atom("UNDELETED"); });
}

}  // namespace gmail_imap

ACCORD_CONNECTOR(gmail_imap::ImapConnector, gmail_imap::manifest().c_str(),
                 ACCORD_CAP_READ | ACCORD_CAP_WRITE | ACCORD_CAP_DELETE | ACCORD_CAP_CHANGE_FEED |
                     ACCORD_CAP_IDEMPOTENT_CREATE | ACCORD_CAP_FETCH)
