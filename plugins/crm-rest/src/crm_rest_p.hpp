// SPDX-License-Identifier: Apache-2.0
// Private to the crm-rest plugin: the connector class and what its files
// share (isync's sync_p.h shape). crm_rest_connector.cpp holds the entry
// point and the read/apply calls; each member group lives in the file named
// beside it below. Never included outside plugins/crm-rest/src.
#pragma once

#include "rest_client.hpp"
#include "spec.hpp"

#include <accord/connector.hpp>
#include <accord/kit/cursor.hpp>
#include <accord/kit/lookalike.hpp>
#include <accord/kit/ops.hpp>
#include <accord/mapping/field_path.hpp>
#include <accord/mapping/transform.hpp>
#include <accord/status/result.hpp>

#include <boost/json.hpp>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace json = boost::json;

namespace crm {

// ---- small helpers (crm_rest_connector.cpp) --------------------------------

const json::value* at_ptr(const json::value& v, const std::string& ptr);
std::string scalar_text(const json::value* v);
void set_ptr(json::value& root, const std::string& ptr, const json::value& v);
void erase_ptr(json::value& root, const std::string& ptr);
// A Message-ID without its angle brackets (email_messages.cpp)
std::string strip_angles(std::string id);
// The messages a message may be threaded on, angles stripped, the first
// known one wins: the one it replies to (In-Reply-To), then its References
// latest first. A contact's answer to a mail sent from the CRM names in its
// In-Reply-To a Message-ID the CRM's API may never show, while its
// References still name the thread's earlier, logged, messages
// (email_messages.cpp; HighLevel, HubSpot and Salesforce thread on it).
std::vector<std::string> reply_parents(const json::value& data);

// ---- canonical ⇄ native (canonical_mapping.cpp) ----------------------------

enum class Instant { kNone, kStart, kEnd, kDue };

struct CompiledRule {
  accord::FieldPath read;   // with * and [k=v], to read canonical records from any connector
  accord::FieldPath write;  // * made concrete ("e1"), to build ours
  std::string native;
  accord::Transform tf;     // canonical is its left side
  Instant instant = Instant::kNone;
  std::string format;
  std::string canonical;           // the rule's canonical path, as written
  std::vector<std::string> types;  // the JSON types the canonical schema allows there (none: any)
};

std::vector<CompiledRule> compile(const StreamSpec& s);

// ---- the connector ----------------------------------------------------------

struct Record {
  std::string id, version, modified;
  int64_t modified_ms = -1;
  json::value native;
};

using accord::kit::Op;
using accord::kit::Result;

// One instance per configured connector. One host thread calls it at a
// time; cancel() may come from any thread (accord::Connector's rules).
class CrmRest final : public accord::Connector {
 public:
  CrmRest(const accord::Host& host, std::string_view config);

  void cancel() noexcept override;
  std::string read_changes(std::string_view stream, std::string_view cursor_text) override;
  std::string apply(std::string_view stream, std::string_view ops_text) override;
  const void* get_extension(std::string_view name) noexcept override;
  void check_stream(std::string_view stream) override;
  std::optional<std::vector<std::string>> stream_fields(std::string_view stream) override;

 private:
  // crm_rest_connector.cpp
  const StreamSpec& stream_spec(std::string_view stream) const;
  // "crm1.{…}", as every version of this connector wrote it
  static inline const accord::kit::CursorFormat kCursor{"crm", 1};
  json::object parse_cursor(const StreamSpec& s, std::string_view text);
  Vars base_vars(const StreamSpec& s);

  // canonical_mapping.cpp
  json::value to_data(const StreamSpec& s, const json::value& native);
  json::value mistyped(const StreamSpec& s, const json::value& native, const CompiledRule& r, json::value got);
  json::value to_native(const StreamSpec& s, const json::value& data);

  // listing.cpp
  struct Page {
    Answer a;
    const json::value* recs = nullptr;  // into a.body (null when a.status is not 2xx)
    json::value next;                   // the following page's position; null after the last
  };
  Record to_record(const StreamSpec& s, const json::value& native);
  void give_key(const StreamSpec& s, const Record& rec, json::object& o);
  Page fetch_page(const StreamSpec& s, const Request& req, Vars vars, const json::value* next_in,
                  const std::vector<long>& accept = {});
  bool parent_page(const StreamSpec& s, json::object& cur, json::object& run, json::array& out);
  std::vector<json::value> children(const StreamSpec& s, const Vars& vars);
  bool page(const StreamSpec& s, json::object& cur, json::object& run, json::array& out);
  void finish_pass(const StreamSpec& s, json::object& cur, json::object& run);

  // daily_budget.cpp
  static const char* pass_kind(const json::object& run);
  std::string pass_words(const StreamSpec& s, const json::object& run);
  bool fits_budget(const StreamSpec& s, const json::object& cur, const json::object& run, int64_t spent = 0);
  void said_cost(const StreamSpec& s, json::object& cur, const json::object& run, int64_t spent);
  json::object budget_said(const StreamSpec& s, int64_t spent);

