// SPDX-License-Identifier: Apache-2.0
// Google People API v1 Person ⇄ canonical JSContact Card (RFC 9553 subset),
// in the shapes and ids the formats lib gives a vCard (libs/formats vcard:
// emails e1…, phones p1…, name components in the order N gives them), so
// that a Google contact and its vCard copy compare equal field by field.
//
// Kept (fields()): name (components, full), nicknames, emails, phones (with
// work/private contexts and the mobile, fax, pager features), addresses
// (components, contexts), organizations (name, one unit: the department),
// titles, notes (the biography), the birthday, links (urls), keywords (the
// contact groups the user made, by name; system groups such as My Contacts
// and Starred are left out). The idempotency
// key rides in the Person's clientData, never in the card.
//
// Pure functions; any thread.
#pragma once

#include <boost/json/object.hpp>

#include <map>
#include <string>
#include <vector>

namespace gapi::people {

// The clientData key that holds Accord's idempotency key.
inline constexpr const char* kKeyName = "accord.idempotency_key";

// The personFields read and the updatePersonFields written.
inline constexpr const char* kReadFields =
    "names,nicknames,emailAddresses,phoneNumbers,addresses,organizations,biographies,birthdays,urls,clientData,"
    "memberships,metadata";
inline constexpr const char* kUpdateFields =
    "names,nicknames,emailAddresses,phoneNumbers,addresses,organizations,biographies,birthdays,urls,memberships";

// The user's own contact groups: resource name ("contactGroups/abc") → name.
using GroupNames = std::map<std::string, std::string>;

struct Read {
  boost::json::object card;
  std::string key;       // Accord's idempotency key from clientData, or ""
  std::string modified;  // the contact source's updateTime, or ""
};

// `groups`: the memberships read as keywords (others are left out).
Read to_card(const boost::json::object& person, const GroupNames& groups = {});

// The card's keywords (the names of the groups it belongs in), sorted.
std::vector<std::string> keywords_of(const boost::json::object& card);

// The Person for a card: the fields of kUpdateFields but memberships (empty
// lists where the card has none, so that an update clears them; the caller
// sets memberships from keywords_of); clientData carries `key` when not empty.
boost::json::object to_person(const boost::json::object& card, const std::string& key);

// An update's Person keeps the types JSContact has no word for (a phone's
// "main" or "googleVoice", a custom label): an item `person` sends without a
// type takes the type of the current contact's item of the same value.
void keep_types(boost::json::object& person, const boost::json::object& current);

// What Google Contacts would keep of `card` once written (accord.check.v1):
// to_person's Person, with what Google adds of its own that to_card reads
// (the first item of each kind is the primary one; the keywords' groups),
// read back by to_card, nothing sent. Entries are answered under the
// card's own ids where the entry is found again (by its address, number,
// uri, name, note, kind or components), so that only what the converter
// drops is missing: a role title, a second department or birthday, a phone
// feature Google has no type for, a second note (Google keeps one
// biography: the notes joined).
boost::json::object as_kept(const boost::json::object& card);

const std::vector<std::string>& fields();

}  // namespace gapi::people
