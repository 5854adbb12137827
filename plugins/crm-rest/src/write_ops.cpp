// SPDX-License-Identifier: Apache-2.0
// Writing one op at a time: creates (upsert, or lookup-then-create, so a
// create repeated after a crash or a lost answer finds the first one),
// updates and deletes with their version checks, and the written record's
// id and version read back.
#include "crm_rest_p.hpp"

#include <accord/text/ascii.hpp>
#include <accord/time/rest_time.hpp>

namespace crm {

Vars CrmRest::op_vars(const StreamSpec& s, const Op& op) {
  Vars v = base_vars(s);
  v["id"] = json::value(op.id);
  v["key"] = json::value(op.idempotency_key);
  return v;
}

// A nested stream's ids are "<parent id>/<own id>": puts the parent's id
// into vars (as the parent's variable) and the record's own as {id}.
void CrmRest::nested_id(const StreamSpec& s, const std::string& id, Vars& vars) {
  if (!s.parent.present) return;
  size_t slash = id.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == id.size())
    throw accord::Error(ACCORD_ERROR, "stream " + s.name + ": id \"" + id + "\" is not <" + s.parent.stream + " id>/<" +
                                          s.name + " id>");
  vars[s.parent.var] = json::value(id.substr(0, slash));
  vars["id"] = json::value(id.substr(slash + 1));
}

Record CrmRest::fetch_one(const StreamSpec& s, const std::string& id) {
  Vars v = base_vars(s);
  v["id"] = json::value(id);
  nested_id(s, id, v);
  Answer a = rest_.call(s.get, v, {404});
  if (a.status == 404) throw accord::Error(ACCORD_CONFLICT, "record " + id + " is gone from the server");
  const json::value* rec = at_ptr(a.body, s.get.record);
  if (!rec || !rec->is_object()) throw accord::Error(ACCORD_ERROR, "GET " + s.get.path + ": no record in the answer");
  Record r = to_record(s, *rec);
  if (s.parent.present) r.id = id;
  return r;
}

// The id and version of what a write answered; a GET when the answer does
// not hold the record itself. `pid`: a nested record's parent id.
Result CrmRest::written(const StreamSpec& s, const Request& req, const Answer& a, const std::string& known_id,
                        const std::string& pid) {
  const json::value* rec = a.body.is_null() ? nullptr : at_ptr(a.body, req.record);
  std::string id = !req.answer_id.empty() && !a.body.is_null() ? scalar_text(at_ptr(a.body, req.answer_id))
                   : rec                                          ? scalar_text(at_ptr(*rec, s.id))
                                                                  : "";
  if (!id.empty() && !pid.empty()) id = pid + "/" + id;
  if (id.empty()) id = known_id;
  if (id.empty()) throw accord::Error(ACCORD_ERROR, req.method + " " + req.path + ": the answer holds no id at " + s.id);
  // a nested stream's version is its content's hash: the record answered is the record
  bool full_record = rec && rec->is_object() && (s.version.empty() ? s.parent.present : at_ptr(*rec, s.version) != nullptr);
  if (!full_record && s.get.present) {
    try {
      Record r = fetch_one(s, id);
      // the record as the CRM holds it (its own form: fields it has no
      // place for dropped, defaults added), for the host's base
      return with_data(Result::ok(r.id, r.version), to_data(s, r.native));
    } catch (const accord::Error& e) {
      if (e.status() == ACCORD_CANCELLED || e.status() == ACCORD_AUTH_REQUIRED) throw;
      // The write is done and its id known: a failure here would have the
      // host write it again (a second record, for a create). The next
      // listing brings the version.
      host().log(ACCORD_LOG_WARN, ("crm-rest: " + req.method + " " + req.path + " was done (id " + id +
                                   "), but reading its version failed: " + e.what()).c_str());
      return Result::ok(id);
    }
  }
  if (!full_record) return Result::ok(id);
  return with_data(Result::ok(id, to_record(s, *rec).version), to_data(s, *rec));
}

std::vector<std::string> CrmRest::version_headers(const StreamSpec& s, const Op& op) {
  std::string expect = op.expect_version.value_or("");
  if (expect.empty()) return {};
  if (s.version_check == "if-match") return {"If-Match: \"" + expect + "\""};
  if (s.version_check == "read-compare") {
    Record now = fetch_one(s, op.id);
    if (now.version != expect)
      throw accord::Error(ACCORD_CONFLICT, "record " + now.id + " changed on the server (version " + now.version +
                                               ", expected " + expect + ")");
  }
  return {};
}

// The record an op writes, in native form; a create carries its key in the
// external-id field.
json::value CrmRest::op_native(const StreamSpec& s, const Op& op) {
  json::value native = to_native(s, op.data);
  if (op.is_create() && !op.idempotency_key.empty() && !s.external_id.empty())
    set_ptr(native, s.external_id, json::value(op.idempotency_key));
  return native;
}

