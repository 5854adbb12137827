// SPDX-License-Identifier: Apache-2.0
#include "folder_backend.hpp"

#include <accord/text/content_hash.hpp>
#include <accord/time/utc_time.hpp>

#include "files.hpp"
#include <accord/kit/atomic_write.hpp>
#include <accord/kit/check.hpp>
#include <accord/kit/failpoint.hpp>

#include <boost/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <set>
#include <unordered_set>

namespace fs = std::filesystem;
namespace json = boost::json;
namespace collection = accord::formats::collection;

namespace local {

namespace {

std::string rfc3339_from_ns(int64_t ns) {
  return accord::utc::format(ns / 1000000000, accord::utc::Form::kTimestampMillis, static_cast<int>(ns / 1000000 % 1000));
}

// A record id is a file name, or "<file>#<member key>" for a record of a
// file that holds several.
std::string file_of(const std::string& id) { return id.substr(0, id.find('#')); }

fs::path prepare_folder(const fs::path& folder, const fs::path& index) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) throw accord::Error(ACCORD_ERROR, folder.string() + ": cannot create the folder: " + ec.message());
  fs::create_directories(index.parent_path(), ec);
  if (ec) throw accord::Error(ACCORD_ERROR, index.parent_path().string() + ": cannot create: " + ec.message());
  return index;
}

}  // namespace

FolderBackend::FolderBackend(fs::path folder, fs::path index, std::map<std::string, FileFormat> formats,
                             size_t batch_size, Logger log, FormatFactory factory, bool read_only)
    : folder_(std::move(folder)),
      read_only_(read_only),
      db_(read_only ? std::string(":memory:") : prepare_folder(folder_, index).string()),
      batch_(batch_size),
      log_(std::move(log)),
      factory_(std::move(factory)) {
  if (read_only_) copy_read_only(db_, index.string());
  for (auto& [name, f] : formats) streams_[name] = Stream{std::move(f), nullptr, folder_};
}

void FolderBackend::check_stream(const std::string& name) const {
  if (streams_.contains(name)) return;
  if (factory_) {
    check_stream_name(name);
    if (factory_(name)) return;
  }
  std::string have;
  for (const auto& [n, s] : streams_) have += (have.empty() ? "" : ", ") + n;
  throw accord::Error(ACCORD_UNSUPPORTED, "this folder backend has no stream \"" + name + "\" (it has: " + have + ")");
}

// accord.check.v1: each record as a create would write it (serialize) and
// the index would then hold it (parse), the same converters as a write,
// nothing written; null for one the converter refuses (the write would
// answer its error).
std::string FolderBackend::check_records(const std::string& name, std::string_view records_json) {
  auto it = streams_.find(name);
  if (it == streams_.end() || factory_) {
    check_stream(name);
    throw accord::Error(ACCORD_UNSUPPORTED, "a JSON folder keeps every field as it is sent");
  }
  const FileFormat& f = it->second.format;
  return accord::kit::check_each(
      records_json,
      [&](const json::object& r) -> json::value {
        auto parsed = f.parse(f.serialize(r, "", {}));
        return parsed.mine ? json::value(std::move(parsed.data)) : json::value(nullptr);
      },
      [&] {
        if (cancelled()) throw accord::Error(ACCORD_CANCELLED, "cancelled");
      });
}

FolderBackend::Stream& FolderBackend::stream(const std::string& name) {
  auto it = streams_.find(name);
  if (it == streams_.end() && factory_)
    if (auto f = factory_(name)) {
      fs::path dir = folder_ / name;
      std::error_code ec;
      if (!read_only_) fs::create_directories(dir, ec);
      if (ec) throw accord::Error(ACCORD_ERROR, dir.string() + ": cannot create: " + ec.message());
      it = streams_.emplace(name, Stream{std::move(*f), nullptr, dir}).first;
    }
  if (it == streams_.end()) {
    check_stream(name);
    throw accord::Error(ACCORD_UNSUPPORTED, "this folder backend has no stream \"" + name + "\"");
  }
  if (!it->second.log) {
    it->second.log = std::make_unique<RecordLog>(db_, name);
    if (!read_only_) remove_leftovers(it->second);
  }
  return it->second;
}

