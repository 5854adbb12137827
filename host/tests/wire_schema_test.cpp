// SPDX-License-Identifier: Apache-2.0
// The host's wire reader (plugins/wire.cpp) and manifest parser agree with
// the SDK's schemas (sdk/schema), which are the contract a connector author
// reads: every answer the reader takes whole is valid against its schema,
// and every answer or record it refuses (or takes only in part, noting why)
// is not. The host never validates against the schemas while it runs (a sync
// must not pay for it); this test keeps the two from drifting apart. Where
// the host is knowingly more lenient than the contract, or a rule is beyond
// what a schema can say, the case says so.
#include "plugins/manifest.hpp"
#include "plugins/wire.hpp"
#include "schemas.hpp"

#include <boost/json.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace json = boost::json;
using accord::conformance::Schemas;

namespace {

enum Expect { kAccepted, kRefused };

struct Case {
  const char* text;
  Expect expect;
};

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : "; ") + x;
  return s;
}

// True when `text` parses and is valid against the schema `name`.
bool schema_accepts(const char* name, std::string_view text, std::string& why) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) {
    why = "not JSON";
    return false;
  }
  auto errors = Schemas::get().validate(name, v);
  why = join(errors);
  return errors.empty();
}

bool batch_accepted(std::string_view text, std::string& why) {
  accord::wire::Batch b = accord::wire::read_batch(text);
  why = b.error + join(b.notes);
  for (const auto& p : b.unreadable) why += p.pointer + ": " + p.reason + "; ";
  return b.error.empty() && b.unreadable.empty() && b.notes.empty();
}

bool fetch_accepted(std::string_view text, std::string& why) {
  accord::wire::Batch b = accord::wire::read_fetch(text);
  why = b.error;
  for (const auto& p : b.unreadable) why += p.pointer + ": " + p.reason + "; ";
  return b.error.empty() && b.unreadable.empty();
}

bool results_accepted(std::string_view text, const std::vector<std::string>& ops, std::string& why) {
  accord::wire::ApplyResults r = accord::wire::read_results(text, ops);
  why = r.error + join(r.notes);
  bool ok = r.error.empty() && r.notes.empty();
  for (const auto& x : r.results)
    if (x.unreadable) {
      ok = false;
      why += "; " + x.message;
    }
  return ok;
}

