// SPDX-License-Identifier: Apache-2.0
#include "message_contacts.hpp"

#include "crm_rest_p.hpp"

#include <algorithm>

namespace crm {

std::vector<std::string> message_contacts(const std::string& stream, const json::value& data, const MakeContact& make) {
  std::vector<std::string> out;
  auto add = [&](std::string id) {
    if (!id.empty() && std::find(out.begin(), out.end(), id) == out.end()) out.push_back(std::move(id));
  };
  if (const json::value* ids = at_ptr(data, "/contactIds"); ids && ids->is_array())
    for (const auto& k : ids->get_array()) add(scalar_text(&k));
  if (const json::value* create = at_ptr(data, "/createContacts"); create && create->is_array())
    for (const auto& c : create->get_array()) {
      std::string email = scalar_text(at_ptr(c, "/email"));
      if (email.empty()) continue;
      add(make(email, scalar_text(at_ptr(c, "/name"))));
    }
  if (out.empty())
    throw accord::Error(ACCORD_ERROR, "stream " + stream + ": a message to log needs the contact it is logged on "
                                      "(/contactIds) or one to make (/createContacts)");
  return out;
}

}  // namespace crm