void FolderBackend::remove_leftovers(const Stream& s) {
  // ".<file name>.tmp-<pid>", as write_file names them; nothing else
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(s.dir, ec)) {
    std::string n = e.path().filename().string();
    size_t at = n.rfind(".tmp-");
    if (!n.starts_with(".") || at == std::string::npos || at <= s.format.extension.size()) continue;
    std::string target = n.substr(1, at - 1), pid = n.substr(at + 5);
    if (!target.ends_with(s.format.extension) || pid.empty() || pid.size() > 9 ||
        !std::all_of(pid.begin(), pid.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    std::error_code fe;
    if (!e.is_regular_file(fe) || !leftover_of_killed_write(std::stoll(pid), stat_of(e.path()).ctime_ns)) continue;
    if (::unlink(e.path().c_str()) == 0)
      log_(ACCORD_LOG_INFO, e.path().string() + ": removed the temporary file of a write that was interrupted");
  }
}

void FolderBackend::scan(const std::string& name) {
  Stream& s = stream(name);
  RecordLog& log = *s.log;
  std::map<std::string, Row> indexed;
  std::map<std::string, std::vector<std::string>> ids_of;  // file → the ids of its records
  for (auto& r : log.all_live_meta()) {
    ids_of[file_of(r.id)].push_back(r.id);
    indexed.emplace(r.id, std::move(r));
  }

  struct Changed {
    std::string id;
    Stat st;
    std::string text;
  };
  std::vector<Changed> changed;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(s.dir, ec)) {
    std::string fname = e.path().filename().string();
    if (fname.starts_with(".") || !fname.ends_with(s.format.extension) || !e.is_regular_file()) continue;
    Stat st = stat_of(e.path());
    if (auto f = ids_of.find(fname); f != ids_of.end()) {
      bool same = true;
      for (const auto& id : f->second) {
        Row& r = indexed.at(id);
        r.seq = -1;  // seen
        same = same && r.size == st.size && r.mtime_ns == st.mtime_ns;
      }
      if (same) continue;
    } else if (log.is_ignored(fname, st.size, st.mtime_ns)) {
      continue;
    }
    changed.push_back({fname, st, ""});
  }
  // (read-only, a folder still to be created lists nothing)
  if (ec && !(read_only_ && ec == std::errc::no_such_file_or_directory))
    throw accord::Error(ACCORD_ERROR, s.dir.string() + ": cannot list: " + ec.message());
  // Oldest change first.
  std::sort(changed.begin(), changed.end(), [](const Changed& a, const Changed& b) {
    return a.st.mtime_ns != b.st.mtime_ns ? a.st.mtime_ns < b.st.mtime_ns : a.id < b.id;
  });
  Transaction tx(db_);
  try {
    size_t n = 0;
    for (auto& c : changed) {
      if (++n % 256 == 0 && cancelled()) throw accord::Error(ACCORD_CANCELLED, "cancelled");
      std::string text;
      try {
        text = read_file(s.dir / c.id);
      } catch (const accord::Error& e) {
        log_(ACCORD_LOG_WARN, e.what());
        continue;
      }
      // A file of many records is read member by member; one of a single
      // record (or one the splitter cannot take) whole, as it always was.
      struct Unit {
        std::string key, uid, text;
        bool duplicate = false;
        std::vector<size_t> lines;  // where its components begin in the file (1-based)
      };
      // the line of a byte offset of the file, for messages a person acts on
      std::vector<size_t> newlines;  // found once: a calendar holds thousands of members
      auto line_at = [&](size_t offset) {
        if (newlines.empty())
          for (size_t i = text.find('\n'); i != std::string::npos; i = text.find('\n', i + 1)) newlines.push_back(i);
        return static_cast<size_t>(1 + (std::lower_bound(newlines.begin(), newlines.end(), offset) - newlines.begin()));
      };
      std::vector<Unit> units;
      bool whole_file = false;
      std::string split_error;
      if (s.format.split) {
        std::vector<collection::Member> ms;
        try {
          ms = s.format.split(text);
        } catch (const std::exception& e) {
          split_error = e.what();  // said (with its line) where the single-record reader fails too
        }
        if (ms.size() > 1 || (ms.size() == 1 && ms[0].duplicate)) {
          whole_file = true;
          for (auto& m : ms)
            if (m.type == s.format.component) {
              std::vector<size_t> at;
              for (const auto& sp : m.spans) at.push_back(line_at(sp.first));
              units.push_back({m.key, m.uid, std::move(m.text), m.duplicate, std::move(at)});
            }
        }
      }
      if (!whole_file) units.push_back({"", "", text, false, {}});
      const std::vector<std::string> none;
      auto f = ids_of.find(c.id);
      const std::vector<std::string>& had = f == ids_of.end() ? none : f->second;
      const std::unordered_set<std::string> had_set(had.begin(), had.end());  // a calendar holds thousands
      auto has = [&](const std::string& id) { return had_set.contains(id); };
      // The id of a member: the one it had, also across a change between
      // one record and several in its file.
      auto id_for = [&](const std::string& key, const std::string& uid) {
        std::string member_id = c.id + "#" + collection::encode_key(key);
        if (!whole_file) {
          if (has(c.id) || key.empty() || !has(member_id)) return c.id;
          return member_id;
        }
        if (has(member_id) || !has(c.id) || uid.empty()) return member_id;
        auto row = log.get(c.id);
        if (row && row->data)
          if (auto* u = json::parse(*row->data).as_object().if_contains("uid"); u && u->is_string() && u->get_string() == uid)
            return c.id;
        return member_id;
      };
      std::set<std::string> produced;
      // A record the file holds that cannot be read: listed with what, where
      // and the fix ("problem", accord status shows it), its last good data
      // and key kept in the index, the file left as it is; said once per
      // change of the file.
      auto problem = [&](const std::string& id, const std::string& unit_text, const std::string& why) {
        log_(ACCORD_LOG_WARN, why);
        produced.insert(id);
        std::string hash = accord::hash::content_hash(unit_text);
        auto row = log.get(id);
        if (row && !row->deleted && row->problem == why && row->hash == hash) {
          log.touch_stat(id, c.st.size, c.st.mtime_ns);
          return;
        }
        Row r = row && !row->deleted ? std::move(*row) : Row{};
        r.id = id;
        r.version = r.hash = hash;
        r.size = c.st.size;
        r.mtime_ns = c.st.mtime_ns;
        r.modified = rfc3339_from_ns(c.st.mtime_ns);
        r.problem = why;
        log.put(r);
      };
      auto lines_text = [](const std::vector<size_t>& at) {
        std::string t = at.size() > 1 ? "lines " : "line ";
        for (size_t i = 0; i < at.size() && i < 6; ++i)
          t += (i == 0 ? "" : i + 1 == at.size() ? " and " : ", ") + std::to_string(at[i]);
        return t + (at.size() > 6 ? ", …" : "");
      };
      std::string path = (s.dir / c.id).string();
      std::map<std::string, std::vector<size_t>> dup_lines;  // cards of one UID are members each
      for (const auto& u : units)
        if (u.duplicate) dup_lines[u.key].insert(dup_lines[u.key].end(), u.lines.begin(), u.lines.end());
      for (auto& u : units) {
        if (u.duplicate) {
          std::vector<size_t>& at = dup_lines[u.key];
          std::sort(at.begin(), at.end());
          problem(id_for(u.key, u.uid), text,
                  path + ": " + lines_text(at) + ": " + std::to_string(std::max<size_t>(at.size(), 2)) + " " +
                      s.format.component + "s carry the UID \"" + u.uid +
                      "\": none is read or written until one remains (remove the others or give them UIDs of "
                      "their own); the file is left as it is");
          continue;
        }
        // a member of a whole file whose bytes the index has: not parsed again
        // (one event changed in a calendar of thousands parses that one)
        if (whole_file) {
          std::string id = id_for(u.key, u.uid);
          if (auto it = indexed.find(id); it != indexed.end() && it->second.hash == accord::hash::content_hash(u.text)) {
            produced.insert(id);
            log.touch_stat(id, c.st.size, c.st.mtime_ns);
            continue;
          }
        }
        FileFormat::Parsed parsed;
        try {
          parsed = s.format.parse(u.text);
        } catch (const std::exception& e) {
          if (whole_file) {
            problem(id_for(u.key, u.uid), u.text,
                    path + ": " + lines_text(u.lines) + " (UID \"" + u.uid + "\"): cannot be read: " + e.what() +
                        "; the file is left as it is: fix that " + s.format.component);
          } else {
            std::string why = path + ": cannot be read: " + (split_error.empty() ? e.what() : split_error) +
                              "; the file is left as it is: fix it or move it away";
            // its records, if any, keep their last good data and are listed as unreadable
            if (had.empty()) problem(c.id, text, why);
            for (const auto& id : had) problem(id, text, why);
          }
          continue;
        }
        if (!parsed.mine) continue;
        std::string uid = u.uid;
        if (!whole_file)
          if (auto* x = parsed.data.if_contains("uid"); x && x->is_string()) uid = x->get_string();
        std::string id = id_for(whole_file ? u.key : uid, uid);
        produced.insert(id);
        std::string hash = accord::hash::content_hash(u.text);
        if (auto it = indexed.find(id); it != indexed.end() && it->second.hash == hash) {
          log.touch_stat(id, c.st.size, c.st.mtime_ns);
          continue;
        }
        if (!parsed.idem.empty())
          if (auto holder = log.by_idem(parsed.idem);
              holder && holder->id != id && fs::exists(s.dir / file_of(holder->id))) {
            // Two files with one key: the file that holds it keeps it (so the
            // two never swap places in the index); this one is a record of its
            // own, without the key. Both stay.
            log_(ACCORD_LOG_WARN, (s.dir / c.id).string() + " carries the same " + s.format.key_name + " (" +
                                      parsed.idem + ") as " + holder->id +
                                      ", a copy: both are kept and listed, the key stays with " + holder->id +
                                      "; delete the one you do not want");
            parsed.idem.clear();
          }
        Row r;
        r.id = id;
        r.version = hash;
        r.hash = hash;
        r.size = c.st.size;
        r.mtime_ns = c.st.mtime_ns;
        r.modified = rfc3339_from_ns(c.st.mtime_ns);
        if (!parsed.idem.empty()) r.idem = parsed.idem;
        r.data = json::serialize(parsed.data);
        log.put(r);
      }
      if (produced.empty()) log.set_ignored(c.id, c.st.size, c.st.mtime_ns);  // said once per change
      else log.clear_ignored(c.id);
      // what the file no longer holds: a tombstone each
      for (const auto& id : had) {
        if (produced.contains(id)) continue;
        Row gone;
        gone.id = id;
        gone.deleted = true;
        log.put(gone);
        indexed.erase(id);
      }
    }
    for (auto& [id, r] : indexed) {
      if (r.seq == -1 || fs::exists(s.dir / file_of(id))) continue;  // seen, or unreadable but present
      Row gone;
      gone.id = id;
      gone.deleted = true;
      log.put(gone);
    }
    tx.commit();
    s.scanned = true;
  } catch (const accord::Error& e) {
    if (e.status() == ACCORD_ERROR && index_full(db_))
      throw disk_full(fs::path(db_.path()).parent_path(), e.what(), "the changes in " + s.dir.string() + " were not read");
    throw;
  }
}

