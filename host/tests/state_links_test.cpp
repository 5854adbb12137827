// SPDX-License-Identifier: Apache-2.0
// One pair's links (state/links.cpp) and the move of a record to a new id
// (PairState::rekey): a link written again keeps its new bases; a dropped
// link leaves neither record linked; two pairs' links never meet; a record that takes a new id keeps its link, its open
// conflicts and its place in quarantine, from either side; a base kept by
// reference holds its data row as long as the link keeps it, and no longer.
#include "state_test_util.hpp"

#include <algorithm>
#include <map>

using namespace accord;
using accord::state_test::row;
using accord::state_test::StateFile;

TEST(StateLinksTest, ALinkWrittenAgainKeepsItsNewBasesAndMovesWithANewRecord) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  Links p = s->pair("p").links();
  p.put({"a", "x", "", ""});
  p.put({"a", "x", "", ""});  // as it stands
  p.put({"a", "x", "{\"l\":1}", "{\"r\":1}"});
  ASSERT_TRUE(p.find(Side::kRight, "x"));
  EXPECT_EQ(p.find(Side::kRight, "x")->base_left, "{\"l\":1}");
  EXPECT_EQ(p.find(Side::kLeft, "a")->base_right, "{\"r\":1}");
  p.put({"a", "x", "", ""});  // back to the mirror's
  EXPECT_EQ(p.find(Side::kLeft, "a")->base_left, "");
  p.put({"a", "y", "", ""});  // another record on the right: x is no longer linked
  EXPECT_FALSE(p.find(Side::kRight, "x"));
  EXPECT_EQ(p.find(Side::kRight, "y")->left_id, "a");
  p.put({"b", "y", "", ""});  // and y taken by another left record: a is no longer linked
  EXPECT_FALSE(p.find(Side::kLeft, "a"));
  EXPECT_EQ(p.count(), 1);
  EXPECT_EQ(f.count("SELECT count(*) FROM link_rights"), 1);
}

TEST(StateLinksTest, ADroppedLinkLeavesNeitherRecordLinkedAndTheOtherPairUntouched) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  Links p = s->pair("p").links(), q = s->pair("q").links();
  p.put({"a", "x", "", ""});
  p.put({"b", "y", "", ""});
  q.put({"a", "x", "{}", ""});
  EXPECT_EQ(p.count(), 2);
  p.drop("a");
  EXPECT_FALSE(p.find(Side::kLeft, "a"));
  EXPECT_FALSE(p.find(Side::kRight, "x"));
  EXPECT_EQ(p.find(Side::kRight, "y")->left_id, "b");
  EXPECT_EQ(p.count(), 1);
  EXPECT_EQ(f.count("SELECT count(*) FROM link_rights WHERE pair = 'p'"), 1);
  ASSERT_TRUE(q.find(Side::kRight, "x"));
  EXPECT_EQ(q.find(Side::kRight, "x")->base_left, "{}");
  p.drop("b");
  EXPECT_FALSE(p.any());
  EXPECT_TRUE(q.any());
}

TEST(StateLinksTest, ARecordThatTakesANewIdKeepsItsLinkConflictsAndQuarantineOnEitherSide) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  PairState p = s->pair("p");
  for (Side side : {Side::kLeft, Side::kRight}) {
    std::string old_id = side == Side::kLeft ? "a" : "x", new_id = side == Side::kLeft ? "a2" : "x2";
    std::string other_id = side == Side::kLeft ? "x" : "a2";
    p.mirror(side).put(row(old_id, "{}"));
    p.mirror(side).put(row(new_id, "{}"));
    if (side == Side::kLeft) {
      p.links().put({"a", "x", "{\"base\":1}", ""});
      p.conflicts().add({0, "", "a", "x", "/name", "\"A\"", "\"B\"", "", ""});
    }
    p.quarantine().add(side, old_id, "it failed", 0);
    p.rekey(side, old_id, new_id);
    SCOPED_TRACE(side_name(side));
    EXPECT_FALSE(p.mirror(side).find(old_id));
    ASSERT_TRUE(p.links().find(side, new_id));
    EXPECT_EQ(p.links().find(side, new_id)->base_left, "{\"base\":1}");
    EXPECT_EQ(p.links().find(other(side), other_id)->left_id + p.links().find(other(side), other_id)->right_id,
              side == Side::kLeft ? "a2x" : "a2x2");
    EXPECT_FALSE(p.links().find(side, old_id));
    EXPECT_EQ(p.quarantine().ids(side, false), std::set<std::string>{new_id});
    auto open = s->conflicts(true);
    ASSERT_EQ(open.size(), 1u);
    EXPECT_EQ(side == Side::kLeft ? open[0].left_id : open[0].right_id, new_id);
  }
}

