// SPDX-License-Identifier: Apache-2.0
#include <accord/net/url_rules.hpp>

#include <curl/curl.h>

#include <arpa/inet.h>

#include <memory>

namespace accord::net {

namespace {

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
struct PartDeleter {
  void operator()(char* p) const { curl_free(p); }
};

// One part of a parsed URL, or "" when it has none.
std::string part(CURLU* u, CURLUPart which) {
  char* raw = nullptr;
  if (curl_url_get(u, which, &raw, 0) != CURLUE_OK || !raw) return "";
  std::unique_ptr<char, PartDeleter> p(raw);
  return raw;
}

}  // namespace

bool is_loopback_host(std::string_view host) {
  if (host == "localhost") return true;
  std::string h(host);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') {
    in6_addr a6{};
    return ::inet_pton(AF_INET6, h.substr(1, h.size() - 2).c_str(), &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
  }
  in_addr a4{};  // inet_pton takes only the dotted quad: "127.1" and names are not literals
  return ::inet_pton(AF_INET, h.c_str(), &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

std::string localhost_resolve(const UrlHost& target) {
  if (!target.ok || target.host != "localhost" || target.port.empty()) return "";
  return "localhost:" + target.port + ":127.0.0.1";
}

std::string credential_url_problem(const std::string& url) {
  std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
  if (!u) return "cannot parse URLs (out of memory)";
  CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0);
  if (rc != CURLUE_OK) return std::string("is not a valid URL (") + curl_url_strerror(rc) + ")";
  std::string scheme = part(u.get(), CURLUPART_SCHEME);
  if (scheme != "https" && scheme != "http") return "must start with https:// (or http:// to this machine)";
  if (!part(u.get(), CURLUPART_USER).empty() || !part(u.get(), CURLUPART_PASSWORD).empty() ||
      !part(u.get(), CURLUPART_OPTIONS).empty())
    return "holds a user name or password before an @ (the host is what follows it); write the host alone and "
           "give credentials in the connector's config instead";
  std::string host = part(u.get(), CURLUPART_HOST);
  if (scheme == "http" && !is_loopback_host(host))
    return "plain http:// is only allowed to this machine (127.0.0.0/8, [::1], localhost), not to \"" + host +
           "\": credentials would cross the network unencrypted; use https://";
  return "";
}

UrlHost url_host(const std::string& url) {
  UrlHost out;
  std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) return out;
  out.ok = true;
  out.host = part(u.get(), CURLUPART_HOST);
  char* raw = nullptr;
  if (curl_url_get(u.get(), CURLUPART_PORT, &raw, CURLU_DEFAULT_PORT) == CURLUE_OK && raw) {
    out.port = raw;
    curl_free(raw);
  }
  out.userinfo = !part(u.get(), CURLUPART_USER).empty() || !part(u.get(), CURLUPART_PASSWORD).empty() ||
                 !part(u.get(), CURLUPART_OPTIONS).empty();
  return out;
}

bool safe_for_credentials(const std::string& url) { return credential_url_problem(url).empty(); }

bool header_value_ok(std::string_view value) { return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos; }

}  // namespace accord::net
