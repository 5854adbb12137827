// SPDX-License-Identifier: Apache-2.0
// The maildir backend: a Maildir++ tree (Courier/Dovecot layout, as mbsync
// and mutt read it) as the stream `message`, one record per message file.
//
// Folder names on disk are Maildir++ in modified UTF-7 (or UTF-8, by
// option), both read (maildir.hpp); a folder that exists keeps the spelling
// of its directory, which is what the index and versions hold, so that a
// Maildir an earlier build wrote in UTF-8 reads as it did.
//
// SPECIAL-USE mailbox ids ("\Sent", "\All", … as gmail-imap gives Gmail's
// special folders) are kept in Maildir++'s usual folders (maildir::special_use:
// .Sent, .Drafts, .Trash, .Junk, .All Mail, …), which Dovecot and mbsync know,
// never in a directory named with a backslash. A folder reads back as the
// flag only when this index made or took it for the flag (meta rows
// "maildir.special_use:<flag>"): a user's own .Sent, synced to a server
// where "Sent" is a plain folder, keeps reading as "Sent". For a flag
// without a directory yet: its usual folder when missing, or there but
// holding no indexed message (an empty one Dovecot made, or one never
// listed). A usual folder that holds messages of its own is not taken (their
// mailboxIds would change): the flag then gets a directory spelled as the
// flag (".\Sent"), as builds of this work in progress wrote for every
// flag, and the run says so; such directories are kept and read as before.
//
// Records: id = the file name's unique part (it survives flag changes and
// moves between folders); version = folder and flag letters; data = the
// canonical message (accord/mail) without its body, which fetch adds as
// "raw". A change index (the record log, <path>/.accord/index.sqlite) makes
// read_changes a change feed: a listing begins with a scan of every folder's
// cur/ and new/, where a file already indexed at the same place is not
// opened, a renamed one (flags, folder) gets new keywords or mailboxIds, a
// new one is parsed, and a vanished one becomes a tombstone. A folder
// renamed on disk (mv .A .B) is therefore its messages' mailboxIds changed,
// under the same ids: moves on the other side, no body copied. A folder
// renamed on the other side arrives as moves of all its messages into a
// new folder; the old directory, emptied by them, is removed.
//
// Files are stored with LF line ends (the Unix form mail readers expect);
// the canonical raw form and size are CRLF. A message is written through
// tmp/ (fsync, rename); its unique part carries ",W=<CRLF size>" and
// ",A=<idempotency key>", so a create that reached the disk before a crash
// is found again by its key even when the index missed it: a create the
// host re-sends ("resend": true) rescans first. Two files with one key (a
// message copied into a second folder) are both records; the key stays with
// the one that held it first. Listings and fetch give the key back as the
// name holds it. The first read or write of an instance removes what killed
// writes left in tmp/: files named as this backend names them whose writer
// runs no more, and any file there untouched for 36 hours (the Maildir
// convention); another program's file at work in tmp/ is left alone.
#pragma once

#include <cstdlib>

#include "backend.hpp"
#include "maildir.hpp"
#include "record_log.hpp"

#include <accord/mail/message.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

namespace local {

struct MaildirOptions {
  // how new folders' names are spelled on disk (existing ones keep theirs)
  maildir::FolderNames folder_names = maildir::FolderNames::kModifiedUtf7;
  // header bytes that are not UTF-8 read in this charset (mail::header_fields)
  std::string fallback_charset = std::string(accord::mail::kFallbackCharset);
};

class MaildirBackend : public Backend {
 public:
  using Logger = std::function<void(int32_t level, const std::string& msg)>;
  MaildirBackend(std::filesystem::path root, std::filesystem::path index, size_t batch_size,
                 Logger log = [](int32_t, const std::string&) {}, bool read_only = false,
                 MaildirOptions options = {});
  std::string read_changes(const std::string& stream, const std::string& cursor) override;
  std::string apply(const std::string& stream, std::string_view ops_json) override;
  std::string fetch(const std::string& stream, std::string_view ids_json) override;
  bool lazy_files() const override { return true; }
  // apply removes a body file the host handed over once it has read every
  // part of it the call names (ACCORD_LAZY_FILES_TAKE), and reads parts of
  // files (ACCORD_LAZY_FILES_RANGES)
  uint32_t lazy_files_more() const override { return ACCORD_LAZY_FILES_TAKE | ACCORD_LAZY_FILES_RANGES; }
  std::string fetch_files(const std::string& stream, std::string_view ids_json, const std::string& dir) override;
  void scan();
  void check_stream(const std::string& stream) const override;
  // accord.after_commit.v1: the files this backend wrote are indexed and
  // logged as it writes them; the cursor moves past those log rows (and only
  // those), so the next run does not read its own writes back
  // apply answers each create and update as a listing gives it (its data),
  // so the host keeps this backend's form of a message it does not read back.
  // ACCORD_MAILDIR_AFTER_COMMIT=0 turns it off (every write read back).
  bool tells_after_commit() const override {
    const char* v = std::getenv("ACCORD_MAILDIR_AFTER_COMMIT");
    return !read_only_ && (!v || std::string_view(v) != "0");
  }
  std::optional<std::string> after_commit(const std::string& stream, const std::string& cursor,
                                          std::string_view written_json) override;

 private:
  std::string fetch_into(const std::string& stream, std::string_view ids_json, const std::string* dir);
  void remove_leftovers();
  // The folder's directory, created (once per instance) when missing; the name as spelled on disk.
  std::filesystem::path made(const std::string& folder);
  // How a folder's name (UTF-8) is spelled on disk: an existing directory's
  // spelling, else as options_ say.
  std::string on_disk(const std::string& folder);
  // The name a directory stands for in mailboxIds: the SPECIAL-USE flag it
  // was made for (special_dirs_), else maildir::folder_name.
  std::string name_of(const std::string& disk) const;
  // The directory of a SPECIAL-USE flag (its canonical spelling, `conventional`
  // its usual folder name): see the header comment.
  std::string special_dir(std::string_view flag, std::string_view conventional);

  std::filesystem::path root_;
  bool read_only_;  // the index in memory; nothing created, removed or written
  MaildirOptions options_;
  std::map<std::string, std::string> special_dirs_;  // directory as spelled → the flag it was made for (index meta)
  std::map<std::string, std::string> on_disk_;  // folder name → as spelled on disk, found or chosen by this instance
  Db db_;
  std::unique_ptr<RecordLog> log_;
  size_t batch_;
  std::set<std::string> made_;     // folders made (or found) by this instance
  std::set<std::string> created_;  // of those, the ones that were not there before
  // Folders this instance moved messages out of (as spelled on disk) → the
  // folders it moved them into. One emptied into folders this instance
  // created is a folder renamed on the other side: its directory goes too
  // (remove_renamed), so that no empty old directory is left behind.
  std::map<std::string, std::set<std::string>> moved_out_;
  void remove_renamed();
  Logger logger_;
  bool cleaned_ = false;
  bool scanned_ = false;  // by this instance: a resend needs no rescan of its own
};

}  // namespace local
