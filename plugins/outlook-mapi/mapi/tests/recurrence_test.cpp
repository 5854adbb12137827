// SPDX-License-Identifier: Apache-2.0
// The recurrence blob decoder on the blobs [MS-OXOCAL] section 4.1.1 gives
// as examples (hex copied from the spec's pages, with what each says), and
// their JSCalendar form.
#include "recurrence.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <string>

namespace mapi = accord::outlook::mapi;
namespace json = boost::json;

namespace {

std::string unhex(std::string_view h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out += static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
  return out;
}

// 4.1.1.1 Weekly Recurrence BLOB Without Exceptions: from Monday 2007-03-26,
// every Monday, Thursday and Friday 10:00-10:30, ending after 12.
const char* kWeekly =
    "043004300B2001000000C0210000010000000000000032000000222000000C0000000000000000000000000000008020BC0C20ADBC0C06"
    "30000009300000580200007602000000000000000000000000";
// 4.1.1.2 Weekly Recurrence BLOB with Exceptions: the same, with the
// 2007-04-16 instance moved to 11:00-11:30, its subject "Simple Recurrence
// with exceptions" and its location 34/4141.
const char* kWeeklyExceptions =
    "043004300B2001000000C0210000010000000000000032000000222000000C0000000000000001000000A096BC0C01000000A096BC0C8020"
    "BC0C20ADBC0C0630000009300000580200007602000001003499BC0C5299BC0CF898BC0C11002200210053696D706C652052656375727265"
    "6E6365207769746820657863657074696F6E730800070033342F34313431000000000400000000000000000000003499BC0C5299BC0CF898"
    "BC0C2100530069006D0070006C006500200052006500630075007200720065006E006300650020007700690074006800200065007800630065"
    "007000740069006F006E0073000700330034002F0034003100340031000000000000000000";
// 4.1.1.3 Daily Recurrence BLOB with Exceptions: every three days from
// 2011-04-07 until 2011-05-04, 08:00-08:30; 04-19 and 04-22 deleted.
const char* kDailyDeleted =
    "043004300A2000000000A0050000E010000000000000212000000A0000000000000002000000A0C1DC0C80D2DC0C00000000207EDC0C0016"
    "DD0C0630000009300000E0010000FE01000000000000000000000000";
// 4.1.1.6 Yearly Hebrew Lunar Recurrence BLOB with Exceptions: CAL_HEBREW;
// the second instance tentative with a 60-minute reminder.
const char* kHebrew =
    "043004300D200200080080750A000C0000000000000003000000232000000A0000000000000001000000207EDC0C01000000207EDC0C6074"
    "C40CDF80E95A0630000009300000E0010000FE01000001000080DC0C1E80DC0C0080DC0C24023C0000000100000000000000040000000000"
    "00000000000000000000";

}  // namespace

TEST(RecurrenceBlob, WeeklyWithoutExceptionsDecodesEveryField) {
  std::string error;
  auto r = mapi::decode_appointment_recurrence(unhex(kWeekly), &error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->pattern.frequency, mapi::recur::kWeekly);
  EXPECT_EQ(r->pattern.pattern_type, mapi::recur::kPatternWeek);
  EXPECT_EQ(r->pattern.first_date_time, 8640u);
  EXPECT_EQ(r->pattern.period, 1u);
  EXPECT_EQ(r->pattern.day_mask, 0x32u);
  EXPECT_EQ(r->pattern.end_type, mapi::recur::kEndAfterCount);
  EXPECT_EQ(r->pattern.occurrence_count, 12u);
  EXPECT_EQ(r->start_offset, 600u);
  EXPECT_EQ(r->end_offset, 630u);
  EXPECT_EQ(mapi::local_date_time(r->pattern.start_date), "2007-03-26T00:00:00");
  EXPECT_TRUE(r->exceptions.empty());
}

