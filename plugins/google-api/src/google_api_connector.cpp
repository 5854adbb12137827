// SPDX-License-Identifier: Apache-2.0
// The `google-api` connector: a Google account through its REST APIs.
// Streams: `contact` (People API v1), `event` (Calendar v3), `task`
// (Tasks v1), `message` (Gmail v1: gmail_stream.cpp) and `note` (Drive v3:
// drive_stream.cpp).
//
// Reading: one page per read_changes call. The cursor carries Google's sync
// token between runs and, mid-listing, the page token and the sync token
// that listing was asked with (Google binds page tokens to the first call's
// parameters). A sync token Google no longer honours (People: HTTP 400
// FAILED_PRECONDITION with ErrorInfo reason EXPIRED_SYNC_TOKEN; Calendar:
// HTTP 410 fullSyncRequired) is CURSOR_EXPIRED: the host lists everything
// and diffs it against its state.
//
// Writing: People's batch endpoints when an apply holds several ops of a
// kind (batchCreateContacts ≤ 200, batchUpdateContacts ≤ 200,
// batchDeleteContacts ≤ 500), else one request per op. Idempotent creates:
// contacts carry the key in clientData (looked for on a resend, and after a
// lost answer); events get an id derived from the key (base32hex; Google
// answers 409 to a second insert of it, and the connector then reads it).
// Conflicts: People's etag in the body (400 FAILED_PRECONDITION → CONFLICT),
// Calendar's If-Match (412 → CONFLICT).
#include "calendar_map.hpp"
#include "drive_map.hpp"
#include "drive_stream.hpp"
#include "gmail_stream.hpp"
#include "google_client.hpp"
#include "json_read.hpp"
#include "people_map.hpp"
#include "tasks_map.hpp"

#include <accord/connector.hpp>
#include <accord/kit/batch.hpp>
#include <accord/kit/check.hpp>
#include <accord/kit/cursor.hpp>
#include <accord/kit/manifest.hpp>
#include <accord/kit/ops.hpp>
#include <accord/net/redact.hpp>
#include <accord/net/url_rules.hpp>
#include <accord/text/ascii.hpp>
#include <accord/text/content_hash.hpp>
#include <accord/time/rest_time.hpp>

#include <boost/json.hpp>
#include <boost/json/src.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace json = boost::json;
using gapi::jr::arr;
using gapi::jr::flag;
using gapi::jr::obj;
using gapi::jr::str;

namespace gapi {

namespace {

const accord::kit::Manifest& manifest() {
  static const accord::kit::Manifest m = [] {
    using accord::kit::StreamInfo;
    return accord::kit::ManifestBuilder(
               "google-api", "Google (People, Calendar, Tasks, Gmail, Drive notes)", "0.1.0",
               "A Google account through its APIs: contacts (People API), calendar events (Calendar API), tasks "
               "(Tasks API), mail with its labels (Gmail API) and notes as plain-text files (Drive API), "
               "incremental; OAuth 2.0 with a refresh token.")
        // read only: Google's primary item (metadata.primary, set by Google), Gmail's thread, Drive's createdTime
        .stream(StreamInfo("contact", "jscontact").with_fields(people::fields())
                    .with_read_only({"/emails/*/pref", "/phones/*/pref", "/addresses/*/pref"}))
        .stream(StreamInfo("event", "jscalendar-event").with_fields(calendar::fields()))
        .stream(StreamInfo("task", "jscalendar-task").with_fields(tasks::fields()).with_read_only({"/uid"}))
        .stream(StreamInfo("message", "jmap-email").with_lazy({"/raw"}, "/size").with_fields(gmail::fields())
                    .with_read_only({"/threadId"}))
        .stream(StreamInfo("note", "note").with_fields(drive::fields()).with_read_only({"/created"}))
        .config_schema(R"schema({
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "account": {"type": "string", "description": "the Google account's address (e.g. ada@example.com): names the store, so that state made with one account is never used with another"},
        "oauth2": {"type": "object", "additionalProperties": false, "required": ["client_id"],
          "description": "renew OAuth 2.0 access tokens with a refresh token (see docs/connectors/google-api.md for how to get one)",
          "properties": {
            "token_url": {"type": "string", "format": "url-loopback-http", "default": "https://oauth2.googleapis.com/token",
              "description": "Google's token endpoint (http:// only to this machine, for tests)"},
            "client_id": {"type": "string", "description": "the OAuth client id the refresh token was issued to"},
            "client_secret": {"type": "string", "description": "that client's secret, as {\"$secret\": NAME}"},
            "refresh_token": {"type": "string", "description": "the refresh token, as {\"$secret\": NAME}; or"},
            "refresh_token_secret": {"type": "string", "description": "the NAME of the secret holding the refresh token: a token Google rotates is written back there"}}},
        "service_account": {"type": "object", "additionalProperties": false, "required": ["key"],
          "description": "sign in as a Workspace service account with domain-wide delegation, acting for one user (instead of oauth2)",
          "properties": {
            "key": {"type": "string", "description": "the service account's JSON key file (its whole text), as {\"$secret\": NAME}"},
            "subject": {"type": "string", "description": "the user the account acts for (default: account)"},
            "token_url": {"type": "string", "format": "url-loopback-http", "description": "the token endpoint (default: the key file's token_uri)"},
            "scopes": {"type": "string", "default": "https://www.googleapis.com/auth/contacts https://www.googleapis.com/auth/calendar https://www.googleapis.com/auth/tasks https://www.googleapis.com/auth/gmail.modify https://www.googleapis.com/auth/drive",
              "description": "the scopes asked for, space-separated: those the administrator granted the client id"}}},
        "access_token": {"type": "string", "format": "header-value", "description": "a current access token, as {\"$secret\": NAME}: used until refused, then renewed through oauth2 when given"},
        "people_url": {"type": "string", "format": "url-loopback-http", "default": "https://people.googleapis.com", "description": "the People API's origin"},
        "calendar_url": {"type": "string", "format": "url-loopback-http", "default": "https://www.googleapis.com/calendar/v3", "description": "the Calendar API's root"},
        "tasks_url": {"type": "string", "format": "url-loopback-http", "default": "https://tasks.googleapis.com", "description": "the Tasks API's origin"},
        "task_list": {"type": "string", "default": "@default", "description": "the task list the task stream syncs: \"@default\" (My Tasks) or a list id"},
        "gmail_url": {"type": "string", "format": "url-loopback-http", "default": "https://gmail.googleapis.com", "description": "the Gmail API's origin (the message stream)"},
        "gmail_units_per_minute": {"type": "integer", "minimum": 50, "maximum": 15000, "default": 12000, "description": "google-api's own budget of Gmail quota units per minute (Gmail allows 15,000 per user, shared with every other client of the account): a request beyond it is not sent, the run answers RETRY"},
        "gmail_write": {"type": "string", "enum": ["import", "insert"], "default": "import", "description": "how a new message goes into Gmail: import (as delivered mail: Gmail's scanning and classification) or insert (as IMAP APPEND does)"},
        "gmail_delete": {"type": "string", "enum": ["trash", "delete"], "default": "trash", "description": "how a message is deleted: moved to the trash (Gmail empties it after 30 days) or deleted for good at once"},
        "drive_url": {"type": "string", "format": "url-loopback-http", "default": "https://www.googleapis.com/drive/v3", "description": "the Drive API's root (the note stream); uploads go to the same origin's /upload/drive/v3"},
        "notes_folder": {"type": "string", "minLength": 1, "default": "Outlook Notes", "description": "the folder in My Drive whose plain-text files are the note stream (made on the first write), as Google Workspace Sync for Microsoft Outlook keeps notes"},
        "calendar_id": {"type": "string", "default": "primary", "description": "the calendar the event stream syncs: \"primary\", a calendar id from the calendar list, or \"*\": every calendar of the list the account may write to (records then have ids \"<calendar id>/<event id>\"; new events go to the primary calendar)"},
        "page_size": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 500, "description": "records asked for per listing page (People allows 1000, Calendar 2500)"},
        "batch": {"type": "boolean", "default": true, "description": "use People's batch endpoints (≤ 200 creates or updates, ≤ 500 deletes a request) when an apply holds several ops"},
        "ca_file": {"type": "string", "format": "path", "description": "a CA bundle for a private CA (a proxy); TLS verification cannot be turned off"},
        "timeouts": {"type": "object", "additionalProperties": false, "properties": {
            "connect_seconds": {"type": "integer", "minimum": 1, "default": 10},
            "stall_seconds": {"type": "integer", "minimum": 1, "default": 30, "description": "a transfer that stops moving for this long is abandoned"},
            "total_seconds": {"type": "integer", "minimum": 1, "default": 300}}}
      }})schema")
        .store_identity({"account", "people_url", "calendar_url", "calendar_id", "tasks_url", "task_list", "gmail_url",
                         "drive_url", "notes_folder"})
        .build();
  }();
  return m;
}

