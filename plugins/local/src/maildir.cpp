// SPDX-License-Identifier: Apache-2.0
#include "maildir.hpp"

#include <accord/kit/atomic_write.hpp>
#include <accord/text/ascii.hpp>
#include <accord/text/mutf7.hpp>

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <climits>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace local::maildir {

namespace {

constexpr std::string_view kFlagOrder = "DFPRST";

// A std::system_error (a std::runtime_error) that keeps errno, so that a
// full disk can be told apart.
[[noreturn]] void fail(const fs::path& p, const std::string& what) {
  int e = errno;
  throw std::system_error(e, std::generic_category(), p.string() + ": " + what);
}
[[noreturn]] void fail(const std::string& p, const std::string& what) {
  int e = errno;
  throw std::system_error(e, std::generic_category(), p + ": " + what);
}

bool is_maildir(const fs::path& d) {
  std::error_code ec;
  return fs::is_directory(d / "cur", ec) && fs::is_directory(d / "new", ec) && fs::is_directory(d / "tmp", ec);
}

// A host name as Maildir wants it in a file name: "/" and ":" escaped.
std::string safe_host() {
  char h[256] = {0};
  if (::gethostname(h, sizeof h - 1) != 0 || !h[0]) return "localhost";
  std::string out;
  for (const char* p = h; *p; ++p) {
    if (*p == '/') out += "\\057";
    else if (*p == ':') out += "\\072";
    else out += *p;
  }
  return out;
}

// The host part of this process's names, read once (a uname a message was
// a first pull's every message: issue 22); staged_by_us reads the same.
const std::string& host_part() {
  static const std::string host = safe_host();
  return host;
}

// This process's id, asked of the kernel once (a getpid a message, too): a
// fork's child asks again (pthread_atfork, removed with this plugin), so its
// names carry its own id, which staged_by_us reads to tell a killed writer's
// leftover in tmp/ from a running one's.
std::atomic<pid_t> known_pid{0};
pid_t our_pid() {
  pid_t p = known_pid.load(std::memory_order_relaxed);
  if (p != 0) return p;
  static const int registered =
      ::pthread_atfork(nullptr, nullptr, [] { known_pid.store(0, std::memory_order_relaxed); });
  p = ::getpid();
  if (registered == 0) known_pid.store(p, std::memory_order_relaxed);  // (else asked each time, as before)
  return p;
}

std::string unique_name(size_t size, std::string_view info) {
  static std::atomic<uint64_t> counter{0};
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(now).count();
  auto usec = std::chrono::duration_cast<std::chrono::microseconds>(now).count() % 1000000;
  return std::to_string(secs) + ".M" + std::to_string(usec) + "P" + std::to_string(our_pid()) + "Q" +
         std::to_string(++counter) + "." + host_part() + ",S=" + std::to_string(size) + std::string(info);
}

// dir/sub/name as one string: a message's paths, made a message at a time,
// without std::filesystem's parse of each into its parts
std::string join(const fs::path& dir, std::string_view sub, std::string_view name) {
  const std::string& d = dir.native();
  std::string out;
  out.reserve(d.size() + sub.size() + name.size() + 2);
  out += d;
  if (!out.empty() && out.back() != '/') out += '/';
  out += sub;
  out += '/';
  out += name;
  return out;
}

}  // namespace

void fsync_dir(const fs::path& d) {
  try {
    accord::kit::fsync_dir(d);
  } catch (const std::system_error&) {
    // best effort, as it always was here
  }
}

namespace {

// Calls f(part) for each "/"-separated part; the results joined by "/".
template <typename F>
std::optional<std::string> each_part(std::string_view name, F f) {
  std::string out;
  for (size_t start = 0;;) {
    size_t slash = name.find('/', start);
    std::optional<std::string> part = f(name.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (!part) return std::nullopt;
    out += *part;
    if (slash == std::string_view::npos) return out;
    out += '/';
    start = slash + 1;
  }
}

std::string part_name(std::string_view part) {
  return accord::mutf7::decode(part).value_or(std::string(part));
}

}  // namespace

std::optional<std::string> disk_name(std::string_view folder, FolderNames names) {
  if (folder == "INBOX") return std::string(folder);
  return each_part(folder, [&](std::string_view part) -> std::optional<std::string> {
    if (names == FolderNames::kUtf8 && accord::utf8::valid(part) && part_name(part) == part) return std::string(part);
    return accord::mutf7::encode(part);
  });
}

std::string folder_name(std::string_view disk) {
  return *each_part(disk, [](std::string_view part) -> std::optional<std::string> { return part_name(part); });
}

std::optional<std::pair<std::string_view, std::string_view>> special_use(std::string_view id) {
  static constexpr std::pair<std::string_view, std::string_view> kUses[] = {
      {"\\All", "All Mail"}, {"\\Archive", "Archive"},     {"\\Drafts", "Drafts"}, {"\\Flagged", "Flagged"},
      {"\\Important", "Important"}, {"\\Junk", "Junk"}, {"\\Sent", "Sent"},     {"\\Trash", "Trash"}};
  for (const auto& u : kUses)
    if (accord::ascii_iequals(id, u.first)) return u;
  return std::nullopt;
}

std::optional<fs::path> folder_dir(const fs::path& root, std::string_view folder) {
  if (folder == "INBOX") return root;
  if (folder.empty()) return std::nullopt;
  std::string dotted = ".";
  size_t start = 0;
  for (;;) {
    size_t slash = folder.find('/', start);
    std::string_view part = folder.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty() || part == "." || part == ".." || part.find('.') != std::string_view::npos) return std::nullopt;
    dotted += std::string(part);
    if (slash == std::string_view::npos) break;
    dotted += '.';
    start = slash + 1;
  }
  return root / dotted;
}

std::vector<std::string> list_folders(const fs::path& root) {
  std::vector<std::string> out;
  if (is_maildir(root)) out.emplace_back("INBOX");
  std::vector<std::string> rest;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    std::string n = e.path().filename().string();
    if (n.size() < 2 || n[0] != '.' || n == ".." || !is_maildir(e.path())) continue;
    std::string name = n.substr(1);
    for (char& c : name)
      if (c == '.') c = '/';
    rest.push_back(name);
  }
  std::sort(rest.begin(), rest.end());
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

void create_folder(const fs::path& root, std::string_view folder) {
  auto d = folder_dir(root, folder);
  if (!d) throw std::runtime_error("the folder name \"" + std::string(folder) + "\" cannot be stored in Maildir++ "
                                   "(empty parts and dots inside a name are not allowed)");
  for (const char* sub : {"cur", "new", "tmp"}) {
    std::error_code ec;
    fs::create_directories(*d / sub, ec);
    if (ec) throw std::runtime_error((*d / sub).string() + ": cannot create: " + ec.message());
  }
  if (*d != root) {
    int fd = ::open((*d / "maildirfolder").c_str(), O_WRONLY | O_CREAT, 0600);
    if (fd >= 0) ::close(fd);
  }
}

bool remove_empty_folder(const fs::path& root, std::string_view folder) {
  auto d = folder_dir(root, folder);
  if (!d || *d == root) return false;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(*d, ec)) {
    std::string name = e.path().filename().string();
    if (name == "maildirfolder") continue;
    if (name != "cur" && name != "new" && name != "tmp") return false;
    if (!fs::is_empty(e.path(), ec) || ec) return false;
  }
  if (ec) return false;
  for (const char* sub : {"cur", "new", "tmp"})
    if (::rmdir((*d / sub).c_str()) != 0 && errno != ENOENT) return false;
  ::unlink((*d / "maildirfolder").c_str());
  return ::rmdir(d->c_str()) == 0;
}