TEST(RecurrenceBlob, WeeklyBecomesAJSCalendarRule) {
  auto r = mapi::decode_appointment_recurrence(unhex(kWeekly));
  ASSERT_TRUE(r);
  auto rule = mapi::recurrence_rule(r->pattern, r->start_offset);
  ASSERT_TRUE(rule);
  EXPECT_EQ(json::serialize(*rule),
            R"({"@type":"RecurrenceRule","frequency":"weekly","interval":1,)"
            R"("byDay":[{"@type":"NDay","day":"mo"},{"@type":"NDay","day":"th"},{"@type":"NDay","day":"fr"}],)"
            R"("firstDayOfWeek":"su","count":12})");
  EXPECT_TRUE(mapi::recurrence_overrides(*r, 30).empty());
}

TEST(RecurrenceBlob, ModifiedInstanceBecomesAnOverrideWithItsUnicodeSubjectAndLocation) {
  std::string error;
  auto r = mapi::decode_appointment_recurrence(unhex(kWeeklyExceptions), &error);
  ASSERT_TRUE(r) << error;
  ASSERT_EQ(r->exceptions.size(), 1u);
  const auto& e = r->exceptions[0];
  EXPECT_EQ(e.flags, mapi::recur::kAroSubject | mapi::recur::kAroLocation);
  EXPECT_EQ(e.subject.value_or(""), "Simple Recurrence with exceptions");
  EXPECT_EQ(e.location.value_or(""), "34/4141");
  EXPECT_EQ(mapi::local_date_time(e.original_start), "2007-04-16T10:00:00");
  EXPECT_EQ(mapi::local_date_time(e.start), "2007-04-16T11:00:00");
  EXPECT_EQ(json::serialize(mapi::recurrence_overrides(*r, 30)),
            R"({"2007-04-16T10:00:00":{"start":"2007-04-16T11:00:00","title":"Simple Recurrence with exceptions",)"
            R"("locations":{"l1":{"@type":"Location","name":"34/4141"}}}})");
}

TEST(RecurrenceBlob, DeletedInstancesAreExcludedAndTheEndDateIsUntil) {
  std::string error;
  auto r = mapi::decode_appointment_recurrence(unhex(kDailyDeleted), &error);
  ASSERT_TRUE(r) << error;
  auto rule = mapi::recurrence_rule(r->pattern, r->start_offset);
  ASSERT_TRUE(rule);
  EXPECT_EQ(json::serialize(*rule),
            R"({"@type":"RecurrenceRule","frequency":"daily","interval":3,"until":"2011-05-04T08:00:00"})");
  EXPECT_EQ(json::serialize(mapi::recurrence_overrides(*r, 30)),
            R"({"2011-04-19T08:00:00":{"excluded":true},"2011-04-22T08:00:00":{"excluded":true}})");
}

TEST(RecurrenceBlob, NonGregorianCalendarIsDecodedButHasNoRule) {
  std::string error;
  auto r = mapi::decode_appointment_recurrence(unhex(kHebrew), &error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->pattern.calendar_type, 8);
  ASSERT_EQ(r->exceptions.size(), 1u);
  EXPECT_EQ(r->exceptions[0].busy_status.value_or(99), 1u);
  EXPECT_EQ(r->exceptions[0].reminder_delta.value_or(0), 60u);
  EXPECT_FALSE(mapi::recurrence_rule(r->pattern, r->start_offset, &error));
  EXPECT_NE(error.find("non-Gregorian"), std::string::npos) << error;
}

TEST(RecurrenceBlob, EveryTruncationIsRefusedWithoutReadingPastTheEnd) {
  std::string blob = unhex(kWeeklyExceptions);
  // the ExtendedException block may be missing as a whole (older writers);
  // any cut inside the pattern or the ExceptionInfo must fail cleanly
  size_t extended_from = blob.find(unhex("0400000000000000"));
  ASSERT_NE(extended_from, std::string::npos);
  for (size_t n = 0; n + 4 < extended_from; ++n) {
    std::string error;
    EXPECT_FALSE(mapi::decode_appointment_recurrence(std::string_view(blob).substr(0, n), &error)) << n;
    EXPECT_FALSE(error.empty()) << n;
  }
}

