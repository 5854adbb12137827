// SPDX-License-Identifier: Apache-2.0
// The iCalendar converter lives in libs/formats; local names it local::icalendar.
#pragma once

#include <accord/formats/icalendar.hpp>

namespace local {
namespace icalendar = accord::formats::icalendar;
}  // namespace local
