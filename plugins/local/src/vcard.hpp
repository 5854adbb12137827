// SPDX-License-Identifier: Apache-2.0
// The vCard converter lives in libs/formats; local names it local::vcard.
#pragma once

#include <accord/formats/vcard.hpp>

namespace local {
namespace vcard = accord::formats::vcard;
}  // namespace local
