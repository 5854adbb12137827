// SPDX-License-Identifier: Apache-2.0
// The `local` connector: records kept on this machine, no account needed.
// Backends: sqlite (an embedded record store with a change feed), vcard (a
// folder of .vcf contacts), icalendar (a folder of .ics events and tasks).
#include "folder_backend.hpp"
#include "formats.hpp"
#include "sqlite_backend.hpp"
#include "vcard.hpp"
#include "icalendar.hpp"
#include "maildir_backend.hpp"
#include <accord/mail/message.hpp>

#include <accord/connector.hpp>
#include <accord/kit/manifest.hpp>

#include <boost/json.hpp>
#include <boost/json/src.hpp>

namespace json = boost::json;
namespace fs = std::filesystem;

namespace local {

namespace {

const accord::kit::Manifest& manifest() {
  using accord::kit::StreamInfo;
  static const accord::kit::Manifest m =
      accord::kit::ManifestBuilder("local", "Local files and store", "0.1.0",
                                   "Records on this machine: vCard (contacts), iCalendar (events, tasks), JSON (any "
                                   "stream) and Maildir (mail) folders, and an embedded SQLite store (any stream).")
          .custom_streams()
          .stream(StreamInfo("contact", "jscontact").with_fields(vcard::fields()))
          .stream(StreamInfo("event", "jscalendar-event").with_fields(icalendar::event_fields()))
          .stream(StreamInfo("task", "jscalendar-task").with_fields(icalendar::task_fields()))
          .stream(StreamInfo("note", "note").with_fields(icalendar::journal_fields()))
          // maildir: keywords are the five Maildir letters; one folder per message
          .stream(StreamInfo("message", "jmap-email").with_lazy({"/raw"}, "/size").with_placement({"/mailboxIds"}).with_fields(accord::mail::canonical_fields()))
          .store_identity({"backend", "path"})  // one folder or file
          .config_schema(R"schema({
      "type": "object",
      "additionalProperties": false,
      "required": ["backend", "path"],
      "properties": {
        "backend": {"type": "string", "enum": ["sqlite", "vcard", "icalendar", "json", "maildir"],
          "description": "sqlite: an embedded record store (any stream, a real change feed); vcard: a folder of .vcf files (stream contact); icalendar: a folder of .ics files (streams event and task); json: a folder per stream of .json files, one record each; maildir: a Maildir++ tree (stream message), as mbsync, Dovecot and mutt keep mail"},
        "path": {"type": "string", "minLength": 1, "format": "path",
          "description": "the SQLite file (sqlite: created by the first write, in a folder that must exist) or the folder (vcard, icalendar, json, maildir: the root, which is the INBOX; it must exist). ~ is your home folder"},
        "create": {"type": "boolean", "default": false,
          "description": "true: create the folder (or the sqlite file's folder) at the first run when it does not exist; false: a missing folder is an error (a typing mistake in path never makes an empty store that a run then fills)"},
        "index_path": {"type": "string", "minLength": 1, "format": "path",
          "description": "folder backends: where the change index lives (default <path>/.accord/index.sqlite)"},
        "vcard_version": {"type": "string", "enum": ["4.0", "3.0"], "default": "4.0",
          "description": "vcard: the version written (2.1, 3.0 and 4.0 are all read)"},
        "folder_names": {"type": "string", "enum": ["modified-utf-7", "utf-8"], "default": "modified-utf-7",
          "description": "maildir: how a new folder's name is spelled on disk: modified-utf-7 (.Entw&APw-rfe, as Dovecot and mbsync write it) or utf-8 (.Entwürfe, Dovecot's :UTF-8 layout); both are read, and a folder that exists keeps its spelling"},
        "fallback_charset": {"type": "string", "minLength": 1, "default": "windows-1252",
          "description": "maildir: the charset header bytes that are not UTF-8 are read in (undeclared 8-bit: From: Fran\\xe7ois); any charset iconv knows"},
        "batch_size": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1000,
          "description": "records per read_changes batch"}
      }})schema")
          .build();
  return m;
}

struct Config {
  std::string backend;
  fs::path path;
  fs::path index_path;
  std::string vcard_version;
  size_t batch_size = 1000;
  bool create = false;
  MaildirOptions maildir;
};

// The configuration, through the manifest's schema (types, the backend and
// vCard version enums, the batch size's range, defaults).
Config parse_config(std::string_view text) {
  const accord::kit::Config k = manifest().config(text);
  Config c{k.str("/backend"), k.path("/path"), k.path("/index_path"), k.str("/vcard_version"),
           static_cast<size_t>(k.integer("/batch_size")), k.boolean("/create"), {}};
  if (c.index_path.empty()) c.index_path = c.path / ".accord" / "index.sqlite";
  if (k.str("/folder_names") == "utf-8") c.maildir.folder_names = maildir::FolderNames::kUtf8;
  c.maildir.fallback_charset = k.str("/fallback_charset");
  if (!accord::mail::known_charset(c.maildir.fallback_charset))
    accord::kit::Config::fail("/fallback_charset", "is not a charset this system knows (\"" + c.maildir.fallback_charset +
                                                      "\"; `iconv --list` names them, e.g. windows-1252, iso-8859-2)");
  return c;
}