struct Settings {
  ClientOptions client;
  GmailSettings gmail;
  int64_t gmail_units = 12000;
  DriveSettings drive;
  std::string account, people, calendar, calendar_id, tasks, task_list;
  size_t page_size = 500;
  bool batch = true;
};

Settings parse_config(std::string_view text) {
  using accord::kit::Config;
  const Config k = manifest().config(text);
  Settings s;
  s.client.access_token = k.str("/access_token");
  if (k.has("/oauth2")) {
    accord::net::OAuth2Config o{k.str("/oauth2/token_url"), k.str("/oauth2/client_id"), k.str("/oauth2/client_secret"),
                                k.str("/oauth2/refresh_token"), k.str("/oauth2/refresh_token_secret"), "google-api",
                                "the Google account"};
    if (o.refresh_token.empty() == o.refresh_token_secret.empty())
      Config::fail("/oauth2", "give exactly one of \"refresh_token_secret\" (the secret's name, so that a rotated token "
                              "can be kept) and \"refresh_token\" (as {\"$secret\": NAME})");
    s.client.oauth = std::move(o);
  }
  if (k.has("/service_account")) {
    if (k.has("/oauth2")) Config::fail("/service_account", "give \"oauth2\" or \"service_account\", not both");
    std::string subject = k.str("/service_account/subject");
    if (subject.empty()) subject = k.str("/account");
    if (subject.empty())
      Config::fail("/service_account/subject", "name the user the service account acts for (or give \"account\")");
    std::string url = k.str("/service_account/token_url");
    if (auto why = accord::net::credential_url_problem(url); !url.empty() && !why.empty())
      Config::fail("/service_account/token_url", why);
    try {
      s.client.service_account = read_key_file(k.str("/service_account/key"), url, subject,
                                               k.str("/service_account/scopes"));
    } catch (const accord::Error& e) {
      Config::fail("/service_account/key", e.what());
    }
  }
  if (!k.has("/oauth2") && !k.has("/service_account") && s.client.access_token.empty()) {
    Config::fail("", "give \"oauth2\" (client_id, client_secret and the refresh token, each secret as {\"$secret\": NAME}), "
                     "\"service_account\" or an \"access_token\"");
  }
  for (const char* p : {"/people_url", "/calendar_url", "/tasks_url", "/gmail_url", "/drive_url", "/oauth2/token_url"}) {
    std::string u = k.str(p);
    if (u.empty() && std::string(p) == "/oauth2/token_url") continue;
    if (auto why = accord::net::credential_url_problem(u); !why.empty()) Config::fail(p, why);
  }
  auto root = [&](const char* p) {
    std::string u = k.str(p);
    while (!u.empty() && u.back() == '/') u.pop_back();
    return u;
  };
  s.account = accord::ascii_lower(k.str("/account"));
  s.people = root("/people_url");
  s.calendar = root("/calendar_url");
  s.calendar_id = k.str("/calendar_id");
  s.tasks = root("/tasks_url");
  s.task_list = k.str("/task_list");
  s.page_size = static_cast<size_t>(k.integer("/page_size"));
  s.gmail = GmailSettings{root("/gmail_url"), s.page_size, k.str("/gmail_write") == "insert",
                          k.str("/gmail_delete") == "delete"};
  s.gmail_units = k.integer("/gmail_units_per_minute", 12000);
  s.drive.root = root("/drive_url");
  // uploads: the same origin's /upload/… path ("Upload file data")
  s.drive.upload = s.drive.root;
  if (size_t at = s.drive.upload.find("/drive/v3"); at != std::string::npos) s.drive.upload.insert(at, "/upload");
  s.drive.folder = k.str("/notes_folder");
  s.drive.page_size = s.page_size;
  s.batch = k.boolean("/batch");
  s.client.http.ca_file = k.str("/ca_file");
  s.client.http.connect_timeout_s = k.integer("/timeouts/connect_seconds", 10);
  s.client.http.stall_timeout_s = k.integer("/timeouts/stall_seconds", 30);
  s.client.http.total_timeout_s = k.integer("/timeouts/total_seconds", 300);
  return s;
}

using accord::kit::Op;
using accord::kit::Result;
using accord::net::url_encode;

// "google1.{…}"
const accord::kit::CursorFormat kCursor{"google", 1};

// The event id for an idempotency key: 32 hex digits, which are base32hex
// (Google's alphabet for client ids: a-v and 0-9, 5 to 1024 characters).
std::string event_id_for(const std::string& key) {
  uint64_t a = accord::hash::fnv1a(key);
  uint64_t b = accord::hash::fnv1a(key, a ^ 0x9e3779b97f4a7c15ull);
  return accord::hash::hex(a) + accord::hash::hex(b);
}

constexpr const char* kEventKey = "accord.idempotency_key";  // extendedProperties.private

class GoogleApi final : public accord::Connector {
 public:
  GoogleApi(const accord::Host& host, std::string_view config)
      : accord::Connector(host),
        s_(parse_config(config)),
        client_(s_.client, host),
        gmail_(client_, s_.gmail, kCursor),
        drive_(client_, s_.drive, kCursor) {
    // Gmail's quota is the user's: kept per account (and origin) across runs and pipelines
    client_.set_budget(s_.gmail_units, gmail::quota_units, budget_ledger_path(s_.account + " " + s_.gmail.root));
  }

  void cancel() noexcept override {
    client_.cancel();
    accord::Connector::cancel();
  }

  const void* get_extension(std::string_view name) noexcept override {
    return name == ACCORD_STREAMS_V1 ? accord::streams_extension()
           : name == ACCORD_CHECK_V1 ? accord::check_extension()
                                     : accord::Connector::get_extension(name);
  }

  // accord.check.v1 on the event and contact streams: each record as Google
  // would keep it (calendar::as_kept: converted to the series and its
  // exceptions and read back as a write's answer is; people::as_kept: the
  // Person and back), nothing sent; null for one the converter refuses (the
  // write would answer its error). The other streams answer UNSUPPORTED:
  // the host then plans them as before.
  std::string check_records(std::string_view stream, std::string_view records_json) override {
    check_stream(stream);
    if (stream != "event" && stream != "contact")
      throw accord::Error(ACCORD_UNSUPPORTED, "google-api says what it keeps of the event and contact streams only");
    return accord::kit::check_each(
        records_json,
        [&](const json::object& r) -> json::value {
          if (stream == "event") return calendar::as_kept(r, known_zone(), s_.account);
          return people::as_kept(r);
        },
        [&] { throw_if_cancelled(); });
  }
  void check_stream(std::string_view stream) override {
    if (stream != "contact" && stream != "event" && stream != "task" && stream != "message" && stream != "note")
      throw accord::Error(ACCORD_UNSUPPORTED, "google-api keeps the streams contact, event, task, message and note, "
                                              "not \"" + std::string(stream) + "\"");
  }

  std::string fetch(std::string_view stream, std::string_view ids_json) override {
    check_stream(stream);
    if (stream != "message")
      throw accord::Error(ACCORD_UNSUPPORTED, "google-api's " + std::string(stream) + " stream has no lazy fields");
    return gmail_.fetch(accord::kit::parse_ids(ids_json));
  }

