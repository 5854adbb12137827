// SPDX-License-Identifier: Apache-2.0
#include "plugins/plugin_loader.hpp"

#include <boost/dll/shared_library.hpp>

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <fstream>

namespace fs = std::filesystem;

namespace accord {

void (*g_after_plugin_check_for_tests)(const fs::path&) = nullptr;

uint32_t required_table_size(uint32_t abi_minor) {
  // One entry per minor: the size of the table as that minor defined it.
  // Minor 0 is the whole of today's struct.
  return static_cast<uint32_t>(abi_minor >= 2   ? ACCORD_CONNECTOR_SIZE_1_2
                               : abi_minor >= 1 ? ACCORD_CONNECTOR_SIZE_1_1
                                                : ACCORD_CONNECTOR_SIZE_1_0);
}

namespace {

// What a plugin file or folder must be: st is what fstat or stat said of it.
Result<void> check_stat(const struct stat& st, const fs::path& p, bool is_dir) {
  const char* what = is_dir ? "plugin folder" : "plugin file";
  if (is_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
    return fail(std::string(what) + " is not a " + (is_dir ? "directory" : "regular file"));
  if (st.st_uid != ::geteuid() && st.st_uid != 0)
    return fail(std::string(what) + " is owned by uid " + std::to_string(st.st_uid) +
                ", not by you or root; only trusted plugins run (chown it, or remove it)");
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return fail(std::string(what) +
                " is writable by group or others; only trusted plugins run (chmod go-w " +
                p.string() + ")");
  return {};
}

// Every folder above the plugin folder, up to the root, as sudo and ssh
// check them: owned by you or root and writable by no one else, or whoever
// may write there could rename the plugin folder and put another in its
// place. A root-owned sticky folder (/tmp) is the exception: anyone may add
// to it, but no one may rename or remove what they do not own, and what is
// below it is checked in turn (so a build tree in /tmp still loads).
Result<void> check_ancestors(const fs::path& dir) {
  for (fs::path a = dir.parent_path();; a = a.parent_path()) {
    struct stat st {};
    if (::stat(a.c_str(), &st) != 0) return fail(a.string() + ": cannot stat: " + std::strerror(errno));
    if (st.st_uid != ::geteuid() && st.st_uid != 0)
      return fail("the folder " + a.string() + " above the plugin is owned by uid " + std::to_string(st.st_uid) +
                  ", not by you or root, who could put another plugin in its place; only trusted plugins run");
    bool sticky_root = st.st_uid == 0 && (st.st_mode & S_ISVTX);
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !sticky_root)
      return fail("the folder " + a.string() + " above the plugin is writable by group or others, who could put "
                  "another plugin in its place; only trusted plugins run (chmod go-w " + a.string() + ")");
    if (a == a.root_path() || a.parent_path() == a) return {};
  }
}

}  // namespace

Result<void> check_trusted(const fs::path& p, bool is_dir) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return fail(std::string("cannot stat: ") + std::strerror(errno));
  if (auto t = check_stat(st, p, is_dir); !t) return t;
  if (is_dir) {
    std::error_code ec;
    fs::path canon = fs::canonical(p, ec);
    if (ec) return fail("cannot resolve path: " + ec.message());
    return check_ancestors(canon);
  }
  return {};
}

namespace {

// Closes a descriptor at the end of a scope.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Result<void> check_elf_shared_object(int fd) {
  std::array<unsigned char, 18> h{};
  ssize_t n = ::pread(fd, h.data(), h.size(), 0);
  if (n < static_cast<ssize_t>(h.size()) || std::memcmp(h.data(), "\x7f" "ELF", 4) != 0)
    return fail("not a shared library (no ELF header)");
  // e_type at offset 16, in the file's byte order (EI_DATA at 5: 1 = little).
  unsigned type = h[5] == 1 ? (h[16] | (h[17] << 8)) : ((h[16] << 8) | h[17]);
  if (type != 3 /* ET_DYN */) return fail("not a shared library (an ELF file, but not ET_DYN)");
  return {};
}

}  // namespace

