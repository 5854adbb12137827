// SPDX-License-Identifier: Apache-2.0
// Writing through batch endpoints: ops sorted into batches, results matched
// back by order or by key, versions read in bulk; what a batch refuses is
// left for one-by-one (write_ops.cpp), so one bad record fails alone.
#include "crm_rest_p.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace crm {

// Sorts the ops the stream's batch endpoints can take into batches; what
// they cannot (a create that must look for an earlier try, an If-Match
// check) is left for one-by-one.
void CrmRest::apply_batches(const StreamSpec& s, const std::vector<Op>& ops, std::vector<std::optional<Result>>& out) {
  const Batch& b = s.batch;
  std::vector<size_t> upserts, creates, updates, deletes;
  for (size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    if (op.find_only) continue;  // a look-up, never a write: one by one (find_only)
    const std::string& kind = op.op;
    bool key = !op.idempotency_key.empty();
    bool checked = !op.expect_version.value_or("").empty() && s.version_check != "none";
    bool checkable = !checked || (s.version_check == "read-compare" && b.read.present);
    if (kind == "create" && key && b.upsert.present) upserts.push_back(i);
    else if (kind == "create" && b.create.present && !(key && op.resend && s.lookup.present)) creates.push_back(i);
    else if (kind == "update" && b.update.present && checkable) updates.push_back(i);
    else if (kind == "delete" && b.del.present && checkable) deletes.push_back(i);
  }
  auto run = [&](const BatchOp& bo, const std::vector<size_t>& idx, const char* kind) {
    for (size_t at = 0; at < idx.size(); at += b.size) {
      throw_if_cancelled();
      std::vector<size_t> chunk(idx.begin() + at, idx.begin() + std::min(idx.size(), at + b.size));
      run_batch(s, bo, ops, chunk, kind, out);
    }
  };
  run(b.upsert, upserts, "create");
  run(b.create, creates, "create");
  run(b.update, updates, "update");
  run(b.del, deletes, "delete");
}

// Reads many records by id through the batch read endpoint.
std::map<std::string, Record> CrmRest::read_many(const StreamSpec& s, const std::vector<std::string>& ids) {
  std::map<std::string, Record> got;
  const BatchOp& r = s.batch.read;
  for (size_t at = 0; at < ids.size(); at += s.batch.size) {
    std::vector<std::string> chunk(ids.begin() + at, ids.begin() + std::min(ids.size(), at + s.batch.size));
    Vars v = base_vars(s);
    json::array items, id_list;
    std::string joined;
    for (const auto& id : chunk) {
      Vars iv = v;
      iv["id"] = json::value(id);
      items.push_back(fill(r.item, iv));
      id_list.emplace_back(id);
      joined += (joined.empty() ? "" : ",") + id;
    }
    v["items"] = std::move(items);
    v["id_list"] = std::move(id_list);
    v["ids"] = json::value(joined);
    Answer a = rest_.call(r.req, v);
    const json::value* recs = at_ptr(a.body, r.results);
    if (recs && recs->is_array())
      for (const auto& rv : recs->get_array())
        if (rv.is_object()) {  // Salesforce answers null for an id it does not have
          Record rec = to_record(s, rv);
          got.emplace(rec.id, std::move(rec));
        }
  }
  return got;
}

