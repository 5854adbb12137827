// SPDX-License-Identifier: Apache-2.0
// Proof Key for Code Exchange (RFC 7636) for the OAuth 2.0 sign-in flows:
// a high-entropy code_verifier and its S256 code_challenge, and the random
// `state` that ties a redirect to the request that asked for it (RFC 6749
// section 10.12). Randomness from the kernel (getrandom); never a PRNG.
//
// Thread safety: pure functions (each call reads its own random bytes).
#pragma once

#include <cstddef>
#include <string>

namespace accord::net {

struct Pkce {
  std::string verifier;   // 43 characters of [A-Za-z0-9-_] (32 random bytes, base64url)
  std::string challenge;  // BASE64URL(SHA256(verifier)), no padding
  static constexpr const char* kMethod = "S256";
};

// A new verifier and its challenge.
Pkce make_pkce();

// BASE64URL-ENCODE(SHA256(ASCII(verifier))) without padding (RFC 7636 section 4.2).
std::string s256_challenge(const std::string& verifier);

// `bytes` random bytes, base64url without padding: for `state`.
std::string random_token(std::size_t bytes = 24);

}  // namespace accord::net
