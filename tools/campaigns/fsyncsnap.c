// SPDX-License-Identifier: Apache-2.0
// LD_PRELOAD library for tools/campaigns/ss_campaign.sh's power-loss model.
// At every fsync/fdatasync of a regular file whose path starts with
// $SNAP_WATCH, the file's content (what the sync is about to make durable) is
// copied to $SNAP_OUT/<basename>, atomically (a temporary file renamed over).
// At any moment, then, $SNAP_OUT holds each watched file as of its last sync:
// what a power loss at that moment is guaranteed to keep, every unsynced
// write lost. Each copy appends "<basename> <bytes>" to $SNAP_OUT/.log.
// Only fsync and fdatasync are followed (SQLite's unix VFS syncs with these;
// sync/syncfs are not).
// Built by the campaign itself: cc -shared -fPIC -O2 -o fsyncsnap.so fsyncsnap.c -ldl -lpthread
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned long counter;

static void snap(int fd) {
  const char* watch = getenv("SNAP_WATCH");
  const char* out = getenv("SNAP_OUT");
  if (!watch || !out) return;
  int saved = errno;
  char link[64], path[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n <= 0) { errno = saved; return; }
  path[n] = 0;
  struct stat st;
  if (strncmp(path, watch, strlen(watch)) != 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    errno = saved;
    return;
  }
  const char* base = strrchr(path, '/');
  base = base ? base + 1 : path;
  pthread_mutex_lock(&mu);
  char tmp[2 * PATH_MAX + 64], dst[2 * PATH_MAX + 2];
  snprintf(tmp, sizeof tmp, "%s/.tmp.%d.%lu", out, (int)getpid(), counter++);
  snprintf(dst, sizeof dst, "%s/%s", out, base);
  int in = open(path, O_RDONLY | O_CLOEXEC);
  int o = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (in >= 0 && o >= 0) {
    static char buf[1 << 16];
    off_t off = 0;
    int ok = 1;
    for (;;) {
      ssize_t r = pread(in, buf, sizeof buf, off);
      if (r < 0) { ok = 0; break; }
      if (r == 0) break;
      if (write(o, buf, (size_t)r) != r) { ok = 0; break; }
      off += r;
    }
    close(o);
    if (ok) {
      rename(tmp, dst);
      char logp[PATH_MAX + 8];
      snprintf(logp, sizeof logp, "%s/.log", out);
      FILE* lf = fopen(logp, "a");
      if (lf) { fprintf(lf, "%s %lld\n", base, (long long)off); fclose(lf); }
    } else {
      unlink(tmp);
      fprintf(stderr, "fsyncsnap: could not copy %s\n", path);
    }
  } else {
    if (o >= 0) close(o);
    unlink(tmp);
  }
  if (in >= 0) close(in);
  pthread_mutex_unlock(&mu);
  errno = saved;
}

int fsync(int fd) {
  static int (*real)(int);
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  snap(fd);
  return real(fd);
}

int fdatasync(int fd) {
  static int (*real)(int);
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
  snap(fd);
  return real(fd);
}
