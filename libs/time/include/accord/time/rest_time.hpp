// SPDX-License-Identifier: Apache-2.0
// Times as REST APIs write them: RFC 3339 / ISO 8601 with any offset and
// fraction, epoch milliseconds as numbers or digit strings, HTTP dates.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace accord::utc {

std::optional<int64_t> parse_time_ms(const boost::json::value& v);
std::optional<int64_t> parse_iso8601_ms(const std::string& s);
// The same in microseconds (fractions past the sixth digit are dropped): what
// the merge's "newest" compares, across connectors' zones and precisions.
std::optional<int64_t> parse_iso8601_us(const std::string& s);
std::optional<int64_t> parse_http_date_ms(const std::string& s);  // IMF-fixdate
std::string format_time(int64_t ms, const std::string& format);    // iso8601 | iso8601_seconds | epoch_ms | date
int64_t now_ms();

}  // namespace accord::utc
