// SPDX-License-Identifier: Apache-2.0
// To Do task ⇄ JSCalendar Task (todo_map.hpp). Graph's shapes: todotask.md,
// checklistitem.md, datetimetimezone.md; JSCalendar's: RFC 8984 section 5.2.
#include "todo_map.hpp"

#include "event_map.hpp"

#include <accord/formats/windows_zones.hpp>
#include <accord/json/lenient.hpp>
#include <accord/time/utc_time.hpp>

#include <boost/json.hpp>

namespace json = boost::json;
using accord::json_read::arr;
using accord::json_read::obj;
using accord::json_read::str;
using accord::json_read::strings;

namespace outlook::todo {

namespace {

constexpr const char* kChecklist = "microsoft.com:checklistItems";  // a vendor property (RFC 8984 section 3.3)

// Graph's taskStatus ⇄ JSCalendar's progress.
constexpr std::pair<const char*, const char*> kStatus[] = {
    {"notStarted", "needs-action"}, {"inProgress", "in-process"}, {"completed", "completed"}, {"deferred", "cancelled"}};

// A dateTimeTimeZone as a local date-time and its zone.
void read_time(const json::object& t, const char* graph_key, const char* key, json::object& out, bool& zoned) {
  const json::object* v = obj(t, graph_key);
  if (!v) return;
  auto w = events::wall(str(*v, "dateTime"));
  if (!w) return;
  out[key] = accord::utc::format(*w, accord::utc::Form::kLocal);
  std::string z = str(*v, "timeZone");
  if (z.find('/') == std::string::npos)  // a Windows zone name
    if (auto i = accord::formats::zones::iana_from_windows(z)) z = *i;
  if (!z.empty() && z != "UTC" && z != "Etc/UTC" && !out.contains("timeZone")) {
    out["timeZone"] = z;
    zoned = true;
  }
}

}  // namespace

json::object to_task(const json::object& t, const std::vector<json::object>& checklist) {
  json::object task{{"@type", "Task"}};
  if (std::string s = str(t, "title"); !s.empty()) task["title"] = s;
  if (const json::object* b = obj(t, "body"))
    if (std::string c = str(*b, "content"); !c.empty()) task["description"] = c;
  bool zoned = false;
  read_time(t, "dueDateTime", "due", task, zoned);
  read_time(t, "startDateTime", "start", task, zoned);
  std::string status = str(t, "status");
  for (auto [g, p] : kStatus)
    if (status == g) task["progress"] = p;
  if (status == "waitingOnOthers") task["progress"] = "in-process";
  std::string imp = str(t, "importance");
  if (imp == "high") task["priority"] = 1;
  else if (imp == "low") task["priority"] = 9;
  if (std::vector<std::string> cats = strings(t, "categories"); !cats.empty()) {
    json::object kw;
    for (const std::string& k : cats) kw[k] = true;
    task["keywords"] = std::move(kw);
  }
  if (const json::object* rec = obj(t, "recurrence"))
    if (auto rule = events::rule_of(*rec)) task["recurrenceRules"] = json::array{std::move(*rule)};
  if (!checklist.empty()) {
    json::array items;
    for (const json::object& c : checklist) {
      bool checked = c.contains("isChecked") && c.at("isChecked").is_bool() && c.at("isChecked").get_bool();
      items.push_back(json::object{{"title", str(c, "displayName")}, {"checked", checked}});
    }
    task[kChecklist] = std::move(items);
  }
  return task;
}

json::object to_graph(const json::object& task) {
  json::object g;
  g["title"] = str(task, "title");
  g["body"] = json::object{{"contentType", "text"}, {"content", str(task, "description")}};
  std::string zone = str(task, "timeZone");
  auto dtz = [&](const char* key) -> json::value {
    auto w = events::wall(str(task, key));
    if (!w) return nullptr;
    return json::object{{"dateTime", accord::utc::format(*w, accord::utc::Form::kLocal)}, {"timeZone", zone.empty() ? "UTC" : zone}};
  };
  g["dueDateTime"] = dtz("due");
  g["startDateTime"] = dtz("start");
  std::string progress = str(task, "progress");
  g["status"] = "notStarted";
  for (auto [gs, p] : kStatus)
    if (progress == p) g["status"] = gs;
  if (progress == "failed") g["status"] = "deferred";
  int64_t prio = 0;
  if (auto* p = task.if_contains("priority"); p && p->is_int64()) prio = p->get_int64();
  g["importance"] = prio >= 1 && prio <= 4 ? "high" : prio >= 6 ? "low" : "normal";
  json::array cats;
  if (const json::object* kw = obj(task, "keywords"))
    for (const auto& [k, v] : *kw)
      if (v.is_bool() && v.get_bool()) cats.push_back(json::value(std::string(k)));
  g["categories"] = std::move(cats);
  g["recurrence"] = nullptr;
  if (const json::array* rules = arr(task, "recurrenceRules"); rules && !rules->empty() && rules->front().is_object()) {
    auto anchor = events::wall(str(task, "due"));
    if (!anchor) anchor = events::wall(str(task, "start"));
    if (!anchor) throw std::invalid_argument("To Do repeats a task from its due date: the task has none");
    g["recurrence"] = events::recurrence_of(rules->front().get_object(), *anchor, zone.empty() ? "UTC" : zone);
  }
  return g;
}

std::vector<json::object> checklist_of(const json::object& task) {
  std::vector<json::object> out;
  if (const json::array* a = arr(task, kChecklist))
    for (const auto& v : *a)
      if (v.is_object()) {
        const json::object& c = v.get_object();
        bool checked = c.contains("checked") && c.at("checked").is_bool() && c.at("checked").get_bool();
        out.push_back(json::object{{"displayName", str(c, "title")}, {"isChecked", checked}});
      }
  return out;
}

const std::vector<std::string>& fields() {
  static const std::vector<std::string> f = {"/title",    "/description", "/due",      "/start",           "/timeZone",
                                             "/progress", "/priority",    "/keywords", "/recurrenceRules", std::string("/") + kChecklist};
  return f;
}

}  // namespace outlook::todo
