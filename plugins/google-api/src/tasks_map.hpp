// SPDX-License-Identifier: Apache-2.0
// Google Tasks v1 Task ⇄ canonical JSCalendar Task (RFC 8984 subset), in the
// shapes the formats lib gives a VTODO: Google keeps a due date without a
// time ("the time portion of the timestamp is discarded"), so `due` is a
// date, as DUE;VALUE=DATE reads (due at midnight, showWithoutTime).
//
// Kept (fields()): title, description (notes), due, showWithoutTime,
// progress (needs-action, completed). Not kept: start, time zone, priority,
// alerts, keywords, and the parent and position (Tasks changes them only
// through move; not synced yet).
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

const std::vector<std::string>& fields();

}  // namespace gapi::tasks