// A base kept by reference (Links::keep, issue 24): the mirror row's data
// row outlives the change that overwrote the row, the links row is not
// written, and the link lets go of it when its pair is in accord again.
TEST(StateLinksTest, AChangedRecordsBaseIsKeptByItsDataRowUntilThePairIsInAccordAgain) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  PairState p = s->pair("p");
  MirrorSide left = p.mirror(Side::kLeft);
  left.put(row("a", "{\"n\":1}"));
  p.mirror(Side::kRight).put(row("x", "{\"m\":1}"));
  p.links().put({"a", "x", "", ""});
  auto was = left.find("a");
  auto link = p.links().find(Side::kLeft, "a");
  ASSERT_TRUE(was && link);
  EXPECT_EQ(link->kept_left.id, 0);
  EXPECT_TRUE(p.links().keep(*link, Side::kLeft, was->data_id));
  left.put(row("a", "{\"n\":2}", "t2", true), &*was);  // the change
  for (Side by : {Side::kLeft, Side::kRight}) {
    auto now = p.links().find(by, by == Side::kLeft ? "a" : "x");
    ASSERT_TRUE(now);
    EXPECT_EQ(now->kept_left.id, was->data_id);
    EXPECT_EQ(now->kept_left.data, "{\"n\":1}");
    EXPECT_EQ(now->kept_right.id, 0);
    EXPECT_EQ(now->base_left, "");  // the links row as it was
  }
  EXPECT_EQ(f.count("SELECT refs FROM record_data WHERE data = '{\"n\":1}'"), 1);
  // a second change keeps the first base; a base written out stays the base
  EXPECT_FALSE(p.links().keep(*p.links().find(Side::kLeft, "a"), Side::kLeft, left.find("a")->data_id));
  p.links().put({"a", "x", "", "{\"m\":0}"});  // (an undecided conflict's, written out)
  auto manual = p.links().find(Side::kLeft, "a");
  EXPECT_EQ(manual->kept_left.id, 0);  // let go of: not in the row put
  EXPECT_FALSE(p.links().keep(*manual, Side::kRight, p.mirror(Side::kRight).find("x")->data_id));
  EXPECT_EQ(f.count("SELECT count(*) FROM record_data WHERE data = '{\"n\":1}'"), 0);
  // kept again, then the pair in accord: the link lets go of it
  EXPECT_TRUE(p.links().keep(*manual, Side::kLeft, left.find("a")->data_id));
  left.put(row("a", "{\"n\":3}", "t3", true));
  EXPECT_EQ(p.links().find(Side::kRight, "x")->kept_left.data, "{\"n\":2}");
  p.links().put({"a", "x", "", ""});
  auto settled = p.links().find(Side::kRight, "x");
  ASSERT_TRUE(settled);
  EXPECT_EQ(settled->kept_left.id, 0);
  EXPECT_EQ(settled->base_right, "");
  EXPECT_EQ(f.count("SELECT count(*) FROM link_bases"), 0);
  EXPECT_EQ(f.count("SELECT count(*) FROM record_data"), 2);  // a's and x's rows as they stand
  EXPECT_EQ(f.count("SELECT count(*) FROM record_data WHERE refs != 1"), 0);
}