// A result with the record as the CRM holds it, for the host's base.
Result CrmRest::with_data(Result r, json::value data) {
  if (data.is_object()) r.data = std::move(data.get_object());
  return r;
}

// A resend marked find_only (ACCORD_CAP_FIND_ONLY, docs/sdk.md): the record
// an earlier try of this create made, looked up as a resend looks
// (find_earlier), and nothing written. A stream that cannot look a key up
// (no lookup, a message stream: those look up on their own paths) answers
// unsupported: the host then does as without the capability. A lookup that
// is a search (HubSpot's: it lags writes) is believed to find nothing only
// once search_lag_s has passed since sent_at; before, a plain retry.
Result CrmRest::find_only(const StreamSpec& s, const Op& op) {
  const std::string& key = op.idempotency_key;
  if (key.empty() || !s.lookup.present || s.canonical == "jmap-email")
    throw accord::Error(ACCORD_UNSUPPORTED, "stream " + s.name + " cannot look an idempotency key up without writing");
  // Where the CRM keeps no key (no external_id: HighLevel's notes and
  // tasks), find_earlier finds a record by its content: a resend may take
  // that for its own, but a look-up whose "found" can lead the host to
  // delete the record (a kept create whose source was deleted) must not
  // take a user's look-alike record for the one the create made.
  if (s.external_id.empty())
    throw accord::Error(ACCORD_UNSUPPORTED, "stream " + s.name + " keeps no idempotency key in the CRM: a look-up "
                                            "by content could take a look-alike record for the one a create made");
  Vars vars = op_vars(s, op);
  json::value native = op_native(s, op);
  std::string pid;
  if (s.parent.present) {
    pid = scalar_text(at_ptr(native, s.parent.field));
    if (pid.empty()) throw accord::Error(ACCORD_UNSUPPORTED, "stream " + s.name + ": no parent to look under");
    vars[s.parent.var] = json::value(pid);
  }
  if (auto found = find_earlier(s, key, vars, native, pid, accord::kit::resend_time(op), false)) return *found;
  if (s.lookup.path.find("search") != std::string::npos && search_settled(s, op).empty())
    throw accord::Error(ACCORD_RETRY, "stream " + s.name + ": its search may not show a record made since " +
                                          op.sent_at.value_or("just now") + " yet");
  Result r = Result::failed("not_found", "no " + s.name + " record holds the key " + key);
  return r;
}

Result CrmRest::apply_one(const StreamSpec& s, const Op& op) {
  const std::string& kind = op.op;
  const std::string& id = op.id;
  const std::string& key = op.idempotency_key;
  if (kind == "create" && op.find_only) return find_only(s, op);
  // a message logged on a contact: its contact and conversation first (email_messages.cpp)
  if (s.canonical == "jmap-email" && kind == "create" && s.email_api == "salesforce") return create_sf_email(s, op);  // salesforce_messages.cpp
  if (s.canonical == "jmap-email" && s.email_api == "hubspot" && kind == "create") return create_hubspot_email(s, op);
  if (s.canonical == "jmap-email" && kind == "create") return create_email(s, op);
  Vars vars = op_vars(s, op);
  json::value native = kind == "delete" ? json::value() : op_native(s, op);
  std::string pid;  // a nested stream's parent
  if (s.parent.present) {
    if (kind == "create") {
      pid = scalar_text(at_ptr(native, s.parent.field));
      if (pid.empty())
        throw accord::Error(ACCORD_ERROR, "stream " + s.name + ": a new record needs the id of its " + s.parent.stream +
                                              " at " + s.parent.field + " (the " + s.parent.stream + " it belongs to)");
      vars[s.parent.var] = json::value(pid);
    } else {
      nested_id(s, id, vars);
      pid = scalar_text(&vars.at(s.parent.var));
    }
  }
  if (kind == "delete") {
    if (!s.del.present) throw accord::Error(ACCORD_UNSUPPORTED, "stream " + s.name + " has no delete endpoint");
    auto hdr = version_headers(s, op);
    Answer a = rest_.call(s.del, vars, {404, 410}, hdr);
    (void)a;  // 404/410: already gone, which is what was asked
    return Result::ok(id);
  }
  if (kind == "update") {
    if (!s.update.present) throw accord::Error(ACCORD_UNSUPPORTED, "stream " + s.name + " has no update endpoint");
    auto hdr = version_headers(s, op);
    vars["data"] = std::move(native);
    Answer a = rest_.call(s.update, vars, {}, hdr);
    return written(s, s.update, a, id, pid);
  }
  if (kind != "create") throw accord::Error(ACCORD_ERROR, "unknown op \"" + kind + "\"");
  if (!key.empty() && s.upsert.present) {  // the server finds the key itself (it is in the path or body template)
    if (op.resend)  // what an earlier try made, as it is now: never written over (review s13 L4)
      if (auto found = find_upserted(s, op, vars, native, pid)) return *found;
    // a key in the path stays out of the body (Salesforce: "Do not specify
    // Id or an external ID field in the request body")
    if (s.upsert.path.find("{key}") != std::string::npos && !s.external_id.empty()) erase_ptr(native, s.external_id);
    vars["data"] = std::move(native);
    try {
      Answer a = rest_.call(s.upsert, vars);
      return written(s, s.upsert, a, "");
    } catch (const accord::kit::MaybeWritten&) {
      throw;
    } catch (const accord::Error& e) {
      // An upsert answered RETRY may have been done (its answers lost, the
      // connector's own second try too): kept by the host as a create that
      // may have made its record, and sent again as a resend, which looks
      // first (find_upserted) instead of writing the first try's data over
      // an edit made since (review s13 L4; before, a plain retry, and the
      // next run's fresh create upserted over it and copied the record back
      // as a second one)
      if (e.status() != ACCORD_RETRY) throw;
      throw accord::kit::MaybeWritten(std::string(e.what()) + "; it is looked for before it is sent again",
                                      std::max<int64_t>(e.retry_after_ms(), 5000));
    }
  }
  if (op.resend)  // find a record an earlier try made (a fresh key has none)
    if (auto found = find_earlier(s, key, vars, native, pid, accord::kit::resend_time(op), false)) return *found;
  if (!s.create.present) throw accord::Error(ACCORD_UNSUPPORTED, "stream " + s.name + " has no create endpoint");
  vars["data"] = native;
  const int64_t sent = accord::kit::now_ms();
  try {
    Answer a = rest_.call(s.create, vars);
    return written(s, s.create, a, "", pid);
  } catch (const LostAnswer& e) {
    return after_lost_create(s, key, vars, native, pid, e.what(), accord::kit::call_time(sent));
  }
}

