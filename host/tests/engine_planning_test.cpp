// SPDX-License-Identifier: Apache-2.0
// Planning (engine/planning.cpp), alone: a linked pair's rows, link and
// bases in, a verdict and typed actions out, as in the merge matrix. Cases
// the shell tests reach only in passing or not at all: deleted on both
// sides, a delete the pipeline does not allow, a record filtered out, a
// deleted record changed on the other side, keep-both's copies, undecided
// fields whose bases must not move, and two records matched for the first time.
#include "engine/keys.hpp"
#include "engine/planning.hpp"
#include "engine/sync_run.hpp"
#include "mapping/field_travel.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace json = boost::json;
using namespace accord;

namespace {

MirrorRow row(std::string id, std::string data, bool deleted = false, std::string modified = "2026-01-01T10:00:00Z") {
  MirrorRow r;
  r.id = std::move(id);
  r.version = "v1";
  r.modified = std::move(modified);
  r.data = std::move(data);
  r.deleted = deleted;
  r.dirty = true;
  return r;
}

// A pair linked when both held `base`; each side now holds what it is given
// (nullopt: gone from the mirror).
struct Case {
  StreamPair sp;
  std::string pipeline = "p";
  std::string base = R"({"name":"Ann","phone":"1"})";
  std::optional<MirrorRow> left = row("l1", base), right = row("r1", base);
  std::map<std::string, Side> decided;
  Case() { sp.name = "contacts"; }
  PairPlan run() {
    FieldMap fm(sp);
    Planner planner(pipeline, sp, fm, {});
    Item it;
    it.id.left = "l1";
    it.id.right = "r1";
    it.row.left = left;
    it.row.right = right;
    Fields b = fm.to_pair(Side::kLeft, json::parse(base).get_object());
    it.link = LinkRow{"l1", "r1", fields_json(b), fields_json(b)};
    return planner.plan_linked(std::move(it), decided);
  }
};

// The phone changed on both sides since they were last in accord, to different values.
Case both_changed(Policy policy) {
  Case c;
  c.sp.policy = policy;
  c.left->data = R"({"name":"Ann","phone":"2"})";
  c.right->data = R"({"name":"Ann","phone":"3"})";
  return c;
}

}  // namespace

TEST(PlanningTest, UnchangedPairSettlesWithNoWrite) {
  Case c;
  PairPlan p = c.run();
  EXPECT_EQ(p.verdict, PairVerdict::kSettle);
  EXPECT_FALSE(p.item.has_ops());
  EXPECT_TRUE(p.merged);
}

TEST(PlanningTest, ChangedOnTheLeftUpdatesTheRight) {
  Case c;
  c.left->data = R"({"name":"Ann","phone":"2"})";
  PairPlan p = c.run();
  ASSERT_EQ(p.verdict, PairVerdict::kWrite);
  ASSERT_TRUE(p.item.op.right);
  EXPECT_FALSE(p.item.op.left);
  const Action& op = *p.item.op.right;
  EXPECT_EQ(op.kind, OpKind::kUpdate);
  EXPECT_EQ(op.side, Side::kRight);
  EXPECT_EQ(op.id, "r1");
  EXPECT_EQ(op.expect_version, "v1");
  EXPECT_EQ(op.data.at("phone"), "2");
  EXPECT_EQ(op.changes.size(), 1u);
  EXPECT_EQ(p.item.quarantine_side_id.left, "l1");  // a failure is charged to the source
}

