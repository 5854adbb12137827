// SPDX-License-Identifier: Apache-2.0
// [MS-OXOCAL] 2.2.1.44 recurrence blobs read field by field, little-endian,
// every length checked against what is left.
#include "recurrence.hpp"

#include <accord/mail/message.hpp>
#include <accord/text/charset.hpp>
#include <accord/time/iso_duration.hpp>
#include <accord/time/utc_time.hpp>

#include <boost/json/value.hpp>

#include <algorithm>
#include <stdexcept>

namespace accord::outlook::mapi {
namespace json = boost::json;

namespace {

struct Truncated : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  uint8_t u8() { need(1); return static_cast<uint8_t>(b_[pos_++]); }
  uint16_t u16() {
    need(2);
    uint16_t v = static_cast<uint16_t>(static_cast<uint8_t>(b_[pos_]) | static_cast<uint8_t>(b_[pos_ + 1]) << 8);
    pos_ += 2;
    return v;
  }
  uint32_t u32() {
    need(4);
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(b_[pos_ + static_cast<size_t>(i)]);
    pos_ += 4;
    return v;
  }
  std::string_view bytes(size_t n) {
    need(n);
    std::string_view v = b_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  void skip(size_t n) { need(n); pos_ += n; }
  size_t left() const { return b_.size() - pos_; }

 private:
  void need(size_t n) const {
    if (n > b_.size() - pos_) throw Truncated("the blob ends at byte " + std::to_string(b_.size()) +
                                              " where " + std::to_string(pos_ + n) + " are needed");
  }
  std::string_view b_;
  size_t pos_ = 0;
};

std::vector<uint32_t> dates(Reader& r) {
  uint32_t n = r.u32();
  if (n > r.left() / 4) throw Truncated("a count of " + std::to_string(n) + " dates beyond the blob");
  std::vector<uint32_t> v(n);
  for (auto& d : v) d = r.u32();
  return v;
}

RecurrencePattern read_pattern(Reader& r) {
  RecurrencePattern p;
  uint16_t reader = r.u16(), writer = r.u16();
  if (reader != 0x3004 || writer != 0x3004)
    throw std::runtime_error("not a recurrence pattern (versions " + std::to_string(reader) + "/" +
                             std::to_string(writer) + ", 0x3004 expected)");
  p.frequency = r.u16();
  p.pattern_type = r.u16();
  p.calendar_type = r.u16();
  p.first_date_time = r.u32();
  p.period = r.u32();
  p.sliding = r.u32();
  // PatternTypeSpecific: none for Day, 4 bytes for Week and the Month kinds,
  // 8 for the MonthNth kinds (2.2.1.44.1.2-6)
  switch (p.pattern_type) {
    case recur::kPatternDay: break;
    case recur::kPatternWeek: p.day_mask = r.u32(); break;
    case recur::kPatternMonth:
    case recur::kPatternMonthEnd:
    case recur::kPatternHjMonth:
    case recur::kPatternHjMonthEnd: p.day_of_month = r.u32(); break;
    case recur::kPatternMonthNth:
    case recur::kPatternHjMonthNth:
      p.day_mask = r.u32();
      p.nth = r.u32();
      break;
    default: throw std::runtime_error("unknown PatternType " + std::to_string(p.pattern_type));
  }
  p.end_type = r.u32();
  p.occurrence_count = r.u32();
  p.first_dow = r.u32();
  p.deleted_dates = dates(r);
  p.modified_dates = dates(r);
  p.start_date = r.u32();
  p.end_date = r.u32();
  return p;
}

// A non-Unicode string of ExceptionInfo: in the item's code page, which the
// blob does not say; Windows-1252 as mail clients read undeclared 8-bit text.
std::string narrow_text(std::string_view bytes) { return accord::mail::header_text(bytes); }

std::string wide_text(std::string_view bytes) {
  return charset::to_utf8("UTF-16LE", bytes).value_or(std::string());
}

template <class F>
auto guarded(std::string* error, F f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    if (error) *error = e.what();
    return std::nullopt;
  }
}

const char* kDays[] = {"su", "mo", "tu", "we", "th", "fr", "sa"};

json::array by_day(uint32_t mask) {
  json::array a;
  // JSCalendar lists days in any order; Monday first reads as people write them
  for (int i : {1, 2, 3, 4, 5, 6, 0})
    if (mask & (1u << i)) a.push_back(json::object{{"@type", "NDay"}, {"day", kDays[i]}});
  return a;
}

// The calendar month (1-12) and day of local minutes since 1601.
void month_day(uint32_t minutes, int& month, int& day) {
  std::string d = local_date_time(minutes);  // YYYY-MM-DDT…
  month = std::stoi(d.substr(5, 2));
  day = std::stoi(d.substr(8, 2));
}

}  // namespace

