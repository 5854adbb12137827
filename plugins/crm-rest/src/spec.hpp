// SPDX-License-Identifier: Apache-2.0
// What a crm-rest instance is configured to do: the user's config laid over
// a shipped profile (profiles/*.json), parsed once into plain structs. Every
// error names the key (as a JSON pointer into the merged config) and what it
// wants.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace crm {

struct Paging {
  std::string style = "none";  // none | link_header | next_url | cursor | offset | page
  std::string next;            // next_url, cursor: pointer in the response body
  bool next_in_last = false;   // cursor: `next` points into the page's last record (HighLevel's searchAfter)
  std::string param;           // cursor, offset, page: the query parameter
  std::string body_pointer;    // cursor: set in the request body instead of the query
  std::string limit_param;     // the page-size parameter ("" = none)
  std::string limit_pointer;   // the page size set in the request body
  std::string stop_before_since;  // pointer in a record: a listing newest first stops after the first page
                                  // that reaches a record older than {since} (a change search's fallback)
  std::string more;            // cursor: pointer to a boolean in the answer, false on the last page
                               // (HighLevel's nextPage); without it a page with a next position has more
  std::string total;           // how many records the listing holds: a pointer in the answer (HubSpot's
                               // search /total, Salesforce's /totalSize) or "header:NAME" (X-Total-Count)
  int64_t first_page = 1;
};

struct Request {
  std::string method = "GET";
  std::string path;                               // template, relative to base_url, or an absolute URL
  std::vector<std::pair<std::string, std::string>> query;  // templates
  std::optional<boost::json::value> body;          // template
  std::vector<std::pair<std::string, boost::json::value>> set;  // pointer → template, set on the body sent
                                                               // (HighLevel's locationId beside the record)
  std::string records;                             // pointer to the record array ("" = the body)
  std::string record;                              // pointer to the one record in a write's answer
  std::string answer_id;                           // pointer to the new id in a write's answer ("" = the stream's id in record)
  Paging paging;
  // Headers of this endpoint, each replacing a configured one of the same
  // name (HighLevel documents a Version per endpoint family).
  std::vector<std::pair<std::string, std::string>> headers;
  // Writes: the record's top-level fields the body carries (pointers; empty
  // = all) and values set when the record has none: a vendor that refuses
  // what its schema does not declare (HighLevel's DTOs) gets exactly those.
  std::vector<std::string> send_fields;
  std::vector<std::pair<std::string, boost::json::value>> defaults;
  // Answers that mean the position this request resumes from is gone: error
  // codes or texts in a 4xx answer (Salesforce's INVALID_QUERY_LOCATOR,
  // INVALID_REPLICATION_DATE).
  std::vector<std::string> expired;
  // A listing whose records each name records of the stream to read one by
  // one through its get (HighLevel: a conversation message of TYPE_EMAIL
  // holds its thread's email ids at /meta/email/messageIds): the pointer to
  // that array of ids ("" = the listed records are the stream's).
  std::string expand;
  std::string file_field;  // an upload's: the form field each file goes under
  // An upload's limits (HighLevel's "Upload file attachments": 5 files a
  // request, 5 MB a file); 0 = none.
  int64_t max_files = 0, max_file_bytes = 0;
  // This endpoint's own limit, for all the instances of this process
  // (HubSpot's search: 5 per second per account); 0 = none.
  double rate_per_s = 0;
  bool present = false;
  // Sending it twice does no harm: reads and searches, updates and deletes
  // (the same values set again, the record already gone), upserts on the
  // idempotency key. Creates are not: see RestClient::call.
  bool idempotent = false;
};

// One batch endpoint: many ops in one request. The request's body (or query)
// carries {items} (the filled item templates, as an array), {ids} and {keys}
// (comma-joined). The answer's results are matched to the ops by order or by
// a pointer whose value is the op's key (creates) or id (updates, deletes).
struct BatchOp {
  Request req;
  boost::json::value item;                                       // template; "{data}" = the native record
  std::vector<std::pair<std::string, boost::json::value>> item_set;  // pointer → template, set on each item
  bool has_results = false;      // false: a 2xx answer means every op succeeded
  std::string results;           // pointer to the result array
  std::string match = "order";   // "order" | a pointer into a result
  std::string ok;                // pointer to a result's success flag ("" = present means ok)
  std::string error;             // pointer to a failed result's message
  std::string errors;            // pointer to an error array beside the results
  std::string error_match;       // pointer, in an error, to the keys/ids it is about
  std::string error_message;     // pointer, in an error, to its message
  bool present = false;
};

struct Batch {
  int64_t size = 100;
  BatchOp create, upsert, update, del;
  BatchOp read;  // many records by id (items, {ids}, {id_list}); its results are the records
  bool present = false;
};

struct MapRule {
  std::string canonical;  // a field path (host syntax: * and [k=v]), or @start, @end, @due (instants, below)
  std::string native;     // a JSON pointer into the native record
  boost::json::value transform;      // a host transform (canonical is its left side, native its right)
  std::string format = "iso8601";    // @start/@end/@due: iso8601 | iso8601_seconds | epoch_ms | date
};

// A stream nested under another (HighLevel's notes under a contact): listed
// parent by parent; its paths take the parent's id as {var}.
struct ParentSpec {
  std::string stream;  // the parent stream's name
  std::string var;     // the variable its id fills ({contact_id})
  std::string field;   // pointer, in a child record, to its parent's id (for creates)
  bool present = false;
};