Result<LoadedPlugin> load_plugin(const fs::path& file) {
  std::error_code ec;
  fs::path path = fs::canonical(file, ec);
  if (ec) return fail("cannot resolve path: " + ec.message());
  // The file is opened once; the checks are made on the open descriptor
  // (fstat) and the loader maps that same descriptor (/proc/self/fd/N), so
  // nothing can swap the file between the check and the load.
  Fd file_fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
  if (file_fd.fd < 0) return fail(std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(file_fd.fd, &st) != 0) return fail(std::string("cannot stat: ") + std::strerror(errno));
  if (auto t = check_stat(st, path, false); !t) return std::unexpected(t.error());
  if (auto t = check_trusted(path.parent_path(), true); !t) return std::unexpected(t.error());
  if (auto e = check_elf_shared_object(file_fd.fd); !e) return std::unexpected(e.error());
  if (g_after_plugin_check_for_tests) g_after_plugin_check_for_tests(path);
  const std::string by_fd = "/proc/self/fd/" + std::to_string(file_fd.fd);

  boost::dll::shared_library lib;
  try {
    lib.load(by_fd, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& ex) {
    std::string why = ex.what();
    if (why.find("undefined symbol") != std::string::npos)
      return fail("unresolved symbols (" + why + "); rebuild it with -Wl,--no-undefined against its dependencies");
    return fail("cannot load: " + why);
  }
  if (!lib.has(ACCORD_ENTRY_SYMBOL))
    return fail("no entry symbol " ACCORD_ENTRY_SYMBOL "; is this an Accord connector?");
  // Pin the library: the host never unloads a plugin (its static table, its
  // threads and its atexit handlers must outlive every instance).
  if (!::dlopen(by_fd.c_str(), RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE))
    return fail(std::string("cannot pin library: ") + ::dlerror());
  // The loader knows the library by that name for good: the descriptor stays
  // open (one a plugin), or its number, reused, would name this library to
  // the next dlopen.
  file_fd.fd = -1;
  auto entry = lib.get<const accord_connector*(uint32_t, uint32_t)>(ACCORD_ENTRY_SYMBOL);
  const accord_connector* t = entry(ACCORD_ABI_MAJOR, ACCORD_ABI_MINOR);
  if (!t) return fail(ACCORD_ENTRY_SYMBOL " returned NULL: the plugin cannot serve ABI " +
                      std::to_string(ACCORD_ABI_MAJOR) + "." + std::to_string(ACCORD_ABI_MINOR));
  if (t->abi_major != ACCORD_ABI_MAJOR)
    return fail("built for ABI " + std::to_string(t->abi_major) + "." + std::to_string(t->abi_minor) +
                ", this host speaks ABI " + std::to_string(ACCORD_ABI_MAJOR) + ".x; rebuild the plugin against this SDK");
  if (t->abi_minor > ACCORD_ABI_MINOR)
    return fail("built for ABI " + std::to_string(t->abi_major) + "." + std::to_string(t->abi_minor) +
                ", newer than this host's " + std::to_string(ACCORD_ABI_MAJOR) + "." +
                std::to_string(ACCORD_ABI_MINOR) + "; upgrade accord");
  if (t->struct_size < required_table_size(t->abi_minor))
    return fail("connector table is " + std::to_string(t->struct_size) + " bytes, ABI " +
                std::to_string(t->abi_major) + "." + std::to_string(t->abi_minor) + " requires " +
                std::to_string(required_table_size(t->abi_minor)) + "; rebuild against the SDK headers");
  if (!t->create || !t->destroy || !t->read_changes || !t->cancel)
    return fail("connector table lacks a mandatory slot (create, destroy, read_changes, cancel)");
  if ((t->capabilities & ACCORD_CAP_WRITE) && !t->apply)
    return fail("declares the write capability but has no apply slot");
  auto m = parse_manifest(t->manifest_json);
  if (!m) return std::unexpected(m.error());
  return LoadedPlugin{path, t, std::move(*m)};
}

}  // namespace accord
