// SPDX-License-Identifier: Apache-2.0
// The connectors' network rules (issue 19): where credentials may go, what a
// header may hold, what a message may show. Nothing here leaves the machine:
// the URLs that name other hosts are refused before any lookup, and the one
// server is a loopback listener made by the test.
#include <accord/net/http_client.hpp>
#include <accord/net/oauth2.hpp>
#include <accord/net/redact.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

using accord::net::HttpClient;
using accord::net::HttpFailure;
using accord::net::HttpOptions;
using accord::net::HttpResponse;
using accord::net::safe_for_credentials;

namespace {

// One HTTP/1.1 server on 127.0.0.1, a free port: keeps what each request
// sent, answers `answer`.
struct LoopbackServer {
  int fd = -1;
  int port = 0;
  std::string answer_body;
  std::string received;
  std::atomic<int> connections{0};
  std::thread th;
  explicit LoopbackServer(std::string body = "{}") : answer_body(std::move(body)) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t n = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
    port = ntohs(a.sin_port);
    ::listen(fd, 4);
    th = std::thread([this] {
      for (;;) {
        int c = ::accept(fd, nullptr, nullptr);
        if (c < 0) return;
        ++connections;
        std::string req;
        char buf[4096];
        while (req.find("\r\n\r\n") == std::string::npos) {
          ssize_t r = ::read(c, buf, sizeof buf);
          if (r <= 0) break;
          req.append(buf, static_cast<size_t>(r));
        }
        received += req;
        std::string resp = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                           std::to_string(answer_body.size()) + "\r\n\r\n" + answer_body;
        (void)!::write(c, resp.data(), resp.size());
        ::close(c);
      }
    });
  }
  ~LoopbackServer() {
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
    th.join();
  }
  std::string url(const std::string& path = "/") const { return "http://127.0.0.1:" + std::to_string(port) + path; }
};

}  // namespace

TEST(CredentialUrlTest, PlainHttpGoesOnlyToThisMachine) {
  for (const char* ok : {"https://api.example.com/x", "http://127.0.0.1/", "http://127.0.0.1:8080/token",
                         "http://127.5.6.7/", "http://[::1]:9/", "http://localhost/", "http://localhost:1234/t"})
    EXPECT_TRUE(safe_for_credentials(ok)) << ok;
  for (const char* bad : {"http://127.0.0.1@10.1.2.3/", "http://127.0.0.1%2f@10.1.2.3/", "http://127.0.0.1\\@10.1.2.3/",
                          "http://127.0.0.1:x@10.1.2.3/", "http://127.0.0.1.evil.example/", "http://127.0.0.1.evil.example",
                          "http://localhost.evil.example/", "http://[::1].evil/", "http://10.1.2.3/", "http://example.com/",
                          "https://user:pass@api.example.com/", "ftp://127.0.0.1/", "127.0.0.1", "http://[::2]/"})
    EXPECT_FALSE(safe_for_credentials(bad)) << bad;
}

TEST(CredentialUrlTest, TheClientRefusesAnotherHostBeforeAnyLookup) {
  HttpClient http(HttpOptions{});
  for (const char* bad : {"http://127.0.0.1.evil.example/token", "http://127.0.0.1@10.1.2.3/", "http://10.1.2.3/x"}) {
    HttpResponse r;
    HttpFailure f;
    EXPECT_FALSE(http.request("GET", bad, {"Authorization: Bearer tok-123"}, "", r, f)) << bad;
    // our refusal, not libcurl's "Could not resolve host": nothing was looked up
    EXPECT_NE(f.message.find("not sending the request"), std::string::npos) << bad << ": " << f.message;
    EXPECT_FALSE(f.transient);
    EXPECT_FALSE(f.maybe_done);
  }
}

TEST(CredentialUrlTest, LocalhostIsResolvedToLoopbackByTheClient) {
  LoopbackServer s;
  HttpClient http(HttpOptions{});
  HttpResponse r;
  HttpFailure f;
  ASSERT_TRUE(http.request("GET", "http://localhost:" + std::to_string(s.port) + "/p", {}, "", r, f)) << f.message;
  EXPECT_EQ(r.status, 200);
}

