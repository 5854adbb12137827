// SPDX-License-Identifier: Apache-2.0
// The systemd user unit that runs `accord daemon` (contrib/systemd/
// accord.service with the paths filled in), and its installation in the
// user's unit folder. Must never overwrite a unit the user changed unless
// asked (--force).
#pragma once

#include "daemon/daemon.hpp"

#include <accord/status/result.hpp>

#include <filesystem>
#include <string>

namespace accord::daemon {

// The unit's text for these options: ExecStart names this program (by its
// absolute path) and the pipelines (absolute), with the global options the
// daemon was given; each word quoted as systemd.syntax(7) reads it.
std::string unit_text(const DaemonOptions& opts, const std::filesystem::path& program);

// Writes the unit to $XDG_CONFIG_HOME/systemd/user/accord.service (else
// ~/.config/…); refuses to replace a different one without `force`.
Result<std::filesystem::path> install_user_unit(const DaemonOptions& opts, bool force);

}  // namespace accord::daemon
