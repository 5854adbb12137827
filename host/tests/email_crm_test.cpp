// SPDX-License-Identifier: Apache-2.0
// The email ⇄ CRM rules alone (engine/email_crm.hpp): one test a rule.
#include "engine/email_crm.hpp"
#include "engine/email_crm_run.hpp"
#include "engine/lookup.hpp"
#include "state_test_util.hpp"

#include <boost/json.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>

namespace json = boost::json;
using namespace accord;
using namespace accord::email_crm;

namespace {

constexpr int64_t kNow = 1'780'000'000;  // 2026-05-28

json::object msg(const std::string& text) { return json::parse(text).as_object(); }

json::object inbound(const std::string& from, const std::string& id = "m1@x") {
  return msg(R"({"messageId":[")" + id + R"("],"from":[{"email":")" + from +
             R"("}],"to":[{"email":"me@corp.example"}],"sentAt":"2026-05-27T10:00:00Z"})");
}

json::object outbound(const std::string& to, const std::string& cc = "", const std::string& id = "o1@x") {
  std::string m = R"({"messageId":[")" + id + R"("],"from":[{"email":"me@corp.example"}],"to":[{"email":")" + to +
                  R"(","name":"Ann Stranger"}],"sentAt":"2026-05-27T10:00:00Z")";
  if (!cc.empty()) m += R"(,"cc":[{"email":")" + cc + R"("}])";
  return msg(m + "}");
}

class EmailCrmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    s.mailbox = {"me@corp.example"};
    s.capture_address = "log@crm.example";
    look.add("contacts", "c-ann", msg(R"({"emails":{"e1":{"address":"Ann@Client.example"}}})"), "2026-01-02");
    look.add("users", "u-bo", msg(R"({"email":"bo@corp.example"})"));
  }
  Decision decide(const json::object& m) const { return decide_mailbox(s, look, threads, m, kNow); }
  Settings s;
  LookupIndex look;
  ThreadIndex threads;
};

}  // namespace

TEST_F(EmailCrmTest, KnownContactsMailIsLoggedOnThatContact) {
  Decision d = decide(inbound("ann@client.example"));
  EXPECT_TRUE(d.log);
  EXPECT_EQ(d.rule, "contact");
  EXPECT_EQ(d.contact_ids, std::vector<std::string>{"c-ann"});
  EXPECT_FALSE(d.outbound);
}

TEST_F(EmailCrmTest, AContactIsFoundWhateverTheCaseOfTheAddress) {
  EXPECT_TRUE(decide(inbound("ANN@client.EXAMPLE")).log);
}

TEST_F(EmailCrmTest, AStrangersMailIsNotLoggedAndNotUnresolved) {
  Decision d = decide(inbound("who@else.example"));
  EXPECT_FALSE(d.log);
  EXPECT_EQ(d.rule, "no_contact");
  EXPECT_FALSE(d.unresolved);
}

TEST_F(EmailCrmTest, SentToAStrangerWithoutTheCaptureAddressIsUnresolved) {
  Decision d = decide(outbound("new@client.example"));
  EXPECT_FALSE(d.log);
  EXPECT_TRUE(d.unresolved);
  EXPECT_TRUE(d.outbound);
}

TEST_F(EmailCrmTest, TheCaptureAddressInCcCreatesEachUnknownRecipient) {
  Decision d = decide(outbound("new@client.example", "log@crm.example"));
  EXPECT_TRUE(d.log);
  EXPECT_EQ(d.rule, "capture_address");
  ASSERT_EQ(d.create.size(), 1u);
  EXPECT_EQ(d.create[0].email, "new@client.example");
  EXPECT_EQ(d.create[0].name, "Ann Stranger");
  EXPECT_TRUE(d.outbound);
}

TEST_F(EmailCrmTest, TheCaptureAddressInToCreatesNothing) {
  json::object m = outbound("new@client.example");
  m["to"].as_array().push_back(json::object{{"email", "log@crm.example"}});
  Decision d = decide(m);
  EXPECT_FALSE(d.log);
  EXPECT_TRUE(d.create.empty());
  EXPECT_TRUE(d.unresolved);
}

TEST_F(EmailCrmTest, UnknownRecipientsNeverCreatesNoneEvenWithTheCaptureAddress) {
  s.unknown_recipients = Unknown::kNever;
  EXPECT_FALSE(decide(outbound("new@client.example", "log@crm.example")).log);
}

