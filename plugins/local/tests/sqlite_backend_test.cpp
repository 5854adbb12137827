// SPDX-License-Identifier: Apache-2.0
// The sqlite backend: custom streams, paging, change feed, expiry.
#include "sqlite_backend.hpp"
#include "test_util.hpp"

#include <accord/connector.hpp>
#include <gtest/gtest.h>

namespace json = boost::json;
using namespace local;
using local::test::apply;
using local::test::read_all;

TEST(SqliteBackendTest, CustomStreamPagesAndFeedsOnlyLaterChanges) {
  local::test::TempDir dir;
  SqliteBackend b((dir.path / "crm.db").string(), 3);
  json::array ops;
  for (int i = 0; i < 10; ++i)
    ops.push_back(json::object{{"op", "create"}, {"idempotency_key", "k" + std::to_string(i)},
                               {"data", json::object{{"FirstName", "N" + std::to_string(i)}, {"LeadSource", "Web"}}}});
  auto res = apply(b, "crm_contact", ops);
  ASSERT_EQ(res.size(), 10u);
  json::object first = json::parse(b.read_changes("crm_contact", "")).as_object();
  EXPECT_EQ(first.at("records").as_array().size(), 3u);
  EXPECT_EQ(first.at("more"), true);
  auto all = read_all(b, "crm_contact", "");
  ASSERT_EQ(all.records.size(), 10u);
  EXPECT_EQ(all.records[9].at_pointer("/data/FirstName"), "N9");

  std::string id(res[4].at("id").as_string());
  auto upd = apply(b, "crm_contact", json::array{json::object{{"op", "update"}, {"id", id},
      {"expect_version", res[4].at("version")}, {"data", json::object{{"FirstName", "Changed"}}}}});
  ASSERT_EQ(upd[0].at("status"), "ok");
  auto del = apply(b, "crm_contact", json::array{json::object{{"op", "delete"}, {"id", res[0].at("id")}}});
  ASSERT_EQ(del[0].at("status"), "ok");
  auto changes = read_all(b, "crm_contact", all.cursor);
  ASSERT_EQ(changes.records.size(), 2u);
  EXPECT_EQ(changes.records[0].at_pointer("/data/FirstName"), "Changed");
  EXPECT_EQ(changes.records[1].at("deleted"), true);
  EXPECT_TRUE(read_all(b, "crm_contact", changes.cursor).records.empty());
  // a full listing leaves out the deleted one
  EXPECT_EQ(read_all(b, "crm_contact", "").records.size(), 9u);
}

