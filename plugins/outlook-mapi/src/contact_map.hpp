// SPDX-License-Identifier: Apache-2.0
// Microsoft Graph contact ⇄ canonical JSContact Card (RFC 9553 subset), in
// the shapes and ids the formats lib gives a vCard (emails e1…, phones p1…,
// name components in vCard N's order), so that an Outlook contact and its
// vCard or Google copy compare equal field by field.
//
// Kept (fields()): name (title, given, middle, surname, generation; full as
// displayName), the nickname, emails (Outlook has three, untyped), phones
// (businessPhones: work, homePhones: private, mobilePhone: the mobile
// feature), the business, home and other addresses (work, private, none),
// the company with its department, the job title, personal notes, the
// birthday, the business home page, categories as keywords. Outlook fields
// with no canonical place (fileAs, yomi names, spouse, children, IM
// addresses…) are never sent on an update, so a PATCH leaves them as they are.
//
// Pure functions; any thread.
#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <vector>

namespace outlook::contacts {

// The contact's fields a Graph create or PATCH sets from a card: every one
// of them, null or [] where the card has none, so that an update clears
// what the card no longer holds.
boost::json::object to_graph(const boost::json::object& card);

boost::json::object to_card(const boost::json::object& contact);

// What Outlook would keep of `card` once written (accord.check.v1): to_graph's
// contact read back by to_card as a write's answer is, nothing sent (a fourth
// email, a role, a phone of a kind Outlook has no slot for… drop out).
boost::json::object as_kept(const boost::json::object& card);

const std::vector<std::string>& fields();

}  // namespace outlook::contacts