  // write_ops.cpp
  Vars op_vars(const StreamSpec& s, const Op& op);
  void nested_id(const StreamSpec& s, const std::string& id, Vars& vars);
  Record fetch_one(const StreamSpec& s, const std::string& id);
  Result written(const StreamSpec& s, const Request& req, const Answer& a, const std::string& known_id,
                 const std::string& pid = "");
  std::vector<std::string> version_headers(const StreamSpec& s, const Op& op);
  json::value op_native(const StreamSpec& s, const Op& op);
  static Result with_data(Result r, json::value data);
  Result apply_one(const StreamSpec& s, const Op& op);
  // a resend of a create that upserts: what an earlier try made or updated, looked up before any write (write_ops.cpp)
  std::optional<Result> find_upserted(const StreamSpec& s, const Op& op, const Vars& vars, const boost::json::value& native,
                                      const std::string& pid);
  Result find_only(const StreamSpec& s, const Op& op);  // a look-up-only resend (write_ops.cpp)
  // (`when`: the try's time, for a stream that keeps no key: accord/kit/lookalike.hpp)
  std::optional<Result> find_earlier(const StreamSpec& s, const std::string& key, const Vars& vars,
                                     const json::value& native, const std::string& pid,
                                     const accord::kit::TryTime& when, bool after_loss);
  Result after_lost_create(const StreamSpec& s, const std::string& key, const Vars& vars, const json::value& native,
                           const std::string& pid, const std::string& what, const accord::kit::TryTime& when);

  // email_messages.cpp
  json::value email_to_data(const json::value& native);
  json::value email_to_native(const json::value& data);
  Result create_email(const StreamSpec& s, const Op& op);
  std::vector<std::string> email_contacts(const StreamSpec& s, const json::value& data);
  Result log_email(const StreamSpec& s, json::value native, const json::value& data, const std::string& contact,
                   bool look_first, const std::vector<RestClient::FormFile>& files);
  std::vector<RestClient::FormFile> email_files(const StreamSpec& s, json::value& data);
  std::vector<RestClient::FormFile> message_files(json::value& data, int64_t max_file_bytes, const std::string& where);
  void not_carried(json::value& data, const std::vector<std::string>& left,
                   const std::function<json::object(const json::value&)>& to_native, json::object& into,
                   std::initializer_list<const char*> body_fields);
  // An email logged as another contact's copy of a message (create_email):
  // not a record of its own.
  static bool email_copy(const json::value& native);
  std::string email_conversation(const StreamSpec& s, const std::string& contact_id);

  // hubspot_messages.cpp: email engagements (email_api "hubspot")
  json::value hubspot_email_to_data(const json::value& native);
  json::value hubspot_email_to_native(const json::value& data);
  Result create_hubspot_email(const StreamSpec& s, const Op& op);
  void hubspot_email_contacts(const StreamSpec& s, json::value& body, const std::string& records);
  // (*by_search set when the read by idProperty was refused as not unique and
  // the search, whose index lags writes, answered instead)
  std::optional<json::value> hubspot_email_by_key(const StreamSpec& s, const std::string& key, bool* by_search = nullptr);
  // The first of `keys` that a logged email carries as its accord_id (its
  // accord_thread_id wanted): all of them in one batch read (100 a request).
  std::optional<json::value> hubspot_first_logged(const StreamSpec& s, const std::vector<std::string>& keys);
  std::vector<std::string> hubspot_contacts_of(const StreamSpec& s, const json::value& data);
  std::string hubspot_upload(const StreamSpec& s, const std::string& key, const std::vector<RestClient::FormFile>& files,
                             bool look_first, std::vector<std::string>& refused);
  // (HubSpot's search lag: variables.search_lag_s; whether a resend's first
  // try is older than it, and by how much)
  int64_t search_lag_s(const StreamSpec& s) const;
  std::string search_settled(const StreamSpec& s, const Op& op);

  // salesforce_messages.cpp (email_api "salesforce": EmailMessage and its relations)
  json::value sf_email_to_data(const json::value& native);
  json::value sf_email_to_native(const json::value& data);
  Result create_sf_email(const StreamSpec& s, const Op& op);
  std::vector<std::string> sf_contacts(const StreamSpec& s, const json::value& data);
  json::array sf_relations(const std::vector<std::string>& contacts, const json::value& data);
  json::array sf_add_relations(const std::string& message_id, const json::value& found, const json::array& want);
  std::string sf_api_path() const;

  // batches.cpp
  void apply_batches(const StreamSpec& s, const std::vector<Op>& ops, std::vector<std::optional<Result>>& out);
  std::map<std::string, Record> read_many(const StreamSpec& s, const std::vector<std::string>& ids);
  void run_batch(const StreamSpec& s, const BatchOp& b, const std::vector<Op>& ops, const std::vector<size_t>& idx,
                 const std::string& kind, std::vector<std::optional<Result>>& out);
  void learn_versions(const StreamSpec& s, const std::vector<std::pair<size_t, std::string>>& need,
                      std::vector<std::optional<Result>>& out);
  void throw_or_retry(const accord::Error& e, const std::vector<size_t>& idx, std::vector<std::optional<Result>>& out);

  // How many records the listing being read holds, where its answer said so
  // (paging.total): the host's reading bar. Reset by each read_changes.
  std::optional<uint64_t> listed_total_;

  Spec spec_;
  RestClient rest_;
  std::map<std::string, std::vector<CompiledRule>> rules_;
};

}  // namespace crm