const Case kBatches[] = {
    {R"({"records":[],"cursor":""})", kAccepted},
    {R"({"records":[{"id":"a","version":"1","modified":"2026-03-01T10:00:00Z","deleted":false,
        "idempotency_key":"k","data":{"title":"x"}}],"cursor":"c","more":true,"full":true})", kAccepted},
    {R"({"records":[{"id":"a","deleted":true}],"cursor":"c","more":false})", kAccepted},
    {R"({"records":[{"id":"a","deleted":true,"renumbered":true}],"cursor":"c"})", kAccepted},
    {R"({"records":[{"id":"a","version":null,"modified":null,"idempotency_key":null,"deleted":null,
        "renumbered":null,"data":{}}],"cursor":"c","more":null,"full":null})", kAccepted},
    {R"({"records":[{"id":"a","data":{},"extension":1}],"cursor":"c","extension":{}})", kAccepted},
    // "total", for the progress bar: a count or nothing; anything else is a
    // note (the batch is still read)
    {R"({"records":[],"cursor":"c","more":true,"total":120})", kAccepted},
    {R"({"records":[],"cursor":"c","total":0})", kAccepted},
    {R"({"records":[],"cursor":"c","total":null})", kAccepted},
    {R"({"records":[],"cursor":"c","total":-1})", kRefused},
    {R"({"records":[],"cursor":"c","total":2.5})", kRefused},
    {R"({"records":[],"cursor":"c","total":"120"})", kRefused},
    // refused records: the others of the batch are read
    {R"({"records":[{"id":5,"data":{}}],"cursor":"c"})", kRefused},
    {R"({"records":[{"id":"","data":{}}],"cursor":"c"})", kRefused},
    {R"({"records":[{"data":{}}],"cursor":"c"})", kRefused},
    {R"({"records":[{"id":null,"data":{}}],"cursor":"c"})", kRefused},
    {R"({"records":[{"id":"a","deleted":"yes"}],"cursor":"c"})", kRefused},
    {R"({"records":[{"id":"a","deleted":0,"data":{}}],"cursor":"c"})", kRefused},
    {R"({"records":[{"id":"a","renumbered":"yes","deleted":true}],"cursor":"c"})", kRefused},
    {R"({"records":[{"id":"a"}],"cursor":"c"})", kRefused},
    {R"({"records":[{"id":"a","deleted":false}],"cursor":"c"})", kRefused},
    {R"({"records":[{"id":"a","data":null}],"cursor":"c"})", kRefused},
    {R"({"records":[{"id":"a","data":[1]}],"cursor":"c"})", kRefused},
    {R"({"records":[{"id":"a","data":"text"}],"cursor":"c"})", kRefused},
    {R"({"records":[{"id":"a","version":7,"data":{}}],"cursor":"c"})", kRefused},
    {R"({"records":[{"id":"a","modified":20260301,"data":{}}],"cursor":"c"})", kRefused},
    {R"({"records":[{"id":"a","idempotency_key":true,"data":{}}],"cursor":"c"})", kRefused},
    // a record its connector says it cannot read ("problem", no data)
    {R"({"records":[{"id":"a","problem":"a.ics line 3: no END:VEVENT"}],"cursor":"c"})", kRefused},
    {R"({"records":[5],"cursor":"c"})", kRefused},
    {R"({"records":[{"id":"a","data":{}},{"id":"b"}],"cursor":"c"})", kRefused},
    // refused frames: nothing is read
    {R"([])", kRefused},
    {R"({"cursor":"c"})", kRefused},
    {R"({"records":{},"cursor":"c"})", kRefused},
    {R"({"records":[]})", kRefused},
    {R"({"records":[],"cursor":5})", kRefused},
    {R"({"records":[],"cursor":null})", kRefused},
    {R"({"records":[],"cursor":"c","more":"yes"})", kRefused},
    {R"({"records":[],"cursor":"c","full":1})", kRefused},
};

TEST(WireSchemaTest, BatchSchemaAcceptsWhatTheWireReaderReadsWholeAndRefusesTheRest) {
  for (const auto& c : kBatches) {
    std::string wire_why, schema_why;
    bool wire = batch_accepted(c.text, wire_why);
    bool schema = schema_accepts("batch", c.text, schema_why);
    EXPECT_EQ(wire, c.expect == kAccepted) << c.text << "\n  wire: " << wire_why;
    EXPECT_EQ(schema, c.expect == kAccepted) << c.text << "\n  schema: " << schema_why;
  }
}

TEST(WireSchemaTest, FetchSchemaNeedsNoCursor) {
  const Case cases[] = {
      {R"({"records":[{"id":"a","data":{"raw":"QQ=="}}]})", kAccepted},
      {R"({"records":[]})", kAccepted},
      {R"({"records":[{"id":"a","data":"QQ=="}]})", kRefused},
      {R"({"records":[{"id":7,"data":{}}]})", kRefused},
      {R"({"cursor":""})", kRefused},
      {R"({"records":[],"more":"no"})", kRefused},
  };
  for (const auto& c : cases) {
    std::string wire_why, schema_why;
    EXPECT_EQ(fetch_accepted(c.text, wire_why), c.expect == kAccepted) << c.text << "\n  wire: " << wire_why;
    EXPECT_EQ(schema_accepts("fetch", c.text, schema_why), c.expect == kAccepted) << c.text << "\n  schema: " << schema_why;
  }
  std::string why;
  EXPECT_FALSE(schema_accepts("batch", R"({"records":[]})", why)) << "a batch needs its cursor";
}

struct ResultCase {
  const char* text;
  std::vector<std::string> ops;
  Expect expect;
};

