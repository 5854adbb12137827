// SPDX-License-Identifier: Apache-2.0
// Microsoft To Do task (Graph todoTask) ⇄ canonical JSCalendar Task (RFC
// 8984 subset): title, body as description, due and start dates,
// status as progress, importance as priority, categories as keywords, the
// completed time, recurrence, and the checklist items as the task's
// "checklist" vendor property (a list of {title, checked}), which JSCalendar
// has no word for.
//
// Pure functions; any thread.
#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <vector>

namespace outlook::todo {

// `checklist`: the task's checklistItems, in order.
boost::json::object to_task(const boost::json::object& t, const std::vector<boost::json::object>& checklist);

// The todoTask a create or PATCH sends: every mapped field, null where the task has none.
boost::json::object to_graph(const boost::json::object& task);

// The checklist items the card asks for: {displayName, isChecked}, in order.
std::vector<boost::json::object> checklist_of(const boost::json::object& task);

const std::vector<std::string>& fields();

}  // namespace outlook::todo