// An update names the previous values of what it changes ("was", docs/sdk.md):
// the source side's base, in the target's form. A Gmail-like right holds a
// label (X) the left never showed: the left's move Work → Personal sends
// was {"mailboxIds": {"Work": true}}, so the right can keep X; a field the
// left's base lacked is null; unchanged fields are not named (issue 26).
TEST(PlanningTest, AnUpdateCarriesTheSourcesBaseOfWhatItChanges) {
  StreamPair sp;
  sp.name = "mail";
  FieldMap fm(sp);
  Planner planner("p", sp, fm, {});
  std::string lbase = R"({"subject":"s","mailboxIds":{"Work":true}})";
  std::string rbase = R"({"subject":"s","mailboxIds":{"Work":true,"X":true}})";
  Item it;
  it.id.left = "l1";
  it.id.right = "r1";
  it.row.left = row("l1", R"({"subject":"s","mailboxIds":{"Personal":true},"keywords":{"$seen":true}})");
  it.row.right = row("r1", rbase);
  it.link = LinkRow{"l1", "r1", fields_json(fm.to_pair(Side::kLeft, json::parse(lbase).get_object())),
                    fields_json(fm.to_pair(Side::kRight, json::parse(rbase).get_object()))};
  PairPlan p = planner.plan_linked(std::move(it), {});
  ASSERT_EQ(p.verdict, PairVerdict::kWrite);
  ASSERT_TRUE(p.item.op.right);
  EXPECT_FALSE(p.item.op.left);
  EXPECT_EQ(json::value(p.item.op.right->data.at("mailboxIds")), json::parse(R"({"Personal":true})"));
  EXPECT_EQ(json::value(p.item.op.right->was), json::parse(R"({"mailboxIds":{"Work":true},"keywords":null})"));
}

TEST(PlanningTest, DeletedOnBothSidesForgetsThePairAndWritesNothing) {
  Case c;
  c.left->deleted = true;
  c.right->deleted = true;
  PairPlan p = c.run();
  EXPECT_EQ(p.verdict, PairVerdict::kForget);
  EXPECT_FALSE(p.item.has_ops());
}

TEST(PlanningTest, DeletedOnTheLeftUnchangedOnTheRightDeletesTheRight) {
  Case c;
  c.left->deleted = true;
  PairPlan p = c.run();
  ASSERT_EQ(p.verdict, PairVerdict::kWrite);
  ASSERT_TRUE(p.item.op.right);
  EXPECT_EQ(p.item.op.right->kind, OpKind::kDelete);
  EXPECT_EQ(p.item.op.right->id, "r1");
  EXPECT_TRUE(p.item.forget.left);  // the deleted source row goes with it
  EXPECT_FALSE(p.item.forget.right);
}

TEST(PlanningTest, ADeleteThePipelineDoesNotAllowUnlinksAndKeepsTheSurvivor) {
  Case c;
  c.sp.ops_to_right = {"create", "update"};
  c.left->deleted = true;
  PairPlan p = c.run();
  EXPECT_EQ(p.verdict, PairVerdict::kUnlink);
  EXPECT_FALSE(p.item.has_ops());
  EXPECT_TRUE(p.item.drop_link);
  ASSERT_EQ(p.notes.size(), 1u);
  EXPECT_EQ(p.notes[0], "not deleting Ann on the right: deletes to that side are not allowed");
}

TEST(PlanningTest, DeletedOnOneSideChangedOnTheOtherIsMadeAgain) {
  Case c;
  c.left->deleted = true;
  c.right->data = R"({"name":"Ann","phone":"3"})";
  PairPlan p = c.run();
  ASSERT_EQ(p.verdict, PairVerdict::kWrite);
  ASSERT_TRUE(p.item.op.left);
  const Action& op = *p.item.op.left;
  EXPECT_EQ(op.kind, OpKind::kCreate);
  EXPECT_EQ(op.source_id, "r1");
  EXPECT_EQ(op.data.at("phone"), "3");
  EXPECT_EQ(op.idempotency_key, derive_idempotency_key("p", "contacts", Side::kRight, "r1"));
  EXPECT_TRUE(p.item.id.left.empty());  // the create makes it
  EXPECT_FALSE(p.item.row.left);
}

