// SPDX-License-Identifier: Apache-2.0
// Two pieces of work side by side: one on a second thread, one on this.
#pragma once

#include <exception>
#include <thread>

namespace accord {

// Runs `aside` on a second thread while `here` runs on this one, and returns
// when both are done. A failure of either is thrown here once both are done
// (this thread's first): the second thread never outlives what it borrows.
template <class Aside, class Here>
void run_beside(Aside&& aside, Here&& here) {
  std::exception_ptr failed;
  std::thread t([&] {
    try {
      aside();
    } catch (...) {
      failed = std::current_exception();
    }
  });
  try {
    here();
  } catch (...) {
    t.join();
    throw;
  }
  t.join();
  if (failed) std::rethrow_exception(failed);
}

}  // namespace accord