void CrmRest::run_batch(const StreamSpec& s, const BatchOp& b, const std::vector<Op>& ops, const std::vector<size_t>& idx,
                        const std::string& kind, std::vector<std::optional<Result>>& out) {
  auto fail = [&](size_t i, const char* status, const std::string& message) {
    out[i] = Result::failed(status, message, ops[i].id);
  };
  // read-compare: one batch read for the lot, conflicts answered here
  std::vector<size_t> go;
  if (kind != "create" && s.version_check == "read-compare") {
    std::vector<std::string> ids;
    for (size_t i : idx)
      if (!ops[i].expect_version.value_or("").empty()) ids.push_back(ops[i].id);
    std::map<std::string, Record> now;
    try {
      if (!ids.empty()) now = read_many(s, ids);
    } catch (const accord::Error& e) {
      if (e.status() != ACCORD_ERROR) throw_or_retry(e, idx, out);
      return;  // an ERROR: one by one
    }
    for (size_t i : idx) {
      std::string id = ops[i].id, expect = ops[i].expect_version.value_or("");
      auto it = now.find(id);
      if (expect.empty()) go.push_back(i);
      else if (it == now.end()) {
        if (kind == "delete") out[i] = Result::ok(id);  // already gone, as asked
        else fail(i, "conflict", "record " + id + " is gone from the server");
      } else if (it->second.version != expect)
        fail(i, "conflict", "record " + id + " changed on the server (version " + it->second.version + ", expected " + expect + ")");
      else go.push_back(i);
    }
  } else {
    go = idx;
  }
  if (go.empty()) return;

  Vars v = base_vars(s);
  json::array items, id_list;
  std::string ids, keys;
  for (size_t i : go) {
    const Op& op = ops[i];
    Vars iv = op_vars(s, op);
    if (kind != "delete") iv["data"] = op_native(s, op);
    json::value item = fill(b.item, iv);
    for (const auto& [ptr, t] : b.item_set) set_ptr(item, ptr, fill(t, iv));
    items.push_back(std::move(item));
    id_list.emplace_back(ops[i].id);
    ids += (ids.empty() ? "" : ",") + ops[i].id;
    keys += (keys.empty() ? "" : ",") + ops[i].idempotency_key;
  }
  v["items"] = std::move(items);
  v["id_list"] = std::move(id_list);
  v["ids"] = json::value(ids);
  v["keys"] = json::value(keys);
  Answer a;
  const int64_t sent = accord::kit::now_ms();
  try {
    a = rest_.call(b.req, v);
  } catch (const LostAnswer& e) {
    // a create batch whose answer was lost: each record is looked for
    for (size_t i : go) {
      const Op& op = ops[i];
      try {
        out[i] = after_lost_create(s, op.idempotency_key, op_vars(s, op), op_native(s, op), "", e.what(),
                                   accord::kit::call_time(sent));
      } catch (...) {
        out[i] = accord::kit::failure(op);
      }
    }
    return;
  } catch (const accord::Error& e) {
    if (e.status() != ACCORD_ERROR && e.status() != ACCORD_CONFLICT) throw_or_retry(e, go, out);
    host().log(ACCORD_LOG_WARN, ("crm-rest: the " + kind + " batch of " + std::to_string(go.size()) + " " + s.name +
                                 " records was refused (" + e.what() + "); sending them one by one").c_str());
    return;
  }

  // match results to ops
  const json::value* res = b.has_results && !a.body.is_null() ? at_ptr(a.body, b.results) : nullptr;
  std::map<std::string, const json::value*> by;
  if (res && res->is_array() && b.match != "order")
    for (const auto& r : res->get_array()) by[scalar_text(at_ptr(r, b.match))] = &r;
  std::set<std::string> named_in_errors;
  if (!b.errors.empty() && !a.body.is_null())
    if (auto* errs = at_ptr(a.body, b.errors); errs && errs->is_array())
      for (const auto& e : errs->get_array())
        if (auto* m = at_ptr(e, b.error_match)) {
          if (m->is_array())
            for (const auto& x : m->get_array()) named_in_errors.insert(scalar_text(&x));
          else
            named_in_errors.insert(scalar_text(m));
        }

  std::vector<std::pair<size_t, std::string>> need_version;
  for (size_t k = 0; k < go.size(); ++k) {
    size_t i = go[k];
    std::string mv = kind == "create" ? ops[i].idempotency_key : ops[i].id;
    if (!b.has_results) {  // a 2xx answer without per-record results: all done
      if (kind == "delete") out[i] = Result::ok(mv);
      else if (kind == "update") {
        out[i] = Result::ok(mv);
        need_version.emplace_back(i, mv);
      } else {
        fail(i, "retry", "the create batch answered without ids; the record is looked for on the next try");
        out[i]->maybe_written = true;  // it may have been made
      }
      continue;
    }
    const json::value* r = nullptr;
    if (res && res->is_array()) {
      if (b.match == "order") r = k < res->get_array().size() ? &res->get_array()[k] : nullptr;
      else if (auto it = by.find(mv); it != by.end()) r = it->second;
    }
    bool ok = r && r->is_object() && !named_in_errors.contains(mv);
    if (ok && !b.ok.empty()) {
      const json::value* f = at_ptr(*r, b.ok);
      ok = f && f->is_bool() && f->get_bool();
    }
    if (!ok) {
      // Not written: sent again alone, so that its own answer (a 404 that
      // means "already gone", a 5xx to retry, a message) decides. A plain
      // create not mentioned at all may have been made: the next try looks.
      if (kind == "create" && !r && !named_in_errors.contains(mv) && &b == &s.batch.create) {
        fail(i, "retry", "the create batch did not say what became of this record; it is looked for on the next try");
        out[i]->maybe_written = true;
      }
      else if (r && !b.error.empty())
        host().log(ACCORD_LOG_INFO, ("crm-rest: a " + s.name + " " + kind + " in a batch failed (" +
                                     scalar_text(at_ptr(*r, b.error)) + "); sending it alone").c_str());
      continue;
    }
    if (kind == "delete") {
      out[i] = Result::ok(ops[i].id);
      continue;
    }
    std::string id = scalar_text(at_ptr(*r, b.req.answer_id.empty() ? s.id : b.req.answer_id));
    if (id.empty()) id = ops[i].id;
    std::string version = s.version.empty() ? "" : scalar_text(at_ptr(*r, s.version));
    out[i] = Result::ok(id, version);
    // an answer that is the whole record is the record as the CRM holds it
    if (!version.empty()) out[i] = with_data(*out[i], to_data(s, *r));
    else need_version.emplace_back(i, id);
  }
  learn_versions(s, need_version, out);
}

