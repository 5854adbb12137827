// SPDX-License-Identifier: Apache-2.0
// The graph backend's configuration, dispatch and delta rounds
// (graph_backend.hpp); each stream's reading and writing is in its own file.
#include "graph_backend.hpp"

#include <accord/json/lenient.hpp>
#include <accord/kit/batch.hpp>
#include <accord/kit/cursor.hpp>
#include <accord/net/url_rules.hpp>
#include <accord/text/ascii.hpp>

#include <algorithm>
#include <cstdint>

namespace json = boost::json;
using accord::json_read::arr;
using accord::json_read::str;

namespace outlook::graph {

namespace {

// "outlook1.{…}"
const accord::kit::CursorFormat kCursor{"outlook", 1};

// oauth2.scope's default before Mail.ReadWrite and MailboxSettings.ReadWrite
// joined it (a refresh token signed in for it still renews: GraphClient::renew)
constexpr const char* kNarrowScope =
    "offline_access https://graph.microsoft.com/Contacts.ReadWrite https://graph.microsoft.com/Calendars.ReadWrite "
    "https://graph.microsoft.com/Tasks.ReadWrite";

}  // namespace

std::string kept_key(const json::object& item, const char* list, const char* match_key, const std::string& match,
                     const char* value_key) {
  if (const json::array* a = arr(item, list))
    for (const auto& v : *a)
      if (v.is_object() && str(v.get_object(), match_key) == match) return str(v.get_object(), value_key);
  return "";
}

std::string key_expand() { return "singleValueExtendedProperties($filter=id eq " + odata_quote(kKeyProperty) + ")"; }

std::string key_filter(const std::string& key) {
  return "singleValueExtendedProperties/Any(ep: ep/id eq " + odata_quote(kKeyProperty) + " and ep/value eq " +
         odata_quote(key) + ")";
}

const char* config_schema() {
  return R"schema({
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "backend": {"type": "string", "enum": ["graph", "pst"], "default": "graph",
          "description": "graph: a Microsoft 365 or Outlook.com mailbox through Microsoft Graph (two-way); pst: an Outlook data file (.pst/.ost), read-only"},
        "account": {"type": "string", "description": "graph: the mailbox's address (ada@contoso.com): names the store, so that state made with one mailbox is never used with another"},
        "tenant": {"type": "string", "default": "common", "description": "graph: the Microsoft Entra tenant (its id or domain; \"common\", \"organizations\" or \"consumers\" for a multi-tenant app)"},
        "oauth2": {"type": "object", "additionalProperties": false, "required": ["client_id"],
          "description": "graph: renew OAuth 2.0 access tokens with a refresh token (docs/connectors/outlook-mapi.md: registering an app and signing in)",
          "properties": {
            "client_id": {"type": "string", "description": "the application (client) id of the app registration the refresh token was issued to"},
            "client_secret": {"type": "string", "description": "a confidential client's secret, as {\"$secret\": NAME}; public clients (the usual case) have none"},
            "refresh_token": {"type": "string", "description": "the refresh token, as {\"$secret\": NAME}; or"},
            "refresh_token_secret": {"type": "string", "description": "the NAME of the secret holding the refresh token: Microsoft rotates refresh tokens and the new one is written back there"},
            "scope": {"type": "string", "default": "offline_access https://graph.microsoft.com/Contacts.ReadWrite https://graph.microsoft.com/Calendars.ReadWrite https://graph.microsoft.com/Tasks.ReadWrite https://graph.microsoft.com/Mail.ReadWrite https://graph.microsoft.com/MailboxSettings.ReadWrite",
              "description": "the scopes asked for with each refresh (Microsoft's identity platform wants them; those signed in for or fewer: accord login microsoft signs in for contact, event, task, message and the master category list by default). When this default is refused for a refresh token signed in for contact, event and task only, those are renewed alone and the log says to sign in again"}}},
        "access_token": {"type": "string", "format": "header-value", "description": "graph: a current access token, as {\"$secret\": NAME}: used until refused, then renewed through oauth2 when given"},
        "login_url": {"type": "string", "format": "url-loopback-http", "default": "https://login.microsoftonline.com", "description": "graph: the identity platform's origin (the token endpoint is LOGIN_URL/TENANT/oauth2/v2.0/token)"},
        "graph_url": {"type": "string", "format": "url-loopback-http", "default": "https://graph.microsoft.com/v1.0", "description": "graph: Microsoft Graph's root (a national cloud's, or a test server's)"},
        "contact_folders": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1, "default": ["contacts"],
          "description": "graph: the contact folders the contact stream syncs, by id or display name; \"contacts\" is the default Contacts folder. New contacts go to the first"},
        "mail_folders": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1, "default": ["*"],
          "description": "graph: the mail folders the message stream syncs, by id, path (\"INBOX/Work\"), name or well-known name (\"inbox\", \"sentitems\"); \"*\": every folder but Deleted Items, Junk Email and Outbox (and their subfolders)"},
        "task_lists": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1, "default": ["defaultList"],
          "description": "graph: the To Do lists the task stream syncs, by id or display name; \"defaultList\" is the default Tasks list. New tasks go to the first"},
        "calendar_id": {"type": "string", "minLength": 1, "default": "primary",
          "description": "graph: the calendar the event stream syncs: \"primary\" (the default calendar), a calendar's id or name, or \"*\": every calendar Outlook lets this mailbox edit, each followed on its own; new events go to the default calendar (or the one named)"},
        "event_attendees": {"type": "string", "enum": ["read", "write"], "default": "read",
          "description": "graph: read: an event's organizer and attendees (with their responses) become its participants, and a record's participants are never written; write: they are written too, and Outlook then mails an invitation or update to each attendee written"},
        "calendar_window": {"type": "object", "additionalProperties": false,
          "description": "graph: each synced calendar's changes are followed within a window (calendarView/delta) that moves with the days; a full listing holds every event",
          "properties": {
            "start": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "description": "a fixed first day (YYYY-MM-DD), instead of past_days"},
            "past_days": {"type": "integer", "minimum": 0, "maximum": 3650, "default": 365, "description": "the window begins this many days before today"},
            "future_days": {"type": "integer", "minimum": 1, "maximum": 3650, "default": 730, "description": "and ends this many days after today"}}},
        "page_size": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100, "description": "graph: records asked for per page (Prefer: odata.maxpagesize)"},
        "path": {"type": "string", "format": "path", "description": "pst: the Outlook data file (.pst or .ost) to read"},
        "ca_file": {"type": "string", "format": "path", "description": "graph: a CA bundle for a private CA (a proxy); TLS verification cannot be turned off"},
        "timeouts": {"type": "object", "additionalProperties": false, "properties": {
            "connect_seconds": {"type": "integer", "minimum": 1, "default": 10},
            "stall_seconds": {"type": "integer", "minimum": 1, "default": 30, "description": "a transfer that stops moving for this long is abandoned"},
            "total_seconds": {"type": "integer", "minimum": 1, "default": 300}}}
      }})schema";
}