TEST_F(EmailCrmTest, UnknownRecipientsAlwaysCreatesWithoutTheCaptureAddress) {
  s.unknown_recipients = Unknown::kAlways;
  Decision d = decide(outbound("new@client.example"));
  EXPECT_TRUE(d.log);
  EXPECT_EQ(d.create.size(), 1u);
}

TEST_F(EmailCrmTest, UnknownRecipientsAlwaysNeverCreatesAStrangerWhoWrote) {
  s.unknown_recipients = Unknown::kAlways;
  EXPECT_FALSE(decide(inbound("who@else.example")).log);
}

TEST_F(EmailCrmTest, AUsersMailIsNeverLogged) {
  // bo is a user and a contact: mail from him stays out
  look.add("contacts", "c-bo", msg(R"({"emails":[{"address":"bo@corp.example"}]})"));
  Decision d = decide(inbound("bo@corp.example"));
  EXPECT_FALSE(d.log);
  EXPECT_EQ(d.rule, "exclude.crm_users");
}

TEST_F(EmailCrmTest, AUserAmongRecipientsIsNotLoggedOn) {
  look.add("contacts", "c-bo", msg(R"({"emails":[{"address":"bo@corp.example"}]})"));
  json::object m = outbound("ann@client.example", "bo@corp.example");
  Decision d = decide(m);
  EXPECT_TRUE(d.log);
  EXPECT_EQ(d.contact_ids, std::vector<std::string>{"c-ann"});
}

TEST_F(EmailCrmTest, CrmUsersFalseLogsAUsersMailOnTheirContact) {
  s.exclude_crm_users = false;
  look.add("contacts", "c-bo", msg(R"({"emails":[{"address":"bo@corp.example"}]})"));
  EXPECT_TRUE(decide(inbound("bo@corp.example")).log);
}

TEST_F(EmailCrmTest, AnExcludedAddressPatternLeavesTheMessageOut) {
  s.exclude_addresses = {"no-reply@*"};
  look.add("contacts", "c-nr", msg(R"({"email":"no-reply@client.example"})"));
  Decision d = decide(inbound("no-reply@client.example"));
  EXPECT_FALSE(d.log);
  EXPECT_EQ(d.rule, "exclude.addresses");
}

TEST_F(EmailCrmTest, AnExcludedDomainCoversItsSubdomainsOnly) {
  s.exclude_domains = {"client.example"};
  look.add("contacts", "c-x", msg(R"({"email":"x@eu.client.example"})"));
  look.add("contacts", "c-y", msg(R"({"email":"y@otherclient.example"})"));
  EXPECT_EQ(decide(inbound("ann@client.example")).rule, "exclude.domains");
  EXPECT_EQ(decide(inbound("x@eu.client.example")).rule, "exclude.domains");
  EXPECT_TRUE(decide(inbound("y@otherclient.example")).log);
}

TEST_F(EmailCrmTest, ParticipantsLimitTheFieldsLookedAt) {
  s.participants = {"from"};
  EXPECT_FALSE(decide(outbound("ann@client.example")).log);  // ann only in To
  s.participants = {"from", "to"};
  EXPECT_TRUE(decide(outbound("ann@client.example")).log);
}

TEST_F(EmailCrmTest, MatchMultipleAllLogsOnEveryContactOfTheAddress) {
  look.add("contacts", "c-ann2", msg(R"({"email":"ann@client.example","created":"2025-01-01"})"));
  Decision d = decide(inbound("ann@client.example"));
  EXPECT_EQ(d.contact_ids, (std::vector<std::string>{"c-ann2", "c-ann"}));
}

TEST_F(EmailCrmTest, MatchMultipleOldestLogsOnTheOldestContact) {
  s.match_multiple = MatchMultiple::kOldest;
  look.add("contacts", "c-ann3", msg(R"({"email":"ann@client.example","created":"2026-03-01"})"));
  look.add("contacts", "c-ann2", msg(R"({"email":"ann@client.example","created":"2025-01-01"})"));
  EXPECT_EQ(decide(inbound("ann@client.example")).contact_ids, std::vector<std::string>{"c-ann2"});
}

TEST_F(EmailCrmTest, AReplyInALoggedThreadIsLoggedOnItsContacts) {
  threads.add(msg(R"({"messageId":["start@crm"]})"), {"c-9"});
  json::object m = inbound("who@else.example", "r1@x");
  m["inReplyTo"] = json::array{"start@crm"};
  Decision d = decide(m);
  EXPECT_TRUE(d.log);
  EXPECT_EQ(d.rule, "thread");
  EXPECT_EQ(d.contact_ids, std::vector<std::string>{"c-9"});
}