TEST(StateLinksTest, AKeptBaseMovesWithItsLinkAndGoesWithIt) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  PairState p = s->pair("p");
  for (const char* id : {"a", "b"}) p.mirror(Side::kLeft).put(row(id, std::string("{\"id\":\"") + id + "\"}"));
  for (const char* id : {"x", "y", "z"}) p.mirror(Side::kRight).put(row(id, std::string("{\"id\":\"") + id + "\"}"));
  p.links().put({"a", "x", "", ""});
  p.links().put({"b", "y", "", ""});
  auto keep_right = [&](const std::string& left_id, const std::string& right_id, const std::string& now) {
    ASSERT_TRUE(p.links().keep(*p.links().find(Side::kLeft, left_id), Side::kRight,
                               p.mirror(Side::kRight).find(right_id)->data_id));
    p.mirror(Side::kRight).put(row(right_id, now, "t2", true));
  };
  keep_right("a", "x", "{\"x\":2}");
  keep_right("b", "y", "{\"y\":2}");
  // the right record takes a new id: its link and kept base follow it
  p.rekey(Side::kRight, "x", "z");
  auto moved = p.links().find(Side::kRight, "z");
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->left_id, "a");
  EXPECT_EQ(moved->kept_right.data, "{\"id\":\"x\"}");
  EXPECT_EQ(f.count("SELECT refs FROM record_data WHERE data = '{\"id\":\"x\"}'"), 1);
  // the left record a takes another's place: its kept base goes
  p.links().put({"a", "y", "", ""});
  EXPECT_FALSE(p.links().find(Side::kLeft, "b"));
  EXPECT_EQ(f.count("SELECT count(*) FROM record_data WHERE data = '{\"id\":\"y\"}'"), 0);
  EXPECT_EQ(f.count("SELECT count(*) FROM record_data WHERE data = '{\"id\":\"x\"}'"), 0);
  // a dropped link lets go of what it kept
  keep_right("a", "y", "{\"y\":3}");
  EXPECT_EQ(f.count("SELECT refs FROM record_data WHERE data = '{\"y\":2}'"), 1);
  p.links().drop("a");
  EXPECT_EQ(f.count("SELECT count(*) FROM link_bases"), 0);
  EXPECT_EQ(f.count("SELECT count(*) FROM record_data WHERE data = '{\"y\":2}'"), 0);
  EXPECT_EQ(p.mirror(Side::kRight).find("y")->data, "{\"y\":3}");
  EXPECT_EQ(f.count("SELECT count(*) FROM record_data d WHERE refs != (SELECT count(*) FROM mirror_rows m WHERE m.data_id = d.id)"), 0);
}

// A fold's change hands the mirror row's reference to the link (no page of
// the data row written): the data row lives on, counted once, until the
// link lets go of it.
TEST(StateLinksTest, AChangeHandsItsRowsDataToTheLinkCountedOnce) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  PairState p = s->pair("p");
  MirrorSide right = p.mirror(Side::kRight);
  p.mirror(Side::kLeft).put(row("a", "{\"a\":1}"));
  right.put(row("x", "{\"x\":1}"));
  p.links().put({"a", "x", "", ""});
  auto was = right.find("x");
  ASSERT_TRUE(was);
  ASSERT_TRUE(p.links().keep(*p.links().find(Side::kRight, "x"), Side::kRight, was->data_id, true));
  right.put(row("x", "{\"x\":2}", "t2", true), &*was, true);
  EXPECT_EQ(p.links().find(Side::kLeft, "a")->kept_right.data, "{\"x\":1}");
  EXPECT_EQ(right.find("x")->data, "{\"x\":2}");
  EXPECT_EQ(f.count("SELECT refs FROM record_data WHERE data = '{\"x\":1}'"), 1);
  // a row written again with its data unchanged keeps its data row as ever
  auto now = right.find("x");
  EXPECT_EQ(right.put(row("x", "{\"x\":2}", "t3", true), &*now, true), now->data_id);
  p.links().put({"a", "x", "", ""});
  EXPECT_EQ(f.count("SELECT count(*) FROM record_data WHERE data = '{\"x\":1}'"), 0);
  EXPECT_EQ(f.count("SELECT count(*) FROM record_data WHERE refs != 1"), 0);
  EXPECT_EQ(f.count("SELECT count(*) FROM record_data"), 2);
}