Settings read_settings(const accord::kit::Config& k) {
  using accord::kit::Config;
  Settings s;
  auto root = [&](const char* p) {
    std::string u = k.str(p);
    if (auto why = accord::net::credential_url_problem(u); !why.empty()) Config::fail(p, why);
    while (!u.empty() && u.back() == '/') u.pop_back();
    return u;
  };
  s.client.root = root("/graph_url");
  s.client.access_token = k.str("/access_token");
  if (k.has("/oauth2")) {
    accord::net::OAuth2Config o{root("/login_url") + "/" + accord::net::url_encode(k.str("/tenant")) + "/oauth2/v2.0/token",
                                k.str("/oauth2/client_id"), k.str("/oauth2/client_secret"), k.str("/oauth2/refresh_token"),
                                k.str("/oauth2/refresh_token_secret"), "outlook-mapi",
                                "the Microsoft account (accord login microsoft)", k.str("/oauth2/scope")};
    if (o.refresh_token.empty() == o.refresh_token_secret.empty())
      Config::fail("/oauth2", "give exactly one of \"refresh_token_secret\" (the secret's name, so that the token "
                              "Microsoft rotates can be kept) and \"refresh_token\" (as {\"$secret\": NAME})");
    s.client.oauth = std::move(o);
    if (!k.given("/oauth2/scope")) s.client.fallback_scope = kNarrowScope;
  } else if (s.client.access_token.empty()) {
    Config::fail("", "backend \"graph\" signs in with \"oauth2\" (client_id and the refresh token, as "
                     "{\"$secret\": NAME}) or an \"access_token\"");
  }
  s.contact_folders = k.strings("/contact_folders");
  s.task_lists = k.strings("/task_lists");
  s.mail_folders = k.strings("/mail_folders");
  if (s.mail_folders.empty()) s.mail_folders = {"*"};
  if (s.contact_folders.empty()) s.contact_folders = {"contacts"};
  if (s.task_lists.empty()) s.task_lists = {"defaultList"};
  s.calendar_id = k.str("/calendar_id");
  if (s.calendar_id.empty()) s.calendar_id = "primary";
  s.write_attendees = k.str("/event_attendees") == "write";
  s.account = k.str("/account");
  s.client.mailbox = s.client.root + "|" + accord::ascii_lower(s.account);
  s.window_start = k.str("/calendar_window/start");
  s.past_days = k.integer("/calendar_window/past_days", 365);
  s.future_days = k.integer("/calendar_window/future_days", 730);
  s.page_size = k.integer("/page_size", 100);
  s.client.http.ca_file = k.str("/ca_file");
  s.client.http.connect_timeout_s = k.integer("/timeouts/connect_seconds", 10);
  s.client.http.stall_timeout_s = k.integer("/timeouts/stall_seconds", 30);
  s.client.http.total_timeout_s = k.integer("/timeouts/total_seconds", 300);
  return s;
}