// Versions for written records whose write answer held none: a batch read
// where there is one, else a GET each.
void CrmRest::learn_versions(const StreamSpec& s, const std::vector<std::pair<size_t, std::string>>& need,
                             std::vector<std::optional<Result>>& out) {
  if (need.empty() || (!s.batch.read.present && !s.get.present)) return;
  std::map<std::string, Record> got;
  std::vector<std::string> ids;
  for (const auto& [i, id] : need) ids.push_back(id);
  try {
    if (s.batch.read.present) got = read_many(s, ids);
    else
      for (const auto& id : ids) got.emplace(id, fetch_one(s, id));
  } catch (const accord::Error& e) {
    if (e.status() == ACCORD_CANCELLED || e.status() == ACCORD_AUTH_REQUIRED) throw;
    return;  // written all the same; the next read brings the version
  }
  for (const auto& [i, id] : need)
    if (auto it = got.find(id); it != got.end()) {
      out[i]->version = it->second.version;
      out[i] = with_data(*out[i], to_data(s, it->second.native));  // as the CRM holds it, for the host's base
    }
}

// A batch that could not be sent: a retry for each of its ops, or the end
// of the call (cancelled, credentials refused).
void CrmRest::throw_or_retry(const accord::Error& e, const std::vector<size_t>& idx, std::vector<std::optional<Result>>& out) {
  if (e.status() == ACCORD_CANCELLED || e.status() == ACCORD_AUTH_REQUIRED) throw e;
  for (size_t i : idx) {
    out[i] = Result::failed(accord::kit::status_name(e.status()), e.what());
    out[i]->retry_after_s = (e.retry_after_ms() + 999) / 1000;
  }
}

}  // namespace crm
