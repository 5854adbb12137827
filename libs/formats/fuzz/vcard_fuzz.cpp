// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the vCard reader: what it reads is written in each
// version and read again, and merged into the text it came from. Only
// std::runtime_error (text that is not a vCard) may come out. An address
// book split into its cards gives the file back byte for byte when each card
// is put back as it was.
#include <accord/formats/collection.hpp>
#include <accord/formats/vcard.hpp>

#include <boost/json.hpp>
#include <boost/json/src.hpp>

#include <cstddef>
#include <cstdlib>
#include <cstdint>
#include <stdexcept>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    namespace col = accord::formats::collection;
    for (const auto& m : col::vcards(text))
      if (col::splice(text, m, m.text) != text) std::abort();  // a card put back as it was
  } catch (const std::runtime_error&) {
  }
  try {
    auto p = accord::formats::vcard::parse(text);
    for (const char* v : {"4.0", "3.0", "2.1"}) {
      std::string out = accord::formats::vcard::serialize(p.card, v, p.idempotency_key, p.unknown);
      (void)accord::formats::vcard::parse(out);  // what we write, we read
    }
    (void)accord::formats::vcard::rewrite(text, p.card, p.idempotency_key);
  } catch (const std::runtime_error&) {
  }
  return 0;
}
