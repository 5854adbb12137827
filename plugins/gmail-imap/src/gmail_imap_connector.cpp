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
#include "imap_session.hpp"
#include <accord/mail/message.hpp>
#include "mutf7.hpp"
#include <accord/net/oauth2.hpp>
#include "uid_set.hpp"

#include <accord/text/content_hash.hpp>
#include <accord/time/utc_time.hpp>

#include <accord/connector.hpp>
#include <accord/kit/cursor.hpp>
#include <accord/kit/manifest.hpp>
#include <accord/kit/ops.hpp>

#include <boost/json.hpp>
#include <boost/json/src.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>

namespace json = boost::json;
namespace mail = accord::mail;
using imap::UidSet;

namespace {

const char* kHeaderItem =
    "BODY.PEEK[HEADER.FIELDS (DATE FROM SENDER REPLY-TO TO CC BCC SUBJECT MESSAGE-ID IN-REPLY-TO REFERENCES)]";

const accord::kit::Manifest& manifest() {
  static const accord::kit::Manifest m =
      accord::kit::ManifestBuilder("gmail-imap", "IMAP and Gmail", "0.1.0",
                                   "Mail on any IMAP4rev1 server (Gmail, Dovecot, Exchange…): folders, flags, bodies; "
                                   "incremental with CONDSTORE/QRESYNC.")
          .stream(accord::kit::StreamInfo("message", "jmap-email")
                      .with_lazy({"/raw"}, "/size")
                      .with_identity({"/size", "/receivedAt", "/headerDigest"})
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
        "io_timeout_seconds": {"type": "integer", "minimum": 1, "maximum": 3600, "default": 120, "description": "a server silent this long fails the run (it resumes next time)"}
      }})schema")
          .store_identity({"url", "user"})  // one mailbox
          .build();
  return m;
}

struct Settings {
  imap::SessionOptions session;
  std::optional<accord::net::OAuth2Config> oauth;  // renewing access tokens
  std::vector<std::string> folders, exclude;
  std::string delete_mode, trash;  // empty: the default for the server (see ImapConnector)
  std::string gmail;
  std::string fallback_charset = std::string(mail::kFallbackCharset);
  bool folders_given = false;
  size_t batch = 500;
};

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
  return c;
}

// Beside \Deleted, the keyword that marks a message this connector is
// expunging (a delete, or the source of a move without MOVE) where the
// server keeps keywords. A run killed between that STORE and its UID
// EXPUNGE leaves the message marked; the next listing that meets it
// finishes the expunge (expunge_own). A message another client marked
// \Deleted lacks it and is never expunged by this connector.
constexpr const char* kExpungeMark = "$AccordExpunge";

// Tests kill the process at a named point of a write (ACCORD_FAILPOINT=NAME,
// as the host's own failpoints): as a SIGKILL there, nothing after it runs.
void failpoint(const char* name) {
  const char* f = std::getenv("ACCORD_FAILPOINT");
  if (f && std::string_view(f) == name) std::raise(SIGKILL);
}

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

  json::object to_json() const {
    json::object o{{"uv", uidvalidity}, {"next", uidnext}, {"ms", std::to_string(modseq)}, {"uids", uids.text()}};
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
    return s;
  }
};

// The UIDs from lo up to, not including, hi (none when hi <= lo).
UidSet uid_range(uint32_t lo, uint32_t hi) {
  lo = std::max<uint32_t>(lo, 1);
  return hi > lo ? UidSet::parse(std::to_string(lo) + ":" + std::to_string(hi - 1)).value() : UidSet{};
}

// More UIDs than this that a cursor never saw and that are gone (each one a
// deleted record): a full listing costs less.
constexpr size_t kMaxUnseenGone = 50000;

// The status of a folder on the server now.
struct Status {
  uint32_t uidvalidity = 0, uidnext = 0, messages = 0;
  uint64_t modseq = 0;
  bool known = false;     // LIST-STATUS (or SELECT) told us
  bool keywords = false;  // SELECT: PERMANENTFLAGS has \* (new keywords are kept)
};

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

bool has_flag(const std::vector<std::string>& flags, std::string_view upper) {
  return std::any_of(flags.begin(), flags.end(), [&](const std::string& f) { return imap::ascii_upper(f) == upper; });
}

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