  std::string read_changes(std::string_view stream, std::string_view cursor) override {
    check_stream(stream);
    std::optional<json::object> cur = kCursor.read(cursor);
    if (cur && str(*cur, "stream") != stream) kCursor.expire("it is the cursor of another stream");
    json::object c = cur ? std::move(*cur) : json::object{{"stream", std::string(stream)}};
    if (stream == "task") return read_tasks(c, !cur);
    if (stream == "message") return gmail_.read(c, !cur);
    if (stream == "note") return drive_.read(c, !cur);
    if (stream == "event" && all_calendars()) return read_all_events(c, !cur);
    return stream == "contact" ? read_contacts(c, !cur) : read_events(c, !cur);
  }

  std::string apply(std::string_view stream, std::string_view ops_text) override {
    check_stream(stream);
    if (host().read_only()) throw accord::Error(ACCORD_UNSUPPORTED, "this instance is read-only");
    std::vector<Op> ops = accord::kit::parse_ops(ops_text);
    std::vector<std::optional<Result>> done(ops.size());
    if (stream == "contact" && s_.batch) batch_contacts(ops, done);
    if (stream == "message" && s_.batch) gmail_.batch_updates(ops, done);
    return accord::kit::results_json(accord::kit::apply_each(*this, ops, [&](const Op& op) {
      if (auto& d = done[static_cast<size_t>(&op - ops.data())]) return *d;
      if (stream == "task") return apply_task(op);
      if (stream == "message") return gmail_.apply(op);
      if (stream == "note") return drive_.apply(op);
      if (stream == "event" && all_calendars()) return apply_event_in_its_calendar(op);
      return stream == "contact" ? apply_contact(op) : apply_event(op);
    }));
  }

 private:
  // ---- a sync-token listing's place ------------------------------------------
  //
  // Between runs the cursor holds Google's sync token ("sync"); mid-listing,
  // the page token, the sync token that listing was asked with ("use": Google
  // binds page tokens to the first call's parameters) and whether it is full.
  struct Pass {
    std::string page, use;
    bool full = false;
  };

  static Pass pass_of(const json::object& c, bool fresh) {
    Pass p;
    p.page = str(c, "page");
    if (!p.page.empty()) {
      p.use = str(c, "use");
      p.full = flag(&c, "full");
    } else if (fresh) {
      p.full = true;
    } else {
      p.use = str(c, "sync");
      if (p.use.empty()) kCursor.expire("it holds no sync token");
    }
    return p;
  }

  // The batch with its cursor: the next page's place, or the next sync token
  // (Google gave none: the one this listing was asked with).
  static std::string finish(accord::kit::Batch batch, const char* stream, const json::object& body, const Pass& p) {
    std::string next = str(body, "nextPageToken");
    json::object nc{{"stream", stream}};
    if (!next.empty()) {
      nc["page"] = next;
      if (!p.use.empty()) nc["use"] = p.use;
      nc["full"] = p.full;
    } else {
      std::string sync = str(body, "nextSyncToken");
      if (sync.empty()) sync = p.use;
      if (!sync.empty()) nc["sync"] = sync;
    }
    batch.cursor = kCursor.write(nc);
    batch.more = !next.empty();
    return batch.serialize();
  }

  // A batch op's failure as its result (the host retries or reports it);
  // cancelling and a refused sign-in end the whole apply (called inside the
  // handler of `e`: `throw;` sends it on).
  static Result failed_result(const accord::Error& e) {
    if (e.status() == ACCORD_CANCELLED || e.status() == ACCORD_AUTH_REQUIRED) throw;
    Result r = Result::failed(accord::kit::status_name(e.status()), e.what());
    r.retry_after_s = (e.retry_after_ms() + 999) / 1000;
    return r;
  }

  // A batch request Google refused: RETRY for its own failures (the apply
  // is tried again), else false: each op is then sent alone.
  static bool batch_taken(const std::string& method, const std::string& url, const Answer& a) {
    if (a.ok()) return true;
    if (a.status >= 500) throw failure(ACCORD_RETRY, method, url, a);
    return false;
  }

  // ---- contacts (People API v1) ----------------------------------------------

  std::string people_url(const std::string& path) const { return s_.people + "/v1/" + path; }

  // One page of connections. `c`: {"stream", "sync"} between runs, or
  // {"stream", "page", "use", "full"} mid-listing.
  std::string read_contacts(json::object& c, bool fresh) {
    Pass pass = pass_of(c, fresh);
    const std::string &page = pass.page, &use = pass.use;
    const bool full = pass.full;
    std::string url = people_url("people/me/connections?personFields=" + std::string(people::kReadFields) +
                                 "&pageSize=" + std::to_string(std::min<size_t>(s_.page_size, 1000)) +
                                 "&requestSyncToken=true");
    if (!use.empty()) url += "&syncToken=" + url_encode(use);
    if (!page.empty()) url += "&pageToken=" + url_encode(page);
    Answer a = client_.call("GET", url);
    if (!a.ok()) {
      if (a.status == 400 && a.error.has_reason("EXPIRED_SYNC_TOKEN"))
        kCursor.expire("Google's People sync token expired (EXPIRED_SYNC_TOKEN; they last 7 days)");
      unusable("GET", url, a);
    }
    json::array records;
    const json::object& body = a.body.is_object() ? a.body.get_object() : empty_;
    if (const json::array* conns = arr(body, "connections"))
      for (const auto& v : *conns) {
        if (!v.is_object()) continue;
        const json::object& p = v.get_object();
        std::string rn = str(p, "resourceName");
        if (rn.empty()) continue;
        if (flag(obj(p, "metadata"), "deleted")) {
          if (!full) records.push_back(json::object{{"id", rn}, {"deleted", true}});
          continue;
        }
        records.push_back(contact_record(p));
      }
    accord::kit::Batch batch;
    batch.records = std::move(records);
    batch.full = full && page.empty();
    // a full listing's size, which People says on every page (totalPeople
    // before totalItems replaced it); a sync's is left out
    if (full)
      for (const char* k : {"totalItems", "totalPeople"})
        if (auto* t = body.if_contains(k); t && t->is_int64()) {
          batch.with_total(t->get_int64());
          break;
        }
    return finish(std::move(batch), "contact", body, pass);
  }

  // The user's contact groups (name ⇄ resource name), read once per instance.
  const people::GroupNames& groups() {
    if (groups_loaded_) return group_names_;
    each_page(client_, people_url("contactGroups?groupFields=name,groupType&pageSize=1000"), [&](const json::object& body) {
      if (const json::array* gs = arr(body, "contactGroups"))
        for (const auto& v : *gs)
          if (auto* g = v.if_object(); g && str(*g, "groupType") == "USER_CONTACT_GROUP")
            group_names_[str(*g, "resourceName")] = str(*g, "name");
      return false;
    });
    groups_loaded_ = true;
    return group_names_;
  }

  // The group of that name, made when there is none.
  std::string group_for(const std::string& name) {
    for (const auto& [rn, n] : groups())
      if (n == name) return rn;
    std::string url = people_url("contactGroups");
    Answer a = client_.call("POST", url, json::serialize(json::object{{"contactGroup", json::object{{"name", name}}}}));
    if (a.status == 409) {  // made meanwhile by someone else: read the groups again
      groups_loaded_ = false;
      group_names_.clear();
      for (const auto& [rn, n] : groups())
        if (n == name) return rn;
    }
    if (!a.ok() || !a.body.is_object()) unusable("POST", url, a);
    std::string rn = str(a.body.get_object(), "resourceName");
    group_names_[rn] = name;
    return rn;
  }

  // A Person's memberships: the card's keywords as the user's groups, and the
  // system groups (My Contacts, Starred) the contact is in now (a new
  // contact: My Contacts, where Google puts the contacts its users make).
  json::array memberships_for(const json::object& card, const json::object* current) {
    json::array out;
    auto add = [&](const std::string& rn) {
      out.push_back(json::object{{"contactGroupMembership", json::object{{"contactGroupResourceName", rn}}}});
    };
    for (const std::string& k : people::keywords_of(card)) add(group_for(k));
    bool system = false;
    if (current)
      if (const json::array* ms = arr(*current, "memberships"))
        for (const auto& v : *ms)
          if (auto* m = v.if_object())
            if (auto* g = m->if_contains("contactGroupMembership"); g && g->is_object()) {
              std::string rn = str(g->get_object(), "contactGroupResourceName");
              if (!rn.empty() && !groups().count(rn)) {
                add(rn);
                system = true;
              }
            }
    if (!system) add("contactGroups/myContacts");
    return out;
  }

