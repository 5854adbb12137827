// SPDX-License-Identifier: Apache-2.0
// One MAPI item as a set of properties, whatever store it came from: an
// Outlook data file read through libpff (pst/), or, later, a Windows MAPI
// session. The mapping to the canonical forms (canonical.hpp) reads only
// this, so both backends share it. Tagged properties are keyed by their
// 16-bit id ([MS-OXPROPS] PidTag…); named ones by property set and long id
// or string name (PidLid…, PidName…), resolved by the backend through the
// store's name-to-id map. Must never depend on libpff.
//
// Thread safety: plain values.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace accord::outlook::mapi {

// Property sets of named properties ([MS-OXPROPS] 1.3.2), lower case.
inline constexpr std::string_view kPsPublicStrings = "00020329-0000-0000-c000-000000000046";
inline constexpr std::string_view kPsetidAppointment = "00062002-0000-0000-c000-000000000046";
inline constexpr std::string_view kPsetidTask = "00062003-0000-0000-c000-000000000046";
inline constexpr std::string_view kPsetidAddress = "00062004-0000-0000-c000-000000000046";
inline constexpr std::string_view kPsetidCommon = "00062008-0000-0000-c000-000000000046";
inline constexpr std::string_view kPsetidNote = "0006200e-0000-0000-c000-000000000046";
inline constexpr std::string_view kPsetidMeeting = "6ed8da90-450b-101b-98da-00aa003f1305";