TEST_F(EmailCrmTest, AThreadIsFoundByReferencesAndByTheStoresThreadId) {
  threads.add(msg(R"({"messageId":["a@x"],"threadId":"T1"})"), {"c-9"});
  json::object byref = inbound("who@else.example", "r2@x");
  byref["references"] = json::array{"zz@x", "a@x"};
  EXPECT_TRUE(decide(byref).log);
  json::object bythread = inbound("who@else.example", "r3@x");
  bythread["threadId"] = "T1";
  EXPECT_TRUE(decide(bythread).log);
  EXPECT_FALSE(decide(inbound("who@else.example", "r4@x")).log);
}

TEST_F(EmailCrmTest, ThreadStartCrmLogsOnlyThreadsTheCrmStarted) {
  s.thread_start = ThreadStart::kCrm;
  Decision d = decide(inbound("ann@client.example"));
  EXPECT_FALSE(d.log);
  EXPECT_EQ(d.rule, "thread_start");
  threads.add(msg(R"({"messageId":["m1@x"]})"), {"c-ann"});
  EXPECT_TRUE(decide(inbound("ann@client.example")).log);
}

TEST_F(EmailCrmTest, SinceLeavesOlderMessagesOut) {
  s.since_seconds = 3 * 86400;
  json::object old = inbound("ann@client.example");
  old["sentAt"] = "2026-05-20T10:00:00Z";
  EXPECT_EQ(decide(old).rule, "since");
  EXPECT_TRUE(decide(inbound("ann@client.example")).log);
}

TEST_F(EmailCrmTest, ADisconnectedMailboxLogsNothingEitherWay) {
  s.connected = false;
  EXPECT_EQ(decide(inbound("ann@client.example")).rule, "connected");
  EXPECT_FALSE(decide_crm(s, inbound("ann@client.example")).log);
  s.connected = true;
  EXPECT_TRUE(decide_crm(s, inbound("ann@client.example")).log);
}

TEST_F(EmailCrmTest, AChangedMailboxTakesItsOwnAddressForSent) {
  s.mailbox = {"new@corp.example"};
  json::object m = msg(R"({"from":[{"email":"new@corp.example"}],"to":[{"email":"ann@client.example"}]})");
  Decision d = decide(m);
  EXPECT_TRUE(d.log);
  EXPECT_TRUE(d.outbound);
}

class AttachmentsTest : public EmailCrmTest {
 protected:
  json::object with_attachments() {
    json::object m = inbound("ann@client.example");
    m["attachments"] = json::parse(R"([{"partId":"2","name":"plan.pdf","size":1000},
                                       {"partId":"3","name":"movie.mp4","size":5000000},
                                       {"partId":"4","name":"tool.exe","size":10}])");
    return m;
  }
  void SetUp() override {
    EmailCrmTest::SetUp();
    s.max_bytes = 3145728;
    s.types = {"pdf", "mp4", "txt"};
  }
};

TEST_F(AttachmentsTest, SkipMessageLeavesTheWholeMessageOut) {
  s.oversize = Oversize::kSkipMessage;
  Decision d = decide(with_attachments());
  EXPECT_FALSE(d.log);
  EXPECT_EQ(d.rule, "attachments");
}

TEST_F(AttachmentsTest, DropAttachmentLogsTheRestWithANote) {
  s.oversize = Oversize::kDropAttachment;
  Decision d = decide(with_attachments());
  EXPECT_TRUE(d.log);
  EXPECT_EQ(d.omit_parts, (std::vector<std::string>{"3", "4"}));
  EXPECT_NE(d.note.find("movie.mp4 (5000000 bytes, over 3145728)"), std::string::npos) << d.note;
  EXPECT_NE(d.note.find("tool.exe (type .exe not carried)"), std::string::npos) << d.note;
  EXPECT_EQ(d.note.find("plan.pdf"), std::string::npos) << d.note;
}

TEST_F(AttachmentsTest, AttachmentsWithinTheRuleTravelWhole) {
  json::object m = inbound("ann@client.example");
  m["attachments"] = json::parse(R"([{"partId":"2","name":"Plan.PDF","size":3145728}])");
  Decision d = decide(m);
  EXPECT_TRUE(d.log);
  EXPECT_TRUE(d.omit_parts.empty());
  EXPECT_TRUE(d.note.empty());
}

