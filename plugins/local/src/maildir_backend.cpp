// SPDX-License-Identifier: Apache-2.0
#include "maildir_backend.hpp"

#include <accord/time/utc_time.hpp>
#include <accord/mail/message.hpp>

#include "maildir.hpp"
#include "files.hpp"

#include <accord/connector.hpp>

#include <boost/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

namespace fs = std::filesystem;
namespace json = boost::json;
namespace mail = accord::mail;

namespace local {

namespace {

// Copies a Maildir file into a new file of `dir` with CRLF line ends (a
// message's canonical form), a piece at a time; its path, or nullopt when
// the file is gone. Throws when the copy cannot be written.
std::optional<std::string> copy_crlf(const fs::path& from, const std::string& dir) {
  std::ifstream in(from, std::ios::binary);
  if (!in) return std::nullopt;
  std::string path = dir + "/maildir-XXXXXX";
  int fd = ::mkstemp(path.data());
  if (fd < 0) throw accord::Error(ACCORD_ERROR, dir + ": cannot make a file: " + std::strerror(errno));
  std::string piece(1 << 20, '\0'), wire;
  char last = 0;
  bool ok = true;
  while (ok && in) {
    in.read(piece.data(), static_cast<std::streamsize>(piece.size()));
    size_t n = static_cast<size_t>(in.gcount());
    wire.clear();
    for (size_t i = 0; i < n; ++i) {
      if (piece[i] == '\n' && last != '\r') wire += '\r';
      wire += last = piece[i];
    }
    for (size_t at = 0; ok && at < wire.size();) {
      ssize_t w = ::write(fd, wire.data() + at, wire.size() - at);
      if (w < 0 && errno == EINTR) continue;
      ok = w > 0;
      at += ok ? static_cast<size_t>(w) : 0;
    }
  }
  int err = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    throw accord::Error(ACCORD_ERROR, path + ": cannot write: " + std::strerror(err));
  }
  return path;
}

constexpr char kSep = '\x1f';
constexpr const char* kCtimeKey = "maildir.ctime:";  // + "folder/sub" → "inode:change time (ns)" at the last scan
constexpr const char* kSpecialKey = "maildir.special_use:";  // + flag → the directory made or taken for it  // folder, then "cur/<file>" or "new/<file>", in a row's location

int64_t mtime_ns_of(const fs::path& p) { return std::max<int64_t>(0, stat_of(p).mtime_ns); }

struct Location {
  std::string folder, sub, file;  // folder as spelled on disk (maildir::disk_name); sub: cur or new
  std::string text() const { return folder + kSep + sub + "/" + file; }
  static Location of(const std::string& text) {
    Location l;
    size_t s = text.find(kSep);
    l.folder = text.substr(0, s);
    std::string rest = text.substr(s + 1);
    l.sub = rest.substr(0, 3);
    l.file = rest.substr(4);
    return l;
  }
};

// The folder's name, not its spelling: a directory renamed to the other
// spelling by hand is the same folder at the same version.
std::string version_of(const Location& l) {
  std::string v = maildir::folder_name(l.folder) + ":";
  for (char c : maildir::flags_of(l.file)) v += c;
  return v;
}

// An idempotency key as it can stand in a file name.
std::string key_tag(const std::string& key) {
  std::string out;
  for (char c : key)
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') out += c;
  return out.substr(0, 80);
}

// What a message file's record takes from its content: the header fields,
// the structure and (where the name gives no W=) the size with CRLF line
// ends. Small beside the content: apply keeps these, not each new message's
// bytes, between writing the files and indexing them.
struct ContentFields {
  json::object headers, structure;
  std::optional<uint64_t> crlf_size;
};

ContentFields content_fields(std::string_view content, std::string_view fallback, bool need_size) {
  ContentFields f;
  f.headers = mail::header_fields(mail::header_block(content), fallback);
  f.structure = mail::structure_fields(mail::parse_structure(content), fallback);
  if (need_size) f.crlf_size = mail::crlf_size(content);
  return f;
}

// The record of a message file: header fields, when and how big, where,
// and its keywords: the file's letters, plus those no letter can hold (custom
// IMAP keywords) from `kept`, which the index keeps as Dovecot's keywords
// file does, so that a flag change here does not drop them there.
json::object message_data(ContentFields f, const Location& l, const std::string& mailbox, int64_t mtime_ns,
                          const json::value* kept) {
  json::object d = std::move(f.headers);
  d["receivedAt"] = accord::utc::format(mtime_ns / 1000000000);
  std::string w = maildir::info_field(l.file, 'W');
  uint64_t size = 0;
  if (!w.empty() && std::all_of(w.begin(), w.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    size = std::stoull(w);
  else if (f.crlf_size)
    size = *f.crlf_size;
  else
    throw accord::Error(ACCORD_ERROR, l.file + ": no W= in the name and no size measured");
  d["size"] = size;
  d["mailboxIds"] = json::object{{mailbox, true}};
  d["keywords"] = mail::keywords_from_letters(maildir::flags_of(l.file), kept);
  for (auto& [k, v] : f.structure) d[k] = std::move(v);
  return d;
}

json::object message_data(std::string_view content, const Location& l, const std::string& mailbox, int64_t mtime_ns,
                          const json::value* kept, std::string_view fallback) {
  return message_data(content_fields(content, fallback, true), l, mailbox, mtime_ns, kept);
}

// The index row of a message file at `loc` (the row's hash column holds the
// location: a message's content never changes, only its name and folder).
Row row_at(const std::string& id, const Location& loc, int64_t mtime_ns, const json::object& data,
           std::optional<std::string> idem) {
  Row r;
  r.id = id;
  r.hash = loc.text();
  r.version = version_of(loc);
  r.modified = accord::utc::format(mtime_ns / 1000000000);
  r.data = json::serialize(data);
  r.idem = std::move(idem);
  return r;
}

fs::path prepare(const fs::path& root, const fs::path& index) {
  maildir::create_folder(root, "INBOX");
  std::error_code ec;
  fs::create_directories(index.parent_path(), ec);
  if (ec) throw accord::Error(ACCORD_ERROR, index.parent_path().string() + ": cannot create: " + ec.message());
  return index;
}

fs::path dir_of(const fs::path& root, const std::string& folder) {
  auto d = maildir::folder_dir(root, folder);
  if (!d)
    throw accord::Error(ACCORD_ERROR, "the folder name \"" + folder +
                                          "\" cannot be kept in Maildir++ (a \".\" inside a name, or an empty part)");
  return *d;
}

}  // namespace

MaildirBackend::MaildirBackend(fs::path root, fs::path index, size_t batch_size, Logger log, bool read_only,
                               MaildirOptions options)
    : root_(std::move(root)),
      read_only_(read_only),
      options_(std::move(options)),
      db_(read_only ? std::string(":memory:") : prepare(root_, index).string()),
      batch_(batch_size),
      logger_(std::move(log)) {
  if (read_only_) copy_read_only(db_, index.string());
  // 2 MiB of index pages, not libs/sql's 8: a run reads the index in key
  // order and writes it in batches, the system's file cache holds its pages
  // anyway, and each MiB stays resident for the run: two Maildirs' indexes
  // took 16 of a 50,000-message first pull's peak (issue 22 item 5). (An
  // index copied into memory for a read-only instance keeps every page.)
  else db_.exec("PRAGMA cache_size=-2048");
  log_ = std::make_unique<RecordLog>(db_, "message");
  Stmt q(db_, "SELECT key, value FROM meta WHERE key LIKE 'maildir.special_use:%'");
  while (q.step()) {
    std::string flag(q.text(0).substr(std::string_view(kSpecialKey).size()));
    special_dirs_[std::string(q.text(1))] = flag;
  }
}

void MaildirBackend::remove_leftovers() {
  if (cleaned_ || read_only_) return;
  cleaned_ = true;
  constexpr int64_t k36h = int64_t{36} * 3600 * 1000000000;
  struct timespec now {};
  ::clock_gettime(CLOCK_REALTIME, &now);
  int64_t stale = static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec - k36h;
  for (const auto& folder : maildir::list_folders(root_)) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_of(root_, folder) / "tmp", ec)) {
      std::string name = e.path().filename().string();
      struct stat st {};
      if (::lstat(e.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      auto ns = [](const struct timespec& t) { return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec; };
      bool gone;
      if (auto pid = maildir::staged_by_us(name)) {
        gone = leftover_of_killed_write(*pid, ns(st.st_ctim));
      } else {
        // another program's: only when nothing touched it for 36 hours
        gone = ns(st.st_ctim) < stale && ns(st.st_mtim) < stale && ns(st.st_atim) < stale;
      }
      if (gone && ::unlink(e.path().c_str()) == 0)
        logger_(ACCORD_LOG_INFO, e.path().string() + ": removed, left in tmp/ by a delivery that was interrupted");
    }
  }
}

std::string MaildirBackend::name_of(const std::string& disk) const {
  auto it = special_dirs_.find(disk);
  return it != special_dirs_.end() ? it->second : maildir::folder_name(disk);
}

std::string MaildirBackend::special_dir(std::string_view flag, std::string_view conventional) {
  for (auto& [dir, f] : special_dirs_)
    if (f == flag) return dir;
  auto folders = maildir::list_folders(root_);
  // a directory spelled as the flag (".\Sent"), from builds before this: kept
  for (const auto& d : folders)
    if (maildir::folder_name(d) == flag) return d;
  std::string usual = *maildir::disk_name(conventional, options_.folder_names);
  for (const auto& d : folders)
    if (maildir::folder_name(d) == conventional) usual = d;  // the spelling it has
  bool taken = std::find(folders.begin(), folders.end(), usual) != folders.end() &&
               (special_dirs_.contains(usual) || std::ranges::any_of(log_->all_live_meta(), [&](const Row& r) {
                  return r.hash.starts_with(usual + kSep);
                }));
  std::string flag_s(flag);
  if (taken) {
    logger_(ACCORD_LOG_INFO, (root_ / ("." + std::string(conventional))).string() + " holds messages of its own: " +
                                 flag_s + " is kept in a folder named "" + flag_s + """);
    return *maildir::disk_name(flag, options_.folder_names);
  }
  if (!read_only_) {
    Stmt(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)").bind(1, kSpecialKey + flag_s).bind(2, usual).run();
    special_dirs_[usual] = flag_s;
  }
  return usual;
}

std::string MaildirBackend::on_disk(const std::string& folder) {
  if (auto it = on_disk_.find(folder); it != on_disk_.end()) return it->second;
  if (auto use = maildir::special_use(folder)) return on_disk_[folder] = special_dir(use->first, use->second);
  auto want = maildir::disk_name(folder, options_.folder_names);
  if (!want) throw accord::Error(ACCORD_ERROR, "the folder name \"" + folder + "\" is not UTF-8");
  // a folder that exists keeps its directory, in whichever form (an earlier
  // build's UTF-8, another program's modified UTF-7); a new one is written
  // as configured
  std::string pick = *want;
  for (const auto& d : maildir::list_folders(root_))
    if (maildir::folder_name(d) == folder) {
      pick = d;
      if (d == *want) break;
    }
  // a message put there would read back as the flag, not as `folder`
  if (auto it = special_dirs_.find(pick); it != special_dirs_.end())
    throw accord::Error(ACCORD_ERROR, (root_ / ("." + pick)).string() + " holds the special folder " + it->second +
                                          " (as gmail-imap names it), not a folder called \"" + folder +
                                          "\": rename that folder on the other side");
  return on_disk_[folder] = pick;
}

fs::path MaildirBackend::made(const std::string& folder) {
  fs::path dir = dir_of(root_, folder);
  if (made_.insert(folder).second) {
    std::error_code ec;
    if (!fs::exists(dir / "cur", ec)) created_.insert(folder);
    maildir::create_folder(root_, folder);
  }
  return dir;
}

void MaildirBackend::remove_renamed() {
  for (auto it = moved_out_.begin(); it != moved_out_.end();) {
    const std::string& from = it->first;
    bool renamed = from != "INBOX" && !special_dirs_.contains(from) && !created_.contains(from) &&
                   std::ranges::all_of(it->second, [&](const std::string& to) { return created_.contains(to); });
    if (!renamed || !maildir::remove_empty_folder(root_, from)) {
      ++it;
      continue;
    }
    logger_(ACCORD_LOG_INFO, (root_ / ("." + from)).string() + ": removed, every message in it moved to " +
                                 *it->second.begin() + " (the folder was renamed on the other side)");
    made_.erase(from);
    std::erase_if(on_disk_, [&](const auto& kv) { return kv.second == from; });
    it = moved_out_.erase(it);
  }
}

void MaildirBackend::check_stream(const std::string& stream) const {
  if (stream != "message")
    throw accord::Error(ACCORD_UNSUPPORTED, "the maildir backend has one stream, \"message\" (asked for \"" + stream + "\")");
}

void MaildirBackend::scan() {
  // Builds before folder names were decoded listed ".Entw&APw-rfe" (as
  // Dovecot spells "Entwürfe") as a folder named "Entw&APw-rfe": once, the
  // messages of such folders that the index still names so are read again.
  constexpr const char* kNamesChecked = "INSERT OR REPLACE INTO meta(key, value) VALUES('maildir.folder_names', '1')";
  bool check_names = !Stmt(db_, "SELECT value FROM meta WHERE key = 'maildir.folder_names'").step();
  auto misnamed = [&](const std::string& id, const std::string& folder) {
    if (folder.find('&') == std::string::npos || maildir::folder_name(folder) == folder) return false;
    auto r = log_->get(id);
    if (!r || !r->data) return false;
    json::value d = json::parse(*r->data);
    auto* m = d.is_object() ? d.as_object().if_contains("mailboxIds") : nullptr;
    return !m || *m != json::object{{name_of(folder), true}};
  };
  // A directory (a folder's cur/ or new/) whose change time is the one the
  // last scan recorded holds the same names: an entry made, removed or
  // renamed (a flag change) sets its change time, which no program can set
  // back. It is not read; its indexed messages stand. Recorded only when
  // older than kSettled before the scan (a change in the same clock tick as
  // the listing would not show) and only here, so a file this backend wrote
  // is read back by the next scan. Nothing changed anywhere (the same
  // directories, none changed): the index is not read either.
  // (ACCORD_TEST_MAILDIR_SETTLE_NS: tests set another margin, 0, rather than wait)
  const int64_t kSettled = [] {
    const char* e = std::getenv("ACCORD_TEST_MAILDIR_SETTLE_NS");
    return e ? std::atoll(e) : int64_t{2} * 1000000000;
  }();
  struct timespec now_ts {};
  ::clock_gettime(CLOCK_REALTIME, &now_ts);
  int64_t settled = static_cast<int64_t>(now_ts.tv_sec) * 1000000000 + now_ts.tv_nsec - kSettled;
  std::map<std::string, std::string> was_ctime;  // "folder/sub" → "inode:ctime ns", as the last scan recorded
  {
    Stmt q(db_, "SELECT key, value FROM meta WHERE key LIKE 'maildir.ctime:%'");
    while (q.step()) was_ctime[std::string(q.text(0).substr(std::string_view(kCtimeKey).size()))] = std::string(q.text(1));
  }
  std::vector<std::string> folders = maildir::list_folders(root_);
  std::map<std::string, std::string> ctime_now;  // "folder/sub" → "inode:ctime ns" now ("0": too recent to trust)
  std::set<std::string> unchanged;               // "folder/sub" not read this time
  for (const auto& folder : folders)
    for (const char* sub : {"new", "cur"}) {
      std::string key = folder + "/" + sub;
      // the inode too: a folder renamed onto another's name brings its own cur/ and new/
      struct stat st {};
      int64_t ct = ::stat((dir_of(root_, folder) / sub).c_str(), &st) == 0
                       ? static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec
                       : 0;
      std::string v = ct > 0 && ct < settled ? std::to_string(st.st_ino) + ":" + std::to_string(ct) : "0";
      if (!check_names && v != "0" && was_ctime.contains(key) && was_ctime[key] == v) unchanged.insert(key);
      ctime_now[key] = std::move(v);
    }
  if (unchanged.size() == ctime_now.size() && was_ctime.size() == ctime_now.size()) {
    scanned_ = true;
    return;
  }
  std::map<std::string, Row> indexed;
  std::map<std::string, std::vector<std::string>> indexed_in;  // "folder/sub" not read → the ids there
  for (auto& r : log_->all_live_meta()) {
    if (!unchanged.empty() && r.hash.find(kSep) != std::string::npos) {
      Location at = Location::of(r.hash);
      if (std::string key = at.folder + "/" + at.sub; unchanged.contains(key)) indexed_in[key].push_back(r.id);
    }
    indexed.emplace(r.id, std::move(r));
  }
  struct Found {
    std::string id;
    Location loc;
    int64_t mtime_ns;
    bool known;
  };
  std::vector<Found> changed;
  std::set<std::string> seen;
  for (const auto& folder : folders) {
    fs::path dir = dir_of(root_, folder);
    for (const char* sub : {"new", "cur"}) {
      if (auto it = indexed_in.find(folder + "/" + sub); unchanged.contains(folder + "/" + sub)) {
        if (it != indexed_in.end()) seen.insert(it->second.begin(), it->second.end());
        continue;
      }
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(dir / sub, ec)) {
        std::string name = e.path().filename().string();
        if (name.starts_with(".")) continue;
        std::string id(maildir::unique_of(name));
        if (seen.contains(id)) id += "@" + folder;  // the same file copied into a second folder
        if (!seen.insert(id).second) continue;
        Location loc{folder, sub, name};
        auto it = indexed.find(id);
        if (it != indexed.end() && it->second.hash == loc.text() && !(check_names && misnamed(id, folder))) continue;
        changed.push_back({id, loc, mtime_ns_of(e.path()), it != indexed.end()});
      }
    }
  }
  // Oldest first.
  std::sort(changed.begin(), changed.end(),
            [](const Found& a, const Found& b) { return a.mtime_ns != b.mtime_ns ? a.mtime_ns < b.mtime_ns : a.id < b.id; });
  Transaction tx(db_);
  size_t n = 0;
  for (auto& c : changed) {
    if (++n % 256 == 0 && cancelled()) throw accord::Error(ACCORD_CANCELLED, "cancelled");
    std::optional<Row> prev = c.known ? log_->get(c.id) : std::nullopt;
    Row r;
    if (prev && prev->data) {
      // renamed: new flags or another folder; the message itself is the same
      json::object d = json::parse(*prev->data).get_object();
      d["mailboxIds"] = json::object{{name_of(c.loc.folder), true}};
      d["keywords"] = mail::keywords_from_letters(maildir::flags_of(c.loc.file), d.if_contains("keywords"));
      r = row_at(c.id, c.loc, c.mtime_ns, d, prev->idem);
    } else {
      std::string content;
      try {
        content = maildir::read_crlf(dir_of(root_, c.loc.folder) / c.loc.sub / c.loc.file);
      } catch (const std::system_error&) {
        continue;  // gone between the listing and now: the next scan sees it
      }
      std::string a = maildir::info_field(c.loc.file, 'A');
      if (!a.empty())
        if (auto holder = log_->by_idem(a); holder && holder->id != c.id && !holder->hash.empty()) {
          Location at = Location::of(holder->hash);
          std::error_code ec;
          if (fs::exists(dir_of(root_, at.folder) / at.sub / at.file, ec)) {
            // a copy of a message (another folder): the key stays where it is, so the two never swap
            logger_(ACCORD_LOG_INFO, c.loc.folder + "/" + c.loc.sub + "/" + c.loc.file + " is a copy of " +
                                         at.folder + "/" + at.sub + "/" + at.file + " (one key, " + a +
                                         "): both are listed, the key stays with the first");
            a.clear();
          }
        }
      r = row_at(c.id, c.loc, c.mtime_ns, message_data(content, c.loc, name_of(c.loc.folder), c.mtime_ns, nullptr,
                                                                   options_.fallback_charset),
                 a.empty() ? std::nullopt : std::optional<std::string>(a));
    }
    log_->put(r);
  }
  for (auto& [id, r] : indexed) {
    if (seen.contains(id)) continue;
    Row gone;
    gone.id = id;
    gone.deleted = true;
    log_->put(gone);
  }
  if (check_names) db_.exec(kNamesChecked);
  db_.exec("DELETE FROM meta WHERE key LIKE 'maildir.ctime:%'");
  for (const auto& [key, v] : ctime_now)
    if (v != "0")
      Stmt(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)").bind(1, kCtimeKey + key).bind(2, v).run();
  tx.commit();
  scanned_ = true;
}

