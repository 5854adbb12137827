// SPDX-License-Identifier: Apache-2.0
// A pipeline: two connectors, and the stream pairs synced between them, as
// read from a pipeline file (docs/pipelines.md), layered under an
// administrator's file, checked against schema/pipeline.schema.json and
// against the connectors' manifests, with secrets resolved.
#pragma once

#include <accord/status/result.hpp>
#include <accord/mapping/field_path.hpp>
#include <accord/mapping/transform.hpp>

#include <boost/json/value.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace accord {

class Registry;

enum class Side { kLeft, kRight };
inline const char* side_name(Side s) { return s == Side::kLeft ? "left" : "right"; }
inline Side other(Side s) { return s == Side::kLeft ? Side::kRight : Side::kLeft; }

enum class Flow { kBoth, kLeftToRight, kRightToLeft };

struct Endpoint {
  std::string connector;
  boost::json::value config;           // as written (secrets unresolved): safe to print
  boost::json::value resolved_config;  // secrets resolved: only for the connector
  // The store this side works on: the connector and the values of its
  // manifest's store_identity properties (paths absolute, through links);
  // only the connector where the manifest names none.
  boost::json::object store;
};

// One mapping rule: field(s) on the left ⇄ one field on the right.
struct Rule {
  std::vector<FieldPath> left;  // empty for a constant written to the right
  FieldPath right;
  Flow flow = Flow::kBoth;
  Transform transform;
  std::string key;  // the field's name in the pair form (and in owners, diffs)
};

struct MatchField {
  std::optional<FieldPath> left, right;
  std::function<std::string(const boost::json::value&)> normalise;
};
struct MatchKey {
  std::vector<MatchField> fields;
  std::string label;  // for reports: "/emails/*/address"
};

struct Predicate {
  std::string kind;  // category-contains, category-lacks, not-private, equals, in, exists, date, max-size, type
  std::optional<FieldPath> field;
  boost::json::value value;
  std::string after, before;
  std::string pointer;  // of the "field" the pipeline gave ("" for a preset's own), for messages
};
struct Filter {
  std::vector<Predicate> all;  // every predicate must hold
  bool empty() const { return all.empty(); }
};

enum class Policy { kNewest, kLeftWins, kRightWins, kKeepBoth, kManual };
const char* policy_name(Policy p);

struct Guards {
  double max_delete_share = 0.5;
  double max_update_share = 0.5;
  double max_create_share = 0.5;  // of a side that has records
  long min_records = 10;
  bool refuse_empty_side = true;
  long max_records = 0;  // 0: no limit
};

// A stream of either side that a pair's rules query and the engine keeps
// mirrored, never written (`lookup`, pipeline/lookup_config.hpp).
struct LookupStream {
  Side side = Side::kRight;
  std::string stream;
  std::string as;       // the role its rules ask it by: "contacts", "users"
  std::string pointer;  // "/streams/0/lookup/1", for messages
};
namespace email_crm {
struct Settings;  // pipeline/lookup_config.hpp
}

struct StreamPair {
  std::string name;                 // "contact-crm_contact" unless named
  std::string left, right;          // stream names
  std::string left_canonical, right_canonical;
  bool to_right = true, to_left = true;
  std::set<std::string> ops_to_right{"create", "update", "delete"}, ops_to_left{"create", "update", "delete"};
  bool identity = true;             // no rules: the canonical records map one to one
  std::vector<Rule> rules;
  std::vector<MatchKey> match;
  Filter filter_left, filter_right;
  Policy policy = Policy::kNewest;
  std::map<std::string, Side> owners;  // field key → the side that owns it
  Guards guards;
  std::vector<std::string> untravelled;  // canonical fields that cannot travel (report)
  std::vector<LookupStream> lookups;                    // `lookup`
  std::shared_ptr<const email_crm::Settings> email_crm;  // `email_crm`; none: no such rules
  std::string pointer;                   // "/streams/0", for messages
  // "schedule" (accord daemon): seconds between runs (0: the default for
  // the left stream's type, daemon/schedule.hpp), and whether a side's
  // push (accord.push.v1) or file watch (accord.watch.v1) starts a run
  int64_t every_s = 0;
  bool push = true, watch = true;
  bool allowed(Side target, const std::string& op) const {
    return target == Side::kRight ? to_right && ops_to_right.contains(op) : to_left && ops_to_left.contains(op);
  }
};

struct Pipeline {
  std::filesystem::path file;
  std::string name;
  std::filesystem::path state_path;
  std::filesystem::path secrets_file;  // where {"$secret": N} came from, and renewed secrets go
  Endpoint left, right;
  std::vector<StreamPair> streams;
  std::vector<std::string> locked_by_admin;  // pointers fixed by the administrator
  int history_keep_runs = 10;  // "history": {"keep_runs"}: the runs whose writes `accord undo` and `log` keep
  const Endpoint& endpoint(Side s) const { return s == Side::kLeft ? left : right; }
};

struct LoadOptions {
  std::filesystem::path admin_file;    // empty: $ACCORD_ADMIN, else /etc/accord/admin.json if present
  std::filesystem::path secrets_file;  // empty: $ACCORD_SECRETS, else ~/.config/accord/secrets.json
  std::filesystem::path state_override;
};

// Loads and checks a pipeline. Every message names the file and the JSON
// pointer of the offending key, and says what is expected; several are
// joined with newlines.
Result<Pipeline> load_pipeline(const std::filesystem::path& file, const Registry& registry, const LoadOptions& opts);

// Reads a secret from the secrets file (0600, a JSON object of name → string).
Result<std::string> read_secret(const std::filesystem::path& secrets_file, const std::string& name);
std::filesystem::path default_secrets_file();
// Sets one secret in the secrets file, keeping the others: written to a
// temporary file (0600) beside it, flushed, and renamed over it. The same
// checks as read_secret (owner, mode) apply to an existing file.
Result<void> store_secret(const std::filesystem::path& secrets_file, const std::string& name, const std::string& value);

// Parses JSON text; the failure names the line and column. max_depth as
// Boost.JSON counts it (its default 32 for a file a person writes; a saved
// plan holds records' data under its own levels and is read deeper).
Result<boost::json::value> parse_json_file(const std::filesystem::path& file, std::size_t max_depth = 32);

}  // namespace accord
