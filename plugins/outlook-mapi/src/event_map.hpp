// SPDX-License-Identifier: Apache-2.0
// Microsoft Graph event ⇄ canonical JSCalendar Event (RFC 8984 subset).
// A series is one record: the master's fields, its patternedRecurrence as a
// recurrence rule, its exceptions (exceptionOccurrences) as
// recurrenceOverrides keyed by their original start, and its cancelled
// occurrences (cancelledOccurrences) as excluded overrides.
//
// Times: Graph is asked for them in UTC (Prefer: outlook.timezone="UTC")
// and the event's own zone comes from originalStartTimeZone (a Windows zone
// name turned into IANA through CLDR, libs/formats), so a record carries
// local start, timeZone and duration as a JSCalendar event does.
//
// Pure functions; any thread.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace outlook::events {

struct Series {
  boost::json::object master;                   // a single event or a series master
  std::vector<boost::json::object> exceptions;  // its exceptionOccurrences
};

boost::json::object to_event(const Series& s);

// What a create or PATCH of the master sends (no recurrence overrides: see
// Written); every mapped field, null where the event has none.
struct Written {
  boost::json::object master;
  struct Change {
    std::string recurrence_id;  // the occurrence's original start, local to the event's zone
    boost::json::object patch;  // its changed fields, as a Graph event PATCH
    // the occurrence's own participants as attendees, when the override
    // names them (sent only as the master's are: event_attendees "write")
    std::optional<boost::json::array> attendees;
  };
  std::vector<Change> changed;             // overrides that change an occurrence
  std::vector<std::string> excluded;       // overrides that cancel one (recurrence ids)
  // the participants as Graph attendees (the organizer left out: the mailbox
  // is Outlook's); sent only when the settings say so, since Outlook mails an
  // invitation to each attendee written (user-post-events.md)
  boost::json::array attendees;
  // What Outlook cannot keep of the event, said for the log: an alert after
  // the start (or at a date) where Outlook's one reminder is before the start.
  std::vector<std::string> notes;
};
Written from_event(const boost::json::object& event);

// What Outlook would keep of `event` once written (accord.check.v1), nothing
// sent: from_event's master as Graph would hold it (its times read in the
// zone they were sent in, that zone as originalStartTimeZone), each changed
// occurrence as an exceptionOccurrence (the master's occurrence at its
// recurrence id with the change applied), each cancelled one in
// cancelledOccurrences, the attendees only when they are written
// (`write_attendees`: event_attendees "write") with `mailbox` (the account,
// when known) as the organizer Outlook makes of it, one reminder; read back
// by to_event as a write's answer is. An alert Outlook cannot keep drops out
// (from_event's notes say why in the log of a run); so does an override's
// RECURRENCE-ID;RANGE=THISANDFUTURE (its iCalProps): Graph's exception is one
// occurrence. Throws std::invalid_argument as from_event does.
boost::json::object as_kept(const boost::json::object& event, bool write_attendees, const std::string& mailbox = "");

// Graph's organizer and attendees as JSCalendar participants (none for an
// event without attendees), and its reminder as alerts; back: the
// participants as attendees, the alert nearest before the start as
// reminderMinutesBeforeStart (Outlook keeps one). An alert relative to the
// end (JSCalendar relativeTo "end") is the same moment relative to the start
// of an event lasting `duration_s`; one that falls after the start cannot be
// kept (named in `lost` when given).
boost::json::object participants_of(const boost::json::object& graph_event);
boost::json::array attendees_of(const boost::json::object& event);
boost::json::object alerts_of(const boost::json::object& graph_event);
std::optional<int64_t> reminder_minutes(const boost::json::object& event, int64_t duration_s = 0,
                                        std::vector<std::string>* lost = nullptr);

// The recurrence id (local start "2026-03-02T10:00:00" in `zone`) of an
// occurrence whose originalStart is a UTC DateTimeOffset.
std::string recurrence_id(const std::string& original_start_utc, const std::string& zone);

// A cancelledOccurrences entry ("OID.<master>.<yyyy-mm-dd>") as its date.
std::string cancelled_date(const std::string& entry);

// Graph's patternedRecurrence as a JSCalendar RecurrenceRule (nullopt for a
// pattern it does not know), and back from a rule, the series' local start
// (seconds as if UTC) and its zone (throws std::invalid_argument for a rule
// Outlook cannot keep). Events and To Do tasks share them.
std::optional<boost::json::object> rule_of(const boost::json::object& recurrence);
boost::json::object recurrence_of(const boost::json::object& rule, int64_t start_local, const std::string& zone);

// "2026-03-01T10:00:00[.fraction]" as seconds as if UTC; nullopt when not a date.
std::optional<int64_t> wall(const std::string& s);

const std::vector<std::string>& fields();

}  // namespace outlook::events
