// SPDX-License-Identifier: Apache-2.0
// One pair's journal (state/journal.cpp): intents come back oldest first,
// each pair's only (the view's pair, whatever the row says), until done;
// the state-wide size counts every pair's.
#include "state_test_util.hpp"

#include <algorithm>
#include <set>

using namespace accord;
using accord::state_test::StateFile;

TEST(StateJournalTest, IntentsComeBackOldestFirstForTheirPairUntilDone) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  Journal p = s->pair("p").journal(), q = s->pair("q").journal();
  int64_t first = p.add({0, "", "right", "create", "", "a", "k-a", "{\"n\":1}"});
  int64_t theirs = q.add({0, "p", "left", "delete", "x", "y", "k-x", ""});  // row.pair is not read
  int64_t second = p.add({0, "", "left", "update", "b2", "b", "k-b", "{\"n\":2}"});
  EXPECT_LT(first, second);
  EXPECT_EQ(s->journal_size(), 3);
  std::vector<JournalRow> mine = p.list();
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0].id, first);
  EXPECT_EQ(mine[0].pair, "p");
  EXPECT_EQ(mine[0].op, "create");
  EXPECT_EQ(mine[0].idem_key, "k-a");
  EXPECT_EQ(mine[0].data, "{\"n\":1}");
  EXPECT_EQ(mine[1].target_id, "b2");
  ASSERT_EQ(q.list().size(), 1u);
  EXPECT_EQ(q.list()[0].pair, "q");
  p.done(first);
  ASSERT_EQ(p.list().size(), 1u);
  EXPECT_EQ(p.list()[0].id, second);
  q.done(theirs);
  EXPECT_TRUE(q.list().empty());
  EXPECT_EQ(s->journal_size(), 1);
}

// An apply batch's intents go in, and out, in one statement each: the ids
// answered are the rows' own, in order, after every intent already there.
TEST(StateJournalTest, ABatchOfIntentsGoesInAndOutAtOnceWithTheirOwnIds) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  Journal p = s->pair("p").journal(), q = s->pair("q").journal();
  int64_t before = q.add({0, "", "left", "delete", "x", "y", "k-x", ""});
  std::vector<int64_t> ids = p.add(std::vector<JournalRow>{{0, "", "right", "create", "", "a", "k-a", "{\"n\":1}"},
                                                           {0, "", "left", "update", "b2", "b", "", "{\"n\":2}"}});
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_GT(ids[0], before);
  EXPECT_EQ(ids[1], ids[0] + 1);
  std::vector<JournalRow> mine = p.list();
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0].id, ids[0]);
  EXPECT_EQ(mine[0].pair, "p");
  EXPECT_EQ(mine[0].side, "right");
  EXPECT_EQ(mine[0].op, "create");
  EXPECT_EQ(mine[0].source_id, "a");
  EXPECT_EQ(mine[0].idem_key, "k-a");
  EXPECT_EQ(mine[0].data, "{\"n\":1}");
  EXPECT_EQ(mine[1].id, ids[1]);
  EXPECT_EQ(mine[1].target_id, "b2");
  EXPECT_TRUE(p.add(std::vector<JournalRow>{}).empty());
  p.done(std::vector<int64_t>{ids[1], ids[0]});
  p.done(std::vector<int64_t>{});
  EXPECT_TRUE(p.list().empty());
  EXPECT_EQ(s->journal_size(), 1);  // the other pair's stays
}

// Creates answered retry are kept apart from the intents (list() never shows
// them), by target side and key, a key kept again taking its new data and
// answer and counting one more try (keeping the later of its times), until
// settled; the state-wide count says them.
TEST(StateJournalTest, CreatesAnsweredRetryAreKeptByKeyApartFromTheIntentsUntilSettled) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  Journal p = s->pair("p").journal(), q = s->pair("q").journal();
  p.retried({{0, "", "right", "create", "", "a", "k-a", "{\"n\":1}", "2026-01-02T03:04:05Z", 0, "lost"},
             {0, "", "left", "create", "", "b", "k-b", "{}"}});
  q.retried({{0, "", "right", "create", "", "a", "k-a", "{}"}});
  p.retried({{0, "", "right", "create", "", "a", "k-a", "{\"n\":2}", "2026-01-02T03:04:05Z", 0, "looked for"}});  // again
  p.retried({{0, "", "right", "create", "", "a", "k-a", "{\"n\":2}", "2025-01-01T00:00:00Z", 0, "once more"}});  // earlier: kept later
  EXPECT_TRUE(p.list().empty());
  EXPECT_EQ(s->journal_size(), 0);
  EXPECT_EQ(s->retried_creates_size(), 3);
  std::vector<JournalRow> mine = p.retried_creates();
  ASSERT_EQ(mine.size(), 2u);
  auto a = std::find_if(mine.begin(), mine.end(), [](const JournalRow& r) { return r.idem_key == "k-a"; });
  ASSERT_NE(a, mine.end());
  EXPECT_EQ(a->side, "right");
  EXPECT_EQ(a->op, "create");
  EXPECT_EQ(a->source_id, "a");
  EXPECT_EQ(a->data, "{\"n\":2}");
  EXPECT_EQ(a->created, "2026-01-02T03:04:05Z");
  EXPECT_EQ(a->tries, 3);
  EXPECT_EQ(a->last_answer, "once more");
  p.retried({{0, "", "right", "create", "", "a", "k-a", "{\"n\":2}", "2026-02-02T00:00:00Z", 0, "interrupted"}});  // later: taken
  auto keys = p.retried_keys();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys.at({"right", "k-a"}), "2026-02-02T00:00:00Z");
  EXPECT_EQ(keys.at({"left", "k-b"}).size(), 20u);  // now, as RFC 3339 UTC: 2026-12-06T18:00:00Z
  p.settled({{"left", "k-a"}});  // another side's key: not this one
  EXPECT_EQ(p.retried_keys().size(), 2u);
  p.settled({{"right", "k-a"}, {"left", "k-b"}});
  EXPECT_TRUE(p.retried_creates().empty());
  EXPECT_EQ(q.retried_keys().size(), 1u);
  EXPECT_EQ(s->retried_creates_size(), 1);
}

// A kept create's first_sent (when its first try that may have written was
// sent: the resend's first_sent_at, review s11 F6) keeps the earlier of the
// times it is given; not known ("": a row kept before schema 10, whose
// migration leaves it so) stays not known, whatever comes later.
TEST(StateJournalTest, AKeptCreateKeepsTheEarliestFirstSentAndNotKnownStaysNotKnown) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  Journal p = s->pair("p").journal();
  auto row = [](const char* key, const char* first) {
    JournalRow r{0, "", "right", "create", "", "a", key, "{}", "2026-01-02T03:04:05Z", 0, "lost"};
    r.first_sent = first;
    return r;
  };
  p.retried({row("k-a", "2026-01-02T03:00:00Z"), row("k-b", "")});
  p.retried({row("k-a", "2026-01-02T03:30:00Z"), row("k-b", "2026-01-02T03:30:00Z")});
  auto firsts = p.retried_first_sent();
  EXPECT_EQ(firsts.at({"right", "k-a"}), "2026-01-02T03:00:00Z");
  EXPECT_EQ(firsts.at({"right", "k-b"}), "");
  p.retried({row("k-a", "2026-01-01T00:00:00Z")});
  EXPECT_EQ(p.retried_first_sent().at({"right", "k-a"}), "2026-01-01T00:00:00Z");
  for (const auto& r : p.retried_creates())
    EXPECT_EQ(r.first_sent, r.idem_key == "k-a" ? "2026-01-01T00:00:00Z" : "");
}
