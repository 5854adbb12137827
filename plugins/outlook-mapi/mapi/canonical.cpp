// SPDX-License-Identifier: Apache-2.0
#include "canonical.hpp"
#include "rtf_text.hpp"

#include "mime.hpp"
#include "recurrence.hpp"

#include <accord/formats/windows_zones.hpp>
#include <accord/mail/message.hpp>
#include <accord/text/charset.hpp>
#include <accord/time/iso_duration.hpp>
#include <accord/time/utc_time.hpp>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <libical/ical.h>

#include <cctype>
#include <map>

namespace accord::outlook::mapi {
namespace json = boost::json;

namespace {

bool class_is(std::string_view cls, std::string_view prefix) {
  if (cls.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(cls[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  return cls.size() == prefix.size() || cls[prefix.size()] == '.';
}

std::string timestamp(int64_t secs) { return utc::format(secs); }

// UTC seconds as a LocalDateTime in an IANA zone (libical's zone data, as
// the formats lib uses; its own local_in is private to icalendar.cpp); ""
// for a zone libical does not know.
std::string local_in(int64_t secs, const std::string& zone) {
  icaltimezone* z = icaltimezone_get_builtin_timezone(zone.c_str());
  if (!z) return "";
  icaltimetype t = icaltime_from_timet_with_zone(static_cast<time_t>(secs), 0, z);
  char b[32];
  std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d", t.year, t.month, t.day, t.hour, t.minute, t.second);
  return b;
}

std::string hex_upper(std::string_view bytes) {
  static const char* h = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) out += h[c >> 4], out += h[c & 15];
  return out;
}

// The iCalendar UID of a Global Object ID ([MS-OXOCAL] 2.2.1.27: a 40-byte
// header, then Size bytes of Data): a UID that came from iCalendar is kept
// in Data as "vCal-Uid", 01 00 00 00, the UID, NUL ([MS-OXCICAL]
// 2.1.3.1.1.20.26's ThirdPartyGlobalId) and is given back as it was; any
// other is the hex of the whole id, as Outlook exports it.
std::string uid_of(std::string_view goid) {
  constexpr std::string_view kMarker("vCal-Uid\x01\x00\x00\x00", 12);
  if (goid.size() > 40 + kMarker.size() && goid.substr(40, kMarker.size()) == kMarker) {
    std::string_view uid = goid.substr(40 + kMarker.size());
    uid = uid.substr(0, uid.find('\0'));
    if (!uid.empty()) return std::string(uid);
  }
  return hex_upper(goid);
}

json::object keyword_map(const std::vector<std::string>& cats) {
  json::object k;
  for (const auto& c : cats) k[c] = true;
  return k;
}

void put(json::object& o, std::string_view key, const std::optional<std::string>& v) {
  if (v) o[key] = *v;
}

// JSCalendar privacy of PR_SENSITIVITY: personal is still public to others;
// private hides the details; confidential hides the item ("secret").
std::optional<std::string> privacy(const PropertySet& p) {
  auto s = p.num(tag::kSensitivity);
  if (!s) return std::nullopt;
  switch (*s) {
    case 2: return "private";
    case 3: return "secret";
    default: return "public";
  }
}

json::object alerts_of(const PropertySet& p) {
  if (!p.flag(kPsetidCommon, lid::kReminderSet)) return {};
  int64_t delta = p.num(kPsetidCommon, lid::kReminderDelta).value_or(15);
  return json::object{{"a1", json::object{{"@type", "Alert"},
                                          {"trigger", json::object{{"@type", "OffsetTrigger"},
                                                                   {"offset", duration::format(-delta * 60)}}}}}};
}

// An item's body as text: PR_BODY, else the text of its RTF body (a
// contact's notes, a task's description, a sticky note's text that the store
// kept as PR_RTF_COMPRESSED only, as Outlook writes them).
std::optional<std::string> body_text(const Item& item) {
  if (auto b = item.props.str(tag::kBody); b && !b->empty()) return b;
  if (item.rtf.empty()) return item.props.str(tag::kBody);
  std::string t = rtf_text(item.rtf);
  if (t.empty()) return item.props.str(tag::kBody);
  return t;
}

// The common calendar fields of events and tasks.
void calendar_common(const Item& item, json::object& o) {
  const PropertySet& p = item.props;
  put(o, "title", p.str(tag::kSubject));
  put(o, "description", body_text(item));
  if (auto pr = privacy(p)) o["privacy"] = *pr;
  if (auto cats = categories(p); !cats.empty()) o["keywords"] = keyword_map(cats);
  if (auto t = p.time(tag::kCreationTime)) o["created"] = timestamp(*t);
  if (auto t = p.time(tag::kLastModificationTime)) o["updated"] = timestamp(*t);
  if (auto imp = p.num(tag::kImportance)) o["priority"] = *imp == 2 ? 1 : *imp == 0 ? 9 : 5;
  if (auto a = alerts_of(p); !a.empty()) o["alerts"] = std::move(a);
}

}  // namespace

Kind kind_of(std::string_view cls) {
  if (class_is(cls, "IPM.Contact")) return Kind::kContact;
  if (class_is(cls, "IPM.DistList")) return Kind::kDistList;
  if (class_is(cls, "IPM.Appointment")) return Kind::kEvent;
  if (class_is(cls, "IPM.Task")) return Kind::kTask;
  if (class_is(cls, "IPM.StickyNote")) return Kind::kNote;
  if (class_is(cls, "IPM.Activity")) return Kind::kJournal;
  if (class_is(cls, "IPM.Note") || class_is(cls, "IPM.Schedule") || class_is(cls, "IPM.Post") ||
      class_is(cls, "IPM.TaskRequest") || class_is(cls, "IPM.Sharing") || class_is(cls, "REPORT") || class_is(cls, "IPM"))
    return Kind::kMessage;
  return Kind::kOther;
}

std::string_view stream_of(Kind kind) {
  switch (kind) {
    case Kind::kMessage: return "message";
    case Kind::kContact: return "contact";
    case Kind::kEvent: return "event";
    case Kind::kTask: return "task";
    case Kind::kNote: return "note";
    default: return "";
  }
}

std::vector<std::string> categories(const PropertySet& p) {
  const Value* v = p.named(kPsPublicStrings, std::string_view("Keywords"));
  if (!v) return {};
  if (v->type == Value::Type::kStrings) return v->list;
  if (v->type == Value::Type::kString && !v->s.empty()) return {v->s};
  return {};
}

std::optional<std::string> sensitivity(const PropertySet& p) {
  auto s = p.num(tag::kSensitivity);
  if (!s) return std::nullopt;
  switch (*s) {
    case 1: return "personal";
    case 2: return "private";
    case 3: return "confidential";
    default: return "normal";
  }
}

std::optional<std::string> appointment_zone(const PropertySet& p) {
  for (uint32_t id : {lid::kTimeZoneDefinitionRecur, lid::kTimeZoneDefinitionStartDisplay})
    if (auto b = p.bin(kPsetidAppointment, id))
      if (auto key = timezone_key_name(*b))
        if (auto iana = formats::zones::iana_from_windows(*key)) return iana;
  return std::nullopt;
}

json::object contact(const Item& item, Warnings& warnings) {
  const PropertySet& p = item.props;
  json::object c{{"@type", "Card"}, {"version", "1.0"}, {"kind", "individual"}};
  json::object name;
  put(name, "full", p.str(tag::kDisplayName));
  json::array comps;
  auto comp = [&](const char* kind, uint16_t id) {
    if (auto v = p.str(id)) comps.push_back(json::object{{"kind", kind}, {"value", *v}});
  };
  comp("title", tag::kDisplayNamePrefix);
  comp("given", tag::kGivenName);
  comp("given2", tag::kMiddleName);
  comp("surname", tag::kSurname);
  comp("generation", tag::kGeneration);
  if (!comps.empty()) name["components"] = std::move(comps);
  if (!name.empty()) c["name"] = std::move(name);
  if (auto n = p.str(tag::kNickname)) c["nicknames"] = json::object{{"k1", json::object{{"name", *n}}}};

  json::object emails;
  const uint32_t addr[3] = {lid::kEmail1EmailAddress, lid::kEmail2EmailAddress, lid::kEmail3EmailAddress};
  const uint32_t type[3] = {lid::kEmail1AddressType, lid::kEmail2AddressType, lid::kEmail3AddressType};
  for (int i = 0; i < 3; ++i) {
    auto a = p.str(kPsetidAddress, addr[i]);
    if (!a) continue;
    std::string t = p.str(kPsetidAddress, type[i]).value_or("SMTP");
    if (t != "SMTP") warnings.push_back("contact e-mail " + std::to_string(i + 1) + " is a " + t + " address, kept as written");
    json::object e{{"address", *a}};
    if (i == 0) e["pref"] = 1;
    emails["e" + std::to_string(i + 1)] = std::move(e);
  }
  if (!emails.empty()) c["emails"] = std::move(emails);

  struct PhoneDef { uint16_t id; const char* context; const char* feature; };
  static const PhoneDef phones_def[] = {
      {tag::kBusinessTelephone, "work", "voice"}, {tag::kBusiness2Telephone, "work", "voice"},
      {tag::kHomeTelephone, "private", "voice"},  {tag::kHome2Telephone, "private", "voice"},
      {tag::kMobileTelephone, nullptr, "mobile"}, {tag::kBusinessFax, "work", "fax"},
      {tag::kHomeFax, "private", "fax"},          {tag::kPager, nullptr, "pager"},
      {tag::kCarTelephone, nullptr, "voice"},     {tag::kOtherTelephone, nullptr, "voice"},
      {tag::kPrimaryTelephone, nullptr, "voice"},
  };
  json::object phones;
  int n = 0;
  for (const auto& d : phones_def) {
    auto v = p.str(d.id);
    if (!v) continue;
    json::object ph{{"number", *v}, {"features", json::object{{d.feature, true}}}};
    if (d.context) ph["contexts"] = json::object{{d.context, true}};
    if (d.id == tag::kPrimaryTelephone) ph["pref"] = 1;
    phones["p" + std::to_string(++n)] = std::move(ph);
  }
  if (!phones.empty()) c["phones"] = std::move(phones);

  json::object addresses;
  auto address = [&](const char* key, const char* context, std::optional<std::string> street,
                     std::optional<std::string> city, std::optional<std::string> state,
                     std::optional<std::string> postcode, std::optional<std::string> country) {
    json::array parts;
    auto part = [&](const char* kind, const std::optional<std::string>& v) {
      if (v) parts.push_back(json::object{{"kind", kind}, {"value", *v}});
    };
    part("name", street);
    part("locality", city);
    part("region", state);
    part("postcode", postcode);
    part("country", country);
    if (parts.empty()) return;
    json::object a{{"components", std::move(parts)}};
    if (context) a["contexts"] = json::object{{context, true}};
    addresses[key] = std::move(a);
  };
  address("a1", "work", p.str(kPsetidAddress, lid::kWorkAddressStreet), p.str(kPsetidAddress, lid::kWorkAddressCity),
          p.str(kPsetidAddress, lid::kWorkAddressState), p.str(kPsetidAddress, lid::kWorkAddressPostalCode),
          p.str(kPsetidAddress, lid::kWorkAddressCountry));
  address("a2", "private", p.str(tag::kHomeAddressStreet), p.str(tag::kHomeAddressCity), p.str(tag::kHomeAddressState),
          p.str(tag::kHomeAddressPostalCode), p.str(tag::kHomeAddressCountry));
  address("a3", nullptr, p.str(tag::kOtherAddressStreet), p.str(tag::kOtherAddressCity), p.str(tag::kOtherAddressState),
          p.str(tag::kOtherAddressPostalCode), p.str(tag::kOtherAddressCountry));
  if (!addresses.empty()) c["addresses"] = std::move(addresses);

  if (auto org = p.str(tag::kCompanyName)) {
    json::object o{{"name", *org}};
    if (auto dep = p.str(tag::kDepartmentName)) o["units"] = json::array{json::object{{"name", *dep}}};
    c["organizations"] = json::object{{"o1", std::move(o)}};
  }
  json::object titles;
  if (auto t = p.str(tag::kTitle)) titles["t1"] = json::object{{"name", *t}, {"kind", "title"}};
  if (auto t = p.str(tag::kProfession)) titles["t2"] = json::object{{"name", *t}, {"kind", "role"}};
  if (!titles.empty()) c["titles"] = std::move(titles);
  if (auto body = body_text(item)) c["notes"] = json::object{{"n1", json::object{{"note", *body}}}};

  json::object anniversaries;
  auto date_of = [](int64_t secs) {
    // Outlook keeps the day at local midnight (or noon) as UTC: the date of
    // the UTC value, shifted by half a day, is the day the user typed
    std::string d = utc::format(secs + 12 * 3600, utc::Form::kDate);
    return json::object{{"@type", "PartialDate"}, {"year", std::stoi(d.substr(0, 4))},
                        {"month", std::stoi(d.substr(5, 2))}, {"day", std::stoi(d.substr(8, 2))}};
  };
  if (auto b = p.time(tag::kBirthday)) anniversaries["b1"] = json::object{{"kind", "birth"}, {"date", date_of(*b)}};
  if (auto w = p.time(tag::kWeddingAnniversary))
    anniversaries["b2"] = json::object{{"kind", "wedding"}, {"date", date_of(*w)}};
  if (!anniversaries.empty()) c["anniversaries"] = std::move(anniversaries);

  json::object links;
  if (auto u = p.str(tag::kBusinessHomePage)) links["l1"] = json::object{{"uri", *u}, {"contexts", json::object{{"work", true}}}};
  if (auto u = p.str(tag::kPersonalHomePage)) links["l2"] = json::object{{"uri", *u}, {"contexts", json::object{{"private", true}}}};
  if (!links.empty()) c["links"] = std::move(links);
  if (auto im = p.str(kPsetidAddress, lid::kInstantMessagingAddress))
    c["onlineServices"] = json::object{{"s1", json::object{{"user", *im}}}};
  if (auto cats = categories(p); !cats.empty()) c["keywords"] = keyword_map(cats);
  if (auto t = p.time(tag::kLastModificationTime)) c["updated"] = timestamp(*t);
  if (auto s = sensitivity(p); s && *s != "normal") c["sensitivity"] = *s;
  return c;
}

json::object event(const Item& item, Warnings& warnings) {
  const PropertySet& p = item.props;
  json::object e{{"@type", "Event"}};
  if (auto g = p.bin(kPsetidMeeting, lid::kCleanGlobalObjectId); g && !g->empty()) e["uid"] = uid_of(*g);
  else if (auto g2 = p.bin(kPsetidMeeting, lid::kGlobalObjectId); g2 && !g2->empty()) e["uid"] = uid_of(*g2);
  calendar_common(item, e);
  if (auto loc = p.str(kPsetidAppointment, lid::kLocation))
    e["locations"] = json::object{{"l1", json::object{{"@type", "Location"}, {"name", *loc}}}};
  auto start = p.time(kPsetidAppointment, lid::kAppointmentStartWhole);
  auto end = p.time(kPsetidAppointment, lid::kAppointmentEndWhole);
  bool all_day = p.flag(kPsetidAppointment, lid::kAppointmentSubType);
  std::optional<std::string> zone = appointment_zone(p);
  int64_t length = start && end && *end > *start ? *end - *start : 0;

  std::optional<AppointmentRecurrence> recurrence;
  if (auto blob = p.bin(kPsetidAppointment, lid::kAppointmentRecur)) {
    std::string error;
    recurrence = decode_appointment_recurrence(*blob, &error);
    if (!recurrence) warnings.push_back("the recurrence could not be read (" + error + "): listed as its first instance");
  }
  if (recurrence) {
    // the blob's times are local: the series starts on StartDate at StartTimeOffset
    e["start"] = local_date_time(recurrence->pattern.start_date + recurrence->start_offset);
    if (!length) length = int64_t{recurrence->end_offset - recurrence->start_offset} * 60;
    e["timeZone"] = zone ? json::value(*zone) : json::value(nullptr);
    if (!zone) warnings.push_back("no time zone the recurrence can be placed in: its times are floating");
    std::string error;
    if (auto rule = recurrence_rule(recurrence->pattern, recurrence->start_offset, &error)) {
      e["recurrenceRules"] = json::array{std::move(*rule)};
      // each exception's own message rides in a hidden attachment, its start
      // (local) on the attachment: the body of those whose body changed
      std::map<uint32_t, std::string> bodies;
      for (const Attachment& a : item.attachments) {
        const Value* when = a.props.get(tag::kExceptionStartTime);
        if (!a.embedded || !when || when->type != Value::Type::kTime || when->i < 0) continue;
        if (auto body = a.embedded->props.str(tag::kBody))
          bodies[static_cast<uint32_t>(when->i / 600000000)] = *body;  // FILETIME → minutes
      }
      json::object overrides = recurrence_overrides(*recurrence, static_cast<uint32_t>(length / 60), bodies);
      if (!overrides.empty()) e["recurrenceOverrides"] = std::move(overrides);
    } else {
      warnings.push_back(error + ": listed as its first instance");
    }
  } else if (start) {
    std::string local = zone ? local_in(*start, *zone) : "";
    if (!local.empty()) {
      e["start"] = local;
      e["timeZone"] = *zone;
    } else {
      e["start"] = utc::format(*start, utc::Form::kLocal);
      e["timeZone"] = "Etc/UTC";
    }
  }
  if (all_day && e.contains("start")) {
    // an all-day event starts at local midnight and lasts whole days
    std::string s = std::string(e["start"].as_string());
    e["start"] = s.substr(0, 10) + "T00:00:00";
    e["showWithoutTime"] = true;
    e["timeZone"] = nullptr;
    if (length % 86400) length += 86400 - length % 86400;
  }
  if (length) e["duration"] = duration::format(length);
  if (auto busy = p.num(kPsetidAppointment, lid::kBusyStatus)) e["freeBusyStatus"] = *busy == 0 ? "free" : "busy";
  auto state = p.num(kPsetidAppointment, lid::kAppointmentStateFlags).value_or(0);
  e["status"] = (state & 0x4) ? "cancelled" : "confirmed";  // asfCanceled

  json::object participants;
  if (auto org = p.str(tag::kSentRepresentingSmtpAddress); org && (state & 0x1)) {  // asfMeeting
    participants["p0"] = json::object{{"@type", "Participant"}, {"name", p.str(tag::kSentRepresentingName).value_or("")},
                                      {"email", *org}, {"roles", json::object{{"owner", true}}}};
  }
  int n = 0;
  for (const Recipient& r : item.recipients) {
    if (r.email.empty()) continue;
    json::object part{{"@type", "Participant"}, {"email", r.email}};
    if (!r.name.empty()) part["name"] = r.name;
    part["roles"] = json::object{{r.kind == Recipient::kCc ? "optional" : "attendee", true}};
    if (r.kind == Recipient::kBcc) part["kind"] = "resource";
    participants["p" + std::to_string(++n)] = std::move(part);
  }
  if (!participants.empty()) e["participants"] = std::move(participants);
  return e;
}

json::object task(const Item& item, Warnings& warnings) {
  const PropertySet& p = item.props;
  json::object t{{"@type", "Task"}};
  calendar_common(item, t);
  // a task's start and due dates are dates, written as midnight UTC
  auto start = p.time(kPsetidTask, lid::kTaskStartDate);
  auto due = p.time(kPsetidTask, lid::kTaskDueDate);
  if (start) t["start"] = utc::format(*start, utc::Form::kDate) + "T00:00:00";
  if (due) t["due"] = utc::format(*due, utc::Form::kDate) + "T00:00:00";
  if (start || due) t["showWithoutTime"] = true;
  auto status = p.num(kPsetidTask, lid::kTaskStatus).value_or(0);
  bool complete = p.flag(kPsetidTask, lid::kTaskComplete) || status == 2;
  // 0 not started, 1 in progress, 2 complete, 3 waiting on someone, 4 deferred
  t["progress"] = complete ? "completed" : status == 1 || status == 3 ? "in-process" : "needs-action";
  if (const Value* pc = p.named(kPsetidTask, lid::kPercentComplete); pc && pc->type == Value::Type::kDouble)
    t["percentComplete"] = static_cast<int>(pc->d * 100 + 0.5);
  if (auto blob = p.bin(kPsetidTask, lid::kTaskRecurrence); blob && p.flag(kPsetidTask, lid::kTaskFRecurring)) {
    std::string error;
    if (auto pattern = decode_recurrence_pattern(*blob, &error)) {
      if (auto rule = recurrence_rule(*pattern, 0, &error)) t["recurrenceRules"] = json::array{std::move(*rule)};
      else warnings.push_back(error);
    } else {
      warnings.push_back("the task's recurrence could not be read (" + error + ")");
    }
  }
  return t;
}

json::object note(const Item& item) {
  const PropertySet& p = item.props;
  json::object n;
  put(n, "title", p.str(tag::kSubject));
  std::string body = body_text(item).value_or("");
  // notes keep lines separated by \n
  std::string lf;
  for (char c : body)
    if (c != '\r') lf += c;
  n["body"] = lf;
  if (auto cats = categories(p); !cats.empty()) {
    json::array a;
    for (auto& c : cats) a.push_back(json::string(c));
    n["categories"] = std::move(a);
  }
  if (auto t = p.time(tag::kCreationTime)) n["created"] = timestamp(*t);
  if (auto t = p.time(tag::kLastModificationTime)) n["updated"] = timestamp(*t);
  if (auto s = sensitivity(p); s && *s != "normal") n["sensitivity"] = *s;
  return n;
}

json::object message(const Item& item, const std::string& folder, bool with_raw, Warnings& warnings) {
  (void)warnings;
  const PropertySet& p = item.props;
  std::string raw = build_mime(item);
  json::object m = accord::mail::header_fields(accord::mail::header_block(raw));
  for (auto& kv : accord::mail::structure_fields(accord::mail::parse_structure(raw))) m[kv.key()] = kv.value();
  m["size"] = accord::mail::crlf_size(raw);
  auto received = p.time(tag::kMessageDeliveryTime);
  if (!received) received = p.time(tag::kClientSubmitTime);
  if (!received) received = p.time(tag::kCreationTime);
  if (received) m["receivedAt"] = timestamp(*received);
  m["mailboxIds"] = json::object{{folder, true}};
  json::object keywords;
  int64_t flags = p.num(tag::kMessageFlags).value_or(0);
  if (flags & 0x1) keywords["$seen"] = true;   // MSGFLAG_READ
  if (flags & 0x8) keywords["$draft"] = true;  // MSGFLAG_UNSENT
  if (p.num(tag::kFlagStatus).value_or(0) == 2) keywords["$flagged"] = true;  // followupFlagged
  int64_t verb = p.num(tag::kLastVerbExecuted).value_or(0);
  if (verb == 102 || verb == 103) keywords["$answered"] = true;  // NOTEIVERB_REPLYTOSENDER / _REPLYTOALL
  if (verb == 104) keywords["$forwarded"] = true;                // NOTEIVERB_FORWARD
  m["keywords"] = std::move(keywords);
  if (auto cats = categories(p); !cats.empty()) {
    json::array a;
    for (auto& c : cats) a.push_back(json::string(c));
    m["categories"] = std::move(a);
  }
  if (auto s = sensitivity(p); s && *s != "normal") m["sensitivity"] = *s;
  if (with_raw) m[accord::mail::kRawField] = accord::mail::base64_encode(raw);
  return m;
}

std::optional<OneOff> one_off_entry(std::string_view b) {
  static constexpr unsigned char kProvider[16] = {0x81, 0x2B, 0x1F, 0xA4, 0xBE, 0xA3, 0x10, 0x19,
                                                  0x9D, 0x6E, 0x00, 0xDD, 0x01, 0x0F, 0x54, 0x02};
  if (b.size() < 24 || b.substr(0, 4) != std::string_view("\0\0\0\0", 4) ||
      b.substr(4, 16) != std::string_view(reinterpret_cast<const char*>(kProvider), 16))
    return std::nullopt;
  bool wide = static_cast<unsigned char>(b[23]) & 0x80;  // U (word mask 0x0080: the high bit of its second byte)
  size_t at = 24;
  auto text = [&]() -> std::optional<std::string> {  // one NUL-ended string
    if (wide) {
      for (size_t i = at; i + 1 < b.size(); i += 2)
        if (b[i] == 0 && b[i + 1] == 0) {
          std::string t = charset::to_utf8("UTF-16LE", b.substr(at, i - at)).value_or(std::string());
          at = i + 2;
          return t;
        }
    } else if (size_t i = b.find('\0', at); i != std::string_view::npos) {
      std::string t = accord::mail::header_text(b.substr(at, i - at));
      at = i + 1;
      return t;
    }
    return std::nullopt;
  };
  auto name = text(), type = text(), address = text();
  if (!name || !type || !address) return std::nullopt;
  return OneOff{*name, *type, *address};
}

std::string distribution_list_summary(const Item& item) {
  const PropertySet& p = item.props;
  std::string name = p.str(kPsetidAddress, lid::kDistributionListName).value_or(p.str(tag::kDisplayName).value_or(""));
  // the members ([MS-OXOCNTC] 2.2.2.2.4.1: WrappedEntryIds, to a contact, a list or a one-off address) and, one
  // for each, a one-off EntryID that names it (2.2.2.2.4.2): their names and addresses are read from those
  size_t members = 0;
  const Value* v = p.named(kPsetidAddress, lid::kDistributionListMembers);
  if (v && v->type == Value::Type::kBinaries) members = v->list.size();
  std::vector<std::string> who;
  if (const Value* o = p.named(kPsetidAddress, lid::kDistributionListOneOffMembers); o && o->type == Value::Type::kBinaries) {
    members = std::max(members, o->list.size());
    for (const auto& e : o->list)
      if (auto one = one_off_entry(e)) {
        std::string w = one->name.empty() ? one->address : one->name;
        if (!one->address.empty() && w.find(one->address) == std::string::npos) w += " <" + one->address + ">";
        if (!w.empty()) who.push_back(std::move(w));
      }
  }
  std::string out = "distribution list \"" + name + "\" with " + std::to_string(members) + " member" + (members == 1 ? "" : "s");
  for (size_t i = 0; i < who.size(); ++i) out += (i ? ", " : ": ") + who[i];
  return out;
}

}  // namespace accord::outlook::mapi