std::string FolderBackend::read_changes(const std::string& name, const std::string& cursor) {
  Stream& s = stream(name);
  if (s.log->starts_listing(cursor)) scan(name);
  return s.log->read_batch(cursor, batch_);
}

std::string FolderBackend::file_name_for(const json::object& data, const FileFormat& f, const fs::path& dir) const {
  std::string base;
  if (auto* uid = data.if_contains("uid"); uid && uid->is_string()) {
    std::string u(uid->get_string());
    if (u.starts_with("urn:uuid:")) u = u.substr(9);
    for (char c : u) base += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '@') ? c : '-';
    if (base.size() > 100) base.resize(100);
  }
  if (base.empty()) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    char b[24];
    std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(rng()));
    base = b;
  }
  std::string name = base + f.extension;
  for (int n = 2; fs::exists(dir / name); ++n) name = base + "-" + std::to_string(n) + f.extension;
  return name;
}

void FolderBackend::write_file(const fs::path& p, const std::string& content) const {
  // temp file, the old file's mode and owner (a 0600 card stays private),
  // fsync, rename, fsync of the folder; through a symbolic link to its target
  try {
    accord::kit::atomic_write(p, content);
  } catch (const std::system_error& e) {
    if (e.code().category() == std::generic_category() && is_disk_full_errno(e.code().value()))
      throw disk_full(p.parent_path(), "writing " + p.filename().string() + ": " + e.code().message(),
                      "nothing of " + p.filename().string() + " was written");
    throw accord::Error(ACCORD_ERROR, e.what());
  }
}

