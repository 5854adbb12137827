// SPDX-License-Identifier: Apache-2.0
// accord/kit/atomic_write.hpp — a file replaced whole or not at all, and
// durably: every writer in Accord (the local connector's folders, the secrets
// file a rotated token is written back to) goes through this one function.
//
// Steps: a temporary file ".<name>.tmp-<pid>" in the target's own folder
// (a rename never crosses file systems); the target's mode and owner given
// to it (a 0600 card or secrets file stays private; the owner where we may,
// else the group; the mode after, since chown clears set-id bits); the bytes
// written; fsync; rename over the target; fsync of the folder, so that the
// rename itself survives a power cut. A target that is a symbolic link (a
// secrets file kept in a vault, a card in a synced folder) is written
// through to the file it points at: renaming over the link would replace it
// with a plain file and leave its target stale. On any failure the
// temporary file is removed and the target is as it was.
//
// Needs nothing beyond C++17 and POSIX (no Boost, no SDK), so the host links
// it too (target accord::atomic_write). Thread safety: two writers of one
// target in one process must not overlap (the temporary name is per
// process); distinct targets may be written from any thread.
#ifndef ACCORD_KIT_ATOMIC_WRITE_HPP
#define ACCORD_KIT_ATOMIC_WRITE_HPP

#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace accord::kit {

struct AtomicWriteOptions {
  // The mode of a file that did not exist, as the umask narrows it (a
  // rewrite keeps the old file's mode).
  unsigned new_mode = 0644;
  // Whether a symbolic link is written through to its target (else replaced).
  bool through_symlink = true;
};

// Replaces `target` with `content` as above. Throws std::system_error whose
// code() is the system's errno (ENOSPC, EDQUOT for a full disk) and whose
// what() names the file and the step ("…/a.vcf: write failed: No space left
// on device").
void atomic_write(const std::filesystem::path& target, std::string_view content, const AtomicWriteOptions& options = {});

// The temporary name atomic_write uses for `target` in this process
// (".<name>.tmp-<pid>"): a reader of the folder skips such files, and a
// cleaner may take those whose process is gone.
std::filesystem::path atomic_write_temp(const std::filesystem::path& target);

// fsync of a folder (after a rename or unlink in it). Throws std::system_error.
void fsync_dir(const std::filesystem::path& dir);

}  // namespace accord::kit

#endif  // ACCORD_KIT_ATOMIC_WRITE_HPP
