// SPDX-License-Identifier: Apache-2.0
// 128 bits that stand for a text's bytes where equal texts are looked for in
// bulk, in memory (a first sync's pair forms and record data): XXH3's 128-bit
// hash, from libxxhash, inlined. Never stored: it may change between versions.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace accord::hash {

// Never {0, 0}: a first sync reads {0, 0} as "no pair form".
inline std::pair<uint64_t, uint64_t> digest128(std::string_view s) {
  XXH128_hash_t h = XXH3_128bits(s.data(), s.size());
  return {h.low64, h.high64 | 1};
}

}  // namespace accord::hash
