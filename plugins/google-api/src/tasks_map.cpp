// SPDX-License-Identifier: Apache-2.0
// Google Task ⇄ JSCalendar Task (tasks_map.hpp).
#include "tasks_map.hpp"

#include "json_read.hpp"

#include <boost/json.hpp>

namespace json = boost::json;
using gapi::jr::str;

namespace gapi::tasks {

json::object to_task(const json::object& g) {
  json::object t{{"@type", "Task"}};
  if (std::string s = str(g, "title"); !s.empty()) t["title"] = s;
  if (std::string s = str(g, "notes"); !s.empty()) t["description"] = s;
  if (std::string d = str(g, "due"); d.size() >= 10) {
    t["due"] = d.substr(0, 10) + "T00:00:00";
    t["showWithoutTime"] = true;
  }
  t["progress"] = str(g, "status") == "completed" ? "completed" : "needs-action";
  if (std::string id = str(g, "id"); !id.empty()) t["uid"] = id;
  if (std::string p = str(g, "parent"); !p.empty())
    t["relatedTo"] = json::object{{p, json::object{{"@type", "Relation"}, {"relation", json::object{{"parent", true}}}}}};
  return t;
}

std::string parent_of(const json::object& t) {
  const json::object* rel = gapi::jr::obj(t, "relatedTo");
  if (!rel) return "";
  for (const auto& [uid, v] : *rel)
    if (const json::object* r = v.if_object())
      if (const json::object* kind = gapi::jr::obj(*r, "relation"); gapi::jr::flag(kind, "parent"))
        return std::string(uid);
  return "";
}

json::object from_task(const json::object& t) {
  json::object g;
  g["title"] = str(t, "title");
  g["notes"] = str(t, "description");
  // a due date and time keeps its date: Google discards the time
  // (what is left out is cleared: updates replace the whole task, PUT)
  if (std::string d = str(t, "due"); d.size() >= 10) g["due"] = d.substr(0, 10) + "T00:00:00.000Z";
  g["status"] = str(t, "progress") == "completed" ? "completed" : "needsAction";
  return g;
}

const std::vector<std::string>& fields() {
  static const std::vector<std::string> f = {"/title", "/description", "/due", "/showWithoutTime", "/progress", "/uid",
                                             "/relatedTo"};
  return f;
}

}  // namespace gapi::tasks