[[noreturn]] void bad(const std::string& msg) { throw accord::Error(ACCORD_ERROR, "config: " + msg); }

// The folder a store lives in must exist unless the config says to create
// it: a typing mistake in "path" must not become an empty store (which the
// other side's records would then fill). Read-only instances create nothing
// either way; a folder still to be created reads as empty.
void check_folder(const Config& c) {
  bool folder = c.backend != "sqlite";
  fs::path dir = folder ? c.path : c.path.parent_path();
  if (dir.empty()) return;  // a file in the current folder
  std::error_code ec;
  auto st = fs::status(dir, ec);
  if (fs::exists(st) && !fs::is_directory(st))
    bad((folder ? "\"path\" " : "the folder of \"path\" ") + dir.string() + " is not a folder");
  if (!fs::exists(st) && !c.create)
    bad("the folder " + dir.string() + " does not exist; create it, or set \"create\": true in the config");
  if (folder && fs::exists(c.path / ".accord") && !fs::is_directory(c.path / ".accord", ec))
    bad((c.path / ".accord").string() + " is not a folder");
}

class LocalConnector : public accord::Connector {
 public:
  LocalConnector(const accord::Host& host, std::string_view config) : Connector(host), read_only_(host.read_only()) {
    Config c = parse_config(config);
    watch_ = {{fs::absolute(c.path).lexically_normal().string()}, {}};
    if (c.backend != "sqlite") watch_.ignore.push_back(fs::absolute(c.index_path).parent_path().lexically_normal().string());
    check_folder(c);
    if (c.backend == "sqlite") {
      backend_ = std::make_unique<SqliteBackend>(c.path.string(), c.batch_size, read_only_);
    } else if (c.backend == "maildir") {
      backend_ = std::make_unique<MaildirBackend>(c.path, c.index_path, c.batch_size,
                                                  [this](int32_t level, const std::string& m) { this->host().log(level, m); },
                                                  read_only_, c.maildir);
    } else {
      auto formats = c.backend == "vcard"       ? vcard_formats(c.vcard_version)
                     : c.backend == "icalendar" ? icalendar_formats()
                                                : std::map<std::string, FileFormat>{};
      FolderBackend::FormatFactory factory;
      if (c.backend == "json") factory = json_format;
      backend_ = std::make_unique<FolderBackend>(c.path, c.index_path, std::move(formats), c.batch_size,
                                                 [this](int32_t level, const std::string& m) { this->host().log(level, m); },
                                                 std::move(factory), read_only_);
    }
    backend_->cancelled = [this] { return cancelled(); };
  }

  std::string read_changes(std::string_view stream, std::string_view cursor) override {
    return backend_->read_changes(std::string(stream), std::string(cursor));
  }
  std::string fetch(std::string_view stream, std::string_view ids) override {
    return backend_->fetch(std::string(stream), ids);
  }
  std::string fetch_files(std::string_view stream, std::string_view ids, std::string_view dir) override {
    return backend_->fetch_files(std::string(stream), ids, std::string(dir));
  }
  std::string apply(std::string_view stream, std::string_view ops) override {
    if (read_only_) throw accord::Error(ACCORD_UNSUPPORTED, "this instance was opened read-only: it writes nothing");
    return backend_->apply(std::string(stream), ops);
  }
  void check_stream(std::string_view stream) override { backend_->check_stream(std::string(stream)); }
  std::string check_records(std::string_view stream, std::string_view records_json) override {
    return backend_->check_records(std::string(stream), records_json);
  }
  std::optional<std::string> after_commit(std::string_view stream, std::string_view cursor,
                                          std::string_view written_json) override {
    return backend_->after_commit(std::string(stream), std::string(cursor), written_json);
  }
  const void* get_extension(std::string_view name) noexcept override {
    return name == ACCORD_STREAMS_V1                          ? accord::streams_extension()
           : name == ACCORD_AFTER_COMMIT_V1 && backend_->tells_after_commit() ? accord::after_commit_extension()
           : name == ACCORD_WATCH_V1                          ? accord::watch_extension()
           : name == ACCORD_CHECK_V1 && backend_->checks()        ? accord::check_extension()
           : name == ACCORD_LAZY_FILES_V1 && backend_->lazy_files() ? accord::lazy_files_extension(backend_->lazy_files_more())
                                                              : nullptr;
  }
  // accord.watch.v1: the folder (or the SQLite file), its index left out
  // (a read writes it)
  std::optional<WatchPaths> watch_paths(std::string_view stream) override {
    backend_->check_stream(std::string(stream));
    return watch_;
  }

 private:
  WatchPaths watch_;
  bool read_only_;
  std::unique_ptr<Backend> backend_;
};

}  // namespace

}  // namespace local

ACCORD_CONNECTOR(local::LocalConnector, local::manifest().c_str(),
                 ACCORD_CAP_READ | ACCORD_CAP_WRITE | ACCORD_CAP_DELETE | ACCORD_CAP_CHANGE_FEED |
                     ACCORD_CAP_IDEMPOTENT_CREATE | ACCORD_CAP_FETCH)