Backend::Backend(const accord::Host& host, const accord::Connector& owner, const accord::kit::Config& k)
    : host_(host), owner_(owner), s_(read_settings(k)), client_(s_.client, host) {}

void Backend::check_stream(std::string_view stream) const {
  if (stream != "contact" && stream != "event" && stream != "task" && stream != "message" && stream != "note")
    throw accord::Error(ACCORD_UNSUPPORTED, "outlook-mapi's graph backend keeps the streams contact, event, task, "
                                            "message and note, not \"" + std::string(stream) + "\"");
}

std::string Backend::read_changes(std::string_view stream, std::string_view cursor) {
  std::optional<json::object> cur = kCursor.read(cursor);
  if (cur && str(*cur, "stream") != stream) kCursor.expire("it is the cursor of another stream");
  json::object c = cur ? std::move(*cur) : json::object{{"stream", std::string(stream)}};
  if (stream == "contact") return read_contacts(c, !cur);
  if (stream == "event") return read_events(c, !cur);
  if (stream == "message") return read_messages(c, !cur);
  if (stream == "note") return read_notes(c, !cur);
  return read_tasks(c, !cur);
}

std::string Backend::apply(std::string_view stream, std::string_view ops_text) {
  if (host_.read_only()) throw accord::Error(ACCORD_UNSUPPORTED, "this instance is read-only");
  std::vector<accord::kit::Op> ops = accord::kit::parse_ops(ops_text);
  std::vector<std::optional<accord::kit::Result>> done(ops.size());
  // (a find_only op writes nothing: the batches skip it as a resend, ensure_categories as a look-up)
  ensure_categories(ops, stream == "message" || stream == "note" ? "categories" : "keywords");
  if (stream == "message") batch_messages(ops, done);
  if (stream == "contact") batch_contacts(ops, done);
  if (stream == "event") {
    batch_events(ops, done);
    batch_series(ops, done);
    batch_deletes(ops, done);
  }
  if (stream == "task") batch_tasks(ops, done);
  return accord::kit::results_json(accord::kit::apply_each(owner_, ops, [&](const accord::kit::Op& op) {
    if (auto& d = done[static_cast<size_t>(&op - ops.data())]) return *d;
    if (op.is_create() && op.find_only) return find_only(stream, op);
    if (stream == "contact") return apply_contact(op);
    if (stream == "event") return apply_event(op);
    if (stream == "message") return apply_message(op);
    if (stream == "note") return apply_note(op);
    return apply_task(op);
  }));
}