TEST_F(EmailCrmTest, AnnotateGivesTheCrmItsFieldsAndAnExcludedRecordItsRule) {
  json::object logged = outbound("new@client.example", "log@crm.example");
  annotate(logged, decide(logged));
  EXPECT_EQ(logged["direction"], "outbound");
  EXPECT_EQ(logged["contactIds"], json::array{});
  EXPECT_EQ(logged["createContacts"].at(0).at("email"), "new@client.example");
  EXPECT_FALSE(logged.contains("emailCrm"));
  json::object left = outbound("new@client.example");
  annotate(left, decide(left));
  EXPECT_EQ(left["emailCrm"].at("rule"), "no_contact");
  EXPECT_EQ(left["emailCrm"].at("unresolved"), true);
  EXPECT_FALSE(left.contains("contactIds"));
}

TEST(GlobTest, StarMatchesAnyRun) {
  EXPECT_TRUE(glob_match("no-reply@*", "no-reply@x.example"));
  EXPECT_TRUE(glob_match("*@*.example", "a@b.example"));
  EXPECT_FALSE(glob_match("no-reply@*", "reply@x.example"));
  EXPECT_TRUE(glob_match("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(glob_match("a*b*c", "aXXbYY"));
}

TEST(LookupIndexTest, ContactsAreFoundByEveryAddressTheyHold) {
  LookupIndex look;
  look.add("contacts", "c1", msg(R"({"emails":{"e1":{"address":"A@x.example"},"e2":{"address":"b@x.example"}}})"));
  look.add("contacts", "c2", msg(R"({"emails":["b@x.example"]})"));
  EXPECT_EQ(look.find("contacts", "a@x.example").size(), 1u);
  EXPECT_EQ(look.find("contacts", "B@X.example").size(), 2u);
  EXPECT_TRUE(look.find("users", "a@x.example").empty());
  EXPECT_EQ(look.size("contacts"), 2u);
}

// Many contacts on one address, added in no order, some twice (two lookup
// streams of one role may list a record each): each once, as first added,
// oldest first, those without a date last, by id; the same before and
// after finish().
TEST(LookupIndexTest, AnAddressesContactsComeOnceOldestFirst) {
  LookupIndex look;
  auto add = [&](const std::string& id, const std::string& created, const std::string& address = "info@x.example") {
    LookupEntry e;
    e.created = created;
    e.addresses = {address};
    look.add("contacts", id, e);
  };
  add("c5", "");
  add("c3", "2026-03-01");
  add("c1", "2026-02-01");
  add("c4", "");
  add("c3", "2026-01-01");  // again, another date: kept as first added
  add("c2", "2026-02-01");
  add("c0", "2026-04-01", "other@x.example");
  add("c1", "2026-02-01");
  auto ids = [&] {
    std::string out;
    for (const auto& c : look.find("contacts", "INFO@x.example")) out += c.id + "@" + c.created + " ";
    return out;
  };
  const std::string want = "c1@2026-02-01 c2@2026-02-01 c3@2026-03-01 c4@ c5@ ";
  EXPECT_EQ(ids(), want);
  EXPECT_TRUE(look.has("contacts", "info@x.example"));
  EXPECT_FALSE(look.has("contacts", "nobody@x.example"));
  EXPECT_FALSE(look.has("users", "info@x.example"));
  EXPECT_EQ(look.size("contacts"), 6u);
  look.finish();
  EXPECT_EQ(ids(), want);
  EXPECT_EQ(look.find("contacts", "other@x.example").size(), 1u);
  add("c9", "2026-01-01");  // added after finish(): found, in its place
  EXPECT_EQ(ids(), "c9@2026-01-01 " + want);
  look.finish();
  EXPECT_EQ(ids(), "c9@2026-01-01 " + want);
}

// ---- A pair's lookups over a state (engine/email_crm_run.hpp) ----

namespace {

using state_test::StateFile;

// One batch of records (wire form), listed in full when `full`.
std::string batch(const std::string& records, bool full = false, const std::string& cursor = "c1") {
  return R"({"records":[)" + records + R"(],"cursor":")" + cursor + R"(","more":false,"full":)" +
         (full ? "true" : "false") + "}";
}

class PairLookupsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto e = std::make_shared<Settings>();
    e->crm = Side::kRight;
    e->mailbox = {"me@corp.example"};
    sp.name = "mail-crm";
    sp.email_crm = e;
    sp.lookups = {LookupStream{Side::kRight, "contact", "contacts", "/streams/0/lookup/0"}};
    store = file.open();
  }
  // A reader answering `answer` for the contact stream (then nothing).
  LookupReader reader(std::string answer) {
    return [this, answer = std::move(answer)](Side, const std::string&, const std::string&) -> Result<std::string_view> {
      text = answer;  // (more: false: one call a stream)
      if (during_read) during_read();
      return std::string_view(text);
    };
  }
  StateFile file;
  std::unique_ptr<StateStore> store;
  StreamPair sp;
  std::string text;
  std::function<void()> during_read;
};

const std::string kAnn = R"({"id":"c-ann","version":"1","data":{"emails":{"e1":{"address":"ann@client.example"}}}})";

}  // namespace