// A resend of a create that upserts (review s13 L4): the upsert would write
// the first try's data over the record that try made or updated, and so over
// an edit made in the CRM since. So it looks first: by the key where the CRM
// keeps one (lookup, external_id: Salesforce's), else for the record an
// upsert of the same value would update (upsert_lookup by upsert_match:
// HighLevel's email). Found: answered with its data, nothing written (the
// host carries an edit made there since to the other side). Not found, or
// found untouched since before the first try could have reached it (its
// modified time before the try's time, less the clocks' skew: the try never
// updated it): nullopt, and the upsert goes as a first try would.
std::optional<Result> CrmRest::find_upserted(const StreamSpec& s, const Op& op, const Vars& vars, const json::value& native,
                                             const std::string& pid) {
  const accord::kit::TryTime when = accord::kit::resend_time(op);
  if (s.lookup.present && !s.external_id.empty())
    return find_earlier(s, op.idempotency_key, vars, native, pid, when, false);
  if (!s.upsert_lookup.present) return std::nullopt;
  const json::value* want = at_ptr(native, s.upsert_match);
  std::string value = accord::ascii_lower(scalar_text(want));
  if (value.empty()) return std::nullopt;  // (an upsert without that field matches by another: not looked for)
  Vars v = vars;
  v["match"] = *want;
  Answer a = rest_.call(s.upsert_lookup, v, {404});
  if (a.status == 404) return std::nullopt;
  const json::value* recs = at_ptr(a.body, s.upsert_lookup.records);
  std::vector<const json::value*> hits;
  auto take = [&](const json::value& rv) {
    if (rv.is_object() && accord::ascii_lower(scalar_text(at_ptr(rv, s.upsert_match))) == value) hits.push_back(&rv);
  };
  if (recs && recs->is_array())
    for (const auto& rv : recs->get_array()) take(rv);
  else if (recs)
    take(*recs);
  if (hits.empty()) return std::nullopt;
  if (hits.size() > 1)
    throw accord::Error(ACCORD_ERROR, "stream " + s.name + ": " + std::to_string(hits.size()) + " records hold " +
                                          s.upsert_match + " " + scalar_text(want) +
                                          ", which a lost create's try may have updated: which one cannot be told, "
                                          "so nothing is written; merge them in the CRM");
  const json::value& hit = *hits.front();
  if (const json::value* m = s.modified.empty() ? nullptr : at_ptr(hit, s.modified); m && when.from_ms)
    if (auto at = accord::utc::parse_time_ms(*m); at && *at < *when.from_ms) return std::nullopt;
  Record r = to_record(s, hit);
  host().log(ACCORD_LOG_INFO, ("crm-rest: a resent " + s.name + " create found the record an earlier try made or "
                               "updated (" + r.id + "); nothing written over it").c_str());
  return with_data(Result::ok(pid.empty() ? r.id : pid + "/" + r.id, r.version), to_data(s, hit));
}

