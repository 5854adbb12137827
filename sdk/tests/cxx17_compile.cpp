// SPDX-License-Identifier: Apache-2.0
// Compiled with -std=c++17 -pedantic -Werror: connector.hpp promises C++17.
#include <accord/connector.hpp>

namespace {
class Probe : public accord::Connector {
 public:
  Probe(const accord::Host& h, std::string_view) : Connector(h) {}
  std::string read_changes(std::string_view, std::string_view) override { return "{}"; }
};
}  // namespace

int accord_sdk_cxx17_probe() { return accord::detail::table<Probe>("{}", 0)->abi_major == ACCORD_ABI_MAJOR; }
