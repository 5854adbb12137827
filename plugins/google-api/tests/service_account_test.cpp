// SPDX-License-Identifier: Apache-2.0
// google-api's service account: the key file read, and the JWT it signs for
// the JWT-bearer grant (RFC 7523) as Google's server-to-server guide asks:
// RS256, iss, sub, scope, aud, iat and exp an hour apart.
#include "service_account.hpp"

#include <Poco/Crypto/RSAKey.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <sstream>

namespace json = boost::json;
using namespace gapi;

TEST(ServiceAccount, AssertionIsAnRs256JwtGoogleAccepts) {
  Poco::SharedPtr<Poco::Crypto::RSAKey> key = new Poco::Crypto::RSAKey(Poco::Crypto::RSAKey::KL_2048, Poco::Crypto::RSAKey::EXP_LARGE);
  std::ostringstream pub, priv;
  key->save(&pub, &priv);
  std::string file = json::serialize(json::object{{"type", "service_account"}, {"client_email", "sync@p.iam.gserviceaccount.com"},
                                                  {"private_key", priv.str()}, {"token_uri", "https://oauth2.googleapis.com/token"}});
  ServiceAccount sa = read_key_file(file, "", "ada@example.com", "https://www.googleapis.com/auth/drive");
  EXPECT_EQ(sa.token_url, "https://oauth2.googleapis.com/token");
  std::string jwt = signed_assertion(sa, 1772355600);
  std::istringstream pub_in(pub.str());
  Poco::SharedPtr<Poco::Crypto::RSAKey> verify_key = new Poco::Crypto::RSAKey(&pub_in);
  Poco::JWT::Signer signer(verify_key);
  signer.addAlgorithm(Poco::JWT::Signer::ALGO_RS256);
  Poco::JWT::Token t;
  ASSERT_TRUE(signer.tryVerify(jwt, t));
  EXPECT_EQ(t.getAlgorithm(), "RS256");
  EXPECT_EQ(t.getIssuer(), "sync@p.iam.gserviceaccount.com");
  EXPECT_EQ(t.getSubject(), "ada@example.com");
  EXPECT_EQ(t.getAudience(), std::vector<std::string>{"https://oauth2.googleapis.com/token"});
  EXPECT_EQ(t.payload().getValue<std::string>("scope"), "https://www.googleapis.com/auth/drive");
  EXPECT_EQ(t.getIssuedAt().epochTime(), 1772355600);
  EXPECT_EQ(t.getExpiration().epochTime(), 1772355600 + 3600);
  // another key's signature does not verify
  Poco::SharedPtr<Poco::Crypto::RSAKey> other = new Poco::Crypto::RSAKey(Poco::Crypto::RSAKey::KL_2048, Poco::Crypto::RSAKey::EXP_LARGE);
  Poco::JWT::Signer wrong(other);
  wrong.addAlgorithm(Poco::JWT::Signer::ALGO_RS256);
  EXPECT_FALSE(wrong.tryVerify(jwt, t));
}

TEST(ServiceAccount, KeyFileThatIsNotOneIsRefused) {
  EXPECT_THROW(read_key_file("{\"type\":\"authorized_user\",\"client_id\":\"x\"}", "", "a@b", "s"), accord::Error);
  EXPECT_THROW(read_key_file("not json", "", "a@b", "s"), accord::Error);
  // a token endpoint that would carry the assertion in clear text off this machine
  EXPECT_THROW(read_key_file("{\"type\":\"service_account\",\"client_email\":\"e\",\"private_key\":\"k\"}",
                             "http://example.com/token", "a@b", "s"),
               accord::Error);
}
