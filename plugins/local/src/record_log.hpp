// SPDX-License-Identifier: Apache-2.0
// The record log: one SQLite table per stream, each row a record with the
// sequence number of its last change. It is the whole store of the sqlite
// backend and the index (change feed) of the folder backends, so both answer
// read_changes the same way: rows with seq > cursor, in seq order (oldest
// change first), tombstones included, never a rescan of everything.
//
// A live record whose create stored an idempotency key lists it beside its
// id ("idempotency_key"), in batches and in fetch answers.
//
// Cursors are local1.{"epoch","seq"} (kit::CursorFormat): the epoch is random per database, so a
// cursor of another (or recreated) store is refused as CURSOR_EXPIRED.
#pragma once

#include <accord/sql/sqlite_db.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace local {

using accord::sql::Db;
using accord::sql::Stmt;
using accord::sql::Transaction;

struct Row {
  std::string id;
  int64_t seq = 0;
  std::string version;
  std::string modified;
  bool deleted = false;
  std::optional<std::string> idem;
  std::optional<std::string> data;  // canonical JSON text; absent when deleted
  // folder backends: what the file looked like when indexed
  int64_t size = -1;
  int64_t mtime_ns = -1;
  std::string hash;
  // a record its file holds that cannot be read (a folder backend's): listed
  // with this text and no data (the data kept is the last read well)
  std::optional<std::string> problem;
};

// The cursor of a store that does not exist yet: once it does, every change
// since its creation comes after this cursor.
std::string before_creation_cursor();

// Whether the last failure on db was a full disk (SQLITE_FULL, or an I/O
// error whose system error is ENOSPC or EDQUOT). Ask in the catch block,
// before the transaction rolls back (a later call resets the code).
bool index_full(Db& db);

// Fills db (a fresh ":memory:" database) with a copy of the SQLite file at
// path, opened read-only, when the file exists: an instance opened with
// ACCORD_OPEN_READ_ONLY indexes and answers in memory, and writes nothing.
void copy_read_only(Db& db, const std::string& path);

// How an instance opened read-only reads an existing SQLite file without a
// copy, creating nothing beside it (a copy costs the file's size in memory
// and a full read before the first answer):
//  kLocked     a file in rollback-journal mode with no journal beside it, or
//              a WAL file whose -wal and -shm are there (a writer has it
//              open): opened "mode=ro"; SQLite's locks keep each read whole.
//  kImmutable  a WAL file closed cleanly (no -wal): "mode=ro" would make a
//              -wal and a -shm and leave them, so it is opened "immutable=1"
//              (no locks); the reader compares the file's FileStamp after
//              each read and reads a copy instead once the file changed.
//  kCopy       anything else (a -wal without its -shm, a hot journal, a file
//              that is not SQLite's): copy_read_only.
enum class ReadOnlyOpen { kLocked, kImmutable, kCopy };
ReadOnlyOpen read_only_open_of(const std::string& path);
// "file:<path, percent-encoded>?<query>", for Db's ReadOnlyUri open.
std::string sqlite_uri(const std::string& path, const std::string& query);

// What a write to a file changes: any write leaves another stamp.
struct FileStamp {
  uint64_t dev = 0, ino = 0;
  int64_t size = -1, mtime_ns = -1;
  bool operator==(const FileStamp&) const = default;
};
std::optional<FileStamp> stamp_of(const std::string& path);

// Whether db (opened read-only) has the tables a RecordLog of `stream` reads:
// the meta table with an epoch and the stream's own. A RecordLog on a
// read-only database creates no table: without them it cannot be made.
bool has_stream_tables(Db& db, const std::string& stream);

// Throws accord::Error(UNSUPPORTED) unless the stream name is [a-z][a-z0-9_]{0,62}.
void check_stream_name(const std::string& stream);

class RecordLog {
 public:
  // Opens the tables of `stream` in db (created when missing).
  RecordLog(Db& db, const std::string& stream);

  // The batch JSON for the changes after `cursor` ("" = full listing).
  // Throws accord::Error(CURSOR_EXPIRED) for a cursor it did not issue.
  std::string read_batch(const std::string& cursor, size_t limit);
  // True when the cursor begins a listing rather than continuing one that
  // answered "more" (a folder backend rescans the folder then).
  bool starts_listing(const std::string& cursor);