std::set<char> flags_of(std::string_view filename) {
  std::set<char> out;
  size_t i = filename.rfind(":2,");
  if (i == std::string_view::npos) return out;
  for (char c : filename.substr(i + 3))
    if (c >= 'A' && c <= 'Z') out.insert(c);
  return out;
}

std::string_view unique_of(std::string_view filename) {
  size_t i = filename.rfind(":2,");
  return i == std::string_view::npos ? filename : filename.substr(0, i);
}

std::string with_flags(std::string_view filename, const std::set<char>& flags) {
  std::string out(unique_of(filename));
  out += ":2,";
  for (char c : kFlagOrder)
    if (flags.contains(c)) out += c;
  return out;
}

std::string read_crlf(const fs::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(file, "cannot read");
  std::string piece(size_t(1) << 20, '\0'), out;
  // two passes: the size with CRLF first, then the bytes into a buffer of that size
  for (int pass = 0; pass < 2; ++pass) {
    uint64_t size = 0;
    char last = 0;
    if (pass == 1 && ::lseek(fd, 0, SEEK_SET) != 0) break;
    for (;;) {
      ssize_t n = ::read(fd, piece.data(), piece.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int e = errno;
        ::close(fd);
        errno = e;
        fail(file, "cannot read");
      }
      if (n == 0) break;
      for (ssize_t i = 0; i < n; ++i) {
        char c = piece[static_cast<size_t>(i)];
        if (c == '\n' && last != '\r') {
          ++size;
          if (pass == 1) out += '\r';
        }
        ++size;
        if (pass == 1) out += c;
        last = c;
      }
    }
    if (pass == 0) out.reserve(size);
  }
  ::close(fd);
  return out;
}