// An apply numbers its writes from the counter read once (RecordLog::HeldSeq)
// and writes the counter back before its commit: an edit made outside
// afterwards (the trigger numbers it from the counter) comes after them in
// the change feed, and is read once; an update written in place keeps its
// key, and a record made again with a key a tombstone held is a new one.
TEST(SqliteBackendTest, AnApplysWritesAreNumberedOnceAndAnOutsideEditAfterThemIsRead) {
  local::test::TempDir dir;
  std::string path = (dir.path / "s.db").string();
  std::string cursor;
  std::vector<std::string> ids;
  {
    SqliteBackend b(path, 100);
    json::array ops;
    for (int i = 0; i < 4; ++i)
      ops.push_back(json::object{{"op", "create"}, {"idempotency_key", "k" + std::to_string(i)},
                                 {"data", json::object{{"title", "t" + std::to_string(i)}}}});
    auto made = apply(b, "note", ops);
    for (const auto& r : made) ids.emplace_back(r.at("id").as_string());
    cursor = read_all(b, "note", "").cursor;
    json::array upd;
    for (int i = 0; i < 3; ++i)
      upd.push_back(json::object{{"op", "update"}, {"id", ids[i]}, {"expect_version", made[i].at("version")},
                                 {"data", json::object{{"title", "u" + std::to_string(i)}}}});
    upd.push_back(json::object{{"op", "delete"}, {"id", ids[3]}});
    auto res = apply(b, "note", upd);
    ASSERT_EQ(res.size(), 4u);
    for (size_t i = 1; i < res.size(); ++i)  // one number each, in order
      EXPECT_EQ(std::stoll(std::string(res[i].at("version").as_string())),
                std::stoll(std::string(res[i - 1].at("version").as_string())) + 1);
    auto changes = read_all(b, "note", cursor);
    ASSERT_EQ(changes.records.size(), 4u);
    EXPECT_EQ(changes.records[0].at_pointer("/data/title"), "u0");
    EXPECT_EQ(changes.records[0].at("idempotency_key"), "k0") << "an update keeps its record's key";
    EXPECT_EQ(changes.records[3].at("deleted"), true);
    cursor = changes.cursor;
  }
  {  // someone edits a record with sqlite3
    accord::sql::Db db(path);
    db.exec("UPDATE r_note SET data = json_set(data, '$.title', 'outside') WHERE id = '" + ids[1] + "'");
  }
  SqliteBackend b(path, 100);
  auto after = read_all(b, "note", cursor);
  ASSERT_EQ(after.records.size(), 1u) << "the outside edit comes after the apply's writes";
  EXPECT_EQ(after.records[0].at_pointer("/data/title"), "outside");
  EXPECT_TRUE(read_all(b, "note", after.cursor).records.empty());
  // the deleted record's key made again: a new record, and it is read
  auto again = apply(b, "note", json::array{json::object{{"op", "create"}, {"idempotency_key", "k3"},
                                                         {"data", json::object{{"title", "again"}}}}});
  ASSERT_EQ(again[0].at("status"), "ok");
  EXPECT_NE(again[0].at("id").as_string(), ids[3]);
  auto last = read_all(b, "note", after.cursor);
  ASSERT_EQ(last.records.size(), 1u);
  EXPECT_EQ(last.records[0].at_pointer("/data/title"), "again");
}

TEST(SqliteBackendTest, StaleVersionIsConflictAndChangesNothing) {
  local::test::TempDir dir;
  SqliteBackend b((dir.path / "s.db").string(), 100);
  auto c = apply(b, "note", json::array{json::object{{"op", "create"}, {"data", json::object{{"title", "a"}}}}});
  std::string id(c[0].at("id").as_string()), v1(c[0].at("version").as_string());
  apply(b, "note", json::array{json::object{{"op", "update"}, {"id", id}, {"expect_version", v1}, {"data", json::object{{"title", "b"}}}}});
  auto stale = apply(b, "note", json::array{json::object{{"op", "update"}, {"id", id}, {"expect_version", v1}, {"data", json::object{{"title", "c"}}}}});
  EXPECT_EQ(stale[0].at("status"), "conflict");
  EXPECT_EQ(read_all(b, "note", "").records[0].at_pointer("/data/title"), "b");
}

