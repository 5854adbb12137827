// SPDX-License-Identifier: Apache-2.0
// The connector wire read into types (plugins/wire.hpp): each record read on
// its own, what cannot be read named by id, JSON pointer and reason.
#include "plugins/wire.hpp"

#include <cstdlib>
#include <gtest/gtest.h>

using namespace accord::wire;

namespace {
std::string ids(const Batch& b) {
  std::string out;
  for (const auto& r : b.records) out += r.id + " ";
  return out;
}
const Problem* problem(const Batch& b, const std::string& pointer) {
  for (const auto& p : b.unreadable)
    if (p.pointer == pointer) return &p;
  return nullptr;
}
}  // namespace

TEST(WireTest, AGoodBatchIsReadIntoTypes) {
  Batch b = read_batch(R"({"records":[{"id":"a","version":"3","modified":"2026-01-01T00:00:00Z",
      "idempotency_key":"k1","data":{"title":"A"}},{"id":"b","deleted":true,"renumbered":true}],
      "cursor":"c9","more":true,"full":true})");
  ASSERT_EQ(b.error, "");
  ASSERT_EQ(b.records.size(), 2u);
  EXPECT_TRUE(b.unreadable.empty());
  EXPECT_EQ(b.records[0].version, "3");
  EXPECT_EQ(b.records[0].modified, "2026-01-01T00:00:00Z");
  EXPECT_EQ(b.records[0].idempotency_key, "k1");
  EXPECT_EQ(b.records[0].data.as_object().at("title").as_string(), "A");
  EXPECT_TRUE(b.records[1].deleted);
  EXPECT_TRUE(b.records[1].renumbered);
  EXPECT_EQ(b.cursor, "c9");
  EXPECT_TRUE(b.more);
  EXPECT_TRUE(b.full);
}

TEST(WireTest, ABudgetObjectIsPassedOnAsTextAndOneThatIsNotAnObjectIsANote) {
  Batch b = read_batch(R"({"records":[],"cursor":"c","budget":{"v":1,"left":9,"read":2,"writes":{"create":{"requests":1,"per":200}}}})");
  ASSERT_EQ(b.error, "");
  EXPECT_EQ(b.budget, R"({"v":1,"left":9,"read":2,"writes":{"create":{"requests":1,"per":200}}})");
  EXPECT_TRUE(b.notes.empty());
  EXPECT_EQ(read_batch(R"({"records":[],"cursor":"c"})").budget, "");
  EXPECT_EQ(read_batch(R"({"records":[],"cursor":"c","budget":null})").budget, "");
  b = read_batch(R"({"records":[{"id":"a","data":{}}],"cursor":"c","budget":12})");
  EXPECT_EQ(b.error, "");
  EXPECT_EQ(ids(b), "a ");
  EXPECT_EQ(b.budget, "");
  ASSERT_EQ(b.notes.size(), 1u);
  EXPECT_NE(b.notes[0].find("\"budget\""), std::string::npos) << b.notes[0];
}

TEST(WireTest, ATotalIsReadAndOneThatIsNotACountIsANoteNotAnError) {
  Batch b = read_batch(R"({"records":[{"id":"a","data":{}}],"cursor":"c","more":true,"total":1200})");
  ASSERT_EQ(b.error, "");
  ASSERT_TRUE(b.total.has_value());
  EXPECT_EQ(*b.total, 1200u);
  EXPECT_TRUE(b.notes.empty());
  b = read_batch(R"({"records":[{"id":"a","data":{}}],"cursor":"c","total":1200.0})");
  ASSERT_TRUE(b.total.has_value());
  EXPECT_EQ(*b.total, 1200u);
  EXPECT_FALSE(read_batch(R"({"records":[],"cursor":"c"})").total.has_value());
  EXPECT_FALSE(read_batch(R"({"records":[],"cursor":"c","total":null})").total.has_value());
  for (const char* bad : {"-3", "2.5", "\"12\"", "true", "[1]", "1e300"}) {
    b = read_batch(std::string(R"({"records":[{"id":"a","data":{}}],"cursor":"c","more":true,"total":)") + bad + "}");
    EXPECT_EQ(b.error, "") << bad;
    EXPECT_EQ(ids(b), "a ") << bad;
    EXPECT_TRUE(b.more) << bad;
    EXPECT_FALSE(b.total.has_value()) << bad;
    ASSERT_EQ(b.notes.size(), 1u) << bad;
    EXPECT_NE(b.notes[0].find("\"total\""), std::string::npos) << b.notes[0];
  }
  // the frame of an answer the parser refuses (a record with bad UTF-8) is read the same way
  b = read_batch("{\"records\":[{\"id\":\"x\",\"data\":{\"s\":\"\xe9\"}}],\"cursor\":\"c\",\"total\":7}");
  EXPECT_EQ(b.error, "");
  ASSERT_TRUE(b.total.has_value());
  EXPECT_EQ(*b.total, 7u);
}

