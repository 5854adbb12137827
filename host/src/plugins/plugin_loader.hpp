// SPDX-License-Identifier: Apache-2.0
// Loads one connector plugin file and checks it against this host's ABI.
// The only code in Accord that includes Boost.DLL. Never unloads a library.
#pragma once

#include <accord/status/result.hpp>
#include "plugins/manifest.hpp"

#include <accord/connector.h>

#include <filesystem>
#include <string>

namespace accord {

// A plugin that passed every check. The table and the manifest it points to
// live for the whole process (the library is pinned).
struct LoadedPlugin {
  std::filesystem::path path;  // absolute, canonical
  const accord_connector* table = nullptr;
  Manifest manifest;
};

// Checks, in order: file trust (regular file and folder owned by this user or
// root, not writable by group or others), ELF shared object, loads with
// RTLD_NOW (unresolved symbols refused), the entry symbol, ABI major/minor,
// table size, mandatory slots, the manifest. The failure message is one line
// saying what is wrong and what to do; callers prefix the path.
Result<LoadedPlugin> load_plugin(const std::filesystem::path& file);

// Tests only: called between the checks and the load, with the checked
// path, so that a test can swap the file there (it must not change what is
// loaded).
extern void (*g_after_plugin_check_for_tests)(const std::filesystem::path&);

// Only the trust check (used also for plugin folders before scanning them).
Result<void> check_trusted(const std::filesystem::path& p, bool is_dir);

// The size an accord_connector table must have for a given ABI minor.
uint32_t required_table_size(uint32_t abi_minor);

}  // namespace accord