std::optional<RecurrencePattern> decode_recurrence_pattern(std::string_view blob, std::string* error) {
  return guarded(error, [&]() -> std::optional<RecurrencePattern> {
    Reader r(blob);
    return read_pattern(r);
  });
}

std::optional<AppointmentRecurrence> decode_appointment_recurrence(std::string_view blob, std::string* error) {
  return guarded(error, [&]() -> std::optional<AppointmentRecurrence> {
    Reader r(blob);
    AppointmentRecurrence a;
    a.pattern = read_pattern(r);
    uint32_t reader2 = r.u32();
    if (reader2 != 0x3006) throw std::runtime_error("ReaderVersion2 " + std::to_string(reader2) + ", 0x3006 expected");
    a.writer_version2 = r.u32();
    a.start_offset = r.u32();
    a.end_offset = r.u32();
    uint16_t count = r.u16();
    for (uint16_t i = 0; i < count; ++i) {
      ExceptionInfo e;
      e.start = r.u32();
      e.end = r.u32();
      e.original_start = r.u32();
      e.flags = r.u16();
      if (e.flags & recur::kAroSubject) {
        r.u16();  // SubjectLength: SubjectLength2 + 1
        uint16_t n = r.u16();
        e.subject = narrow_text(r.bytes(n));
      }
      if (e.flags & recur::kAroMeetingType) e.meeting_type = r.u32();
      if (e.flags & recur::kAroReminderDelta) e.reminder_delta = r.u32();
      if (e.flags & recur::kAroReminder) e.reminder_set = r.u32();
      if (e.flags & recur::kAroLocation) {
        r.u16();
        uint16_t n = r.u16();
        e.location = narrow_text(r.bytes(n));
      }
      if (e.flags & recur::kAroBusyStatus) e.busy_status = r.u32();
      if (e.flags & recur::kAroAttachment) e.attachment = r.u32();
      if (e.flags & recur::kAroSubType) e.sub_type = r.u32();
      // AppointmentColor is there only when its flag is (the spec's errata,
      // confirmed by Microsoft's Open Specifications support)
      if (e.flags & recur::kAroApptColor) r.u32();
      a.exceptions.push_back(std::move(e));
    }
    r.skip(r.u32());  // ReservedBlock1
    // ExtendedException, one per ExceptionInfo, in the same order; older
    // writers (Outlook 2003 and before) end the blob here
    if (r.left() == 0) return a;
    for (auto& e : a.exceptions) {
      if (a.writer_version2 >= 0x3009) r.skip(r.u32());  // ChangeHighlight: its size, then that many bytes
      r.skip(r.u32());                                    // ReservedBlockEE1
      if (e.flags & (recur::kAroSubject | recur::kAroLocation)) {
        r.skip(12);  // StartDateTime, EndDateTime, OriginalStartDate: as in ExceptionInfo
        if (e.flags & recur::kAroSubject) {
          uint16_t n = r.u16();
          e.subject = wide_text(r.bytes(size_t{n} * 2));
        }
        if (e.flags & recur::kAroLocation) {
          uint16_t n = r.u16();
          e.location = wide_text(r.bytes(size_t{n} * 2));
        }
        r.skip(r.u32());  // ReservedBlockEE2
      }
    }
    return a;
  });
}

std::optional<std::string> timezone_key_name(std::string_view blob) {
  std::string ignored;
  return guarded(&ignored, [&]() -> std::optional<std::string> {
    Reader r(blob);
    r.u8();  // major version
    r.u8();  // minor version
    r.u16();  // cbHeader
    uint16_t flags = r.u16();
    if (flags & 0x0001) r.skip(16);  // TZDEFINITION_FLAG_VALID_GUID
    if (!(flags & 0x0002)) return std::nullopt;  // TZDEFINITION_FLAG_VALID_KEYNAME
    uint16_t n = r.u16();
    std::string name = wide_text(r.bytes(size_t{n} * 2));
    if (name.empty()) return std::nullopt;
    return name;
  });
}

std::string local_date_time(uint32_t minutes) {
  // 1601-01-01 is 11644473600 s before the Unix epoch
  return utc::format(static_cast<int64_t>(minutes) * 60 - 11644473600LL, utc::Form::kLocal);
}

