// SPDX-License-Identifier: Apache-2.0
// The recurrence blobs of Outlook items, decoded as [MS-OXOCAL] lays them
// out, and their JSCalendar (RFC 8984) form:
//   - RecurrencePattern (2.2.1.44.1): a task's PidLidTaskRecurrence and the
//     head of an appointment's blob;
//   - AppointmentRecurrencePattern (2.2.1.44.5): PidLidAppointmentRecur,
//     with the ExceptionInfo (2.2.1.44.2) and ExtendedException (2.2.1.44.4)
//     of each modified instance;
//   - TimeZoneDefinition (PidLidAppointmentTimeZoneDefinition…): its key
//     name, a Windows zone id.
// Times in the blobs are local minutes since 1601-01-01; they become
// JSCalendar LocalDateTimes in the item's zone. Never throws out of the
// public functions; never reads past the bytes it was given.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace accord::outlook::mapi {

// RecurFrequency, PatternType and EndType values (2.2.1.44.1).
namespace recur {
inline constexpr uint16_t kDaily = 0x200A, kWeekly = 0x200B, kMonthly = 0x200C, kYearly = 0x200D;
inline constexpr uint16_t kPatternDay = 0x0000, kPatternWeek = 0x0001, kPatternMonth = 0x0002,
                          kPatternMonthNth = 0x0003, kPatternMonthEnd = 0x0004, kPatternHjMonth = 0x000A,
                          kPatternHjMonthNth = 0x000B, kPatternHjMonthEnd = 0x000C;
inline constexpr uint32_t kEndAfterDate = 0x2021, kEndAfterCount = 0x2022, kNeverEnd = 0x2023,
                          kNeverEndOld = 0xFFFFFFFF;
// ExceptionInfo OverrideFlags (2.2.1.44.2)
inline constexpr uint16_t kAroSubject = 0x0001, kAroMeetingType = 0x0002, kAroReminderDelta = 0x0004,
                          kAroReminder = 0x0008, kAroLocation = 0x0010, kAroBusyStatus = 0x0020,
                          kAroAttachment = 0x0040, kAroSubType = 0x0080, kAroApptColor = 0x0100,
                          kAroExceptionalBody = 0x0200;
}  // namespace recur

struct RecurrencePattern {
  uint16_t frequency = 0;
  uint16_t pattern_type = 0;
  uint16_t calendar_type = 0;
  uint32_t first_date_time = 0;
  uint32_t period = 0;
  uint32_t sliding = 0;
  uint32_t day_mask = 0;      // Week, MonthNth: bit 0 Sunday … bit 6 Saturday
  uint32_t day_of_month = 0;  // Month, MonthEnd
  uint32_t nth = 0;           // MonthNth: 1-4, 5 = last
  uint32_t end_type = 0;
  uint32_t occurrence_count = 0;
  uint32_t first_dow = 0;     // 0 Sunday … 6 Saturday
  std::vector<uint32_t> deleted_dates;   // local midnights: deleted and modified instances
  std::vector<uint32_t> modified_dates;  // local midnights of the modified instances
  uint32_t start_date = 0;    // local midnight of the first instance
  uint32_t end_date = 0;      // local midnight of the last (0x5AE980DF: none)
};

struct ExceptionInfo {
  uint32_t start = 0;           // local minutes since 1601
  uint32_t end = 0;
  uint32_t original_start = 0;
  uint16_t flags = 0;
  std::optional<std::string> subject;   // UTF-8 (the wide copy when the blob has one)
  std::optional<std::string> location;
  std::optional<uint32_t> meeting_type, reminder_delta, reminder_set, busy_status, attachment, sub_type;
};

struct AppointmentRecurrence {
  RecurrencePattern pattern;
  uint32_t writer_version2 = 0;
  uint32_t start_offset = 0;  // minutes after local midnight
  uint32_t end_offset = 0;
  std::vector<ExceptionInfo> exceptions;
};

// nullopt with `error` set when the bytes are not such a structure
// (truncated, wrong versions, counts beyond the data).
std::optional<RecurrencePattern> decode_recurrence_pattern(std::string_view blob, std::string* error = nullptr);
std::optional<AppointmentRecurrence> decode_appointment_recurrence(std::string_view blob,
                                                                   std::string* error = nullptr);
// The KeyName of a TimeZoneDefinition ("W. Europe Standard Time"), UTF-8.
std::optional<std::string> timezone_key_name(std::string_view blob);

// Local minutes since 1601-01-01 as a JSCalendar LocalDateTime
// ("2007-04-16T11:00:00").
std::string local_date_time(uint32_t minutes);

// The JSCalendar RecurrenceRule of a pattern: nullopt with `error` for what
// JSCalendar cannot say here (a Hijri or other non-Gregorian calendar, an
// unknown frequency). `start_offset` is the instances' minutes after
// midnight (for `until`).
std::optional<boost::json::object> recurrence_rule(const RecurrencePattern& p, uint32_t start_offset,
                                                   std::string* error = nullptr);

// recurrenceOverrides of an appointment: each modified instance (keyed by
// its original start) with what changed (start, duration, title, locations,
// freeBusyStatus, alerts), each deleted one {"excluded": true}.
// `series_duration` is the master's duration in minutes.
// `exception_bodies` gives, by an exception's start (local minutes), the
// body its Exception Embedded Message holds, for the exceptions whose body
// differs from the series' (ARO_EXCEPTIONAL_BODY): the override's
// description.
boost::json::object recurrence_overrides(const AppointmentRecurrence& r, uint32_t series_duration,
                                         const std::map<uint32_t, std::string>& exception_bodies = {});

}  // namespace accord::outlook::mapi