accord::kit::Result Backend::find_only(std::string_view stream, const accord::kit::Op& op) {
  using accord::kit::Result;
  const std::string& key = op.idempotency_key;
  if (stream == "note")
    throw accord::Error(ACCORD_UNSUPPORTED, "the note stream finds an earlier try's note by its content, not by a key "
                                            "(Graph documents none on a note): a look-up alone could take the user's "
                                            "look-alike note for it");
  if (key.empty()) throw accord::Error(ACCORD_UNSUPPORTED, "a create without an idempotency key cannot be looked up");
  auto not_found = [&] { return Result::failed("not_found", "no " + std::string(stream) + " in Outlook holds the key " + key); };
  if (stream == "contact") {
    auto found = find_contact(key, true);
    if (!found) return not_found();
    Result r = contact_result(*found);
    // its sensitivity as Outlook keeps it (the $expand asked for it), as a listing gives it
    if (std::string n = mail::sensitivity_name(kept_key(*found, "singleValueExtendedProperties", "id", mail::kSensitivity, "value"));
        !n.empty() && r.data)
      (*r.data)["sensitivity"] = n;
    return r;
  }
  if (stream == "event") {
    auto found = find_event(key);
    return found ? event_result(str(*found, "id")) : not_found();
  }
  if (stream == "message") {
    auto found = find_message(key);
    return found ? message_result(str(*found, "id")) : not_found();
  }
  const std::string list = task_lists().front().id;  // where creates go (apply_task)
  auto found = find_task(list, key);
  if (!found) return not_found();
  json::object rec = task_record(list, *found);
  Result r = Result::ok(str(*found, "id"), str(rec, "version"));
  r.data = rec.at("data").as_object();
  return r;
}

// The master category list (outlookuser-list-mastercategories.md): a
// category an item names that the list lacks is made first
// (outlookuser-post-mastercategories.md), with a colour of its own (one of
// the 25 presets, picked from the name so that every run picks the same),
// so that a category made on another side shows in Outlook as Outlook's own
// do. Needs MailboxSettings.ReadWrite: without it (403) categories still
// travel as names on the items, uncoloured, and the list is left alone.
void Backend::ensure_categories(const std::vector<accord::kit::Op>& ops, const char* member) {
  std::vector<std::string> wanted;
  for (const accord::kit::Op& op : ops) {
    if (op.is_delete() || op.find_only) continue;
    const json::value* v = op.data.if_contains(member);
    if (v && v->is_object()) {
      for (const auto& [k, on] : v->get_object())
        if (on.is_bool() && on.get_bool()) wanted.emplace_back(k);
    } else if (v && v->is_array()) {
      for (const auto& x : v->get_array())
        if (x.is_string()) wanted.emplace_back(x.get_string());
    }
  }
  if (wanted.empty() || categories_off_) return;
  if (!categories_) {
    Answer a = client_.call("GET", "/me/outlook/masterCategories", "", {}, true);
    if (a.status == 403 || a.status == 401) {
      categories_off_ = true;
      host_.log(ACCORD_LOG_WARN, "Outlook's master category list cannot be read (HTTP " + std::to_string(a.status) +
                                     "; the MailboxSettings.ReadWrite permission): categories travel as names, "
                                     "without colours");
      return;
    }
    if (!a.ok()) unusable("GET", "/me/outlook/masterCategories", a);
    categories_.emplace();
    if (const json::array* v = a.body.is_object() ? arr(a.body.get_object(), "value") : nullptr)
      for (const auto& c : *v)
        if (c.is_object()) categories_->insert(accord::ascii_lower(str(c.get_object(), "displayName")));
  }
  for (const std::string& name : wanted) {
    if (name.empty() || categories_->count(accord::ascii_lower(name))) continue;
    owner_.throw_if_cancelled();
    uint32_t h = 2166136261u;  // FNV-1a
    for (unsigned char ch : accord::ascii_lower(name)) h = (h ^ ch) * 16777619u;
    json::object body{{"displayName", name}, {"color", "preset" + std::to_string(h % 25)}};
    Answer a = client_.call("POST", "/me/outlook/masterCategories", json::serialize(body), {}, true);
    // 409: made meanwhile (displayName is unique, outlookcategory.md)
    if (!a.ok() && a.status != 409) {
      if (a.status == 403) {
        categories_off_ = true;
        return;
      }
      unusable("POST", "/me/outlook/masterCategories", a, "the category \"" + name + "\" could not be added to Outlook's list");
    }
    categories_->insert(accord::ascii_lower(name));
  }
}