std::optional<std::string> MaildirBackend::after_commit(const std::string& stream, const std::string& cursor,
                                                        std::string_view written_json) {
  check_stream(stream);
  if (read_only_) return std::nullopt;
  return log_->past_own_writes(cursor, written_json);
}

std::string MaildirBackend::read_changes(const std::string& stream, const std::string& cursor) {
  check_stream(stream);
  remove_leftovers();
  if (log_->starts_listing(cursor)) scan();
  return log_->read_batch(cursor, batch_);
}

namespace {
// The bodies the host hands over as parts of one file a fetch call
// (accord.lazy_files.v1's RANGES), each read with one pread through a
// descriptor the call keeps open for that file, not an open, three seeks, a
// read and a close each (issue 22: a first pull's every message). Anything
// else (base64 text, a file of its own, a part named oddly) is read as
// mail::lazy_bytes reads it, which says what is wrong.
class HandedParts {
 public:
  HandedParts() = default;
  HandedParts(const HandedParts&) = delete;
  HandedParts& operator=(const HandedParts&) = delete;
  ~HandedParts() {
    for (auto& [path, f] : open_) ::close(f.fd);
  }
  std::optional<std::string> read(const json::value& raw, std::string& why) {
    const json::object* ref = raw.if_object();
    const json::value* file = ref ? ref->if_contains("$file") : nullptr;
    auto count = [&](std::string_view key) -> std::optional<uint64_t> {
      const json::value* n = ref ? ref->if_contains(key) : nullptr;
      if (n && n->is_uint64()) return n->get_uint64();
      if (n && n->is_int64() && n->get_int64() >= 0) return static_cast<uint64_t>(n->get_int64());
      return std::nullopt;
    };
    std::optional<uint64_t> offset = count("offset"), length = count("length");
    if (!file || !file->is_string() || !offset || !length) return mail::lazy_bytes(raw, why);
    std::string path(file->get_string());
    auto at = open_.find(path);
    if (at == open_.end()) {
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      struct stat st {};
      if (fd >= 0 && ::fstat(fd, &st) != 0) ::close(fd), fd = -1;
      if (fd < 0) return mail::lazy_bytes(raw, why);  // (says why)
      at = open_.emplace(path, Open{fd, static_cast<uint64_t>(st.st_size)}).first;
    }
    const Open& f = at->second;
    if (*offset > f.size || *length > f.size - *offset) {
      why = "names a part beyond the end of " + path;
      return std::nullopt;
    }
    std::string out(static_cast<size_t>(*length), '\0');
    for (size_t done = 0; done < out.size();) {
      ssize_t n = ::pread(f.fd, out.data() + done, out.size() - done, static_cast<off_t>(*offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        why = "names a file that cannot be read: " + path;
        return std::nullopt;
      }
      done += static_cast<size_t>(n);
    }
    return out;
  }
  // no part of this file is read any more
  void close(const std::string& path) {
    if (auto at = open_.find(path); at != open_.end()) {
      ::close(at->second.fd);
      open_.erase(at);
    }
  }

 private:
  struct Open {
    int fd;
    uint64_t size;
  };
  std::map<std::string, Open> open_;
};
}  // namespace

std::string MaildirBackend::apply(const std::string& stream, std::string_view ops_json) {
  check_stream(stream);
  std::vector<Op> ops = accord::kit::parse_ops(ops_json);
  remove_leftovers();
  // A re-sent create may have reached the disk before a crash stopped the
  // index: its key is in the file name, which a scan indexes.
  // One scan of this instance is enough: a run killed later is another instance.
  if (!scanned_ && std::any_of(ops.begin(), ops.end(), [](const Op& o) { return o.resend; })) scan();
  struct Staged {
    size_t result;
    std::string folder;
    fs::path dir;
    std::string tmp_name;
    std::set<char> letters;
    std::string tag;
    ContentFields fields;  // what the record takes from the content (not the content: issue 22 item 5)
    json::value keywords;  // as the op gave them
    int64_t mtime_ns;      // the file's modification time as stage() set it; -1: stat it once published
    bool key_held;         // a tombstone holds its key (put() frees it; else put_unheld)
  };
  std::vector<Staged> staged;
  // Body files the host handed over are taken (ACCORD_LAZY_FILES_TAKE):
  // each removed once every create of this call that names it (a part each,
  // ACCORD_LAZY_FILES_RANGES) has read it or needs it no more, before this
  // call's flush, which flushes the whole file system and with it the
  // host's spool beside the state. Removed before it is written back, a
  // file costs the disk nothing; after, a block allocated, written and
  // discarded (issue 22). (Not renamed into tmp/: the file holds CRLF line
  // ends, the Maildir's LF.) A file is a copy of the source's body: a
  // failure or a kill from here on fetches it again.
  auto handed = [](const Op& o) -> std::string {
    const json::value* raw = o.op == "create" ? o.data.if_contains(mail::kRawField) : nullptr;
    const json::value* f = raw && raw->is_object() ? raw->get_object().if_contains("$file") : nullptr;
    return f && f->is_string() ? std::string(f->get_string()) : std::string();
  };
  std::map<std::string, size_t> readers;
  for (const Op& o : ops)
    if (std::string f = handed(o); !f.empty()) ++readers[f];
  HandedParts parts;
  auto done_with_body = [&](const Op& o) {
    std::string f = handed(o);
    auto r = f.empty() ? readers.end() : readers.find(f);
    if (r != readers.end() && --r->second == 0) {
      parts.close(f);
      ::unlink(f.c_str());
    }
  };
  Transaction tx(db_);
  // the index's counter read once and written once before the commit, not
  // an UPDATE … RETURNING a row (a third of a create's index cost: issue 22)
  std::optional<RecordLog::HeldSeq> seq(std::in_place, *log_);
  // what one op throws is its result; a full disk says so
  std::vector<OpResult> results = accord::kit::apply_each(
      ops,
      [&](const Op& op) -> OpResult {
        try {
          if (op.op == "create") {
            std::string tag = key_tag(op.idempotency_key);
            bool key_held = false;
            if (!tag.empty()) {
              auto existing = log_->by_idem(tag, key_held);
              if (existing && !existing->deleted) {
                done_with_body(op);
                return OpResult::ok(existing->id, existing->version);
              }
            }
            auto* raw = op.data.if_contains(mail::kRawField);
            if (!raw)
              return OpResult::error("a new message needs its body in \"raw\" (base64 of the RFC 5322 "
                                     "message); the host fetches it from the other side");
            std::string why;
            // base64 text, or a file the host handed over (or a part of one)
            auto bytes = parts.read(*raw, why);
            done_with_body(op);
            if (!bytes) return OpResult::error("\"raw\" " + why);
            std::string folder = on_disk(mail::first_mailbox(op.data, "INBOX"));
            fs::path dir = made(folder);
            std::set<char> letters;
            if (auto* k = op.data.if_contains("keywords"); k && k->is_object())
              letters = mail::letters_from_keywords(k->get_object());
            std::optional<int64_t> mtime;
            if (auto* t = op.data.if_contains("receivedAt"); t && t->is_string())
              mtime = mail::rfc3339_seconds(t->get_string());
            // W= is the size with CRLF line ends (as IMAP counts it); the file ends lines in LF
            uint64_t crlf_size = mail::crlf_size(*bytes);
            std::string info = ",W=" + std::to_string(crlf_size) + (tag.empty() ? "" : ",A=" + tag);
            // kept with CRLF line ends (read so, and written with LF a piece at a
            // time): one copy of a large message, not two
            std::string content = std::move(*bytes);
            // written to tmp/ now; flushed, moved into place and indexed below, all at once
            json::value kw = op.data.contains("keywords") ? op.data.at("keywords") : json::value();
            ContentFields fields = content_fields(content, options_.fallback_charset, false);
            fields.crlf_size = crlf_size;  // (the name says it too)
            int64_t mtime_ns = -1;
            std::string tmp_name = maildir::stage(dir, content, mtime, info, false, true, &mtime_ns);
            staged.push_back({static_cast<size_t>(&op - ops.data()), folder, dir, std::move(tmp_name), letters, tag,
                              std::move(fields), std::move(kw), mtime_ns, key_held});
            return OpResult::ok("");  // answered once the index holds it
          }
          auto cur = log_->get(op.id);
          if (!cur || cur->deleted || !cur->data)
            return OpResult::error("no message " + op.id + " in " + root_.string(), op.id);
          Location loc = Location::of(cur->hash);
          fs::path dir = dir_of(root_, loc.folder);
          fs::path path = dir / loc.sub / loc.file;
          std::error_code ec;
          if (!fs::exists(path, ec))
            return OpResult::conflict("the message file moved or went since it was read", op.id, cur->version);
          if (op.expect_version && *op.expect_version != cur->version)
            return OpResult::conflict("the message changed since version " + *op.expect_version + " (now " +
                                          cur->version + ")",
                                      op.id, cur->version);
          if (op.op == "delete") {
            if (::unlink(path.c_str()) != 0)
              throw accord::Error(ACCORD_ERROR, path.string() + ": cannot delete: " + std::strerror(errno));
            Row gone;
            gone.id = op.id;
            gone.deleted = true;
            log_->put(gone);
            return OpResult::ok(op.id);
          }
          std::set<char> letters = maildir::flags_of(loc.file);
          if (auto* k = op.data.if_contains("keywords"); k && k->is_object()) {
            std::set<char> want = mail::letters_from_keywords(k->get_object());
            if (letters.contains('T')) want.insert('T');  // trashed is not a keyword: kept as it was
            letters = want;
          }
          std::string name = mail::first_mailbox(op.data, name_of(loc.folder));
          std::string folder = name == name_of(loc.folder) ? loc.folder : on_disk(name);
          Location to = loc;
          if (folder != loc.folder) {
            fs::path target = made(folder);
            to = Location{folder, "cur", maildir::with_flags(loc.file, letters)};
            if (::rename(path.c_str(), (target / "cur" / to.file).c_str()) != 0)
              throw accord::Error(ACCORD_ERROR, path.string() + ": cannot move to " + name + ": " + std::strerror(errno));
            moved_out_[loc.folder].insert(folder);
          } else if (letters != maildir::flags_of(loc.file) || loc.sub == "new") {
            to = Location{folder, "cur", maildir::set_flags(dir, loc.file, letters)};
          }
          json::object d = json::parse(*cur->data).get_object();
          d["mailboxIds"] = json::object{{name_of(to.folder), true}};
          const json::value* kw = op.data.if_contains("keywords");
          d["keywords"] = mail::keywords_from_letters(maildir::flags_of(to.file), kw ? kw : d.if_contains("keywords"));
          Row r = row_at(op.id, to, mtime_ns_of(dir_of(root_, to.folder) / to.sub / to.file), d, cur->idem);
          log_->put(r);
          // answered as a listing gives it (see apply's results below)
          OpResult done = OpResult::ok(r.id, r.version);
          done.data = std::move(d);
          return done;
        } catch (const std::system_error& e) {
          if (e.code().category() == std::generic_category() && is_disk_full_errno(e.code().value()))
            return OpResult::error(disk_full(root_, e.what(), "the message was not written").what(), op.id);
          throw;
        }
      },
      cancelled);
  // Nothing reads the ops again: their data goes before the answer is made
  // (a folder renamed is a call of thousands of moves, each answered with
  // its record's data: the ops' copy too was the peak of such a run).
  std::vector<Op>().swap(ops);
  std::vector<std::string> published;
  // a new message's record as the index holds it (its JSON text), by result:
  // its answer's data, written once, not serialized a second time from an object
  std::vector<std::string> answer_data(results.size());
  bool index_was_full = false;
  try {
    if (!staged.empty()) {
      // one flush for every new message, then the renames, then the folders:
      // a crash before the index commits leaves files whose names carry their keys
      maildir::sync_filesystem(root_);
      std::set<std::pair<std::string, const char*>> dirs;  // folder directory, sub (a path each, made once)
      for (auto& st : staged) {
        try {
          std::string name = maildir::publish(st.dir, st.tmp_name, st.letters);
          st.tmp_name.clear();
          const char* sub = st.letters.empty() ? "new" : "cur";
          Location loc{st.folder, sub, name};
          std::string at = st.dir.native() + "/" + sub + "/" + name;  // (a string: no path parsed a message)
          dirs.emplace(st.dir.native(), sub);
          try {
            // a rename keeps the time stage() set (a stat a message less: issue 22)
            int64_t mns = st.mtime_ns >= 0 ? st.mtime_ns : mtime_ns_of(at);
            json::object d = message_data(std::move(st.fields), loc, name_of(loc.folder), mns, &st.keywords);
            Row r = row_at(std::string(maildir::unique_of(name)), loc, mns, d,
                           st.tag.empty() ? std::nullopt : std::optional<std::string>(st.tag));
            // (a key a tombstone holds is freed by put(); one none holds needs no freeing)
            if (st.key_held) log_->put(r);
            else log_->put_unheld(r);
            // The record as a listing gives it (this file's size, date,
            // header digest and structure), so that the host keeps this
            // form, not the other store's it sent: a write after_commit
            // moves the cursor past is never read back to correct it
            results[st.result] = OpResult::ok(r.id, r.version);
            answer_data[st.result] = std::move(*r.data);  // the text the index holds (see the answer below)
            published.push_back(at);
          } catch (...) {
            // not indexed: not delivered either, so that the error answered holds
            index_was_full = index_was_full || index_full(db_);
            ::unlink(at.c_str());
            throw;
          }
        } catch (const std::exception& e) {
          results[st.result] = OpResult::error(e.what());
          answer_data[st.result].clear();
        }
      }
      for (const auto& [d, sub] : dirs) maildir::fsync_dir(fs::path(d) / sub);
    }
    seq->write();
    seq.reset();  // (a later put numbers its row from the table again)
    tx.commit();
    if (!moved_out_.empty()) remove_renamed();
  } catch (const std::exception& e) {
    // Nothing of the batch was recorded: the new messages go again (an
    // error answered means they were not delivered; a retry delivers them
    // once). Moves and flag changes stay on disk, and the next scan reads them.
    bool full = index_was_full || index_full(db_);  // before the rollback resets the code
    for (auto& st : staged)
      if (!st.tmp_name.empty()) ::unlink((st.dir / "tmp" / st.tmp_name).c_str());
    for (const auto& p : published) ::unlink(p.c_str());
    auto* se = dynamic_cast<const std::system_error*>(&e);
    if (full || (se && se->code().category() == std::generic_category() && is_disk_full_errno(se->code().value())))
      throw disk_full(full ? fs::path(db_.path()).parent_path() : root_, e.what(), "no new message was delivered");
    throw;
  }
  // accord::kit::results_json's text, each create's data spliced in as the
  // index holds it (an object's last '}' then ,"data":{…}})
  std::string out = "[";
  for (size_t i = 0; i < results.size(); ++i) {
    if (i) out += ',';
    out += json::serialize(results[i].to_json());
    if (!answer_data[i].empty()) {
      out.pop_back();
      out += ",\"data\":";
      out += answer_data[i];
      out += '}';
    }
  }
  out += ']';
  return out;
}

std::string MaildirBackend::fetch(const std::string& stream, std::string_view ids_json) {
  return fetch_into(stream, ids_json, nullptr);
}

std::string MaildirBackend::fetch_files(const std::string& stream, std::string_view ids_json, const std::string& dir) {
  return fetch_into(stream, ids_json, &dir);
}

// fetch, or (dir set: accord.lazy_files.v1) fetch with each message's body
// written to a file in dir, its lines ended in CRLF as the raw field's text
// would carry them, copied in pieces (never a second copy in memory).
std::string MaildirBackend::fetch_into(const std::string& stream, std::string_view ids_json, const std::string* dir) {
  check_stream(stream);
  json::array out;
  for (const auto& id : accord::kit::parse_ids(ids_json)) {
    auto r = log_->get(id);
    if (!r || r->deleted || !r->data) continue;
    Location loc = Location::of(r->hash);
    json::object d = json::parse(*r->data).get_object();
    if (dir) {
      auto to = copy_crlf(dir_of(root_, loc.folder) / loc.sub / loc.file, *dir);
      if (!to) continue;  // gone since it was listed: the next listing says so
      d[mail::kRawField] = json::object{{"$file", *to}};
    } else {
      std::string content;
      try {
        content = read_file(dir_of(root_, loc.folder) / loc.sub / loc.file);
      } catch (const accord::Error&) {
        continue;  // gone since it was listed: the next listing says so
      }
      d[mail::kRawField] = mail::base64_encode(mail::to_crlf(content));
    }
    json::object rec{{"id", r->id}, {"version", r->version}, {"modified", r->modified}, {"data", std::move(d)}};
    if (r->idem) rec["idempotency_key"] = *r->idem;  // the key as the file name holds it
    out.push_back(std::move(rec));
  }
  return json::serialize(json::object{{"records", std::move(out)}});
}

}  // namespace local
