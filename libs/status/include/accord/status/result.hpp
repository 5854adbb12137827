// SPDX-License-Identifier: Apache-2.0
// Errors as values inside the host. A Failure carries an Accord status (from
// connector.h) and a one-line message a user can act on; Result<T> is either.
// Exceptions are for the truly exceptional only, never across the plugin edge.
#pragma once

#include <accord/connector.h>
#include <accord/status/names.hpp>  // status_name, status_from_name

#include <cstdint>
#include <expected>
#include <string>

namespace accord {

struct Failure {
  int32_t status = ACCORD_ERROR;
  std::string message;
  int64_t retry_after_ms = 0;
};

template <class T>
using Result = std::expected<T, Failure>;

inline std::unexpected<Failure> fail(std::string message, int32_t status = ACCORD_ERROR,
                                     int64_t retry_after_ms = 0) {
  return std::unexpected<Failure>(Failure{status, std::move(message), retry_after_ms});
}

}  // namespace accord