// A record out of its side's filter parks the pair (review s11 L5): no
// write either way, even for the other side's edit, and the link stays
// with its bases (plan_run.cpp take: rows made clean, nothing else).
TEST(PlanningTest, ARecordFilteredOutParksThePairWithNoWriteEitherWay) {
  Case c;
  c.right->included = false;
  c.left->data = R"({"name":"Ann","phone":"2"})";  // an edit on the side still in
  PairPlan p = c.run();
  EXPECT_EQ(p.verdict, PairVerdict::kPark);
  EXPECT_FALSE(p.item.has_ops());
  EXPECT_FALSE(p.item.drop_link);
  EXPECT_FALSE(p.merged);  // no merge, so no conflict is closed
  ASSERT_TRUE(p.item.link);
  EXPECT_NE(p.item.link->base_left, "");  // its bases kept as they were
  ASSERT_EQ(p.notes.size(), 1u);
  EXPECT_EQ(p.notes[0], "parked l1 ⇄ r1: the right record is out of the right filter; nothing written either way "
                        "until it passes again (then both sides' edits are merged)");
}

// Back in the filter, the pair merges both sides' edits since its bases.
TEST(PlanningTest, AParkedPairBackInTheFilterMergesBothSidesEditsSinceItsBases) {
  Case c;
  c.base = R"({"name":"Ann","phone":"1","org":"A"})";
  c.left = row("l1", R"({"name":"Ann","phone":"2","org":"A"})");
  c.right = row("r1", R"({"name":"Ann","phone":"1","org":"B"})");
  PairPlan p = c.run();
  ASSERT_EQ(p.verdict, PairVerdict::kWrite);
  ASSERT_TRUE(p.item.op.left && p.item.op.right);
  EXPECT_EQ(p.item.op.left->kind, OpKind::kUpdate);
  EXPECT_EQ(p.item.op.left->data.at("org"), "B");
  EXPECT_EQ(p.item.op.right->data.at("phone"), "2");
}

// A record deleted while its pair is parked: the link is forgotten and
// nothing is deleted on the other side, whichever record went.
TEST(PlanningTest, ARecordDeletedWhileItsPairIsParkedUnlinksAndDeletesNothing) {
  for (bool out_deleted : {true, false}) {
    Case c;
    c.right->included = false;
    (out_deleted ? c.right : c.left)->deleted = true;
    PairPlan p = c.run();
    EXPECT_EQ(p.verdict, PairVerdict::kUnlink);
    EXPECT_FALSE(p.item.has_ops());
    ASSERT_EQ(p.notes.size(), 1u);
    EXPECT_EQ(p.notes[0], std::string("unlinked l1 ⇄ r1: the right record is out of the right filter, and the ") +
                              (out_deleted ? "right" : "left") + " record was deleted; nothing deleted on the " +
                              (out_deleted ? "left" : "right"));
  }
}

TEST(PlanningTest, AnUndecidedConflictWritesNothingAndKeepsItsBase) {
  Case c = both_changed(Policy::kManual);
  PairPlan p = c.run();
  EXPECT_EQ(p.verdict, PairVerdict::kSettle);
  ASSERT_EQ(p.conflicts.size(), 1u);
  EXPECT_FALSE(p.conflicts[0].winner);
  EXPECT_EQ(p.item.manual_fields, std::vector<std::string>{"/phone"});
  // the link that settles it keeps the old base for /phone, so it stays a conflict
  LinkRow link = link_for(p.item, p.forms.left, p.forms.right);
  EXPECT_EQ(fields_from_json(link.base_left).at("/phone"), "1");
  EXPECT_EQ(fields_from_json(link.base_right).at("/phone"), "1");
}

TEST(PlanningTest, ADecidedConflictWritesTheWinner) {
  Case c = both_changed(Policy::kManual);
  c.decided = {{"/phone", Side::kRight}};
  PairPlan p = c.run();
  ASSERT_EQ(p.verdict, PairVerdict::kWrite);
  ASSERT_TRUE(p.item.op.left);
  EXPECT_EQ(p.item.op.left->data.at("phone"), "3");
  EXPECT_TRUE(p.item.manual_fields.empty());
}

