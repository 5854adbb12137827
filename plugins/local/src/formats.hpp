// SPDX-License-Identifier: Apache-2.0
// How each folder backend keeps records as files: vCard (.vcf, stream
// contact), iCalendar (.ics, streams event, task and note), JSON (.json, any
// stream). A .vcf or .ics may hold many records (folder_backend.hpp).
// Shared by the connector and its tests.
#pragma once

#include "folder_backend.hpp"

#include <map>
#include <optional>
#include <string>

namespace local {

std::map<std::string, FileFormat> vcard_formats(const std::string& version);
std::map<std::string, FileFormat> icalendar_formats();
// The JSON format of a stream named [a-z][a-z0-9_]*, else nullopt.
std::optional<FileFormat> json_format(const std::string& stream);

}  // namespace local
