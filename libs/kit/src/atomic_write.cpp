// SPDX-License-Identifier: Apache-2.0
// Durable whole-file replacement (see accord/kit/atomic_write.hpp).
#include <accord/kit/atomic_write.hpp>
#include <accord/kit/failpoint.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace fs = std::filesystem;

namespace accord::kit {

namespace {

[[noreturn]] void raise(int err, const fs::path& p, const char* step) {
  throw std::system_error(err, std::generic_category(), p.string() + ": " + step);
}

// The file a write of `target` lands in: a symbolic link's final target.
fs::path resolve(const fs::path& target, bool through) {
  std::error_code ec;
  if (!through || !fs::is_symlink(target, ec)) return target;
  fs::path real = fs::weakly_canonical(target, ec);
  if (ec) throw std::system_error(ec, target.string() + ": cannot follow the link");
  return real;
}

}  // namespace

fs::path atomic_write_temp(const fs::path& target) {
  return target.parent_path() / ("." + target.filename().string() + ".tmp-" + std::to_string(::getpid()));
}

void fsync_dir(const fs::path& dir) {
  fs::path d = dir.empty() ? fs::path(".") : dir;
  int fd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) raise(errno, d, "cannot open the folder to sync it");
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) raise(err, d, "fsync of the folder failed");
}

void atomic_write(const fs::path& target, std::string_view content, const AtomicWriteOptions& options) {
  const fs::path file = resolve(target, options.through_symlink);
  const fs::path tmp = atomic_write_temp(file);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, static_cast<mode_t>(options.new_mode & 07777));
  if (fd < 0) raise(errno, tmp, "cannot create");
  auto fail = [&](int err, const fs::path& p, const char* step) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    raise(err, p, step);
  };
  if (struct stat old {}; ::stat(file.c_str(), &old) == 0) {
    // Giving the file back to another owner needs privileges we may lack:
    // then at least its group. The mode after, since chown clears set-id bits.
    if (::fchown(fd, old.st_uid, old.st_gid) != 0) (void)::fchown(fd, static_cast<uid_t>(-1), old.st_gid);
    if (::fchmod(fd, old.st_mode & 07777) != 0) fail(errno, tmp, "cannot set the mode");
  }  // a new file: new_mode as the umask narrows it
  size_t done = 0;
  while (done < content.size()) {
    ssize_t w = ::write(fd, content.data() + done, content.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      fail(errno, file, "write failed");
    }
    done += static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0) fail(errno, file, "fsync failed");
  int rc = ::close(fd);
  fd = -1;
  if (rc != 0) fail(errno, file, "write failed");
  failpoint("atomic_write.before_rename");  // the whole temporary file there, the target untouched
  if (::rename(tmp.c_str(), file.c_str()) != 0) fail(errno, file, "rename failed");
  fsync_dir(file.parent_path());
}

}  // namespace accord::kit