  json::object contact_record(const json::object& p) {
    people::Read r = people::to_card(p, groups());
    json::object rec{{"id", str(p, "resourceName")}, {"version", str(p, "etag")}, {"data", std::move(r.card)}};
    if (!r.modified.empty()) rec["modified"] = r.modified;
    if (!r.key.empty()) rec["idempotency_key"] = r.key;
    return rec;
  }

  Result contact_result(const json::object& p) {
    Result r = Result::ok(str(p, "resourceName"), str(p, "etag"));
    r.data = people::to_card(p, groups()).card;
    return r;
  }

  // The contact an earlier try of a create made: a connection whose
  // clientData holds the key. People cannot search clientData, so this reads
  // the connections (clientData only); a write may take a while to show in
  // listings, which docs/connectors/google-api.md names as the remaining risk.
  std::optional<json::object> find_contact(const std::string& key) {
    if (key.empty()) return std::nullopt;
    std::string rn;
    each_page(client_, people_url("people/me/connections?personFields=clientData,metadata&pageSize=1000"),
              [&](const json::object& body) {
                if (const json::array* conns = arr(body, "connections"))
                  for (const auto& v : *conns)
                    if (v.is_object() && people::to_card(v.get_object()).key == key) {
                      rn = str(v.get_object(), "resourceName");
                      return true;
                    }
                return false;
              });
    if (rn.empty()) return std::nullopt;
    return get_contact(rn);
  }

  std::optional<json::object> get_contact(const std::string& rn) {
    return get_one(client_, people_url(rn + "?personFields=" + people::kReadFields));
  }

  static Result contact_changed(const std::string& id, const json::object& now) {
    return Result::conflict("contact " + id + " changed in Google Contacts since it was read", id, str(now, "etag"));
  }

  Result after_lost_contact(const std::string& key, const std::string& what) {
    if (key.empty())
      throw accord::Error(ACCORD_ERROR, what + "; the create had no idempotency key, so it is not sent again: check "
                                               "Google Contacts for it");
    if (auto found = find_contact(key)) {
      host().log(ACCORD_LOG_INFO, "google-api: the answer to a contact create was lost; the contact it made was found "
                                  "by its idempotency key");
      return contact_result(*found);
    }
    throw accord::Error(ACCORD_RETRY, what + "; no contact carries its idempotency key yet: it is looked for again "
                                             "before it is sent again", 5000);
  }

  // An update's Person: the card's fields, and the etag and metadata.sources
  // of the contact as read (clientData is not in updatePersonFields: the key
  // stays as it is).
  json::object update_body(const json::object& card, const json::object& current) {
    json::object person = people::to_person(card, "");
    people::keep_types(person, current);
    person["memberships"] = memberships_for(card, &current);
    person.erase("clientData");
    person["etag"] = str(current, "etag");
    if (auto* m = current.if_contains("metadata"); m && m->is_object())
      if (auto* src = m->get_object().if_contains("sources"))
        person["metadata"] = json::object{{"sources", *src}};
    return person;
  }

  Result apply_contact(const Op& op) {
    if (op.is_create()) {
      if (op.resend)
        if (auto found = find_contact(op.idempotency_key)) return contact_result(*found);
      std::string url = people_url("people:createContact?personFields=" + std::string(people::kReadFields));
      json::object person = people::to_person(op.data, op.idempotency_key);
      person["memberships"] = memberships_for(op.data, nullptr);
      std::string body = json::serialize(person);
      Answer a;
      try {
        a = client_.call("POST", url, body);
      } catch (const LostAnswer& e) {
        return after_lost_contact(op.idempotency_key, e.what());
      }
      if (!a.ok() || !a.body.is_object()) unusable("POST", url, a);
      return contact_result(a.body.get_object());
    }
    if (op.is_update()) {
      // People wants the contact's metadata.sources as read (a 400 without
      // them) and its etag: read first, and compared with the version the host had
      auto cur = get_contact(op.id);
      if (!cur) throw accord::Error(ACCORD_ERROR, "contact " + op.id + " is no longer in Google Contacts");
      if (op.expect_version && !op.expect_version->empty() && str(*cur, "etag") != *op.expect_version)
        return contact_changed(op.id, *cur);
      json::object person = update_body(op.data, *cur);
      std::string url = people_url(op.id + ":updateContact?updatePersonFields=" + std::string(people::kUpdateFields) +
                                   "&personFields=" + people::kReadFields);
      Answer a = client_.call("PATCH", url, json::serialize(person), {}, true);
      if (a.ok() && a.body.is_object()) return contact_result(a.body.get_object());
      if (a.status == 400 && (a.error.status == "FAILED_PRECONDITION" || a.error.has_reason("failedPrecondition")))
        return Result::conflict(failure(ACCORD_CONFLICT, "PATCH", url, a).what(), op.id);
      if (a.status == 404) throw accord::Error(ACCORD_ERROR, "contact " + op.id + " is no longer in Google Contacts");
      unusable("PATCH", url, a);
    }
    // delete: People has no conditional delete; the version is compared first
    if (op.expect_version && !op.expect_version->empty()) {
      auto cur = get_contact(op.id);
      if (!cur) return Result::ok(op.id);
      if (str(*cur, "etag") != *op.expect_version)
        return contact_changed(op.id, *cur);
    }
    std::string url = people_url(op.id + ":deleteContact");
    Answer a = client_.call("DELETE", url, "", {}, true);
    if (a.ok() || a.status == 404) return Result::ok(op.id);
    unusable("DELETE", url, a);
  }

  // Several ops of a kind through People's batch endpoints; what a batch
  // cannot do is left for one-by-one (an op whose batch was refused whole).
  void batch_contacts(const std::vector<Op>& ops, std::vector<std::optional<Result>>& done) {
    std::vector<size_t> creates, updates, deletes, checked_deletes;
    for (size_t i = 0; i < ops.size(); ++i) {
      const Op& op = ops[i];
      if (op.is_create() && !op.resend) creates.push_back(i);
      else if (op.is_update() && op.expect_version && !op.expect_version->empty()) updates.push_back(i);
      else if (op.is_delete() && op.expect_version && !op.expect_version->empty()) checked_deletes.push_back(i);
      else if (op.is_delete()) deletes.push_back(i);
    }
    auto chunks = [](const std::vector<size_t>& all, size_t n, auto&& fn) {
      if (all.size() < 2) return;
      for (size_t at = 0; at < all.size(); at += n)
        fn(std::vector<size_t>(all.begin() + static_cast<long>(at), all.begin() + static_cast<long>(std::min(all.size(), at + n))));
    };
    auto guarded = [&](const std::vector<size_t>& idx, auto&& fn) {
      try {
        throw_if_cancelled();
        fn(idx);
      } catch (const accord::Error& e) {
        for (size_t i : idx)
          if (!done[i]) done[i] = failed_result(e);
      }
    };
    chunks(creates, 200, [&](const std::vector<size_t>& idx) { guarded(idx, [&](const auto& i) { batch_create(ops, i, done); }); });
    chunks(updates, 200, [&](const std::vector<size_t>& idx) { guarded(idx, [&](const auto& i) { batch_update(ops, i, done); }); });
    chunks(deletes, 500, [&](const std::vector<size_t>& idx) { guarded(idx, [&](const auto& i) { batch_delete(ops, i, done); }); });
    // deletes with a version: compared as one by one does (People has no
    // conditional delete), 200 at a time (people:batchGet's limit), then deleted in one request
    chunks(checked_deletes, 200,
           [&](const std::vector<size_t>& idx) { guarded(idx, [&](const auto& i) { batch_delete_checked(ops, i, done); }); });
  }