// Review finding 2: the lookups were paged over the network inside an
// IMMEDIATE transaction, stalling the run's other pairs' writes.
TEST_F(PairLookupsTest, NoTransactionIsHeldWhileALookupStreamIsRead) {
  bool wrote = false;
  during_read = [&] {
    auto other = file.open();
    other->wait_for_writers(std::chrono::milliseconds(0));
    try {
      StateStore::Transaction tx(*other);
      other->pair("contacts-other").set_cursor(Side::kLeft, "x");
      tx.commit();
      wrote = true;
    } catch (const std::exception&) {
    }
  };
  PairLookups run(*store, sp, reader(batch(kAnn, true)), true, kNow);
  EXPECT_TRUE(wrote) << "another pair could not write while the lookup was read";
  EXPECT_TRUE(run.index().has("contacts", "ann@client.example"));
}

// Review finding 3: each run parsed every lookup record again; the index
// now comes from each row's entry (its keys), the records are not read.
TEST_F(PairLookupsTest, ALaterRunBuildsTheIndexWithoutReadingTheRecords) {
  { PairLookups first(*store, sp, reader(batch(kAnn, true)), true, kNow); }
  {
    sql::Db db(file.path.string());
    db.exec("UPDATE record_data SET data = 'not json' WHERE id IN (SELECT data_id FROM mirror_rows WHERE pair LIKE 'mail-crm#lookup%')");
  }
  PairLookups later(*store, sp, reader(batch("")), true, kNow);
  EXPECT_TRUE(later.index().has("contacts", "ann@client.example"));
}

TEST_F(PairLookupsTest, APlanKeepsNothingButSeesWhatItRead) {
  {
    PairLookups plan(*store, sp, reader(batch(kAnn, true)), false, kNow);
    EXPECT_TRUE(plan.index().has("contacts", "ann@client.example"));
  }
  EXPECT_EQ(file.count("SELECT count(*) FROM mirror_rows WHERE pair LIKE 'mail-crm#lookup%'"), 0);
  PairLookups run(*store, sp, reader(batch(kAnn, true)), true, kNow);
  const std::string gone = R"({"id":"c-ann","deleted":true})";
  PairLookups plan(*store, sp, reader(batch(gone)), false, kNow);
  EXPECT_FALSE(plan.index().has("contacts", "ann@client.example"));
  EXPECT_EQ(file.count("SELECT count(*) FROM mirror_rows WHERE pair LIKE 'mail-crm#lookup%'"), 1);
}

TEST_F(PairLookupsTest, AFullListingDropsWhatItNoLongerLists) {
  { PairLookups first(*store, sp, reader(batch(kAnn, true)), true, kNow); }
  sp.lookups[0].stream = "contact";  // (same stream, listed again in full without Ann)
  {
    sql::Db db(file.path.string());
    db.exec("UPDATE cursors SET cursor = '' WHERE pair LIKE 'mail-crm#lookup%'");
  }
  PairLookups again(*store, sp, reader(batch(R"({"id":"c-bo","version":"1","data":{"email":"bo@client.example"}})", true)), true, kNow);
  EXPECT_FALSE(again.index().has("contacts", "ann@client.example"));
  EXPECT_TRUE(again.index().has("contacts", "bo@client.example"));
}