std::string stage(const fs::path& dir, std::string_view bytes, std::optional<int64_t> mtime, std::string_view info,
                  bool flush, bool lf, int64_t* mtime_ns) {
  if (mtime_ns) *mtime_ns = -1;
  std::string piece;  // lf: the next piece with LF line ends
  size_t from = 0;    // lf: where it starts in bytes
  auto next = [&]() -> std::string_view {
    if (!lf) return from++ == 0 ? bytes : std::string_view();
    piece.clear();
    while (from < bytes.size() && piece.size() < (size_t(1) << 20)) {
      size_t crlf = bytes.find("\r\n", from);
      size_t stop = crlf == std::string_view::npos ? bytes.size() : crlf;
      piece.append(bytes.data() + from, stop - from);
      from = stop == bytes.size() ? stop : stop + 1;  // the CR goes, the LF stays
    }
    return piece;
  };
  size_t size = bytes.size();
  if (lf)
    for (size_t at = bytes.find("\r\n"); at != std::string_view::npos; at = bytes.find("\r\n", at + 2)) --size;
  std::string name = unique_name(size, info);
  std::string tmp = join(dir, "tmp", name);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) fail(tmp, "cannot create");
  for (std::string_view p = next(); !p.empty(); p = next()) {
    size_t done = 0;
    while (done < p.size()) {
      ssize_t n = ::write(fd, p.data() + done, p.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        int e = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        errno = e;
        fail(tmp, "cannot write");
      }
      done += static_cast<size_t>(n);
    }
  }
  // the times set through the descriptor, once every byte is written (not
  // by the path after the close: a look-up of the name less a message); a
  // failure is no error, as it never was
  bool timed = false;
  if (mtime) {
    const struct timespec t[2] = {{static_cast<time_t>(*mtime), 0}, {static_cast<time_t>(*mtime), 0}};
    timed = ::futimens(fd, t) == 0;
  }
  if ((flush && ::fsync(fd) != 0) || ::close(fd) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    errno = e;
    fail(tmp, "cannot flush");
  }
  // Whole seconds from 1970 to 2038 read back as set on every file system
  // that can hold a Maildir's names (":" in them: not FAT's 2-second times);
  // outside that range a file system may clamp, and the caller asks it.
  if (timed && mtime_ns && *mtime >= 0 && *mtime <= int64_t{INT32_MAX}) *mtime_ns = *mtime * 1000000000;
  return name;
}

