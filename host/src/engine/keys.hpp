// SPDX-License-Identifier: Apache-2.0
// A record's match keys and the idempotency keys of creates: pure text, no
// state. A record's keys are one part per match key of the pair, joined by
// \x1e (an empty part: the record has no value for that key), then, where the
// record carries one, the idempotency key its create stored.
#pragma once

#include "pipeline/pipeline.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace accord {

using KeyBits = std::pair<uint64_t, uint64_t>;  // a derived key's 128 bits

// The idempotency key of a create: derived from the pipeline, the stream
// pair and the record it copies, never drawn at random, so that the copy it
// leaves in the target store names its source for good. A state lost or
// restored from an old backup then finds each copy by the key the connector
// lists with it (the source's self key equals the copy's stored key) instead
// of copying it again. XXH3's 128 bits, whose output xxHash keeps stable
// across versions (it is stored in users' stores); "how" tells a plain copy
// from keep-both's pair of copies.
KeyBits derive_key_bits(const std::string& pipeline, const std::string& pair, Side source, std::string_view source_id,
                        std::string_view how = "copy");
std::string derive_idempotency_key(const std::string& pipeline, const std::string& pair, Side source,
                                   std::string_view source_id, std::string_view how = "copy");
// A key's text ("accord-" and its 128 bits in hex: derive_idempotency_key's form).
std::string key_text(KeyBits k);

// The bits of a key in derive_idempotency_key's form; none for any other key
// (a store's own, another tool's), which no derived key can equal.
std::optional<KeyBits> key_bits(std::string_view key);

// Part i of a record's keys ("" where it has none).
std::string_view key_part(std::string_view keys, size_t i);

// The values of a record's identity fields (JSON pointers into its data,
// the manifest's "identity"), each serialized and ended by \x1f; "" when one
// is missing or null, or the data is not JSON (such a record is never taken
// for another). What parsing the data whole and looking each pointer up
// answers; fields at the top of the record are read off the text without
// building it (about 23,000 instructions a mail record whole, issue 22: a
// renamed folder's messages are each looked at twice), any other pointer
// parses it whole.
std::string identity_key(const std::vector<std::string>& pointers, std::string_view data);

// A record's keys (see above) for the pair's match keys, as side `s` holds it.
std::string record_keys(const std::vector<MatchKey>& match, Side s, const boost::json::value& data,
                        std::string_view stored_key = {});

// The top-level members of a record (an object) that side `s`'s paths of
// the match keys begin at: by name, and `first` where one begins at the
// first member (*). record_keys reads the same keys from an object holding
// only those members (in their order) as from the record whole: a path
// that begins with [k=v] finds nothing in an object either way.
std::vector<std::string> match_heads(const std::vector<MatchKey>& match, Side s, bool& first);

}  // namespace accord
