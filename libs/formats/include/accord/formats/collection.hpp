// SPDX-License-Identifier: Apache-2.0
// Files that hold many records: a whole-calendar .ics (the exports of Google,
// Outlook, Apple, Thunderbird: many VEVENT/VTODO/VJOURNAL, their overrides,
// the VTIMEZONEs they use) and a whole-address-book .vcf (many vCards). Each
// UID is one member: its components' byte spans in the file and a file of
// its own (what the single-record readers and rewrite() take). A member is
// written back by splicing its new components over its old spans, so every
// other byte of the file stays as it was. Pure text work: no I/O, no libical.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace accord::formats::collection {

struct Member {
  // What names the member in its file: the UID; a vCard without one
  // "@" + its FN (and "~2", "~3"… for a second card of that FN); a calendar
  // component without one "@" + its ordinal among those.
  std::string key;
  std::string uid;   // as written ("" when none)
  std::string type;  // VEVENT, VTODO, VJOURNAL, VCARD (the master's, or the first component's)
  // [begin, end) of each of its components in the file, in file order
  std::vector<std::pair<size_t, size_t>> spans;
  // of each span: "" for the master, an override's RECURRENCE-ID (value|TZID)
  std::vector<std::string> span_ids;
  // A file of its own: a card's bytes; for a calendar the VCALENDAR's own
  // lines, the VTIMEZONEs its components name, its components, as in the file.
  std::string text;
  // Two masters (or two cards) with one UID, or one UID on components of
  // two types: neither is a record until the file says which one is meant.
  bool duplicate = false;
};

// The members of a calendar file, in file order of their first component.
// A file may join several VCALENDARs: each member's text carries its own
// calendar's lines (and the zones it names). Throws std::runtime_error when
// the text is not iCalendar.
std::vector<Member> calendar(std::string_view text);
// The cards of a vCard file, in file order. Throws std::runtime_error when a
// BEGIN:VCARD has no END:VCARD or content stands outside a card.
std::vector<Member> vcards(std::string_view text);

// The file with calendar member m written anew as `record_text` (a file of
// its own, as rewrite() or serialize() give it): each of its components
// (the master, each override by RECURRENCE-ID) where the old one stood,
// overrides the member no longer has removed, new ones after its last
// component, the VTIMEZONEs it defines that `file` lacks before its first.
// Every other byte of the file stays as it was: the calendar's own lines,
// its zones, the other members, overrides kept apart from their master.
std::string calendar_put_back(std::string_view file, const Member& m, std::string_view record_text);
// A card written anew: its BEGIN:VCARD…END:VCARD bytes.
std::string vcard_replacement(std::string_view card_text);

// The file with m's components replaced by `replacement`, put where its
// first component was (empty: m removed). Nothing else changes, VTIMEZONEs
// included (one no component uses any more stays: harmless, and it may be
// the user's own).
std::string splice(std::string_view file, const Member& m, std::string_view replacement);

// A member's key as it goes into a record id after "file#": '%', '/' and
// control bytes and spaces percent-encoded (ids stay readable: a Google UID
// "abc@google.com" stays as it is). decode_key undoes it.
std::string encode_key(std::string_view key);
std::string decode_key(std::string_view encoded);

}  // namespace accord::formats::collection
