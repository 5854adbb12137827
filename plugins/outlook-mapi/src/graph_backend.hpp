// SPDX-License-Identifier: Apache-2.0
// The `graph` backend of outlook-mapi: one mailbox through Microsoft Graph
// v1.0, two-way. Streams and how each is read and written:
//   contact: contact folders (the default one, "contacts", or those named),
//            per-folder delta; creates carry the idempotency key in a
//            single-value extended property, found by $filter on a resend;
//   event:   each synced calendar's calendarView/delta over a window; a
//            series is one record, its master fetched with its exceptions
//            and cancelled occurrences; creates carry transactionId and the
//            extended property;
//   task:    To Do lists (the default list or those named), per-list delta;
//            checklist items; the key in a linkedResource's externalId;
//   message: mail folders (walked through childFolders), per-folder delta,
//            MIME by $value on fetch; creates are JSON imports with the
//            message flags and the key as extended properties, attachments
//            over 3 MB through upload sessions (graph_mail.cpp);
//   note:    the Notes folder's notes (/me/notes, v1.0 since 2026-08),
//            one delta round; a create's lost try found again by what it
//            sent (graph_notes.cpp: no documented key on a note).
// Reading: one delta page per read_changes call. The cursor holds the
// @odata.deltaLink of each folder between runs and, mid-round, the folder
// in progress and its @odata.nextLink. 410 or syncStateNotFound (Graph
// forgot the state) is CURSOR_EXPIRED: the host lists everything and diffs.
// Writing: If-Match with the item's @odata.etag (412 → CONFLICT).
//
// Thread safety: one thread at a time (the connector rule); cancel() from any.
#pragma once

#include "event_map.hpp"
#include "graph_client.hpp"
#include "mail_map.hpp"

#include <accord/connector.hpp>
#include <accord/kit/batch.hpp>
#include <accord/kit/config.hpp>
#include <accord/kit/ops.hpp>

#include <boost/json.hpp>

#include <map>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace outlook::graph {

// The configuration's schema (both backends' keys: the manifest has one).
const char* config_schema();

// The extended property that holds Accord's idempotency key on contacts and
// events: a named string property in Accord's own property set.
inline constexpr const char* kKeyProperty = "String {8f6a3b5e-7d1c-4e0a-9b2f-6c4d1e0a7b3c} Name AccordIdempotencyKey";
// The linkedResource application name of a To Do task Accord made.
inline constexpr const char* kLinkApp = "Accord";

// The idempotency key kept by an item: the value of the member of `list`
// ("singleValueExtendedProperties", "linkedResources") whose `match_key`
// ("id", "applicationName") is `match`, read from `value_key`; "" when none.
std::string kept_key(const boost::json::object& item, const char* list, const char* match_key, const std::string& match,
                     const char* value_key);
// The key in Accord's extended property (contacts, events).
inline std::string extended_key(const boost::json::object& item) {
  return kept_key(item, "singleValueExtendedProperties", "id", kKeyProperty, "value");
}
// $expand of that property alone, and the $filter that finds the item holding `key`.
std::string key_expand();
std::string key_filter(const std::string& key);

struct Settings {
  ClientOptions client;
  std::vector<std::string> contact_folders, task_lists;
  std::vector<std::string> mail_folders;  // {"*"}: every folder but Deleted Items, Junk Email and Outbox
  std::string window_start;  // "2024-01-01T00:00:00" when fixed, else from past_days
  int64_t past_days = 365, future_days = 730;
  int64_t page_size = 100;
  std::string calendar_id = "primary";  // "primary", an id or name, or "*"
  bool write_attendees = false;          // event_attendees "write": participants sent (Outlook mails invitations)
  std::string account;                   // the mailbox's address when configured (the organizer of what it writes)
  std::string time_zone = "UTC";  // the zone event times are asked in (Prefer: outlook.timezone)
};

Settings read_settings(const accord::kit::Config& k);

class Backend {
 public:
  Backend(const accord::Host& host, const accord::Connector& owner, const accord::kit::Config& k);

  void cancel() noexcept { client_.cancel(); }
  void check_stream(std::string_view stream) const;
  std::string read_changes(std::string_view stream, std::string_view cursor);
  std::string apply(std::string_view stream, std::string_view ops);
  // A look-up-only resend (ACCORD_CAP_FIND_ONLY, docs/sdk.md): the item an
  // earlier try of a kept create made, found by its key where a resend
  // looks (contact, event, task, message), answered as a listing gives it;
  // not_found when no item holds the key; nothing written, ever. The note
  // stream answers unsupported: it finds a note by its content, and the
  // host may delete what a find_only finds.
  accord::kit::Result find_only(std::string_view stream, const accord::kit::Op& op);
  // accord.check.v1: each record of the event, contact and message streams as
  // Outlook would keep it once written (events::as_kept, contacts::as_kept,
  // mail::as_kept), nothing sent; the other streams answer UNSUPPORTED
  // (planned from the manifest).
  std::string check_records(std::string_view stream, std::string_view records_json) const;
  // fetch: a message's /raw and /size ($value); other streams have no lazy fields.
  std::string fetch(std::string_view stream, const std::vector<std::string>& ids);

