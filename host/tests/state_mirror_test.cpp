// SPDX-License-Identifier: Apache-2.0
// One side's mirror (state/mirror.cpp): what changed comes back oldest
// change first and only until it is planned; a row's data keeps its data row
// while it does not change and is released when it does or the row goes;
// each pair and side sees only its own rows; a full listing takes for
// deleted only what it left out and could read.
#include "state_test_util.hpp"

#include <algorithm>

using namespace accord;
using accord::state_test::row;
using accord::state_test::StateFile;

namespace {

std::string ids(const std::vector<MirrorRef>& refs) {
  std::string out;
  for (const auto& r : refs) out += r.id() + " ";
  return out;
}

}  // namespace

TEST(StateMirrorTest, ChangedRowsComeOldestChangeFirstUntilTheyArePlanned) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  MirrorSide m = s->pair("p").mirror(Side::kLeft);
  m.put(row("c", "{}", "2026-01-03", true));
  m.put(row("a", "{}", "2026-01-02", true));
  m.put(row("b", "{}", "2026-01-02", true));
  m.put(row("z", "{}", "2026-01-01", false));
  EXPECT_EQ(ids(m.dirty()), "a b c ");
  EXPECT_TRUE(m.find("a")->dirty);
  EXPECT_FALSE(m.find("z")->dirty);
  m.clear_dirty("b");
  m.put(row("c", "{\"n\":1}", "2026-01-04", false));  // written clean: planned
  EXPECT_EQ(ids(m.dirty()), "a ");
  m.mark_dirty({"z", "c"});
  EXPECT_EQ(ids(m.dirty()), "z a c ");
  EXPECT_TRUE(s->pair("p").any_clean());  // b
  m.mark_dirty({"b"});
  EXPECT_FALSE(s->pair("p").any_clean());
}

TEST(StateMirrorTest, UnchangedDataKeepsItsDataRowAndChangedOrDroppedDataIsReleased) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  MirrorSide m = s->pair("p").mirror(Side::kRight);
  int64_t first = m.put(row("x", "{\"n\":1}"));
  m.put(row("y", "{\"n\":0}"));  // (a row written anew would take another id)
  EXPECT_EQ(m.put(row("x", "{\"n\":1}", "t2")), first);
  EXPECT_EQ(m.find("x")->modified, "t2");
  int64_t second = m.put(row("x", "{\"n\":2}"));  // the old row released, a new one (its id may be the same)
  EXPECT_EQ(f.count("SELECT count(*) FROM record_data"), 2);
  EXPECT_EQ(f.count("SELECT refs FROM record_data WHERE id = " + std::to_string(second)), 1);
  EXPECT_EQ(m.find_data("x")->data, "{\"n\":2}");
  // held for the history: the data outlives the row
  int64_t held = m.hold_data("x");
  EXPECT_EQ(held, second);
  m.drop("x");
  EXPECT_FALSE(m.find("x"));
  EXPECT_EQ(f.count("SELECT refs FROM record_data WHERE id = " + std::to_string(second)), 1);
  EXPECT_EQ(m.hold_data("x"), 0);
}

TEST(StateMirrorTest, EachPairAndSideSeesOnlyItsOwnRows) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  s->pair("p").mirror(Side::kLeft).put(row("x", "\"p left\""));
  s->pair("p").mirror(Side::kRight).put(row("x", "\"p right\"", "t", true));
  s->pair("q").mirror(Side::kLeft).put(row("x", "\"q left\""));
  EXPECT_EQ(s->pair("p").mirror(Side::kLeft).find("x")->data, "\"p left\"");
  EXPECT_EQ(s->pair("p").mirror(Side::kRight).find("x")->data, "\"p right\"");
  EXPECT_EQ(s->pair("q").mirror(Side::kLeft).find("x")->data, "\"q left\"");
  EXPECT_FALSE(s->pair("q").mirror(Side::kRight).any());
  EXPECT_EQ(ids(s->pair("q").mirror(Side::kRight).dirty()), "");
  EXPECT_EQ(ids(s->pair("p").mirror(Side::kRight).dirty()), "x ");
  EXPECT_TRUE(s->pair("q").empty() == false && s->pair("r").empty());
  s->pair("p").mirror(Side::kLeft).drop("x");
  EXPECT_EQ(s->pair("q").mirror(Side::kLeft).count_live(), 1);
  EXPECT_EQ(s->pair("p").mirror(Side::kLeft).count_live(), 0);
}

