// SPDX-License-Identifier: Apache-2.0
// made_by_try: the one look-alike a lost try of a create made, or none.
#include <accord/kit/lookalike.hpp>

#include <gtest/gtest.h>

namespace kit = accord::kit;

namespace {

constexpr int64_t kMin = 60 * 1000;
// 2026-12-06T18:20:00Z
constexpr int64_t kFirst = 1796581200000;

kit::TryTime window() { return kit::TryTime{kFirst - 5 * kMin, kFirst + 10 * kMin}; }

// The status and maybe_written of what made_by_try throws (ACCORD_OK: nothing).
std::pair<int32_t, bool> thrown(const std::vector<std::optional<int64_t>>& made, const kit::TryTime& t, bool after_loss,
                                std::string* message = nullptr) {
  try {
    kit::made_by_try(made, t, after_loss, "note \"Call back\"");
  } catch (const kit::MaybeWritten& e) {
    if (message) *message = e.what();
    return {e.status(), true};
  } catch (const accord::Error& e) {
    if (message) *message = e.what();
    return {e.status(), false};
  }
  return {ACCORD_OK, false};
}

}  // namespace

TEST(KitLookAlike, AResendsWindowRunsFromFirstSentAtToSentAtEachWidenedByTheSkew) {
  kit::Op op;
  op.first_sent_at = "2026-12-06T18:20:00Z";
  op.sent_at = "2026-12-06T18:26:00Z";
  kit::TryTime t = kit::resend_time(op, 300);
  ASSERT_TRUE(t.from_ms && t.until_ms);
  EXPECT_EQ(*t.from_ms, kFirst - 5 * kMin);
  EXPECT_EQ(*t.until_ms, kFirst + 11 * kMin);
  EXPECT_EQ(t.from_text(), "2026-12-06T18:15:00Z");
  kit::Op older;  // an older host: neither said
  kit::TryTime u = kit::resend_time(older);
  EXPECT_FALSE(u.from_ms);
  EXPECT_FALSE(u.until_ms);
}

TEST(KitLookAlike, TheOneLookAlikeMadeInTheTrysTimeIsTaken) {
  // the user's own, made a week before, and the try's
  auto one = kit::made_by_try({kFirst - 7 * 24 * 60 * kMin, kFirst + 2000}, window(), false, "x");
  ASSERT_TRUE(one);
  EXPECT_EQ(*one, 1u);
}

TEST(KitLookAlike, LookAlikesAllMadeOutsideTheTrysTimeAreTheUsersNoneIsTaken) {
  EXPECT_FALSE(kit::made_by_try({kFirst - 6 * kMin, kFirst + 11 * kMin}, window(), false, "x"));
  EXPECT_FALSE(kit::made_by_try({}, window(), false, "x"));
}

TEST(KitLookAlike, TwoMadeInTheTrysTimeTakesNeitherAndTheCreateWaits) {
  std::string message;
  // a resend: a plain retry (this try wrote nothing)
  EXPECT_EQ(thrown({kFirst + 1000, kFirst + 2000}, window(), false, &message), std::make_pair(ACCORD_RETRY, false));
  EXPECT_NE(message.find("2 records made since 2026-12-06T18:15:00Z"), std::string::npos) << message;
  EXPECT_NE(message.find("none is taken"), std::string::npos) << message;
  // after this call's answer was lost: it may have written
  EXPECT_EQ(thrown({kFirst + 1000, kFirst + 2000}, window(), true), std::make_pair(ACCORD_RETRY, true));
}

TEST(KitLookAlike, ALookAlikeWithoutATimeIsNeverTaken) {
  std::string message;
  EXPECT_EQ(thrown({std::nullopt}, window(), false, &message), std::make_pair(ACCORD_RETRY, false));
  EXPECT_NE(message.find("gives no time"), std::string::npos) << message;
  // not even beside one made in the try's time: the undated one may be it
  EXPECT_EQ(thrown({std::nullopt, kFirst + 1000}, window(), true), std::make_pair(ACCORD_RETRY, true));
}

TEST(KitLookAlike, WhenTheFirstTryWasSentIsNotKnownNoLookAlikeIsTaken) {
  std::string message;
  kit::TryTime t{std::nullopt, kFirst + 10 * kMin};
  EXPECT_EQ(thrown({kFirst + 1000}, t, false, &message), std::make_pair(ACCORD_RETRY, false));
  EXPECT_NE(message.find("first try was sent is not known"), std::string::npos) << message;
  EXPECT_FALSE(kit::made_by_try({}, t, false, "x"));  // nothing alike: nothing to tell
}
