// SPDX-License-Identifier: Apache-2.0
// Google Calendar v3 events ⇄ canonical JSCalendar Event (RFC 8984 subset).
//
// Google's event model is iCalendar's: recurrence[] holds RFC 5545 RRULE,
// EXRULE, RDATE and EXDATE lines, and a changed or cancelled occurrence is
// an exception (an event with recurringEventId and originalStartTime, its
// id "<series id>_<original start>"). So the conversion goes through the
// formats lib's iCalendar ⇄ JSCalendar (libs/formats): a series and its
// exceptions are written as one VCALENDAR (the master VEVENT, a VEVENT with
// RECURRENCE-ID per changed occurrence, an EXDATE per cancelled one) and
// read into one canonical Event whose recurrenceOverrides hold the
// exceptions; and back. A Google event and its .ics copy therefore convert
// to the same canonical record, recurrence rules, overrides, time zones and
// all-day dates included, by one piece of code.
//
// Kept (fields()): uid (iCalUID), title, description, the location's name,
// start, duration, timeZone, showWithoutTime, status (tentative, cancelled
// occurrences), privacy (visibility), freeBusyStatus (transparency),
// recurrenceRules, recurrenceOverrides. Not kept (reported by the host):
// participants, alerts, keywords (Google has no categories on events).
//
// Pure functions; any thread.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace gapi::calendar {

// A series as Google lists it: the master (or a single event) and the
// exceptions whose recurringEventId names it (cancelled ones included).
struct Series {
  boost::json::object master;
  std::vector<boost::json::object> exceptions;
};

// The canonical Event. `calendar_zone`: the calendar's time zone, which
// Google applies to a time that names none (else such a time is read in
// UTC). Throws std::runtime_error for an event whose times cannot be read.
boost::json::object to_event(const Series& s, const std::string& calendar_zone = "");

// One changed occurrence to write: PUT events/<series id>_<suffix>.
struct Instance {
  std::string suffix;         // "20260112T090000Z" (timed, UTC) or "20260112" (all-day)
  boost::json::object body;   // the whole occurrence, with originalStartTime
};

struct Written {
  boost::json::object master;       // an Event resource without id, etag
  std::vector<Instance> instances;  // changed occurrences (cancelled ones are EXDATEs in recurrence)
  std::vector<std::string> excluded;  // the id suffixes of the cancelled occurrences (the EXDATEs)
};

// The Google resources for a canonical Event. Throws std::runtime_error for
// an event the formats lib cannot write.
Written from_event(const boost::json::object& event);

// What Google Calendar would keep of `event` once written (accord.check.v1):
// from_event's resources read back by to_event as the connector reads what
// it wrote (the master with its iCalUID, each changed occurrence as an
// exception of it), nothing sent. Of what Google adds of its own, the
// organizer is put on each (`organizer`: the account's address; Google makes
// the calendar's owner the organizer of what it inserts, and the connector
// never writes one); ids and etags are not read. A
// RECURRENCE-ID;RANGE=THISANDFUTURE kept in an override's iCalProps is one of
// what it drops: Google's exception is one occurrence. `calendar_zone` as
// to_event's (only times naming no zone read it). Throws std::runtime_error
// as from_event does.
boost::json::object as_kept(const boost::json::object& event, const std::string& calendar_zone = "",
                            const std::string& organizer = "");

// The occurrence of the series `w` at `original_start` as the series makes
// it (the master's fields and duration): what an exception the event no
// longer has is put back to.
boost::json::object plain_instance(const Written& w, const boost::json::object& original_start);

// The id suffix Google gives the occurrence that starts at a Google time
// ({"dateTime","timeZone"} or {"date"}): "20260112T090000Z" or "20260112".
std::string instance_suffix(const boost::json::object& google_time);

// "YYYYMMDDTHHMMSS" in an IANA zone for UTC seconds ("" when the zone is unknown).
std::string local_in(int64_t utc_seconds, const std::string& zone);

const std::vector<std::string>& fields();

}  // namespace gapi::calendar