// The record an earlier try of this create made, found through the
// stream's lookup (nullopt: none, or the stream cannot look). Only a
// record that carries the key counts: some APIs ignore a filter on a field
// no record has yet and answer everything. Without an external-id field
// (HighLevel's notes), a record with exactly this content under the same
// parent is taken for the earlier try only when it is the one made in the
// try's time `when` (the stream's `created` time; kit::made_by_try): a
// user's look-alike made before is not (review s11 F6: it was taken, linked
// and deleted with the create's source), and with several, or no creation
// time to tell by, none is taken: a retry (MaybeWritten `after_loss`), the
// create waits.
std::optional<Result> CrmRest::find_earlier(const StreamSpec& s, const std::string& key, const Vars& vars,
                                            const json::value& native, const std::string& pid,
                                            const accord::kit::TryTime& when, bool after_loss) {
  if (key.empty() || !s.lookup.present) return std::nullopt;
  // a lookup by key in the path (Salesforce's sObject Rows by External ID)
  // answers the one record, or 404 when there is none
  Answer a = rest_.call(s.lookup, vars, {404});
  if (a.status == 404) return std::nullopt;
  const json::value* recs = at_ptr(a.body, s.lookup.records);
  // compared as the create sends it (its fields and defaults)
  auto sent = [&](json::value d) {
    shape_record(s.create, d);
    return d;
  };
  json::value want = s.external_id.empty() ? sent(to_data(s, native)) : json::value();
  auto is_it = [&](const json::value& rv) {
    return rv.is_object() &&
           (s.external_id.empty() ? sent(to_data(s, rv)) == want : scalar_text(at_ptr(rv, s.external_id)) == key);
  };
  std::vector<const json::value*> alike;
  if (recs && recs->is_array()) {
    for (const auto& rv : recs->get_array())
      if (is_it(rv)) alike.push_back(&rv);
  } else if (recs && is_it(*recs)) {
    alike.push_back(recs);
  }
  if (alike.empty()) return std::nullopt;
  const json::value* hit = alike.front();  // by key: the record carrying it
  if (s.external_id.empty()) {  // by content: the one made in the try's time, if any
    std::vector<std::optional<int64_t>> made;
    for (const json::value* rv : alike) {
      const json::value* at = s.created.empty() ? nullptr : at_ptr(*rv, s.created);
      made.push_back(at ? accord::utc::parse_time_ms(*at) : std::nullopt);
    }
    std::string what = json::serialize(want);
    if (what.size() > 80) what = what.substr(0, 77) + "...";
    what = s.name + " " + what;
    if (s.created.empty()) what += "; this stream's profile names no \"created\" field, so a record's is not known";
    auto one = accord::kit::made_by_try(made, when, after_loss, what);
    if (!one) return std::nullopt;
    hit = alike[*one];
  }
  Record r = to_record(s, *hit);
  return with_data(Result::ok(pid.empty() ? r.id : pid + "/" + r.id, r.version), to_data(s, *hit));
}

// A create was sent and its answer lost: the CRM may hold the record. It
// is looked for by its key; what cannot be found is not sent again here
// (a server may still be doing the first try), and what cannot be looked
// for is never answered "ok" with a guessed id: RETRY marked maybe_written,
// and the host's resend ("resend": true) looks again first.
Result CrmRest::after_lost_create(const StreamSpec& s, const std::string& key, const Vars& vars, const json::value& native,
                                  const std::string& pid, const std::string& what, const accord::kit::TryTime& when) {
  if (key.empty() || !s.lookup.present)
    throw accord::Error(ACCORD_ERROR, what + "; stream " + s.name + " has no lookup to find a record by its "
                                               "idempotency key, so it is not sent again: check the CRM for it "
                                               "(the stream's lookup endpoint would let Accord do that)");
  std::optional<Result> found;
  try {
    found = find_earlier(s, key, vars, native, pid, when, true);
  } catch (const accord::kit::MaybeWritten&) {
    throw;  // look-alikes, none of which can be told its (kit::made_by_try)
  } catch (const accord::Error& e) {
    if (e.status() == ACCORD_CANCELLED || e.status() == ACCORD_AUTH_REQUIRED) throw;
    throw accord::kit::MaybeWritten(what + "; looking for the record by its idempotency key failed too (" + e.what() +
                                    "): it is looked for again before it is sent again", 5000);
  }
  if (!found)
    throw accord::kit::MaybeWritten(what + "; no record carries its idempotency key yet: it is looked for "
                                           "again before it is sent again", 5000);
  host().log(ACCORD_LOG_INFO, ("crm-rest: the answer to a " + s.name + " create was lost; the record it made was "
                               "found by its idempotency key (" + found->id + ")").c_str());
  return *found;
}

}  // namespace crm
