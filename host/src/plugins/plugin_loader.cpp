#include "plugins/plugin_loader.hpp"

#include <boost/dll/shared_library.hpp>

#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <fstream>

namespace fs = std::filesystem;

namespace accord {

uint32_t required_table_size(uint32_t abi_minor) {
  // One entry per minor: the size of the table as that minor defined it.
  // Minor 0 is the whole of today's struct.
  return static_cast<uint32_t>(abi_minor >= 1 ? ACCORD_CONNECTOR_SIZE_1_1 : ACCORD_CONNECTOR_SIZE_1_0);
}

Result<void> check_trusted(const fs::path& p, bool is_dir) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return fail(std::string("cannot stat: ") + std::strerror(errno));
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

namespace {

Result<void> check_elf_shared_object(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::array<unsigned char, 18> h{};
  in.read(reinterpret_cast<char*>(h.data()), h.size());
  if (in.gcount() < static_cast<std::streamsize>(h.size()) || std::memcmp(h.data(), "\x7f" "ELF", 4) != 0)
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
  if (auto t = check_trusted(path, false); !t) return std::unexpected(t.error());
  if (auto t = check_trusted(path.parent_path(), true); !t) return std::unexpected(t.error());
  if (auto e = check_elf_shared_object(path); !e) return std::unexpected(e.error());

  boost::dll::shared_library lib;
  try {
    lib.load(path.string(), boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
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
  if (!::dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE))
    return fail(std::string("cannot pin library: ") + ::dlerror());
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
