// SPDX-License-Identifier: Apache-2.0
// Reading Google's JSON answers leniently: the shared readers
// (libs/json, accord/json/lenient.hpp) under the name this connector uses.
#pragma once

#include <accord/json/lenient.hpp>

namespace gapi::jr {
using accord::json_read::arr;
using accord::json_read::flag;
using accord::json_read::obj;
using accord::json_read::objects;
using accord::json_read::str;
}  // namespace gapi::jr
