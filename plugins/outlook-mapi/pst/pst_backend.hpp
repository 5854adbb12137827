// SPDX-License-Identifier: Apache-2.0
// outlook-mapi's read-only `pst` backend: an Outlook data file (.pst or
// .ost, any of the 32-bit, 64-bit and 4k-page forms) read through libpff,
// each item turned into MAPI properties (mapi/properties.hpp) and those into
// canonical records by the shared MAPI model (mapi/canonical.hpp).
//
// The connector calls one PstBackend per instance and stream:
//   read(stream, cursor, batch_size) → the whole batch object of the SDK's
//     read_changes ({"records", "cursor", "more", "full", "total"}): a full
//     listing, oldest first is not promised (folder order); a cursor of a
//     listing that ended on an unchanged file answers no records; a changed
//     file lists again from the start with "full": true (deletes by absence);
//   fetch(stream, ids) → the records with their lazy fields (a message's
//     "raw", the rebuilt RFC 5322 message in base64);
//   write_refusal(stream) → the message for ACCORD_UNSUPPORTED on apply.
// Ids are libpff's item identifiers (MS-PST node ids), stable for a file.
// Items a stream cannot carry (distribution lists in contacts, journal
// entries and unknown classes beside messages) and what a mapping could not
// keep are said through `log` (level 2 = warning), never dropped silently.
//
// The file is opened read-only, lazily on the first call, and never written.
// Thread safety: one thread at a time per instance (as the SDK calls it).
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace accord::outlook::pst {

// A failure with the SDK status it maps to (ACCORD_ERROR, ACCORD_CURSOR_EXPIRED…)
// and one line the user can act on.
struct PstError : std::runtime_error {
  PstError(int status_code, const std::string& message) : std::runtime_error(message), status(status_code) {}
  int status;
};

class PstBackend {
 public:
  using Log = std::function<void(int level, const std::string& message)>;

  explicit PstBackend(std::string path, Log log = {});
  ~PstBackend();
  PstBackend(const PstBackend&) = delete;
  PstBackend& operator=(const PstBackend&) = delete;

  // Asked between items (indexing a large file takes a while): when it
  // answers true, the call in progress throws PstError(ACCORD_CANCELLED).
  void set_cancel_check(std::function<bool()> cancelled);

  // The streams this backend lists: message, contact, event, task, note.
  static const std::vector<std::string>& streams();
  // The message an apply gets with ACCORD_UNSUPPORTED.
  static std::string write_refusal(std::string_view stream);

  boost::json::object read(std::string_view stream, std::string_view cursor, size_t batch_size);
  boost::json::array fetch(std::string_view stream, const std::vector<std::string>& ids);

  // What the last listings reported instead of listing ("distribution list
  // \"Team\" with 3 members (item 2097252, folder Contacts)").
  const std::vector<std::string>& reported() const { return reported_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<std::string> reported_;
};

}  // namespace accord::outlook::pst
