// SPDX-License-Identifier: Apache-2.0
// A stream pair's "lookup" and "email_crm" read and checked
// (pipeline/lookup_config.hpp): each message names the pointer and the fix.
#include "pipeline/lookup_config.hpp"

#include <boost/json.hpp>

#include <gtest/gtest.h>

namespace json = boost::json;
using namespace accord;

namespace {

struct Read {
  StreamPair sp;
  std::vector<std::string> errors;
  bool said(const std::string& pointer, const std::string& part) const {
    for (const auto& e : errors)
      if (e.starts_with(pointer + ": ") && e.find(part) != std::string::npos) return true;
    return false;
  }
};

Read read(const std::string& text) {
  Read r;
  r.sp.pointer = "/streams/0";
  json::object s = json::parse(text).as_object();
  read_lookup_config(s, r.sp, [](Side) -> const Manifest* { return nullptr; },
                     [&](const std::string& p, const std::string& m) { r.errors.push_back(p + ": " + m); });
  return r;
}

const char* kLookups = R"("lookup": [{"side": "right", "stream": "contact", "as": "contacts"},
                                     {"side": "right", "stream": "user", "as": "users"}])";

}  // namespace

TEST(LookupConfigTest, LookupsAreReadWithTheirSideStreamAndRole) {
  Read r = read(std::string("{") + kLookups + "}");
  ASSERT_TRUE(r.errors.empty()) << r.errors[0];
  ASSERT_EQ(r.sp.lookups.size(), 2u);
  EXPECT_EQ(r.sp.lookups[1].side, Side::kRight);
  EXPECT_EQ(r.sp.lookups[1].stream, "user");
  EXPECT_EQ(r.sp.lookups[1].as, "users");
  EXPECT_EQ(r.sp.lookups[1].pointer, "/streams/0/lookup/1");
  EXPECT_FALSE(r.sp.email_crm);
}

TEST(LookupConfigTest, ABadLookupIsNamedWithItsFix) {
  Read r = read(R"({"lookup": [{"side": "up", "stream": "contact"}, {"stream": "x", "as": "contact"}, {"as": "y"}]})");
  EXPECT_TRUE(r.said("/streams/0/lookup/0/side", "\"left\", \"right\"")) << r.errors.size();
  EXPECT_TRUE(r.said("/streams/0/lookup/1/as", "already the role of /streams/0/lookup/0"));
  EXPECT_TRUE(r.said("/streams/0/lookup/2/stream", "is missing"));
}

TEST(LookupConfigTest, EmailCrmIsReadWhole) {
  Read r = read(std::string("{") + kLookups + R"(, "email_crm": {"mailbox": ["Me@Corp.example"],
      "participants": ["from", "to"], "match_multiple": "oldest", "thread_start": "crm",
      "capture_address": "Log@crm.example", "unknown_recipients": "always",
      "exclude": {"crm_users": true, "addresses": ["no-reply@*"], "domains": ["@corp.example"]},
      "attachments": {"max_bytes": 3145728, "types": [".PDF", "zip"], "oversize": "drop_attachment"},
      "since": "P30D"}})");
  ASSERT_TRUE(r.errors.empty()) << r.errors[0];
  ASSERT_TRUE(r.sp.email_crm);
  const email_crm::Settings& e = *r.sp.email_crm;
  EXPECT_EQ(e.mailbox, std::vector<std::string>{"me@corp.example"});
  EXPECT_EQ(e.participants, (std::vector<std::string>{"from", "to"}));
  EXPECT_EQ(e.match_multiple, email_crm::MatchMultiple::kOldest);
  EXPECT_EQ(e.thread_start, email_crm::ThreadStart::kCrm);
  EXPECT_EQ(e.capture_address, "log@crm.example");
  EXPECT_EQ(e.unknown_recipients, email_crm::Unknown::kAlways);
  EXPECT_EQ(e.exclude_domains, std::vector<std::string>{"corp.example"});
  EXPECT_EQ(e.types, (std::vector<std::string>{"pdf", "zip"}));
  EXPECT_EQ(e.max_bytes, 3145728);
  EXPECT_EQ(e.oversize, email_crm::Oversize::kDropAttachment);
  EXPECT_EQ(e.since_seconds, 30 * 86400);
  // a logged message is never deleted through the pair, either way
  EXPECT_FALSE(r.sp.allowed(Side::kRight, "delete"));
  EXPECT_FALSE(r.sp.allowed(Side::kLeft, "delete"));
  EXPECT_TRUE(r.sp.allowed(Side::kRight, "create"));
}

TEST(LookupConfigTest, EmailCrmNeedsTheContactsAndUsersLookups) {
  Read r = read(R"({"email_crm": {"mailbox": "me@corp.example"}})");
  EXPECT_TRUE(r.said("/streams/0/email_crm", "\"stream\": \"contact\", \"as\": \"contacts\""));
  EXPECT_TRUE(r.said("/streams/0/email_crm/exclude/crm_users", "\"as\": \"users\""));
}

TEST(LookupConfigTest, EmailCrmMistakesAreNamedWithTheirFix) {
  Read r = read(std::string("{") + kLookups + R"(, "email_crm": {"participants": ["from", "reply-to"],
      "match_multiple": "newest", "capture_address": "not an address", "unknown_recipients": "capture_only",
      "attachments": {"max_bytes": -1, "oversize": "trim"}, "since": "30 days", "colour": 1}})");
  EXPECT_TRUE(r.said("/streams/0/email_crm/mailbox", "is missing"));
  EXPECT_TRUE(r.said("/streams/0/email_crm/participants", "\"reply-to\" is not one of"));
  EXPECT_TRUE(r.said("/streams/0/email_crm/match_multiple", "\"all\", \"oldest\" (not \"newest\")"));
  EXPECT_TRUE(r.said("/streams/0/email_crm/capture_address", "is not an address"));
  EXPECT_TRUE(r.said("/streams/0/email_crm/attachments/max_bytes", "above 0"));
  EXPECT_TRUE(r.said("/streams/0/email_crm/attachments/oversize", "\"skip_message\", \"drop_attachment\""));
  EXPECT_TRUE(r.said("/streams/0/email_crm/since", "like \"P30D\""));
  EXPECT_TRUE(r.said("/streams/0/email_crm/colour", "is not an email_crm setting"));
}

TEST(LookupConfigTest, CaptureOnlyWithoutACaptureAddressIsRefused) {
  Read r = read(std::string("{") + kLookups +
                R"(, "email_crm": {"mailbox": "me@corp.example", "unknown_recipients": "capture_only"}})");
  EXPECT_TRUE(r.said("/streams/0/email_crm/unknown_recipients", "set \"capture_address\""));
}

TEST(LookupConfigTest, IsoDurations) {
  EXPECT_EQ(iso_duration_seconds("P30D"), 30 * 86400);
  EXPECT_EQ(iso_duration_seconds("PT12H"), 12 * 3600);
  EXPECT_EQ(iso_duration_seconds("P1DT2H30M"), 86400 + 2 * 3600 + 30 * 60);
  EXPECT_EQ(iso_duration_seconds("P2W"), 14 * 86400);
  EXPECT_EQ(iso_duration_seconds("P30"), -1);
  EXPECT_EQ(iso_duration_seconds("30D"), -1);
  EXPECT_EQ(iso_duration_seconds("PT"), -1);
  EXPECT_EQ(iso_duration_seconds("P1H"), -1);
}