// Entries through $batch (json-batching.md): at most 20 a request, each
// answered with its own status, headers and body, in any order (matched by
// id). No entry names another in dependsOn: a batch is either fully
// sequential or fully parallel, and in a sequential one every entry after a
// failed one answers 424, so one item's 412 would fail the writes of the
// others; what needs another entry's answer is sent after it, in a later call.
void Backend::post_batches(const std::vector<BatchRequest>& reqs, bool idempotent,
                           const std::function<void(size_t, const BatchAnswer&)>& answered,
                           const std::function<void(size_t, Unanswered)>& unanswered) {
  constexpr size_t kBatchMax = 20;
  // Bodies are kept under 3 MB a request: a message import carries attachments up to 3 MB
  // inline (outlook-large-attachments.md), and Graph refuses a request body over 4 MB
  // (413, errors.md; the figure Microsoft's answers give). A larger entry goes alone.
  constexpr size_t kBatchBytes = 3 * 1024 * 1024;
  std::vector<std::string> bodies(reqs.size());
  for (size_t k = 0; k < reqs.size(); ++k)
    if (reqs[k].body) bodies[k] = json::serialize(*reqs[k].body);
  for (size_t from = 0; from < reqs.size();) {
    owner_.throw_if_cancelled();
    size_t to = from + 1, bytes = bodies[from].size();
    while (to < reqs.size() && to - from < kBatchMax && bytes + bodies[to].size() <= kBatchBytes) bytes += bodies[to++].size();
    if (to - from == 1) {  // alone: a plain request
      const BatchRequest& r = reqs[from];
      BatchAnswer e;
      try {
        std::vector<std::string> extra;
        if (!r.if_match.empty()) extra.push_back("If-Match: " + r.if_match);
        e.a = client_.call(r.method, r.url, bodies[from], extra, idempotent, r.prefer);
      } catch (const LostAnswer&) {
        unanswered(from++, Unanswered::kLost);
        continue;
      } catch (...) {
        unanswered(from++, Unanswered::kFailed);
        continue;
      }
      answered(from++, e);
      continue;
    }
    json::array requests;
    for (size_t k = from; k < to; ++k) {
      const BatchRequest& r = reqs[k];
      json::object headers{{"Prefer", "IdType=\"ImmutableId\"" + (r.prefer.empty() ? "" : ", " + r.prefer)}};
      if (!r.if_match.empty()) headers["If-Match"] = r.if_match;
      json::object q{{"id", std::to_string(k)}, {"method", r.method}, {"url", r.url}};
      if (r.body) {
        headers["Content-Type"] = "application/json";
        q["body"] = *r.body;
      }
      q["headers"] = std::move(headers);
      requests.push_back(std::move(q));
    }
    Answer a;
    try {
      a = client_.call("POST", "/$batch", json::serialize(json::object{{"requests", std::move(requests)}}), {}, idempotent);
      if (!a.ok() || !a.body.is_object()) unusable("POST", "/$batch", a);
    } catch (const LostAnswer&) {
      for (size_t k = from; k < to; ++k) unanswered(k, Unanswered::kLost);
      from = to;
      continue;
    } catch (...) {
      for (size_t k = from; k < to; ++k) unanswered(k, Unanswered::kFailed);
      from = to;
      continue;
    }
    std::vector<bool> seen(to - from, false);
    if (const json::array* answers = arr(a.body.get_object(), "responses"))
      for (const auto& v : *answers) {
        if (!v.is_object()) continue;
        const json::object& r = v.get_object();
        std::string id = str(r, "id");
        if (id.empty() || id.size() > 6 || id.find_first_not_of("0123456789") != std::string::npos) continue;
        size_t k = std::stoul(id);
        if (k < from || k >= to || seen[k - from]) continue;
        seen[k - from] = true;
        BatchAnswer e;
        if (const json::value* st = r.if_contains("status"); st && st->is_int64()) e.a.status = static_cast<long>(st->get_int64());
        if (const json::value* b = r.if_contains("body")) e.a.body = *b;
        if (e.a.body.is_object())
          if (const json::object* err = accord::json_read::obj(e.a.body.get_object(), "error")) {
            e.a.code = str(*err, "code");
            e.a.message = str(*err, "message");
          }
        if (const json::object* h = accord::json_read::obj(r, "headers"))
          for (const auto& [hk, hv] : *h)
            if (accord::ascii_iequals(hk, "Retry-After") && hv.is_string())
              if (std::string t(hv.get_string()); !t.empty() && t.size() < 7 && t.find_first_not_of("0123456789") == std::string::npos)
                e.retry_after = std::stoll(t);
        answered(k, e);
      }
    for (size_t k = from; k < to; ++k)
      if (!seen[k - from]) unanswered(k, Unanswered::kLeftOut);
    from = to;
  }
}