TEST(WireTest, InvalidUtf8InOneRecordSkipsOnlyThatRecord) {
  Batch b = read_batch("{\"records\":[{\"id\":\"a\",\"data\":{}},"
                       "{\"id\":\"latin\",\"data\":{\"headers\":{\"subject\":\"Caf\xe9\"}}},"
                       "{\"id\":\"c\",\"data\":{\"n\":1}}],\"cursor\":\"x\",\"more\":false}");
  ASSERT_EQ(b.error, "");
  EXPECT_EQ(ids(b), "a c ");
  ASSERT_EQ(b.unreadable.size(), 1u);
  EXPECT_EQ(b.unreadable[0].id, "latin");
  EXPECT_TRUE(b.unreadable[0].id_sure);
  EXPECT_EQ(b.unreadable[0].pointer, "/records/1/data/headers/subject");
  EXPECT_EQ(b.unreadable[0].reason, "invalid UTF-8 (byte 0xE9)");
  EXPECT_EQ(b.records[1].data.as_object().at("n").as_int64(), 1);
  EXPECT_EQ(b.cursor, "x");
}

TEST(WireTest, ARecordItsConnectorCannotReadIsListedInTheConnectorsWords) {
  auto b = read_batch(
      R"({"records":[{"id":"cal.ics#dup","problem":"cal.ics lines 4 and 12: two VEVENTs with UID dup; rename one"},
                     {"id":"ok","data":{}},{"id":"x","problem":7}],"cursor":"c"})");
  ASSERT_EQ(b.records.size(), 1u);
  ASSERT_EQ(b.unreadable.size(), 2u);
  EXPECT_EQ(b.unreadable[0].id, "cal.ics#dup");
  EXPECT_TRUE(b.unreadable[0].id_sure);
  EXPECT_EQ(b.unreadable[0].pointer, "/records/0");
  EXPECT_EQ(b.unreadable[0].reason, "cal.ics lines 4 and 12: two VEVENTs with UID dup; rename one");
  EXPECT_EQ(b.unreadable[1].pointer, "/records/2/problem");
}

// Found by the wire fuzzer: "problem": "" left the record listed with no
// reason at all (an empty line in the report and in accord status).
TEST(WireTest, AnEmptyProblemStillGivesAReason) {
  auto b = read_batch(R"({"records":[{"id":"a","problem":""},{"id":"b","problem":"  "}],"cursor":"c"})");
  ASSERT_EQ(b.unreadable.size(), 2u);
  for (const auto& p : b.unreadable)
    EXPECT_EQ(p.reason, "its connector cannot read it and did not say why (\"problem\" is empty)") << p.id;
}

TEST(WireTest, OverlongAndSurrogateUtf8AreInvalid) {
  EXPECT_EQ(first_invalid_utf8("plain"), std::string_view::npos);
  EXPECT_EQ(first_invalid_utf8("caf\xc3\xa9 \xf0\x9f\x98\x80"), std::string_view::npos);
  EXPECT_EQ(first_invalid_utf8("ab\xc0\xaf"), 2u);          // overlong '/'
  EXPECT_EQ(first_invalid_utf8("\xed\xa0\x80"), 0u);        // a surrogate
  EXPECT_EQ(first_invalid_utf8("x\xf4\x90\x80\x80"), 1u);   // past U+10FFFF
  EXPECT_EQ(first_invalid_utf8("x\xe2\x82"), 1u);           // cut short
}

TEST(WireTest, WrongTypesAreProblemsOfTheirRecord) {
  Batch b = read_batch(R"({"records":[7,{"id":5,"data":{}},{"data":{}},{"id":"","data":{}},{"id":"d","data":[1]},
      {"id":"e","deleted":"yes"},{"id":"f","version":2,"data":{}},{"id":"g"},{"id":"h","data":{}}],"cursor":"z"})");
  ASSERT_EQ(b.error, "");
  EXPECT_EQ(ids(b), "h ");
  ASSERT_EQ(b.unreadable.size(), 8u);
  EXPECT_EQ(problem(b, "/records/0")->reason, "a record must be a JSON object, not a number");
  EXPECT_EQ(problem(b, "/records/1/id")->reason, "\"id\" must be a string, not a number");
  EXPECT_EQ(problem(b, "/records/2")->reason, "no id");
  EXPECT_EQ(problem(b, "/records/3/id")->reason, "\"id\" must not be empty");
  EXPECT_EQ(problem(b, "/records/4/data")->id, "d");
  EXPECT_EQ(problem(b, "/records/5/deleted")->reason, "\"deleted\" must be true or false, not a string");
  EXPECT_EQ(problem(b, "/records/6/version")->id, "f");
  EXPECT_EQ(problem(b, "/records/7")->reason, "a live record needs \"data\"");
}