TEST(StateMirrorTest, AFullListingTakesForDeletedOnlyWhatItLeftOutAndCouldRead) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  PairState p = s->pair("p");
  MirrorSide m = p.mirror(Side::kLeft);
  for (const char* id : {"a", "b", "c", "d"}) m.put(row(id, "{}"));
  MirrorRow gone = row("e", "{}");
  gone.deleted = true;
  m.put(gone);
  s->pair("q").mirror(Side::kLeft).put(row("f", "{}"));
  s->staging().reset();
  s->staging().add(Side::kLeft, {"a", "v1", "t", "{}", "", false, true, {0, 0}});
  s->staging().add(Side::kRight, {"b", "v1", "t", "{}", "", false, true, {0, 0}});  // the other side's
  p.unreadable().note(Side::kLeft, {{"", "", "c", "c", "local", "contact", "", "bad UTF-8", ""}}, {}, true);
  std::vector<std::string> missing = m.not_staged();
  EXPECT_EQ(missing, (std::vector<std::string>{"b", "d"}));
  // read well now: no longer kept from being taken for deleted
  p.unreadable().note(Side::kLeft, {}, {"c"}, false);
  EXPECT_EQ(m.not_staged(), (std::vector<std::string>{"b", "c", "d"}));
}

// put(row, was) with the row find just read: the same data row kept or
// released as when put reads it itself; many rows made clean in one
// statement, each pair's and side's own only.
TEST(StateMirrorTest, PutGivenTheRowJustReadKeepsOrReleasesItsDataAsPutAloneDoes) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  MirrorSide m = s->pair("p").mirror(Side::kLeft);
  int64_t first = m.put(row("x", "{\"n\":1}"));
  auto was = m.find("x");
  ASSERT_TRUE(was);
  EXPECT_EQ(was->data_id, first);
  MirrorRow same = *was;
  same.modified = "t2";
  EXPECT_EQ(m.put(same, &*was), first);  // unchanged data: its data row
  was = m.find("x");
  MirrorRow changed = *was;
  changed.data = "{\"n\":2}";
  int64_t second = m.put(changed, &*was);
  EXPECT_EQ(f.count("SELECT count(*) FROM record_data"), 1);  // the first released
  EXPECT_EQ(f.count("SELECT refs FROM record_data WHERE id = " + std::to_string(second)), 1);
  EXPECT_EQ(m.find_data("x")->data, "{\"n\":2}");
  EXPECT_EQ(m.find_data("x")->data_id, second);
}

TEST(StateMirrorTest, ManyRowsAreMadeCleanAtOnceOnTheirOwnPairAndSideOnly) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  MirrorSide m = s->pair("p").mirror(Side::kLeft);
  MirrorSide other_side = s->pair("p").mirror(Side::kRight);
  MirrorSide other_pair = s->pair("q").mirror(Side::kLeft);
  for (const char* id : {"a", "b", "c", "d"}) m.put(row(id, "{}", "2026-01-01", true));
  other_side.put(row("a", "{}", "2026-01-01", true));
  other_pair.put(row("b", "{}", "2026-01-01", true));
  m.clear_dirty(std::vector<std::string>{"d", "b", "nothing"});
  m.clear_dirty(std::vector<std::string>{});
  EXPECT_EQ(ids(m.dirty()), "a c ");
  EXPECT_EQ(ids(other_side.dirty()), "a ");
  EXPECT_EQ(ids(other_pair.dirty()), "b ");
}

// What a side read comes back in the order staged, or in id order (folding
// walks the mirror's keys in order), an id staged twice still in the order
// staged: the later copy is folded last.
TEST(StateMirrorTest, StagedRowsComeInTheOrderStagedOrByIdWithARepeatedIdInTheOrderStaged) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  Staging st = s->staging();
  st.reset();
  for (const char* at : {"c:1", "a:1", "b:1", "a:2"}) {
    std::string v(at);
    st.add(Side::kLeft, StagedRow{v.substr(0, 1), v.substr(2), "t", "{}", "", false, true, {0, 0}});
  }
  st.add(Side::kRight, StagedRow{"0", "1", "t", "{}", "", false, true, {0, 0}});
  auto order = [&](bool by_id) {
    std::string out;
    st.for_each(Side::kLeft, [&](StagedRow& r) { out += r.id + ":" + r.version + " "; }, by_id);
    return out;
  };
  EXPECT_EQ(order(false), "c:1 a:1 b:1 a:2 ");
  EXPECT_EQ(order(true), "a:1 a:2 b:1 c:1 ");
}