accord::kit::Result Backend::entry_failure(const accord::kit::Op& op, const BatchRequest& r, const BatchAnswer& e,
                                           const std::string& what) {
  using accord::kit::Result;
  if (e.a.status == 412)
    return Result::conflict(failure(ACCORD_CONFLICT, r.method, r.url, e.a, "the " + what + " changed in Outlook since it was read").what(), op.id);
  if (e.a.status == 429 || e.a.status == 503 || e.a.status == 504) {
    Result res = Result::failed("retry", failure(ACCORD_RETRY, r.method, r.url, e.a, "Outlook's rate limit, inside a $batch").what(), op.id);
    res.retry_after_s = e.retry_after >= 0 ? e.retry_after : 1;
    return res;
  }
  if (op.is_update() && e.a.status == 404) return Result::error(what + " " + op.id + " is no longer in Outlook", op.id);
  return Result::error(failure(ACCORD_ERROR, r.method, r.url, e.a).what(), op.id);
}

accord::kit::Result Backend::unanswered_result(const accord::kit::Op& op, Unanswered how) {
  if (how == Unanswered::kLeftOut)
    return accord::kit::Result::failed("retry", "POST /$batch answered without this entry; it is sent again next time", op.id);
  try {
    throw;
  } catch (const LostAnswer& e) {
    return accord::kit::Result::failed("retry", e.what(), op.id);
  } catch (...) {
    return accord::kit::failure(op);
  }
}