TEST(WireTest, ARecordTooDeepOrWithABadNumberIsSkippedAlone) {
  std::string deep(100, '['), close(100, ']');
  Batch b = read_batch("{\"records\":[{\"id\":\"deep\",\"data\":{\"x\":" + deep + close +
                       "}},{\"id\":\"num\",\"data\":{\"n\":tru}},{\"id\":\"ok\",\"data\":{}}],\"cursor\":\"\"}");
  ASSERT_EQ(b.error, "");
  EXPECT_EQ(ids(b), "ok ");
  ASSERT_EQ(b.unreadable.size(), 2u);
  EXPECT_EQ(b.unreadable[0].id, "deep");
  EXPECT_EQ(b.unreadable[0].reason, "nested deeper than 32 levels");
  EXPECT_EQ(b.unreadable[1].id, "num");
  EXPECT_EQ(b.unreadable[1].pointer, "/records/1/data/n");
}

// Found by the wire fuzzer (CI, host.wire_fuzz_60s): data nested 40 levels
// was read, and the engine's own parse of the stored copy (Boost.JSON's default
// depth) threw. Every record read must parse back with default options.
TEST(WireTest, EveryRecordReadParsesBackWithTheDefaultDepth) {
  for (int depth : {28, 29, 30, 31, 40, 63}) {
    std::string open(static_cast<std::size_t>(depth), '['), close(static_cast<std::size_t>(depth), ']');
    for (bool fetch : {false, true}) {
      std::string text = "{\"records\":[{\"id\":\"a\",\"data\":{\"x\":" + open + close + "}}],\"cursor\":\"\"}";
      Batch b = fetch ? read_fetch(text) : read_batch(text);
      ASSERT_EQ(b.error, "");
      for (const auto& r : b.records) {
        boost::system::error_code ec;
        boost::json::parse(boost::json::serialize(r.data), ec);
        EXPECT_FALSE(ec) << "depth " << depth << ": " << ec.message();
      }
      EXPECT_EQ(b.records.size() + b.unreadable.size(), 1u) << depth;
    }
  }
}

// Found by the wire fuzzer: Boost.JSON 1.81 reads "5e71" as
// 5.000000000000001E71 and its own text back as ...002E71, so a number a
// connector sent drifted on every round through the state. Read exactly, in
// a whole answer and in one the parser refuses (each record read alone).
TEST(WireTest, NumbersAreReadExactly) {
  for (const char* tail : {"],\"cursor\":\"\"}", ",{\"id\":\"bad\",\"data\":{\"n\":tru}}],\"cursor\":\"\"}"}) {
    Batch b = read_batch(std::string("{\"records\":[{\"id\":\"a\",\"data\":{\"lon\":-122.41941550000001,\"big\":5e71}}") + tail);
    ASSERT_EQ(b.error, "");
    ASSERT_EQ(b.records.size(), 1u);
    EXPECT_EQ(b.records[0].data.at("lon").get_double(), std::strtod("-122.41941550000001", nullptr));
    EXPECT_EQ(b.records[0].data.at("big").get_double(), 5e71);
    EXPECT_EQ(boost::json::serialize(b.records[0].data.at("big")), "5E71");
  }
}

TEST(WireTest, AnIdThatIsNotUtf8IsShownWithQuestionMarks) {
  Batch b = read_batch("{\"records\":[{\"id\":\"b\xff" "d\",\"data\":{}}],\"cursor\":\"\"}");
  ASSERT_EQ(b.unreadable.size(), 1u);
  EXPECT_EQ(b.unreadable[0].id, "b?d");
  EXPECT_FALSE(b.unreadable[0].id_sure);
  EXPECT_EQ(b.unreadable[0].pointer, "/records/0/id");
}

TEST(WireTest, AnUnreadableFrameIsAnErrorOfTheWholeBatch) {
  EXPECT_NE(read_batch("<html>502</html>").error.find("not JSON"), std::string::npos);
  EXPECT_NE(read_batch("[]").error.find("not a JSON object"), std::string::npos);
  EXPECT_EQ(read_batch(R"({"cursor":"x"})").error, "without a \"records\" array");
  EXPECT_EQ(read_batch(R"({"records":[]})").error, "without a \"cursor\"");
  EXPECT_NE(read_batch(R"({"records":[],"cursor":3})").error.find("\"cursor\" must be a string"), std::string::npos);
  EXPECT_NE(read_batch(R"({"records":[],"cursor":"","more":"yes"})").error.find("\"more\" must be true or false"),
            std::string::npos);
  // invalid UTF-8 outside the records, or a frame cut short: the batch cannot be trusted
  EXPECT_NE(read_batch("{\"records\":[],\"cursor\":\"\xe9\"}").error.find("invalid UTF-8"), std::string::npos);
  EXPECT_NE(read_batch("{\"records\":[{\"id\":\"a\xe9\",\"data\":{}}").error, "");
  EXPECT_NE(read_batch("{\"records\":[{\"id\":\"a\xe9\",\"data\":{]}],\"cursor\":\"\"}").error, "");
  // a fetch answer has no cursor
  EXPECT_EQ(read_fetch(R"({"records":[{"id":"a","data":{}}]})").error, "");
}