  void batch_create(const std::vector<Op>& ops, const std::vector<size_t>& idx, std::vector<std::optional<Result>>& done) {
    json::array contacts;
    for (size_t i : idx) {
      json::object person = people::to_person(ops[i].data, ops[i].idempotency_key);
      person["memberships"] = memberships_for(ops[i].data, nullptr);
      contacts.push_back(json::object{{"contactPerson", std::move(person)}});
    }
    std::string url = people_url("people:batchCreateContacts");
    json::object body{{"contacts", std::move(contacts)}, {"readMask", people::kReadFields}};
    Answer a;
    try {
      a = client_.call("POST", url, json::serialize(body));
    } catch (const LostAnswer& e) {
      // each op looked for by its key now or on its resend
      for (size_t i : idx) {
        try {
          done[i] = after_lost_contact(ops[i].idempotency_key, e.what());
        } catch (const accord::Error& x) {
          done[i] = failed_result(x);
        }
      }
      return;
    }
    if (!batch_taken("POST", url, a)) return;  // refused whole (one bad contact): each is sent alone
    const json::object& b = a.body.is_object() ? a.body.get_object() : empty_;
    const json::array* created = arr(b, "createdPeople");
    // matched by key where there is one, else by order
    std::map<std::string, const json::object*> by_key;
    if (created)
      for (const auto& v : *created)
        if (auto* pr = v.if_object())
          if (auto* p = pr->if_contains("person"); p && p->is_object())
            if (auto k = people::to_card(p->get_object()).key; !k.empty()) by_key[k] = &p->get_object();
    for (size_t n = 0; n < idx.size(); ++n) {
      size_t i = idx[n];
      const json::object* person = nullptr;
      const json::object* pr = nullptr;
      if (auto it = by_key.find(ops[i].idempotency_key); !ops[i].idempotency_key.empty() && it != by_key.end()) person = it->second;
      if (created && n < created->size()) pr = (*created)[n].if_object();
      if (!person && pr)
        if (auto* p = pr->if_contains("person"); p && p->is_object()) person = &p->get_object();
      if (person && !str(*person, "resourceName").empty()) {
        done[i] = contact_result(*person);
      } else if (pr) {
        std::string msg = "batchCreateContacts did not create it";
        if (auto* st = pr->if_contains("status"); st && st->is_object()) msg += ": " + str(st->get_object(), "message");
        done[i] = Result::error(accord::net::redact(msg));
      }
    }
  }

  void batch_update(const std::vector<Op>& ops, const std::vector<size_t>& idx, std::vector<std::optional<Result>>& done) {
    // the contacts as they are now (etag and metadata.sources), 200 at a time as the updates
    std::string get = people_url(
        "people:batchGet?personFields=metadata,memberships,emailAddresses,phoneNumbers,addresses,urls");
    for (size_t i : idx) get += "&resourceNames=" + url_encode(ops[i].id);
    Answer g = client_.call("GET", get);
    if (!batch_taken("GET", get, g)) return;  // one by one
    std::map<std::string, json::object> current;
    if (g.body.is_object())
      if (const json::array* rs = arr(g.body.get_object(), "responses"))
        for (const auto& r : *rs)
          if (auto* ro = r.if_object())
            if (auto* p = ro->if_contains("person"); p && p->is_object())
              current[str(p->get_object(), "resourceName")] = p->get_object();
    json::object contacts;
    std::vector<size_t> sent;
    for (size_t i : idx) {
      auto it = current.find(ops[i].id);
      if (it == current.end()) continue;  // gone, or not readable: one by one says which
      if (str(it->second, "etag") != *ops[i].expect_version) {
        done[i] = contact_changed(ops[i].id, it->second);
        continue;
      }
      contacts[ops[i].id] = update_body(ops[i].data, it->second);
      sent.push_back(i);
    }
    if (sent.empty()) return;
    std::string url = people_url("people:batchUpdateContacts");
    json::object body{{"contacts", std::move(contacts)}, {"updateMask", people::kUpdateFields}, {"readMask", people::kReadFields}};
    Answer a = client_.call("POST", url, json::serialize(body), {}, true);
    if (!batch_taken("POST", url, a)) return;  // an etag that changed meanwhile refuses the batch: one by one says which
    const json::object& b = a.body.is_object() ? a.body.get_object() : empty_;
    const json::object* results = nullptr;
    if (auto* r = b.if_contains("updateResult"); r && r->is_object()) results = &r->get_object();
    for (size_t i : sent) {
      if (!results) break;
      auto* pr = results->if_contains(ops[i].id);
      if (!pr || !pr->is_object()) continue;
      if (auto* p = pr->get_object().if_contains("person"); p && p->is_object() && !str(p->get_object(), "resourceName").empty())
        done[i] = contact_result(p->get_object());
    }
  }

  void batch_delete_checked(const std::vector<Op>& ops, const std::vector<size_t>& idx,
                            std::vector<std::optional<Result>>& done) {
    std::string get = people_url("people:batchGet?personFields=metadata");
    for (size_t i : idx) get += "&resourceNames=" + url_encode(ops[i].id);
    Answer g = client_.call("GET", get);
    if (!batch_taken("GET", get, g)) return;  // one by one
    std::map<std::string, json::object> current;
    if (g.body.is_object())
      if (const json::array* rs = arr(g.body.get_object(), "responses"))
        for (const auto& r : *rs)
          if (auto* ro = r.if_object())
            if (auto* p = ro->if_contains("person"); p && p->is_object())
              current[str(p->get_object(), "resourceName")] = p->get_object();
    std::vector<size_t> same;
    for (size_t i : idx) {
      auto it = current.find(ops[i].id);
      if (it == current.end()) continue;  // gone, or not readable: one by one says which
      if (str(it->second, "etag") != *ops[i].expect_version) done[i] = contact_changed(ops[i].id, it->second);
      else same.push_back(i);
    }
    if (!same.empty()) batch_delete(ops, same, done);
  }

  void batch_delete(const std::vector<Op>& ops, const std::vector<size_t>& idx, std::vector<std::optional<Result>>& done) {
    json::array names;
    for (size_t i : idx) names.push_back(json::value(ops[i].id));
    std::string url = people_url("people:batchDeleteContacts");
    Answer a = client_.call("POST", url, json::serialize(json::object{{"resourceNames", std::move(names)}}), {}, true);
    if (!batch_taken("POST", url, a)) return;  // one already gone refuses the batch: one by one
    for (size_t i : idx) done[i] = Result::ok(ops[i].id);
  }

  // ---- events (Calendar v3) --------------------------------------------------

  // The calendar the event code works in (calendar_id, or with "*" the one
  // a record or listing page is of).
  std::string events_url(const std::string& rest = "") const {
    return s_.calendar + "/calendars/" + url_encode(cal_) + "/events" + rest;
  }

  bool all_calendars() const { return s_.calendar_id == "*"; }

  // The calendars of the account's list it may write to (minAccessRole
  // writer: subscribed and holiday calendars are left out), the primary first.
  std::vector<std::string> writable_calendars() {
    std::vector<std::string> ids;
    each_page(client_, s_.calendar + "/users/me/calendarList?minAccessRole=writer&maxResults=250",
              [&](const json::object& body) {
                for (const json::object* e : gapi::jr::objects(body, "items")) {
                  std::string id = str(*e, "id");
                  if (id.empty()) continue;
                  if (flag(e, "primary")) {
                    primary_ = id;
                    ids.insert(ids.begin(), id);
                  } else {
                    ids.push_back(id);
                  }
                }
                return false;
              });
    return ids;
  }