// One write per op through post_batches. An entry's answer is its op's: 2xx
// done (`on_done` makes the result), 404 of a delete done, anything else
// entry_failure. PATCH and DELETE do nothing twice when a batch is sent
// again, and carry the op's version as If-Match; a batch of creates (POST)
// is sent again after a lost answer only when `resend_safe` (events:
// transactionId), else a lost answer (or an entry left unanswered) has each
// create looked for by its key (`on_lost`) and, when not found, RETRY: the
// next try looks again before it sends. A PATCH or DELETE left out of
// Graph's answer goes on its own. One write alone goes as a plain request
// (the op's own path).
void Backend::send_batch(const std::vector<accord::kit::Op>& ops, std::vector<BatchRequest> reqs,
                         std::vector<std::optional<accord::kit::Result>>& done, const char* what,
                         const std::function<accord::kit::Result(const accord::kit::Op&, const Answer&)>& on_done,
                         const std::function<std::optional<accord::kit::Result>(const accord::kit::Op&)>& on_lost,
                         bool resend_safe) {
  using accord::kit::Result;
  if (reqs.size() < 2) return;
  bool creates = false;
  for (BatchRequest& r : reqs) {
    const accord::kit::Op& op = ops[r.op];
    if (r.if_match.empty() && op.expect_version && !op.expect_version->empty())
      r.if_match = op.expect_version->substr(0, op.expect_version->find(';'));  // an event's: its master's
    creates = creates || r.method == "POST";
  }
  // a create whose answer was lost: found by its key, or RETRY (looked for again first next time)
  auto lost = [&](const BatchRequest& r, const std::string& why) {
    const accord::kit::Op& op = ops[r.op];
    try {
      if (on_lost)
        if (auto found = on_lost(op)) {
          done[r.op] = std::move(*found);
          return;
        }
      throw accord::Error(ACCORD_RETRY, why + "; no " + std::string(what) + " carries its idempotency key yet: it is "
                                              "looked for again before it is sent again", 5000);
    } catch (...) {
      done[r.op] = accord::kit::failure(op);
      // the batch may have made it: its next try is a resend, which looks first
      if (done[r.op]->status == "retry") done[r.op]->maybe_written = true;
    }
  };
  post_batches(reqs, !creates || resend_safe, [&](size_t k, const BatchAnswer& e) {
    const BatchRequest& req = reqs[k];
    const accord::kit::Op& op = ops[req.op];
    try {
      if (e.a.ok() || (op.is_delete() && e.a.status == 404)) done[req.op] = on_done(op, e.a);
      else done[req.op] = entry_failure(op, req, e, what);
    } catch (...) {
      done[req.op] = accord::kit::failure(op);
    }
  }, [&](size_t k, Unanswered how) {
    const BatchRequest& req = reqs[k];
    if (req.method == "POST" && how != Unanswered::kFailed) {
      std::string why = "POST /$batch left entry " + std::to_string(k) + " unanswered";
      if (how == Unanswered::kLost) {
        try {
          throw;
        } catch (const std::exception& e) {
          why = e.what();
        }
      }
      lost(req, why);
    } else if (how != Unanswered::kLeftOut) {
      done[req.op] = unanswered_result(ops[req.op], how);
    }
  });
}

void Backend::unusable(const std::string& method, const std::string& url, const Answer& a, const std::string& hint) {
  throw failure(a.status >= 500 ? ACCORD_RETRY : ACCORD_ERROR, method, url, a, hint);
}

std::optional<json::object> Backend::get_one(const std::string& path, const std::string& prefer) {
  Answer a = client_.call("GET", path, "", {}, true, prefer);
  if (a.status == 404) return std::nullopt;
  if (!a.ok() || !a.body.is_object()) unusable("GET", path, a);
  return a.body.get_object();
}

void Backend::each_page(const std::string& path, const std::function<bool(const json::array&)>& on_page,
                        const json::object* first) {
  std::string url = path;
  while (!url.empty()) {
    Answer a;
    if (!first) {
      owner_.throw_if_cancelled();
      a = client_.call("GET", url, "", {}, true, prefer_page());
      if (!a.ok()) unusable("GET", url, a);
    }
    const json::object& body = first ? *first : a.body.is_object() ? a.body.get_object() : empty_;
    first = nullptr;
    if (const json::array* v = arr(body, "value"); v && on_page(*v)) return;
    url = str(body, "@odata.nextLink");
    if (!url.empty() && url.rfind(client_.root() + "/", 0) != 0)
      throw accord::Error(ACCORD_ERROR, describe("GET", path) + ": Graph's next page is on another server; not followed");
  }
}

std::string Backend::etag_of(const json::object& item) {
  std::string e = str(item, "@odata.etag");
  if (e.empty() && !str(item, "changeKey").empty()) e = "W/\"" + str(item, "changeKey") + "\"";
  return e;
}

std::vector<std::string> Backend::if_match(const accord::kit::Op& op) const {
  // the etag part of a version ("W/\"…\";<folder hash>" for a message)
  if (op.expect_version && !op.expect_version->empty())
    return {"If-Match: " + op.expect_version->substr(0, op.expect_version->find(';'))};
  return {};
}

