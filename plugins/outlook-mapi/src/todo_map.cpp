// SPDX-License-Identifier: Apache-2.0
#include "todo_map.hpp"
namespace outlook::todo {
const std::vector<std::string>& fields() {
  static const std::vector<std::string> f = {"/title"};
  return f;
}
}  // namespace outlook::todo