std::string FolderBackend::apply(const std::string& name, std::string_view ops_json) {
  std::vector<Op> ops = accord::kit::parse_ops(ops_json);
  Stream& s = stream(name);
  // A re-sent create may have reached the folder before a crash stopped its
  // index commit (or a full disk failed it): the file carries its key, which
  // a rescan indexes, so the lookup below finds it. One scan of this
  // instance is enough: a run killed later is another instance.
  if (!s.scanned && std::any_of(ops.begin(), ops.end(), [](const Op& o) { return o.resend; })) scan(name);
  // each op in its own transaction; what one throws is its result
  return accord::kit::results_json(accord::kit::apply_each(
      ops,
      [&](const Op& op) {
        Transaction tx(db_);
        try {
          return apply_one(s, op, tx);
        } catch (const accord::Error& e) {
          // asked before tx rolls back, which resets SQLite's error code
          if (e.status() == ACCORD_ERROR && index_full(db_))
            throw disk_full(fs::path(db_.path()).parent_path(), e.what(),
                            op.is_create() ? std::string("the record was not written")
                                           : "the index has not recorded the " + op.op + " of " + op.id +
                                                 "; the next run reads the file as it is");
          throw;
        }
      },
      cancelled));
}

// A record just written into file p: its row in the index, committed (its
// version and data from `record`, its own text within the file; size and time
// from the file), and the answer saying what the store now holds.
OpResult FolderBackend::indexed(Stream& s, Transaction& tx, const fs::path& p, const std::string& id,
                                const std::string& record, const std::string& idem) {
  Stat st = stat_of(p);
  auto parsed = s.format.parse(record);
  Row r;
  r.id = id;
  r.version = r.hash = accord::hash::content_hash(record);
  r.size = st.size;
  r.mtime_ns = st.mtime_ns;
  r.modified = rfc3339_from_ns(st.mtime_ns);
  if (!idem.empty()) r.idem = idem;
  r.data = json::serialize(parsed.data);
  s.log->put(r);
  tx.commit();
  return stored(r.id, r.version, r.data);
}