// An apply's updates as one statement each where they match (update_live):
// an update refused (a stale version, a record deleted or never there) writes
// nothing and takes no sequence number, so the writes that went through
// are numbered one after the other; one without expect_version matches any.
TEST(SqliteBackendTest, AnUpdateRefusedInACallTakesNoNumberAndWritesNothing) {
  local::test::TempDir dir;
  SqliteBackend b((dir.path / "s.db").string(), 100);
  json::array ops;
  for (const char* t : {"a", "b", "c"})
    ops.push_back(json::object{{"op", "create"}, {"data", json::object{{"title", t}}}});
  auto c = apply(b, "note", ops);
  std::vector<std::string> id, v;
  for (const auto& r : c) id.emplace_back(r.at("id").as_string()), v.emplace_back(r.at("version").as_string());
  apply(b, "note", json::array{json::object{{"op", "delete"}, {"id", id[2]}}});
  std::string cursor = read_all(b, "note", "").cursor;
  auto res = apply(b, "note", json::array{
      json::object{{"op", "update"}, {"id", id[0]}, {"expect_version", v[0]}, {"data", json::object{{"title", "a2"}}}},
      json::object{{"op", "update"}, {"id", id[1]}, {"expect_version", "no such"}, {"data", json::object{{"title", "x"}}}},
      json::object{{"op", "update"}, {"id", id[2]}, {"data", json::object{{"title", "x"}}}},
      json::object{{"op", "update"}, {"id", "nobody"}, {"data", json::object{{"title", "x"}}}},
      json::object{{"op", "update"}, {"id", id[1]}, {"data", json::object{{"title", "b2"}}}}});
  ASSERT_EQ(res.size(), 5u);
  EXPECT_EQ(res[0].at("status"), "ok");
  EXPECT_EQ(res[1].at("status"), "conflict");
  EXPECT_EQ(res[1].at("version").as_string(), v[1]) << "a conflict says the version the record is at";
  EXPECT_EQ(res[2].at("status"), "error");
  EXPECT_EQ(res[3].at("status"), "error");
  EXPECT_EQ(res[4].at("status"), "ok");
  EXPECT_EQ(res[0].at("id").as_string(), id[0]);
  EXPECT_EQ(res[4].at("id").as_string(), id[1]);
  EXPECT_EQ(std::stoll(std::string(res[4].at("version").as_string())),
            std::stoll(std::string(res[0].at("version").as_string())) + 1);
  auto changes = read_all(b, "note", cursor);
  ASSERT_EQ(changes.records.size(), 2u);
  EXPECT_EQ(changes.records[0].at_pointer("/data/title"), "a2");
  EXPECT_EQ(changes.records[0].at("version"), res[0].at("version"));
  EXPECT_EQ(changes.records[1].at_pointer("/data/title"), "b2");
  EXPECT_EQ(changes.records[1].at("version"), res[4].at("version"));
  // the next call numbers on from the last write
  auto next = apply(b, "note", json::array{json::object{{"op", "update"}, {"id", id[0]}, {"data", json::object{{"title", "a3"}}}}});
  EXPECT_EQ(std::stoll(std::string(next[0].at("version").as_string())),
            std::stoll(std::string(res[4].at("version").as_string())) + 1);
}

TEST(SqliteBackendTest, CursorOfAnotherStoreOrFromTheFutureExpires) {
  local::test::TempDir dir;
  SqliteBackend a((dir.path / "a.db").string(), 100), b((dir.path / "b.db").string(), 100);
  for (SqliteBackend* s : {&a, &b})  // a store exists from its first write
    apply(*s, "note", json::array{json::object{{"op", "create"}, {"data", json::object{{"title", "t"}}}}});
  std::string ca = read_all(a, "note", "").cursor;
  ASSERT_FALSE(ca.empty());
  auto expect_expired = [](auto&& fn) {
    try {
      fn();
      ADD_FAILURE() << "expected CURSOR_EXPIRED";
    } catch (const accord::Error& e) {
      EXPECT_EQ(e.status(), ACCORD_CURSOR_EXPIRED) << e.what();
    }
  };
  expect_expired([&] { b.read_changes("note", ca); });
  std::string ahead = ca.substr(0, ca.rfind('.') + 1) + "999";
  expect_expired([&] { a.read_changes("note", ahead); });
  expect_expired([&] { a.read_changes("note", "garbage"); });
}

TEST(SqliteBackendTest, ReadingAStoreThatDoesNotExistCreatesNothing) {
  local::test::TempDir dir;
  SqliteBackend b((dir.path / "sub/never.db").string(), 100);
  auto l = read_all(b, "note", "");
  EXPECT_TRUE(l.records.empty());
  EXPECT_FALSE(std::filesystem::exists(dir.path / "sub"));
}

TEST(SqliteBackendTest, BadStreamNameIsUnsupported) {
  local::test::TempDir dir;
  SqliteBackend b((dir.path / "s.db").string(), 100);
  try {
    b.read_changes("Robert'); DROP TABLE", "");
    FAIL();
  } catch (const accord::Error& e) {
    EXPECT_EQ(e.status(), ACCORD_UNSUPPORTED);
  }
}

