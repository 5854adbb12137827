// SPDX-License-Identifier: Apache-2.0
// Windows time-zone names (what Outlook and Exchange write as TZID, e.g.
// "W. Europe Standard Time") to IANA zone ids, from CLDR's windowsZones
// table (Debian: unicode-cldr-core), read once with POCO's SAX parser.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace accord::formats::zones {

// The IANA zone for a Windows zone name (CLDR's territory "001" entry), or
// nullopt for a name the table does not hold (or when the table is absent).
std::optional<std::string> iana_from_windows(const std::string& windows_name);

// The whole table read from a windowsZones.xml file: Windows name → IANA id.
// Throws std::runtime_error when the file cannot be read or parsed.
std::map<std::string, std::string> read_windows_zones(const std::string& path);

// The path the library reads (ACCORD_CLDR_WINDOWS_ZONES at build time).
const char* windows_zones_path();

}  // namespace accord::formats::zones