// A renumbered record followed by identity (folding.cpp follow_renumbering,
// PairState::rekey of a mirror row): its link moves in place with the bases
// it kept, takes the old row's data as its base of that side where it has
// none (the old row's reference taken over: counted once), keeps a base it
// had, and a link the new id had goes first with what it kept. Every data
// row is referred to exactly as often as its refs say, on either side.
TEST(StateLinksTest, ARenumberedRecordsLinkMovesInPlaceAndKeepsItsOldDataAsItsBase) {
  for (Side side : {Side::kLeft, Side::kRight}) {
    SCOPED_TRACE(side_name(side));
    StateFile g;
    auto t = g.open();
    ASSERT_TRUE(t);
    PairState q = t->pair("p");
    MirrorSide m = q.mirror(side), o = q.mirror(other(side));
    std::string a = side == Side::kLeft ? "a" : "x", a2 = a + "2", b = side == Side::kLeft ? "b" : "y";
    std::string oa = side == Side::kLeft ? "x" : "a", ob = side == Side::kLeft ? "y" : "b";
    m.put(row(a, "{\"n\":1}"));
    m.put(row(b, "{\"n\":9}"));
    o.put(row(oa, "{\"o\":1}"));
    o.put(row(ob, "{\"o\":9}"));
    m.put(row(a2, "{\"n\":1,\"folder\":\"P\"}", "t2", true));  // the same message listed under its new id
    auto link_of = [&](const std::string& mine, const std::string& theirs) {
      return side == Side::kLeft ? LinkRow{mine, theirs, "", ""} : LinkRow{theirs, mine, "", ""};
    };
    q.links().put(link_of(a, oa));
    // a link the new id has (a stale one) goes first, with the base it kept
    q.links().put(link_of(a2, ob));
    ASSERT_TRUE(q.links().keep(*q.links().find(side, a2), other(side), o.find(ob)->data_id));
    // the other side's base kept already moves with the link
    auto other_row = o.find(oa);
    ASSERT_TRUE(q.links().keep(*q.links().find(side, a), other(side), other_row->data_id, true));
    o.put(row(oa, "{\"o\":2}", "t2", true), &*other_row, true);
    auto old = m.find(a);
    ASSERT_TRUE(old);
    q.rekey(side, *old, a2);
    EXPECT_FALSE(m.find(a));
    EXPECT_FALSE(q.links().find(side, a));
    EXPECT_FALSE(q.links().find(other(side), ob));
    auto moved = q.links().find(side, a2);
    ASSERT_TRUE(moved);
    EXPECT_EQ(side == Side::kLeft ? moved->right_id : moved->left_id, oa);
    const LinkRow::Kept& mine = side == Side::kLeft ? moved->kept_left : moved->kept_right;
    const LinkRow::Kept& theirs = side == Side::kLeft ? moved->kept_right : moved->kept_left;
    EXPECT_EQ(mine.data, "{\"n\":1}");  // the old row's data: the base of the new one
    EXPECT_EQ(mine.id, old->data_id);
    EXPECT_EQ(theirs.data, "{\"o\":1}");
    EXPECT_EQ(q.links().find(other(side), oa)->left_id, side == Side::kLeft ? a2 : oa);
    EXPECT_EQ(q.links().count(), 1);
    EXPECT_EQ(g.count("SELECT count(*) FROM link_rights"), 1);
    EXPECT_EQ(g.count("SELECT count(*) FROM link_bases"), 2);
    EXPECT_EQ(g.count("SELECT count(*) FROM record_data d WHERE refs != (SELECT count(*) FROM mirror_rows m WHERE "
                      "m.data_id = d.id) + (SELECT count(*) FROM link_bases k WHERE k.data_id = d.id)"),
              0);
    EXPECT_EQ(g.count("SELECT count(*) FROM record_data WHERE data = '{\"o\":9}'"), 1);  // y's own row only
    EXPECT_EQ(g.count("SELECT refs FROM record_data WHERE data = '{\"o\":9}'"), 1);
    // renumbered again: the base it has now stays (not the second old row's)
    auto again = m.find(a2);
    ASSERT_TRUE(again);
    q.rekey(side, *again, a + "3");
    auto twice = q.links().find(side, a + "3");
    ASSERT_TRUE(twice);
    EXPECT_EQ((side == Side::kLeft ? twice->kept_left : twice->kept_right).data, "{\"n\":1}");
    EXPECT_EQ(g.count("SELECT count(*) FROM record_data WHERE data = '{\"n\":1,\"folder\":\"P\"}'"), 0);
    // its pair in accord again: the link lets go of what it kept
    q.links().put(side == Side::kLeft ? LinkRow{a + "3", oa, "", ""} : LinkRow{oa, a + "3", "", ""});
    EXPECT_EQ(g.count("SELECT count(*) FROM link_bases"), 0);
    EXPECT_EQ(g.count("SELECT count(*) FROM record_data WHERE data = '{\"n\":1}'"), 0);
    EXPECT_EQ(g.count("SELECT count(*) FROM record_data d WHERE refs != (SELECT count(*) FROM mirror_rows m WHERE "
                      "m.data_id = d.id)"),
              0);
  }
}