TEST(WireTest, ApplyResultsOnePerOpWhateverTheConnectorAnswers) {
  std::vector<std::string> ops{"create", "update", "create", "delete"};
  ApplyResults few = read_results(R"([{"status":"ok","id":"n1","version":"1"}])", ops);
  ASSERT_EQ(few.error, "");
  ASSERT_EQ(few.results.size(), 4u);
  EXPECT_TRUE(few.results[0].ok());
  EXPECT_EQ(few.results[0].id, "n1");
  EXPECT_EQ(few.results[3].status, "error");
  EXPECT_TRUE(few.results[3].unreadable);
  EXPECT_EQ(few.results[3].message, "answered 1 results for 4 ops (none for this one)");

  ApplyResults wrong = read_results(
      R"([{"status":1},"ok",{"status":"ok","id":7},{"status":"retry","retry_after":1e300,"message":{}},{"status":"ok"}])",
      ops);
  ASSERT_EQ(wrong.results.size(), 4u);
  EXPECT_EQ(wrong.results[0].message, "answered an unreadable result (/0/status: must be a string, not a number)");
  EXPECT_EQ(wrong.results[1].message, "answered an unreadable result (/1: a result must be a JSON object, not a string)");
  EXPECT_EQ(wrong.results[2].message, "answered an unreadable result (/2/id: must be a string, not a number)");
  EXPECT_EQ(wrong.results[3].status, "retry");
  EXPECT_EQ(wrong.results[3].retry_after_s, 7 * 86400);
  ASSERT_EQ(wrong.notes.size(), 2u);
  EXPECT_EQ(wrong.notes[1], "answered 5 results for 4 ops; the last 1 are ignored");

  ApplyResults no_id = read_results(R"([{"status":"ok"},{"status":"ok"},{"status":"ok","id":"x"},{"status":"ok"}])", ops);
  EXPECT_FALSE(no_id.results[0].ok());
  EXPECT_TRUE(no_id.results[1].ok());  // an update keeps its id

  ApplyResults latin = read_results("[{\"status\":\"ok\",\"id\":\"a\"},{\"status\":\"error\",\"message\":\"d\xe9j\xe0\"}]",
                                    {"create", "update"});
  ASSERT_EQ(latin.error, "");
  EXPECT_TRUE(latin.results[0].ok());
  EXPECT_EQ(latin.results[1].message, "answered an unreadable result (/1/message: invalid UTF-8 (byte 0xE9))");

  EXPECT_NE(read_results("{\"status\":\"ok\"}", ops).error.find("not a JSON array"), std::string::npos);
  EXPECT_NE(read_results("[{\"status\":\"ok\"", ops).error.find("not JSON"), std::string::npos);
}

// Found by the wire fuzzer (CI): 7e731 parses as infinity, which serialises
// as "Infinity", not JSON; the record's data would then be unreadable state.
TEST(WireTest, ANumberTooLargeForADoubleSkipsOnlyItsRecord) {
  Batch b = read_batch(R"({"records":[{"id":"big","data":{"title":"A","n":[2.2,7e731]}},
      {"id":"neg","data":{"x":{"a/b":-1e400}}},{"id":"ok","data":{"n":1e308,"m":7e-731}}],"cursor":"c"})");
  ASSERT_EQ(b.error, "");
  EXPECT_EQ(ids(b), "ok ");
  ASSERT_EQ(b.unreadable.size(), 2u);
  EXPECT_EQ(problem(b, "/records/0/data/n/1")->id, "big");
  EXPECT_EQ(problem(b, "/records/0/data/n/1")->reason,
            "a number too large for a double (JSON has no infinity); send it as a string");
  EXPECT_EQ(problem(b, "/records/1/data/x/a~1b")->id, "neg");

  ApplyResults r = read_results(R"([{"status":"ok","id":"n1","data":{"n":1e999}}])", {"create"});
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_TRUE(r.results[0].ok());
  EXPECT_EQ(r.results[0].data, "");
  ASSERT_EQ(r.notes.size(), 1u);
}
