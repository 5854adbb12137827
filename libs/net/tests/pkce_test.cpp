// SPDX-License-Identifier: Apache-2.0
// PKCE (RFC 7636) and the redirect's checks, alone; the whole sign-in is
// tested end to end against the fakes (tests/login_test.sh).
#include <accord/net/oauth_login.hpp>
#include <accord/net/pkce.hpp>

#include <gtest/gtest.h>

using namespace accord::net;

TEST(Pkce, S256ChallengeIsRfc7636AppendixB) {
  EXPECT_EQ(s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(Pkce, VerifierIs43UnreservedCharactersAndFreshEachTime) {
  Pkce a = make_pkce(), b = make_pkce();
  EXPECT_EQ(a.verifier.size(), 43u);
  EXPECT_EQ(a.verifier.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), std::string::npos);
  EXPECT_NE(a.verifier, b.verifier);
  EXPECT_EQ(a.challenge, s256_challenge(a.verifier));
}

TEST(Redirect, CodeComesBackWhenStateMatches) {
  EXPECT_EQ(code_from_redirect("http://127.0.0.1:5/?code=abc%2Fd&state=s1\n", "s1"), "abc/d");
  EXPECT_EQ(code_from_redirect("/?state=s1&code=x", "s1"), "x");
}

TEST(Redirect, AnotherStateIsRefused) {
  EXPECT_THROW(code_from_redirect("http://127.0.0.1:5/?code=abc&state=s2", "s1"), LoginError);
  EXPECT_THROW(code_from_redirect("http://127.0.0.1:5/?code=abc", "s1"), LoginError);
}

TEST(Redirect, AnErrorIsSaid) {
  try {
    code_from_redirect("/?error=access_denied&state=s1", "s1");
    FAIL();
  } catch (const LoginError& e) {
    EXPECT_NE(std::string(e.what()).find("access_denied"), std::string::npos);
  }
}

TEST(Authorize, UrlCarriesChallengeStateAndExtras) {
  Pkce p{"v", s256_challenge("v")};
  std::string u = authorization_url("https://a.example/auth", {"cid", ""}, "http://127.0.0.1:9/", "a b", "st", p,
                                    {{"access_type", "offline"}});
  EXPECT_NE(u.find("code_challenge_method=S256"), std::string::npos);
  EXPECT_NE(u.find("code_challenge=" + p.challenge), std::string::npos);
  EXPECT_NE(u.find("redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2F"), std::string::npos);
  EXPECT_NE(u.find("scope=a%20b"), std::string::npos);
  EXPECT_NE(u.find("access_type=offline"), std::string::npos);
  EXPECT_NE(u.find("state=st"), std::string::npos);
}