TEST(WireSchemaTest, ResultsSchemaAcceptsWhatTheWireReaderReadsWithoutANote) {
  const ResultCase cases[] = {
      {R"([{"status":"ok","id":"a","version":"1"}])", {"create"}, kAccepted},
      {R"([{"status":"ok","id":"a","version":"2","data":{"title":"x"}}])", {"update"}, kAccepted},
      {R"([{"status":"retry","retry_after":5,"message":"busy"}])", {"update"}, kAccepted},
      {R"([{"status":"retry","retry_after":2.5}])", {"delete"}, kAccepted},
      {R"([{"status":"conflict","id":"a","version":"2","message":"stale"},{"status":"unsupported"}])",
       {"update", "delete"}, kAccepted},
      {R"([{"status":"error","id":null,"version":null,"message":null,"data":null,"retry_after":null}])",
       {"create"}, kAccepted},
      {R"([{"status":"auth_required"},{"status":"cancelled"}])", {"create", "create"}, kAccepted},
      {R"([{"status":"OK","id":"a"}])", {"update"}, kRefused},
      {R"([{"id":"a"}])", {"update"}, kRefused},
      {R"([{"status":0}])", {"update"}, kRefused},
      {R"({"status":"ok"})", {"update"}, kRefused},
      {R"([5])", {"update"}, kRefused},
      {R"([{"status":"ok","id":7}])", {"update"}, kRefused},
      {R"([{"status":"error","id":7}])", {"update"}, kRefused},
      {R"([{"status":"ok","id":"a","version":2}])", {"update"}, kRefused},
      {R"([{"status":"error","message":["a","b"]}])", {"update"}, kRefused},
      {R"([{"status":"ok","id":"a","data":[1]}])", {"update"}, kRefused},
      {R"([{"status":"retry","retry_after":"5s"}])", {"update"}, kRefused},
  };
  for (const auto& c : cases) {
    std::string wire_why, schema_why;
    EXPECT_EQ(results_accepted(c.text, c.ops, wire_why), c.expect == kAccepted) << c.text << "\n  wire: " << wire_why;
    EXPECT_EQ(schema_accepts("results", c.text, schema_why), c.expect == kAccepted)
        << c.text << "\n  schema: " << schema_why;
  }
}

TEST(WireSchemaTest, RulesBeyondTheResultsSchemaAndTheHostsLeniencyAreKnown) {
  std::string why;
  // A create answered ok must name its record: the schema cannot know the op.
  EXPECT_FALSE(results_accepted(R"([{"status":"ok"}])", {"create"}, why));
  EXPECT_TRUE(schema_accepts("results", R"([{"status":"ok"}])", why));
  // One result per op: the schema cannot count the ops.
  EXPECT_FALSE(results_accepted(R"([{"status":"ok","id":"a"}])", {"update", "update"}, why));
  EXPECT_TRUE(schema_accepts("results", R"([{"status":"ok","id":"a"}])", why));
  // A negative retry_after is against the contract; the host takes it as 0.
  EXPECT_TRUE(results_accepted(R"([{"status":"retry","retry_after":-3}])", {"update"}, why));
  EXPECT_FALSE(schema_accepts("results", R"([{"status":"retry","retry_after":-3}])", why));
}