struct StreamSpec {
  std::string name;
  ParentSpec parent;
  std::string canonical;  // "" = a native (custom) stream, else jscontact, note, jmap-email, …
  // jmap-email: the stream whose records are the contacts a message is
  // logged on (creates upsert /createContacts there); "" = none
  std::string contacts_stream;
  // jmap-email: whose API the messages are: "highlevel" (email_messages.cpp),
  // "salesforce" (salesforce_messages.cpp), "hubspot"
  std::string email_api = "highlevel";
  std::string object;
  std::string id = "/id";
  std::string version;    // "" = a hash of the record's content
  std::string modified;
  std::vector<std::string> read_only;  // pointers left out of data and out of writes
  std::vector<std::string> fields;     // native field names for {fields} and {field_list}
  std::map<std::string, std::string> variables;  // the stream's own {name} values
  Request list, changes, tombstones, get, create, update, del, lookup, upsert;
  // Where creates upsert on a field the CRM matches by (HighLevel's email),
  // not on a key it keeps: the look-up of the record an upsert of that
  // field's value would update ({match} fills it), for a resend to look
  // before it writes (review s13 L4), and that native field.
  Request upsert_lookup;
  std::string upsert_match;
  // A message's attachments, sent as multipart/form-data before the message
  // (HighLevel's "Upload file attachments"): its set fields are the form's
  // text fields, each file under `file_field`; the answer's `records`
  // object maps each file name to its URL, which the create carries in
  // /attachments.
  Request upload;
  Request changes_fallback;  // changes.fallback: read when the server refuses changes.request's shape (a 4xx)
  std::string change_mode = "full";     // modified_since | sync_token | full
  std::string sync_token;               // sync_token: pointer to the next token in an answer (any page)
  std::string deleted_flag;             // sync_token: pointer in a record, true when it is a deletion
  std::string since_format = "iso8601"; // iso8601 | iso8601_seconds | epoch_ms
  int64_t overlap_s = 300;
  double full_listing_hours = 24;       // modified_since without tombstones: list all this often
  double absence_check_hours = -1;      // with tombstones: list all this often all the same (-1 = never):
                                        // deletes no feed reports (HubSpot's permanent deletes)
  int64_t tombstone_min_window_s = 0;   // a tombstone request spans at least this (getDeleted: over a minute)
  std::string tombstone_covered;        // pointer, in a tombstone answer, to the end of what it covered
  std::string tombstone_id = "/id";
  std::string tombstone_deleted_at;     // pointer to when a tombstone was made
  std::string external_id;              // native pointer carrying the idempotency key
  // Native pointer to when the CRM made the record. Without external_id a
  // lost create's record is found by its content, and only a record made in
  // the try's time is taken (kit::made_by_try); without this, none is.
  std::string created;
  std::string version_check = "none";   // if-match | read-compare | none
  int64_t page_size = 100;
  int64_t max_results = 0;              // a search's cap on one query's results (0 = none): window past it
  Batch batch;
  std::vector<MapRule> mapping;
  boost::json::value clear_value;       // what a field cleared on the other side becomes
};

struct RateHeaders {
  std::string remaining, interval_ms;
  std::string max;  // the window's size in requests (HighLevel's x-ratelimit-max: 100 per x-ratelimit-interval-milliseconds)
  std::string daily_remaining;  // the calls left today (HighLevel's x-ratelimit-daily-remaining)
  // or the day's usage as "<field>=<used>/<limit>" in one header, among
  // others separated by ";" (Salesforce's Sforce-Limit-Info: api-usage=18/15000)
  std::string daily_usage, daily_usage_field;
};

struct Spec {
  std::string profile;
  std::string base_url;
  std::string auth_type = "none";  // none | bearer | api_key | oauth2
  std::string token, api_key_header, api_key, token_url, client_id, client_secret, refresh_token;
  std::string refresh_token_secret;  // the secret's name: read from, and a rotated token written back to, the host's store
  std::vector<std::string> headers;  // "Name: value"
  std::map<std::string, std::string> variables;
  double rate_per_s = 0;  // 0 = no client-side limit
  double rate_burst = 1;
  RateHeaders rate_headers;
  // A token of a wider scope exchanged for the one requests use (HighLevel:
  // an agency token for a location's at /oauth/locationToken): a form of
  // templates, used only when every one of them has a value.
  Request token_exchange;
  std::vector<std::pair<std::string, std::string>> exchange_form;
  std::string exchange_token = "/access_token";  // pointer to the token in its answer
  int64_t limit_exceeded_retry_s = 900;
  long connect_timeout_s = 10, stall_timeout_s = 30, total_timeout_s = 300;
  std::string ca_file;
  std::map<std::string, StreamSpec> streams;
};

// The shipped profiles by name, as JSON text (compiled in; the table is
// generated from the list in CMakeLists.txt).
const std::map<std::string, std::string>& profiles();

// The configuration's JSON Schema (src/config_schema.json, compiled in): the
// account's keys and every stream's definition; the manifest's config_schema.
boost::json::value config_schema();

// Parses `config_json`, lays it over its profile, checks the result against
// `schema` (the manifest's config_schema) and the rules it cannot say. Throws
// accord::Error(ACCORD_ERROR, "config: <pointer>: <what>") on bad input.
Spec load_spec(const std::string& config_json, const boost::json::value& schema);

// Deep merge: objects merge key by key, everything else is replaced.
void merge_into(boost::json::value& base, const boost::json::value& over);

}  // namespace crm