// One page of a round of delta requests over `folders`, folder after folder.
// The cursor between rounds: {"stream", "folders": [ids], "links": {id:
// deltaLink}}; mid-round also "at" (the folder in progress), "next" (its
// @odata.nextLink) and "full" (the round is a full listing).
std::string Backend::read_delta(const char* stream, const json::object& c, bool fresh, const std::vector<Folder>& now,
                                const OnPage& on_page, const json::object& extra) {
  // The folders in the cursor's order, those added since (a folder made in
  // Outlook, one more configured) after them: their first delta round lists
  // what they hold. A folder gone (deleted, or no longer configured) took its
  // items without an @removed: the host lists everything.
  std::vector<Folder> folders;
  if (!fresh) {
    const json::value* was = c.if_contains("folders");
    if (!was || !was->is_array()) kCursor.expire("it names no folders");
    for (const auto& v : was->get_array()) {
      auto it = std::find_if(now.begin(), now.end(), [&](const Folder& f) { return v.is_string() && f.id == v.get_string(); });
      if (it == now.end()) kCursor.expire("a folder it followed is gone from Outlook or no longer configured");
      folders.push_back(*it);
    }
  }
  for (const Folder& f : now)
    if (std::none_of(folders.begin(), folders.end(), [&](const Folder& x) { return x.id == f.id; })) folders.push_back(f);
  json::array ids;
  for (const Folder& f : folders) ids.push_back(json::value(f.id));
  json::object links;
  if (auto* l = c.if_contains("links"); l && l->is_object()) links = l->get_object();
  size_t at = 0;
  if (auto* v = c.if_contains("at"); v && v->is_int64() && v->get_int64() >= 0) at = static_cast<size_t>(v->get_int64());
  if (at >= folders.size()) kCursor.expire("it names a folder that is not configured");
  std::string next = str(c, "next");
  // folders whose link is read to its end and then dropped (graph_mail.cpp)
  json::array relist;
  if (auto* r = c.if_contains("relist"); r && r->is_array()) relist = r->get_array();
  bool full = fresh || (c.contains("full") && c.at("full").is_bool() && c.at("full").get_bool());
  const Folder& f = folders[at];
  std::string url = !next.empty() ? next : links.contains(f.id) ? str(links, f.id.c_str()) : f.delta;
  // a state link goes only where Graph is: a cursor cannot send the token elsewhere
  if (url.rfind("http", 0) == 0 && url.rfind(client_.root() + "/", 0) != 0)
    kCursor.expire("its delta link is not on " + client_.root());
  Answer a = client_.call("GET", url, "", {}, true, prefer_page());
  if (a.status == 410 || a.code == "syncStateNotFound" || a.code == "resyncRequired" || a.code == "SyncStateNotFound")
    kCursor.expire("Outlook no longer holds the sync state of a folder (HTTP " + std::to_string(a.status) + " " + a.code + ")");
  if (!a.ok()) unusable("GET", url, a);
  const json::object& body = a.body.is_object() ? a.body.get_object() : empty_;
  const json::array* items = arr(body, "value");
  accord::kit::Batch batch;
  batch.records = on_page(items ? *items : json::array(), full);
  batch.full = fresh && at == 0 && next.empty();
  json::object nc{{"stream", stream}, {"folders", ids}};
  std::string nl = str(body, "@odata.nextLink"), dl = str(body, "@odata.deltaLink");
  if (!nl.empty()) {
    nc["at"] = at;
    nc["next"] = nl;
    batch.more = true;
  } else {
    if (dl.empty()) throw failure(ACCORD_ERROR, "GET", url, a, "Graph gave neither a next page nor a delta link");
    if (auto it = std::find(relist.begin(), relist.end(), json::value(f.id)); it != relist.end()) {
      // an old link read to its end (a mail folder renamed, graph_mail.cpp):
      // its deletes told, the folder again from its first delta round
      relist.erase(it);
      links.erase(f.id);
      nc["at"] = at;
      batch.more = true;
    } else {
      links[f.id] = dl;
      if (at + 1 < folders.size()) {
        nc["at"] = at + 1;
        batch.more = true;
      }
    }
  }
  if (batch.more && full) nc["full"] = true;
  nc["links"] = std::move(links);
  if (!relist.empty()) nc["relist"] = std::move(relist);
  for (const auto& [k, v] : extra) nc[k] = v;
  batch.cursor = kCursor.write(nc);
  return batch.serialize();
}

}  // namespace outlook::graph
