// SPDX-License-Identifier: Apache-2.0
#include <accord/net/pkce.hpp>

#include <Poco/Base64Encoder.h>
#include <Poco/SHA2Engine.h>

#include <sstream>
#include <stdexcept>
#include <vector>

#include <sys/random.h>

namespace accord::net {

namespace {

std::string base64url(const unsigned char* data, std::size_t n) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
  enc.rdbuf()->setLineLength(0);
  enc.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(n));
  enc.close();
  return out.str();
}

std::vector<unsigned char> random_bytes(std::size_t n) {
  std::vector<unsigned char> b(n);
  for (std::size_t got = 0; got < n;) {
    ssize_t r = ::getrandom(b.data() + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("no random bytes from the kernel (getrandom)");
    }
    got += static_cast<std::size_t>(r);
  }
  return b;
}

}  // namespace

std::string s256_challenge(const std::string& verifier) {
  Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
  sha.update(verifier);
  const Poco::DigestEngine::Digest& d = sha.digest();
  return base64url(d.data(), d.size());
}

std::string random_token(std::size_t bytes) {
  auto b = random_bytes(bytes);
  return base64url(b.data(), b.size());
}

Pkce make_pkce() {
  Pkce p;
  p.verifier = random_token(32);  // RFC 7636 section 4.1: 32 octets → 43 characters
  p.challenge = s256_challenge(p.verifier);
  return p;
}

}  // namespace accord::net