TEST(WireSchemaTest, ManifestSchemaAgreesWithTheManifestParser) {
  const Case cases[] = {
      {R"({"id":"memo","version":"1.0.0","streams":[{"name":"note"}],"config_schema":{}})", kAccepted},
      {R"({"id":"mail-x","name":"Mail","version":"2","description":"d","custom_streams":true,
          "store_identity":["path"],"config_schema":{"type":"object"},
          "streams":[{"name":"message","canonical":"jmap-email","fields":["/subject","/raw"],"lazy":["/raw"],
                      "lazy_size":"/size","identity":["/messageId"],"capabilities":["read","fetch"]}]})", kAccepted},
      {R"({"id":"people","version":"1","config_schema":{},
          "streams":[{"name":"contact","fields":["/emails/*/address","/emails/*/pref"],"read_only":["/emails/*/pref"]}]})", kAccepted},
      {R"({"id":"memo","version":"1","streams":[{"name":"note","fields":["/title"],"read_only":"/title"}],"config_schema":{}})", kRefused},
      {R"({"version":"1","streams":[{"name":"note"}],"config_schema":{}})", kRefused},
      {R"({"id":"Memo","version":"1","streams":[{"name":"note"}],"config_schema":{}})", kRefused},
      {R"({"id":"memo","streams":[{"name":"note"}],"config_schema":{}})", kRefused},
      {R"({"id":"memo","version":1,"streams":[{"name":"note"}],"config_schema":{}})", kRefused},
      {R"({"id":"memo","version":"1","streams":[],"config_schema":{}})", kRefused},
      {R"({"id":"memo","version":"1","streams":{},"config_schema":{}})", kRefused},
      {R"({"id":"memo","version":"1","streams":[{"canonical":"note"}],"config_schema":{}})", kRefused},
      {R"({"id":"memo","version":"1","streams":[{"name":"note","fields":[1]}],"config_schema":{}})", kRefused},
      {R"({"id":"memo","version":"1","streams":[{"name":"m","lazy":["/a/b"]}],"config_schema":{}})", kRefused},
      {R"({"id":"memo","version":"1","streams":[{"name":"m","lazy_size":"/size"}],"config_schema":{}})", kRefused},
      {R"({"id":"memo","version":"1","streams":[{"name":"m","identity":["messageId"]}],"config_schema":{}})", kRefused},
      {R"({"id":"memo","version":"1","streams":[{"name":"note"}]})", kRefused},
      {R"({"id":"memo","version":"1","streams":[{"name":"note"}],"config_schema":true})", kRefused},
      {R"({"id":"memo","version":"1","streams":[{"name":"note"}],"config_schema":{},"store_identity":"path"})", kRefused},
  };
  for (const auto& c : cases) {
    std::string schema_why;
    auto parsed = accord::parse_manifest(c.text);
    EXPECT_EQ(parsed.has_value(), c.expect == kAccepted) << c.text << "\n  parser: " << (parsed ? "" : parsed.error().message);
    EXPECT_EQ(schema_accepts("manifest", c.text, schema_why), c.expect == kAccepted)
        << c.text << "\n  schema: " << schema_why;
  }
}

TEST(WireSchemaTest, TheManifestParsersLeniencyIsKnown) {
  // An unknown canonical form is read as the connector's own (no canonical
  // schema applies); the contract names the forms there are, and "custom".
  const char* lead = R"({"id":"m","version":"1","streams":[{"name":"lead","canonical":"lead"}],"config_schema":{}})";
  std::string why;
  EXPECT_TRUE(accord::parse_manifest(lead).has_value());
  EXPECT_FALSE(schema_accepts("manifest", lead, why));
  // "custom_streams" that is not a boolean is read as false.
  const char* yes = R"({"id":"m","version":"1","streams":[{"name":"note"}],"config_schema":{},"custom_streams":"yes"})";
  auto parsed = accord::parse_manifest(yes);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_FALSE(parsed->custom_streams);
  EXPECT_FALSE(schema_accepts("manifest", yes, why));
}

TEST(WireSchemaTest, AReadOnlyFieldMustBeAmongTheFields) {
  // The schema cannot say that read_only is a subset of fields; the parser
  // refuses one that is not, naming it.
  const char* stray = R"({"id":"m","version":"1","config_schema":{},
      "streams":[{"name":"note","fields":["/title"],"read_only":["/created"]}]})";
  std::string why;
  auto parsed = accord::parse_manifest(stray);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_NE(parsed.error().message.find("\"/created\" must also be listed in \"fields\""), std::string::npos)
      << parsed.error().message;
  EXPECT_TRUE(schema_accepts("manifest", stray, why));
  auto ok = accord::parse_manifest(R"({"id":"m","version":"1","config_schema":{},
      "streams":[{"name":"note","fields":["/title","/created"],"read_only":["/created"]}]})");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->streams[0].read_only, std::vector<std::string>{"/created"});
}