OpResult FolderBackend::apply_one(Stream& s, const Op& op, Transaction& tx) {
  RecordLog& log = *s.log;
  if (op.op == "create") {
    if (!op.idempotency_key.empty())
      if (auto existing = log.by_idem(op.idempotency_key))
        return stored(existing->id, existing->version, existing->data);
    std::string fname = file_name_for(op.data, s.format, s.dir);
    std::string text = s.format.serialize(op.data, op.idempotency_key, {});
    fs::path p = s.dir / fname;
    write_file(p, text);
    accord::kit::failpoint("local.create.after_write");
    try {
      return indexed(s, tx, p, fname, text, op.idempotency_key);
    } catch (...) {
      // The index did not record the new file: take the file back, so that
      // the error answered means nothing was written and a retry, re-sent or
      // not, writes it once. Where even that fails, the file keeps its key
      // and a resend finds it.
      if (::unlink(p.c_str()) == 0) {
        try {
          accord::kit::fsync_dir(s.dir);
        } catch (const std::system_error&) {
        }
      } else {
        log_(ACCORD_LOG_WARN, p.string() + ": the index could not record this new file, nor could it be removed (" +
                                  std::strerror(errno) + "); a resend of its create finds it by its key");
        s.scanned = false;
      }
      throw;  // apply() says when the disk is full
    }
  }
  std::string fname = file_of(op.id);
  fs::path p = s.dir / fname;
  auto cur = log.get(op.id);
  if (fname.find('/') != std::string::npos || fname.starts_with(".") || fname.empty() || !fs::exists(p))
    return OpResult::error("no record " + op.id + " in " + s.dir.string(), op.id);
  std::string old = read_file(p);
  if (s.format.split) {
    // a record of a file that holds several: that member alone
    std::vector<collection::Member> ms;
    try {
      ms = s.format.split(old);
    } catch (const std::exception&) {
    }
    bool member_id = op.id.size() > fname.size();
    if (member_id || ms.size() > 1) {
      std::string key = member_id ? collection::decode_key(op.id.substr(fname.size() + 1)) : std::string();
      if (!member_id && cur && cur->data)
        if (auto* u = json::parse(*cur->data).as_object().if_contains("uid"); u && u->is_string()) key = u->get_string();
      for (const auto& m : ms)
        if (m.key == key && m.type == s.format.component) {
          if (m.duplicate)
            return OpResult::error(p.string() + ": two components carry the UID \"" + m.uid +
                                       "\"; neither is written until the file says which one is meant", op.id);
          return apply_to_member(s, op, tx, p, old, ms, m);
        }
      return OpResult::error("no record " + op.id + " in " + p.string() + " (it holds no \"" + key + "\" now)", op.id);
    }
  }
  std::string version = accord::hash::content_hash(old);
  if (op.expect_version && *op.expect_version != version)
    return OpResult::conflict("file changed since version " + *op.expect_version + " (now " + version + ")", op.id, version);
  Row r;
  r.id = op.id;
  if (op.op == "delete") {
    if (::unlink(p.c_str()) != 0)
      throw accord::Error(ACCORD_ERROR, p.string() + ": cannot delete: " + std::strerror(errno));
    accord::kit::fsync_dir(s.dir);
    r.deleted = true;
    log.put(r);
    tx.commit();
    return OpResult::ok(op.id);
  }
  // Keep what the old file held that the canonical form does not describe.
  std::vector<std::string> keep;
  std::string idem = cur && cur->idem ? *cur->idem : "";
  try {
    auto prev = s.format.parse(old);
    keep = std::move(prev.unknown);
    if (idem.empty()) idem = prev.idem;
  } catch (const std::exception& e) {
    // what a person wrote there is not written over: listed, it waits
    return OpResult::error(p.string() + ": cannot be read (" + e.what() +
                               "), so it is not written over: fix it (or move it away) and run again", op.id);
  }
  std::string text;
  if (s.format.rewrite) {
    try {
      text = s.format.rewrite(old, op.data, idem);  // only what changed
    } catch (const std::exception&) {
      text = s.format.serialize(op.data, idem, keep);  // an old file that does not parse
    }
  } else {
    text = s.format.serialize(op.data, idem, keep);
  }
  // a copy's key stays in its file, and with the file that holds it in the index
  if (!idem.empty())
    if (auto holder = log.by_idem(idem); holder && holder->id != op.id) idem.clear();
  write_file(p, text);
  return indexed(s, tx, p, op.id, text, idem);
}

