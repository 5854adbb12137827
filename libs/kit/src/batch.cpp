// SPDX-License-Identifier: Apache-2.0
#include <accord/kit/batch.hpp>

namespace accord::kit {

boost::json::object Batch::to_json() const {
  boost::json::object o{{"records", records}, {"cursor", cursor}, {"more", more}};
  if (full) o["full"] = true;
  if (total) o["total"] = *total;
  return o;
}

}  // namespace accord::kit