// Review finding 4: every message read was held until the plan.
TEST_F(PairLookupsTest, MessagesNotOnTheUnresolvedListAreNotHeld) {
  PairLookups run(*store, sp, reader(batch(kAnn, true)), true, kNow);
  for (int i = 0; i < 50; ++i) {
    json::object m = inbound("ann@client.example", "m" + std::to_string(i) + "@x");
    EXPECT_TRUE(run.admit(Side::kLeft, "m" + std::to_string(i), m));
  }
  EXPECT_EQ(run.settled_held(), 0u);
}

// A message deleted from the mailbox (or gone from its full listing) left
// its entry on the unresolved list for ever.
TEST_F(PairLookupsTest, AnUnresolvedMessageGoneFromTheMailboxLeavesTheList) {
  json::object m = outbound("new@client.example");
  {
    PairLookups run(*store, sp, reader(batch(kAnn, true)), true, kNow);
    EXPECT_FALSE(run.admit(Side::kLeft, "o1", m));
    StateStore::Transaction tx(*store);
    store->pair(sp.name).mirror(Side::kLeft).put(MirrorRow{"o1", "1", "", json::serialize(m), false, false, false, {}});
    run.keep_unresolved(*store);
    tx.commit();
  }
  ASSERT_EQ(PairLookups::unresolved(*store, sp).size(), 1u);
  {  // read again, still there: stays
    PairLookups run(*store, sp, reader(batch("")), true, kNow);
    StateStore::Transaction tx(*store);
    run.keep_unresolved(*store);
    tx.commit();
  }
  ASSERT_EQ(PairLookups::unresolved(*store, sp).size(), 1u);
  {  // deleted from the mailbox (folded: the mirror says so), never read again
    PairLookups run(*store, sp, reader(batch("")), true, kNow);
    StateStore::Transaction tx(*store);
    store->pair(sp.name).mirror(Side::kLeft).put(MirrorRow{"o1", "1", "", json::serialize(m), false, true, true, {}});
    run.keep_unresolved(*store);
    tx.commit();
  }
  EXPECT_TRUE(PairLookups::unresolved(*store, sp).empty());
}

// Review s7 finding 11: a lookup stream was paged to its end whatever
// RunOptions::cancel said, so a SIGTERM during a large CRM refresh (100
// requests in 10 s) outlasted a service manager's stop timeout. Now it
// stops before the next batch: whole batches kept, an incremental read's
// cursor with them, and the next run reads on from there; nothing twice.
TEST_F(PairLookupsTest, ACancelStopsBetweenBatchesAndTheNextRunReadsOn) {
  auto person = [](int i) {
    return R"({"id":"c)" + std::to_string(i) + R"(","version":"1","data":{"email":"p)" + std::to_string(i) +
           R"(@client.example"}})";
  };
  {  // an incremental cursor to start from (not a full listing)
    StateStore::Transaction tx(*store);
    store->pair(lookup_pair_name(sp.name, sp.lookups[0])).set_cursor(Side::kRight, "c0");
    tx.commit();
  }
  std::atomic<bool> stop{false};
  std::vector<std::string> asked;
  // five pages after c0, one record each; the stop comes while page 2 is read
  auto paged = [&](Side, const std::string&, const std::string& cursor) -> Result<std::string_view> {
    asked.push_back(cursor);
    int n = cursor[1] - '0' + 1;
    if (n == 2) stop = true;
    text = R"({"records":[)" + person(n) + R"(],"cursor":"c)" + std::to_string(n) + R"(","more":)" +
           (n < 5 ? "true" : "false") + R"(,"full":false})";
    return std::string_view(text);
  };
  {
    PairLookups run(*store, sp, paged, true, kNow, &stop);
    EXPECT_TRUE(run.stopped());
  }
  EXPECT_EQ(asked, (std::vector<std::string>{"c0", "c1"})) << "the pages after the stop were read";
  EXPECT_EQ(store->pair(lookup_pair_name(sp.name, sp.lookups[0])).cursor(Side::kRight).value_or(""), "c2");
  EXPECT_EQ(file.count("SELECT count(*) FROM mirror_rows WHERE pair LIKE 'mail-crm#lookup%'"), 2);
  stop = false;
  asked.clear();
  PairLookups next(*store, sp, paged, true, kNow, &stop);
  EXPECT_FALSE(next.stopped());
  EXPECT_EQ(asked, (std::vector<std::string>{"c2", "c3", "c4"}));
  for (int i = 1; i <= 5; ++i) EXPECT_TRUE(next.index().has("contacts", "p" + std::to_string(i) + "@client.example")) << i;
  EXPECT_EQ(file.count("SELECT count(*) FROM mirror_rows WHERE pair LIKE 'mail-crm#lookup%'"), 5);
  EXPECT_EQ(store->pair(lookup_pair_name(sp.name, sp.lookups[0])).cursor(Side::kRight).value_or(""), "c5");
}