std::optional<json::object> recurrence_rule(const RecurrencePattern& p, uint32_t start_offset, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<json::object> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  // Gregorian (0), localized and US Gregorian (1, 2) are the calendar
  // JSCalendar rules count in without rscale
  if (p.calendar_type > 2 || p.pattern_type >= recur::kPatternHjMonth)
    return fail("a recurrence in a non-Gregorian calendar (CalendarType " + std::to_string(p.calendar_type) +
                ", PatternType " + std::to_string(p.pattern_type) + ")");
  json::object rule{{"@type", "RecurrenceRule"}};
  switch (p.frequency) {
    case recur::kDaily:
      rule["frequency"] = "daily";
      // a daily pattern's period is in minutes (2.2.1.44.1: 1440 a day)
      if (p.pattern_type == recur::kPatternDay) rule["interval"] = std::max<uint32_t>(1, p.period / 1440);
      else rule["interval"] = std::max<uint32_t>(1, p.period);
      break;
    case recur::kWeekly: rule["frequency"] = "weekly"; rule["interval"] = std::max<uint32_t>(1, p.period); break;
    case recur::kMonthly: rule["frequency"] = "monthly"; rule["interval"] = std::max<uint32_t>(1, p.period); break;
    case recur::kYearly:
      // a yearly pattern counts its period in months (12 a year)
      rule["frequency"] = "yearly";
      rule["interval"] = std::max<uint32_t>(1, p.period / 12);
      break;
    default: return fail("unknown RecurFrequency " + std::to_string(p.frequency));
  }
  int month = 0, day = 0;
  month_day(p.start_date, month, day);
  switch (p.pattern_type) {
    case recur::kPatternDay: break;
    case recur::kPatternWeek:
      if (p.frequency == recur::kDaily) {  // "every weekday" is written as weekly, but some writers say daily
        rule["frequency"] = "weekly";
        rule["interval"] = 1;
      }
      rule["byDay"] = by_day(p.day_mask);
      if (p.first_dow != 1 && p.first_dow < 7) rule["firstDayOfWeek"] = kDays[p.first_dow];
      break;
    case recur::kPatternMonth:
      // Outlook's day 31 is the month's last day in shorter months, as
      // BYMONTHDAY=-1 is (MS-OXCICAL 2.1.3.2.2.3 maps -1 to 31)
      rule["byMonthDay"] = json::array{p.day_of_month >= 31 ? -1 : static_cast<int>(p.day_of_month)};
      break;
    case recur::kPatternMonthEnd: rule["byMonthDay"] = json::array{-1}; break;
    case recur::kPatternMonthNth:
      rule["byDay"] = by_day(p.day_mask);
      rule["bySetPosition"] = json::array{p.nth >= 5 ? -1 : static_cast<int>(p.nth)};
      break;
    default: return fail("unknown PatternType " + std::to_string(p.pattern_type));
  }
  if (p.frequency == recur::kYearly) rule["byMonth"] = json::array{json::string(std::to_string(month))};
  switch (p.end_type) {
    case recur::kEndAfterDate: rule["until"] = local_date_time(p.end_date + start_offset); break;
    case recur::kEndAfterCount: rule["count"] = std::max<uint32_t>(1, p.occurrence_count); break;
    default: break;  // never ends
  }
  return rule;
}

json::object recurrence_overrides(const AppointmentRecurrence& r, uint32_t series_duration,
                                  const std::map<uint32_t, std::string>& exception_bodies) {
  json::object out;
  std::vector<uint32_t> modified_days;
  for (const ExceptionInfo& e : r.exceptions) {
    json::object patch;
    if (e.start != e.original_start) patch["start"] = local_date_time(e.start);
    if (e.end >= e.start && e.end - e.start != series_duration)
      patch["duration"] = duration::format(int64_t{e.end - e.start} * 60);
    if (e.subject) patch["title"] = *e.subject;
    if (e.flags & recur::kAroExceptionalBody)
      if (auto b = exception_bodies.find(e.start); b != exception_bodies.end()) patch["description"] = b->second;
    if (e.location) patch["locations"] = json::object{{"l1", json::object{{"@type", "Location"}, {"name", *e.location}}}};
    if (e.busy_status) patch["freeBusyStatus"] = *e.busy_status == 0 ? "free" : "busy";
    if (e.reminder_set && *e.reminder_set == 0) patch["alerts"] = nullptr;
    else if (e.reminder_delta)
      patch["alerts"] = json::object{{"a1", json::object{{"@type", "Alert"},
                                                         {"trigger", json::object{{"@type", "OffsetTrigger"},
                                                                                  {"offset", duration::format(-int64_t{*e.reminder_delta} * 60)}}}}}};
    out[local_date_time(e.original_start)] = std::move(patch);
    modified_days.push_back(e.original_start - e.original_start % 1440);
  }
  // DeletedInstanceDates holds the modified instances' days too: those are
  // overrides above, the others are deleted
  for (uint32_t d : r.pattern.deleted_dates) {
    bool modified = false;
    for (uint32_t m : modified_days) modified = modified || m == d;
    if (!modified) out[local_date_time(d + r.start_offset)] = json::object{{"excluded", true}};
  }
  return out;
}

}  // namespace accord::outlook::mapi