// Tagged property ids ([MS-OXPROPS]).
namespace tag {
inline constexpr uint16_t kImportance = 0x0017;
inline constexpr uint16_t kMessageClass = 0x001A;
inline constexpr uint16_t kSensitivity = 0x0036;
inline constexpr uint16_t kSubject = 0x0037;
inline constexpr uint16_t kClientSubmitTime = 0x0039;
inline constexpr uint16_t kSentRepresentingName = 0x0042;
inline constexpr uint16_t kSentRepresentingEmail = 0x0065;
inline constexpr uint16_t kSentRepresentingAddrType = 0x0064;
inline constexpr uint16_t kTransportMessageHeaders = 0x007D;
inline constexpr uint16_t kSenderName = 0x0C1A;
inline constexpr uint16_t kSenderAddrType = 0x0C1E;
inline constexpr uint16_t kSenderEmail = 0x0C1F;
inline constexpr uint16_t kMessageDeliveryTime = 0x0E06;
inline constexpr uint16_t kMessageFlags = 0x0E07;
inline constexpr uint16_t kMessageSize = 0x0E08;
inline constexpr uint16_t kBody = 0x1000;
inline constexpr uint16_t kRtfCompressed = 0x1009;
inline constexpr uint16_t kHtml = 0x1013;
inline constexpr uint16_t kInternetMessageId = 0x1035;
inline constexpr uint16_t kInternetReferences = 0x1039;
inline constexpr uint16_t kInReplyToId = 0x1042;
inline constexpr uint16_t kLastVerbExecuted = 0x1081;
inline constexpr uint16_t kFlagStatus = 0x1090;
inline constexpr uint16_t kDisplayName = 0x3001;
inline constexpr uint16_t kAddrType = 0x3002;
inline constexpr uint16_t kEmailAddress = 0x3003;
inline constexpr uint16_t kCreationTime = 0x3007;
inline constexpr uint16_t kLastModificationTime = 0x3008;
inline constexpr uint16_t kAttachDataBinary = 0x3701;
inline constexpr uint16_t kAttachFilename = 0x3704;
inline constexpr uint16_t kAttachMethod = 0x3705;
inline constexpr uint16_t kAttachLongFilename = 0x3707;
inline constexpr uint16_t kAttachMimeTag = 0x370E;
inline constexpr uint16_t kAttachContentId = 0x3712;
inline constexpr uint16_t kExceptionStartTime = 0x7FFB;  // on an exception's attachment: its start, local time
inline constexpr uint16_t kAttachmentHidden = 0x7FFE;
inline constexpr uint16_t kRecipientType = 0x0C15;
inline constexpr uint16_t kSmtpAddress = 0x39FE;
inline constexpr uint16_t kSenderSmtpAddress = 0x5D01;
inline constexpr uint16_t kSentRepresentingSmtpAddress = 0x5D02;
// contacts ([MS-OXOCNTC])
inline constexpr uint16_t kGeneration = 0x3A05;
inline constexpr uint16_t kGivenName = 0x3A06;
inline constexpr uint16_t kBusinessTelephone = 0x3A08;
inline constexpr uint16_t kHomeTelephone = 0x3A09;
inline constexpr uint16_t kSurname = 0x3A11;
inline constexpr uint16_t kCompanyName = 0x3A16;
inline constexpr uint16_t kTitle = 0x3A17;
inline constexpr uint16_t kDepartmentName = 0x3A18;
inline constexpr uint16_t kPrimaryTelephone = 0x3A1A;
inline constexpr uint16_t kBusiness2Telephone = 0x3A1B;
inline constexpr uint16_t kMobileTelephone = 0x3A1C;
inline constexpr uint16_t kCarTelephone = 0x3A1E;
inline constexpr uint16_t kOtherTelephone = 0x3A1F;
inline constexpr uint16_t kPager = 0x3A21;
inline constexpr uint16_t kBusinessFax = 0x3A24;
inline constexpr uint16_t kHomeFax = 0x3A25;
inline constexpr uint16_t kHome2Telephone = 0x3A2F;
inline constexpr uint16_t kWeddingAnniversary = 0x3A41;
inline constexpr uint16_t kBirthday = 0x3A42;
inline constexpr uint16_t kMiddleName = 0x3A44;
inline constexpr uint16_t kDisplayNamePrefix = 0x3A45;
inline constexpr uint16_t kProfession = 0x3A46;
inline constexpr uint16_t kNickname = 0x3A4F;
inline constexpr uint16_t kPersonalHomePage = 0x3A50;
inline constexpr uint16_t kBusinessHomePage = 0x3A51;
inline constexpr uint16_t kHomeAddressCity = 0x3A59;
inline constexpr uint16_t kHomeAddressCountry = 0x3A5A;
inline constexpr uint16_t kHomeAddressPostalCode = 0x3A5B;
inline constexpr uint16_t kHomeAddressState = 0x3A5C;
inline constexpr uint16_t kHomeAddressStreet = 0x3A5D;
inline constexpr uint16_t kOtherAddressCity = 0x3A5F;
inline constexpr uint16_t kOtherAddressCountry = 0x3A60;
inline constexpr uint16_t kOtherAddressPostalCode = 0x3A61;
inline constexpr uint16_t kOtherAddressState = 0x3A62;
inline constexpr uint16_t kOtherAddressStreet = 0x3A63;
}  // namespace tag

