// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the IMAP response parser: the input is fed in pieces
// whose sizes come from its first byte, and every response is parsed (and,
// for FETCH, its items listed). Only ParseError may come out.
#include "imap_parser.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t step = 1 + data[0] % 17;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  imap::Parser p;
  try {
    for (size_t i = 0; i < in.size(); i += step) {
      p.feed(in.substr(i, step));
      while (auto r = p.next()) {
        if (r->name == "FETCH") {
          try {
            (void)imap::fetch_items(*r);
          } catch (const imap::ParseError&) {
          }
        }
      }
    }
  } catch (const imap::ParseError&) {
  }
  return 0;
}
