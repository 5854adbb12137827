// SPDX-License-Identifier: Apache-2.0
// outlook-mapi's graph maps unit by unit: Graph contact ⇄ JSContact.
#include "contact_map.hpp"

#include <boost/json.hpp>

#include <gtest/gtest.h>

namespace json = boost::json;

namespace {

json::object parse(const char* s) { return json::parse(s).as_object(); }

TEST(ContactMapTest, GraphContactReadsAsACard) {
  json::object g = parse(R"({"id":"c1","givenName":"Ada","surname":"Lovelace","displayName":"Ada Lovelace",
    "emailAddresses":[{"name":"Ada","address":"ada@example.org"}],"businessPhones":["+44 20 7946 0000"],
    "mobilePhone":"+44 7700 900000","homeAddress":{"street":"12 St James's Square","city":"London","postalCode":"SW1Y 4JH",
    "countryOrRegion":"United Kingdom"},"companyName":"Analytical Engines","department":"Research","jobTitle":"Analyst",
    "personalNotes":"Line one","birthday":"1815-12-10T00:00:00Z","businessHomePage":"https://example.org",
    "categories":["Friends"]})");
  json::object c = outlook::contacts::to_card(g);
  EXPECT_EQ(c.at("name"), json::parse(R"({"components":[{"kind":"given","value":"Ada"},{"kind":"surname","value":"Lovelace"}],"full":"Ada Lovelace"})"));
  EXPECT_EQ(c.at("emails"), json::parse(R"({"e1":{"address":"ada@example.org"}})"));
  EXPECT_EQ(c.at("phones"), json::parse(R"({"p1":{"number":"+44 20 7946 0000","contexts":{"work":true}},
    "p2":{"number":"+44 7700 900000","features":{"mobile":true}}})"));
  EXPECT_EQ(c.at("addresses").at("a1").at("contexts"), json::parse(R"({"private":true})"));
  EXPECT_EQ(c.at("organizations"), json::parse(R"({"o1":{"name":"Analytical Engines","units":[{"name":"Research"}]}})"));
  EXPECT_EQ(c.at("anniversaries").at("b1").at("date"), json::parse(R"({"@type":"PartialDate","year":1815,"month":12,"day":10})"));
  EXPECT_EQ(c.at("keywords"), json::parse(R"({"Friends":true})"));
}

TEST(ContactMapTest, ACardRoundTripsThroughGraph) {
  json::object g = parse(R"({"givenName":"Ada","middleName":"Augusta","surname":"King","title":"Lady","displayName":"Ada King",
    "nickName":"Ada","emailAddresses":[{"address":"a@example.org"},{"address":"b@example.org"}],
    "businessPhones":["1"],"homePhones":["2","3"],"mobilePhone":"4",
    "businessAddress":{"street":"1 Road","city":"Town"},"otherAddress":{"city":"Elsewhere"},
    "companyName":"X","jobTitle":"Y","personalNotes":"Z","birthday":"1815-12-10T11:00:00Z","categories":["A","B"]})");
  json::object card = outlook::contacts::to_card(g);
  json::object back = outlook::contacts::to_card(outlook::contacts::to_graph(card));
  EXPECT_EQ(back, card) << json::serialize(back);
}

TEST(ContactMapTest, AnUpdateClearsWhatTheCardNoLongerHas) {
  json::object g = outlook::contacts::to_graph(parse(R"({"@type":"Card","name":{"full":"Ada"}})"));
  EXPECT_TRUE(g.at("jobTitle").is_null());
  EXPECT_TRUE(g.at("mobilePhone").is_null());
  EXPECT_EQ(g.at("businessPhones"), json::array());
  EXPECT_EQ(g.at("homeAddress"), json::object());
  EXPECT_EQ(g.at("categories"), json::array());
  EXPECT_EQ(g.at("displayName"), "Ada");
}

TEST(ContactMapTest, AddressesGoToTheSlotOfTheirContextThenToFreeOnes) {
  json::object g = outlook::contacts::to_graph(parse(R"({"addresses":{
    "a1":{"components":[{"kind":"locality","value":"Home town"}],"contexts":{"private":true}},
    "a2":{"components":[{"kind":"locality","value":"Second home"}],"contexts":{"private":true}},
    "a3":{"components":[{"kind":"locality","value":"Office"}],"contexts":{"work":true}}}})"));
  EXPECT_EQ(g.at("homeAddress").at("city"), "Home town");
  EXPECT_EQ(g.at("businessAddress").at("city"), "Office");
  EXPECT_EQ(g.at("otherAddress").at("city"), "Second home");
}

}  // namespace