  // Every writable calendar in one stream: a pass reads each calendar's
  // changes in turn with its own sync token (the cursor keeps them by
  // calendar: {"cals": {id: token}}; mid-pass also "todo", the calendars
  // left, and the page of the one being read). A calendar new to the list
  // is read whole; one that left the list expires the cursor, so that a
  // full listing finds its events gone.
  std::string read_all_events(json::object& c, bool fresh) {
    json::object cals = obj(c, "cals") ? *obj(c, "cals") : json::object{};
    std::vector<std::string> todo;
    if (const json::array* t = arr(c, "todo"))
      for (const auto& v : *t)
        if (v.is_string()) todo.emplace_back(v.get_string());
    if (todo.empty()) {
      todo = writable_calendars();
      if (!fresh)
        for (const auto& [id, token] : cals)
          if (std::find(todo.begin(), todo.end(), std::string(id)) == todo.end())
            kCursor.expire("the calendar " + std::string(id) + " is no longer in the calendar list");
    }
    json::object next{{"stream", "event"}};
    if (todo.empty()) {
      next["cals"] = cals;
      accord::kit::Batch none;
      none.full = fresh;
      none.cursor = kCursor.write(next);
      return none.serialize();
    }
    cal_ = todo.front();
    json::object sub{{"stream", "event"}};
    bool whole = false;
    if (str(c, "cal") == cal_ && !str(c, "page").empty()) {
      for (const char* k : {"page", "use", "full"})
        if (auto* v = c.if_contains(k)) sub[k] = *v;
    } else if (std::string token = str(cals, cal_.c_str()); !token.empty()) {
      sub["sync"] = token;
    } else {
      whole = true;  // a calendar read whole: its first page
    }
    json::object batch = json::parse(read_events(sub, whole)).as_object();
    for (auto& v : batch["records"].as_array())
      if (auto* r = v.if_object()) (*r)["id"] = cal_ + "/" + str(*r, "id");
    json::object after = kCursor.read(str(batch, "cursor")).value_or(json::object{});
    if (!str(after, "page").empty()) {
      next["cal"] = cal_;
      for (const char* k : {"page", "use", "full"})
        if (auto* v = after.if_contains(k)) next[k] = *v;
    } else {
      cals[cal_] = str(after, "sync");
      todo.erase(todo.begin());
    }
    next["cals"] = std::move(cals);
    if (!todo.empty()) next["todo"] = json::value_from(todo);
    // "full" on the pass's first batch only: every calendar's records make the listing
    batch.erase("full");
    if (fresh && !c.contains("todo") && str(c, "cal").empty()) batch["full"] = true;
    batch["more"] = !todo.empty();
    batch["cursor"] = kCursor.write(next);
    return json::serialize(batch);
  }

  // An op of the all-calendars stream: its calendar from its id ("<calendar>/<event>"),
  // a create's the primary calendar.
  Result apply_event_in_its_calendar(const Op& op) {
    Op o = op;
    if (op.is_create()) {
      if (primary_.empty()) writable_calendars();
      cal_ = primary_.empty() ? "primary" : primary_;
    } else {
      size_t slash = op.id.rfind('/');
      if (slash == std::string::npos || slash == 0)
        return Result::error("event id " + op.id + " names no calendar (\"<calendar id>/<event id>\")", op.id);
      cal_ = op.id.substr(0, slash);
      o.id = op.id.substr(slash + 1);
    }
    Result r = apply_event(o);
    if (!r.id.empty()) r.id = cal_ + "/" + r.id;
    return r;
  }

  std::string read_events(json::object& c, bool fresh) {
    Pass pass = pass_of(c, fresh);
    const std::string &page = pass.page, &use = pass.use;
    const bool full = pass.full;
    std::string url = events_url("?maxResults=" + std::to_string(s_.page_size) + "&showDeleted=true&singleEvents=false");
    if (!use.empty()) url += "&syncToken=" + url_encode(use);
    if (!page.empty()) url += "&pageToken=" + url_encode(page);
    Answer a = client_.call("GET", url);
    if (!a.ok()) {
      if (a.status == 410) kCursor.expire("Google's Calendar sync token expired (410 fullSyncRequired)");
      unusable("GET", url, a);
    }
    const json::object& body = a.body.is_object() ? a.body.get_object() : empty_;
    if (std::string tz = str(body, "timeZone"); !tz.empty()) zones_[cal_] = tz;  // the calendar's
    std::vector<std::string> touched;
    std::set<std::string> seen, deleted;
    std::map<std::string, json::object> masters;
    auto touch = [&](const std::string& id) {
      if (seen.insert(id).second) touched.push_back(id);
    };
    if (const json::array* items = arr(body, "items"))
      for (const auto& v : *items) {
        if (!v.is_object()) continue;
        const json::object& e = v.get_object();
        std::string id = str(e, "id"), series = str(e, "recurringEventId");
        bool cancelled = str(e, "status") == "cancelled";
        // a cancelled occurrence may carry only its id: "<series>_<start>"
        if (series.empty() && cancelled && id.find('_') != std::string::npos) series = id.substr(0, id.find('_'));
        if (!series.empty()) {
          touch(series);
        } else if (cancelled) {
          deleted.insert(id);
        } else if (!id.empty()) {
          masters[id] = e;
          touch(id);
        }
      }
    json::array records;
    for (const std::string& id : deleted)
      if (!full && !seen.count(id)) records.push_back(json::object{{"id", id}, {"deleted", true}});
    for (const std::string& id : touched) {
      throw_if_cancelled();
      std::optional<json::object> master;
      if (auto it = masters.find(id); it != masters.end()) master = it->second;
      else master = get_event(id);
      if (!master || str(*master, "status") == "cancelled") {
        if (!full) records.push_back(json::object{{"id", id}, {"deleted", true}});
        continue;
      }
      records.push_back(event_record(series_of(std::move(*master))));
    }
    accord::kit::Batch batch;
    batch.records = std::move(records);
    batch.full = full && page.empty();  // Calendar says no count: no total
    return finish(std::move(batch), "event", body, pass);
  }

  // The time zone of the calendar a new event goes to, when a listing has
  // said it already (no request: a check may not make one); else "". Only
  // the values of times naming no zone depend on it, not what is kept.
  std::string known_zone() const {
    auto it = zones_.find(all_calendars() ? (primary_.empty() ? "primary" : primary_) : cal_);
    return it == zones_.end() ? "" : it->second;
  }

  // The calendar's time zone (events.list says it; else calendars.get).
  const std::string& calendar_zone() {
    std::string& zone = zones_[cal_];
    if (zone.empty()) {
      std::string url = s_.calendar + "/calendars/" + url_encode(cal_);
      Answer a = client_.call("GET", url);
      if (a.ok() && a.body.is_object()) zone = str(a.body.get_object(), "timeZone");
      if (zone.empty()) zone = "UTC";
    }
    return zone;
  }

  std::optional<json::object> get_event(const std::string& id) { return get_one(client_, events_url("/" + url_encode(id))); }

  // A series: the master and, when it recurs, its exceptions (the events of
  // its iCalUID whose recurringEventId names it, cancelled ones included).
  calendar::Series series_of(json::object master) {
    calendar::Series s;
    std::string id = str(master, "id"), uid = str(master, "iCalUID");
    bool recurs = master.contains("recurrence");
    s.master = std::move(master);
    if (!recurs || uid.empty()) return s;
    each_page(client_, events_url("?iCalUID=" + url_encode(uid) + "&showDeleted=true&singleEvents=false&maxResults=2500"),
              [&](const json::object& body) {
                if (const json::array* items = arr(body, "items"))
                  for (const auto& v : *items)
                    if (v.is_object() && str(v.get_object(), "recurringEventId") == id) s.exceptions.push_back(v.get_object());
                return false;
              });
    std::sort(s.exceptions.begin(), s.exceptions.end(),
              [](const json::object& a, const json::object& b) { return str(a, "id") < str(b, "id"); });
    return s;
  }

  // The record's version: the master's etag, and the exceptions' when there are any.
  static std::string series_version(const calendar::Series& s) {
    std::string v = str(s.master, "etag");
    if (s.exceptions.empty()) return v;
    std::string all;
    for (const auto& x : s.exceptions) all += str(x, "id") + "=" + str(x, "etag") + ";";
    return v + ";" + accord::hash::content_hash(all);
  }

  json::object event_record(const calendar::Series& s) {
    json::object rec{{"id", str(s.master, "id")}, {"version", series_version(s)}};
    try {
      rec["data"] = calendar::to_event(s, calendar_zone());
    } catch (const std::exception& e) {
      // the host reports a record it cannot read and goes on with the others
      rec["data"] = "unreadable: " + std::string(e.what());
    }
    if (std::string u = str(s.master, "updated"); !u.empty()) rec["modified"] = u;
    if (auto* ep = s.master.if_contains("extendedProperties"); ep && ep->is_object())
      if (auto* pr = ep->get_object().if_contains("private"); pr && pr->is_object())
        if (std::string k = str(pr->get_object(), kEventKey); !k.empty()) rec["idempotency_key"] = k;
    return rec;
  }