TEST(PlanningTest, KeepBothWritesTheWinnerAndCopiesTheLoserAsANewPair) {
  Case c = both_changed(Policy::kKeepBoth);
  PairPlan p = c.run();
  ASSERT_EQ(p.verdict, PairVerdict::kWrite);
  ASSERT_TRUE(p.copy);
  ASSERT_TRUE(p.copy->op.left && p.copy->op.right);
  // one key for both copies, per conflict: the kept right version's (review s11 F4)
  std::string key = p.copy->op.left->idempotency_key;
  EXPECT_EQ(p.copy->op.right->idempotency_key, key);
  FieldMap fm(c.sp);
  Planner planner("p", c.sp, fm, {});
  EXPECT_EQ(key, planner.keep_both_key("r1", c.right->version + std::string(1, '\0') + c.right->data));
  EXPECT_TRUE(planner.is_keep_both_key(key, "r1"));
  EXPECT_FALSE(planner.is_keep_both_key(key, "r2"));
  EXPECT_FALSE(planner.is_keep_both_key(planner.self_key(Side::kRight, "r1"), "r1"));
  // (a key from before the fix is recognised too)
  EXPECT_TRUE(planner.is_keep_both_key(derive_idempotency_key("p", "contacts", Side::kRight, "r1", "keep-both"), "r1"));
  // a second conflict of the record, its right holding another version: other copies, another key
  Case c2 = both_changed(Policy::kKeepBoth);
  c2.right->data = R"({"name":"Ann","phone":"4"})";
  PairPlan p2 = c2.run();
  ASSERT_TRUE(p2.copy && p2.copy->op.left);
  EXPECT_NE(p2.copy->op.left->idempotency_key, key);
  EXPECT_TRUE(planner.is_keep_both_key(p2.copy->op.left->idempotency_key, "r1"));
  EXPECT_TRUE(p.copy->op.right->source_same_side);
  EXPECT_EQ(p.copy->op.left->data.at("phone"), "3");
  EXPECT_EQ(p.copy->op.right->label, "Ann (kept: the right's version)");
}

TEST(PlanningTest, FirstMatchOfEqualRecordsSettles) {
  Case c;
  FieldMap fm(c.sp);
  Planner planner("p", c.sp, fm, {});
  PairPlan p = planner.plan_first_match(row("l1", c.base), row("r1", c.base));
  EXPECT_EQ(p.verdict, PairVerdict::kSettle);
  EXPECT_EQ(link_for(p.item, p.forms.left, p.forms.right).base_left, "");  // implicit bases
}

TEST(PlanningTest, FirstMatchTakesTheNewerRecordsFields) {
  Case c;
  FieldMap fm(c.sp);
  Planner planner("p", c.sp, fm, {});
  PairPlan p = planner.plan_first_match(row("l1", R"({"name":"Ann","phone":"1"})", false, "2026-01-01T09:00:00Z"),
                                        row("r1", R"({"name":"Ann","phone":"9"})", false, "2026-01-02T09:00:00Z"));
  ASSERT_EQ(p.verdict, PairVerdict::kWrite);
  ASSERT_TRUE(p.item.op.left);
  EXPECT_FALSE(p.item.op.right);
  EXPECT_EQ(p.item.op.left->data.at("phone"), "9");
}

TEST(PlanningTest, ACreateCopiesTheSourceWithItsKey) {
  Case c;
  FieldMap fm(c.sp);
  Planner planner("p", c.sp, fm, {});
  Item it = planner.plan_create(Side::kRight, row("l7", c.base));
  ASSERT_TRUE(it.op.right);
  EXPECT_EQ(it.op.right->kind, OpKind::kCreate);
  EXPECT_EQ(it.op.right->source_id, "l7");
  EXPECT_EQ(it.op.right->idempotency_key, derive_idempotency_key("p", "contacts", Side::kLeft, "l7"));
  EXPECT_EQ(it.id.left, "l7");
  EXPECT_EQ(it.quarantine_side_id.left, "l7");
  EXPECT_EQ(it.op.right->data.at("name"), "Ann");
}

// A stream whose fields are all read-only keeps nothing a write sends
// (review finding 10: an empty list read as "keeps everything").
TEST(PlanningTest, AStreamWhoseFieldsAreAllReadOnlyLeavesEveryFieldBehind) {
  std::vector<std::string> kept = writable_fields({"/name", "/emails"}, {"/name", "/emails"});
  json::value data = json::parse(R"({"name":"Ann","emails":{"e1":{"address":"a@x.example"}}})");
  EXPECT_EQ(left_behind(data, kept), (std::vector<std::string>{"/name", "/emails"}));
  EXPECT_EQ(left_behind(data, writable_fields({"/name", "/emails"}, {"/name"})), std::vector<std::string>{"/name"});
}