// unlinked() walks the rows, the links and the dirty ids side by side in
// the state's key order (issue 22): what it answers is what a look-up of
// each row in links answers, for ids whose order is SQLite's bytes (upper
// case before lower, a prefix first, bytes above 0x7f last, digits as
// text), links to rows that are gone, another pair's links, deleted and
// excluded rows, and dirty flags.
TEST(StateMirrorTest, UnlinkedRowsAreThoseNoLinkNamesInKeyOrderWithTheirDirtyFlags) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  const std::vector<std::string> all = {"a",  "a\x7f", "a\x80", "ab", "B",      "b",  "10", "9",
                                        "\xc3\xa9", "z", "zz",  "a b", "a\x01", "",   "~",  "Z"};
  for (Side side : {Side::kLeft, Side::kRight}) {
    MirrorSide m = s->pair("p").mirror(side);
    for (size_t i = 0; i < all.size(); ++i) {
      MirrorRow r = row(all[i], "{}", "t", i % 3 == 0);
      r.keys = "k" + std::to_string(i);
      r.deleted = i == 5;
      r.included = i != 7;
      m.put(r);
    }
  }
  // links: of rows here, of rows that are not ("a\x7e", "y"), and another pair's
  s->pair("p").links().put({"a\x80", "ab", "", ""});
  s->pair("p").links().put({"10", "a\x7f", "", ""});
  s->pair("p").links().put({"a\x7e", "zz", "", ""});
  s->pair("p").links().put({"~", "y", "", ""});
  s->pair("p").links().put({"B", "", "", ""});
  s->pair("q").links().put({"a", "a", "", ""});
  // each row looked up, as unlinked() did before (the oracle)
  auto looked_up = [&](Side side) {
    std::string linked = side == Side::kLeft
                             ? "SELECT 1 FROM links l WHERE l.pair = m.pair AND l.left_id = m.id"
                             : "SELECT 1 FROM link_rights r WHERE r.pair = m.pair AND r.right_id = m.id";
    sql::Db db(f.path.string());
    sql::Stmt q(db, "SELECT id, keys, EXISTS (SELECT 1 FROM dirty d WHERE d.pair = m.pair AND d.side = m.side AND"
                    " d.id = m.id) FROM mirror_rows m WHERE pair = 'p' AND side = ?1 AND deleted = 0 AND included = 1"
                    " AND NOT EXISTS (" + linked + ") ORDER BY id");
    q.bind(1, side_name(side));
    std::string out;
    while (q.step()) out += "[" + std::string(q.text(0)) + "|" + std::string(q.text(1)) + (q.i64(2) ? "|dirty] " : "] ");
    return out;
  };
  for (Side side : {Side::kLeft, Side::kRight}) {
    std::string got;
    for (const MirrorRef& r : s->pair("p").mirror(side).unlinked()) {
      EXPECT_FALSE(r.deleted);
      EXPECT_TRUE(r.included);
      got += "[" + std::string(r.id()) + "|" + std::string(r.keys()) + (r.dirty ? "|dirty] " : "] ");
    }
    EXPECT_EQ(got, looked_up(side)) << side_name(side);
    EXPECT_EQ(std::count(got.begin(), got.end(), '['), 10) << got;
  }
}