TEST(RecurrenceBlob, WrongVersionIsRefused) {
  std::string blob = unhex(kWeekly);
  blob[0] = 0x05;
  std::string error;
  EXPECT_FALSE(mapi::decode_appointment_recurrence(blob, &error));
  EXPECT_NE(error.find("0x3004"), std::string::npos) << error;
}

TEST(RecurrenceRule, MonthlyNthLastAndYearlyAndMonthEnd) {
  mapi::RecurrencePattern p;
  p.frequency = mapi::recur::kMonthly;
  p.pattern_type = mapi::recur::kPatternMonthNth;
  p.period = 2;
  p.day_mask = 0x3E;  // weekdays
  p.nth = 5;          // last
  p.end_type = mapi::recur::kNeverEnd;
  p.start_date = 215776800;  // 2011-04-07
  auto rule = mapi::recurrence_rule(p, 0);
  ASSERT_TRUE(rule);
  EXPECT_EQ(json::serialize((*rule)["bySetPosition"]), "[-1]");
  EXPECT_EQ((*rule)["byDay"].as_array().size(), 5u);
  EXPECT_FALSE(rule->contains("count"));
  EXPECT_FALSE(rule->contains("until"));

  p.frequency = mapi::recur::kYearly;
  p.pattern_type = mapi::recur::kPatternMonth;
  p.period = 12;
  p.day_of_month = 7;
  rule = mapi::recurrence_rule(p, 0);
  ASSERT_TRUE(rule);
  EXPECT_EQ(json::serialize(*rule),
            R"({"@type":"RecurrenceRule","frequency":"yearly","interval":1,"byMonthDay":[7],"byMonth":["4"]})");

  p.frequency = mapi::recur::kMonthly;
  p.pattern_type = mapi::recur::kPatternMonth;
  p.period = 1;
  p.day_of_month = 31;  // Outlook's "day 31" is the last day of shorter months too
  rule = mapi::recurrence_rule(p, 0);
  ASSERT_TRUE(rule);
  EXPECT_EQ(json::serialize((*rule)["byMonthDay"]), "[-1]");
}

TEST(TimeZoneDefinition, KeyNameIsRead) {
  // MajorVersion 2, MinorVersion 1, cbHeader, flags VALID_KEYNAME, cchKeyName, KeyName (UTF-16LE), cRules 0
  std::string name = "W. Europe Standard Time";
  std::string blob = std::string("\x02\x01", 2) + std::string("\x00\x00", 2) + std::string("\x02\x00", 2);
  blob += static_cast<char>(name.size());
  blob += '\0';
  for (char c : name) blob += c, blob += '\0';
  blob += std::string("\x00\x00", 2);
  EXPECT_EQ(mapi::timezone_key_name(blob).value_or(""), name);
  EXPECT_FALSE(mapi::timezone_key_name(blob.substr(0, 10)));
}

TEST(RecurrenceBlob, DamagedBlobsAreRefusedOrReadNeverCrash) {
  // every spec blob with bytes flipped at random (a fixed seed): each either
  // decodes or says why; the rule and overrides of what decodes are made
  uint32_t seed = 20070326;
  auto next = [&seed] { return seed = seed * 1103515245u + 12345u; };
  for (const char* h : {kWeekly, kWeeklyExceptions, kDailyDeleted, kHebrew}) {
    std::string blob = unhex(h);
    for (int round = 0; round < 3000; ++round) {
      std::string b = blob;
      for (int k = 0, n = 1 + next() % 4; k < n; ++k) b[next() % b.size()] = static_cast<char>(next() >> 16);
      if (next() % 5 == 0) b.resize(next() % b.size());
      std::string error;
      auto r = mapi::decode_appointment_recurrence(b, &error);
      if (!r) {
        EXPECT_FALSE(error.empty());
        continue;
      }
      (void)mapi::recurrence_rule(r->pattern, r->start_offset, &error);
      (void)mapi::recurrence_overrides(*r, 30);
    }
  }
}
