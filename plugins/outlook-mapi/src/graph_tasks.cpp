// SPDX-License-Identifier: Apache-2.0
// The graph backend's task stream (graph_backend.hpp): Microsoft To Do lists
// (todo-list-lists.md), per-list delta (todotask-delta.md), each task with
// its checklist items (todotask-list-checklistitems.md). A create carries
// the idempotency key as a linkedResource's externalId (linkedresource.md:
// "the id of the object that is associated with this task on the
// third-party/partner system"); a resend looks for it among the list's
// tasks with their linkedResources expanded. Ids are To Do's (tasks keep
// theirs; a task is written through the list it is in, found again when
// the cursor's folder list does not say).
#include "graph_backend.hpp"
#include "todo_map.hpp"

#include <accord/json/lenient.hpp>
#include <accord/net/http_client.hpp>

#include <algorithm>

namespace json = boost::json;
using accord::json_read::arr;
using accord::json_read::str;
using accord::kit::Op;
using accord::kit::Result;
using accord::net::url_encode;

namespace outlook::graph {

namespace {

std::string tasks_path(const std::string& list) { return "/me/todo/lists/" + url_encode(list) + "/tasks"; }

std::string link_key(const json::object& t) { return kept_key(t, "linkedResources", "applicationName", kLinkApp, "externalId"); }

}  // namespace

// The configured lists by id: "defaultList" (the list To Do makes, by its
// wellknownListName), an id, or a display name.
const std::vector<Backend::Folder>& Backend::task_lists() {
  if (task_lists_) return *task_lists_;
  json::array all;
  each_page("/me/todo/lists", [&](const json::array& v) {
    for (const auto& x : v) all.push_back(x);
    return false;
  });
  std::vector<Folder> out;
  for (const std::string& want : s_.task_lists) {
    std::string id;
    for (const auto& x : all)
      if (const json::object* l = x.if_object();
          l && (str(*l, "id") == want || str(*l, "wellknownListName") == want || str(*l, "displayName") == want)) {
        id = str(*l, "id");
        break;
      }
    if (id.empty())
      throw accord::Error(ACCORD_ERROR, "task_lists: To Do has no list \"" + want + "\" (give \"defaultList\", a list's "
                                        "id or its display name)");
    out.push_back(Folder{id, tasks_path(id) + "/delta"});
  }
  task_lists_ = std::move(out);
  return *task_lists_;
}

std::vector<json::object> Backend::checklist(const std::string& list, const std::string& task, const json::object* first) {
  std::vector<json::object> out;
  each_page(tasks_path(list) + "/" + url_encode(task) + "/checklistItems", [&](const json::array& v) {
    for (const auto& x : v)
      if (x.is_object()) out.push_back(x.get_object());
    return false;
  }, first);
  return out;
}

json::object Backend::task_record(const std::string& list, json::object t) {
  std::vector<json::object> items;
  if (const json::array* inline_items = arr(t, "checklistItems")) {
    for (const auto& x : *inline_items)
      if (x.is_object()) items.push_back(x.get_object());
  } else {
    items = checklist(list, str(t, "id"));
  }
  json::object rec{{"id", str(t, "id")}, {"version", etag_of(t)}, {"data", todo::to_task(t, items)}};
  if (std::string m = str(t, "lastModifiedDateTime"); !m.empty()) rec["modified"] = m;
  if (std::string k = link_key(t); !k.empty()) rec["idempotency_key"] = k;
  return rec;
}

std::string Backend::read_tasks(const json::object& c, bool fresh) {
  const std::vector<Folder>& lists = task_lists();
  size_t at = 0;
  if (auto* v = c.if_contains("at"); v && v->is_int64() && v->get_int64() >= 0) at = static_cast<size_t>(v->get_int64());
  // the list read_delta reads: the cursor's lists in its order, then those added since
  std::vector<std::string> order;
  if (const json::value* f = fresh ? nullptr : c.if_contains("folders"); f && f->is_array())
    for (const auto& v : f->get_array())
      if (v.is_string()) order.emplace_back(v.get_string());
  for (const Folder& l : lists)
    if (std::find(order.begin(), order.end(), l.id) == order.end()) order.push_back(l.id);
  const std::string list = at < order.size() ? order[at] : "";
  return read_delta("task", c, fresh, lists, [&](const json::array& items, bool full) {
    json::array records;
    for (const auto& v : items) {
      if (!v.is_object()) continue;
      const json::object& t = v.get_object();
      if (str(t, "id").empty()) continue;
      if (t.contains("@removed")) {
        if (!full) records.push_back(json::object{{"id", str(t, "id")}, {"deleted", true}});
        continue;
      }
      owner_.throw_if_cancelled();
      task_list_[str(t, "id")] = list;
      records.push_back(task_record(list, t));
    }
    return records;
  });
}

// The list a task is in (To Do writes a task through its list): the only
// one, the one it was read or looked up in, else each list asked.
std::string Backend::list_of(const std::string& task_id) {
  if (task_lists().size() == 1) return task_lists().front().id;
  if (auto it = task_list_.find(task_id); it != task_list_.end()) return it->second;
  for (const Folder& l : task_lists())
    if (get_one(tasks_path(l.id) + "/" + url_encode(task_id) + "?$select=id")) return task_list_[task_id] = l.id;
  return "";
}

// The lists of the tasks the updates and deletes of `ops` name, when several
// lists are synced and a task's list is not known yet: each list asked for
// each task (GET …/tasks/{id}?$select=id, todotask-get.md), all of them in
// one post_batches call; the list that has it is kept in task_list_. A task
// no list has is gone: its delete is done, its update an error; a look-up
// that failed (429) is that op's result.
void Backend::find_task_lists(const std::vector<Op>& ops, std::vector<std::optional<Result>>& done) {
  if (task_lists().size() == 1) return;
  std::vector<BatchRequest> reqs;
  std::vector<std::string> list_at;  // the list reqs[k] asks
  for (size_t i = 0; i < ops.size(); ++i)
    if (!done[i] && (ops[i].is_update() || ops[i].is_delete()) && !task_list_.count(ops[i].id))
      for (const Folder& l : task_lists()) {
        reqs.push_back(BatchRequest{i, "GET", tasks_path(l.id) + "/" + url_encode(ops[i].id) + "?$select=id", std::nullopt});
        list_at.push_back(l.id);
      }
  std::map<size_t, Result> failed;
  post_batches(reqs, true, [&](size_t k, const BatchAnswer& e) {
    const Op& op = ops[reqs[k].op];
    if (e.a.ok()) task_list_[op.id] = list_at[k];
    else if (e.a.status != 404) failed.emplace(reqs[k].op, entry_failure(op, reqs[k], e, "task"));
  }, [&](size_t k, Unanswered how) { failed.emplace(reqs[k].op, unanswered_result(ops[reqs[k].op], how)); });
  for (const BatchRequest& r : reqs) {
    const Op& op = ops[r.op];
    if (done[r.op] || task_list_.count(op.id)) continue;
    if (auto f = failed.find(r.op); f != failed.end()) done[r.op] = f->second;
    else if (op.is_delete()) done[r.op] = Result::ok(op.id);
    else done[r.op] = Result::error("task " + op.id + " is no longer in the configured To Do lists", op.id);
  }
}

// The task an earlier try of a create made: the one of the list whose
// Accord linkedResource holds the key.
std::optional<json::object> Backend::find_task(const std::string& list, const std::string& key) {
  if (key.empty()) return std::nullopt;
  std::optional<json::object> found;
  each_page(tasks_path(list) + "?$expand=linkedResources", [&](const json::array& v) {
    for (const auto& x : v)
      if (x.is_object() && link_key(x.get_object()) == key) {
        found = x.get_object();
        return true;
      }
    return false;
  });
  return found;
}

// The task's checklist made as the record says: items matched by title keep
// their ids (checked state patched), the others added or deleted.
void Backend::write_checklist(const std::string& list, const std::string& task, const json::object& data) {
  std::vector<json::object> want = todo::checklist_of(data), have = checklist(list, task);
  const std::string base = tasks_path(list) + "/" + url_encode(task) + "/checklistItems";
  std::vector<bool> used(have.size(), false);
  for (const json::object& w : want) {
    owner_.throw_if_cancelled();
    size_t i = 0;
    while (i < have.size() && (used[i] || str(have[i], "displayName") != str(w, "displayName"))) ++i;
    if (i < have.size()) {
      used[i] = true;
      if (have[i].if_contains("isChecked") && have[i].at("isChecked") == w.at("isChecked")) continue;
      std::string p = base + "/" + url_encode(str(have[i], "id"));
      Answer a = client_.call("PATCH", p, json::serialize(json::object{{"isChecked", w.at("isChecked")}}), {}, true);
      if (!a.ok()) unusable("PATCH", p, a);
      continue;
    }
    Answer a = client_.call("POST", base, json::serialize(w));
    if (!a.ok()) unusable("POST", base, a);
  }
  for (size_t i = 0; i < have.size(); ++i)
    if (!used[i]) {
      std::string p = base + "/" + url_encode(str(have[i], "id"));
      Answer a = client_.call("DELETE", p, "", {}, true);
      if (!a.ok() && a.status != 404) unusable("DELETE", p, a);
    }
}

namespace {

// A new task's body: what it has, its key in a linkedResource, its checklist inline
// (todotasklist-post-tasks.md: "checklistItems" and "linkedResources" may come with the task).
json::object task_body(const Op& op, json::object body) {
  for (auto it = body.begin(); it != body.end();) it = it->value().is_null() ? body.erase(it) : it + 1;
  if (!op.idempotency_key.empty())
    body["linkedResources"] = json::array{json::object{
        {"applicationName", kLinkApp}, {"displayName", "Accord"}, {"externalId", op.idempotency_key}}};
  if (auto items = todo::checklist_of(op.data); !items.empty()) {
    json::array a;
    for (auto& i : items) a.push_back(std::move(i));
    body["checklistItems"] = std::move(a);
  }
  return body;
}

// Whether `have` (Graph's checklist items) is the checklist `want` (checklist_of), as a set of titles with their state.
bool same_checklist(std::vector<json::object> want, const std::vector<json::object>& have) {
  if (want.size() != have.size()) return false;
  for (const json::object& h : have) {
    auto it = std::find_if(want.begin(), want.end(), [&](const json::object& w) {
      return str(w, "displayName") == str(h, "displayName") && h.if_contains("isChecked") && h.at("isChecked") == w.at("isChecked");
    });
    if (it == want.end()) return false;
    want.erase(it);
  }
  return true;
}

}  // namespace

// Task writes through $batch (Backend::send_batch): creates go to the first
// list with their key and checklist inline (a lost answer: each looked for
// by its key, never sent again blind); updates and deletes through the
// task's list (find_task_lists, when several lists are synced). After the
// updates, their checklists are read together and written only where they
// differ from the record's.
void Backend::batch_tasks(const std::vector<Op>& ops, std::vector<std::optional<Result>>& done) {
  const std::string first = task_lists().front().id;
  find_task_lists(ops, done);
  std::vector<BatchRequest> creates, updates, deletes;
  for (size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    if (done[i] || (op.is_create() && op.resend)) continue;
    std::string list = op.is_create() ? first : list_of(op.id);  // known now: no request
    if (op.is_delete()) {
      deletes.push_back(BatchRequest{i, "DELETE", tasks_path(list) + "/" + url_encode(op.id), std::nullopt});
      continue;
    }
    json::object body;
    try {
      body = todo::to_graph(op.data);
    } catch (const std::invalid_argument&) {
      continue;  // said by apply_task
    }
    if (op.is_create()) creates.push_back(BatchRequest{i, "POST", tasks_path(first), task_body(op, std::move(body))});
    else updates.push_back(BatchRequest{i, "PATCH", tasks_path(list) + "/" + url_encode(op.id), std::move(body)});
  }
  auto record_result = [&](const std::string& list, const std::string& id, const json::object& t) {
    json::object rec = task_record(list, t);
    Result r = Result::ok(id, str(rec, "version"));
    r.data = rec.at("data").as_object();
    return r;
  };
  send_batch(ops, std::move(creates), done, "task", [&](const Op&, const Answer& e) {
    if (!e.body.is_object() || str(e.body.get_object(), "id").empty())
      throw accord::Error(ACCORD_RETRY, "a task was made; To Do's answer had no task", 5000);
    return record_result(first, str(e.body.get_object(), "id"), e.body.get_object());
  }, [&](const Op& op) -> std::optional<Result> {
    if (auto found = find_task(first, op.idempotency_key)) return record_result(first, str(*found, "id"), *found);
    return std::nullopt;
  });
  // updates and deletes together; To Do's answer to each PATCH kept until its checklist is read
  for (BatchRequest& d : deletes) updates.push_back(std::move(d));
  std::map<size_t, json::object> patched;
  send_batch(ops, std::move(updates), done, "task", [&](const Op& op, const Answer& e) {
    if (op.is_delete()) return Result::ok(op.id);
    if (!e.body.is_object()) throw accord::Error(ACCORD_RETRY, "task " + op.id + " was written; To Do's answer had no task", 5000);
    patched[static_cast<size_t>(&op - ops.data())] = e.body.get_object();
    return Result::ok(op.id);
  });
  std::vector<BatchRequest> reads;
  for (const auto& [i, t] : patched)
    reads.push_back(BatchRequest{i, "GET", tasks_path(list_of(ops[i].id)) + "/" + url_encode(ops[i].id) + "/checklistItems", std::nullopt});
  post_batches(reads, true, [&](size_t k, const BatchAnswer& e) {
    const size_t i = reads[k].op;
    const Op& op = ops[i];
    const std::string list = list_of(op.id);
    try {
      if (!e.a.ok() || !e.a.body.is_object()) {
        done[i] = entry_failure(op, reads[k], e, "task");
        return;
      }
      std::vector<json::object> have = checklist(list, op.id, &e.a.body.get_object());
      if (same_checklist(todo::checklist_of(op.data), have)) {
        json::object t = patched[i];
        json::array items;
        for (auto& h : have) items.push_back(std::move(h));
        t["checklistItems"] = std::move(items);
        done[i] = record_result(list, op.id, t);
        return;
      }
      write_checklist(list, op.id, op.data);
      auto now = get_one(tasks_path(list) + "/" + url_encode(op.id));
      if (!now) throw accord::Error(ACCORD_RETRY, "task " + op.id + " was written but cannot be read back yet", 5000);
      done[i] = record_result(list, op.id, *now);
    } catch (...) {
      done[i] = accord::kit::failure(op);
    }
  }, [&](size_t k, Unanswered how) { done[reads[k].op] = unanswered_result(ops[reads[k].op], how); });
}

Result Backend::apply_task(const Op& op) {
  json::object body;
  if (!op.is_delete()) {
    try {
      body = todo::to_graph(op.data);
    } catch (const std::invalid_argument& e) {
      return Result::failed("unsupported", std::string("To Do cannot keep this task: ") + e.what());
    }
  }
  std::string list = op.is_create() ? task_lists().front().id : list_of(op.id);
  if (op.is_create()) {
    std::optional<json::object> found;
    if (op.resend) found = find_task(list, op.idempotency_key);
    if (!found) {
      json::object create = task_body(op, body);
      Answer a;
      try {
        a = client_.call("POST", tasks_path(list), json::serialize(create));
      } catch (const LostAnswer& e) {
        if (!(found = accord::kit::looking_after_loss([&] { return find_task(list, op.idempotency_key); })))
          throw accord::kit::MaybeWritten(std::string(e.what()) + "; no task carries its idempotency key yet: it is "
                                                                  "looked for again before it is sent again", 5000);
      }
      if (!found) {
        if (!a.ok() || !a.body.is_object()) unusable("POST", tasks_path(list), a);
        found = a.body.get_object();
      }
    }
    std::string id = str(*found, "id");
    auto now = get_one(tasks_path(list) + "/" + url_encode(id) + "?$expand=linkedResources");
    if (!now) throw accord::Error(ACCORD_RETRY, "task " + id + " was written but cannot be read back yet", 5000);
    json::object rec = task_record(list, *now);
    Result r = Result::ok(id, str(rec, "version"));
    r.data = rec.at("data").as_object();
    return r;
  }
  if (list.empty()) {
    if (op.is_delete()) return Result::ok(op.id);
    throw accord::Error(ACCORD_ERROR, "task " + op.id + " is no longer in the configured To Do lists");
  }
  std::string path = tasks_path(list) + "/" + url_encode(op.id);
  if (op.is_delete()) {
    Answer a = client_.call("DELETE", path, "", if_match(op), true);
    if (a.ok() || a.status == 404) return Result::ok(op.id);
    if (a.status == 412) return Result::conflict(failure(ACCORD_CONFLICT, "DELETE", path, a).what(), op.id);
    unusable("DELETE", path, a);
  }
  Answer a = client_.call("PATCH", path, json::serialize(body), if_match(op), true);
  if (a.status == 412) return Result::conflict(failure(ACCORD_CONFLICT, "PATCH", path, a).what(), op.id);
  if (a.status == 404) throw accord::Error(ACCORD_ERROR, "task " + op.id + " is no longer in To Do");
  if (!a.ok()) unusable("PATCH", path, a);
  write_checklist(list, op.id, op.data);
  auto now = get_one(path);
  if (!now) throw accord::Error(ACCORD_RETRY, "task " + op.id + " was written but cannot be read back yet", 5000);
  json::object rec = task_record(list, *now);
  Result r = Result::ok(op.id, str(rec, "version"));
  r.data = rec.at("data").as_object();
  return r;
}

}  // namespace outlook::graph