// With no rules (a field is a top-level member), an update's changes and its
// "was" are worked out from the members the merge names, not from the whole
// record before and after (issue 24): they are what the whole records say.
// Members changed, added, removed (a removal moves the record's last member
// into its place), null, nested, on one side or both.
TEST(PlanningTest, AnUpdatesChangesAndWasAreWhatTheRecordsBeforeAndAfterSay) {
  struct Edit {
    std::string base, left, right;
  };
  const std::vector<Edit> edits = {
      {R"({"a":1,"b":{"x":1},"c":"keep","d":null,"e":[1],"z":0})",
       R"({"a":1,"b":{"x":2},"d":2,"z":0,"f":{"n":[1,2]}})",
       R"({"a":1,"b":{"x":1},"c":"keep","d":null,"e":[1],"z":0})"},
      {R"({"a":1,"b":2,"c":3,"d":4,"e":5})", R"({"b":2,"d":4})", R"({"a":1,"b":2,"c":3,"d":4,"e":5,"g":6})"},
      {R"({"n":"Ann","p":"1","q":"x"})", R"({"q":"y","n":"Ann","p":"1"})", R"({"n":"Ann","p":"2","q":"x","r":null})"},
      {R"({"a":[1,{"b":2}],"c":1.5,"d":"x"})", R"({"a":[1,{"b":3}],"c":1.5,"d":"x"})", R"({"c":1.5,"a":[1,{"b":2}]})"},
  };
  for (size_t k = 0; k < edits.size(); ++k) {
    SCOPED_TRACE(k);
    const Edit& e = edits[k];
    StreamPair sp;
    sp.name = "contacts";
    ASSERT_TRUE(sp.identity);
    FieldMap fm(sp);
    Planner planner("p", sp, fm, {});
    // the left's base kept by reference (the row a change overwrote), the
    // right's implicit where its row is the base still, else written out
    Item it;
    it.id = {"l1", "r1"};
    it.row.left = row("l1", e.left);
    it.row.right = row("r1", e.right);
    it.link = LinkRow{"l1", "r1", "", e.right == e.base ? "" : fields_json(fm.to_pair(Side::kRight, json::parse(e.base).get_object()))};
    it.link->kept_left = {1, e.base};
    PairPlan p = planner.plan_linked(std::move(it), {});
    ASSERT_EQ(p.verdict, PairVerdict::kWrite);
    for (Side t : kSides) {
      SCOPED_TRACE(side_name(t));
      const std::optional<Action>& op = p.item.op[t];
      if (!op) continue;
      json::object before = json::parse(t == Side::kLeft ? e.left : e.right).get_object();
      Fields was_form = fm.to_pair(t, before), now_form = fm.to_pair(t, op->data);
      Changes want;  // every field whose pair value the write moved, as it is after (none: removed)
      for (const Fields* f : {&was_form, &now_form})
        for (const auto& [key, v] : *f) {
          auto b = was_form.find(key), a = now_form.find(key);
          if (b == was_form.end() || a == now_form.end() || b->second != a->second)
            want[key] = a == now_form.end() ? std::nullopt : std::optional<json::value>(a->second);
        }
      EXPECT_EQ(op->changes, want);
      const Fields source = fm.to_pair(other(t), json::parse(e.base).get_object());
      EXPECT_EQ(json::serialize(op->was), json::serialize(planner.was_of(t, before, op->data, &source)));
      // and the write's effect as the whole pair forms see it
      json::object again = before;
      EXPECT_EQ(planner.write_changes(t, again, op->changes), op->changes);
      EXPECT_EQ(json::serialize(again), json::serialize(op->data));
    }
  }
}

