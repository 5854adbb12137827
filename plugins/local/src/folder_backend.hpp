// SPDX-License-Identifier: Apache-2.0
// The folder backends: one file per record (.vcf contacts; .ics events and
// tasks), indexed by a record log kept in <folder>/.accord/index.sqlite.
//
// Whole files (a calendar export with many events, an address book export
// with many cards) hold one record per UID, its overrides with it: the id
// is "<file>#<UID>" (formats::collection::encode_key; a card without UID is
// "#@<FN>"), its version the hash of that member alone. An update rewrites
// that member's components where they stand and a delete removes them, every
// other byte of the file kept (an unused VTIMEZONE too); creates go to new
// one-record files. A member that changes between one record and several
// (an event added to a one-event file) keeps the id it had. Two masters
// with one UID in a file are reported by file and UID and neither is read
// (nor lost) until the file says which is meant. Calls come from one host
// thread at a time (connector.h), so the writes of one file follow each
// other and each reads what the one before left.
//
// A read rescans the folder when it begins a listing (not when it continues
// one that answered "more"): files whose size and mtime match the index are not opened; changed
// ones are hashed (same hash: only the stat is refreshed) and re-parsed, and
// get new sequence numbers in mtime order, oldest first. A file that vanished
// becomes a tombstone. A file that cannot be parsed is reported by path once
// per change and skipped: never deleted, never rewritten.
//
// Writes are atomic (temporary file, fsync, rename, fsync of the folder);
// versions are content hashes, so an edit made behind our back is a CONFLICT.
//
// Exactly once. A create's file and its index row are two steps: a run
// killed between them leaves a file the index does not know. So a create
// the host re-sends ("resend": true) rescans the folder first and finds that
// file by the key it carries; a create whose index commit fails takes its
// file back, so that an error answered means nothing was written. Two files
// with one key (copies, or what older versions left) are both records; the
// key stays with the file that held it first (the oldest, when the index
// knew neither), and the copy is reported. A full disk answers an error that
// says to free space and run again. The temporary files of killed writes
// (".NAME.vcf.tmp-PID") are removed when a stream is first used.
#pragma once

#include "backend.hpp"
#include "files.hpp"
#include "record_log.hpp"

#include <accord/formats/collection.hpp>

#include <boost/json/object.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace local {

// How one stream's records are kept as files.
struct FileFormat {
  std::string extension;  // ".vcf"
  std::string key_name = "X-ACCORD-ID";  // where a file keeps its idempotency key, for messages
  struct Parsed {
    bool mine = true;  // false: a file of this folder's other stream
    boost::json::object data;
    std::string idem;
    std::vector<std::string> unknown;
  };
  std::function<Parsed(std::string_view text)> parse;  // throws on bad input
  std::function<std::string(const boost::json::object& data, const std::string& idem,
                            const std::vector<std::string>& keep)>
      serialize;
  // An update of an existing file: the old text with only what changed
  // rewritten (vCard, iCalendar); unset: serialize() with the old unknown lines.
  std::function<std::string(std::string_view old_text, const boost::json::object& data, const std::string& idem)>
      rewrite;
  // Files that may hold many records (vCard, iCalendar): their members
  // (throws for a file that is not one collection: it is then read whole);
  // unset (json): one record per file.
  std::function<std::vector<accord::formats::collection::Member>(std::string_view text)> split;
  // The file with member m written anew as record_text (a file of its own).
  std::function<std::string(std::string_view file, const accord::formats::collection::Member& m,
                            std::string_view record_text)>
      put_back;
  std::string component;  // the members of this stream (VEVENT, VCARD)
};

class FolderBackend : public Backend {
 public:
  using Logger = std::function<void(int32_t level, const std::string& msg)>;
  // Makes the format of a stream not in `formats` (json folders: any name),
  // kept in a subfolder named after the stream; nullopt: no such stream.
  using FormatFactory = std::function<std::optional<FileFormat>(const std::string& stream)>;
  FolderBackend(std::filesystem::path folder, std::filesystem::path index, std::map<std::string, FileFormat> formats,
                size_t batch_size, Logger log, FormatFactory factory = nullptr, bool read_only = false);
  std::string read_changes(const std::string& stream, const std::string& cursor) override;
  std::string apply(const std::string& stream, std::string_view ops_json) override;
  std::string fetch(const std::string& stream, std::string_view ids_json) override;
  void check_stream(const std::string& stream) const override;
  // vCard and iCalendar folders: each record serialised and read back, as
  // a create writes it (a JSON folder keeps any field: not offered)
  bool checks() const override { return !factory_ && !streams_.empty(); }
  std::string check_records(const std::string& stream, std::string_view records_json) override;

  // Rescans the folder for one stream now (tests and benchmarks).
  void scan(const std::string& stream);

 private:
  struct Stream {
    FileFormat format;
    std::unique_ptr<RecordLog> log;
    std::filesystem::path dir;
    // scanned by this instance: what earlier runs left unindexed is indexed
    // now, so a resend needs no rescan of its own
    bool scanned = false;
  };
  Stream& stream(const std::string& name);
  OpResult apply_one(Stream& s, const Op& op, Transaction& tx);
  OpResult apply_to_member(Stream& s, const Op& op, Transaction& tx, const std::filesystem::path& p,
                           const std::string& old, const std::vector<accord::formats::collection::Member>& members,
                           const accord::formats::collection::Member& m);
  OpResult indexed(Stream& s, Transaction& tx, const std::filesystem::path& p, const std::string& id,
                   const std::string& record, const std::string& idem);
  void keep_siblings_current(Stream& s, const std::filesystem::path& p, const Stat& before, const std::string& written_id);
  void remove_leftovers(const Stream& s);
  std::string file_name_for(const boost::json::object& data, const FileFormat& f, const std::filesystem::path& dir) const;
  void write_file(const std::filesystem::path& p, const std::string& content) const;

  std::filesystem::path folder_;
  // read-only (ACCORD_OPEN_READ_ONLY): the index is a copy in memory, and
  // nothing is created, removed or written
  bool read_only_;
  Db db_;
  std::map<std::string, Stream> streams_;
  size_t batch_;
  Logger log_;
  FormatFactory factory_;
};

}  // namespace local