  Result event_result(const std::string& id) {
    auto master = get_event(id);
    if (!master) throw accord::Error(ACCORD_RETRY, "event " + id + " was written but cannot be read back yet", 5000);
    calendar::Series s = series_of(std::move(*master));
    Result r = Result::ok(id, series_version(s));
    r.data = calendar::to_event(s, calendar_zone());
    return r;
  }

  // The changed occurrences, each PUT to its instance id.
  void write_instances(const std::string& id, const calendar::Written& w) {
    for (const auto& in : w.instances) {
      throw_if_cancelled();
      json::object body = in.body;
      body["recurringEventId"] = id;
      std::string url = events_url("/" + url_encode(id + "_" + in.suffix));
      Answer a = client_.call("PUT", url, json::serialize(body), {}, true);
      if (!a.ok()) unusable("PUT", url, a, "an occurrence of the series could not be changed");
    }
  }

  Result apply_event(const Op& op) {
    if (op.is_delete()) {
      std::vector<std::string> hdr;
      if (op.expect_version && !op.expect_version->empty())
        hdr.push_back("If-Match: " + op.expect_version->substr(0, op.expect_version->find(';')));
      std::string url = events_url("/" + url_encode(op.id));
      Answer a = client_.call("DELETE", url, "", hdr, true);
      if (a.ok() || a.status == 404 || a.status == 410) return Result::ok(op.id);
      if (a.status == 412) return Result::conflict(failure(ACCORD_CONFLICT, "DELETE", url, a).what(), op.id);
      unusable("DELETE", url, a);
    }
    calendar::Written w = calendar::from_event(op.data);
    if (op.is_create()) {
      json::object body = w.master;
      std::string id;
      if (!op.idempotency_key.empty()) {
        id = event_id_for(op.idempotency_key);
        body["id"] = id;
        body["extendedProperties"] = json::object{{"private", json::object{{kEventKey, op.idempotency_key}}}};
      }
      std::string url = events_url();
      // with a client id, sending it again is harmless: Google answers 409
      Answer a = client_.call("POST", url, json::serialize(body), {}, !id.empty());
      if (a.status == 409 && !id.empty()) {
        auto have = get_event(id);
        if (!have) throw failure(ACCORD_ERROR, "POST", url, a, "the id is taken but the event cannot be read");
        if (str(*have, "status") == "cancelled") {  // deleted since: its id cannot be reused, so it is restored
          std::string put = events_url("/" + url_encode(id));
          body["status"] = str(w.master, "status").empty() ? "confirmed" : str(w.master, "status");
          Answer b = client_.call("PUT", put, json::serialize(body), {}, true);
          if (!b.ok()) unusable("PUT", put, b);
        } else {
          host().log(ACCORD_LOG_INFO, "google-api: an event create found the event an earlier try made (its id is "
                                      "derived from the idempotency key)");
        }
      } else if (!a.ok() || !a.body.is_object()) {
        unusable("POST", url, a);
      } else {
        id = str(a.body.get_object(), "id");
      }
      write_instances(id, w);
      return event_result(id);
    }
    // update: the version compared first (exceptions included), then If-Match on the master
    std::string etag;
    if (op.expect_version && !op.expect_version->empty()) {
      auto cur = get_event(op.id);
      if (!cur || str(*cur, "status") == "cancelled")
        throw accord::Error(ACCORD_ERROR, "event " + op.id + " is no longer in the calendar");
      std::string now = series_version(series_of(*cur));
      if (now != *op.expect_version)
        return Result::conflict("event " + op.id + " changed in Google Calendar since it was read", op.id, now);
      etag = str(*cur, "etag");
    }
    std::string url = events_url("/" + url_encode(op.id));
    std::vector<std::string> hdr;
    if (!etag.empty()) hdr.push_back("If-Match: " + etag);
    Answer a = client_.call("PUT", url, json::serialize(w.master), hdr, true);
    if (a.status == 412) return Result::conflict(failure(ACCORD_CONFLICT, "PUT", url, a).what(), op.id);
    if (a.status == 404 || a.status == 410) throw accord::Error(ACCORD_ERROR, "event " + op.id + " is no longer in the calendar");
    if (!a.ok()) unusable("PUT", url, a);
    write_instances(op.id, w);
    put_back(op.id, w);
    return event_result(op.id);
  }

  // Exceptions Google holds that the event no longer has: a changed or
  // cancelled occurrence is put back to the series' (PUT, the master's fields
  // at its original time); a changed one the event now cancels is cancelled.
  void put_back(const std::string& id, const calendar::Written& w) {
    auto master = get_event(id);
    if (!master) return;
    calendar::Series now = series_of(std::move(*master));
    std::set<std::string> want, gone(w.excluded.begin(), w.excluded.end());
    for (const auto& in : w.instances) want.insert(in.suffix);
    for (const json::object& x : now.exceptions) {
      auto* orig = x.if_contains("originalStartTime");
      if (!orig || !orig->is_object()) continue;
      std::string suffix = calendar::instance_suffix(orig->get_object());
      bool cancelled = str(x, "status") == "cancelled";
      if (want.count(suffix) || (cancelled && gone.count(suffix))) continue;
      throw_if_cancelled();
      std::string url = events_url("/" + url_encode(id + "_" + suffix));
      Answer a;
      if (gone.count(suffix)) {
        a = client_.call("DELETE", url, "", {}, true);
        if (a.status == 404 || a.status == 410) continue;
      } else {
        json::object body = calendar::plain_instance(w, orig->get_object());
        body["recurringEventId"] = id;
        a = client_.call("PUT", url, json::serialize(body), {}, true);
      }
      if (!a.ok()) unusable("PUT", url, a, "an occurrence of the series could not be put back");
    }
  }

  // ---- tasks (Tasks v1) ------------------------------------------------------
  //
  // Tasks has no sync token: changes are read with updatedMin from the last
  // pass's newest `updated` less an overlap (clocks and commits are not
  // instantaneous), and what the overlap lists again is recognised by its
  // etag (the cursor keeps the etags of the tasks inside the window). Deletes
  // are tombstones (showDeleted: deleted: true).

  static constexpr int64_t kTaskOverlapMs = 120000;

  std::string tasks_url(const std::string& rest = "") const {
    return s_.tasks + "/tasks/v1/lists/" + url_encode(s_.task_list) + "/tasks" + rest;
  }

  static int64_t num(const json::object& o, const char* k) {
    if (auto* v = o.if_contains(k); v && v->is_int64()) return v->get_int64();
    return 0;
  }

  // The etags of the tasks inside the overlap window of `mark`.
  static json::object prune(const json::object& seen, int64_t mark) {
    json::object out;
    for (const auto& [id, v] : seen)
      if (auto* a = v.if_array(); a && a->size() == 2 && (*a)[1].is_int64() && (*a)[1].get_int64() >= mark - kTaskOverlapMs)
        out[id] = v;
    return out;
  }