// Links::keep_of (the fold's keep of a changed linked record's base) answers
// as find + keep do, from either side: a base kept once (held, or taken
// over), never a second time over a kept one or a written-out one, and
// nothing for a record with no link or another pair's.
TEST(StateLinksTest, KeepOfKeepsABaseOnceFromEitherSideAsFindAndKeepDo) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  PairState p = s->pair("p");
  MirrorSide left = p.mirror(Side::kLeft), right = p.mirror(Side::kRight);
  int64_t a = left.put(row("a", "{\"n\":1}"));
  int64_t x = right.put(row("x", "{\"m\":1}"));
  int64_t b = left.put(row("b", "{\"n\":9}"));  // never linked
  p.links().put({"a", "x", "", ""});
  auto refs = [&](int64_t id) { return f.count("SELECT refs FROM record_data WHERE id = " + std::to_string(id)); };
  EXPECT_FALSE(p.links().keep_of(Side::kLeft, "b", b));
  EXPECT_FALSE(s->pair("q").links().keep_of(Side::kLeft, "a", a));  // another pair's
  EXPECT_FALSE(p.links().keep_of(Side::kLeft, "a", 0));
  EXPECT_EQ(f.count("SELECT count(*) FROM link_bases"), 0);
  // held: the row keeps its reference, the link takes one more
  EXPECT_TRUE(p.links().keep_of(Side::kLeft, "a", a));
  EXPECT_EQ(refs(a), 2);
  EXPECT_EQ(p.links().find(Side::kRight, "x")->kept_left.id, a);
  // a second change keeps the first base: nothing held, nothing replaced
  EXPECT_FALSE(p.links().keep_of(Side::kLeft, "a", b));
  EXPECT_EQ(refs(b), 1);
  EXPECT_EQ(p.links().find(Side::kLeft, "a")->kept_left.id, a);
  // by the right id, the row's reference taken over (the change then
  // written without releasing it): no reference added
  auto wx = right.find("x");
  EXPECT_TRUE(p.links().keep_of(Side::kRight, "x", wx->data_id, true));
  int64_t x2 = right.put(row("x", "{\"m\":2}", "t2", true), &*wx, true);
  EXPECT_EQ(refs(x), 1);
  EXPECT_EQ(p.links().find(Side::kLeft, "a")->kept_right.id, x);
  EXPECT_FALSE(p.links().keep_of(Side::kRight, "x", x2, true));
  EXPECT_EQ(p.links().find(Side::kLeft, "a")->kept_right.id, x);
  // a base written out is the base: nothing kept beside it
  p.links().put({"a", "x", "{\"l\":0}", ""});  // (the kept ones let go of)
  EXPECT_EQ(f.count("SELECT count(*) FROM link_bases"), 0);
  EXPECT_EQ(refs(a), 1);
  EXPECT_FALSE(p.links().keep_of(Side::kLeft, "a", a));
  EXPECT_TRUE(p.links().keep_of(Side::kRight, "x", x2));
  EXPECT_EQ(refs(x2), 2);
  EXPECT_EQ(f.count("SELECT count(*) FROM link_bases"), 1);
}

