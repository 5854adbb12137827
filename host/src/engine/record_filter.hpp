// SPDX-License-Identifier: Apache-2.0
// Whether a record takes part in a stream pair: every predicate of the side's
// filter must hold (docs/pipelines.md#filter). Pure.
#pragma once

#include "pipeline/pipeline.hpp"

#include <boost/json/object.hpp>

namespace accord {

bool record_passes(const Filter& f, const boost::json::object& data);

}  // namespace accord