 private:
  // ---- delta rounds over folders (graph_backend.cpp) -------------------------
  struct Folder {
    std::string id;     // the folder's or list's id
    std::string delta;  // the path of its first delta request (query included)
  };
  // What a page's items became: the records, in order.
  using OnPage = std::function<boost::json::array(const boost::json::array& items, bool full)>;
  std::string read_delta(const char* stream, const boost::json::object& cursor, bool fresh,
                         const std::vector<Folder>& folders, const OnPage& on_page,
                         const boost::json::object& extra = {});
  std::string prefer_page() const { return "odata.maxpagesize=" + std::to_string(s_.page_size); }
  [[noreturn]] static void unusable(const std::string& method, const std::string& url, const Answer& a,
                                    const std::string& hint = "");
  std::optional<boost::json::object> get_one(const std::string& path, const std::string& prefer = "");
  // Every page of a plain listing (`on_page` returns true to stop); `first`:
  // the answer to `path` when it was read already (a $batch entry's).
  void each_page(const std::string& path, const std::function<bool(const boost::json::array&)>& on_page,
                 const boost::json::object* first = nullptr);

 public:
  static std::string etag_of(const boost::json::object& item);

 private:
  // $batch (graph_backend.cpp): each entry a request made for ops[op].
  struct BatchRequest {
    size_t op;
    std::string method, url;
    std::optional<boost::json::object> body;
    std::string prefer = "";    // more Prefer preferences for this entry
    std::string if_match = "";  // an etag the item must still have (If-Match)
  };
  // An entry's answer, with the Retry-After it carried (seconds; -1: none).
  struct BatchAnswer {
    Answer a;
    int64_t retry_after = -1;
  };
  // Why an entry has no answer: its request's answer was lost (it may have
  // been done), its request failed (the exception), or Graph answered the
  // request without it.
  enum class Unanswered { kLost, kFailed, kLeftOut };
  // The one way entries go to Graph: `reqs` in $batch requests of at most
  // 20 independent entries and 3 MB of bodies (json-batching.md: a batch is
  // fully sequential or fully parallel, and in a sequential one every entry
  // after a failed one fails 424, so the writes of different items never
  // share a chain; a step that needs another's answer goes in a later call);
  // an entry alone in its request (the only one, or too large to share) as a
  // plain request. `answered(k, …)` for reqs[k] answered, `unanswered(k, how)`
  // (inside a catch block when kLost or kFailed) for the others.
  void post_batches(const std::vector<BatchRequest>& reqs, bool idempotent,
                    const std::function<void(size_t, const BatchAnswer&)>& answered,
                    const std::function<void(size_t, Unanswered)>& unanswered);
  // What an entry's answer that is not a success makes of its op: 412
  // CONFLICT, 429/503/504 RETRY after the entry's Retry-After, an update's
  // 404 "no longer in Outlook", anything else an error naming the request.
  static accord::kit::Result entry_failure(const accord::kit::Op& op, const BatchRequest& r, const BatchAnswer& e,
                                           const std::string& what);
  // The result of an entry left without an answer (kLost, kFailed: called in a catch block).
  static accord::kit::Result unanswered_result(const accord::kit::Op& op, Unanswered how);
  // Op-level writes, one entry per op (post_batches): `on_done` makes the
  // result of an entry answered 2xx (or 404 for a delete). A batch of creates
  // (POST) is sent again after a lost answer only when `resend_safe`, else
  // each create is looked for by its key (`on_lost`) and RETRY when not found.
  // Fewer than two writes: nothing done (the op goes on its own).
  void send_batch(const std::vector<accord::kit::Op>& ops, std::vector<BatchRequest> reqs,
                  std::vector<std::optional<accord::kit::Result>>& done, const char* what,
                  const std::function<accord::kit::Result(const accord::kit::Op&, const Answer&)>& on_done,
                  const std::function<std::optional<accord::kit::Result>(const accord::kit::Op&)>& on_lost = {},
                  bool resend_safe = false);
  // creates needing no later write, and updates of single events (no recurrence either side of the write)
  void batch_events(const std::vector<accord::kit::Op>& ops, std::vector<std::optional<accord::kit::Result>>& done);
  boost::json::object create_body(const accord::kit::Op& op, const events::Written& w) const;
  void say_losses(const accord::kit::Op& op, const events::Written& w) const;
  // updates of series (a rule or overrides written, exceptions compared), step by step for all of them
  void batch_series(const std::vector<accord::kit::Op>& ops, std::vector<std::optional<accord::kit::Result>>& done);
  // a series' changed and cancelled occurrences: the instances listing that finds them, the writes they take
  std::string instances_url(const std::string& id, const events::Written& w) const;
  std::vector<BatchRequest> occurrence_writes(size_t op, const events::Written& w,
                                              const std::map<std::string, std::string>& by_rid) const;
  accord::kit::Result series_result(const accord::kit::Op& op, const Answer& a) const;
  // task creates, updates and deletes (the lists of tasks looked up together when several are synced)
  void batch_tasks(const std::vector<accord::kit::Op>& ops, std::vector<std::optional<accord::kit::Result>>& done);
  void find_task_lists(const std::vector<accord::kit::Op>& ops, std::vector<std::optional<accord::kit::Result>>& done);
  // event deletes
  void batch_deletes(const std::vector<accord::kit::Op>& ops, std::vector<std::optional<accord::kit::Result>>& done);
  // The categories the ops name (`member`: "keywords" or "categories") made
  // in Outlook's master category list when missing.
  void ensure_categories(const std::vector<accord::kit::Op>& ops, const char* member);
  std::vector<std::string> if_match(const accord::kit::Op& op) const;