std::string publish(const fs::path& dir, const std::string& staged, const std::set<char>& flags) {
  std::string tmp = join(dir, "tmp", staged);
  std::string final_name = flags.empty() ? staged : with_flags(staged, flags);
  std::string dest = join(dir, flags.empty() ? "new" : "cur", final_name);
  if (::rename(tmp.c_str(), dest.c_str()) != 0) {
    ::unlink(tmp.c_str());
    fail(dest, "cannot move into place");
  }
  return final_name;
}

void sync_filesystem(const fs::path& any) {
  int fd = ::open(any.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail(any, "cannot open");
  int rc = ::syncfs(fd);
  ::close(fd);
  if (rc != 0) fail(any, "cannot flush the file system");
}

std::string deliver(const fs::path& dir, std::string_view bytes, const std::set<char>& flags,
                    std::optional<int64_t> mtime, std::string_view info) {
  std::string name = publish(dir, stage(dir, bytes, mtime, info, true), flags);
  fsync_dir(dir / (flags.empty() ? "new" : "cur"));
  return name;
}

std::optional<int64_t> staged_by_us(std::string_view n) {
  // digits, then a literal, as unique_name() writes them
  auto digits = [&](std::string_view lit) -> std::optional<int64_t> {
    if (!n.starts_with(lit)) return std::nullopt;
    n.remove_prefix(lit.size());
    size_t k = 0;
    while (k < n.size() && k < 18 && n[k] >= '0' && n[k] <= '9') ++k;
    if (k == 0) return std::nullopt;
    int64_t v = std::stoll(std::string(n.substr(0, k)));
    n.remove_prefix(k);
    return v;
  };
  std::optional<int64_t> pid;
  if (!digits("") || !digits(".M") || !(pid = digits("P")) || !digits("Q")) return std::nullopt;
  static const std::string host = "." + host_part() + ",";
  if (!n.starts_with(host)) return std::nullopt;
  n.remove_prefix(host.size() - 1);
  if (!digits(",S=")) return std::nullopt;
  if (n.starts_with(",W=") && !digits(",W=")) return std::nullopt;
  if (n.starts_with(",A=")) {
    n.remove_prefix(3);
    while (!n.empty() && (std::isalnum(static_cast<unsigned char>(n[0])) || n[0] == '-' || n[0] == '_')) n.remove_prefix(1);
  }
  return n.empty() ? pid : std::nullopt;
}

std::string info_field(std::string_view filename, char key) {
  std::string_view u = unique_of(filename);
  size_t dot = u.find('.');
  size_t host = dot == std::string_view::npos ? dot : u.find('.', dot + 1);
  if (host == std::string_view::npos) return "";
  std::string pat = std::string(",") + key + "=";
  size_t at = u.find(pat, host);
  if (at == std::string_view::npos) return "";
  at += pat.size();
  size_t end = u.find(',', at);
  return std::string(u.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at));
}

std::optional<fs::path> locate(const fs::path& dir, std::string_view filename) {
  std::error_code ec;
  for (const char* sub : {"cur", "new"}) {
    fs::path p = dir / sub / std::string(filename);
    if (fs::exists(p, ec)) return p;
  }
  return std::nullopt;
}

std::string set_flags(const fs::path& dir, std::string_view filename, const std::set<char>& flags) {
  auto from = locate(dir, filename);
  if (!from) throw std::runtime_error((dir / std::string(filename)).string() + ": the message is gone");
  std::string name = with_flags(filename, flags);
  fs::path to = dir / "cur" / name;
  if (*from != to && ::rename(from->c_str(), to.c_str()) != 0) fail(to, "cannot rename");
  return name;
}

}  // namespace local::maildir