// A write for the history by the row as planning read it (its data row's
// id, `was`: commit_item, issue 24) leaves the state exactly as the write
// that reads the row first does: data changed or not, and where the row
// changed since it was read (another data row, the same text in a new data
// row, the text about to be written, or the row gone), the stale `was` is
// never written: the row is read and written as ever.
TEST(StateMirrorTest, AWriteForTheHistoryByTheRowAsReadIsTheWriteThatReadsItAgainEvenWhereItChangedSince) {
  struct Case {
    const char* name;
    std::string then, now;  // the row's data when read, and after what happened since ("": dropped)
    bool since;             // the row written again (or dropped) after it was read
    std::string written;    // what the commit writes
    bool dirty;
    bool held = false;      // the data row read still held by another (a link's kept base, the history)
  };
  const std::vector<Case> cases = {
      {"changed", "{\"n\":1}", "", false, "{\"n\":2}", false},
      {"unchanged", "{\"n\":1}", "", false, "{\"n\":1}", false},
      {"changed, dirty", "{\"n\":1}", "", false, "{\"n\":2}", true},
      {"rewritten since", "{\"n\":1}", "{\"n\":5}", true, "{\"n\":2}", false},
      {"rewritten since, written as read", "{\"n\":1}", "{\"n\":5}", true, "{\"n\":1}", false},
      {"rewritten since as written", "{\"n\":1}", "{\"n\":2}", true, "{\"n\":2}", false},
      {"same text, new data row", "{\"n\":1}", "{\"n\":1}", true, "{\"n\":2}", false},
      {"dropped since", "{\"n\":1}", "", true, "{\"n\":2}", false},
      {"rewritten since, the data read held, written as read", "{\"n\":1}", "{\"n\":5}", true, "{\"n\":1}", false, true},
      {"rewritten since, the data read held", "{\"n\":1}", "{\"n\":5}", true, "{\"n\":2}", false, true},
      {"dropped since, the data read held, written as read", "{\"n\":1}", "", true, "{\"n\":1}", false, true},
  };
  auto dump = [](const StateFile& f) {
    return f.dump({"SELECT pair || ' ' || side || ' ' || id || ' ' || version || ' ' || modified || ' ' || data_id ||"
                   " ' ' || included || ' ' || deleted || ' ' || keys FROM mirror_rows ORDER BY pair, side, id",
                   "SELECT id || ' ' || data || ' ' || refs FROM record_data ORDER BY id",
                   "SELECT pair || ' ' || side || ' ' || id FROM dirty ORDER BY pair, side, id"});
  };
  for (const auto& c : cases) {
    std::string dumps[2];
    int64_t befores[2], afters[2];
    for (int how = 0; how < 2; ++how) {  // 0: read again (put_for_history alone); 1: by `was`
      StateFile f;
      auto s = f.open();
      ASSERT_TRUE(s);
      MirrorSide m = s->pair("p").mirror(Side::kRight);
      s->pair("p").mirror(Side::kLeft).put(row("x", "{\"left\":1}"));  // (another side's row of the same id)
      s->pair("q").mirror(Side::kRight).put(row("x", c.then));         // (another pair's)
      m.put(row("w", "{\"w\":1}"));
      m.put(row("x", c.then));
      m.put(row("y", "{\"y\":1}"));
      auto was = m.find_data("x");
      ASSERT_TRUE(was);
      if (c.held) m.hold_data("x");
      if (c.since) {
        if (c.now.empty()) m.drop("x");
        else if (c.now == c.then) {  // the same text in a data row of its own
          m.drop("x");
          m.put(row("y", "{\"y\":2}"));
          m.put(row("x", c.now));
        } else m.put(row("x", c.now, "t1"), &*was);
      }
      MirrorRow r{"x", "v2", "t2", c.written, true, c.dirty, false, "k"};
      int64_t before = -1;
      afters[how] = how == 0 ? m.put_for_history(r, before) : m.put_for_history(r, before, was->data_id);
      befores[how] = before;
      dumps[how] = dump(f);
    }
    EXPECT_EQ(dumps[1], dumps[0]) << c.name;
    EXPECT_EQ(befores[1], befores[0]) << c.name;
    EXPECT_EQ(afters[1], afters[0]) << c.name;
  }
}

// A changed row had from its ref of dirty() (planning's linked pairs, issue
// 24) is the row find_data reads, field for field, live, deleted or out of
// the filter, of its own pair and side; a ref whose data row is gone has none.
TEST(StateMirrorTest, AChangedRowHadFromItsDirtyRefIsTheRowFindDataReads) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  MirrorSide m = s->pair("p").mirror(Side::kRight);
  s->pair("p").mirror(Side::kLeft).put(MirrorRow{"b", "lv", "2026-01-01", "{\"left\":1}", true, true, false, "lk"});
  s->pair("q").mirror(Side::kRight).put(MirrorRow{"b", "qv", "2026-01-01", "{\"q\":1}", true, true, false, "qk"});
  m.put(MirrorRow{"a", "v1", "2026-01-03", "{\"a\":1}", true, true, false, "ka\x1e" "1"});
  m.put(MirrorRow{"b", "v2", "2026-01-02", "{\"b\":2}", false, true, false, "kb"});
  m.put(MirrorRow{"c", "v3", "2026-01-04", "{\"c\":3}", true, true, true, ""});
  m.put(MirrorRow{"d", "v4", "2026-01-01", "{\"d\":4}", true, false, false, "kd"});  // (clean: not in dirty)
  auto refs = m.dirty(true);
  ASSERT_EQ(ids(refs), "b a c ");
  for (const auto& ref : refs) {
    auto had = m.row_of(ref);
    auto read = m.find_data(ref.id());
    ASSERT_TRUE(had && read) << ref.id();
    EXPECT_EQ(had->id, read->id);
    EXPECT_EQ(had->version, read->version) << ref.id();
    EXPECT_EQ(had->modified, read->modified) << ref.id();
    EXPECT_EQ(had->data, read->data) << ref.id();
    EXPECT_EQ(had->included, read->included) << ref.id();
    EXPECT_EQ(had->dirty, read->dirty) << ref.id();
    EXPECT_EQ(had->deleted, read->deleted) << ref.id();
    EXPECT_EQ(had->keys, read->keys) << ref.id();
    EXPECT_EQ(had->data_id, read->data_id) << ref.id();
  }
  // the data row gone (the row rewritten since its ref was read): none
  MirrorRef stale = refs[0];
  m.put(MirrorRow{"b", "v5", "2026-01-05", "{\"b\":5}", false, true, false, "kb"});
  EXPECT_FALSE(m.row_of(stale));
}

