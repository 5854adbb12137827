// SPDX-License-Identifier: Apache-2.0
// accord/kit/check.hpp — the answer of accord.check.v1 (accord/check.h) once
// for every connector: each record of the host's array through the
// connector's own converter, null where it cannot say.
//
// Part of the connector kit (C++17, optional, header only). Boost.JSON
// comes from whoever links the kit (ops.hpp says how). Thread safety: pure.
#ifndef ACCORD_KIT_CHECK_HPP
#define ACCORD_KIT_CHECK_HPP

#include <accord/connector.hpp>
#include <accord/json/exact.hpp>

#include <boost/json.hpp>

#include <exception>
#include <string>
#include <string_view>
#include <utility>

namespace accord::kit {

// Each record of `records_json` (a JSON array of records in the stream's
// canonical form) as `kept(record)` answers it (a boost::json::value: the
// record as the store would hold it once written, or null), in a JSON array
// of the same length; null for an element that is not an object and where
// `kept` throws a std::exception (the write would answer that record's
// error). `each()` runs before every record, outside that catch (a
// cancellation check may throw through). Numbers are read exactly. Throws
// accord::Error(ACCORD_ERROR) when `records_json` is not a JSON array.
template <class Kept, class Each>
std::string check_each(std::string_view records_json, Kept&& kept, Each&& each) {
  boost::system::error_code ec;
  boost::json::value records = accord::json_exact::parse(records_json, ec);
  if (ec || !records.is_array()) throw accord::Error(ACCORD_ERROR, "check: the records are not a JSON array");
  boost::json::array out;
  out.reserve(records.get_array().size());
  for (const auto& r : records.get_array()) {
    each();
    boost::json::value v = nullptr;
    if (r.is_object()) try {
        v = kept(r.get_object());
      } catch (const std::exception&) {
        v = nullptr;  // the write would answer this record's error; nothing to say here
      }
    out.push_back(std::move(v));
  }
  return boost::json::serialize(out);
}

}  // namespace accord::kit

#endif  // ACCORD_KIT_CHECK_HPP
