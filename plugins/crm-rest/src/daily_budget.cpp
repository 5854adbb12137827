// SPDX-License-Identifier: Apache-2.0
// The day's budget: what a read pass costs in requests, kept in the cursor
// as the next pass's estimate, and checked against what the service says is
// left today before a pass starts (RETRY rather than stop half way).
#include "crm_rest_p.hpp"

#include <algorithm>

namespace crm {

// "full" or "changes": a pass's kind, whose last cost (cur["cost"]) is the
// estimate of the next one of its kind.
const char* CrmRest::pass_kind(const json::object& run) { return run.at("full").as_bool() ? "full" : "changes"; }

std::string CrmRest::pass_words(const StreamSpec& s, const json::object& run) {
  if (s.parent.present)
    return "a full listing, a request per " + s.parent.stream + " and page: the CRM documents no way to find the changed ones";
  return run.at("full").as_bool() ? "a full listing" : "the changes since the last run";
}

// Whether the pass `run` starts fits in what the service says is left
// today, `spent` of it already made. One that would not waits for a later
// run (RETRY) rather than stop half way on the vendor's refusals. True
// when it could tell (the service has said what is left), false when not.
bool CrmRest::fits_budget(const StreamSpec& s, const json::object& cur, const json::object& run, int64_t spent) {
  int64_t left = rest_.daily_remaining();
  if (left < 0) return false;
  const json::value* cost = cur.contains("cost") && cur.at("cost").is_object() ? cur.at("cost").get_object().if_contains(pass_kind(run)) : nullptr;
  if (!cost || !cost->is_number()) return true;  // never read this way yet: nothing to go on
  int64_t still = std::max<int64_t>(0, cost->to_number<int64_t>() - spent);
  if (still > left)
    throw accord::Error(ACCORD_RETRY, "stream " + s.name + ": reading it costs about " + std::to_string(cost->to_number<int64_t>()) +
                                          " requests (" + pass_words(s, run) + ") and the service allows " + std::to_string(left) +
                                          " more today; it is left for a later run",
                        spec_.limit_exceeded_retry_s * 1000);
  return true;
}

// A pass is over: what it cost is kept as the next one's estimate and said
// (a warning line, so that plan shows it), with what is left today.
void CrmRest::said_cost(const StreamSpec& s, json::object& cur, const json::object& run, int64_t spent) {
  if (!cur.contains("cost") || !cur.at("cost").is_object()) cur["cost"] = json::object{};
  cur["cost"].get_object()[pass_kind(run)] = spent;
  int64_t left = rest_.daily_remaining();
  host().log(ACCORD_LOG_WARN, ("crm-rest: " + s.name + ": reading it took " + std::to_string(spent) + " request" +
                               (spent == 1 ? "" : "s") + " (" + pass_words(s, run) + ")" +
                               (left >= 0 ? "; the service allows " + std::to_string(left) + " more today" : std::string()))
                                  .c_str());
}

// What the host's plan needs to price this stream's writes (the batch's
// "budget", sdk/schema/batch.schema.json, version 1): what is left today
// as the service last said, what this read took, and each kind of write's
// cost as write_ops.cpp and batches.cpp send it: `requests` per `per` ops
// (a batch endpoint takes b.size ops a request; one by one, a request each,
// and one more to read the version first where the stream compares it).
json::object CrmRest::budget_said(const StreamSpec& s, int64_t spent) {
  bool compare = s.version_check == "read-compare";
  bool batched = s.batch.present && !s.parent.present;
  auto cost = [&](bool in_batch, bool checked) {
    if (batched && in_batch)  // read-compare reads the lot in one batch read first
      return json::object{{"requests", checked && s.batch.read.present ? 2 : 1}, {"per", s.batch.size}};
    return json::object{{"requests", checked ? 2 : 1}, {"per", 1}};
  };
  json::object writes{{"create", cost(s.batch.create.present || s.batch.upsert.present, false)},
                      {"update", cost(s.batch.update.present, compare)},
                      {"delete", cost(s.batch.del.present, compare)}};
  // a message logged (email_messages.cpp): its conversation looked up, the
  // log, the message read back (a contact or conversation to make, or a
  // reply's thread to find, cost more)
  if (s.canonical == "jmap-email") writes["create"] = json::object{{"requests", 3}, {"per", 1}};
  json::object out{{"v", 1}, {"read", spent}, {"writes", std::move(writes)}};
  if (int64_t left = rest_.daily_remaining(); left >= 0) out["left"] = left;
  // the burst window (HighLevel: 100 requests per 10 s): plan says how long
  // the read and the writes take at least
  if (rest_.window_requests() > 0) out["rate"] = json::object{{"requests", rest_.window_requests()}, {"ms", rest_.window_ms()}};
  return out;
}

}  // namespace crm
