// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the iCalendar reader (libical underneath): what it
// reads is written and read again, and merged into the text it came from.
// Only std::runtime_error (text that is not iCalendar) may come out. A whole
// calendar split into its members gives the file back byte for byte when
// each member is put back as it was.
#include <accord/formats/collection.hpp>
#include <accord/formats/icalendar.hpp>

#include <boost/json.hpp>
#include <boost/json/src.hpp>

#include <cstddef>
#include <cstdlib>
#include <cstdint>
#include <stdexcept>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);  // libical wants a C string
  if (text.find('\0') != std::string::npos) return 0;
  try {
    namespace col = accord::formats::collection;
    for (const auto& m : col::calendar(text))
      if (col::calendar_put_back(text, m, m.text) != text) std::abort();  // a member put back as it was
  } catch (const std::runtime_error&) {
  }
  try {
    auto p = accord::formats::icalendar::parse(text);
    if (p.kind == accord::formats::icalendar::Kind::kOther) return 0;
    std::string out = accord::formats::icalendar::serialize(p.object, p.kind, p.idempotency_key, p.unknown);
    (void)accord::formats::icalendar::parse(out);
    (void)accord::formats::icalendar::rewrite(text, p.object, p.kind, p.idempotency_key);
  } catch (const std::runtime_error&) {
  }
  return 0;
}