// Long ids of named properties, with their set in the comment.
namespace lid {
// PSETID_Address
inline constexpr uint32_t kFileUnder = 0x8005;
inline constexpr uint32_t kHtml = 0x802B;
inline constexpr uint32_t kWorkAddressStreet = 0x8045;
inline constexpr uint32_t kWorkAddressCity = 0x8046;
inline constexpr uint32_t kWorkAddressState = 0x8047;
inline constexpr uint32_t kWorkAddressPostalCode = 0x8048;
inline constexpr uint32_t kWorkAddressCountry = 0x8049;
inline constexpr uint32_t kDistributionListName = 0x8053;
inline constexpr uint32_t kDistributionListOneOffMembers = 0x8054;
inline constexpr uint32_t kDistributionListMembers = 0x8055;
inline constexpr uint32_t kInstantMessagingAddress = 0x8062;
inline constexpr uint32_t kEmail1DisplayName = 0x8080;
inline constexpr uint32_t kEmail1AddressType = 0x8082;
inline constexpr uint32_t kEmail1EmailAddress = 0x8083;
inline constexpr uint32_t kEmail2AddressType = 0x8092;
inline constexpr uint32_t kEmail2EmailAddress = 0x8093;
inline constexpr uint32_t kEmail3AddressType = 0x80A2;
inline constexpr uint32_t kEmail3EmailAddress = 0x80A3;
// PSETID_Common
inline constexpr uint32_t kReminderDelta = 0x8501;
inline constexpr uint32_t kReminderSet = 0x8503;
// PSETID_Appointment
inline constexpr uint32_t kBusyStatus = 0x8205;
inline constexpr uint32_t kLocation = 0x8208;
inline constexpr uint32_t kAppointmentStartWhole = 0x820D;
inline constexpr uint32_t kAppointmentEndWhole = 0x820E;
inline constexpr uint32_t kAppointmentSubType = 0x8215;
inline constexpr uint32_t kAppointmentRecur = 0x8216;
inline constexpr uint32_t kAppointmentStateFlags = 0x8217;
inline constexpr uint32_t kRecurring = 0x8223;
inline constexpr uint32_t kExceptionReplaceTime = 0x8228;
inline constexpr uint32_t kTimeZoneDescription = 0x8234;
inline constexpr uint32_t kTimeZoneDefinitionStartDisplay = 0x825E;
inline constexpr uint32_t kTimeZoneDefinitionRecur = 0x8260;
// PSETID_Meeting
inline constexpr uint32_t kGlobalObjectId = 0x0003;
inline constexpr uint32_t kCleanGlobalObjectId = 0x0023;
// PSETID_Task
inline constexpr uint32_t kTaskStatus = 0x8101;
inline constexpr uint32_t kPercentComplete = 0x8102;
inline constexpr uint32_t kTaskStartDate = 0x8104;
inline constexpr uint32_t kTaskDueDate = 0x8105;
inline constexpr uint32_t kTaskDateCompleted = 0x810F;
inline constexpr uint32_t kTaskRecurrence = 0x8116;
inline constexpr uint32_t kTaskComplete = 0x811C;
inline constexpr uint32_t kTaskFRecurring = 0x8126;
// PSETID_Note
inline constexpr uint32_t kNoteColor = 0x8B00;
}  // namespace lid

// One property value. Strings are UTF-8 (the backend converts); binaries
// and multi-valued binaries are bytes; times are FILETIME (100 ns since
// 1601-01-01 UTC).
struct Value {
  enum class Type { kInt, kBool, kDouble, kTime, kString, kBinary, kStrings, kBinaries, kInts };
  Type type = Type::kInt;
  int64_t i = 0;
  double d = 0;
  std::string s;                  // kString, kBinary
  std::vector<std::string> list;  // kStrings, kBinaries
  std::vector<int64_t> ints;      // kInts

  static Value integer(int64_t v) { Value x; x.type = Type::kInt; x.i = v; return x; }
  static Value boolean(bool v) { Value x; x.type = Type::kBool; x.i = v ? 1 : 0; return x; }
  static Value real(double v) { Value x; x.type = Type::kDouble; x.d = v; return x; }
  static Value filetime(int64_t v) { Value x; x.type = Type::kTime; x.i = v; return x; }
  static Value string(std::string v) { Value x; x.type = Type::kString; x.s = std::move(v); return x; }
  static Value binary(std::string v) { Value x; x.type = Type::kBinary; x.s = std::move(v); return x; }
  static Value strings(std::vector<std::string> v) { Value x; x.type = Type::kStrings; x.list = std::move(v); return x; }
  static Value binaries(std::vector<std::string> v) { Value x; x.type = Type::kBinaries; x.list = std::move(v); return x; }
};

// FILETIME ⇄ seconds since the Unix epoch.
inline constexpr int64_t kFiletimeEpochOffset = 116444736000000000LL;  // 1601 → 1970 in 100 ns
inline int64_t filetime_to_unix(int64_t ft) {
  int64_t d = ft - kFiletimeEpochOffset;
  return d >= 0 ? d / 10000000 : -((-d + 9999999) / 10000000);
}
inline int64_t unix_to_filetime(int64_t secs) { return secs * 10000000 + kFiletimeEpochOffset; }