  std::string read_tasks(json::object& c, bool fresh) {
    // between passes: {"stream", "since" (ms), "seen": {id: [etag, updated ms]}};
    // mid-pass also "page", "min" (the updatedMin asked), "full", "mark", "run"
    std::string page = str(c, "page"), min;
    bool full;
    int64_t mark = 0;
    json::object run, seen;
    if (auto* v = c.if_contains("seen"); v && v->is_object()) seen = v->get_object();
    if (!page.empty()) {
      full = flag(&c, "full");
      min = str(c, "min");
      mark = num(c, "mark");
      if (auto* v = c.if_contains("run"); v && v->is_object()) run = v->get_object();
    } else if (fresh) {
      full = true;
    } else {
      if (!c.contains("since")) kCursor.expire("it holds no watermark");
      full = false;
      mark = num(c, "since");
      min = accord::utc::format_time(std::max<int64_t>(0, mark - kTaskOverlapMs), "iso8601");
    }
    std::string url = tasks_url("?maxResults=" + std::to_string(std::min<size_t>(s_.page_size, 100)) +
                                "&showCompleted=true&showHidden=true&showDeleted=true");
    // (a full listing asks for the deleted too, only to know their etags: the
    // next pass's overlap then does not report an old delete again)
    if (!full) url += "&updatedMin=" + url_encode(min);
    if (!page.empty()) url += "&pageToken=" + url_encode(page);
    Answer a = client_.call("GET", url);
    if (!a.ok()) unusable("GET", url, a);
    const json::object& body = a.body.is_object() ? a.body.get_object() : empty_;
    json::array records;
    if (const json::array* items = arr(body, "items"))
      for (const auto& v : *items) {
        if (!v.is_object()) continue;
        const json::object& t = v.get_object();
        std::string id = str(t, "id"), etag = str(t, "etag");
        if (id.empty()) continue;
        int64_t u = accord::utc::parse_iso8601_ms(str(t, "updated")).value_or(0);
        run[id] = json::array{json::value(etag), json::value(u)};
        mark = std::max(mark, u);
        if (!full)
          if (auto* was = seen.if_contains(id); was && was->is_array() && !was->get_array().empty() &&
                                                was->get_array()[0] == json::value(etag))
            continue;  // listed again by the overlap, unchanged
        if (flag(&t, "deleted")) {
          if (!full) records.push_back(json::object{{"id", id}, {"deleted", true}});
          continue;
        }
        records.push_back(task_record(t));
      }
    run = prune(run, mark);
    accord::kit::Batch batch;
    batch.records = std::move(records);
    batch.full = full && page.empty();  // Tasks says no count: no total
    std::string next = str(body, "nextPageToken");
    json::object nc{{"stream", "task"}};
    if (!next.empty()) {
      nc["page"] = next;
      nc["min"] = min;
      nc["full"] = full;
      nc["mark"] = mark;
      nc["run"] = std::move(run);
      if (!seen.empty()) nc["seen"] = std::move(seen);
    } else {
      nc["since"] = mark;
      nc["seen"] = std::move(run);
    }
    batch.cursor = kCursor.write(nc);
    batch.more = !next.empty();
    return batch.serialize();
  }

  static json::object task_record(const json::object& t) {
    json::object rec{{"id", str(t, "id")}, {"version", str(t, "etag")}, {"data", tasks::to_task(t)}};
    if (std::string u = str(t, "updated"); !u.empty()) rec["modified"] = u;
    return rec;
  }

  static Result task_result(const json::object& t) {
    Result r = Result::ok(str(t, "id"), str(t, "etag"));
    r.data = tasks::to_task(t);
    return r;
  }

  std::optional<json::object> get_task(const std::string& id) {
    auto t = get_one(client_, tasks_url("/" + url_encode(id)));
    if (t && flag(&*t, "deleted")) return std::nullopt;
    return t;
  }

  // The task an earlier try of a create made. Tasks has no field for a key,
  // so a task of the same title, notes and due date updated in the last 7
  // days is taken for it (the newest such): a task the user made alike in
  // that time would be linked instead of a copy made (docs: the remaining risk).
  std::optional<json::object> find_task(const json::object& data) {
    json::object want = tasks::from_task(data);
    std::string min = accord::utc::format_time(accord::utc::now_ms() - 7 * 86400000LL, "iso8601");
    std::optional<json::object> best;
    each_page(client_, tasks_url("?maxResults=100&showCompleted=true&showHidden=true&updatedMin=" + url_encode(min)),
              [&](const json::object& body) {
                if (const json::array* items = arr(body, "items"))
                  for (const auto& v : *items) {
                    if (!v.is_object()) continue;
                    const json::object& t = v.get_object();
                    json::object have = tasks::from_task(tasks::to_task(t));
                    if (str(have, "title") != str(want, "title") || str(have, "notes") != str(want, "notes") ||
                        str(have, "due") != str(want, "due"))
                      continue;
                    if (!best || str(t, "updated") > str(*best, "updated")) best = t;
                  }
                return false;
              });
    return best;
  }

  // The parent a record names, when Google can hold it: a live task of this
  // list that is not a subtask itself (Tasks nests one level). Else "": the
  // task stays where it is (a new one at the top level), and the log says so.
  std::string wanted_parent(const Op& op) {
    std::string p = tasks::parent_of(op.data);
    if (p.empty()) return "";
    if (p != op.id)
      if (auto t = get_task(p); t && str(*t, "parent").empty()) return p;
    host().log(ACCORD_LOG_WARN, "google-api: task \"" + str(op.data, "title") + "\" names a parent (" + p +
                                    ") that is no task of this Google task list (Tasks keeps no other store's UID): "
                                    "its place in Google stays as it is");
    return "";
  }

  Result apply_task(const Op& op) {
    if (op.is_create()) {
      if (op.resend)
        if (auto found = find_task(op.data)) return task_result(*found);
      std::string parent = wanted_parent(op);
      std::string url = tasks_url(parent.empty() ? "" : "?parent=" + url_encode(parent));
      Answer a;
      try {
        a = client_.call("POST", url, json::serialize(tasks::from_task(op.data)));
      } catch (const LostAnswer& e) {
        if (auto found = find_task(op.data)) return task_result(*found);
        throw accord::Error(ACCORD_RETRY, std::string(e.what()) + "; no task like it is in the list yet: it is looked "
                                                                  "for again before it is sent again", 5000);
      }
      if (!a.ok() || !a.body.is_object()) unusable("POST", url, a);
      return task_result(a.body.get_object());
    }
    // Tasks has no conditional write: the version is compared first
    auto cur = get_task(op.id);
    if (op.is_delete() && !cur) return Result::ok(op.id);
    if (!cur) throw accord::Error(ACCORD_ERROR, "task " + op.id + " is no longer in the task list");
    if (op.expect_version && !op.expect_version->empty() && str(*cur, "etag") != *op.expect_version)
      return Result::conflict("task " + op.id + " changed in Google Tasks since it was read", op.id, str(*cur, "etag"));
    std::string url = tasks_url("/" + url_encode(op.id));
    if (op.is_delete()) {
      Answer a = client_.call("DELETE", url, "", {}, true);
      if (a.ok() || a.status == 404 || a.status == 410) return Result::ok(op.id);
      unusable("DELETE", url, a);
    }
    json::object body = tasks::from_task(op.data);
    body["id"] = op.id;
    Answer a = client_.call("PUT", url, json::serialize(body), {}, true);
    if (!a.ok() || !a.body.is_object()) unusable("PUT", url, a);
    // the parent changes through move only (PUT leaves it): under the
    // parent the record names. A record naming none moves nothing: a store
    // that does not keep relatedTo (an iCalendar folder) would otherwise
    // flatten every subtask Google has.
    std::string parent = wanted_parent(op);
    if (!parent.empty() && parent != str(a.body.get_object(), "parent")) {
      std::string move = tasks_url("/" + url_encode(op.id) + "/move?parent=" + url_encode(parent));
      Answer m = client_.call("POST", move, "", {}, true);
      if (!m.ok() || !m.body.is_object()) unusable("POST", move, m);
      return task_result(m.body.get_object());
    }
    return task_result(a.body.get_object());
  }

  Settings s_;
  GoogleClient client_;
  GmailStream gmail_;
  DriveStream drive_;
  const json::object empty_;
  people::GroupNames group_names_;
  std::map<std::string, std::string> zones_;  // each calendar's time zone
  std::string cal_ = s_.calendar_id;           // the calendar being read or written
  std::string primary_;                        // the primary calendar's id (from the list)
  bool groups_loaded_ = false;
};

}  // namespace
}  // namespace gapi

ACCORD_CONNECTOR(gapi::GoogleApi, gapi::manifest().c_str(),
                 ACCORD_CAP_READ | ACCORD_CAP_WRITE | ACCORD_CAP_DELETE | ACCORD_CAP_CHANGE_FEED |
                     ACCORD_CAP_IDEMPOTENT_CREATE | ACCORD_CAP_FETCH)