// With no rules, write_changes reads a field's value after the write off the
// record's member (not a pair form made again): a value the record holds
// already and the removal of a field it lacks are no change; the removal of
// a null member, and a null where there was none, are.
TEST(PlanningTest, WriteChangesAnswersWhatMovedInTheRecord) {
  StreamPair sp;
  sp.name = "contacts";
  FieldMap fm(sp);
  Planner planner("p", sp, fm, {});
  json::object d = json::parse(R"({"a":1,"b":{"x":1},"c":null,"e":"e"})").get_object();
  Changes ch{{"/a", json::value(1)},        {"/b", json::parse(R"({"x":2})")}, {"/c", std::nullopt},
             {"/z", std::nullopt},          {"/n", json::value(nullptr)},      {"/e", json::value("e")}};
  Changes got = planner.write_changes(Side::kRight, d, ch);
  Changes want{{"/b", json::parse(R"({"x":2})")}, {"/c", std::nullopt}, {"/n", json::value(nullptr)}};
  EXPECT_EQ(got, want);
  EXPECT_EQ(json::value(d), json::parse(R"({"a":1,"b":{"x":2},"e":"e","n":null})"));
}

// A record's pair form from its text is FieldMap::to_pair's of it parsed
// (with no rules its values are moved out of the parse, not copied): a
// row's, a kept base's; null members, nested values, numbers of each kind.
TEST(PlanningTest, APairFormFromARecordsTextIsToPairsOfItParsed) {
  StreamPair sp;
  sp.name = "contacts";
  FieldMap fm(sp);
  Planner planner("p", sp, fm, {});
  for (std::string text : {std::string(R"({})"), std::string(R"({"z":1,"a":2})"),
                           std::string(R"({"a":1,"b":null,"c":{"d":[1,{"e":"f"}]},"g":-0.5,"h":18446744073709551615})")}) {
    SCOPED_TRACE(text);
    for (Side s : kSides) {
      Fields want = fm.to_pair(s, json::parse(text).get_object());
      EXPECT_EQ(planner.pair_of_text(s, text), want);
      EXPECT_EQ(planner.pair_of(s, row("x", text)), want);
      LinkRow l{"x", "y", "", ""};
      l.kept_left = {1, text};
      l.kept_right = {2, text};
      EXPECT_EQ(planner.base_of(l, s, std::nullopt), want);
    }
  }
}

// A create's data is what FieldMap::write makes of every field of its
// source's pair form, members in its order, and its changes are that pair
// form, whole: with no rules (a field a top-level member, written in one
// pass: issue 22) as with rules. Members nested, null, empty, numbers of
// each kind, a name with a "/" in it, in no sorted order.
TEST(PlanningTest, ACreatesDataAndChangesAreItsSourcesFieldsAsTheFieldMapWritesThem) {
  const std::string source =
      R"({"z":1,"name":"Ann","a/b":{"c":[1,2.5,"x",null]},"nothing":null,"empty":{},"u":18446744073709551615,)"
      R"("neg":-3,"list":[],"emails":{"e1":{"address":"a@x.example"}}})";
  for (bool rules : {false, true}) {
    SCOPED_TRACE(rules ? "rules" : "no rules");
    StreamPair sp;
    sp.name = "contacts";
    if (rules) {
      sp.identity = false;
      for (const char* p : {"/name", "/z", "/emails", "/neg"}) {
        Rule r;
        r.key = p;
        r.left = {*FieldPath::parse(p)};
        r.right = *FieldPath::parse(std::string("/r") + (p + 1));
        sp.rules.push_back(r);
      }
    }
    FieldMap fm(sp);
    Planner planner("p", sp, fm, {});
    for (Side target : kSides) {
      Side from = other(target);
      Fields pair = fm.to_pair(from, json::parse(source).get_object());
      json::object want;
      fm.write(target, want, Changes(pair.begin(), pair.end()));
      Item it = planner.plan_create(target, row("s1", source));
      ASSERT_TRUE(it.op[target]);
      EXPECT_EQ(json::serialize(it.op[target]->data), json::serialize(want)) << side_name(target);
      Changes all(pair.begin(), pair.end());
      EXPECT_EQ(it.op[target]->changes, all) << side_name(target);
      EXPECT_EQ(it.op[target]->label, record_label(want, "s1"));
    }
  }
}