// The one pin the HTTP client and the IMAP session give libcurl for localhost.
TEST(CredentialUrlTest, OnlyLocalhostIsPinnedTo127001) {
  using accord::net::localhost_resolve;
  using accord::net::url_host;
  EXPECT_EQ(localhost_resolve(url_host("http://localhost:8080/token")), "localhost:8080:127.0.0.1");
  EXPECT_EQ(localhost_resolve(url_host("http://localhost/")), "localhost:80:127.0.0.1");
  EXPECT_EQ(localhost_resolve(url_host("imap://localhost")), "localhost:143:127.0.0.1");
  for (const char* other : {"http://localhost.evil.example/", "http://127.0.0.1:9/", "https://example.com/", "not a url"})
    EXPECT_EQ(localhost_resolve(url_host(other)), "") << other;
}

TEST(HeaderValueTest, AHeaderWithALineBreakIsNeverSent) {
  LoopbackServer s;
  HttpClient http(HttpOptions{});
  HttpResponse r;
  HttpFailure f;
  bool sent = http.request("GET", s.url("/x"), {"Authorization: Bearer tok\r\nX-Injected: yes"}, "", r, f);
  EXPECT_FALSE(sent);
  EXPECT_EQ(s.received.find("X-Injected"), std::string::npos) << s.received;
  EXPECT_EQ(s.connections.load(), 0);
}

TEST(RedactTest, KnownSecretsAndCredentialFieldsNeverShow) {
  accord::net::add_secret("s3cr3t-token/+x");
  std::string m = accord::net::redact(
      "HTTP 401: invalid token s3cr3t-token/+x; echo: grant_type=refresh_token&refresh_token=rt-abc&client_secret=cs-xyz "
      "{\"access_token\": \"at-123\"} Authorization: Bearer zzz-999 s3cr3t-token%2F%2Bx (password=pw-77)");
  for (const char* leak : {"s3cr3t", "rt-abc", "cs-xyz", "at-123", "zzz-999"}) EXPECT_EQ(m.find(leak), std::string::npos) << m;
  EXPECT_NE(m.find("HTTP 401: invalid token [redacted]"), std::string::npos) << m;
  EXPECT_NE(m.find("client_secret=[redacted]"), std::string::npos) << m;
  EXPECT_NE(m.find("(password=[redacted])"), std::string::npos) << m;
  EXPECT_EQ(accord::net::redact("nothing secret here: tokens, keys"), "nothing secret here: tokens, keys");
}

TEST(RedactTest, TheClientKnowsTheCredentialItSent) {
  LoopbackServer s;
  HttpClient http(HttpOptions{});
  HttpResponse r;
  HttpFailure f;
  ASSERT_TRUE(http.request("GET", s.url(), {"Authorization: Bearer sent-9f8e7d", "X-API-Key: key-5a4b3c"}, "", r, f));
  std::string m = accord::net::redact("the server said: unknown token sent-9f8e7d (key key-5a4b3c)");
  EXPECT_EQ(m.find("sent-9f8e7d"), std::string::npos) << m;
  EXPECT_EQ(m.find("key-5a4b3c"), std::string::npos) << m;
}

TEST(RetryAfterTest, SecondsAnHttpDateOrTheFallback) {
  HttpResponse r;
  EXPECT_EQ(r.retry_after_ms(7000), 7000);  // none
  r.headers.emplace("retry-after", "3");
  EXPECT_EQ(r.retry_after_ms(7000), 3000);
  r.headers.clear();
  r.headers.emplace("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT");  // in the past: no wait
  EXPECT_EQ(r.retry_after_ms(7000), 0);
  r.headers.clear();
  r.headers.emplace("retry-after", "soon");
  EXPECT_EQ(r.retry_after_ms(7000), 7000);
  r.headers.clear();
  r.headers.emplace("retry-after", "99999999999");  // absurd: not trusted
  EXPECT_EQ(r.retry_after_ms(7000), 7000);
}
