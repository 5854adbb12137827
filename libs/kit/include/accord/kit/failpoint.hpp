// SPDX-License-Identifier: Apache-2.0
// accord/kit/failpoint.hpp — a named point where tests kill the process:
// with ACCORD_FAILPOINT=NAME in the environment, failpoint("NAME") raises
// SIGKILL, as a crash there would (nothing after it runs, nothing is
// committed). The crash tests (tests/crash) kill a run at each point of a
// write path this way. Costs a getenv when unset. Any thread.
#ifndef ACCORD_KIT_FAILPOINT_HPP
#define ACCORD_KIT_FAILPOINT_HPP

#include <csignal>
#include <cstdlib>
#include <string_view>

namespace accord::kit {

inline void failpoint(std::string_view name) {
  const char* f = std::getenv("ACCORD_FAILPOINT");
  if (f && name == f) std::raise(SIGKILL);
}

}  // namespace accord::kit

#endif  // ACCORD_KIT_FAILPOINT_HPP
