// SPDX-License-Identifier: Apache-2.0
// Maildir and Maildir++ on disk, the file-level part of the `local`
// connector's maildir backend (maildir_backend.hpp): folder names to
// directories, flags in file names, and atomic delivery through tmp/ to new/
// or cur/.
//
// Layout (Maildir++, as Courier and Dovecot write it): the root is the INBOX
// (cur/, new/, tmp/); folder "Work/2026" is "<root>/.Work.2026"; a name's "."
// and "/" are told apart by the hierarchy separator, so a "." inside a name
// is refused rather than guessed. Each part of a name is written in IMAP's
// modified UTF-7, as Dovecot and mbsync write it ("Entwürfe" is
// ".Entw&APw-rfe"), or in UTF-8 (Dovecot's :UTF-8 layout); either is read.
// File names are "<unique>:2,<flags>" with
// the flags D (draft), F (flagged), P (passed), R (replied), S (seen),
// T (trashed), in that order.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace local::maildir {

namespace fs = std::filesystem;

// How folder names are written on disk: modified UTF-7 (RFC 3501 5.1.3,
// Dovecot's and mbsync's default) or UTF-8 (Dovecot's :UTF-8 flag).
enum class FolderNames { kModifiedUtf7, kUtf8 };
// A folder's name ("Entwürfe/2026", "/"-separated, UTF-8) as its directory
// spells it ("Entw&APw-rfe/2026"). With kUtf8 a part stays UTF-8 unless it
// would read back as another name (it is valid modified UTF-7 itself:
// "A&-"), which is then written in modified UTF-7. nullopt: not UTF-8.
std::optional<std::string> disk_name(std::string_view folder, FolderNames names);
// The folder name a directory's spelling stands for: each part that is
// valid modified UTF-7 decoded, any other (UTF-8 as earlier builds and
// Dovecot's :UTF-8 write it) as it is. disk_name's inverse for both forms.
std::string folder_name(std::string_view disk);

// A SPECIAL-USE mailbox id (RFC 6154 "\\Sent", RFC 8457 "\\Important";
// any case) as {its canonical spelling, the conventional Maildir++ folder
// name for it}: \\Sent "Sent", \\Drafts "Drafts", \\Trash "Trash", \\Junk
// "Junk" (Dovecot's 15-mailboxes.conf names), \\All "All Mail", \\Archive
// "Archive", \\Flagged "Flagged", \\Important "Important". nullopt for any
// other name.
std::optional<std::pair<std::string_view, std::string_view>> special_use(std::string_view id);

// The directory of a folder as spelled on disk ("INBOX" or "a/b/c",
// "/"-separated, see disk_name): the root, or root/.a.b.c. nullopt for a
// name that Maildir++ cannot hold (empty parts, ".", "..", a "." inside a part).
std::optional<fs::path> folder_dir(const fs::path& root, std::string_view folder);
// Every folder under root that is a maildir (has cur/ new/ tmp/), as spelled
// on disk, "/"-separated, INBOX first.
std::vector<std::string> list_folders(const fs::path& root);
// Makes the folder's cur/ new/ tmp/ (and its Maildir++ marker file); the name as spelled on disk.
void create_folder(const fs::path& root, std::string_view folder);
// Removes a folder (not the root) that holds nothing but empty cur/ new/
// tmp/ and its marker file; false (nothing removed) when it holds anything
// else or cannot be removed.
bool remove_empty_folder(const fs::path& root, std::string_view folder);

// Flags in a file name ("…:2,FS" → {'F','S'}); none for a file in new/ without info.
std::set<char> flags_of(std::string_view filename);
// The unique part of a file name (before ":2,").
std::string_view unique_of(std::string_view filename);
// The file name with these flags (only DFPRST kept, in order).
std::string with_flags(std::string_view filename, const std::set<char>& flags);

// Delivers bytes into the folder directory: written to tmp/ under a unique
// name, flushed to disk, then renamed into new/ (no flags) or cur/ (with
// flags); the modification time set to `mtime` (seconds) when given.
// `info` is appended to the unique part (",W=1234,A=key": size and other
// fields, each ",X=value"). Returns the final file name. Throws
// std::system_error (errno kept) naming the path.
std::string deliver(const fs::path& dir, std::string_view bytes, const std::set<char>& flags,
                    std::optional<int64_t> mtime = std::nullopt, std::string_view info = {});
// Delivery in steps, for many messages at once with one flush: stage()
// writes a message to tmp/ (fsync'd only when `flush`); sync_filesystem()
// flushes every staged file at once (syncfs); publish() renames one into
// new/ or cur/; fsync_dir() makes the renames durable.
// `lf`: the bytes' CRLF line ends are written as LF (a piece at a time).
// `mtime_ns`, when given: the file's modification time (ns) when stage()
// set it and knows it reads back so (whole seconds, 1970-2038), else -1
// (none given, not set, or one a file system may clamp: stat the file).
std::string stage(const fs::path& dir, std::string_view bytes, std::optional<int64_t> mtime, std::string_view info,
                  bool flush, bool lf = false, int64_t* mtime_ns = nullptr);
// A message file read with CRLF line ends (its canonical form) into one
// buffer of its exact size: no second copy of a large message.
std::string read_crlf(const fs::path& file);
void sync_filesystem(const fs::path& any_dir);
std::string publish(const fs::path& dir, const std::string& staged, const std::set<char>& flags);
void fsync_dir(const fs::path& dir);
// The process id in a name stage() made on this host
// ("<secs>.M<usec>P<pid>Q<n>.<host>,S=<size>[,W=<size>][,A=<key>]"), or
// nullopt for any other name: another program's file in tmp/.
std::optional<int64_t> staged_by_us(std::string_view filename);
// A ",X=value" field of a file name's unique part ("" when absent).
std::string info_field(std::string_view filename, char key);
// Renames a message to carry these flags (moving it from new/ to cur/);
// returns its new file name.
std::string set_flags(const fs::path& dir, std::string_view filename, const std::set<char>& flags);
// Where the file named `filename` is in dir: cur/ or new/ (nullopt: gone).
std::optional<fs::path> locate(const fs::path& dir, std::string_view filename);

}  // namespace local::maildir