TEST(SqliteBackendTest, CursorsAreVersionedAndTheEarlierFormExpires) {
  local::test::TempDir dir;
  SqliteBackend b((dir.path / "a.db").string(), 100);
  apply(b, "note", json::array{json::object{{"op", "create"}, {"data", json::object{{"title", "t"}}}}});
  std::string c = read_all(b, "note", "").cursor;
  ASSERT_EQ(c.rfind("local1.", 0), 0u) << c;
  json::object body = json::parse(c.substr(7)).as_object();
  auto status_of = [&](const std::string& cursor) {
    try {
      b.read_changes("note", cursor);
    } catch (const accord::Error& e) {
      return e.status();
    }
    return ACCORD_OK;
  };
  EXPECT_EQ(status_of(c), ACCORD_OK);
  // the form earlier versions wrote: a full listing, in order
  EXPECT_EQ(status_of("v1.new.0"), ACCORD_CURSOR_EXPIRED);
  EXPECT_EQ(status_of("v1." + std::string(body.at("epoch").as_string()) + ".1"), ACCORD_CURSOR_EXPIRED);
  // ahead of the store (restored from a backup)
  body["seq"] = 999;
  EXPECT_EQ(status_of("local1." + json::serialize(body)), ACCORD_CURSOR_EXPIRED);
}

// A read's first batch says how many records the read lists in all (the
// host's reading bar): a full listing's is the table's row count, a bound
// from above once the store keeps tombstones (exact without them); a change
// listing's, the rows past its cursor. Later batches of the read say none.
TEST(SqliteBackendTest, AReadsFirstBatchSaysHowManyItLists) {
  local::test::TempDir dir;
  SqliteBackend b((dir.path / "t.db").string(), 3);
  json::array ops;
  for (int i = 0; i < 10; ++i)
    ops.push_back(json::object{{"op", "create"}, {"data", json::object{{"n", i}}}});
  auto res = apply(b, "contact", ops);
  ASSERT_EQ(res.size(), 10u);
  json::object first = json::parse(b.read_changes("contact", "")).as_object();
  ASSERT_TRUE(first.contains("total"));
  EXPECT_EQ(first.at("total"), 10);
  json::object second = json::parse(b.read_changes("contact", std::string(first.at("cursor").as_string()))).as_object();
  EXPECT_FALSE(second.contains("total"));
  auto all = read_all(b, "contact", "");
  ASSERT_EQ(all.records.size(), 10u);
  auto del = apply(b, "contact", json::array{json::object{{"op", "delete"}, {"id", res[0].at("id")}},
                                            json::object{{"op", "delete"}, {"id", res[1].at("id")}}});
  ASSERT_EQ(del[1].at("status"), "ok");
  json::object changes = json::parse(b.read_changes("contact", all.cursor)).as_object();
  EXPECT_EQ(changes.at("total"), 2);  // the two deletions
  json::object full = json::parse(b.read_changes("contact", "")).as_object();
  int64_t total = full.at("total").as_int64();
  EXPECT_GE(total, 8);   // what the listing lists
  EXPECT_LE(total, 10);  // and its tombstones at most
  EXPECT_EQ(read_all(b, "contact", "").records.size(), 8u);
}

// A record's text fields (here its idempotency key) are escaped wherever the
// byte to escape is: before, at or past the 16 bytes looked at at once.
TEST(SqliteBackendTest, TextFieldsAreEscapedWhereverTheirSpecialBytesAre) {
  local::test::TempDir dir;
  SqliteBackend b((dir.path / "t.db").string(), 50);
  std::vector<std::string> keys = {"plain", "a\"b", std::string(15, 'x') + "\\", std::string(16, 'x') + "\"",
                                   std::string(17, 'y') + "\n" + std::string(20, 'z'), std::string(40, 'q') + "\x01",
                                   "\t" + std::string(31, 'r'), std::string(32, 's'), "é😀" + std::string(20, 't') + "\x1f\r"};
  json::array ops;
  for (const auto& k : keys) ops.push_back(json::object{{"op", "create"}, {"idempotency_key", k}, {"data", json::object{}}});
  ASSERT_EQ(apply(b, "contact", ops).size(), keys.size());
  json::object first = json::parse(b.read_changes("contact", "")).as_object();
  const json::array& records = first.at("records").as_array();
  ASSERT_EQ(records.size(), keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(records[i].at("idempotency_key").as_string(), keys[i]) << i;
}