// A link found (find, and put's look-up of what it kept) reads each side's
// kept base, both when it keeps two, from either side, and only its own:
// not the bases of a link whose left id is next to it in the key order, nor
// those another pair keeps under the same ids (issue 24: the kept bases are
// read in one walk of link_bases' key). Each put lets go of exactly the
// data rows the link no longer keeps.
TEST(StateLinksTest, ALinkFoundReadsItsOwnKeptBasesOfEachSideAndNoOthers) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  // left ids next to each other in the key order, in two pairs
  const std::vector<std::string> lefts = {"a", "a\x01", "a\x7f", "ab", "b"};
  std::map<std::string, std::map<std::string, int64_t>> kept;  // pair -> "left_id side" -> data row
  for (const char* pair : {"p", "q"}) {
    PairState ps = s->pair(pair);
    for (size_t i = 0; i < lefts.size(); ++i) {
      std::string right_id = "r" + std::to_string(i);
      std::string tag = std::string(pair) + std::to_string(i);
      int64_t l = ps.mirror(Side::kLeft).put(row(lefts[i], "{\"l\":\"" + tag + "\"}"));
      int64_t r = ps.mirror(Side::kRight).put(row(right_id, "{\"r\":\"" + tag + "\"}"));
      ps.links().put({lefts[i], right_id, "", ""});
      // "a": both sides kept; "a\x01": left only; "a\x7f": right only; "ab": none; "b": both
      if (i != 2 && i != 3) {
        ASSERT_TRUE(ps.links().keep_of(Side::kLeft, lefts[i], l));
        kept[pair][lefts[i] + " left"] = l;
      }
      if (i != 1 && i != 3) {
        ASSERT_TRUE(ps.links().keep_of(Side::kRight, right_id, r));
        kept[pair][lefts[i] + " right"] = r;
      }
    }
  }
  auto data_of = [&](int64_t id) {
    sql::Db db(f.path.string());
    sql::Stmt q(db, "SELECT data FROM record_data WHERE id = ?1");
    q.bind(1, id);
    return q.step() ? std::string(q.text(0)) : std::string("(none)");
  };
  for (const char* pair : {"p", "q"}) {
    PairState ps = s->pair(pair);
    for (size_t i = 0; i < lefts.size(); ++i) {
      std::string right_id = "r" + std::to_string(i);
      for (Side by : {Side::kLeft, Side::kRight}) {
        auto l = ps.links().find(by, by == Side::kLeft ? lefts[i] : right_id);
        ASSERT_TRUE(l) << pair << " " << i;
        EXPECT_EQ(l->left_id, lefts[i]);
        EXPECT_EQ(l->right_id, right_id);
        for (Side side : {Side::kLeft, Side::kRight}) {
          const LinkRow::Kept& k = side == Side::kLeft ? l->kept_left : l->kept_right;
          auto want = kept[pair].find(lefts[i] + " " + side_name(side));
          int64_t id = want == kept[pair].end() ? 0 : want->second;
          EXPECT_EQ(k.id, id) << pair << " " << i << " " << side_name(side);
          EXPECT_EQ(k.data, id ? data_of(id) : "") << pair << " " << i << " " << side_name(side);
        }
      }
    }
  }
  // the pair in accord again, link by link: each put lets go of its own
  // kept rows (back to the one reference of their mirror row), no other's
  PairState p = s->pair("p");
  for (size_t i = 0; i < lefts.size(); ++i) {
    p.links().put({lefts[i], "r" + std::to_string(i), "", ""});
    for (const auto& [pair, bases] : kept)
      for (const auto& [what, id] : bases) {
        auto at = std::find(lefts.begin(), lefts.end(), what.substr(0, what.find(' ')));
        bool let_go = pair == "p" && static_cast<size_t>(at - lefts.begin()) <= i;
        EXPECT_EQ(f.count("SELECT refs FROM record_data WHERE id = " + std::to_string(id)), let_go ? 1 : 2)
            << pair << " " << what << " after " << i;
      }
  }
  EXPECT_EQ(f.count("SELECT count(*) FROM link_bases WHERE pair = 'p'"), 0);
  EXPECT_EQ(f.count("SELECT count(*) FROM link_bases WHERE pair = 'q'"), 6);
}

