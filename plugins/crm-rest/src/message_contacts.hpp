// SPDX-License-Identifier: Apache-2.0
// The contacts a message is logged on, one rule for every profile's
// message stream (HighLevel's conversations, HubSpot's email engagements,
// Salesforce's EmailMessage): every id of /contactIds, then each of
// /createContacts [{email, name}] made (or found) by the profile's own
// upsert, given as a callback. The upsert must match on the address, so
// that a create repeated after a crash finds the contact the first try
// made. Private to plugins/crm-rest/src.
#pragma once

#include <boost/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace crm {

// Makes (or finds) the contact of one /createContacts entry and answers
// its CRM id (never empty: it throws instead). `email` is the entry's
// address as the record holds it, never empty; `name` may be.
using MakeContact = std::function<std::string(const std::string& email, const std::string& name)>;

// The ids, each once, in order: /contactIds first, then those made. An
// entry without an address is skipped; `make` is called only for the
// others. Throws ACCORD_ERROR naming `stream` when there is none at all (a
// message must be logged on someone).
std::vector<std::string> message_contacts(const std::string& stream, const boost::json::value& data, const MakeContact& make);

}  // namespace crm