// A row written with the history's reference held too (a create's commit,
// issue 22) is the row put writes and then one hold of its data row, from
// every state its row may be in: none, the same data, other data, read
// just before, its data row's reference taken over.
TEST(StateMirrorTest, APutHoldingTheHistorysReferenceIsAPutAndAHold) {
  struct Case {
    const char* name;
    std::string then;  // the row's data before ("": no row)
    std::string written;
    bool given_was, taken;
  };
  const std::vector<Case> cases = {
      {"new row", "", "{\"n\":1}", false, false},
      {"same data", "{\"n\":1}", "{\"n\":1}", false, false},
      {"changed", "{\"n\":1}", "{\"n\":2}", false, false},
      {"same data, read before", "{\"n\":1}", "{\"n\":1}", true, false},
      {"changed, read before", "{\"n\":1}", "{\"n\":2}", true, false},
      {"changed, its data row taken over", "{\"n\":1}", "{\"n\":2}", true, true},
  };
  auto dump = [](const StateFile& f) {
    return f.dump({"SELECT pair || ' ' || side || ' ' || id || ' ' || data_id FROM mirror_rows ORDER BY 1",
                   "SELECT id || ' ' || data || ' ' || refs FROM record_data ORDER BY id",
                   "SELECT pair || ' ' || side || ' ' || id FROM dirty ORDER BY 1"});
  };
  for (const auto& c : cases) {
    std::string dumps[2];
    int64_t ids[2];
    for (int how = 0; how < 2; ++how) {  // 0: put, then hold; 1: put holding
      StateFile f;
      auto s = f.open();
      ASSERT_TRUE(s);
      MirrorSide m = s->pair("p").mirror(Side::kLeft);
      m.put(row("w", "{\"n\":1}"));  // (another row of the same data)
      if (!c.then.empty()) m.put(row("x", c.then, "t", true));
      m.put(row("y", "{\"y\":1}"));
      auto was = m.find_data("x");
      if (c.taken) {
        s->pair("p").links().put({"x", "x", "", ""});
        ASSERT_TRUE(s->pair("p").links().keep_of(Side::kLeft, "x", was->data_id, true));
      }
      const MirrorRow* read = c.given_was ? &*was : nullptr;
      MirrorRow r = row("x", c.written, "t2");
      if (how == 0) {
        ids[how] = m.put(r, read, c.taken);
        m.hold_data("x");
      } else {
        ids[how] = m.put(r, read, c.taken, true);
      }
      dumps[how] = dump(f);
    }
    EXPECT_EQ(dumps[1], dumps[0]) << c.name;
    EXPECT_EQ(ids[1], ids[0]) << c.name;
  }
}

// The same from the right side: its ids cleared, the left's rows of the
// same ids left dirty (clear_dirty's side is the mirror's own, not a constant).
TEST(StateMirrorTest, ManyRowsAreMadeCleanOnTheRightSideAsOnTheLeft) {
  StateFile f;
  auto s = f.open();
  ASSERT_TRUE(s);
  MirrorSide right = s->pair("p").mirror(Side::kRight);
  MirrorSide left = s->pair("p").mirror(Side::kLeft);
  for (const char* id : {"a", "b", "c"}) {
    right.put(row(id, "{}", "2026-01-01", true));
    left.put(row(id, "{}", "2026-01-01", true));
  }
  right.clear_dirty(std::vector<std::string>{"c", "a"});
  EXPECT_EQ(ids(right.dirty()), "b ");
  EXPECT_EQ(ids(left.dirty()), "a b c ");
}