// Review s8 (lower priority, first note): a lookup stream whose cursor
// expired (Salesforce getDeleted's purge, a daemon stopped for weeks,
// HubSpot's search window) failed the pair on every run until its cursor
// was cleared by hand. Now it is listed again in full, like the main read
// (reading.cpp), and what that listing leaves out is dropped.
namespace {

// A reader over `pages` (cursor asked -> answer); a cursor it has no page
// for is answered CURSOR_EXPIRED. Records each cursor asked in `asked`.
LookupReader expiring(std::map<std::string, std::string> pages, std::vector<std::string>& asked, std::string& text) {
  return [pages = std::move(pages), &asked, &text](Side, const std::string&, const std::string& cursor) -> Result<std::string_view> {
    asked.push_back(cursor);
    auto it = pages.find(cursor);
    if (it == pages.end()) return fail("the cursor " + cursor + " is older than the change window", ACCORD_CURSOR_EXPIRED);
    text = it->second;
    return std::string_view(text);
  };
}

const std::string kBo = R"({"id":"c-bo","version":"1","data":{"email":"bo@client.example"}})";
const std::string kCy = R"({"id":"c-cy","version":"1","data":{"email":"cy@client.example"}})";
const std::string kDee = R"({"id":"c-dee","version":"1","data":{"email":"dee@client.example"}})";

}  // namespace

TEST_F(PairLookupsTest, AnExpiredCursorListsTheStreamAgainAndDropsWhatItNoLongerLists) {
  const std::string name = lookup_pair_name(sp.name, sp.lookups[0]);
  { PairLookups first(*store, sp, reader(batch(kAnn + "," + kBo, true, "c0")), true, kNow); }
  ASSERT_EQ(store->pair(name).cursor(Side::kRight).value_or(""), "c0");
  // meanwhile Ann was deleted in the CRM and Cy made; c0 has expired. The
  // full listing comes in two pages.
  std::map<std::string, std::string> pages{
      {"", R"({"records":[)" + kBo + R"(],"cursor":"p1","more":true,"full":true})"},
      {"p1", R"({"records":[)" + kCy + R"(],"cursor":"c9","more":false,"full":true})"}};
  std::vector<std::string> asked;
  {  // a plan sees the listing and keeps nothing
    std::optional<PairLookups> plan;
    ASSERT_NO_THROW(plan.emplace(*store, sp, expiring(pages, asked, text), false, kNow));
    EXPECT_FALSE(plan->stopped());
    EXPECT_FALSE(plan->index().has("contacts", "ann@client.example"));
    EXPECT_TRUE(plan->index().has("contacts", "bo@client.example"));
    EXPECT_TRUE(plan->index().has("contacts", "cy@client.example"));
    EXPECT_EQ(asked, (std::vector<std::string>{"c0", "", "p1"}));
    EXPECT_EQ(store->pair(name).cursor(Side::kRight).value_or(""), "c0");
    EXPECT_EQ(file.count("SELECT count(*) FROM mirror_rows WHERE pair LIKE 'mail-crm#lookup%'"), 2);
  }
  asked.clear();
  std::optional<PairLookups> run;
  ASSERT_NO_THROW(run.emplace(*store, sp, expiring(pages, asked, text), true, kNow));
  EXPECT_FALSE(run->stopped());
  EXPECT_EQ(asked, (std::vector<std::string>{"c0", "", "p1"}));
  EXPECT_FALSE(run->index().has("contacts", "ann@client.example"));
  EXPECT_TRUE(run->index().has("contacts", "bo@client.example"));
  EXPECT_TRUE(run->index().has("contacts", "cy@client.example"));
  EXPECT_EQ(store->pair(name).cursor(Side::kRight).value_or(""), "c9");
  EXPECT_EQ(file.count("SELECT count(*) FROM mirror_rows WHERE pair LIKE 'mail-crm#lookup%' AND deleted = 0"), 2);
  // the next run reads on from the listing's cursor
  asked.clear();
  pages["c9"] = batch("", false, "c9");
  PairLookups next(*store, sp, expiring(pages, asked, text), true, kNow);
  EXPECT_EQ(asked, (std::vector<std::string>{"c9"}));
  EXPECT_TRUE(next.index().has("contacts", "cy@client.example"));
  EXPECT_FALSE(next.index().has("contacts", "ann@client.example"));
}