// The other records of a whole file just written by one member's update or
// delete are as they were, byte for byte: where the index had read the file
// as it was before the write (their stat is its stat then), they take its
// new stat, so the next scan does not read the file again. A file changed
// behind our back since the index read it keeps the old stat: read again.
void FolderBackend::keep_siblings_current(Stream& s, const fs::path& p, const Stat& before, const std::string& written_id) {
  Stat after = stat_of(p);
  for (const auto& r : s.log->live_meta_of_file(p.filename().string()))
    if (r.id != written_id && r.size == before.size && r.mtime_ns == before.mtime_ns)
      s.log->touch_stat(r.id, after.size, after.mtime_ns);
}

OpResult FolderBackend::apply_to_member(Stream& s, const Op& op, Transaction& tx, const fs::path& p,
                                        const std::string& old, const std::vector<collection::Member>& members,
                                        const collection::Member& m) {
  RecordLog& log = *s.log;
  std::string version = accord::hash::content_hash(m.text);
  if (op.expect_version && *op.expect_version != version)
    return OpResult::conflict("record changed since version " + *op.expect_version + " (now " + version + ")", op.id,
                              version);
  Row r;
  r.id = op.id;
  if (op.op == "delete") {
    if (members.size() == 1) {  // its last record: the file goes, as a one-record file does
      if (::unlink(p.c_str()) != 0)
        throw accord::Error(ACCORD_ERROR, p.string() + ": cannot delete: " + std::strerror(errno));
      accord::kit::fsync_dir(s.dir);
    } else {
      Stat before = stat_of(p);
      accord::kit::failpoint("local.member.before_write");
      write_file(p, collection::splice(old, m, ""));
      accord::kit::failpoint("local.member.after_write");  // the file without it, the index not told
      keep_siblings_current(s, p, before, op.id);
    }
    r.deleted = true;
    log.put(r);
    tx.commit();
    return OpResult::ok(op.id);
  }
  auto cur = log.get(op.id);
  std::string idem = cur && cur->idem ? *cur->idem : "";
  std::vector<std::string> keep;
  try {
    auto prev = s.format.parse(m.text);
    keep = std::move(prev.unknown);
    if (idem.empty()) idem = prev.idem;
  } catch (const std::exception& e) {
    return OpResult::error(p.string() + ": the " + m.type + " with UID \"" + m.uid + "\" cannot be read (" + e.what() +
                               "), so it is not written over: fix it and run again", op.id);
  }
  std::string record;
  try {
    record = s.format.rewrite ? s.format.rewrite(m.text, op.data, idem) : s.format.serialize(op.data, idem, keep);
  } catch (const std::exception&) {
    record = s.format.serialize(op.data, idem, keep);
  }
  std::string text = s.format.put_back(old, m, record);
  // what the file holds now under this member's key (its UID, unless the update changed it)
  std::string now = record;
  try {
    for (auto& x : s.format.split(text))
      if (x.key == m.key) now = std::move(x.text);
  } catch (const std::exception&) {
  }
  if (!idem.empty())
    if (auto holder = log.by_idem(idem); holder && holder->id != op.id) idem.clear();
  Stat before = stat_of(p);
  accord::kit::failpoint("local.member.before_write");
  write_file(p, text);
  accord::kit::failpoint("local.member.after_write");  // the file holds it, the index not yet
  keep_siblings_current(s, p, before, op.id);
  return indexed(s, tx, p, op.id, now, idem);
}

std::string FolderBackend::fetch(const std::string& name, std::string_view ids_json) {
  return stream(name).log->records_json(accord::kit::parse_ids(ids_json));
}

}  // namespace local