  // ---- contacts (graph_contacts.cpp) -----------------------------------------
  const std::vector<Folder>& contact_folders();
  std::string read_contacts(const boost::json::object& c, bool fresh);
  accord::kit::Result apply_contact(const accord::kit::Op& op);
  // (`sensitivity`: PR_SENSITIVITY expanded too, for an answer as a listing gives it)
  std::optional<boost::json::object> find_contact(const std::string& key, bool sensitivity = false);
  boost::json::object contact_record(const boost::json::object& g) const;
  accord::kit::Result contact_result(const boost::json::object& g) const;
  void batch_contacts(const std::vector<accord::kit::Op>& ops, std::vector<std::optional<accord::kit::Result>>& done);
  std::map<std::string, std::string> sensitive_contacts(const std::string& folder);
  std::map<std::string, std::map<std::string, std::string>> sensitive_;  // per folder, within one page

  // ---- events (graph_events.cpp) ---------------------------------------------
  struct Calendar {
    std::string id;
    bool primary = false;
  };
  const std::vector<Calendar>& calendars();
  std::string read_events(const boost::json::object& c, bool fresh);
  std::pair<accord::kit::Batch, boost::json::object> read_calendar(const Calendar& cal, const boost::json::object& c,
                                                                   bool fresh);
  accord::kit::Result apply_event(const accord::kit::Op& op);
  std::optional<boost::json::object> get_series(const std::string& id);
  std::optional<boost::json::object> find_event(const std::string& key);
  accord::kit::Result event_result(const std::string& id);

  // ---- tasks (graph_tasks.cpp) -----------------------------------------------
  const std::vector<Folder>& task_lists();
  std::string read_tasks(const boost::json::object& c, bool fresh);
  accord::kit::Result apply_task(const accord::kit::Op& op);
  std::optional<boost::json::object> find_task(const std::string& list, const std::string& key);
  std::string list_of(const std::string& task_id);
  boost::json::object task_record(const std::string& list, boost::json::object t);
  // the task's checklist items (`first`: the first page's answer when read already)
  std::vector<boost::json::object> checklist(const std::string& list, const std::string& task,
                                             const boost::json::object* first = nullptr);
  void write_checklist(const std::string& list, const std::string& task, const boost::json::object& data);

  // ---- notes (graph_notes.cpp) -----------------------------------------------
  std::string read_notes(const boost::json::object& c, bool fresh);
  accord::kit::Result apply_note(const accord::kit::Op& op);
  std::vector<boost::json::object> find_notes(const accord::kit::Op& op, const std::string& since, const std::string& until);
  boost::json::object note_record(const boost::json::object& g) const;
  accord::kit::Result note_result(const boost::json::object& g) const;

  // ---- messages (graph_mail.cpp) ---------------------------------------------
  struct MailFolder {
    std::string id, path, parent;
    bool synced = false;
  };
  const std::vector<MailFolder>& mail_tree();
  const std::vector<Folder>& mail_folders();
  const MailFolder* mail_folder(const std::string& id);
  std::string folder_for(const std::string& path);
  // folder_for for a message written there, refused (ACCORD_ERROR, nothing
  // made) when the stream does not sync that folder: there the message
  // would leave the stream's view, and a later full listing would take it
  // for deleted and delete its source.
  std::string write_folder(const std::string& path);
  std::string read_messages(const boost::json::object& c, bool fresh);
  accord::kit::Result apply_message(const accord::kit::Op& op);
  void batch_messages(const std::vector<accord::kit::Op>& ops, std::vector<std::optional<accord::kit::Result>>& done);
  std::optional<boost::json::object> find_message(const std::string& key);
  accord::kit::Result message_result(const std::string& id);
  void upload_attachment(const std::string& message_id, const outlook::mail::File& file);
  void complete_attachments(const std::string& message_id, const boost::json::object& data);

  accord::Host host_;
  const accord::Connector& owner_;
  Settings s_;
  GraphClient client_;
  std::optional<std::vector<Folder>> contact_folders_, task_lists_, mail_folders_;
  std::map<std::string, std::string> task_list_;  // a task's list, as read or looked up (several lists synced)
  std::optional<std::vector<MailFolder>> mail_tree_;
  std::optional<std::vector<Calendar>> calendars_;
  std::optional<std::set<std::string>> categories_;  // the master list's names, lower case
  bool categories_off_ = false;                      // the list cannot be read (no permission)
  const boost::json::object empty_;
};

}  // namespace outlook::graph