class ImapConnector : public accord::Connector {
 public:
  ImapConnector(const accord::Host& host, std::string_view config) : Connector(host), cfg_(parse_config(config)) {
    account_ = accord::hash::content_hash(cfg_.session.url + "\n" + cfg_.session.user);
    if (cfg_.oauth) {  // neither connects before its first use
      http_ = std::make_unique<accord::net::HttpClient>(accord::net::HttpOptions{15, 30, 60, cfg_.session.ca_file});
      oauth_.emplace(*cfg_.oauth);
    }
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
    return guarded([&] { return read(std::string(cursor)); });
  }

  std::string fetch(std::string_view stream, std::string_view ids_json) override {
    check_stream(stream);
    return guarded([&] { return fetch_bodies(ids_json); });
  }

  std::string apply(std::string_view stream, std::string_view ops_json) override {
    check_stream(stream);
    return guarded([&] { return apply_ops(ops_json); });
  }

  const void* get_extension(std::string_view name) noexcept override {
    return name == ACCORD_PUSH_V1 ? accord::push_extension() : nullptr;
  }

  // accord.push.v1 by IMAP IDLE: first the folders' status against the
  // cursor (one LIST-STATUS: a change anywhere answers at once), then IDLE on
  // INBOX (All Mail on Gmail) until the server reports a change there or the
  // time is up; the status is looked at again every 25 minutes (RFC 2177
  // asks a client to re-IDLE within 29).
  bool wait_for_changes(std::string_view stream, std::string_view cursor, int64_t timeout_ms) override {
    check_stream(stream);
    return guarded([&] { return wait_idle(std::string(cursor), timeout_ms); });
  }

 private:
  // ---- connection ---------------------------------------------------------

  template <class Fn>
  auto guarded(Fn&& fn) -> decltype(fn()) {
    try {
      session();  // signed in first: what the server offers (Gmail's labels) decides what the call does
      return fn();
    } catch (const imap::SessionError& e) {
      drop_session();
      if (cancelled()) throw accord::Error(ACCORD_CANCELLED, "cancelled");
      throw accord::Error(e.status, e.what(), e.status != ACCORD_RETRY ? 0 : e.retry_after_ms ? e.retry_after_ms : 5000);
    }
  }

  void check_stream(std::string_view stream) const {
    if (stream != "message")
      throw accord::Error(ACCORD_UNSUPPORTED, "gmail-imap has one stream, \"message\" (asked for \"" + std::string(stream) + "\")");
  }

  void drop_session() {
    std::lock_guard lk(session_mu_);
    session_.reset();
    selected_.clear();
  }