class PropertySet {
 public:
  void set(uint16_t id, Value v) { tagged_[id] = std::move(v); }
  void set_named(std::string_view set, uint32_t lid, Value v) { named_[key(set, lid)] = std::move(v); }
  void set_named(std::string_view set, std::string_view name, Value v) { named_[key(set, name)] = std::move(v); }

  const Value* get(uint16_t id) const {
    auto it = tagged_.find(id);
    return it == tagged_.end() ? nullptr : &it->second;
  }
  const Value* named(std::string_view set, uint32_t lid) const { return find(key(set, lid)); }
  const Value* named(std::string_view set, std::string_view name) const { return find(key(set, name)); }

  // Typed readers: nullopt when absent or of another type ("" strings count
  // as absent: MAPI stores leave empty strings behind).
  std::optional<std::string> str(uint16_t id) const { return str_of(get(id)); }
  std::optional<std::string> str(std::string_view set, uint32_t lid) const { return str_of(named(set, lid)); }
  std::optional<int64_t> num(uint16_t id) const { return num_of(get(id)); }
  std::optional<int64_t> num(std::string_view set, uint32_t lid) const { return num_of(named(set, lid)); }
  std::optional<int64_t> time(uint16_t id) const { return time_of(get(id)); }  // unix seconds
  std::optional<int64_t> time(std::string_view set, uint32_t lid) const { return time_of(named(set, lid)); }
  std::optional<std::string> bin(uint16_t id) const { return bin_of(get(id)); }
  std::optional<std::string> bin(std::string_view set, uint32_t lid) const { return bin_of(named(set, lid)); }
  bool flag(std::string_view set, uint32_t lid) const { auto n = num_of(named(set, lid)); return n && *n != 0; }

  static std::string key(std::string_view set, uint32_t lid) {
    char b[16];
    std::snprintf(b, sizeof b, "#%04x", static_cast<unsigned>(lid));
    return std::string(set) + b;
  }
  static std::string key(std::string_view set, std::string_view name) { return std::string(set) + ":" + std::string(name); }

 private:
  const Value* find(const std::string& k) const {
    auto it = named_.find(k);
    return it == named_.end() ? nullptr : &it->second;
  }
  static std::optional<std::string> str_of(const Value* v) {
    if (!v || v->type != Value::Type::kString || v->s.empty()) return std::nullopt;
    return v->s;
  }
  static std::optional<int64_t> num_of(const Value* v) {
    if (!v || (v->type != Value::Type::kInt && v->type != Value::Type::kBool)) return std::nullopt;
    return v->i;
  }
  static std::optional<int64_t> time_of(const Value* v) {
    if (!v || v->type != Value::Type::kTime) return std::nullopt;
    return filetime_to_unix(v->i);
  }
  static std::optional<std::string> bin_of(const Value* v) {
    if (!v || v->type != Value::Type::kBinary) return std::nullopt;
    return v->s;
  }
  std::map<uint16_t, Value> tagged_;
  std::map<std::string, Value> named_;
};

// A recipient row ([MS-OXCMSG] 2.2.1.x): display name, address, type.
struct Recipient {
  enum Kind { kTo = 1, kCc = 2, kBcc = 3 };
  int kind = kTo;
  std::string name;
  std::string email;      // SMTP where the store has one, else the native address
  std::string addr_type;  // "SMTP", "EX"…
};

struct Item;

// An attachment: file data, or an embedded message (exceptions of a
// recurring series are embedded messages too).
struct Attachment {
  PropertySet props;
  std::string data;                // file attachments
  std::shared_ptr<Item> embedded;  // ATTACH_EMBEDDED_MSG
};

// One message of any class with what hangs off it.
struct Item {
  PropertySet props;
  std::vector<Recipient> recipients;
  std::vector<Attachment> attachments;
  std::string rtf;  // decompressed RTF body where the store gave one

  std::string message_class() const { return props.str(tag::kMessageClass).value_or(""); }
};

}  // namespace accord::outlook::mapi