// The cursor may expire between two pages of an incremental read, after
// the first page was kept with its cursor: the listing then decides.
TEST_F(PairLookupsTest, ACursorExpiringMidReadListsAgainOverWhatWasKept) {
  const std::string name = lookup_pair_name(sp.name, sp.lookups[0]);
  { PairLookups first(*store, sp, reader(batch(kAnn, true, "c0")), true, kNow); }
  std::map<std::string, std::string> pages{
      {"c0", R"({"records":[)" + kDee + R"(],"cursor":"c1","more":true,"full":false})"},  // then c1 expires
      {"", R"({"records":[)" + kBo + R"(],"cursor":"c9","more":false,"full":true})"}};
  std::vector<std::string> asked;
  std::optional<PairLookups> run;
  ASSERT_NO_THROW(run.emplace(*store, sp, expiring(pages, asked, text), true, kNow));
  EXPECT_EQ(asked, (std::vector<std::string>{"c0", "c1", ""}));
  EXPECT_FALSE(run->index().has("contacts", "ann@client.example"));
  EXPECT_FALSE(run->index().has("contacts", "dee@client.example"));
  EXPECT_TRUE(run->index().has("contacts", "bo@client.example"));
  EXPECT_EQ(store->pair(name).cursor(Side::kRight).value_or(""), "c9");
  EXPECT_EQ(file.count("SELECT count(*) FROM mirror_rows WHERE pair LIKE 'mail-crm#lookup%' AND deleted = 0"), 1);
}

// A full listing that answers CURSOR_EXPIRED itself is a failure, not a loop.
TEST_F(PairLookupsTest, AListingAnsweringCursorExpiredFailsOnce) {
  std::vector<std::string> asked;
  try {
    PairLookups run(*store, sp, expiring({}, asked, text), true, kNow);
    ADD_FAILURE() << "no failure";
  } catch (const Failure& f) {
    EXPECT_EQ(f.status, ACCORD_CURSOR_EXPIRED);
  }
  EXPECT_EQ(asked, (std::vector<std::string>{""}));
}

// Mail sent from HighLevel through Accord as its Email provider
// (engine/email_crm_outbound): the copy filed in Sent is HighLevel's own
// message, never logged again; the contact's answer is in a thread the CRM
// started.
TEST_F(EmailCrmTest, TheSentCopyOfAMailHighLevelSentThroughAccordIsNotLoggedAgain) {
  Decision d = decide(outbound("ann@client.example", "", "accord-hl.ms01.em02@corp.example"));
  EXPECT_FALSE(d.log);
  EXPECT_EQ(d.rule, "crm_sent");
  EXPECT_NE(d.why.find("ms01"), std::string::npos) << d.why;
  EXPECT_TRUE(decide(outbound("ann@client.example", "", "accord-hl-not@corp.example")).log);
  // only the mailbox's own sent mail: a received message bearing such an id is read as any other
  EXPECT_TRUE(decide(inbound("ann@client.example", "accord-hl.ms01.em02@client.example")).log);
}

TEST_F(EmailCrmTest, AnAnswerToAMailHighLevelSentThroughAccordIsInACrmStartedThread) {
  s.thread_start = ThreadStart::kCrm;
  json::object answer = inbound("ann@client.example", "a1@client.example");
  answer["inReplyTo"] = json::array{"accord-hl.ms01.em02@corp.example"};
  Decision d = decide(answer);
  EXPECT_TRUE(d.log) << d.why;
  EXPECT_EQ(d.contact_ids, std::vector<std::string>{"c-ann"});
}

TEST(EmailCrmProviderIds, AccordsProviderMessageIdGivesBackHighLevelsIds) {
  using accord::email_crm::parse_outbound_message_id;
  auto both = parse_outbound_message_id("<accord-hl.ms01.em02@corp.example>");
  ASSERT_TRUE(both);
  EXPECT_EQ(both->first, "ms01");
  EXPECT_EQ(both->second, "em02");
  auto one = parse_outbound_message_id("accord-hl.ms01@corp.example");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->second, "");
  EXPECT_FALSE(parse_outbound_message_id("ann1@mail.example"));
  EXPECT_FALSE(parse_outbound_message_id("accord-hl.@x"));
}
