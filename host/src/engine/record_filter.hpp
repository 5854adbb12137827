// SPDX-License-Identifier: Apache-2.0
// Whether a record takes part in a stream pair: every predicate of the side's
// filter must hold (docs/pipelines.md#filter). Pure.
#pragma once

#include "pipeline/pipeline.hpp"

#include <boost/json/object.hpp>

#include <string>

namespace accord {

bool record_passes(const Filter& f, const boost::json::object& data);

// The filter as text, every predicate with its field, value and bounds: two
// filters with equal marks judge every record alike. The state keeps the
// mark each side's records were judged by (StateStore::filter_mark); a run
// whose filter's mark differs judges them again (PairRun::rejudge_filter).
std::string filter_mark(const Filter& f);

}  // namespace accord