// A create's link written with `fresh` (no link planned: its rows go in
// first, issue 22) leaves the state as put without it does, from every
// state the two records may be in after all: neither linked, either linked
// to another record (with what it kept), linked to each other already; the
// new link with kept bases or without.
TEST(StateLinksTest, ALinkWrittenFreshIsTheLinkPutWritesWhateverEitherRecordWasLinkedTo) {
  struct Case {
    const char* name;
    std::vector<LinkRow> before;  // links there already (kept ids are 1-based data rows, made below)
    LinkRow link;                 // the link written
  };
  auto kept = [](LinkRow l, int64_t left, int64_t right) {
    l.kept_left.id = left;
    l.kept_right.id = right;
    return l;
  };
  const std::vector<Case> cases = {
      {"neither linked", {{"b", "y", "", ""}}, {"a", "x", "", ""}},
      {"neither linked, kept bases", {}, kept({"a", "x", "", ""}, 1, 2)},
      {"written-out bases", {}, {"a", "x", "{\"l\":1}", "{\"r\":1}"}},
      {"the left linked to another", {kept({"a", "w", "", ""}, 1, 0)}, {"a", "x", "", ""}},
      {"the right linked to another", {kept({"b", "x", "", ""}, 0, 2), {"c", "z", "", ""}}, {"a", "x", "", ""}},
      {"the right linked to another, kept bases", {kept({"b", "x", "", ""}, 1, 2)}, kept({"a", "x", "", ""}, 1, 0)},
      {"both linked to others", {{"a", "w", "", ""}, kept({"b", "x", "", ""}, 2, 0)}, {"a", "x", "", ""}},
      {"linked to each other", {kept({"a", "x", "", ""}, 1, 2)}, {"a", "x", "", ""}},
      {"linked to each other, new bases", {{"a", "x", "", ""}}, kept({"a", "x", "{\"l\":1}", ""}, 0, 2)},
  };
  auto dump = [](const StateFile& f) {
    return f.dump({"SELECT pair || ' ' || left_id || ' ' || right_id || ' ' || base_left || ' ' || base_right"
                   " FROM links ORDER BY pair, left_id",
                   "SELECT pair || ' ' || right_id || ' ' || left_id FROM link_rights ORDER BY pair, right_id",
                   "SELECT pair || ' ' || left_id || ' ' || side || ' ' || data_id FROM link_bases"
                   " ORDER BY pair, left_id, side",
                   "SELECT id || ' ' || data || ' ' || refs FROM record_data ORDER BY id"});
  };
  for (const auto& c : cases) {
    std::string dumps[2];
    for (int fresh = 0; fresh < 2; ++fresh) {
      StateFile f;
      auto s = f.open();
      ASSERT_TRUE(s);
      PairState p = s->pair("p");
      p.mirror(Side::kLeft).put(row("d1", "{\"d\":1}"));   // data row 1
      p.mirror(Side::kRight).put(row("d2", "{\"d\":2}"));  // data row 2
      s->pair("q").links().put({"a", "x", "", ""});       // (another pair's, untouched)
      for (const auto& l : c.before) p.links().put(l);
      p.links().put(c.link, fresh == 1);
      dumps[fresh] = dump(f);
    }
    EXPECT_EQ(dumps[1], dumps[0]) << c.name;
  }
}
