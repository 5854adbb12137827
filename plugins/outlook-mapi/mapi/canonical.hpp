// SPDX-License-Identifier: Apache-2.0
// MAPI items (properties.hpp) to Accord's canonical records: which stream a
// message class belongs to, and each class's canonical form:
//   IPM.Note, IPM.Schedule.Meeting.*, REPORT.*, IPM.Post…  → message (JMAP Email,
//       the RFC 5322 message rebuilt from the properties: mime.hpp)
//   IPM.Contact                → contact (JSContact Card)
//   IPM.DistList               → reported, not a record (distribution_list_summary)
//   IPM.Appointment            → event (JSCalendar Event, recurrence decoded)
//   IPM.Task                   → task (JSCalendar Task)
//   IPM.StickyNote             → note
//   IPM.Activity (journal) and others → reported
// Across classes: categories (the Keywords named property) and sensitivity
// (PR_SENSITIVITY). Shared by every backend that yields PropertySets; never
// depends on libpff. Pure functions.
#pragma once

#include "properties.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace accord::outlook::mapi {

enum class Kind { kMessage, kContact, kDistList, kEvent, kTask, kNote, kJournal, kOther };

// By message class, case-insensitively, prefix by prefix ([MS-OXCMSG]: a
// class and its subclasses, "IPM.Contact.Custom" is a contact).
Kind kind_of(std::string_view message_class);
// The stream a kind is listed in ("message", "contact", "event", "task",
// "note"), or "" for the kinds that are reported instead.
std::string_view stream_of(Kind kind);

// What a mapping could not carry: said to the user, never silently dropped.
using Warnings = std::vector<std::string>;

// The Keywords named property (PS_PUBLIC_STRINGS "Keywords"): categories.
std::vector<std::string> categories(const PropertySet& p);
// PR_SENSITIVITY as the engine's filters read it: "normal", "personal",
// "private", "confidential"; nullopt when absent.
std::optional<std::string> sensitivity(const PropertySet& p);
// The IANA zone of an appointment (its time-zone definition's Windows key
// name through CLDR), or nullopt.
std::optional<std::string> appointment_zone(const PropertySet& p);

boost::json::object contact(const Item& item, Warnings& warnings);
boost::json::object event(const Item& item, Warnings& warnings);
boost::json::object task(const Item& item, Warnings& warnings);
boost::json::object note(const Item& item);
// A JMAP Email; `folder` is the item's folder path ("Inbox/Work"); with
// `with_raw` the rebuilt message rides along in "raw" (base64).
boost::json::object message(const Item& item, const std::string& folder, bool with_raw, Warnings& warnings);

// A One-Off EntryID ([MS-OXCDATA] 2.2.5.1): an address outside any address
// book, as a distribution list names its members; nullopt when `bytes` is
// not one.
struct OneOff {
  std::string name, type, address;  // display name, address type ("SMTP"), address
};
std::optional<OneOff> one_off_entry(std::string_view bytes);
// "distribution list \"Team\" with 2 members: Ann Lee <ann@example.org>,
// Bo (bo@example.org)" for the report: the members counted, and named
// where the list's one-off entries name them.
std::string distribution_list_summary(const Item& item);

}  // namespace accord::outlook::mapi
