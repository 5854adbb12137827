// SPDX-License-Identifier: Apache-2.0
#include "event_map.hpp"
namespace outlook::events {
const std::vector<std::string>& fields() {
  static const std::vector<std::string> f = {"/title"};
  return f;
}
}  // namespace outlook::events