  // Signs in. With oauth2, an access token is asked for first when none is
  // at hand, and once more when the server refuses the one given (they last
  // an hour); a refusal of a fresh one is the server's word.
  std::unique_ptr<imap::Session> sign_in() {
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

  void renew_token() {
    throw_if_cancelled();
    cfg_.session.oauth_token = oauth_->renew(*http_, host());
  }

  imap::Session& session() {
    if (session_) return *session_;
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
  std::string server_name(const std::string& folder) const {
    if (delim_.empty() || delim_ == "/") return folder;
    std::string out = folder;
    for (char& c : out)
      if (c == '/') c = delim_[0];
    return out;
  }
  std::string canonical_name(const std::string& server, const std::string& delim) const {
    std::string name = imap::mutf7_decode(server).value_or(server);
    if (imap::ascii_upper(name) == "INBOX") return "INBOX";
    if (!delim.empty() && delim != "/")
      for (char& c : name)
        if (c == delim[0]) c = '/';
    return name;
  }

  // Selects a folder (read-write, or read-only with EXAMINE), once unless
  // `fresh` (a listing wants the status as it is now); its status.
  Status select(const std::string& folder, bool write, bool fresh = false) {
    if (!fresh && selected_ == folder && (!write || selected_rw_)) return selected_status_;
    imap::Session& s = session();
    imap::Command c = s.command(write ? "SELECT" : "EXAMINE");
    c.mailbox(server_name(resolve(folder)));
    imap::Reply r = s.run(c);
    if (!r.ok()) {
      selected_.clear();
      throw accord::Error(ACCORD_ERROR, "the server refused to open the folder \"" + folder + "\": " + r.done.text);
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
  imap::Reply run_ok(const imap::Command& c, const std::string& what) {
    imap::Reply r = session().run(c);
    if (!r.ok()) throw accord::Error(ACCORD_ERROR, what + " failed: " + r.done.text);
    return r;
  }
  // Calls fn(items) for each FETCH response of a reply.
  template <class Fn>
  static void each_fetch(const imap::Reply& r, Fn&& fn) {
    for (auto& u : r.untagged)
      if (u.name == "FETCH") {
        auto items = imap::fetch_items(u);
        fn(items);
      }
  }

  // UIDs a UID SEARCH (or ESEARCH) answered.
  UidSet search(const std::string& criteria_set, const std::string& header = "", const std::string& value = "") {
    return run_search([&](imap::Command& c) {
      if (!header.empty()) c.atom("HEADER").astring(header).string(value);
      else c.atom("UID").atom(criteria_set);
    });
  }
  // The UIDs of `set` not marked \Deleted: a marked message is on its way
  // out, and reads as gone (as in flag_scan).
  UidSet live(const std::string& set) {
    return run_search([&](imap::Command& c) { c.atom("UID").atom(set).atom("UNDELETED"); });
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

  // ---- Gmail labels ⇄ mailboxIds ------------------------------------------

  std::string special(const char* use, const std::string& fallback = "") const {
    auto it = special_.find(use);
    return it == special_.end() ? fallback : it->second;
  }

  static constexpr const char* kUses[] = {"\\ALL", "\\SENT", "\\DRAFTS", "\\TRASH", "\\JUNK"};

  // The SPECIAL-USE flag ("\\SENT") a Gmail folder key or mailbox name
  // stands for: the flag itself ("\\Sent"), the name this state uses for it,
  // or the name the server gives it now; "" for any other.
  std::string use_of(const std::string& name) const {
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
  std::string resolve(const std::string& key) const {
    if (!gmail_ || key == "INBOX" || key == cfg_.trash) return key;
    std::string use = use_of(key);
    if (!use.empty()) return special(use.c_str(), key);
    return special("\\ALL", key);
  }

  // The key of All Mail in this state's ids and cursor.
  std::string all_key() const {
    auto it = names_.find("\\ALL");
    return it == names_.end() ? "\\All" : it->second;
  }

  // The name this state gives the special folder `use` in mailboxIds.
  std::string state_name(const char* use, const char* flag) const {
    auto it = names_.find(use);
    return it == names_.end() ? flag : it->second;
  }

  // mailboxIds of a Gmail message: INBOX, Sent, Drafts, then its own labels
  // (sorted); none of them: All Mail (an archived message). \Important is
  // the keyword $important and \Starred the flag \Flagged, not mailboxes.
  json::object mailboxes_of(const std::vector<std::string>& labels) const {
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
  std::set<std::string> labels_of(const json::object& data) const {
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
  bool system_folder(const std::string& name) const {
    if (name.starts_with("\\") || name.starts_with("[Gmail]/") || name.starts_with("[Google Mail]/")) return true;
    std::string all = special("\\ALL");
    size_t slash = all.rfind('/');
    return slash != std::string::npos && name.starts_with(all.substr(0, slash + 1));
  }

  // A label this connector manages, spelt as labels_of spells it; "" for
  // the others (\\Starred is the \\Flagged flag; Gmail's other system labels).
  static std::string managed_label(const std::string& l) {
    if (!l.starts_with("\\")) return l;
    std::string up = imap::ascii_upper(l);
    for (const char* sys : {"\\Inbox", "\\Sent", "\\Draft", "\\Important"})
      if (up == imap::ascii_upper(sys)) return sys;
    return "";
  }

  // Brings a message's labels (in the selected All Mail) to what the record
  // asks for: one +X-GM-LABELS and one -X-GM-LABELS at most.
  std::optional<std::string> store_labels(uint32_t uid, const json::object& data, const std::vector<std::string>& now) {
    std::set<std::string> want = labels_of(data), have;
    for (auto& l : now)
      if (std::string m = managed_label(l); !m.empty()) have.insert(m);
    std::vector<std::string> add, drop;
    std::set_difference(want.begin(), want.end(), have.begin(), have.end(), std::back_inserter(add));
    std::set_difference(have.begin(), have.end(), want.begin(), want.end(), std::back_inserter(drop));
    imap::Session& s = session();
    for (auto [how, list] : {std::pair{"+X-GM-LABELS.SILENT", &add}, std::pair{"-X-GM-LABELS.SILENT", &drop}}) {
      if (list->empty()) continue;
      imap::Command c = s.command("UID STORE");
      c.atom(std::to_string(uid)).atom(how).open();
      for (auto& l : *list) {
        if (l.starts_with("\\")) c.atom(l);
        else c.mailbox(l);
      }
      c.close();
      imap::Reply r = s.run(c);
      if (!r.ok()) return "setting Gmail labels refused: " + r.done.text;
    }
    return std::nullopt;
  }

  // Flags to store for a record's keywords ($important is a Gmail label there).
  std::vector<std::string> flags_for(const json::object& keywords) const {
    std::vector<std::string> flags = mail::flags_from_keywords(keywords);
    if (gmail_) std::erase_if(flags, [](const std::string& f) { return imap::ascii_upper(f) == "$IMPORTANT"; });
    return flags;
  }

  // ---- reading ------------------------------------------------------------

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

    std::string text(const std::string& account) const {
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
  };

  // "imap1.{…}", as every version of this connector wrote it
  static inline const accord::kit::CursorFormat kCursor{"imap", 1};

  Cursor parse_cursor(const std::string& text) {
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

  // On Gmail, the names a state uses for the special folders in its ids,
  // cursor and mailboxIds (c.names, kept in the cursor): for a new state
  // their flags, which no change of the account's language moves. A cursor
  // an earlier version wrote has none: it keeps what it holds (All Mail's key
  // from its folders, the others as the server names them now), so that no
  // record of the state changes id or folder.
  void gmail_names(Cursor& c, bool fresh) {
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

  bool wanted(const std::string& folder) const {
    bool in = std::any_of(cfg_.folders.begin(), cfg_.folders.end(), [&](auto& p) { return matches(p, folder); });
    bool out = std::any_of(cfg_.exclude.begin(), cfg_.exclude.end(), [&](auto& p) { return matches(p, folder); });
    return in && !out;
  }

  // Every selectable folder we sync, with its status where LIST-STATUS gives it.
  std::map<std::string, Status> list_folders() {
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
  bool moved(const FolderState& f, const Status& st) const {
    return f.uidvalidity != st.uidvalidity || f.uidnext != st.uidnext || f.uids.size() != st.messages ||
           (condstore_ && f.modseq != st.modseq);
  }
  bool unchanged(const FolderState& f, const Status& st) const { return st.known && condstore_ && !moved(f, st); }

  // renumbered: the folder's UIDVALIDITY changed, the message may be there
  // under a new UID (the host finds it again by the manifest's "identity")
  static json::object deleted_record(const std::string& id, bool renumbered = false) {
    json::object o{{"id", id}, {"deleted", true}};
    if (renumbered) o["renumbered"] = true;
    return o;
  }

  std::string read(const std::string& cursor_text) {
    Cursor c = parse_cursor(cursor_text);
    bool full = cursor_text.empty();
    gmail_names(c, full);
    json::array records;
    std::optional<uint64_t> total;  // how many this read lists, where the server said
    if (!c.running) {
      // a new listing: which folders need reading
      std::map<std::string, Status> now = list_folders();
      for (auto it = c.folders.begin(); it != c.folders.end();) {
        if (now.contains(it->first)) {
          ++it;
          continue;
        }
        // a folder gone (or no longer synced): its messages are gone from this side
        for (uint32_t uid : it->second.uids.values())
          records.push_back(deleted_record(MessageId{it->first, it->second.uidvalidity, uid}.text()));
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
        if (f != c.folders.end() && !c.relist && unchanged(f->second, st)) continue;
        c.todo.push_back(name);
      }
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
  void begin_folder(Cursor& c, const std::string& folder, json::array& records) {
    Status st = select(folder, false, true);
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
        pending = st.messages ? live("1:*") : UidSet{};
        if (st.messages) own = marked_here();
      } else {
        flag_scan(folder, nullptr, pending, next, own);
      }
      // (a full listing needs none: the host takes what it does not list for gone)
      if (c.incremental) gone = uid_range(1, st.uidnext).minus(pending);
    } else {
      next.uids = old->uids;
      next.flags = old->flags;
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
  UidSet marked_here() {
    try {
      return run_search([&](imap::Command& cmd) { cmd.atom("DELETED").atom("KEYWORD").atom(kExpungeMark); });
    } catch (const accord::Error&) {
      return {};
    }
  }

  bool marked_by_us(const std::vector<std::string>& flags) const {
    return has_flag(flags, "\\DELETED") && has_flag(flags, imap::ascii_upper(kExpungeMark));
  }

  // Finishes the expunges a stopped run of ours left: the messages of the
  // folder being listed that it marked \Deleted and kExpungeMark (and that
  // the listing reports gone). Selected read-write for the UID EXPUNGE of
  // just those UIDs; without UIDPLUS they stay marked, as such a delete
  // leaves them.
  void expunge_own(const std::string& folder, const UidSet& own) {
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
  void flag_scan(const std::string& folder, const FolderState* old, UidSet& changed, FolderState& next, UidSet& own) {
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

  // The header fields, flags, date and size of these UIDs, as records;
  // `state` learns the UIDs that are there.
  void fetch_records(const std::string& folder, FolderState& state, const UidSet& uids, json::array& records) {
    if (uids.empty()) return;
    imap::Session& s = session();
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
    std::vector<imap::Reply> replies = s.run_all(cmds);
    std::vector<std::pair<uint32_t, json::object>> got;
    for (auto& r : replies) {
      if (!r.ok()) throw accord::Error(ACCORD_ERROR, "UID FETCH failed in " + folder + ": " + r.done.text);
      for (auto& u : r.untagged) {
        if (u.name != "FETCH") continue;
        auto items = imap::fetch_items(u);
        auto uid_it = items.find("UID");
        if (uid_it == items.end() || !uids.contains(static_cast<uint32_t>(uid_it->second.number))) continue;
        uint32_t uid = static_cast<uint32_t>(uid_it->second.number);
        std::vector<std::string> flags = items.contains("FLAGS") ? flag_list(items["FLAGS"]) : std::vector<std::string>{};
        std::string id = MessageId{folder, state.uidvalidity, uid}.text();
        if (has_flag(flags, "\\DELETED")) {
          if (state.uids.contains(uid)) got.push_back({uid, deleted_record(id)});
          state.uids = state.uids.minus(UidSet::of({uid}));
          continue;
        }
        std::string headers;
        for (auto& [k, v] : items)
          if (k.starts_with("BODY[HEADER")) headers = v.str();
        json::object data = mail::header_fields(headers, cfg_.fallback_charset);
        // what finds the message again when its folder is renumbered (the
        // manifest's identity, with its size and date): a message without a
        // Message-ID has one too
        data["headerDigest"] = accord::hash::content_hash(headers);
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
        state.uids.add(uid);
        got.push_back({uid, json::object{{"id", id},
                                         {"version", version},
                                         {"modified", accord::utc::format(received)},
                                         {"data", std::move(data)}}});
      }
    }
    std::sort(got.begin(), got.end(), [](auto& a, auto& b) { return a.first < b.first; });
    for (auto& [uid, rec] : got) records.push_back(std::move(rec));
  }

  // ---- push: IDLE ---------------------------------------------------------

  // Whether the server's status of the folders differs from what the cursor
  // recorded (a folder new, gone, renumbered, grown, shrunk or, with
  // CONDSTORE, changed). Without LIST-STATUS it cannot say: false.
  bool status_moved(const Cursor& c) {
    std::map<std::string, Status> now = list_folders();
    for (auto& [name, st] : now) {
      auto f = c.folders.find(name);
      if (f == c.folders.end()) return true;
      if (!st.known) continue;
      if (moved(f->second, st)) return true;
    }
    for (auto& [name, f] : c.folders)
      if (!now.contains(name)) return true;
    return false;
  }

  bool wait_idle(const std::string& cursor_text, int64_t timeout_ms) {
    if (cursor_text.empty()) return true;  // nothing read yet
    Cursor c = parse_cursor(cursor_text);
    gmail_names(c, false);
    if (c.running || status_moved(c)) return true;
    std::string folder = gmail_ ? all_key() : "INBOX";
    const int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
      Status st = select(folder, false, true);
      if (auto f = c.folders.find(folder); f != c.folders.end() && moved(f->second, st)) return true;
      int64_t left = deadline - now_ms();
      if (left <= 0) return false;
      bool changed = session().idle(std::min<int64_t>(left, 25 * 60 * 1000));
      selected_.clear();  // what IDLE saw moved the folder's status on
      if (changed || status_moved(c)) return true;
    }
  }
  static int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  // ---- fetch: bodies ------------------------------------------------------

  std::string fetch_bodies(std::string_view ids_json) {
    std::map<std::string, std::vector<MessageId>> by_folder;
    for (const auto& id : accord::kit::parse_ids(ids_json))
      if (auto m = MessageId::parse(id)) by_folder[m->folder].push_back(*m);
    json::array out;
    imap::Session& s = session();
    // the folder already open first: each switch costs the server a look at
    // the whole folder (Dovecot rescans a Maildir)
    std::vector<std::pair<const std::string, std::vector<MessageId>>*> order;
    for (auto& f : by_folder) order.push_back(&f);
    std::stable_partition(order.begin(), order.end(), [&](auto* f) { return f->first == selected_; });
    for (auto* f : order) {
      const std::string& folder = f->first;
      const std::vector<MessageId>& ids = f->second;
      throw_if_cancelled();
      Status st = select(folder, false);
      std::vector<uint32_t> uids;
      for (auto& m : ids)
        if (m.uidvalidity == st.uidvalidity) uids.push_back(m.uid);
      if (uids.empty()) continue;
      imap::Command c = s.command("UID FETCH");
      c.atom(UidSet::of(uids).text()).open().atom("UID").atom("BODY.PEEK[]").close();
      imap::Reply r = run_ok(c, "UID FETCH BODY[] in " + folder);
      each_fetch(r, [&](auto& items) {
        auto uid = items.find("UID");
        auto body = items.find("BODY[]");
        if (uid == items.end() || body == items.end()) return;
        std::string raw = body->second.str();
        json::object data{{"raw", mail::base64_encode(raw)}, {"size", raw.size()}};
        if (!gmail_) data["mailboxIds"] = json::object{{folder, true}};
        out.push_back(json::object{{"id", MessageId{folder, st.uidvalidity, static_cast<uint32_t>(uid->second.number)}.text()},
                                   {"data", std::move(data)}});
      });
    }
    return json::serialize(json::object{{"records", std::move(out)}});
  }

  // ---- apply --------------------------------------------------------------

  using Result = accord::kit::Result;

  std::string apply_ops(std::string_view ops_json) {
    std::vector<accord::kit::Op> ops = accord::kit::parse_ops(ops_json);
    // a lost connection fails the whole call (guarded reconnects next time)
    return accord::kit::results_json(accord::kit::apply_each<imap::SessionError>(*this, ops, [&](const accord::kit::Op& op) {
      return op.is_create() ? create(op) : change(op, op.is_delete());
    }));
  }

  // The version a message has now (MODSEQ or flags); nullopt when it is gone.
  std::optional<std::string> current_version(uint32_t uid, std::vector<std::string>* flags_out = nullptr,
                                             std::vector<std::string>* labels_out = nullptr) {
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

  Result found(const std::string& folder, uint32_t uidvalidity, uint32_t uid) {
    auto v = current_version(uid);
    return Result::ok(MessageId{folder, uidvalidity, uid}.text(), v.value_or(""));
  }

  // A message this create may already have made: by Message-ID (or our
  // X-Accord-Id) and size.
  std::optional<Result> find_existing(const std::string& folder, const std::string& header, const std::string& value,
                                      uint64_t size) {
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
  std::optional<Result> find_same(const std::string& folder, const std::string& msg, std::optional<int64_t> when) {
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

  Result create(const accord::kit::Op& op) {
    const json::object& data = op.data;
    const std::string& key = op.idempotency_key;
    bool resend = op.resend;
    auto* raw = data.if_contains("raw");
    if (!raw || !raw->is_string())
      return Result::error("a new message needs its body in \"raw\" (base64 of the RFC 5322 message); "
                                     "the host fetches it from the other side");
    auto bytes = mail::base64_decode(raw->get_string());
    if (!bytes) return Result::error("\"raw\" is not base64");
    std::string msg = mail::to_crlf(*bytes);
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
      c.literal(msg);
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
      // answered with a UID and dropped. The one it holds is this record's.
      if (!current_version(uid, nullptr, nullptr) && header == "Message-ID" && !value.empty()) {
        std::vector<uint32_t> same = search("", header, value).values();
        if (!same.empty()) uid = same.front();
      }
      return labelled(MessageId{folder, uv, uid}, data);
    }
    if (auto existing = existing_one()) return relabelled(*existing, data);
    return Result::error("the message was appended to \"" + folder + "\" but cannot be found again "
                                   "(the server has no UIDPLUS and the search missed it)");
  }

  // A message just made (or found again) in Gmail's All Mail gets the labels
  // its record asks for; its id and version after that.
  Result labelled(const MessageId& m, const json::object& data) {
    select(m.folder, true);
    std::vector<std::string> labels;
    if (!current_version(m.uid, nullptr, &labels)) return Result::error("the new message is gone again", m.text());
    if (auto bad = store_labels(m.uid, data, labels)) return Result::error(*bad, m.text());
    return found(m.folder, m.uidvalidity, m.uid);
  }
  // The same for a message a search found (a re-sent create).
  Result relabelled(const Result& r, const json::object& data) {
    auto m = MessageId::parse(r.id);
    return gmail_ && m ? labelled(*m, data) : r;
  }

  Result change(const accord::kit::Op& op, bool is_delete) {
    const std::string& id = op.id;
    auto m = MessageId::parse(id);
    if (!m) return Result::error("not a message id of this connector: " + id, id);
    Status st = select(m->folder, true);
    if (st.uidvalidity != m->uidvalidity)
      return Result::conflict("the folder \"" + m->folder + "\" was renumbered (UIDVALIDITY changed); the next run relists it", id);
    std::string expect = op.expect_version.value_or("");
    std::vector<std::string> now_flags, now_labels;
    auto now = current_version(m->uid, &now_flags, gmail_ ? &now_labels : nullptr);
    if (!now) return Result::error("the message is gone from \"" + m->folder + "\" (the next run sees the delete)", id);
    if (!expect.empty() && expect != *now)
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
        if (!run_search([&](imap::Command& c) { c.atom("X-GM-MSGID").atom(std::to_string(*gm_id)); }).empty())
          return Result::error("Gmail archived the message instead of deleting it (it is still in All Mail): its setting "
                               "\"When a message is marked as deleted and expunged from the last visible IMAP folder\" "
                               "is \"Archive the message\"; set it to \"Move the message to the Trash\" or \"Immediately "
                               "delete the message forever\" (Settings, Forwarding and POP/IMAP), or use delete: \"trash\"",
                               id);
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
      if (auto bad = store_labels(m->uid, data, now_labels)) return Result::error(*bad, id);
    } else if (std::string to = mail::first_mailbox(data, m->folder); to != m->folder) {
      return move(*m, to, id);
    }
    auto v = current_version(m->uid);
    return Result::ok(id, v.value_or(""));
  }

  // Gmail's X-GM-MSGID of a message of the selected folder (nullopt: none).
  std::optional<uint64_t> gmail_msgid(uint32_t uid) {
    imap::Command c = session().command("UID FETCH");
    c.atom(std::to_string(uid)).open().atom("UID").atom("X-GM-MSGID").close();
    std::optional<uint64_t> out;
    each_fetch(run_ok(c, "UID FETCH X-GM-MSGID"), [&](auto& items) {
      if (auto g = items.find("X-GM-MSGID"); g != items.end() && items.contains("UID") && items["UID"].number == uid)
        out = g->second.number;
    });
    return out;
  }

  // The flags that mark a message this connector expunges (see kExpungeMark)
  // in a folder selected with status `st`.
  static std::vector<std::string> deleted_flags(const Status& st) {
    if (st.keywords) return {"\\Deleted", kExpungeMark};
    return {"\\Deleted"};
  }

  // Moves a message to another folder: its id changes (a new UID there).
  Result move(const MessageId& m, const std::string& to, const std::string& id) {
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

  Settings cfg_;
  std::string account_;
  std::mutex session_mu_;
  std::unique_ptr<imap::Session> session_;
  std::unique_ptr<accord::net::HttpClient> http_;     // the token endpoint (with oauth2 only)
  std::optional<accord::net::OAuth2Refresher> oauth_;
  bool condstore_ = false, qresync_ = false;
  bool gmail_ = false;                        // X-GM-EXT-1 with labels: All Mail only
  std::map<std::string, std::string> special_;  // "\\ALL", "\\TRASH", … → folder
  std::map<std::string, std::string> names_;    // Gmail: "\\ALL", … → this state's key for it (gmail_names)
  std::string delim_ = "/";
  std::string selected_;
  bool selected_rw_ = false;
  Status selected_status_;
};

}  // namespace

ACCORD_CONNECTOR(ImapConnector, manifest().c_str(),
                 ACCORD_CAP_READ | ACCORD_CAP_WRITE | ACCORD_CAP_DELETE | ACCORD_CAP_CHANGE_FEED |
                     ACCORD_CAP_IDEMPOTENT_CREATE | ACCORD_CAP_FETCH)