  // accord.after_commit.v1: the cursor past the changes after `cursor`
  // that are exactly `written_json`'s writes ([{"id", "version"}...]), up to
  // the first change that is not one of them; nullopt where it moves not at
  // all (a change of someone else's first, a listing under way, a cursor of
  // another store).
  std::optional<std::string> past_own_writes(const std::string& cursor, std::string_view written_json);

  std::optional<Row> get(const std::string& id);
  // {"records":[…]} for the live records among ids (fetch()).
  std::string records_json(const std::vector<std::string>& ids);
  std::optional<Row> by_idem(const std::string& key);
  // The same, and whether a tombstone holds the key instead (a record
  // deleted from outside, by SQL, keeps it: put() frees it), in one look-up.
  std::optional<Row> by_idem(const std::string& key, bool& tombstone);
  std::vector<Row> all_live_meta();  // id, size, mtime_ns, hash, seq (folder scans)
  // the same of the records of one file: id FILE or FILE#…
  std::vector<Row> live_meta_of_file(const std::string& file);
  // Inserts or replaces the row, giving it the next sequence number.
  void put(Row& row);
  // put() of a row whose key no tombstone holds (by_idem(key, tombstone)
  // said so in this transaction, and nothing since makes a tombstone that
  // keeps a key): without put()'s statement that frees it, 5.6 k
  // instructions a Maildir create (issue 22).
  void put_unheld(Row& row);
  // The same for a row get() just read in this transaction, its data
  // changed (an update) or deleted: written in place, its id's index entry
  // kept; an update sets only what it changes (its key, file stats and
  // problem stay as read, their indexes untouched).
  void put_existing(Row& row);
  // An update's usual case in one statement, inside a HeldSeq: the record
  // `id` there and live, at `expect_version` where one is given, takes
  // `data` and the next sequence number (as get() and put_existing() do it
  // in two). Answers its new version; nullopt where it did not match
  // (nothing written, no sequence number taken: get() tells why), and
  // outside a HeldSeq.
  std::optional<std::string> update_live(const std::string& id, const std::optional<std::string>& expect_version,
                                         std::string_view data);

  // While one lives (inside one write transaction), puts take their
  // sequence numbers from memory: the store's counter is read once, and
  // written once by write() before the commit, instead of an UPDATE …
  // RETURNING per put (a third of an update's cost). Left without write()
  // (an exception: the transaction rolls back), nothing is written.
  class HeldSeq {
   public:
    explicit HeldSeq(RecordLog& l);
    ~HeldSeq() { l_.held_ = false; }
    HeldSeq(const HeldSeq&) = delete;
    HeldSeq& operator=(const HeldSeq&) = delete;
    void write();

   private:
    RecordLog& l_;
    int64_t from_ = 0;
  };
  // Updates size/mtime only (content unchanged): no new sequence number.
  void touch_stat(const std::string& id, int64_t size, int64_t mtime_ns);

  // Files a folder scan passes over (unparseable, or of another stream),
  // remembered by size and mtime so each is reported once per change.
  bool is_ignored(const std::string& id, int64_t size, int64_t mtime_ns);
  void set_ignored(const std::string& id, int64_t size, int64_t mtime_ns);
  void clear_ignored(const std::string& id);

  const std::string& epoch() const { return epoch_; }
  static std::string now_rfc3339();

 private:
  int64_t next_seq();
  int64_t current_seq();
  void bind_row(Stmt& s, const Row& r);

  Db& db_;
  std::string table_;
  std::string problem_;  // the column, or NULL where a store read in place has none
  std::string epoch_;
  Stmt sel_batch_, sel_batch_live_, sel_id_, sel_idem_, sel_idem_any_, free_idem_, upsert_, update_, update_data_, update_live_, bump_, cur_,
      set_seq_, touch_, ign_get_, ign_set_, ign_del_;
  bool held_ = false;  // a HeldSeq lives: held_seq_ is the last number given
  int64_t held_seq_ = 0;
};

}  // namespace local
