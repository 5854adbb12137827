// SPDX-License-Identifier: Apache-2.0
// Google People API v1 Person ⇄ canonical JSContact Card (RFC 9553 subset),
// in the shapes and ids the formats lib gives a vCard (libs/formats vcard:
// emails e1…, phones p1…, name components in the order N gives them), so
// that a Google contact and its vCard copy compare equal field by field.
//
// Kept (fields()): name (components, full), nicknames, emails, phones (with
// work/private contexts and the mobile, fax, pager features), addresses
// (components, contexts), organizations (name, one unit: the department),
// titles, notes (the biography), the birthday, links (urls). The idempotency
// key rides in the Person's clientData, never in the card.
//
// Pure functions; any thread.
#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <vector>

namespace gapi::people {

// The clientData key that holds Accord's idempotency key.
inline constexpr const char* kKeyName = "accord.idempotency_key";

// The personFields read and the updatePersonFields written.
inline constexpr const char* kReadFields =
    "names,nicknames,emailAddresses,phoneNumbers,addresses,organizations,biographies,birthdays,urls,clientData,metadata";
inline constexpr const char* kUpdateFields =
    "names,nicknames,emailAddresses,phoneNumbers,addresses,organizations,biographies,birthdays,urls";

struct Read {
  boost::json::object card;
  std::string key;       // Accord's idempotency key from clientData, or ""
  std::string modified;  // the contact source's updateTime, or ""
};

Read to_card(const boost::json::object& person);

// The Person for a card: the fields of kUpdateFields (empty lists where the
// card has none, so that an update clears them); clientData carries `key`
// when not empty.
boost::json::object to_person(const boost::json::object& card, const std::string& key);

const std::vector<std::string>& fields();

}  // namespace gapi::people
