// SPDX-License-Identifier: Apache-2.0
// Exit codes of the `accord` program. Scripts rely on these: append, never
// renumber. Documented in docs/cli.md.
#pragma once

namespace accord::exit_code {
inline constexpr int kOk = 0;             // done
inline constexpr int kFailure = 1;        // the command ran and failed (I/O, a connector error)
inline constexpr int kUsage = 2;          // bad command line
inline constexpr int kInvalidInput = 3;   // a file (pipeline, config, plan) is invalid
inline constexpr int kPluginMissing = 4;  // a named connector is not installed or was refused
inline constexpr int kIncomplete = 5;     // done, but some records failed (quarantined) or wait for a decision
inline constexpr int kGuardRefused = 6;   // a guard refused the run; nothing was written (--force overrides)
inline constexpr int kLocked = 7;         // another run of the pipeline holds its lock
inline constexpr int kPlanStale = 8;      // a saved plan no longer matches the sides or the state
}  // namespace accord::exit_code