TEST(WireSchemaTest, OpsSchemaDescribesWhatTheHostSends) {
  const Case cases[] = {
      {R"([{"op":"create","idempotency_key":"k","data":{"title":"x"}},
          {"op":"create","idempotency_key":"k","resend":true,"data":{}},
          {"op":"update","id":"a","expect_version":"1","data":{}},
          {"op":"delete","id":"a","expect_version":"2"},{"op":"delete","id":"b"}])", kAccepted},
      {R"([{"op":"create"}])", kRefused},
      {R"([{"op":"update","data":{}}])", kRefused},
      {R"([{"op":"update","id":"a"}])", kRefused},
      {R"([{"op":"delete"}])", kRefused},
      {R"([{"op":"move","id":"a"}])", kRefused},
      {R"([{"op":"create","data":[]}])", kRefused},
  };
  for (const auto& c : cases) {
    std::string why;
    EXPECT_EQ(schema_accepts("ops", c.text, why), c.expect == kAccepted) << c.text << "\n  schema: " << why;
  }
}

TEST(WireSchemaTest, EverySchemaIsCompiledInAndCanonicalFormsAreNamed) {
  auto names = Schemas::get().names();
  for (const char* n : {"batch", "record", "fetch", "ops", "results", "manifest", "contact", "event", "task", "message", "note"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  EXPECT_EQ(Schemas::for_canonical("jscontact"), "contact");
  EXPECT_EQ(Schemas::for_canonical("jmap-email"), "message");
  EXPECT_EQ(Schemas::for_canonical("custom"), "");
}

TEST(WireSchemaTest, CanonicalSchemasCheckFieldTypes) {
  std::string why;
  EXPECT_TRUE(schema_accepts("note", R"({"title":"t","body":"b","categories":["a"],"created":"2026-03-01T10:00:00Z"})", why)) << why;
  EXPECT_FALSE(schema_accepts("note", R"({"categories":"a,b"})", why));
  EXPECT_TRUE(schema_accepts("contact", R"({"@type":"Card","version":"1.0","uid":"u","name":{"full":"Ada",
      "components":[{"kind":"given","value":"Ada"}]},"emails":{"e1":{"address":"a@example.org","contexts":{"work":true}}}})", why)) << why;
  EXPECT_FALSE(schema_accepts("contact", R"({"emails":{"e1":{"address":5}}})", why));
  EXPECT_FALSE(schema_accepts("contact", R"({"@type":"Event"})", why));
  EXPECT_TRUE(schema_accepts("event", R"({"@type":"Event","uid":"u","start":"2026-03-01T10:00:00","timeZone":"Europe/London",
      "duration":"PT1H","recurrenceRules":[{"frequency":"weekly","byDay":[{"day":"mo"}]}]})", why)) << why;
  EXPECT_FALSE(schema_accepts("event", R"({"recurrenceRules":[{"frequency":"fortnightly"}]})", why));
  EXPECT_TRUE(schema_accepts("task", R"({"@type":"Task","due":"2026-03-05T17:00:00","progress":"completed","percentComplete":100})", why)) << why;
  EXPECT_FALSE(schema_accepts("task", R"({"percentComplete":"all"})", why));
  EXPECT_TRUE(schema_accepts("message", R"({"messageId":["a@b"],"from":[{"name":"Ada","email":"ada@example.org"}],
      "mailboxIds":{"INBOX":true},"keywords":{"$seen":true},"size":10,
      "bodyStructure":{"type":"multipart/mixed","subParts":[{"partId":"1","type":"text/plain","size":3}]}})", why)) << why;
  EXPECT_FALSE(schema_accepts("message", R"({"from":"ada@example.org"})", why));
  EXPECT_FALSE(schema_accepts("message", R"({"size":-1})", why));
}

}  // namespace
