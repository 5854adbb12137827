// SPDX-License-Identifier: Apache-2.0
// Google Tasks v1 Task ⇄ canonical JSCalendar Task (RFC 8984 subset), in the
// shapes the formats lib gives a VTODO: Google keeps a due date without a
// time ("the time portion of the timestamp is discarded"), so `due` is a
// date, as DUE;VALUE=DATE reads (due at midnight, showWithoutTime).
//
// Kept (fields()): title, description (notes), due, showWithoutTime,
// progress (needs-action, completed), uid (the task's id: read only) and the
// parent as relatedTo {"<parent's id>": {"relation": {"parent": true}}}.
// Tasks has no field to keep another store's UID in, so a parent named by a
// UID of the other side's own cannot be found in Google: only a parent that
// is a task of this list (a hierarchy made in Google, gone out and back)
// is written (insert's parent, then move; docs/connectors/google-api.md).
// Not kept: start, time zone, priority, alerts, keywords, and the position
// among siblings (JSCalendar has no order of tasks).
//
// Pure functions; any thread.
#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <vector>

namespace gapi::tasks {

boost::json::object to_task(const boost::json::object& google_task);

// The Task resource for a canonical Task: title, notes, due, status; what
// it leaves out, an update (PUT, the whole task) clears.
boost::json::object from_task(const boost::json::object& task);

// The parent a Task's relatedTo names ("" none).
std::string parent_of(const boost::json::object& task);

const std::vector<std::string>& fields();

}  // namespace gapi::tasks
